package store

import (
	"context"
	"database/sql"
	"time"
)

// WebQueries are the web console's server-side sessions, its login
// throttle and the users' console preferences (internal/web). Sessions
// live in the database so that several stateless instances behind a load
// balancer share them, and so that logging out or disabling an account
// ends a session everywhere at once.
type WebQueries interface {
	// CreateWebSession stores a new session; a reused ID is ErrConflict.
	CreateWebSession(ctx context.Context, s WebSession) error
	// GetWebSession returns the session with ID id (expired or not: the
	// caller decides); ErrNotFound when there is none.
	GetWebSession(ctx context.Context, id string) (WebSession, error)
	// TouchWebSession records activity: seen and the new idle expiry.
	TouchWebSession(ctx context.Context, id string, seen, idleUntil time.Time) error
	// DeleteWebSession ends one session (logout); ErrNotFound when there
	// is none.
	DeleteWebSession(ctx context.Context, id string) error
	// DeleteUserWebSessions ends every session of a user and returns how
	// many there were.
	DeleteUserWebSessions(ctx context.Context, userID string) (int64, error)
	// DeleteExpiredWebSessions removes sessions past either expiry at now.
	DeleteExpiredWebSessions(ctx context.Context, now time.Time) (int64, error)

	// AddLoginFailure records a failed login for key (a username or a
	// client address).
	AddLoginFailure(ctx context.Context, key string, at time.Time) error
	// CountLoginFailures counts key's failures at or after since.
	CountLoginFailures(ctx context.Context, key string, since time.Time) (int, error)
	// ClearLoginFailures forgets key's failures (a successful login) and
	// everyone's failures before before (pruning).
	ClearLoginFailures(ctx context.Context, key string, before time.Time) error

	// SetUserLocale sets a user's console language and time zone;
	// ErrNotFound when there is no such user.
	SetUserLocale(ctx context.Context, userID, language, timeZone string) error
}

// WebSession is a signed-in console session. Only the SHA-256 of the
// cookie's secret is stored (ID), so a leaked database does not yield
// live sessions.
type WebSession struct {
	ID     string
	UserID string
	// CSRF is the session's anti-forgery token, echoed by every form.
	CSRF    string
	Created time.Time
	Seen    time.Time
	// IdleUntil moves forward with activity; Expires never does.
	IdleUntil time.Time
	Expires   time.Time
	// Client is the user agent and address at sign-in, for the audit view.
	Client string
}

// Expired reports whether the session is over at now.
func (s WebSession) Expired(now time.Time) bool {
	return !now.Before(s.IdleUntil) || !now.Before(s.Expires)
}

const webSessionCols = `id, user_id, csrf, created, seen, idle_until, expires, client`

func scanWebSession(s interface{ Scan(...any) error }) (WebSession, error) {
	var w WebSession
	var created, seen, idle, expires int64
	err := s.Scan(&w.ID, &w.UserID, &w.CSRF, &created, &seen, &idle, &expires, &w.Client)
	w.Created, w.Seen, w.IdleUntil, w.Expires = fromMicros(created), fromMicros(seen), fromMicros(idle), fromMicros(expires)
	return w, err
}

func (q queries) CreateWebSession(ctx context.Context, s WebSession) error {
	_, err := q.exec(ctx, `INSERT INTO web_sessions (`+webSessionCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		s.ID, s.UserID, s.CSRF, micros(s.Created), micros(s.Seen), micros(s.IdleUntil), micros(s.Expires), s.Client)
	return err
}

func (q queries) GetWebSession(ctx context.Context, id string) (WebSession, error) {
	s, err := scanWebSession(q.row(ctx, `SELECT `+webSessionCols+` FROM web_sessions WHERE id = ?`, id))
	return s, q.mapErr(err)
}

func (q queries) TouchWebSession(ctx context.Context, id string, seen, idleUntil time.Time) error {
	return mustAffect(q.exec(ctx, `UPDATE web_sessions SET seen = ?, idle_until = ? WHERE id = ?`, micros(seen), micros(idleUntil), id))
}

func (q queries) DeleteWebSession(ctx context.Context, id string) error {
	return mustAffect(q.exec(ctx, `DELETE FROM web_sessions WHERE id = ?`, id))
}

func (q queries) DeleteUserWebSessions(ctx context.Context, userID string) (int64, error) {
	return webAffected(q.exec(ctx, `DELETE FROM web_sessions WHERE user_id = ?`, userID))
}

func (q queries) DeleteExpiredWebSessions(ctx context.Context, now time.Time) (int64, error) {
	return webAffected(q.exec(ctx, `DELETE FROM web_sessions WHERE idle_until <= ? OR expires <= ?`, micros(now), micros(now)))
}

func (q queries) AddLoginFailure(ctx context.Context, key string, at time.Time) error {
	_, err := q.exec(ctx, `INSERT INTO web_login_failures (key, at) VALUES (?, ?)`, key, micros(at))
	return err
}

func (q queries) CountLoginFailures(ctx context.Context, key string, since time.Time) (int, error) {
	var n int
	err := q.row(ctx, `SELECT COUNT(*) FROM web_login_failures WHERE key = ? AND at >= ?`, key, micros(since)).Scan(&n)
	return n, q.mapErr(err)
}

func (q queries) ClearLoginFailures(ctx context.Context, key string, before time.Time) error {
	_, err := q.exec(ctx, `DELETE FROM web_login_failures WHERE key = ? OR at < ?`, key, micros(before))
	return err
}

func (q queries) SetUserLocale(ctx context.Context, userID, language, timeZone string) error {
	return mustAffect(q.exec(ctx, `UPDATE users SET language = ?, time_zone = ? WHERE id = ?`, language, timeZone, userID))
}

func webAffected(res sql.Result, err error) (int64, error) {
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
