package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/liaison-dev/liaison/internal/auth"
	"github.com/liaison-dev/liaison/internal/casework"
	"github.com/liaison-dev/liaison/internal/node"
)

// maxCaseInput bounds a JSON input file of the case commands.
const maxCaseInput = 4 << 20

// readJSONInput decodes a JSON file (or - for standard input) into v,
// refusing unknown fields so a misspelt key is reported, not ignored.
func readJSONInput(cmd *cobra.Command, name string, v any) error {
	f, err := openFile(name, cmd.InOrStdin())
	if err != nil {
		return err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxCaseInput+1))
	if err != nil {
		return err
	}
	if len(b) > maxCaseInput {
		return fmt.Errorf("%s: larger than %d bytes", name, maxCaseInput)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}

func caseCmd() *cobra.Command {
	c := &cobra.Command{Use: "case", Short: "Joint cases: open, list, show, items, tasks, parties, sharing and permissions, BEC action plan"}
	c.AddCommand(caseCategoriesCmd(), caseOpenCmd(), caseListCmd(), caseShowCmd(), caseItemCmd(), caseTaskCmd(), caseJoinCmd(),
		caseShareCmd(), casePermissionCmd(), caseBECCmd())
	return c
}

func caseCategoriesCmd() *cobra.Command {
	return &cobra.Command{
		Use: "categories", Short: "The crime taxonomy of joint cases", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			for _, c := range casework.Categories {
				fmt.Fprintf(cmd.OutOrStdout(), "%-12s %s\n", c.Code, c.Title)
			}
			return nil
		},
	}
}

// caseRun opens the node and acts as the --as user.
func caseRun(f *requestFlags, fn func(cmd *cobra.Command, n *node.Node, p *auth.Principal) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, _ []string) error {
		return f.run(cmd, func(n *node.Node, p *auth.Principal) error { return fn(cmd, n, p) })
	}
}

func printCase(cmd *cobra.Command, asJSON bool, v casework.View) error {
	if asJSON {
		return printJSON(cmd.OutOrStdout(), v)
	}
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	_, err = cmd.OutOrStdout().Write(append(b, '\n'))
	return err
}

func caseOpenCmd() *cobra.Command {
	var f requestFlags
	var file string
	c := &cobra.Command{
		Use:   "open --dir DIR --as USER --file CASE.json",
		Short: "Open a joint case (JSON: title, summary, category, parties, handling, ...)",
		Args:  cobra.NoArgs,
	}
	c.RunE = caseRun(&f, func(cmd *cobra.Command, n *node.Node, p *auth.Principal) error {
		var in casework.OpenInput
		if err := readJSONInput(cmd, file, &in); err != nil {
			return err
		}
		v, err := n.Cases.Open(cmd.Context(), p, in)
		if err != nil {
			return err
		}
		if !f.json {
			fmt.Fprintf(cmd.OutOrStdout(), "opened case %s\n", v.ID)
			return nil
		}
		return printCase(cmd, true, v)
	})
	f.add(c)
	c.Flags().StringVar(&file, "file", "", "the case as JSON (- for standard input)")
	c.MarkFlagRequired("file")
	return c
}

func caseListCmd() *cobra.Command {
	var f requestFlags
	var flt casework.Filter
	c := &cobra.Command{Use: "list --dir DIR --as USER [--q TEXT] [--category C] [--status S] [--party P]", Short: "Search the cases you may see", Args: cobra.NoArgs}
	c.RunE = caseRun(&f, func(cmd *cobra.Command, n *node.Node, p *auth.Principal) error {
		l, err := n.Cases.List(cmd.Context(), p, flt)
		if err != nil {
			return err
		}
		if f.json {
			return printJSON(cmd.OutOrStdout(), l)
		}
		tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tREFERENCE\tCATEGORY\tSTATUS\tPARTIES\tTITLE")
		for _, s := range l {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", s.ID, s.Reference, s.Category, s.Status, strings.Join(s.Parties, ","), s.Title)
		}
		return tw.Flush()
	})
	f.add(c)
	c.Flags().StringVar(&flt.Text, "q", "", "full-text search")
	c.Flags().StringVar(&flt.Category, "category", "", "category code (see case categories)")
	c.Flags().StringVar(&flt.Status, "status", "", "status")
	c.Flags().StringVar(&flt.Party, "party", "", "participating party")
	return c
}

func caseShowCmd() *cobra.Command {
	var f requestFlags
	var id string
	c := &cobra.Command{Use: "show --dir DIR --as USER --id ID", Short: "A case with its timeline, items, tasks and correlations", Args: cobra.NoArgs}
	c.RunE = caseRun(&f, func(cmd *cobra.Command, n *node.Node, p *auth.Principal) error {
		v, err := n.Cases.Get(cmd.Context(), p, id)
		if err != nil {
			return err
		}
		return printCase(cmd, f.json, v)
	})
	f.add(c)
	c.Flags().StringVar(&id, "id", "", "case id (required)")
	c.MarkFlagRequired("id")
	return c
}

