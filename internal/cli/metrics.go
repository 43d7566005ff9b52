package cli

import (
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/liaison-dev/liaison/internal/node"
)

func metricsCmd() *cobra.Command {
	var dir, from, to string
	var asJSON bool
	c := &cobra.Command{
		Use:   "metrics --dir DIR [--from DATE] [--to DATE] [--json]",
		Short: "Timeliness metrics from the record: requests sent and received, share acknowledged and answered in time, median and p90 times, refusals by ground, drills, intelligence shared (exercise traffic excluded)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withNode(cmd, dir, func(n *node.Node) error {
				f, t, err := parsePeriod(from, to, n.Clock.Now())
				if err != nil {
					return err
				}
				m, err := n.Progress.Metrics(cmd.Context(), f, t)
				if err != nil {
					return err
				}
				if asJSON {
					return printJSON(cmd.OutOrStdout(), m)
				}
				w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
				fmt.Fprintf(w, "period %s — %s\n\n", m.From.Format(time.RFC3339), m.To.Format(time.RFC3339))
				fmt.Fprintln(w, "DIRECTION\tTYPE\tPRIORITY\tCATEGORY\tSENT\tACK IN TIME\tANSWERED IN TIME\tACK MEDIAN/P90 (s)\tANSWER MEDIAN/P90 (s)\tREFUSED")
				for _, r := range append(m.Directions, m.Requests...) {
					typ := r.Type
					if typ == "" {
						typ = "(all)"
					}
					fmt.Fprintf(w, "%s→%s\t%s\t%s\t%s\t%d\t%d/%d\t%d/%d\t%g/%g\t%g/%g\t%d %v\n", r.From, r.To, typ, r.Priority, r.Category, r.Sent,
						r.AckOnTime, r.AckDue, r.AnswerOnTime, r.AnswerDue, r.AckMedianS, r.AckP90S, r.AnswerMedianS, r.AnswerP90S, r.Refused, r.RefusedBy)
				}
				fmt.Fprintln(w)
				for _, d := range m.Drills {
					fmt.Fprintf(w, "drills %s→%s\t%d\tacknowledged %d\tmedian %gs\tp90 %gs\tslowest %gs\n", d.From, d.To, d.Drills, d.Acked, d.MedianS, d.P90S, d.MaxS)
				}
				for _, i := range m.Intel {
					fmt.Fprintf(w, "%s→%s\t%s\t%d envelopes\n", i.From, i.To, i.Type, i.Count)
				}
				for _, c := range m.Cases {
					fmt.Fprintf(w, "cases opened by %s\t%s\topened %d\tclosed %d\n", c.Party, c.Category, c.Opened, c.Closed)
				}
				for _, l := range m.Leads {
					fmt.Fprintf(w, "leads %s→%s\t%s\tsent %d\taccepted %d\tdeclined %d\n", l.From, l.To, l.Category, l.Sent, l.Accepted, l.Declined)
				}
				return w.Flush()
			})
		},
	}
	c.Flags().StringVar(&dir, "dir", "", "node directory (required)")
	c.Flags().StringVar(&from, "from", "", "start of the period (RFC 3339 or YYYY-MM-DD; default: the beginning)")
	c.Flags().StringVar(&to, "to", "", "end of the period, exclusive (default: now)")
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return c
}

func parsePeriod(from, to string, now time.Time) (time.Time, time.Time, error) {
	parse := func(name, v string, def time.Time) (time.Time, error) {
		if v == "" {
			return def, nil
		}
		for _, layout := range []string{time.RFC3339, time.DateOnly} {
			if t, err := time.Parse(layout, v); err == nil {
				return t.UTC(), nil
			}
		}
		return time.Time{}, usageError{fmt.Errorf("--%s must be RFC 3339 or YYYY-MM-DD", name)}
	}
	f, err := parse("from", from, time.Unix(0, 0).UTC())
	if err != nil {
		return f, f, err
	}
	t, err := parse("to", to, now.UTC())
	if err != nil {
		return f, t, err
	}
	if !f.Before(t) {
		return f, t, usageError{fmt.Errorf("--from must be before --to")}
	}
	return f, t, nil
}
