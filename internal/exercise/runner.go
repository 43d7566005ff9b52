package exercise

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/liaison-dev/liaison/internal/auth"
	"github.com/liaison-dev/liaison/internal/hotline"
	"github.com/liaison-dev/liaison/internal/request"
	"github.com/liaison-dev/liaison/internal/store"
)

// Options configure Run.
type Options struct {
	// Targets are the participating parties' nodes, one per party.
	Targets []*Target
	// Clock is the exercise time (NewScaled for real or accelerated
	// time, NewStepping for tests). Nil is real time.
	Clock Clock
	// Play lists the parties whose receiving roles automated responders
	// play from each inject's play instructions; the others are played
	// by people at their consoles and observed.
	Play []string
	// Progress receives a progress bar (stderr); nil for none.
	Progress io.Writer
	// Poll is the real-time interval of polls for deliveries (50ms);
	// Settle bounds how long a delivery may take in real time (30s).
	Poll, Settle time.Duration
	// Observe is the exercise-time interval at which responses by
	// people are looked for (1m).
	Observe time.Duration
	// RunID names the run (a new ID when empty).
	RunID string
}

// Result is a played and scored scenario.
type Result struct {
	RunID    string          `json:"run_id"`
	Scenario string          `json:"scenario"`
	Title    string          `json:"title"`
	Parties  []string        `json:"parties"`
	Started  time.Time       `json:"started"`
	Finished time.Time       `json:"finished"`
	Injects  []*InjectResult `json:"injects"`
	Scores   []PartyScore    `json:"scores"`
	Passed   int             `json:"passed"`
	Total    int             `json:"total"`
	// Score is Passed/Total, 0 to 1.
	Score   float64                `json:"score"`
	Weak    []string               `json:"weak_points"`
	Lessons []string               `json:"lessons"`
	Objects []store.ExerciseObject `json:"objects"`
}

// InjectResult is what happened to one inject, on the exercise clock.
type InjectResult struct {
	ID        string `json:"id"`
	Title     string `json:"title"`
	Kind      string `json:"kind"`
	Type      string `json:"type,omitempty"`
	From      string `json:"from"`
	To        string `json:"to"`
	ObjectID  string `json:"object_id,omitempty"`
	Reference string `json:"reference,omitempty"`
	// Skipped says why the inject was not played (a follow-up whose
	// condition was not met).
	Skipped      string    `json:"skipped,omitempty"`
	Error        string    `json:"error,omitempty"`
	Sent         time.Time `json:"sent,omitzero"`
	Delivered    time.Time `json:"delivered,omitzero"`
	Acknowledged time.Time `json:"acknowledged,omitzero"`
	Responded    time.Time `json:"responded,omitzero"`
	AckDue       time.Time `json:"ack_due,omitzero"`
	RespondDue   time.Time `json:"respond_due,omitzero"`
	Response     string    `json:"response,omitempty"`
	Completeness string    `json:"completeness,omitempty"`
	Ground       string    `json:"ground,omitempty"`
	Routed       string    `json:"routed,omitempty"` // "" when right, else what was wrong
	HotlineRang  bool      `json:"hotline_rang,omitempty"`
	// MediaRefused says who refused a file that must not cross: "node"
	// (the upload was refused) or "party" (the request was refused).
	MediaRefused string  `json:"media_refused,omitempty"`
	Checks       []Check `json:"checks"`

	in       *Inject
	resolved bool
}

// Check is one scored expectation.
type Check struct {
	Name   string `json:"name"`
	Party  string `json:"party"`
	Pass   bool   `json:"pass"`
	Detail string `json:"detail,omitempty"`
}

type task struct {
	at  time.Time
	seq int
	fn  func(ctx context.Context) error
}

type runner struct {
	sc      *Scenario
	o       Options
	clock   Clock
	start   time.Time
	targets map[string]*Target
	play    map[string]bool
	tasks   []task
	seq     int
	res     *Result
	byID    map[string]*InjectResult
	done    int
	end     time.Time
}

