package cli

import (
	"fmt"
	"io"
	"os"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/liaison-dev/liaison/internal/demo"
)

func demoCmd() *cobra.Command {
	var dir string
	var check, keep bool
	var basePort int
	c := &cobra.Command{
		Use:   "demo [--check] [--dir DIR]",
		Short: "Run a complete multi-party Liaison world on loopback (US and CN, paired)",
		Long: "Creates one node per party in a scratch directory, seeds agencies, accounts for every role, 24/7 contacts and on-call shifts, pairs the nodes, and serves them on loopback until interrupted.\n" +
			"With --check it instead plays the scripted story against the world through the real HTTPS API, prints every verified step, and exits non-zero on any failure.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			out := cmd.OutOrStdout()
			if dir == "" {
				tmp, err := os.MkdirTemp("", "liaison-demo-")
				if err != nil {
					return err
				}
				dir = tmp
				if !keep {
					defer os.RemoveAll(tmp)
				}
			}
			port := basePort
			if check {
				port = 0
			}
			// Node logs go to DIR/demo.log, so the terminal shows the
			// story, not request logs.
			w, err := demo.Build(ctx, demo.Options{Dir: dir, BasePort: port})
			if err != nil {
				return err
			}
			defer w.Close()
			if check {
				return runCheck(cmd, w, out)
			}
			return w.Serve(ctx, func() { printWorld(out, w) })
		},
	}
	c.Flags().StringVar(&dir, "dir", "", "directory for the world (default: a temporary directory, removed afterwards)")
	c.Flags().BoolVar(&check, "check", false, "run the scripted end-to-end story headless and exit")
	c.Flags().BoolVar(&keep, "keep", false, "keep the temporary directory")
	c.Flags().IntVar(&basePort, "port", 8443, "first node's port; the next party listens 1000 higher")
	return c
}

func runCheck(cmd *cobra.Command, w *demo.World, out io.Writer) error {
	ctx, cancel := contextWithCancel(cmd)
	defer cancel()
	served := make(chan error, 1)
	ready := make(chan struct{})
	go func() { served <- w.Serve(ctx, func() { close(ready) }) }()
	select {
	case <-ready:
	case err := <-served:
		return err
	}
	fmt.Fprintf(out, "liaison demo --check: %d nodes on loopback\n", len(w.Nodes))
	err := demo.Check(ctx, w, out)
	cancel()
	if serr := <-served; serr != nil && err == nil {
		err = serr
	}
	if err != nil {
		return &codeError{code: exitError, err: err}
	}
	return nil
}

func printWorld(out io.Writer, w *demo.World) {
	fmt.Fprintf(out, "Liaison demo world in %s (node logs: %s/demo.log)\n\n", w.Dir, w.Dir)
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PARTY\tCONSOLE / API\tLOGINS (password: "+demo.Password+")")
	for _, r := range w.Nodes {
		users := ""
		for i, a := range r.Party.Accounts {
			if i > 0 {
				users += ", "
			}
			users += a.Username
		}
		fmt.Fprintf(tw, "%s %s\t%s/ (console) · %s/api/v1\t%s\n", r.Party.Code, r.Party.Name, r.URL(), r.URL(), users)
	}
	tw.Flush()
	fmt.Fprintf(out, "\nEach node's TLS certificate is self-signed: %s/<PARTY>/tls/cert.pem.\nTry: curl --cacert %s/US/tls/cert.pem -u us-officer:%s %s/api/v1/oncall\nPress Ctrl-C to stop.\n",
		w.Dir, w.Dir, demo.Password, w.Nodes[0].URL())
}
