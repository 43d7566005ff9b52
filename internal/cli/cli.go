// Package cli is the liaison command line: one binary whose subcommands
// create, run and administer a node, run the demo world and the benchmarks.
// Commands parse flags and call into the domain packages; they hold no
// logic of their own.
package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"os/user"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/liaison-dev/liaison/internal/node"
	"github.com/liaison-dev/liaison/internal/validation"
)

// Exit codes.
const (
	exitOK    = 0
	exitError = 1
	exitUsage = 2
)

// usageError marks errors in how the command was called.
type usageError struct{ error }

// Main runs the command line and returns the process exit code.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	root := newRoot(stdin, stdout, stderr)
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return usageError{fmt.Errorf("%w\n\n%s", err, c.UsageString())}
	})
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return exitOK
	}
	var ce *codeError
	if errors.As(err, &ce) {
		if ce.err != nil {
			fmt.Fprintln(stderr, "liaison:", ce.err)
		}
		return ce.code
	}
	printError(stderr, err)
	var ue usageError
	if errors.As(err, &ue) || isCobraUsage(err) {
		if !errors.As(err, &ue) {
			fmt.Fprintln(stderr, cmd.UsageString())
		}
		return exitUsage
	}
	return exitError
}

// codeError carries a specific exit code (e.g. 1 = "no match" for tools
// that answer with their status).
type codeError struct {
	code int
	err  error
}

func (e *codeError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit %d", e.code)
	}
	return e.err.Error()
}

func isCobraUsage(err error) bool {
	s := err.Error()
	for _, p := range []string{"unknown command", "accepts ", "requires at least", "required flag", "unknown flag", "invalid argument"} {
		if len(s) >= len(p) && contains(s, p) {
			return true
		}
	}
	return false
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}

// printError writes err plainly; field errors go one per line.
func printError(w io.Writer, err error) {
	if fe, ok := validation.As(err); ok {
		fmt.Fprintln(w, "liaison: invalid input:")
		for _, f := range fe {
			fmt.Fprintf(w, "  %s: %s\n", f.Field, f.Detail)
		}
		return
	}
	fmt.Fprintln(w, "liaison:", err)
}

func newRoot(stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:           "liaison",
		Short:         "Cross-border cybercrime cooperation between law-enforcement agencies",
		Long:          "Liaison runs one node per party (country). Nodes exchange requests, hotline calls, threat intelligence and case information with paired peers over an authenticated, encrypted, store-and-forward channel.",
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       node.Version,
	}
	root.AddCommand(initCmd(), serveCmd(), userCmd(), tokenCmd(), agencyCmd(), contactCmd(), peerCmd(), descriptorCmd(), demoCmd(), intelCmd())
	root.AddCommand(logCmd(), roundCmd(), metricsCmd(), reportCmd())
	root.AddCommand(benchCmd(), federationCmd())
	root.AddCommand(requestCmd(), hotlineCmd())
	root.AddCommand(sampleCmd())
	root.AddCommand(exerciseCmd())
	root.AddCommand(caseCmd(), leadCmd())
	return root
}

// actor names the operator of a CLI command in the audit trail.
func actor() string {
	if u, err := user.Current(); err == nil {
		return "cli:" + u.Username
	}
	return "cli"
}

func printJSONLine(w io.Writer, v any) error {
	return json.NewEncoder(w).Encode(v)
}

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// withNode opens the node in --dir for a command and closes it afterwards.
func withNode(cmd *cobra.Command, dir string, fn func(n *node.Node) error) error {
	if dir == "" {
		return usageError{errors.New("--dir is required")}
	}
	n, err := node.Open(cmd.Context(), dir, node.NewLogger("error", os.Stderr))
	if err != nil {
		return err
	}
	defer n.Close()
	return fn(n)
}

func contextWithCancel(cmd *cobra.Command) (context.Context, context.CancelFunc) {
	return context.WithCancel(cmd.Context())
}
