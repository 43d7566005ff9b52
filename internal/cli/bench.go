package cli

import (
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/liaison-dev/liaison/internal/federation/fedbench"
)

// benchCmd is `liaison bench`: each subcommand prints one JSON object with
// its figures and the same-run baseline.
func benchCmd() *cobra.Command {
	c := &cobra.Command{Use: "bench", Short: "Measure throughput and latency on this machine, against a same-run baseline"}
	c.AddCommand(benchFederationCmd(), benchIntelCmd(), benchMatchCmd())
	c.AddCommand(benchLedgerCmd())
	c.AddCommand(benchReportCmd())
	return c
}

func benchFederationCmd() *cobra.Command {
	var o fedbench.Options
	var asJSON, keep bool
	c := &cobra.Command{
		Use:   "federation [--json] [--messages N] [--faults --restarts N]",
		Short: "Two real nodes on loopback: durable, signed, encrypted, receipted messages per second, latency, and a plain HTTPS+SQLite baseline",
		Long: "Creates two nodes in a scratch directory, pairs them and serves them on loopback, then measures:\n" +
			"  throughput: --messages messages committed to the sender's outbox and delivered with a stored, verified receipt;\n" +
			"  latency: p50/p99 from enqueue to stored receipt at --rate msg/s offered, one message per transaction;\n" +
			"  baseline: the same number of plain HTTPS POSTs of the same size to a minimal server committing each body to SQLite with the same durability.\n" +
			"With --faults the nodes talk through a fault-injecting proxy (drops, resets, delays, reordering) and --restarts kills and restarts a node mid-stream; it reports sent, delivered, receipts, lost and duplicates_applied.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			done, err := benchScratch(cmd, "", &o.Dir, &o.Progress, keep, asJSON)
			if err != nil {
				return err
			}
			defer done()
			res, err := fedbench.Run(cmd.Context(), o)
			if err != nil {
				return err
			}
			return printJSON(cmd.OutOrStdout(), res)
		},
	}
	f := c.Flags()
	f.BoolVar(&asJSON, "json", false, "print only the JSON result")
	f.IntVar(&o.Messages, "messages", 10000, "messages in the throughput phase")
	f.IntVar(&o.PayloadSize, "payload", 512, "payload bytes per message")
	f.IntVar(&o.Conversations, "conversations", 64, "conversations the messages are spread over")
	f.IntVar(&o.OfferedRate, "rate", 1000, "offered load of the latency phase, msg/s")
	f.DurationVar(&o.OfferedFor, "rate-for", 3*time.Second, "duration of the latency phase")
	f.BoolVar(&o.Faults, "faults", false, "run through the fault-injecting proxy")
	f.IntVar(&o.Restarts, "restarts", 0, "with --faults: kill and restart a node this many times mid-stream")
	f.IntVar(&o.Concurrency, "concurrency", 16, "baseline client concurrency")
	f.StringVar(&o.Dir, "dir", "", "scratch directory (default: a temporary directory, removed afterwards)")
	f.BoolVar(&keep, "keep", false, "keep the scratch directory")
	return c
}

// benchScratch prepares a bench run: a scratch directory in *dir unless
// one is given (temporary, removed by done unless keep), and progress
// lines on standard error unless the run prints JSON only.
func benchScratch(cmd *cobra.Command, name string, dir *string, progress *func(string), keep, asJSON bool) (done func(), err error) {
	done = func() {}
	if *dir == "" {
		tmp, err := os.MkdirTemp("", "liaison-bench-"+name)
		if err != nil {
			return nil, err
		}
		*dir = tmp
		if !keep {
			done = func() { os.RemoveAll(tmp) }
		}
	}
	if !asJSON {
		*progress = func(s string) { fmt.Fprintln(cmd.ErrOrStderr(), s) }
	}
	return done, nil
}
