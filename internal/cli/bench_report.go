package cli

import (
	"github.com/spf13/cobra"

	"github.com/liaison-dev/liaison/internal/progress"
)

func benchReportCmd() *cobra.Command {
	var o progress.BenchOptions
	var asJSON, keep bool
	c := &cobra.Command{
		Use:   "report [--json] [--requests N]",
		Short: "Progress report (metrics, HTML and PDF) over --requests requests, against a plain SQL aggregate over the same rows",
		Long: "Writes --requests requests (1% exercise traffic, excluded) and the example rounds into a scratch SQLite database in large\n" +
			"transactions, then times:\n" +
			"  seconds: the signed report of the last round (metrics of two periods in one pass, HTML with SVG charts, PDF);\n" +
			"  metrics_seconds: the metrics alone over the whole record;\n" +
			"  baseline_seconds: one SQL COUNT(*) GROUP BY over the same rows.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			done, err := benchScratch(cmd, "report-", &o.Dir, &o.Progress, keep, asJSON)
			if err != nil {
				return err
			}
			defer done()
			res, err := progress.BenchReport(cmd.Context(), o)
			if err != nil {
				return err
			}
			return printJSON(cmd.OutOrStdout(), res)
		},
	}
	f := c.Flags()
	f.BoolVar(&asJSON, "json", false, "print only the JSON result")
	f.IntVar(&o.Requests, "requests", 1_000_000, "requests in the record")
	f.StringVar(&o.Dir, "dir", "", "scratch directory (default: a temporary directory, removed afterwards)")
	f.BoolVar(&keep, "keep", false, "keep the scratch directory")
	return c
}
