package casework

import (
	"errors"
	"strconv"
	"time"

	"github.com/liaison-dev/liaison/internal/validation"
)

// Lead is a cybercrime lead one party sends another: into an existing
// case, or as a proposal for a new one.
type Lead struct {
	ID string `json:"id"`
	// CaseID is the case the lead is for; empty for a proposal.
	CaseID   string   `json:"case_id,omitempty"`
	From     string   `json:"from"`
	To       string   `json:"to"`
	Title    string   `json:"title"`
	Category Category `json:"category"`
	What     string   `json:"what"`
	Who      string   `json:"who,omitempty"`
	Where    string   `json:"where,omitempty"`
	// Indicators are correlatable items (indicator, account, wallet,
	// e-mail, hash) the lead carries.
	Indicators []Item `json:"indicators"`
	// Evidence are references to evidence (request references, STIX ids,
	// sample hashes, database references).
	Evidence []string  `json:"evidence"`
	Handling Handling  `json:"handling"`
	Actor    string    `json:"actor"`
	Created  time.Time `json:"created"`
}

// LeadDraft is what an officer sends.
type LeadDraft struct {
	To         string   `json:"to"`
	CaseID     string   `json:"case_id,omitempty"`
	Title      string   `json:"title"`
	Category   Category `json:"category"`
	What       string   `json:"what"`
	Who        string   `json:"who,omitempty"`
	Where      string   `json:"where,omitempty"`
	Indicators []Item   `json:"indicators,omitempty"`
	Evidence   []string `json:"evidence,omitempty"`
	Handling   Handling `json:"handling"`
}

func (l *Lead) validate(errs *validation.Errors) {
	if !partyRE.MatchString(l.From) {
		errs.Add("from", "must be a party code")
	}
	if !partyRE.MatchString(l.To) {
		errs.Add("to", "must be a party code")
	}
	if l.From == l.To {
		errs.Add("to", "a lead goes to another party")
	}
	if l.CaseID != "" && !idRE.MatchString(l.CaseID) {
		errs.Add("case_id", "must be a case id (32 hex digits)")
	}
	errs.Required("title", l.Title, 300)
	if !ValidCategory(l.Category) {
		errs.Add("category", "must be one of the taxonomy")
	}
	errs.Required("what", l.What, 20000)
	errs.MaxLen("who", l.Who, 4000)
	errs.MaxLen("where", l.Where, 4000)
	if len(l.Indicators) > 200 {
		errs.Add("indicators", "at most 200")
	}
	if l.Indicators == nil {
		l.Indicators = []Item{}
	}
	for i := range l.Indicators {
		it := &l.Indicators[i]
		if _, _, ok := it.key(); !ok && it.Kind != Grading && it.Kind != Reference {
			errs.Add("indicators["+strconv.Itoa(i)+"].kind", "must be indicator, account, wallet, email, hash, grading or reference")
		}
		it.Handling = l.Handling
		it.Originator, it.Recipients, it.File = l.From, []string{l.From, l.To}, nil
		it.validate(errs, "indicators["+strconv.Itoa(i)+"]", l.Category)
	}
	if l.Evidence == nil {
		l.Evidence = []string{}
	}
	if len(l.Evidence) > 100 {
		errs.Add("evidence", "at most 100")
	}
	for i, ev := range l.Evidence {
		errs.Required("evidence["+strconv.Itoa(i)+"]", ev, 300)
	}
	l.Handling.validate(errs, "handling")
	errs.MaxLen("actor", l.Actor, 200)
}

// leadWire is the payload of a TypeLead envelope.
type leadWire struct {
	Lead Lead `json:"lead"`
}

// decisionWire is the payload of a TypeLeadDecision envelope.
type decisionWire struct {
	LeadID   string    `json:"lead_id"`
	Accepted bool      `json:"accepted"`
	Reason   string    `json:"reason,omitempty"`
	CaseID   string    `json:"case_id,omitempty"`
	Actor    string    `json:"actor"`
	At       time.Time `json:"at"`
}

// DecodeLead decodes and statically checks a received lead. It never
// panics.
func DecodeLead(b []byte) (Lead, error) {
	if len(b) > MaxPayload {
		return Lead{}, errors.New("payload too large")
	}
	var w leadWire
	if err := strictDecode(b, &w); err != nil {
		return Lead{}, err
	}
	l := w.Lead
	var errs validation.Errors
	if !idRE.MatchString(l.ID) {
		errs.Add("id", "must be 32 hex digits")
	}
	if l.Created.IsZero() {
		errs.Add("created", "is required")
	}
	for _, it := range l.Indicators {
		if !idRE.MatchString(it.ID) {
			errs.Add("indicators.id", "must be 32 hex digits")
			break
		}
	}
	l.validate(&errs)
	return l, errs.Err()
}

// DecodeDecision decodes and checks a lead decision. It never panics.
func DecodeDecision(b []byte) (decisionWire, error) {
	var d decisionWire
	if len(b) > 64<<10 {
		return d, errors.New("payload too large")
	}
	if err := strictDecode(b, &d); err != nil {
		return d, err
	}
	var errs validation.Errors
	if !idRE.MatchString(d.LeadID) {
		errs.Add("lead_id", "must be 32 hex digits")
	}
	if d.CaseID != "" && !idRE.MatchString(d.CaseID) {
		errs.Add("case_id", "must be 32 hex digits")
	}
	if !d.Accepted {
		errs.Required("reason", d.Reason, 2000)
	}
	errs.MaxLen("reason", d.Reason, 2000)
	errs.MaxLen("actor", d.Actor, 200)
	if d.At.IsZero() {
		errs.Add("at", "is required")
	}
	return d, errs.Err()
}
