// Package hotline is the 24/7 hotline between parties: urgent and
// emergency requests ring the receiving party's on-call officer from its
// roster; without acknowledgement within the policy the call escalates
// along the chain (backup officer, then supervisor), by e-mail (SMTP) and
// webhook; and drills — calls flagged as tests, acknowledged like real
// ones — measure the time to acknowledge. Drill results are first-class
// records: they are the hotline tests the parties committed to.
//
// Calls and notices are written in the transaction that decides them;
// notices are delivered afterwards by Sweep with retries (an outbox of
// their own), so a crash never loses a ring and a ring never rings for a
// change that rolled back.
package hotline

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/smtp"
	"regexp"
	"strings"
	"time"

	"github.com/liaison-dev/liaison/internal/audit"
	"github.com/liaison-dev/liaison/internal/auth"
	"github.com/liaison-dev/liaison/internal/clock"
	"github.com/liaison-dev/liaison/internal/directory"
	"github.com/liaison-dev/liaison/internal/federation"
	"github.com/liaison-dev/liaison/internal/request"
	"github.com/liaison-dev/liaison/internal/store"
	"github.com/liaison-dev/liaison/internal/validation"
)

// Envelope types.
const (
	TypeDrill = "hotline.drill"
	TypeAck   = "hotline.ack"
)

// Policy is the hotline's timing.
type Policy struct {
	// Acknowledge is the time allowed to acknowledge a call (15 minutes).
	Acknowledge time.Duration
	// Backup and Supervisor are when, unacknowledged, the call goes to the
	// backup officer (15 minutes) and to the supervisors (30 minutes).
	Backup, Supervisor time.Duration
}

// DefaultPolicy is DOMAIN.md's.
var DefaultPolicy = Policy{Acknowledge: 15 * time.Minute, Backup: 15 * time.Minute, Supervisor: 30 * time.Minute}

// Escalation levels.
const (
	LevelPrimary    = 0
	LevelBackup     = 1
	LevelSupervisor = 2
)

// Notify says where notices go.
type Notify struct {
	// SMTP is the mail relay (host:port); empty sends no e-mail.
	SMTP string
	From string
	// Supervisors are the e-mail addresses of the supervisors' desk.
	Supervisors []string
	// Webhook receives every notice as a JSON POST; empty for none.
	Webhook string
}

// Federation is what the hotline needs of the federation layer.
type Federation interface {
	Enqueue(ctx context.Context, q store.Queries, msg federation.Message) (string, error)
	Kick()
}

// Service is a node's hotline.
type Service struct {
	Store      store.Store
	Clock      clock.Clock
	Party      string
	Federation Federation
	Policy     Policy
	Notify     Notify
	Log        *slog.Logger
	// HTTP posts webhooks (default: 10 s timeout).
	HTTP *http.Client
}

var _ request.Hotline = (*Service)(nil)

// Register installs the hotline's envelope handlers.
func (s *Service) Register(f interface {
	Handle(typ string, h federation.Handler)
}) {
	f.Handle(TypeDrill, s.receiveDrill)
	f.Handle(TypeAck, s.receiveAck)
}

func (s *Service) now() time.Time { return s.Clock.Now().UTC().Truncate(time.Microsecond) }

// CallView is a call as users see it.
type CallView struct {
	ID        string `json:"id"`
	RequestID string `json:"request_id,omitempty"`
	Peer      string `json:"peer"`
	Direction string `json:"direction"` // in: we were rung; out: we rang the peer
	Drill     bool   `json:"drill"`
	Reason    string `json:"reason"`
	// ReasonCode and ReasonParams are Reason as a message code and its
	// parameters (absent on calls recorded before they existed).
	ReasonCode   string            `json:"reason_code,omitempty"`
	ReasonParams validation.Params `json:"reason_params,omitempty"`
	Started      time.Time         `json:"started"`
	AckDue       time.Time         `json:"ack_due"`
	Acked        time.Time         `json:"acked,omitzero"`
	AckedBy      string            `json:"acked_by,omitempty"`
	// TimeToAck is how long acknowledgement took (zero while open).
	TimeToAck time.Duration `json:"time_to_ack"`
	// TimeToAckText is TimeToAck for people ("4m12s").
	TimeToAckText string `json:"time_to_ack_text,omitempty"`
	OnTime        *bool  `json:"on_time,omitempty"`
	// Level is how far the call escalated: 0 primary, 1 backup,
	// 2 supervisor.
	Level int `json:"level"`
}

