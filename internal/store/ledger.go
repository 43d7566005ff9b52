package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
)

// LedgerQueries are the reads and writes of the transparency ledger
// (internal/ledger). Entries, checkpoints, cosignatures, witness state and
// alarms are append-only in the database itself; tiles may only grow.
type LedgerQueries interface {
	// AppendLedger gives es consecutive indexes after the last entry, stores
	// them and returns the index of the first. Appends are sequenced by one
	// writer at a time (PostgreSQL: an advisory lock held to commit), so the
	// committed entries are always a gap-free prefix of the log.
	AppendLedger(ctx context.Context, es []LedgerEntry) (first int64, err error)
	// LedgerSize is the number of entries appended (integrated or not).
	LedgerSize(ctx context.Context) (int64, error)
	// ListLedger returns entries with from <= Index < to, oldest first, at
	// most limit (<= MaxLedgerPage).
	ListLedger(ctx context.Context, from, to int64, limit int) ([]LedgerEntry, error)
	// ListLedgerLeaves is ListLedger without the bodies: the fields a leaf
	// commits to (the body by its hash), for integrating entries into the
	// tree.
	ListLedgerLeaves(ctx context.Context, from, to int64, limit int) ([]LedgerEntry, error)
	// LedgerByObject returns the entries recorded for objectID, oldest first.
	LedgerByObject(ctx context.Context, objectID string, limit int) ([]LedgerEntry, error)

	// GetLedgerTiles returns the tiles that exist among ids.
	GetLedgerTiles(ctx context.Context, ids []TileID) (map[TileID][]byte, error)
	// PutLedgerTiles writes tiles, each replacing a shorter tile of the same
	// id whose hashes it must extend.
	PutLedgerTiles(ctx context.Context, tiles map[TileID][]byte) error

	// SerializeLedgerIntegration makes concurrent integrators (several
	// instances on one PostgreSQL) take turns until the transaction ends.
	SerializeLedgerIntegration(ctx context.Context) error
	AddLedgerCheckpoint(ctx context.Context, c LedgerCheckpoint) error
	// LatestLedgerCheckpoint returns the checkpoint of largest size, or
	// ErrNotFound before the first.
	LatestLedgerCheckpoint(ctx context.Context) (LedgerCheckpoint, error)
	GetLedgerCheckpoint(ctx context.Context, size int64) (LedgerCheckpoint, error)

	AddLedgerCosignature(ctx context.Context, c LedgerCosignature) error
	ListLedgerCosignatures(ctx context.Context, size int64) ([]LedgerCosignature, error)
	// LatestLedgerCosignature returns the cosignature of largest size by
	// cosigner, or ErrNotFound if it never cosigned.
	LatestLedgerCosignature(ctx context.Context, cosigner string) (LedgerCosignature, error)

	AddWitnessed(ctx context.Context, w WitnessedCheckpoint) error
	// LatestWitnessed returns the largest checkpoint of origin we cosigned,
	// or ErrNotFound if we never saw one.
	LatestWitnessed(ctx context.Context, origin string) (WitnessedCheckpoint, error)

	AddLedgerAlarm(ctx context.Context, a LedgerAlarm) (LedgerAlarm, error)
	// ListLedgerAlarms returns alarms with ID > after, oldest first.
	ListLedgerAlarms(ctx context.Context, after int64, limit int) ([]LedgerAlarm, error)
}

// MaxLedgerPage bounds one read of ledger entries.
const MaxLedgerPage = 10000

// LedgerEntry is one entry of the transparency log.
type LedgerEntry struct {
	Index    int64
	Kind     string
	ObjectID string
	At       time.Time
	Exercise bool
	BodyHash []byte
	Body     []byte
}

// TileID names a hash tile: the nodes at height 4*Level, indexes
// [16*Index, 16*Index+16). Level < 16 and Index < 2^59.
type TileID struct {
	Level int
	Index int64
}

// LedgerCheckpoint is a signed checkpoint of the node's own log.
type LedgerCheckpoint struct {
	Size int64
	Root []byte
	At   time.Time
	Note []byte
}

