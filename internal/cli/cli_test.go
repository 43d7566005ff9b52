package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func run(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = Main(args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

func initNode(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "us")
	if code, _, stderr := run(t, "", "init", "--dir", dir, "--party", "US", "--name", "United States"); code != 0 {
		t.Fatalf("init: %d %s", code, stderr)
	}
	return dir
}

func TestUsageErrors(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"init", "--bogus"}, "unknown flag: --bogus"},
		{[]string{"frobnicate"}, "unknown command"},
		{[]string{"init", "--dir", "x"}, `required flag(s) "name", "party" not set`},
		{[]string{"peer", "add", "--dir", "x"}, "accepts 1 arg"},
	}
	for _, tc := range cases {
		code, _, stderr := run(t, "", tc.args...)
		if code != exitUsage || !strings.Contains(stderr, tc.want) || !strings.Contains(stderr, "Usage:") {
			t.Errorf("%v: exit %d, stderr %q", tc.args, code, stderr)
		}
	}
}

func TestInitTwiceRefuses(t *testing.T) {
	dir := initNode(t)
	code, _, stderr := run(t, "", "init", "--dir", dir, "--party", "US", "--name", "United States")
	if code != exitError || !strings.Contains(stderr, "already exists") || !strings.Contains(stderr, "nothing was changed") {
		t.Fatalf("second init: %d %q", code, stderr)
	}
}

func TestBadConfigNamesFileLineAndKey(t *testing.T) {
	dir := initNode(t)
	path := filepath.Join(dir, "liaison.yaml")
	b, _ := os.ReadFile(path)
	os.WriteFile(path, append(b, []byte("limits:\n  max_body: 3\n")...), 0o600)
	code, _, stderr := run(t, "", "user", "list", "--dir", dir)
	if code != exitError || !strings.Contains(stderr, "liaison.yaml:") || !strings.Contains(stderr, "limits.max_body: unknown key") {
		t.Fatalf("bad config: %d %q", code, stderr)
	}
}

func TestAdministration(t *testing.T) {
	dir := initNode(t)
	if code, _, stderr := run(t, "", "agency", "add", "--dir", dir, "--code", "FBI", "--name", "Federal Bureau of Investigation", "--kind", "police"); code != 0 {
		t.Fatal(stderr)
	}
	code, _, stderr := run(t, "", "user", "add", "--dir", dir, "--username", "Bad Name", "--agency", "NOPE", "--role", "king", "--password", "short")
	for _, f := range []string{"username:", "roles:", "password:"} {
		if code != exitError || !strings.Contains(stderr, f) {
			t.Errorf("invalid user: %d, %q lacks %s", code, stderr, f)
		}
	}
	code, out, stderr := run(t, "a very long passphrase\n", "user", "add", "--dir", dir, "--username", "desk", "--agency", "FBI", "--role", "liaison_officer", "--password-stdin")
	if code != 0 || !strings.Contains(out, "created user desk") || strings.Contains(out, "passphrase") {
		t.Fatalf("user add: %d %q %q", code, out, stderr)
	}
	code, out, _ = run(t, "", "user", "add", "--dir", dir, "--username", "desk2", "--agency", "FBI", "--role", "analyst")
	if code != 0 || !strings.Contains(out, "password (shown once): ") {
		t.Fatalf("generated password not shown: %q", out)
	}
	code, out, stderr = run(t, "", "token", "create", "--dir", dir, "--user", "desk", "--name", "script")
	if code != 0 || !strings.HasPrefix(out, "lia_") {
		t.Fatalf("token create: %d %q %q", code, out, stderr)
	}
	code, _, stderr = run(t, "", "token", "create", "--dir", dir, "--user", "nobody", "--name", "x")
	if code != exitError || !strings.Contains(stderr, "nobody") {
		t.Fatalf("token for unknown user: %d %q", code, stderr)
	}
}

func TestPeerPairing(t *testing.T) {
	us := initNode(t)
	cn := filepath.Join(t.TempDir(), "cn")
	if code, _, stderr := run(t, "", "init", "--dir", cn, "--party", "CN", "--name", "China", "--listen", "127.0.0.1:9443"); code != 0 {
		t.Fatal(stderr)
	}
	desc := filepath.Join(t.TempDir(), "cn.json")
	if code, _, stderr := run(t, "", "descriptor", "--dir", cn, "--out", desc); code != 0 {
		t.Fatal(stderr)
	}
	code, out, stderr := run(t, "", "peer", "add", "--dir", us, desc)
	if code != 0 || !strings.Contains(out, "paired with CN") {
		t.Fatalf("peer add: %d %q %q", code, out, stderr)
	}
	code, out, _ = run(t, "", "peer", "list", "--dir", us)
	if code != 0 || !strings.Contains(out, "127.0.0.1:9443") {
		t.Fatalf("peer list: %q", out)
	}
	// A descriptor altered in transit is refused.
	b, _ := os.ReadFile(desc)
	bad := bytes.Replace(b, []byte(`"signature": "`), []byte(`"signature": "AAAA`), 1)
	os.WriteFile(desc, bad, 0o600)
	if code, _, stderr := run(t, "", "peer", "add", "--dir", us, desc); code != exitError || !strings.Contains(stderr, "descriptor") {
		t.Fatalf("tampered descriptor: %d %q", code, stderr)
	}
	// A node cannot pair with itself.
	self := filepath.Join(t.TempDir(), "us.json")
	run(t, "", "descriptor", "--dir", us, "--out", self)
	if code, _, stderr := run(t, "", "peer", "add", "--dir", us, self); code != exitError || !strings.Contains(stderr, "own party") {
		t.Fatalf("self pairing: %d %q", code, stderr)
	}
}
