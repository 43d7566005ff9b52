// Package stix parses and validates STIX 2.1 objects (OASIS STIX Version
// 2.1, sections 2-7) as they arrive from analysts, TAXII clients, MISP
// conversions and peers. An object is kept as its original JSON bytes —
// what the producer signed off is what is stored and served — together
// with the common properties Liaison indexes and enforces.
//
// Validation is one pass over the object's top-level properties; errors
// name the object id and the property at fault.
package stix

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Limits on what is accepted, so hostile input cannot exhaust memory.
const (
	// MaxObjectBytes bounds one object's JSON.
	MaxObjectBytes = 4 << 20
	// MaxBundleObjects bounds the objects of one bundle or TAXII envelope.
	MaxBundleObjects = 100_000
)

// Object is a validated STIX object.
type Object struct {
	Type        string
	ID          string
	SpecVersion string
	// Created and Modified are zero for cyber-observable objects, which
	// are not versioned.
	Created, Modified time.Time
	CreatedByRef      string
	Revoked           bool
	MarkingRefs       []string
	// Pattern and PatternType are set for indicators.
	Pattern, PatternType string
	// Raw is the object exactly as received.
	Raw json.RawMessage
}

// Version identifies the object's version: its modified time, or created
// when there is no modified (marking definitions), or zero.
func (o *Object) Version() time.Time {
	if !o.Modified.IsZero() {
		return o.Modified
	}
	return o.Created
}

// Error is a validation failure of one property of one object.
type Error struct {
	ID       string // object id, or "" when unknown
	Index    int    // position in the bundle, or -1
	Property string
	Msg      string
}

func (e *Error) Error() string {
	where := e.ID
	if where == "" && e.Index >= 0 {
		where = fmt.Sprintf("object %d", e.Index)
	}
	if where == "" {
		where = "object"
	}
	if e.Property == "" {
		return where + ": " + e.Msg
	}
	return where + ": " + e.Property + ": " + e.Msg
}

// ErrMalformed wraps input that is not JSON of the expected shape.
var ErrMalformed = errors.New("stix: malformed")

