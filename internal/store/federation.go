package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// FederationQueries are the reads and writes of the federation layer: the
// transactional outbox, the receipts peers return, the inbox of applied
// envelopes and the history of peers' signing keys. Package federation is
// their only caller; domain packages reach the outbox through it.
type FederationQueries interface {
	// InsertOutbox records a message and one pending delivery per
	// recipient, all in lane. It is called inside the domain transaction
	// that caused the message. A reused envelope ID is ErrConflict.
	InsertOutbox(ctx context.Context, m OutboxMessage, lane int) error
	// InsertOutboxAll records several messages as InsertOutbox does, in
	// order, message i in lanes[i], with a few multi-row statements.
	InsertOutboxAll(ctx context.Context, ms []OutboxMessage, lanes []int) error
	// PendingOutbox returns up to limit pending deliveries to recipient in
	// any of lanes, oldest (lowest Seq) first, each with its message.
	PendingOutbox(ctx context.Context, recipient string, lanes []int, limit int) ([]OutboxItem, error)
	// GetOutboxItem returns one delivery with its message.
	GetOutboxItem(ctx context.Context, envelopeID, recipient string) (OutboxItem, error)
	// SetOutboxSealed stores the sealed (signed) envelope of a delivery
	// inserted without one, once. It is ErrNotFound if the delivery
	// already has one.
	SetOutboxSealed(ctx context.Context, envelopeID, recipient string, sealed []byte) error
	// MarkOutboxDelivered ends a pending delivery as delivered.
	MarkOutboxDelivered(ctx context.Context, envelopeID, recipient string, at time.Time) error
	// MarkOutboxRetry counts a failed attempt of a pending delivery and
	// schedules the next one.
	MarkOutboxRetry(ctx context.Context, envelopeID, recipient string, next time.Time, lastErr string) error
	// MarkOutboxFailed ends a pending delivery the peer refused for good.
	MarkOutboxFailed(ctx context.Context, envelopeID, recipient string, at time.Time, reason string) error
	// OutboxStats summarises the outbox per recipient.
	OutboxStats(ctx context.Context) ([]OutboxStat, error)
	// OutboxLatencies returns done-enqueued of deliveries to recipient
	// delivered in [from, to), at most limit, for reports and benchmarks.
	OutboxLatencies(ctx context.Context, recipient string, from, to time.Time, limit int) ([]time.Duration, error)

	// InsertReceipt stores a peer's verified receipt.
	InsertReceipt(ctx context.Context, r StoredReceipt) error
	// SettleDelivered stores the receipts of a batch and marks their
	// deliveries (all to receiver) delivered at at, in a few multi-row
	// statements. A receipt stored before is ErrConflict; a delivery no
	// longer pending is ErrNotFound.
	SettleDelivered(ctx context.Context, receiver string, rs []StoredReceipt, at time.Time) error
	GetReceipt(ctx context.Context, envelopeID, receiver string) (StoredReceipt, error)
	// CountReceipts counts the receipts from receiver.
	CountReceipts(ctx context.Context, receiver string) (int64, error)

	// InsertInbox records an applied envelope; a second insert of the same
	// envelope ID is ErrConflict, which is what makes application happen
	// at most once.
	InsertInbox(ctx context.Context, e InboxEntry) error
	// AddInbox records an applied envelope unless its ID was recorded
	// before, and reports whether it did: one statement where GetInbox
	// and InsertInbox would be two, and no failed statement to abort a
	// PostgreSQL transaction. A concurrent transaction adding the same ID
	// is waited for, then seen as recorded before.
	AddInbox(ctx context.Context, e InboxEntry) (bool, error)
	GetInbox(ctx context.Context, envelopeID string) (InboxEntry, error)
	// CountInbox counts the envelopes applied from sender.
	CountInbox(ctx context.Context, sender string) (int64, error)

	// RecordPeerKey remembers a signing key pinned for a peer; recording a
	// known key again changes nothing.
	RecordPeerKey(ctx context.Context, k PeerKey) error
	// ListPeerKeys returns every key pinned for party, oldest first.
	ListPeerKeys(ctx context.Context, party string) ([]PeerKey, error)
}

