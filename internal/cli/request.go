package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/liaison-dev/liaison/internal/auth"
	"github.com/liaison-dev/liaison/internal/node"
	"github.com/liaison-dev/liaison/internal/request"
)

// requestFlags are shared by the request subcommands: the node directory
// and the account the operator acts as (its roles decide what it may do).
type requestFlags struct {
	dir, as string
	json    bool
}

func (f *requestFlags) add(c *cobra.Command) {
	c.Flags().StringVar(&f.dir, "dir", "", "node directory (required)")
	c.Flags().StringVar(&f.as, "as", "", "act as this user (required; its roles decide what is allowed)")
	c.Flags().BoolVar(&f.json, "json", false, "print JSON")
}

// withPrincipal opens the node and loads the --as user.
func (f *requestFlags) run(cmd *cobra.Command, fn func(n *node.Node, p *auth.Principal) error) error {
	if f.as == "" {
		return usageError{errors.New("--as USER is required")}
	}
	return withNode(cmd, f.dir, func(n *node.Node) error {
		u, err := n.Store.GetUserByName(cmd.Context(), f.as)
		if err != nil || u.Disabled {
			return fmt.Errorf("user %q: no such enabled account", f.as)
		}
		return fn(n, &auth.Principal{User: u})
	})
}

func requestCmd() *cobra.Command {
	c := &cobra.Command{Use: "request", Short: "Requests for assistance: create, send, list, show, acknowledge, answer, refuse"}
	c.AddCommand(requestTypesCmd(), requestCreateCmd(), requestListCmd(), requestShowCmd())
	c.AddCommand(requestActionCmd("send", request.Send, "Send a draft to the requested party"))
	c.AddCommand(requestActionCmd("ack", request.Acknowledge, "Acknowledge a delivered request"))
	c.AddCommand(requestActionCmd("answer", request.Answer, "Answer a request (--completeness full|partial --text ...)"))
	c.AddCommand(requestActionCmd("refuse", request.Refuse, "Refuse a request on a ground (--ground G --reasons ...)"))
	c.AddCommand(requestActionCmd("act", "", "Take any action: act ID ACTION (start, ask_info, provide_info, postpone, resume, extend, withdraw, close, link, accept_conditions, decline_conditions)"))
	return c
}

func requestTypesCmd() *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use: "types [TYPE]", Short: "Request types and their fields, from the one declaration", Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			out := cmd.OutOrStdout()
			for _, s := range request.Schemas() {
				if len(args) == 1 && string(s.Type) != args[0] {
					continue
				}
				if asJSON {
					if err := printJSON(out, s); err != nil {
						return err
					}
					continue
				}
				fmt.Fprintf(out, "%s — %s (%s), by %s\n", s.Type, s.Title, s.Basis, s.Route)
				for _, pr := range request.Priorities {
					fmt.Fprintf(out, "  deadlines %-9s %s\n", pr, request.DefaultLimits(s.Type, pr))
				}
				for _, f := range s.Fields {
					req := " "
					if f.Required {
						req = "*"
					}
					vals := ""
					if len(f.Values) > 0 {
						vals = " [" + strings.Join(f.Values, "|") + "]"
					}
					fmt.Fprintf(out, "  %s %-26s %-9s %s%s\n", req, f.Name, f.Kind, f.Doc, vals)
				}
			}
			return nil
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return c
}

func requestCreateCmd() *cobra.Command {
	var f requestFlags
	var file string
	var send bool
	c := &cobra.Command{
		Use:   "create --dir DIR --as USER --file DRAFT.json [--send]",
		Short: "Create a draft request from a JSON file (- for standard input); every bad field is named",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var b []byte
			var err error
			if file == "-" {
				b, err = io.ReadAll(io.LimitReader(cmd.InOrStdin(), request.MaxDraftBytes+1))
			} else {
				b, err = os.ReadFile(file)
			}
			if err != nil {
				return err
			}
			d, err := request.DecodeDraft(b)
			if err != nil {
				return err
			}
			return f.run(cmd, func(n *node.Node, p *auth.Principal) error {
				v, err := n.Requests.Create(cmd.Context(), p, d)
				if err == nil && send {
					v, err = n.Requests.Act(cmd.Context(), p, v.ID, request.Send, request.ActInput{Attach: true})
				}
				if err != nil {
					return err
				}
				return printView(cmd, f.json, v)
			})
		},
	}
	f.add(c)
	c.Flags().StringVar(&file, "file", "", "the draft (JSON; see `liaison request types`)")
	c.Flags().BoolVar(&send, "send", false, "send it at once")
	c.MarkFlagRequired("file")
	return c
}

