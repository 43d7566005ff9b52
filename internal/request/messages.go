package request

import "github.com/liaison-dev/liaison/internal/validation"

// The messages of request validation and of refused transitions. Their
// English text is what the API and the CLI show; the console translates
// them by code. Parameters named type, status, action and side hold the
// domain value, which the console shows translated.
var (
	// Drafts.
	msgOneObject         = validation.Define("request.one_object", "must hold exactly one JSON object")
	msgWrongType         = validation.Define("request.wrong_type", "has the wrong type")
	msgUnknownField      = validation.Define("request.unknown_field", "unknown field")
	msgMalformedJSON     = validation.Define("request.malformed_json", "malformed JSON")
	msgType              = validation.Define("request.type", "must be one of {types}")
	msgPriority          = validation.Define("request.priority", "must be routine, urgent or emergency")
	msgEmergencyPriority = validation.Define("request.emergency_priority", "an emergency disclosure request has emergency priority")
	msgTo                = validation.Define("request.to", "must be the requested party's code, such as CN")
	msgNotRole           = validation.Define("request.not_role", "{role} is not a role")
	msgConfidential      = validation.Define("request.confidential_roles", "a confidential request names the roles that may see it at the receiver")
	msgConditionsMax     = validation.Define("request.conditions_max", "at most {max} conditions")
	msgCondition         = validation.Define("request.condition", `{condition} must be one of {conditions}, or "other: " and the condition`)
	msgSpontaneous       = validation.Define("request.spontaneous_conditions", "spontaneous information states the conditions of its use (Budapest Art. 26)")
	msgNotAField         = validation.Define("request.not_a_field", "is not a field of {type} requests")
	msgFieldRequired     = validation.Define("request.field_required", "is required: {doc}")
	msgEarlierReference  = validation.Define("request.earlier_reference", "is required for an extension or follow-up")
	msgTimeRange         = validation.Define("request.time_range", "must not be before time_range_start")
	msgToSelf            = validation.Define("request.to_self", "a request goes to another party")
	msgNoPeer            = validation.Define("request.no_peer", "no paired peer {party}")

	// Field values (checkValue).
	msgString        = validation.Define("request.string", "must be a string")
	msgEmpty         = validation.Define("request.empty", "must not be empty")
	msgDomain        = validation.Define("request.domain", "must be a domain name such as example.com")
	msgEnum          = validation.Define("request.enum", "must be one of {values}")
	msgTime          = validation.Define("request.time", "must be an RFC 3339 time with a zone, such as 2026-11-25T08:00:00+08:00")
	msgArray         = validation.Define("request.array", "must be an array of strings")
	msgListEmpty     = validation.Define("request.list_empty", "must list at least one value")
	msgListMax       = validation.Define("request.list_max", "lists more than {max} values")
	msgItemEmpty     = validation.Define("request.item_empty", "item {item} must be a non-empty string")
	msgItemTooLong   = validation.Define("request.item_too_long", "item {item} is longer than {max} characters")
	msgItemEnum      = validation.Define("request.item_enum", "item {item}: {value} is not one of {values}")
	msgBool          = validation.Define("request.bool", "must be true or false")
	msgMustBeTrue    = validation.Define("request.must_be_true", "must be true: {doc}")
	msgNumber        = validation.Define("request.number", "must be a number")
	msgAmount        = validation.Define("request.amount", "must be a positive amount with at most 4 decimals")
	msgAmountNotZero = validation.Define("request.amount_positive", "must be greater than zero")
	msgUnknownKind   = validation.Define("request.unknown_kind", "has an unknown kind")

	// What an action carries (checkData).
	msgGround         = validation.Define("request.ground", "must be one of {grounds}")
	msgCompleteness   = validation.Define("request.completeness", "must be full or partial")
	msgAnsweredInFull = validation.Define("request.answered_in_full", "the request was answered in full already")
	msgPreservedUntil = validation.Define("request.preserved_until", "a full answer to a preservation request says until when the data are preserved")
	msgPreservedMin   = validation.Define("request.preserved_min", "data are preserved at least 60 days (Budapest Art. 29(7))")
	msgPreservedLater = validation.Define("request.preserved_later", "must be later than the current preserved-until date")
	msgLinkedMLA      = validation.Define("request.linked_mla", "must be the ID of the MLA request that follows this one")
	msgSendContent    = validation.Define("request.send_content", "the send event carries the request")
	msgAttachmentsMax = validation.Define("request.attachments_max", "at most {max} per event")
	msgExecutionDue   = validation.Define("request.execution_due", "only the decision on an MLA request sets an execution deadline, after the decision")

	// Events from a peer (DecodeEvent).
	msgUnknownAction   = validation.Define("request.unknown_action", "unknown action")
	msgDerivedFields   = validation.Define("request.derived_fields", "derived fields are not sent")
	msgContentSendOnly = validation.Define("request.content_send_only", "is carried by send events only, and by every one")
	msgContentID       = validation.Define("request.content_id", "must be the event's request")
	msgContentSender   = validation.Define("request.content_sender", "must be the sender")

	// Why a transition is not allowed (TransitionError, Event.Void).
	msgNoSuchAction    = validation.Define("request.no_such_action", "no such action")
	msgNotActionOfType = validation.Define("request.not_action_of_type", "not an action of {type} requests")
	msgWrongSide       = validation.Define("request.wrong_side", "only the {side} party may {action}")
	msgNotFrom         = validation.Define("request.not_from", "not from {status}")
	msgDeliverByNode   = validation.Define("request.deliver_by_node", "delivery is recorded by the receiving node")
)
