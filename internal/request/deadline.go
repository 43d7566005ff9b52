package request

import (
	"fmt"
	"github.com/liaison-dev/liaison/internal/config"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Span is a deadline length: a duration, or a number of business days of
// the requested party's calendar.
type Span struct {
	D            time.Duration
	BusinessDays int
}

var spanRE = regexp.MustCompile(`^([0-9]{1,5})(m|h|d|bd)$`)

// ParseSpan reads "15m", "8h", "10d" (calendar days) or "2bd" (business
// days).
func ParseSpan(s string) (Span, error) {
	m := spanRE.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return Span{}, fmt.Errorf("%q is not a deadline: write 15m, 8h, 10d or 2bd (business days)", s)
	}
	n, _ := strconv.Atoi(m[1])
	switch m[2] {
	case "m":
		return Span{D: time.Duration(n) * time.Minute}, nil
	case "h":
		return Span{D: time.Duration(n) * time.Hour}, nil
	case "d":
		return Span{D: time.Duration(n) * 24 * time.Hour}, nil
	}
	return Span{BusinessDays: n}, nil
}

func (s Span) String() string {
	switch {
	case s.BusinessDays > 0:
		return strconv.Itoa(s.BusinessDays) + "bd"
	case s.D == 0:
		return "none"
	case s.D%(24*time.Hour) == 0:
		return strconv.Itoa(int(s.D/(24*time.Hour))) + "d"
	case s.D%time.Hour == 0:
		return strconv.Itoa(int(s.D/time.Hour)) + "h"
	}
	return strconv.Itoa(int(s.D/time.Minute)) + "m"
}

// Zero reports whether the span sets no deadline.
func (s Span) Zero() bool { return s.D == 0 && s.BusinessDays == 0 }

// After returns the deadline that starts at t under calendar cal.
func (s Span) After(t time.Time, cal *Calendar) time.Time {
	if s.BusinessDays > 0 {
		return cal.AddBusinessDays(t, s.BusinessDays)
	}
	return t.Add(s.D)
}

// Calendar is a party's working calendar: its time zone, weekend days and
// public holidays.
type Calendar struct {
	Location *time.Location
	Weekend  []time.Weekday
	// Holidays are dates (YYYY-MM-DD) in Location.
	Holidays map[string]bool
}

// NewCalendar returns the calendar of a party in zone, with a Saturday and
// Sunday weekend unless weekend names other days.
func NewCalendar(zone string, weekend []string, holidays []string) (*Calendar, error) {
	loc, err := time.LoadLocation(zone)
	if err != nil {
		return nil, fmt.Errorf("time zone %q: %w", zone, err)
	}
	c := &Calendar{Location: loc, Holidays: map[string]bool{}}
	if len(weekend) == 0 {
		c.Weekend = []time.Weekday{time.Saturday, time.Sunday}
	}
	for _, w := range weekend {
		d, ok := weekdays[strings.ToLower(w)]
		if !ok {
			return nil, fmt.Errorf("weekend day %q: want monday ... sunday", w)
		}
		c.Weekend = append(c.Weekend, d)
	}
	for _, h := range holidays {
		if _, err := time.Parse(time.DateOnly, h); err != nil {
			return nil, fmt.Errorf("holiday %q: want YYYY-MM-DD", h)
		}
		c.Holidays[h] = true
	}
	return c, nil
}

var weekdays = map[string]time.Weekday{"sunday": time.Sunday, "monday": time.Monday, "tuesday": time.Tuesday,
	"wednesday": time.Wednesday, "thursday": time.Thursday, "friday": time.Friday, "saturday": time.Saturday}

// BusinessDay reports whether the day of t (in the calendar's zone) is a
// working day.
func (c *Calendar) BusinessDay(t time.Time) bool {
	l := t.In(c.Location)
	return !slices.Contains(c.Weekend, l.Weekday()) && !c.Holidays[l.Format(time.DateOnly)]
}

