package pattern

import (
	"errors"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"
)

func loadFixture(t testing.TB, name string) []*ObservedData {
	t.Helper()
	f, err := os.Open("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	obs, err := DecodeObservedData(f)
	if err != nil {
		t.Fatal(err)
	}
	return obs
}

// short turns "observed-data--00000000-0000-4000-8000-00000000000N" into "N".
func short(ids []string) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = id[len(id)-1:]
	}
	return strings.Join(s, ",")
}

// TestMatch covers every operator, path form, observation operator and
// qualifier against testdata/observations.json. want is the comma-separated
// list of matching observed-data (their last digit), "" for no match.
func TestMatch(t *testing.T) {
	obs := loadFixture(t, "observations.json")
	cases := []struct{ pattern, want string }{
		// = and != with every constant type.
		{"[file:name = 'report.exe']", "1"},
		{"[file:name = 'nope']", ""},
		{"[file:size = 1024]", "1"},
		{"[file:size = 1024.0]", "1"},
		{"[file:size != 1024]", "1"}, // notes.txt
		{"[file:name != 'report.exe' AND file:size = 1024]", ""},
		{"[file:name NOT = 'report.exe' AND file:size = 10]", "1"},
		{"[file:x_signed = false]", "1"},
		{"[file:x_signed = true]", ""},
		{"[file:x_signed != true]", "1"},
		{"[file:name = 1]", ""},
		{"[file:name != 1]", "1"}, // incomparable types are unequal
		{"[file:missing != 1]", ""},
		{"[file:missing NOT = 1]", ""},
		{"[file:ctime = t'2019-12-31T23:00:00.5Z']", "1"},
		{"[file:ctime = '2019-12-31T23:00:00.5Z']", "1"},
		{"[file:ctime = t'2019-12-31T23:00:00Z']", ""},
		{"[network-traffic:start = t'2020-01-01T00:00:05.25Z']", "2"},
		{"[file:name = b'cmVwb3J0LmV4ZQ==']", "1"},
		{"[file:magic_number_hex = h'4d5a']", "1"},
		{"[file:magic_number_hex = 'MZ']", "1"},
		{"[artifact:payload_bin = h'4d5a9000']", "4"},
		{"[artifact:payload_bin = b'TVqQAA==']", "4"},
		{"[file:hashes.'SHA-256' = 'ef537f25c895bfa782526529a9b63d97aa631564d5d789c2b765448c8635fb6c']", "1"},
		{"[file:hashes.MD5 = '001DD76872D80801692FF942308C64E6']", ""},
		// Ordering.
		{"[file:size < 11]", "1"},
		{"[file:size <= 10]", "1"},
		{"[file:size < 10]", ""},
		{"[file:size > 2000]", ""},
		{"[file:size >= 1024]", "1"},
		{"[file:size NOT > 5]", ""},
		{"[file:size NOT < 100]", "1"},
		{"[file:x_score > 7.2]", "1"},
		{"[file:x_score < 7]", ""},
		{"[file:name > 'q']", "1"},
		{"[file:name < 'a']", ""},
		{"[file:name > 1]", ""},
		{"[file:name NOT > 1]", ""}, // unordered stays false under NOT
		{"[file:ctime > t'2019-12-31T23:00:00Z']", "1"},
		{"[file:ctime <= t'2019-12-31T23:00:00Z']", ""},
		{"[artifact:payload_bin > h'4d']", "4"},
		{"[artifact:payload_bin < 'N']", "4"},
		// IN.
		{"[file:name IN ('a', 'report.exe')]", "1"},
		{"[file:size IN (1, 2)]", ""},
		{"[file:size IN (10.0, 2)]", "1"},
		{"[file:size NOT IN (1024)]", "1"},
		{"[file:size NOT IN (1024, 10)]", ""},
		{"[network-traffic:dst_port IN (80, 443)]", "2"},
		{"[file:name IN ()]", ""},
		// LIKE.
		{"[file:name LIKE 'rep%.exe']", "1"},
		{"[file:name LIKE 'report_exe']", "1"},
		{"[file:name LIKE 'report']", ""},
		{"[file:name LIKE 'REPORT%']", ""},
		{"[file:name NOT LIKE '%.exe']", "1"},
		{"[file:size LIKE '1%']", ""},
		{"[file:size NOT LIKE '1%']", ""}, // non-strings never pass LIKE
		{"[directory:path LIKE 'C:\\\\Windows\\\\%']", "1"},
		{"[file:name LIKE 'report.ex(']", ""},
		// MATCHES.
		{"[email-message:subject MATCHES '^\\\\[IMPORTANT\\\\]']", "4"},
		{"[email-message:subject MATCHES 'review']", ""},
		{"[email-message:subject MATCHES '(?i)review']", "4"},
		{"[file:name MATCHES 'exe$']", "1"},
		{"[file:name NOT MATCHES 'exe$']", "1"},
		{"[file:name NOT MATCHES 'e']", ""},
		{"[artifact:payload_bin MATCHES '^MZ\\\\x90']", "4"},
		{"[file:size MATCHES '1']", ""},
		// ISSUBSET / ISSUPERSET, IPv4 and IPv6.
		{"[ipv4-addr:value ISSUBSET '198.51.100.0/24']", "2"},
		{"[ipv4-addr:value ISSUBSET '198.51.100.7']", "2"},
		{"[ipv4-addr:value ISSUBSET '203.0.113.0/24']", "3"},
		{"[ipv4-addr:value ISSUBSET '203.0.113.0/26']", ""},
		{"[ipv4-addr:value NOT ISSUBSET '198.51.100.0/24']", "2,3"},
		{"[ipv4-addr:value ISSUPERSET '203.0.113.5']", "3"},
		{"[ipv4-addr:value ISSUPERSET '203.0.113.0/28']", "3"},
		{"[ipv4-addr:value ISSUPERSET '203.0.113.200']", ""},
		{"[ipv6-addr:value ISSUBSET '2001:db8::/32']", "5"},
		{"[ipv6-addr:value ISSUBSET '10.0.0.0/8']", ""},
		{"[ipv4-addr:value ISSUBSET '::ffff:198.51.100.0/120']", "2"},
		// EXISTS and path forms.
		{"[EXISTS file:hashes.MD5]", "1"},
		{"[EXISTS file:hashes.SHA1]", ""},
		{"[EXISTS network-traffic:src_ref]", "2"},
		{"[EXISTS domain-name:resolves_to_refs[0]]", "3"},
		{"[EXISTS domain-name:resolves_to_refs[1]]", ""}, // the second does not resolve
		{"[file:extensions.'windows-pebinary-ext'.sections[*].entropy > 7.0]", "1"},
		{"[file:extensions.'windows-pebinary-ext'.sections[1].name = '.data']", "1"},
		{"[file:extensions.'windows-pebinary-ext'.sections[-1].name = '.data']", "1"},
		{"[file:extensions.'windows-pebinary-ext'.sections[5].name = '.data']", ""},
		{"[file:extensions.'windows-pebinary-ext'.sections[0].entropy > 7.0 AND file:extensions.'windows-pebinary-ext'.sections[0].name = '.text']", "1"},
		{"[file:extensions.'windows-pebinary-ext'.sections[*].name = '.text' AND file:name = 'notes.txt']", ""},
		{"[file:'name' = 'report.exe']", "1"},
		{"[file:name[0] = 'r']", ""},
		{"[file:parent_directory_ref.path = 'C:\\\\Windows\\\\Temp']", "1"},
		{"[network-traffic:dst_ref.value = '198.51.100.7']", "2"},
		{"[network-traffic:src_ref.value ISSUBSET '10.0.0.0/8']", "2"},
		{"[network-traffic:protocols[*] = 'tls']", "2"},
		{"[network-traffic:protocols[2] = 'tls']", "2"},
		{"[domain-name:resolves_to_refs[*].value = '203.0.113.0/25']", "3"},
		{"[email-message:to_refs[*].value LIKE '%@example.org']", "4"},
		{"[email-message:body_multipart[*].body_raw_ref.name MATCHES '^Final Report.+\\\\.exe$']", "4"},
		{"[email-message:body_multipart[*].body_raw_ref.payload_bin = b'TVqQAA==']", "4"},
		{"[directory:name = 'report.exe']", ""},
		{"[domain-name:value = 'example.com' OR ipv4-addr:value = '198.51.100.7']", "2,3"},
		{"[(file:name = 'notes.txt' OR file:size = 1024) AND file:size < 100]", "1"},
		// Observation operators: AND needs distinct observations; an
		// observed-data with number_observed n is n observations.
		{"[file:name = 'report.exe'] AND [ipv4-addr:value = '198.51.100.7']", "1,2"},
		{"[file:name = 'report.exe'] AND [file:size = 10]", ""},
		{"[domain-name:value = 'example.com'] AND [domain-name:value = 'example.com']", "3"},
		{"[domain-name:value = 'example.com'] AND [domain-name:value = 'example.com'] AND [domain-name:value = 'example.com'] AND [domain-name:value = 'example.com']", ""},
		{"[file:name = 'nope'] OR [ipv6-addr:value = '2001:db8::1']", "5"},
		{"[file:name = 'nope'] OR [file:name = 'report.exe'] AND [ipv6-addr:value = '2001:db8::1']", "1,5"},
		{"([file:name = 'nope'] OR [file:name = 'report.exe']) AND [ipv6-addr:value = 'x']", ""},
		{"[file:name = 'report.exe'] FOLLOWEDBY [ipv6-addr:value = '2001:db8::1']", "1,5"},
		{"[ipv6-addr:value = '2001:db8::1'] FOLLOWEDBY [file:name = 'report.exe']", ""},
		{"[domain-name:value = 'example.com'] FOLLOWEDBY [domain-name:value = 'example.com']", "3"},
		{"[file:name = 'report.exe'] FOLLOWEDBY [ipv4-addr:value = '198.51.100.7'] FOLLOWEDBY [ipv6-addr:value = '2001:db8::1']", "1,2,5"},
		{"[file:name = 'report.exe'] FOLLOWEDBY [ipv6-addr:value = '2001:db8::1'] FOLLOWEDBY [ipv4-addr:value = '198.51.100.7']", ""},
		// REPEATS.
		{"[domain-name:value = 'example.com'] REPEATS 3 TIMES", "3"},
		{"[domain-name:value = 'example.com'] REPEATS 4 TIMES", ""},
		{"[ipv4-addr:value ISSUBSET '0.0.0.0/0'] REPEATS 4 TIMES", "2,3"},
		{"[ipv4-addr:value ISSUBSET '0.0.0.0/0'] REPEATS 5 TIMES", ""},
		{"([file:name = 'report.exe'] OR [ipv6-addr:value = '2001:db8::1']) REPEATS 2 TIMES", "1,5"},
		{"([file:name = 'report.exe'] AND [ipv6-addr:value = '2001:db8::1']) REPEATS 2 TIMES", ""},
		// WITHIN: one window touches every observation's interval.
		{"([file:name = 'report.exe'] AND [ipv4-addr:value = '198.51.100.7']) WITHIN 5 SECONDS", "1,2"},
		{"([file:name = 'report.exe'] AND [ipv4-addr:value = '198.51.100.7']) WITHIN 4.999 SECONDS", ""},
		{"([file:name = 'report.exe'] AND [domain-name:value = 'example.com']) WITHIN 10 SECONDS", "1,3"},
		{"([file:name = 'report.exe'] AND [domain-name:value = 'example.com']) WITHIN 9 SECONDS", ""},
		{"[file:name = 'report.exe'] AND [domain-name:value = 'example.com'] WITHIN 1 SECONDS", "1,3"},
		{"[domain-name:value = 'example.com'] REPEATS 3 TIMES WITHIN 0.001 SECONDS", "3"},
		{"([file:name = 'report.exe'] AND [ipv6-addr:value = '2001:db8::1']) WITHIN 200 SECONDS", "1,5"},
		{"([file:name = 'report.exe'] AND [ipv6-addr:value = '2001:db8::1']) WITHIN 200 SECONDS WITHIN 100 SECONDS", ""},
		// START/STOP: the interval meets [START, STOP).
		{"[domain-name:value = 'example.com'] START t'2020-01-01T00:00:15Z' STOP t'2020-01-01T00:00:16Z'", "3"},
		{"[domain-name:value = 'example.com'] START t'2020-01-01T00:00:20Z' STOP t'2020-01-01T00:00:21Z'", "3"},
		{"[domain-name:value = 'example.com'] START t'2020-01-01T00:00:00Z' STOP t'2020-01-01T00:00:10Z'", ""},
		{"[domain-name:value = 'example.com'] START t'2020-01-01T00:00:20.001Z' STOP t'2020-01-01T00:00:21Z'", ""},
		{"[file:name = 'report.exe'] START t'2020-01-01T00:00:00Z' STOP t'2020-01-01T00:00:01Z'", "1"},
		{"[ipv4-addr:value ISSUBSET '0.0.0.0/0'] REPEATS 2 TIMES START t'2020-01-01T00:00:06Z' STOP t'2020-01-01T00:01:00Z'", "3"},
		{"[ipv4-addr:value ISSUBSET '0.0.0.0/0'] REPEATS 4 TIMES START t'2020-01-01T00:00:06Z' STOP t'2020-01-01T00:01:00Z'", ""},
		{"([file:name = 'report.exe'] FOLLOWEDBY [ipv6-addr:value = '2001:db8::1']) START t'2020-01-01T00:00:00Z' STOP t'2020-01-01T00:02:00Z'", ""},
		{"([file:name = 'report.exe'] FOLLOWEDBY [ipv6-addr:value = '2001:db8::1']) START t'2020-01-01T00:00:00Z' STOP t'2020-01-01T00:02:00.001Z'", "1,5"},
	}
	for _, tc := range cases {
		t.Run(tc.pattern, func(t *testing.T) {
			p, err := Parse(tc.pattern)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			res, err := p.Match(obs)
			if err != nil {
				t.Fatalf("Match: %v", err)
			}
			if res.Matched != (tc.want != "") || short(res.ObservedData) != tc.want {
				t.Fatalf("matched=%v ids=%q, want %q", res.Matched, short(res.ObservedData), tc.want)
			}
			if res.Matched && len(res.Bindings) == 0 {
				t.Fatal("matched without bindings")
			}
		})
	}
}

