package misp

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/liaison-dev/liaison/internal/intel/marking"
	"github.com/liaison-dev/liaison/internal/intel/stix"
)

// Limits on input, so a hostile file cannot exhaust memory or time.
const (
	MaxEvents     = 10_000
	MaxAttributes = 200_000 // per file, objects' attributes included
)

// Error is a MISP value that cannot be converted: it names the event, the
// attribute (or object) by uuid, and the field at fault.
type Error struct {
	Event     string
	Attribute string
	Field     string
	Msg       string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("MISP event " + orQ(e.Event))
	if e.Attribute != "" {
		b.WriteString(": attribute " + e.Attribute)
	}
	if e.Field != "" {
		b.WriteString(": " + e.Field)
	}
	return b.String() + ": " + e.Msg
}

func orQ(s string) string {
	if s == "" {
		return "(no uuid)"
	}
	return s
}

// ErrNotMISP: the input is not MISP event JSON.
var ErrNotMISP = errors.New("misp: not MISP event JSON (want {\"Event\":{...}}, a list of them, or {\"response\":[...]})")

// IsMISP reports whether b looks like MISP event JSON rather than STIX:
// an object with "Event" (or MISP's "response" list) at the top, or a list
// whose first element is one.
func IsMISP(b []byte) bool {
	b = bytes.TrimSpace(b)
	var probe struct {
		Event    json.RawMessage `json:"Event"`
		Response json.RawMessage `json:"response"`
	}
	if len(b) > 0 && b[0] == '[' {
		var first []json.RawMessage
		dec := json.NewDecoder(bytes.NewReader(b))
		if _, err := dec.Token(); err != nil || !dec.More() {
			return false
		}
		var el json.RawMessage
		if dec.Decode(&el) != nil {
			return false
		}
		first = append(first, el)
		return json.Unmarshal(first[0], &probe) == nil && probe.Event != nil
	}
	return json.Unmarshal(b, &probe) == nil && (probe.Event != nil || probe.Response != nil)
}

type wrapped struct {
	Event *Event `json:"Event"`
}

// Parse reads MISP event JSON: {"Event":{...}}, a list of those, or a
// MISP REST answer {"response":[{"Event":{...}}, ...]}.
func Parse(b []byte) ([]Event, error) {
	b = bytes.TrimSpace(b)
	var list []wrapped
	switch {
	case len(b) > 0 && b[0] == '[':
		if err := json.Unmarshal(b, &list); err != nil {
			return nil, fmt.Errorf("misp: %w", err)
		}
	case len(b) > 0 && b[0] == '{':
		var top struct {
			Event    *Event    `json:"Event"`
			Response []wrapped `json:"response"`
		}
		if err := json.Unmarshal(b, &top); err != nil {
			return nil, fmt.Errorf("misp: %w", err)
		}
		list = top.Response
		if top.Event != nil {
			list = []wrapped{{top.Event}}
		}
	}
	if len(list) == 0 {
		return nil, ErrNotMISP
	}
	if len(list) > MaxEvents {
		return nil, fmt.Errorf("misp: more than %d events", MaxEvents)
	}
	out := make([]Event, 0, len(list))
	n := 0
	for i, w := range list {
		if w.Event == nil {
			return nil, fmt.Errorf("misp: element %d has no \"Event\"", i)
		}
		n += len(w.Event.Attribute)
		for _, o := range w.Event.Object {
			n += len(o.Attribute)
		}
		if n > MaxAttributes {
			return nil, fmt.Errorf("misp: more than %d attributes", MaxAttributes)
		}
		out = append(out, *w.Event)
	}
	return out, nil
}

// Import converts MISP event JSON to STIX 2.1 objects (the mapping is in
// docs/intel.md and follows MISP's own misp-stix converter where it
// can). Every returned object is valid for stix.Parser with patterns
// checked.
func Import(b []byte) ([]json.RawMessage, error) {
	events, err := Parse(b)
	if err != nil {
		return nil, err
	}
	var out []json.RawMessage
	for _, e := range events {
		objs, err := ImportEvent(e)
		if err != nil {
			return nil, err
		}
		out = append(out, objs...)
	}
	return out, nil
}

