package pattern

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"time"
)

// ObservedData is one STIX 2.1 observed-data object (STIX 2.1 §4.14)
// prepared for matching: its cyber-observable objects (SCOs) resolved and
// its numbers decoded. Build it with DecodeObservedData or FromObjects.
type ObservedData struct {
	ID             string
	FirstObserved  time.Time
	LastObserved   time.Time
	NumberObserved int

	// Objects are the SCOs this observation holds, keyed by their key in
	// the (deprecated) "objects" dictionary or by id for "object_refs".
	// Values are JSON values: map[string]any, []any, string, bool, nil,
	// int64 or float64.
	Objects map[string]map[string]any

	keys  []string                  // Objects' keys, sorted
	types []string                  // the "type" of each object in keys order
	pool  map[string]map[string]any // every SCO of the input by id
}

// DecodeObservedData reads observed-data for matching from JSON: a STIX
// bundle, a JSON array of STIX objects (or of bundles), or one
// observed-data object. SCOs referenced by "object_refs" are taken from
// the same input. At most MaxInputBytes are read.
func DecodeObservedData(r io.Reader) ([]*ObservedData, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxInputBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxInputBytes {
		return nil, &InputError{Msg: fmt.Sprintf("input is larger than %d bytes", MaxInputBytes)}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var top any
	if err := dec.Decode(&top); err != nil {
		return nil, &InputError{Msg: "not JSON: " + err.Error()}
	}
	if dec.More() {
		return nil, &InputError{Msg: "trailing data after the JSON value"}
	}
	top = normalize(top)
	var objs []map[string]any
	var flatten func(v any, path string, depth int) error
	flatten = func(v any, path string, depth int) error {
		switch v := v.(type) {
		case map[string]any:
			if v["type"] == "bundle" && depth < 2 {
				list, ok := v["objects"].([]any)
				if !ok {
					if _, present := v["objects"]; present {
						return &InputError{Path: path + "objects", Msg: "must be an array"}
					}
					return nil
				}
				for i, o := range list {
					if err := flatten(o, fmt.Sprintf("%sobjects[%d].", path, i), depth+1); err != nil {
						return err
					}
				}
				return nil
			}
			objs = append(objs, v)
			return nil
		case []any:
			if depth > 0 {
				return &InputError{Path: trimDot(path), Msg: "expected a STIX object, found an array"}
			}
			for i, o := range v {
				if err := flatten(o, fmt.Sprintf("[%d].", i), depth+1); err != nil {
					return err
				}
			}
			return nil
		}
		return &InputError{Path: trimDot(path), Msg: "expected a STIX object, a bundle or an array"}
	}
	if err := flatten(top, "", 0); err != nil {
		return nil, err
	}
	return FromObjects(objs)
}

func trimDot(s string) string {
	if len(s) > 0 && s[len(s)-1] == '.' {
		return s[:len(s)-1]
	}
	return s
}

// FromObjects prepares the observed-data among objs for matching; the
// other objects serve as SCOs for "object_refs". Objects hold JSON values
// as encoding/json decodes them (numbers as json.Number, float64 or int);
// FromObjects converts numbers in place to int64 or float64. References that do not resolve are ignored, as in the
// OASIS matcher: an unresolved object simply cannot match.
func FromObjects(objs []map[string]any) ([]*ObservedData, error) {
	pool := make(map[string]map[string]any)
	for _, o := range objs {
		if id, ok := o["id"].(string); ok && o["type"] != "observed-data" {
			pool[id] = normalize(o).(map[string]any)
		}
	}
	var out []*ObservedData
	for i, o := range objs {
		if o["type"] != "observed-data" {
			continue
		}
		od, err := newObservedData(normalize(o).(map[string]any), i, pool)
		if err != nil {
			return nil, err
		}
		out = append(out, od)
	}
	return out, nil
}

func newObservedData(o map[string]any, index int, pool map[string]map[string]any) (*ObservedData, error) {
	od := &ObservedData{Objects: make(map[string]map[string]any), pool: pool}
	label := fmt.Sprintf("observed-data #%d", index+1)
	if id, ok := o["id"].(string); ok && id != "" {
		od.ID, label = id, id
	} else {
		od.ID = label
	}
	fail := func(prop, format string, args ...any) error {
		return &InputError{Path: label + ": " + prop, Msg: fmt.Sprintf(format, args...)}
	}
	ts := func(prop string) (time.Time, error) {
		s, ok := o[prop].(string)
		if !ok {
			return time.Time{}, fail(prop, "required timestamp missing")
		}
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return time.Time{}, fail(prop, "not an RFC 3339 timestamp: %q", s)
		}
		return t, nil
	}
	var err error
	if od.FirstObserved, err = ts("first_observed"); err != nil {
		return nil, err
	}
	if od.LastObserved, err = ts("last_observed"); err != nil {
		return nil, err
	}
	// SPEC: STIX 2.1 §4.14 — last_observed MUST be >= first_observed.
	if od.LastObserved.Before(od.FirstObserved) {
		return nil, fail("last_observed", "before first_observed")
	}
	// SPEC: STIX 2.1 §4.14 — number_observed is 1..999,999,999.
	n, ok := o["number_observed"].(int64)
	if !ok || n < 1 || n > MaxNumberObserved {
		return nil, fail("number_observed", "required integer from 1 to %d", MaxNumberObserved)
	}
	od.NumberObserved = int(n)

	if raw, present := o["objects"]; present {
		dict, ok := raw.(map[string]any)
		if !ok {
			return nil, fail("objects", "must be a dictionary of cyber-observable objects")
		}
		for k, v := range dict {
			sco, ok := v.(map[string]any)
			if !ok {
				return nil, fail("objects."+k, "must be a cyber-observable object")
			}
			od.Objects[k] = sco
		}
	}
	if raw, present := o["object_refs"]; present {
		refs, ok := raw.([]any)
		if !ok {
			return nil, fail("object_refs", "must be a list of identifiers")
		}
		for i, r := range refs {
			id, ok := r.(string)
			if !ok {
				return nil, fail(fmt.Sprintf("object_refs[%d]", i), "must be an identifier")
			}
			if sco, ok := pool[id]; ok {
				od.Objects[id] = sco
			}
		}
	}
	od.index()
	return od, nil
}

