package request

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/liaison-dev/liaison/internal/audit"
	"github.com/liaison-dev/liaison/internal/auth"
	"github.com/liaison-dev/liaison/internal/clock"
	"github.com/liaison-dev/liaison/internal/federation"
	"github.com/liaison-dev/liaison/internal/ledger"
	"github.com/liaison-dev/liaison/internal/store"
	"github.com/liaison-dev/liaison/internal/validation"
)

// MessageType is the federation envelope type of timeline events.
const MessageType = "request.event"

var (
	partyRE = regexp.MustCompile(`^[A-Z][A-Z0-9-]{1,15}$`)
	idRE    = regexp.MustCompile(`^[0-9a-f]{32}$`)
)

// Federation is what the service needs of the federation layer.
type Federation interface {
	Enqueue(ctx context.Context, q store.Queries, msg federation.Message) (string, error)
	Kick()
	StageAttachment(name string, r io.Reader) (federation.Attachment, error)
}

// Hotline is what the service needs of the hotline (internal/hotline):
// ringing the on-call officer for urgent requests, stopping the ringing on
// acknowledgement, and escalating deadline breaches. Every method runs in
// the caller's transaction.
type Hotline interface {
	Ring(ctx context.Context, q store.Queries, c Call) error
	Acknowledged(ctx context.Context, q store.Queries, requestID, actor string, at time.Time) error
	Breach(ctx context.Context, q store.Queries, b Breach) error
}

// Call asks the hotline to ring this node's on-call officer.
type Call struct {
	RequestID, Reference, Peer, Title string
	Type                              Type
	Priority                          Priority
	// Phase is the deadline that passed, when the call is for a breach.
	Phase    string
	Exercise bool
	At       time.Time
}

// Breach is a deadline that passed.
type Breach struct {
	RequestID, Reference, Peer, Title, Phase string
	Priority                                 Priority
	Side                                     Side
	Due, At                                  time.Time
}

// Service runs requests for assistance on one node.
type Service struct {
	Store store.Store
	Clock clock.Clock
	// Party is this node's party.
	Party      string
	Federation Federation
	Policy     *Policy
	// Hotline may be nil (no ringing, no escalation notices).
	Hotline Hotline
	Log     *slog.Logger
	// Dir holds the evidence files added on this node.
	Dir string
}

// Register installs the service's envelope handler.
func (s *Service) Register(f interface {
	Handle(typ string, h federation.Handler)
}) {
	f.Handle(MessageType, s.receive)
}

// Sentinel errors.
var (
	// ErrForbidden: the caller's role may not act on this type of request
	// (MLA is the central authority's) — HTTP 403.
	ErrForbidden = auth.ErrForbidden
	// ErrConditions: spontaneous information is opened only after its use
	// conditions are accepted (HTTP 409).
	ErrConditions = errors.New("request: accept the use conditions first")
)

// View is a request as a user sees it.
type View struct {
	Content
	Side    Side     `json:"side"`
	State   State    `json:"state"`
	Clock   Clock    `json:"clock"`
	Allowed []Action `json:"allowed"`
	// Sealed is set while spontaneous information waits for its use
	// conditions to be accepted; Fields is empty until then.
	Sealed      string                    `json:"sealed,omitempty"`
	Timeline    []Event                   `json:"timeline,omitempty"`
	Attachments []store.RequestAttachment `json:"attachments,omitempty"`
	Escalations []store.Escalation        `json:"escalations,omitempty"`
}

func (s *Service) now() time.Time { return s.Clock.Now().UTC().Truncate(time.Microsecond) }

