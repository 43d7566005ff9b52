package store

import (
	"context"
	"database/sql"
	"time"
)

// ExerciseQueries keep tabletop exercise runs (internal/exercise) and
// remove their traffic afterwards. Exercise traffic lives in the ordinary
// tables with its exercise flag set; a run records which requests and
// hotline calls it made, so they can be purged by run without any risk to
// real data: every delete also requires the exercise (or drill) flag.
type ExerciseQueries interface {
	// InsertExerciseRun records a run; a reused ID is ErrConflict.
	InsertExerciseRun(ctx context.Context, r ExerciseRun) error
	// UpdateExerciseRun replaces the finish time, score, summary and
	// report of run r.ID; ErrNotFound when there is none.
	UpdateExerciseRun(ctx context.Context, r ExerciseRun) error
	GetExerciseRun(ctx context.Context, id string) (ExerciseRun, error)
	// ListExerciseRuns returns the runs, newest first, at most limit
	// (100 when limit <= 0), without their reports.
	ListExerciseRuns(ctx context.Context, limit int) ([]ExerciseRun, error)
	// AddExerciseObject records an object a run made; adding it again is
	// a no-op.
	AddExerciseObject(ctx context.Context, o ExerciseObject) error
	ListExerciseObjects(ctx context.Context, runID string) ([]ExerciseObject, error)
	// PurgeExercise deletes the traffic of run id from the working tables:
	// its exercise requests with their events, evidence records, custody
	// and escalations, its drill calls and their notices. Objects without
	// the exercise flag are never deleted (they are counted as Kept). The
	// run is marked purged at `at`; the ledger and the audit trail keep
	// their entries. The caller removes the returned evidence files.
	PurgeExercise(ctx context.Context, id string, at time.Time) (PurgeResult, error)
}

// Kinds of exercise object.
const (
	ExerciseRequest = "request"
	ExerciseCall    = "call"
)

// ExerciseRun is one playing of a scenario.
type ExerciseRun struct {
	ID       string    `json:"id"`
	Scenario string    `json:"scenario"`
	Title    string    `json:"title"`
	Parties  []string  `json:"parties"`
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished,omitzero"`
	// Score is the overall score in basis points (0-10000).
	Score int `json:"score"`
	// Summary is the exercise package's JSON result; Report the
	// after-action report (HTML).
	Summary []byte    `json:"-"`
	Report  []byte    `json:"-"`
	Purged  time.Time `json:"purged,omitzero"`
}

// ExerciseObject is a request or hotline call a run made.
type ExerciseObject struct {
	RunID    string `json:"run_id"`
	Kind     string `json:"kind"`
	ObjectID string `json:"object_id"`
}

// PurgeResult says what PurgeExercise removed.
type PurgeResult struct {
	Requests    int      `json:"requests"`
	Calls       int      `json:"calls"`
	Attachments int      `json:"attachments"`
	Kept        int      `json:"kept"`
	Files       []string `json:"-"`
}

