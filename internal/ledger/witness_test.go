package ledger

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"testing"

	"github.com/liaison-dev/liaison/internal/store"
	"github.com/liaison-dev/liaison/pkg/verify"
)

// pair is a US log and its CN witness, each on its own database.
type pair struct {
	us, cn     *Log
	usStore    store.Store
	cnStore    store.Store
	usLogKey   string
	cnCosigKey string
}

func newPair(t *testing.T) *pair {
	p := &pair{usStore: openStore(t), cnStore: openStore(t)}
	p.us = openLog(t, p.usStore, "US", testKey(1))
	p.cn = openLog(t, p.cnStore, "CN", testKey(2))
	p.usLogKey = p.us.VerifierKey()
	var err error
	if p.cnCosigKey, err = CosignerVerifierKey("CN", testKey(2).Public().(ed25519.PublicKey)); err != nil {
		t.Fatal(err)
	}
	return p
}

// exchange runs one cosigning round: US checkpoints, proves consistency
// from what CN last saw, CN witnesses, US stores the cosignature.
func (p *pair) exchange(t *testing.T) (store.LedgerCheckpoint, error) {
	t.Helper()
	ctx := t.Context()
	cp, err := p.us.Checkpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	logKey, _ := verify.NewLogVerifier(p.usLogKey)
	var from uint64
	if last, err := p.cnStore.LatestWitnessed(ctx, p.us.Origin()); err == nil {
		from = uint64(last.Size)
	}
	var hs [][]byte
	if from <= uint64(cp.Size) {
		if hs, err = p.us.ConsistencyHashes(ctx, from, uint64(cp.Size)); err != nil {
			t.Fatal(err)
		}
	}
	line, err := p.cn.Witness(ctx, logKey, cp.Note, hs)
	if err != nil {
		return cp, err
	}
	wv, _ := verify.NewCosignerVerifier(p.cnCosigKey)
	return cp, p.us.AddCosignature(ctx, uint64(cp.Size), line, wv)
}

func TestCosigningRounds(t *testing.T) {
	p := newPair(t)
	ctx := t.Context()
	for _, n := range []int{0, 5, 1, 40, 0, 300} {
		appendN(t, p.usStore, int(mustSize(t, p.usStore)), n)
		if _, err := p.exchange(t); err != nil {
			t.Fatalf("exchange after %d: %v", n, err)
		}
	}
	// The export carries the cosignature and verifies with it required.
	exp := exportLog(t, p.us)
	wv, _ := verify.NewCosignerVerifier(p.cnCosigKey)
	rep, err := verify.VerifyExport(bytes.NewReader(exp), p.us.Verifier(), wv)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Checkpoint.Cosigned(CosignerName("CN")) || rep.Size != 346 {
		t.Fatalf("export checkpoint: size %d cosigners %v", rep.Size, rep.Cosigners)
	}
	// An inclusion proof carries the cosignature too.
	pr, err := p.us.Prove(ctx, 7)
	if err != nil {
		t.Fatal(err)
	}
	if cp, err := pr.Verify(p.us.Verifier(), wv); err != nil || !cp.Cosigned(CosignerName("CN")) {
		t.Fatalf("cosigned proof: %v %v", cp, err)
	}
	if a, _ := p.cn.Alarms(ctx, 0, 0); len(a) != 0 {
		t.Fatalf("alarms after honest rounds: %v", a)
	}
}

