// Package marking interprets Traffic Light Protocol markings (FIRST TLP
// 2.0, and TLP 1.0 on input) carried as STIX 2.1 marking definitions, and
// decides who may receive a marked object.
package marking

import (
	"fmt"
	"slices"
	"strings"
)

// TLP is a Traffic Light Protocol level, ordered from least to most
// restrictive.
type TLP int

// The TLP 2.0 levels. Unmarked information is treated as AMBER: a node
// never widens distribution of something nobody labelled.
const (
	Clear TLP = iota
	Green
	Amber
	AmberStrict
	Red
)

var names = []string{"TLP:CLEAR", "TLP:GREEN", "TLP:AMBER", "TLP:AMBER+STRICT", "TLP:RED"}

func (t TLP) String() string {
	if t < Clear || t > Red {
		return "TLP:?"
	}
	return names[t]
}

// ParseTLP reads a label such as "TLP:AMBER+STRICT", "amber+strict" or
// the TLP 1.0 "TLP:WHITE".
func ParseTLP(s string) (TLP, error) {
	u := strings.ToUpper(strings.TrimSpace(s))
	if !strings.HasPrefix(u, "TLP:") {
		u = "TLP:" + u
	}
	if u == "TLP:WHITE" {
		return Clear, nil
	}
	if i := slices.Index(names, u); i >= 0 {
		return TLP(i), nil
	}
	return 0, fmt.Errorf("%q is not a TLP level (CLEAR, GREEN, AMBER, AMBER+STRICT, RED)", s)
}

// The fixed STIX identifiers of the TLP marking definitions.
const (
	// TLP 2.0 (FIRST's STIX 2.1 marking definitions).
	IDClear       = "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"
	IDGreen       = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
	IDAmber       = "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"
	IDAmberStrict = "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003"
	IDRed         = "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"
	// TLP 1.0 (STIX 2.1 predefined, section 7.2.1.4), accepted on input.
	IDWhite1 = "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9"
	IDGreen1 = "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"
	IDAmber1 = "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82"
	IDRed1   = "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed"
)

var byID = map[string]TLP{
	IDClear: Clear, IDGreen: Green, IDAmber: Amber, IDAmberStrict: AmberStrict, IDRed: Red,
	IDWhite1: Clear, IDGreen1: Green, IDAmber1: Amber, IDRed1: Red,
}

// ID returns the TLP 2.0 marking-definition id of t.
func (t TLP) ID() string {
	return []string{IDClear, IDGreen, IDAmber, IDAmberStrict, IDRed}[t]
}

// FromRefs returns the TLP of an object from its object_marking_refs: the
// most restrictive TLP marking among them, and whether any was present.
func FromRefs(refs []string) (TLP, bool) {
	level, found := Clear, false
	for _, r := range refs {
		if t, ok := byID[r]; ok {
			found = true
			level = max(level, t)
		}
	}
	return level, found
}

// Effective is the level a node acts on: the marked one, or AMBER when the
// object carries no TLP marking.
func Effective(refs []string) TLP {
	if t, ok := FromRefs(refs); ok {
		return t
	}
	return Amber
}

// Audience describes a prospective recipient of an object.
type Audience struct {
	// Party receiving it.
	Party string
	// Named reports whether the recipient is named on the object's
	// distribution list (required for RED).
	Named bool
	// SameOrganisation reports whether the recipient is the producer's own
	// organisation (AMBER+STRICT stays within it).
	SameOrganisation bool
}

// Decision says whether an object may go to a recipient, and why not.
type Decision struct {
	Allowed bool   `json:"allowed"`
	Reason  string `json:"reason"`
}

// MayShare applies TLP 2.0 to sharing with another party's node. Node to
// node exchange is sharing beyond the producer's organisation, so
// AMBER+STRICT never leaves it; RED goes only to named recipients.
func MayShare(t TLP, a Audience) Decision {
	switch t {
	case Clear, Green:
		return Decision{true, t.String() + " may be shared with the community"}
	case Amber:
		return Decision{true, "TLP:AMBER may be shared with the recipient organisation on a need-to-know basis"}
	case AmberStrict:
		if a.SameOrganisation {
			return Decision{true, "TLP:AMBER+STRICT within the recipient organisation"}
		}
		return Decision{false, "TLP:AMBER+STRICT is restricted to the recipient organisation only; " + a.Party + " is outside it"}
	case Red:
		if a.Named {
			return Decision{true, "TLP:RED to a named recipient"}
		}
		return Decision{false, "TLP:RED goes only to named recipients; " + a.Party + " is not named"}
	}
	return Decision{false, "unknown marking"}
}
