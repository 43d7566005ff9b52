package pattern

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// tokKind is a lexical token type of the STIX 2.1 pattern grammar
// (STIXPattern.g4 in the OASIS cti-stix2-json-schemas repository).
type tokKind int

const (
	tEOF tokKind = iota
	tIdent
	tString
	tInt
	tFloat
	tBool
	tBinary
	tHex
	tTimestamp
	tLBrack
	tRBrack
	tLParen
	tRParen
	tColon
	tDot
	tComma
	tStar
	tEQ
	tNEQ
	tLT
	tLE
	tGT
	tGE
	tInvalid // a character no token starts with
	// Keywords. SPEC: STIX 2.1 §9.2 — keywords are case-sensitive and
	// upper-case; the boolean constants are lower-case true and false.
	tAND
	tOR
	tNOT
	tFOLLOWEDBY
	tLIKE
	tMATCHES
	tISSUPERSET
	tISSUBSET
	tEXISTS
	tLAST
	tIN
	tSTART
	tSTOP
	tSECONDS
	tWITHIN
	tREPEATS
	tTIMES
)

var keywords = map[string]tokKind{
	"AND": tAND, "OR": tOR, "NOT": tNOT, "FOLLOWEDBY": tFOLLOWEDBY,
	"LIKE": tLIKE, "MATCHES": tMATCHES, "ISSUPERSET": tISSUPERSET,
	"ISSUBSET": tISSUBSET, "EXISTS": tEXISTS, "LAST": tLAST, "IN": tIN,
	"START": tSTART, "STOP": tSTOP, "SECONDS": tSECONDS, "WITHIN": tWITHIN,
	"REPEATS": tREPEATS, "TIMES": tTIMES,
}

var tokNames = map[tokKind]string{
	tEOF: "end of pattern", tIdent: "identifier", tString: "string",
	tInt: "integer", tFloat: "float", tBool: "boolean", tBinary: "binary constant",
	tHex: "hex constant", tTimestamp: "timestamp", tLBrack: "'['", tRBrack: "']'",
	tLParen: "'('", tRParen: "')'", tColon: "':'", tDot: "'.'", tComma: "','",
	tStar: "'*'", tEQ: "'='", tNEQ: "'!='", tLT: "'<'", tLE: "'<='", tGT: "'>'", tGE: "'>='",
}

func (k tokKind) String() string {
	if s, ok := tokNames[k]; ok {
		return s
	}
	for w, kk := range keywords {
		if kk == k {
			return w
		}
	}
	return fmt.Sprintf("token(%d)", int(k))
}

type token struct {
	kind   tokKind
	pos    Pos
	text   string // source text
	str    string // decoded string constant
	i      int64
	f      float64
	b      bool
	bytes  []byte
	t      time.Time
	hyphen bool // identifier contains '-'
}

// describe renders the token for an error message.
func (t token) describe() string {
	switch t.kind {
	case tEOF:
		return "end of pattern"
	case tIdent, tInvalid:
		return "'" + t.text + "'"
	}
	s := t.text
	if len(s) > 40 {
		s = s[:37] + "..."
	}
	switch t.kind {
	case tString, tBinary, tHex, tTimestamp:
		return s // already quoted
	}
	return "'" + s + "'"
}

type lexer struct {
	src       string
	off       int
	line, col int
}

func newLexer(src string) *lexer { return &lexer{src: src, line: 1, col: 1} }

func (l *lexer) pos() Pos { return Pos{Offset: l.off, Line: l.line, Column: l.col} }

// advance moves n bytes forward, keeping line and column.
func (l *lexer) advance(n int) {
	end := l.off + n
	for l.off < end {
		r, size := utf8.DecodeRuneInString(l.src[l.off:])
		if r == '\n' {
			l.line++
			l.col = 1
		} else {
			l.col++
		}
		l.off += size
	}
}

func (l *lexer) at(i int) byte {
	if l.off+i < len(l.src) {
		return l.src[l.off+i]
	}
	return 0
}

func (l *lexer) fail(p Pos, format string, args ...any) {
	panic(&Error{Pos: p, Msg: fmt.Sprintf(format, args...)})
}

// skip passes whitespace and comments. SPEC: the grammar's WS rule is the
// Unicode white-space set, which is exactly unicode.IsSpace; comments are
// /* ... */ and // to end of line.
func (l *lexer) skip() {
	for l.off < len(l.src) {
		r, size := utf8.DecodeRuneInString(l.src[l.off:])
		switch {
		case unicode.IsSpace(r):
			l.advance(size)
		case r == '/' && l.at(1) == '*':
			p := l.pos()
			end := strings.Index(l.src[l.off+2:], "*/")
			if end < 0 {
				l.fail(p, "unterminated comment")
			}
			l.advance(end + 4)
		case r == '/' && l.at(1) == '/':
			end := strings.IndexByte(l.src[l.off:], '\n')
			if end < 0 {
				end = len(l.src) - l.off
			}
			l.advance(end)
		default:
			return
		}
	}
}

