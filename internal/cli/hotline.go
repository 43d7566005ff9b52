package cli

import (
	"context"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/liaison-dev/liaison/internal/hotline"
	"github.com/liaison-dev/liaison/internal/node"
	"github.com/liaison-dev/liaison/internal/store"
)

func hotlineCmd() *cobra.Command {
	c := &cobra.Command{Use: "hotline", Short: "The 24/7 hotline: drills, calls, acknowledgement"}
	var dir, peer string
	var asJSON bool
	var wait time.Duration
	drill := &cobra.Command{
		Use:   "drill --dir DIR --peer CODE [--wait 15m]",
		Short: "Ring a peer's hotline as a drill (flagged as a test) and record the time to acknowledgement",
		Long: "Queues a drill to the peer; the node's running server delivers it. With --wait the command waits " +
			"for the peer's acknowledgement and prints the measured time (the drill record keeps it either way: " +
			"`liaison hotline calls --drills`).",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withNode(cmd, dir, func(n *node.Node) error {
				v, err := n.Hotline.Drill(cmd.Context(), actor(), peer)
				if err != nil {
					return err
				}
				if wait > 0 {
					ctx, cancel := context.WithTimeout(cmd.Context(), wait)
					defer cancel()
					for v.Acked.IsZero() && ctx.Err() == nil {
						select {
						case <-ctx.Done():
						case <-time.After(time.Second):
						}
						c, err := n.Store.GetCall(cmd.Context(), v.ID)
						if err != nil {
							return err
						}
						v = hotline.ViewOf(c)
					}
				}
				if asJSON {
					return printJSON(cmd.OutOrStdout(), v)
				}
				if v.Acked.IsZero() {
					fmt.Fprintf(cmd.OutOrStdout(), "drill %s to %s started %s; not acknowledged yet\n", v.ID, v.Peer, v.Started.Format(time.RFC3339))
					return nil
				}
				fmt.Fprintf(cmd.OutOrStdout(), "drill %s to %s acknowledged by %s after %s\n", v.ID, v.Peer, v.AckedBy, v.TimeToAckText)
				return nil
			})
		},
	}
	drill.Flags().StringVar(&dir, "dir", "", "node directory (required)")
	drill.Flags().StringVar(&peer, "peer", "", "the peer's party code (required)")
	drill.Flags().DurationVar(&wait, "wait", 0, "wait this long for the acknowledgement")
	drill.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	drill.MarkFlagRequired("peer")

	var drills, open bool
	calls := &cobra.Command{
		Use: "calls --dir DIR [--drills] [--open] [--json]", Short: "Hotline calls and drill results, newest first", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withNode(cmd, dir, func(n *node.Node) error {
				f := store.CallFilter{Open: open, Peer: peer}
				if drills {
					f.Drill = &drills
				}
				l, err := n.Hotline.Calls(cmd.Context(), f)
				if err != nil {
					return err
				}
				if asJSON {
					return printJSON(cmd.OutOrStdout(), l)
				}
				tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "ID\tDIR\tPEER\tDRILL\tSTARTED\tLEVEL\tACKNOWLEDGED AFTER\tREASON")
				for _, v := range l {
					ack := "-"
					if !v.Acked.IsZero() {
						ack = v.TimeToAckText
					}
					fmt.Fprintf(tw, "%s\t%s\t%s\t%v\t%s\t%d\t%s\t%s\n", v.ID, v.Direction, v.Peer, v.Drill, v.Started.Format(time.RFC3339), v.Level, ack, v.Reason)
				}
				return tw.Flush()
			})
		},
	}
	calls.Flags().StringVar(&dir, "dir", "", "node directory (required)")
	calls.Flags().StringVar(&peer, "peer", "", "only calls with this peer")
	calls.Flags().BoolVar(&drills, "drills", false, "only drills")
	calls.Flags().BoolVar(&open, "open", false, "only unacknowledged calls")
	calls.Flags().BoolVar(&asJSON, "json", false, "print JSON")

	var as string
	ack := &cobra.Command{
		Use: "ack CALL --dir DIR --as USER", Short: "Acknowledge an incoming call", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f := requestFlags{dir: dir, as: as}
			return withNode(cmd, dir, func(n *node.Node) error {
				u, err := n.Store.GetUserByName(cmd.Context(), f.as)
				if err != nil {
					return fmt.Errorf("user %q: no such account", f.as)
				}
				v, err := n.Hotline.Ack(cmd.Context(), "user:"+u.Username, args[0])
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "call %s acknowledged after %s\n", v.ID, v.TimeToAckText)
				return nil
			})
		},
	}
	ack.Flags().StringVar(&dir, "dir", "", "node directory (required)")
	ack.Flags().StringVar(&as, "as", "", "the acknowledging user (required)")
	ack.MarkFlagRequired("as")
	c.AddCommand(drill, calls, ack)
	return c
}
