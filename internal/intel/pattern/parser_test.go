package pattern

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParseValid(t *testing.T) {
	cases := []struct {
		in, want string // want "" means the input is already canonical
	}{
		{"[file:size = 1280]", ""},
		{"[file:size != 1280]", ""},
		{"[file:size <> 1280]", "[file:size != 1280]"},
		{"[file:size == 1280]", "[file:size = 1280]"},
		{"[file:size < 1024]", ""},
		{"[file:size <= 1024]", ""},
		{"[file:size > 1024]", ""},
		{"[file:size >= -1024]", ""},
		{"[file:size > +7]", "[file:size > 7]"},
		{"[file:x = 1.5]", ""},
		{"[file:x = .5]", "[file:x = 0.5]"},
		{"[file:x = -.5]", "[file:x = -0.5]"},
		{"[file:x = true]", ""},
		{"[file:x != false]", ""},
		{"[file:name = 'it''s']", ""}, // replaced below: '' is not an escape in 2.1
		{`[file:name = 'it\'s \\ ok']`, ""},
		{"[file:name NOT = 'x']", ""},
		{"[file:size NOT > 5]", ""},
		{"[file:file_name IN ('test.txt', 'test2.exe', 'README')]", ""},
		{"[file:size IN (1024, 2048, 4096.5)]", ""},
		{"[file:size NOT IN ()]", ""},
		{"[file:name LIKE 'name%']", ""},
		{"[file:name NOT LIKE '_x%']", ""},
		{`[file:name MATCHES '^Final Report.+\\.exe$']`, ""},
		{"[ipv4-addr:value ISSUBSET '192.168.0.1/24']", ""},
		{"[ipv4-addr:value NOT ISSUPERSET '10.0.0.1']", ""},
		{"[ipv6-addr:value ISSUBSET '2001:db8::/32']", ""},
		{"[EXISTS file:hashes.MD5]", "[EXISTS file:hashes.MD5]"},
		{"[artifact:payload_bin = b'dGhpcyBpcyBhIHRlc3Q=']", ""},
		{"[artifact:payload_bin = h'00ff10']", ""},
		{"[artifact:payload_bin = h'']", ""},
		{"[x-whatever:detected == t'2018-03-22T12:11:14.1Z']", "[x-whatever:detected = t'2018-03-22T12:11:14.1Z']"},
		{"[file:ctime = t'2016-12-31T23:59:60Z']", ""},
		{"[file:hashes.'SHA-256' = 'ef537f25c895bfa782526529a9b63d97aa631564d5d789c2b765448c8635fb6c']", ""},
		{"[file:extensions.'windows-pebinary-ext'.sections[*].entropy > 7.0]", ""},
		{"[file:parent_directory_ref.path = 'C:\\\\Windows']", ""},
		{"[email-message:body_multipart[0].body_raw_ref.name = 'a']", ""},
		{"[email-message:to_refs[-1].value = 'a@example.com']", ""},
		{"[file:'name' = 'x']", "[file:name = 'x']"},
		{"[file:'AND'.x = 1]", ""},
		{"[file:'a b'.'c''d' = 1]", ""}, // replaced below
		{"[file:name = 'a' OR file:name = 'b' AND file:size = 1]", ""},
		{"[(file:name = 'a' OR file:name = 'b') AND file:size = 1]", ""},
		{"[((file:name = 'a'))]", "[file:name = 'a']"},
		{"[file:name = 'a' OR ipv4-addr:value = '1.2.3.4']", ""},
		{"[(file:name = 'a' OR ipv4-addr:value = '1.2.3.4') AND file:size = 1]", ""},
		{"[a-b:c = 1]", "[a-b:c = 1]"},
		{"[foo:bar=1] REPEATS 9 TIMES", "[foo:bar = 1] REPEATS 9 TIMES"},
		{"[foo:bar = 1] WITHIN 5 SECONDS", ""},
		{"[foo:bar = 1] WITHIN .0001 SECONDS", "[foo:bar = 1] WITHIN 0.0001 SECONDS"},
		{"[foo:bar = 1] START t'2016-06-01T01:30:00.123Z' STOP t'2016-06-01T02:20:00.123Z'", ""},
		{"[foo:bar = 1] WITHIN 5 SECONDS REPEATS 2 TIMES START t'2016-06-01T00:00:00Z' STOP t'2016-06-02T00:00:00Z'", ""},
		{"([foo:bar = 1]) WITHIN 5 SECONDS WITHIN 6 SECONDS", ""},
		{"([foo:bar = 1] REPEATS 2 TIMES) REPEATS 2 TIMES", ""},
		{"[foo:a = 1] AND [foo:b = 2] OR [foo:c = 3] FOLLOWEDBY [foo:d = 4]", ""},
		{"[foo:a = 1] FOLLOWEDBY ([foo:b = 2] OR [foo:c = 3]) AND [foo:d = 4]", ""},
		{"( [(network-traffic:dst_port IN(443,6443,8443) AND network-traffic:src_packets != 0) ])",
			"([network-traffic:dst_port IN (443, 6443, 8443) AND network-traffic:src_packets != 0])"},
		{"/* c */ [foo:bar = 1] // trailing\n", "[foo:bar = 1]"},
		{"[foo:bar\n=\r\n1]\u00a0\u3000", "[foo:bar = 1]"},
		{"[foo:ANDROID = 1]", ""},
		{"[foo:and = 1]", ""},
		{"[foo:bar = 'é\u00e9']", ""},
		{"[foo:bar = 'multi\nline']", ""},
		{"[user-account:value = 'Peter'] AND [user-account:value != 'Paul'] AND [user-account:value = 'Mary'] WITHIN 5 SECONDS", ""},
	}
	// Two entries above stand for inputs that differ between STIX 2.0 and
	// 2.1 quoting; replace them with their 2.1 spelling.
	cases[14] = struct{ in, want string }{`[file:name = 'it\'s']`, ""}
	cases[40] = struct{ in, want string }{`[file:'a b'.'c\'d' = 1]`, ""}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			p, err := Parse(tc.in)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			want := tc.want
			if want == "" {
				want = tc.in
			}
			got := p.String()
			if got != want {
				t.Fatalf("String() = %q, want %q", got, want)
			}
			p2, err := Parse(got)
			if err != nil || p2.String() != got {
				t.Fatalf("round trip: %v, %q", err, p2)
			}
		})
	}
}

