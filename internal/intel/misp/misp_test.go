package misp

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/liaison-dev/liaison/internal/intel/marking"
	"github.com/liaison-dev/liaison/internal/intel/pattern"
	"github.com/liaison-dev/liaison/internal/intel/stix"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

var parser = &stix.Parser{CheckPattern: func(s string) error { _, err := pattern.Parse(s); return err }}

// validate parses every object as ingest would, patterns included.
func validate(t testing.TB, objs []json.RawMessage) []*stix.Object {
	t.Helper()
	var out []*stix.Object
	for _, raw := range objs {
		o, err := parser.Parse(raw)
		if err != nil {
			t.Fatalf("%s: %v", raw, err)
		}
		if o.Pattern != "" {
			if _, err := pattern.Parse(o.Pattern); err != nil {
				t.Fatalf("%s: pattern: %v", o.ID, err)
			}
		}
		out = append(out, o)
	}
	return out
}

func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (go test -update rewrites it after review)\n%s", path, firstDiff(got, want))
	}
}

func firstDiff(a, b []byte) string {
	la, lb := strings.Split(string(a), "\n"), strings.Split(string(b), "\n")
	for i := 0; i < len(la) && i < len(lb); i++ {
		if la[i] != lb[i] {
			return fmt.Sprintf("line %d:\n got  %s\n want %s", i+1, la[i], lb[i])
		}
	}
	return fmt.Sprintf("lengths %d and %d lines", len(la), len(lb))
}

func indent(objs []json.RawMessage) []byte {
	var b bytes.Buffer
	b.WriteString("[\n")
	for i, o := range objs {
		var x bytes.Buffer
		json.Indent(&x, o, "  ", "  ")
		b.WriteString("  ")
		b.Write(x.Bytes())
		if i < len(objs)-1 {
			b.WriteString(",")
		}
		b.WriteString("\n")
	}
	b.WriteString("]\n")
	return b.Bytes()
}

// TestGolden converts each hand-written MISP file to STIX and back and
// compares both with the reviewed golden files.
func TestGolden(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.json")
	for _, f := range files {
		if strings.Contains(f, ".stix.") || strings.Contains(f, ".misp.") {
			continue
		}
		t.Run(filepath.Base(f), func(t *testing.T) {
			b, _ := os.ReadFile(f)
			if !IsMISP(b) {
				t.Fatal("not detected as MISP")
			}
			objs, err := Import(b)
			if err != nil {
				t.Fatal(err)
			}
			validate(t, objs)
			base := strings.TrimSuffix(f, ".json")
			golden(t, base+".stix.golden", indent(objs))
			events, err := Export(objs)
			if err != nil {
				t.Fatal(err)
			}
			out, _ := Marshal(events)
			golden(t, base+".misp.golden", append(out, '\n'))
		})
	}
}

type attrKey struct{ uuid, typ, category, value, comment string }

func tlpOrNone(tags []Tag, inherit string) string {
	if t, ok, _ := tlpOf(tags); ok {
		return t.String()
	}
	return inherit
}

// summary is what a round trip must preserve, per event.
func summary(events []Event) map[string][]string {
	out := map[string][]string{}
	for _, e := range events {
		var s []string
		evTLP := tlpOrNone(e.Tag, "none")
		s = append(s, "info "+e.Info, "tlp "+evTLP, fmt.Sprint("published ", bool(e.Published)))
		_, _, other := tlpOf(e.Tag)
		for _, tag := range other {
			s = append(s, "tag "+tag)
		}
		for _, a := range e.Attribute {
			s = append(s, fmt.Sprintf("attr %s %s %s %q ids=%v %q tlp=%s", a.UUID, a.Type, a.Category, a.Value, bool(a.ToIDs), a.Comment, tlpOrNone(a.Tag, evTLP)))
		}
		for _, o := range e.Object {
			s = append(s, fmt.Sprintf("object %s %s %s %q", o.UUID, o.Name, o.MetaCategory, o.Comment))
			for _, a := range o.Attribute {
				s = append(s, fmt.Sprintf("  %s %s %s %q ids=%v tlp=%s", o.UUID, a.ObjectRelation, a.Type, a.Value, bool(a.ToIDs), tlpOrNone(a.Tag, evTLP)))
			}
		}
		for _, g := range e.Galaxy {
			for _, c := range g.GalaxyCluster {
				s = append(s, fmt.Sprintf("cluster %s %s %s", g.Type, c.UUID, c.Value))
			}
		}
		slices.Sort(s)
		out[e.UUID] = s
	}
	return out
}

