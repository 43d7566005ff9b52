package cli

import (
	"time"

	"github.com/spf13/cobra"

	"github.com/liaison-dev/liaison/internal/ledger"
)

func benchLedgerCmd() *cobra.Command {
	var o ledger.BenchOptions
	var asJSON, keep bool
	c := &cobra.Command{
		Use:   "ledger [--json] [--entries N] [--build-for D]",
		Short: "Durable ledger appends per second with checkpoints, and inclusion proof time at --entries entries",
		Long: "Measures on SQLite in a scratch directory:\n" +
			"  appends_per_s: transactions of --batch Append calls, each transaction followed by a signed checkpoint, for --append-for;\n" +
			"  baseline_inserts_per_s: the same rows into a plain table, same batching and durability;\n" +
			"  proof_us / verify_us: inclusion proof generation and offline verification at --entries entries (bulk-loaded and\n" +
			"  integrated within --build-for; if the budget runs out first, entries says the size reached).",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			done, err := benchScratch(cmd, "ledger-", &o.Dir, &o.Progress, keep, asJSON)
			if err != nil {
				return err
			}
			defer done()
			res, err := ledger.Bench(cmd.Context(), o)
			if err != nil {
				return err
			}
			return printJSON(cmd.OutOrStdout(), res)
		},
	}
	f := c.Flags()
	f.BoolVar(&asJSON, "json", false, "print only the JSON result")
	f.IntVar(&o.Batch, "batch", 256, "appends per transaction in the append phase")
	f.DurationVar(&o.AppendFor, "append-for", 5*time.Second, "duration of the append phase")
	f.Int64Var(&o.Entries, "entries", 10_000_000, "tree size for the proof phase")
	f.DurationVar(&o.BuildBudget, "build-for", 5*time.Minute, "time budget for building the tree")
	f.IntVar(&o.Proofs, "proofs", 2000, "random inclusion proofs timed")
	f.StringVar(&o.Dir, "dir", "", "scratch directory (default: a temporary directory, removed afterwards)")
	f.BoolVar(&keep, "keep", false, "keep the scratch directory")
	return c
}
