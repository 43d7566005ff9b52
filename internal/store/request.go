package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// RequestQueries are the reads and writes of requests for assistance
// (internal/request) and of the hotline (internal/hotline). A request's
// state is derived from its events by the request package; the store keeps
// both and indexes the derived columns.
type RequestQueries interface {
	// InsertRequest stores a new request; a reused ID is ErrConflict.
	InsertRequest(ctx context.Context, r RequestRow) error
	GetRequest(ctx context.Context, id string) (RequestRow, error)
	// UpdateRequest replaces every column of request r.ID but ID, Created
	// and the parties; ErrNotFound when there is none.
	UpdateRequest(ctx context.Context, r RequestRow) error
	// ListRequests returns the requests matching f, newest first.
	ListRequests(ctx context.Context, f RequestFilter) ([]RequestRow, error)

	// InsertRequestEvent appends an event to a request's timeline; an
	// event ID seen before is ErrConflict (replication is idempotent).
	InsertRequestEvent(ctx context.Context, e RequestEvent) error
	// ListRequestEvents returns a request's events in timeline order:
	// by Lamport time, then party, then ID.
	ListRequestEvents(ctx context.Context, requestID string) ([]RequestEvent, error)

	InsertAttachment(ctx context.Context, a RequestAttachment) error
	GetAttachment(ctx context.Context, id string) (RequestAttachment, error)
	ListAttachments(ctx context.Context, requestID string) ([]RequestAttachment, error)
	// AppendCustody adds an entry to the end of an attachment's chain of
	// custody, numbering it. Custody entries can never change.
	AppendCustody(ctx context.Context, c CustodyEntry) (CustodyEntry, error)
	ListCustody(ctx context.Context, attachmentID string) ([]CustodyEntry, error)

	// InsertEscalation records a breach escalated; recording the same
	// request, phase and level again is ErrConflict.
	InsertEscalation(ctx context.Context, e Escalation) error
	ListEscalations(ctx context.Context, requestID string) ([]Escalation, error)

	HotlineQueries
}

// HotlineQueries are the hotline's calls, notices and drill schedules.
type HotlineQueries interface {
	InsertCall(ctx context.Context, c HotlineCall) error
	GetCall(ctx context.Context, id string) (HotlineCall, error)
	// UpdateCall replaces the mutable columns of call c.ID (acknowledgement
	// and escalation level).
	UpdateCall(ctx context.Context, c HotlineCall) error
	// ListCalls returns calls matching f, newest first.
	ListCalls(ctx context.Context, f CallFilter) ([]HotlineCall, error)

	InsertNotice(ctx context.Context, n Notice) error
	// DueNotices returns up to limit pending notices due at now, oldest
	// first.
	DueNotices(ctx context.Context, now time.Time, limit int) ([]Notice, error)
	// SetNoticeState records a delivery attempt's outcome.
	SetNoticeState(ctx context.Context, id string, state int, attempts int, next, sent time.Time, lastErr string) error
	// ListNotices returns notices of a call or request (either may be
	// empty for all), newest first, at most limit.
	ListNotices(ctx context.Context, callID, requestID string, limit int) ([]Notice, error)

	UpsertDrillSchedule(ctx context.Context, d DrillSchedule) error
	ListDrillSchedules(ctx context.Context) ([]DrillSchedule, error)
	DeleteDrillSchedule(ctx context.Context, id string) error
}

// RequestRow is a request as stored. Content and State are the request
// package's JSON encodings of the request's content and derived state.
type RequestRow struct {
	ID         string
	Reference  string
	Type       string
	Priority   string
	Requesting string
	Requested  string
	// Outgoing is true on the requesting party's node.
	Outgoing     bool
	Exercise     bool
	Confidential bool
	// VisibleTo lists the roles that may see a confidential request at the
	// receiving node.
	VisibleTo []string
	CreatedBy string
	Created   time.Time
	Content   []byte

	Status    string
	LinkedMLA string
	Lamport   int64
	// NextDue is the deadline now running (zero when none is: paused or
	// finished).
	NextDue time.Time
	Updated time.Time
	State   []byte
}