func requestListCmd() *cobra.Command {
	var f requestFlags
	var status, typ, party, priority, direction string
	var overdue bool
	var within time.Duration
	c := &cobra.Command{
		Use:   "list --dir DIR --as USER [--status S,S] [--type T] [--party P] [--priority P] [--overdue] [--due-within 1h] [--json]",
		Short: "List the requests the user may see, newest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fl := request.Filter{Type: request.Type(typ), Party: party, Priority: request.Priority(priority), Direction: direction, Overdue: overdue, DueWithin: within, Limit: 500}
			if status != "" {
				for _, s := range strings.Split(status, ",") {
					fl.Status = append(fl.Status, request.Status(s))
				}
			}
			return f.run(cmd, func(n *node.Node, p *auth.Principal) error {
				l, err := n.Requests.List(cmd.Context(), p, fl)
				if err != nil {
					return err
				}
				if f.json {
					return printJSON(cmd.OutOrStdout(), l)
				}
				tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "REFERENCE\tID\tTYPE\tPRIORITY\tFROM\tTO\tSTATUS\tDEADLINE")
				for _, v := range l {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", v.Reference, v.ID, v.Type, v.Priority, v.Requesting, v.Requested, v.State.Status, clockText(v.Clock))
				}
				return tw.Flush()
			})
		},
	}
	f.add(c)
	c.Flags().StringVar(&status, "status", "", "comma-separated statuses")
	c.Flags().StringVar(&typ, "type", "", "request type")
	c.Flags().StringVar(&party, "party", "", "the other party")
	c.Flags().StringVar(&priority, "priority", "", "routine, urgent or emergency")
	c.Flags().StringVar(&direction, "direction", "", "in or out")
	c.Flags().BoolVar(&overdue, "overdue", false, "only requests whose running deadline has passed")
	c.Flags().DurationVar(&within, "due-within", 0, "only requests due within this time")
	return c
}

func clockText(c request.Clock) string {
	switch {
	case c.Phase == "":
		return "-"
	case c.Phase == "paused":
		return "paused"
	case c.Overdue:
		return c.Phase + " OVERDUE by " + (-c.Left).Round(time.Minute).String()
	}
	return c.Phase + " in " + c.Left.Round(time.Minute).String()
}

func requestShowCmd() *cobra.Command {
	var f requestFlags
	c := &cobra.Command{
		Use: "show ID --dir DIR --as USER [--json]", Short: "Show a request with its deadline clock and full timeline", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return f.run(cmd, func(n *node.Node, p *auth.Principal) error {
				v, err := n.Requests.Get(cmd.Context(), p, args[0])
				if err != nil {
					return err
				}
				return printView(cmd, f.json, v)
			})
		},
	}
	f.add(c)
	return c
}

func printView(cmd *cobra.Command, asJSON bool, v request.View) error {
	out := cmd.OutOrStdout()
	if asJSON {
		return printJSON(out, v)
	}
	fmt.Fprintf(out, "%s  %s  %s %s → %s  %s\n", v.Reference, v.ID, v.Type, v.Requesting, v.Requested, v.Title)
	fmt.Fprintf(out, "status   %s (%s side, priority %s)\n", v.State.Status, v.Side, v.Priority)
	fmt.Fprintf(out, "deadline %s\n", clockText(v.Clock))
	if v.Sealed != "" {
		fmt.Fprintf(out, "sealed   %s; conditions: %s\n", v.Sealed, strings.Join(v.Conditions, "; "))
	}
	allowed := make([]string, len(v.Allowed))
	for i, a := range v.Allowed {
		allowed[i] = string(a)
	}
	fmt.Fprintf(out, "allowed  %s\n", strings.Join(allowed, ", "))
	for _, e := range v.Timeline {
		void := ""
		if e.Void != "" {
			void = "  (void: " + e.Void + ")"
		}
		fmt.Fprintf(out, "  %s  %-3s %-18s %s -> %s  %s%s\n", e.At.Format(time.RFC3339), e.Party, e.Action, e.From, e.To, e.Actor, void)
	}
	return nil
}

func requestActionCmd(use string, a request.Action, short string) *cobra.Command {
	var f requestFlags
	var in request.ActInput
	var preserved string
	args := cobra.ExactArgs(1)
	if a == "" {
		args = cobra.ExactArgs(2)
	}
	c := &cobra.Command{
		Use: use + " ID --dir DIR --as USER", Short: short, Args: args,
		RunE: func(cmd *cobra.Command, args []string) error {
			act := a
			if act == "" {
				act = request.Action(args[1])
			}
			if preserved != "" {
				t, err := time.Parse(time.RFC3339, preserved)
				if err != nil {
					return usageError{fmt.Errorf("--preserved-until: want an RFC 3339 time")}
				}
				in.PreservedUntil = t
			}
			return f.run(cmd, func(n *node.Node, p *auth.Principal) error {
				v, err := n.Requests.Act(cmd.Context(), p, args[0], act, in)
				if err != nil {
					return err
				}
				return printView(cmd, f.json, v)
			})
		},
	}
	f.add(c)
	c.Flags().StringVar(&in.Note, "note", "", "note (required to ask for information, provide it, postpone or withdraw)")
	switch a {
	case request.Answer, "":
		c.Flags().StringVar(&in.Completeness, "completeness", "full", "full or partial")
		c.Flags().StringVar(&in.Answer, "text", "", "the answer")
		c.Flags().StringVar(&preserved, "preserved-until", "", "preservation: data preserved until (RFC 3339)")
	}
	switch a {
	case request.Refuse, "":
		c.Flags().StringVar(&in.Ground, "ground", "", "refusal ground: "+strings.Join(request.Grounds, ", "))
		c.Flags().StringVar(&in.Reasons, "reasons", "", "reasons for the refusal")
	}
	if a == "" {
		c.Flags().StringVar(&in.LinkedMLA, "mla", "", "link: the MLA request's ID")
	}
	c.Flags().BoolVar(&in.Attach, "attach", a == request.Send, "send the evidence files added since the last action")
	return c
}