func isIdentStart(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_'
}

func isIdentPart(c byte) bool {
	return isIdentStart(c) || c >= '0' && c <= '9' || c == '-'
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// next scans one token. It panics with *Error on a lexical error.
func (l *lexer) next() token {
	l.skip()
	p := l.pos()
	if l.off >= len(l.src) {
		return token{kind: tEOF, pos: p}
	}
	c := l.src[l.off]
	punct := func(k tokKind, n int) token {
		t := token{kind: k, pos: p, text: l.src[l.off : l.off+n]}
		l.advance(n)
		return t
	}
	switch c {
	case '[':
		return punct(tLBrack, 1)
	case ']':
		return punct(tRBrack, 1)
	case '(':
		return punct(tLParen, 1)
	case ')':
		return punct(tRParen, 1)
	case ':':
		return punct(tColon, 1)
	case ',':
		return punct(tComma, 1)
	case '*':
		return punct(tStar, 1)
	case '=':
		if l.at(1) == '=' {
			return punct(tEQ, 2)
		}
		return punct(tEQ, 1)
	case '!':
		if l.at(1) == '=' {
			return punct(tNEQ, 2)
		}
		l.fail(p, "unexpected '!' (the not-equal operator is '!=')")
	case '<':
		switch l.at(1) {
		case '=':
			return punct(tLE, 2)
		case '>':
			return punct(tNEQ, 2)
		}
		return punct(tLT, 1)
	case '>':
		if l.at(1) == '=' {
			return punct(tGE, 2)
		}
		return punct(tGT, 1)
	case '.':
		if isDigit(l.at(1)) {
			return l.number()
		}
		return punct(tDot, 1)
	case '\'':
		return l.stringLit()
	case '+', '-':
		return l.number()
	}
	if isDigit(c) {
		return l.number()
	}
	if isIdentStart(c) {
		if l.at(1) == '\'' {
			switch c {
			case 't':
				return l.timestampLit()
			case 'b':
				return l.binaryLit()
			case 'h':
				return l.hexLit()
			}
		}
		end := l.off + 1
		hyphen := false
		for end < len(l.src) && isIdentPart(l.src[end]) {
			hyphen = hyphen || l.src[end] == '-'
			end++
		}
		text := l.src[l.off:end]
		t := token{kind: tIdent, pos: p, text: text, hyphen: hyphen}
		if k, ok := keywords[text]; ok {
			t.kind = k
		} else if text == "true" || text == "false" {
			t.kind, t.b = tBool, text == "true"
		}
		l.advance(len(text))
		return t
	}
	_, size := utf8.DecodeRuneInString(l.src[l.off:])
	return punct(tInvalid, size)
}

// number scans IntPosLiteral, IntNegLiteral, FloatPosLiteral or
// FloatNegLiteral: [+-]? ('0' | [1-9][0-9]*) or [+-]? [0-9]* '.' [0-9]+.
func (l *lexer) number() token {
	p := l.pos()
	i := l.off
	if c := l.src[i]; c == '+' || c == '-' {
		i++
	}
	ds := i
	for i < len(l.src) && isDigit(l.src[i]) {
		i++
	}
	intDigits := l.src[ds:i]
	isFloat := false
	if i+1 < len(l.src) && l.src[i] == '.' && isDigit(l.src[i+1]) {
		isFloat = true
		i++
		for i < len(l.src) && isDigit(l.src[i]) {
			i++
		}
	}
	text := l.src[l.off:i]
	if !isFloat && intDigits == "" {
		l.fail(p, "expected digits after %q", text)
	}
	t := token{pos: p, text: text}
	if isFloat {
		f, err := strconv.ParseFloat(strings.TrimPrefix(text, "+"), 64)
		if err != nil || math.IsInf(f, 0) {
			l.fail(p, "float %s out of range", text)
		}
		t.kind, t.f = tFloat, f
	} else {
		if len(intDigits) > 1 && intDigits[0] == '0' {
			l.fail(p, "integer %s has a leading zero", text)
		}
		n, err := strconv.ParseInt(strings.TrimPrefix(text, "+"), 10, 64)
		if err != nil {
			l.fail(p, "integer %s out of range", text)
		}
		t.kind, t.i = tInt, n
	}
	l.advance(len(text))
	return t
}

// stringLit scans a quoted string constant (grammar rule StringLiteral).
// SPEC: STIX 2.1 §9.4 — inside a string constant only \' and \\ are escapes.
func (l *lexer) stringLit() token {
	p := l.pos()
	var b strings.Builder // used only once an escape is seen
	escaped := false
	i := l.off + 1
	for {
		if i >= len(l.src) {
			l.fail(p, "unterminated string")
		}
		c := l.src[i]
		switch c {
		case '\'':
			text := l.src[l.off : i+1]
			str := b.String()
			if !escaped {
				str = text[1 : len(text)-1]
			}
			l.advance(len(text))
			return token{kind: tString, pos: p, text: text, str: str}
		case '\\':
			if i+1 < len(l.src) && (l.src[i+1] == '\'' || l.src[i+1] == '\\') {
				if !escaped {
					escaped = true
					b.WriteString(l.src[l.off+1 : i])
				}
				b.WriteByte(l.src[i+1])
				i += 2
				continue
			}
			l.advance(i - l.off)
			l.fail(l.pos(), `invalid escape in string: only \' and \\ are allowed`)
		default:
			if escaped {
				b.WriteByte(c)
			}
			i++
		}
	}
}

// quoted returns the body of a t'…', b'…' or h'…' constant.
func (l *lexer) quoted(what string) (text, body string) {
	end := strings.IndexByte(l.src[l.off+2:], '\'')
	if end < 0 {
		l.fail(l.pos(), "unterminated %s constant", what)
	}
	text = l.src[l.off : l.off+2+end+1]
	return text, text[2 : len(text)-1]
}

// timestampLit scans t'YYYY-MM-DDTHH:MM:SS[.s+]Z'.
// SPEC: STIX 2.1 §9.4 — timestamp constants are RFC 3339 in UTC with 'Z'.
func (l *lexer) timestampLit() token {
	p := l.pos()
	text, body := l.quoted("timestamp")
	ts, ok := parseTimestamp(body)
	if !ok {
		l.fail(p, "invalid timestamp %s: want t'YYYY-MM-DDTHH:MM:SS[.fraction]Z' in UTC", text)
	}
	l.advance(len(text))
	return token{kind: tTimestamp, pos: p, text: text, str: body, t: ts}
}

// parseTimestamp accepts exactly the grammar's TimestampLiteral body.
func parseTimestamp(s string) (time.Time, bool) {
	if len(s) < 20 || s[len(s)-1] != 'Z' || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' {
		return time.Time{}, false
	}
	num := func(from, to int) (int, bool) {
		n := 0
		for i := from; i < to; i++ {
			if !isDigit(s[i]) {
				return 0, false
			}
			n = n*10 + int(s[i]-'0')
		}
		return n, true
	}
	year, ok1 := num(0, 4)
	month, ok2 := num(5, 7)
	day, ok3 := num(8, 10)
	hour, ok4 := num(11, 13)
	minute, ok5 := num(14, 16)
	sec, ok6 := num(17, 19)
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) {
		return time.Time{}, false
	}
	nanos := 0
	rest := s[19 : len(s)-1]
	if rest != "" {
		if rest[0] != '.' || len(rest) < 2 {
			return time.Time{}, false
		}
		digits := rest[1:]
		for i := 0; i < len(digits); i++ {
			if !isDigit(digits[i]) {
				return time.Time{}, false
			}
			if i < 9 {
				nanos = nanos*10 + int(digits[i]-'0')
			}
		}
		for i := len(digits); i < 9; i++ {
			nanos *= 10
		}
	}
	if month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || sec > 60 {
		return time.Time{}, false
	}
	// Days in the month: day 0 of the next month is the last of this one.
	if day > time.Date(year, time.Month(month)+1, 0, 0, 0, 0, 0, time.UTC).Day() {
		return time.Time{}, false
	}
	// A leap second (:60) is the instant after :59.
	return time.Date(year, time.Month(month), day, hour, minute, sec, nanos, time.UTC), true
}

