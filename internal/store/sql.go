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

// Dialect holds what differs between the SQL backends.
type Dialect struct {
	Name string
	// Rebind turns the '?' placeholders the statements are written with into
	// the backend's own.
	Rebind func(string) string
	// IsUniqueViolation reports whether err is a unique-key violation.
	IsUniqueViolation func(error) bool
	// IsAppendOnly reports whether err was raised by an append-only trigger.
	IsAppendOnly func(error) bool
	// SerializeAudit, when set, runs at the start of an audit append inside
	// the transaction so concurrent writers append one at a time (PostgreSQL
	// advisory lock). SQLite needs none: it has a single writer.
	SerializeAudit string
	// PrepareStatements keeps each statement prepared per connection and
	// reuses it. The SQLite driver otherwise compiles the SQL text on every
	// call, which costs as much as a small insert; pgx caches its own.
	PrepareStatements bool
}

type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// SQL is the Store over database/sql. Writes go to write and reads to read,
// which may be the same pool (PostgreSQL) or a separate read-only pool
// beside a single writer connection (SQLite).
type SQL struct {
	queries
	write, read *sql.DB
	closers     []func() error
}

// OnCommit registers f to run after every committed write, in the
// writer's goroutine; f must not block. SQLite uses it to wake its
// background checkpointer.
func (s *SQL) OnCommit(f func()) {
	s.committed = f
}

// maxPrepared bounds each pool's statement cache. Statements built with a
// variable number of rows or list items would otherwise grow it without
// end; past the bound they run unprepared.
const maxPrepared = 1024

// preparedCache holds one pool's prepared statements by SQL text. A
// *sql.Stmt prepares itself lazily on each connection of the pool, and a
// transaction on a connection that already prepared it reuses it
// (sql.Tx.StmtContext).
type preparedCache struct {
	db      *sql.DB
	mu      sync.Mutex
	m       map[string]*sql.Stmt
	pending map[string]bool
	closed  bool
}

func newPreparedCache(db *sql.DB) *preparedCache {
	return &preparedCache{db: db, m: map[string]*sql.Stmt{}, pending: map[string]bool{}}
}

// get returns the prepared statement for query, or nil when there is none
// yet, the cache is full or preparing failed (the caller then runs the text
// directly and reports any error itself). Inside a transaction a miss is
// prepared in the background: preparing on the pool needs a connection,
// and the transaction may hold the pool's only one (SQLite's writer).
func (c *preparedCache) get(ctx context.Context, query string, inTx bool) *sql.Stmt {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	if st, ok := c.m[query]; ok || c.closed || c.pending[query] || len(c.m)+len(c.pending) >= maxPrepared {
		c.mu.Unlock()
		return st
	}
	c.pending[query] = true
	c.mu.Unlock()
	if inTx {
		go c.prepare(context.WithoutCancel(ctx), query)
		return nil
	}
	return c.prepare(ctx, query)
}

func (c *preparedCache) prepare(ctx context.Context, query string) *sql.Stmt {
	st, err := c.db.PrepareContext(ctx, query)
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.pending, query)
	if err != nil {
		return nil
	}
	if c.closed {
		st.Close()
		return nil
	}
	c.m[query] = st
	return st
}

func (c *preparedCache) close() error {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	var errs []error
	for q, st := range c.m {
		errs = append(errs, st.Close())
		delete(c.m, q)
	}
	return errors.Join(errs...)
}

// NewSQL wraps open, migrated pools as a Store. closers run on Close after
// the pools are closed.
func NewSQL(write, read *sql.DB, d Dialect, closers ...func() error) *SQL {
	s := &SQL{write: write, read: read, closers: closers}
	s.queries = queries{r: read, w: write, d: d, atomic: s.inTx, ids: &idKey{}}
	if d.PrepareStatements {
		s.wc = newPreparedCache(write)
		s.rc = s.wc
		if read != write {
			s.rc = newPreparedCache(read)
		}
	}
	return s
}

// Backend implements Store.
func (s *SQL) Backend() string { return s.d.Name }