// Outbox delivery states.
const (
	OutboxPending   = 0
	OutboxDelivered = 1
	OutboxFailed    = 2
)

// OutboxMessage is a message as the domain committed it, before sealing.
type OutboxMessage struct {
	EnvelopeID   string
	Type         string
	Conversation string
	InReplyTo    string
	Exercise     bool
	Marking      string
	Recipients   []string
	Created      time.Time
	Payload      []byte
	// Attachments is the federation layer's own encoding of the staged
	// attachment files (names, paths, sizes, digests).
	Attachments string
	// Signed, if set, is the federation layer's signed envelope, stored as
	// every delivery's Sealed bytes at insert.
	Signed []byte
}

// OutboxItem is one delivery of a message to one recipient.
type OutboxItem struct {
	Seq         int64
	Recipient   string
	Lane        int
	State       int
	Sealed      []byte
	Attempts    int
	NextAttempt time.Time
	LastError   string
	Enqueued    time.Time
	Done        time.Time
	Message     OutboxMessage
}

// OutboxStat summarises one recipient's deliveries.
type OutboxStat struct {
	Recipient string
	Pending   int64
	Failed    int64
	// OldestPending is when the oldest pending delivery was enqueued.
	OldestPending time.Time
	// MaxAttempts is the largest failed-attempt count of a pending delivery.
	MaxAttempts int
	// LastError is the error of the first pending delivery that has one.
	LastError string
}

// StoredReceipt is a verified receipt a peer signed for a delivery.
type StoredReceipt struct {
	EnvelopeID   string
	Receiver     string
	EnvelopeHash string
	Received     time.Time
	KeyID        string
	Receipt      []byte
	Stored       time.Time
}

// InboxEntry is an envelope received from a peer and applied.
type InboxEntry struct {
	EnvelopeID   string
	Sender       string
	Type         string
	Conversation string
	Created      time.Time
	Received     time.Time
	EnvelopeHash string
	Envelope     []byte
	Receipt      []byte
}

// PeerKey is a signing key once pinned for a peer.
type PeerKey struct {
	Party      string
	KeyID      string
	SigningKey []byte
	FirstSeen  time.Time
}

func (q queries) InsertOutbox(ctx context.Context, m OutboxMessage, lane int) error {
	return q.InsertOutboxAll(ctx, []OutboxMessage{m}, []int{lane})
}

// outboxRows bounds the messages of one multi-row statement (10
// parameters a row).
const outboxRows = 100

func (q queries) InsertOutboxAll(ctx context.Context, ms []OutboxMessage, lanes []int) error {
	if len(lanes) != len(ms) {
		return fmt.Errorf("store: outbox: %d lanes for %d messages", len(lanes), len(ms))
	}
	return q.atomic(ctx, func(q queries) error {
		for len(ms) > 0 {
			n := min(len(ms), outboxRows)
			chunk, chunkLanes := ms[:n], lanes[:n]
			ms, lanes = ms[n:], lanes[n:]
			margs := make([]any, 0, 10*n)
			var dargs []any
			for i, m := range chunk {
				margs = append(margs, m.EnvelopeID, m.Type, m.Conversation, m.InReplyTo, boolInt(m.Exercise), m.Marking,
					joinList(m.Recipients), micros(m.Created), nonNil(m.Payload), m.Attachments)
				for _, r := range m.Recipients {
					dargs = append(dargs, m.EnvelopeID, r, chunkLanes[i], micros(m.Created), nilIfEmpty(m.Signed))
				}
			}
			if _, err := q.exec(ctx, `INSERT INTO fed_messages (envelope_id, type, conversation, in_reply_to, exercise, marking, recipients, created, payload, attachments) VALUES `+
				rowsOf(n, "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"), margs...); err != nil {
				return err
			}
			if len(dargs) == 0 {
				continue
			}
			if _, err := q.exec(ctx, `INSERT INTO fed_outbox (envelope_id, recipient, lane, enqueued, sealed) VALUES `+
				rowsOf(len(dargs)/5, "(?, ?, ?, ?, ?)"), dargs...); err != nil {
				return err
			}
		}
		return nil
	})
}

