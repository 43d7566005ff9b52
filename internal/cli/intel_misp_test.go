package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestIntelImportExportMISP(t *testing.T) {
	dir := initNode(t)
	if code, _, stderr := run(t, "", "agency", "add", "--dir", dir, "--code", "FBI", "--name", "FBI", "--kind", "police"); code != 0 {
		t.Fatal(stderr)
	}
	if code, _, stderr := run(t, "", "intel", "collection", "create", "--dir", dir, "--title", "MISP feed", "--alias", "misp", "--grant", "agency:FBI:rw"); code != 0 {
		t.Fatal(stderr)
	}
	event := "../intel/misp/testdata/event-published.json"
	code, out, stderr := run(t, "", "intel", "import", "--dir", dir, "--collection", "misp", event)
	if code != 0 || !strings.Contains(out, "objects stored") {
		t.Fatalf("import: %d %q %q", code, out, stderr)
	}
	// Importing the same event again changes nothing.
	if code, out, _ := run(t, "", "intel", "import", "--dir", dir, "--collection", "misp", event); code != 0 || !strings.Contains(out, "objects stored") {
		t.Fatalf("re-import: %d %q", code, out)
	}
	// An indicator from the event matches.
	obs := filepath.Join(t.TempDir(), "obs.txt")
	os.WriteFile(obs, []byte("ipv4-addr:203.0.113.45\n"), 0o600)
	if code, out, _ := run(t, "", "intel", "match", "--dir", dir, obs); code != 0 || !strings.Contains(out, "indicator--a1000001") {
		t.Fatalf("match: %d %q", code, out)
	}
	exp := filepath.Join(t.TempDir(), "out.json")
	if code, _, stderr := run(t, "", "intel", "export", "--dir", dir, "--collection", "misp", "--format", "misp", "--out", exp); code != 0 || !strings.Contains(stderr, "as 1 MISP events") {
		t.Fatalf("export: %d %q", code, stderr)
	}
	b, _ := os.ReadFile(exp)
	for _, want := range []string{`"Event"`, `"tlp:amber"`, `"tlp:red"`, "203.0.113.45", `"value": "QakBot"`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("export lacks %s", want)
		}
	}
	// A bad attribute refuses the file, naming the attribute and field.
	bad := filepath.Join(t.TempDir(), "bad.json")
	os.WriteFile(bad, []byte(`{"Event":{"uuid":"5f1c2b7e-3a41-4d2c-9b8e-2d6f0a1c7e11","info":"x","timestamp":"1","Attribute":[{"uuid":"a1000001-1c2d-4e5f-8a9b-0c1d2e3f4a51","type":"ip-dst","value":"999.0.0.1","to_ids":true}]}}`), 0o600)
	if code, _, stderr := run(t, "", "intel", "import", "--dir", dir, "--collection", "misp", bad); code == 0 || !strings.Contains(stderr, "attribute a1000001-1c2d-4e5f-8a9b-0c1d2e3f4a51: value") {
		t.Fatalf("bad MISP: %d %q", code, stderr)
	}
	if code, _, _ := run(t, "", "intel", "export", "--dir", dir, "--collection", "misp", "--format", "csv"); code != exitUsage {
		t.Fatalf("bad format: %d", code)
	}
}
