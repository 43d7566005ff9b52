package request

import (
	"testing"
	"time"

	"github.com/liaison-dev/liaison/internal/config"
)

func cal(t *testing.T, zone string, holidays ...string) *Calendar {
	t.Helper()
	c, err := NewCalendar(zone, nil, holidays)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestBusinessDaysAcrossZones(t *testing.T) {
	ny, _ := time.LoadLocation("America/New_York")
	sh := cal(t, "Asia/Shanghai", "2026-10-01", "2026-10-02")
	cases := []struct {
		name string
		from time.Time
		n    int
		want time.Time
	}{
		// Friday 22:00 in New York is Saturday 11:00 in Shanghai: the
		// requested party's clock starts Monday, one business day ends
		// at the end of Monday in Shanghai (Monday 11:00 in New York).
		{"weekend in the requested zone", time.Date(2026, 11, 6, 22, 0, 0, 0, ny), 1, time.Date(2026, 11, 10, 0, 0, 0, 0, sh.Location)},
		// Thursday 10:00 Shanghai + 1 = Friday 10:00; + 2 = Monday 10:00.
		{"over a weekend", time.Date(2026, 11, 5, 10, 0, 0, 0, sh.Location), 2, time.Date(2026, 11, 9, 10, 0, 0, 0, sh.Location)},
		// National Day holidays: Wednesday 30 September + 1 = Monday 5 October
		// (1, 2 October holidays, 3, 4 the weekend).
		{"over holidays", time.Date(2026, 9, 30, 15, 0, 0, 0, sh.Location), 1, time.Date(2026, 10, 5, 15, 0, 0, 0, sh.Location)},
		{"zero days on a working day", time.Date(2026, 11, 5, 10, 0, 0, 0, sh.Location), 0, time.Date(2026, 11, 5, 10, 0, 0, 0, sh.Location)},
	}
	for _, tc := range cases {
		if got := sh.AddBusinessDays(tc.from, tc.n); !got.Equal(tc.want) {
			t.Errorf("%s: %s, want %s", tc.name, got.In(sh.Location), tc.want)
		}
	}
	// A Friday/Saturday weekend.
	gulf, err := NewCalendar("Asia/Dubai", []string{"friday", "saturday"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	thu := time.Date(2026, 11, 5, 9, 0, 0, 0, gulf.Location)
	if got := gulf.AddBusinessDays(thu, 1); got.In(gulf.Location).Weekday() != time.Sunday {
		t.Errorf("Thursday + 1 in Dubai is %s", got.In(gulf.Location).Weekday())
	}
}

func TestDefaultsAndOverrides(t *testing.T) {
	p, err := NewPolicy("Asia/Shanghai", config.Deadlines{Peers: map[string]map[string]config.DeadlineLimits{
		"US": {"subscriber": {Answer: "5d"}, "subscriber/urgent": {Acknowledge: "30m"}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		peer     string
		t        Type
		p        Priority
		ack, ans string
	}{
		{"EU", Preservation, Routine, "1h", "1d"},
		{"EU", MLA, Routine, "2bd", "30d"},
		{"EU", MLA, Emergency, "15m", "8h"},
		{"EU", Subscriber, Urgent, "1h", "10d"},
		{"US", Subscriber, Routine, "1bd", "5d"},
		{"US", Subscriber, Urgent, "30m", "5d"},
		{"EU", Spontaneous, Routine, "1bd", "none"},
	}
	for _, tc := range cases {
		l, _ := p.Limits(tc.peer, tc.t, tc.p)
		if l.Acknowledge.String() != tc.ack || l.Answer.String() != tc.ans {
			t.Errorf("%s %s/%s: %s, want acknowledge %s, answer %s", tc.peer, tc.t, tc.p, l, tc.ack, tc.ans)
		}
	}
	if _, err := NewPolicy("UTC", config.Deadlines{Peers: map[string]map[string]config.DeadlineLimits{"US": {"gossip": {Answer: "1d"}}}}); err == nil {
		t.Error("unknown type in overrides accepted")
	}
}

// TestClockPausesAndResumes runs a request on an injected timeline: the
// answer clock stops while more information is needed and resumes with
// the remaining time on reply.
func TestClockPausesAndResumes(t *testing.T) {
	c := content(Subscriber)
	pol := &Policy{Calendar: cal(t, "Asia/Shanghai")}
	delivered := t0 // Monday 09:00 Shanghai
	dd := pol.Deadlines(c, delivered)
	if !dd.AckDue.Equal(t0.Add(24*time.Hour)) || !dd.AnswerDue.Equal(t0.Add(10*24*time.Hour)) {
		t.Fatalf("deadlines %+v", dd)
	}
	ev := func(i int, party string, a Action, at time.Time, d EventData) Event {
		return Event{ID: string(rune('a'+i)) + "0000000000000000000000000000000", RequestID: c.ID, Lamport: int64(i + 1), Party: party, Action: a, At: at, Data: d}
	}
	evs := []Event{
		ev(0, "US", Send, t0.Add(-time.Minute), EventData{Content: c}),
		ev(1, "CN", Deliver, delivered, dd),
	}
	st, _ := Fold(c, evs)
	if ck := ClockAt(&st, t0.Add(25*time.Hour)); ck.Phase != "acknowledge" || !ck.Overdue {
		t.Fatalf("unacknowledged after 25h: %+v", ck)
	}
	evs = append(evs, ev(2, "CN", Acknowledge, t0.Add(2*time.Hour), EventData{}))
	evs = append(evs, ev(3, "CN", AskInfo, t0.Add(3*24*time.Hour), EventData{Note: "which port?"}))
	st, _ = Fold(c, evs)
	if ck := ClockAt(&st, t0.Add(20*24*time.Hour)); ck.Phase != "paused" || ck.Overdue || ck.Left != 7*24*time.Hour {
		t.Fatalf("paused clock: %+v", ck)
	}
	if !st.NextDue().IsZero() {
		t.Fatal("a paused request has a running deadline")
	}
	// The requester answers 5 days later: the answer is now due 5 days later.
	evs = append(evs, ev(4, "US", ProvideInfo, t0.Add(8*24*time.Hour), EventData{Note: "port 443"}))
	st, _ = Fold(c, evs)
	if want := t0.Add(15 * 24 * time.Hour); !st.AnswerDue().Equal(want) || !st.NextDue().Equal(want) {
		t.Fatalf("resumed: due %s, want %s", st.AnswerDue(), want)
	}
	evs = append(evs, ev(5, "CN", Answer, t0.Add(14*24*time.Hour), EventData{Completeness: "full", Answer: "subscriber X"}))
	st, _ = Fold(c, evs)
	ck := ClockAt(&st, t0.Add(30*24*time.Hour))
	if ck.Phase != "" || ck.AckOnTime == nil || !*ck.AckOnTime || ck.AnswerOnTime == nil || !*ck.AnswerOnTime {
		t.Fatalf("finished clock: %+v", ck)
	}
}

func TestBECWindowIsFixed(t *testing.T) {
	c := content(BECRecall) // transfer at 2026-11-02T01:00Z
	pol := &Policy{Calendar: cal(t, "UTC")}
	d := pol.Deadlines(c, t0.Add(70*time.Hour))
	if !d.AnswerFixed || !d.AnswerDue.Equal(t0.Add(72*time.Hour)) || !d.AckDue.Equal(t0.Add(71*time.Hour)) {
		t.Fatalf("BEC deadlines %+v", d)
	}
	late := pol.Deadlines(c, t0.Add(71*time.Hour+30*time.Minute))
	if !late.AckDue.Equal(late.AnswerDue) {
		t.Fatalf("ack due after the recall window: %+v", late)
	}
	st := State{Status: MoreInfo, AnswerBase: d.AnswerDue, AnswerFixed: true, Paused: 10 * time.Hour}
	if !st.AnswerDue().Equal(d.AnswerDue) {
		t.Fatal("pause stretched the recall window")
	}
}

// After a partial answer the rest is due by the same deadline: the clock
// keeps running, and goes overdue, until a full answer or the close.
func TestPartialAnswerKeepsTheClock(t *testing.T) {
	due := t0.Add(10 * 24 * time.Hour)
	st := State{Status: Answered, Completeness: "partial", Acknowledged: t0, Answered: t0.Add(24 * time.Hour), AnswerBase: due, AckDue: t0}
	if st.Phase() != "answer" || !st.NextDue().Equal(due) {
		t.Fatalf("partly answered: phase %q, due %v", st.Phase(), st.NextDue())
	}
	if ck := ClockAt(&st, due.Add(time.Hour)); ck.Phase != "answer" || !ck.Overdue {
		t.Fatalf("partly answered, past the deadline: %+v", ck)
	}
	for _, done := range []State{
		{Status: Answered, Completeness: "full", AnswerBase: due},
		{Status: Closed, Completeness: "partial", AnswerBase: due},
	} {
		if done.Phase() != "" || !done.NextDue().IsZero() {
			t.Fatalf("%s/%s: phase %q, due %v", done.Status, done.Completeness, done.Phase(), done.NextDue())
		}
	}
}

// An emergency recall keeps the emergency clocks while the 72-hour window
// is further away, and the window's end once it is nearer.
func TestEmergencyBECRecall(t *testing.T) {
	c := content(BECRecall) // transfer at 2026-11-02T01:00Z
	c.Priority = Emergency
	pol := &Policy{Calendar: cal(t, "UTC")}
	early := pol.Deadlines(c, t0.Add(time.Hour))
	if !early.AckDue.Equal(t0.Add(time.Hour+15*time.Minute)) || !early.AnswerDue.Equal(t0.Add(9*time.Hour)) || !early.AnswerFixed {
		t.Fatalf("emergency recall an hour after the transfer: %+v", early)
	}
	late := pol.Deadlines(c, t0.Add(68*time.Hour))
	if !late.AckDue.Equal(t0.Add(68*time.Hour+15*time.Minute)) || !late.AnswerDue.Equal(t0.Add(72*time.Hour)) {
		t.Fatalf("emergency recall 68 hours after the transfer: %+v", late)
	}
}

func TestEmergencyDeadlines(t *testing.T) {
	c := content(EmergencyDisclosure)
	d := (&Policy{Calendar: cal(t, "UTC")}).Deadlines(c, t0)
	if !d.AckDue.Equal(t0.Add(15*time.Minute)) || !d.AnswerDue.Equal(t0.Add(8*time.Hour)) {
		t.Fatalf("emergency %+v", d)
	}
}

func TestParseSpan(t *testing.T) {
	for in, want := range map[string]string{"15m": "15m", "8h": "8h", "48h": "2d", "10d": "10d", "2bd": "2bd"} {
		s, err := ParseSpan(in)
		if err != nil || s.String() != want {
			t.Errorf("%s: %v %v", in, s, err)
		}
	}
	for _, bad := range []string{"", "1w", "-1h", "1.5h", "bd"} {
		if _, err := ParseSpan(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// An MLA request is decided within 30 days; the decision to execute
// (start) sets the execution deadline, 90 days on, which the answer is
// then measured against.
func TestMLAExecutionClock(t *testing.T) {
	c := content(MLA)
	pol := &Policy{Calendar: cal(t, "UTC")}
	dd := pol.Deadlines(c, t0)
	ev := func(i int, party string, a Action, at time.Time, d EventData) Event {
		return Event{ID: string(rune('a'+i)) + "0000000000000000000000000000000", RequestID: c.ID, Lamport: int64(i + 1), Party: party, Action: a, At: at, Data: d}
	}
	decided := t0.Add(20 * 24 * time.Hour)
	exec := pol.ExecutionDue(decided)
	if !exec.Equal(decided.Add(90 * 24 * time.Hour)) {
		t.Fatalf("execution due %v", exec)
	}
	evs := []Event{
		ev(0, "US", Send, t0.Add(-time.Minute), EventData{Content: c}),
		ev(1, "CN", Deliver, t0, dd),
		ev(2, "CN", Acknowledge, t0.Add(time.Hour), EventData{}),
	}
	st, _ := Fold(c, evs)
	if want := t0.Add(30 * 24 * time.Hour); !st.NextDue().Equal(want) {
		t.Fatalf("decision due %v, want %v", st.NextDue(), want)
	}
	evs = append(evs, ev(3, "CN", Start, decided, EventData{AnswerDue: exec}))
	st, _ = Fold(c, evs)
	if st.Phase() != "answer" || !st.NextDue().Equal(exec) {
		t.Fatalf("after the decision: phase %q due %v, want %v", st.Phase(), st.NextDue(), exec)
	}
	evs = append(evs, ev(4, "CN", Answer, decided.Add(80*24*time.Hour), EventData{Completeness: "full", Answer: "evidence enclosed"}))
	st, _ = Fold(c, evs)
	if ck := ClockAt(&st, decided.Add(100*24*time.Hour)); ck.AnswerOnTime == nil || !*ck.AnswerOnTime {
		t.Fatalf("answered 80 days after the decision: %+v", ck)
	}
	// Only an MLA decision carries an execution deadline, and after itself.
	for _, tc := range []struct {
		typ Type
		due time.Time
	}{{Subscriber, decided.Add(time.Hour)}, {MLA, decided.Add(-time.Hour)}} {
		c := content(tc.typ)
		e := Event{Action: Start, At: decided, Data: EventData{AnswerDue: tc.due}}
		if errs := checkData(c, &State{Status: Acknowledged}, &e); len(errs) != 1 || errs[0].Field != "answer_due" {
			t.Errorf("%s start with answer_due %v: %v", tc.typ, tc.due, errs)
		}
	}
}
