package storetest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/liaison-dev/liaison/internal/store"
)

func caseRow(id string, updated time.Time) store.CaseRow {
	return store.CaseRow{ID: id, Reference: "US-C-" + id, Origin: "US", Category: "bec", Status: "open", Title: "case " + id,
		Parties: []string{"US", "CN"}, Agencies: []string{}, Search: "case " + id + " wire fraud", Lamport: 1, Created: t0,
		Updated: updated, State: []byte(`{}`)}
}

func testCases(t *testing.T, s *store.SQL) {
	ctx := t.Context()
	a := caseRow("c1", t0)
	if err := s.InsertCase(ctx, a); err != nil {
		t.Fatal(err)
	}
	if err := s.InsertCase(ctx, a); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("duplicate case: %v", err)
	}
	got, err := s.GetCase(ctx, "c1")
	if err != nil || got.Reference != "US-C-c1" || fmt.Sprint(got.Parties) != "[US CN]" || len(got.Agencies) != 0 || !got.Created.Equal(t0) {
		t.Fatalf("GetCase = %+v, %v", got, err)
	}
	if _, err := s.GetCase(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("missing case: %v", err)
	}
	a.Status, a.Parties, a.Agencies, a.Lamport, a.Updated, a.State = "closed", []string{"US", "CN", "EU"}, []string{"FBI"}, 4, t0.Add(time.Hour), []byte(`{"x":1}`)
	if err := s.UpdateCase(ctx, a); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.GetCase(ctx, "c1"); got.Status != "closed" || len(got.Parties) != 3 || got.Lamport != 4 || string(got.State) != `{"x":1}` {
		t.Fatalf("after update: %+v", got)
	}
	if err := s.UpdateCase(ctx, caseRow("nope", t0)); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("update missing: %v", err)
	}
	b := caseRow("c2", t0.Add(2*time.Hour))
	b.Category, b.Search, b.Parties = "csam", "hash sharing 100%_real", []string{"US", "EU"}
	if err := s.InsertCase(ctx, b); err != nil {
		t.Fatal(err)
	}
	ids := func(f store.CaseFilter) string {
		t.Helper()
		l, err := s.ListCases(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		out := ""
		for _, c := range l {
			out += c.ID + " "
		}
		return out
	}
	for _, tc := range []struct {
		f    store.CaseFilter
		want string
	}{
		{store.CaseFilter{}, "c2 c1 "},
		{store.CaseFilter{Category: "bec"}, "c1 "},
		{store.CaseFilter{Status: "open"}, "c2 "},
		{store.CaseFilter{Party: "EU"}, "c2 c1 "},
		{store.CaseFilter{Party: "CN"}, "c1 "},
		{store.CaseFilter{Party: "U"}, ""},
		{store.CaseFilter{Agency: "FBI"}, "c2 c1 "},
		{store.CaseFilter{Agency: "CISA"}, "c2 "},
		{store.CaseFilter{Text: "WIRE fraud"}, "c1 "},
		{store.CaseFilter{Text: "wire hash"}, ""},
		{store.CaseFilter{Text: "100%"}, "c2 "},
		{store.CaseFilter{Text: "%"}, "c2 "},
		{store.CaseFilter{Text: "_"}, "c2 "},
		{store.CaseFilter{Limit: 1}, "c2 "},
	} {
		if got := ids(tc.f); got != tc.want {
			t.Errorf("ListCases(%+v) = %q, want %q", tc.f, got, tc.want)
		}
	}

	// Timeline.
	ev := func(id string, lamport int64, party string) store.CaseEvent {
		return store.CaseEvent{ID: id, CaseID: "c1", Lamport: lamport, Party: party, Kind: "item", Actor: "user:a", At: t0,
			Body: []byte(`{"id":"` + id + `"}`), EnvelopeID: "env-" + id, Recorded: t0}
	}
	for _, e := range []store.CaseEvent{ev("e3", 2, "US"), ev("e1", 1, "US"), ev("e2", 2, "CN")} {
		if err := s.InsertCaseEvent(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.InsertCaseEvent(ctx, ev("e1", 1, "US")); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("duplicate event: %v", err)
	}
	evs, err := s.ListCaseEvents(ctx, "c1")
	if err != nil || len(evs) != 3 || evs[0].ID != "e1" || evs[1].ID != "e2" || evs[2].ID != "e3" || string(evs[0].Body) != `{"id":"e1"}` || !evs[0].At.Equal(t0) {
		t.Fatalf("ListCaseEvents = %+v, %v", evs, err)
	}
	if err := s.InsertCaseEvent(ctx, store.CaseEvent{ID: "x", CaseID: "nope", Lamport: 1}); err == nil {
		t.Fatal("event of an unknown case accepted")
	}
}

func testCaseKeys(t *testing.T, s *store.SQL) {
	ctx := t.Context()
	for _, id := range []string{"c1", "c2", "c3"} {
		if err := s.InsertCase(ctx, caseRow(id, t0)); err != nil {
			t.Fatal(err)
		}
	}
	put := func(kind, value, caseID, item string, tlp int, onward bool) {
		t.Helper()
		for range 2 { // idempotent
			if err := s.PutCaseKey(ctx, store.CaseKey{Kind: kind, Value: value, CaseID: caseID, ItemID: item, Originator: "US", TLP: tlp, Onward: onward}); err != nil {
				t.Fatal(err)
			}
		}
	}
	put("wallet", "bc1qxyz", "c1", "i1", 1, true)
	put("email", "ceo@example.com", "c1", "i2", 2, false)
	put("wallet", "bc1qxyz", "c2", "i3", 4, false)
	put("email", "ceo@example.com", "c3", "i4", 1, true)
	put("account", "de89370400440532013000", "c3", "i5", 1, true)
	m, err := s.CaseKeyMatches(ctx, "c1")
	if err != nil || len(m) != 2 {
		t.Fatalf("CaseKeyMatches = %+v, %v", m, err)
	}
	if m[0].Mine.Kind != "email" || m[0].Other.CaseID != "c3" || m[1].Other.CaseID != "c2" || m[1].Other.TLP != 4 || m[1].Other.Onward || !m[0].Other.Onward {
		t.Fatalf("matches: %+v", m)
	}
	if m, _ := s.CaseKeyMatches(ctx, "c2"); len(m) != 1 || m[0].Other.CaseID != "c1" {
		t.Fatalf("c2 matches: %+v", m)
	}
	k, err := s.FindCaseKeys(ctx, "wallet", "bc1qxyz")
	if err != nil || len(k) != 2 || k[0].CaseID != "c1" || k[1].ItemID != "i3" {
		t.Fatalf("FindCaseKeys = %+v, %v", k, err)
	}
}

func testCaseLeads(t *testing.T, s *store.SQL) {
	ctx := t.Context()
	l := store.CaseLead{ID: "l1", From: "CN", To: "US", Status: "sent", Title: "mule accounts", Category: "bec", Body: []byte(`{}`), Created: t0}
	if err := s.InsertLead(ctx, l); err != nil {
		t.Fatal(err)
	}
	if err := s.InsertLead(ctx, l); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("duplicate lead: %v", err)
	}
	o := store.CaseLead{ID: "l2", CaseID: "c9", From: "US", To: "EU", Outgoing: true, Status: "sent", Title: "t", Category: "csam", Body: []byte(`{}`), Created: t0.Add(time.Hour)}
	if err := s.InsertLead(ctx, o); err != nil {
		t.Fatal(err)
	}
	l.Status, l.CaseID, l.Decided, l.DecidedBy = "accepted", "c1", t0.Add(time.Minute), "user:x"
	if err := s.UpdateLead(ctx, l); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetLead(ctx, "l1")
	if err != nil || got.Status != "accepted" || got.CaseID != "c1" || !got.Decided.Equal(t0.Add(time.Minute)) || got.Outgoing {
		t.Fatalf("GetLead = %+v, %v", got, err)
	}
	if err := s.UpdateLead(ctx, store.CaseLead{ID: "nope"}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("update missing lead: %v", err)
	}
	yes := true
	for _, tc := range []struct {
		f    store.LeadFilter
		want int
	}{
		{store.LeadFilter{}, 2}, {store.LeadFilter{Status: "accepted"}, 1}, {store.LeadFilter{Outgoing: &yes}, 1},
		{store.LeadFilter{From: t0.Add(time.Minute)}, 1}, {store.LeadFilter{To: t0.Add(time.Minute)}, 1},
	} {
		if l, err := s.ListLeads(ctx, tc.f); err != nil || len(l) != tc.want {
			t.Errorf("ListLeads(%+v) = %d, %v; want %d", tc.f, len(l), err, tc.want)
		}
	}
	if l, _ := s.ListLeads(ctx, store.LeadFilter{}); l[0].ID != "l2" {
		t.Errorf("leads not newest first: %+v", l)
	}

	// Attachments.
	if err := s.InsertCase(ctx, caseRow("c1", t0)); err != nil {
		t.Fatal(err)
	}
	a := store.CaseAttachment{ID: "a1", CaseID: "c1", ItemID: "i1", Name: "headers.eml", Size: 10, SHA256: "ab", Path: "/x", AddedBy: "user:a", Added: t0}
	if err := s.InsertCaseAttachment(ctx, a); err != nil {
		t.Fatal(err)
	}
	if got, err := s.GetCaseAttachment(ctx, "a1"); err != nil || got != a {
		t.Fatalf("GetCaseAttachment = %+v, %v", got, err)
	}
	if l, err := s.ListCaseAttachments(ctx, "c1"); err != nil || len(l) != 1 {
		t.Fatalf("ListCaseAttachments = %+v, %v", l, err)
	}
	if err := s.InsertCaseAttachment(ctx, store.CaseAttachment{ID: "a2", CaseID: "nope"}); err == nil {
		t.Fatal("attachment of an unknown case accepted")
	}
}
