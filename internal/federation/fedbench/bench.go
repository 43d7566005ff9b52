package fedbench

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"os"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/liaison-dev/liaison/internal/federation"
	"github.com/liaison-dev/liaison/internal/federation/faultproxy"
	"github.com/liaison-dev/liaison/internal/node"
	"github.com/liaison-dev/liaison/internal/store"
)

// Options configure a run.
type Options struct {
	// Dir is a scratch directory for the nodes and the baseline database.
	Dir string
	// Messages is how many messages the throughput phase sends.
	Messages int
	// PayloadSize is each message's payload size in bytes.
	PayloadSize int
	// Conversations spreads the messages over this many conversations.
	Conversations int
	// OfferedRate and OfferedFor define the latency phase: messages
	// enqueued one per transaction at this rate (msg/s) for this long.
	OfferedRate int
	OfferedFor  time.Duration
	// Faults puts the fault proxy between the nodes; Restarts kills and
	// restarts a node (receiver and sender in turn) that many times while
	// messages flow.
	Faults   bool
	Restarts int
	// Concurrency of the baseline's clients.
	Concurrency int
	Log         *slog.Logger
	// Progress, when set, receives a line per phase.
	Progress func(string)
	// ThroughputOnly stops after the throughput phase (no latency phase,
	// no baseline): for profiling where the time of a delivery goes.
	ThroughputOnly bool
}

// Result is what `liaison bench federation --json` prints.
type Result struct {
	Messages     int     `json:"messages"`
	PayloadBytes int     `json:"payload_bytes"`
	MsgsPerS     float64 `json:"msgs_per_s"`
	// CPUusPerMsg is the CPU time both nodes (one process) spent per
	// message in the throughput phase: what bounds msgs_per_s on a
	// machine with N idle cores at N×1e6/CPUusPerMsg, and a figure that
	// other load on the machine does not distort as it does wall time.
	CPUusPerMsg      float64 `json:"cpu_us_per_msg"`
	P50ms            float64 `json:"p50_ms"`
	P99ms            float64 `json:"p99_ms"`
	OfferedMsgsPerS  int     `json:"latency_offered_msgs_per_s"`
	LatencySamples   int     `json:"latency_samples"`
	BaselineMsgsPerS float64 `json:"baseline_msgs_per_s"`
	Ratio            float64 `json:"ratio"`
	Durability       string  `json:"durability"`

	Faults            bool              `json:"faults,omitempty"`
	Restarts          int               `json:"restarts,omitempty"`
	Sent              int               `json:"sent,omitempty"`
	Delivered         int               `json:"delivered,omitempty"`
	Receipts          int               `json:"receipts,omitempty"`
	Lost              int               `json:"lost"`
	DuplicatesApplied int               `json:"duplicates_applied"`
	OrderViolations   int               `json:"order_violations"`
	Injected          *faultproxy.Stats `json:"injected,omitempty"`
}

const msgType = "bench.message"

