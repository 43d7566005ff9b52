-- Object ids are found through two narrow tables keyed by a 64-bit hash of
-- the id (see the SQLite migration of the same number for why). The unique
-- index on (collection, id, version) stays here: PostgreSQL takes several
-- writers at once, and it keeps two of them from storing the same version.

-- The key of the id hash (SipHash-2-4), made for each database by the
-- store when this migration runs, so that nobody can choose ids that
-- share a hash.
CREATE TABLE stix_id_key (k BYTEA NOT NULL);
CREATE TABLE stix_ids (
	collection BIGINT NOT NULL,
	h          BIGINT NOT NULL,
	date_added BIGINT NOT NULL,
	PRIMARY KEY (collection, h, date_added)
);
CREATE TABLE stix_ids_recent (
	collection BIGINT NOT NULL,
	h          BIGINT NOT NULL,
	date_added BIGINT NOT NULL,
	PRIMARY KEY (collection, h, date_added)
);

ALTER TABLE stix_objects ADD COLUMN earliest INTEGER NOT NULL DEFAULT 0;
UPDATE stix_objects SET earliest = 1 WHERE version = (SELECT MIN(f.version) FROM stix_objects f
	WHERE f.collection = stix_objects.collection AND f.id = stix_objects.id);
