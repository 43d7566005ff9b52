package stix

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"unicode/utf8"
	"unsafe"
)

// A small JSON walker for input that validJSON has already accepted. It
// finds the spans of members and elements without building maps or
// copying, which is most of what validating a STIX object costs; only the
// values a rule looks at are decoded, and strings without escapes are
// taken as they are.

var errNotObject = errors.New("not a JSON object")

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\n' || b[i] == '\t' || b[i] == '\r') {
		i++
	}
	return i
}

// skipValue returns the end of the value starting at b[i] (no leading
// space). The input must be valid JSON.
func skipValue(b []byte, i int) int {
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for i < len(b) {
			switch b[i] {
			case '"':
				i = skipString(b, i)
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
			i++
		}
		return i
	}
	for i < len(b) && b[i] != ',' && b[i] != '}' && b[i] != ']' && b[i] != ' ' && b[i] != '\n' && b[i] != '\t' && b[i] != '\r' {
		i++
	}
	return i
}

// skipString returns the end of the string starting at b[i] ('"'): the
// next quote not escaped, found with IndexByte.
func skipString(b []byte, i int) int {
	i++
	for i < len(b) {
		j := bytes.IndexByte(b[i:], '"')
		if j < 0 {
			return len(b)
		}
		k := bytes.IndexByte(b[i:i+j], '\\')
		if k < 0 {
			return i + j + 1
		}
		i += k + 2 // an escape and the character it escapes
	}
	return len(b)
}

// prop is one member of an object: its decoded name and raw value.
type prop struct {
	name string
	raw  []byte
}

// props is an object's members in order. Objects have a dozen or two
// members, where a linear search beats building a map.
type props []prop

func (p props) get(name string) ([]byte, bool) {
	for i := range p {
		if p[i].name == name {
			return p[i].raw, true
		}
	}
	return nil, false
}

// members splits a valid JSON object into its members, refusing
// duplicate names: a property that says two things is ambiguous, and
// different consumers would pick different values.
func members(b []byte, into props) (props, error) {
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return nil, errNotObject
	}
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		return into, nil
	}
	for i < len(b) {
		end := skipString(b, i)
		name, err := decodeString(b[i:end])
		if err != nil {
			return nil, err
		}
		i = skipSpace(b, end)
		i = skipSpace(b, i+1) // ':'
		vend := skipValue(b, i)
		if _, dup := into.get(name); dup {
			return nil, errors.New("duplicate property " + strconv.Quote(name))
		}
		into = append(into, prop{name, b[i:vend]})
		i = skipSpace(b, vend)
		if i >= len(b) || b[i] == '}' {
			break
		}
		i = skipSpace(b, i+1) // ','
	}
	return into, nil
}

// elements splits a valid JSON array into its elements.
func elements(b []byte) ([][]byte, bool) {
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '[' {
		return nil, false
	}
	var out [][]byte
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == ']' {
		return [][]byte{}, true
	}
	for i < len(b) {
		end := skipValue(b, i)
		out = append(out, b[i:end])
		i = skipSpace(b, end)
		if i >= len(b) || b[i] == ']' {
			break
		}
		i = skipSpace(b, i+1)
	}
	return out, true
}

// decodeString decodes a JSON string token; the common case (no escapes,
// valid UTF-8) needs only the copy into a Go string.
func decodeString(raw []byte) (string, error) {
	if len(raw) < 2 || raw[0] != '"' {
		return "", errors.New("not a string")
	}
	inner := raw[1 : len(raw)-1]
	if len(inner) == 0 {
		return "", nil
	}
	if bytes.IndexByte(inner, '\\') < 0 && utf8.Valid(inner) {
		// The string shares the input's memory instead of copying it:
		// the parsed Object keeps the input (Raw) anyway, and the
		// parser's callers never change it (see Parser).
		return unsafe.String(&inner[0], len(inner)), nil
	}
	var s string
	err := json.Unmarshal(raw, &s)
	return s, err
}