// ViewOf describes a stored call.
func ViewOf(c store.HotlineCall) CallView {
	v := CallView{ID: c.ID, RequestID: c.RequestID, Peer: c.Peer, Direction: "in", Drill: c.Drill, Reason: c.Reason,
		ReasonCode: c.ReasonCode, ReasonParams: c.ReasonParams, Started: c.Started,
		AckDue: c.AckDue, Acked: c.Acked, AckedBy: c.AckedBy, Level: c.Level}
	if c.Outgoing {
		v.Direction = "out"
	}
	if !c.Acked.IsZero() {
		v.TimeToAck = c.Acked.Sub(c.Started)
		v.TimeToAckText = v.TimeToAck.Round(time.Second).String()
		ok := !c.Acked.After(c.AckDue)
		v.OnTime = &ok
	}
	return v
}

// Ring implements request.Hotline: it starts an incoming call for an
// urgent or emergency request and rings the on-call primary.
func (s *Service) Ring(ctx context.Context, q store.Queries, c request.Call) error {
	m, p := msgReasonRequest, validation.Params{"priority": string(c.Priority), "type": string(c.Type), "reference": c.Reference, "title": c.Title}
	if c.Phase != "" {
		m, p = msgReasonBreach, validation.Params{"phase": c.Phase, "reference": c.Reference, "title": c.Title}
	}
	call := s.newCall(c.Peer, false, c.Exercise, m, p, c.At)
	call.RequestID = c.RequestID
	if err := q.InsertCall(ctx, call); err != nil {
		return err
	}
	return s.ring(ctx, q, call, LevelPrimary)
}

// Reasons for a call: the console shows them in the officer's language
// from their codes, notifications and the API in English.
var (
	msgReasonRequest  = validation.Define("hotline.reason_request", "{priority} {type} request {reference}: {title}")
	msgReasonBreach   = validation.Define("hotline.reason_breach", "deadline breach ({phase}) {reference}: {title}")
	msgReasonDrillOut = validation.Define("hotline.reason_drill_out", "drill by {actor}")
	msgReasonDrillIn  = validation.Define("hotline.reason_drill_in", "drill from {party} ({by})")
)

func (s *Service) newCall(peer string, outgoing, drill bool, reason validation.Message, params validation.Params, at time.Time) store.HotlineCall {
	p := s.policy()
	return store.HotlineCall{ID: auth.NewID(), Peer: peer, Outgoing: outgoing, Drill: drill, Reason: truncate(validation.Expand(reason.Text, params), 500),
		ReasonCode: reason.Code, ReasonParams: params, Started: at, AckDue: at.Add(p.Acknowledge), NextLevel: at.Add(p.Backup)}
}

func (s *Service) policy() Policy {
	p := s.Policy
	if p.Acknowledge == 0 {
		p = DefaultPolicy
	}
	return p
}

// Acknowledged implements request.Hotline: acknowledging a request
// answers its open calls.
func (s *Service) Acknowledged(ctx context.Context, q store.Queries, requestID, actor string, at time.Time) error {
	calls, err := q.ListCalls(ctx, store.CallFilter{Open: true, RequestID: requestID})
	if err != nil {
		return err
	}
	for _, c := range calls {
		c.Acked, c.AckedBy, c.NextLevel = at, actor, time.Time{}
		if err := q.UpdateCall(ctx, c); err != nil {
			return err
		}
	}
	return nil
}

// Breach implements request.Hotline: the supervisors hear of every
// breach; urgent and emergency breaches on the requested side also ring
// the on-call officer (a new call, escalating like any other).
func (s *Service) Breach(ctx context.Context, q store.Queries, b request.Breach) error {
	subject := fmt.Sprintf("[Liaison] deadline passed: %s (%s, %s) — %s due %s", b.Reference, b.Priority, b.Peer, b.Phase, b.Due.Format(time.RFC3339))
	body := fmt.Sprintf("Request %s (%s) %q: the %s deadline of %s passed at %s.\nThis node is the %s party.\n",
		b.Reference, b.RequestID, b.Title, b.Phase, b.Due.Format(time.RFC3339), b.At.Format(time.RFC3339), b.Side)
	if err := s.notify(ctx, q, store.HotlineCall{RequestID: b.RequestID}, "deadline.breach", LevelSupervisor, "supervisor", subject, body); err != nil {
		return err
	}
	if b.Side == request.Requested && (b.Priority == request.Urgent || b.Priority == request.Emergency) {
		return s.Ring(ctx, q, request.Call{RequestID: b.RequestID, Reference: b.Reference, Peer: b.Peer, Title: b.Title,
			Phase: b.Phase, Priority: b.Priority, At: b.At})
	}
	return nil
}

