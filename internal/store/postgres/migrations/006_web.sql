-- The web console (internal/web): server-side sessions and the login
-- throttle. A session row is keyed by the SHA-256 of the cookie's secret;
-- the secret itself is never stored.

CREATE TABLE web_sessions (
	id         TEXT PRIMARY KEY,
	user_id    TEXT NOT NULL REFERENCES users (id),
	csrf       TEXT NOT NULL,
	created    BIGINT NOT NULL,
	seen       BIGINT NOT NULL,
	idle_until BIGINT NOT NULL,
	expires    BIGINT NOT NULL,
	client     TEXT NOT NULL
);
CREATE INDEX web_sessions_user ON web_sessions (user_id);
CREATE INDEX web_sessions_expiry ON web_sessions (idle_until, expires);

-- Failed logins by username and by client address, for rate limiting;
-- rows older than the throttle window are pruned.
CREATE TABLE web_login_failures (
	key TEXT NOT NULL,
	at  BIGINT NOT NULL
);
CREATE INDEX web_login_failures_key ON web_login_failures (key, at);
