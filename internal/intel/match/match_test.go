package match

import (
	"fmt"
	"slices"
	"testing"

	"github.com/liaison-dev/liaison/internal/intel/pattern"
)

func build(t testing.TB, patterns map[string]string) *Index {
	t.Helper()
	b := NewBuilder(len(patterns))
	ids := make([]string, 0, len(patterns))
	for id := range patterns {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		p, err := pattern.Parse(patterns[id])
		if err != nil {
			t.Fatalf("%s: %v", id, err)
		}
		b.Add(Indicator{ID: id, TLP: "TLP:AMBER"}, p)
	}
	return b.Build()
}

func TestLookup(t *testing.T) {
	ix := build(t, map[string]string{
		"c2-ip":       "[ipv4-addr:value = '198.51.100.7']",
		"c2-net":      "[ipv4-addr:value ISSUBSET '203.0.113.0/24']",
		"c2-net-eq":   "[ipv4-addr:value = '10.0.0.0/8']",
		"v6":          "[ipv6-addr:value ISSUBSET '2001:db8::/32'] OR [ipv6-addr:value = '2001:db9::1']",
		"phish":       "[domain-name:value = 'Login-Bank.example.'] AND [url:value = 'https://login-bank.example/a?b=c']",
		"bec":         "[email-addr:value IN ('ceo@victim.example', 'CFO@victim.example')]",
		"sample":      "[file:hashes.'SHA-256' = 'AABBCCDDEEFF00112233445566778899AABBCCDDEEFF00112233445566778899' OR file:hashes.MD5 = 'd41d8cd98f00b204e9800998ecf8427e']",
		"also-ip":     "[ipv4-addr:value = '198.51.100.7'] FOLLOWEDBY [domain-name:value = 'evil.example'] WITHIN 600 SECONDS",
		"negated":     "[ipv4-addr:value != '192.0.2.1']",
		"unindexable": "[process:name = 'evil.exe']",
	})
	cases := []struct {
		o    Observable
		want []string
	}{
		{Observable{Type: IPv4, Value: "198.51.100.7"}, []string{"also-ip", "c2-ip"}},
		{Observable{Type: IPv4, Value: "203.0.113.200"}, []string{"c2-net"}},
		{Observable{Type: IPv4, Value: "10.1.2.3"}, []string{"c2-net-eq"}},
		{Observable{Type: IPv4, Value: "203.0.114.1"}, nil},
		{Observable{Type: IPv4, Value: "192.0.2.1"}, nil},
		{Observable{Type: IPv6, Value: "2001:db8:1::5"}, []string{"v6"}},
		{Observable{Type: IPv6, Value: "2001:db9::1"}, []string{"v6"}},
		{Observable{Type: Domain, Value: "login-bank.EXAMPLE"}, []string{"phish"}},
		{Observable{Type: URL, Value: "https://login-bank.example/a?b=c"}, []string{"phish"}},
		{Observable{Type: Email, Value: "cfo@victim.example"}, []string{"bec"}},
		{Observable{Type: File, Hashes: map[string]string{"SHA256": "aabbccddeeff00112233445566778899aabbccddeeff00112233445566778899"}}, []string{"sample"}},
		{Observable{Type: File, Hashes: map[string]string{"MD5": "D41D8CD98F00B204E9800998ECF8427E", "SHA-1": "00"}}, []string{"sample"}},
		{Observable{Type: Domain, Value: "evil.example"}, []string{"also-ip"}},
		{Observable{Type: IPv4, Value: "not an ip"}, nil},
	}
	for _, tc := range cases {
		var got []string
		for _, h := range ix.Lookup(tc.o) {
			got = append(got, h.ID)
		}
		slices.Sort(got)
		if !slices.Equal(got, tc.want) {
			t.Errorf("Lookup(%+v) = %v, want %v", tc.o, got, tc.want)
		}
	}
}

func TestManyIndicatorsOneObservable(t *testing.T) {
	pats := map[string]string{}
	for i := range 50 {
		pats[fmt.Sprint("ind-", i)] = "[domain-name:value = 'shared.example']"
	}
	ix := build(t, pats)
	if got := ix.Lookup(Observable{Type: Domain, Value: "shared.example"}); len(got) != 50 {
		t.Fatalf("%d hits", len(got))
	}
}

func TestValidate(t *testing.T) {
	for _, o := range []Observable{{Type: "mutex", Value: "x"}, {Type: IPv4, Value: "1.2.3"}, {Type: File}, {Type: Domain}} {
		if o.Validate() == nil {
			t.Errorf("%+v accepted", o)
		}
	}
}

// BenchmarkLookup measures single lookups against 100,000 indicators
// (liaison bench match runs the full 1,000,000).
func BenchmarkLookup(b *testing.B) {
	bl := NewBuilder(100_000)
	for i := range 100_000 {
		p := pattern.MustParse(fmt.Sprintf("[ipv4-addr:value = '10.%d.%d.%d'] OR [domain-name:value = 'host%d.example']", i>>16&255, i>>8&255, i&255, i))
		bl.Add(Indicator{ID: fmt.Sprint(i)}, p)
	}
	ix := bl.Build()
	obs := []Observable{{Type: IPv4, Value: "10.0.1.2"}, {Type: Domain, Value: "host77.example"}, {Type: IPv4, Value: "192.0.2.1"}}
	b.ResetTimer()
	i := 0
	for b.Loop() {
		ix.Lookup(obs[i%3])
		i++
	}
}
