package request

import (
	"net/mail"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/liaison-dev/liaison/internal/auth"
	"github.com/liaison-dev/liaison/internal/validation"
)

// Type is a kind of request for assistance.
type Type string

// The request types of DOMAIN.md.
const (
	Preservation        Type = "preservation"         // Budapest Art. 29
	TrafficData         Type = "traffic_data"         // Art. 30
	Subscriber          Type = "subscriber"           // Art. 18(3), 31
	DomainRegistration  Type = "domain_registration"  // Second Additional Protocol Art. 6
	EmergencyDisclosure Type = "emergency_disclosure" // Protocol Art. 9, 10
	MLA                 Type = "mla"                  // US–China MLAA (2000), Budapest Art. 31
	Information         Type = "information"          // dialogue guidelines
	Spontaneous         Type = "spontaneous"          // Budapest Art. 26
	Incident            Type = "incident"             // network protection
	BECRecall           Type = "bec_recall"           // Financial Fraud Kill Chain
)

// Priority is how fast a request must move.
type Priority string

// Priorities.
const (
	Routine   Priority = "routine"
	Urgent    Priority = "urgent"
	Emergency Priority = "emergency"
)

// Priorities lists every priority.
var Priorities = []Priority{Routine, Urgent, Emergency}

// Kind is the type of a field's value.
type Kind string

// Field kinds. Values are normalised on validation: texts, times and
// amounts to strings, lists to []string, flags to bool.
const (
	Text     Kind = "text"      // one line, at most Max characters (default 500)
	LongText Kind = "long_text" // free text, at most Max characters (default 20000)
	Enum     Kind = "enum"      // one of Values
	EnumList Kind = "enum_list" // one or more of Values
	List     Kind = "list"      // one or more lines of text
	Time     Kind = "time"      // RFC 3339 with a zone; stored in UTC
	Email    Kind = "email"
	Phone    Kind = "phone" // international, starting with +
	Bool     Kind = "bool"
	Amount   Kind = "amount" // a positive decimal number
	Domain   Kind = "domain" // a DNS name
	Zone     Kind = "time_zone"
)

// Field declares one field of a request type. The declaration is the only
// source of truth: validation, the JSON Schema in the API, the CLI's
// --field help and the console forms all read it.
type Field struct {
	Name     string   `json:"name"`
	Kind     Kind     `json:"kind"`
	Required bool     `json:"required"`
	Values   []string `json:"values,omitempty"`
	Max      int      `json:"max,omitempty"`
	// MustBeTrue marks a flag that states a legal precondition.
	MustBeTrue bool   `json:"must_be_true,omitempty"`
	Doc        string `json:"doc"`
}

// Schema is a request type: its legal basis, routing and fields.
type Schema struct {
	Type  Type   `json:"type"`
	Title string `json:"title"`
	Basis string `json:"basis"`
	// Route is the role that sends and receives it: the 24/7 desk or the
	// central authority (MLA).
	Route auth.Role `json:"route"`
	// Answerable is false for types that are only acknowledged
	// (spontaneous information).
	Answerable bool    `json:"answerable"`
	Fields     []Field `json:"fields"`
}

// Field returns the declaration of a field.
func (s *Schema) Field(name string) (Field, bool) {
	for _, f := range s.Fields {
		if f.Name == name {
			return f, true
		}
	}
	return Field{}, false
}

