-- Malware samples and analysis documents (internal/intel/sample). Only
-- metadata lives here; the bytes are stored encrypted (age) in the node's
-- data directory under their SHA-256, and are never executed.
CREATE TABLE samples (
	sha256     TEXT PRIMARY KEY,
	md5        TEXT NOT NULL,
	sha1       TEXT NOT NULL,
	sha512     TEXT NOT NULL,
	size       BIGINT NOT NULL,
	kind       TEXT NOT NULL,
	name       TEXT NOT NULL,
	mime_type  TEXT NOT NULL,
	source     TEXT NOT NULL,
	created_by TEXT NOT NULL,
	created    BIGINT NOT NULL
);

-- Which STIX objects describe a sample, in which collection, and the TLP
-- that governs where the sample may go.
CREATE TABLE sample_links (
	sha256        TEXT NOT NULL REFERENCES samples (sha256),
	collection_id TEXT NOT NULL REFERENCES taxii_collections (id),
	file_id       TEXT NOT NULL,
	malware_id    TEXT NOT NULL,
	report_id     TEXT NOT NULL,
	tlp           INTEGER NOT NULL,
	recipients    TEXT NOT NULL,
	created       BIGINT NOT NULL,
	PRIMARY KEY (sha256, collection_id, file_id)
);
CREATE INDEX sample_links_collection ON sample_links (collection_id, sha256);
