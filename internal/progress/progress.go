// Package progress measures the dialogue: the rounds the parties held, the
// commitments made at each (owner, due date, status, evidence), and — in
// later work — the timeliness metrics and the progress report computed from
// the ledger-backed record. "Are words followed by actions."
//
// Rounds and commitments come from a file (ParseFile; the US–China rounds
// of 2015–2017 ship as Example) and are imported in one transaction with
// their audit entry and a ledger entry holding the canonical data set, so a
// report can cite the checkpoint that covers the commitments it shows.
package progress

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/liaison-dev/liaison/internal/audit"
	"github.com/liaison-dev/liaison/internal/clock"
	"github.com/liaison-dev/liaison/internal/federation"
	"github.com/liaison-dev/liaison/internal/ledger"
	"github.com/liaison-dev/liaison/internal/store"
	"github.com/liaison-dev/liaison/internal/validation"
	"github.com/liaison-dev/liaison/internal/yamlfile"
)

// Service manages rounds and commitments.
type Service struct {
	Store store.Store
	Clock clock.Clock
	// Ledger, Party and Key are needed for reports: the checkpoint the
	// figures are computed at, and the signature over them.
	Ledger *ledger.Log
	Party  string
	Key    ed25519.PrivateKey
	// Federation, when set, carries cosignatures of verified reports back
	// to the party that made them (HandleCosignature is its handler).
	Federation *federation.Service
}

// ImportResult says what an import wrote.
type ImportResult struct {
	Rounds      int    `json:"rounds"`
	Commitments int    `json:"commitments"`
	LedgerIndex uint64 `json:"ledger_index"`
}

// Import writes every round and commitment of ds, creating or replacing
// them by number and id (commitments absent from ds are left as they are),
// in one transaction with an audit entry and a ledger entry whose body is
// the canonical JSON of ds. ds must come from ParseFile.
func (s *Service) Import(ctx context.Context, actor string, ds *DataSet) (ImportResult, error) {
	body, err := json.Marshal(ds)
	if err != nil {
		return ImportResult{}, err
	}
	now := s.Clock.Now()
	var res ImportResult
	err = s.Store.InTx(ctx, func(q store.Queries) error {
		for _, r := range ds.Rounds {
			if err := q.UpsertRound(ctx, toRound(r, now)); err != nil {
				return fmt.Errorf("round %d: %w", r.Number, err)
			}
			res.Rounds++
			for i, c := range r.Commitments {
				if err := q.UpsertCommitment(ctx, toCommitment(r.Number, i+1, c, now)); err != nil {
					return fmt.Errorf("commitment %s: %w", c.ID, err)
				}
				res.Commitments++
			}
		}
		if err := audit.RecordDetail(ctx, q, s.Clock, actor, "progress.import", "rounds", "rounds", nil, ds,
			fmt.Sprintf("%d rounds, %d commitments", res.Rounds, res.Commitments)); err != nil {
			return err
		}
		res.LedgerIndex, err = ledger.Append(ctx, q, ledger.Entry{Kind: ledger.KindProgress, ObjectID: "rounds", At: now, Body: body})
		return err
	})
	return res, err
}

func toRound(r RoundFile, now time.Time) store.Round {
	out := store.Round{Number: r.Number, Slug: r.Slug, Kind: r.Kind, Title: r.Title, Date: r.Date, Place: r.Place,
		Summary: r.Summary, Sources: append([]string{}, r.Sources...), Updated: now}
	for _, c := range r.CoChairs {
		out.CoChairs = append(out.CoChairs, store.CoChair{Party: c.Party, Name: c.Name, Title: c.Title})
	}
	return out
}

func toCommitment(round, seq int, c CommitmentFile, now time.Time) store.Commitment {
	out := store.Commitment{ID: c.ID, Round: round, Seq: seq, Area: c.Area, Text: c.Text, Due: c.Due, Status: c.Status,
		Notes: c.Notes, Updated: now}
	for _, o := range c.Owners {
		out.Owners = append(out.Owners, store.Owner{Party: o.Party, Agency: o.Agency})
	}
	for _, e := range c.Evidence {
		out.Evidence = append(out.Evidence, store.Evidence{Kind: e.Kind, Ref: e.Ref, Date: e.Date, Note: e.Note})
	}
	return out
}

// RoundSummary is a round with its commitments counted by status.
type RoundSummary struct {
	store.Round
	Commitments int            `json:"commitments"`
	ByStatus    map[string]int `json:"by_status"`
}

