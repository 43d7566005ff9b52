-- Federation: the transactional outbox, the inbox of applied envelopes,
-- the receipts peers sign for what we sent, and the history of every key
-- a peer has had pinned (so that old signatures stay verifiable).

-- One row per message, written in the domain transaction that caused it.
CREATE TABLE fed_messages (
	envelope_id  TEXT PRIMARY KEY,
	type         TEXT NOT NULL,
	conversation TEXT NOT NULL,
	in_reply_to  TEXT NOT NULL,
	exercise     INTEGER NOT NULL,
	marking      TEXT NOT NULL,
	recipients   TEXT NOT NULL,
	created      BIGINT NOT NULL,
	payload      BLOB NOT NULL,
	attachments  TEXT NOT NULL
);

-- One row per (message, recipient): what the outbox worker delivers. seq
-- orders delivery; lane partitions a peer's queue by conversation so that
-- one conversation is never in flight twice at once.
CREATE TABLE fed_outbox (
	seq          INTEGER PRIMARY KEY,
	envelope_id  TEXT NOT NULL REFERENCES fed_messages (envelope_id),
	recipient    TEXT NOT NULL,
	lane         INTEGER NOT NULL,
	state        INTEGER NOT NULL DEFAULT 0,
	sealed       BLOB,
	attempts     INTEGER NOT NULL DEFAULT 0,
	next_attempt BIGINT NOT NULL DEFAULT 0,
	last_error   TEXT NOT NULL DEFAULT '',
	enqueued     BIGINT NOT NULL,
	done         BIGINT NOT NULL DEFAULT 0,
	UNIQUE (envelope_id, recipient)
);
CREATE INDEX fed_outbox_pending ON fed_outbox (recipient, lane, state, seq);
CREATE INDEX fed_outbox_state ON fed_outbox (recipient, state);

-- Receipts peers signed for envelopes we delivered: proof of delivery.
CREATE TABLE fed_receipts (
	envelope_id   TEXT NOT NULL,
	receiver      TEXT NOT NULL,
	envelope_hash TEXT NOT NULL,
	received      BIGINT NOT NULL,
	key_id        TEXT NOT NULL,
	receipt       BLOB NOT NULL,
	stored        BIGINT NOT NULL,
	PRIMARY KEY (envelope_id, receiver)
);
CREATE INDEX fed_receipts_receiver ON fed_receipts (receiver, stored);

-- Envelopes received and applied, at most once each (the primary key is
-- the deduplication), with the receipt we answered.
CREATE TABLE fed_inbox (
	envelope_id   TEXT PRIMARY KEY,
	sender        TEXT NOT NULL,
	type          TEXT NOT NULL,
	conversation  TEXT NOT NULL,
	created       BIGINT NOT NULL,
	received      BIGINT NOT NULL,
	envelope_hash TEXT NOT NULL,
	envelope      BLOB NOT NULL,
	receipt       BLOB NOT NULL
);
CREATE INDEX fed_inbox_conversation ON fed_inbox (sender, conversation, received);

-- Every signing key ever pinned for a peer.
CREATE TABLE fed_peer_keys (
	party       TEXT NOT NULL,
	key_id      TEXT NOT NULL,
	signing_key BLOB NOT NULL,
	first_seen  BIGINT NOT NULL,
	PRIMARY KEY (party, key_id)
);