// rowsOf repeats a VALUES row n times.
func rowsOf(n int, row string) string {
	return row + strings.Repeat(", "+row, n-1)
}

// nilIfEmpty stores an empty slice as NULL.
func nilIfEmpty(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	return b
}

func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

const outboxItemCols = `o.seq, o.recipient, o.lane, o.state, o.sealed, o.attempts, o.next_attempt, o.last_error, o.enqueued, o.done,
	m.envelope_id, m.type, m.conversation, m.in_reply_to, m.exercise, m.marking, m.recipients, m.created, m.payload, m.attachments`

func scanOutboxItem(s interface{ Scan(...any) error }) (OutboxItem, error) {
	var it OutboxItem
	var next, enq, done, created int64
	var exercise int
	var recips string
	m := &it.Message
	err := s.Scan(&it.Seq, &it.Recipient, &it.Lane, &it.State, &it.Sealed, &it.Attempts, &next, &it.LastError, &enq, &done,
		&m.EnvelopeID, &m.Type, &m.Conversation, &m.InReplyTo, &exercise, &m.Marking, &recips, &created, &m.Payload, &m.Attachments)
	it.NextAttempt, it.Enqueued, it.Done, m.Created = fromMicros(next), fromMicros(enq), fromMicros(done), fromMicros(created)
	m.Exercise = exercise != 0
	m.Recipients = splitList(recips)
	return it, err
}

func (q queries) PendingOutbox(ctx context.Context, recipient string, lanes []int, limit int) ([]OutboxItem, error) {
	if len(lanes) == 0 {
		return []OutboxItem{}, nil
	}
	args := make([]any, 0, len(lanes)+2)
	args = append(args, recipient)
	for _, l := range lanes {
		args = append(args, l)
	}
	args = append(args, limit)
	in := strings.Repeat("?, ", len(lanes)-1) + "?"
	rows, err := q.query(ctx, `SELECT `+outboxItemCols+` FROM fed_outbox o JOIN fed_messages m ON m.envelope_id = o.envelope_id
		WHERE o.recipient = ? AND o.state = 0 AND o.lane IN (`+in+`) ORDER BY o.seq LIMIT ?`, args...)
	return collect(rows, err, func(r *sql.Rows) (OutboxItem, error) { return scanOutboxItem(r) })
}

func (q queries) GetOutboxItem(ctx context.Context, envelopeID, recipient string) (OutboxItem, error) {
	it, err := scanOutboxItem(q.row(ctx, `SELECT `+outboxItemCols+` FROM fed_outbox o JOIN fed_messages m ON m.envelope_id = o.envelope_id
		WHERE o.envelope_id = ? AND o.recipient = ?`, envelopeID, recipient))
	return it, q.mapErr(err)
}

func (q queries) SetOutboxSealed(ctx context.Context, envelopeID, recipient string, sealed []byte) error {
	return mustAffect(q.exec(ctx, `UPDATE fed_outbox SET sealed = ? WHERE envelope_id = ? AND recipient = ? AND sealed IS NULL`,
		sealed, envelopeID, recipient))
}

func (q queries) MarkOutboxDelivered(ctx context.Context, envelopeID, recipient string, at time.Time) error {
	return mustAffect(q.exec(ctx, `UPDATE fed_outbox SET state = 1, done = ?, last_error = '' WHERE envelope_id = ? AND recipient = ? AND state = 0`,
		micros(at), envelopeID, recipient))
}

func (q queries) MarkOutboxRetry(ctx context.Context, envelopeID, recipient string, next time.Time, lastErr string) error {
	return mustAffect(q.exec(ctx, `UPDATE fed_outbox SET attempts = attempts + 1, next_attempt = ?, last_error = ? WHERE envelope_id = ? AND recipient = ? AND state = 0`,
		micros(next), truncateText(lastErr, 500), envelopeID, recipient))
}

func (q queries) MarkOutboxFailed(ctx context.Context, envelopeID, recipient string, at time.Time, reason string) error {
	return mustAffect(q.exec(ctx, `UPDATE fed_outbox SET state = 2, done = ?, attempts = attempts + 1, last_error = ? WHERE envelope_id = ? AND recipient = ? AND state = 0`,
		micros(at), truncateText(reason, 500), envelopeID, recipient))
}

