package marking

import (
	"encoding/json"
	"os"
	"testing"
)

// TestConformanceIDs checks the fixed ids against the official FIRST and
// OASIS marking-definition bundles.
func TestConformanceIDs(t *testing.T) {
	for file, want := range map[string]map[string]TLP{
		"../../../../shared/conformance/tlp2/tlp2-marking-definitions.bundle.json":                   {"TLP:CLEAR": Clear, "TLP:GREEN": Green, "TLP:AMBER": Amber, "TLP:AMBER+STRICT": AmberStrict, "TLP:RED": Red},
		"../../../../shared/conformance/tlp2/tlp1-stix21-predefined-marking-definitions.bundle.json": {"TLP:WHITE": Clear, "TLP:GREEN": Green, "TLP:AMBER": Amber, "TLP:RED": Red},
	} {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var bundle struct {
			Objects []struct{ ID, Name string }
		}
		if err := json.Unmarshal(b, &bundle); err != nil {
			t.Fatal(err)
		}
		if len(bundle.Objects) != len(want) {
			t.Fatalf("%s: %d objects", file, len(bundle.Objects))
		}
		for _, o := range bundle.Objects {
			got, ok := FromRefs([]string{o.ID})
			if !ok || got != want[o.Name] {
				t.Errorf("%s %s: got %v, %v; want %v", o.Name, o.ID, got, ok, want[o.Name])
			}
		}
	}
}

func TestFromRefsTakesMostRestrictive(t *testing.T) {
	if got, _ := FromRefs([]string{IDGreen, IDRed1, "marking-definition--00000000-0000-4000-8000-000000000000"}); got != Red {
		t.Fatalf("got %v", got)
	}
	if _, ok := FromRefs(nil); ok {
		t.Fatal("no marking found in nothing")
	}
	if Effective(nil) != Amber {
		t.Fatal("unmarked must be handled as AMBER")
	}
}

func TestMayShare(t *testing.T) {
	cases := []struct {
		tlp   TLP
		aud   Audience
		allow bool
	}{
		{Clear, Audience{Party: "CN"}, true},
		{Green, Audience{Party: "CN"}, true},
		{Amber, Audience{Party: "CN"}, true},
		{AmberStrict, Audience{Party: "CN"}, false},
		{AmberStrict, Audience{Party: "US", SameOrganisation: true}, true},
		{Red, Audience{Party: "CN"}, false},
		{Red, Audience{Party: "CN", Named: true}, true},
	}
	for _, tc := range cases {
		if d := MayShare(tc.tlp, tc.aud); d.Allowed != tc.allow || d.Reason == "" {
			t.Errorf("MayShare(%v, %+v) = %+v", tc.tlp, tc.aud, d)
		}
	}
}

func TestParseTLP(t *testing.T) {
	for in, want := range map[string]TLP{"TLP:RED": Red, "amber+strict": AmberStrict, "TLP:WHITE": Clear, " green ": Green} {
		if got, err := ParseTLP(in); err != nil || got != want {
			t.Errorf("ParseTLP(%q) = %v, %v", in, got, err)
		}
	}
	if _, err := ParseTLP("TLP:PURPLE"); err == nil {
		t.Fatal("TLP:PURPLE accepted")
	}
}
