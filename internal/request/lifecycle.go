package request

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/liaison-dev/liaison/internal/auth"
	"github.com/liaison-dev/liaison/internal/validation"
)

// Status is where a request stands. Both parties hold the same status:
// it is a fold of the shared timeline.
type Status string

// Statuses.
const (
	StatusDraft  Status = "draft"
	Sent         Status = "sent"
	Delivered    Status = "delivered" // the requested node applied it; the time is its signed receipt's
	Acknowledged Status = "acknowledged"
	InProgress   Status = "in_progress"
	MoreInfo     Status = "more_info_needed" // clock paused, back with the requester
	Postponed    Status = "postponed"        // clock paused (would prejudice an investigation)
	Answered     Status = "answered"
	Refused      Status = "refused"
	Withdrawn    Status = "withdrawn"
	Closed       Status = "closed"
)

// Statuses lists every status.
var Statuses = []Status{StatusDraft, Sent, Delivered, Acknowledged, InProgress, MoreInfo, Postponed, Answered, Refused, Withdrawn, Closed}

// Side is a party's side of a request.
type Side string

// Sides.
const (
	Requesting Side = "requesting"
	Requested  Side = "requested"
)

// Action is a transition of the lifecycle; each is an event of the
// timeline.
type Action string

// Actions.
const (
	Send              Action = "send"
	Deliver           Action = "deliver" // made by the requested node when the request arrives
	Acknowledge       Action = "acknowledge"
	AcceptConditions  Action = "accept_conditions"  // spontaneous information: accept the use conditions, which opens it
	DeclineConditions Action = "decline_conditions" // spontaneous information: decline it unopened
	Start             Action = "start"
	AskInfo           Action = "ask_info"
	ProvideInfo       Action = "provide_info"
	Postpone          Action = "postpone"
	Resume            Action = "resume"
	Answer            Action = "answer"
	Refuse            Action = "refuse"
	Extend            Action = "extend" // preservation: a later "preserved until"
	Withdraw          Action = "withdraw"
	Close             Action = "close"
	Link              Action = "link" // link a police-to-police request to the MLA request that follows it
)

type rule struct {
	side Side
	from []Status
	to   Status // empty: the status does not change
	// only restricts the rule to some types; nil allows every type.
	only func(Type) bool
}

func answerable(t Type) bool   { s, _ := Lookup(t); return s.Answerable }
func spontaneous(t Type) bool  { return t == Spontaneous }
func preservation(t Type) bool { return t == Preservation }
func notMLA(t Type) bool       { return t != MLA }

var open = []Status{Sent, Delivered, Acknowledged, InProgress, MoreInfo, Postponed}

// rules is the whole state machine.
var rules = map[Action]rule{
	Send:              {Requesting, []Status{StatusDraft}, Sent, nil},
	Deliver:           {Requested, []Status{Sent}, Delivered, nil},
	Acknowledge:       {Requested, []Status{Delivered}, Acknowledged, answerable},
	AcceptConditions:  {Requested, []Status{Delivered}, Acknowledged, spontaneous},
	DeclineConditions: {Requested, []Status{Delivered}, Closed, spontaneous},
	Start:             {Requested, []Status{Acknowledged}, InProgress, answerable},
	AskInfo:           {Requested, []Status{Acknowledged, InProgress, Postponed}, MoreInfo, answerable},
	ProvideInfo:       {Requesting, []Status{MoreInfo}, InProgress, answerable},
	Postpone:          {Requested, []Status{Acknowledged, InProgress}, Postponed, answerable},
	Resume:            {Requested, []Status{Postponed}, InProgress, answerable},
	Answer:            {Requested, []Status{Acknowledged, InProgress, Answered}, Answered, answerable},
	Refuse:            {Requested, []Status{Delivered, Acknowledged, InProgress, MoreInfo, Postponed}, Refused, answerable},
	Extend:            {Requested, []Status{Answered}, "", preservation},
	Withdraw:          {Requesting, open, Withdrawn, nil},
	Close:             {Requesting, []Status{Answered, Refused, Acknowledged}, Closed, nil},
	Link:              {Requesting, append(slices.Clone(open), Answered, Refused, Closed), "", notMLA},
}

// Actions lists every action, for documentation and the CLI.
func Actions() []Action {
	out := make([]Action, 0, len(rules))
	for a := range rules {
		out = append(out, a)
	}
	slices.Sort(out)
	return out
}

// ErrTransition is wrapped by TransitionError.
var ErrTransition = errors.New("request: transition not allowed")

