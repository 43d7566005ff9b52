package cli

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSampleAddGetList(t *testing.T) {
	dir := initNode(t)
	if code, _, stderr := run(t, "", "agency", "add", "--dir", dir, "--code", "FBI", "--name", "FBI", "--kind", "police"); code != 0 {
		t.Fatal(stderr)
	}
	if code, _, stderr := run(t, "", "intel", "collection", "create", "--dir", dir, "--title", "Samples", "--alias", "samples", "--grant", "agency:FBI:rw"); code != 0 {
		t.Fatal(stderr)
	}
	tmp := t.TempDir()
	payload := bytes.Repeat([]byte("MZ test bytes, not malware "), 1000)
	in := filepath.Join(tmp, "dropper.exe")
	os.WriteFile(in, payload, 0o600)
	sum := sha256.Sum256(payload)
	sha := hex.EncodeToString(sum[:])
	code, out, stderr := run(t, "", "sample", "add", "--dir", dir, "--collection", "samples", "--malware-name", "Dropper", "--tlp", "green", in)
	if code != 0 || !strings.Contains(out, "stored "+sha) || !strings.Contains(out, "malware malware--") {
		t.Fatalf("add: %d %q %q", code, out, stderr)
	}
	if code, _, stderr := run(t, "", "sample", "add", "--dir", dir, "--collection", "samples", "--tlp", "purple", in); code != exitUsage || !strings.Contains(stderr, "TLP") {
		t.Fatalf("bad tlp: %d %q", code, stderr)
	}
	raw := filepath.Join(tmp, "out.bin")
	if code, _, stderr := run(t, "", "sample", "get", "--dir", dir, sha, "--out", raw); code != 0 || !strings.Contains(stderr, "WARNING") {
		t.Fatalf("get: %d %q", code, stderr)
	}
	got, _ := os.ReadFile(raw)
	if fi, _ := os.Stat(raw); !bytes.Equal(got, payload) || fi.Mode().Perm() != 0o600 {
		t.Fatalf("raw copy differs or is not 0600 (%v)", fi.Mode())
	}
	// An existing file is never overwritten.
	if code, _, _ := run(t, "", "sample", "get", "--dir", dir, sha, "--zip", "--out", raw); code == 0 {
		t.Fatal("get overwrote a file")
	}
	zf := filepath.Join(tmp, "out.zip")
	if code, _, stderr := run(t, "", "sample", "get", "--dir", dir, sha, "--zip", "--out", zf); code != 0 {
		t.Fatalf("get --zip: %d %q", code, stderr)
	}
	if z, _ := os.ReadFile(zf); !bytes.HasPrefix(z, []byte("PK\x03\x04")) {
		t.Fatal("not a zip")
	}
	if code, out, _ := run(t, "", "sample", "list", "--dir", dir, "--collection", "samples"); code != 0 || !strings.Contains(out, sha) || !strings.Contains(out, "dropper.exe") {
		t.Fatalf("list: %d %q", code, out)
	}
	if code, _, _ := run(t, "", "sample", "get", "--dir", dir, strings.Repeat("0", 64), "--out", filepath.Join(tmp, "x")); code == 0 {
		t.Fatal("unknown sample")
	}
}