// Run plays sc through the targets' nodes and scores it. It checks first
// that every party has a target with the logins the scenario needs, so
// nothing is sent for a scenario that cannot be played.
func Run(ctx context.Context, sc *Scenario, o Options) (*Result, error) {
	if o.Clock == nil {
		o.Clock = NewScaled(1)
	}
	if o.Poll == 0 {
		o.Poll = 50 * time.Millisecond
	}
	if o.Settle == 0 {
		o.Settle = 30 * time.Second
	}
	if o.Observe == 0 {
		o.Observe = time.Minute
	}
	if o.RunID == "" {
		o.RunID = auth.NewID()
	}
	r := &runner{sc: sc, o: o, clock: o.Clock, targets: map[string]*Target{}, play: map[string]bool{}, byID: map[string]*InjectResult{}}
	for _, t := range o.Targets {
		r.targets[t.Party] = t
	}
	for _, p := range o.Play {
		r.play[p] = true
	}
	if err := r.preflight(); err != nil {
		return nil, err
	}
	r.start = r.clock.Now()
	r.res = &Result{RunID: o.RunID, Scenario: sc.ID, Title: sc.Title, Started: r.start}
	for _, p := range sc.Parties {
		r.res.Parties = append(r.res.Parties, p.Code)
	}
	for i := range sc.Injects {
		in := &sc.Injects[i]
		ir := &InjectResult{ID: in.ID, Title: in.Title, Kind: in.Kind, Type: string(in.RequestType()), From: in.From, To: in.To, in: in, Checks: []Check{}}
		if ir.Title == "" && in.Request != nil {
			ir.Title = in.Request.Title
		}
		if ir.Title == "" {
			ir.Title = "hotline call " + in.From + "→" + in.To
		}
		r.res.Injects = append(r.res.Injects, ir)
		r.byID[in.ID] = ir
		if in.After == "" {
			r.schedule(r.start.Add(time.Duration(in.At)), r.sendFn(ir))
		}
	}
	for len(r.tasks) > 0 {
		i := 0
		for j, t := range r.tasks {
			if t.at.Before(r.tasks[i].at) || (t.at.Equal(r.tasks[i].at) && t.seq < r.tasks[i].seq) {
				i = j
			}
		}
		t := r.tasks[i]
		r.tasks = slices.Delete(r.tasks, i, i+1)
		if err := r.clock.WaitUntil(ctx, t.at); err != nil {
			return nil, err
		}
		if err := t.fn(ctx); err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			return nil, err
		}
		r.progress()
	}
	r.res.Finished = r.clock.Now()
	if r.o.Progress != nil {
		fmt.Fprintln(r.o.Progress)
	}
	score(r.sc, r.res)
	return r.res, nil
}

// preflight checks targets and logins before anything is sent.
func (r *runner) preflight() error {
	var problems []string
	for _, p := range r.sc.Parties {
		t, ok := r.targets[p.Code]
		if !ok {
			problems = append(problems, "no node for party "+p.Code)
			continue
		}
		need := map[auth.Role]bool{}
		for _, in := range r.sc.Injects {
			if in.From == p.Code {
				if in.Kind == KindHotline {
					need[auth.Officer] = true
				} else {
					need[in.SenderRole()] = true
				}
			}
			if in.To == p.Code {
				if in.Kind == KindHotline {
					need[auth.Officer] = true
				} else {
					need[in.ExpectRole()] = true
					if in.RequestType() == request.MLA {
						need[auth.Officer] = true
					}
					if in.Expect.Hotline {
						need[auth.Officer] = true
					}
				}
			}
		}
		for role := range need {
			if _, ok := t.Logins[role]; !ok {
				problems = append(problems, fmt.Sprintf("no %s login for %s", role, p.Code))
			}
		}
	}
	if len(problems) > 0 {
		slices.Sort(problems)
		return errors.New("exercise: cannot play: " + strings.Join(problems, "; "))
	}
	return nil
}

