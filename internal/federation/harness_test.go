package federation_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/liaison-dev/liaison/internal/config"
	"github.com/liaison-dev/liaison/internal/federation"
	"github.com/liaison-dev/liaison/internal/node"
	"github.com/liaison-dev/liaison/internal/store"
)

// testNode is a real node on loopback that can be stopped and reopened in
// process, as a crash and restart would.
type testNode struct {
	t     *testing.T
	party string
	dir   string
	addr  string
	N     *node.Node
	stop  context.CancelFunc
	done  chan error
	// setup runs after every (re)open, before serving: it registers
	// handlers and tunes the service.
	setup func(n *node.Node)
}

const applyType = "test.apply"

func testLog(t *testing.T) *slog.Logger {
	if os.Getenv("FEDERATION_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func newTestNode(t *testing.T, party string) *testNode {
	t.Helper()
	dir := filepath.Join(t.TempDir(), party)
	addr := freeAddr(t)
	if _, err := node.Init(t.Context(), node.InitOptions{Dir: dir, Party: party, Name: "Party " + party, Listen: addr}); err != nil {
		t.Fatal(err)
	}
	tn := &testNode{t: t, party: party, dir: dir, addr: addr}
	tn.open()
	t.Cleanup(tn.close)
	return tn
}

func (tn *testNode) open() {
	n, err := node.Open(context.Background(), tn.dir, testLog(tn.t))
	if err != nil {
		tn.t.Fatal(err)
	}
	n.Config.ShutdownTimeout = config.Duration(50 * time.Millisecond)
	f := n.Federation
	f.RetryBase, f.RetryMax, f.Poll, f.Probe = 20*time.Millisecond, 300*time.Millisecond, 100*time.Millisecond, 200*time.Millisecond
	f.RequestTimeout = 3 * time.Second
	tn.N = n
	if tn.setup != nil {
		tn.setup(n)
	}
}

// serve starts serving on the node's fixed address.
func (tn *testNode) serve() {
	tn.t.Helper()
	var ln net.Listener
	var err error
	for range 50 { // the port may linger briefly after a restart
		if ln, err = net.Listen("tcp", tn.addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		tn.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	tn.stop, tn.done = cancel, make(chan error, 1)
	go func() { tn.done <- tn.N.Serve(ctx, ln) }()
}

// kill stops serving abruptly (in-flight requests are cut after a very
// short drain) and closes the store, as a crash would leave it.
func (tn *testNode) kill() {
	if tn.stop != nil {
		tn.stop()
		<-tn.done
		tn.stop = nil
	}
	tn.N.Close()
}

func (tn *testNode) restart() {
	tn.kill()
	tn.open()
	tn.serve()
}

func (tn *testNode) close() {
	if tn.N == nil {
		return
	}
	tn.kill()
	tn.N = nil
}

// pair pins each node in the other; endpoint, if not empty, is where a
// reaches b (a fault proxy).
func pair(t *testing.T, a, b *testNode, endpointOfB string) {
	t.Helper()
	ctx := t.Context()
	da, err := a.N.Descriptor(ctx)
	if err != nil {
		t.Fatal(err)
	}
	db, err := b.N.Descriptor(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.N.Peers.Add(ctx, "test", da); err != nil {
		t.Fatal(err)
	}
	if _, err := a.N.Peers.Add(ctx, "test", db); err != nil {
		t.Fatal(err)
	}
	if endpointOfB != "" {
		setEndpoint(t, a, b.party, endpointOfB)
	}
}

// setEndpoint makes tn reach party at endpoint (a fault proxy).
func setEndpoint(t *testing.T, tn *testNode, party, endpoint string) {
	t.Helper()
	p, err := tn.N.Store.GetPeer(t.Context(), party)
	if err != nil {
		t.Fatal(err)
	}
	p.Endpoint = endpoint
	if err := tn.N.Store.UpsertPeer(t.Context(), p); err != nil {
		t.Fatal(err)
	}
}

// recordingHandler applies test.apply envelopes by appending an audit
// entry in the same transaction: an independent record in which a
// duplicate or out-of-order application would show.
func recordingHandler(ctx context.Context, q store.Queries, d federation.Delivery) error {
	_, err := q.AppendAudit(ctx, store.AuditEntry{At: d.Received, Actor: "peer:" + d.Header.Sender, Action: "test.apply",
		ObjectType: "fedtest", ObjectID: d.Header.Conversation, Detail: d.Header.ID + " " + string(d.Payload)})
	return err
}

func withRecorder(n *node.Node) { n.Federation.Handle(applyType, recordingHandler) }

// applied returns, per conversation, the payloads applied in order, and
// the envelope IDs applied more than once.
func applied(t *testing.T, st store.Store) (map[string][]string, []string) {
	t.Helper()
	byConv := map[string][]string{}
	seen := map[string]bool{}
	var dups []string
	var after int64
	for {
		page, err := st.ListAudit(t.Context(), store.AuditFilter{After: after, ObjectType: "fedtest", Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		for _, e := range page {
			id, payload, _ := strings.Cut(e.Detail, " ")
			if seen[id] {
				dups = append(dups, id)
			}
			seen[id] = true
			byConv[e.ObjectID] = append(byConv[e.ObjectID], payload)
			after = e.Seq
		}
	}
	return byConv, dups
}

// sendMany enqueues n messages spread over convs conversations, each in
// its own transaction, numbering them per conversation. It returns the
// envelope IDs.
func sendMany(t *testing.T, tn *testNode, to string, n, convs int, prefix string) []string {
	t.Helper()
	var ids []string
	next := make([]int, convs)
	for i := range n {
		c := i % convs
		id, err := tn.N.Federation.Send(t.Context(), federation.Message{Type: applyType, Recipients: []string{to},
			Conversation: fmt.Sprintf("%s-conv-%d", prefix, c), Payload: []byte(fmt.Sprintf("%06d", next[c]))})
		if err != nil {
			t.Fatal(err)
		}
		next[c]++
		ids = append(ids, id)
	}
	return ids
}

// waitFor polls cond until it holds or the deadline passes; it never
// asserts on how long that took.
func waitFor(t *testing.T, what string, limit time.Duration, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		ok, state := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s: %s", what, state)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

func allReceipted(t *testing.T, from *testNode, to string, ids []string) func() (bool, string) {
	return func() (bool, string) {
		n, err := from.N.Store.CountReceipts(t.Context(), to)
		if err != nil {
			return false, err.Error()
		}
		return n >= int64(len(ids)), fmt.Sprintf("%d of %d receipts", n, len(ids))
	}
}

// checkExactlyOnceInOrder asserts every message was applied once, in
// order per conversation, and has a verified receipt stored at the sender.
func checkExactlyOnceInOrder(t *testing.T, from, to *testNode, prefix string, ids []string, convs int) {
	t.Helper()
	byConv, dups := applied(t, to.N.Store)
	if len(dups) > 0 {
		t.Fatalf("%d envelopes applied more than once, e.g. %s", len(dups), dups[0])
	}
	total := 0
	for c := range convs {
		got := byConv[fmt.Sprintf("%s-conv-%d", prefix, c)]
		for i, p := range got {
			if p != fmt.Sprintf("%06d", i) {
				t.Fatalf("conversation %d: position %d holds message %s: out of order (%v)", c, i, p, got)
			}
		}
		total += len(got)
	}
	if total != len(ids) {
		t.Fatalf("%d messages applied, %d sent", total, len(ids))
	}
	for _, id := range ids {
		r, err := from.N.Store.GetReceipt(t.Context(), id, to.party)
		if err != nil {
			t.Fatalf("receipt for %s: %v", id, err)
		}
		it, err := from.N.Store.GetOutboxItem(t.Context(), id, to.party)
		if err != nil || it.State != store.OutboxDelivered {
			t.Fatalf("outbox %s: %+v, %v", id, it.State, err)
		}
		if r.EnvelopeHash == "" || len(r.Receipt) == 0 {
			t.Fatalf("receipt %s incomplete: %+v", id, r)
		}
	}
}

var errBoom = errors.New("boom")

var _ = sync.Mutex{}

// sendMoreInOrder continues sendMany: the i-th new message goes to
// conversation i%convs with the next number there, given that start
// messages were sent before in the same pattern.
func sendMoreInOrder(t *testing.T, tn *testNode, to string, n, convs int, prefix string, start int) []string {
	t.Helper()
	var ids []string
	for i := start; i < start+n; i++ {
		c := i % convs
		seq := i / convs
		id, err := tn.N.Federation.Send(t.Context(), federation.Message{Type: applyType, Recipients: []string{to},
			Conversation: fmt.Sprintf("%s-conv-%d", prefix, c), Payload: []byte(fmt.Sprintf("%06d", seq))})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	return ids
}
