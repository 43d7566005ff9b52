package storetest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/liaison-dev/liaison/internal/store"
)

func reqRow(id string, outgoing bool, created time.Time) store.RequestRow {
	return store.RequestRow{ID: id, Reference: "US-" + id, Type: "preservation", Priority: "routine", Requesting: "US", Requested: "CN",
		Outgoing: outgoing, VisibleTo: []string{}, CreatedBy: "user:a", Created: created, Content: []byte(`{"fields":{}}`),
		Status: "draft", Lamport: 1, Updated: created, State: []byte(`{}`)}
}

func testRequests(t *testing.T, s *store.SQL) {
	ctx := t.Context()
	a := reqRow("r1", true, t0)
	if err := s.InsertRequest(ctx, a); err != nil {
		t.Fatal(err)
	}
	if err := s.InsertRequest(ctx, a); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("duplicate request: %v", err)
	}
	got, err := s.GetRequest(ctx, "r1")
	if err != nil || got.Reference != "US-r1" || !got.Outgoing || !got.Created.Equal(t0) || string(got.Content) != `{"fields":{}}` || len(got.VisibleTo) != 0 {
		t.Fatalf("GetRequest = %+v, %v", got, err)
	}
	if _, err := s.GetRequest(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("missing request: %v", err)
	}
	a.Status, a.NextDue, a.Lamport, a.State, a.LinkedMLA = "sent", t0.Add(time.Hour), 3, []byte(`{"x":1}`), "mla1"
	if err := s.UpdateRequest(ctx, a); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.GetRequest(ctx, "r1"); got.Status != "sent" || !got.NextDue.Equal(t0.Add(time.Hour)) || got.Lamport != 3 || got.LinkedMLA != "mla1" {
		t.Fatalf("after update: %+v", got)
	}
	if err := s.UpdateRequest(ctx, reqRow("nope", true, t0)); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("update missing: %v", err)
	}

	// Incoming, confidential, visible to supervisors only; an urgent one
	// overdue; an exercise.
	b := reqRow("r2", false, t0.Add(time.Minute))
	b.Requesting, b.Requested, b.Confidential, b.VisibleTo, b.Status = "CN", "US", true, []string{"supervisor", "central_authority"}, "delivered"
	b.NextDue = t0.Add(30 * time.Minute)
	c := reqRow("r3", false, t0.Add(2*time.Minute))
	c.Requesting, c.Requested, c.Priority, c.Type, c.Status, c.Exercise = "EU", "US", "urgent", "subscriber", "acknowledged", true
	c.NextDue = t0.Add(3 * time.Hour)
	for _, r := range []store.RequestRow{b, c} {
		if err := s.InsertRequest(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	yes, no := true, false
	ids := func(f store.RequestFilter) string {
		t.Helper()
		l, err := s.ListRequests(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		out := ""
		for _, r := range l {
			out += r.ID + " "
		}
		return out
	}
	for _, tc := range []struct {
		name string
		f    store.RequestFilter
		want string
	}{
		{"all newest first", store.RequestFilter{}, "r3 r2 r1 "},
		{"status", store.RequestFilter{Statuses: []string{"sent", "delivered"}}, "r2 r1 "},
		{"type", store.RequestFilter{Type: "subscriber"}, "r3 "},
		{"priority", store.RequestFilter{Priority: "urgent"}, "r3 "},
		{"party either side", store.RequestFilter{Party: "CN"}, "r2 r1 "},
		{"outgoing", store.RequestFilter{Outgoing: &yes}, "r1 "},
		{"incoming", store.RequestFilter{Outgoing: &no}, "r3 r2 "},
		{"overdue at t0+2h", store.RequestFilter{DueBefore: t0.Add(2 * time.Hour)}, "r2 r1 "},
		{"due within 1h of t0", store.RequestFilter{DueBefore: t0.Add(time.Hour - time.Second)}, "r2 "},
		{"confidential hidden from officer", store.RequestFilter{Roles: []string{"liaison_officer"}}, "r3 r1 "},
		{"confidential shown to supervisor", store.RequestFilter{Roles: []string{"analyst", "supervisor"}}, "r3 r2 r1 "},
		{"no exercise", store.RequestFilter{Exercise: &no}, "r2 r1 "},
		{"limit", store.RequestFilter{Limit: 1}, "r3 "},
		{"page", store.RequestFilter{Before: t0.Add(2 * time.Minute)}, "r2 r1 "},
	} {
		if got := ids(tc.f); got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.name, got, tc.want)
		}
	}
}

