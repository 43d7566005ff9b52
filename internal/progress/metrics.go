package progress

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/liaison-dev/liaison/internal/store"
)

// Metrics are the timeliness figures of requests over a period, computed
// from the record (exercise traffic excluded), with the hotline drills and
// intelligence shared as measured at this node.
//
// How each figure is defined, so that anyone can recompute it:
//
//   - A request belongs to the period when it was sent (State.Sent) in
//     [From, To). Events after To are ignored: the figures are those of the
//     record as it stood at To.
//   - Time to acknowledge is Acknowledged − Delivered (Sent when there is
//     no delivery time); time to answer is Answered − Delivered.
//   - ack_due counts requests whose acknowledgement deadline (ack_due) fell
//     before To or that were acknowledged before To; ack_on_time those
//     acknowledged by the deadline; ack_share = ack_on_time / ack_due. The
//     same for answers with the answer deadline (State.AnswerDue).
//   - Median and 90th percentile are nearest-rank (the ⌈p·n⌉-th smallest),
//     in seconds rounded to the millisecond.
//   - A refusal counts when the request was refused (a ground is recorded)
//     before To.
type Metrics struct {
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
	// Directions has one row per requesting → requested party, all types.
	Directions []RequestFigures `json:"directions"`
	// Requests has one row per party pair, type, priority and category.
	Requests []RequestFigures `json:"requests"`
	// Drills and Intel are this node's own measurements (see Local).
	Drills []DrillFigures `json:"drills,omitempty"`
	Intel  []IntelFigures `json:"intel,omitempty"`
	Cases  []CaseFigures  `json:"cases,omitempty"`
	Leads  []LeadFigures  `json:"leads,omitempty"`
}

// CaseFigures count joint cases by the party that opened them and crime
// category: opened (created in the period) and closed (status closed,
// last updated in the period), as recorded at this node.
type CaseFigures struct {
	Party    string `json:"party"`
	Category string `json:"category"`
	Opened   int    `json:"opened"`
	Closed   int    `json:"closed"`
}

// LeadFigures count leads from one party to another by category: sent
// (created in the period), accepted and declined (decided in it).
type LeadFigures struct {
	From     string `json:"from"`
	To       string `json:"to"`
	Category string `json:"category"`
	Sent     int    `json:"sent"`
	Accepted int    `json:"accepted"`
	Declined int    `json:"declined"`
}

// RequestFigures are the figures of one group of requests.
type RequestFigures struct {
	From     string `json:"from"` // requesting party
	To       string `json:"to"`   // requested party
	Type     string `json:"type,omitempty"`
	Priority string `json:"priority,omitempty"`
	Category string `json:"category,omitempty"`

	Sent          int     `json:"sent"`
	Acknowledged  int     `json:"acknowledged"`
	AckDue        int     `json:"ack_due"`
	AckOnTime     int     `json:"ack_on_time"`
	AckShare      float64 `json:"ack_share"`
	AckMedianS    float64 `json:"ack_median_s"`
	AckP90S       float64 `json:"ack_p90_s"`
	Answered      int     `json:"answered"`
	AnswerDue     int     `json:"answer_due"`
	AnswerOnTime  int     `json:"answer_on_time"`
	AnswerShare   float64 `json:"answer_share"`
	AnswerMedianS float64 `json:"answer_median_s"`
	AnswerP90S    float64 `json:"answer_p90_s"`
	Refused       int     `json:"refused"`
	// RefusedBy counts refusals by ground.
	RefusedBy map[string]int `json:"refused_by,omitempty"`
}

// DrillFigures are the hotline drills one party called another with
// (started in the period): how many, how many acknowledged, and the times
// from the call to its acknowledgement.
type DrillFigures struct {
	From    string  `json:"from"` // the calling party
	To      string  `json:"to"`   // the party whose hotline rang
	Drills  int     `json:"drills"`
	Acked   int     `json:"acked"`
	MedianS float64 `json:"median_s"`
	P90S    float64 `json:"p90_s"`
	MaxS    float64 `json:"max_s"`
}

