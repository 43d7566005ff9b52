package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/liaison-dev/liaison/internal/store"
)

// testExercise: runs are recorded and finished; purging a run deletes its
// exercise requests (with events, evidence, custody, escalations) and
// drill calls, and nothing real, even when a real object is listed.
func testExercise(t *testing.T, s *store.SQL) {
	ctx := t.Context()
	run := store.ExerciseRun{ID: "run1", Scenario: "bec", Title: "BEC", Parties: []string{"US", "CN"}, Started: t0}
	if err := s.InsertExerciseRun(ctx, run); err != nil {
		t.Fatal(err)
	}
	if err := s.InsertExerciseRun(ctx, run); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("duplicate run: %v", err)
	}
	run.Finished, run.Score, run.Summary, run.Report = t0.Add(time.Hour), 8750, []byte(`{"score":0.875}`), []byte("<html></html>")
	if err := s.UpdateExerciseRun(ctx, run); err != nil {
		t.Fatal(err)
	}
	if err := s.UpdateExerciseRun(ctx, store.ExerciseRun{ID: "none"}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("update missing run: %v", err)
	}
	got, err := s.GetExerciseRun(ctx, "run1")
	if err != nil || got.Score != 8750 || string(got.Report) != "<html></html>" || string(got.Summary) != `{"score":0.875}` ||
		!got.Finished.Equal(run.Finished) || len(got.Parties) != 2 || !got.Purged.IsZero() {
		t.Fatalf("GetExerciseRun = %+v, %v", got, err)
	}
	list, err := s.ListExerciseRuns(ctx, 0)
	if err != nil || len(list) != 1 || list[0].Report != nil {
		t.Fatalf("ListExerciseRuns = %+v, %v", list, err)
	}

	// One exercise request with an event, evidence and custody, an
	// escalation and a ringing call; one exercise drill call; one real
	// request and one real call that are wrongly listed too.
	ex := reqRow("rx", true, t0)
	ex.Exercise = true
	real := reqRow("rr", true, t0)
	for _, r := range []store.RequestRow{ex, real} {
		if err := s.InsertRequest(ctx, r); err != nil {
			t.Fatal(err)
		}
		if err := s.InsertRequestEvent(ctx, store.RequestEvent{ID: "e-" + r.ID, RequestID: r.ID, Lamport: 1, Party: "US", Action: "send",
			Actor: "user:a", At: t0, Body: []byte("{}"), Recorded: t0}); err != nil {
			t.Fatal(err)
		}
		if err := s.InsertAttachment(ctx, store.RequestAttachment{ID: "a-" + r.ID, RequestID: r.ID, Name: "f", Size: 1, SHA256: "00",
			Path: "/spool/" + r.ID, AddedBy: "user:a", Added: t0}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.AppendCustody(ctx, store.CustodyEntry{AttachmentID: "a-" + r.ID, At: t0, Actor: "user:a", Action: "added"}); err != nil {
			t.Fatal(err)
		}
		if err := s.InsertEscalation(ctx, store.Escalation{RequestID: r.ID, Phase: "acknowledge", Level: 1, At: t0, Due: t0}); err != nil {
			t.Fatal(err)
		}
	}
	calls := []store.HotlineCall{
		{ID: "c-rx", RequestID: "rx", Peer: "CN", Drill: true, Reason: "exercise request", Started: t0, AckDue: t0},
		{ID: "c-drill", Peer: "CN", Outgoing: true, Drill: true, Reason: "drill", Started: t0, AckDue: t0},
		{ID: "c-real", Peer: "CN", Reason: "real", Started: t0, AckDue: t0},
	}
	for _, c := range calls {
		if err := s.InsertCall(ctx, c); err != nil {
			t.Fatal(err)
		}
		if err := s.InsertNotice(ctx, store.Notice{ID: "n-" + c.ID, CallID: c.ID, RequestID: c.RequestID, Kind: "hotline.ring", Channel: "email",
			Target: "x@y", Subject: "s", Body: "b", Created: t0, NextAttempt: t0}); err != nil {
			t.Fatal(err)
		}
	}
	for _, o := range []store.ExerciseObject{{RunID: "run1", Kind: store.ExerciseRequest, ObjectID: "rx"}, {RunID: "run1", Kind: store.ExerciseRequest, ObjectID: "rr"},
		{RunID: "run1", Kind: store.ExerciseCall, ObjectID: "c-drill"}, {RunID: "run1", Kind: store.ExerciseCall, ObjectID: "c-real"}, {RunID: "run1", Kind: store.ExerciseCall, ObjectID: "c-drill"}} {
		if err := s.AddExerciseObject(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	if objs, err := s.ListExerciseObjects(ctx, "run1"); err != nil || len(objs) != 4 {
		t.Fatalf("ListExerciseObjects = %+v, %v", objs, err)
	}
	// Real custody stays append-only.
	if _, err := s.DB().ExecContext(ctx, `DELETE FROM request_custody WHERE attachment_id = 'a-rr'`); err == nil {
		t.Fatal("deleted the custody of real evidence")
	}

	res, err := s.PurgeExercise(ctx, "run1", t0.Add(2*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if res.Requests != 1 || res.Calls != 1 || res.Attachments != 1 || res.Kept != 2 || len(res.Files) != 1 || res.Files[0] != "/spool/rx" {
		t.Fatalf("PurgeExercise = %+v", res)
	}
	if _, err := s.GetRequest(ctx, "rx"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("exercise request still there: %v", err)
	}
	for _, id := range []string{"c-rx", "c-drill"} {
		if _, err := s.GetCall(ctx, id); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("exercise call %s still there: %v", id, err)
		}
	}
	// Real data untouched.
	if _, err := s.GetRequest(ctx, "rr"); err != nil {
		t.Fatal(err)
	}
	if evs, err := s.ListRequestEvents(ctx, "rr"); err != nil || len(evs) != 1 {
		t.Fatalf("real events = %v, %v", evs, err)
	}
	if cs, err := s.ListCustody(ctx, "a-rr"); err != nil || len(cs) != 1 {
		t.Fatalf("real custody = %v, %v", cs, err)
	}
	if es, err := s.ListEscalations(ctx, "rr"); err != nil || len(es) != 1 {
		t.Fatalf("real escalations = %v, %v", es, err)
	}
	if _, err := s.GetCall(ctx, "c-real"); err != nil {
		t.Fatal(err)
	}
	if ns, err := s.ListNotices(ctx, "c-real", "", 10); err != nil || len(ns) != 1 {
		t.Fatalf("real notices = %v, %v", ns, err)
	}
	if ns, err := s.ListNotices(ctx, "c-drill", "", 10); err != nil || len(ns) != 0 {
		t.Fatalf("drill notices = %v, %v", ns, err)
	}
	got, err = s.GetExerciseRun(ctx, "run1")
	if err != nil || !got.Purged.Equal(t0.Add(2*time.Hour)) {
		t.Fatalf("purged run = %+v, %v", got, err)
	}
	if _, err := s.PurgeExercise(ctx, "none", t0); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("purge missing run: %v", err)
	}
}