// Create records a draft request from the caller.
func (s *Service) Create(ctx context.Context, p *auth.Principal, d Draft) (View, error) {
	if err := d.Validate(); err != nil {
		return View{}, err
	}
	if !CanAct(d.Type, p.User.Roles) {
		return View{}, fmt.Errorf("%w: %s requests are made by %v", ErrForbidden, d.Type, ActorRoles(d.Type))
	}
	if d.To == s.Party {
		return View{}, validation.Errors{msgToSelf.On("to", nil)}
	}
	now := s.now()
	id := auth.NewID()
	c := Content{ID: id, Reference: s.Party + "-" + now.Format("20060102") + "-" + strings.ToUpper(id[:6]), Type: d.Type, Priority: d.Priority,
		Requesting: s.Party, Requested: d.To, Agency: p.User.Agency, Title: d.Title, Confidential: d.Confidential,
		VisibleTo: nonNil(d.VisibleTo), Conditions: nonNil(d.Conditions), Exercise: d.Exercise, Fields: d.Fields, CreatedBy: p.Actor(), Created: now}
	err := s.Store.InTx(ctx, func(q store.Queries) error {
		if _, err := q.GetPeer(ctx, d.To); errors.Is(err, store.ErrNotFound) {
			return validation.Errors{msgNoPeer.On("to", validation.Params{"party": d.To})}
		} else if err != nil {
			return err
		}
		row, err := rowOf(&c, true)
		if err != nil {
			return err
		}
		if err := q.InsertRequest(ctx, row); err != nil {
			return err
		}
		return audit.RecordDetail(ctx, q, s.Clock, p.Actor(), "request.create", "request", id, nil, c, c.Reference+" "+string(c.Type)+" to "+c.Requested)
	})
	if err != nil {
		return View{}, err
	}
	return s.Get(ctx, p, id)
}

func nonNil(v []string) []string {
	if v == nil {
		return []string{}
	}
	return v
}

// rowOf is the stored form of a request with no events yet.
func rowOf(c *Content, outgoing bool) (store.RequestRow, error) {
	b, err := json.Marshal(c)
	if err != nil {
		return store.RequestRow{}, err
	}
	st, _ := json.Marshal(State{Status: StatusDraft})
	vis := c.VisibleTo
	conf := c.Confidential
	if c.Type == MLA {
		// MLA is received by the central authority only.
		conf, vis = true, []string{string(auth.CentralAuthority), string(auth.Auditor)}
	}
	return store.RequestRow{ID: c.ID, Reference: c.Reference, Type: string(c.Type), Priority: string(c.Priority), Requesting: c.Requesting,
		Requested: c.Requested, Outgoing: outgoing, Exercise: c.Exercise, Confidential: conf, VisibleTo: vis, CreatedBy: c.CreatedBy,
		Created: c.Created, Content: b, Status: string(StatusDraft), Updated: c.Created, State: st}, nil
}

// canSee applies confidentiality and MLA routing to a caller at this node.
func canSee(row *store.RequestRow, roles []string) bool {
	if row.Type == string(MLA) && !slices.ContainsFunc(roles, func(r string) bool {
		return r == string(auth.CentralAuthority) || r == string(auth.Auditor)
	}) {
		return false
	}
	if row.Confidential && !row.Outgoing {
		return slices.ContainsFunc(roles, func(r string) bool { return slices.Contains(row.VisibleTo, r) })
	}
	return true
}

// loaded is a request with its timeline, folded.
type loaded struct {
	row    store.RequestRow
	c      Content
	st     State
	events []Event
}

func load(ctx context.Context, q store.Queries, id string) (*loaded, error) {
	row, err := q.GetRequest(ctx, id)
	if err != nil {
		return nil, err
	}
	l := &loaded{row: row}
	if err := json.Unmarshal(row.Content, &l.c); err != nil {
		return nil, fmt.Errorf("request %s: content: %w", id, err)
	}
	evs, err := q.ListRequestEvents(ctx, id)
	if err != nil {
		return nil, err
	}
	events := make([]Event, 0, len(evs))
	for _, se := range evs {
		var e Event
		if err := json.Unmarshal(se.Body, &e); err != nil {
			return nil, fmt.Errorf("request %s: event %s: %w", id, se.ID, err)
		}
		events = append(events, e)
	}
	l.st, l.events = Fold(&l.c, events)
	return l, nil
}

