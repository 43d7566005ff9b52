package request

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/liaison-dev/liaison/internal/auth"
)

var t0 = time.Date(2026, 11, 2, 1, 0, 0, 0, time.UTC) // Monday 09:00 in Shanghai

func content(t Type) *Content {
	d := ValidDraft(t)
	d.Validate()
	return &Content{ID: fmt.Sprintf("%032x", len(t)), Type: t, Priority: d.Priority, Requesting: "US", Requested: "CN", Title: d.Title,
		Conditions: d.Conditions, Fields: d.Fields, Created: t0}
}

// timeline builds events a party takes in turn, each a minute apart.
type timeline struct {
	c   *Content
	evs []Event
	at  time.Time
}

func (tl *timeline) do(party string, a Action, d EventData) {
	st, _ := Fold(tl.c, tl.evs)
	tl.at = tl.at.Add(time.Minute)
	if a == Send {
		d.Content = tl.c
	}
	if a == Deliver {
		d.AckDue, d.AnswerDue = tl.at.Add(time.Hour), tl.at.Add(24*time.Hour)
	}
	tl.evs = append(tl.evs, Event{ID: fmt.Sprintf("%032x", len(tl.evs)+1), RequestID: tl.c.ID, Lamport: st.Lamport + 1, Party: party, Action: a, At: tl.at, Data: d})
}

func (tl *timeline) state() State { st, _ := Fold(tl.c, tl.evs); return st }

// happy is each type's path from draft to closed.
func happy(t Type) []struct {
	party string
	a     Action
	d     EventData
	want  Status
} {
	type step = struct {
		party string
		a     Action
		d     EventData
		want  Status
	}
	steps := []step{{"US", Send, EventData{}, Sent}, {"CN", Deliver, EventData{}, Delivered}}
	if t == Spontaneous {
		return append(steps, step{"CN", AcceptConditions, EventData{}, Acknowledged}, step{"US", Close, EventData{}, Closed})
	}
	answer := EventData{Completeness: "full", Answer: "here it is"}
	if t == Preservation {
		answer.PreservedUntil = t0.Add(90 * 24 * time.Hour)
	}
	return append(steps,
		step{"CN", Acknowledge, EventData{}, Acknowledged},
		step{"CN", Start, EventData{}, InProgress},
		step{"CN", AskInfo, EventData{Note: "which account?"}, MoreInfo},
		step{"US", ProvideInfo, EventData{Note: "account 42"}, InProgress},
		step{"CN", Postpone, EventData{Note: "would prejudice our case"}, Postponed},
		step{"CN", Resume, EventData{}, InProgress},
		step{"CN", Answer, answer, Answered},
		step{"US", Close, EventData{}, Closed})
}

// TestLifecycleEveryType walks every type through its path, checking the
// status after each event and that the timeline has no void event.
func TestLifecycleEveryType(t *testing.T) {
	for _, typ := range Types() {
		t.Run(typ, func(t *testing.T) {
			tl := &timeline{c: content(Type(typ)), at: t0}
			for i, s := range happy(Type(typ)) {
				tl.do(s.party, s.a, s.d)
				st, evs := Fold(tl.c, tl.evs)
				if st.Status != s.want {
					t.Fatalf("step %d %s by %s: status %s, want %s (void: %q)", i, s.a, s.party, st.Status, s.want, evs[len(evs)-1].Void)
				}
			}
			st := tl.state()
			if st.Finished.IsZero() || st.Sent.IsZero() || st.Delivered.IsZero() || st.Acknowledged.IsZero() {
				t.Fatalf("times not recorded: %+v", st)
			}
			if typ != string(Spontaneous) && st.Paused != 2*time.Minute {
				// ask_info→provide_info and postpone→resume: a minute each.
				t.Fatalf("paused %v, want 2m", st.Paused)
			}
			if typ == string(Preservation) && st.PreservedUntil.IsZero() {
				t.Fatal("preserved until not recorded")
			}
		})
	}
}

func TestRefusalAndWithdrawal(t *testing.T) {
	tl := &timeline{c: content(Subscriber), at: t0}
	tl.do("US", Send, EventData{})
	tl.do("CN", Deliver, EventData{})
	tl.do("CN", Refuse, EventData{Ground: "sovereignty"}) // not a ground: void
	if st, evs := Fold(tl.c, tl.evs); st.Status != Delivered || evs[2].Void == "" {
		t.Fatalf("refusal without a valid ground applied: %s %q", st.Status, evs[2].Void)
	}
	tl.do("CN", Refuse, EventData{Ground: "no_dual_criminality", Reasons: "not an offence here"})
	if st := tl.state(); st.Status != Refused || st.Ground != "no_dual_criminality" {
		t.Fatalf("refuse: %+v", st)
	}
	tl.do("US", Close, EventData{})
	if st := tl.state(); st.Status != Closed {
		t.Fatalf("close after refusal: %s", st.Status)
	}

	w := &timeline{c: content(Information), at: t0}
	w.do("US", Send, EventData{})
	w.do("US", Withdraw, EventData{Note: "solved"})
	w.do("CN", Deliver, EventData{}) // arrives after the withdrawal: void
	st, evs := Fold(w.c, w.evs)
	if st.Status != Withdrawn || evs[2].Void == "" {
		t.Fatalf("withdraw: %s, deliver void %q", st.Status, evs[2].Void)
	}
}