// ring notifies the level's audience of call c.
func (s *Service) ring(ctx context.Context, q store.Queries, c store.HotlineCall, level int) error {
	kind := "hotline.ring"
	if c.Drill {
		kind = "hotline.drill"
	}
	what := "HOTLINE"
	if c.Drill {
		what = "HOTLINE DRILL (test)"
	}
	subject := fmt.Sprintf("[Liaison] %s from %s: %s", what, c.Peer, c.Reason)
	body := fmt.Sprintf("%s\nCall %s from %s started %s; acknowledge by %s.\n", subject, c.ID, c.Peer, c.Started.Format(time.RFC3339), c.AckDue.Format(time.RFC3339))
	if level == LevelSupervisor {
		subject = "[Liaison] ESCALATION: unacknowledged " + strings.TrimPrefix(subject, "[Liaison] ")
		return s.notify(ctx, q, c, kind, level, "supervisor", subject, body)
	}
	oc, err := onCall(ctx, q, s.now())
	if err != nil {
		return err
	}
	list, audience := oc.Primary, "on_call_primary"
	if level == LevelBackup {
		list, audience = oc.Backup, "on_call_backup"
		subject = "[Liaison] ESCALATION: unacknowledged " + strings.TrimPrefix(subject, "[Liaison] ")
	}
	if len(list) == 0 {
		// Nobody on call at this level: the supervisors hear at once.
		return s.notify(ctx, q, c, kind, level, "supervisor", "[Liaison] NOBODY ON CALL: "+strings.TrimPrefix(subject, "[Liaison] "), body)
	}
	for _, ct := range list {
		n := s.notice(c, kind, level, audience, "console", ct.Name, subject, body)
		if ct.Email != "" && s.Notify.SMTP != "" {
			n = s.notice(c, kind, level, audience, "email", ct.Email, subject, body)
		}
		if err := q.InsertNotice(ctx, n); err != nil {
			return err
		}
	}
	return s.webhook(ctx, q, c, kind, level, audience, subject, body)
}

func (s *Service) notify(ctx context.Context, q store.Queries, c store.HotlineCall, kind string, level int, audience, subject, body string) error {
	if err := q.InsertNotice(ctx, s.notice(c, kind, level, audience, "console", audience, subject, body)); err != nil {
		return err
	}
	if s.Notify.SMTP != "" {
		for _, to := range s.Notify.Supervisors {
			if err := q.InsertNotice(ctx, s.notice(c, kind, level, audience, "email", to, subject, body)); err != nil {
				return err
			}
		}
	}
	return s.webhook(ctx, q, c, kind, level, audience, subject, body)
}

func (s *Service) webhook(ctx context.Context, q store.Queries, c store.HotlineCall, kind string, level int, audience, subject, body string) error {
	if s.Notify.Webhook == "" {
		return nil
	}
	return q.InsertNotice(ctx, s.notice(c, kind, level, audience, "webhook", s.Notify.Webhook, subject, body))
}

