package ledger

import (
	"bytes"
	"errors"
	"testing"

	"github.com/liaison-dev/liaison/internal/store"
	"github.com/liaison-dev/liaison/pkg/verify"
)

func TestCheckpointsAndProofsAcrossTiles(t *testing.T) {
	st := openStore(t)
	l := openLog(t, st, "US", testKey(1))
	ctx := t.Context()

	cp0, err := l.Checkpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if cp0.Size != 0 || !bytes.Equal(cp0.Root, verify.EmptyRoot()) {
		t.Fatalf("empty checkpoint = %d %x", cp0.Size, cp0.Root)
	}
	var cps []store.LedgerCheckpoint
	n := 0
	// Batches chosen to end on and around tile boundaries (16, 256, 4096).
	for _, b := range []int{1, 1, 3, 11, 16, 1, 223, 32, 1, 255, 17, 300} {
		appendN(t, st, n, b)
		n += b
		cp, err := l.Checkpoint(ctx)
		if err != nil {
			t.Fatalf("checkpoint at %d: %v", n, err)
		}
		if cp.Size != int64(n) || !bytes.Equal(cp.Root, refRoot(t, n)) {
			t.Fatalf("checkpoint at %d: size %d root %x, want %x", n, cp.Size, cp.Root, refRoot(t, n))
		}
		if _, err := verify.OpenCheckpoint(cp.Note, l.Verifier()); err != nil {
			t.Fatalf("checkpoint note: %v", err)
		}
		cps = append(cps, cp)
	}
	// Every entry proves under the latest checkpoint.
	for i := 0; i < n; i++ {
		p, err := l.Prove(ctx, uint64(i))
		if err != nil {
			t.Fatalf("prove %d: %v", i, err)
		}
		if _, err := p.Verify(l.Verifier()); err != nil {
			t.Fatalf("verify proof %d: %v", i, err)
		}
	}
	// Inclusion under older sizes, and consistency between every pair.
	for i, a := range cps {
		for _, b := range cps[i:] {
			hs, err := l.ConsistencyHashes(ctx, uint64(a.Size), uint64(b.Size))
			if err != nil {
				t.Fatal(err)
			}
			if err := verify.VerifyConsistency(uint64(a.Size), uint64(b.Size), hs, a.Root, b.Root); err != nil {
				t.Fatalf("consistency %d -> %d: %v", a.Size, b.Size, err)
			}
		}
		for idx := int64(0); idx < a.Size; idx += 7 {
			hs, err := l.InclusionHashes(ctx, st, uint64(idx), uint64(a.Size))
			if err != nil {
				t.Fatal(err)
			}
			r, _ := toRow(entry(int(idx)))
			r.Index = idx
			leaf, _ := verify.LeafHash(toVerify(r))
			if err := verify.VerifyInclusion(leaf, uint64(idx), uint64(a.Size), hs, a.Root); err != nil {
				t.Fatalf("inclusion %d in %d: %v", idx, a.Size, err)
			}
		}
	}
	// Nothing new: the same checkpoint comes back.
	again, err := l.Checkpoint(ctx)
	if err != nil || again.Size != int64(n) || !bytes.Equal(again.Note, cps[len(cps)-1].Note) {
		t.Fatalf("idle checkpoint = %d, %v", again.Size, err)
	}
}

