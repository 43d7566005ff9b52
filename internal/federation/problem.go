package federation

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/liaison-dev/liaison/internal/envelope"
)

// Problem is an RFC 9457 problem details object, as the inbox answers a
// refused envelope or request. Reason repeats the last part of Type for
// programs; Detail is safe to show the peer and never carries internal
// error text.
type Problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail,omitempty"`
	Reason Reason `json:"reason"`
	// Fields names the envelope fields at fault, for malformed envelopes.
	Fields []string `json:"fields,omitempty"`
}

// ProblemTypePrefix is the base of the problem type URIs.
const ProblemTypePrefix = "urn:liaison:problem:federation:"

// Reason is why the inbox refused an envelope; it labels the rejection
// metric.
type Reason string

// Rejection reasons. The HTTP status of each says whether sending the same
// bytes again can succeed (5xx) or not (4xx).
const (
	ReasonMalformed      Reason = "malformed"       // 400: not a canonical envelope or batch
	ReasonTooLarge       Reason = "too_large"       // 413: over a size limit
	ReasonUnknownSender  Reason = "unknown_sender"  // 403: no pinned peer has this TLS certificate
	ReasonSenderMismatch Reason = "sender_mismatch" // 403: envelope's sender is not the TLS peer
	ReasonBadSignature   Reason = "bad_signature"   // 403: signature or key does not verify
	ReasonWrongRecipient Reason = "wrong_recipient" // 421: addressed to another party
	ReasonStale          Reason = "stale"           // 422: created outside the freshness window
	ReasonDecrypt        Reason = "decrypt"         // 422: payload does not decrypt or match its digest
	ReasonUnknownType    Reason = "unknown_type"    // 422: no handler for the envelope type
	ReasonAttachment     Reason = "attachment"      // 422: attachment missing or not the signed one
	ReasonConflict       Reason = "conflict"        // 409: envelope ID already applied with other bytes
	ReasonRefused        Reason = "refused"         // 422: the handler refused the payload for good
	ReasonUnavailable    Reason = "unavailable"     // 503: try again later (handler or store trouble)
	ReasonBlocked        Reason = "blocked"         // 503: an earlier envelope of the conversation failed
)

var reasonInfo = map[Reason]struct {
	status int
	title  string
}{
	ReasonMalformed:      {http.StatusBadRequest, "Malformed envelope"},
	ReasonTooLarge:       {http.StatusRequestEntityTooLarge, "Envelope too large"},
	ReasonUnknownSender:  {http.StatusForbidden, "Unknown sender"},
	ReasonSenderMismatch: {http.StatusForbidden, "Sender does not match the TLS peer"},
	ReasonBadSignature:   {http.StatusForbidden, "Bad signature"},
	ReasonWrongRecipient: {http.StatusMisdirectedRequest, "Addressed to another party"},
	ReasonStale:          {http.StatusUnprocessableEntity, "Outside the freshness window"},
	ReasonDecrypt:        {http.StatusUnprocessableEntity, "Payload does not decrypt"},
	ReasonUnknownType:    {http.StatusUnprocessableEntity, "Unknown envelope type"},
	ReasonAttachment:     {http.StatusUnprocessableEntity, "Bad attachment"},
	ReasonConflict:       {http.StatusConflict, "Envelope ID reused"},
	ReasonRefused:        {http.StatusUnprocessableEntity, "Refused by the receiving service"},
	ReasonUnavailable:    {http.StatusServiceUnavailable, "Try again later"},
	ReasonBlocked:        {http.StatusServiceUnavailable, "Blocked behind an earlier envelope"},
}

// Reasons lists every rejection reason, for metrics and documentation.
func Reasons() []Reason {
	return []Reason{ReasonMalformed, ReasonTooLarge, ReasonUnknownSender, ReasonSenderMismatch, ReasonBadSignature,
		ReasonWrongRecipient, ReasonStale, ReasonDecrypt, ReasonUnknownType, ReasonAttachment, ReasonConflict,
		ReasonRefused, ReasonUnavailable, ReasonBlocked}
}

// Rejection is an envelope or request the inbox refused. Err is the cause,
// for the log only.
type Rejection struct {
	Reason Reason
	Detail string
	Fields []string
	Err    error
}

func (r *Rejection) Error() string {
	if r.Err != nil {
		return fmt.Sprintf("%s: %s: %v", r.Reason, r.Detail, r.Err)
	}
	return fmt.Sprintf("%s: %s", r.Reason, r.Detail)
}

func (r *Rejection) Unwrap() error { return r.Err }

func reject(reason Reason, detail string, err error) *Rejection {
	return &Rejection{Reason: reason, Detail: detail, Err: err}
}

// rejectEnvelopeErr classifies an error of the envelope package.
func rejectEnvelopeErr(err error) *Rejection {
	switch {
	case errors.Is(err, envelope.ErrBatchBroken):
		return reject(ReasonBlocked, "an earlier envelope of the batch did not decrypt; send this one again in another batch", err)
	case errors.Is(err, envelope.ErrTooLarge):
		return reject(ReasonTooLarge, "the envelope exceeds a size limit", err)
	case errors.Is(err, envelope.ErrBadSignature), errors.Is(err, envelope.ErrKeyMismatch):
		return reject(ReasonBadSignature, "the signature does not verify under the sender's pinned key", err)
	case errors.Is(err, envelope.ErrDecrypt):
		return reject(ReasonDecrypt, "the payload does not decrypt with our key or does not match its signed digest", err)
	}
	r := reject(ReasonMalformed, "the envelope is not a valid canonical envelope", err)
	for _, f := range envelope.FieldErrors(err) {
		r.Fields = append(r.Fields, f.Field+": "+f.Reason)
	}
	return r
}

// Problem returns what the peer is told.
func (r *Rejection) Problem() *Problem {
	info, ok := reasonInfo[r.Reason]
	if !ok {
		info = reasonInfo[ReasonUnavailable]
	}
	return &Problem{Type: ProblemTypePrefix + string(r.Reason), Title: info.title, Status: info.status,
		Detail: r.Detail, Reason: r.Reason, Fields: r.Fields}
}

// Temporary reports whether sending again later may succeed.
func (p *Problem) Temporary() bool { return p.Status >= 500 }

func writeProblem(w http.ResponseWriter, p *Problem) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(p.Status)
	json.NewEncoder(w).Encode(p)
}