func TestParseInvalid(t *testing.T) {
	cases := []struct {
		in        string
		line, col int
		msg       string
	}{
		{"", 1, 1, "empty pattern"},
		{"   ", 1, 4, "empty pattern"},
		{"file:size = 1280", 1, 1, "expected '[' (a pattern is one or more observation expressions"},
		{"[file:size = ]", 1, 14, "expected a constant"},
		{"[file:hashes.MD5 = cead3f77f6cda6ec00f57d76c9a6879f]", 1, 20, "expected a constant"},
		{"[file.size = 1280]", 1, 6, "expected ':' after the object type 'file'"},
		{"[file:name MATCHES /.*\\.dll/]", 1, 20, "expected a string constant after MATCHES, found '/'"},
		{"[win-registry-key:key = 'x'] WITHIN ]", 1, 37, "expected a positive number of seconds after WITHIN"},
		{"[win-registry-key:key = 'x'] WITHIN 5 HOURS", 1, 39, "expected SECONDS"},
		{"[win-registry-key:key = 'x'] WITHIN -5 SECONDS", 1, 37, "expected a positive number of seconds"},
		{"[win-registry-key:key = 'x'] WITHIN 0 SECONDS", 1, 37, "WITHIN must be greater than 0"},
		{"[win-registry-key:key = 'x'] WITHIN 0.0 SECONDS", 1, 37, "WITHIN must be greater than 0"},
		{"[network-traffic:dst_ref.value ISSUBSET ]", 1, 41, "expected a string constant after ISSUBSET"},
		{"[network-traffic:dst_ref.value ISSUBSET 'example.com']", 1, 41, "ISSUBSET needs an IPv4 or IPv6 address or CIDR block"},
		{"[file:hashes.MD5 =? 'x']", 1, 19, "expected a constant (string, number, boolean, binary, hex or timestamp), found '?'"},
		{"[x-whatever:detected == t'2457-73-22T32:81:84.1Z']", 1, 25, "invalid timestamp"},
		{"[file:x = t'2016-02-30T00:00:00Z']", 1, 11, "invalid timestamp"},
		{"[file:x = t'2016-01-01T00:00:00']", 1, 11, "invalid timestamp"},
		{"[file:x = t'2016-01-01t00:00:00Z']", 1, 11, "invalid timestamp"},
		{"[file:x = t'2016-01-01T00:00Z']", 1, 11, "invalid timestamp"},
		{"[artifact:payload_bin = b'====']", 1, 25, "invalid binary constant"},
		{"[artifact:payload_bin = b'']", 1, 25, "invalid binary constant"},
		{"[artifact:payload_bin = b'abc']", 1, 25, "invalid binary constant"},
		{"[artifact:payload_bin = h'abc']", 1, 25, "invalid hex constant"},
		{"[foo:bar=1] within 2 seconds", 1, 13, "keywords are upper-case: WITHIN"},
		{"[foo:bar = 1] and [foo:bar = 2]", 1, 15, "keywords are upper-case: AND"},
		{"[file:hashes.'SHA-256' = 'f00']", 1, 26, "'f00' is not a valid SHA-256 hash"},
		{"[file:hashes.MD5 IN ('001dd76872d80801692ff942308c64e6', 'zz')]", 1, 58, "'zz' is not a valid MD5 hash"},
		{"[win-registry-key:key = 'x'] WITHIN 5 SECONDS WITHIN 6 SECONDS", 1, 47, "duplicate WITHIN qualifier"},
		{"([win-registry-key:key = 'x'] REPEATS 2 TIMES REPEATS 3 TIMES)", 1, 47, "duplicate REPEATS qualifier"},
		{"[foo:bar = 1] START t'2016-06-01T01:30:00Z' STOP t'2016-06-01T02:30:00Z' START t'2016-06-01T01:30:00Z' STOP t'2016-06-01T02:30:00Z'", 1, 74, "duplicate START/STOP qualifier"},
		{"[foo:bar = 1] START t'2016-06-01T02:30:00Z' STOP t'2016-06-01T01:30:00Z'", 1, 50, "must be later than START"},
		{"[foo:bar = 1] START t'2016-06-01T02:30:00Z'", 1, 44, "expected STOP"},
		{"[foo:bar = 1] REPEATS 0 TIMES", 1, 23, "REPEATS must be at least 1"},
		{"[foo:bar = 1] REPEATS 2", 1, 24, "expected TIMES"},
		{"[foo:bar = 1] REPEATS 1.5 TIMES", 1, 23, "expected a positive integer after REPEATS"},
		{"[foo:bar = 1] REPEATS 2000000 TIMES", 1, 23, "REPEATS must be at most"},
		{"[file:name = 'a' AND ipv4-addr:value = '1.2.3.4']", 1, 22, "comparison on 'ipv4-addr' joined by AND to one on 'file'"},
		{"[(file:name = 'a' OR process:name = 'b') AND ipv4-addr:value = '1.2.3.4']", 1, 46, "comparison on 'ipv4-addr' joined by AND to one on 'file' or 'process'"},
		{"[a:b = 1]", 1, 2, "invalid object type 'a'"},
		{"[x_whatever:b = 1]", 1, 2, "invalid object type 'x_whatever'"},
		{"[File:b = 1]", 1, 2, "invalid object type 'File'"},
		{"[file:extensions.windows-pebinary-ext.x = 1]", 1, 18, "property name 'windows-pebinary-ext' contains '-'"},
		{"[file:name = 'a'", 1, 17, "expected ']' at column 17: the '[' of the observation expression at column 1 is not closed"},
		{"([file:name = 'a']", 1, 19, "the '(' of the group at column 1 is not closed"},
		{"[file:name = 'a'] [file:name = 'b']", 1, 19, "expected AND, OR, FOLLOWEDBY"},
		{"[file:name = 'a'] AND", 1, 22, "expected '[' or '('"},
		{"[file:name = 'abc]", 1, 14, "unterminated string"},
		{`[file:name = 'a\nb']`, 1, 16, `invalid escape`},
		{"[file:name = 'a' /* x ]", 1, 18, "unterminated comment"},
		{"[file:name > true]", 1, 14, "expected an orderable constant"},
		{"[file:name LIKE 5]", 1, 17, "expected a string constant after LIKE"},
		{"[file:name IN 'a']", 1, 15, "expected '(' to start the IN set"},
		{"[file:name IN ('a', 1)]", 1, 21, "IN set mixes string and integer constants"},
		{"[file:name IN ('a' 'b')]", 1, 20, "expected ',' or ')', found 'b' at column 20: the IN set at column 15 is not closed"},
		{"[file:name NOT EXISTS]", 1, 16, "expected a comparison operator after NOT"},
		{"[file:name]", 1, 11, "expected a comparison operator"},
		{"[file: = 1]", 1, 8, "expected a property name"},
		{"[file:a[x] = 1]", 1, 9, "expected a list index or '*'"},
		{"[file:a[01] = 1]", 1, 9, "leading zero"},
		{"[file:a = 99999999999999999999]", 1, 11, "out of range"},
		{"[[file:a = 1]]", 1, 2, "observation expressions cannot nest"},
		{"[file:a = 1]\n  AND [file:b = 2\n]x", 3, 2, "expected AND, OR, FOLLOWEDBY, a qualifier or the end of the pattern, found 'x'"},
		{"[file:a = 1] FOLLOWEDBY\n\t[file:b = ]", 2, 12, "expected a constant"},
		{"[file:a = 'é'] ¤", 1, 16, "found '¤'"},
		{"[file:a = 1] \xff", 1, 14, "invalid UTF-8"},
		{"[file:a = 1] LAST", 1, 14, "expected AND, OR, FOLLOWEDBY"},
		{"[file:a ! 1]", 1, 9, "unexpected '!'"},
		{"[file:a = -]", 1, 11, `expected digits after "-"`},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			_, err := Parse(tc.in)
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("Parse = %v, want *Error", err)
			}
			if pe.Pos.Line != tc.line || pe.Pos.Column != tc.col || !strings.Contains(pe.Error(), tc.msg) {
				t.Fatalf("got %q (line %d, column %d), want %q at line %d, column %d", pe, pe.Pos.Line, pe.Pos.Column, tc.msg, tc.line, tc.col)
			}
		})
	}
}

