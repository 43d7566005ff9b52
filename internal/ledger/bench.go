package ledger

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"math"
	mrand "math/rand/v2"
	"path/filepath"
	"strconv"
	"time"

	"github.com/liaison-dev/liaison/internal/clock"
	"github.com/liaison-dev/liaison/internal/store"
	"github.com/liaison-dev/liaison/internal/store/sqlite"
	"github.com/liaison-dev/liaison/pkg/verify"
)

// BenchOptions configure `liaison bench ledger`.
type BenchOptions struct {
	// Dir is a scratch directory for the databases.
	Dir string
	// Batch is how many entries one transaction appends in the append
	// phase, each through its own Append call, as a federation inbox
	// applying a batch of envelopes does.
	Batch int
	// AppendFor is how long the append phase runs.
	AppendFor time.Duration
	// Entries is the size of the tree the proof phase is measured on.
	Entries int64
	// BuildBudget bounds the time spent building that tree; the tree stops
	// growing when it runs out, and the result says how large it got.
	BuildBudget time.Duration
	// Proofs is how many random inclusion proofs are timed.
	Proofs int
	// Progress, when set, receives a line per phase.
	Progress func(string)
}

// BenchResult is what `liaison bench ledger --json` prints.
type BenchResult struct {
	Backend string `json:"backend"`
	// AppendsPerS: durable appends per second (synchronous=FULL, WAL), each
	// transaction of Batch entries followed by a signed checkpoint.
	AppendsPerS float64 `json:"appends_per_s"`
	Batch       int     `json:"batch"`
	Appended    int64   `json:"appended"`
	Checkpoints int64   `json:"checkpoints"`
	// BaselineInsertsPerS: the same rows inserted into a plain table with
	// the same batching and durability, and no ledger.
	BaselineInsertsPerS float64 `json:"baseline_inserts_per_s"`
	// Entries is the size of the tree proofs were measured on.
	Entries       int64   `json:"entries"`
	TargetEntries int64   `json:"target_entries"`
	BuildSeconds  float64 `json:"build_seconds"`
	// ProofUS: mean time to produce an inclusion proof bundle (entry row,
	// tiles, rehash, checkpoint note) from the database.
	ProofUS float64 `json:"proof_us"`
	// VerifyUS: mean time to verify a bundle offline (checkpoint signature
	// and Merkle path); VerifyPathUS the Merkle path alone.
	VerifyUS     float64 `json:"verify_us"`
	VerifyPathUS float64 `json:"verify_path_us"`
	ProofHashes  int     `json:"proof_hashes"`
	Proofs       int     `json:"proofs"`
}

// benchEntry is the i-th synthetic entry: an envelope received, with ids
// ordered in time as ULID-style envelope ids are.
func benchEntry(i int64, now time.Time, body bool) Entry {
	id := make([]byte, 0, 20)
	id = append(id, "env-"...)
	id = appendHex(id, uint64(i), 16)
	e := Entry{Kind: KindEnvelopeReceived, ObjectID: string(id), At: now, Exercise: i%10 == 0}
	if body {
		b := make([]byte, 0, 256)
		b = append(b, `{"type":"request.ack","conversation":"c-`...)
		b = strconv.AppendInt(b, i%997, 10)
		b = append(b, `","sender":"CN","recipients":["US"],"created":"`...)
		b = now.AppendFormat(b, time.RFC3339Nano)
		b = append(b, `","seq":`...)
		b = strconv.AppendInt(b, i, 10)
		b = append(b, `,"payload_sha256":"`...)
		b = appendHex(b, uint64(i), 64)
		e.Body = append(b, `"}`...)
	} else {
		e.BodyHash = verify.HashLeaf(strconv.AppendInt(nil, i, 10))
	}
	return e
}

// appendHex appends v in lower-case hex, zero-padded to width digits.
func appendHex(b []byte, v uint64, width int) []byte {
	const digits = "0123456789abcdef"
	var a [64]byte
	n := len(a)
	for v > 0 || n == len(a) {
		n--
		a[n] = digits[v&15]
		v >>= 4
	}
	for len(a)-n < width {
		n--
		a[n] = '0'
	}
	return append(b, a[n:]...)
}

