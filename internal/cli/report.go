package cli

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/liaison-dev/liaison/internal/node"
	"github.com/liaison-dev/liaison/internal/progress"
)

func reportCmd() *cobra.Command {
	var dir, out string
	var round int
	c := &cobra.Command{
		Use:   "report --dir DIR --round N --out FILE",
		Short: "Write the signed progress report of a dialogue round: FILE.html (self-contained, figures embedded) and FILE.pdf",
		Long: "Checkpoints the ledger, computes every figure of the round's period (to the next round, or to the checkpoint for the\n" +
			"last round) and of the previous round's from the record, and writes a self-contained HTML report (commitments, metrics,\n" +
			"SVG charts, trends, the checkpoint; its signed figures embedded as JSON) and the same report as PDF. The other party\n" +
			"checks it with `liaison report verify FILE.html --dir DIR`.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "" || round < 0 {
				return usageError{errors.New("--round and --out are required")}
			}
			base := strings.TrimSuffix(strings.TrimSuffix(out, ".html"), ".pdf")
			return withNode(cmd, dir, func(n *node.Node) error {
				rep, err := n.Progress.Report(cmd.Context(), round)
				if err != nil {
					return err
				}
				var h, p bytes.Buffer
				if err := progress.WriteHTML(&h, rep); err != nil {
					return err
				}
				if err := progress.WritePDF(&p, rep); err != nil {
					return err
				}
				if err := os.WriteFile(base+".html", h.Bytes(), 0o600); err != nil {
					return err
				}
				if err := os.WriteFile(base+".pdf", p.Bytes(), 0o600); err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "report of round %d at checkpoint %d of %s: %s.html, %s.pdf\n",
					round, rep.Figures.Checkpoint.Size, rep.Figures.Checkpoint.Origin, base, base)
				return nil
			})
		},
	}
	c.Flags().StringVar(&dir, "dir", "", "node directory (required)")
	c.Flags().IntVar(&round, "round", -1, "round number (required)")
	c.Flags().StringVar(&out, "out", "", "output file name; .html and .pdf are written (required)")
	c.AddCommand(reportVerifyCmd(), reportListCmd())
	return c
}

func reportListCmd() *cobra.Command {
	var dir string
	var asJSON bool
	c := &cobra.Command{
		Use:   "list --dir DIR [--json]",
		Short: "Reports made or verified at this node, with the cosignatures each holds",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withNode(cmd, dir, func(n *node.Node) error {
				rs, err := n.Progress.Reports(cmd.Context(), 100)
				if err != nil {
					return err
				}
				if asJSON {
					return printJSON(cmd.OutOrStdout(), rs)
				}
				for _, r := range rs {
					var by []string
					for _, c := range r.Cosignatures {
						by = append(by, c.Party)
					}
					fmt.Fprintf(cmd.OutOrStdout(), "%s  round %d by %s at checkpoint %d, %s; cosigned by: %s\n", r.FiguresSHA256[:16], r.Round,
						r.Origin, r.Checkpoint, r.Created.Format("2006-01-02 15:04"), strings.Join(by, ", "))
				}
				return nil
			})
		},
	}
	c.Flags().StringVar(&dir, "dir", "", "node directory (required)")
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return c
}

func reportVerifyCmd() *cobra.Command {
	var dir, out string
	var asJSON bool
	c := &cobra.Command{
		Use:   "verify FILE --dir DIR [--out COSIGNED.html]",
		Short: "Recompute every signed figure of a peer's report from this node's record; if all match, cosign it (exit 1 if not)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			data, err := os.ReadFile(args[0])
			if err != nil {
				return err
			}
			rep, err := progress.ReadReport(data)
			if err != nil {
				return err
			}
			return withNode(cmd, dir, func(n *node.Node) error {
				v, err := n.Progress.Verify(cmd.Context(), rep)
				if err != nil {
					if asJSON && v != nil {
						printJSON(cmd.OutOrStdout(), v)
					}
					return &codeError{code: exitError, err: err}
				}
				if out != "" {
					var b bytes.Buffer
					write := progress.WriteHTML
					if strings.HasSuffix(out, ".pdf") {
						write = progress.WritePDF
					}
					if err := write(&b, rep); err != nil {
						return err
					}
					if err := os.WriteFile(out, b.Bytes(), 0o600); err != nil {
						return err
					}
				}
				if asJSON {
					return printJSON(cmd.OutOrStdout(), v)
				}
				keys := map[string]ed25519.PublicKey{n.Config.Party: n.Identity.SigningPublic()}
				ok, _ := progress.CheckCosignatures(rep, keys)
				fmt.Fprintf(cmd.OutOrStdout(), "OK: report of round %d by %s, %d figures recomputed from this node's record and equal; "+
					"checkpoint %d of %s (witnessed by this node: %v); cosigned by %s\n",
					v.Round, v.Origin, v.Figures, v.Checkpoint, rep.Figures.Checkpoint.Origin, v.Witnessed, strings.Join(ok, ", "))
				fmt.Fprintf(cmd.OutOrStdout(), "cosignature %s %s\n", v.Cosignature.Party, v.Cosignature.Signature)
				return nil
			})
		},
	}
	c.Flags().StringVar(&dir, "dir", "", "node directory (required)")
	c.Flags().StringVar(&out, "out", "", "write the report with this node's cosignature added (.html or .pdf)")
	c.Flags().BoolVar(&asJSON, "json", false, "print the verification as JSON")
	return c
}