// AddBusinessDays returns the deadline n business days after t: the same
// local time of day on the n-th following working day. A request that
// arrives on a day off counts from the start of the next working day, so
// "1 business day" from Saturday ends at the end of Monday.
// Requires n >= 0.
func (c *Calendar) AddBusinessDays(t time.Time, n int) time.Time {
	l := t.In(c.Location)
	if !c.BusinessDay(l) {
		for !c.BusinessDay(l) {
			l = time.Date(l.Year(), l.Month(), l.Day()+1, 0, 0, 0, 0, c.Location)
		}
	}
	for i := 0; i < n; {
		l = time.Date(l.Year(), l.Month(), l.Day()+1, l.Hour(), l.Minute(), l.Second(), l.Nanosecond(), c.Location)
		if c.BusinessDay(l) {
			i++
		}
	}
	return l.UTC()
}

// Limits are the time to acknowledge and the time to answer a request.
type Limits struct {
	Acknowledge Span
	Answer      Span
}

func (l Limits) String() string {
	return "acknowledge " + l.Acknowledge.String() + ", answer " + l.Answer.String()
}

func span(s string) Span {
	sp, err := ParseSpan(s)
	if err != nil {
		panic(err)
	}
	return sp
}

// DefaultLimits are the Liaison defaults of DOMAIN.md for a type and
// priority. Emergency requests of any type: 15 minutes (on the hotline) and
// 8 hours (the EU e-evidence emergency norm). Urgent requests must be
// acknowledged within the hour. Incident notifications have no figure in
// the sources; Liaison uses 4 hours and 10 days.
func DefaultLimits(t Type, p Priority) Limits {
	if p == Emergency {
		return Limits{span("15m"), span("8h")}
	}
	var l Limits
	switch t {
	case Preservation:
		l = Limits{span("1h"), span("24h")}
	case BECRecall:
		l = Limits{span("1h"), span("72h")} // counted from the transfer
	case TrafficData, Subscriber, DomainRegistration:
		l = Limits{span("1bd"), span("10d")}
	case MLA:
		l = Limits{span("2bd"), span("30d")} // decision; execution within 90 days
	case Information:
		l = Limits{span("1bd"), span("30d")}
	case Spontaneous:
		l = Limits{Acknowledge: span("1bd")}
	case Incident:
		l = Limits{span("4h"), span("10d")}
	default:
		l = Limits{span("1bd"), span("30d")}
	}
	if p == Urgent && (l.Acknowledge.BusinessDays > 0 || l.Acknowledge.D > time.Hour) {
		l.Acknowledge = span("1h")
	}
	return l
}

// Policy decides a request's deadlines on the requested party's node.
type Policy struct {
	// Calendar is this node's party's calendar.
	Calendar *Calendar
	// Overrides by requesting party, then by "type" or "type/priority"
	// (the more specific wins), from the bilateral agreement.
	Overrides map[string]map[string]Limits
}

// Limits returns the limits for a request from party peer, and the name
// of the rule that set them.
func (p *Policy) Limits(peer string, t Type, pr Priority) (Limits, string) {
	l, name := DefaultLimits(t, pr), "default"
	if o, ok := p.Overrides[peer]; ok {
		if x, ok := o[string(t)]; ok {
			l, name = merge(l, x), peer+":"+string(t)
		}
		if x, ok := o[string(t)+"/"+string(pr)]; ok {
			l, name = merge(l, x), peer+":"+string(t)+"/"+string(pr)
		}
	}
	return l, name
}

func merge(base, o Limits) Limits {
	if !o.Acknowledge.Zero() {
		base.Acknowledge = o.Acknowledge
	}
	if !o.Answer.Zero() {
		base.Answer = o.Answer
	}
	return base
}