// Common fields of every request (Council of Europe standard forms).
var common = []Field{
	{Name: "requesting_authority", Kind: Text, Required: true, Doc: "requesting organisation"},
	{Name: "requesting_officer", Kind: Text, Required: true, Doc: "officer in charge"},
	{Name: "requesting_email", Kind: Email, Required: true, Doc: "officer's e-mail"},
	{Name: "requesting_phone", Kind: Phone, Doc: "officer's phone, international format"},
	{Name: "requesting_address", Kind: Text, Doc: "postal address"},
	{Name: "office_hours", Kind: Text, Doc: "office hours"},
	{Name: "time_zone", Kind: Zone, Required: true, Doc: "requesting officer's IANA time zone"},
	{Name: "preferred_channel", Kind: Enum, Values: []string{"liaison", "email", "phone"}, Doc: "preferred response channel"},
	{Name: "requested_authority", Kind: Text, Doc: "authority addressed at the requested party"},
	{Name: "request_status", Kind: Enum, Values: []string{"new", "extension", "follow_up"}, Doc: "new, or extension/follow-up of an earlier request"},
	{Name: "earlier_reference", Kind: Text, Max: 100, Doc: "reference of the earlier request (required for an extension or follow-up)"},
	{Name: "investigating_authority", Kind: Text, Doc: "investigating authority"},
	{Name: "case_numbers", Kind: List, Doc: "case numbers"},
	{Name: "related_requests", Kind: List, Doc: "references of related earlier requests"},
	{Name: "legal_basis", Kind: LongText, Max: 4000, Required: true, Doc: "domestic legal basis"},
	{Name: "offences", Kind: List, Required: true, Doc: "offence(s) under investigation"},
	{Name: "summary", Kind: LongText, Required: true, Doc: "summary of the facts"},
}

// AssistanceForms are the forms of mutual legal assistance (US–China MLAA).
var AssistanceForms = []string{"service_of_documents", "testimony", "documents_and_records", "expert_evaluation", "locating_persons",
	"search", "freezing_and_seizure", "forfeiture", "transfer_of_persons_in_custody", "other"}

// RegistrationElements are the domain registration data elements.
var RegistrationElements = []string{"registrant_name", "registrant_organisation", "registrant_email", "registrant_phone",
	"registrant_address", "registrar", "creation_date", "name_servers", "billing_contact"}