// Run runs the benchmark.
func Run(ctx context.Context, o Options) (*Result, error) {
	// The bench counts receipts of its own messages: no periodic ledger
	// checkpoint exchange on top (each offer is an envelope to the peer).
	node.CheckpointInterval = 0
	if o.Messages <= 0 {
		o.Messages = 10000
	}
	if o.PayloadSize <= 0 {
		o.PayloadSize = 512
	}
	if o.Conversations <= 0 {
		o.Conversations = 64
	}
	if o.OfferedRate <= 0 {
		o.OfferedRate = 1000
	}
	if o.OfferedFor <= 0 {
		o.OfferedFor = 3 * time.Second
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 16
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	progress := func(format string, args ...any) {
		if o.Progress != nil {
			o.Progress(fmt.Sprintf(format, args...))
		}
	}
	if err := os.MkdirAll(o.Dir, 0o700); err != nil {
		return nil, err
	}
	res := &Result{Messages: o.Messages, PayloadBytes: o.PayloadSize, OfferedMsgsPerS: o.OfferedRate,
		Durability: "SQLite WAL, synchronous=FULL, both sides", Faults: o.Faults, Restarts: o.Restarts}

	// The receiver records each application in its audit trail, in the
	// inbox transaction, so duplicates and order can be counted from an
	// independent record. Without faults the handler does nothing: the
	// inbox row is the durable record, as the baseline's row is.
	record := o.Faults
	recvSetup := func(n *node.Node) {
		n.Federation.Handle(msgType, func(ctx context.Context, q store.Queries, d federation.Delivery) error {
			if !record {
				return nil
			}
			_, err := q.AppendAudit(ctx, store.AuditEntry{At: d.Received, Actor: "peer:" + d.Header.Sender, Action: "bench.apply",
				ObjectType: "bench", ObjectID: d.Header.Conversation, Detail: d.Header.ID + " " + string(d.Payload[:min(len(d.Payload), 8)])})
			return err
		})
		tune(n, o.Faults)
	}
	sendSetup := func(n *node.Node) { tune(n, o.Faults) }
	us, err := newBenchNode(ctx, o.Dir, "US", o.Log, sendSetup)
	if err != nil {
		return nil, err
	}
	defer us.kill()
	cn, err := newBenchNode(ctx, o.Dir, "CN", o.Log, recvSetup)
	if err != nil {
		return nil, err
	}
	defer cn.kill()
	endpoint := ""
	var proxy *faultproxy.Proxy
	if o.Faults {
		proxy, err = faultproxy.Start(cn.addr, faultproxy.Faults{Drop: 0.01, Reset: 0.01, Delay: 0.1, MaxDelay: 20 * time.Millisecond, Reorder: 0.2}, 42)
		if err != nil {
			return nil, err
		}
		defer proxy.Close()
		endpoint = "https://" + proxy.Addr()
	}
	if err := pair(ctx, us, cn, endpoint); err != nil {
		return nil, err
	}
	if err := us.serve(); err != nil {
		return nil, err
	}
	if err := cn.serve(); err != nil {
		return nil, err
	}

	// Throughput.
	progress("federation: sending %d messages of %d bytes", o.Messages, o.PayloadSize)
	start, cpu0 := time.Now(), processCPU()
	enqErr := make(chan error, 1)
	go func() { enqErr <- enqueue(ctx, us, o) }()
	// Enqueueing goes on while the first deliveries flow; the restarts
	// (which may take the sender down) start once everything is queued.
	if err := <-enqErr; err != nil {
		return nil, fmt.Errorf("enqueue: %w", err)
	}
	progress("federation: %d messages committed to the outbox in %s", o.Messages, time.Since(start).Round(time.Millisecond))
	if o.Faults && o.Restarts > 0 {
		if err := restarts(ctx, us, cn, proxy, o, progress); err != nil {
			return nil, err
		}
	}
	if err := waitReceipts(ctx, us, "CN", int64(o.Messages), 10*time.Minute); err != nil {
		return nil, err
	}
	elapsed := time.Since(start)
	res.MsgsPerS = round(float64(o.Messages) / elapsed.Seconds())
	res.CPUusPerMsg = round(float64((processCPU() - cpu0).Microseconds()) / float64(o.Messages))
	progress("federation: %d messages receipted in %s (%.0f msg/s)", o.Messages, elapsed.Round(time.Millisecond), res.MsgsPerS)

	if o.Faults {
		if err := countFaults(ctx, us, cn, o, res); err != nil {
			return nil, err
		}
		st := proxy.Stats()
		res.Injected = &st
	}

	if o.ThroughputOnly {
		return res, nil
	}

	// Latency at the offered load, enqueued one message per transaction.
	if !o.Faults {
		progress("federation: latency at %d msg/s offered for %s", o.OfferedRate, o.OfferedFor)
		p50, p99, n, err := latency(ctx, us, o)
		if err != nil {
			return nil, err
		}
		res.P50ms, res.P99ms, res.LatencySamples = p50, p99, n
	}

	// Baseline, same run, same machine.
	progress("baseline: %d plain HTTPS POSTs committed to SQLite", o.Messages)
	base, err := Baseline(ctx, o.Dir, o.Messages, o.PayloadSize, o.Concurrency)
	if err != nil {
		return nil, fmt.Errorf("baseline: %w", err)
	}
	res.BaselineMsgsPerS = round(base)
	if base > 0 {
		res.Ratio = math.Round(res.MsgsPerS/base*100) / 100
	}
	return res, nil
}

func tune(n *node.Node, faults bool) {
	f := n.Federation
	f.Poll = 200 * time.Millisecond
	if faults {
		f.RetryBase, f.RetryMax = 20*time.Millisecond, 500*time.Millisecond
		f.RequestTimeout = 5 * time.Second
	}
}

// processCPU is the user and system CPU time this process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func round(v float64) float64 { return math.Round(v*10) / 10 }

// enqueue commits the messages in transactions of up to 100, as a busy
// domain would, kicking the worker after each commit. Messages are signed
// (federation.Service.Seal) by a few goroutines ahead of the transaction
// that enqueues them, as concurrent requests would sign theirs before
// taking the store's writer; transactions commit in order.
func enqueue(ctx context.Context, us *benchNode, o Options) error {
	const perTx, ahead = 100, 4
	f, st := us.N.Federation, us.N.Store
	type chunk struct {
		msgs []*federation.Sealed
		err  error
	}
	chunks := make(chan chan chunk, ahead)
	go func() {
		defer close(chunks)
		seq := make([]int, o.Conversations)
		pad := strings.Repeat("x", o.PayloadSize)
		for i := 0; i < o.Messages && ctx.Err() == nil; i += perTx {
			msgs := make([]federation.Message, 0, perTx)
			for j := i; j < min(i+perTx, o.Messages); j++ {
				c := j % o.Conversations
				msgs = append(msgs, federation.Message{Type: msgType, Recipients: []string{"CN"},
					Conversation: fmt.Sprintf("conv-%03d", c), Payload: []byte(fmt.Sprintf("%08d %s", seq[c], pad)[:o.PayloadSize])})
				seq[c]++
			}
			res := make(chan chunk, 1)
			chunks <- res
			go func() {
				var c chunk
				for _, m := range msgs {
					sm, err := f.Seal(m)
					if err != nil {
						c.err = err
						break
					}
					c.msgs = append(c.msgs, sm)
				}
				res <- c
			}()
		}
	}()
	var err error
	for res := range chunks {
		c := <-res
		if err != nil {
			continue // drain
		}
		if err = c.err; err != nil {
			continue
		}
		err = st.InTx(ctx, func(q store.Queries) error { return f.EnqueueAll(ctx, q, c.msgs) })
		f.Kick()
	}
	if err == nil {
		err = ctx.Err()
	}
	return err
}

// restarts kills and restarts the receiver and the sender in turn while
// the messages flow, spread over the run.
func restarts(ctx context.Context, us, cn *benchNode, proxy *faultproxy.Proxy, o Options, progress func(string, ...any)) error {
	for r := 1; r <= o.Restarts; r++ {
		target := int64(o.Messages * r / (o.Restarts + 1))
		if err := waitReceipts(ctx, us, "CN", target, 10*time.Minute); err != nil {
			return err
		}
		victim := cn
		if r%2 == 0 {
			victim = us
		}
		progress("faults: restarting %s after %d receipts", victim.party, target)
		proxy.ResetAll()
		victim.kill()
		time.Sleep(200 * time.Millisecond)
		if err := victim.open(ctx); err != nil {
			return err
		}
		if err := victim.serve(); err != nil {
			return err
		}
	}
	return nil
}

func waitReceipts(ctx context.Context, us *benchNode, party string, want int64, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		n, err := us.N.Store.CountReceipts(ctx, party)
		if err != nil && !errors.Is(err, context.Canceled) {
			// The store may be closed for a restart in progress.
			time.Sleep(20 * time.Millisecond)
			continue
		}
		if n >= want {
			return nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("only %d of %d receipts after %s", n, want, limit)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// countFaults fills in the fault mode's tallies from the receiver's
// independent record of applications and the sender's receipts.
func countFaults(ctx context.Context, us, cn *benchNode, o Options, res *Result) error {
	n, err := us.N.Store.CountReceipts(ctx, "CN")
	if err != nil {
		return err
	}
	res.Sent, res.Receipts = o.Messages, int(n)
	seen := map[string]bool{}
	last := map[string]int{}
	var after int64
	applied := 0
	for {
		page, err := cn.N.Store.ListAudit(ctx, store.AuditFilter{After: after, ObjectType: "bench", Limit: 1000})
		if err != nil {
			return err
		}
		if len(page) == 0 {
			break
		}
		for _, e := range page {
			after = e.Seq
			applied++
			id, p, _ := strings.Cut(e.Detail, " ")
			if seen[id] {
				res.DuplicatesApplied++
				continue
			}
			seen[id] = true
			var seq int
			fmt.Sscanf(p, "%d", &seq)
			prev, ok := last[e.ObjectID]
			if (!ok && seq != 0) || (ok && seq != prev+1) {
				res.OrderViolations++
			}
			last[e.ObjectID] = seq
		}
	}
	res.Delivered = len(seen)
	res.Lost = res.Sent - res.Delivered
	return nil
}

// latency offers messages at o.OfferedRate, each in its own transaction,
// and returns the p50 and p99 of enqueue-to-stored-receipt in ms.
func latency(ctx context.Context, us *benchNode, o Options) (p50, p99 float64, n int, err error) {
	total := int(float64(o.OfferedRate) * o.OfferedFor.Seconds())
	interval := time.Second / time.Duration(o.OfferedRate)
	before, err := us.N.Store.CountReceipts(ctx, "CN")
	if err != nil {
		return 0, 0, 0, err
	}
	from := time.Now()
	payload := []byte(strings.Repeat("y", o.PayloadSize))
	var wg sync.WaitGroup
	errc := make(chan error, total)
	for i := range total {
		if d := time.Until(from.Add(time.Duration(i) * interval)); d > 0 {
			time.Sleep(d)
		}
		// Sends overlap when one commit takes longer than the interval,
		// as independent requests would.
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := us.N.Federation.Send(ctx, federation.Message{Type: msgType, Recipients: []string{"CN"},
				Conversation: fmt.Sprintf("lat-%03d", i%o.Conversations), Payload: payload})
			if err != nil {
				errc <- err
			}
		}()
	}
	wg.Wait()
	close(errc)
	if err := <-errc; err != nil {
		return 0, 0, 0, err
	}
	if err := waitReceipts(ctx, us, "CN", before+int64(total), 5*time.Minute); err != nil {
		return 0, 0, 0, err
	}
	lat, err := us.N.Store.OutboxLatencies(ctx, "CN", from, time.Now().Add(time.Second), total+1)
	if err != nil {
		return 0, 0, 0, err
	}
	if len(lat) == 0 {
		return 0, 0, 0, errors.New("no latency samples")
	}
	slices.Sort(lat)
	pct := func(p float64) float64 {
		i := int(math.Ceil(p*float64(len(lat)))) - 1
		return math.Round(float64(lat[max(0, i)].Microseconds())/10) / 100
	}
	return pct(0.50), pct(0.99), len(lat), nil
}
