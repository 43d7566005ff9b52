package federation_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/liaison-dev/liaison/internal/federation"
	"github.com/liaison-dev/liaison/internal/node"
)

func TestDeliveryBothWays(t *testing.T) {
	us, cn := newTestNode(t, "US"), newTestNode(t, "CN")
	us.setup, cn.setup = withRecorder, withRecorder
	withRecorder(us.N)
	withRecorder(cn.N)
	pair(t, us, cn, "")
	us.serve()
	cn.serve()
	toCN := sendMany(t, us, "CN", 40, 4, "a")
	toUS := sendMany(t, cn, "US", 30, 3, "b")
	// Two exercise messages: counted apart from operational traffic.
	for i := range 2 {
		id, err := us.N.Federation.Send(t.Context(), federation.Message{Type: applyType, Recipients: []string{"CN"},
			Conversation: "drill", Exercise: true, Payload: []byte(fmt.Sprintf("%06d", i))})
		if err != nil {
			t.Fatal(err)
		}
		toCN = append(toCN, id)
	}
	waitFor(t, "US→CN receipts", 30*time.Second, allReceipted(t, us, "CN", toCN))
	waitFor(t, "CN→US receipts", 30*time.Second, allReceipted(t, cn, "US", toUS))
	checkExactlyOnceInOrder(t, us, cn, "a", toCN[:40], 4)
	checkExactlyOnceInOrder(t, cn, us, "b", toUS, 3)
	for _, c := range []struct {
		n            *node.Node
		metric, peer string
		traffic      string
		want         float64
	}{
		{us.N, "liaison_federation_delivered_total", "CN", "operational", 40},
		{us.N, "liaison_federation_delivered_total", "CN", "exercise", 2},
		{cn.N, "liaison_federation_inbox_accepted_total", "US", "operational", 40},
		{cn.N, "liaison_federation_inbox_accepted_total", "US", "exercise", 2},
		{cn.N, "liaison_federation_delivered_total", "US", "operational", 30},
	} {
		if got := counter(t, c.n, c.metric, map[string]string{"peer": c.peer, "traffic": c.traffic}); got != c.want {
			t.Errorf("%s{peer=%s,traffic=%s} = %v, want %v", c.metric, c.peer, c.traffic, got, c.want)
		}
	}
}

// counter is the value of the counter metric with exactly these labels.
func counter(t *testing.T, n *node.Node, metric string, want map[string]string) float64 {
	t.Helper()
	mfs, err := n.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != metric {
			continue
		}
	next:
		for _, m := range mf.GetMetric() {
			if len(m.GetLabel()) != len(want) {
				continue
			}
			for _, l := range m.GetLabel() {
				if want[l.GetName()] != l.GetValue() {
					continue next
				}
			}
			return m.GetCounter().GetValue()
		}
	}
	return 0
}
