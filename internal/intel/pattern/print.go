package pattern

import (
	"encoding/base64"
	"encoding/hex"
	"strconv"
	"strings"
)

// String renders the pattern in canonical form: single spaces, upper-case
// keywords, parentheses only where the source had a group or where
// precedence needs them. Parse(p.String()) yields an equal pattern.
func (p *Pattern) String() string {
	var b strings.Builder
	writeObs(&b, p.Expr)
	return b.String()
}

func writeObs(b *strings.Builder, e ObservationExpr) {
	switch e := e.(type) {
	case *Observation:
		b.WriteByte('[')
		writeCmp(b, e.Comparison, false)
		b.WriteByte(']')
		writeQualifiers(b, e.Qualifiers)
	case *Group:
		b.WriteByte('(')
		writeObs(b, e.Expr)
		b.WriteByte(')')
		writeQualifiers(b, e.Qualifiers)
	case *ObservationOp:
		for i, o := range e.Operands {
			if i > 0 {
				b.WriteString(" " + e.Op.String() + " ")
			}
			writeObs(b, o)
		}
	}
}

func writeQualifiers(b *strings.Builder, qs []Qualifier) {
	for _, q := range qs {
		switch q.Kind {
		case QualWithin:
			b.WriteString(" WITHIN " + formatFloat(q.Seconds, q.Seconds >= 1e15) + " SECONDS")
		case QualRepeats:
			b.WriteString(" REPEATS " + strconv.Itoa(q.Repeats) + " TIMES")
		case QualStartStop:
			b.WriteString(" START t'" + q.startRaw + "' STOP t'" + q.stopRaw + "'")
		}
	}
}

// formatFloat prints an integral WITHIN value as an integer and any float
// constant with a '.', so it lexes back as the same kind.
func formatFloat(f float64, keepFloat bool) string {
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if keepFloat && !strings.Contains(s, ".") {
		s += ".0"
	}
	return s
}

func writeCmp(b *strings.Builder, c ComparisonExpr, inAnd bool) {
	switch c := c.(type) {
	case *ComparisonOp:
		paren := inAnd && c.Op == CmpOr
		if paren {
			b.WriteByte('(')
		}
		for i, o := range c.Operands {
			if i > 0 {
				b.WriteString(" " + c.Op.String() + " ")
			}
			writeCmp(b, o, c.Op == CmpAnd)
		}
		if paren {
			b.WriteByte(')')
		}
	case *Comparison:
		if c.Op == OpExists {
			b.WriteString("EXISTS ")
			writePath(b, c.Path)
			return
		}
		writePath(b, c.Path)
		b.WriteByte(' ')
		if c.Negated {
			b.WriteString("NOT ")
		}
		b.WriteString(c.Op.String())
		b.WriteByte(' ')
		writeValue(b, c.Value)
	}
}

func writePath(b *strings.Builder, p ObjectPath) {
	b.WriteString(p.Type)
	b.WriteByte(':')
	for i, s := range p.Steps {
		switch s.Kind {
		case StepKey:
			if i > 0 {
				b.WriteByte('.')
			}
			if plainIdent(s.Key) {
				b.WriteString(s.Key)
			} else {
				writeString(b, s.Key)
			}
		case StepIndex:
			b.WriteString("[" + strconv.Itoa(s.Index) + "]")
		case StepAny:
			b.WriteString("[*]")
		}
	}
}

// plainIdent reports whether s can be written unquoted as a property name.
func plainIdent(s string) bool {
	if s == "" || !isIdentStart(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if c := s[i]; !isIdentPart(c) || c == '-' {
			return false
		}
	}
	if _, kw := keywords[s]; kw {
		return false
	}
	return s != "true" && s != "false"
}

func writeString(b *strings.Builder, s string) {
	b.WriteByte('\'')
	for i := 0; i < len(s); i++ {
		if s[i] == '\'' || s[i] == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	b.WriteByte('\'')
}

func writeValue(b *strings.Builder, v Value) {
	switch v.Kind {
	case KindString:
		writeString(b, v.Str)
	case KindInt:
		b.WriteString(strconv.FormatInt(v.Int, 10))
	case KindFloat:
		b.WriteString(formatFloat(v.Float, true))
	case KindBool:
		b.WriteString(strconv.FormatBool(v.Bool))
	case KindBinary:
		b.WriteString("b'" + base64.StdEncoding.EncodeToString(v.Bytes) + "'")
	case KindHex:
		b.WriteString("h'" + hex.EncodeToString(v.Bytes) + "'")
	case KindTimestamp:
		b.WriteString("t'" + v.raw + "'")
	case KindSet:
		b.WriteByte('(')
		for i, m := range v.Set {
			if i > 0 {
				b.WriteString(", ")
			}
			writeValue(b, m)
		}
		b.WriteByte(')')
	}
}
