package stix

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const conformance = "../../../../shared/conformance/stix2"

func exampleFiles(t testing.TB) []string {
	files, err := filepath.Glob(filepath.Join(conformance, "examples", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no conformance examples: %v", err)
	}
	return files
}

// TestConformanceExamplesIngest: every object of the official examples
// validates, and its bytes are kept exactly.
func TestConformanceExamplesIngest(t *testing.T) {
	var p Parser
	total := 0
	for _, f := range exampleFiles(t) {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		objs, errs, err := p.ParseObjects(bytes.NewReader(b), 1<<24)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, e := range errs {
			t.Errorf("%s: %v", filepath.Base(f), e)
		}
		for _, o := range objs {
			var back map[string]any
			if err := json.Unmarshal(o.Raw, &back); err != nil || back["id"] != o.ID {
				t.Errorf("%s: raw bytes of %s not kept", f, o.ID)
			}
		}
		total += len(objs)
	}
	if total < 200 {
		t.Fatalf("only %d objects ingested", total)
	}
}

const indicator = `{"type":"indicator","spec_version":"2.1","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
"created_by_ref":"identity--f431f809-377b-45e0-aa1c-6a4751cae5ff","created":"2016-04-06T20:03:48.000Z",
"modified":"2016-04-06T20:03:48.000Z","indicator_types":["malicious-activity"],"name":"Poison Ivy Malware",
"pattern":"[file:hashes.'SHA-256' = '4bac27393bdd9777ce02453256c5577cd02275510b2227f473d03f533924f877']",
"pattern_type":"stix","valid_from":"2016-01-01T00:00:00Z","object_marking_refs":["marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003"]}`

// mutate returns the indicator with property k set to v (or removed when v
// is nil).
func mutate(k string, v any) []byte {
	var m map[string]any
	json.Unmarshal([]byte(indicator), &m)
	if v == nil {
		delete(m, k)
	} else {
		m[k] = v
	}
	b, _ := json.Marshal(m)
	return b
}

func TestRejectionsNameObjectAndProperty(t *testing.T) {
	p := Parser{CheckPattern: func(s string) error {
		if !strings.HasPrefix(s, "[") {
			return errors.New("pattern must start with an observation expression")
		}
		return nil
	}}
	cases := []struct {
		name string
		in   []byte
		prop string
	}{
		{"no id", mutate("id", nil), "id"},
		{"bad id", mutate("id", "indicator--xyz"), "id"},
		{"id of another type", mutate("id", "malware--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"), "id"},
		{"no type", mutate("type", nil), "type"},
		{"bad type", mutate("type", "In dicator"), "type"},
		{"no spec_version", mutate("spec_version", nil), "spec_version"},
		{"stix 2.0", mutate("spec_version", "2.0"), "spec_version"},
		{"no created", mutate("created", nil), "created"},
		{"timestamp without Z", mutate("created", "2016-04-06T20:03:48+08:00"), "created"},
		{"not a timestamp", mutate("modified", "yesterday"), "modified"},
		{"modified before created", mutate("modified", "2015-01-01T00:00:00Z"), "modified"},
		{"created_by_ref not an identity", mutate("created_by_ref", "malware--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"), "created_by_ref"},
		{"confidence out of range", mutate("confidence", 101), "confidence"},
		{"empty labels", mutate("labels", []string{}), "labels"},
		{"marking ref not a marking", mutate("object_marking_refs", []string{"identity--f431f809-377b-45e0-aa1c-6a4751cae5ff"}), "object_marking_refs[0]"},
		{"external ref without source", mutate("external_references", []any{map[string]any{"url": "x"}}), "external_references[0].source_name"},
		{"granular marking without selectors", mutate("granular_markings", []any{map[string]any{"marking_ref": "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003"}}), "granular_markings[0].selectors"},
		{"no pattern", mutate("pattern", nil), "pattern"},
		{"invalid pattern", mutate("pattern", "file:name = 'x'"), "pattern"},
		{"no valid_from", mutate("valid_from", nil), "valid_from"},
		{"valid_until before valid_from", mutate("valid_until", "2015-01-01T00:00:00Z"), "valid_until"},
		{"revoked not boolean", mutate("revoked", "yes"), "revoked"},
		{"not an object", []byte(`["indicator"]`), ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := p.Parse(tc.in)
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("accepted or untyped error: %v", err)
			}
			if e.Property != tc.prop {
				t.Fatalf("error %q names %q, want %q", err, e.Property, tc.prop)
			}
			if tc.prop != "id" && tc.prop != "" && tc.name != "no type" && tc.name != "bad type" && !strings.Contains(err.Error(), "indicator--8e2e2d2b") {
				t.Fatalf("error %q does not name the object", err)
			}
		})
	}
	o, err := p.Parse([]byte(indicator))
	if err != nil {
		t.Fatal(err)
	}
	if o.PatternType != "stix" || len(o.MarkingRefs) != 1 || o.Version().IsZero() {
		t.Fatalf("parsed %+v", o)
	}
}