func (s *Service) notice(c store.HotlineCall, kind string, level int, audience, channel, target, subject, body string) store.Notice {
	now := s.now()
	n := store.Notice{ID: auth.NewID(), CallID: c.ID, RequestID: c.RequestID, Kind: kind, Level: level, Audience: audience, Channel: channel,
		Target: target, Subject: truncate(subject, 300), Body: truncate(body, 4000), Created: now, NextAttempt: now}
	if channel == "console" {
		// Shown in the console and API; nothing to deliver.
		n.State, n.Sent = store.NoticeSent, now
	}
	return n
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// onCall is directory.OnCallAt inside a transaction.
func onCall(ctx context.Context, q store.Queries, t time.Time) (directory.OnCall, error) {
	out := directory.OnCall{At: t, Primary: []store.Contact{}, Backup: []store.Contact{}}
	shifts, err := q.ListShifts(ctx, t, t.Add(time.Microsecond))
	if err != nil {
		return out, err
	}
	for _, sh := range shifts {
		c, err := q.GetContact(ctx, sh.ContactID)
		if err != nil {
			return out, err
		}
		if sh.Position == directory.Primary {
			out.Primary = append(out.Primary, c)
		} else {
			out.Backup = append(out.Backup, c)
		}
	}
	return out, nil
}

// Drills.

type drillMsg struct {
	CallID string    `json:"call_id"`
	At     time.Time `json:"at"`
	By     string    `json:"by"`
}

var idRE = regexp.MustCompile(`^[0-9a-f]{32}$`)

func decodeDrill(b []byte) (drillMsg, error) {
	var m drillMsg
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return m, err
	}
	if !idRE.MatchString(m.CallID) || m.At.IsZero() || len(m.By) > 200 {
		return m, errors.New("malformed drill message")
	}
	return m, nil
}

// Drill rings peer's hotline as a test and returns the outgoing call;
// its time to acknowledge is recorded when the peer acknowledges.
func (s *Service) Drill(ctx context.Context, actor, peer string) (CallView, error) {
	var call store.HotlineCall
	err := s.Store.InTx(ctx, func(q store.Queries) error {
		var err error
		call, err = s.drill(ctx, q, actor, peer)
		return err
	})
	if err != nil {
		return CallView{}, err
	}
	s.Federation.Kick()
	return ViewOf(call), nil
}

func (s *Service) drill(ctx context.Context, q store.Queries, actor, peer string) (store.HotlineCall, error) {
	if _, err := q.GetPeer(ctx, peer); err != nil {
		return store.HotlineCall{}, fmt.Errorf("peer %s: %w", peer, err)
	}
	call := s.newCall(peer, true, true, msgReasonDrillOut, validation.Params{"actor": actor}, s.now())
	call.NextLevel = time.Time{} // the peer escalates; we measure
	if err := q.InsertCall(ctx, call); err != nil {
		return call, err
	}
	payload, _ := json.Marshal(drillMsg{CallID: call.ID, At: call.Started, By: actor})
	if _, err := s.Federation.Enqueue(ctx, q, federation.Message{Type: TypeDrill, Recipients: []string{peer}, Conversation: call.ID,
		Exercise: true, Payload: payload}); err != nil {
		return call, err
	}
	return call, audit.RecordDetail(ctx, q, s.Clock, actor, "hotline.drill", "hotline_call", call.ID, nil, call, "drill of "+peer+"'s hotline")
}

func (s *Service) receiveDrill(ctx context.Context, q store.Queries, d federation.Delivery) error {
	m, err := decodeDrill(d.Payload)
	if err != nil || !d.Header.Exercise {
		return fmt.Errorf("%w: drill: %v", federation.ErrPermanent, err)
	}
	// The call keeps the caller's ID, so the acknowledgement names it, and
	// the caller's start: a drill measures the time from the call to its
	// acknowledgement, transit included, and both sides then hold the same
	// start and acknowledgement times, so either can recompute the other's
	// drill figures.
	call := s.newCall(d.Header.Sender, false, true, msgReasonDrillIn, validation.Params{"party": d.Header.Sender, "by": m.By}, m.At.UTC())
	call.ID = m.CallID
	if err := q.InsertCall(ctx, call); errors.Is(err, store.ErrConflict) {
		return nil
	} else if err != nil {
		return err
	}
	return s.ring(ctx, q, call, LevelPrimary)
}

func (s *Service) receiveAck(ctx context.Context, q store.Queries, d federation.Delivery) error {
	m, err := decodeDrill(d.Payload)
	if err != nil {
		return fmt.Errorf("%w: ack: %v", federation.ErrPermanent, err)
	}
	c, err := q.GetCall(ctx, m.CallID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && (!c.Outgoing || c.Peer != d.Header.Sender)) {
		return fmt.Errorf("%w: ack of an unknown call", federation.ErrPermanent)
	} else if err != nil {
		return err
	}
	if !c.Acked.IsZero() {
		return nil
	}
	c.Acked, c.AckedBy = m.At, "peer:"+d.Header.Sender+"/"+m.By
	if err := q.UpdateCall(ctx, c); err != nil {
		return err
	}
	return audit.RecordDetail(ctx, q, s.Clock, c.AckedBy, "hotline.acked", "hotline_call", c.ID, nil, c,
		"acknowledged after "+c.Acked.Sub(c.Started).Round(time.Second).String())
}

