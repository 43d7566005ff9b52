-- Agencies, accounts, the 24/7 directory, peers and the audit trail.
CREATE TABLE agencies (
	code    TEXT PRIMARY KEY,
	name    TEXT NOT NULL,
	kind    TEXT NOT NULL,
	created BIGINT NOT NULL
);

CREATE TABLE users (
	id            TEXT PRIMARY KEY,
	username      TEXT NOT NULL UNIQUE,
	display_name  TEXT NOT NULL,
	agency        TEXT NOT NULL REFERENCES agencies (code),
	roles         TEXT NOT NULL,
	password_hash TEXT NOT NULL,
	language      TEXT NOT NULL,
	time_zone     TEXT NOT NULL,
	disabled      INTEGER NOT NULL DEFAULT 0,
	created       BIGINT NOT NULL
);

CREATE TABLE tokens (
	id        TEXT PRIMARY KEY,
	user_id   TEXT NOT NULL REFERENCES users (id),
	name      TEXT NOT NULL,
	hash      TEXT NOT NULL UNIQUE,
	created   BIGINT NOT NULL,
	expires   BIGINT NOT NULL DEFAULT 0,
	last_used BIGINT NOT NULL DEFAULT 0,
	revoked   BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX tokens_user ON tokens (user_id);

CREATE TABLE contacts (
	id        TEXT PRIMARY KEY,
	agency    TEXT NOT NULL REFERENCES agencies (code),
	name      TEXT NOT NULL,
	role      TEXT NOT NULL,
	languages TEXT NOT NULL,
	time_zone TEXT NOT NULL,
	phone     TEXT NOT NULL,
	email     TEXT NOT NULL,
	created   BIGINT NOT NULL
);

CREATE TABLE shifts (
	id         TEXT PRIMARY KEY,
	contact_id TEXT NOT NULL REFERENCES contacts (id),
	position   TEXT NOT NULL,
	starts     BIGINT NOT NULL,
	ends       BIGINT NOT NULL
);
CREATE INDEX shifts_time ON shifts (starts, ends);

CREATE TABLE peers (
	party           TEXT PRIMARY KEY,
	name            TEXT NOT NULL,
	endpoint        TEXT NOT NULL,
	signing_key     BLOB NOT NULL,
	encryption_key  BLOB NOT NULL,
	tls_fingerprint TEXT NOT NULL,
	descriptor      BLOB NOT NULL,
	added           BIGINT NOT NULL,
	updated         BIGINT NOT NULL,
	last_contact    BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE audit (
	seq         INTEGER PRIMARY KEY,
	at          BIGINT NOT NULL,
	actor       TEXT NOT NULL,
	action      TEXT NOT NULL,
	object_type TEXT NOT NULL,
	object_id   TEXT NOT NULL,
	before_hash TEXT NOT NULL,
	after_hash  TEXT NOT NULL,
	detail      TEXT NOT NULL,
	prev_hash   TEXT NOT NULL,
	hash        TEXT NOT NULL
);
CREATE INDEX audit_object ON audit (object_type, object_id);
CREATE INDEX audit_actor ON audit (actor);

-- The audit trail is append-only: the database itself refuses changes, so
-- not even a bug or a hand-typed statement can rewrite it.
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;
