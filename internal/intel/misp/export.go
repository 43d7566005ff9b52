package misp

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/liaison-dev/liaison/internal/intel/marking"
	"github.com/liaison-dev/liaison/internal/intel/pattern"
	"github.com/liaison-dev/liaison/internal/intel/stix"
)

// sobj is a decoded STIX object.
type sobj struct {
	m   map[string]any
	id  string
	typ string
}

func (o sobj) str(k string) string { s, _ := o.m[k].(string); return s }

func (o sobj) strs(k string) []string {
	l, _ := o.m[k].([]any)
	out := make([]string, 0, len(l))
	for _, v := range l {
		if s, ok := v.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

func (o sobj) uuid() string { _, u, _ := strings.Cut(o.id, "--"); return u }

func (o sobj) tlp() (marking.TLP, bool) { return marking.FromRefs(o.strs("object_marking_refs")) }

func (o sobj) time(k string) time.Time {
	t, _ := stix.ParseTimestamp(o.str(k))
	return t
}

// label returns the value of a misp:KEY="VALUE" label.
func (o sobj) label(key string) string {
	for _, l := range o.strs("labels") {
		if v, ok := strings.CutPrefix(l, "misp:"+key+"="); ok {
			if s, err := strconv.Unquote(v); err == nil {
				return s
			}
		}
	}
	return ""
}

func (o sobj) category() string {
	if c := o.label("category"); c != "" {
		return c
	}
	l, _ := o.m["kill_chain_phases"].([]any)
	for _, k := range l {
		if m, ok := k.(map[string]any); ok && m["kill_chain_name"] == "misp-category" {
			s, _ := m["phase_name"].(string)
			return s
		}
	}
	return ""
}

// otherLabels are the labels that are not MISP bookkeeping.
func (o sobj) otherLabels() []string {
	var out []string
	for _, l := range o.strs("labels") {
		if !strings.HasPrefix(l, "misp:") && l != "Threat-Report" {
			out = append(out, l)
		}
	}
	return out
}

func tlpTag(t marking.TLP) Tag {
	return Tag{Name: "tlp:" + strings.ToLower(strings.TrimPrefix(t.String(), "TLP:"))}
}

// Export converts STIX objects to MISP events: each report or grouping
// becomes an event holding what it refers to, and objects no report or
// grouping holds go to one more event. Indicators become attributes with
// to_ids set (or objects, for patterns over several properties);
// observed data become attributes without it; malware, attack patterns
// and the like become galaxy clusters; TLP markings become tlp:* tags.
// A pattern with no MISP attribute form travels whole as a
// stix2-pattern attribute.
func Export(raws []json.RawMessage) ([]Event, error) {
	byID := map[string]map[string]any{}
	var all []sobj
	for i, r := range raws {
		var m map[string]any
		if err := json.Unmarshal(r, &m); err != nil {
			return nil, fmt.Errorf("misp: object %d: %w", i, err)
		}
		id, _ := m["id"].(string)
		typ, _ := m["type"].(string)
		if id == "" || typ == "" {
			return nil, fmt.Errorf("misp: object %d has no id or type", i)
		}
		byID[id] = m
		all = append(all, sobj{m: m, id: id, typ: typ})
	}
	x := &exporter{byID: byID, used: map[string]bool{}}
	var events []Event
	for _, o := range all {
		if o.typ == "report" || o.typ == "grouping" {
			events = append(events, x.event(o, o.strs("object_refs")))
		}
	}
	var loose []string
	for _, o := range all {
		if !x.used[o.id] && o.typ != "report" && o.typ != "grouping" && o.typ != "identity" && o.typ != "marking-definition" {
			loose = append(loose, o.id)
		}
	}
	if len(loose) > 0 {
		ev := x.event(sobj{m: map[string]any{"name": "Liaison export", "type": "grouping"}, typ: "grouping",
			id: "grouping--" + derived(append([]string{"loose"}, loose...)...)}, loose)
		events = append(events, ev)
	}
	return events, nil
}

type exporter struct {
	byID map[string]map[string]any
	used map[string]bool
}

func (x *exporter) get(id string) (sobj, bool) {
	m, ok := x.byID[id]
	if !ok {
		return sobj{}, false
	}
	t, _ := m["type"].(string)
	return sobj{m: m, id: id, typ: t}, true
}

func (x *exporter) event(c sobj, refs []string) Event {
	x.used[c.id] = true
	e := Event{UUID: c.uuid(), Info: c.str("name"), Published: c.typ == "report"}
	if t := c.time("modified"); !t.IsZero() {
		e.Timestamp = Int(t.Unix())
	}
	e.Date = c.str("x_misp_date")
	if e.Date == "" && !c.time("created").IsZero() {
		e.Date = c.time("created").Format("2006-01-02")
	}
	if e.Published {
		e.PublishTimestamp = Int(c.time("published").Unix())
	}
	if v, ok := c.m["x_misp_threat_level_id"].(float64); ok {
		e.ThreatLevelID = Int(v)
	}
	if v, ok := c.m["x_misp_analysis"].(float64); ok {
		e.Analysis = Int(v)
	}
	if org, ok := x.get(c.str("created_by_ref")); ok {
		e.Orgc = &Org{UUID: org.uuid(), Name: org.str("name")}
	}
	evTLP, hasTLP := c.tlp()
	if hasTLP {
		e.Tag = append(e.Tag, tlpTag(evTLP))
	}
	for _, l := range c.otherLabels() {
		e.Tag = append(e.Tag, Tag{Name: l})
	}
	// Tags of the attribute: its TLP where it differs from the event's.
	attrTags := func(o sobj) []Tag {
		var tags []Tag
		if t, ok := o.tlp(); ok && (!hasTLP || t != evTLP) {
			tags = append(tags, tlpTag(t))
		}
		for _, l := range o.otherLabels() {
			tags = append(tags, Tag{Name: l})
		}
		return tags
	}
	galaxies := map[string]*Galaxy{}
	var galaxyOrder []string
	for _, id := range refs {
		o, ok := x.get(id)
		if !ok {
			continue
		}
		x.used[id] = true
		switch o.typ {
		case "indicator":
			attrs, objs := x.indicator(o)
			for i := range attrs {
				attrs[i].Tag = attrTags(o)
			}
			for i := range objs {
				for j := range objs[i].Attribute {
					objs[i].Attribute[j].Tag = attrTags(o)
				}
			}
			e.Attribute = append(e.Attribute, attrs...)
			e.Object = append(e.Object, objs...)
		case "observed-data":
			attrs, objs := x.observed(o)
			for i := range attrs {
				attrs[i].Tag = attrTags(o)
			}
			for i := range objs {
				for j := range objs[i].Attribute {
					objs[i].Attribute[j].Tag = attrTags(o)
				}
			}
			e.Attribute = append(e.Attribute, attrs...)
			e.Object = append(e.Object, objs...)
		case "x-misp-attribute":
			to, _ := o.m["x_misp_to_ids"].(bool)
			e.Attribute = append(e.Attribute, Attribute{UUID: o.uuid(), Type: o.str("x_misp_type"), Category: o.str("x_misp_category"),
				Value: o.str("x_misp_value"), ToIDs: Bool(to), Comment: o.str("description"), Timestamp: Int(o.time("modified").Unix()),
				Tag: attrTags(o)})
		case "x-misp-object":
			ob := Object{UUID: o.uuid(), Name: o.str("x_misp_name"), MetaCategory: o.str("x_misp_meta_category"),
				Comment: o.str("description"), Timestamp: Int(o.time("modified").Unix())}
			b, _ := json.Marshal(o.m["x_misp_attributes"])
			json.Unmarshal(b, &ob.Attribute)
			for j := range ob.Attribute {
				ob.Attribute[j].Tag = attrTags(o)
			}
			e.Object = append(e.Object, ob)
		case "vulnerability":
			e.Attribute = append(e.Attribute, Attribute{UUID: o.uuid(), Type: "vulnerability", Category: "External analysis",
				Value: o.str("name"), Comment: o.str("description"), Timestamp: Int(o.time("modified").Unix()), Tag: attrTags(o)})
		case "attack-pattern", "malware", "tool", "intrusion-set", "threat-actor", "course-of-action":
			gt := o.str("x_misp_galaxy_type")
			if gt == "" {
				gt = map[string]string{"attack-pattern": "mitre-attack-pattern", "malware": "mitre-malware", "tool": "mitre-tool",
					"intrusion-set": "mitre-intrusion-set", "threat-actor": "threat-actor", "course-of-action": "mitre-course-of-action"}[o.typ]
			}
			g := galaxies[gt]
			if g == nil {
				g = &Galaxy{Type: gt, Name: o.str("x_misp_galaxy_name")}
				galaxies[gt] = g
				galaxyOrder = append(galaxyOrder, gt)
			}
			cl := Cluster{UUID: o.uuid(), Value: o.str("name"), Description: o.str("description")}
			var ext []string
			refs, _ := o.m["external_references"].([]any)
			for _, r := range refs {
				if m, ok := r.(map[string]any); ok {
					if s, ok := m["external_id"].(string); ok {
						ext = append(ext, s)
					}
				}
			}
			if len(ext) > 0 {
				b, _ := json.Marshal(ext)
				cl.Meta = map[string]json.RawMessage{"external_id": b}
			}
			g.GalaxyCluster = append(g.GalaxyCluster, cl)
			tag := galaxyTag(*g, cl)
			if !slices.ContainsFunc(e.Tag, func(t Tag) bool { return t.Name == tag }) {
				e.Tag = append(e.Tag, Tag{Name: tag})
			}
		case "file", "ipv4-addr", "ipv6-addr", "domain-name", "url", "email-addr", "mutex", "mac-addr", "autonomous-system",
			"windows-registry-key", "x509-certificate", "email-message", "network-traffic":
			// An observable on its own (a sample's file object): not an
			// indicator. Addresses referenced by other observables come
			// with those.
			if x.referenced(id) {
				continue
			}
			attrs, objs := x.observables(o.uuid(), []string{id}, o.label("type"), o.label("name"), "", o.time("modified"))
			for i := range attrs {
				attrs[i].Tag = attrTags(o)
			}
			e.Attribute = append(e.Attribute, attrs...)
			e.Object = append(e.Object, objs...)
		}
	}
	for _, gt := range galaxyOrder {
		e.Galaxy = append(e.Galaxy, *galaxies[gt])
	}
	return e
}

// referenced reports whether another observable, or observed data,
// refers to id.
func (x *exporter) referenced(id string) bool {
	for _, m := range x.byID {
		for k, v := range m {
			switch {
			case strings.HasSuffix(k, "_ref") && v == id:
				return true
			case k == "object_refs" && m["type"] != "observed-data":
			case strings.HasSuffix(k, "_refs") && k != "object_marking_refs":
				if l, ok := v.([]any); ok && slices.Contains(l, any(id)) {
					return true
				}
			}
		}
	}
	return false
}

// alternatives flattens a pattern into alternatives, each a conjunction of
// equality comparisons; ok is false for anything else (qualifiers,
// FOLLOWEDBY, other operators), which MISP can hold only as a
// stix2-pattern attribute.
func alternatives(src string) ([][]pv, bool) {
	p, err := pattern.Parse(src)
	if err != nil {
		return nil, false
	}
	return obsAlts(p.Expr)
}

func obsAlts(e pattern.ObservationExpr) ([][]pv, bool) {
	switch e := e.(type) {
	case *pattern.Observation:
		if len(e.Qualifiers) > 0 {
			return nil, false
		}
		return cmpAlts(e.Comparison)
	case *pattern.Group:
		if len(e.Qualifiers) > 0 {
			return nil, false
		}
		return obsAlts(e.Expr)
	case *pattern.ObservationOp:
		return combine(e.Op == pattern.ObsOr, e.Op == pattern.ObsAnd, len(e.Operands), func(i int) ([][]pv, bool) { return obsAlts(e.Operands[i]) })
	}
	return nil, false
}

func cmpAlts(e pattern.ComparisonExpr) ([][]pv, bool) {
	switch e := e.(type) {
	case *pattern.Comparison:
		if e.Negated {
			return nil, false
		}
		path := pathString(e.Path)
		switch {
		case e.Op == pattern.OpEqual:
			v, ok := value(e.Value)
			return [][]pv{{{path, v}}}, ok
		case e.Op == pattern.OpIn:
			var out [][]pv
			for _, s := range e.Value.Set {
				v, ok := value(s)
				if !ok {
					return nil, false
				}
				out = append(out, []pv{{path, v}})
			}
			return out, true
		}
		return nil, false
	case *pattern.ComparisonOp:
		return combine(e.Op == pattern.CmpOr, e.Op == pattern.CmpAnd, len(e.Operands), func(i int) ([][]pv, bool) { return cmpAlts(e.Operands[i]) })
	}
	return nil, false
}

// combine joins operands' alternatives: OR concatenates them, AND takes
// their product (bounded, so a hostile pattern cannot blow up).
func combine(or, and bool, n int, operand func(int) ([][]pv, bool)) ([][]pv, bool) {
	out := [][]pv{nil}
	if or {
		out = nil
	}
	for i := range n {
		alts, ok := operand(i)
		if !ok {
			return nil, false
		}
		switch {
		case or:
			out = append(out, alts...)
		case and:
			if len(out)*len(alts) > 1000 {
				return nil, false
			}
			var next [][]pv
			for _, a := range out {
				for _, b := range alts {
					next = append(next, append(slices.Clone(a), b...))
				}
			}
			out = next
		default:
			return nil, false
		}
		if len(out) > 1000 {
			return nil, false
		}
	}
	return out, true
}

func value(v pattern.Value) (any, bool) {
	switch v.Kind {
	case pattern.KindString:
		return v.Str, true
	case pattern.KindInt:
		return v.Int, true
	}
	return nil, false
}

func pathString(p pattern.ObjectPath) string {
	var b strings.Builder
	b.WriteString(p.Type + ":")
	prevHashes := false
	for i, s := range p.Steps {
		switch s.Kind {
		case pattern.StepKey:
			k := s.Key
			if prevHashes {
				if _, std, ok := canonicalHash(k); ok {
					k = std
				}
			}
			if i > 0 {
				b.WriteString(".")
			}
			b.WriteString(step(k))
			prevHashes = k == "hashes"
		case pattern.StepIndex:
			fmt.Fprintf(&b, "[%d]", s.Index)
			prevHashes = false
		case pattern.StepAny:
			b.WriteString("[*]")
			prevHashes = false
		}
	}
	return b.String()
}

// toAttrs turns one conjunction into an attribute, or into an object when
// it names a template (misp:name) or has no single-attribute form.
func toAttrs(uuid string, pvs []pv, typeHint, objName, category string, toIDs bool, t time.Time) ([]Attribute, []Object, bool) {
	var stamp Int
	if !t.IsZero() {
		stamp = Int(t.Unix())
	}
	if objName == "" {
		if typ, v, ok := attrFromPVs(pvs, typeHint); ok {
			return []Attribute{{UUID: uuid, Type: typ, Category: category, Value: v, ToIDs: Bool(toIDs), Timestamp: stamp}}, nil, true
		}
		objName = guessTemplate(pvs)
	}
	attrs, ok := objectFromPVs(objName, pvs)
	if !ok {
		return nil, nil, false
	}
	for i := range attrs {
		attrs[i].UUID = derived("attr", uuid, attrs[i].ObjectRelation, attrs[i].Value)
		attrs[i].ToIDs, attrs[i].Timestamp = Bool(toIDs), stamp
	}
	return nil, []Object{{UUID: uuid, Name: objName, MetaCategory: category, Timestamp: stamp, Attribute: attrs}}, true
}

func (x *exporter) indicator(o sobj) ([]Attribute, []Object) {
	objName := o.label("name")
	category := o.category()
	if objName != "" {
		category = o.label("meta-category")
	}
	t := o.time("modified")
	if o.str("pattern_type") == "stix" {
		if alts, ok := alternatives(o.str("pattern")); ok && (objName == "" || len(alts) == 1) {
			var attrs []Attribute
			var objs []Object
			all := true
			for i, alt := range alts {
				uuid := o.uuid()
				if i > 0 {
					uuid = derived("alt", o.uuid(), strconv.Itoa(i))
				}
				a, ob, ok := toAttrs(uuid, alt, o.label("type"), objName, category, true, t)
				if !ok {
					all = false
					break
				}
				attrs, objs = append(attrs, a...), append(objs, ob...)
			}
			if all {
				for i := range attrs {
					attrs[i].Comment = o.str("description")
				}
				for i := range objs {
					objs[i].Comment = o.str("description")
				}
				return attrs, objs
			}
		}
	}
	if category == "" || objName != "" {
		category = "Payload installation"
	}
	return []Attribute{{UUID: o.uuid(), Type: "stix2-pattern", Category: category, Value: o.str("pattern"), ToIDs: true,
		Comment: o.str("description"), Timestamp: Int(t.Unix())}}, nil
}

func (x *exporter) observed(o sobj) ([]Attribute, []Object) {
	attrs, objs := x.observables(o.uuid(), o.strs("object_refs"), o.label("type"), o.label("name"), o.category(), o.time("modified"))
	if o.label("name") != "" {
		for i := range objs {
			objs[i].MetaCategory = o.label("meta-category")
			objs[i].Comment = o.str("description")
		}
	}
	for i := range attrs {
		attrs[i].Comment = o.str("description")
	}
	return attrs, objs
}

// observables converts the root observables among ids (those no other in
// the list refers to).
func (x *exporter) observables(uuid string, ids []string, typeHint, objName, category string, t time.Time) ([]Attribute, []Object) {
	child := map[string]bool{}
	for _, id := range ids {
		if m, ok := x.byID[id]; ok {
			for k, v := range m {
				if strings.HasSuffix(k, "_ref") {
					if s, ok := v.(string); ok {
						child[s] = true
					}
				}
				if strings.HasSuffix(k, "_refs") {
					l, _ := v.([]any)
					for _, s := range l {
						if s, ok := s.(string); ok {
							child[s] = true
						}
					}
				}
			}
		}
	}
	var all []pv
	var roots int
	for _, id := range ids {
		m, ok := x.byID[id]
		if !ok || child[id] {
			continue
		}
		x.used[id] = true
		roots++
		all = append(all, flatten(m, x.byID)...)
	}
	for id := range child {
		x.used[id] = true
	}
	if len(all) == 0 {
		return nil, nil
	}
	if a, ob, ok := toAttrs(uuid, all, typeHint, objName, category, false, t); ok {
		return a, ob
	}
	// No MISP form for the whole: one text attribute per property keeps
	// the values.
	var attrs []Attribute
	for i, p := range all {
		attrs = append(attrs, Attribute{UUID: derived("prop", uuid, strconv.Itoa(i)), Type: "text", Category: "Other",
			Value: p.Path + " = " + p.str(), Timestamp: Int(t.Unix())})
	}
	return attrs, nil
}

// Marshal writes events as MISP JSON: {"Event":{...}} for one event, a
// list of them for several.
func Marshal(events []Event) ([]byte, error) {
	if len(events) == 1 {
		return json.MarshalIndent(wrapped{&events[0]}, "", "  ")
	}
	list := make([]wrapped, len(events))
	for i := range events {
		list[i] = wrapped{&events[i]}
	}
	return json.MarshalIndent(list, "", "  ")
}
