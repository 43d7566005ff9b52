-- The transparency ledger (an RFC 6962 Merkle log of everything exchanged
-- and every state change) and the dialogue rounds with their commitments.

-- One row per log entry, in log order. idx is the leaf index. The leaf the
-- tree commits to is computed from these columns (verify.LeafData); body is
-- the canonical body when it is kept, and empty when only its hash is.
CREATE TABLE ledger_entries (
	idx       BIGINT PRIMARY KEY,
	kind      TEXT NOT NULL,
	object_id TEXT NOT NULL,
	at        BIGINT NOT NULL,
	exercise  INTEGER NOT NULL,
	body_hash BYTEA NOT NULL,
	body      BYTEA NOT NULL
);
CREATE INDEX ledger_entries_object ON ledger_entries (object_id);

-- Hash tiles: the tile of level L and index t holds the concatenated
-- 32-byte hashes of the tree nodes at height 4*L, indexes [16*t, 16*t+16).
-- Its key is id = t*16 + L (L < 16), so a proof's handful of tiles is one
-- short "id IN (...)" lookup. Every other node is recomputed from the tile
-- below it, so a proof reads a few rows whatever the size of the log.
CREATE TABLE ledger_tiles (
	id     BIGINT PRIMARY KEY,
	hashes BYTEA NOT NULL
);

-- Signed checkpoints (C2SP tlog-checkpoint notes), one per integrated size.
CREATE TABLE ledger_checkpoints (
	size BIGINT PRIMARY KEY,
	root BYTEA NOT NULL,
	at   BIGINT NOT NULL,
	note BYTEA NOT NULL
);

-- Cosignatures peers made on our checkpoints (C2SP tlog-cosignature).
CREATE TABLE ledger_cosignatures (
	size      BIGINT NOT NULL REFERENCES ledger_checkpoints (size),
	cosigner  TEXT NOT NULL,
	signature TEXT NOT NULL,
	at        BIGINT NOT NULL,
	PRIMARY KEY (size, cosigner)
);

-- Peers' checkpoints we verified and cosigned, as their witness. The row of
-- largest size per origin is the view every new checkpoint must extend.
CREATE TABLE ledger_witnessed (
	origin      TEXT NOT NULL,
	size        BIGINT NOT NULL,
	root        BYTEA NOT NULL,
	note        BYTEA NOT NULL,
	cosignature TEXT NOT NULL,
	at          BIGINT NOT NULL,
	PRIMARY KEY (origin, size)
);

-- Forks, rollbacks and rewritten entries detected, with the evidence.
CREATE TABLE ledger_alarms (
	id       BIGSERIAL PRIMARY KEY,
	at       BIGINT NOT NULL,
	origin   TEXT NOT NULL,
	kind     TEXT NOT NULL,
	detail   TEXT NOT NULL,
	evidence BYTEA NOT NULL
);

-- The record is append-only: the database refuses changes. Tiles may only
-- grow: a partial tile is rewritten with the old hashes as its prefix.
CREATE FUNCTION ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION 'ledger is append-only' USING ERRCODE = 'LA001';
END;
$$;
CREATE FUNCTION ledger_tiles_grow_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF NEW.id <> OLD.id OR length(NEW.hashes) < length(OLD.hashes)
		OR substring(NEW.hashes FROM 1 FOR length(OLD.hashes)) <> OLD.hashes THEN
		RAISE EXCEPTION 'ledger tiles are append-only' USING ERRCODE = 'LA001';
	END IF;
	RETURN NEW;
END;
$$;
CREATE TRIGGER ledger_entries_no_update BEFORE UPDATE OR DELETE ON ledger_entries
	FOR EACH ROW EXECUTE FUNCTION ledger_append_only();
CREATE TRIGGER ledger_entries_no_truncate BEFORE TRUNCATE ON ledger_entries
	FOR EACH STATEMENT EXECUTE FUNCTION ledger_append_only();
CREATE TRIGGER ledger_tiles_grow BEFORE UPDATE ON ledger_tiles
	FOR EACH ROW EXECUTE FUNCTION ledger_tiles_grow_only();
CREATE TRIGGER ledger_tiles_no_delete BEFORE DELETE ON ledger_tiles
	FOR EACH ROW EXECUTE FUNCTION ledger_append_only();
CREATE TRIGGER ledger_tiles_no_truncate BEFORE TRUNCATE ON ledger_tiles
	FOR EACH STATEMENT EXECUTE FUNCTION ledger_append_only();
CREATE TRIGGER ledger_checkpoints_no_update BEFORE UPDATE OR DELETE ON ledger_checkpoints
	FOR EACH ROW EXECUTE FUNCTION ledger_append_only();
CREATE TRIGGER ledger_cosignatures_no_update BEFORE UPDATE OR DELETE ON ledger_cosignatures
	FOR EACH ROW EXECUTE FUNCTION ledger_append_only();
CREATE TRIGGER ledger_witnessed_no_update BEFORE UPDATE OR DELETE ON ledger_witnessed
	FOR EACH ROW EXECUTE FUNCTION ledger_append_only();
CREATE TRIGGER ledger_alarms_no_update BEFORE UPDATE OR DELETE ON ledger_alarms
	FOR EACH ROW EXECUTE FUNCTION ledger_append_only();
CREATE TRIGGER ledger_record_no_truncate BEFORE TRUNCATE ON ledger_checkpoints
	FOR EACH STATEMENT EXECUTE FUNCTION ledger_append_only();

-- Dialogue rounds and the commitments made at them. Lists (co-chairs,
-- sources, owners, evidence) are JSON text; dates are YYYY-MM-DD text.
CREATE TABLE progress_rounds (
	number    INTEGER PRIMARY KEY,
	slug      TEXT NOT NULL UNIQUE,
	kind      TEXT NOT NULL,
	title     TEXT NOT NULL,
	date      TEXT NOT NULL,
	place     TEXT NOT NULL,
	co_chairs TEXT NOT NULL,
	summary   TEXT NOT NULL,
	sources   TEXT NOT NULL,
	updated   BIGINT NOT NULL
);

CREATE TABLE progress_commitments (
	id       TEXT PRIMARY KEY,
	round    INTEGER NOT NULL REFERENCES progress_rounds (number),
	seq      INTEGER NOT NULL,
	area     TEXT NOT NULL,
	text     TEXT NOT NULL,
	owners   TEXT NOT NULL,
	due      TEXT NOT NULL,
	status   TEXT NOT NULL,
	evidence TEXT NOT NULL,
	notes    TEXT NOT NULL,
	updated  BIGINT NOT NULL
);
CREATE INDEX progress_commitments_round ON progress_commitments (round, seq);
