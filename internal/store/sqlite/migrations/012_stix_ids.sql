-- Object ids are found through two narrow tables keyed by a 64-bit keyed
-- hash of the id instead of an index on the id text. STIX ids are random, so every
-- batch of new objects lands on pages all over an id index; the wider and
-- larger that index, the more pages each commit writes. New ids go to
-- stix_ids_recent, which stays small; when it grows past a threshold its
-- rows move to stix_ids in one ordered pass (store.MergeObjectIDs). A
-- lookup reads both. The store fills both tables from Go (the hash is
-- computed there), including for the objects stored before this migration.

-- The key of the id hash (SipHash-2-4), made for each database by the
-- store when this migration runs, so that nobody can choose ids that
-- share a hash.
CREATE TABLE stix_id_key (k BLOB NOT NULL);
CREATE TABLE stix_ids (
	collection INTEGER NOT NULL,
	h          BIGINT NOT NULL,
	date_added BIGINT NOT NULL,
	PRIMARY KEY (collection, h, date_added)
) WITHOUT ROWID;
CREATE TABLE stix_ids_recent (
	collection INTEGER NOT NULL,
	h          BIGINT NOT NULL,
	date_added BIGINT NOT NULL,
	PRIMARY KEY (collection, h, date_added)
) WITHOUT ROWID;

-- The oldest version of each object, kept like latest, so that TAXII's
-- match[version]=first needs no lookup by id.
ALTER TABLE stix_objects ADD COLUMN earliest INTEGER NOT NULL DEFAULT 0;
UPDATE stix_objects SET earliest = 1 WHERE version = (SELECT MIN(f.version) FROM stix_objects f
	WHERE f.collection = stix_objects.collection AND f.id = stix_objects.id);

DROP INDEX stix_objects_id;