// add appends event e to l, refolds and stores the derived columns.
func (s *Service) add(ctx context.Context, q store.Queries, l *loaded, e Event, envelopeID string) error {
	body, err := json.Marshal(e)
	if err != nil {
		return err
	}
	if err := q.InsertRequestEvent(ctx, store.RequestEvent{ID: e.ID, RequestID: e.RequestID, Lamport: e.Lamport, Party: e.Party,
		Action: string(e.Action), Actor: e.Actor, At: e.At, Body: body, EnvelopeID: envelopeID, Recorded: s.now()}); err != nil {
		return err
	}
	all := make([]Event, 0, len(l.events)+1)
	for _, x := range l.events {
		x.From, x.To, x.Void = "", "", ""
		all = append(all, x)
	}
	l.st, l.events = Fold(&l.c, append(all, e))
	st, err := json.Marshal(l.st)
	if err != nil {
		return err
	}
	l.row.Status, l.row.Lamport, l.row.NextDue, l.row.Updated, l.row.State, l.row.LinkedMLA = string(l.st.Status), l.st.Lamport, l.st.NextDue(), s.now(), st, l.st.LinkedMLA
	if err := q.UpdateRequest(ctx, l.row); err != nil {
		return err
	}
	if _, err := ledger.Append(ctx, q, ledger.Entry{Kind: ledger.KindRequestTransition, ObjectID: e.RequestID, At: e.At, Exercise: l.c.Exercise, Body: body}); err != nil {
		return err
	}
	return nil
}

// ActInput is what a user's action carries.
type ActInput struct {
	EventData
	// Attach sends the evidence files added on this node and not yet sent.
	Attach bool `json:"attach,omitempty"`
}

// Act takes action a on request id as the caller. It is one transaction:
// the event, the derived state, the audit entry, the ledger entry and the
// message to the other party commit together.
func (s *Service) Act(ctx context.Context, p *auth.Principal, id string, a Action, in ActInput) (View, error) {
	if a == Deliver {
		return View{}, refusal(a, "", msgDeliverByNode.On("action", nil), nil)
	}
	var msg *federation.Message
	err := s.Store.InTx(ctx, func(q store.Queries) error {
		l, err := load(ctx, q, id)
		if err != nil {
			return err
		}
		if !canSee(&l.row, p.User.Roles) {
			return store.ErrNotFound
		}
		if !CanAct(l.c.Type, p.User.Roles) {
			return fmt.Errorf("%w: %s requests are handled by %v", ErrForbidden, l.c.Type, ActorRoles(l.c.Type))
		}
		side := SideOf(&l.c, s.Party)
		if why := check(&l.c, &l.st, side, a); why.Detail != "" {
			return refusal(a, l.st.Status, why, Allowed(&l.c, &l.st, side))
		}
		e := Event{ID: auth.NewID(), RequestID: id, Lamport: l.st.Lamport + 1, Party: s.Party, Action: a, Actor: p.Actor(), At: s.now(), Data: in.EventData}
		e.Data.AckDue, e.Data.AnswerDue, e.Data.AnswerFixed, e.Data.Policy, e.Data.Content, e.Data.Attachments = time.Time{}, time.Time{}, false, "", nil, nil
		if a == Send {
			c := l.c
			e.Data.Content = &c
		}
		if a == Start && l.c.Type == MLA {
			e.Data.AnswerDue = s.Policy.ExecutionDue(e.At)
		}
		if errs := checkData(&l.c, &l.st, &e); len(errs) > 0 {
			return errs
		}
		var atts []federation.Attachment
		if in.Attach || a == Send {
			if e.Data.Attachments, atts, err = s.pendingAttachments(ctx, q, id, p.Actor(), e.At); err != nil {
				return err
			}
		}
		before := l.st
		m, err := s.emit(ctx, q, l, e, atts)
		if err != nil {
			return err
		}
		msg = m
		if (a == Acknowledge || a == AcceptConditions) && s.Hotline != nil {
			if err := s.Hotline.Acknowledged(ctx, q, id, p.Actor(), e.At); err != nil {
				return err
			}
		}
		return audit.RecordDetail(ctx, q, s.Clock, p.Actor(), "request."+string(a), "request", id, before, l.st, l.c.Reference+": "+string(before.Status)+" -> "+string(l.st.Status))
	})
	if err != nil {
		return View{}, err
	}
	if msg != nil && s.Federation != nil {
		s.Federation.Kick()
	}
	return s.Get(ctx, p, id)
}