func (r *runner) schedule(at time.Time, fn func(ctx context.Context) error) {
	r.seq++
	r.tasks = append(r.tasks, task{at: at, seq: r.seq, fn: fn})
	if at.After(r.end) {
		r.end = at
	}
}

func (r *runner) progress() {
	if r.o.Progress == nil {
		return
	}
	n := len(r.res.Injects)
	done := 0
	for _, ir := range r.res.Injects {
		if ir.resolved {
			done++
		}
	}
	const width = 30
	fill := 0
	if n > 0 {
		fill = done * width / n
	}
	el := r.clock.Now().Sub(r.start)
	total := r.end.Sub(r.start)
	fmt.Fprintf(r.o.Progress, "\r[%s%s] %d/%d injects · T+%s of %s ", strings.Repeat("#", fill), strings.Repeat(".", width-fill),
		done, n, FormatDuration(el.Truncate(time.Second)), FormatDuration(total.Truncate(time.Second)))
}

// waitReal polls cond in real time until it holds or Settle passes.
func (r *runner) waitReal(ctx context.Context, cond func() (bool, error)) (bool, error) {
	deadline := time.Now().Add(r.o.Settle)
	for {
		ok, err := cond()
		if err != nil || ok {
			return ok, err
		}
		if time.Now().After(deadline) {
			return false, nil
		}
		select {
		case <-ctx.Done():
			return false, ctx.Err()
		case <-time.After(r.o.Poll):
		}
	}
}

func (r *runner) fail(ir *InjectResult, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if ir.Error == "" {
		ir.Error = msg
	} else {
		ir.Error += "; " + msg
	}
}

func (r *runner) sendFn(ir *InjectResult) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		if ir.in.Kind == KindHotline {
			return r.sendCall(ctx, ir)
		}
		return r.sendRequest(ctx, ir)
	}
}

