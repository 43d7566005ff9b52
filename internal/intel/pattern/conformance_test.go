package pattern

import (
	"encoding/json"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const conformance = "../../../../shared/conformance/stix2"

var update = flag.Bool("update", false, "rewrite testdata/conformance.golden")

// conformancePatterns collects the pattern of every indicator in the STIX
// conformance files whose pattern_type is stix (or absent, as in STIX 2.0).
func conformancePatterns(t testing.TB) []string {
	t.Helper()
	seen := map[string]bool{}
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if v["type"] == "indicator" {
				pt, hasType := v["pattern_type"].(string)
				if s, ok := v["pattern"].(string); ok && (!hasType || pt == "stix") {
					seen[s] = true
				}
			}
			for _, x := range v {
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	err := filepath.WalkDir(conformance, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".json") {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		var v any
		if err := json.Unmarshal(b, &v); err != nil {
			t.Errorf("%s: %v", path, err)
			return nil
		}
		walk(v)
		return nil
	})
	if err != nil {
		t.Fatalf("conformance data: %v", err)
	}
	var out []string
	for s := range seen {
		out = append(out, s)
	}
	slices.Sort(out)
	return out
}

// TestConformancePatterns parses every STIX pattern in the conformance
// examples and compares their canonical forms with testdata/conformance.golden
// (regenerate with go test -run TestConformancePatterns -update).
func TestConformancePatterns(t *testing.T) {
	pats := conformancePatterns(t)
	if len(pats) < 40 {
		t.Fatalf("found only %d conformance patterns", len(pats))
	}
	var golden strings.Builder
	for _, s := range pats {
		p, err := Parse(s)
		if err != nil {
			t.Errorf("%q: %v", s, err)
			continue
		}
		golden.WriteString(p.String() + "\n")
		if p2, err := Parse(p.String()); err != nil || p2.String() != p.String() {
			t.Errorf("%q: round trip %v", s, err)
		}
	}
	const file = "testdata/conformance.golden"
	if *update {
		if err := os.WriteFile(file, []byte(golden.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if string(want) != golden.String() {
		t.Errorf("canonical forms differ from %s; run go test -run TestConformancePatterns -update and review the diff", file)
	}
}
