package request

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/liaison-dev/liaison/internal/validation"
)

// sample returns a valid value for f.
func sample(f Field) any {
	switch f.Kind {
	case Enum, EnumList:
		if f.Kind == Enum {
			return f.Values[0]
		}
		return []any{f.Values[0]}
	case List:
		return []any{"item one"}
	case Time:
		return "2026-11-02T09:00:00+08:00"
	case Email:
		return "officer@agency.example"
	case Phone:
		return "+1 202 555 0100"
	case Bool:
		return true
	case Amount:
		return 125000.5
	case Domain:
		return "Example.COM"
	case Zone:
		return "America/New_York"
	}
	if f.Max > 0 && f.Max < 10 {
		return "USD"
	}
	return "some " + f.Name
}

// ValidDraft returns a valid draft of type t to party "CN" with every
// field (required and optional) set.
func ValidDraft(t Type) Draft {
	s, _ := Lookup(t)
	d := Draft{Type: t, Priority: Routine, To: "CN", Title: "test " + string(t), Fields: map[string]any{}}
	if t == EmergencyDisclosure {
		d.Priority = Emergency
	}
	if t == Spontaneous {
		d.Conditions = []string{"purpose_only", "other: not for publication"}
	}
	for _, f := range s.Fields {
		d.Fields[f.Name] = sample(f)
	}
	d.Fields["request_status"] = "new"
	return d
}

func TestEveryTypeValidates(t *testing.T) {
	for _, typ := range Types() {
		t.Run(typ, func(t *testing.T) {
			d := ValidDraft(Type(typ))
			if err := d.Validate(); err != nil {
				t.Fatal(err)
			}
			// Required-only is valid too.
			s, _ := Lookup(Type(typ))
			min := ValidDraft(Type(typ))
			for _, f := range s.Fields {
				if !f.Required {
					delete(min.Fields, f.Name)
				}
			}
			if err := min.Validate(); err != nil {
				t.Fatalf("required fields only: %v", err)
			}
		})
	}
}

func fieldNames(t *testing.T, err error) []string {
	t.Helper()
	fe, ok := validation.As(err)
	if !ok {
		t.Fatalf("not field errors: %v", err)
	}
	var out []string
	for _, f := range fe {
		out = append(out, f.Field)
	}
	return out
}

// TestMissingFieldsAllNamed empties every type's draft: each required
// field is named, at once, and nothing else.
func TestMissingFieldsAllNamed(t *testing.T) {
	for _, s := range Schemas() {
		t.Run(string(s.Type), func(t *testing.T) {
			d := Draft{Type: s.Type, Priority: Routine, To: "CN", Title: "x", Fields: map[string]any{}}
			if s.Type == EmergencyDisclosure {
				d.Priority = Emergency
			}
			if s.Type == Spontaneous {
				d.Conditions = []string{"purpose_only"}
			}
			got := fieldNames(t, d.Validate())
			var want []string
			for _, f := range s.Fields {
				if f.Required {
					want = append(want, "fields."+f.Name)
				}
			}
			if !slices.Equal(got, want) {
				t.Fatalf("named %v\nwant  %v", got, want)
			}
		})
	}
}

func TestMalformedFieldsNamed(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(d *Draft)
		want   []string
	}{
		{"top level", func(d *Draft) { d.Type, d.Priority, d.To, d.Title = "telepathy", "whenever", "cn", "" }, []string{"type", "priority", "to", "title"}},
		{"emergency type needs emergency priority", func(d *Draft) { d.Type = EmergencyDisclosure; d.Fields = ValidDraft(EmergencyDisclosure).Fields }, []string{"priority"}},
		{"kinds", func(d *Draft) {
			d.Fields["requesting_email"] = "not an address"
			d.Fields["requesting_phone"] = "555-0100"
			d.Fields["time_zone"] = "Mars/Olympus"
			d.Fields["offences"] = "one"
			d.Fields["mla_to_follow"] = false
			d.Fields["preferred_channel"] = "pigeon"
			d.Fields["summary"] = 7
		}, []string{"fields.requesting_email", "fields.requesting_phone", "fields.time_zone", "fields.preferred_channel", "fields.offences", "fields.summary", "fields.mla_to_follow"}},
		{"unknown field", func(d *Draft) { d.Fields["colour"] = "red" }, []string{"fields.colour"}},
		{"follow-up needs earlier reference", func(d *Draft) { d.Fields["request_status"] = "follow_up" }, []string{"fields.earlier_reference"}},
		{"confidential needs roles", func(d *Draft) { d.Confidential = true; d.VisibleTo = []string{"king"} }, []string{"visible_to"}},
		{"bad condition", func(d *Draft) { d.Conditions = []string{"be nice"} }, []string{"conditions"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := ValidDraft(Preservation)
			delete(d.Fields, "earlier_reference")
			tc.mutate(&d)
			if got := fieldNames(t, d.Validate()); !slices.Equal(got, tc.want) {
				t.Fatalf("named %v, want %v", got, tc.want)
			}
		})
	}
}