func TestErrorFormat(t *testing.T) {
	_, err := Parse("[file:name = 'a' AND file:size = 1")
	if err == nil || err.Error() != "expected ']' at column 35: the '[' of the observation expression at column 1 is not closed" {
		t.Fatalf("got %v", err)
	}
	_, err = Parse("[file:name = 'a']\nAND [file:x = ]")
	if err == nil || !strings.HasSuffix(err.Error(), "at line 2, column 15") {
		t.Fatalf("got %v", err)
	}
}

func TestParseAST(t *testing.T) {
	p := MustParse("([ipv4-addr:value ISSUBSET '198.51.100.0/24' OR ipv4-addr:value = '203.0.113.33'] FOLLOWEDBY [domain-name:value = 'example.com']) WITHIN 600 SECONDS")
	g, ok := p.Expr.(*Group)
	if !ok || len(g.Qualifiers) != 1 || g.Qualifiers[0].Kind != QualWithin || g.Qualifiers[0].Within != 600*time.Second {
		t.Fatalf("root = %#v", p.Expr)
	}
	fb, ok := g.Expr.(*ObservationOp)
	if !ok || fb.Op != ObsFollowedBy || len(fb.Operands) != 2 || fb.Pos.Column != 2 {
		t.Fatalf("followedby = %#v", g.Expr)
	}
	first := fb.Operands[0].(*Observation)
	or := first.Comparison.(*ComparisonOp)
	if or.Op != CmpOr || len(or.Operands) != 2 {
		t.Fatalf("or = %#v", or)
	}
	c := or.Operands[0].(*Comparison)
	if c.Op != OpIsSubset || c.Path.Type != "ipv4-addr" || c.Path.Steps[0].Key != "value" || c.Value.Str != "198.51.100.0/24" || c.Pos.Column != 3 || c.Value.Pos.Column != 28 {
		t.Fatalf("comparison = %#v", c)
	}
	// Precedence: AND over OR over FOLLOWEDBY, left-associative chains flat.
	p = MustParse("[foo:a = 1] OR [foo:b = 1] AND [foo:c = 1] AND [foo:d = 1] FOLLOWEDBY [foo:e = 1] FOLLOWEDBY [foo:f = 1]")
	top := p.Expr.(*ObservationOp)
	if top.Op != ObsFollowedBy || len(top.Operands) != 3 {
		t.Fatalf("top = %v", top.Op)
	}
	or2 := top.Operands[0].(*ObservationOp)
	and := or2.Operands[1].(*ObservationOp)
	if or2.Op != ObsOr || and.Op != ObsAnd || len(and.Operands) != 3 {
		t.Fatalf("precedence wrong: %s", p)
	}
	// Path steps and constants.
	p = MustParse("[email-message:body_multipart[*].body_raw_ref.'x y'[-2] = b'AAE=']")
	c = p.Expr.(*Observation).Comparison.(*Comparison)
	steps := c.Path.Steps
	if len(steps) != 5 || steps[1].Kind != StepAny || steps[3].Key != "x y" || steps[4].Kind != StepIndex || steps[4].Index != -2 {
		t.Fatalf("steps = %#v", steps)
	}
	if c.Value.Kind != KindBinary || string(c.Value.Bytes) != "\x00\x01" {
		t.Fatalf("value = %#v", c.Value)
	}
	ts := MustParse("[file:created = t'2016-01-01T00:00:00.123456789123Z']").Expr.(*Observation).Comparison.(*Comparison).Value
	if ts.Kind != KindTimestamp || ts.Time.Nanosecond() != 123456789 {
		t.Fatalf("timestamp = %v", ts.Time)
	}
}