// TransitionError is an action that is not allowed now; Allowed lists
// what the caller may do instead (HTTP 409).
type TransitionError struct {
	Action Action
	Status Status
	Why    string
	// Code and Params say Why as a message (validation.Messages), for
	// translation.
	Code    string
	Params  validation.Params
	Allowed []Action
}

// refusal returns the error for action a refused from status st for why.
func refusal(a Action, st Status, why validation.FieldError, allowed []Action) *TransitionError {
	return &TransitionError{Action: a, Status: st, Why: why.Detail, Code: why.Code, Params: why.Params, Allowed: allowed}
}

func (e *TransitionError) Error() string {
	al := make([]string, len(e.Allowed))
	for i, a := range e.Allowed {
		al[i] = string(a)
	}
	list := strings.Join(al, ", ")
	if list == "" {
		list = "none"
	}
	return fmt.Sprintf("cannot %s a request that is %s: %s; allowed now: %s", e.Action, e.Status, e.Why, list)
}

func (e *TransitionError) Unwrap() error { return ErrTransition }

// ActorRoles are the roles that act on requests of type t: MLA goes
// central authority to central authority, everything else 24/7 desk to
// 24/7 desk (a supervisor may act for the desk).
func ActorRoles(t Type) []auth.Role {
	if t == MLA {
		return []auth.Role{auth.CentralAuthority}
	}
	return []auth.Role{auth.Officer, auth.Supervisor}
}

// CanAct reports whether a user with roles may act on requests of type t.
func CanAct(t Type, roles []string) bool {
	for _, r := range roles {
		if slices.Contains(ActorRoles(t), auth.Role(r)) {
			return true
		}
	}
	return false
}

// Event is one entry of the shared timeline. Events are ordered by
// (Lamport, Party, ID), the same on both nodes; replaying them in that
// order gives the same state on both.
type Event struct {
	ID        string    `json:"id"`
	RequestID string    `json:"request_id"`
	Lamport   int64     `json:"lamport"`
	Party     string    `json:"party"`
	Action    Action    `json:"action"`
	Actor     string    `json:"actor"`
	At        time.Time `json:"at"`
	Data      EventData `json:"data"`

	// Set by Fold: the statuses around the event, or why it had no effect
	// (it lost a race with a concurrent event of the other party); VoidWhy
	// says the same as messages, for translation: the refused action
	// (field "action") or the bad fields of what it carried.
	From    Status            `json:"from,omitempty"`
	To      Status            `json:"to,omitempty"`
	Void    string            `json:"void,omitempty"`
	VoidWhy validation.Errors `json:"-"`
}

// EventData is what an action carries.
type EventData struct {
	Note         string `json:"note,omitempty"`
	Ground       string `json:"ground,omitempty"`
	Reasons      string `json:"reasons,omitempty"`
	Completeness string `json:"completeness,omitempty"` // answer: full or partial
	Answer       string `json:"answer,omitempty"`
	// PreservedUntil: preservation answers and extensions.
	PreservedUntil time.Time `json:"preserved_until,omitzero"`
	// Deliver carries the deadlines the requested party computed under
	// its calendar and the bilateral policy, so both run the same clocks.
	AckDue      time.Time `json:"ack_due,omitzero"`
	AnswerDue   time.Time `json:"answer_due,omitzero"`
	AnswerFixed bool      `json:"answer_fixed,omitempty"` // the answer window does not stretch with pauses (BEC recall)
	Policy      string    `json:"policy,omitempty"`
	LinkedMLA   string    `json:"linked_mla,omitempty"`
	// Attachments sent with the event.
	Attachments []AttachmentRef `json:"attachments,omitempty"`
	// Content is the request itself, carried by Send.
	Content *Content `json:"content,omitempty"`
}

// AttachmentRef names an evidence file carried with an event.
type AttachmentRef struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// State is a request's state, derived from its timeline.
type State struct {
	Status  Status `json:"status"`
	Lamport int64  `json:"lamport"`

	Sent         time.Time `json:"sent,omitzero"`
	Delivered    time.Time `json:"delivered,omitzero"`
	Acknowledged time.Time `json:"acknowledged,omitzero"`
	Answered     time.Time `json:"answered,omitzero"`
	Finished     time.Time `json:"finished,omitzero"` // refused, withdrawn or closed

	AckDue      time.Time `json:"ack_due,omitzero"`
	AnswerBase  time.Time `json:"answer_base,omitzero"`
	AnswerFixed bool      `json:"answer_fixed,omitempty"`
	Policy      string    `json:"policy,omitempty"`
	// Paused is the time spent waiting (more information, postponed);
	// PausedSince is set while waiting.
	Paused      time.Duration `json:"paused"`
	PausedSince time.Time     `json:"paused_since,omitzero"`

	Completeness   string    `json:"completeness,omitempty"`
	Ground         string    `json:"ground,omitempty"`
	Reasons        string    `json:"reasons,omitempty"`
	PreservedUntil time.Time `json:"preserved_until,omitzero"`
	// ConditionsAccepted is when the recipient accepted the use conditions.
	ConditionsAccepted   time.Time `json:"conditions_accepted,omitzero"`
	ConditionsAcceptedBy string    `json:"conditions_accepted_by,omitempty"`
	LinkedMLA            string    `json:"linked_mla,omitempty"`
}

