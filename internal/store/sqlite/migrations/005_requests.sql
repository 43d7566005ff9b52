-- Requests for assistance (internal/request) and the 24/7 hotline
-- (internal/hotline).
--
-- A request's state is a fold of its events: request_events is the shared
-- timeline both nodes hold (each event made by one party and replicated to
-- the other), and the columns of requests after "content" are derived from
-- it so lists and deadline views can filter in SQL.

CREATE TABLE requests (
	id           TEXT PRIMARY KEY,
	reference    TEXT NOT NULL,
	type         TEXT NOT NULL,
	priority     TEXT NOT NULL,
	requesting   TEXT NOT NULL,
	requested    TEXT NOT NULL,
	outgoing     INTEGER NOT NULL,
	exercise     INTEGER NOT NULL,
	confidential INTEGER NOT NULL,
	visible_to   TEXT NOT NULL,
	created_by   TEXT NOT NULL,
	created      BIGINT NOT NULL,
	content      TEXT NOT NULL,
	status       TEXT NOT NULL,
	linked_mla   TEXT NOT NULL,
	lamport      BIGINT NOT NULL,
	next_due     BIGINT NOT NULL,
	updated      BIGINT NOT NULL,
	state        TEXT NOT NULL
);
CREATE INDEX requests_list ON requests (created, id);
CREATE INDEX requests_due ON requests (next_due);
CREATE INDEX requests_status ON requests (status);
CREATE INDEX requests_reference ON requests (reference);

CREATE TABLE request_events (
	id          TEXT PRIMARY KEY,
	request_id  TEXT NOT NULL REFERENCES requests (id),
	lamport     BIGINT NOT NULL,
	party       TEXT NOT NULL,
	action      TEXT NOT NULL,
	actor       TEXT NOT NULL,
	at          BIGINT NOT NULL,
	body        TEXT NOT NULL,
	envelope_id TEXT NOT NULL,
	recorded    BIGINT NOT NULL
);
CREATE INDEX request_events_order ON request_events (request_id, lamport, party, id);

-- Evidence files and their chain of custody (append-only).
CREATE TABLE request_attachments (
	id         TEXT PRIMARY KEY,
	request_id TEXT NOT NULL REFERENCES requests (id),
	event_id   TEXT NOT NULL,
	name       TEXT NOT NULL,
	size       BIGINT NOT NULL,
	sha256     TEXT NOT NULL,
	path       TEXT NOT NULL,
	added_by   TEXT NOT NULL,
	added      BIGINT NOT NULL
);
CREATE INDEX request_attachments_request ON request_attachments (request_id, added);

CREATE TABLE request_custody (
	attachment_id TEXT NOT NULL REFERENCES request_attachments (id),
	n             INTEGER NOT NULL,
	at            BIGINT NOT NULL,
	actor         TEXT NOT NULL,
	action        TEXT NOT NULL,
	detail        TEXT NOT NULL,
	PRIMARY KEY (attachment_id, n)
);
CREATE TRIGGER request_custody_no_update BEFORE UPDATE ON request_custody
BEGIN SELECT RAISE(ABORT, 'custody is append-only'); END;
CREATE TRIGGER request_custody_no_delete BEFORE DELETE ON request_custody
BEGIN SELECT RAISE(ABORT, 'custody is append-only'); END;

-- One row per deadline breach escalated: the key makes escalation happen
-- once per request, phase and level, however many sweepers run.
CREATE TABLE request_escalations (
	request_id TEXT NOT NULL REFERENCES requests (id),
	phase      TEXT NOT NULL,
	level      INTEGER NOT NULL,
	at         BIGINT NOT NULL,
	due        BIGINT NOT NULL,
	PRIMARY KEY (request_id, phase, level)
);

-- Hotline calls: a ring of a party's on-call officer for an urgent or
-- emergency request, or a drill. Both parties keep the call.
CREATE TABLE hotline_calls (
	id         TEXT PRIMARY KEY,
	request_id TEXT NOT NULL,
	peer       TEXT NOT NULL,
	outgoing   INTEGER NOT NULL,
	drill      INTEGER NOT NULL,
	reason     TEXT NOT NULL,
	started    BIGINT NOT NULL,
	ack_due    BIGINT NOT NULL,
	acked      BIGINT NOT NULL,
	acked_by   TEXT NOT NULL,
	level      INTEGER NOT NULL,
	next_level BIGINT NOT NULL
);
CREATE INDEX hotline_calls_open ON hotline_calls (acked, next_level);
CREATE INDEX hotline_calls_started ON hotline_calls (started, id);

-- Notifications to send (e-mail, webhook): an outbox of their own, written
-- in the transaction that decides them, delivered with retries.
CREATE TABLE hotline_notices (
	id           TEXT PRIMARY KEY,
	call_id      TEXT NOT NULL,
	request_id   TEXT NOT NULL,
	kind         TEXT NOT NULL,
	level        INTEGER NOT NULL,
	audience     TEXT NOT NULL,
	channel      TEXT NOT NULL,
	target       TEXT NOT NULL,
	subject      TEXT NOT NULL,
	body         TEXT NOT NULL,
	created      BIGINT NOT NULL,
	state        INTEGER NOT NULL,
	attempts     INTEGER NOT NULL,
	next_attempt BIGINT NOT NULL,
	sent         BIGINT NOT NULL,
	last_error   TEXT NOT NULL
);
CREATE INDEX hotline_notices_pending ON hotline_notices (state, next_attempt);
CREATE INDEX hotline_notices_created ON hotline_notices (created, id);

CREATE TABLE hotline_drill_schedules (
	id         TEXT PRIMARY KEY,
	peer       TEXT NOT NULL,
	every      BIGINT NOT NULL,
	next       BIGINT NOT NULL,
	created_by TEXT NOT NULL,
	created    BIGINT NOT NULL
);
