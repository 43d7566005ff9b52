-- Tabletop exercises and drills (internal/exercise). A run is one playing
-- of a scenario; its objects are the requests and hotline calls it made,
-- which carry the same IDs on every participating node, so each node can
-- purge the run's traffic without touching real data. The ledger keeps its
-- entries (marked exercise); only the working tables are cleared.
CREATE TABLE exercise_runs (
	id       TEXT PRIMARY KEY,
	scenario TEXT NOT NULL,
	title    TEXT NOT NULL,
	parties  TEXT NOT NULL,
	started  BIGINT NOT NULL,
	finished BIGINT NOT NULL,
	score    INTEGER NOT NULL,
	summary  TEXT NOT NULL,
	report   TEXT NOT NULL,
	purged   BIGINT NOT NULL
);
CREATE INDEX exercise_runs_started ON exercise_runs (started, id);

CREATE TABLE exercise_objects (
	run_id    TEXT NOT NULL REFERENCES exercise_runs (id),
	kind      TEXT NOT NULL,
	object_id TEXT NOT NULL,
	PRIMARY KEY (run_id, kind, object_id)
);

-- Custody stays append-only for real evidence; the custody of an exercise
-- request's files may be deleted with the exercise.
DROP TRIGGER request_custody_no_delete;
CREATE TRIGGER request_custody_no_delete BEFORE DELETE ON request_custody
WHEN NOT EXISTS (SELECT 1 FROM request_attachments a JOIN requests r ON r.id = a.request_id
	WHERE a.id = OLD.attachment_id AND r.exercise = 1)
BEGIN SELECT RAISE(ABORT, 'custody is append-only'); END;
