package cli

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/liaison-dev/liaison/internal/intel/intelbench"
)

func benchIntelCmd() *cobra.Command {
	var o intelbench.IntelOptions
	var asJSON bool
	c := &cobra.Command{
		Use:   "intel [--json] [--objects N] [--collection N] [--pages N]",
		Short: "STIX ingest against " + intelbench.PeerVersion + " in the same run, durable ingest, and TAXII page latency over a large collection",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !asJSON {
				fmt.Fprintf(cmd.ErrOrStderr(), "storing %d objects, then timing %d TAXII pages...\n", o.Collection, o.Pages)
			}
			res, err := intelbench.RunIntel(cmd.Context(), o)
			if err != nil {
				return err
			}
			return printBench(cmd.OutOrStdout(), asJSON, res)
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print one JSON object")
	c.Flags().IntVar(&o.Parse, "objects", 100_000, "bundle size for the parser comparison")
	c.Flags().IntVar(&o.Collection, "collection", 1_000_000, "objects stored in the TAXII collection")
	c.Flags().IntVar(&o.Pages, "pages", 200, "TAXII pages of 1000 objects to time")
	c.Flags().StringVar(&o.Dir, "dir", "", "scratch directory (default: temporary)")
	c.Flags().StringVar(&o.Database, "database", "", "postgres:// URL to benchmark PostgreSQL instead of SQLite")
	return c
}

func benchMatchCmd() *cobra.Command {
	var o intelbench.MatchOptions
	var asJSON bool
	c := &cobra.Command{
		Use:   "match [--json] [--indicators N] [--lookups N] [--bulk N]",
		Short: "Indicator lookups against a large index, a bulk sweep, index memory, and a plain-map baseline",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			res, err := intelbench.RunMatch(cmd.Context(), o)
			if err != nil {
				return err
			}
			return printBench(cmd.OutOrStdout(), asJSON, res)
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print one JSON object")
	c.Flags().IntVar(&o.Indicators, "indicators", 1_000_000, "indicators in the index")
	c.Flags().IntVar(&o.Lookups, "lookups", 5_000_000, "single lookups to time")
	c.Flags().IntVar(&o.Bulk, "bulk", 1_000_000, "observables in the bulk sweep")
	return c
}

// printBench prints a benchmark result as one JSON object, or indented.
func printBench(w io.Writer, asJSON bool, v any) error {
	if asJSON {
		return printJSONLine(w, v)
	}
	return printJSON(w, v)
}