// emit adds a local event and queues it for the other party.
func (s *Service) emit(ctx context.Context, q store.Queries, l *loaded, e Event, atts []federation.Attachment) (*federation.Message, error) {
	payload, err := json.Marshal(wire{Event: e})
	if err != nil {
		return nil, err
	}
	peer := l.c.Requested
	if s.Party == l.c.Requested {
		peer = l.c.Requesting
	}
	msg := federation.Message{Type: MessageType, Recipients: []string{peer}, Conversation: l.c.ID, Exercise: l.c.Exercise, Payload: payload, Attachments: atts}
	if l.c.Confidential {
		msg.Marking = "TLP:AMBER+STRICT"
	}
	var envID string
	if s.Federation != nil {
		if envID, err = s.Federation.Enqueue(ctx, q, msg); err != nil {
			return nil, err
		}
	}
	if err := s.add(ctx, q, l, e, envID); err != nil {
		return nil, err
	}
	return &msg, nil
}

// wire is the payload of a MessageType envelope.
type wire struct {
	Event Event `json:"event"`
}

// MaxPayload bounds a received event.
const MaxPayload = 2 << 20

// DecodeEvent decodes and statically checks a received payload. It never
// panics.
func DecodeEvent(b []byte) (Event, error) {
	var w wire
	if len(b) > MaxPayload {
		return Event{}, errors.New("payload too large")
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&w); err != nil {
		return Event{}, fmt.Errorf("payload: %w", err)
	}
	e := w.Event
	var errs validation.Errors
	if !idRE.MatchString(e.ID) {
		errs.Report("event.id", validation.MsgHexID, nil)
	}
	if !idRE.MatchString(e.RequestID) {
		errs.Report("event.request_id", validation.MsgHexID, nil)
	}
	if _, ok := rules[e.Action]; !ok {
		errs.Report("event.action", msgUnknownAction, nil)
	}
	if e.Lamport < 1 || e.Lamport > 1<<40 {
		errs.Report("event.lamport", validation.MsgOutOfRange, nil)
	}
	if e.At.IsZero() {
		errs.Report("event.at", validation.MsgRequired, nil)
	}
	if !partyRE.MatchString(e.Party) {
		errs.Report("event.party", validation.MsgPartyCode, nil)
	}
	errs.MaxLen("event.actor", e.Actor, 200)
	if e.Void != "" || e.From != "" || e.To != "" {
		errs.Report("event", msgDerivedFields, nil)
	}
	if (e.Action == Send) != (e.Data.Content != nil) {
		errs.Report("event.data.content", msgContentSendOnly, nil)
	}
	if c := e.Data.Content; c != nil {
		d := Draft{Type: c.Type, Priority: c.Priority, To: c.Requested, Title: c.Title, Confidential: c.Confidential,
			VisibleTo: c.VisibleTo, Conditions: c.Conditions, Exercise: c.Exercise, Fields: c.Fields}
		if err := d.Validate(); err != nil {
			fe, _ := validation.As(err)
			for _, f := range fe {
				f.Field = "event.data.content." + f.Field
				errs = append(errs, f)
			}
		}
		if c.ID != e.RequestID {
			errs.Report("event.data.content.id", msgContentID, nil)
		}
		if c.Requesting != e.Party {
			errs.Report("event.data.content.requesting", msgContentSender, nil)
		}
	}
	return e, errs.Err()
}