// index sorts the object keys so matching visits objects in a fixed order.
func (od *ObservedData) index() {
	od.keys = od.keys[:0]
	for k := range od.Objects {
		od.keys = append(od.keys, k)
	}
	sort.Strings(od.keys)
	od.types = make([]string, len(od.keys))
	for i, k := range od.keys {
		od.types[i], _ = od.Objects[k]["type"].(string)
	}
}

// resolve finds the object a reference names: a key of the objects
// dictionary, else the id of an object in the input.
func (od *ObservedData) resolve(ref string) (map[string]any, bool) {
	if o, ok := od.Objects[ref]; ok {
		return o, true
	}
	o, ok := od.pool[ref]
	return o, ok
}

// normalize converts json.Number to int64 (when integral and in range) or
// float64, recursively, so comparisons need not re-parse numbers.
func normalize(v any) any {
	switch v := v.(type) {
	case json.Number:
		if i, err := strconv.ParseInt(string(v), 10, 64); err == nil {
			return i
		}
		f, _ := strconv.ParseFloat(string(v), 64)
		return f
	case int:
		return int64(v)
	case int32:
		return int64(v)
	case float64:
		if v == math.Trunc(v) && math.Abs(v) < 1<<53 {
			return int64(v)
		}
		return v
	case map[string]any:
		for k, x := range v {
			v[k] = normalize(x)
		}
		return v
	case []any:
		for i, x := range v {
			v[i] = normalize(x)
		}
		return v
	}
	return v
}