var schemas = []Schema{
	{Type: Preservation, Title: "Expedited preservation of stored computer data", Basis: "Budapest Convention Art. 29", Route: auth.Officer, Answerable: true,
		Fields: []Field{
			{Name: "data_to_preserve", Kind: LongText, Required: true, Doc: "the stored data to preserve"},
			{Name: "relation_to_offence", Kind: LongText, Required: true, Doc: "how the data relates to the offence"},
			{Name: "custodian", Kind: Text, Required: true, Doc: "custodian of the data or location of the system"},
			{Name: "system_location", Kind: Text, Doc: "location of the computer system"},
			{Name: "necessity", Kind: LongText, Required: true, Doc: "why preservation is necessary"},
			{Name: "mla_to_follow", Kind: Bool, Required: true, MustBeTrue: true, Doc: "a request for mutual assistance for the data will follow"},
		}},
	{Type: TrafficData, Title: "Expedited disclosure of preserved traffic data", Basis: "Budapest Convention Art. 30", Route: auth.Officer, Answerable: true,
		Fields: []Field{
			{Name: "communication_time", Kind: Time, Required: true, Doc: "time of the communication, with zone"},
			{Name: "source", Kind: Text, Required: true, Doc: "source of the communication"},
			{Name: "destination", Kind: Text, Required: true, Doc: "destination of the communication"},
			{Name: "data_sought", Kind: LongText, Doc: "traffic data sought to identify the providers and the path"},
		}},
	{Type: Subscriber, Title: "Subscriber information", Basis: "Budapest Convention Art. 18(3), 31", Route: auth.Officer, Answerable: true,
		Fields: []Field{
			{Name: "identifiers", Kind: List, Required: true, Doc: "IP + port + timestamp with zone, account, e-mail or phone"},
			{Name: "time_range_start", Kind: Time, Required: true, Doc: "start of the period"},
			{Name: "time_range_end", Kind: Time, Required: true, Doc: "end of the period"},
			{Name: "provider", Kind: Text, Required: true, Doc: "service provider"},
		}},
	{Type: DomainRegistration, Title: "Domain name registration information", Basis: "Second Additional Protocol Art. 6", Route: auth.Officer, Answerable: true,
		Fields: []Field{
			{Name: "domain_name", Kind: Domain, Required: true, Doc: "the domain name"},
			{Name: "data_elements", Kind: EnumList, Values: RegistrationElements, Required: true, Doc: "registration data elements sought"},
			{Name: "investigation_statement", Kind: LongText, Required: true, Doc: "the specific criminal investigation it is needed for"},
			{Name: "used_only_for_investigation", Kind: Bool, Required: true, MustBeTrue: true, Doc: "the data will be used only for that investigation"},
		}},
	{Type: EmergencyDisclosure, Title: "Emergency disclosure", Basis: "Second Additional Protocol Art. 9, 10", Route: auth.Officer, Answerable: true,
		Fields: []Field{
			{Name: "risk_facts", Kind: LongText, Required: true, Doc: "facts showing a significant and imminent risk to the life or safety of a person"},
			{Name: "relation_to_risk", Kind: LongText, Required: true, Doc: "how the data sought relate to the risk"},
			{Name: "data_sought", Kind: LongText, Required: true, Doc: "the data sought"},
			{Name: "provider", Kind: Text, Doc: "service provider holding the data"},
		}},
	{Type: MLA, Title: "Mutual legal assistance", Basis: "US–China MLAA (2000); Budapest Convention Art. 31", Route: auth.CentralAuthority, Answerable: true,
		Fields: []Field{
			{Name: "forms_of_assistance", Kind: EnumList, Values: AssistanceForms, Required: true, Doc: "forms of assistance requested"},
			{Name: "legal_provisions", Kind: LongText, Required: true, Doc: "offences with their legal provisions"},
			{Name: "penalties", Kind: LongText, Max: 4000, Required: true, Doc: "penalties provided"},
			{Name: "evidence_sought", Kind: LongText, Required: true, Doc: "evidence or assistance sought"},
			{Name: "purpose", Kind: LongText, Required: true, Doc: "purpose for which it is sought"},
			{Name: "persons", Kind: LongText, Doc: "identity and location of persons concerned"},
			{Name: "procedure", Kind: LongText, Doc: "procedure to follow"},
			{Name: "urgency_reasons", Kind: LongText, Doc: "urgency and its reasons"},
		}},
	{Type: Information, Title: "Information or lead request", Basis: "Dialogue guidelines on requests", Route: auth.Officer, Answerable: true,
		Fields: []Field{
			{Name: "question", Kind: LongText, Required: true, Doc: "what is asked"},
			{Name: "reason", Kind: LongText, Required: true, Doc: "why"},
			{Name: "known", Kind: LongText, Doc: "what is already known"},
		}},
	{Type: Spontaneous, Title: "Spontaneous information", Basis: "Budapest Convention Art. 26", Route: auth.Officer, Answerable: false,
		Fields: []Field{
			{Name: "information", Kind: LongText, Required: true, Doc: "the information (shown once the use conditions are accepted)"},
		}},
	{Type: Incident, Title: "Incident notification", Basis: "Network protection cooperation", Route: auth.Officer, Answerable: true,
		Fields: []Field{
			{Name: "affected_systems", Kind: LongText, Required: true, Doc: "affected systems"},
			{Name: "indicators", Kind: List, Required: true, Doc: "indicators of compromise"},
			{Name: "impact", Kind: LongText, Required: true, Doc: "impact"},
			{Name: "timeline", Kind: LongText, Required: true, Doc: "time line of the incident"},
			{Name: "help_wanted", Kind: LongText, Required: true, Doc: "what help is wanted"},
		}},
	{Type: BECRecall, Title: "Business e-mail compromise wire recall", Basis: "Financial Fraud Kill Chain practice", Route: auth.Officer, Answerable: true,
		Fields: []Field{
			{Name: "victim", Kind: Text, Required: true, Doc: "victim"},
			{Name: "victim_location", Kind: Text, Required: true, Doc: "victim's location"},
			{Name: "originating_bank", Kind: Text, Required: true, Doc: "originating bank"},
			{Name: "originating_account", Kind: Text, Required: true, Doc: "originating account"},
			{Name: "beneficiary_name", Kind: Text, Required: true, Doc: "beneficiary name"},
			{Name: "beneficiary_bank", Kind: Text, Required: true, Doc: "beneficiary bank"},
			{Name: "beneficiary_account", Kind: Text, Required: true, Doc: "beneficiary account"},
			{Name: "beneficiary_bank_location", Kind: Text, Required: true, Doc: "beneficiary bank location"},
			{Name: "intermediary_bank", Kind: Text, Doc: "intermediary bank"},
			{Name: "swift_reference", Kind: Text, Required: true, Doc: "SWIFT / transfer reference"},
			{Name: "amount", Kind: Amount, Required: true, Doc: "amount transferred"},
			{Name: "currency", Kind: Text, Max: 3, Required: true, Doc: "ISO 4217 currency code"},
			{Name: "transfer_time", Kind: Time, Required: true, Doc: "date and time of the transfer (recall is useful within 72 hours)"},
			{Name: "email_headers", Kind: LongText, Doc: "headers of the fraudulent e-mails"},
		}},
}