// fixedCreated is the created/modified time of identities and galaxy
// clusters, which MISP shares across events without versions of their
// own: a fixed time makes every event yield the same object, so importing
// a second event never looks like an illegal new version.
const fixedCreated = "2000-01-01T00:00:00.000Z"

func ts(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

func validUUID(u string) bool { return stix.ValidID("x-misp--" + u) }

// tlpOf returns the TLP among tags, if any (the strictest when several),
// and the other tags.
func tlpOf(tags []Tag) (marking.TLP, bool, []string) {
	level, found := marking.Clear, false
	var rest []string
	for _, t := range tags {
		name := strings.TrimSpace(t.Name)
		if l, ok := strings.CutPrefix(strings.ToLower(name), "tlp:"); ok {
			if lv, err := marking.ParseTLP(l); err == nil {
				found, level = true, max(level, lv)
				continue
			}
		}
		if name != "" {
			rest = append(rest, name)
		}
	}
	return level, found, rest
}

// converter holds one event's conversion state.
type converter struct {
	e        Event
	creator  string
	created  string
	tlp      marking.TLP
	hasTLP   bool
	objs     []json.RawMessage
	refs     []string
	clusters map[string]string // galaxy tag name -> STIX id
}

func (c *converter) fail(attr, field, format string, args ...any) error {
	return &Error{Event: c.e.UUID, Attribute: attr, Field: field, Msg: fmt.Sprintf(format, args...)}
}

func (c *converter) emit(o map[string]any, ref bool) {
	b, _ := json.Marshal(o)
	c.objs = append(c.objs, b)
	if ref {
		c.refs = append(c.refs, o["id"].(string))
	}
}

func (c *converter) mark(o map[string]any, tags []Tag) {
	t, ok, _ := tlpOf(tags)
	if !ok {
		t, ok = c.tlp, c.hasTLP
	}
	if ok {
		o["object_marking_refs"] = []string{t.ID()}
	}
}

func (c *converter) sdo(typ, id, created string) map[string]any {
	o := map[string]any{"type": typ, "spec_version": "2.1", "id": typ + "--" + id, "created": created, "modified": created}
	if c.creator != "" {
		o["created_by_ref"] = c.creator
	}
	return o
}

func unixTime(n Int) time.Time { return time.Unix(int64(n), 0).UTC() }

// ImportEvent converts one event: the event becomes a report (published)
// or a grouping (not yet), attributes become indicators (to_ids) or
// observed data, objects become one indicator or one observed-data each,
// galaxy clusters become the matching STIX domain objects, and tlp:* tags
// become TLP 2.0 marking references.
func ImportEvent(e Event) ([]json.RawMessage, error) {
	c := &converter{e: e, clusters: map[string]string{}}
	if !validUUID(e.UUID) {
		return nil, c.fail("", "uuid", "%q is not a UUID", e.UUID)
	}
	if strings.TrimSpace(e.Info) == "" {
		return nil, c.fail("", "info", "is required")
	}
	evTime := unixTime(e.Timestamp)
	if e.Timestamp == 0 {
		d, err := time.Parse("2006-01-02", e.Date)
		if err != nil {
			return nil, c.fail("", "timestamp", "the event has neither a timestamp nor a date")
		}
		evTime = d
	}
	c.created = ts(evTime)
	if e.Orgc != nil && e.Orgc.Name != "" {
		id := e.Orgc.UUID
		if !validUUID(id) {
			id = derived("org", e.Orgc.Name)
		}
		c.creator = "identity--" + id
		c.emit(map[string]any{"type": "identity", "spec_version": "2.1", "id": c.creator, "created": fixedCreated,
			"modified": fixedCreated, "name": e.Orgc.Name, "identity_class": "organization"}, false)
	}
	var labels []string
	c.tlp, c.hasTLP, labels = tlpOf(e.Tag)
	if err := c.galaxies(e.Galaxy); err != nil {
		return nil, err
	}
	for _, a := range e.Attribute {
		if a.Deleted {
			continue
		}
		if err := c.attribute(a); err != nil {
			return nil, err
		}
	}
	for _, o := range e.Object {
		if o.Deleted {
			continue
		}
		if err := c.object(o); err != nil {
			return nil, err
		}
	}
	// Galaxy tags whose cluster the event carries became objects.
	labels = slices.DeleteFunc(labels, func(l string) bool { _, ok := c.clusters[l]; return ok })
	typ := "grouping"
	if e.Published {
		typ = "report"
	}
	ev := c.sdo(typ, e.UUID, c.created)
	ev["name"] = e.Info
	if e.Published {
		pub := evTime
		if e.PublishTimestamp != 0 {
			pub = unixTime(e.PublishTimestamp)
		}
		ev["published"] = ts(pub)
		ev["report_types"] = []string{"threat-report"}
	} else {
		ev["context"] = "suspicious-activity"
	}
	if len(labels) > 0 {
		ev["labels"] = labels
	}
	if e.Date != "" {
		ev["x_misp_date"] = e.Date
	}
	if e.ThreatLevelID != 0 {
		ev["x_misp_threat_level_id"] = int64(e.ThreatLevelID)
	}
	ev["x_misp_analysis"] = int64(e.Analysis)
	if len(c.refs) == 0 {
		// STIX requires object_refs; MISP's converter describes an empty
		// event by a note.
		note := c.sdo("note", e.UUID, c.created)
		note["content"], note["object_refs"] = "This MISP event is empty and contains no attribute, object or galaxy.", []string{ev["id"].(string)}
		c.mark(note, nil)
		c.emit(note, true)
	}
	ev["object_refs"] = c.refs
	c.mark(ev, nil)
	c.emit(ev, false)
	return c.objs, nil
}

func (c *converter) labels(a Attribute) []string {
	l := []string{fmt.Sprintf("misp:type=%q", a.Type)}
	if a.Category != "" {
		l = append(l, fmt.Sprintf("misp:category=%q", a.Category))
	}
	_, _, rest := tlpOf(a.Tag)
	return append(l, rest...)
}

func (c *converter) seen(a Attribute, field, v string, def time.Time) (time.Time, error) {
	if v == "" {
		return def, nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999-0700", "2006-01-02T15:04:05-0700"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t.UTC(), nil
		}
	}
	return def, c.fail(a.UUID, field, "%q is not a timestamp", v)
}