func testRequestEvents(t *testing.T, s *store.SQL) {
	ctx := t.Context()
	if err := s.InsertRequest(ctx, reqRow("r1", true, t0)); err != nil {
		t.Fatal(err)
	}
	ev := func(id string, lamport int64, party string) store.RequestEvent {
		return store.RequestEvent{ID: id, RequestID: "r1", Lamport: lamport, Party: party, Action: "x", Actor: "user:a",
			At: t0, Body: []byte(`{}`), Recorded: t0}
	}
	// Inserted out of order; listed in (lamport, party, id) order.
	for _, e := range []store.RequestEvent{ev("e3", 2, "US"), ev("e1", 1, "US"), ev("e2", 2, "CN"), ev("e0", 2, "CN")} {
		if err := s.InsertRequestEvent(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.InsertRequestEvent(ctx, ev("e1", 9, "US")); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("duplicate event: %v", err)
	}
	l, err := s.ListRequestEvents(ctx, "r1")
	if err != nil {
		t.Fatal(err)
	}
	got := ""
	for _, e := range l {
		got += e.ID + " "
	}
	if got != "e1 e0 e2 e3 " || !l[0].At.Equal(t0) || string(l[0].Body) != "{}" {
		t.Fatalf("events in order %q (%+v)", got, l[0])
	}
	if err := s.InsertRequestEvent(ctx, store.RequestEvent{ID: "e9", RequestID: "none", Body: []byte("{}")}); err == nil {
		t.Fatal("event of an unknown request accepted")
	}
}

func testAttachmentsCustody(t *testing.T, s *store.SQL) {
	ctx := t.Context()
	if err := s.InsertRequest(ctx, reqRow("r1", true, t0)); err != nil {
		t.Fatal(err)
	}
	a := store.RequestAttachment{ID: "a1", RequestID: "r1", Name: "log.txt", Size: 12, SHA256: "ab", Path: "/x", AddedBy: "user:a", Added: t0}
	if err := s.InsertAttachment(ctx, a); err != nil {
		t.Fatal(err)
	}
	if got, err := s.GetAttachment(ctx, "a1"); err != nil || got.Path != "/x" || got.Size != 12 {
		t.Fatalf("GetAttachment = %+v, %v", got, err)
	}
	for i, act := range []string{"added", "sent", "downloaded"} {
		c, err := s.AppendCustody(ctx, store.CustodyEntry{AttachmentID: "a1", At: t0.Add(time.Duration(i) * time.Second), Actor: "user:a", Action: act})
		if err != nil || c.N != i+1 {
			t.Fatalf("AppendCustody %d = %+v, %v", i, c, err)
		}
	}
	l, err := s.ListCustody(ctx, "a1")
	if err != nil || len(l) != 3 || l[2].Action != "downloaded" || l[2].N != 3 {
		t.Fatalf("ListCustody = %+v, %v", l, err)
	}
	if _, err := s.DB().ExecContext(ctx, `UPDATE request_custody SET actor = 'mallory'`); err == nil {
		t.Fatal("custody rewritten")
	}
	if _, err := s.DB().ExecContext(ctx, `DELETE FROM request_custody`); err == nil {
		t.Fatal("custody deleted")
	}
	if l, _ := s.ListAttachments(ctx, "r1"); len(l) != 1 {
		t.Fatalf("ListAttachments = %v", l)
	}
}

func testEscalations(t *testing.T, s *store.SQL) {
	ctx := t.Context()
	if err := s.InsertRequest(ctx, reqRow("r1", true, t0)); err != nil {
		t.Fatal(err)
	}
	e := store.Escalation{RequestID: "r1", Phase: "acknowledge", Level: 1, At: t0, Due: t0}
	if err := s.InsertEscalation(ctx, e); err != nil {
		t.Fatal(err)
	}
	if err := s.InsertEscalation(ctx, e); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("second escalation: %v", err)
	}
	if l, err := s.ListEscalations(ctx, "r1"); err != nil || len(l) != 1 || !l[0].At.Equal(t0) {
		t.Fatalf("ListEscalations = %v, %v", l, err)
	}
}

