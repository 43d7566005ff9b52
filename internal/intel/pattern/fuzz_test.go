package pattern

import (
	"os"
	"testing"
)

// FuzzParse checks that Parse never panics, that every accepted pattern
// prints to a canonical form that parses back to itself, and that matching
// an accepted pattern never panics either.
func FuzzParse(f *testing.F) {
	for _, s := range conformancePatterns(f) {
		f.Add(s)
	}
	for _, s := range []string{
		"[file:extensions.'windows-pebinary-ext'.sections[*].entropy > 7.0]",
		"([ipv4-addr:value ISSUBSET '198.51.100.0/24'] FOLLOWEDBY [domain-name:value = 'x']) WITHIN 600 SECONDS",
		"[a-b:c NOT IN (1, 2.5)] REPEATS 2 TIMES START t'2016-06-01T01:30:00.123Z' STOP t'2016-06-01T02:20:00.123Z'",
		"[artifact:payload_bin = b'dGVzdA==' OR artifact:x = h'00ff']",
		"[EXISTS email-message:to_refs[-1].value] AND [x-y:z LIKE '%_\\\\'] OR [foo:bar MATCHES '^(a|b)+$']",
		"/* c */ [foo:bar = true] // x",
	} {
		f.Add(s)
	}
	obsFile, err := os.Open("testdata/observations.json")
	if err != nil {
		f.Fatal(err)
	}
	obs, err := DecodeObservedData(obsFile)
	obsFile.Close()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := Parse(s)
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("Parse(%q) returned %T", s, err)
			}
			return
		}
		c := p.String()
		p2, err := Parse(c)
		if err != nil {
			t.Fatalf("canonical %q of %q does not parse: %v", c, s, err)
		}
		if c2 := p2.String(); c2 != c {
			t.Fatalf("canonical form unstable: %q -> %q", c, c2)
		}
		_, _ = p.Match(obs)
	})
}