func TestMatchBindings(t *testing.T) {
	obs := loadFixture(t, "observations.json")
	res, err := MustParse("[domain-name:value = 'example.com'] REPEATS 3 TIMES").Match(obs)
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{{obs[2].ID, obs[2].ID, obs[2].ID}}
	if !reflect.DeepEqual(res.Bindings, want) || res.Partial {
		t.Fatalf("bindings = %v, partial %v", res.Bindings, res.Partial)
	}
	res, _ = MustParse("[file:name = 'report.exe'] AND [ipv4-addr:value ISSUBSET '0.0.0.0/0']").Match(obs)
	if len(res.Bindings) != 2 || short(res.Bindings[0]) != "1,2" || short(res.Bindings[1]) != "1,3" {
		t.Fatalf("bindings = %v", res.Bindings)
	}
}

// TestMatchPeople replays the observation-operator and temporal-qualifier
// behaviour of the OASIS reference matcher on its small "people" data set.
func TestMatchPeople(t *testing.T) {
	obs := loadFixture(t, "people.json")
	match := []string{
		"[person:name='alice'] AND [person:age>20]",
		"[person:name='alice'] OR [person:name='carol']",
		"[person:name='alice'] OR [person:name='zelda']",
		"[person:age>10] OR [person:name='bob'] OR [person:name>'amber']",
		"[person:name='alice'] FOLLOWEDBY [person:name>'bill']",
		"[person:age > 20] OR ([person:name > 'zelda'] FOLLOWEDBY [person:age < 0])",
		"[person:age > 20] OR [person:name > 'zelda'] AND [person:age < 0]",
		"([person:name='carol'] FOLLOWEDBY [person:name < 'elizabeth']) AND [person:age < 15]",
	}
	noMatch := []string{
		"[person:name='alice'] AND [person:name='zelda']",
		"[person:name='alice'] AND [person:age=10]",
		"[person:name='alice'] FOLLOWEDBY [person:age=10]",
		"[person:name='mary'] OR [person:name='zelda']",
		"[person:age > 70] OR [person:name > 'zelda'] AND [person:name MATCHES '^...?$']",
		"[person:name='bob'] FOLLOWEDBY [person:age<15]",
		"[person:age > 20] OR [person:name > 'zelda'] FOLLOWEDBY [person:age < 0]",
		"([person:age > 20] OR [person:name > 'zelda']) AND [person:age < 0]",
		"[person:name='carol'] FOLLOWEDBY [person:name < 'elizabeth'] AND [person:age < 15]",
	}
	check := func(pats []string, want bool) {
		for _, s := range pats {
			res, err := MustParse(s).Match(obs)
			if err != nil || res.Matched != want {
				t.Errorf("%s: matched=%v err=%v, want %v", s, res != nil && res.Matched, err, want)
			}
		}
	}
	check(match, true)
	check(noMatch, false)

	timed := loadFixture(t, "people-timed.json")
	tmatch := []string{
		"[person:name = 'bob'] WITHIN 1 SECONDS",
		"[person:name = 'bob'] WITHIN .0001 SECONDS",
		"[person:name = 'alice'] AND [person:name < 'carol'] WITHIN 1 SECONDS",
		"([person:name = 'alice'] AND [person:name < 'carol']) WITHIN 5 SECONDS",
		"([person:name = 'alice'] OR [person:name = 'darlene']) WITHIN 1 SECONDS",
		"[person:name = 'bob'] START t'1994-11-29T13:37:57Z' STOP t'1994-11-29T13:37:58Z'",
		"[person:name LIKE 'a%'] AND [person:name = 'bob'] START t'1994-11-29T13:37:57Z' STOP t'1994-11-29T13:37:58Z'",
		"([person:name LIKE 'a%'] AND [person:name = 'bob']) START t'1994-11-29T13:37:50Z' STOP t'1994-11-29T13:37:58Z'",
		"[person:name MATCHES ''] REPEATS 2 TIMES START t'1994-11-29T13:37:50Z' STOP t'1994-11-29T13:37:58Z'",
	}
	tnoMatch := []string{
		"([person:name = 'alice'] AND [person:name < 'carol']) WITHIN 4.9999 SECONDS",
		"[person:name = 'elizabeth'] WITHIN 10 SECONDS",
		"[person:name = 'bob'] START t'1994-11-29T13:37:58Z' STOP t'1994-11-29T13:37:59Z'",
		"([person:name LIKE 'a%'] AND [person:name = 'bob']) START t'1994-11-29T13:37:50Z' STOP t'1994-11-29T13:37:57Z'",
		"[person:name MATCHES ''] REPEATS 3 TIMES START t'1994-11-29T13:37:50Z' STOP t'1994-11-29T13:37:58Z'",
		"[person:name NOT LIKE 'foo'] START t'1994-11-29T13:37:50Z' STOP t'1994-11-29T13:37:57Z' REPEATS 3 TIMES",
	}
	obs = timed
	check(tmatch, true)
	check(tnoMatch, false)
}