// RequestFilter selects requests. Zero fields do not filter.
type RequestFilter struct {
	Statuses []string
	Type     string
	Priority string
	// Party matches either side.
	Party string
	// Outgoing, when set, selects one direction.
	Outgoing *bool
	// DueBefore selects requests with a running deadline at or before it
	// (overdue: now; due within an hour: now+1h).
	DueBefore time.Time
	// Roles are the caller's roles: confidential incoming requests are
	// returned only when one of them is in VisibleTo. Nil does not filter
	// (internal sweeps).
	Roles []string
	// Exercise: nil both, else only exercise or only real traffic.
	Exercise *bool
	Limit    int
	// Before pages: requests created strictly before it.
	Before time.Time
}

// RequestEvent is one entry of a request's shared timeline.
type RequestEvent struct {
	ID         string
	RequestID  string
	Lamport    int64
	Party      string
	Action     string
	Actor      string
	At         time.Time
	Body       []byte
	EnvelopeID string
	Recorded   time.Time
}

// RequestAttachment is an evidence file of a request.
type RequestAttachment struct {
	ID        string    `json:"id"`
	RequestID string    `json:"request_id"`
	EventID   string    `json:"event_id"`
	Name      string    `json:"name"`
	Size      int64     `json:"size"`
	SHA256    string    `json:"sha256"`
	Path      string    `json:"-"`
	AddedBy   string    `json:"added_by"`
	Added     time.Time `json:"added"`
}

// CustodyEntry is one link of an attachment's chain of custody.
type CustodyEntry struct {
	AttachmentID string    `json:"attachment_id"`
	N            int       `json:"n"`
	At           time.Time `json:"at"`
	Actor        string    `json:"actor"`
	Action       string    `json:"action"`
	Detail       string    `json:"detail,omitempty"`
}

// Escalation is a deadline breach that was escalated.
type Escalation struct {
	RequestID string    `json:"request_id"`
	Phase     string    `json:"phase"`
	Level     int       `json:"level"`
	At        time.Time `json:"at"`
	Due       time.Time `json:"due"`
}

// HotlineCall is one ring of the hotline.
type HotlineCall struct {
	ID        string
	RequestID string
	Peer      string
	Outgoing  bool
	Drill     bool
	// Reason is the call's reason in English; ReasonCode and ReasonParams
	// are the same as a message code (validation.Define) with its
	// parameters, for the console to translate.
	Reason       string
	ReasonCode   string
	ReasonParams map[string]string
	Started      time.Time
	AckDue       time.Time
	Acked        time.Time
	AckedBy      string
	Level        int
	NextLevel    time.Time
}

// CallFilter selects calls.
type CallFilter struct {
	// Open selects unacknowledged calls only.
	Open bool
	// EscalateBy selects open calls whose next escalation is due by then.
	EscalateBy time.Time
	Drill      *bool
	Peer       string
	RequestID  string
	Limit      int
}

// Notice states.
const (
	NoticePending = 0
	NoticeSent    = 1
	NoticeFailed  = 2
)

// Notice is a notification to deliver by e-mail or webhook.
type Notice struct {
	ID          string
	CallID      string
	RequestID   string
	Kind        string
	Level       int
	Audience    string
	Channel     string
	Target      string
	Subject     string
	Body        string
	Created     time.Time
	State       int
	Attempts    int
	NextAttempt time.Time
	Sent        time.Time
	LastError   string
}

// DrillSchedule runs a drill with a peer every Every, next at Next.
type DrillSchedule struct {
	ID        string
	Peer      string
	Every     time.Duration
	Next      time.Time
	CreatedBy string
	Created   time.Time
}

type scanner interface{ Scan(...any) error }

// Requests.

const requestCols = `id, reference, type, priority, requesting, requested, outgoing, exercise, confidential, visible_to,
	created_by, created, content, status, linked_mla, lamport, next_due, updated, state`

func wrapList(v []string) string {
	if len(v) == 0 {
		return ""
	}
	return "," + joinList(v) + ","
}

func unwrapList(s string) []string { return splitList(strings.Trim(s, ",")) }