// receive applies an event from a peer: the federation handler.
func (s *Service) receive(ctx context.Context, q store.Queries, d federation.Delivery) error {
	e, err := DecodeEvent(d.Payload)
	if err != nil {
		return fmt.Errorf("%w: %w", federation.ErrPermanent, err)
	}
	if e.Party != d.Header.Sender || e.RequestID != d.Header.Conversation {
		return fmt.Errorf("%w: event party or request does not match the envelope", federation.ErrPermanent)
	}
	var l *loaded
	if e.Action == Send {
		c := *e.Data.Content
		if c.Requested != s.Party {
			return fmt.Errorf("%w: request is addressed to %s", federation.ErrPermanent, c.Requested)
		}
		if c.Exercise != d.Header.Exercise {
			return fmt.Errorf("%w: exercise flag differs from the envelope's", federation.ErrPermanent)
		}
		if _, err := q.GetRequest(ctx, c.ID); errors.Is(err, store.ErrNotFound) {
			row, err := rowOf(&c, false)
			if err != nil {
				return err
			}
			if err := q.InsertRequest(ctx, row); err != nil {
				return err
			}
		} else if err != nil {
			return err
		}
	}
	l, err = load(ctx, q, e.RequestID)
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("%w: unknown request %s", federation.ErrPermanent, e.RequestID)
	} else if err != nil {
		return err
	}
	if SideOf(&l.c, e.Party) != rules[e.Action].side {
		return fmt.Errorf("%w: %s may not %s request %s", federation.ErrPermanent, e.Party, e.Action, e.RequestID)
	}
	if err := s.receiveAttachments(ctx, q, &e, d); err != nil {
		return err
	}
	before := l.st
	if err := s.add(ctx, q, l, e, d.Header.ID); errors.Is(err, store.ErrConflict) {
		return nil // seen already
	} else if err != nil {
		return err
	}
	peerActor := "peer:" + e.Party + "/" + e.Actor
	if err := audit.RecordDetail(ctx, q, s.Clock, peerActor, "request.received."+string(e.Action), "request", l.c.ID, before, l.st,
		l.c.Reference+": "+string(before.Status)+" -> "+string(l.st.Status)); err != nil {
		return err
	}
	if e.Action == Send && l.st.Status == Sent {
		return s.deliver(ctx, q, l, d.Received)
	}
	return nil
}

// deliver records, on the requested node, that the request arrived: at
// the time of the signed receipt, with the deadlines this party's policy
// and calendar give. It rings the hotline for urgent and emergency
// requests.
func (s *Service) deliver(ctx context.Context, q store.Queries, l *loaded, at time.Time) error {
	at = at.UTC().Truncate(time.Microsecond)
	data := s.Policy.Deadlines(&l.c, at)
	e := Event{ID: auth.NewID(), RequestID: l.c.ID, Lamport: l.st.Lamport + 1, Party: s.Party, Action: Deliver, Actor: "node:" + s.Party, At: at, Data: data}
	if _, err := s.emit(ctx, q, l, e, nil); err != nil {
		return err
	}
	if s.Hotline != nil && (l.c.Priority == Urgent || l.c.Priority == Emergency) {
		return s.Hotline.Ring(ctx, q, Call{RequestID: l.c.ID, Reference: l.c.Reference, Peer: l.c.Requesting, Title: l.c.Title,
			Type: l.c.Type, Priority: l.c.Priority, Exercise: l.c.Exercise, At: at})
	}
	return nil
}