// LedgerCosignature is a peer's cosignature line on our checkpoint of Size.
type LedgerCosignature struct {
	Size      int64
	Cosigner  string
	Signature string
	At        time.Time
}

// WitnessedCheckpoint is a peer's checkpoint we verified and cosigned.
type WitnessedCheckpoint struct {
	Origin      string
	Size        int64
	Root        []byte
	Note        []byte
	Cosignature string
	At          time.Time
}

// LedgerAlarm records detected misbehaviour of a log: ours or a peer's.
type LedgerAlarm struct {
	ID       int64     `json:"id"`
	At       time.Time `json:"at"`
	Origin   string    `json:"origin"`
	Kind     string    `json:"kind"`
	Detail   string    `json:"detail"`
	Evidence []byte    `json:"evidence,omitempty"`
}

// PostgreSQL advisory lock keys of the ledger (distinct from the store's).
const (
	lockLedgerAppend    = 0x4c49_0013
	lockLedgerIntegrate = 0x4c49_0014
)

// serialize takes a transaction-scoped advisory lock on PostgreSQL. SQLite
// needs none: the store has a single writer connection.
func (q queries) serialize(ctx context.Context, key int) error {
	if q.d.Name != "postgres" {
		return nil
	}
	_, err := q.w.ExecContext(ctx, fmt.Sprintf("SELECT pg_advisory_xact_lock(%d)", key))
	return err
}

// ledgerInsertRows is how many entries one INSERT statement carries: 7
// parameters each stays far below both backends' parameter limits.
const ledgerInsertRows = 200

const ledgerInsertOne = `INSERT INTO ledger_entries (idx, kind, object_id, at, exercise, body_hash, body) VALUES (?, ?, ?, ?, ?, ?, ?)`

// ledgerSeq remembers, for the transaction that appended last, the index
// its next entry gets and (SQLite) its single-entry insert prepared. The
// first append of a transaction reads MAX(idx) after taking the append lock
// (PostgreSQL); the following ones need neither the read nor the lock, which
// the transaction holds to its end. An append is then one plain insert of
// a known primary key: were the remembered index ever wrong, the insert
// would collide with an existing entry and fail, never leave a gap. One
// entry suffices: a transaction's appends come one after the other, and a
// transaction that is not the last to append reads MAX(idx) again.
var ledgerSeq seqCache

type seqCache struct {
	mu   sync.Mutex
	tx   *sql.Tx
	next int64
	one  *sql.Stmt
}

// lookup returns the next index of tx and its prepared insert (nil: none
// yet), or ok=false when tx is not the transaction remembered.
func (c *seqCache) lookup(tx *sql.Tx) (next int64, one *sql.Stmt, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.tx != tx {
		return 0, nil, false
	}
	return c.next, c.one, true
}

// store remembers tx's next index, keeping its prepared insert when tx is
// already the one remembered. database/sql closes the statement when the
// transaction ends.
func (c *seqCache) store(tx *sql.Tx, next int64, one *sql.Stmt) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.tx != tx {
		c.one = nil
	}
	c.tx, c.next = tx, next
	if one != nil {
		c.one = one
	}
}

// forget drops what is remembered of tx after a failed insert.
func (c *seqCache) forget(tx *sql.Tx) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.tx == tx {
		c.tx, c.one = nil, nil
	}
}

