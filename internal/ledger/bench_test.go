package ledger

import (
	"fmt"
	"testing"
	"time"

	"github.com/liaison-dev/liaison/internal/store"
	"github.com/liaison-dev/liaison/pkg/verify"
)

// BenchmarkAppend measures durable appends: transactions of 256 Append
// calls, each transaction followed by a signed checkpoint. One op is one
// entry.
func BenchmarkAppend(b *testing.B) {
	st := openStore(b)
	l := openLog(b, st, "US", testKey(1))
	ctx := b.Context()
	const batch = 256
	b.ResetTimer()
	for done := 0; done < b.N; done += batch {
		now := time.Now()
		err := st.InTx(ctx, func(q store.Queries) error {
			for i := 0; i < min(batch, b.N-done); i++ {
				if _, err := Append(ctx, q, benchEntry(int64(done+i), now, true)); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := l.Checkpoint(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkProve measures producing an inclusion proof bundle from the
// database, and BenchmarkVerify checking one, in a tree of 2^20 entries
// (1,048,576; `liaison bench ledger` measures at 10,000,000).
func BenchmarkProve(b *testing.B) {
	l, size := bigLog(b)
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if _, err := l.Prove(b.Context(), uint64(i*7919)%size); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerify(b *testing.B) {
	l, size := bigLog(b)
	p, err := l.Prove(b.Context(), size/3)
	if err != nil {
		b.Fatal(err)
	}
	v := l.Verifier()
	for b.Loop() {
		if _, err := p.Verify(v); err != nil {
			b.Fatal(err)
		}
	}
}

func bigLog(b *testing.B) (*Log, uint64) {
	b.Helper()
	const size = 1 << 20
	st := openStore(b)
	l := openLog(b, st, "US", testKey(1))
	if n, err := benchBuild(b.Context(), l, size, func() bool { return true }, func(string) {}); err != nil || n != size {
		b.Fatalf("build: %d, %v", n, err)
	}
	cp, err := l.Checkpoint(b.Context())
	if err != nil || cp.Size != size {
		b.Fatalf("checkpoint: %d, %v", cp.Size, err)
	}
	if _, err := verify.OpenCheckpoint(cp.Note, l.Verifier()); err != nil {
		b.Fatal(err)
	}
	return l, size
}

func TestBenchEntry(t *testing.T) {
	now := time.Date(2026, 11, 25, 8, 0, 0, 123000, time.UTC)
	for _, i := range []int64{0, 1, 996, 997, 123456789} {
		want := fmt.Appendf(nil, `{"type":"request.ack","conversation":"c-%d","sender":"CN","recipients":["US"],"created":"%s","seq":%d,"payload_sha256":"%064x"}`,
			i%997, now.Format(time.RFC3339Nano), i, i)
		e := benchEntry(i, now, true)
		if string(e.Body) != string(want) || e.ObjectID != fmt.Sprintf("env-%016x", i) {
			t.Errorf("entry %d: %s %s", i, e.ObjectID, e.Body)
		}
		if h := benchEntry(i, now, false).BodyHash; string(h) != string(verify.HashLeaf(fmt.Appendf(nil, "%d", i))) {
			t.Errorf("entry %d: body hash %x", i, h)
		}
	}
}
