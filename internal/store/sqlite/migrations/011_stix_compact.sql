-- STIX objects keyed by a small integer per collection instead of the
-- 36-character collection id, which every index entry repeated.
ALTER TABLE taxii_collections ADD COLUMN seq INTEGER NOT NULL DEFAULT 0;
UPDATE taxii_collections SET seq = rowid;
CREATE UNIQUE INDEX taxii_collections_seq ON taxii_collections (seq);
-- A new collection takes the next key (SQLite has a single writer).
CREATE TRIGGER taxii_collections_seq AFTER INSERT ON taxii_collections WHEN NEW.seq = 0
BEGIN
	UPDATE taxii_collections SET seq = (SELECT MAX(seq) + 1 FROM taxii_collections) WHERE id = NEW.id;
END;

-- Rows are appended in date_added order, so the table itself (by rowid)
-- and the date_added index grow at their right edge; only the id index
-- takes inserts at random places. The collection key has no REFERENCES
-- clause: collections are never deleted, the store resolves the key from
-- an existing collection, and a foreign-key check would make SQLite keep a
-- statement journal (a copy of every page touched) for each multi-row
-- insert.
CREATE TABLE stix_objects_011 (
	collection     INTEGER NOT NULL,
	date_added     BIGINT NOT NULL,
	id             TEXT NOT NULL,
	type           TEXT NOT NULL,
	spec_version   TEXT NOT NULL,
	version        BIGINT NOT NULL,
	created        BIGINT NOT NULL,
	created_by_ref TEXT NOT NULL,
	revoked        INTEGER NOT NULL,
	tlp            INTEGER NOT NULL,
	latest         INTEGER NOT NULL,
	body           BLOB NOT NULL
);
INSERT INTO stix_objects_011 (collection, date_added, id, type, spec_version, version, created, created_by_ref, revoked, tlp, latest, body)
	SELECT c.seq, o.date_added, o.id, o.type, o.spec_version, o.version, o.created, o.created_by_ref, o.revoked, o.tlp, o.latest, o.body
	FROM stix_objects o JOIN taxii_collections c ON c.id = o.collection_id
	ORDER BY c.seq, o.date_added;
DROP TABLE stix_objects;
ALTER TABLE stix_objects_011 RENAME TO stix_objects;
CREATE UNIQUE INDEX stix_objects_id ON stix_objects (collection, id, version);
-- TAXII pages in date_added order; date_added is unique per collection so
-- it doubles as the page cursor.
CREATE UNIQUE INDEX stix_objects_added ON stix_objects (collection, date_added);
CREATE INDEX stix_objects_type ON stix_objects (collection, type, date_added);