// DB returns the write pool, for tests that must reach below the interface
// (the append-only test proves raw UPDATEs fail).
func (s *SQL) DB() *sql.DB { return s.write }

// Ping implements Store.
func (s *SQL) Ping(ctx context.Context) error { return s.read.PingContext(ctx) }

// SchemaVersion implements Store.
func (s *SQL) SchemaVersion(ctx context.Context) (int, error) {
	return currentVersion(ctx, s.read)
}

// Close implements Store.
func (s *SQL) Close() error {
	errs := []error{s.wc.close()}
	if s.rc != s.wc {
		errs = append(errs, s.rc.close())
	}
	errs = append(errs, s.write.Close())
	if s.read != s.write {
		errs = append(errs, s.read.Close())
	}
	for _, c := range s.closers {
		errs = append(errs, c())
	}
	return errors.Join(errs...)
}

// InTx implements Store.
func (s *SQL) InTx(ctx context.Context, fn func(q Queries) error) error {
	return s.inTx(ctx, func(q queries) error { return fn(q) })
}

func (s *SQL) inTx(ctx context.Context, fn func(q queries) error) (err error) {
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	defer func() {
		if p := recover(); p != nil {
			_ = tx.Rollback()
			panic(p)
		}
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	q := queries{r: tx, w: tx, d: s.d, tx: tx, wc: s.wc, rc: s.wc, ids: s.ids}
	q.atomic = func(_ context.Context, fn func(queries) error) error { return fn(q) }
	if err = fn(q); err != nil {
		return err
	}
	if err = tx.Commit(); err != nil {
		return fmt.Errorf("store: commit: %w", err)
	}
	if s.committed != nil {
		s.committed()
	}
	return nil
}

type queries struct {
	r, w   execer
	d      Dialect
	atomic func(ctx context.Context, fn func(queries) error) error
	// tx is the transaction r and w run in, if any; wc and rc are the
	// statement caches of the pools behind w and r (nil: run the text).
	tx     *sql.Tx
	wc, rc *preparedCache
	// committed, outside a transaction, runs after each statement that
	// wrote (see SQL.OnCommit).
	committed func()
	// ids is the key of the STIX id hash, shared by every queries of a
	// store.
	ids *idKey
}

// prepared returns query prepared for the pool of c, bound to the
// transaction when there is one, or nil to run the text. A statement
// bound to a transaction is closed by its commit or rollback.
func (q queries) prepared(ctx context.Context, c *preparedCache, query string) *sql.Stmt {
	st := c.get(ctx, query, q.tx != nil)
	if st != nil && q.tx != nil {
		st = q.tx.StmtContext(ctx, st)
	}
	return st
}

func (q queries) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	query = q.d.Rebind(query)
	var res sql.Result
	var err error
	if st := q.prepared(ctx, q.wc, query); st != nil {
		res, err = st.ExecContext(ctx, args...)
	} else {
		res, err = q.w.ExecContext(ctx, query, args...)
	}
	if err == nil && q.tx == nil && q.committed != nil {
		q.committed()
	}
	return res, q.mapErr(err)
}

func (q queries) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	query = q.d.Rebind(query)
	if st := q.prepared(ctx, q.rc, query); st != nil {
		rows, err := st.QueryContext(ctx, args...)
		return rows, q.mapErr(err)
	}
	rows, err := q.r.QueryContext(ctx, query, args...)
	return rows, q.mapErr(err)
}

func (q queries) row(ctx context.Context, query string, args ...any) *sql.Row {
	query = q.d.Rebind(query)
	if st := q.prepared(ctx, q.rc, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return q.r.QueryRowContext(ctx, query, args...)
}

func (q queries) mapErr(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, sql.ErrNoRows):
		return ErrNotFound
	case q.d.IsUniqueViolation(err):
		return fmt.Errorf("%w: %v", ErrConflict, err)
	case q.d.IsAppendOnly(err):
		return fmt.Errorf("%w: %v", ErrAppendOnly, err)
	}
	return err
}

// mustAffect turns "no row changed" into ErrNotFound.
func mustAffect(res sql.Result, err error) error {
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return ErrNotFound
	}
	return nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func joinList(v []string) string { return strings.Join(v, ",") }

