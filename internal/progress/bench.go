package progress

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/liaison-dev/liaison/internal/clock"
	"github.com/liaison-dev/liaison/internal/ledger"
	"github.com/liaison-dev/liaison/internal/request"
	"github.com/liaison-dev/liaison/internal/store"
	"github.com/liaison-dev/liaison/internal/store/sqlite"
)

// BenchOptions configure BenchReport.
type BenchOptions struct {
	// Dir is a scratch directory for the SQLite database.
	Dir string
	// Requests is how many requests the record holds (default 1,000,000).
	Requests int
	// Progress, when set, receives progress lines.
	Progress func(string)
}

// BenchResult is what `liaison bench report --json` prints.
type BenchResult struct {
	Requests int `json:"requests"`
	// Seconds is the time to compute every metric of the report (current
	// and previous period, one pass) and write it as HTML and PDF.
	Seconds float64 `json:"seconds"`
	// MetricsSeconds is the metrics alone (Service.Metrics over the whole
	// record).
	MetricsSeconds float64 `json:"metrics_seconds"`
	// BaselineSeconds is one plain SQL aggregate over the same rows
	// (COUNT(*) GROUP BY parties, type, priority): a floor for reading them.
	BaselineSeconds   float64 `json:"baseline_seconds"`
	GenerateSeconds   float64 `json:"generate_seconds"`
	HTMLBytes         int     `json:"html_bytes"`
	PDFBytes          int     `json:"pdf_bytes"`
	Directions        int     `json:"directions"`
	Groups            int     `json:"groups"`
	Backend           string  `json:"backend"`
	RequestsPerSecond float64 `json:"requests_per_s"`
}

// BenchReport fills a scratch SQLite database with o.Requests requests (in
// large transactions, straight through the store) and the example rounds,
// then times the progress report of the last round over all of them.
func BenchReport(ctx context.Context, o BenchOptions) (*BenchResult, error) {
	if o.Requests <= 0 {
		o.Requests = 1_000_000
	}
	say := func(f string, a ...any) {
		if o.Progress != nil {
			o.Progress(fmt.Sprintf(f, a...))
		}
	}
	st, err := sqlite.Open(ctx, sqlite.Config{Path: filepath.Join(o.Dir, "bench.db")})
	if err != nil {
		return nil, err
	}
	defer st.Close()
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	clk := clock.System{}
	l, err := ledger.New(ledger.Config{Store: st, Clock: clk, Party: "US", Key: key})
	if err != nil {
		return nil, err
	}
	svc := &Service{Store: st, Clock: clk, Ledger: l, Party: "US", Key: key}
	ds, err := ParseFile(ExampleName, bytes.NewReader(Example()))
	if err != nil {
		return nil, err
	}
	if _, err := svc.Import(ctx, "bench", ds); err != nil {
		return nil, err
	}
	res := &BenchResult{Requests: o.Requests, Backend: st.Backend()}
	start := time.Now()
	if err := benchRequests(ctx, st, o.Requests, say); err != nil {
		return nil, err
	}
	res.GenerateSeconds = round3(time.Since(start).Seconds())
	say("generated %d requests in %.1fs", o.Requests, res.GenerateSeconds)

	t := time.Now()
	counts, err := st.RequestCounts(ctx)
	if err != nil {
		return nil, err
	}
	res.BaselineSeconds = round3(time.Since(t).Seconds())
	var n int64
	for _, c := range counts {
		n += c.Count
	}
	say("baseline: %d requests counted in %.2fs", n, res.BaselineSeconds)

	t = time.Now()
	m, err := svc.Metrics(ctx, time.Unix(0, 0), time.Now())
	if err != nil {
		return nil, err
	}
	res.MetricsSeconds = round3(time.Since(t).Seconds())
	sent := 0
	for _, d := range m.Directions {
		sent += d.Sent
	}
	if int64(sent) != n {
		return nil, fmt.Errorf("progress: bench: metrics counted %d requests, SQL %d", sent, n)
	}
	last := ds.Rounds[len(ds.Rounds)-1].Number
	t = time.Now()
	rep, err := svc.Report(ctx, last)
	if err != nil {
		return nil, err
	}
	var html, pdf countWriter
	if err := WriteHTML(&html, rep); err != nil {
		return nil, err
	}
	if err := WritePDF(&pdf, rep); err != nil {
		return nil, err
	}
	res.Seconds = round3(time.Since(t).Seconds())
	res.HTMLBytes, res.PDFBytes = int(html), int(pdf)
	res.Directions, res.Groups = len(rep.Figures.Current.Directions), len(rep.Figures.Current.Requests)
	res.RequestsPerSecond = float64(int(float64(o.Requests) / res.Seconds))
	say("report of round %d over %d requests in %.2fs", last, o.Requests, res.Seconds)
	return res, nil
}

