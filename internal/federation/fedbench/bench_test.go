package fedbench

import (
	"os"
	"strconv"
	"testing"
	"time"
)

// TestFaultModeSmall runs the fault mode end to end on a few hundred
// messages: nothing lost, nothing applied twice, order kept.
func TestFaultModeSmall(t *testing.T) {
	res, err := Run(t.Context(), Options{Dir: t.TempDir(), Messages: 300, Faults: true, Restarts: 2, Conversations: 10, Concurrency: 4})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%+v injected %+v", res, res.Injected)
	if res.Lost != 0 || res.DuplicatesApplied != 0 || res.OrderViolations != 0 || res.Receipts != 300 || res.Delivered != 300 {
		t.Fatalf("fault mode: %+v", res)
	}
}

// TestThroughputProfile is for profiling (go test -run Profile -cpuprofile).
// With LIAISON_PROFILE_MESSAGES set it sends that many messages and stops
// after the throughput phase, so that the profile holds deliveries only.
func TestThroughputProfile(t *testing.T) {
	if testing.Short() || !testing.Verbose() {
		t.Skip("profiling aid; run with -v")
	}
	o := Options{Dir: t.TempDir(), Messages: 3000, OfferedFor: time.Second, Progress: func(s string) { t.Log(s) }}
	if n, err := strconv.Atoi(os.Getenv("LIAISON_PROFILE_MESSAGES")); err == nil {
		o.Messages, o.ThroughputOnly = n, true
	}
	res, err := Run(t.Context(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%+v", res)
}