func TestMatchTooComplex(t *testing.T) {
	var objs []map[string]any
	for i := range 300 {
		objs = append(objs, map[string]any{
			"type": "observed-data", "id": fmt.Sprintf("observed-data--%d", i),
			"first_observed":  fmt.Sprintf("2020-01-01T00:%02d:%02dZ", i/60, i%60),
			"last_observed":   fmt.Sprintf("2020-01-01T00:%02d:%02dZ", i/60, i%60),
			"number_observed": 1,
			"objects":         map[string]any{"0": map[string]any{"type": "mutex", "name": "m"}},
		})
	}
	obs, err := FromObjects(objs)
	if err != nil {
		t.Fatal(err)
	}
	// 300 choose 40 combinations, none of which fits in one second.
	_, err = MustParse("[mutex:name = 'm'] REPEATS 40 TIMES WITHIN 1 SECONDS").Match(obs)
	if !errors.Is(err, ErrTooComplex) {
		t.Fatalf("Match = %v, want ErrTooComplex", err)
	}
	// A match found within the limits is certain, even if enumeration stopped.
	res, err := MustParse("[mutex:name = 'm'] REPEATS 40 TIMES").Match(obs)
	if err != nil || !res.Matched || !res.Partial {
		t.Fatalf("Match = %+v, %v", res, err)
	}
	// Impossible counts are decided at once.
	res, err = MustParse("[mutex:name = 'm'] REPEATS 1000 TIMES").Match(obs)
	if err != nil || res.Matched {
		t.Fatalf("Match = %+v, %v", res, err)
	}
}