func testHotline(t *testing.T, s *store.SQL) {
	ctx := t.Context()
	c := store.HotlineCall{ID: "c1", RequestID: "r1", Peer: "CN", Drill: true, Reason: "drill by w", ReasonCode: "hotline.reason_drill_out",
		ReasonParams: map[string]string{"actor": "w"}, Started: t0, AckDue: t0.Add(15 * time.Minute), NextLevel: t0.Add(15 * time.Minute)}
	c2 := c
	c2.ID, c2.Drill, c2.Started, c2.NextLevel, c2.ReasonCode, c2.ReasonParams = "c2", false, t0.Add(time.Minute), t0.Add(16*time.Minute), "", nil
	for _, x := range []store.HotlineCall{c, c2} {
		if err := s.InsertCall(ctx, x); err != nil {
			t.Fatal(err)
		}
	}
	if l, err := s.ListCalls(ctx, store.CallFilter{EscalateBy: t0.Add(15 * time.Minute)}); err != nil || len(l) != 1 || l[0].ID != "c1" {
		t.Fatalf("due escalations = %+v, %v", l, err)
	}
	c.Acked, c.AckedBy, c.Level = t0.Add(5*time.Minute), "user:w", 1
	if err := s.UpdateCall(ctx, c); err != nil {
		t.Fatal(err)
	}
	if got, err := s.GetCall(ctx, "c1"); err != nil || !got.Acked.Equal(t0.Add(5*time.Minute)) || got.Level != 1 || !got.Drill ||
		got.ReasonCode != "hotline.reason_drill_out" || got.ReasonParams["actor"] != "w" {
		t.Fatalf("GetCall = %+v, %v", got, err)
	}
	if got, err := s.GetCall(ctx, "c2"); err != nil || got.ReasonCode != "" || got.ReasonParams != nil {
		t.Fatalf("a call without a reason code = %+v, %v", got, err)
	}
	yes := true
	if l, _ := s.ListCalls(ctx, store.CallFilter{Open: true}); len(l) != 1 || l[0].ID != "c2" {
		t.Fatalf("open calls = %+v", l)
	}
	if l, _ := s.ListCalls(ctx, store.CallFilter{Drill: &yes, Peer: "CN"}); len(l) != 1 || l[0].ID != "c1" {
		t.Fatalf("drills = %+v", l)
	}

	for i := range 3 {
		n := store.Notice{ID: fmt.Sprint("n", i), CallID: "c1", Kind: "hotline.ring", Channel: "email", Target: "x@y", Subject: "s", Body: "b",
			Created: t0.Add(time.Duration(i) * time.Second), NextAttempt: t0.Add(time.Duration(i) * time.Minute)}
		if err := s.InsertNotice(ctx, n); err != nil {
			t.Fatal(err)
		}
	}
	due, err := s.DueNotices(ctx, t0.Add(time.Minute), 10)
	if err != nil || len(due) != 2 || due[0].ID != "n0" {
		t.Fatalf("DueNotices = %+v, %v", due, err)
	}
	if err := s.SetNoticeState(ctx, "n0", store.NoticeSent, 1, time.Time{}, t0.Add(time.Minute), ""); err != nil {
		t.Fatal(err)
	}
	if due, _ := s.DueNotices(ctx, t0.Add(time.Hour), 10); len(due) != 2 || due[0].ID != "n1" {
		t.Fatalf("after sent: %+v", due)
	}
	if l, _ := s.ListNotices(ctx, "c1", "", 10); len(l) != 3 || l[2].State != store.NoticeSent {
		t.Fatalf("ListNotices = %+v", l)
	}

	d := store.DrillSchedule{ID: "d1", Peer: "CN", Every: 7 * 24 * time.Hour, Next: t0, CreatedBy: "user:s", Created: t0}
	if err := s.UpsertDrillSchedule(ctx, d); err != nil {
		t.Fatal(err)
	}
	d.Next = t0.Add(d.Every)
	if err := s.UpsertDrillSchedule(ctx, d); err != nil {
		t.Fatal(err)
	}
	if l, err := s.ListDrillSchedules(ctx); err != nil || len(l) != 1 || !l[0].Next.Equal(t0.Add(d.Every)) || l[0].Every != d.Every {
		t.Fatalf("ListDrillSchedules = %+v, %v", l, err)
	}
	if err := s.DeleteDrillSchedule(ctx, "d1"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteDrillSchedule(ctx, "d1"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("delete twice: %v", err)
	}
}