type countWriter int

func (c *countWriter) Write(p []byte) (int, error) { *c += countWriter(len(p)); return len(p), nil }

var _ io.Writer = (*countWriter)(nil)

func round3(f float64) float64 { return float64(int64(f*1000+0.5)) / 1000 }

// benchRequests writes n requests whose times spread over the last two
// example rounds' periods: a tenth refused, most acknowledged and answered,
// some late, one in a hundred exercise traffic.
func benchRequests(ctx context.Context, st store.Store, n int, say func(string, ...any)) error {
	types := []request.Type{request.Preservation, request.Subscriber, request.TrafficData, request.MLA, request.Information}
	prios := []request.Priority{request.Routine, request.Urgent, request.Emergency}
	grounds := []string{"essential_interests", "political_offence", "no_dual_criminality"}
	base := time.Date(2016, 12, 8, 0, 0, 0, 0, time.UTC)
	span := time.Date(2025, 12, 31, 0, 0, 0, 0, time.UTC).Sub(base)
	const batch = 50_000
	for done := 0; done < n; {
		end := min(done+batch, n)
		err := st.InTx(ctx, func(q store.Queries) error {
			rows := make([]store.RequestRow, 0, end-done)
			for i := done; i < end; i++ {
				h := uint64(i)*0x9e3779b97f4a7c15 + 1
				sent := base.Add(time.Duration(h%uint64(span/time.Second)) * time.Second)
				from, to := "US", "CN"
				if i%2 == 1 {
					from, to = "CN", "US"
				}
				s := request.State{Status: request.Answered, Lamport: 4, Sent: sent, Delivered: sent.Add(2 * time.Second)}
				s.AckDue = s.Delivered.Add(24 * time.Hour)
				s.Acknowledged = s.Delivered.Add(time.Duration(h>>8%(36*3600)) * time.Second)
				s.AnswerBase = s.Delivered.Add(30 * 24 * time.Hour)
				switch {
				case (h>>24)%10 == 3:
					s.Status, s.Ground, s.Reasons, s.Finished = request.Refused, grounds[(h>>20)%3], "bench", s.Acknowledged.Add(time.Hour)
				case (h>>24)%10 == 7:
					s.Status = request.Acknowledged
				default:
					s.Answered = s.Delivered.Add(time.Duration(h>>16%(40*24*3600)) * time.Second)
					s.Finished = s.Answered
				}
				state, err := json.Marshal(s)
				if err != nil {
					return err
				}
				r := store.RequestRow{ID: fmt.Sprintf("bench%021d", i), Reference: fmt.Sprintf("BENCH-%d", i), Type: string(types[i%len(types)]),
					Priority: string(prios[(i/5)%len(prios)]), Requesting: from, Requested: to, Outgoing: from == "US", Exercise: i%100 == 99,
					VisibleTo: []string{}, CreatedBy: "bench", Created: sent, Content: []byte(`{}`), Status: string(s.Status),
					Lamport: 4, Updated: sent, State: state}
				rows = append(rows, r)
			}
			return q.LoadRequests(ctx, rows)
		})
		if err != nil {
			return err
		}
		done = end
		say("  %d/%d requests written", done, n)
	}
	return nil
}