func TestDecodeObservedData(t *testing.T) {
	good := `{"type":"observed-data","id":"observed-data--1","first_observed":"2020-01-01T00:00:00Z","last_observed":"2020-01-01T00:00:00Z","number_observed":1,"objects":{"0":{"type":"mutex","name":"m"}}}`
	for _, in := range []string{good, "[" + good + "]", `{"type":"bundle","objects":[` + good + `]}`, `[{"type":"bundle","objects":[` + good + `]}]`} {
		obs, err := DecodeObservedData(strings.NewReader(in))
		if err != nil || len(obs) != 1 || obs[0].ID != "observed-data--1" {
			t.Errorf("%s: %v %v", in, obs, err)
		}
	}
	bad := []struct{ in, msg string }{
		{`nope`, "not JSON"},
		{`{} {}`, "trailing data"},
		{`"x"`, "expected a STIX object"},
		{`[[{}]]`, "[0]: expected a STIX object, found an array"},
		{`{"type":"bundle","objects":{}}`, "objects: must be an array"},
		{`{"type":"observed-data","id":"observed-data--1","last_observed":"2020-01-01T00:00:00Z","number_observed":1}`, "observed-data--1: first_observed: required timestamp missing"},
		{`{"type":"observed-data","first_observed":"yesterday","last_observed":"2020-01-01T00:00:00Z","number_observed":1}`, "observed-data #1: first_observed: not an RFC 3339 timestamp"},
		{`{"type":"observed-data","first_observed":"2020-01-02T00:00:00Z","last_observed":"2020-01-01T00:00:00Z","number_observed":1}`, "last_observed: before first_observed"},
		{`{"type":"observed-data","first_observed":"2020-01-01T00:00:00Z","last_observed":"2020-01-01T00:00:00Z","number_observed":0}`, "number_observed: required integer"},
		{`{"type":"observed-data","first_observed":"2020-01-01T00:00:00Z","last_observed":"2020-01-01T00:00:00Z","number_observed":1.5}`, "number_observed: required integer"},
		{`{"type":"observed-data","first_observed":"2020-01-01T00:00:00Z","last_observed":"2020-01-01T00:00:00Z","number_observed":1,"objects":[]}`, "objects: must be a dictionary"},
		{`{"type":"observed-data","first_observed":"2020-01-01T00:00:00Z","last_observed":"2020-01-01T00:00:00Z","number_observed":1,"objects":{"0":1}}`, "objects.0: must be a cyber-observable object"},
		{`{"type":"observed-data","first_observed":"2020-01-01T00:00:00Z","last_observed":"2020-01-01T00:00:00Z","number_observed":1,"object_refs":[1]}`, "object_refs[0]: must be an identifier"},
	}
	for _, tc := range bad {
		_, err := DecodeObservedData(strings.NewReader(tc.in))
		var ie *InputError
		if !errors.As(err, &ie) || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%s: %v, want %q", tc.in, err, tc.msg)
		}
	}
}