// Schemas returns every request type's schema, each with the common
// fields first.
func Schemas() []Schema {
	out := make([]Schema, len(schemas))
	for i, s := range schemas {
		s.Fields = append(slices.Clone(common), s.Fields...)
		out[i] = s
	}
	return out
}

// Lookup returns a type's schema with the common fields.
func Lookup(t Type) (Schema, bool) {
	for _, s := range Schemas() {
		if s.Type == t {
			return s, true
		}
	}
	return Schema{}, false
}

// Types lists the type names.
func Types() []string {
	out := make([]string, len(schemas))
	for i, s := range schemas {
		out[i] = string(s.Type)
	}
	return out
}

// Handling conditions (use limitations, Budapest Art. 28 and
// law-enforcement practice). Free-text conditions are written "other: ...".
var Conditions = []string{"purpose_only", "no_judicial_use_without_permission", "no_onward_sharing_without_permission"}

var (
	phoneRE  = regexp.MustCompile(`^\+[0-9][0-9 ()-]{5,30}$`)
	domainRE = regexp.MustCompile(`^(?i)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}\.?$`)
	amountRE = regexp.MustCompile(`^[0-9]{1,15}(\.[0-9]{1,4})?$`)
)

// checkValue validates and normalises one field value, returning the
// problem (without its field name) or nil.
func checkValue(f Field, v any) (any, *validation.FieldError) {
	max := f.Max
	switch f.Kind {
	case Text, Email, Phone, Domain, Zone, Enum, Time:
		s, ok := v.(string)
		if !ok {
			return bad(msgString, nil)
		}
		s = strings.TrimSpace(s)
		if s == "" {
			return bad(msgEmpty, nil)
		}
		if max == 0 {
			max = 500
		}
		if len([]rune(s)) > max {
			return bad(validation.MsgTooLong, validation.Params{"max": strconv.Itoa(max)})
		}
		switch f.Kind {
		case Email:
			if a, err := mail.ParseAddress(s); err != nil || a.Address != s {
				return bad(validation.MsgEmail, nil)
			}
		case Phone:
			if !phoneRE.MatchString(s) {
				return bad(validation.MsgPhone, nil)
			}
		case Domain:
			if len(s) > 253 || !domainRE.MatchString(s) {
				return bad(msgDomain, nil)
			}
			s = strings.ToLower(strings.TrimSuffix(s, "."))
		case Zone:
			if _, err := time.LoadLocation(s); err != nil || strings.Contains(s, "..") || s == "Local" {
				return bad(validation.MsgTimeZone, nil)
			}
		case Enum:
			if !slices.Contains(f.Values, s) {
				return bad(msgEnum, validation.Params{"values": strings.Join(f.Values, ", ")})
			}
		case Time:
			t, err := time.Parse(time.RFC3339, s)
			if err != nil {
				return bad(msgTime, nil)
			}
			s = t.UTC().Format(time.RFC3339Nano)
		}
		return s, nil
	case LongText:
		s, ok := v.(string)
		if !ok {
			return bad(msgString, nil)
		}
		if strings.TrimSpace(s) == "" {
			return bad(msgEmpty, nil)
		}
		if max == 0 {
			max = 20000
		}
		if len([]rune(s)) > max {
			return bad(validation.MsgTooLong, validation.Params{"max": strconv.Itoa(max)})
		}
		return s, nil
	case List, EnumList:
		arr, ok := v.([]any)
		if !ok {
			if ss, ok2 := v.([]string); ok2 {
				for _, s := range ss {
					arr = append(arr, s)
				}
				ok = true
			}
		}
		if !ok {
			return bad(msgArray, nil)
		}
		if len(arr) == 0 {
			return bad(msgListEmpty, nil)
		}
		if len(arr) > 100 {
			return bad(msgListMax, validation.Params{"max": "100"})
		}
		out := make([]string, 0, len(arr))
		for i, x := range arr {
			s, ok := x.(string)
			if !ok || strings.TrimSpace(s) == "" {
				return bad(msgItemEmpty, validation.Params{"item": strconv.Itoa(i + 1)})
			}
			if len([]rune(s)) > 500 {
				return bad(msgItemTooLong, validation.Params{"item": strconv.Itoa(i + 1), "max": "500"})
			}
			if f.Kind == EnumList && !slices.Contains(f.Values, s) {
				return bad(msgItemEnum, validation.Params{"item": strconv.Itoa(i + 1), "value": strconv.Quote(s), "values": strings.Join(f.Values, ", ")})
			}
			out = append(out, strings.TrimSpace(s))
		}
		return out, nil
	case Bool:
		b, ok := v.(bool)
		if !ok {
			return bad(msgBool, nil)
		}
		if f.MustBeTrue && !b {
			return bad(msgMustBeTrue, validation.Params{"doc": f.Doc})
		}
		return b, nil
	case Amount:
		var s string
		switch x := v.(type) {
		case string:
			s = strings.TrimSpace(x)
		case float64:
			s = strconv.FormatFloat(x, 'f', -1, 64)
		default:
			return bad(msgNumber, nil)
		}
		if !amountRE.MatchString(s) {
			return bad(msgAmount, nil)
		}
		if f, err := strconv.ParseFloat(s, 64); err != nil || f <= 0 {
			return bad(msgAmountNotZero, nil)
		}
		return s, nil
	}
	return bad(msgUnknownKind, nil)
}