// TestRoundTrip: MISP -> STIX -> MISP keeps every value, type, category,
// comment, to_ids flag, tag, galaxy cluster and effective TLP. Object
// attributes get derived uuids (STIX has no place for them), and a to_ids
// object comes back with to_ids on every attribute, as in MISP's own
// converter.
func TestRoundTrip(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.json")
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			b, _ := os.ReadFile(f)
			in, err := Parse(b)
			if err != nil {
				t.Fatal(err)
			}
			objs, err := Import(b)
			if err != nil {
				t.Fatal(err)
			}
			out, err := Export(objs)
			if err != nil {
				t.Fatal(err)
			}
			want, got := summary(normalise(in)), summary(normalise(out))
			if len(want) != len(got) {
				t.Fatalf("%d events in, %d out", len(want), len(got))
			}
			for uuid, w := range want {
				g := got[uuid]
				if !slices.Equal(w, g) {
					t.Errorf("event %s:\n in  %s\n out %s", uuid, strings.Join(w, "\n     "), strings.Join(g, "\n     "))
				}
			}
			// And again: the second trip is a fixed point.
			b2, _ := Marshal(out)
			objs2, err := Import(b2)
			if err != nil {
				t.Fatal(err)
			}
			out2, _ := Export(objs2)
			if !maps2Equal(summary(normalise(out)), summary(normalise(out2))) {
				t.Error("a second round trip changed the events")
			}
		})
	}
}

func maps2Equal(a, b map[string][]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if !slices.Equal(v, b[k]) {
			return false
		}
	}
	return true
}

// normalise applies what the mapping deliberately does not keep: object
// attribute uuids (derived on the way back), per-attribute to_ids inside
// an object (one flag for the object), tlp:white spelt tlp:clear, the
// order of the strictest of several event TLP tags, and galaxy tags that
// name no cluster the event carries (they stay tags).
func normalise(events []Event) []Event {
	out := slices.Clone(events)
	for i := range out {
		e := &out[i]
		if t, ok, rest := tlpOf(e.Tag); ok {
			e.Tag = append([]Tag{tlpTag(t)}, tagsOf(rest)...)
		}
		var clusters []string
		for _, g := range e.Galaxy {
			if _, ok := galaxyTypes[g.Type]; !ok {
				continue
			}
			for _, c := range g.GalaxyCluster {
				clusters = append(clusters, galaxyTag(g, c))
			}
		}
		e.Tag = slices.DeleteFunc(slices.Clone(e.Tag), func(t Tag) bool { return slices.Contains(clusters, t.Name) })
		for j := range e.Attribute {
			e.Attribute[j].Tag = normTags(e.Attribute[j].Tag)
		}
		// Clusters named by attributes travel with the event.
		for _, a := range e.Attribute {
			for _, g := range a.Galaxy {
				if !slices.ContainsFunc(e.Galaxy, func(x Galaxy) bool { return x.Type == g.Type }) {
					e.Galaxy = append(e.Galaxy, g)
				}
			}
		}
		objs := slices.Clone(e.Object)
		for j := range objs {
			attrs := slices.Clone(objs[j].Attribute)
			any := false
			for _, a := range attrs {
				any = any || bool(a.ToIDs)
			}
			for k := range attrs {
				attrs[k].UUID, attrs[k].ToIDs, attrs[k].Tag = "", Bool(any), normTags(attrs[k].Tag)
			}
			if _, known := templates[objs[j].Name]; !known {
				for k := range attrs {
					attrs[k].ToIDs = e.Object[j].Attribute[k].ToIDs
				}
			}
			objs[j].Attribute = attrs
		}
		e.Object = objs
	}
	return out
}

func tagsOf(names []string) []Tag {
	var out []Tag
	for _, n := range names {
		out = append(out, Tag{Name: n})
	}
	return out
}

func normTags(tags []Tag) []Tag {
	if t, ok, rest := tlpOf(tags); ok {
		return append([]Tag{tlpTag(t)}, tagsOf(rest)...)
	}
	return tags
}