// AnswerDue is the answer deadline with the time spent waiting added
// (zero before delivery).
func (s *State) AnswerDue() time.Time {
	if s.AnswerBase.IsZero() || s.AnswerFixed {
		return s.AnswerBase
	}
	return s.AnswerBase.Add(s.Paused)
}

// NextDue is the deadline running now: acknowledgement after delivery,
// the answer while the requested party works (and, after a partial
// answer, for the rest of it), none while the clock is paused or the
// request is finished.
func (s *State) NextDue() time.Time {
	switch {
	case s.Status == Delivered:
		return s.AckDue
	case s.Status == Acknowledged, s.Status == InProgress, s.partlyAnswered():
		return s.AnswerDue()
	}
	return time.Time{}
}

// Phase names the running deadline: "acknowledge", "answer" or "".
func (s *State) Phase() string {
	switch {
	case s.Status == Delivered:
		return "acknowledge"
	case s.Status == Acknowledged, s.Status == InProgress, s.partlyAnswered():
		if !s.AnswerBase.IsZero() {
			return "answer"
		}
	}
	return ""
}

// partlyAnswered reports an answer given in part: the rest is still due,
// by the same deadline.
func (s *State) partlyAnswered() bool { return s.Status == Answered && s.Completeness == "partial" }

// SideOf returns party's side of request c ("" for neither).
func SideOf(c *Content, party string) Side {
	switch party {
	case c.Requesting:
		return Requesting
	case c.Requested:
		return Requested
	}
	return ""
}

// Allowed lists the actions side may take now, in a stable order.
func Allowed(c *Content, st *State, side Side) []Action {
	var out []Action
	for _, a := range Actions() {
		if a == Deliver {
			continue // the node's own doing, never a user's
		}
		if check(c, st, side, a).Detail == "" {
			if a == Answer && st.Status == Answered && st.Completeness != "partial" {
				continue
			}
			out = append(out, a)
		}
	}
	return out
}

// check says why side may not take action a now (an error of the field
// "action"), or returns an error with an empty Detail.
func check(c *Content, st *State, side Side, a Action) validation.FieldError {
	r, ok := rules[a]
	switch {
	case !ok:
		return msgNoSuchAction.On("action", nil)
	case r.only != nil && !r.only(c.Type):
		return msgNotActionOfType.On("action", validation.Params{"type": string(c.Type)})
	case side != r.side:
		return msgWrongSide.On("action", validation.Params{"side": string(r.side), "action": string(a)})
	case !slices.Contains(r.from, st.Status),
		a == Close && st.Status == Acknowledged && c.Type != Spontaneous:
		return msgNotFrom.On("action", validation.Params{"status": string(st.Status)})
	}
	return validation.FieldError{}
}

// checkData validates what an event carries, naming the fields.
func checkData(c *Content, st *State, e *Event) validation.Errors {
	var errs validation.Errors
	d := &e.Data
	errs.MaxLen("note", d.Note, 20000)
	switch e.Action {
	case Refuse:
		if !slices.Contains(Grounds, d.Ground) {
			errs.Report("ground", msgGround, validation.Params{"grounds": strings.Join(Grounds, ", ")})
		}
		errs.Required("reasons", d.Reasons, 20000)
	case Answer:
		if d.Completeness != "full" && d.Completeness != "partial" {
			errs.Report("completeness", msgCompleteness, nil)
		}
		errs.Required("answer", d.Answer, 100000)
		if st.Status == Answered && st.Completeness != "partial" {
			errs.Report("completeness", msgAnsweredInFull, nil)
		}
		if c.Type == Preservation && d.Completeness == "full" {
			switch {
			case d.PreservedUntil.IsZero():
				errs.Report("preserved_until", msgPreservedUntil, nil)
			case d.PreservedUntil.Before(e.At.Add(MinPreservation)):
				errs.Report("preserved_until", msgPreservedMin, nil)
			}
		}
	case Extend:
		if d.PreservedUntil.IsZero() || !d.PreservedUntil.After(st.PreservedUntil) {
			errs.Report("preserved_until", msgPreservedLater, nil)
		}
	case AskInfo, Postpone, Withdraw:
		errs.Required("note", d.Note, 20000)
	case ProvideInfo:
		errs.Required("note", d.Note, 20000)
	case Link:
		if !idRE.MatchString(d.LinkedMLA) {
			errs.Report("linked_mla", msgLinkedMLA, nil)
		}
	case Start:
		if !d.AnswerDue.IsZero() && (c.Type != MLA || !d.AnswerDue.After(e.At)) {
			errs.Report("answer_due", msgExecutionDue, nil)
		}
	case Deliver:
		if d.AckDue.IsZero() {
			errs.Report("ack_due", validation.MsgRequired, nil)
		}
	case Send:
		if d.Content == nil || d.Content.ID != c.ID {
			errs.Report("content", msgSendContent, nil)
		}
	}
	if len(d.Attachments) > MaxAttachments {
		errs.Report("attachments", msgAttachmentsMax, validation.Params{"max": strconv.Itoa(MaxAttachments)})
	}
	return errs
}