// binaryLit scans b'…' holding standard padded base64, at least one
// 4-character group.
func (l *lexer) binaryLit() token {
	p := l.pos()
	text, body := l.quoted("binary")
	valid := len(body) >= 4 && len(body)%4 == 0
	for i := 0; valid && i < len(body); i++ {
		c := body[i]
		isB64 := c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || isDigit(c) || c == '+' || c == '/'
		pad := c == '=' && (i == len(body)-1 || i == len(body)-2 && body[len(body)-1] == '=')
		valid = isB64 || pad
	}
	var b []byte
	if valid {
		var err error
		b, err = base64.StdEncoding.DecodeString(body)
		valid = err == nil
	}
	if !valid {
		l.fail(p, "invalid binary constant %s: want padded standard base64", text)
	}
	l.advance(len(text))
	return token{kind: tBinary, pos: p, text: text, bytes: b}
}

// hexLit scans h'…' holding pairs of hex digits.
func (l *lexer) hexLit() token {
	p := l.pos()
	text, body := l.quoted("hex")
	b, err := hex.DecodeString(body)
	if err != nil {
		l.fail(p, "invalid hex constant %s: want an even number of hex digits", text)
	}
	l.advance(len(text))
	return token{kind: tHex, pos: p, text: text, bytes: b}
}
