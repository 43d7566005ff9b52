package stix

import (
	"encoding/json"
	"strings"
	"testing"
)

var validCases = []string{
	``, ` `, `{}`, `[]`, `{"a":1}`, `{"a":1,}`, `[1,]`, `[1 2]`, `{"a" 1}`, `{"a":}`, `{1:2}`, `"x`, `"\x"`, `"\u12"`, `"\u12g4"`,
	`"\u00e9\n\"\\\/\b\f\r\t"`, "\"\x01\"", "\"\xff\xfe\"", `-`, `-0`, `01`, `1.`, `1.5e`, `1.5e+3`, `-0.0E-0`, `tru`, `true`, `nul`,
	`null `, ` false`, `[true,false,null]`, `{"a":[{"b":{}}],"c":"d"}`, `{"a":1}}`, `[[]`, `]`, `{"a":1 "b":2}`, "[1,\r\n\t2]",
	`{"a":[1,2,{"b":"c"}]}x`, `[{},{},[]]`, `1 2`, `"a" "b"`,
}

func TestValidJSON(t *testing.T) {
	for _, c := range validCases {
		if got, want := validJSON([]byte(c)), json.Valid([]byte(c)); got != want {
			t.Errorf("validJSON(%q) = %v, encoding/json says %v", c, got, want)
		}
	}
	for _, depth := range []int{maxNestingDepth, maxNestingDepth + 1} {
		b := []byte(strings.Repeat("[", depth) + strings.Repeat("]", depth))
		if got, want := validJSON(b), json.Valid(b); got != want {
			t.Errorf("depth %d: validJSON = %v, encoding/json says %v", depth, got, want)
		}
	}
}

func FuzzValidJSON(f *testing.F) {
	for _, c := range validCases {
		f.Add([]byte(c))
	}
	f.Add([]byte(indicator))
	f.Fuzz(func(t *testing.T, b []byte) {
		if got, want := validJSON(b), json.Valid(b); got != want {
			t.Fatalf("validJSON(%q) = %v, encoding/json says %v", b, got, want)
		}
	})
}
