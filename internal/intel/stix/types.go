package stix

import (
	"fmt"
	"strings"
)

// Kinds of object (section 2.1 of the specification).
const (
	KindDomain       = "sdo"
	KindRelationship = "sro"
	KindObservable   = "sco"
	KindMeta         = "meta"
)

var observables = set("artifact", "autonomous-system", "directory", "domain-name", "email-addr", "email-message",
	"file", "ipv4-addr", "ipv6-addr", "mac-addr", "mutex", "network-traffic", "process", "software", "url",
	"user-account", "windows-registry-key", "x509-certificate")

var domainObjects = set("attack-pattern", "campaign", "course-of-action", "grouping", "identity", "incident",
	"indicator", "infrastructure", "intrusion-set", "location", "malware", "malware-analysis", "note",
	"observed-data", "opinion", "report", "threat-actor", "tool", "vulnerability")

func set(v ...string) map[string]bool {
	m := make(map[string]bool, len(v))
	for _, s := range v {
		m[s] = true
	}
	return m
}

// KindOf classifies a type. Custom types are domain objects when they
// carry created/modified (versioned) and observables otherwise.
func KindOf(typ string, versioned bool) string {
	switch {
	case observables[typ]:
		return KindObservable
	case domainObjects[typ]:
		return KindDomain
	case typ == "relationship" || typ == "sighting":
		return KindRelationship
	case typ == "marking-definition" || typ == "language-content" || typ == "extension-definition":
		return KindMeta
	case versioned:
		return KindDomain
	}
	return KindObservable
}

// common checks the properties every object shares (section 3.2).
func (v *validator) common() {
	o := v.obj
	// The id first, so every later error can name the object.
	id := v.str("id", true)
	if v.err != nil {
		return
	}
	o.ID = id
	o.Type = v.str("type", true)
	if v.err != nil {
		return
	}
	if !validType(o.Type) {
		v.fail("type", "%q: 3-250 characters of a-z, 0-9 and single hyphens", o.Type)
		return
	}
	if !ValidID(id) {
		v.fail("id", "%q is not a STIX identifier (type--UUID)", id)
		return
	}
	if t, _, _ := strings.Cut(id, "--"); t != o.Type {
		v.fail("id", "the identifier's type %q does not match the object's type %q", t, o.Type)
		return
	}
	kind := KindOf(o.Type, v.has("created"))
	// SPEC 2.1 §3.2: spec_version is required on SDOs, SROs and meta
	// objects, optional on SCOs; Liaison ingests STIX 2.1 only.
	o.SpecVersion = v.str("spec_version", kind != KindObservable)
	if o.SpecVersion == "" && kind == KindObservable {
		o.SpecVersion = "2.1"
	}
	if o.SpecVersion != "" && o.SpecVersion != "2.1" {
		v.fail("spec_version", "must be \"2.1\" (got %q)", o.SpecVersion)
	}
	versioned := kind == KindDomain || kind == KindRelationship || o.Type == "language-content" || o.Type == "extension-definition"
	o.Created = v.timestamp("created", versioned || o.Type == "marking-definition")
	o.Modified = v.timestamp("modified", versioned)
	if !o.Created.IsZero() && !o.Modified.IsZero() && o.Modified.Before(o.Created) {
		v.fail("modified", "must not be before created")
	}
	if o.Type == "marking-definition" && v.has("modified") {
		// Marking definitions are not versioned (section 7.2.1).
		v.fail("modified", "marking definitions have no modified property")
	}
	o.CreatedByRef = v.ref("created_by_ref", false, "identity")
	o.Revoked = v.boolean("revoked")
	if v.has("labels") {
		v.strings("labels", false)
	}
	if v.has("confidence") {
		v.integer("confidence", false, 0, 100)
	}
	if v.has("external_references") {
		for i, r := range v.list("external_references", false) {
			v.externalReference(fmt.Sprintf("external_references[%d]", i), r)
		}
	}
	if v.has("object_marking_refs") {
		o.MarkingRefs = v.refs("object_marking_refs", false, "marking-definition")
	}
	if v.has("granular_markings") {
		for i, r := range v.list("granular_markings", false) {
			v.granularMarking(fmt.Sprintf("granular_markings[%d]", i), r)
		}
	}
}

func (v *validator) sub(prop string, raw []byte) *validator {
	ps, err := members(raw, nil)
	if err != nil {
		v.fail(prop, "must be an object")
		return nil
	}
	return &validator{obj: v.obj, index: v.index, props: ps}
}

func (v *validator) lift(prefix string, s *validator) {
	if s.err != nil && v.err == nil {
		s.err.Property = prefix + "." + s.err.Property
		v.err = s.err
	}
}

func (v *validator) externalReference(prop string, raw []byte) {
	s := v.sub(prop, raw)
	if s == nil {
		return
	}
	s.str("source_name", true)
	v.lift(prop, s)
}

