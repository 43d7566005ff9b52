package progress

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/liaison-dev/liaison/internal/request"
	"github.com/liaison-dev/liaison/internal/store"
)

// metricsFixture writes the hand-made record of TestMetricsHandComputed.
// D is each request's delivery time, 10 s after it was sent.
func metricsFixture(t *testing.T, s *Service) {
	t.Helper()
	T := t0
	type req struct {
		id, from, to, typ, prio, content string
		exercise                         bool
		st                               request.State
	}
	d := func(sent time.Time) time.Time { return sent.Add(10 * time.Second) }
	st := func(sent time.Time, ackAfter, ackDue, answerAfter, answerBase time.Duration) request.State {
		D := d(sent)
		s := request.State{Status: request.Delivered, Sent: sent, Delivered: D, AckDue: D.Add(ackDue)}
		if ackAfter > 0 {
			s.Acknowledged = D.Add(ackAfter)
		}
		if answerBase > 0 {
			s.AnswerBase = D.Add(answerBase)
		}
		if answerAfter > 0 {
			s.Answered = D.Add(answerAfter)
		}
		return s
	}
	h := time.Hour
	r3 := st(T.Add(2*h), 2*h, 24*h, 0, 72*h)
	r3.Ground, r3.Reasons, r3.Finished, r3.Status = "essential_interests", "not in our interest", d(T.Add(2*h)).Add(3*h), request.Refused
	rs := []req{
		{"r1", "US", "CN", "preservation", "routine", `{}`, false, st(T, 1*h, 24*h, 48*h, 72*h)},
		{"r2", "US", "CN", "preservation", "routine", `{}`, false, st(T.Add(h), 30*h, 24*h, 96*h, 72*h)},
		{"r3", "US", "CN", "preservation", "routine", `{}`, false, r3},
		{"r4", "US", "CN", "subscriber", "urgent", `{}`, false, st(T.Add(3*h), 0, 4*h, 0, 0)},
		{"r5", "CN", "US", "mla", "routine", `{"crime_category":"Fraud"}`, false, st(T.Add(24*h), 10*time.Minute, 24*h, 0, 30*24*h)},
		{"r6", "US", "CN", "preservation", "routine", `{}`, true, st(T.Add(h), 1*h, 24*h, 2*h, 72*h)},          // exercise
		{"r7", "US", "CN", "preservation", "routine", `{}`, false, st(T.Add(-24*h), 1*h, 24*h, 2*h, 72*h)},     // before the period
		{"r8", "US", "CN", "preservation", "routine", `{}`, false, st(T.Add(9*24*h), 25*h, 24*h, 0, 0)},        // deadline after To
		{"r9", "US", "CN", "preservation", "routine", `{}`, false, request.State{Status: request.StatusDraft}}, // never sent
	}
	err := s.Store.InTx(t.Context(), func(q store.Queries) error {
		for _, r := range rs {
			b, _ := json.Marshal(r.st)
			if err := q.InsertRequest(t.Context(), store.RequestRow{ID: r.id, Reference: r.id, Type: r.typ, Priority: r.prio,
				Requesting: r.from, Requested: r.to, Outgoing: r.from == "US", Exercise: r.exercise, VisibleTo: []string{},
				CreatedBy: "t", Created: T, Content: []byte(r.content), Status: string(r.st.Status), Updated: T, State: b}); err != nil {
				return err
			}
		}
		calls := []store.HotlineCall{
			{ID: "c1", Peer: "CN", Outgoing: true, Drill: true, Started: T.Add(h), Acked: T.Add(h + 90*time.Second)},
			{ID: "c2", Peer: "CN", Outgoing: true, Drill: true, Started: T.Add(2 * h), Acked: T.Add(2*h + 30*time.Second)},
			{ID: "c3", Peer: "CN", Outgoing: true, Drill: true, Started: T.Add(3 * h)},
			{ID: "c4", Peer: "CN", Outgoing: false, Drill: true, Started: T.Add(4 * h), Acked: T.Add(4*h + time.Second)},
			{ID: "c5", Peer: "CN", Outgoing: false, Drill: true, RequestID: "r-exercise", Started: T.Add(5 * h)},
		}
		for _, c := range calls {
			c.AckDue = c.Started.Add(15 * time.Minute)
			if err := q.InsertCall(t.Context(), c); err != nil {
				return err
			}
		}
		for _, c := range []store.CaseRow{
			{ID: "k1", Origin: "US", Category: "ransomware", Status: "open", Created: T.Add(h), Updated: T.Add(h)},
			{ID: "k2", Origin: "US", Category: "ransomware", Status: "closed", Created: T.Add(2 * h), Updated: T.Add(48 * h)},
			{ID: "k3", Origin: "CN", Category: "fraud", Status: "closed", Created: T.Add(-48 * h), Updated: T.Add(5 * h)}, // opened before
			{ID: "k4", Origin: "US", Category: "fraud", Status: "open", Created: T.Add(h), Updated: T.Add(h), Exercise: true},
		} {
			c.Reference, c.Title, c.Parties, c.Agencies, c.State = c.ID, c.ID, []string{"US", "CN"}, []string{}, []byte("{}")
			if err := q.InsertCase(t.Context(), c); err != nil {
				return err
			}
		}
		for _, l := range []store.CaseLead{
			{ID: "l1", From: "US", To: "CN", Status: "accepted", Category: "fraud", Created: T.Add(h), Decided: T.Add(3 * h)},
			{ID: "l2", From: "US", To: "CN", Status: "declined", Category: "fraud", Created: T.Add(h), Decided: T.Add(4 * h)},
			{ID: "l3", From: "US", To: "CN", Status: "sent", Category: "fraud", Created: T.Add(2 * h)},
			{ID: "l4", From: "CN", To: "US", Status: "accepted", Category: "fraud", Created: T.Add(-24 * h), Decided: T.Add(h)}, // sent before
		} {
			l.Title, l.Body = l.ID, []byte("{}")
			if err := q.InsertLead(t.Context(), l); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestMetricsHandComputed(t *testing.T) {
	s := newService(t)
	s.Party = "US"
	metricsFixture(t, s)
	m, err := s.Metrics(t.Context(), t0, t0.Add(10*24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	// US→CN preservation routine: r1, r2, r3, r8 sent. Acknowledged before
	// To: r1 after 1 h, r2 after 30 h (late: due 24 h), r3 after 2 h; r8's
	// deadline and acknowledgement fall after To. Times 3600, 7200, 108000:
	// median (2nd of 3) 7200, p90 (3rd) 108000. Answered: r1 after 48 h (in
	// time, due 72 h), r2 after 96 h (late); r3 was refused, its answer
	// deadline passed: answer_due 3, in time 1. Answer times 172800,
	// 345600: median (1st of 2) 172800, p90 (2nd) 345600.
	pres := RequestFigures{From: "US", To: "CN", Type: "preservation", Priority: "routine", Category: Uncategorised,
		Sent: 4, Acknowledged: 3, AckDue: 3, AckOnTime: 2, AckShare: 0.6667, AckMedianS: 7200, AckP90S: 108000,
		Answered: 2, AnswerDue: 3, AnswerOnTime: 1, AnswerShare: 0.3333, AnswerMedianS: 172800, AnswerP90S: 345600,
		Refused: 1, RefusedBy: map[string]int{"essential_interests": 1}}
	// r4: never acknowledged, its 4 h deadline long past.
	subs := RequestFigures{From: "US", To: "CN", Type: "subscriber", Priority: "urgent", Category: Uncategorised, Sent: 1, AckDue: 1}
	// r5: acknowledged after 600 s; its answer deadline is after To.
	mla := RequestFigures{From: "CN", To: "US", Type: "mla", Priority: "routine", Category: "fraud", Sent: 1, Acknowledged: 1,
		AckDue: 1, AckOnTime: 1, AckShare: 1, AckMedianS: 600, AckP90S: 600}
	usDir := RequestFigures{From: "US", To: "CN", Sent: 5, Acknowledged: 3, AckDue: 4, AckOnTime: 2, AckShare: 0.5, AckMedianS: 7200,
		AckP90S: 108000, Answered: 2, AnswerDue: 3, AnswerOnTime: 1, AnswerShare: 0.3333, AnswerMedianS: 172800, AnswerP90S: 345600,
		Refused: 1, RefusedBy: map[string]int{"essential_interests": 1}}
	cnDir := mla
	cnDir.Type, cnDir.Priority, cnDir.Category = "", "", ""
	check := func(name string, got, want []RequestFigures) {
		t.Helper()
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s:\n got %+v\nwant %+v", name, got, want)
		}
	}
	check("directions", m.Directions, []RequestFigures{cnDir, usDir})
	check("requests", m.Requests, []RequestFigures{mla, pres, subs})
	// Drills US called: 90 s, 30 s, one unanswered; median (1st of 2) 30,
	// p90 (2nd) 90. CN called once, acknowledged after 1 s. c5 rang for a
	// request: not a drill.
	wantDrills := []DrillFigures{{From: "CN", To: "US", Drills: 1, Acked: 1, MedianS: 1, P90S: 1, MaxS: 1},
		{From: "US", To: "CN", Drills: 3, Acked: 2, MedianS: 30, P90S: 90, MaxS: 90}}
	if !reflect.DeepEqual(m.Drills, wantDrills) {
		t.Errorf("drills = %+v, want %+v", m.Drills, wantDrills)
	}
	wantCases := []CaseFigures{{Party: "CN", Category: "fraud", Closed: 1}, {Party: "US", Category: "ransomware", Opened: 2, Closed: 1}}
	if !reflect.DeepEqual(m.Cases, wantCases) {
		t.Errorf("cases = %+v, want %+v", m.Cases, wantCases)
	}
	wantLeads := []LeadFigures{{From: "CN", To: "US", Category: "fraud", Accepted: 1}, {From: "US", To: "CN", Category: "fraud", Sent: 3, Accepted: 1, Declined: 1}}
	if !reflect.DeepEqual(m.Leads, wantLeads) {
		t.Errorf("leads = %+v, want %+v", m.Leads, wantLeads)
	}
	// A period that ends before r2's acknowledgement (D+30 h): r2 is still
	// unacknowledged and late, so ack_due 3 with 2 in time, but only 2
	// acknowledged.
	m2, err := RequestMetrics(t.Context(), s.Store, t0, t0.Add(25*time.Hour+time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range m2.Requests {
		if f.Type == "preservation" && (f.Sent != 3 || f.Acknowledged != 2 || f.AckDue != 3 || f.AckOnTime != 2 || f.Answered != 0) {
			t.Errorf("as of D+26h: %+v", f)
		}
	}
}

func TestDecodeStateMatchesEncodingJSON(t *testing.T) {
	base := time.Date(2026, 1, 2, 3, 4, 5, 123456000, time.UTC)
	states := []request.State{
		{},
		{Status: request.Answered, Sent: base, Delivered: base.Add(time.Second), Acknowledged: base.Add(time.Hour), Answered: base.Add(48 * time.Hour),
			AckDue: base.Add(24 * time.Hour), AnswerBase: base.Add(72 * time.Hour), Paused: 90 * time.Minute, Policy: "default"},
		{Status: request.Refused, Sent: base, Ground: "essential_interests", Reasons: "a \"quoted\" reason\nwith lines", Finished: base, AnswerFixed: true},
		{Sent: base.In(time.FixedZone("x", 8*3600)), Ground: "political\u00e9"},
	}
	for i, s := range states {
		b, _ := json.Marshal(s)
		var want, got factState
		if err := json.Unmarshal(b, &want); err != nil {
			t.Fatal(err)
		}
		if err := decodeState(b, &got); err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%d: got %+v, want %+v", i, got, want)
		}
	}
	var st factState
	if err := decodeState([]byte(`{"sent": [1]}`), &st); err == nil {
		t.Error("a malformed state decodes")
	}
}

// The selection gives the values sorting gives, on every shape of data.
func TestMedianP90MatchesSorting(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	for _, n := range []int{1, 2, 3, 9, 10, 11, 15, 16, 17, 100, 1001, 50000} {
		for shape := range 5 {
			us := make([]int64, n)
			for i := range us {
				switch shape {
				case 0:
					us[i] = rng.Int64N(1 << 40)
				case 1:
					us[i] = int64(i)
				case 2:
					us[i] = int64(n - i)
				case 3:
					us[i] = rng.Int64N(3)
				case 4:
					us[i] = 42
				}
			}
			sorted := slices.Clone(us)
			wantM, wantP := percentile(sorted, 0.5), percentile(sorted, 0.9)
			if m, p := medianP90(us); m != wantM || p != wantP {
				t.Errorf("n=%d shape %d: %v %v, want %v %v", n, shape, m, p, wantM, wantP)
			}
		}
	}
}