func splitList(s string) []string {
	if s == "" {
		return []string{}
	}
	return strings.Split(s, ",")
}

// collect scans every row with scan.
func collect[T any](rows *sql.Rows, err error, scan func(*sql.Rows) (T, error)) ([]T, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// Agencies.

func (q queries) CreateAgency(ctx context.Context, a Agency) error {
	_, err := q.exec(ctx, `INSERT INTO agencies (code, name, kind, created) VALUES (?, ?, ?, ?)`,
		a.Code, a.Name, a.Kind, micros(a.Created))
	return err
}

const agencyCols = `code, name, kind, created`

func scanAgency(s interface{ Scan(...any) error }) (Agency, error) {
	var a Agency
	var created int64
	err := s.Scan(&a.Code, &a.Name, &a.Kind, &created)
	a.Created = fromMicros(created)
	return a, err
}

func (q queries) ListAgencies(ctx context.Context) ([]Agency, error) {
	rows, err := q.query(ctx, `SELECT `+agencyCols+` FROM agencies ORDER BY code`)
	return collect(rows, err, func(r *sql.Rows) (Agency, error) { return scanAgency(r) })
}

func (q queries) GetAgency(ctx context.Context, code string) (Agency, error) {
	a, err := scanAgency(q.row(ctx, `SELECT `+agencyCols+` FROM agencies WHERE code = ?`, code))
	return a, q.mapErr(err)
}

// Users.

const userCols = `id, username, display_name, agency, roles, password_hash, language, time_zone, disabled, created`

func scanUser(s interface{ Scan(...any) error }) (User, error) {
	var u User
	var roles string
	var disabled int
	var created int64
	err := s.Scan(&u.ID, &u.Username, &u.DisplayName, &u.Agency, &roles, &u.PasswordHash, &u.Language, &u.TimeZone, &disabled, &created)
	u.Roles = splitList(roles)
	u.Disabled = disabled != 0
	u.Created = fromMicros(created)
	return u, err
}

func (q queries) CreateUser(ctx context.Context, u User) error {
	_, err := q.exec(ctx, `INSERT INTO users (`+userCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		u.ID, u.Username, u.DisplayName, u.Agency, joinList(u.Roles), u.PasswordHash, u.Language, u.TimeZone, boolInt(u.Disabled), micros(u.Created))
	return err
}

func (q queries) GetUser(ctx context.Context, id string) (User, error) {
	u, err := scanUser(q.row(ctx, `SELECT `+userCols+` FROM users WHERE id = ?`, id))
	return u, q.mapErr(err)
}

func (q queries) GetUserByName(ctx context.Context, username string) (User, error) {
	u, err := scanUser(q.row(ctx, `SELECT `+userCols+` FROM users WHERE username = ?`, username))
	return u, q.mapErr(err)
}

func (q queries) ListUsers(ctx context.Context) ([]User, error) {
	rows, err := q.query(ctx, `SELECT `+userCols+` FROM users ORDER BY username`)
	return collect(rows, err, func(r *sql.Rows) (User, error) { return scanUser(r) })
}

func (q queries) SetUserDisabled(ctx context.Context, id string, disabled bool) error {
	return mustAffect(q.exec(ctx, `UPDATE users SET disabled = ? WHERE id = ?`, boolInt(disabled), id))
}

// Tokens.

const tokenCols = `id, user_id, name, hash, created, expires, last_used, revoked`

func scanToken(s interface{ Scan(...any) error }) (Token, error) {
	var t Token
	var created, expires, lastUsed, revoked int64
	err := s.Scan(&t.ID, &t.UserID, &t.Name, &t.Hash, &created, &expires, &lastUsed, &revoked)
	t.Created, t.Expires, t.LastUsed, t.Revoked = fromMicros(created), fromMicros(expires), fromMicros(lastUsed), fromMicros(revoked)
	return t, err
}

func (q queries) CreateToken(ctx context.Context, t Token) error {
	_, err := q.exec(ctx, `INSERT INTO tokens (`+tokenCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		t.ID, t.UserID, t.Name, t.Hash, micros(t.Created), micros(t.Expires), micros(t.LastUsed), micros(t.Revoked))
	return err
}

func (q queries) GetTokenByHash(ctx context.Context, hash string) (Token, error) {
	t, err := scanToken(q.row(ctx, `SELECT `+tokenCols+` FROM tokens WHERE hash = ?`, hash))
	return t, q.mapErr(err)
}

func (q queries) ListTokens(ctx context.Context, userID string) ([]Token, error) {
	rows, err := q.query(ctx, `SELECT `+tokenCols+` FROM tokens WHERE user_id = ? ORDER BY created, id`, userID)
	return collect(rows, err, func(r *sql.Rows) (Token, error) { return scanToken(r) })
}

func (q queries) RevokeToken(ctx context.Context, id string, at time.Time) error {
	return mustAffect(q.exec(ctx, `UPDATE tokens SET revoked = ? WHERE id = ? AND revoked = 0`, micros(at), id))
}

func (q queries) TouchToken(ctx context.Context, id string, at time.Time) error {
	return mustAffect(q.exec(ctx, `UPDATE tokens SET last_used = ? WHERE id = ?`, micros(at), id))
}

// Contacts and on-call shifts.

const contactCols = `id, agency, name, role, languages, time_zone, phone, email, created`

func scanContact(s interface{ Scan(...any) error }) (Contact, error) {
	var c Contact
	var langs string
	var created int64
	err := s.Scan(&c.ID, &c.Agency, &c.Name, &c.Role, &langs, &c.TimeZone, &c.Phone, &c.Email, &created)
	c.Languages = splitList(langs)
	c.Created = fromMicros(created)
	return c, err
}

func (q queries) CreateContact(ctx context.Context, c Contact) error {
	_, err := q.exec(ctx, `INSERT INTO contacts (`+contactCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		c.ID, c.Agency, c.Name, c.Role, joinList(c.Languages), c.TimeZone, c.Phone, c.Email, micros(c.Created))
	return err
}

func (q queries) ListContacts(ctx context.Context) ([]Contact, error) {
	rows, err := q.query(ctx, `SELECT `+contactCols+` FROM contacts ORDER BY agency, name, id`)
	return collect(rows, err, func(r *sql.Rows) (Contact, error) { return scanContact(r) })
}

func (q queries) GetContact(ctx context.Context, id string) (Contact, error) {
	c, err := scanContact(q.row(ctx, `SELECT `+contactCols+` FROM contacts WHERE id = ?`, id))
	return c, q.mapErr(err)
}

func (q queries) DeleteContact(ctx context.Context, id string) error {
	if _, err := q.exec(ctx, `DELETE FROM shifts WHERE contact_id = ?`, id); err != nil {
		return err
	}
	return mustAffect(q.exec(ctx, `DELETE FROM contacts WHERE id = ?`, id))
}

func (q queries) CreateShift(ctx context.Context, s Shift) error {
	_, err := q.exec(ctx, `INSERT INTO shifts (id, contact_id, position, starts, ends) VALUES (?, ?, ?, ?, ?)`,
		s.ID, s.ContactID, s.Position, micros(s.Start), micros(s.End))
	return err
}

func (q queries) ListShifts(ctx context.Context, from, to time.Time) ([]Shift, error) {
	rows, err := q.query(ctx, `SELECT id, contact_id, position, starts, ends FROM shifts
		WHERE starts < ? AND ends > ? ORDER BY starts, position, id`, micros(to), micros(from))
	return collect(rows, err, func(r *sql.Rows) (Shift, error) {
		var s Shift
		var start, end int64
		err := r.Scan(&s.ID, &s.ContactID, &s.Position, &start, &end)
		s.Start, s.End = fromMicros(start), fromMicros(end)
		return s, err
	})
}

// Peers.

const peerCols = `party, name, endpoint, signing_key, encryption_key, tls_fingerprint, descriptor, added, updated, last_contact`

func scanPeer(s interface{ Scan(...any) error }) (Peer, error) {
	var p Peer
	var added, updated, last int64
	err := s.Scan(&p.Party, &p.Name, &p.Endpoint, &p.SigningKey, &p.EncryptionKey, &p.TLSFingerprint, &p.Descriptor, &added, &updated, &last)
	p.Added, p.Updated, p.LastContact = fromMicros(added), fromMicros(updated), fromMicros(last)
	return p, err
}

func (q queries) UpsertPeer(ctx context.Context, p Peer) error {
	_, err := q.exec(ctx, `INSERT INTO peers (`+peerCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (party) DO UPDATE SET name = excluded.name, endpoint = excluded.endpoint,
		signing_key = excluded.signing_key, encryption_key = excluded.encryption_key,
		tls_fingerprint = excluded.tls_fingerprint, descriptor = excluded.descriptor, updated = excluded.updated`,
		p.Party, p.Name, p.Endpoint, p.SigningKey, p.EncryptionKey, p.TLSFingerprint, p.Descriptor, micros(p.Added), micros(p.Updated), micros(p.LastContact))
	return err
}

func (q queries) GetPeer(ctx context.Context, party string) (Peer, error) {
	p, err := scanPeer(q.row(ctx, `SELECT `+peerCols+` FROM peers WHERE party = ?`, party))
	return p, q.mapErr(err)
}

func (q queries) ListPeers(ctx context.Context) ([]Peer, error) {
	rows, err := q.query(ctx, `SELECT `+peerCols+` FROM peers ORDER BY party`)
	return collect(rows, err, func(r *sql.Rows) (Peer, error) { return scanPeer(r) })
}

func (q queries) TouchPeer(ctx context.Context, party string, at time.Time) error {
	return mustAffect(q.exec(ctx, `UPDATE peers SET last_contact = ? WHERE party = ?`, micros(at), party))
}

// Audit trail.

func (q queries) AppendAudit(ctx context.Context, e AuditEntry) (AuditEntry, error) {
	err := q.atomic(ctx, func(q queries) error {
		if q.d.SerializeAudit != "" {
			if _, err := q.w.ExecContext(ctx, q.d.SerializeAudit); err != nil {
				return err
			}
		}
		var seq int64
		var prev string
		err := q.row(ctx, `SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1`).Scan(&seq, &prev)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		e.Seq, e.PrevHash = seq+1, prev
		e.At = e.At.UTC().Truncate(time.Microsecond)
		e.Hash = e.ComputeHash()
		_, err = q.exec(ctx, `INSERT INTO audit (seq, at, actor, action, object_type, object_id, before_hash, after_hash, detail, prev_hash, hash)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			e.Seq, micros(e.At), e.Actor, e.Action, e.ObjectType, e.ObjectID, e.BeforeHash, e.AfterHash, e.Detail, e.PrevHash, e.Hash)
		return err
	})
	return e, err
}

func (q queries) ListAudit(ctx context.Context, f AuditFilter) ([]AuditEntry, error) {
	where := []string{"seq > ?"}
	args := []any{f.After}
	for col, v := range map[string]string{"actor": f.Actor, "object_type": f.ObjectType, "object_id": f.ObjectID} {
		if v != "" {
			where = append(where, col+" = ?")
			args = append(args, v)
		}
	}
	limit := f.Limit
	if limit <= 0 || limit > 1000 {
		limit = 1000
	}
	rows, err := q.query(ctx, `SELECT seq, at, actor, action, object_type, object_id, before_hash, after_hash, detail, prev_hash, hash
		FROM audit WHERE `+strings.Join(where, " AND ")+fmt.Sprintf(` ORDER BY seq LIMIT %d`, limit), args...)
	return collect(rows, err, func(r *sql.Rows) (AuditEntry, error) {
		var e AuditEntry
		var at int64
		err := r.Scan(&e.Seq, &at, &e.Actor, &e.Action, &e.ObjectType, &e.ObjectID, &e.BeforeHash, &e.AfterHash, &e.Detail, &e.PrevHash, &e.Hash)
		e.At = fromMicros(at)
		return e, err
	})
}
