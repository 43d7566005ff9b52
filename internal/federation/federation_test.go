package federation_test

import (
	"testing"
	"time"
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
	waitFor(t, "US→CN receipts", 30*time.Second, allReceipted(t, us, "CN", toCN))
	waitFor(t, "CN→US receipts", 30*time.Second, allReceipted(t, cn, "US", toUS))
	checkExactlyOnceInOrder(t, us, cn, "a", toCN, 4)
	checkExactlyOnceInOrder(t, cn, us, "b", toUS, 3)
}