func (c *converter) attrTime(a Attribute) time.Time {
	if a.Timestamp != 0 {
		return unixTime(a.Timestamp)
	}
	t, _ := stix.ParseTimestamp(c.created)
	return t
}

func (c *converter) attribute(a Attribute) error {
	if !validUUID(a.UUID) {
		return c.fail(a.UUID, "uuid", "%q is not a UUID", a.UUID)
	}
	if a.Type == "" {
		return c.fail(a.UUID, "type", "is required")
	}
	t := c.attrTime(a)
	first, err := c.seen(a, "first_seen", a.FirstSeen, t)
	if err != nil {
		return err
	}
	last, err := c.seen(a, "last_seen", a.LastSeen, first)
	if err != nil {
		return err
	}
	if last.Before(first) {
		return c.fail(a.UUID, "last_seen", "is before first_seen")
	}
	created := ts(t)
	var o map[string]any
	pvs, mapped, err := attrPVs(a.Type, a.Value)
	switch {
	case err != nil:
		return c.fail(a.UUID, "value", "%v", err)
	case a.Type == "vulnerability":
		o = c.sdo("vulnerability", a.UUID, created)
		o["name"] = a.Value
		if strings.HasPrefix(strings.ToUpper(a.Value), "CVE-") {
			o["external_references"] = []map[string]string{{"source_name": "cve", "external_id": a.Value}}
		}
	case a.Type == "stix2-pattern" && bool(a.ToIDs):
		o = c.indicator(a.UUID, created, first, last, a.Value, a.Category)
	case mapped && bool(a.ToIDs):
		o = c.indicator(a.UUID, created, first, last, patternOf(pvs), a.Category)
	case mapped:
		roots, scos, ok := buildSCOs(pvs)
		if !ok {
			return c.fail(a.UUID, "value", "%q has no STIX observable form", a.Value)
		}
		o = c.sdo("observed-data", a.UUID, created)
		o["first_observed"], o["last_observed"], o["number_observed"], o["object_refs"] = ts(first), ts(last), 1, roots
		for _, s := range scos {
			c.mark(s, a.Tag)
			c.emit(s, true)
		}
	default:
		o = c.custom(a, created)
	}
	o["labels"] = c.labels(a)
	if a.Comment != "" {
		o["description"] = a.Comment
	}
	c.mark(o, a.Tag)
	c.emit(o, true)
	return c.attrGalaxies(a, o["id"].(string), created)
}

