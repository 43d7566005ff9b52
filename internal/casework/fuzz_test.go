package casework

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func validEvents() []byte {
	h := Handling{TLP: "TLP:GREEN", Source: "B", Credibility: 2, Conditions: []string{}}
	id := strings.Repeat("a", 32)
	at := time.Date(2026, 11, 25, 8, 0, 0, 0, time.UTC)
	evs := []Event{
		{ID: strings.Repeat("1", 32), CaseID: id, Lamport: 1, Party: "US", Actor: "user:x", At: at, Kind: KindOpen,
			Header: &Header{Reference: "US-C-1", Title: "t", Category: CSAM, Status: Open, Parties: []string{"US", "CN"}, Handling: h}},
		{ID: strings.Repeat("2", 32), CaseID: id, Lamport: 2, Party: "US", Actor: "user:x", At: at, Kind: KindItem,
			Item: &Item{ID: strings.Repeat("3", 32), Kind: Hash, Algo: "md5", Value: strings.Repeat("f", 32), Originator: "US", Recipients: []string{"US", "CN"}, Handling: h}},
	}
	b, _ := json.Marshal(wire{Events: evs})
	return b
}

func TestDecodeEvents(t *testing.T) {
	if _, err := DecodeEvents(validEvents(), ""); err != nil {
		t.Fatal(err)
	}
	for name, mutate := range map[string]func(string) string{
		"media in a CSAM case": func(s string) string {
			return strings.Replace(s, `"kind":"hash","value"`, `"kind":"attachment","value"`, 1)
		},
		"bad TLP":        func(s string) string { return strings.Replace(s, `TLP:GREEN`, `TLP:PURPLE`, 1) },
		"bad evaluation": func(s string) string { return strings.Replace(s, `"source":"B"`, `"source":"Z"`, 1) },
		"unknown field":  func(s string) string { return strings.Replace(s, `"lamport":1`, `"lamport":1,"x":1`, 1) },
		"two bodies": func(s string) string {
			return strings.Replace(s, `"kind":"open",`, `"kind":"open","hop":{"role":"beneficiary","bank":"b"},`, 1)
		},
		"short hash": func(s string) string { return strings.Replace(s, strings.Repeat("f", 32), "ff", 1) },
	} {
		if _, err := DecodeEvents([]byte(mutate(string(validEvents()))), ""); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func FuzzDecodeEvents(f *testing.F) {
	f.Add(validEvents())
	f.Add([]byte(`{"events":[]}`))
	f.Add([]byte(`{"events":[{"kind":"item","item":{"kind":"hash","algo":"photodna"}}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		evs, err := DecodeEvents(b, "")
		if err != nil {
			return
		}
		// Whatever decodes folds without panicking and re-encodes to
		// something that decodes again.
		Fold(evs)
		again, _ := json.Marshal(wire{Events: evs})
		if _, err := DecodeEvents(again, ""); err != nil {
			t.Fatalf("re-encoded events do not decode: %v\n%s", err, again)
		}
	})
}

func validLead() []byte {
	l := Lead{ID: strings.Repeat("b", 32), From: "CN", To: "US", Title: "kit", Category: BEC, What: "phishing kit seller",
		Indicators: []Item{{ID: strings.Repeat("c", 32), Kind: EmailAddr, Value: "kit@mail.example"}},
		Evidence:   []string{"US-20261125-ABCDEF"}, Handling: Handling{TLP: "TLP:AMBER", Source: "C", Credibility: 3}, Actor: "user:y",
		Created: time.Date(2026, 11, 25, 8, 0, 0, 0, time.UTC)}
	b, _ := json.Marshal(leadWire{Lead: l})
	return b
}

func TestDecodeLead(t *testing.T) {
	l, err := DecodeLead(validLead())
	if err != nil {
		t.Fatal(err)
	}
	if l.Indicators[0].Originator != "CN" || l.Indicators[0].Handling.TLP != "TLP:AMBER" {
		t.Fatalf("lead indicators not bound to the lead: %+v", l.Indicators[0])
	}
	for _, bad := range []string{
		strings.Replace(string(validLead()), `"to":"US"`, `"to":"CN"`, 1),
		strings.Replace(string(validLead()), `"category":"bec"`, `"category":"piracy"`, 1),
		strings.Replace(string(validLead()), `"credibility":3`, `"credibility":9`, 1),
		`{"lead":{}} {}`,
	} {
		if _, err := DecodeLead([]byte(bad)); err == nil {
			t.Errorf("accepted: %s", bad)
		}
	}
}

func FuzzDecodeLead(f *testing.F) {
	f.Add(validLead())
	f.Add([]byte(`{"lead":{"indicators":[{"kind":"wallet","value":"0xABC"}]}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		l, err := DecodeLead(b)
		if err != nil {
			return
		}
		again, _ := json.Marshal(leadWire{Lead: l})
		if _, err := DecodeLead(again); err != nil {
			t.Fatalf("re-encoded lead does not decode: %v", err)
		}
	})
}

func FuzzDecodeDecision(f *testing.F) {
	f.Add([]byte(`{"lead_id":"` + strings.Repeat("d", 32) + `","accepted":false,"reason":"no","actor":"a","at":"2026-11-25T08:00:00Z"}`))
	f.Fuzz(func(t *testing.T, b []byte) { DecodeDecision(b) })
}