// Ack acknowledges an incoming call as actor. For a drill the
// acknowledgement goes back to the caller, who records the time it took.
func (s *Service) Ack(ctx context.Context, actor, id string) (CallView, error) {
	var call store.HotlineCall
	err := s.Store.InTx(ctx, func(q store.Queries) error {
		c, err := q.GetCall(ctx, id)
		if err != nil {
			return err
		}
		if c.Outgoing {
			return fmt.Errorf("%w: call %s is ours; the peer acknowledges it", ErrNotIncoming, id)
		}
		if !c.Acked.IsZero() {
			call = c
			return nil
		}
		c.Acked, c.AckedBy, c.NextLevel = s.now(), actor, time.Time{}
		if err := q.UpdateCall(ctx, c); err != nil {
			return err
		}
		call = c
		if c.Drill {
			payload, _ := json.Marshal(drillMsg{CallID: c.ID, At: c.Acked, By: actor})
			if _, err := s.Federation.Enqueue(ctx, q, federation.Message{Type: TypeAck, Recipients: []string{c.Peer}, Conversation: c.ID,
				Exercise: true, Payload: payload}); err != nil {
				return err
			}
		}
		return audit.Record(ctx, q, s.Clock, actor, "hotline.ack", "hotline_call", c.ID, nil, c)
	})
	if err != nil {
		return CallView{}, err
	}
	if call.Drill {
		s.Federation.Kick()
	}
	return ViewOf(call), nil
}

// ErrNotIncoming: only a call this node received can be acknowledged here
// (HTTP 409).
var ErrNotIncoming = errors.New("hotline: not an incoming call")

// Calls lists calls, newest first.
func (s *Service) Calls(ctx context.Context, f store.CallFilter) ([]CallView, error) {
	l, err := s.Store.ListCalls(ctx, f)
	if err != nil {
		return nil, err
	}
	out := make([]CallView, len(l))
	for i, c := range l {
		out[i] = ViewOf(c)
	}
	return out, nil
}

// Schedule runs a drill with peer every interval, the first at first.
func (s *Service) Schedule(ctx context.Context, actor, peer string, every time.Duration, first time.Time) (store.DrillSchedule, error) {
	d := store.DrillSchedule{ID: auth.NewID(), Peer: peer, Every: every, Next: first.UTC(), CreatedBy: actor, Created: s.now()}
	if every < time.Hour {
		return d, fmt.Errorf("%w: drills run at most hourly", ErrSchedule)
	}
	err := s.Store.InTx(ctx, func(q store.Queries) error {
		if _, err := q.GetPeer(ctx, peer); err != nil {
			return fmt.Errorf("%w: no paired peer %s", ErrSchedule, peer)
		}
		if err := q.UpsertDrillSchedule(ctx, d); err != nil {
			return err
		}
		return audit.Record(ctx, q, s.Clock, actor, "hotline.schedule", "drill_schedule", d.ID, nil, d)
	})
	return d, err
}

// ErrSchedule: a drill schedule was refused (HTTP 422).
var ErrSchedule = errors.New("hotline: invalid drill schedule")