// IntelFigures count envelopes of intelligence objects or samples shared
// from one party to another (this node's outbox and inbox).
type IntelFigures struct {
	From  string `json:"from"`
	To    string `json:"to"`
	Type  string `json:"type"`
	Count int    `json:"count"`
}

// IntelTypes are the envelope types counted as intelligence shared.
var IntelTypes = []string{"intel.objects", "intel.sample"}

// Uncategorised is the crime category of a request that names none.
const Uncategorised = "unspecified"

// factState is the part of request.State the metrics read.
type factState struct {
	Sent         time.Time     `json:"sent"`
	Delivered    time.Time     `json:"delivered"`
	Acknowledged time.Time     `json:"acknowledged"`
	Answered     time.Time     `json:"answered"`
	Finished     time.Time     `json:"finished"`
	AckDue       time.Time     `json:"ack_due"`
	AnswerBase   time.Time     `json:"answer_base"`
	AnswerFixed  bool          `json:"answer_fixed"`
	Paused       time.Duration `json:"paused"`
	Ground       string        `json:"ground"`
}

func (s *factState) answerDue() time.Time {
	if s.AnswerBase.IsZero() || s.AnswerFixed {
		return s.AnswerBase
	}
	return s.AnswerBase.Add(s.Paused)
}

type groupKey struct{ from, to, typ, priority, category string }

type acc struct {
	f          RequestFigures
	ack, answr []int64 // microseconds
}

func (a *acc) add(st *factState, to time.Time) {
	f := &a.f
	f.Sent++
	start := st.Delivered
	if start.IsZero() {
		start = st.Sent
	}
	before := func(t time.Time) bool { return !t.IsZero() && t.Before(to) }
	if before(st.Acknowledged) {
		f.Acknowledged++
		a.ack = append(a.ack, st.Acknowledged.Sub(start).Microseconds())
	}
	if !st.AckDue.IsZero() && (before(st.Acknowledged) || st.AckDue.Before(to)) {
		f.AckDue++
		if before(st.Acknowledged) && !st.Acknowledged.After(st.AckDue) {
			f.AckOnTime++
		}
	}
	if before(st.Answered) {
		f.Answered++
		a.answr = append(a.answr, st.Answered.Sub(start).Microseconds())
	}
	if due := st.answerDue(); !due.IsZero() && (before(st.Answered) || due.Before(to)) {
		f.AnswerDue++
		if before(st.Answered) && !st.Answered.After(due) {
			f.AnswerOnTime++
		}
	}
	if st.Ground != "" && before(st.Finished) {
		f.Refused++
		if f.RefusedBy == nil {
			f.RefusedBy = map[string]int{}
		}
		f.RefusedBy[st.Ground]++
	}
}

// merge adds b's counts and times to a's.
func (a *acc) merge(b *acc) {
	f, g := &a.f, &b.f
	f.Sent += g.Sent
	f.Acknowledged += g.Acknowledged
	f.AckDue += g.AckDue
	f.AckOnTime += g.AckOnTime
	f.Answered += g.Answered
	f.AnswerDue += g.AnswerDue
	f.AnswerOnTime += g.AnswerOnTime
	f.Refused += g.Refused
	for ground, n := range g.RefusedBy {
		if f.RefusedBy == nil {
			f.RefusedBy = map[string]int{}
		}
		f.RefusedBy[ground] += n
	}
	a.ack = append(a.ack, b.ack...)
	a.answr = append(a.answr, b.answr...)
}

func (a *acc) figures() RequestFigures {
	f := a.f
	f.AckShare, f.AnswerShare = share(f.AckOnTime, f.AckDue), share(f.AnswerOnTime, f.AnswerDue)
	f.AckMedianS, f.AckP90S = medianP90(a.ack)
	f.AnswerMedianS, f.AnswerP90S = medianP90(a.answr)
	return f
}

func share(n, d int) float64 {
	if d == 0 {
		return 0
	}
	return math.Round(float64(n)/float64(d)*10000) / 10000
}

// percentile is the nearest-rank p-quantile of us (microseconds) in
// seconds, rounded to the millisecond; it sorts us.
func percentile(us []int64, p float64) float64 {
	if len(us) == 0 {
		return 0
	}
	slices.Sort(us)
	return seconds(us[rank(len(us), p)])
}