// TestAttributeMapping is the per-type table: what each attribute
// becomes, and the pattern it gets when to_ids is set.
func TestAttributeMapping(t *testing.T) {
	cases := []struct {
		typ, value string
		toIDs      bool
		stixType   string
		pattern    string
	}{
		{"ip-dst", "192.0.2.1", true, "indicator", "[ipv4-addr:value = '192.0.2.1']"},
		{"ip-src", "192.0.2.0/24", true, "indicator", "[ipv4-addr:value = '192.0.2.0/24']"},
		{"ip-dst", "2001:db8::1", true, "indicator", "[ipv6-addr:value = '2001:db8::1']"},
		{"ip-src|port", "192.0.2.1|22", true, "indicator", "[network-traffic:src_ref.value = '192.0.2.1' AND network-traffic:src_port = 22]"},
		{"domain", "evil.example", true, "indicator", "[domain-name:value = 'evil.example']"},
		{"hostname", "a.evil.example", true, "indicator", "[domain-name:value = 'a.evil.example']"},
		{"domain|ip", "evil.example|192.0.2.2", true, "indicator", "[domain-name:value = 'evil.example' AND domain-name:resolves_to_refs[*].value = '192.0.2.2']"},
		{"url", `http://evil.example/a'b\c`, true, "indicator", `[url:value = 'http://evil.example/a\'b\\c']`},
		{"email-src", "a@evil.example", true, "indicator", "[email-addr:value = 'a@evil.example']"},
		{"email-dst", "b@evil.example", true, "indicator", "[email-addr:value = 'b@evil.example']"},
		{"email-subject", "Invoice", true, "indicator", "[email-message:subject = 'Invoice']"},
		{"md5", "44d88612fea8a8f36de82e1278abb02f", true, "indicator", "[file:hashes.MD5 = '44d88612fea8a8f36de82e1278abb02f']"},
		{"sha1", "3395856ce81f2b7382dee72602f798b642f14140", true, "indicator", "[file:hashes.'SHA-1' = '3395856ce81f2b7382dee72602f798b642f14140']"},
		{"sha256", "275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f", true, "indicator", "[file:hashes.'SHA-256' = '275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f']"},
		{"filename|md5", "a.exe|44d88612fea8a8f36de82e1278abb02f", true, "indicator", "[file:name = 'a.exe' AND file:hashes.MD5 = '44d88612fea8a8f36de82e1278abb02f']"},
		{"filename", "a.exe", true, "indicator", "[file:name = 'a.exe']"},
		{"mutex", "m1", true, "indicator", "[mutex:name = 'm1']"},
		{"AS", "64500", true, "indicator", "[autonomous-system:number = 64500]"},
		{"regkey", `HKLM\Run`, true, "indicator", `[windows-registry-key:key = 'HKLM\\Run']`},
		{"x509-fingerprint-sha256", "275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f", true, "indicator", "[x509-certificate:hashes.'SHA-256' = '275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f']"},
		{"stix2-pattern", "[url:value LIKE '%evil%']", true, "indicator", "[url:value LIKE '%evil%']"},
		{"domain", "evil.example", false, "observed-data", ""},
		{"ip-dst|port", "192.0.2.1|443", false, "observed-data", ""},
		{"vulnerability", "CVE-2021-44228", false, "vulnerability", ""},
		{"btc", "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq", true, "x-misp-attribute", ""},
		{"text", "free text", false, "x-misp-attribute", ""},
	}
	for _, c := range cases {
		t.Run(c.typ+"/"+c.value, func(t *testing.T) {
			e := Event{UUID: "5f1c2b7e-3a41-4d2c-9b8e-2d6f0a1c7e11", Info: "t", Timestamp: 1761663600, Tag: []Tag{{Name: "tlp:green"}},
				Attribute: []Attribute{{UUID: "a1000001-1c2d-4e5f-8a9b-0c1d2e3f4a51", Type: c.typ, Category: "Network activity", Value: c.value, ToIDs: Bool(c.toIDs)}}}
			objs, err := ImportEvent(e)
			if err != nil {
				t.Fatal(err)
			}
			parsed := validate(t, objs)
			i := slices.IndexFunc(parsed, func(o *stix.Object) bool { return strings.HasSuffix(o.ID, "a1000001-1c2d-4e5f-8a9b-0c1d2e3f4a51") })
			if i < 0 || parsed[i].Type != c.stixType || parsed[i].Pattern != c.pattern {
				t.Fatalf("got %s", objs)
			}
			if tlp, _ := marking.FromRefs(parsed[i].MarkingRefs); tlp != marking.Green {
				t.Errorf("TLP %v", tlp)
			}
			// And back.
			events, err := Export(objs)
			if err != nil || len(events) != 1 || len(events[0].Attribute) != 1 {
				t.Fatalf("export: %+v %v", events, err)
			}
			a := events[0].Attribute[0]
			if a.Type != c.typ || a.Value != c.value || bool(a.ToIDs) != c.toIDs || a.UUID != e.Attribute[0].UUID {
				t.Errorf("came back as %+v", a)
			}
		})
	}
}