// Deadlines computes the clocks of request c delivered at t: the deliver
// event's data.
func (p *Policy) Deadlines(c *Content, t time.Time) EventData {
	l, name := p.Limits(c.Requesting, c.Type, c.Priority)
	d := EventData{Policy: name + " (" + l.String() + ")"}
	d.AckDue = l.Acknowledge.After(t, p.Calendar)
	if !l.Answer.Zero() {
		d.AnswerDue = l.Answer.After(t, p.Calendar)
	}
	if c.Type == BECRecall {
		// Recall only helps within 72 hours of the transfer (the type's
		// own answer limit, whatever the priority): the deadline is that
		// window's end, or the priority's answer deadline if that comes
		// first (an emergency recall: 8 hours), and waiting for the
		// requester does not stretch it.
		if tr := timeField(c.Fields, "transfer_time"); !tr.IsZero() {
			window, _ := p.Limits(c.Requesting, BECRecall, Routine)
			end := tr.Add(window.Answer.D)
			if d.AnswerDue.IsZero() || end.Before(d.AnswerDue) {
				d.AnswerDue = end
			}
			d.AnswerFixed = true
			if d.AnswerDue.Before(d.AckDue) {
				d.AckDue = d.AnswerDue
			}
		}
	}
	return d
}

// MLAExecution is how long the requested party has to execute an MLA
// request once it has decided to (the decision itself is due within the
// type's answer limit, 30 days): the EIO norm of 90 days.
var MLAExecution = span("90d")

// ExecutionDue is when an MLA request decided at t must be answered.
func (p *Policy) ExecutionDue(t time.Time) time.Time {
	return MLAExecution.After(t, p.Calendar)
}

// Clock is a request's deadline view at a moment.
type Clock struct {
	// Phase is "acknowledge" or "answer" while a clock runs, "paused"
	// while waiting for the requester, "" when finished.
	Phase string    `json:"phase"`
	Due   time.Time `json:"due,omitzero"`
	// Left is the time remaining (negative when overdue).
	Left    time.Duration `json:"left"`
	Overdue bool          `json:"overdue"`
	// AckOnTime and AnswerOnTime record how it went, once known.
	AckOnTime    *bool `json:"ack_on_time,omitempty"`
	AnswerOnTime *bool `json:"answer_on_time,omitempty"`
}

// ClockAt is the deadline view of st at now.
func ClockAt(st *State, now time.Time) Clock {
	var c Clock
	if due := st.NextDue(); !due.IsZero() {
		c.Phase, c.Due, c.Left, c.Overdue = st.Phase(), due, due.Sub(now), now.After(due)
	} else if st.Status == MoreInfo || st.Status == Postponed {
		c.Phase = "paused"
		if !st.AnswerBase.IsZero() {
			c.Due = st.AnswerBase.Add(st.Paused + now.Sub(st.PausedSince))
			c.Left = st.AnswerBase.Add(st.Paused).Sub(st.PausedSince)
		}
	}
	if !st.Acknowledged.IsZero() && !st.AckDue.IsZero() {
		ok := !st.Acknowledged.After(st.AckDue)
		c.AckOnTime = &ok
	}
	if !st.Answered.IsZero() && !st.AnswerBase.IsZero() {
		ok := !st.Answered.After(st.AnswerDue())
		c.AnswerOnTime = &ok
	}
	return c
}

// NewPolicy builds the policy of a party in zone from the configuration's
// deadlines section.
func NewPolicy(zone string, d config.Deadlines) (*Policy, error) {
	cal, err := NewCalendar(zone, d.Weekend, d.Holidays)
	if err != nil {
		return nil, err
	}
	p := &Policy{Calendar: cal, Overrides: map[string]map[string]Limits{}}
	for peer, m := range d.Peers {
		p.Overrides[peer] = map[string]Limits{}
		for key, l := range m {
			t, pr, _ := strings.Cut(key, "/")
			if _, ok := Lookup(Type(t)); !ok || (pr != "" && !slices.Contains(Priorities, Priority(pr))) {
				return nil, fmt.Errorf("deadlines.peers.%s.%s: not a request type or type/priority", peer, key)
			}
			var lim Limits
			for dst, v := range map[*Span]string{&lim.Acknowledge: l.Acknowledge, &lim.Answer: l.Answer} {
				if v == "" {
					continue
				}
				if *dst, err = ParseSpan(v); err != nil {
					return nil, fmt.Errorf("deadlines.peers.%s.%s: %w", peer, key, err)
				}
			}
			p.Overrides[peer][key] = lim
		}
	}
	return p, nil
}