func TestParseLimits(t *testing.T) {
	deep := strings.Repeat("(", MaxDepth+1) + "[file:a = 1]" + strings.Repeat(")", MaxDepth+1)
	_, err := Parse(deep)
	var pe *Error
	if !errors.As(err, &pe) || !strings.Contains(pe.Msg, "nesting deeper") {
		t.Fatalf("deep: %v", err)
	}
	ok := strings.Repeat("(", MaxDepth-1) + "[file:a = 1]" + strings.Repeat(")", MaxDepth-1)
	if _, err := Parse(ok); err != nil {
		t.Fatalf("depth %d: %v", MaxDepth, err)
	}
	deepCmp := "[" + strings.Repeat("(", 10*MaxDepth) + "file:a = 1" + strings.Repeat(")", 10*MaxDepth) + "]"
	if _, err := Parse(deepCmp); err == nil {
		t.Fatal("deep comparison accepted")
	}
	long := "[file:a = '" + strings.Repeat("x", MaxPatternBytes) + "']"
	if _, err := Parse(long); !errors.As(err, &pe) || !strings.Contains(pe.Msg, "longer than") {
		t.Fatalf("long: %v", err)
	}
	// A long flat chain does not nest.
	chain := strings.Repeat("[file:a = 1] AND ", 5000) + "[file:a = 1]"
	if _, err := Parse(chain); err != nil {
		t.Fatalf("chain: %v", err)
	}
}

func TestWarnings(t *testing.T) {
	p := MustParse(`[file:name MATCHES '^(?=a)b']`)
	if len(p.Warnings()) != 1 || p.Warnings()[0].Pos.Column != 20 {
		t.Fatalf("warnings = %v", p.Warnings())
	}
	if _, err := p.Match(nil); !errors.Is(err, ErrUnsupportedRegex) {
		t.Fatalf("Match = %v", err)
	}
	if w := MustParse(`[file:name MATCHES '^a+$']`).Warnings(); len(w) != 0 {
		t.Fatalf("warnings = %v", w)
	}
}