// validType implements the type rule (section 3.1): 3-250 characters of
// a-z, 0-9 and hyphen, starting and ending alphanumeric, without "--"
// (which separates type and UUID in identifiers).
func validType(t string) bool {
	if len(t) < 3 || len(t) > 250 || t[0] == '-' || t[len(t)-1] == '-' {
		return false
	}
	for i := 0; i < len(t); i++ {
		c := t[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case c == '-':
			if t[i-1] == '-' {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// validUUID implements the official schema's identifier rule
// (common/identifier.json): an RFC 4122 UUID of version 1-5, hex in either
// case.
func validUUID(u string) bool {
	if len(u) != 36 {
		return false
	}
	for i := 0; i < 36; i++ {
		c := u[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
			continue
		case 14:
			if c < '1' || c > '5' {
				return false
			}
			continue
		case 19:
			if !strings.ContainsRune("89abAB", rune(c)) {
				return false
			}
			continue
		}
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

// ValidID reports whether id is a STIX identifier (type--UUID, section 2.9).
func ValidID(id string) bool {
	if len(id) < 41 {
		return false
	}
	t, u := id[:len(id)-38], id[len(id)-36:]
	return id[len(id)-38:len(id)-36] == "--" && validType(t) && validUUID(u)
}

// ParseTimestamp parses a STIX timestamp (section 2.15): RFC 3339 in UTC
// with a literal Z, any sub-second precision.
func ParseTimestamp(s string) (time.Time, error) {
	if !strings.HasSuffix(s, "Z") || len(s) < 20 || s[10] != 'T' {
		return time.Time{}, fmt.Errorf("%q is not a STIX timestamp (RFC 3339, UTC, ending in Z)", s)
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not a STIX timestamp (RFC 3339, UTC, ending in Z)", s)
	}
	return t, nil
}

// FormatTimestamp writes t as a STIX/TAXII timestamp with millisecond or
// finer precision as needed.
func FormatTimestamp(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000000Z")
}

// PatternChecker validates indicator patterns of pattern_type "stix"; the
// pattern package provides one. Nil accepts any non-empty pattern.
type PatternChecker func(pattern string) error

// Parser validates objects. The strings of a parsed Object share memory
// with the input bytes, like its Raw: the input must not change after it
// is parsed.
type Parser struct {
	CheckPattern PatternChecker
}

// Parse validates one object.
func (p *Parser) Parse(raw []byte) (*Object, error) { return p.parse(raw, -1) }

func (p *Parser) parse(raw []byte, index int) (*Object, error) {
	if len(raw) > MaxObjectBytes {
		return nil, &Error{Index: index, Msg: fmt.Sprintf("larger than %d bytes", MaxObjectBytes)}
	}
	if !validJSON(raw) {
		return nil, &Error{Index: index, Msg: "not valid JSON"}
	}
	return p.parseValid(raw, index, nil)
}

// parseValid validates an object already known to be valid JSON. scratch
// holds the object's members while it is validated; a caller parsing many
// objects passes the same one each time instead of allocating one per
// object (nothing the Object keeps points into it).
func (p *Parser) parseValid(raw []byte, index int, scratch *props) (*Object, error) {
	if scratch == nil {
		scratch = new(props)
	}
	ps, err := members(raw, (*scratch)[:0])
	*scratch = ps
	if err != nil {
		return nil, &Error{Index: index, Msg: "not a JSON object: " + err.Error()}
	}
	v := validator{props: ps, obj: &Object{Raw: raw}, index: index}
	v.common()
	if v.err == nil {
		v.byType(p)
	}
	if v.err != nil {
		return nil, v.err
	}
	return v.obj, nil
}

type validator struct {
	props props
	obj   *Object
	index int
	err   *Error
}

func (v *validator) fail(prop, format string, args ...any) {
	if v.err == nil {
		v.err = &Error{ID: v.obj.ID, Index: v.index, Property: prop, Msg: fmt.Sprintf(format, args...)}
	}
}

func (v *validator) has(prop string) bool {
	r, ok := v.props.get(prop)
	return ok && !bytes.Equal(r, []byte("null"))
}

func (v *validator) str(prop string, required bool) string {
	r, ok := v.props.get(prop)
	if !ok {
		if required {
			v.fail(prop, "is required")
		}
		return ""
	}
	s, err := decodeString(r)
	if err != nil {
		v.fail(prop, "must be a string")
		return ""
	}
	if required && s == "" {
		v.fail(prop, "must not be empty")
	}
	return s
}

func (v *validator) timestamp(prop string, required bool) time.Time {
	s := v.str(prop, required)
	if s == "" {
		return time.Time{}
	}
	t, err := ParseTimestamp(s)
	if err != nil {
		v.fail(prop, "%v", err)
	}
	return t
}

func (v *validator) boolean(prop string) bool {
	r, ok := v.props.get(prop)
	if !ok {
		return false
	}
	switch string(r) {
	case "true":
		return true
	case "false":
	default:
		v.fail(prop, "must be true or false")
	}
	return false
}

func (v *validator) integer(prop string, required bool, min, max int64) (int64, bool) {
	r, ok := v.props.get(prop)
	if !ok {
		if required {
			v.fail(prop, "is required")
		}
		return 0, false
	}
	n, err := strconv.ParseInt(string(r), 10, 64)
	if err != nil {
		v.fail(prop, "must be an integer")
		return 0, false
	}
	if n < min || n > max {
		v.fail(prop, "must be between %d and %d", min, max)
	}
	return n, true
}

func (v *validator) list(prop string, required bool) [][]byte {
	r, ok := v.props.get(prop)
	if !ok {
		if required {
			v.fail(prop, "is required")
		}
		return nil
	}
	l, ok := elements(r)
	if !ok {
		v.fail(prop, "must be a list")
		return nil
	}
	// SPEC 2.1 §3.1: lists MUST NOT be empty.
	if len(l) == 0 {
		v.fail(prop, "must not be an empty list")
	}
	return l
}

func (v *validator) strings(prop string, required bool) []string {
	l := v.list(prop, required)
	out := make([]string, 0, len(l))
	for i, r := range l {
		s, err := decodeString(r)
		if err != nil {
			v.fail(fmt.Sprintf("%s[%d]", prop, i), "must be a string")
			return nil
		}
		out = append(out, s)
	}
	return out
}

func (v *validator) ref(prop string, required bool, types ...string) string {
	s := v.str(prop, required)
	if s != "" {
		v.checkRef(prop, s, types)
	}
	return s
}

func (v *validator) refs(prop string, required bool, types ...string) []string {
	l := v.strings(prop, required)
	for i, s := range l {
		v.checkRef(fmt.Sprintf("%s[%d]", prop, i), s, types)
	}
	return l
}

func (v *validator) checkRef(prop, id string, types []string) {
	if !ValidID(id) {
		v.fail(prop, "%q is not a STIX identifier (type--UUID)", id)
		return
	}
	if len(types) == 0 {
		return
	}
	t, _, _ := strings.Cut(id, "--")
	for _, want := range types {
		if t == want {
			return
		}
	}
	v.fail(prop, "must refer to a %s, not a %s", strings.Join(types, " or "), t)
}

func (v *validator) enum(prop string, required bool, allowed ...string) string {
	s := v.str(prop, required)
	if s == "" {
		return s
	}
	for _, a := range allowed {
		if s == a {
			return s
		}
	}
	v.fail(prop, "must be one of %s", strings.Join(allowed, ", "))
	return s
}