func scanRequest(s scanner) (RequestRow, error) {
	var r RequestRow
	var outgoing, exercise, confidential int
	var visible, content, state string
	var created, nextDue, updated int64
	err := s.Scan(&r.ID, &r.Reference, &r.Type, &r.Priority, &r.Requesting, &r.Requested, &outgoing, &exercise, &confidential, &visible,
		&r.CreatedBy, &created, &content, &r.Status, &r.LinkedMLA, &r.Lamport, &nextDue, &updated, &state)
	r.Outgoing, r.Exercise, r.Confidential = outgoing != 0, exercise != 0, confidential != 0
	r.VisibleTo = unwrapList(visible)
	r.Content, r.State = []byte(content), []byte(state)
	r.Created, r.NextDue, r.Updated = fromMicros(created), fromMicros(nextDue), fromMicros(updated)
	return r, err
}

func (q queries) InsertRequest(ctx context.Context, r RequestRow) error {
	_, err := q.exec(ctx, `INSERT INTO requests (`+requestCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.ID, r.Reference, r.Type, r.Priority, r.Requesting, r.Requested, boolInt(r.Outgoing), boolInt(r.Exercise), boolInt(r.Confidential),
		wrapList(r.VisibleTo), r.CreatedBy, micros(r.Created), string(r.Content), r.Status, r.LinkedMLA, r.Lamport, micros(r.NextDue),
		micros(r.Updated), string(r.State))
	return err
}

func (q queries) GetRequest(ctx context.Context, id string) (RequestRow, error) {
	r, err := scanRequest(q.row(ctx, `SELECT `+requestCols+` FROM requests WHERE id = ?`, id))
	return r, q.mapErr(err)
}

func (q queries) UpdateRequest(ctx context.Context, r RequestRow) error {
	return mustAffect(q.exec(ctx, `UPDATE requests SET reference = ?, type = ?, priority = ?, exercise = ?, confidential = ?, visible_to = ?,
		content = ?, status = ?, linked_mla = ?, lamport = ?, next_due = ?, updated = ?, state = ? WHERE id = ?`,
		r.Reference, r.Type, r.Priority, boolInt(r.Exercise), boolInt(r.Confidential), wrapList(r.VisibleTo),
		string(r.Content), r.Status, r.LinkedMLA, r.Lamport, micros(r.NextDue), micros(r.Updated), string(r.State), r.ID))
}

// ListLimit bounds every list.
const ListLimit = 500

func (q queries) ListRequests(ctx context.Context, f RequestFilter) ([]RequestRow, error) {
	where := []string{"1 = 1"}
	var args []any
	if len(f.Statuses) > 0 {
		where = append(where, "status IN (?"+strings.Repeat(", ?", len(f.Statuses)-1)+")")
		for _, s := range f.Statuses {
			args = append(args, s)
		}
	}
	for col, v := range map[string]string{"type": f.Type, "priority": f.Priority} {
		if v != "" {
			where = append(where, col+" = ?")
			args = append(args, v)
		}
	}
	if f.Party != "" {
		where = append(where, "(requesting = ? OR requested = ?)")
		args = append(args, f.Party, f.Party)
	}
	if f.Outgoing != nil {
		where = append(where, "outgoing = ?")
		args = append(args, boolInt(*f.Outgoing))
	}
	if f.Exercise != nil {
		where = append(where, "exercise = ?")
		args = append(args, boolInt(*f.Exercise))
	}
	if !f.DueBefore.IsZero() {
		where = append(where, "next_due > 0 AND next_due <= ?")
		args = append(args, micros(f.DueBefore))
	}
	if !f.Before.IsZero() {
		where = append(where, "created < ?")
		args = append(args, micros(f.Before))
	}
	if f.Roles != nil {
		vis := []string{"confidential = 0", "outgoing = 1"}
		for _, r := range f.Roles {
			vis = append(vis, "visible_to LIKE ?")
			args = append(args, "%,"+r+",%")
		}
		where = append(where, "("+strings.Join(vis, " OR ")+")")
	}
	limit := f.Limit
	if limit <= 0 || limit > ListLimit {
		limit = ListLimit
	}
	rows, err := q.query(ctx, `SELECT `+requestCols+` FROM requests WHERE `+strings.Join(where, " AND ")+
		fmt.Sprintf(` ORDER BY created DESC, id DESC LIMIT %d`, limit), args...)
	return collect(rows, err, func(r *sql.Rows) (RequestRow, error) { return scanRequest(r) })
}