func TestValidationNormalises(t *testing.T) {
	d := ValidDraft(DomainRegistration)
	d.Fields["time_zone"] = "Asia/Shanghai"
	if err := d.Validate(); err != nil {
		t.Fatal(err)
	}
	if d.Fields["domain_name"] != "example.com" {
		t.Errorf("domain %v", d.Fields["domain_name"])
	}
	b := ValidDraft(BECRecall)
	if err := b.Validate(); err != nil {
		t.Fatal(err)
	}
	if b.Fields["transfer_time"] != "2026-11-02T01:00:00Z" || b.Fields["amount"] != "125000.5" {
		t.Errorf("normalised %v %v", b.Fields["transfer_time"], b.Fields["amount"])
	}
}

func TestDecodeDraft(t *testing.T) {
	good, _ := json.Marshal(ValidDraft(MLA))
	if _, err := DecodeDraft(good); err != nil {
		t.Fatal(err)
	}
	for body, field := range map[string]string{
		`{"type":"mla","surprise":1}`: "surprise",
		`{"type":7}`:                  "type",
		`{"type":"mla"`:               "(body)",
		`{} {}`:                       "(body)",
	} {
		_, err := DecodeDraft([]byte(body))
		if got := fieldNames(t, err); len(got) == 0 || got[0] != field {
			t.Errorf("%s: named %v, want %s", body, got, field)
		}
	}
}

func TestJSONSchemaFromDeclaration(t *testing.T) {
	for _, s := range Schemas() {
		js := s.JSONSchema()
		props := js["properties"].(map[string]any)
		if len(props) != len(s.Fields) {
			t.Errorf("%s: %d properties for %d fields", s.Type, len(props), len(s.Fields))
		}
		req := js["required"].([]string)
		if !slices.Contains(req, "summary") {
			t.Errorf("%s: summary not required", s.Type)
		}
	}
}

func FuzzDecodeRequest(f *testing.F) {
	for _, typ := range Types() {
		b, _ := json.Marshal(ValidDraft(Type(typ)))
		f.Add(b)
	}
	f.Add([]byte(`{"type":"mla","fields":{"offences":[1,2,{}],"amount":-1}}`))
	f.Add([]byte(`{"fields":null}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := DecodeDraft(b)
		if err != nil {
			if _, ok := validation.As(err); !ok {
				t.Fatalf("not a field error: %v", err)
			}
			return
		}
		// A draft that validated validates again, unchanged.
		again, _ := json.Marshal(d)
		if _, err := DecodeDraft(again); err != nil {
			t.Fatalf("valid draft %s re-encoded invalid: %v", again, err)
		}
	})
}

func FuzzDecodeEvent(f *testing.F) {
	c := ValidDraft(Information)
	content := Content{ID: strings.Repeat("a", 32), Type: c.Type, Priority: c.Priority, Requesting: "US", Requested: "CN", Title: c.Title, Fields: c.Fields}
	b, _ := json.Marshal(wire{Event: Event{ID: strings.Repeat("b", 32), RequestID: content.ID, Lamport: 1, Party: "US", Action: Send, Data: EventData{Content: &content}}})
	f.Add(b)
	f.Add([]byte(`{"event":{"action":"answer","lamport":-1}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := DecodeEvent(b)
		if err != nil {
			return
		}
		if _, ok := rules[e.Action]; !ok || e.At.IsZero() {
			t.Fatalf("accepted %+v", e)
		}
		// Folding any accepted event never panics.
		cc := content
		cc.ID = e.RequestID
		Fold(&cc, []Event{e})
	})
}
