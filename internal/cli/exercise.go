package cli

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"go.yaml.in/yaml/v3"

	"github.com/liaison-dev/liaison/internal/auth"
	"github.com/liaison-dev/liaison/internal/demo"
	"github.com/liaison-dev/liaison/internal/exercise"
	"github.com/liaison-dev/liaison/internal/node"
)

func exerciseCmd() *cobra.Command {
	c := &cobra.Command{Use: "exercise", Short: "Tabletop exercises and drills through the real channel: scenarios, scoring, after-action reports"}
	var demoWorld, asJSON, realTime bool
	var speed float64
	var targetsFile, out, pdfOut, play, commitment, dir string
	run := &cobra.Command{
		Use:   "run SCENARIO (--demo | --targets FILE) [--speed 60] [--play US,CN] [--out report.html]",
		Short: "Play a scenario file or bundled scenario through real nodes, score it and write the after-action report",
		Long: "SCENARIO is a file or the name of a bundled scenario (`liaison exercise list`). The scenario is validated first; " +
			"nothing is sent unless it is valid. With --demo the run builds its own demo world (US, CN and Europol) in a temporary " +
			"directory and automated responders play every party; with --targets it plays live nodes (a YAML file of party, url, " +
			"cert and logins per role) and people respond at their consoles, except for the parties named in --play. Time runs " +
			"--speed times faster than real time (an hour in a minute at 60); --speed 0 steps straight from one event to the next. " +
			"Every request carries the exercise flag and an EXERCISE title; remove the run's traffic afterwards with " +
			"`liaison exercise purge ID --dir DIR`.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			sc, err := loadScenario(args[0])
			if err != nil {
				return err
			}
			ctx, cancel := contextWithCancel(cmd)
			defer cancel()
			var targets []*exercise.Target
			players := splitCodes(play)
			switch {
			case demoWorld:
				tmp, err := os.MkdirTemp("", "liaison-exercise-")
				if err != nil {
					return err
				}
				defer os.RemoveAll(tmp)
				cast := append(append([]demo.Party{}, demo.Parties...), demo.Europol)
				w, err := demo.Build(ctx, demo.Options{Dir: filepath.Join(tmp, "world"), Parties: cast, Log: slog.New(slog.DiscardHandler)})
				if err != nil {
					return err
				}
				defer w.Close()
				ready := make(chan struct{})
				done := make(chan error, 1)
				sctx, stop := contextWithCancel(cmd)
				go func() { done <- w.Serve(sctx, func() { close(ready) }) }()
				defer func() { stop(); <-done }()
				<-ready
				if targets, err = w.Targets(); err != nil {
					return err
				}
				if players == nil {
					players = []string{"US", "CN", "EU"}
				}
			case targetsFile != "":
				if targets, err = loadTargets(targetsFile); err != nil {
					return err
				}
			default:
				return fmt.Errorf("give --demo or --targets FILE")
			}
			var clk exercise.Clock = exercise.NewScaled(speed)
			if speed == 0 && !realTime {
				clk = exercise.NewStepping(time.Now())
			}
			res, err := exercise.Run(ctx, sc, exercise.Options{Targets: targets, Clock: clk, Play: players, Progress: cmd.ErrOrStderr()})
			if err != nil {
				return err
			}
			html, err := exercise.ReportHTML(res)
			if err != nil {
				return err
			}
			for _, t := range targets {
				if t.Store == nil {
					continue
				}
				if err := exercise.Record(ctx, t.Store, demoClock{}, actor(), res, html); err != nil {
					return fmt.Errorf("record the run at %s: %w", t.Party, err)
				}
				if commitment != "" {
					if _, err := exercise.LinkCommitment(ctx, t.Store, demoClock{}, actor(), commitment, res); err != nil {
						fmt.Fprintf(cmd.ErrOrStderr(), "%s: %v\n", t.Party, err)
					}
				}
			}
			if out != "" {
				if err := os.WriteFile(out, html, 0o600); err != nil {
					return err
				}
			}
			if pdfOut != "" {
				var b bytes.Buffer
				if err := exercise.ReportPDF(&b, res); err != nil {
					return err
				}
				if err := os.WriteFile(pdfOut, b.Bytes(), 0o600); err != nil {
					return err
				}
			}
			if asJSON {
				return printJSON(cmd.OutOrStdout(), res)
			}
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "EXERCISE %s (run %s): %d of %d checks passed (%.0f%%)\n", res.Scenario, res.RunID, res.Passed, res.Total, res.Score*100)
			for _, ps := range res.Scores {
				fmt.Fprintf(w, "  %-4s %d/%d\n", ps.Party, ps.Passed, ps.Total)
			}
			for _, wp := range res.Weak {
				fmt.Fprintf(w, "  weak: %s\n", wp)
			}
			if out != "" {
				fmt.Fprintf(w, "after-action report: %s\n", out)
			}
			return nil
		},
	}
	run.Flags().BoolVar(&demoWorld, "demo", false, "build and play a demo world (US, CN, Europol) in a temporary directory")
	run.Flags().StringVar(&targetsFile, "targets", "", "YAML file of the live nodes: party, url, cert, logins by role")
	run.Flags().Float64Var(&speed, "speed", 0, "how many times faster than real time (1 is real time; 0 steps from event to event)")
	run.Flags().BoolVar(&realTime, "real-time", false, "run in real time (same as --speed 1)")
	run.Flags().StringVar(&play, "play", "", "comma-separated parties whose responses are played automatically")
	run.Flags().StringVar(&out, "out", "", "write the after-action report (HTML) to this file")
	run.Flags().StringVar(&pdfOut, "pdf", "", "write the after-action report as PDF to this file")
	run.Flags().StringVar(&commitment, "commitment", "", "add the run as evidence to this progress commitment (nodes with a local store)")
	run.Flags().BoolVar(&asJSON, "json", false, "print the scored result as JSON")

	validate := &cobra.Command{
		Use:   "validate SCENARIO...",
		Short: "Check scenario files; every problem is named with its file, line and field",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			for _, a := range args {
				sc, err := loadScenario(a)
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%s: valid, %d injects, parties %s\n", a, len(sc.Injects), partyCodes(sc))
			}
			return nil
		},
	}
	list := &cobra.Command{
		Use: "list", Short: "List the bundled scenarios", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			for _, n := range exercise.Bundled() {
				sc, err := exercise.LoadBundled(n)
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%-22s %-10s %s\n", n, partyCodes(sc), sc.Title)
			}
			return nil
		},
	}
	show := &cobra.Command{
		Use: "show NAME", Short: "Print a bundled scenario's file (a starting point for your own)", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			b, err := exercise.BundledFile(args[0])
			if err != nil {
				return err
			}
			_, err = cmd.OutOrStdout().Write(b)
			return err
		},
	}
	purge := &cobra.Command{
		Use:   "purge RUN-ID --dir DIR",
		Short: "Remove a recorded run's exercise traffic from a node; real data and the ledger are untouched",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withNode(cmd, dir, func(n *node.Node) error {
				res, err := exercise.Purge(cmd.Context(), n.Store, n.Clock, actor(), args[0])
				if err != nil {
					return err
				}
				if asJSON {
					return printJSON(cmd.OutOrStdout(), res)
				}
				fmt.Fprintf(cmd.OutOrStdout(), "purged run %s: %d requests, %d calls, %d files; %d real objects kept\n",
					args[0], res.Requests, res.Calls, res.Attachments, res.Kept)
				return nil
			})
		},
	}
	purge.Flags().StringVar(&dir, "dir", "", "the node's data directory")
	purge.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	c.AddCommand(run, validate, list, show, purge)
	return c
}

