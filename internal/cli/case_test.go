package cli

import (
	"encoding/json"
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
	// Tasks, sharing and permissions.
	task := write("task.json", `{"title":"Image the encrypted servers","owner":"US","status":"todo","concerns":["CN"],"due":"2026-12-01T00:00:00Z"}`)
	if code, out, stderr := run(t, "", "case", "task", "--dir", us, "--as", "desk", "--id", id, "--file", task); code != 0 || !strings.Contains(out, "task saved") {
		t.Fatalf("case task: %d %q %q", code, out, stderr)
	}
	var shown struct {
		Items []struct{ ID, Value string }         `json:"items"`
		Tasks []struct{ ID, Title, Status string } `json:"tasks"`
	}
	show := func() {
		t.Helper()
		_, out, _ := run(t, "", "case", "show", "--dir", us, "--as", "desk", "--id", id, "--json")
		if err := json.Unmarshal([]byte(out), &shown); err != nil || len(shown.Items) == 0 || len(shown.Tasks) == 0 {
			t.Fatalf("case show: %v %.300q", err, out)
		}
	}
	mine := func() (string, string) {
		t.Helper()
		show()
		for _, tk := range shown.Tasks {
			if tk.Title == "Image the encrypted servers" {
				return tk.ID, tk.Status
			}
		}
		t.Fatalf("the task is not in the case: %+v", shown.Tasks)
		return "", ""
	}
	taskID, _ := mine()
	done := write("done.json", `{"id":"`+taskID+`","status":"done"}`)
	if code, out, stderr := run(t, "", "case", "task", "--dir", us, "--as", "desk", "--id", id, "--file", done); code != 0 || !strings.Contains(out, "task saved") {
		t.Fatalf("case task update: %d %q %q", code, out, stderr)
	}
	if _, status := mine(); status != "done" {
		t.Fatalf("updated task: %s", status)
	}
	unknown := write("unknown.json", `{"id":"nope","status":"done"}`)
	if code, _, stderr := run(t, "", "case", "task", "--dir", us, "--as", "desk", "--id", id, "--file", unknown); code != exitError || !strings.Contains(stderr, "no task nope") {
		t.Fatalf("unknown task: %d %q", code, stderr)
	}
	badTask := write("badtask.json", `{"title":"x","owner":"US","status":"someday"}`)
	if code, _, stderr := run(t, "", "case", "task", "--dir", us, "--as", "desk", "--id", id, "--file", badTask); code != exitError || !strings.Contains(stderr, "  status: must be one of") {
		t.Fatalf("invalid task: %d %q", code, stderr)
	}
	itemID := shown.Items[0].ID
	if code, out, stderr := run(t, "", "case", "share", "--dir", us, "--as", "desk", "--id", id, "--item", itemID, "--party", "CN"); code != 0 || !strings.Contains(out, "shared with CN") {
		t.Fatalf("case share: %d %q %q", code, out, stderr)
	}
	if code, out, stderr := run(t, "", "case", "permission", "refuse", "--dir", us, "--as", "desk", "--id", id, "--item", itemID, "--party", "CN", "--note", "not yet"); code != 0 || !strings.Contains(out, "permission refused") {
		t.Fatalf("permission refuse: %d %q %q", code, out, stderr)
	}
	if code, _, stderr := run(t, "", "case", "permission", "request", "--dir", us, "--as", "desk", "--id", id, "--item", itemID, "--party", "CN"); code == 0 || !strings.Contains(stderr, "originated") {
		t.Fatalf("permission request on our own item: %d %q", code, stderr)
	}
	if code, _, stderr := run(t, "", "case", "add-party", "--dir", us, "--as", "desk", "--id", id, "--party", "RU"); code == 0 || !strings.Contains(stderr, "not a paired peer") {
		t.Fatalf("add-party of an unpaired party: %d %q", code, stderr)
	}
	if code, _, stderr := run(t, "", "case", "share", "--dir", us, "--as", "desk", "--id", id, "--item", "nope", "--party", "CN"); code == 0 || !strings.Contains(stderr, "no item nope") {
		t.Fatalf("share of an unknown item: %d %q", code, stderr)
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
