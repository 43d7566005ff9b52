package cli

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/liaison-dev/liaison/internal/demo"
)

// TestExerciseAgainstLiveNodes plays a bundled scenario through the
// --targets path: nodes serving HTTPS on loopback, reached only through
// the URLs, pinned certificates and logins of a targets file, as an
// exercise against remote peers is.
func TestExerciseAgainstLiveNodes(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	w, err := demo.Build(ctx, demo.Options{Dir: filepath.Join(dir, "world"), Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	sctx, stop := context.WithCancel(ctx)
	ready, done := make(chan struct{}), make(chan error, 1)
	go func() { done <- w.Serve(sctx, func() { close(ready) }) }()
	defer func() { stop(); <-done }()
	<-ready

	var b strings.Builder
	b.WriteString("nodes:\n")
	for _, r := range w.Nodes {
		fmt.Fprintf(&b, "  - party: %s\n    url: %s\n    cert: %s\n    logins:\n", r.Party.Code, r.URL(), r.Node.Config.Path(r.Node.Config.TLS.Cert))
		for _, a := range r.Party.Accounts {
			fmt.Fprintf(&b, "      %s: {user: %s, password: %q}\n", a.Role, a.Username, demo.Password)
		}
	}
	targets := filepath.Join(dir, "nodes.yaml")
	if err := os.WriteFile(targets, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	report := filepath.Join(dir, "aar.html")
	code, stdout, stderr := run(t, "", "exercise", "run", "ransomware-hospital", "--targets", targets, "--play", "US,CN", "--out", report)
	if code != 0 {
		t.Fatalf("exercise run --targets: exit %d\n%s\n%s", code, stdout, stderr)
	}
	html, err := os.ReadFile(report)
	if err != nil || !strings.Contains(string(html), "EXERCISE") {
		t.Fatalf("after-action report: %v", err)
	}
	// The scenario's responders acknowledge one emergency late on
	// purpose: every other check passes, as in the demo world.
	if !strings.Contains(stdout, "13 of 14 checks passed") || !strings.Contains(stdout, "acknowledged after 20m") {
		t.Errorf("score: %s", stdout)
	}

	// A targets file with a role the node does not know names it.
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte(strings.Replace(b.String(), "liaison_officer:", "janitor:", 1)), 0o600)
	code, _, stderr = run(t, "", "exercise", "run", "ransomware-hospital", "--targets", bad)
	if code == 0 || !strings.Contains(stderr, `"janitor" is not a role`) {
		t.Fatalf("bad role: exit %d, %s", code, stderr)
	}
}
