package ledger

import (
	"crypto/ed25519"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/liaison-dev/liaison/internal/clock"
	"github.com/liaison-dev/liaison/internal/store"
	"github.com/liaison-dev/liaison/internal/store/sqlite"
	"github.com/liaison-dev/liaison/pkg/verify"
)

var t0 = time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC)

func testKey(b byte) ed25519.PrivateKey {
	seed := make([]byte, ed25519.SeedSize)
	for i := range seed {
		seed[i] = b
	}
	return ed25519.NewKeyFromSeed(seed)
}

func openStore(t testing.TB) store.Store {
	t.Helper()
	s, err := sqlite.Open(t.Context(), sqlite.Config{Path: filepath.Join(t.TempDir(), "liaison.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func openLog(t testing.TB, st store.Store, party string, key ed25519.PrivateKey) *Log {
	t.Helper()
	l, err := New(Config{Store: st, Clock: clock.NewFake(t0), Party: party, Key: key})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// entry returns the i-th deterministic test entry.
func entry(i int) Entry {
	kinds := []string{KindEnvelopeSent, KindEnvelopeReceived, KindReceipt, KindRequestTransition, KindAudit}
	e := Entry{Kind: kinds[i%len(kinds)], ObjectID: fmt.Sprintf("obj-%d", i/3), At: t0.Add(time.Duration(i) * time.Second), Exercise: i%7 == 0}
	if i%2 == 0 {
		e.Body = []byte(fmt.Sprintf(`{"n":%d}`, i))
	} else {
		e.BodyHash = verify.HashLeaf([]byte{byte(i)}) // any 32 bytes
	}
	return e
}

func appendN(t testing.TB, st store.Store, from, n int) {
	t.Helper()
	err := st.InTx(t.Context(), func(q store.Queries) error {
		for i := from; i < from+n; i++ {
			idx, err := Append(t.Context(), q, entry(i))
			if err != nil {
				return err
			}
			if idx != uint64(i) {
				return fmt.Errorf("entry %d got index %d", i, idx)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// refRoot computes the root of the first n test entries in memory.
func refRoot(t testing.TB, n int) []byte {
	t.Helper()
	cr := rangeFactory.NewEmptyRange(0)
	for i := 0; i < n; i++ {
		r, err := toRow(entry(i))
		if err != nil {
			t.Fatal(err)
		}
		r.Index = int64(i)
		leaf, err := verify.LeafHash(toVerify(r))
		if err != nil {
			t.Fatal(err)
		}
		cr.Append(leaf, nil)
	}
	root, _ := cr.GetRootHash(nil)
	if root == nil {
		return verify.EmptyRoot()
	}
	return root
}