func (r *runner) sendRequest(ctx context.Context, ir *InjectResult) error {
	in := ir.in
	from, to := r.targets[in.From], r.targets[in.To]
	d := in.Request
	title := "EXERCISE " + r.sc.ID + ": " + d.Title
	if len([]rune(title)) > 200 {
		title = string([]rune(title)[:200])
	}
	draft := request.Draft{Type: in.RequestType(), Priority: d.Priority, To: in.To, Title: title, Conditions: d.Conditions,
		Exercise: true, Fields: expand(d.Fields, r.clock.Now())}
	var v request.View
	if err := from.call(ctx, in.SenderRole(), "POST", "/requests", draft, &v); err != nil {
		r.fail(ir, "create: %v", err)
		r.resolve(ir)
		return nil
	}
	ir.ObjectID, ir.Reference = v.ID, v.Reference
	r.res.Objects = append(r.res.Objects, store.ExerciseObject{RunID: r.o.RunID, Kind: store.ExerciseRequest, ObjectID: v.ID})
	for _, a := range in.Attachments {
		err := from.call(ctx, in.SenderRole(), "POST", "/requests/"+v.ID+"/attachments?name="+url.QueryEscape(a.Name), []byte(a.Content), nil)
		switch {
		case err == nil:
		case a.MustBeRefused && statusOf(err)/100 == 4:
			ir.MediaRefused = "node"
		default:
			r.fail(ir, "attach %s: %v", a.Name, err)
		}
	}
	if err := from.call(ctx, in.SenderRole(), "POST", "/requests/"+v.ID+"/actions/send", map[string]any{}, &v); err != nil {
		r.fail(ir, "send: %v", err)
		r.resolve(ir)
		return nil
	}
	ir.Sent = r.clock.Now()
	ok, err := r.waitReal(ctx, func() (bool, error) {
		var sv request.View
		if err := from.call(ctx, in.SenderRole(), "GET", "/requests/"+v.ID, nil, &sv); err != nil {
			return false, err
		}
		return !sv.State.Delivered.IsZero(), nil
	})
	if err != nil || !ok {
		r.fail(ir, "not delivered to %s within %s: %v", in.To, r.o.Settle, err)
		r.resolve(ir)
		return nil
	}
	ir.Delivered = r.clock.Now()
	if in.Expect.Acknowledge > 0 {
		ir.AckDue = ir.Delivered.Add(time.Duration(in.Expect.Acknowledge))
	}
	if in.Expect.Within > 0 {
		ir.RespondDue = ir.Delivered.Add(time.Duration(in.Expect.Within))
	}
	// Routing: the expected role sees it at the receiver; an MLA request
	// is not shown to the 24/7 desk.
	role := in.ExpectRole()
	if err := to.call(ctx, role, "GET", "/requests/"+v.ID, nil, nil); err != nil {
		ir.Routed = fmt.Sprintf("not visible to %s at %s (%v)", role, in.To, err)
	} else if in.RequestType() == request.MLA && role != auth.Officer {
		if err := to.call(ctx, auth.Officer, "GET", "/requests/"+v.ID, nil, nil); statusOf(err) != 404 {
			ir.Routed = "MLA request visible to the 24/7 desk at " + in.To
		}
	}
	if in.Expect.Hotline {
		var calls []hotline.CallView
		if err := to.call(ctx, auth.Officer, "GET", "/hotline/calls?peer="+in.From, nil, &calls); err != nil {
			r.fail(ir, "hotline calls: %v", err)
		}
		for _, c := range calls {
			if c.RequestID == v.ID {
				ir.HotlineRang = true
			}
		}
	}
	last := maxTime(ir.AckDue, ir.RespondDue, ir.Delivered)
	if p := in.Play; p != nil && r.play[in.To] {
		if p.Acknowledge > 0 && in.RequestType() != request.Spontaneous {
			r.schedule(ir.Delivered.Add(time.Duration(p.Acknowledge)), func(ctx context.Context) error { return r.acknowledge(ctx, ir) })
		}
		if p.Respond > 0 {
			at := ir.Delivered.Add(time.Duration(p.Respond))
			r.schedule(at, func(ctx context.Context) error { return r.respond(ctx, ir) })
			last = maxTime(last, at)
		}
	} else if !r.play[in.To] {
		for t := ir.Delivered.Add(r.o.Observe); !t.After(last.Add(r.o.Observe)); t = t.Add(r.o.Observe) {
			r.schedule(t, func(ctx context.Context) error { return r.observe(ctx, ir) })
		}
	}
	r.schedule(last.Add(time.Nanosecond), func(ctx context.Context) error { r.resolve(ir); return nil })
	return nil
}

func maxTime(ts ...time.Time) time.Time {
	var m time.Time
	for _, t := range ts {
		if t.After(m) {
			m = t
		}
	}
	return m
}

func (r *runner) acknowledge(ctx context.Context, ir *InjectResult) error {
	if !ir.Acknowledged.IsZero() {
		return nil
	}
	if err := r.targets[ir.To].call(ctx, ir.in.ExpectRole(), "POST", "/requests/"+ir.ObjectID+"/actions/acknowledge", map[string]any{}, nil); err != nil {
		r.fail(ir, "acknowledge: %v", err)
		return nil
	}
	ir.Acknowledged = r.clock.Now()
	return nil
}

