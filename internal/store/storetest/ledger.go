package storetest

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/liaison-dev/liaison/internal/store"
)

func ledgerEntry(i int) store.LedgerEntry {
	sum := sha256.Sum256([]byte(fmt.Sprint(i)))
	e := store.LedgerEntry{Kind: "envelope.sent", ObjectID: fmt.Sprintf("obj-%d", i%4), At: t0.Add(time.Duration(i) * time.Millisecond),
		Exercise: i%2 == 1, BodyHash: sum[:]}
	if i%3 == 0 {
		e.Body = []byte(fmt.Sprint(i))
	}
	return e
}

func testLedgerAppend(t *testing.T, s *store.SQL) {
	ctx := t.Context()
	if n, err := s.LedgerSize(ctx); err != nil || n != 0 {
		t.Fatalf("empty LedgerSize = %d, %v", n, err)
	}
	var batch []store.LedgerEntry
	for i := range 450 { // more than one INSERT statement's worth
		batch = append(batch, ledgerEntry(i))
	}
	first, err := s.AppendLedger(ctx, batch)
	if err != nil || first != 0 {
		t.Fatalf("AppendLedger = %d, %v", first, err)
	}
	err = s.InTx(ctx, func(q store.Queries) error {
		for i := 450; i < 460; i++ {
			idx, err := q.AppendLedger(ctx, []store.LedgerEntry{ledgerEntry(i)})
			if err != nil {
				return err
			}
			if idx != int64(i) {
				return fmt.Errorf("entry %d got index %d", i, idx)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := s.LedgerSize(ctx); n != 460 {
		t.Fatalf("LedgerSize = %d", n)
	}
	got, err := s.ListLedger(ctx, 448, 452, 0)
	if err != nil || len(got) != 4 || got[0].Index != 448 {
		t.Fatalf("ListLedger = %+v, %v", got, err)
	}
	want := ledgerEntry(450)
	g := got[2]
	if g.Kind != want.Kind || g.ObjectID != want.ObjectID || !g.At.Equal(want.At) || g.Exercise != want.Exercise ||
		!bytes.Equal(g.BodyHash, want.BodyHash) || !bytes.Equal(g.Body, want.Body) {
		t.Fatalf("entry 450 = %+v, want %+v", g, want)
	}
	if l, _ := s.ListLedger(ctx, 0, 460, 7); len(l) != 7 {
		t.Fatalf("limit ignored: %d", len(l))
	}
	leaves, err := s.ListLedgerLeaves(ctx, 448, 452, 0)
	if err != nil || len(leaves) != 4 || leaves[2].Index != 450 || leaves[2].Body != nil || leaves[2].Kind != want.Kind ||
		leaves[2].ObjectID != want.ObjectID || !leaves[2].At.Equal(want.At) || leaves[2].Exercise != want.Exercise ||
		!bytes.Equal(leaves[2].BodyHash, want.BodyHash) {
		t.Fatalf("ListLedgerLeaves = %+v, %v", leaves, err)
	}
	if l, _ := s.ListLedgerLeaves(ctx, 0, 460, 7); len(l) != 7 {
		t.Fatalf("ListLedgerLeaves: limit ignored: %d", len(l))
	}
	byObj, err := s.LedgerByObject(ctx, "obj-1", 0)
	if err != nil || len(byObj) != 115 || byObj[1].Index != 5 {
		t.Fatalf("LedgerByObject = %d entries, %v", len(byObj), err)
	}
	// A transaction that fails after appending leaves no trace, and the
	// next one appends where the log ends, one entry or several at a time.
	boom := errors.New("boom")
	err = s.InTx(ctx, func(q store.Queries) error {
		if _, err := q.AppendLedger(ctx, []store.LedgerEntry{ledgerEntry(460)}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatal(err)
	}
	err = s.InTx(ctx, func(q store.Queries) error {
		for _, es := range [][]store.LedgerEntry{{ledgerEntry(460)}, {ledgerEntry(461)}, {ledgerEntry(462), ledgerEntry(463)}, {ledgerEntry(464)}} {
			idx, err := q.AppendLedger(ctx, es)
			if err != nil {
				return err
			}
			if idx != int64(es[0].At.Sub(t0)/time.Millisecond) {
				return fmt.Errorf("entry %v got index %d", es[0].At, idx)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := s.LedgerSize(ctx); n != 465 {
		t.Fatalf("LedgerSize after a failed and a mixed transaction = %d", n)
	}
}

func testLedgerConcurrentAppends(t *testing.T, s *store.SQL) {
	ctx := t.Context()
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 10 {
				err := s.InTx(ctx, func(q store.Queries) error {
					_, err := q.AppendLedger(ctx, []store.LedgerEntry{ledgerEntry(w*100 + i), ledgerEntry(w*100 + i)})
					return err
				})
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	all, err := s.ListLedger(ctx, 0, 1000, 0)
	if err != nil || len(all) != 160 {
		t.Fatalf("entries = %d, %v", len(all), err)
	}
	for i, e := range all {
		if e.Index != int64(i) {
			t.Fatalf("index %d at position %d: the log has a gap", e.Index, i)
		}
		if i%2 == 1 && e.ObjectID != all[i-1].ObjectID { // a batch stays together
			t.Fatalf("batches interleaved at %d", i)
		}
	}
}

func testLedgerTiles(t *testing.T, s *store.SQL) {
	ctx := t.Context()
	a, b := store.TileID{Level: 0, Index: 0}, store.TileID{Level: 1, Index: 7}
	h := bytes.Repeat([]byte{1}, 64)
	if err := s.PutLedgerTiles(ctx, map[store.TileID][]byte{a: h[:32], b: h}); err != nil {
		t.Fatal(err)
	}
	// A tile may grow, keeping its prefix.
	grown := append(append([]byte(nil), h[:32]...), bytes.Repeat([]byte{2}, 32)...)
	if err := s.PutLedgerTiles(ctx, map[store.TileID][]byte{a: grown}); err != nil {
		t.Fatalf("growing a tile: %v", err)
	}
	got, err := s.GetLedgerTiles(ctx, []store.TileID{a, b, {Level: 3, Index: 0}})
	if err != nil || len(got) != 2 || !bytes.Equal(got[a], grown) || !bytes.Equal(got[b], h) {
		t.Fatalf("GetLedgerTiles = %v, %v", got, err)
	}
	// It may not change what it holds, nor shrink.
	for name, v := range map[string][]byte{"rewrite": bytes.Repeat([]byte{3}, 64), "shrink": grown[:32]} {
		if err := s.PutLedgerTiles(ctx, map[store.TileID][]byte{a: v}); !errors.Is(err, store.ErrAppendOnly) {
			t.Errorf("%s a tile: got %v, want ErrAppendOnly", name, err)
		}
	}
}

func testLedgerCheckpoints(t *testing.T, s *store.SQL) {
	ctx := t.Context()
	if _, err := s.LatestLedgerCheckpoint(ctx); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("no checkpoint yet: %v", err)
	}
	root := bytes.Repeat([]byte{9}, 32)
	for _, n := range []int64{0, 5, 3} {
		if err := s.AddLedgerCheckpoint(ctx, store.LedgerCheckpoint{Size: n, Root: root, At: t0, Note: []byte(fmt.Sprint("note ", n))}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.AddLedgerCheckpoint(ctx, store.LedgerCheckpoint{Size: 5, Root: root, At: t0, Note: []byte("again")}); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("second checkpoint of a size: %v", err)
	}
	latest, err := s.LatestLedgerCheckpoint(ctx)
	if err != nil || latest.Size != 5 || string(latest.Note) != "note 5" || !latest.At.Equal(t0) {
		t.Fatalf("latest = %+v, %v", latest, err)
	}
	if c, err := s.GetLedgerCheckpoint(ctx, 3); err != nil || string(c.Note) != "note 3" {
		t.Fatalf("GetLedgerCheckpoint = %+v, %v", c, err)
	}
	for _, who := range []string{"w/b", "w/a"} {
		if err := s.AddLedgerCosignature(ctx, store.LedgerCosignature{Size: 5, Cosigner: who, Signature: "— " + who + " x\n", At: t0}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.AddLedgerCosignature(ctx, store.LedgerCosignature{Size: 5, Cosigner: "w/a", Signature: "dup", At: t0}); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("duplicate cosignature: %v", err)
	}
	if err := s.AddLedgerCosignature(ctx, store.LedgerCosignature{Size: 77, Cosigner: "w/a", Signature: "x", At: t0}); err == nil {
		t.Fatal("cosignature of a checkpoint that does not exist was accepted")
	}
	cs, err := s.ListLedgerCosignatures(ctx, 5)
	if err != nil || len(cs) != 2 || cs[0].Cosigner != "w/a" {
		t.Fatalf("ListLedgerCosignatures = %+v, %v", cs, err)
	}
}

func testLedgerWitnessAndAlarms(t *testing.T, s *store.SQL) {
	ctx := t.Context()
	if _, err := s.LatestWitnessed(ctx, "peer/log"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("nothing witnessed yet: %v", err)
	}
	for _, n := range []int64{4, 10} {
		if err := s.AddWitnessed(ctx, store.WitnessedCheckpoint{Origin: "peer/log", Size: n, Root: []byte{1}, Note: []byte("n"), Cosignature: "c", At: t0}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.AddWitnessed(ctx, store.WitnessedCheckpoint{Origin: "other/log", Size: 99, Root: []byte{1}, Note: []byte("n"), At: t0}); err != nil {
		t.Fatal(err)
	}
	if w, err := s.LatestWitnessed(ctx, "peer/log"); err != nil || w.Size != 10 {
		t.Fatalf("LatestWitnessed = %+v, %v", w, err)
	}
	for _, k := range []string{"fork", "rollback"} {
		a, err := s.AddLedgerAlarm(ctx, store.LedgerAlarm{At: t0, Origin: "peer/log", Kind: k, Detail: "d", Evidence: []byte("e")})
		if err != nil || a.ID == 0 {
			t.Fatalf("AddLedgerAlarm = %+v, %v", a, err)
		}
	}
	as, err := s.ListLedgerAlarms(ctx, 0, 0)
	if err != nil || len(as) != 2 || as[0].Kind != "fork" || as[1].ID <= as[0].ID || !as[0].At.Equal(t0) {
		t.Fatalf("ListLedgerAlarms = %+v, %v", as, err)
	}
	if as, _ := s.ListLedgerAlarms(ctx, as[0].ID, 0); len(as) != 1 {
		t.Fatalf("alarms after the first = %d", len(as))
	}
}

func testLedgerAppendOnly(t *testing.T, s *store.SQL) {
	ctx := t.Context()
	if _, err := s.AppendLedger(ctx, []store.LedgerEntry{ledgerEntry(0), ledgerEntry(1)}); err != nil {
		t.Fatal(err)
	}
	if err := s.AddLedgerCheckpoint(ctx, store.LedgerCheckpoint{Size: 2, Root: []byte{1}, At: t0, Note: []byte("n")}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddLedgerAlarm(ctx, store.LedgerAlarm{At: t0, Origin: "o", Kind: "fork"}); err != nil {
		t.Fatal(err)
	}
	for _, stmt := range []string{
		`UPDATE ledger_entries SET object_id = 'x' WHERE idx = 0`,
		`DELETE FROM ledger_entries WHERE idx = 1`,
		`UPDATE ledger_checkpoints SET size = 3`,
		`DELETE FROM ledger_checkpoints`,
		`DELETE FROM ledger_alarms`,
	} {
		if _, err := s.DB().ExecContext(ctx, stmt); err == nil {
			t.Errorf("%s: accepted", stmt)
		}
	}
	if n, _ := s.LedgerSize(ctx); n != 2 {
		t.Fatalf("size after refused changes = %d", n)
	}
}

func testProgress(t *testing.T, s *store.SQL) {
	ctx := t.Context()
	r := store.Round{Number: 1, Slug: "2015-12-dialogue", Kind: "dialogue", Title: "First dialogue", Date: "2015-12-01", Place: "Washington, D.C.",
		CoChairs: []store.CoChair{{Party: "US", Name: "A"}, {Party: "CN", Name: "B"}}, Sources: []string{"seed"}, Updated: t0}
	if err := s.UpsertRound(ctx, r); err != nil {
		t.Fatal(err)
	}
	if err := s.UpsertRound(ctx, store.Round{Number: 2, Slug: "2016-06-dialogue", Kind: "dialogue", Title: "Second", Date: "2016-06-14", Updated: t0}); err != nil {
		t.Fatal(err)
	}
	if err := s.UpsertRound(ctx, store.Round{Number: 3, Slug: "2015-12-dialogue", Kind: "dialogue", Title: "dup slug", Updated: t0}); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("duplicate slug: %v", err)
	}
	r.Place = "Washington, DC"
	if err := s.UpsertRound(ctx, r); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetRound(ctx, 1)
	if err != nil || got.Place != "Washington, DC" || len(got.CoChairs) != 2 || got.CoChairs[1].Party != "CN" || !got.Updated.Equal(t0) {
		t.Fatalf("GetRound = %+v, %v", got, err)
	}
	if _, err := s.GetRound(ctx, 9); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("missing round: %v", err)
	}
	if rs, err := s.ListRounds(ctx); err != nil || len(rs) != 2 || rs[1].Sources == nil || rs[1].CoChairs == nil {
		t.Fatalf("ListRounds = %+v, %v", rs, err)
	}
	cs := []store.Commitment{
		{ID: "c1", Round: 1, Seq: 2, Area: "exercise", Text: "Hold a tabletop exercise", Owners: []store.Owner{{Party: "US", Agency: "DOJ"}, {Party: "CN", Agency: "MPS"}},
			Due: "2016-06-30", Status: "done", Evidence: []store.Evidence{{Kind: "exercise", Ref: "ttx-2016-04", Date: "2016-04-01"}}, Updated: t0},
		{ID: "c2", Round: 1, Seq: 1, Area: "hotline", Text: "Test the hotline", Owners: []store.Owner{{Party: "CN"}}, Status: "open", Updated: t0},
		{ID: "c3", Round: 2, Seq: 1, Area: "intel", Text: "Share samples", Owners: []store.Owner{{Party: "US"}}, Status: "open", Updated: t0},
	}
	for _, c := range cs {
		if err := s.UpsertCommitment(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.UpsertCommitment(ctx, store.Commitment{ID: "c9", Round: 42, Text: "x", Status: "open", Updated: t0}); err == nil {
		t.Fatal("commitment of an unknown round accepted")
	}
	one := 1
	for name, tc := range map[string]struct {
		f    store.CommitmentFilter
		want []string
	}{
		"all":      {store.CommitmentFilter{}, []string{"c2", "c1", "c3"}},
		"round 1":  {store.CommitmentFilter{Round: &one}, []string{"c2", "c1"}},
		"open":     {store.CommitmentFilter{Status: "open"}, []string{"c2", "c3"}},
		"party US": {store.CommitmentFilter{Party: "US"}, []string{"c1", "c3"}},
	} {
		list, err := s.ListCommitments(ctx, tc.f)
		var ids []string
		for _, c := range list {
			ids = append(ids, c.ID)
		}
		if err != nil || fmt.Sprint(ids) != fmt.Sprint(tc.want) {
			t.Errorf("%s: %v, %v; want %v", name, ids, err, tc.want)
		}
	}
	cs[1].Status = "done"
	cs[1].Evidence = []store.Evidence{{Kind: "drill", Ref: "drill-1"}}
	if err := s.UpsertCommitment(ctx, cs[1]); err != nil {
		t.Fatal(err)
	}
	c, err := s.GetCommitment(ctx, "c2")
	if err != nil || c.Status != "done" || len(c.Evidence) != 1 || c.Evidence[0].Ref != "drill-1" {
		t.Fatalf("GetCommitment = %+v, %v", c, err)
	}
	c1, _ := s.GetCommitment(ctx, "c1")
	if len(c1.Owners) != 2 || c1.Owners[1].Agency != "MPS" || c1.Due != "2016-06-30" || c1.Evidence[0].Date != "2016-04-01" {
		t.Fatalf("c1 = %+v", c1)
	}
}