func (c *converter) indicator(uuid, created string, first, last time.Time, pattern, category string) map[string]any {
	o := c.sdo("indicator", uuid, created)
	o["pattern"], o["pattern_type"], o["pattern_version"], o["valid_from"] = pattern, "stix", "2.1", ts(first)
	if last.After(first) {
		o["valid_until"] = ts(last)
	}
	if category != "" {
		o["kill_chain_phases"] = []map[string]string{{"kill_chain_name": "misp-category", "phase_name": category}}
	}
	return o
}

// custom keeps an attribute STIX has no object for, losslessly, as MISP's
// own converter does (x-misp-attribute).
func (c *converter) custom(a Attribute, created string) map[string]any {
	o := c.sdo("x-misp-attribute", a.UUID, created)
	o["x_misp_type"], o["x_misp_value"], o["x_misp_to_ids"] = a.Type, a.Value, bool(a.ToIDs)
	if a.Category != "" {
		o["x_misp_category"] = a.Category
	}
	return o
}

func (c *converter) object(ob Object) error {
	if !validUUID(ob.UUID) {
		return c.fail(ob.UUID, "uuid", "object: %q is not a UUID", ob.UUID)
	}
	if ob.Name == "" {
		return c.fail(ob.UUID, "name", "object: is required")
	}
	var tags []Tag
	toIDs := false
	t := unixTime(ob.Timestamp)
	if ob.Timestamp == 0 {
		t, _ = stix.ParseTimestamp(c.created)
	}
	for _, a := range ob.Attribute {
		if !validUUID(a.UUID) {
			return c.fail(a.UUID, "uuid", "%q is not a UUID (object %s)", a.UUID, ob.UUID)
		}
		if a.ObjectRelation == "" {
			return c.fail(a.UUID, "object_relation", "is required in object %s", ob.UUID)
		}
		if _, _, err := attrPVs(a.Type, a.Value); err != nil {
			return c.fail(a.UUID, "value", "%v (object %s)", err, ob.UUID)
		}
		tags = append(tags, a.Tag...)
		toIDs = toIDs || bool(a.ToIDs)
		if at := unixTime(a.Timestamp); a.Timestamp != 0 && at.After(t) {
			t = at
		}
	}
	created := ts(t)
	labels := []string{fmt.Sprintf("misp:name=%q", ob.Name)}
	if ob.MetaCategory != "" {
		labels = append(labels, fmt.Sprintf("misp:meta-category=%q", ob.MetaCategory))
	}
	pvs, ok := objectPVs(ob)
	var o map[string]any
	switch {
	case ok && toIDs:
		o = c.indicator(ob.UUID, created, t, t, patternOf(pvs), ob.MetaCategory)
	case ok:
		roots, scos, built := buildSCOs(pvs)
		if built && c.validSCOs(scos) {
			o = c.sdo("observed-data", ob.UUID, created)
			o["first_observed"], o["last_observed"], o["number_observed"], o["object_refs"] = created, created, 1, roots
			for _, s := range scos {
				c.mark(s, tags)
				c.emit(s, true)
			}
		}
	}
	if o == nil {
		// Lossless fallback, as MISP's converter does (x-misp-object).
		o = c.sdo("x-misp-object", ob.UUID, created)
		o["x_misp_name"] = ob.Name
		if ob.MetaCategory != "" {
			o["x_misp_meta_category"] = ob.MetaCategory
		}
		attrs := make([]map[string]any, 0, len(ob.Attribute))
		for _, a := range ob.Attribute {
			if a.Deleted {
				continue
			}
			m := map[string]any{"uuid": a.UUID, "type": a.Type, "object_relation": a.ObjectRelation, "value": a.Value, "to_ids": bool(a.ToIDs)}
			if a.Category != "" {
				m["category"] = a.Category
			}
			if a.Comment != "" {
				m["comment"] = a.Comment
			}
			attrs = append(attrs, m)
		}
		o["x_misp_attributes"] = attrs
	}
	o["labels"] = labels
	if ob.Comment != "" {
		o["description"] = ob.Comment
	}
	c.mark(o, tags)
	c.emit(o, true)
	return nil
}