// MinPreservation is the least a preservation lasts (Budapest Art. 29(7)).
const MinPreservation = 60 * 24 * time.Hour

// MaxAttachments bounds the files of one event.
const MaxAttachments = 32

// Fold replays the timeline in order and returns the state, with every
// event annotated (From, To, or Void with the reason). It is a pure
// function of the content and the set of events, so two nodes holding
// the same events hold the same state.
func Fold(c *Content, events []Event) (State, []Event) {
	st := State{Status: StatusDraft}
	evs := slices.Clone(events)
	slices.SortStableFunc(evs, func(a, b Event) int {
		switch {
		case a.Lamport != b.Lamport:
			if a.Lamport < b.Lamport {
				return -1
			}
			return 1
		case a.Party != b.Party:
			return strings.Compare(a.Party, b.Party)
		}
		return strings.Compare(a.ID, b.ID)
	})
	for i := range evs {
		e := &evs[i]
		st.Lamport = max(st.Lamport, e.Lamport)
		e.From, e.To, e.Void, e.VoidWhy = st.Status, "", "", nil
		if why := check(c, &st, SideOf(c, e.Party), e.Action); why.Detail != "" {
			e.Void, e.VoidWhy = why.Detail, validation.Errors{why}
			continue
		}
		if errs := checkData(c, &st, e); len(errs) > 0 {
			e.Void, e.VoidWhy = errs.Error(), errs
			continue
		}
		apply(&st, rules[e.Action], e)
		e.To = st.Status
	}
	return st, evs
}

func apply(st *State, r rule, e *Event) {
	wasPaused := st.Status == MoreInfo || st.Status == Postponed
	if r.to != "" {
		st.Status = r.to
	}
	nowPaused := st.Status == MoreInfo || st.Status == Postponed
	switch {
	case wasPaused && !nowPaused:
		if e.At.After(st.PausedSince) {
			st.Paused += e.At.Sub(st.PausedSince)
		}
		st.PausedSince = time.Time{}
	case !wasPaused && nowPaused:
		st.PausedSince = e.At
	}
	d := e.Data
	switch e.Action {
	case Send:
		st.Sent = e.At
	case Deliver:
		st.Delivered, st.AckDue, st.AnswerBase, st.AnswerFixed, st.Policy = e.At, d.AckDue, d.AnswerDue, d.AnswerFixed, d.Policy
	case Acknowledge:
		st.Acknowledged = e.At
	case Start:
		// An MLA request's decision to execute starts the execution
		// clock: the answer is then due by the execution deadline the
		// requested party computed, from that moment.
		if !d.AnswerDue.IsZero() {
			st.AnswerBase, st.AnswerFixed, st.Paused = d.AnswerDue, false, 0
		}
	case AcceptConditions:
		st.Acknowledged, st.ConditionsAccepted, st.ConditionsAcceptedBy = e.At, e.At, e.Actor
	case Answer:
		if st.Answered.IsZero() {
			st.Answered = e.At
		}
		st.Completeness = d.Completeness
		if !d.PreservedUntil.IsZero() {
			st.PreservedUntil = d.PreservedUntil
		}
	case Extend:
		st.PreservedUntil = d.PreservedUntil
	case Refuse:
		st.Ground, st.Reasons, st.Finished = d.Ground, d.Reasons, e.At
	case Withdraw, Close, DeclineConditions:
		st.Finished = e.At
	case Link:
		st.LinkedMLA = d.LinkedMLA
	}
}