// Events.

func (q queries) InsertRequestEvent(ctx context.Context, e RequestEvent) error {
	_, err := q.exec(ctx, `INSERT INTO request_events (id, request_id, lamport, party, action, actor, at, body, envelope_id, recorded)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		e.ID, e.RequestID, e.Lamport, e.Party, e.Action, e.Actor, micros(e.At), string(e.Body), e.EnvelopeID, micros(e.Recorded))
	return err
}

func (q queries) ListRequestEvents(ctx context.Context, requestID string) ([]RequestEvent, error) {
	rows, err := q.query(ctx, `SELECT id, request_id, lamport, party, action, actor, at, body, envelope_id, recorded
		FROM request_events WHERE request_id = ? ORDER BY lamport, party, id`, requestID)
	return collect(rows, err, func(r *sql.Rows) (RequestEvent, error) {
		var e RequestEvent
		var at, rec int64
		var body string
		err := r.Scan(&e.ID, &e.RequestID, &e.Lamport, &e.Party, &e.Action, &e.Actor, &at, &body, &e.EnvelopeID, &rec)
		e.At, e.Recorded, e.Body = fromMicros(at), fromMicros(rec), []byte(body)
		return e, err
	})
}

// Attachments and custody.

const attachmentCols = `id, request_id, event_id, name, size, sha256, path, added_by, added`

func scanAttachment(s scanner) (RequestAttachment, error) {
	var a RequestAttachment
	var added int64
	err := s.Scan(&a.ID, &a.RequestID, &a.EventID, &a.Name, &a.Size, &a.SHA256, &a.Path, &a.AddedBy, &added)
	a.Added = fromMicros(added)
	return a, err
}

func (q queries) InsertAttachment(ctx context.Context, a RequestAttachment) error {
	_, err := q.exec(ctx, `INSERT INTO request_attachments (`+attachmentCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		a.ID, a.RequestID, a.EventID, a.Name, a.Size, a.SHA256, a.Path, a.AddedBy, micros(a.Added))
	return err
}

func (q queries) GetAttachment(ctx context.Context, id string) (RequestAttachment, error) {
	a, err := scanAttachment(q.row(ctx, `SELECT `+attachmentCols+` FROM request_attachments WHERE id = ?`, id))
	return a, q.mapErr(err)
}

func (q queries) ListAttachments(ctx context.Context, requestID string) ([]RequestAttachment, error) {
	rows, err := q.query(ctx, `SELECT `+attachmentCols+` FROM request_attachments WHERE request_id = ? ORDER BY added, id`, requestID)
	return collect(rows, err, func(r *sql.Rows) (RequestAttachment, error) { return scanAttachment(r) })
}

func (q queries) AppendCustody(ctx context.Context, c CustodyEntry) (CustodyEntry, error) {
	err := q.atomic(ctx, func(q queries) error {
		if err := q.row(ctx, `SELECT COALESCE(MAX(n), 0) + 1 FROM request_custody WHERE attachment_id = ?`, c.AttachmentID).Scan(&c.N); err != nil {
			return q.mapErr(err)
		}
		c.At = c.At.UTC().Truncate(time.Microsecond)
		_, err := q.exec(ctx, `INSERT INTO request_custody (attachment_id, n, at, actor, action, detail) VALUES (?, ?, ?, ?, ?, ?)`,
			c.AttachmentID, c.N, micros(c.At), c.Actor, c.Action, c.Detail)
		return err
	})
	return c, err
}

func (q queries) ListCustody(ctx context.Context, attachmentID string) ([]CustodyEntry, error) {
	rows, err := q.query(ctx, `SELECT attachment_id, n, at, actor, action, detail FROM request_custody WHERE attachment_id = ? ORDER BY n`, attachmentID)
	return collect(rows, err, func(r *sql.Rows) (CustodyEntry, error) {
		var c CustodyEntry
		var at int64
		err := r.Scan(&c.AttachmentID, &c.N, &at, &c.Actor, &c.Action, &c.Detail)
		c.At = fromMicros(at)
		return c, err
	})
}

// Escalations.

func (q queries) InsertEscalation(ctx context.Context, e Escalation) error {
	_, err := q.exec(ctx, `INSERT INTO request_escalations (request_id, phase, level, at, due) VALUES (?, ?, ?, ?, ?)`,
		e.RequestID, e.Phase, e.Level, micros(e.At), micros(e.Due))
	return err
}

func (q queries) ListEscalations(ctx context.Context, requestID string) ([]Escalation, error) {
	rows, err := q.query(ctx, `SELECT request_id, phase, level, at, due FROM request_escalations WHERE request_id = ? ORDER BY at, phase, level`, requestID)
	return collect(rows, err, func(r *sql.Rows) (Escalation, error) {
		var e Escalation
		var at, due int64
		err := r.Scan(&e.RequestID, &e.Phase, &e.Level, &at, &due)
		e.At, e.Due = fromMicros(at), fromMicros(due)
		return e, err
	})
}

// Hotline calls.

const callCols = `id, request_id, peer, outgoing, drill, reason, started, ack_due, acked, acked_by, level, next_level, reason_code, reason_params`

func scanCall(s scanner) (HotlineCall, error) {
	var c HotlineCall
	var outgoing, drill int
	var started, ackDue, acked, next int64
	var params string
	err := s.Scan(&c.ID, &c.RequestID, &c.Peer, &outgoing, &drill, &c.Reason, &started, &ackDue, &acked, &c.AckedBy, &c.Level, &next, &c.ReasonCode, &params)
	if err == nil && params != "{}" {
		err = json.Unmarshal([]byte(params), &c.ReasonParams)
	}
	c.Outgoing, c.Drill = outgoing != 0, drill != 0
	c.Started, c.AckDue, c.Acked, c.NextLevel = fromMicros(started), fromMicros(ackDue), fromMicros(acked), fromMicros(next)
	return c, err
}

func (q queries) InsertCall(ctx context.Context, c HotlineCall) error {
	params := []byte("{}")
	if len(c.ReasonParams) > 0 {
		var err error
		if params, err = json.Marshal(c.ReasonParams); err != nil {
			return err
		}
	}
	_, err := q.exec(ctx, `INSERT INTO hotline_calls (`+callCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		c.ID, c.RequestID, c.Peer, boolInt(c.Outgoing), boolInt(c.Drill), c.Reason, micros(c.Started), micros(c.AckDue),
		micros(c.Acked), c.AckedBy, c.Level, micros(c.NextLevel), c.ReasonCode, string(params))
	return err
}

func (q queries) GetCall(ctx context.Context, id string) (HotlineCall, error) {
	c, err := scanCall(q.row(ctx, `SELECT `+callCols+` FROM hotline_calls WHERE id = ?`, id))
	return c, q.mapErr(err)
}

func (q queries) UpdateCall(ctx context.Context, c HotlineCall) error {
	return mustAffect(q.exec(ctx, `UPDATE hotline_calls SET acked = ?, acked_by = ?, level = ?, next_level = ? WHERE id = ?`,
		micros(c.Acked), c.AckedBy, c.Level, micros(c.NextLevel), c.ID))
}

func (q queries) ListCalls(ctx context.Context, f CallFilter) ([]HotlineCall, error) {
	where := []string{"1 = 1"}
	var args []any
	if f.Open || !f.EscalateBy.IsZero() {
		where = append(where, "acked = 0")
	}
	if !f.EscalateBy.IsZero() {
		where = append(where, "next_level > 0 AND next_level <= ?")
		args = append(args, micros(f.EscalateBy))
	}
	if f.Drill != nil {
		where = append(where, "drill = ?")
		args = append(args, boolInt(*f.Drill))
	}
	if f.Peer != "" {
		where = append(where, "peer = ?")
		args = append(args, f.Peer)
	}
	if f.RequestID != "" {
		where = append(where, "request_id = ?")
		args = append(args, f.RequestID)
	}
	limit := f.Limit
	if limit <= 0 || limit > ListLimit {
		limit = ListLimit
	}
	rows, err := q.query(ctx, `SELECT `+callCols+` FROM hotline_calls WHERE `+strings.Join(where, " AND ")+
		fmt.Sprintf(` ORDER BY started DESC, id DESC LIMIT %d`, limit), args...)
	return collect(rows, err, func(r *sql.Rows) (HotlineCall, error) { return scanCall(r) })
}

// Notices.

const noticeCols = `id, call_id, request_id, kind, level, audience, channel, target, subject, body, created, state, attempts, next_attempt, sent, last_error`

func scanNotice(s scanner) (Notice, error) {
	var n Notice
	var created, next, sent int64
	err := s.Scan(&n.ID, &n.CallID, &n.RequestID, &n.Kind, &n.Level, &n.Audience, &n.Channel, &n.Target, &n.Subject, &n.Body,
		&created, &n.State, &n.Attempts, &next, &sent, &n.LastError)
	n.Created, n.NextAttempt, n.Sent = fromMicros(created), fromMicros(next), fromMicros(sent)
	return n, err
}

func (q queries) InsertNotice(ctx context.Context, n Notice) error {
	_, err := q.exec(ctx, `INSERT INTO hotline_notices (`+noticeCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		n.ID, n.CallID, n.RequestID, n.Kind, n.Level, n.Audience, n.Channel, n.Target, n.Subject, n.Body,
		micros(n.Created), n.State, n.Attempts, micros(n.NextAttempt), micros(n.Sent), n.LastError)
	return err
}

func (q queries) DueNotices(ctx context.Context, now time.Time, limit int) ([]Notice, error) {
	if limit <= 0 || limit > ListLimit {
		limit = ListLimit
	}
	rows, err := q.query(ctx, `SELECT `+noticeCols+` FROM hotline_notices WHERE state = ? AND next_attempt <= ?
		ORDER BY next_attempt, created, id LIMIT `+fmt.Sprint(limit), NoticePending, micros(now))
	return collect(rows, err, func(r *sql.Rows) (Notice, error) { return scanNotice(r) })
}

func (q queries) SetNoticeState(ctx context.Context, id string, state, attempts int, next, sent time.Time, lastErr string) error {
	return mustAffect(q.exec(ctx, `UPDATE hotline_notices SET state = ?, attempts = ?, next_attempt = ?, sent = ?, last_error = ? WHERE id = ?`,
		state, attempts, micros(next), micros(sent), lastErr, id))
}

func (q queries) ListNotices(ctx context.Context, callID, requestID string, limit int) ([]Notice, error) {
	where := []string{"1 = 1"}
	var args []any
	if callID != "" {
		where = append(where, "call_id = ?")
		args = append(args, callID)
	}
	if requestID != "" {
		where = append(where, "request_id = ?")
		args = append(args, requestID)
	}
	if limit <= 0 || limit > ListLimit {
		limit = ListLimit
	}
	rows, err := q.query(ctx, `SELECT `+noticeCols+` FROM hotline_notices WHERE `+strings.Join(where, " AND ")+
		fmt.Sprintf(` ORDER BY created DESC, id DESC LIMIT %d`, limit), args...)
	return collect(rows, err, func(r *sql.Rows) (Notice, error) { return scanNotice(r) })
}

// Drill schedules.

func (q queries) UpsertDrillSchedule(ctx context.Context, d DrillSchedule) error {
	_, err := q.exec(ctx, `INSERT INTO hotline_drill_schedules (id, peer, every, next, created_by, created) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET peer = excluded.peer, every = excluded.every, next = excluded.next`,
		d.ID, d.Peer, d.Every.Microseconds(), micros(d.Next), d.CreatedBy, micros(d.Created))
	return err
}

func (q queries) ListDrillSchedules(ctx context.Context) ([]DrillSchedule, error) {
	rows, err := q.query(ctx, `SELECT id, peer, every, next, created_by, created FROM hotline_drill_schedules ORDER BY next, id`)
	return collect(rows, err, func(r *sql.Rows) (DrillSchedule, error) {
		var d DrillSchedule
		var every, next, created int64
		err := r.Scan(&d.ID, &d.Peer, &every, &next, &d.CreatedBy, &created)
		d.Every, d.Next, d.Created = time.Duration(every)*time.Microsecond, fromMicros(next), fromMicros(created)
		return d, err
	})
}

func (q queries) DeleteDrillSchedule(ctx context.Context, id string) error {
	return mustAffect(q.exec(ctx, `DELETE FROM hotline_drill_schedules WHERE id = ?`, id))
}
