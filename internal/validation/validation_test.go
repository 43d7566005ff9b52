package validation

import (
	"slices"
	"strings"
	"testing"
)

func TestMessages(t *testing.T) {
	m := Define("test.range", "must be between {min} and {max}, not {min}")
	if got := Expand(m.Text, Params{"min": "1", "max": "9"}); got != "must be between 1 and 9, not 1" {
		t.Errorf("Expand = %q", got)
	}
	if got := Expand(m.Text, Params{"min": "1"}); got != "must be between 1 and {max}, not 1" {
		t.Errorf("Expand without a parameter = %q", got)
	}
	if got := Placeholders(m.Text); !slices.Equal(got, []string{"max", "min"}) {
		t.Errorf("Placeholders = %v", got)
	}
	if Define("test.range", m.Text) != m {
		t.Error("defining the same message again changed it")
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Error("a code defined twice with two texts did not panic")
			}
		}()
		Define("test.range", "other text")
	}()
	if !slices.Contains(Messages(), m) || !slices.IsSortedFunc(Messages(), func(a, b Message) int { return strings.Compare(a.Code, b.Code) }) {
		t.Error("Messages does not list the message, sorted")
	}
}

// TestErrors: the English text stays what the API and CLI always showed,
// and every check carries its code.
func TestErrors(t *testing.T) {
	var e Errors
	e.Required("a", " ", 5)
	e.Required("b", "toolong", 5)
	e.TimeZone("c", "")
	e.TimeZone("d", "Mars/Olympus")
	e.Add("e", "free text")
	e.Report("f", MsgTooLarge, Params{"max": "10"})
	want := "invalid input: a: is required; b: is longer than 5 characters; c: is required (an IANA time zone such as Asia/Shanghai); " +
		"d: must be an IANA time zone such as Asia/Shanghai; e: free text; f: larger than 10 bytes"
	if e.Error() != want {
		t.Errorf("Error() = %q", e.Error())
	}
	codes := []string{"required", "too_long", "time_zone_required", "time_zone", "", "too_large"}
	for i, fe := range e {
		if fe.Code != codes[i] {
			t.Errorf("%s: code %q, want %q", fe.Field, fe.Code, codes[i])
		}
	}
	if e[1].Params["max"] != "5" {
		t.Errorf("too_long params %v", e[1].Params)
	}
}
