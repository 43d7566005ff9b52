package node_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/liaison-dev/liaison/internal/clock"
	"github.com/liaison-dev/liaison/internal/demo"
	"github.com/liaison-dev/liaison/internal/federation"
	"github.com/liaison-dev/liaison/internal/ledger"
	"github.com/liaison-dev/liaison/internal/node"
	"github.com/liaison-dev/liaison/internal/store"
	"github.com/liaison-dev/liaison/internal/store/sqlite"
)

func wait(t *testing.T, what string, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if ok() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

// forged is a second log signed with US's key over another database: what
// a node that rewrote its history, or was restored from an old backup,
// would sign.
func forged(t *testing.T, us *node.Node, entries int) (store.LedgerCheckpoint, *ledger.Log) {
	t.Helper()
	st, err := sqlite.Open(t.Context(), sqlite.Config{Path: filepath.Join(t.TempDir(), fmt.Sprint("forged", entries, ".db"))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	l, err := ledger.New(ledger.Config{Store: st, Clock: clock.System{}, Party: "US", Key: us.Identity.Signer})
	if err != nil {
		t.Fatal(err)
	}
	for i := range entries {
		if _, err := ledger.Append(t.Context(), st, ledger.Entry{Kind: "audit", ObjectID: fmt.Sprint("forged", i), At: time.Now(), Body: []byte("x")}); err != nil {
			t.Fatal(err)
		}
	}
	cp, err := l.Checkpoint(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return cp, l
}

// TestCosigningExchange: two nodes on loopback cosign each other's
// checkpoints over federation; a forked and a rolled-back checkpoint of US
// reach CN, which refuses to cosign them and raises an alarm each, with
// notices to its supervisors and auditors.
func TestCosigningExchange(t *testing.T) {
	w, err := demo.Build(t.Context(), demo.Options{Dir: filepath.Join(t.TempDir(), "world"), Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	ctx, cancel := context.WithCancel(t.Context())
	ready := make(chan struct{})
	done := make(chan error, 1)
	go func() { done <- w.Serve(ctx, func() { close(ready) }) }()
	defer func() { cancel(); <-done }()
	<-ready
	us, cn := w.Nodes[0].Node, w.Nodes[1].Node

	cosigned := func(n *node.Node, by string) bool {
		if err := n.Exchange.Publish(ctx); err != nil {
			t.Fatal(err)
		}
		cp, err := n.Ledger.Latest(ctx)
		if err != nil {
			t.Fatal(err)
		}
		sigs, err := n.Store.ListLedgerCosignatures(ctx, cp.Size)
		if err != nil {
			t.Fatal(err)
		}
		return len(sigs) == 1 && sigs[0].Cosigner == ledger.CosignerName(by)
	}
	wait(t, "US cosigned by CN", func() bool { return cosigned(us, "CN") })
	wait(t, "CN cosigned by US", func() bool { return cosigned(cn, "US") })
	seen, err := cn.Store.LatestWitnessed(ctx, ledger.Origin("US"))
	if err != nil {
		t.Fatal(err)
	}

	send := func(cp store.LedgerCheckpoint, l *ledger.Log, from uint64) {
		var proof [][]byte
		if from > 0 && from < uint64(cp.Size) {
			if proof, err = l.ConsistencyHashes(ctx, from, uint64(cp.Size)); err != nil {
				t.Fatal(err)
			}
		}
		b, _ := json.Marshal(map[string]any{"checkpoint": string(cp.Note), "from_size": from, "proof": proof})
		if _, err := us.Federation.Send(ctx, federation.Message{Type: node.TypeLedgerCheckpoint, Recipients: []string{"CN"},
			Conversation: "ledger-US", Payload: b}); err != nil {
			t.Fatal(err)
		}
	}
	alarms := func(kind string) int {
		as, err := cn.Store.ListLedgerAlarms(ctx, 0, 100)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, a := range as {
			if a.Kind == kind && a.Origin == ledger.Origin("US") {
				n++
			}
		}
		return n
	}
	// A history rewritten: a bigger tree that does not extend what CN saw.
	fcp, fl := forged(t, us, int(seen.Size)+3)
	send(fcp, fl, uint64(seen.Size))
	wait(t, "a fork alarm at CN", func() bool { return alarms(ledger.AlarmFork) == 1 })
	// Back in time: a smaller tree than CN cosigned.
	rcp, rl := forged(t, us, int(seen.Size)-1)
	send(rcp, rl, 0)
	wait(t, "a rollback alarm at CN", func() bool { return alarms(ledger.AlarmRollback) == 1 })

	ns, err := cn.Store.ListNotices(ctx, "", "", 100)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, n := range ns {
		if strings.HasPrefix(n.Kind, "ledger.") {
			got[n.Kind+" "+n.Audience] = true
		}
	}
	for _, k := range []string{"ledger.fork supervisor", "ledger.fork auditor", "ledger.rollback supervisor", "ledger.rollback auditor"} {
		if !got[k] {
			t.Errorf("no %s notice; have %v", k, got)
		}
	}
	// CN's view of US is unchanged: still the checkpoint it cosigned.
	if now, err := cn.Store.LatestWitnessed(ctx, ledger.Origin("US")); err != nil || now.Size != seen.Size {
		t.Fatalf("CN's view of US moved: %+v %v", now, err)
	}
}