func TestTypeRules(t *testing.T) {
	var p Parser
	ok := []string{
		`{"type":"ipv4-addr","id":"ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd","value":"198.51.100.3"}`,
		`{"type":"file","id":"file--e277603e-1060-5ad4-9937-c26c97f1ca68","hashes":{"SHA-256":"aa"}}`,
		`{"type":"malware","spec_version":"2.1","id":"malware--31b940d4-6f7f-459a-80ea-9c1f17b58abc","created":"2016-04-06T20:07:09.000Z","modified":"2016-04-06T20:07:09.000Z","is_family":false}`,
		`{"type":"relationship","spec_version":"2.1","id":"relationship--44298a74-ba52-4f0c-87a3-1824e67d7fad","created":"2016-04-06T20:06:37.000Z","modified":"2016-04-06T20:06:37.000Z","relationship_type":"indicates","source_ref":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","target_ref":"malware--31b940d4-6f7f-459a-80ea-9c1f17b58abc"}`,
		`{"type":"marking-definition","spec_version":"2.1","id":"marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da","created":"2017-01-20T00:00:00.000Z","definition_type":"tlp","definition":{"tlp":"green"}}`,
		`{"type":"x-liaison-case","spec_version":"2.1","id":"x-liaison-case--31b940d4-6f7f-459a-80ea-9c1f17b58abc","created":"2016-04-06T20:07:09.000Z","modified":"2016-04-06T20:07:09.000Z"}`,
	}
	for _, s := range ok {
		if _, err := p.Parse([]byte(s)); err != nil {
			t.Errorf("%.60s: %v", s, err)
		}
	}
	bad := map[string]string{
		`{"type":"malware","spec_version":"2.1","id":"malware--31b940d4-6f7f-459a-80ea-9c1f17b58abc","created":"2016-04-06T20:07:09.000Z","modified":"2016-04-06T20:07:09.000Z","is_family":true}`:                                                                                                                                                                 "name",
		`{"type":"observed-data","spec_version":"2.1","id":"observed-data--b67d30ff-02ac-498a-92f9-32f845f448cf","created":"2016-04-06T19:58:16.000Z","modified":"2016-04-06T19:58:16.000Z","first_observed":"2015-12-21T19:00:00Z","last_observed":"2015-12-21T19:00:00Z","number_observed":0,"object_refs":["ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd"]}`: "number_observed",
		`{"type":"sighting","spec_version":"2.1","id":"sighting--ee20065d-2555-424f-ad9e-0f8428623c75","created":"2016-04-06T20:08:31.000Z","modified":"2016-04-06T20:08:31.000Z"}`:                                                                                                                                                                                "sighting_of_ref",
		`{"type":"marking-definition","spec_version":"2.1","id":"marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da","created":"2017-01-20T00:00:00.000Z","modified":"2017-01-20T00:00:00.000Z","definition_type":"tlp","definition":{"tlp":"green"}}`:                                                                                                       "modified",
		`{"type":"ipv4-addr","id":"ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd"}`:                                                                                                            "value",
		`{"type":"location","spec_version":"2.1","id":"location--a6e9345f-5a15-4c29-8bb3-7dcc5d168d64","created":"2016-04-06T20:03:00.000Z","modified":"2016-04-06T20:03:00.000Z","latitude":1}`: "region",
	}
	for s, prop := range bad {
		var e *Error
		if _, err := p.Parse([]byte(s)); !errors.As(err, &e) || e.Property != prop {
			t.Errorf("%.50s: got %v, want property %s", s, err, prop)
		}
	}
}

func TestParseObjectsShapes(t *testing.T) {
	var p Parser
	one := `{"type":"ipv4-addr","id":"ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd","value":"198.51.100.3"}`
	for _, in := range []string{
		`{"type":"bundle","id":"bundle--44af6c39-c09b-49c5-9de2-394224b04982","objects":[` + one + `]}`,
		`{"objects":[` + one + `]}`,
		`[` + one + `]`,
		one,
	} {
		objs, errs, err := p.ParseObjects(strings.NewReader(in), 1<<20)
		if err != nil || len(errs) != 0 || len(objs) != 1 {
			t.Errorf("%.40s: %d objs, %v, %v", in, len(objs), errs, err)
		}
	}
	for _, in := range []string{`"x"`, `{"type":"bundle","id":"nope","objects":[]}`, `[1,`, ``} {
		if _, _, err := p.ParseObjects(strings.NewReader(in), 1<<20); !errors.Is(err, ErrMalformed) {
			t.Errorf("%q: %v", in, err)
		}
	}
	if _, _, err := p.ParseObjects(strings.NewReader(`[`+one+`]`), 10); !errors.Is(err, ErrMalformed) {
		t.Error("over the limit accepted")
	}
}

func FuzzParseObjects(f *testing.F) {
	for _, file := range exampleFiles(f) {
		b, _ := os.ReadFile(file)
		f.Add(b)
	}
	f.Add([]byte(indicator))
	p := Parser{}
	f.Fuzz(func(t *testing.T, b []byte) {
		objs, _, _ := p.ParseObjects(bytes.NewReader(b), 1<<20)
		for _, o := range objs {
			if o.ID == "" || o.Type == "" || !ValidID(o.ID) {
				t.Fatalf("invalid object accepted: %+v", o)
			}
		}
	})
}

func BenchmarkParseObjects(b *testing.B) {
	var all [][]byte
	for _, file := range exampleFiles(b) {
		raw, _ := os.ReadFile(file)
		all = append(all, raw)
	}
	var p Parser
	b.ResetTimer()
	n := 0
	for b.Loop() {
		for _, raw := range all {
			objs, _, _ := p.ParseObjects(bytes.NewReader(raw), 1<<24)
			n += len(objs)
		}
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "objs/s")
}