func (q queries) AppendLedger(ctx context.Context, es []LedgerEntry) (int64, error) {
	if len(es) == 0 {
		return 0, errors.New("store: no ledger entry to append")
	}
	if q.tx == nil {
		var first int64
		err := q.atomic(ctx, func(q queries) error {
			var err error
			first, err = q.AppendLedger(ctx, es)
			return err
		})
		return first, err
	}
	first, one, ok := ledgerSeq.lookup(q.tx)
	if !ok {
		if err := q.serialize(ctx, lockLedgerAppend); err != nil {
			return 0, err
		}
		var last sql.NullInt64
		if err := q.row(ctx, `SELECT MAX(idx) FROM ledger_entries`).Scan(&last); err != nil {
			return 0, err
		}
		first = 0
		if last.Valid {
			first = last.Int64 + 1
		}
	}
	var err error
	if len(es) == 1 && q.d.Name != "postgres" {
		// The common case, one change recorded at a time: the insert is
		// prepared once per transaction. (pgx keeps its own statements.)
		// It runs without watching ctx (checked just before): the driver
		// would start a goroutine to interrupt the statement, which costs
		// more than the insert of one row of a known key; the transaction
		// itself still ends when ctx does.
		if one == nil {
			one, err = q.tx.PrepareContext(ctx, ledgerInsertOne)
		}
		if err == nil {
			err = ctx.Err()
		}
		if err == nil {
			_, err = one.ExecContext(context.WithoutCancel(ctx), ledgerArgs(nil, first, es[0])...)
			err = q.mapErr(err)
		}
	} else {
		err = q.insertLedger(ctx, first, es)
	}
	if err != nil {
		ledgerSeq.forget(q.tx)
		return 0, err
	}
	ledgerSeq.store(q.tx, first+int64(len(es)), one)
	return first, nil
}

// insertLedger inserts es with indexes from first on, ledgerInsertRows to a
// statement.
func (q queries) insertLedger(ctx context.Context, first int64, es []LedgerEntry) error {
	var b strings.Builder
	args := make([]any, 0, 7*min(len(es), ledgerInsertRows))
	for start := 0; start < len(es); start += ledgerInsertRows {
		chunk := es[start:min(start+ledgerInsertRows, len(es))]
		b.Reset()
		b.WriteString(`INSERT INTO ledger_entries (idx, kind, object_id, at, exercise, body_hash, body) VALUES `)
		args = args[:0]
		for i, e := range chunk {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString("(?, ?, ?, ?, ?, ?, ?)")
			args = ledgerArgs(args, first+int64(start+i), e)
		}
		if _, err := q.exec(ctx, b.String(), args...); err != nil {
			return err
		}
	}
	return nil
}

// ledgerArgs appends the insert parameters of e at index idx.
func ledgerArgs(args []any, idx int64, e LedgerEntry) []any {
	body := e.Body
	if body == nil {
		body = []byte{}
	}
	return append(args, idx, e.Kind, e.ObjectID, e.At.UnixMicro(), boolInt(e.Exercise), e.BodyHash, body)
}

func (q queries) LedgerSize(ctx context.Context) (int64, error) {
	var last sql.NullInt64
	if err := q.row(ctx, `SELECT MAX(idx) FROM ledger_entries`).Scan(&last); err != nil {
		return 0, err
	}
	if !last.Valid {
		return 0, nil
	}
	return last.Int64 + 1, nil
}

const ledgerCols = `idx, kind, object_id, at, exercise, body_hash, body`

func scanLedger(r *sql.Rows) (LedgerEntry, error) {
	var e LedgerEntry
	var at int64
	var ex int
	err := r.Scan(&e.Index, &e.Kind, &e.ObjectID, &at, &ex, &e.BodyHash, &e.Body)
	e.At, e.Exercise = time.UnixMicro(at).UTC(), ex != 0
	return e, err
}

func pageLimit(limit int) int {
	if limit <= 0 || limit > MaxLedgerPage {
		return MaxLedgerPage
	}
	return limit
}

func (q queries) ListLedger(ctx context.Context, from, to int64, limit int) ([]LedgerEntry, error) {
	rows, err := q.query(ctx, `SELECT `+ledgerCols+` FROM ledger_entries WHERE idx >= ? AND idx < ? ORDER BY idx`+
		fmt.Sprintf(` LIMIT %d`, pageLimit(limit)), from, to)
	return collect(rows, err, scanLedger)
}

