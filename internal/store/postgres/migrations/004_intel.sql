-- Threat intelligence: TAXII collections, their grants, every version of
-- every STIX object, and add-request statuses.
CREATE TABLE taxii_collections (
	id          TEXT PRIMARY KEY,
	title       TEXT NOT NULL,
	description TEXT NOT NULL,
	alias       TEXT NOT NULL,
	created     BIGINT NOT NULL
);

CREATE TABLE taxii_grants (
	collection_id TEXT NOT NULL REFERENCES taxii_collections (id),
	grantee       TEXT NOT NULL,
	can_read      INTEGER NOT NULL,
	can_write     INTEGER NOT NULL,
	PRIMARY KEY (collection_id, grantee)
);

CREATE TABLE stix_objects (
	collection_id  TEXT NOT NULL REFERENCES taxii_collections (id),
	id             TEXT NOT NULL,
	type           TEXT NOT NULL,
	spec_version   TEXT NOT NULL,
	version        BIGINT NOT NULL,
	created        BIGINT NOT NULL,
	created_by_ref TEXT NOT NULL,
	revoked        INTEGER NOT NULL,
	tlp            INTEGER NOT NULL,
	date_added     BIGINT NOT NULL,
	latest         INTEGER NOT NULL,
	body           BYTEA NOT NULL,
	PRIMARY KEY (collection_id, id, version)
);
-- TAXII pages in date_added order; date_added is unique per collection so
-- it doubles as the page cursor.
CREATE UNIQUE INDEX stix_objects_added ON stix_objects (collection_id, date_added);
CREATE INDEX stix_objects_type ON stix_objects (collection_id, type, date_added);

CREATE TABLE taxii_status (
	id            TEXT PRIMARY KEY,
	collection_id TEXT NOT NULL,
	requested     BIGINT NOT NULL,
	total         INTEGER NOT NULL,
	success       INTEGER NOT NULL,
	failure       INTEGER NOT NULL,
	detail        BYTEA NOT NULL
);