func (r *runner) respond(ctx context.Context, ir *InjectResult) error {
	in, p := ir.in, ir.in.Play
	act := p.Action
	if act == "" {
		act = in.Expect.Respond
	}
	if act == "none" || act == "" || ir.resolved {
		return nil
	}
	body := map[string]any{}
	switch act {
	case "answer":
		c := p.Completeness
		if c == "" {
			c = "full"
		}
		body["completeness"], body["answer"] = c, p.Answer
		if in.RequestType() == request.Preservation && c == "full" {
			body["preserved_until"] = r.clock.Now().Add(90 * 24 * time.Hour).Format(time.RFC3339)
		}
	case "refuse":
		body["ground"], body["reasons"] = p.Ground, p.Reasons
	case "ask_info":
		note := p.Note
		if note == "" {
			note = "more information needed"
		}
		body["note"] = note
	}
	if err := r.targets[ir.To].call(ctx, in.ExpectRole(), "POST", "/requests/"+ir.ObjectID+"/actions/"+act, body, nil); err != nil {
		r.fail(ir, "%s: %v", act, err)
		return nil
	}
	ir.Responded, ir.Response = r.clock.Now(), act
	ir.Completeness, _ = body["completeness"].(string)
	ir.Ground, _ = body["ground"].(string)
	if act == "accept_conditions" && ir.Acknowledged.IsZero() {
		ir.Acknowledged = ir.Responded
	}
	if act == "refuse" && ir.MediaRefused == "" && hasRefusable(in) {
		ir.MediaRefused = "party"
	}
	// The response travels back: the requesting side sees it.
	want := map[string]request.Status{"answer": request.Answered, "refuse": request.Refused, "ask_info": request.MoreInfo,
		"accept_conditions": request.Acknowledged, "decline_conditions": request.Closed}[act]
	ok, err := r.waitReal(ctx, func() (bool, error) {
		var sv request.View
		if err := r.targets[ir.From].call(ctx, in.SenderRole(), "GET", "/requests/"+ir.ObjectID, nil, &sv); err != nil {
			return false, err
		}
		return sv.State.Status == want, nil
	})
	if err != nil || !ok {
		r.fail(ir, "%s did not reach %s: %v", act, ir.From, err)
	}
	r.resolve(ir)
	return nil
}

func hasRefusable(in *Inject) bool {
	for _, a := range in.Attachments {
		if a.MustBeRefused {
			return true
		}
	}
	return false
}

// observe looks at the requesting side for the responses people gave.
func (r *runner) observe(ctx context.Context, ir *InjectResult) error {
	if ir.resolved {
		return nil
	}
	var v request.View
	if err := r.targets[ir.From].call(ctx, ir.in.SenderRole(), "GET", "/requests/"+ir.ObjectID, nil, &v); err != nil {
		return nil // a transient failure; the next observation tries again
	}
	now := r.clock.Now()
	for _, e := range v.Timeline {
		if e.Party != ir.To || e.Void != "" {
			continue
		}
		switch e.Action {
		case request.Acknowledge, request.AcceptConditions:
			if ir.Acknowledged.IsZero() {
				ir.Acknowledged = now
			}
		}
		switch e.Action {
		case request.Answer, request.Refuse, request.AskInfo, request.AcceptConditions, request.DeclineConditions:
			if ir.Responded.IsZero() {
				ir.Responded, ir.Response = now, string(e.Action)
				ir.Completeness, ir.Ground = e.Data.Completeness, e.Data.Ground
				if e.Action == request.Refuse && ir.MediaRefused == "" && hasRefusable(ir.in) {
					ir.MediaRefused = "party"
				}
			}
		}
	}
	if !ir.Responded.IsZero() {
		r.resolve(ir)
	}
	return nil
}

