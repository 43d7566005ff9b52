package pattern

import (
	"bytes"
	"net/netip"
	"strings"
	"time"
)

// testValue applies the comparison to one selected value.
//
// SPEC: STIX 2.1 §9.6, as the OASIS matcher reads it: constants and
// values of types that cannot be compared are unequal (so '!=' holds) and
// unordered (so '<', '>' etc. fail even under NOT); a timestamp constant
// compares with a string property parsed as an RFC 3339 timestamp; a
// binary or hex constant compares with a string property whose characters
// are all below U+0100, taken as bytes. NOT inverts the operator for each
// value the operator applies to.
func (c *Comparison) testValue(v any) bool {
	switch c.Op {
	case OpEqual, OpNotEqual:
		r := equal(v, c.Value)
		if c.Op == OpNotEqual {
			r = !r
		}
		return r != c.Negated
	case OpLess, OpLessEqual, OpGreater, OpGreaterEqual:
		n, ok := order(v, c.Value)
		if !ok {
			return false
		}
		var r bool
		switch c.Op {
		case OpLess:
			r = n < 0
		case OpLessEqual:
			r = n <= 0
		case OpGreater:
			r = n > 0
		default:
			r = n >= 0
		}
		return r != c.Negated
	case OpIn:
		r := false
		for _, m := range c.Value.Set {
			if equal(v, m) {
				r = true
				break
			}
		}
		return r != c.Negated
	case OpLike:
		s, ok := v.(string)
		return ok && c.like.get().MatchString(s) != c.Negated
	case OpMatches:
		switch x := v.(type) {
		case string:
			return c.re.MatchString(x) != c.Negated
		case []byte:
			// Bytes match as Latin-1 text, so a pattern character below
			// U+0100 matches the byte of that value, as in the OASIS
			// matcher.
			return c.re.MatchString(latin1String(x)) != c.Negated
		}
		return false
	case OpIsSubset, OpIsSuperset:
		s, ok := v.(string)
		if !ok {
			return false
		}
		vp, ok := parsePrefix(s)
		if !ok {
			return false
		}
		var r bool
		if c.Op == OpIsSubset {
			r = within(vp, c.prefix)
		} else {
			r = within(c.prefix, vp)
		}
		return r != c.Negated
	}
	return false
}

// within reports whether block a lies inside block b.
func within(a, b netip.Prefix) bool {
	return a.Addr().Is4() == b.Addr().Is4() && b.Bits() <= a.Bits() && b.Contains(a.Addr())
}

func equal(v any, lit Value) bool {
	switch lit.Kind {
	case KindString:
		switch x := v.(type) {
		case string:
			return x == lit.Str
		case []byte:
			b, ok := latin1Bytes(lit.Str)
			return ok && bytes.Equal(x, b)
		}
	case KindInt, KindFloat:
		n, ok := compareNumber(v, lit)
		return ok && n == 0
	case KindBool:
		x, ok := v.(bool)
		return ok && x == lit.Bool
	case KindBinary, KindHex:
		switch x := v.(type) {
		case []byte:
			return bytes.Equal(x, lit.Bytes)
		case string:
			b, ok := latin1Bytes(x)
			return ok && bytes.Equal(b, lit.Bytes)
		}
	case KindTimestamp:
		t, ok := timestampValue(v)
		return ok && t.Equal(lit.Time)
	}
	return false
}

// order compares v with lit: negative when v < lit.
func order(v any, lit Value) (int, bool) {
	switch lit.Kind {
	case KindString:
		switch x := v.(type) {
		case string:
			return strings.Compare(x, lit.Str), true
		case []byte:
			b, ok := latin1Bytes(lit.Str)
			if !ok {
				return 0, false
			}
			return bytes.Compare(x, b), true
		}
	case KindInt, KindFloat:
		return compareNumber(v, lit)
	case KindBinary, KindHex:
		switch x := v.(type) {
		case []byte:
			return bytes.Compare(x, lit.Bytes), true
		case string:
			b, ok := latin1Bytes(x)
			if !ok {
				return 0, false
			}
			return bytes.Compare(b, lit.Bytes), true
		}
	case KindTimestamp:
		t, ok := timestampValue(v)
		if !ok {
			return 0, false
		}
		return t.Compare(lit.Time), true
	}
	return 0, false
}

func compareNumber(v any, lit Value) (int, bool) {
	var f float64
	switch x := v.(type) {
	case int64:
		if lit.Kind == KindInt {
			return cmp3(x, lit.Int), true
		}
		f = float64(x)
	case float64:
		f = x
	default:
		return 0, false
	}
	l := lit.Float
	if lit.Kind == KindInt {
		l = float64(lit.Int)
	}
	if f != f || l != l { // NaN
		return 0, false
	}
	return cmp3(f, l), true
}

func cmp3[T int64 | float64](a, b T) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func timestampValue(v any) (time.Time, bool) {
	s, ok := v.(string)
	if !ok {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	return t, err == nil
}

// latin1Bytes converts a string whose characters are all below U+0100 to
// those bytes.
func latin1Bytes(s string) ([]byte, bool) {
	out := make([]byte, 0, len(s))
	for _, r := range s {
		if r > 0xFF {
			return nil, false
		}
		out = append(out, byte(r))
	}
	return out, true
}

func latin1String(b []byte) string {
	rs := make([]rune, len(b))
	for i, c := range b {
		rs[i] = rune(c)
	}
	return string(rs)
}
