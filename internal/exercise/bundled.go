package exercise

import (
	"bytes"
	"embed"
	"fmt"
	"io/fs"
	"slices"
	"strings"
)

//go:embed scenarios/*.yaml
var bundled embed.FS

// Bundled lists the names of the scenarios shipped with Liaison: one per
// priority crime, network protection, and the hotline drill schedule.
func Bundled() []string {
	names, _ := fs.Glob(bundled, "scenarios/*.yaml")
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = strings.TrimSuffix(strings.TrimPrefix(n, "scenarios/"), ".yaml")
	}
	slices.Sort(out)
	return out
}

// BundledFile returns a shipped scenario's file.
func BundledFile(name string) ([]byte, error) {
	b, err := bundled.ReadFile("scenarios/" + name + ".yaml")
	if err != nil {
		return nil, fmt.Errorf("no bundled scenario %q (have %s)", name, strings.Join(Bundled(), ", "))
	}
	return b, nil
}

// LoadBundled parses a shipped scenario.
func LoadBundled(name string) (*Scenario, error) {
	b, err := BundledFile(name)
	if err != nil {
		return nil, err
	}
	return Parse(name+".yaml", bytes.NewReader(b))
}