func caseItemCmd() *cobra.Command {
	var f requestFlags
	var id, file string
	c := &cobra.Command{
		Use:   "add-item --dir DIR --as USER --id ID --file ITEM.json",
		Short: "Share an item in a case (indicator, account, wallet, e-mail, hash, note, link) with its handling",
		Args:  cobra.NoArgs,
	}
	c.RunE = caseRun(&f, func(cmd *cobra.Command, n *node.Node, p *auth.Principal) error {
		var it casework.Item
		if err := readJSONInput(cmd, file, &it); err != nil {
			return err
		}
		v, err := n.Cases.AddItem(cmd.Context(), p, id, it)
		if err != nil {
			return err
		}
		if !f.json {
			fmt.Fprintf(cmd.OutOrStdout(), "item added to case %s (%d correlation flags)\n", v.ID, len(v.Flags))
			return nil
		}
		return printCase(cmd, true, v)
	})
	f.add(c)
	c.Flags().StringVar(&id, "id", "", "case id (required)")
	c.Flags().StringVar(&file, "file", "", "the item as JSON (- for standard input)")
	c.MarkFlagRequired("id")
	c.MarkFlagRequired("file")
	return c
}

func caseBECCmd() *cobra.Command {
	var f requestFlags
	var file string
	c := &cobra.Command{
		Use:   "bec --dir DIR --as USER --file REPORT.json",
		Short: "BEC action plan: open a joint case with the beneficiary's party and send an emergency wire-recall request",
		Args:  cobra.NoArgs,
	}
	c.RunE = caseRun(&f, func(cmd *cobra.Command, n *node.Node, p *auth.Principal) error {
		var r casework.BECReport
		if err := readJSONInput(cmd, file, &r); err != nil {
			return err
		}
		res, err := n.Cases.ReportBEC(cmd.Context(), p, r)
		if err != nil {
			return err
		}
		if f.json {
			return printJSON(cmd.OutOrStdout(), res)
		}
		fmt.Fprintf(cmd.OutOrStdout(), "opened case %s and sent recall request %s to %s\n", res.Case.ID, res.Request.ID, r.BeneficiaryParty)
		return nil
	})
	f.add(c)
	c.Flags().StringVar(&file, "file", "", "the BEC report as JSON (- for standard input)")
	c.MarkFlagRequired("file")
	return c
}

func leadCmd() *cobra.Command {
	c := &cobra.Command{Use: "lead", Short: "Cybercrime leads: send, list, accept, decline"}
	var f requestFlags
	var file string
	send := &cobra.Command{Use: "send --dir DIR --as USER --file LEAD.json", Short: "Send a lead into a case or as a proposal for a new one", Args: cobra.NoArgs}
	send.RunE = caseRun(&f, func(cmd *cobra.Command, n *node.Node, p *auth.Principal) error {
		var d casework.LeadDraft
		if err := readJSONInput(cmd, file, &d); err != nil {
			return err
		}
		l, err := n.Cases.SendLead(cmd.Context(), p, d)
		if err != nil {
			return err
		}
		fmt.Fprintf(cmd.OutOrStdout(), "sent lead %s to %s\n", l.ID, d.To)
		return nil
	})
	f.add(send)
	send.Flags().StringVar(&file, "file", "", "the lead as JSON (- for standard input)")
	send.MarkFlagRequired("file")

	var lf requestFlags
	var status, direction string
	list := &cobra.Command{Use: "list --dir DIR --as USER [--status S] [--direction in|out]", Short: "Leads sent and received", Args: cobra.NoArgs}
	list.RunE = caseRun(&lf, func(cmd *cobra.Command, n *node.Node, p *auth.Principal) error {
		l, err := n.Cases.ListLeads(cmd.Context(), p, status, direction)
		if err != nil {
			return err
		}
		if lf.json {
			return printJSON(cmd.OutOrStdout(), l)
		}
		tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tFROM\tTO\tSTATUS\tCATEGORY\tTITLE")
		for _, x := range l {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", x.ID, x.From, x.To, x.Status, x.Category, x.Title)
		}
		return tw.Flush()
	})
	lf.add(list)
	list.Flags().StringVar(&status, "status", "", "status")
	list.Flags().StringVar(&direction, "direction", "", "in or out")

	decide := func(use string, accept bool) *cobra.Command {
		var df requestFlags
		var id, reason string
		d := &cobra.Command{Use: use + " --dir DIR --as USER --id ID", Args: cobra.NoArgs}
		if accept {
			d.Short = "Accept a received lead (creating or joining its case)"
		} else {
			d.Short = "Decline a received lead with a reason"
		}
		d.RunE = caseRun(&df, func(cmd *cobra.Command, n *node.Node, p *auth.Principal) error {
			l, err := n.Cases.DecideLead(cmd.Context(), p, id, accept, reason)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "lead %s %s\n", l.ID, l.Status)
			return nil
		})
		df.add(d)
		d.Flags().StringVar(&id, "id", "", "lead id (required)")
		d.Flags().StringVar(&reason, "reason", "", "why (required to decline)")
		d.MarkFlagRequired("id")
		return d
	}
	c.AddCommand(send, list, decide("accept", true), decide("decline", false))
	return c
}