// Rounds lists every round, oldest first, with commitment counts.
func (s *Service) Rounds(ctx context.Context) ([]RoundSummary, error) {
	rounds, err := s.Store.ListRounds(ctx)
	if err != nil {
		return nil, err
	}
	cs, err := s.Store.ListCommitments(ctx, store.CommitmentFilter{})
	if err != nil {
		return nil, err
	}
	out := make([]RoundSummary, len(rounds))
	idx := map[int]int{}
	for i, r := range rounds {
		out[i] = RoundSummary{Round: r, ByStatus: map[string]int{}}
		idx[r.Number] = i
	}
	for _, c := range cs {
		if i, ok := idx[c.Round]; ok {
			out[i].Commitments++
			out[i].ByStatus[c.Status]++
		}
	}
	return out, nil
}

// RoundDetail is a round with its commitments.
type RoundDetail struct {
	store.Round
	Commitments []store.Commitment `json:"commitments"`
}

// Round returns round n with its commitments; store.ErrNotFound if none.
func (s *Service) Round(ctx context.Context, n int) (RoundDetail, error) {
	r, err := s.Store.GetRound(ctx, n)
	if err != nil {
		return RoundDetail{}, err
	}
	cs, err := s.Store.ListCommitments(ctx, store.CommitmentFilter{Round: &n})
	return RoundDetail{Round: r, Commitments: cs}, err
}

// Commitments lists commitments matching f.
func (s *Service) Commitments(ctx context.Context, f store.CommitmentFilter) ([]store.Commitment, error) {
	return s.Store.ListCommitments(ctx, f)
}

// StatusChange is an update of a commitment's status, with evidence to add.
type StatusChange struct {
	Status   string         `json:"status"`
	Evidence []EvidenceFile `json:"evidence,omitempty"`
	Notes    *string        `json:"notes,omitempty"`
}

// UpdateCommitment sets a commitment's status and adds evidence, with an
// audit entry and a ledger entry in the same transaction.
func (s *Service) UpdateCommitment(ctx context.Context, actor, id string, ch StatusChange) (store.Commitment, error) {
	c := &checker{yamlfile.Checker{Doc: yamlfile.Named("body")}}
	c.OneOf("status", ch.Status, Statuses)
	for k, e := range ch.Evidence {
		ep := fmt.Sprintf("evidence[%d]", k)
		c.OneOf(ep+".kind", e.Kind, EvidenceKinds)
		c.Required(ep+".ref", e.Ref, 500)
		c.date(ep+".date", e.Date, false)
		c.optional(ep+".note", e.Note, 1000)
	}
	if ch.Notes != nil {
		c.optional("notes", *ch.Notes, 2000)
	}
	if err := c.Errs.Err(); err != nil {
		return store.Commitment{}, fieldErrors(c.Errs)
	}
	var out store.Commitment
	err := s.Store.InTx(ctx, func(q store.Queries) error {
		before, err := q.GetCommitment(ctx, id)
		if err != nil {
			return err
		}
		out = before
		out.Evidence = slices.Clone(before.Evidence)
		out.Status = ch.Status
		for _, e := range ch.Evidence {
			out.Evidence = append(out.Evidence, store.Evidence{Kind: e.Kind, Ref: e.Ref, Date: e.Date, Note: e.Note})
		}
		if ch.Notes != nil {
			out.Notes = *ch.Notes
		}
		out.Updated = s.Clock.Now()
		if err := q.UpsertCommitment(ctx, out); err != nil {
			return err
		}
		if err := audit.Record(ctx, q, s.Clock, actor, "commitment.update", "commitment", id, before, out); err != nil {
			return err
		}
		body, err := json.Marshal(out)
		if err != nil {
			return err
		}
		_, err = ledger.Append(ctx, q, ledger.Entry{Kind: "progress.commitment", ObjectID: id, At: out.Updated, Body: body})
		return err
	})
	return out, err
}

// fieldErrors strips the "body:0 " location prefix of API input errors.
func fieldErrors(errs validation.Errors) validation.Errors {
	out := make(validation.Errors, len(errs))
	for i, e := range errs {
		f := e.Field
		if j := len("body "); len(f) > j && f[:j] == "body " {
			f = f[j:]
		}
		out[i] = validation.FieldError{Field: f, Detail: e.Detail}
	}
	return out
}