type demoClock struct{}

func (demoClock) Now() time.Time { return time.Now().UTC() }

func partyCodes(sc *exercise.Scenario) string {
	var p []string
	for _, x := range sc.Parties {
		p = append(p, x.Code)
	}
	return strings.Join(p, ",")
}

func splitCodes(s string) []string {
	if s == "" {
		return nil
	}
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, strings.ToUpper(p))
		}
	}
	return out
}

// loadScenario reads a scenario file, or a bundled scenario by name.
func loadScenario(arg string) (*exercise.Scenario, error) {
	f, err := os.Open(arg)
	if err != nil {
		if b, berr := exercise.BundledFile(strings.TrimSuffix(arg, ".yaml")); berr == nil {
			return exercise.Parse(arg, bytes.NewReader(b))
		}
		return nil, err
	}
	defer f.Close()
	return exercise.Parse(filepath.Base(arg), f)
}

// targetsFileFormat is the --targets file: the live nodes to play.
type targetsFileFormat struct {
	Nodes []struct {
		Party  string                    `yaml:"party"`
		URL    string                    `yaml:"url"`
		Cert   string                    `yaml:"cert"`
		Logins map[string]exercise.Login `yaml:"logins"`
	} `yaml:"nodes"`
}

func loadTargets(name string) ([]*exercise.Target, error) {
	b, err := os.ReadFile(name)
	if err != nil {
		return nil, err
	}
	var tf targetsFileFormat
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&tf); err != nil && err != io.EOF {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	var out []*exercise.Target
	for i, n := range tf.Nodes {
		cert := n.Cert
		if cert != "" && !filepath.IsAbs(cert) {
			cert = filepath.Join(filepath.Dir(name), cert)
		}
		hc, err := exercise.PinnedClient(cert)
		if err != nil {
			return nil, fmt.Errorf("%s: nodes[%d].cert: %w", name, i, err)
		}
		t := &exercise.Target{Party: n.Party, URL: n.URL, HTTP: hc, Logins: map[auth.Role]exercise.Login{}}
		for r, l := range n.Logins {
			if !auth.ValidRole(r) {
				return nil, fmt.Errorf("%s: nodes[%d].logins: %q is not a role", name, i, r)
			}
			t.Logins[auth.Role(r)] = l
		}
		out = append(out, t)
	}
	return out, nil
}