func (v *validator) granularMarking(prop string, raw []byte) {
	s := v.sub(prop, raw)
	if s == nil {
		return
	}
	// SPEC 2.1 §7.2.3: marking_ref or lang, not both; selectors required.
	hasRef, hasLang := s.has("marking_ref"), s.has("lang")
	if hasRef == hasLang {
		s.fail("marking_ref", "exactly one of marking_ref and lang is required")
	}
	if hasRef {
		s.ref("marking_ref", true, "marking-definition")
	}
	s.strings("selectors", true)
	v.lift(prop, s)
}

// byType checks the properties each type requires (sections 4-7).
func (v *validator) byType(p *Parser) {
	o := v.obj
	switch o.Type {
	case "attack-pattern", "campaign", "course-of-action", "identity", "incident", "infrastructure",
		"intrusion-set", "threat-actor", "tool", "vulnerability":
		v.str("name", true)
	case "grouping":
		v.str("context", true)
		v.refs("object_refs", true)
	case "indicator":
		o.PatternType = v.str("pattern_type", true)
		o.Pattern = v.str("pattern", true)
		from := v.timestamp("valid_from", true)
		if until := v.timestamp("valid_until", false); !until.IsZero() && !from.IsZero() && !until.After(from) {
			v.fail("valid_until", "must be after valid_from")
		}
		if v.err == nil && o.PatternType == "stix" && p.CheckPattern != nil {
			if err := p.CheckPattern(o.Pattern); err != nil {
				v.fail("pattern", "%v", err)
			}
		}
	case "location":
		// SPEC 2.1 §4.11: region, country, or latitude and longitude.
		if !v.has("region") && !v.has("country") && !(v.has("latitude") && v.has("longitude")) {
			v.fail("region", "a location needs region, country, or latitude and longitude")
		}
		if v.has("latitude") != v.has("longitude") {
			v.fail("latitude", "latitude and longitude go together")
		}
	case "malware":
		family := v.boolean("is_family")
		if _, ok := v.props.get("is_family"); !ok {
			v.fail("is_family", "is required")
		}
		if family {
			v.str("name", true)
		}
	case "malware-analysis":
		v.str("product", true)
		if !v.has("result") && !v.has("analysis_sco_refs") {
			v.fail("result", "result or analysis_sco_refs is required")
		}
	case "note":
		v.str("content", true)
		v.refs("object_refs", true)
	case "observed-data":
		first := v.timestamp("first_observed", true)
		last := v.timestamp("last_observed", true)
		if !first.IsZero() && !last.IsZero() && last.Before(first) {
			v.fail("last_observed", "must not be before first_observed")
		}
		v.integer("number_observed", true, 1, 999_999_999)
		if v.has("objects") == v.has("object_refs") {
			v.fail("object_refs", "exactly one of object_refs and objects is required")
		}
		if v.has("object_refs") {
			v.refs("object_refs", true)
		}
	case "opinion":
		v.enum("opinion", true, "strongly-disagree", "disagree", "neutral", "agree", "strongly-agree")
		v.refs("object_refs", true)
	case "report":
		v.str("name", true)
		v.timestamp("published", true)
		v.refs("object_refs", true)
	case "relationship":
		v.str("relationship_type", true)
		v.ref("source_ref", true)
		v.ref("target_ref", true)
		v.timestamp("start_time", false)
		v.timestamp("stop_time", false)
	case "sighting":
		v.ref("sighting_of_ref", true)
		if v.has("count") {
			v.integer("count", false, 0, 999_999_999)
		}
		first := v.timestamp("first_seen", false)
		if last := v.timestamp("last_seen", false); !first.IsZero() && !last.IsZero() && last.Before(first) {
			v.fail("last_seen", "must not be before first_seen")
		}
		if v.has("observed_data_refs") {
			v.refs("observed_data_refs", false, "observed-data")
		}
		if v.has("where_sighted_refs") {
			v.refs("where_sighted_refs", false, "identity", "location")
		}
	case "marking-definition":
		// TLP 2.0 definitions carry their marking as an extension;
		// TLP 1.0 and statements use definition_type + definition.
		if !v.has("extensions") && (!v.has("definition_type") || !v.has("definition")) {
			v.fail("definition", "definition_type and definition (or an extension) are required")
		}
	case "language-content":
		v.ref("object_ref", true)
		v.timestamp("object_modified", false)
		if !v.has("contents") {
			v.fail("contents", "is required")
		}
	case "extension-definition":
		v.str("name", true)
		v.str("schema", true)
		v.str("version", true)
		v.strings("extension_types", true)
	case "autonomous-system":
		v.integer("number", true, 0, 4294967295)
	case "directory":
		v.str("path", true)
	case "domain-name", "email-addr", "ipv4-addr", "ipv6-addr", "mac-addr", "url":
		v.str("value", true)
	case "email-message":
		if _, ok := v.props.get("is_multipart"); !ok {
			v.fail("is_multipart", "is required")
		}
	case "file":
		if !v.has("hashes") && !v.has("name") {
			v.fail("hashes", "a file needs hashes or a name")
		}
	case "mutex", "software":
		v.str("name", true)
	case "network-traffic":
		v.strings("protocols", true)
	}
}