// validSCOs checks built observables against the parser's rules (a
// domain-ip object without a domain has no domain-name to hang the
// addresses on).
func (c *converter) validSCOs(scos []map[string]any) bool {
	var p stix.Parser
	for _, s := range scos {
		b, _ := json.Marshal(s)
		if _, err := p.Parse(b); err != nil {
			return false
		}
	}
	return true
}

// galaxyTypes maps MISP galaxy types to STIX domain object types.
var galaxyTypes = map[string]string{
	"mitre-attack-pattern": "attack-pattern", "attack-pattern": "attack-pattern", "mitre-pre-attack-attack-pattern": "attack-pattern",
	"mitre-mobile-attack-attack-pattern": "attack-pattern", "mitre-malware": "malware", "malpedia": "malware", "android": "malware",
	"ransomware": "malware", "banker": "malware", "botnet": "malware", "stealer": "malware", "rat": "malware", "backdoor": "malware",
	"exploit-kit": "malware", "mitre-tool": "tool", "tool": "tool", "mitre-intrusion-set": "intrusion-set", "threat-actor": "threat-actor",
	"mitre-course-of-action": "course-of-action",
}

func galaxyTag(g Galaxy, cl Cluster) string {
	return fmt.Sprintf("misp-galaxy:%s=%q", g.Type, cl.Value)
}

func (c *converter) cluster(g Galaxy, cl Cluster) (string, error) {
	typ, ok := galaxyTypes[g.Type]
	if !ok {
		return "", nil
	}
	if !validUUID(cl.UUID) {
		return "", c.fail(cl.UUID, "GalaxyCluster.uuid", "%q is not a UUID (galaxy %s)", cl.UUID, g.Type)
	}
	if cl.Value == "" {
		return "", c.fail(cl.UUID, "GalaxyCluster.value", "is required (galaxy %s)", g.Type)
	}
	id := typ + "--" + cl.UUID
	tag := galaxyTag(g, cl)
	if _, done := c.clusters[tag]; done {
		return id, nil
	}
	c.clusters[tag] = id
	o := map[string]any{"type": typ, "spec_version": "2.1", "id": id, "created": fixedCreated, "modified": fixedCreated,
		"name": cl.Value, "x_misp_galaxy_type": g.Type}
	if g.Name != "" {
		o["x_misp_galaxy_name"] = g.Name
	}
	if cl.Description != "" {
		o["description"] = cl.Description
	}
	if typ == "malware" {
		o["is_family"] = true
	}
	var ext []map[string]string
	var ids []string
	json.Unmarshal(cl.Meta["external_id"], &ids)
	for _, x := range ids {
		if x != "" {
			ext = append(ext, map[string]string{"source_name": "misp-galaxy:" + g.Type, "external_id": x})
		}
	}
	if len(ext) > 0 {
		o["external_references"] = ext
	}
	c.emit(o, true)
	return id, nil
}

func (c *converter) galaxies(gs []Galaxy) error {
	for _, g := range gs {
		for _, cl := range g.GalaxyCluster {
			if _, err := c.cluster(g, cl); err != nil {
				return err
			}
		}
	}
	return nil
}

// attrGalaxies ties an attribute's own galaxy clusters to its object.
func (c *converter) attrGalaxies(a Attribute, from, created string) error {
	for _, g := range a.Galaxy {
		for _, cl := range g.GalaxyCluster {
			to, err := c.cluster(g, cl)
			if err != nil || to == "" {
				return err
			}
			rel := c.sdo("relationship", derived("rel", from, to), created)
			rel["relationship_type"], rel["source_ref"], rel["target_ref"] = "related-to", from, to
			if strings.HasPrefix(from, "indicator--") {
				rel["relationship_type"] = "indicates"
			}
			c.mark(rel, a.Tag)
			c.emit(rel, true)
		}
	}
	return nil
}
