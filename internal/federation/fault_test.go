package federation_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/liaison-dev/liaison/internal/federation/faultproxy"
	"github.com/liaison-dev/liaison/internal/node"
)

// TestFaultsAndRestarts runs two real nodes through fault-injecting
// proxies in both directions (drops that lose answers and so cause
// duplicate deliveries, resets, delays, reordered connections) and kills
// and restarts each node mid-stream. Every message must be applied
// exactly once, in order per conversation, with a stored receipt.
func TestFaultsAndRestarts(t *testing.T) {
	const perSide, convs = 160, 12
	us, cn := newTestNode(t, "US"), newTestNode(t, "CN")
	us.setup, cn.setup = withRecorder, withRecorder
	withRecorder(us.N)
	withRecorder(cn.N)
	faults := faultproxy.Faults{Drop: 0.03, Reset: 0.03, Delay: 0.2, MaxDelay: 15 * time.Millisecond, Reorder: 0.3}
	toCN, err := faultproxy.Start(cn.addr, faults, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer toCN.Close()
	toUS, err := faultproxy.Start(us.addr, faults, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer toUS.Close()
	pair(t, us, cn, "https://"+toCN.Addr())
	setEndpoint(t, cn, "US", "https://"+toUS.Addr())
	// Small batches, so that a few hundred messages make many requests
	// and so meet many faults.
	us.setup = func(n *node.Node) { withRecorder(n); n.Federation.BatchSize = 8 }
	cn.setup = us.setup
	us.setup(us.N)
	cn.setup(cn.N)

	idsCN := sendMany(t, us, "CN", perSide/2, convs, "u")
	idsUS := sendMany(t, cn, "US", perSide/2, convs, "c")
	us.serve()
	cn.serve()

	waitFor(t, "first deliveries", 30*time.Second, func() (bool, string) {
		n, _ := us.N.Store.CountReceipts(t.Context(), "CN")
		return n >= 20, fmt.Sprintf("%d receipts", n)
	})
	// Kill the receiver mid-stream, keep it down while the sender
	// retries, and bring it back.
	toCN.ResetAll()
	cn.kill()
	time.Sleep(150 * time.Millisecond)
	cn.open()
	cn.serve()

	// More traffic, with its sequence numbers continuing per conversation.
	idsCN = append(idsCN, sendMoreInOrder(t, us, "CN", perSide/2, convs, "u", perSide/2)...)
	idsUS = append(idsUS, sendMoreInOrder(t, cn, "US", perSide/2, convs, "c", perSide/2)...)

	// Kill the sender mid-stream: it must resume from its stored outbox.
	time.Sleep(30 * time.Millisecond)
	toCN.ResetAll()
	us.restart()

	waitFor(t, "US→CN receipts", 45*time.Second, allReceipted(t, us, "CN", idsCN))
	waitFor(t, "CN→US receipts", 45*time.Second, allReceipted(t, cn, "US", idsUS))
	checkExactlyOnceInOrder(t, us, cn, "u", idsCN, convs)
	checkExactlyOnceInOrder(t, cn, us, "c", idsUS, convs)
	s1, s2 := toCN.Stats(), toUS.Stats()
	t.Logf("faults injected: to CN %+v, to US %+v", s1, s2)
	if s1.Drops+s1.Resets+s2.Drops+s2.Resets == 0 {
		t.Fatal("the proxies injected no faults; the test proved nothing")
	}
}
