-- Progress reports (internal/progress) this node made or verified, keyed by
-- the SHA-256 of their signed figures, and the parties' cosignatures of
-- them: the other party's comes back over federation once it has
-- recomputed every figure from its own record. Both tables only grow.
CREATE TABLE progress_reports (
	figures_hash TEXT PRIMARY KEY,
	origin       TEXT NOT NULL,
	round        INTEGER NOT NULL,
	checkpoint   BIGINT NOT NULL,
	report       TEXT NOT NULL,
	created      BIGINT NOT NULL
);
CREATE INDEX progress_reports_created ON progress_reports (created);

CREATE TABLE progress_report_cosignatures (
	figures_hash TEXT NOT NULL REFERENCES progress_reports (figures_hash),
	party        TEXT NOT NULL,
	signature    TEXT NOT NULL,
	at           BIGINT NOT NULL,
	PRIMARY KEY (figures_hash, party)
);
