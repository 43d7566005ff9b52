package federation_test

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/liaison-dev/liaison/internal/federation"
	"github.com/liaison-dev/liaison/internal/node"
	"github.com/liaison-dev/liaison/internal/store"
)

// A lane whose head waits for its retry must not hold up the other lanes
// of the same worker, even when its backlog fills whole batches; once the
// receiver recovers, the waiting lane is delivered in order.
func TestWaitingLaneDoesNotHoldOthers(t *testing.T) {
	const flakyType = "test.flaky"
	var recovered atomic.Bool
	flaky := func(ctx context.Context, q store.Queries, d federation.Delivery) error {
		if !recovered.Load() {
			return errors.New("receiving service down for now")
		}
		return recordingHandler(ctx, q, d)
	}
	us, cn := newTestNode(t, "US"), newTestNode(t, "CN")
	narrow := func(n *node.Node) { n.Federation.Workers, n.Federation.BatchSize = 1, 4 }
	us.setup = narrow
	narrow(us.N)
	cn.setup = func(n *node.Node) {
		withRecorder(n)
		n.Federation.Handle(flakyType, flaky)
	}
	cn.setup(cn.N)
	pair(t, us, cn, "")

	stuck := "stuck"
	var others []string
	for i := 0; len(others) < 3; i++ {
		if c := fmt.Sprintf("free-%d", i); federation.LaneOf(c, "") != federation.LaneOf(stuck, "") {
			others = append(others, c)
		}
	}
	var stuckIDs, otherIDs []string
	for i := range 12 {
		id, err := us.N.Federation.Send(t.Context(), federation.Message{Type: flakyType, Recipients: []string{"CN"},
			Conversation: stuck, Payload: []byte(fmt.Sprintf("%06d", i))})
		if err != nil {
			t.Fatal(err)
		}
		stuckIDs = append(stuckIDs, id)
	}
	us.serve()
	cn.serve()
	// Let the stuck lane fail and start waiting before the others exist.
	waitFor(t, "the stuck lane to be retried", 30*time.Second, func() (bool, string) {
		it, err := us.N.Store.GetOutboxItem(t.Context(), stuckIDs[0], "CN")
		return err == nil && it.Attempts > 0, fmt.Sprintf("%+v %v", it.Attempts, err)
	})
	for i := range 12 {
		id, err := us.N.Federation.Send(t.Context(), federation.Message{Type: applyType, Recipients: []string{"CN"},
			Conversation: others[i%len(others)], Payload: []byte(fmt.Sprintf("%06d", i/len(others)))})
		if err != nil {
			t.Fatal(err)
		}
		otherIDs = append(otherIDs, id)
	}
	waitFor(t, "the other lanes' receipts", 30*time.Second, allReceipted(t, us, "CN", otherIDs))
	if byConv, _ := applied(t, cn.N.Store); len(byConv[stuck]) != 0 {
		t.Fatalf("the stuck conversation was applied while its receiver was down: %v", byConv[stuck])
	}
	recovered.Store(true)
	waitFor(t, "the stuck lane's receipts", 30*time.Second, allReceipted(t, us, "CN", append(stuckIDs, otherIDs...)))
	byConv, dups := applied(t, cn.N.Store)
	if len(dups) > 0 || len(byConv[stuck]) != len(stuckIDs) {
		t.Fatalf("stuck conversation applied %v, duplicates %v", byConv[stuck], dups)
	}
	for i, p := range byConv[stuck] {
		if p != fmt.Sprintf("%06d", i) {
			t.Fatalf("stuck conversation out of order: %v", byConv[stuck])
		}
	}
}