func truncateText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[:n]
	// Do not leave half a UTF-8 sequence behind.
	return strings.ToValidUTF8(s, "")
}

func (q queries) OutboxStats(ctx context.Context) ([]OutboxStat, error) {
	rows, err := q.query(ctx, `SELECT recipient, state, COUNT(*), MIN(enqueued), MAX(attempts) FROM fed_outbox
		WHERE state IN (0, 2) GROUP BY recipient, state ORDER BY recipient`)
	type row struct {
		recipient   string
		state       int
		n, oldest   int64
		maxAttempts int
	}
	rs, err := collect(rows, err, func(r *sql.Rows) (row, error) {
		var x row
		err := r.Scan(&x.recipient, &x.state, &x.n, &x.oldest, &x.maxAttempts)
		return x, err
	})
	if err != nil {
		return nil, err
	}
	var out []OutboxStat
	for _, x := range rs {
		if len(out) == 0 || out[len(out)-1].Recipient != x.recipient {
			out = append(out, OutboxStat{Recipient: x.recipient})
		}
		st := &out[len(out)-1]
		if x.state == OutboxFailed {
			st.Failed = x.n
			continue
		}
		st.Pending, st.OldestPending, st.MaxAttempts = x.n, fromMicros(x.oldest), x.maxAttempts
	}
	for i := range out {
		if out[i].Pending == 0 || out[i].MaxAttempts == 0 {
			continue
		}
		err := q.row(ctx, `SELECT last_error FROM fed_outbox WHERE recipient = ? AND state = 0 AND attempts > 0 ORDER BY seq LIMIT 1`,
			out[i].Recipient).Scan(&out[i].LastError)
		if err != nil && err != sql.ErrNoRows {
			return nil, err
		}
	}
	return out, nil
}

func (q queries) OutboxLatencies(ctx context.Context, recipient string, from, to time.Time, limit int) ([]time.Duration, error) {
	rows, err := q.query(ctx, `SELECT done - enqueued FROM fed_outbox WHERE recipient = ? AND state = 1 AND done >= ? AND done < ? ORDER BY seq LIMIT ?`,
		recipient, micros(from), micros(to), limit)
	return collect(rows, err, func(r *sql.Rows) (time.Duration, error) {
		var us int64
		err := r.Scan(&us)
		return time.Duration(us) * time.Microsecond, err
	})
}

const receiptCols = `envelope_id, receiver, envelope_hash, received, key_id, receipt, stored`

