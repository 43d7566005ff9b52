package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCaseCommands(t *testing.T) {
	us := initNode(t)
	cn := filepath.Join(t.TempDir(), "cn")
	if code, _, stderr := run(t, "", "init", "--dir", cn, "--party", "CN", "--name", "China", "--listen", "127.0.0.1:9443"); code != 0 {
		t.Fatal(stderr)
	}
	desc := filepath.Join(t.TempDir(), "cn.json")
	run(t, "", "descriptor", "--dir", cn, "--out", desc)
	if code, _, stderr := run(t, "", "peer", "add", "--dir", us, desc); code != 0 {
		t.Fatal(stderr)
	}
	run(t, "", "agency", "add", "--dir", us, "--code", "FBI", "--name", "FBI", "--kind", "police")
	if code, _, stderr := run(t, "a long enough passphrase", "user", "add", "--dir", us, "--username", "desk", "--agency", "FBI", "--role", "liaison_officer", "--password-stdin"); code != 0 {
		t.Fatal(stderr)
	}
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(body), 0o600)
		return p
	}
	open := write("case.json", `{"title":"Ransomware on a hospital","summary":"Encrypted EHR systems; ransom note names a Tor site.","category":"ransomware","parties":["CN"],"handling":{"tlp":"TLP:AMBER","conditions":[],"source":"B","credibility":2}}`)
	code, out, stderr := run(t, "", "case", "open", "--dir", us, "--as", "desk", "--file", open)
	if code != 0 || !strings.HasPrefix(out, "opened case ") {
		t.Fatalf("case open: %d %q %q", code, out, stderr)
	}
	id := strings.TrimSpace(strings.TrimPrefix(out, "opened case "))
	item := write("item.json", `{"kind":"indicator","value":"198.51.100.23","originator":"US","handling":{"tlp":"TLP:AMBER","conditions":[],"source":"B","credibility":2}}`)
	if code, out, stderr := run(t, "", "case", "add-item", "--dir", us, "--as", "desk", "--id", id, "--file", item); code != 0 || !strings.Contains(out, "item added") {
		t.Fatalf("add-item: %d %q %q", code, out, stderr)
	}
	code, out, _ = run(t, "", "case", "list", "--dir", us, "--as", "desk", "--q", "hospital")
	if code != 0 || !strings.Contains(out, id) || !strings.Contains(out, "ransomware") {
		t.Fatalf("case list: %d %q", code, out)
	}
	if code, out, _ := run(t, "", "case", "show", "--dir", us, "--as", "desk", "--id", id, "--json"); code != 0 || !strings.Contains(out, "198.51.100.23") {
		t.Fatalf("case show: %d %.300q", code, out)
	}
	// A misspelt key is named, and nothing is opened.
	bad := write("bad.json", `{"title":"x","categry":"ransomware"}`)
	if code, _, stderr := run(t, "", "case", "open", "--dir", us, "--as", "desk", "--file", bad); code != exitError || !strings.Contains(stderr, "categry") {
		t.Fatalf("unknown key: %d %q", code, stderr)
	}
	invalid := write("invalid.json", `{"title":"","summary":"","category":"piracy","parties":[],"handling":{"tlp":"TLP:PURPLE"}}`)
	if code, _, stderr := run(t, "", "case", "open", "--dir", us, "--as", "desk", "--file", invalid); code != exitError || !strings.Contains(stderr, "category") {
		t.Fatalf("invalid case: %d %q", code, stderr)
	}
	if code, _, stderr := run(t, "", "case", "list", "--dir", us); code != exitUsage || !strings.Contains(stderr, "--as") {
		t.Fatalf("no --as: %d %q", code, stderr)
	}
}