// TestSides: every action is refused to the wrong side, naming the allowed.
func TestSides(t *testing.T) {
	c := content(Preservation)
	st := State{Status: Delivered}
	for a, r := range rules {
		wrong := Requesting
		if r.side == Requesting {
			wrong = Requested
		}
		if check(c, &st, wrong, a).Detail == "" {
			t.Errorf("%s allowed to the %s side", a, wrong)
		}
	}
	if got := Allowed(c, &st, Requested); !slices.Equal(got, []Action{Acknowledge, Refuse}) {
		t.Errorf("requested side may %v after delivery", got)
	}
	if got := Allowed(c, &st, Requesting); !slices.Equal(got, []Action{Link, Withdraw}) {
		t.Errorf("requesting side may %v after delivery", got)
	}
}

// TestRoles: MLA is the central authority's alone; everything else is
// the 24/7 desk's (officers, supervisors).
func TestRoles(t *testing.T) {
	for _, typ := range Types() {
		for _, role := range auth.Roles {
			got := CanAct(Type(typ), []string{string(role)})
			want := role == auth.Officer || role == auth.Supervisor
			if Type(typ) == MLA {
				want = role == auth.CentralAuthority
			}
			if got != want {
				t.Errorf("%s by %s: %v, want %v", typ, role, got, want)
			}
		}
	}
}

func TestTransitionErrorListsAllowed(t *testing.T) {
	err := error(&TransitionError{Action: Answer, Status: Delivered, Why: "not from delivered", Allowed: []Action{Acknowledge, Refuse}})
	if !errors.Is(err, ErrTransition) || err.Error() != "cannot answer a request that is delivered: not from delivered; allowed now: acknowledge, refuse" {
		t.Fatal(err)
	}
}

// TestFoldOrderIndependent: both nodes may receive the same events in any
// order (their own first); the fold is the same.
func TestFoldOrderIndependent(t *testing.T) {
	tl := &timeline{c: content(Information), at: t0}
	tl.do("US", Send, EventData{})
	tl.do("CN", Deliver, EventData{})
	tl.do("CN", Acknowledge, EventData{})
	// Concurrent: CN answers while US withdraws, both at the same Lamport time.
	st := tl.state()
	ans := Event{ID: fmt.Sprintf("%032x", 100), RequestID: tl.c.ID, Lamport: st.Lamport + 1, Party: "CN", Action: Answer, At: tl.at.Add(time.Second),
		Data: EventData{Completeness: "partial", Answer: "part"}}
	wd := Event{ID: fmt.Sprintf("%032x", 101), RequestID: tl.c.ID, Lamport: st.Lamport + 1, Party: "US", Action: Withdraw, At: tl.at.Add(time.Second),
		Data: EventData{Note: "no longer needed"}}
	all := append(tl.evs, ans, wd)
	want, wantEvs := Fold(tl.c, all)
	// CN sorts before US: the answer stands, the withdrawal is void
	// (answered requests are closed, not withdrawn).
	if want.Status != Answered || wantEvs[4].Void == "" {
		t.Fatalf("race: %s, withdraw void %q", want.Status, wantEvs[4].Void)
	}
	for range 20 {
		shuffled := slices.Clone(all)
		rand.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		got, gotEvs := Fold(tl.c, shuffled)
		if got != want || !slices.EqualFunc(gotEvs, wantEvs, func(a, b Event) bool { return a.ID == b.ID && a.Void == b.Void && a.To == b.To }) {
			t.Fatalf("fold depends on order: %+v vs %+v", got, want)
		}
	}
}

func TestPreservationAnswerNeedsSixtyDays(t *testing.T) {
	tl := &timeline{c: content(Preservation), at: t0}
	tl.do("US", Send, EventData{})
	tl.do("CN", Deliver, EventData{})
	tl.do("CN", Acknowledge, EventData{})
	st := tl.state()
	e := Event{Action: Answer, At: tl.at, Data: EventData{Completeness: "full", Answer: "kept", PreservedUntil: tl.at.Add(30 * 24 * time.Hour)}}
	if got := fieldNames(t, checkData(tl.c, &st, &e).Err()); !slices.Equal(got, []string{"preserved_until"}) {
		t.Fatalf("named %v", got)
	}
	tl.do("CN", Answer, EventData{Completeness: "full", Answer: "kept", PreservedUntil: t0.Add(61 * 24 * time.Hour)})
	tl.do("CN", Extend, EventData{PreservedUntil: t0.Add(120 * 24 * time.Hour)})
	if st := tl.state(); !st.PreservedUntil.Equal(t0.Add(120*24*time.Hour)) || st.Status != Answered {
		t.Fatalf("extension: %+v", st)
	}
	tl.do("US", Link, EventData{LinkedMLA: fmt.Sprintf("%032x", 7)})
	if st := tl.state(); st.LinkedMLA == "" {
		t.Fatal("link to MLA not recorded")
	}
}
