package cli

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/liaison-dev/liaison/internal/node"
	"github.com/liaison-dev/liaison/internal/progress"
)

func progressService(n *node.Node) *progress.Service {
	return n.Progress
}

func roundCmd() *cobra.Command {
	c := &cobra.Command{Use: "round", Short: "Dialogue rounds and the commitments made at them"}
	c.AddCommand(roundImportCmd(), roundListCmd(), roundShowCmd())
	return c
}

func roundImportCmd() *cobra.Command {
	var dir string
	var example, check bool
	c := &cobra.Command{
		Use:   "import --dir DIR FILE | --example",
		Short: "Import rounds and commitments from a YAML or JSON file ('-' for standard input), or the shipped 2015-2017 US-China rounds",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var name string
			var r io.Reader
			switch {
			case example && len(args) == 0:
				name, r = progress.ExampleName, bytes.NewReader(progress.Example())
			case !example && len(args) == 1 && args[0] == "-":
				name, r = "stdin", cmd.InOrStdin()
			case !example && len(args) == 1:
				f, err := os.Open(args[0])
				if err != nil {
					return err
				}
				defer f.Close()
				name, r = args[0], f
			default:
				return usageError{errors.New("give a FILE or --example")}
			}
			ds, err := progress.ParseFile(name, r)
			if err != nil {
				return err
			}
			if check {
				fmt.Fprintf(cmd.OutOrStdout(), "%s: %d rounds, valid\n", name, len(ds.Rounds))
				return nil
			}
			return withNode(cmd, dir, func(n *node.Node) error {
				res, err := progressService(n).Import(cmd.Context(), actor(), ds)
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "imported %d rounds and %d commitments from %s (ledger entry %d)\n",
					res.Rounds, res.Commitments, name, res.LedgerIndex)
				return nil
			})
		},
	}
	c.Flags().StringVar(&dir, "dir", "", "node directory (required unless --check)")
	c.Flags().BoolVar(&example, "example", false, "import the shipped US-China rounds of 2015-2017")
	c.Flags().BoolVar(&check, "check", false, "only validate the file")
	return c
}

func roundListCmd() *cobra.Command {
	var dir string
	var asJSON bool
	c := &cobra.Command{
		Use:   "list --dir DIR [--json]",
		Short: "List rounds with their commitments counted by status",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withNode(cmd, dir, func(n *node.Node) error {
				rs, err := progressService(n).Rounds(cmd.Context())
				if err != nil {
					return err
				}
				if asJSON {
					return printJSON(cmd.OutOrStdout(), rs)
				}
				w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
				fmt.Fprintln(w, "N\tDATE\tPLACE\tTITLE\tCOMMITMENTS\tDONE\tOPEN")
				for _, r := range rs {
					fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%d\t%d\t%d\n", r.Number, r.Date, r.Place, r.Title, r.Commitments,
						r.ByStatus["done"], r.ByStatus["open"]+r.ByStatus["in_progress"])
				}
				return w.Flush()
			})
		},
	}
	c.Flags().StringVar(&dir, "dir", "", "node directory (required)")
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return c
}

func roundShowCmd() *cobra.Command {
	var dir string
	var asJSON bool
	c := &cobra.Command{
		Use:   "show --dir DIR N [--json]",
		Short: "Show a round, its co-chairs and its commitments with status and evidence",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			num, err := strconv.Atoi(args[0])
			if err != nil {
				return usageError{fmt.Errorf("round number %q: not a number", args[0])}
			}
			return withNode(cmd, dir, func(n *node.Node) error {
				d, err := progressService(n).Round(cmd.Context(), num)
				if err != nil {
					return err
				}
				if asJSON {
					return printJSON(cmd.OutOrStdout(), d)
				}
				out := cmd.OutOrStdout()
				fmt.Fprintf(out, "Round %d: %s\n%s, %s\n", d.Number, d.Title, d.Date, d.Place)
				for _, c := range d.CoChairs {
					fmt.Fprintf(out, "  co-chair (%s): %s, %s\n", c.Party, c.Name, c.Title)
				}
				w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
				fmt.Fprintln(w, "\nID\tSTATUS\tDUE\tOWNERS\tEVIDENCE")
				for _, c := range d.Commitments {
					var owners []string
					for _, o := range c.Owners {
						owners = append(owners, strings.TrimSuffix(o.Party+"/"+o.Agency, "/"))
					}
					fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%d\n", c.ID, c.Status, c.Due, strings.Join(owners, ","), len(c.Evidence))
				}
				return w.Flush()
			})
		},
	}
	c.Flags().StringVar(&dir, "dir", "", "node directory (required)")
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return c
}