func (q queries) InsertExerciseRun(ctx context.Context, r ExerciseRun) error {
	_, err := q.exec(ctx, `INSERT INTO exercise_runs (id, scenario, title, parties, started, finished, score, summary, report, purged)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, r.ID, r.Scenario, r.Title, joinList(r.Parties), micros(r.Started), micros(r.Finished),
		r.Score, string(r.Summary), string(r.Report), micros(r.Purged))
	return err
}

func (q queries) UpdateExerciseRun(ctx context.Context, r ExerciseRun) error {
	return mustAffect(q.exec(ctx, `UPDATE exercise_runs SET finished = ?, score = ?, summary = ?, report = ? WHERE id = ?`,
		micros(r.Finished), r.Score, string(r.Summary), string(r.Report), r.ID))
}

func scanExerciseRun(s interface{ Scan(...any) error }, withReport bool) (ExerciseRun, error) {
	var r ExerciseRun
	var parties, summary, report string
	var started, finished, purged int64
	dest := []any{&r.ID, &r.Scenario, &r.Title, &parties, &started, &finished, &r.Score, &summary, &purged}
	if withReport {
		dest = append(dest, &report)
	}
	err := s.Scan(dest...)
	r.Parties, r.Started, r.Finished, r.Purged = splitList(parties), fromMicros(started), fromMicros(finished), fromMicros(purged)
	r.Summary = []byte(summary)
	if withReport {
		r.Report = []byte(report)
	}
	return r, err
}

const exerciseRunCols = `id, scenario, title, parties, started, finished, score, summary, purged`

func (q queries) GetExerciseRun(ctx context.Context, id string) (ExerciseRun, error) {
	r, err := scanExerciseRun(q.row(ctx, `SELECT `+exerciseRunCols+`, report FROM exercise_runs WHERE id = ?`, id), true)
	return r, q.mapErr(err)
}

func (q queries) ListExerciseRuns(ctx context.Context, limit int) ([]ExerciseRun, error) {
	if limit <= 0 {
		limit = 100
	}
	rows, err := q.query(ctx, `SELECT `+exerciseRunCols+` FROM exercise_runs ORDER BY started DESC, id DESC LIMIT ?`, limit)
	return collect(rows, err, func(r *sql.Rows) (ExerciseRun, error) { return scanExerciseRun(r, false) })
}

func (q queries) AddExerciseObject(ctx context.Context, o ExerciseObject) error {
	_, err := q.exec(ctx, `INSERT INTO exercise_objects (run_id, kind, object_id) VALUES (?, ?, ?)
		ON CONFLICT (run_id, kind, object_id) DO NOTHING`, o.RunID, o.Kind, o.ObjectID)
	return err
}

func (q queries) ListExerciseObjects(ctx context.Context, runID string) ([]ExerciseObject, error) {
	rows, err := q.query(ctx, `SELECT run_id, kind, object_id FROM exercise_objects WHERE run_id = ? ORDER BY kind, object_id`, runID)
	return collect(rows, err, func(r *sql.Rows) (ExerciseObject, error) {
		var o ExerciseObject
		return o, r.Scan(&o.RunID, &o.Kind, &o.ObjectID)
	})
}

func (s *SQL) PurgeExercise(ctx context.Context, id string, at time.Time) (PurgeResult, error) {
	var res PurgeResult
	err := s.inTx(ctx, func(q queries) error {
		var err error
		res, err = q.PurgeExercise(ctx, id, at)
		return err
	})
	return res, err
}

func (q queries) PurgeExercise(ctx context.Context, id string, at time.Time) (PurgeResult, error) {
	var res PurgeResult
	if _, err := q.GetExerciseRun(ctx, id); err != nil {
		return res, err
	}
	objs, err := q.ListExerciseObjects(ctx, id)
	if err != nil {
		return res, err
	}
	count := func(query string, args ...any) (int, error) {
		var n int
		return n, q.row(ctx, query, args...).Scan(&n)
	}
	for _, o := range objs {
		switch o.Kind {
		case ExerciseRequest:
			n, err := count(`SELECT COUNT(*) FROM requests WHERE id = ? AND exercise = 1`, o.ObjectID)
			if err != nil {
				return res, err
			}
			if n == 0 {
				if m, err := count(`SELECT COUNT(*) FROM requests WHERE id = ?`, o.ObjectID); err != nil {
					return res, err
				} else if m > 0 {
					res.Kept++
				}
				continue
			}
			rows, err := q.query(ctx, `SELECT path FROM request_attachments WHERE request_id = ? ORDER BY id`, o.ObjectID)
			paths, err := collect(rows, err, func(r *sql.Rows) (string, error) {
				var p string
				return p, r.Scan(&p)
			})
			if err != nil {
				return res, err
			}
			for _, p := range paths {
				if p != "" {
					res.Files = append(res.Files, p)
				}
			}
			res.Attachments += len(paths)
			for _, stmt := range []string{
				`DELETE FROM request_custody WHERE attachment_id IN (SELECT id FROM request_attachments WHERE request_id = ?)`,
				`DELETE FROM request_attachments WHERE request_id = ?`,
				`DELETE FROM request_escalations WHERE request_id = ?`,
				`DELETE FROM request_events WHERE request_id = ?`,
				`DELETE FROM hotline_notices WHERE request_id = ?`,
				`DELETE FROM hotline_notices WHERE call_id IN (SELECT id FROM hotline_calls WHERE request_id = ? AND drill = 1)`,
				`DELETE FROM hotline_calls WHERE request_id = ? AND drill = 1`,
			} {
				if _, err := q.exec(ctx, stmt, o.ObjectID); err != nil {
					return res, err
				}
			}
			if _, err := q.exec(ctx, `DELETE FROM requests WHERE id = ? AND exercise = 1`, o.ObjectID); err != nil {
				return res, err
			}
			res.Requests++
		case ExerciseCall:
			if _, err := q.exec(ctx, `DELETE FROM hotline_notices WHERE call_id = ? AND EXISTS (SELECT 1 FROM hotline_calls WHERE id = ? AND drill = 1)`, o.ObjectID, o.ObjectID); err != nil {
				return res, err
			}
			r, err := q.exec(ctx, `DELETE FROM hotline_calls WHERE id = ? AND drill = 1`, o.ObjectID)
			if err != nil {
				return res, err
			}
			if n, _ := r.RowsAffected(); n > 0 {
				res.Calls++
			} else if m, err := count(`SELECT COUNT(*) FROM hotline_calls WHERE id = ?`, o.ObjectID); err != nil {
				return res, err
			} else if m > 0 {
				res.Kept++
			}
		}
	}
	_, err = q.exec(ctx, `UPDATE exercise_runs SET purged = ? WHERE id = ?`, micros(at), id)
	return res, err
}