// Get returns a request with its timeline.
func (s *Service) Get(ctx context.Context, p *auth.Principal, id string) (View, error) {
	l, err := load(ctx, s.Store, id)
	if err != nil {
		return View{}, err
	}
	if !canSee(&l.row, p.User.Roles) {
		return View{}, store.ErrNotFound
	}
	v := s.view(l, p)
	v.Timeline = l.events
	if v.Sealed == "" {
		if v.Attachments, err = s.Store.ListAttachments(ctx, id); err != nil {
			return View{}, err
		}
	}
	if v.Escalations, err = s.Store.ListEscalations(ctx, id); err != nil {
		return View{}, err
	}
	return v, nil
}

func (s *Service) view(l *loaded, p *auth.Principal) View {
	side := SideOf(&l.c, s.Party)
	v := View{Content: l.c, Side: side, State: l.st, Clock: ClockAt(&l.st, s.now()), Allowed: []Action{}}
	if CanAct(l.c.Type, p.User.Roles) {
		v.Allowed = Allowed(&l.c, &l.st, side)
	}
	if l.c.Type == Spontaneous && side == Requested && l.st.ConditionsAccepted.IsZero() {
		v.Fields, v.Sealed = map[string]any{}, "accept the use conditions to open this information"
	}
	return v
}

// Filter selects requests to list.
type Filter struct {
	Status   []Status
	Type     Type
	Party    string
	Priority Priority
	// Direction is "in", "out" or "".
	Direction string
	// Overdue selects running deadlines already passed; DueWithin those
	// passing within the duration from now.
	Overdue   bool
	DueWithin time.Duration
	// Exercise, when set, selects only exercise traffic (true) or only
	// real traffic (false), as real figures need.
	Exercise *bool
	Limit    int
}

// List returns the requests the caller may see, newest first.
func (s *Service) List(ctx context.Context, p *auth.Principal, f Filter) ([]View, error) {
	sf := store.RequestFilter{Type: string(f.Type), Priority: string(f.Priority), Party: f.Party, Roles: nonNil(p.User.Roles), Limit: f.Limit,
		Exercise: f.Exercise}
	for _, st := range f.Status {
		sf.Statuses = append(sf.Statuses, string(st))
	}
	switch f.Direction {
	case "in", "out":
		out := f.Direction == "out"
		sf.Outgoing = &out
	}
	now := s.now()
	switch {
	case f.Overdue:
		sf.DueBefore = now.Add(-time.Microsecond)
	case f.DueWithin > 0:
		sf.DueBefore = now.Add(f.DueWithin)
	}
	rows, err := s.Store.ListRequests(ctx, sf)
	if err != nil {
		return nil, err
	}
	out := []View{}
	for _, row := range rows {
		if !canSee(&row, p.User.Roles) {
			continue
		}
		l := &loaded{row: row}
		if err := json.Unmarshal(row.Content, &l.c); err != nil {
			return nil, err
		}
		if err := json.Unmarshal(row.State, &l.st); err != nil {
			return nil, err
		}
		out = append(out, s.view(l, p))
	}
	return out, nil
}

// Sweep escalates every running deadline that has passed, once per
// request and phase: the supervisors are notified, and urgent and
// emergency breaches go to the hotline. It returns how many it escalated.
func (s *Service) Sweep(ctx context.Context) (int, error) {
	now := s.now()
	rows, err := s.Store.ListRequests(ctx, store.RequestFilter{DueBefore: now.Add(-time.Microsecond)})
	if err != nil {
		return 0, err
	}
	n := 0
	for _, row := range rows {
		var st State
		var c Content
		if json.Unmarshal(row.State, &st) != nil || json.Unmarshal(row.Content, &c) != nil {
			continue
		}
		phase, due := st.Phase(), st.NextDue()
		if phase == "" || !now.After(due) {
			continue
		}
		side := SideOf(&c, s.Party)
		peer := c.Requested
		if side == Requested {
			peer = c.Requesting
		}
		err := s.Store.InTx(ctx, func(q store.Queries) error {
			if err := q.InsertEscalation(ctx, store.Escalation{RequestID: c.ID, Phase: phase, Level: 1, At: now, Due: due}); err != nil {
				return err
			}
			if s.Hotline != nil {
				if err := s.Hotline.Breach(ctx, q, Breach{RequestID: c.ID, Reference: c.Reference, Peer: peer, Title: c.Title, Phase: phase,
					Priority: c.Priority, Side: side, Due: due, At: now}); err != nil {
					return err
				}
			}
			return audit.RecordDetail(ctx, q, s.Clock, "node:"+s.Party, "request.breach", "request", c.ID, nil, nil,
				fmt.Sprintf("%s: %s deadline %s passed", c.Reference, phase, due.Format(time.RFC3339)))
		})
		switch {
		case errors.Is(err, store.ErrConflict):
		case err != nil:
			return n, err
		default:
			n++
		}
	}
	return n, nil
}

