package exercise

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/liaison-dev/liaison/internal/audit"
	"github.com/liaison-dev/liaison/internal/clock"
	"github.com/liaison-dev/liaison/internal/ledger"
	"github.com/liaison-dev/liaison/internal/progress"
	"github.com/liaison-dev/liaison/internal/store"
)

// KindRun is the ledger kind of a recorded run; its entries are marked
// exercise and their body is the scored result.
const KindRun = "exercise.run"

// Record stores the run, its objects and its report at st, with an audit
// entry and a ledger entry (marked exercise) in one transaction.
func Record(ctx context.Context, st store.Store, clk clock.Clock, actor string, res *Result, report []byte) error {
	body, err := json.Marshal(res)
	if err != nil {
		return err
	}
	run := store.ExerciseRun{ID: res.RunID, Scenario: res.Scenario, Title: res.Title, Parties: res.Parties, Started: res.Started,
		Finished: res.Finished, Score: int(res.Score*10000 + 0.5), Summary: body, Report: report}
	return st.InTx(ctx, func(q store.Queries) error {
		if err := q.InsertExerciseRun(ctx, run); err != nil {
			return err
		}
		for _, o := range res.Objects {
			if err := q.AddExerciseObject(ctx, o); err != nil {
				return err
			}
		}
		if err := audit.RecordDetail(ctx, q, clk, actor, "exercise.run", "exercise_run", run.ID, nil, nil,
			fmt.Sprintf("EXERCISE %s: %d/%d checks passed", res.Scenario, res.Passed, res.Total)); err != nil {
			return err
		}
		_, err := ledger.Append(ctx, q, ledger.Entry{Kind: KindRun, ObjectID: run.ID, At: clk.Now(), Exercise: true, Body: body})
		return err
	})
}

// LinkCommitment adds the run as evidence to a progress commitment: the
// exercise was held. The commitment keeps its status.
func LinkCommitment(ctx context.Context, st store.Store, clk clock.Clock, actor, commitment string, res *Result) (store.Commitment, error) {
	c, err := st.GetCommitment(ctx, commitment)
	if err != nil {
		return c, fmt.Errorf("commitment %s: %w", commitment, err)
	}
	ps := &progress.Service{Store: st, Clock: clk}
	return ps.UpdateCommitment(ctx, actor, commitment, progress.StatusChange{Status: c.Status, Evidence: []progress.EvidenceFile{{
		Kind: "exercise", Ref: "exercise-run:" + res.RunID, Date: res.Started.Format(time.DateOnly),
		Note: fmt.Sprintf("EXERCISE %s (%s): score %s, %d of %d checks", res.Title, res.Scenario, pct(res.Score), res.Passed, res.Total)}}})
}

// Purge removes the traffic of run id from st and the evidence files it
// leaves behind; the ledger and audit trail keep their entries.
func Purge(ctx context.Context, st store.Store, clk clock.Clock, actor, id string) (store.PurgeResult, error) {
	var res store.PurgeResult
	err := st.InTx(ctx, func(q store.Queries) error {
		var err error
		if res, err = q.PurgeExercise(ctx, id, clk.Now()); err != nil {
			return err
		}
		return audit.RecordDetail(ctx, q, clk, actor, "exercise.purge", "exercise_run", id, nil, res,
			fmt.Sprintf("purged %d requests, %d calls, %d files; kept %d real objects", res.Requests, res.Calls, res.Attachments, res.Kept))
	})
	if err != nil {
		return res, err
	}
	for _, f := range res.Files {
		if err := os.Remove(f); err != nil && !os.IsNotExist(err) {
			return res, err
		}
	}
	return res, nil
}
