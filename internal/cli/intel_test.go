package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestIntelImportExportMatch(t *testing.T) {
	dir := initNode(t)
	if code, _, stderr := run(t, "", "agency", "add", "--dir", dir, "--code", "FBI", "--name", "FBI", "--kind", "police"); code != 0 {
		t.Fatal(stderr)
	}
	code, out, stderr := run(t, "", "intel", "collection", "create", "--dir", dir, "--title", "C2 infrastructure", "--alias", "c2", "--grant", "agency:FBI:rw")
	if code != 0 || !strings.Contains(out, "created collection") {
		t.Fatalf("collection create: %d %q %q", code, out, stderr)
	}
	if code, _, stderr := run(t, "", "intel", "collection", "create", "--dir", dir, "--title", "x", "--grant", "agency:FBI"); code != exitUsage || !strings.Contains(stderr, "GRANTEE:rw") {
		t.Fatalf("bad grant: %d %q", code, stderr)
	}
	bundle := "../../../shared/conformance/stix2/examples/indicators-for-C2-with-COA.json"
	code, out, stderr = run(t, "", "intel", "import", "--dir", dir, "--collection", "c2", bundle)
	if code != 0 || !strings.Contains(out, "8 of 8 objects stored") {
		t.Fatalf("import: %d %q %q", code, out, stderr)
	}
	// A file with one invalid object imports nothing.
	bad := filepath.Join(t.TempDir(), "bad.json")
	os.WriteFile(bad, []byte(`[{"type":"indicator","spec_version":"2.1","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","created":"2016-04-06T20:03:48.000Z","modified":"2016-04-06T20:03:48.000Z","pattern":"[ipv4-addr:value = '192.0.2.9']","pattern_type":"stix","valid_from":"2016-01-01T00:00:00Z"},{"type":"malware","id":"malware--31b940d4-6f7f-459a-80ea-9c1f17b58abc"}]`), 0o600)
	code, _, stderr = run(t, "", "intel", "import", "--dir", dir, "--collection", "c2", bad)
	if code != exitError || !strings.Contains(stderr, "nothing imported") || !strings.Contains(stderr, "spec_version") {
		t.Fatalf("invalid import: %d %q", code, stderr)
	}
	obs := filepath.Join(t.TempDir(), "obs.txt")
	os.WriteFile(obs, []byte("# seen at the border\nipv4-addr:192.0.2.9\nipv4-addr:10.0.0.0\n"), 0o600)
	code, out, stderr = run(t, "", "intel", "match", "--dir", dir, obs)
	if code != 0 {
		t.Fatalf("match: %d %q %q", code, out, stderr)
	}
	if strings.Contains(out, "192.0.2.9") {
		t.Fatalf("an indicator that was refused matched: %q", out)
	}
	os.WriteFile(obs, []byte("domain-name:nothing.example\n"), 0o600)
	if code, _, _ := run(t, "", "intel", "match", "--dir", dir, obs); code != exitError {
		t.Fatalf("no match exits %d", code)
	}
	os.WriteFile(obs, []byte("ipv4-addr:999.1.1.1\n"), 0o600)
	if code, _, stderr := run(t, "", "intel", "match", "--dir", dir, obs); code != exitError || !strings.Contains(stderr, "observable 1: value") {
		t.Fatalf("bad observable: %d %q", code, stderr)
	}
	exp := filepath.Join(t.TempDir(), "out.json")
	if code, _, stderr := run(t, "", "intel", "export", "--dir", dir, "--collection", "c2", "--out", exp); code != 0 || !strings.Contains(stderr, "exported 8 objects") {
		t.Fatalf("export: %d %q", code, stderr)
	}
	// The export imports again, unchanged, as a no-op.
	if code, out, _ := run(t, "", "intel", "import", "--dir", dir, "--collection", "c2", exp); code != 0 || !strings.Contains(out, "8 of 8") {
		t.Fatalf("re-import: %d %q", code, out)
	}
}
