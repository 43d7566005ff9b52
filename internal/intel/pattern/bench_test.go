package pattern

import (
	"fmt"
	"testing"
)

const benchPattern = "([ipv4-addr:value ISSUBSET '198.51.100.0/24' OR ipv4-addr:value = '203.0.113.33'] " +
	"FOLLOWEDBY [domain-name:value = 'example.com' AND domain-name:resolves_to_refs[*].value LIKE '203.0.%']) WITHIN 600 SECONDS " +
	"OR [file:hashes.'SHA-256' = 'ef537f25c895bfa782526529a9b63d97aa631564d5d789c2b765448c8635fb6c' AND file:size > 1024]"

func BenchmarkParse(b *testing.B) {
	for _, bc := range []struct{ name, pattern string }{
		{"simple", "[ipv4-addr:value = '198.51.100.7']"},
		{"complex", benchPattern},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(bc.pattern)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Parse(bc.pattern); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkMatch matches benchPattern against 1,000 observed-data, each
// holding an address, a domain and a file.
func BenchmarkMatch(b *testing.B) {
	var objs []map[string]any
	for i := range 1000 {
		objs = append(objs, map[string]any{
			"type": "observed-data", "id": fmt.Sprintf("observed-data--%d", i),
			"first_observed":  fmt.Sprintf("2020-01-01T%02d:%02d:%02dZ", i/3600, i/60%60, i%60),
			"last_observed":   fmt.Sprintf("2020-01-01T%02d:%02d:%02dZ", i/3600, i/60%60, i%60),
			"number_observed": 1,
			"objects": map[string]any{
				"0": map[string]any{"type": "ipv4-addr", "value": fmt.Sprintf("198.51.%d.%d", i%256, i%200)},
				"1": map[string]any{"type": "domain-name", "value": fmt.Sprintf("host%d.example.com", i), "resolves_to_refs": []any{"2"}},
				"2": map[string]any{"type": "ipv4-addr", "value": fmt.Sprintf("203.0.%d.1", i%256)},
				"3": map[string]any{"type": "file", "size": i, "hashes": map[string]any{"SHA-256": fmt.Sprintf("%064x", i)}},
			},
		})
	}
	// One hit for each side of the FOLLOWEDBY.
	objs[999]["objects"].(map[string]any)["1"].(map[string]any)["value"] = "example.com"
	obs, err := FromObjects(objs)
	if err != nil {
		b.Fatal(err)
	}
	p := MustParse(benchPattern)
	b.ReportAllocs()
	for b.Loop() {
		res, err := p.Match(obs)
		if err != nil || !res.Matched {
			b.Fatal(res, err)
		}
	}
}