// Bench runs the ledger benchmark on SQLite in o.Dir.
func Bench(ctx context.Context, o BenchOptions) (*BenchResult, error) {
	if o.Batch <= 0 {
		o.Batch = 256
	}
	if o.Proofs <= 0 {
		o.Proofs = 2000
	}
	progress := o.Progress
	if progress == nil {
		progress = func(string) {}
	}
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	res := &BenchResult{Backend: "sqlite", Batch: o.Batch, TargetEntries: o.Entries}
	c := clock.System{}

	// Phase 1: durable appends with a checkpoint after every transaction.
	st, err := sqlite.Open(ctx, sqlite.Config{Path: filepath.Join(o.Dir, "append.db")})
	if err != nil {
		return nil, err
	}
	defer st.Close()
	l, err := New(Config{Store: st, Clock: c, Party: "BENCH", Key: key})
	if err != nil {
		return nil, err
	}
	progress(fmt.Sprintf("append: %s of transactions of %d appends, each followed by a signed checkpoint", o.AppendFor, o.Batch))
	start := time.Now()
	var n int64
	for time.Since(start) < o.AppendFor {
		now := c.Now()
		err := st.InTx(ctx, func(q store.Queries) error {
			for i := 0; i < o.Batch; i++ {
				if _, err := Append(ctx, q, benchEntry(n+int64(i), now, true)); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		n += int64(o.Batch)
		if _, err := l.Checkpoint(ctx); err != nil {
			return nil, err
		}
		res.Checkpoints++
	}
	el := time.Since(start)
	res.Appended, res.AppendsPerS = n, round1(float64(n)/el.Seconds())

	// Baseline: the same rows, same batching, into a plain table.
	if _, err := st.DB().ExecContext(ctx, `CREATE TABLE bench_plain (id INTEGER PRIMARY KEY, kind TEXT, object_id TEXT, at BIGINT, exercise INTEGER, body BLOB)`); err != nil {
		return nil, err
	}
	progress("baseline: plain inserts, same batches and durability")
	start = time.Now()
	var b int64
	for time.Since(start) < o.AppendFor/2 {
		tx, err := st.DB().BeginTx(ctx, nil)
		if err != nil {
			return nil, err
		}
		for i := 0; i < o.Batch; i++ {
			e := benchEntry(b, c.Now(), true)
			if _, err := tx.ExecContext(ctx, `INSERT INTO bench_plain (kind, object_id, at, exercise, body) VALUES (?, ?, ?, ?, ?)`,
				e.Kind, e.ObjectID, e.At.UnixMicro(), e.Exercise, e.Body); err != nil {
				tx.Rollback()
				return nil, err
			}
			b++
		}
		if err := tx.Commit(); err != nil {
			return nil, err
		}
	}
	res.BaselineInsertsPerS = round1(float64(b) / time.Since(start).Seconds())

	// Phase 2: a large tree, bulk-loaded: each transaction appends a chunk
	// of entries and integrates them from the leaf hashes computed here.
	big, err := sqlite.Open(ctx, sqlite.Config{Path: filepath.Join(o.Dir, "big.db")})
	if err != nil {
		return nil, err
	}
	defer big.Close()
	bl, err := New(Config{Store: big, Clock: c, Party: "BENCH", Key: key})
	if err != nil {
		return nil, err
	}
	progress(fmt.Sprintf("build: up to %d entries within %s", o.Entries, o.BuildBudget))
	start = time.Now()
	size, err := benchBuild(ctx, bl, o.Entries, func() bool { return time.Since(start) < o.BuildBudget }, progress)
	if err != nil {
		return nil, err
	}
	res.Entries, res.BuildSeconds = size, round1(time.Since(start).Seconds())
	if size == 0 {
		return res, nil
	}

	// Proofs: random leaves of the whole tree.
	progress(fmt.Sprintf("prove: %d random inclusion proofs in %d entries", o.Proofs, size))
	rng := mrand.New(mrand.NewPCG(1, 2))
	idx := make([]uint64, o.Proofs)
	for i := range idx {
		idx[i] = rng.Uint64N(uint64(size))
	}
	proofs := make([]*verify.InclusionProof, len(idx))
	start = time.Now()
	for i, x := range idx {
		if proofs[i], err = bl.Prove(ctx, x); err != nil {
			return nil, err
		}
	}
	res.ProofUS = round1(float64(time.Since(start).Microseconds()) / float64(len(idx)))
	res.ProofHashes, res.Proofs = len(proofs[0].Hashes), len(idx)
	v := bl.Verifier()
	start = time.Now()
	var cp *verify.Checkpoint
	for _, p := range proofs {
		if cp, err = p.Verify(v); err != nil {
			return nil, err
		}
	}
	res.VerifyUS = round1(float64(time.Since(start).Microseconds()) / float64(len(idx)))
	start = time.Now()
	for _, p := range proofs {
		leaf, err := verify.LeafHash(p.Entry)
		if err != nil {
			return nil, err
		}
		if err := verify.VerifyInclusion(leaf, p.Entry.Index, cp.Size, p.Hashes, cp.Root); err != nil {
			return nil, err
		}
	}
	res.VerifyPathUS = round2(float64(time.Since(start).Nanoseconds()) / 1e3 / float64(len(idx)))
	return res, nil
}

// benchBuild bulk-loads synthetic entries into l until it holds entries or
// more() says stop, and returns the size reached. One goroutine makes and
// hashes the next chunk while the current one is written.
func benchBuild(ctx context.Context, l *Log, entries int64, more func() bool, progress func(string)) (int64, error) {
	const chunk = IntegrateBatch
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type prepared struct {
		b   loadBatch
		n   int64
		err error
	}
	ch := make(chan prepared, 1)
	go func() {
		defer close(ch)
		now := time.Now()
		rows := make([]Entry, 0, chunk)
		for size := int64(0); size < entries; {
			k := min(int64(chunk), entries-size)
			rows = rows[:0]
			for i := int64(0); i < k; i++ {
				rows = append(rows, benchEntry(size+i, now, false))
			}
			b, err := prepareLoad(rows)
			select {
			case ch <- prepared{b, k, err}:
			case <-ctx.Done():
				return
			}
			if err != nil {
				return
			}
			size += k
		}
	}()
	var size int64
	start := time.Now()
	for p := range ch {
		if p.err != nil {
			return size, p.err
		}
		if !more() {
			break
		}
		if _, err := l.load(ctx, p.b); err != nil {
			return size, err
		}
		size += p.n
		if size%(16*chunk) < chunk {
			progress(fmt.Sprintf("build: %d entries, %.0fs", size, time.Since(start).Seconds()))
		}
	}
	return size, nil
}

func round1(f float64) float64 { return math.Round(f*10) / 10 }
func round2(f float64) float64 { return math.Round(f*100) / 100 }