func TestIntegrationInSeveralTransactions(t *testing.T) {
	st := openStore(t)
	l := openLog(t, st, "US", testKey(1))
	appendN(t, st, 0, 1000)
	// Integrate in small steps, as a large backlog is, starting every
	// other step from the edge of the tree the previous step kept and the
	// others from the tiles in the database.
	for i := 0; ; i++ {
		var more bool
		var e *edge
		err := st.InTx(t.Context(), func(q store.Queries) error {
			var err error
			_, e, more, err = l.integrate(t.Context(), q, 37)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if l.edge = nil; i%2 == 0 {
			l.edge = e
		}
		if !more {
			break
		}
	}
	cp, err := l.Latest(t.Context())
	if err != nil || cp.Size != 1000 || !bytes.Equal(cp.Root, refRoot(t, 1000)) {
		t.Fatalf("after stepwise integration: %d %x, %v", cp.Size, cp.Root, err)
	}
}

func TestAppendCommitsWithTheChange(t *testing.T) {
	st := openStore(t)
	ctx := t.Context()
	boom := errors.New("boom")
	err := st.InTx(ctx, func(q store.Queries) error {
		if err := q.CreateAgency(ctx, store.Agency{Code: "FBI", Name: "FBI", Kind: "police", Created: t0}); err != nil {
			return err
		}
		if _, err := Append(ctx, q, entry(0)); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatal(err)
	}
	if n, _ := st.LedgerSize(ctx); n != 0 {
		t.Fatalf("entry of a rolled-back transaction kept: size %d", n)
	}
}

func TestAppendRefusesBadEntries(t *testing.T) {
	st := openStore(t)
	for name, e := range map[string]Entry{
		"no time":       {Kind: KindAudit, ObjectID: "x", Body: []byte("{}")},
		"bad kind":      {Kind: "Envelope Sent", ObjectID: "x", At: t0, Body: []byte("{}")},
		"newline in id": {Kind: KindAudit, ObjectID: "a\nkind receipt", At: t0, Body: []byte("{}")},
		"no body":       {Kind: KindAudit, ObjectID: "x", At: t0},
		"short hash":    {Kind: KindAudit, ObjectID: "x", At: t0, BodyHash: []byte{1, 2}},
		"hash mismatch": {Kind: KindAudit, ObjectID: "x", At: t0, Body: []byte("a"), BodyHash: make([]byte, 32)},
	} {
		if _, err := Append(t.Context(), st, e); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: got %v, want ErrInvalid", name, err)
		}
	}
}

func TestProveObjectAndNotIntegrated(t *testing.T) {
	st := openStore(t)
	l := openLog(t, st, "US", testKey(1))
	ctx := t.Context()
	appendN(t, st, 0, 10)
	if _, err := l.Prove(ctx, 3); !errors.Is(err, ErrNotIntegrated) {
		t.Fatalf("prove before a checkpoint: %v", err)
	}
	if _, err := l.Checkpoint(ctx); err != nil {
		t.Fatal(err)
	}
	ps, err := l.ProveObject(ctx, "obj-1", 0)
	if err != nil || len(ps) != 3 {
		t.Fatalf("ProveObject = %d proofs, %v", len(ps), err)
	}
	for _, p := range ps {
		if p.Entry.ObjectID != "obj-1" {
			t.Fatalf("proof for %s", p.Entry.ObjectID)
		}
		if _, err := p.Verify(l.Verifier()); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := l.ProveObject(ctx, "nope", 0); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown object: %v", err)
	}
	if _, err := l.Prove(ctx, 99); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown index: %v", err)
	}
	appendN(t, st, 10, 1)
	if _, err := l.Prove(ctx, 10); !errors.Is(err, ErrNotIntegrated) {
		t.Fatalf("prove a pending entry: %v", err)
	}
}

func TestLedgerIsAppendOnlyInTheDatabase(t *testing.T) {
	st := openStore(t)
	l := openLog(t, st, "US", testKey(1))
	appendN(t, st, 0, 20)
	if _, err := l.Checkpoint(t.Context()); err != nil {
		t.Fatal(err)
	}
	db := st.(*store.SQL).DB()
	for _, stmt := range []string{
		`UPDATE ledger_entries SET kind = 'audit' WHERE idx = 3`,
		`DELETE FROM ledger_entries WHERE idx = 19`,
		`UPDATE ledger_tiles SET hashes = zeroblob(32) WHERE level = 0 AND idx = 0`,
		`DELETE FROM ledger_tiles`,
		`DELETE FROM ledger_checkpoints`,
		`UPDATE ledger_checkpoints SET size = 99`,
	} {
		if _, err := db.ExecContext(t.Context(), stmt); err == nil {
			t.Errorf("%s: accepted", stmt)
		}
	}
}

// The bulk path builds the same tree as appends and checkpoints, and the
// two mix: proofs hold for entries of both.
func TestLoadBuildsTheSameTree(t *testing.T) {
	st := openStore(t)
	l := openLog(t, st, "US", testKey(1))
	ctx := t.Context()
	load := func(from, n int) {
		t.Helper()
		es := make([]Entry, n)
		for i := range es {
			es[i] = entry(from + i)
		}
		b, err := prepareLoad(es)
		if err != nil {
			t.Fatal(err)
		}
		cp, err := l.load(ctx, b)
		if err != nil || cp.Size != int64(from+n) || !bytes.Equal(cp.Root, refRoot(t, from+n)) {
			t.Fatalf("load %d+%d: %d %x, %v", from, n, cp.Size, cp.Root, err)
		}
	}
	load(0, 37)
	appendN(t, st, 37, 300)
	if _, err := l.Checkpoint(ctx); err != nil {
		t.Fatal(err)
	}
	load(337, 1000)
	l.edge = nil // from the tiles in the database
	load(1337, 5)
	appendN(t, st, 1342, 3)
	if b, err := prepareLoad([]Entry{entry(1345)}); err != nil {
		t.Fatal(err)
	} else if _, err := l.load(ctx, b); err == nil {
		t.Fatal("load over entries not yet integrated accepted")
	}
	cp, err := l.Checkpoint(ctx)
	if err != nil || cp.Size != 1345 || !bytes.Equal(cp.Root, refRoot(t, 1345)) {
		t.Fatalf("checkpoint after loads: %d, %v", cp.Size, err)
	}
	v := l.Verifier()
	for _, i := range []uint64{0, 36, 37, 336, 337, 1000, 1336, 1341, 1344} {
		p, err := l.Prove(ctx, i)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p.Verify(v); err != nil {
			t.Fatalf("proof of %d: %v", i, err)
		}
	}
}

// A log whose kept tree edge is stale (another instance checkpointed
// since) integrates from the tiles in the database.
func TestCheckpointAfterAnotherInstance(t *testing.T) {
	st := openStore(t)
	l1 := openLog(t, st, "US", testKey(1))
	l2 := openLog(t, st, "US", testKey(1))
	ctx := t.Context()
	n := 0
	for _, l := range []*Log{l1, l2, l1, l1, l2, l1} {
		appendN(t, st, n, 23)
		n += 23
		cp, err := l.Checkpoint(ctx)
		if err != nil || cp.Size != int64(n) || !bytes.Equal(cp.Root, refRoot(t, n)) {
			t.Fatalf("checkpoint at %d: %d, %v", n, cp.Size, err)
		}
	}
}