// TestImportErrorsNameAttributeAndField: a bad value is refused with the
// event, the attribute's uuid and the field.
func TestImportErrorsNameAttributeAndField(t *testing.T) {
	const attr = "a1000001-1c2d-4e5f-8a9b-0c1d2e3f4a51"
	cases := []struct {
		a     Attribute
		field string
	}{
		{Attribute{UUID: attr, Type: "ip-dst", Value: "999.1.1.1"}, "value"},
		{Attribute{UUID: attr, Type: "md5", Value: "abc"}, "value"},
		{Attribute{UUID: attr, Type: "ip-dst|port", Value: "192.0.2.1|99999"}, "value"},
		{Attribute{UUID: attr, Type: "email-src", Value: "nobody"}, "value"},
		{Attribute{UUID: attr, Type: "AS", Value: "ASx"}, "value"},
		{Attribute{UUID: "not-a-uuid", Type: "domain", Value: "x.example"}, "uuid"},
		{Attribute{UUID: attr, Type: "", Value: "x"}, "type"},
		{Attribute{UUID: attr, Type: "domain", Value: "x.example", FirstSeen: "yesterday"}, "first_seen"},
		{Attribute{UUID: attr, Type: "stix2-pattern", Value: "[nope", ToIDs: true}, "pattern"},
	}
	for _, c := range cases {
		objs, err := ImportEvent(Event{UUID: "5f1c2b7e-3a41-4d2c-9b8e-2d6f0a1c7e11", Info: "t", Timestamp: 1, Attribute: []Attribute{c.a}})
		if c.field == "pattern" {
			// A stix2-pattern is checked by the STIX parser, which names
			// the indicator (whose id is the attribute's uuid).
			_, perr := parser.Parse(objs[len(objs)-2])
			if err != nil || perr == nil || !strings.Contains(perr.Error(), attr) || !strings.Contains(perr.Error(), "pattern") {
				t.Errorf("%+v: %v / %v", c.a, err, perr)
			}
			continue
		}
		var me *Error
		if !errors.As(err, &me) || me.Field != c.field || (c.field != "uuid" && me.Attribute != attr) || !strings.Contains(err.Error(), c.a.UUID) {
			t.Errorf("%+v: got %v, want an error on %s naming %s", c.a, err, c.field, c.a.UUID)
		}
	}
	if _, err := Import([]byte(`{"type":"bundle","id":"bundle--5f1c2b7e-3a41-4d2c-9b8e-2d6f0a1c7e11","objects":[]}`)); !errors.Is(err, ErrNotMISP) {
		t.Errorf("a STIX bundle: %v", err)
	}
	if _, err := Import([]byte(`{"Event":{"uuid":"5f1c2b7e-3a41-4d2c-9b8e-2d6f0a1c7e11","info":"x","timestamp":"soon"}}`)); err == nil {
		t.Error("a non-numeric timestamp was accepted")
	}
}

func TestIsMISP(t *testing.T) {
	for in, want := range map[string]bool{
		`{"Event":{}}`:                   true,
		` [{"Event":{"info":"x"}}]`:      true,
		`{"response":[]}`:                true,
		`{"type":"bundle","objects":[]}`: false,
		`[{"type":"indicator"}]`:         false,
		`[]`:                             false,
		`nonsense`:                       false,
	} {
		if IsMISP([]byte(in)) != want {
			t.Errorf("IsMISP(%s) = %v", in, !want)
		}
	}
}

// FuzzImport: no input makes Import panic, and whatever it accepts yields
// only objects the STIX parser accepts, which export again.
func FuzzImport(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.json")
	for _, p := range files {
		b, _ := os.ReadFile(p)
		f.Add(b)
	}
	f.Add([]byte(`{"Event":{"uuid":"5f1c2b7e-3a41-4d2c-9b8e-2d6f0a1c7e11","info":"x","timestamp":"1","Attribute":[{"uuid":"a1000001-1c2d-4e5f-8a9b-0c1d2e3f4a51","type":"domain|ip","value":"a|1.1.1.1","to_ids":true}]}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		objs, err := Import(b)
		if err != nil {
			return
		}
		for _, raw := range objs {
			o, err := parser.Parse(raw)
			if err != nil {
				var ev []Event
				ev, _ = Parse(b)
				// A stix2-pattern attribute carries its pattern as given;
				// ingest rejects a bad one, naming the indicator.
				if strings.Contains(err.Error(), "pattern") && strings.Contains(string(b), "stix2-pattern") {
					continue
				}
				t.Fatalf("invalid object from %d events: %s: %v", len(ev), raw, err)
			}
			_ = o
		}
		if _, err := Export(objs); err != nil {
			t.Fatalf("export of an import: %v", err)
		}
	})
}
