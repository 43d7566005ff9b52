package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/liaison-dev/liaison/internal/auth"
	"github.com/liaison-dev/liaison/internal/casework"
	"github.com/liaison-dev/liaison/internal/node"
)

// caseActionCmd builds a command that changes one case (--id) and prints
// what it did, or the case with --json. bind adds the command's own flags
// and returns the action.
func caseActionCmd(use, short string, bind func(c *cobra.Command) func(ctx context.Context, n *node.Node, p *auth.Principal, id string) (casework.View, string, error)) *cobra.Command {
	var f requestFlags
	var id string
	c := &cobra.Command{Use: use, Short: short, Args: cobra.NoArgs}
	act := bind(c)
	c.RunE = caseRun(&f, func(cmd *cobra.Command, n *node.Node, p *auth.Principal) error {
		v, done, err := act(cmd.Context(), n, p, id)
		if err != nil {
			return err
		}
		if !f.json {
			fmt.Fprintf(cmd.OutOrStdout(), "%s (case %s)\n", done, v.ID)
			return nil
		}
		return printCase(cmd, true, v)
	})
	f.add(c)
	c.Flags().StringVar(&id, "id", "", "case id (required)")
	c.MarkFlagRequired("id")
	return c
}

func caseTaskCmd() *cobra.Command {
	return caseActionCmd("task --dir DIR --as USER --id ID --file TASK.json", "Add a task to a case, or update one (same task id): owner party, due, status, the parties it concerns",
		func(c *cobra.Command) func(context.Context, *node.Node, *auth.Principal, string) (casework.View, string, error) {
			var file string
			c.Flags().StringVar(&file, "file", "", "the task as JSON (- for standard input)")
			c.MarkFlagRequired("file")
			return func(ctx context.Context, n *node.Node, p *auth.Principal, id string) (casework.View, string, error) {
				var t casework.Task
				if err := readJSONInput(c, file, &t); err != nil {
					return casework.View{}, "", err
				}
				v, err := n.Cases.SaveTask(ctx, p, id, t)
				return v, "task saved", err
			}
		})
}

func caseJoinCmd() *cobra.Command {
	return caseActionCmd("add-party --dir DIR --as USER --id ID --party P", "Bring a paired party into a case; it receives the case's history that it may see",
		func(c *cobra.Command) func(context.Context, *node.Node, *auth.Principal, string) (casework.View, string, error) {
			var party string
			c.Flags().StringVar(&party, "party", "", "the party to bring in (required)")
			c.MarkFlagRequired("party")
			return func(ctx context.Context, n *node.Node, p *auth.Principal, id string) (casework.View, string, error) {
				v, err := n.Cases.AddParticipant(ctx, p, id, party)
				return v, party + " added", err
			}
		})
}

func caseShareCmd() *cobra.Command {
	return caseActionCmd("share --dir DIR --as USER --id ID --item ITEM --party P", "Share an item of a case with a participant, as its handling allows",
		func(c *cobra.Command) func(context.Context, *node.Node, *auth.Principal, string) (casework.View, string, error) {
			var item, party string
			c.Flags().StringVar(&item, "item", "", "item id (required)")
			c.Flags().StringVar(&party, "party", "", "the participant to share it with (required)")
			c.MarkFlagRequired("item")
			c.MarkFlagRequired("party")
			return func(ctx context.Context, n *node.Node, p *auth.Principal, id string) (casework.View, string, error) {
				v, err := n.Cases.Share(ctx, p, id, item, party)
				return v, "item " + item + " shared with " + party, err
			}
		})
}

func casePermissionCmd() *cobra.Command {
	c := &cobra.Command{Use: "permission", Short: "Ask an item's originator for permission to share it, or decide as the originator"}
	for _, verb := range []string{"request", "grant", "refuse"} {
		c.AddCommand(caseActionCmd(verb+" --dir DIR --as USER --id ID --item ITEM --party P [--note TEXT]", permissionShort[verb],
			func(c *cobra.Command) func(context.Context, *node.Node, *auth.Principal, string) (casework.View, string, error) {
				var item, party, note string
				c.Flags().StringVar(&item, "item", "", "item id (required)")
				c.Flags().StringVar(&party, "party", "", "the party the item would go to (required)")
				c.Flags().StringVar(&note, "note", "", "a note for the other side")
				c.MarkFlagRequired("item")
				c.MarkFlagRequired("party")
				return func(ctx context.Context, n *node.Node, p *auth.Principal, id string) (casework.View, string, error) {
					if verb == "request" {
						v, err := n.Cases.RequestPermission(ctx, p, id, item, party, note)
						return v, "permission requested", err
					}
					v, err := n.Cases.DecidePermission(ctx, p, id, item, party, verb == "grant", note)
					return v, "permission " + map[bool]string{true: "granted", false: "refused"}[verb == "grant"], err
				}
			}))
	}
	return c
}

var permissionShort = map[string]string{
	"request": "Ask the item's originator for permission to share it with a party",
	"grant":   "As the item's originator, allow sharing it with a party (a participant receives it)",
	"refuse":  "As the item's originator, refuse sharing it with a party",
}