func (q queries) ListLedgerLeaves(ctx context.Context, from, to int64, limit int) ([]LedgerEntry, error) {
	rows, err := q.query(ctx, `SELECT idx, kind, object_id, at, exercise, body_hash FROM ledger_entries WHERE idx >= ? AND idx < ? ORDER BY idx`+
		fmt.Sprintf(` LIMIT %d`, pageLimit(limit)), from, to)
	return collect(rows, err, func(r *sql.Rows) (LedgerEntry, error) {
		var e LedgerEntry
		var at int64
		var ex int
		err := r.Scan(&e.Index, &e.Kind, &e.ObjectID, &at, &ex, &e.BodyHash)
		e.At, e.Exercise = time.UnixMicro(at).UTC(), ex != 0
		return e, err
	})
}

func (q queries) LedgerByObject(ctx context.Context, objectID string, limit int) ([]LedgerEntry, error) {
	rows, err := q.query(ctx, `SELECT `+ledgerCols+` FROM ledger_entries WHERE object_id = ? ORDER BY idx`+
		fmt.Sprintf(` LIMIT %d`, pageLimit(limit)), objectID)
	return collect(rows, err, scanLedger)
}

// tileKey packs a TileID into the table's single-column key.
func tileKey(id TileID) int64 { return id.Index<<4 | int64(id.Level) }

