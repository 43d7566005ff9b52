package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLogAndRoundCommands(t *testing.T) {
	dir := initNode(t)
	if code, out, stderr := run(t, "", "round", "import", "--dir", dir, "--example"); code != 0 || !strings.Contains(out, "imported 5 rounds and 25 commitments") {
		t.Fatalf("round import: %d %s %s", code, out, stderr)
	}
	if code, out, _ := run(t, "", "round", "list", "--dir", dir); code != 0 || !strings.Contains(out, "2017-10-04") {
		t.Fatalf("round list: %d %s", code, out)
	}
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(bad, []byte("format: liaison-rounds/v1\nrounds:\n  - number: 1\n    date: yesterday\n"), 0o600)
	if code, _, stderr := run(t, "", "round", "import", "--check", bad); code != exitError || !strings.Contains(stderr, "bad.yaml:4 rounds[0].date: must be a date") {
		t.Fatalf("bad rounds file: %d %s", code, stderr)
	}

	code, out, stderr := run(t, "", "log", "key", "--dir", dir)
	if code != 0 {
		t.Fatalf("log key: %d %s", code, stderr)
	}
	key := strings.Fields(strings.Split(out, "\n")[0])[1]
	if code, out, _ := run(t, "", "log", "checkpoint", "--dir", dir); code != 0 || !strings.HasPrefix(out, "liaison.invalid/US/log\n1\n") {
		t.Fatalf("log checkpoint: %d %q", code, out)
	}
	tmp := t.TempDir()
	exp, proof := filepath.Join(tmp, "log.jsonl"), filepath.Join(tmp, "proof.json")
	if code, _, stderr := run(t, "", "log", "export", "--dir", dir, "--out", exp); code != 0 {
		t.Fatalf("log export: %d %s", code, stderr)
	}
	if code, _, stderr := run(t, "", "log", "prove", "--dir", dir, "rounds", "--out", proof); code != 0 {
		t.Fatalf("log prove: %d %s", code, stderr)
	}
	for _, f := range []string{exp, proof} {
		if code, out, stderr := run(t, "", "log", "verify", f, "--key", key); code != 0 || !strings.HasPrefix(out, "OK: ") {
			t.Fatalf("log verify %s: %d %s %s", f, code, out, stderr)
		}
	}
	b, _ := os.ReadFile(exp)
	tampered := filepath.Join(tmp, "tampered.jsonl")
	os.WriteFile(tampered, []byte(strings.Replace(string(b), `"object_id":"rounds"`, `"object_id":"rounds2"`, 1)), 0o600)
	if code, _, stderr := run(t, "", "log", "verify", tampered, "--key", key); code != exitError || !strings.Contains(stderr, "verification FAILED") || !strings.Contains(stderr, "root") {
		t.Fatalf("tampered export: %d %s", code, stderr)
	}
	if code, _, _ := run(t, "", "log", "verify", exp, "--key", key, "--witness", key); code != exitError {
		t.Fatalf("a required witness that did not cosign: exit %d", code)
	}
	if code, _, stderr := run(t, "", "log", "verify", exp); code != exitUsage {
		t.Fatalf("no key: %d %s", code, stderr)
	}
}