// rank is the index of the nearest-rank p-quantile among n values.
func rank(n int, p float64) int {
	return max(0, min(int(math.Ceil(p*float64(n)))-1, n-1))
}

// medianP90 is percentile(us, 0.5) and percentile(us, 0.9) without sorting
// us: two selections, which leave us partly ordered.
func medianP90(us []int64) (float64, float64) {
	if len(us) == 0 {
		return 0, 0
	}
	k1, k2 := rank(len(us), 0.5), rank(len(us), 0.9)
	nth(us, k1)
	nth(us[k1:], k2-k1) // every value after us[k1] is at least us[k1]
	return seconds(us[k1]), seconds(us[k2])
}

// nth reorders us so that us[k] is the (k+1)-th smallest value, with none
// larger before it and none smaller after it (quickselect, Hoare partition
// around a median of three). A run that keeps splitting badly is sorted.
func nth(us []int64, k int) {
	lo, hi := 0, len(us)-1
	for round := 0; hi > lo; round++ {
		if hi-lo < 16 || round == 64 {
			slices.Sort(us[lo : hi+1])
			return
		}
		a, b, c := us[lo], us[lo+(hi-lo)/2], us[hi]
		p := max(min(a, b), min(max(a, b), c))
		i, j := lo, hi
		for i <= j {
			for us[i] < p {
				i++
			}
			for us[j] > p {
				j--
			}
			if i <= j {
				us[i], us[j] = us[j], us[i]
				i++
				j--
			}
		}
		switch {
		case k <= j:
			hi = j
		case k >= i:
			lo = i
		default:
			return // us[j+1 : i] all equal p
		}
	}
}

func seconds(us int64) float64 { return math.Round(float64(us)/1000) / 1000 }

// RequestMetrics computes the request figures of [from, to) from the
// record: the verifiable part of a report, which any party holding the
// same requests recomputes identically.
func RequestMetrics(ctx context.Context, q store.ProgressQueries, from, to time.Time) (*Metrics, error) {
	ms, err := RequestMetricsOf(ctx, q, [][2]time.Time{{from, to}})
	if err != nil {
		return nil, err
	}
	return ms[0], nil
}