func (r *runner) sendCall(ctx context.Context, ir *InjectResult) error {
	in := ir.in
	from, to := r.targets[in.From], r.targets[in.To]
	var c hotline.CallView
	if err := from.call(ctx, auth.Officer, "POST", "/hotline/drills", map[string]string{"peer": in.To}, &c); err != nil {
		r.fail(ir, "drill: %v", err)
		r.resolve(ir)
		return nil
	}
	ir.ObjectID, ir.Sent = c.ID, r.clock.Now()
	r.res.Objects = append(r.res.Objects, store.ExerciseObject{RunID: r.o.RunID, Kind: store.ExerciseCall, ObjectID: c.ID})
	ok, err := r.waitReal(ctx, func() (bool, error) {
		var calls []hotline.CallView
		if err := to.call(ctx, auth.Officer, "GET", "/hotline/calls?drill=true&peer="+in.From, nil, &calls); err != nil {
			return false, err
		}
		return slices.ContainsFunc(calls, func(x hotline.CallView) bool { return x.ID == c.ID }), nil
	})
	if err != nil || !ok {
		r.fail(ir, "call did not ring at %s within %s: %v", in.To, r.o.Settle, err)
		r.resolve(ir)
		return nil
	}
	ir.Delivered = r.clock.Now()
	ir.HotlineRang = true
	ir.AckDue = ir.Delivered.Add(time.Duration(in.Expect.Acknowledge))
	last := ir.AckDue
	if p := in.Play; p != nil && r.play[in.To] {
		if p.Acknowledge > 0 {
			at := ir.Delivered.Add(time.Duration(p.Acknowledge))
			last = maxTime(last, at)
			r.schedule(at, func(ctx context.Context) error {
				if err := to.call(ctx, auth.Officer, "POST", "/hotline/calls/"+c.ID+"/ack", map[string]any{}, nil); err != nil {
					r.fail(ir, "ack: %v", err)
					return nil
				}
				ir.Acknowledged = r.clock.Now()
				ok, err := r.waitReal(ctx, func() (bool, error) { return r.callAcked(ctx, ir) })
				if err != nil || !ok {
					r.fail(ir, "acknowledgement did not reach %s: %v", in.From, err)
				}
				r.resolve(ir)
				return nil
			})
		}
	} else if !r.play[in.To] {
		for t := ir.Delivered.Add(r.o.Observe); !t.After(last.Add(r.o.Observe)); t = t.Add(r.o.Observe) {
			r.schedule(t, func(ctx context.Context) error {
				if ir.Acknowledged.IsZero() {
					if ok, _ := r.callAcked(ctx, ir); ok {
						ir.Acknowledged = r.clock.Now()
						r.resolve(ir)
					}
				}
				return nil
			})
		}
	}
	r.schedule(last.Add(time.Nanosecond), func(ctx context.Context) error { r.resolve(ir); return nil })
	return nil
}

func (r *runner) callAcked(ctx context.Context, ir *InjectResult) (bool, error) {
	var calls []hotline.CallView
	if err := r.targets[ir.From].call(ctx, auth.Officer, "GET", "/hotline/drills?peer="+ir.To, nil, &calls); err != nil {
		return false, err
	}
	return slices.ContainsFunc(calls, func(x hotline.CallView) bool { return x.ID == ir.ObjectID && !x.Acked.IsZero() }), nil
}

// outcome names what became of an inject, for follow-ups.
func (ir *InjectResult) outcome() string {
	switch {
	case ir.Response == "answer":
		return "answered"
	case ir.Response == "refuse" || ir.Response == "decline_conditions":
		return "refused"
	case !ir.Acknowledged.IsZero() && ir.in.Kind == KindHotline:
		return "acknowledged"
	case !ir.Acknowledged.IsZero() && (ir.in.Expect.Respond == "none" || ir.Response != ""):
		return "acknowledged"
	}
	return "missed"
}

// resolve settles an inject once and starts the follow-ups whose
// condition its outcome meets; the others are skipped, with theirs.
func (r *runner) resolve(ir *InjectResult) {
	if ir.resolved {
		return
	}
	ir.resolved = true
	base := ir.Responded
	if base.IsZero() {
		base = maxTime(ir.Acknowledged, ir.Sent)
		if base.IsZero() {
			base = r.clock.Now()
		}
	}
	out := ir.outcome()
	for _, next := range r.res.Injects {
		if next.in.After != ir.ID || next.resolved {
			continue
		}
		when := next.in.When
		if when == "" || when == "any" || when == out || (when == "acknowledged" && !ir.Acknowledged.IsZero()) {
			r.schedule(base.Add(time.Duration(next.in.At)), r.sendFn(next))
			continue
		}
		r.skip(next, fmt.Sprintf("follows %s when %s; it was %s", ir.ID, when, out))
	}
}

func (r *runner) skip(ir *InjectResult, why string) {
	ir.Skipped, ir.resolved = why, true
	for _, next := range r.res.Injects {
		if next.in.After == ir.ID && !next.resolved {
			r.skip(next, "follows skipped inject "+ir.ID)
		}
	}
}