func bad(m validation.Message, p validation.Params) (any, *validation.FieldError) {
	e := m.On("", p)
	return nil, &e
}

// JSONSchema returns the JSON Schema (2020-12) of a type's fields object,
// derived from its declaration.
func (s Schema) JSONSchema() map[string]any {
	props := map[string]any{}
	required := []string{}
	for _, f := range s.Fields {
		p := map[string]any{"description": f.Doc}
		switch f.Kind {
		case Text, LongText:
			p["type"] = "string"
		case Enum:
			p["type"], p["enum"] = "string", f.Values
		case EnumList:
			p["type"], p["items"], p["minItems"] = "array", map[string]any{"type": "string", "enum": f.Values}, 1
		case List:
			p["type"], p["items"], p["minItems"] = "array", map[string]any{"type": "string"}, 1
		case Time:
			p["type"], p["format"] = "string", "date-time"
		case Email:
			p["type"], p["format"] = "string", "email"
		case Phone:
			p["type"], p["pattern"] = "string", phoneRE.String()
		case Domain:
			p["type"], p["format"] = "string", "hostname"
		case Zone:
			p["type"] = "string"
		case Bool:
			p["type"] = "boolean"
			if f.MustBeTrue {
				p["const"] = true
			}
		case Amount:
			p["type"] = []string{"string", "number"}
		}
		if f.Max > 0 {
			p["maxLength"] = f.Max
		}
		props[f.Name] = p
		if f.Required {
			required = append(required, f.Name)
		}
	}
	return map[string]any{"title": s.Title, "description": s.Basis, "type": "object", "properties": props,
		"required": required, "additionalProperties": false}
}
