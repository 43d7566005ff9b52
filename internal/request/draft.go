package request

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/liaison-dev/liaison/internal/auth"
	"github.com/liaison-dev/liaison/internal/validation"
)

// Draft is a request as an officer composes it (API body, CLI file).
type Draft struct {
	Type     Type     `json:"type"`
	Priority Priority `json:"priority"`
	// To is the requested party's code.
	To    string `json:"to"`
	Title string `json:"title"`
	// Confidential keeps the fact of the request confidential (Budapest
	// Art. 27(8)): at the receiver only VisibleTo roles see it.
	Confidential bool     `json:"confidential,omitempty"`
	VisibleTo    []string `json:"visible_to,omitempty"`
	// Conditions are use limitations (Art. 28); for spontaneous
	// information the recipient must accept them before the content is
	// shown (Art. 26).
	Conditions []string `json:"conditions,omitempty"`
	// Exercise marks traffic of an exercise or drill; it is excluded from
	// real figures.
	Exercise bool           `json:"exercise,omitempty"`
	Fields   map[string]any `json:"fields"`
}

// Content is a validated request as both parties store it; it travels in
// the send event.
type Content struct {
	ID           string         `json:"id"`
	Reference    string         `json:"reference"`
	Type         Type           `json:"type"`
	Priority     Priority       `json:"priority"`
	Requesting   string         `json:"requesting"`
	Requested    string         `json:"requested"`
	Agency       string         `json:"agency"`
	Title        string         `json:"title"`
	Confidential bool           `json:"confidential"`
	VisibleTo    []string       `json:"visible_to"`
	Conditions   []string       `json:"conditions"`
	Exercise     bool           `json:"exercise"`
	Fields       map[string]any `json:"fields"`
	CreatedBy    string         `json:"created_by"`
	Created      time.Time      `json:"created"`
}

// MaxDraftBytes bounds an encoded draft or content.
const MaxDraftBytes = 1 << 20

// DecodeDraft decodes a JSON draft strictly (unknown keys are errors) and
// validates it. It never panics, whatever the input.
func DecodeDraft(b []byte) (Draft, error) {
	var d Draft
	if len(b) > MaxDraftBytes {
		return d, validation.Errors{validation.MsgTooLarge.On("(body)", validation.Params{"max": strconv.Itoa(MaxDraftBytes)})}
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&d); err != nil {
		return d, decodeError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return d, validation.Errors{msgOneObject.On("(body)", nil)}
	}
	return d, d.Validate()
}

func decodeError(err error) error {
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &te):
		f := te.Field
		if f == "" {
			f = "(body)"
		}
		return validation.Errors{msgWrongType.On(f, nil)}
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		f := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return validation.Errors{msgUnknownField.On(f, nil)}
	}
	return validation.Errors{msgMalformedJSON.On("(body)", nil)}
}

// Validate checks the draft against its type's schema, naming every bad
// field at once ("fields.custodian"), and normalises the field values.
func (d *Draft) Validate() error {
	var errs validation.Errors
	s, ok := Lookup(d.Type)
	if !ok {
		errs.Report("type", msgType, validation.Params{"types": strings.Join(Types(), ", ")})
	}
	if !slices.Contains(Priorities, d.Priority) {
		errs.Report("priority", msgPriority, nil)
	} else if d.Type == EmergencyDisclosure && d.Priority != Emergency {
		errs.Report("priority", msgEmergencyPriority, nil)
	}
	if !partyRE.MatchString(d.To) {
		errs.Report("to", msgTo, nil)
	}
	errs.Required("title", d.Title, 200)
	for _, r := range d.VisibleTo {
		if !auth.ValidRole(r) {
			errs.Report("visible_to", msgNotRole, validation.Params{"role": strconv.Quote(r)})
		}
	}
	if d.Confidential && len(d.VisibleTo) == 0 {
		errs.Report("visible_to", msgConfidential, nil)
	}
	if len(d.Conditions) > 20 {
		errs.Report("conditions", msgConditionsMax, validation.Params{"max": "20"})
	}
	for _, c := range d.Conditions {
		if !slices.Contains(Conditions, c) && !(strings.HasPrefix(c, "other: ") && len(c) > 7 && len(c) <= 1000) {
			errs.Report("conditions", msgCondition, validation.Params{"condition": strconv.Quote(c), "conditions": strings.Join(Conditions, ", ")})
		}
	}
	if d.Type == Spontaneous && len(d.Conditions) == 0 {
		errs.Report("conditions", msgSpontaneous, nil)
	}
	if ok {
		out, ferrs := validateFields(s, d.Fields)
		errs = append(errs, ferrs...)
		if len(errs) == 0 {
			d.Fields = out
		}
	}
	return errs.Err()
}

func validateFields(s Schema, in map[string]any) (map[string]any, validation.Errors) {
	var errs validation.Errors
	out := map[string]any{}
	for _, name := range slices.Sorted(maps.Keys(in)) {
		if _, ok := s.Field(name); !ok {
			errs.Report("fields."+name, msgNotAField, validation.Params{"type": string(s.Type)})
		}
	}
	for _, f := range s.Fields {
		v, present := in[f.Name]
		if !present || v == nil {
			if f.Required {
				errs.Report("fields."+f.Name, msgFieldRequired, validation.Params{"doc": f.Doc})
			}
			continue
		}
		nv, problem := checkValue(f, v)
		if problem != nil {
			problem.Field = "fields." + f.Name
			errs = append(errs, *problem)
			continue
		}
		out[f.Name] = nv
	}
	// Rules across fields.
	if st, _ := out["request_status"].(string); st != "" && st != "new" && out["earlier_reference"] == nil {
		errs.Report("fields.earlier_reference", msgEarlierReference, nil)
	}
	if a, b := timeField(out, "time_range_start"), timeField(out, "time_range_end"); !a.IsZero() && !b.IsZero() && b.Before(a) {
		errs.Report("fields.time_range_end", msgTimeRange, nil)
	}
	return out, errs
}

func timeField(m map[string]any, name string) time.Time {
	s, _ := m[name].(string)
	t, _ := time.Parse(time.RFC3339Nano, s)
	return t
}

// Refusal grounds (Budapest Art. 27(4), 25(4); US–China MLAA Art. 3). A
// refusal names one and gives reasons (Art. 27(7)).
var Grounds = []string{
	"political_offence",
	"essential_interests", // sovereignty, security, ordre public or other essential interests
	"no_dual_criminality", // the conduct is not an offence in the requested party
	"military_offence",
	"not_in_conformity", // the request does not conform to the agreement
}
