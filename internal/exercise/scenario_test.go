package exercise

import (
	"strings"
	"testing"

	"github.com/liaison-dev/liaison/internal/validation"
)

func TestBundledScenariosParse(t *testing.T) {
	names := Bundled()
	if len(names) != 8 {
		t.Fatalf("bundled = %v", names)
	}
	for _, n := range names {
		if _, err := LoadBundled(n); err != nil {
			t.Errorf("%s: %v", n, err)
		}
	}
}

// TestInvalidScenario: every problem is reported at once, each at its
// file, line and field, and nothing can be run from it.
func TestInvalidScenario(t *testing.T) {
	src := `format: liaison-exercise/1
id: Bad Id
title: broken
parties:
  - {code: US, roles: [liaison_officer]}
  - {code: CN, roles: [liaison_officer, chef]}
injects:
  - id: one
    at: 10x
    kind: request
    from: US
    to: XX
    request:
      type: preservation
      priority: soon
      title: t
      fields:
        custodian: somebody
        colour: blue
    expect: {respond: maybe, within: 1h}
  - id: two
    kind: hotline
    from: US
    to: CN
    after: three
    expect: {}
  - id: mla
    kind: request
    from: US
    to: CN
    request:
      type: mla
      priority: routine
      title: m
      fields: {}
    expect: {role: liaison_officer, respond: answer}
`
	_, err := Parse("bad.yaml", strings.NewReader(src))
	fe, ok := validation.As(err)
	if !ok {
		t.Fatalf("err = %v", err)
	}
	got := map[string]bool{}
	for _, f := range fe {
		got[f.Field] = true
	}
	// The YAML type error (at: 10x) stops decoding first, at its line.
	if !got["bad.yaml:9"] {
		t.Fatalf("errors = %v", fe)
	}
	src = strings.Replace(src, "at: 10x", "at: 10m", 1)
	_, err = Parse("bad.yaml", strings.NewReader(src))
	fe, _ = validation.As(err)
	got = map[string]bool{}
	for _, f := range fe {
		got[f.Field] = true
	}
	for _, want := range []string{
		"bad.yaml:2 id",
		"bad.yaml:6 parties[1].roles[1]",
		"bad.yaml:12 injects[0].to",
		"bad.yaml:15 injects[0].request.priority",
		"bad.yaml:19 injects[0].request.fields.colour",
		"bad.yaml:17 injects[0].request.fields.data_to_preserve",
		"bad.yaml:20 injects[0].expect.respond",
		"bad.yaml:25 injects[1].after",
		"bad.yaml:26 injects[1].expect.acknowledge",
		"bad.yaml:36 injects[2].expect.role",
		"bad.yaml:36 injects[2].expect.within",
	} {
		if !got[want] {
			t.Errorf("missing error at %s; got %v", want, fe)
		}
	}
}

func TestParseDuration(t *testing.T) {
	for in, want := range map[string]string{"15m": "15m", "3d": "3d", "3d12h": "3d12h", "90s": "1m30s"} {
		d, err := ParseDuration(in)
		if err != nil || FormatDuration(d) != want {
			t.Errorf("ParseDuration(%q) = %v, %v", in, d, err)
		}
	}
	for _, bad := range []string{"", "x", "-1h", "1dx"} {
		if _, err := ParseDuration(bad); err == nil {
			t.Errorf("ParseDuration(%q) accepted", bad)
		}
	}
}