// Run sweeps deadlines every interval until ctx ends.
func (s *Service) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if _, err := s.Sweep(ctx); err != nil && ctx.Err() == nil && s.Log != nil {
			s.Log.Warn("request: deadline sweep", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Attachments.

// MaxAttachment bounds one evidence file.
const MaxAttachment = 1 << 30

var attName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._ -]{0,199}$`)

// AddAttachment streams an evidence file into the node and records it on
// the request, with the first link of its chain of custody. It is sent
// with the caller's next action that attaches files (and with Send).
func (s *Service) AddAttachment(ctx context.Context, p *auth.Principal, id, name string, r io.Reader) (store.RequestAttachment, error) {
	if !attName.MatchString(name) || strings.Contains(name, "..") {
		return store.RequestAttachment{}, validation.Errors{validation.MsgFileName.On("name", nil)}
	}
	l, err := load(ctx, s.Store, id)
	if err != nil {
		return store.RequestAttachment{}, err
	}
	if !canSee(&l.row, p.User.Roles) {
		return store.RequestAttachment{}, store.ErrNotFound
	}
	if !CanAct(l.c.Type, p.User.Roles) {
		return store.RequestAttachment{}, ErrForbidden
	}
	if err := os.MkdirAll(s.Dir, 0o700); err != nil {
		return store.RequestAttachment{}, err
	}
	a := store.RequestAttachment{ID: auth.NewID(), RequestID: id, Name: name, AddedBy: p.Actor(), Added: s.now()}
	a.Path = filepath.Join(s.Dir, a.ID)
	f, err := os.OpenFile(a.Path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return a, err
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(f, h), io.LimitReader(r, MaxAttachment+1))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil && n > MaxAttachment {
		err = validation.Errors{validation.MsgTooLarge.On("file", validation.Params{"max": strconv.Itoa(MaxAttachment)})}
	}
	if err != nil {
		os.Remove(a.Path)
		return a, err
	}
	a.Size, a.SHA256 = n, hex.EncodeToString(h.Sum(nil))
	err = s.Store.InTx(ctx, func(q store.Queries) error {
		if err := q.InsertAttachment(ctx, a); err != nil {
			return err
		}
		if _, err := q.AppendCustody(ctx, store.CustodyEntry{AttachmentID: a.ID, At: a.Added, Actor: p.Actor(), Action: "added",
			Detail: "sha256 " + a.SHA256}); err != nil {
			return err
		}
		return audit.Record(ctx, q, s.Clock, p.Actor(), "request.attachment.add", "request", id, nil, a)
	})
	if err != nil {
		os.Remove(a.Path)
	}
	return a, err
}

// pendingAttachments stages the files added on this node and not sent yet.
func (s *Service) pendingAttachments(ctx context.Context, q store.Queries, id, actor string, at time.Time) ([]AttachmentRef, []federation.Attachment, error) {
	all, err := q.ListAttachments(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	var refs []AttachmentRef
	var atts []federation.Attachment
	for _, a := range all {
		cs, err := q.ListCustody(ctx, a.ID)
		if err != nil {
			return nil, nil, err
		}
		if len(cs) == 0 || cs[len(cs)-1].Action != "added" {
			continue
		}
		if s.Federation == nil {
			continue
		}
		f, err := os.Open(a.Path)
		if err != nil {
			return nil, nil, err
		}
		fa, err := s.Federation.StageAttachment(a.Name, f)
		f.Close()
		if err != nil {
			return nil, nil, err
		}
		if fa.SHA256 != a.SHA256 {
			return nil, nil, fmt.Errorf("attachment %s changed on disk", a.ID)
		}
		if _, err := q.AppendCustody(ctx, store.CustodyEntry{AttachmentID: a.ID, At: at, Actor: actor, Action: "sent"}); err != nil {
			return nil, nil, err
		}
		refs, atts = append(refs, AttachmentRef{ID: a.ID, Name: a.Name, Size: a.Size, SHA256: a.SHA256}), append(atts, fa)
		if len(refs) == MaxAttachments {
			break
		}
	}
	return refs, atts, nil
}

func (s *Service) receiveAttachments(ctx context.Context, q store.Queries, e *Event, d federation.Delivery) error {
	if len(e.Data.Attachments) != len(d.Attachments) {
		return fmt.Errorf("%w: event lists %d attachments, envelope carries %d", federation.ErrPermanent, len(e.Data.Attachments), len(d.Attachments))
	}
	for i, ref := range e.Data.Attachments {
		got := d.Attachments[i]
		if !idRE.MatchString(ref.ID) || got.SHA256 != ref.SHA256 || got.Size != ref.Size {
			return fmt.Errorf("%w: attachment %d does not match the event", federation.ErrPermanent, i)
		}
		a := store.RequestAttachment{ID: ref.ID, RequestID: e.RequestID, EventID: e.ID, Name: ref.Name, Size: ref.Size, SHA256: ref.SHA256,
			Path: got.Path, AddedBy: "peer:" + e.Party + "/" + e.Actor, Added: d.Received}
		if err := q.InsertAttachment(ctx, a); errors.Is(err, store.ErrConflict) {
			continue
		} else if err != nil {
			return err
		}
		if _, err := q.AppendCustody(ctx, store.CustodyEntry{AttachmentID: a.ID, At: d.Received, Actor: "node:" + s.Party, Action: "received",
			Detail: "envelope " + d.Header.ID + ", sha256 verified"}); err != nil {
			return err
		}
	}
	return nil
}

// OpenAttachment returns an evidence file for reading and records the
// download in its chain of custody.
func (s *Service) OpenAttachment(ctx context.Context, p *auth.Principal, id, attID string) (store.RequestAttachment, io.ReadCloser, error) {
	v, err := s.Get(ctx, p, id)
	if err != nil {
		return store.RequestAttachment{}, nil, err
	}
	if v.Sealed != "" {
		return store.RequestAttachment{}, nil, ErrConditions
	}
	a, err := s.Store.GetAttachment(ctx, attID)
	if err != nil || a.RequestID != id {
		return a, nil, store.ErrNotFound
	}
	f, err := os.Open(a.Path)
	if err != nil {
		return a, nil, err
	}
	if _, err := s.Store.AppendCustody(ctx, store.CustodyEntry{AttachmentID: a.ID, At: s.now(), Actor: p.Actor(), Action: "downloaded"}); err != nil {
		f.Close()
		return a, nil, err
	}
	return a, f, nil
}

// Custody returns an attachment's chain of custody.
func (s *Service) Custody(ctx context.Context, p *auth.Principal, id, attID string) ([]store.CustodyEntry, error) {
	if _, err := s.Get(ctx, p, id); err != nil {
		return nil, err
	}
	a, err := s.Store.GetAttachment(ctx, attID)
	if err != nil || a.RequestID != id {
		return nil, store.ErrNotFound
	}
	return s.Store.ListCustody(ctx, attID)
}