func (q queries) GetLedgerTiles(ctx context.Context, ids []TileID) (map[TileID][]byte, error) {
	out := make(map[TileID][]byte, len(ids))
	for start := 0; start < len(ids); start += 100 {
		chunk := ids[start:min(start+100, len(ids))]
		args := make([]any, len(chunk))
		for i, id := range chunk {
			args[i] = tileKey(id)
		}
		rows, err := q.query(ctx, `SELECT id, hashes FROM ledger_tiles WHERE id IN (?`+strings.Repeat(", ?", len(chunk)-1)+`)`, args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var key int64
			var h []byte
			if err := rows.Scan(&key, &h); err != nil {
				rows.Close()
				return nil, err
			}
			out[TileID{Level: int(key & 15), Index: key >> 4}] = h
		}
		if err := rows.Close(); err != nil {
			return nil, err
		}
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (q queries) PutLedgerTiles(ctx context.Context, tiles map[TileID][]byte) error {
	args := make([]any, 0, 2*len(tiles))
	flush := func() error {
		if len(args) == 0 {
			return nil
		}
		_, err := q.exec(ctx, `INSERT INTO ledger_tiles (id, hashes) VALUES (?, ?)`+strings.Repeat(", (?, ?)", len(args)/2-1)+
			` ON CONFLICT (id) DO UPDATE SET hashes = excluded.hashes`, args...)
		args = args[:0]
		return err
	}
	for id, h := range tiles {
		if id.Level < 0 || id.Level > 15 || id.Index < 0 || id.Index >= 1<<59 {
			return fmt.Errorf("store: tile (%d, %d) out of range", id.Level, id.Index)
		}
		args = append(args, tileKey(id), h)
		if len(args) == 2*200 {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	return flush()
}

func (q queries) SerializeLedgerIntegration(ctx context.Context) error {
	return q.serialize(ctx, lockLedgerIntegrate)
}

func (q queries) AddLedgerCheckpoint(ctx context.Context, c LedgerCheckpoint) error {
	_, err := q.exec(ctx, `INSERT INTO ledger_checkpoints (size, root, at, note) VALUES (?, ?, ?, ?)`,
		c.Size, c.Root, micros(c.At), c.Note)
	return err
}

func scanCheckpoint(s interface{ Scan(...any) error }) (LedgerCheckpoint, error) {
	var c LedgerCheckpoint
	var at int64
	err := s.Scan(&c.Size, &c.Root, &at, &c.Note)
	c.At = fromMicros(at)
	return c, err
}

func (q queries) LatestLedgerCheckpoint(ctx context.Context) (LedgerCheckpoint, error) {
	c, err := scanCheckpoint(q.row(ctx, `SELECT size, root, at, note FROM ledger_checkpoints ORDER BY size DESC LIMIT 1`))
	return c, q.mapErr(err)
}

func (q queries) GetLedgerCheckpoint(ctx context.Context, size int64) (LedgerCheckpoint, error) {
	c, err := scanCheckpoint(q.row(ctx, `SELECT size, root, at, note FROM ledger_checkpoints WHERE size = ?`, size))
	return c, q.mapErr(err)
}

func (q queries) AddLedgerCosignature(ctx context.Context, c LedgerCosignature) error {
	_, err := q.exec(ctx, `INSERT INTO ledger_cosignatures (size, cosigner, signature, at) VALUES (?, ?, ?, ?)`,
		c.Size, c.Cosigner, c.Signature, micros(c.At))
	return err
}

func (q queries) LatestLedgerCosignature(ctx context.Context, cosigner string) (LedgerCosignature, error) {
	var c LedgerCosignature
	var at int64
	err := q.row(ctx, `SELECT size, cosigner, signature, at FROM ledger_cosignatures WHERE cosigner = ? ORDER BY size DESC LIMIT 1`, cosigner).
		Scan(&c.Size, &c.Cosigner, &c.Signature, &at)
	c.At = fromMicros(at)
	return c, q.mapErr(err)
}

func (q queries) ListLedgerCosignatures(ctx context.Context, size int64) ([]LedgerCosignature, error) {
	rows, err := q.query(ctx, `SELECT size, cosigner, signature, at FROM ledger_cosignatures WHERE size = ? ORDER BY cosigner`, size)
	return collect(rows, err, func(r *sql.Rows) (LedgerCosignature, error) {
		var c LedgerCosignature
		var at int64
		err := r.Scan(&c.Size, &c.Cosigner, &c.Signature, &at)
		c.At = fromMicros(at)
		return c, err
	})
}

func (q queries) AddWitnessed(ctx context.Context, w WitnessedCheckpoint) error {
	_, err := q.exec(ctx, `INSERT INTO ledger_witnessed (origin, size, root, note, cosignature, at) VALUES (?, ?, ?, ?, ?, ?)`,
		w.Origin, w.Size, w.Root, w.Note, w.Cosignature, micros(w.At))
	return err
}

func (q queries) LatestWitnessed(ctx context.Context, origin string) (WitnessedCheckpoint, error) {
	var w WitnessedCheckpoint
	var at int64
	err := q.row(ctx, `SELECT origin, size, root, note, cosignature, at FROM ledger_witnessed
		WHERE origin = ? ORDER BY size DESC LIMIT 1`, origin).Scan(&w.Origin, &w.Size, &w.Root, &w.Note, &w.Cosignature, &at)
	w.At = fromMicros(at)
	return w, q.mapErr(err)
}

func (q queries) AddLedgerAlarm(ctx context.Context, a LedgerAlarm) (LedgerAlarm, error) {
	a.At = a.At.UTC().Truncate(time.Microsecond)
	if a.Evidence == nil {
		a.Evidence = []byte{}
	}
	// RETURNING goes through the write side: outside a transaction the
	// read pool is read-only.
	err := q.w.QueryRowContext(ctx, q.d.Rebind(`INSERT INTO ledger_alarms (at, origin, kind, detail, evidence)
		VALUES (?, ?, ?, ?, ?) RETURNING id`), micros(a.At), a.Origin, a.Kind, a.Detail, a.Evidence).Scan(&a.ID)
	if errors.Is(err, sql.ErrNoRows) {
		return a, errors.New("store: alarm not inserted")
	}
	return a, q.mapErr(err)
}

func (q queries) ListLedgerAlarms(ctx context.Context, after int64, limit int) ([]LedgerAlarm, error) {
	if limit <= 0 || limit > 1000 {
		limit = 1000
	}
	rows, err := q.query(ctx, `SELECT id, at, origin, kind, detail, evidence FROM ledger_alarms WHERE id > ? ORDER BY id`+
		fmt.Sprintf(` LIMIT %d`, limit), after)
	return collect(rows, err, func(r *sql.Rows) (LedgerAlarm, error) {
		var a LedgerAlarm
		var at int64
		err := r.Scan(&a.ID, &at, &a.Origin, &a.Kind, &a.Detail, &a.Evidence)
		a.At = fromMicros(at)
		return a, err
	})
}