// Sweep does the hotline's timed work: it escalates unacknowledged calls,
// runs scheduled drills that are due and delivers pending notices. It
// returns the number of notices delivered.
func (s *Service) Sweep(ctx context.Context) (int, error) {
	now := s.now()
	p := s.policy()
	calls, err := s.Store.ListCalls(ctx, store.CallFilter{EscalateBy: now})
	if err != nil {
		return 0, err
	}
	for _, c := range calls {
		err := s.Store.InTx(ctx, func(q store.Queries) error {
			cur, err := q.GetCall(ctx, c.ID)
			if err != nil || !cur.Acked.IsZero() || cur.NextLevel.IsZero() || cur.NextLevel.After(now) {
				return err
			}
			cur.Level++
			cur.NextLevel = time.Time{}
			if cur.Level == LevelBackup {
				cur.NextLevel = cur.Started.Add(p.Supervisor)
			}
			if err := q.UpdateCall(ctx, cur); err != nil {
				return err
			}
			if err := s.ring(ctx, q, cur, cur.Level); err != nil {
				return err
			}
			return audit.RecordDetail(ctx, q, s.Clock, "node:"+s.Party, "hotline.escalate", "hotline_call", cur.ID, nil, cur,
				fmt.Sprintf("unacknowledged after %s: level %d", now.Sub(cur.Started).Round(time.Second), cur.Level))
		})
		if err != nil {
			return 0, err
		}
	}
	scheds, err := s.Store.ListDrillSchedules(ctx)
	if err != nil {
		return 0, err
	}
	for _, d := range scheds {
		if d.Next.After(now) {
			continue
		}
		err := s.Store.InTx(ctx, func(q store.Queries) error {
			for !d.Next.After(now) {
				d.Next = d.Next.Add(d.Every)
			}
			if err := q.UpsertDrillSchedule(ctx, d); err != nil {
				return err
			}
			_, err := s.drill(ctx, q, "schedule:"+d.ID, d.Peer)
			return err
		})
		if err != nil {
			return 0, err
		}
		s.Federation.Kick()
	}
	return s.deliver(ctx, now)
}

// deliver sends the due notices.
func (s *Service) deliver(ctx context.Context, now time.Time) (int, error) {
	due, err := s.Store.DueNotices(ctx, now, 100)
	if err != nil {
		return 0, err
	}
	sent := 0
	for _, n := range due {
		var err error
		switch n.Channel {
		case "email":
			err = s.sendMail(n)
		case "webhook":
			err = s.post(ctx, n)
		}
		n.Attempts++
		state, next, at, msg := store.NoticeSent, time.Time{}, s.now(), ""
		if err != nil {
			state, next, at, msg = store.NoticePending, now.Add(time.Duration(1<<min(n.Attempts, 10))*time.Second), time.Time{}, err.Error()
			if n.Attempts >= 10 {
				state = store.NoticeFailed
			}
			if s.Log != nil {
				s.Log.Warn("hotline: notice not delivered", "notice", n.ID, "channel", n.Channel, "attempt", n.Attempts, "err", err)
			}
		} else {
			sent++
		}
		if err := s.Store.SetNoticeState(ctx, n.ID, state, n.Attempts, next, at, truncate(msg, 500)); err != nil {
			return sent, err
		}
	}
	return sent, nil
}

func (s *Service) sendMail(n store.Notice) error {
	from := s.Notify.From
	if from == "" {
		from = "liaison@" + strings.ToLower(s.Party) + ".invalid"
	}
	subject := strings.NewReplacer("\r", " ", "\n", " ").Replace(n.Subject)
	msg := "From: " + from + "\r\nTo: " + n.Target + "\r\nSubject: " + subject + "\r\nContent-Type: text/plain; charset=utf-8\r\n" +
		"X-Liaison-Notice: " + n.ID + "\r\n\r\n" + strings.ReplaceAll(n.Body, "\n", "\r\n")
	return smtp.SendMail(s.Notify.SMTP, nil, from, []string{n.Target}, []byte(msg))
}

// WebhookBody is what a webhook receives.
type WebhookBody struct {
	Notice    string `json:"notice"`
	Kind      string `json:"kind"`
	Party     string `json:"party"`
	CallID    string `json:"call_id,omitempty"`
	RequestID string `json:"request_id,omitempty"`
	Level     int    `json:"level"`
	Audience  string `json:"audience"`
	Subject   string `json:"subject"`
	Body      string `json:"body"`
}

func (s *Service) post(ctx context.Context, n store.Notice) error {
	b, _ := json.Marshal(WebhookBody{Notice: n.ID, Kind: n.Kind, Party: s.Party, CallID: n.CallID, RequestID: n.RequestID, Level: n.Level,
		Audience: n.Audience, Subject: n.Subject, Body: n.Body})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, n.Target, bytes.NewReader(b))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	c := s.HTTP
	if c == nil {
		c = &http.Client{Timeout: 10 * time.Second}
	}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("webhook answered %s", resp.Status)
	}
	return nil
}

// Run sweeps every interval until ctx ends.
func (s *Service) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if _, err := s.Sweep(ctx); err != nil && ctx.Err() == nil && s.Log != nil {
			s.Log.Warn("hotline: sweep", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