func (q queries) InsertReceipt(ctx context.Context, r StoredReceipt) error {
	_, err := q.exec(ctx, `INSERT INTO fed_receipts (`+receiptCols+`) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		r.EnvelopeID, r.Receiver, r.EnvelopeHash, micros(r.Received), r.KeyID, r.Receipt, micros(r.Stored))
	return err
}

// settleRows bounds the rows of one multi-row statement (7 parameters a
// row stays below every backend's parameter limit).
const settleRows = 128

func (q queries) SettleDelivered(ctx context.Context, receiver string, rs []StoredReceipt, at time.Time) error {
	return q.atomic(ctx, func(q queries) error {
		for len(rs) > 0 {
			chunk := rs[:min(len(rs), settleRows)]
			rs = rs[len(chunk):]
			args := make([]any, 0, 7*len(chunk))
			ids := make([]any, 0, 2+len(chunk))
			ids = append(ids, micros(at), receiver)
			for _, r := range chunk {
				if r.Receiver != receiver {
					return fmt.Errorf("store: settle: receipt from %s in a batch from %s", r.Receiver, receiver)
				}
				args = append(args, r.EnvelopeID, r.Receiver, r.EnvelopeHash, micros(r.Received), r.KeyID, r.Receipt, micros(r.Stored))
				ids = append(ids, r.EnvelopeID)
			}
			if _, err := q.exec(ctx, `INSERT INTO fed_receipts (`+receiptCols+`) VALUES (?, ?, ?, ?, ?, ?, ?)`+
				strings.Repeat(", (?, ?, ?, ?, ?, ?, ?)", len(chunk)-1), args...); err != nil {
				return err
			}
			res, err := q.exec(ctx, `UPDATE fed_outbox SET state = 1, done = ?, last_error = '' WHERE recipient = ? AND state = 0 AND envelope_id IN (?`+
				strings.Repeat(", ?", len(chunk)-1)+`)`, ids...)
			if err != nil {
				return err
			}
			if n, err := res.RowsAffected(); err != nil || n != int64(len(chunk)) {
				return fmt.Errorf("store: settle: %d of %d deliveries pending: %w", n, len(chunk), ErrNotFound)
			}
		}
		return nil
	})
}

func (q queries) GetReceipt(ctx context.Context, envelopeID, receiver string) (StoredReceipt, error) {
	var r StoredReceipt
	var received, stored int64
	err := q.row(ctx, `SELECT `+receiptCols+` FROM fed_receipts WHERE envelope_id = ? AND receiver = ?`, envelopeID, receiver).
		Scan(&r.EnvelopeID, &r.Receiver, &r.EnvelopeHash, &received, &r.KeyID, &r.Receipt, &stored)
	r.Received, r.Stored = fromMicros(received), fromMicros(stored)
	return r, q.mapErr(err)
}

func (q queries) CountReceipts(ctx context.Context, receiver string) (int64, error) {
	var n int64
	err := q.row(ctx, `SELECT COUNT(*) FROM fed_receipts WHERE receiver = ?`, receiver).Scan(&n)
	return n, q.mapErr(err)
}

const inboxCols = `envelope_id, sender, type, conversation, created, received, envelope_hash, envelope, receipt`

func (q queries) InsertInbox(ctx context.Context, e InboxEntry) error {
	_, err := q.exec(ctx, `INSERT INTO fed_inbox (`+inboxCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		e.EnvelopeID, e.Sender, e.Type, e.Conversation, micros(e.Created), micros(e.Received), e.EnvelopeHash, nonNil(e.Envelope), nonNil(e.Receipt))
	return err
}

func (q queries) AddInbox(ctx context.Context, e InboxEntry) (bool, error) {
	res, err := q.exec(ctx, `INSERT INTO fed_inbox (`+inboxCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (envelope_id) DO NOTHING`,
		e.EnvelopeID, e.Sender, e.Type, e.Conversation, micros(e.Created), micros(e.Received), e.EnvelopeHash, nonNil(e.Envelope), nonNil(e.Receipt))
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

func (q queries) GetInbox(ctx context.Context, envelopeID string) (InboxEntry, error) {
	var e InboxEntry
	var created, received int64
	err := q.row(ctx, `SELECT `+inboxCols+` FROM fed_inbox WHERE envelope_id = ?`, envelopeID).
		Scan(&e.EnvelopeID, &e.Sender, &e.Type, &e.Conversation, &created, &received, &e.EnvelopeHash, &e.Envelope, &e.Receipt)
	e.Created, e.Received = fromMicros(created), fromMicros(received)
	return e, q.mapErr(err)
}

func (q queries) CountInbox(ctx context.Context, sender string) (int64, error) {
	var n int64
	err := q.row(ctx, `SELECT COUNT(*) FROM fed_inbox WHERE sender = ?`, sender).Scan(&n)
	return n, q.mapErr(err)
}

func (q queries) RecordPeerKey(ctx context.Context, k PeerKey) error {
	_, err := q.exec(ctx, `INSERT INTO fed_peer_keys (party, key_id, signing_key, first_seen) VALUES (?, ?, ?, ?)
		ON CONFLICT (party, key_id) DO NOTHING`, k.Party, k.KeyID, k.SigningKey, micros(k.FirstSeen))
	return err
}

func (q queries) ListPeerKeys(ctx context.Context, party string) ([]PeerKey, error) {
	rows, err := q.query(ctx, `SELECT party, key_id, signing_key, first_seen FROM fed_peer_keys WHERE party = ? ORDER BY first_seen, key_id`, party)
	return collect(rows, err, func(r *sql.Rows) (PeerKey, error) {
		var k PeerKey
		var first int64
		err := r.Scan(&k.Party, &k.KeyID, &k.SigningKey, &first)
		k.FirstSeen = fromMicros(first)
		return k, err
	})
}
