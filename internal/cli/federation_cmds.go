package cli

import (
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/liaison-dev/liaison/internal/federation"
	"github.com/liaison-dev/liaison/internal/identity"
	"github.com/liaison-dev/liaison/internal/node"
)

// federationCmd is `liaison federation`: the outbox as operators see it.
func federationCmd() *cobra.Command {
	c := &cobra.Command{Use: "federation", Short: "Inspect the exchange with peers: queues, failures, receipts"}
	var dir string
	var asJSON bool
	status := &cobra.Command{
		Use: "status --dir DIR [--json]", Short: "Per peer: queue depth, oldest waiting message, failures and health", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withNode(cmd, dir, func(nd *node.Node) error {
				st, err := federation.PeerStatuses(cmd.Context(), nd.Store)
				if err != nil {
					return err
				}
				if asJSON {
					return printJSON(cmd.OutOrStdout(), st)
				}
				return printPeerStatuses(cmd, st, true)
			})
		},
	}
	status.Flags().StringVar(&dir, "dir", "", "node directory (required)")
	status.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	c.AddCommand(status)
	return c
}

// printPeerStatuses is the table of `liaison peer list` and
// `liaison federation status`.
func printPeerStatuses(cmd *cobra.Command, st []federation.PeerStatus, detail bool) error {
	tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PARTY\tNAME\tENDPOINT\tSIGNING KEY\tTLS FINGERPRINT\tLAST CONTACT\tQUEUE\tFAILED\tHEALTH")
	for _, p := range st {
		last := "never"
		if !p.LastContact.IsZero() {
			last = p.LastContact.Format(time.RFC3339)
		}
		health := p.Health
		if p.Attempts > 0 {
			health = fmt.Sprintf("%s (%d attempts)", p.Health, p.Attempts)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%.16s…\t%s\t%d\t%d\t%s\n", p.Party, p.Name, p.Endpoint, identity.KeyFingerprint(p.SigningKey),
			p.TLSFingerprint, last, p.QueueDepth, p.Failed, health)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if detail {
		for _, p := range st {
			if p.LastError != "" {
				fmt.Fprintf(cmd.OutOrStdout(), "%s: last error: %s\n", p.Party, p.LastError)
			}
			if !p.OldestPending.IsZero() {
				fmt.Fprintf(cmd.OutOrStdout(), "%s: oldest waiting message enqueued %s\n", p.Party, p.OldestPending.Format(time.RFC3339))
			}
		}
	}
	return nil
}