// TestMatchRepeatsMany checks that REPEATS over many single observations
// finds a match without listing every combination, and that a failure it
// cannot prove is reported as ErrTooComplex, never as "no match".
func TestMatchRepeatsMany(t *testing.T) {
	var objs []map[string]any
	for i := range 300 {
		objs = append(objs, map[string]any{
			"type": "observed-data", "id": fmt.Sprintf("observed-data--%d", i),
			"first_observed":  fmt.Sprintf("2020-01-01T00:%02d:%02dZ", i/60, i%60),
			"last_observed":   fmt.Sprintf("2020-01-01T00:%02d:%02dZ", i/60, i%60),
			"number_observed": 1 + i%3,
			"objects":         map[string]any{"0": map[string]any{"type": "mutex", "name": "m"}},
		})
	}
	obs, err := FromObjects(objs)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		pattern string
		matched bool
		err     error
	}{
		{"[mutex:name = 'm'] REPEATS 200 TIMES", true, nil},
		{"[mutex:name = 'm'] REPEATS 600 TIMES", true, nil},
		{"[mutex:name = 'm'] REPEATS 601 TIMES", false, nil},
		{"[mutex:name = 'm'] REPEATS 9 TIMES WITHIN 3 SECONDS", true, nil},
		{"[mutex:name = 'm'] REPEATS 200 TIMES WITHIN 60 SECONDS", false, ErrTooComplex},
		{"[mutex:name = 'm'] REPEATS 100 TIMES START t'2020-01-01T00:02:00Z' STOP t'2020-01-01T00:03:00Z'", true, nil},
		{"([mutex:name = 'm'] REPEATS 100 TIMES) AND [mutex:name = 'm']", true, nil},
	}
	for _, tc := range cases {
		res, err := MustParse(tc.pattern).Match(obs)
		if !errors.Is(err, tc.err) || (err == nil && res.Matched != tc.matched) {
			t.Errorf("%s: %+v, %v; want matched=%v err=%v", tc.pattern, res, err, tc.matched, tc.err)
		}
	}
}