// RequestMetricsOf computes the request figures of several periods
// ([from, to) each) in one pass over the record. The record is read in
// parts at the same time (store.ProgressQueries.RequestFactParts), each
// tallied on its own and the tallies added up: counts add, and the times
// behind the percentiles are gathered before they are ranked, so the
// figures do not depend on the split.
func RequestMetricsOf(ctx context.Context, q store.ProgressQueries, periods [][2]time.Time) ([]*Metrics, error) {
	parts, err := q.RequestFactParts(ctx, scanParts)
	if err != nil {
		return nil, err
	}
	tallies := make([]*tally, len(parts))
	errs := make([]error, len(parts))
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	for i, part := range parts {
		tallies[i] = newTally(periods)
		wg.Go(func() {
			errs[i] = q.ScanRequestFacts(ctx, part, tallies[i].add)
			if errs[i] != nil {
				cancel()
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	t := tallies[0]
	for _, o := range tallies[1:] {
		t.merge(o)
	}
	out := make([]*Metrics, len(t.ps))
	for i, p := range t.ps {
		out[i] = &Metrics{From: p.from, To: p.to, Directions: sorted(p.dirs), Requests: sorted(p.groups)}
	}
	return out, nil
}

// scanParts is how many parts of the record the metrics read at once: the
// SQLite read pool's connections.
const scanParts = 4

// tally accumulates the request figures of some periods over part of the
// record.
type tally struct {
	ps  []period
	st  factState
	cat struct {
		Category string `json:"crime_category"`
	}
}

type period struct {
	from, to     time.Time
	groups, dirs map[groupKey]*acc
}

func newTally(periods [][2]time.Time) *tally {
	t := &tally{ps: make([]period, len(periods))}
	for i, p := range periods {
		t.ps[i] = period{from: p[0].UTC(), to: p[1].UTC(), groups: map[groupKey]*acc{}, dirs: map[groupKey]*acc{}}
	}
	return t
}

// add counts one request in every period it was sent in.
func (t *tally) add(r store.RequestFact) error {
	st := &t.st
	if err := decodeState(r.State, st); err != nil {
		return err
	}
	if st.Sent.IsZero() {
		return nil
	}
	category := ""
	for i := range t.ps {
		p := &t.ps[i]
		if st.Sent.Before(p.from) || !st.Sent.Before(p.to) {
			continue
		}
		if category == "" {
			category = Uncategorised
			if bytes.Contains(r.Content, []byte(`"crime_category"`)) {
				t.cat.Category = ""
				if json.Unmarshal(r.Content, &t.cat) == nil && t.cat.Category != "" {
					category = strings.ToLower(t.cat.Category)
				}
			}
		}
		k := groupKey{r.Requesting, r.Requested, r.Type, r.Priority, category}
		g := p.groups[k]
		if g == nil {
			g = &acc{f: RequestFigures{From: k.from, To: k.to, Type: k.typ, Priority: k.priority, Category: k.category}}
			p.groups[k] = g
		}
		g.add(st, p.to)
		dk := groupKey{from: r.Requesting, to: r.Requested}
		d := p.dirs[dk]
		if d == nil {
			d = &acc{f: RequestFigures{From: dk.from, To: dk.to}}
			p.dirs[dk] = d
		}
		d.add(st, p.to)
	}
	return nil
}

// merge adds o's tallies to t's.
func (t *tally) merge(o *tally) {
	for i := range t.ps {
		for _, m := range [2][2]map[groupKey]*acc{{t.ps[i].groups, o.ps[i].groups}, {t.ps[i].dirs, o.ps[i].dirs}} {
			for k, b := range m[1] {
				if a := m[0][k]; a != nil {
					a.merge(b)
				} else {
					m[0][k] = b
				}
			}
		}
	}
}

func sorted(m map[groupKey]*acc) []RequestFigures {
	keys := make([]groupKey, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b groupKey) int {
		return strings.Compare(a.from+"\x00"+a.to+"\x00"+a.typ+"\x00"+a.priority+"\x00"+a.category,
			b.from+"\x00"+b.to+"\x00"+b.typ+"\x00"+b.priority+"\x00"+b.category)
	})
	out := make([]RequestFigures, len(keys))
	for i, k := range keys {
		out[i] = m[k].figures()
	}
	return out
}

// Metrics computes every figure of [from, to): the request figures from
// the record, and this node's drill and intelligence-sharing figures.
func (s *Service) Metrics(ctx context.Context, from, to time.Time) (*Metrics, error) {
	ms, err := s.MetricsOf(ctx, [][2]time.Time{{from, to}})
	if err != nil {
		return nil, err
	}
	return ms[0], nil
}

// MetricsOf is Metrics for several periods, in one pass over the requests.
func (s *Service) MetricsOf(ctx context.Context, periods [][2]time.Time) ([]*Metrics, error) {
	ms, err := RequestMetricsOf(ctx, s.Store, periods)
	if err != nil {
		return nil, err
	}
	for _, m := range ms {
		if m.Drills, err = s.drills(ctx, m.From, m.To); err != nil {
			return nil, err
		}
		if m.Intel, err = s.intel(ctx, m.From, m.To); err != nil {
			return nil, err
		}
		if m.Cases, m.Leads, err = s.casework(ctx, m.From, m.To); err != nil {
			return nil, err
		}
	}
	return ms, nil
}

func (s *Service) drills(ctx context.Context, from, to time.Time) ([]DrillFigures, error) {
	yes := true
	calls, err := s.Store.ListCalls(ctx, store.CallFilter{Drill: &yes, Limit: store.ListLimit})
	if err != nil {
		return nil, err
	}
	// Both sides of a drill hold the caller's start and the callee's
	// acknowledgement time, so drills are counted both ways. Calls that
	// ring for a request (exercise requests are flagged like drills) are
	// not drills.
	by := map[string]*DrillFigures{}
	times := map[string][]int64{}
	var keys []string
	for _, c := range calls {
		if c.RequestID != "" || c.Started.Before(from) || !c.Started.Before(to) {
			continue
		}
		caller, callee := s.Party, c.Peer
		if !c.Outgoing {
			caller, callee = c.Peer, s.Party
		}
		k := caller + "\x00" + callee
		d := by[k]
		if d == nil {
			d = &DrillFigures{From: caller, To: callee}
			by[k] = d
			keys = append(keys, k)
		}
		d.Drills++
		if !c.Acked.IsZero() && c.Acked.Before(to) {
			d.Acked++
			times[k] = append(times[k], c.Acked.Sub(c.Started).Microseconds())
		}
	}
	slices.Sort(keys)
	out := []DrillFigures{}
	for _, k := range keys {
		d := by[k]
		t := times[k]
		d.MedianS, d.P90S = percentile(t, 0.5), percentile(t, 0.9)
		if len(t) > 0 {
			d.MaxS = seconds(t[len(t)-1])
		}
		out = append(out, *d)
	}
	return out, nil
}

func (s *Service) intel(ctx context.Context, from, to time.Time) ([]IntelFigures, error) {
	facts, err := s.Store.ListEnvelopeFacts(ctx, IntelTypes, from, to)
	if err != nil {
		return nil, err
	}
	type k struct{ from, to, typ string }
	counts := map[k]int{}
	for _, f := range facts {
		key := k{s.Party, f.Peer, f.Type}
		if !f.Outgoing {
			key = k{f.Peer, s.Party, f.Type}
		}
		counts[key]++
	}
	keys := make([]k, 0, len(counts))
	for key := range counts {
		keys = append(keys, key)
	}
	slices.SortFunc(keys, func(a, b k) int {
		return strings.Compare(a.from+"\x00"+a.to+"\x00"+a.typ, b.from+"\x00"+b.to+"\x00"+b.typ)
	})
	out := []IntelFigures{}
	for _, key := range keys {
		out = append(out, IntelFigures{From: key.from, To: key.to, Type: key.typ, Count: counts[key]})
	}
	return out, nil
}

func within(t, from, to time.Time) bool { return !t.IsZero() && !t.Before(from) && t.Before(to) }

func (s *Service) casework(ctx context.Context, from, to time.Time) ([]CaseFigures, []LeadFigures, error) {
	cs, err := s.Store.ListCaseFacts(ctx, from, to)
	if err != nil {
		return nil, nil, err
	}
	ls, err := s.Store.ListLeadFacts(ctx, from, to)
	if err != nil {
		return nil, nil, err
	}
	type ck struct{ party, cat string }
	cases := map[ck]*CaseFigures{}
	var ckeys []ck
	for _, c := range cs {
		k := ck{c.Origin, c.Category}
		f := cases[k]
		if f == nil {
			f = &CaseFigures{Party: k.party, Category: k.cat}
			cases[k] = f
			ckeys = append(ckeys, k)
		}
		if within(c.Created, from, to) {
			f.Opened++
		}
		if c.Status == "closed" && within(c.Updated, from, to) {
			f.Closed++
		}
	}
	slices.SortFunc(ckeys, func(a, b ck) int { return strings.Compare(a.party+"\x00"+a.cat, b.party+"\x00"+b.cat) })
	outC := []CaseFigures{}
	for _, k := range ckeys {
		outC = append(outC, *cases[k])
	}
	type lk struct{ from, to, cat string }
	leads := map[lk]*LeadFigures{}
	var lkeys []lk
	for _, l := range ls {
		k := lk{l.From, l.To, l.Category}
		f := leads[k]
		if f == nil {
			f = &LeadFigures{From: k.from, To: k.to, Category: k.cat}
			leads[k] = f
			lkeys = append(lkeys, k)
		}
		if within(l.Created, from, to) {
			f.Sent++
		}
		if within(l.Decided, from, to) {
			switch l.Status {
			case "accepted":
				f.Accepted++
			case "declined":
				f.Declined++
			}
		}
	}
	slices.SortFunc(lkeys, func(a, b lk) int {
		return strings.Compare(a.from+"\x00"+a.to+"\x00"+a.cat, b.from+"\x00"+b.to+"\x00"+b.cat)
	})
	outL := []LeadFigures{}
	for _, k := range lkeys {
		outL = append(outL, *leads[k])
	}
	return outC, outL, nil
}