func mustSize(t *testing.T, st store.Store) int64 {
	n, err := st.LedgerSize(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestWitnessDetectsFork(t *testing.T) {
	p := newPair(t)
	ctx := t.Context()
	appendN(t, p.usStore, 0, 10)
	if _, err := p.exchange(t); err != nil {
		t.Fatal(err)
	}
	// A second database under the same key, with a rewritten entry 3: the
	// same size, another root.
	forked := openStore(t)
	fl := openLog(t, forked, "US", testKey(1))
	appendN(t, forked, 0, 3)
	e := entry(3)
	e.ObjectID = "rewritten"
	if _, err := Append(ctx, forked, e); err != nil {
		t.Fatal(err)
	}
	appendN(t, forked, 4, 6)
	fcp, err := fl.Checkpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	logKey, _ := verify.NewLogVerifier(p.usLogKey)
	if _, err := p.cn.Witness(ctx, logKey, fcp.Note, nil); !errors.Is(err, verify.ErrFork) {
		t.Fatalf("same size, other root: got %v, want ErrFork", err)
	}
	// Larger, but not extending what CN saw.
	appendN(t, forked, 10, 5)
	fcp, _ = fl.Checkpoint(ctx)
	hs, err := fl.ConsistencyHashes(ctx, 10, 15)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.cn.Witness(ctx, logKey, fcp.Note, hs); !errors.Is(err, verify.ErrFork) {
		t.Fatalf("inconsistent extension: got %v, want ErrFork", err)
	}
	alarms, err := p.cn.Alarms(ctx, 0, 0)
	if err != nil || len(alarms) != 2 || alarms[0].Kind != AlarmFork || alarms[0].Origin != Origin("US") || len(alarms[0].Evidence) == 0 {
		t.Fatalf("alarms = %+v, %v", alarms, err)
	}
	// The honest log still goes on being cosigned.
	appendN(t, p.usStore, 10, 2)
	if _, err := p.exchange(t); err != nil {
		t.Fatalf("honest round after a fork attempt: %v", err)
	}
}

func TestRollbackDetectedByWitnessAndByTheNode(t *testing.T) {
	p := newPair(t)
	ctx := t.Context()
	appendN(t, p.usStore, 0, 20)
	if _, err := p.exchange(t); err != nil {
		t.Fatal(err)
	}
	// The US node is restored from a backup taken at 12 entries.
	restored := openStore(t)
	rl := openLog(t, restored, "US", testKey(1))
	appendN(t, restored, 0, 12)
	rcp, err := rl.Checkpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	logKey, _ := verify.NewLogVerifier(p.usLogKey)
	if _, err := p.cn.Witness(ctx, logKey, rcp.Note, nil); !errors.Is(err, verify.ErrRollback) {
		t.Fatalf("witness on a rolled-back log: got %v, want ErrRollback", err)
	}
	if a, _ := p.cn.Alarms(ctx, 0, 0); len(a) != 1 || a[0].Kind != AlarmRollback {
		t.Fatalf("witness alarms = %+v", a)
	}
	// The restored node learns it too: CN's cosignature of size 20 is for
	// a checkpoint it does not have.
	last, err := p.cnStore.LatestWitnessed(ctx, Origin("US"))
	if err != nil {
		t.Fatal(err)
	}
	wv, _ := verify.NewCosignerVerifier(p.cnCosigKey)
	if err := rl.AddCosignature(ctx, uint64(last.Size), last.Cosignature, wv); !errors.Is(err, verify.ErrRollback) {
		t.Fatalf("node given a cosignature beyond its log: got %v, want ErrRollback", err)
	}
	if a, _ := rl.Alarms(ctx, 0, 0); len(a) != 1 || a[0].Kind != AlarmRollback || a[0].Origin != Origin("US") {
		t.Fatalf("node alarms = %+v", a)
	}
}

func TestWitnessRefusesForgeries(t *testing.T) {
	p := newPair(t)
	ctx := t.Context()
	appendN(t, p.usStore, 0, 4)
	cp, err := p.us.Checkpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	logKey, _ := verify.NewLogVerifier(p.usLogKey)
	// Signed by another key under the US name.
	impostor := openStore(t)
	il := openLog(t, impostor, "US", testKey(9))
	appendN(t, impostor, 0, 4)
	icp, _ := il.Checkpoint(ctx)
	if _, err := p.cn.Witness(ctx, logKey, icp.Note, nil); !errors.Is(err, verify.ErrSignature) {
		t.Fatalf("impostor: got %v, want ErrSignature", err)
	}
	bad := bytes.Replace(cp.Note, []byte("\n4\n"), []byte("\n5\n"), 1)
	if _, err := p.cn.Witness(ctx, logKey, bad, nil); !errors.Is(err, verify.ErrSignature) {
		t.Fatalf("edited note: got %v, want ErrSignature", err)
	}
	if _, err := p.cn.Witness(ctx, logKey, []byte("garbage"), nil); !errors.Is(err, verify.ErrMalformed) {
		t.Fatalf("garbage: got %v, want ErrMalformed", err)
	}
	// A cosignature by someone else is refused by the log.
	line, err := p.cn.Witness(ctx, logKey, cp.Note, nil)
	if err != nil {
		t.Fatal(err)
	}
	otherKey, _ := CosignerVerifierKey("CN", testKey(3).Public().(ed25519.PublicKey))
	ov, _ := verify.NewCosignerVerifier(otherKey)
	if err := p.us.AddCosignature(ctx, uint64(cp.Size), line, ov); !errors.Is(err, verify.ErrSignature) {
		t.Fatalf("cosignature checked with the wrong key: got %v", err)
	}
	if a, _ := p.cn.Alarms(ctx, 0, 0); len(a) != 0 {
		t.Fatalf("forgeries are refused, not alarms: %+v", a)
	}
}
