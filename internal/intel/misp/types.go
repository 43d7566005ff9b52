package misp

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// Event is a MISP event in MISP's core format (the JSON of
// /events/view and of MISP's "Add event from JSON"). Only the fields
// Liaison maps are modelled; unknown ones are ignored on input.
type Event struct {
	UUID             string      `json:"uuid"`
	Info             string      `json:"info"`
	Date             string      `json:"date,omitempty"`
	Timestamp        Int         `json:"timestamp,omitempty"`
	Published        Bool        `json:"published"`
	PublishTimestamp Int         `json:"publish_timestamp,omitempty"`
	ThreatLevelID    Int         `json:"threat_level_id,omitempty"`
	Analysis         Int         `json:"analysis"`
	Orgc             *Org        `json:"Orgc,omitempty"`
	Attribute        []Attribute `json:"Attribute,omitempty"`
	Object           []Object    `json:"Object,omitempty"`
	Tag              []Tag       `json:"Tag,omitempty"`
	Galaxy           []Galaxy    `json:"Galaxy,omitempty"`
}

// Org is an organisation (Orgc: the creator).
type Org struct {
	UUID string `json:"uuid,omitempty"`
	Name string `json:"name"`
}

// Attribute is one MISP attribute.
type Attribute struct {
	UUID           string   `json:"uuid"`
	Type           string   `json:"type"`
	Category       string   `json:"category,omitempty"`
	Value          string   `json:"value"`
	ToIDs          Bool     `json:"to_ids"`
	Comment        string   `json:"comment,omitempty"`
	Timestamp      Int      `json:"timestamp,omitempty"`
	FirstSeen      string   `json:"first_seen,omitempty"`
	LastSeen       string   `json:"last_seen,omitempty"`
	ObjectRelation string   `json:"object_relation,omitempty"`
	Deleted        Bool     `json:"deleted,omitempty"`
	Tag            []Tag    `json:"Tag,omitempty"`
	Galaxy         []Galaxy `json:"Galaxy,omitempty"`
}

// Object is a MISP object: attributes grouped by a template.
type Object struct {
	UUID         string      `json:"uuid"`
	Name         string      `json:"name"`
	MetaCategory string      `json:"meta-category,omitempty"`
	Comment      string      `json:"comment,omitempty"`
	Timestamp    Int         `json:"timestamp,omitempty"`
	Deleted      Bool        `json:"deleted,omitempty"`
	Attribute    []Attribute `json:"Attribute"`
}

// Tag is a MISP tag; TLP travels as tlp:* tags.
type Tag struct {
	Name string `json:"name"`
}

// Galaxy is a galaxy (a kind of knowledge base) with the clusters the
// event uses.
type Galaxy struct {
	UUID          string    `json:"uuid,omitempty"`
	Name          string    `json:"name"`
	Type          string    `json:"type"`
	Description   string    `json:"description,omitempty"`
	GalaxyCluster []Cluster `json:"GalaxyCluster"`
}

// Cluster is one galaxy cluster (an attack pattern, a malware family...).
type Cluster struct {
	UUID        string                     `json:"uuid"`
	Value       string                     `json:"value"`
	Description string                     `json:"description,omitempty"`
	Meta        map[string]json.RawMessage `json:"meta,omitempty"`
}

// Int is a MISP number, which MISP writes as a JSON string ("1603642920")
// and some producers as a number. It is written back as a string.
type Int int64

// UnmarshalJSON accepts a number, a numeric string, "" or null.
func (n *Int) UnmarshalJSON(b []byte) error {
	s := string(bytes.Trim(b, `"`))
	if s == "" || s == "null" {
		*n = 0
		return nil
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return fmt.Errorf("%s is not an integer", b)
	}
	*n = Int(v)
	return nil
}

// MarshalJSON writes the MISP form, a decimal string.
func (n Int) MarshalJSON() ([]byte, error) {
	return []byte(`"` + strconv.FormatInt(int64(n), 10) + `"`), nil
}

// Bool is a MISP flag: true/false, or 0/1 as numbers or strings.
type Bool bool

// UnmarshalJSON accepts true, false, 0, 1, "0", "1", "true", "false".
func (v *Bool) UnmarshalJSON(b []byte) error {
	switch strings.ToLower(string(bytes.Trim(b, `"`))) {
	case "true", "1":
		*v = true
	case "false", "0", "", "null":
		*v = false
	default:
		return fmt.Errorf("%s is not a boolean", b)
	}
	return nil
}
