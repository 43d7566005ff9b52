package pattern

import (
	"fmt"
	"math"
	"net/netip"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// Parse parses and validates a STIX 2.1 pattern (STIX 2.1 §9).
//
// Beyond the grammar it enforces the semantic rules of the specification
// and of the OASIS pattern validator: object type names follow STIX type
// syntax; comparisons joined by AND can hold for one object (they share an
// object type); hash constants have the length and alphabet of their
// algorithm; IN sets hold constants of one type; ISSUBSET/ISSUPERSET take an
// IP address or CIDR block; WITHIN is positive; REPEATS is at least 1;
// START precedes STOP; and one simple observation expression carries at
// most one qualifier of each kind.
//
// Every error is a *Error giving the 1-based line and column.
func Parse(src string) (p *Pattern, err error) {
	if len(src) > MaxPatternBytes {
		return nil, &Error{Pos: Pos{Line: 1, Column: 1}, Msg: fmt.Sprintf("pattern is longer than %d bytes", MaxPatternBytes)}
	}
	if !utf8.ValidString(src) {
		l := newLexer(src)
		for l.off < len(src) {
			if r, size := utf8.DecodeRuneInString(src[l.off:]); r == utf8.RuneError && size <= 1 {
				break
			}
			l.advance(1)
		}
		return nil, &Error{Pos: l.pos(), Msg: "invalid UTF-8"}
	}
	ps := &parser{lx: newLexer(src)}
	defer func() {
		if r := recover(); r != nil {
			e, ok := r.(*Error)
			if !ok {
				panic(r)
			}
			p, err = nil, e
		}
	}()
	ps.next()
	if ps.tok.kind == tEOF {
		ps.failf(ps.tok.pos, "empty pattern: expected '[' to start an observation expression")
	}
	root := ps.observationExpressions()
	if ps.tok.kind != tEOF {
		ps.unexpected("AND, OR, FOLLOWEDBY, a qualifier or the end of the pattern")
	}
	return &Pattern{Expr: root, warnings: ps.warnings}, nil
}

// MustParse is Parse for patterns known at compile time; it panics on error.
func MustParse(src string) *Pattern {
	p, err := Parse(src)
	if err != nil {
		panic(err)
	}
	return p
}

type parser struct {
	lx       *lexer
	tok      token
	depth    int
	warnings []Warning
}

func (p *parser) next() { p.tok = p.lx.next() }

func (p *parser) failf(pos Pos, format string, args ...any) {
	panic(&Error{Pos: pos, Msg: fmt.Sprintf(format, args...)})
}

func (p *parser) failHint(pos Pos, msg, hint string) {
	panic(&Error{Pos: pos, Msg: msg, Hint: hint})
}

// unexpected fails at the current token, saying what was wanted.
func (p *parser) unexpected(want string) {
	t := p.tok
	msg, hint := fmt.Sprintf("expected %s, found %s", want, t.describe()), ""
	if t.kind == tIdent {
		if _, ok := keywords[strings.ToUpper(t.text)]; ok {
			hint = "keywords are upper-case: " + strings.ToUpper(t.text)
		}
	}
	if t.kind == tEOF {
		msg = fmt.Sprintf("expected %s", want)
	}
	p.failHint(t.pos, msg, hint)
}

func (p *parser) expect(k tokKind, want string) token {
	t := p.tok
	if t.kind != k {
		p.unexpected(want)
	}
	p.next()
	return t
}

// expectClose is expect for a closing token; the hint names where the
// unclosed construct was opened (formatted only on failure).
func (p *parser) expectClose(k tokKind, want, opener string, open Pos) {
	if p.tok.kind != k {
		t := p.tok
		msg := "expected " + want + ", found " + t.describe()
		if t.kind == tEOF {
			msg = "expected " + want
		}
		p.failHint(t.pos, msg, "the "+opener+" at "+open.String()+" is not closed")
	}
	p.next()
}

func (p *parser) enter(pos Pos) {
	p.depth++
	if p.depth > MaxDepth {
		p.failf(pos, "nesting deeper than %d levels", MaxDepth)
	}
}

func (p *parser) leave() { p.depth-- }

// observationExpressions: observationExpressionOr (FOLLOWEDBY ...)*.
// SPEC: STIX 2.1 §9.3 — FOLLOWEDBY has the lowest precedence, then OR,
// then AND; all are left-associative.
func (p *parser) observationExpressions() ObservationExpr {
	return p.obsChain(ObsFollowedBy, tFOLLOWEDBY, func() ObservationExpr {
		return p.obsChain(ObsOr, tOR, func() ObservationExpr {
			return p.obsChain(ObsAnd, tAND, p.observationUnit)
		})
	})
}

func (p *parser) obsChain(op ObservationOperator, k tokKind, operand func() ObservationExpr) ObservationExpr {
	first := operand()
	if p.tok.kind != k {
		return first
	}
	n := &ObservationOp{Pos: first.Position(), Op: op, Operands: []ObservationExpr{first}}
	for p.tok.kind == k {
		p.next()
		n.Operands = append(n.Operands, operand())
	}
	return n
}

func (p *parser) observationUnit() ObservationExpr {
	start := p.tok.pos
	switch p.tok.kind {
	case tLBrack:
		p.enter(start)
		p.next()
		c := p.comparisonOr()
		p.expectClose(tRBrack, "']'", "'[' of the observation expression", start)
		p.leave()
		return &Observation{Pos: start, Comparison: c, Qualifiers: p.qualifiers(true)}
	case tLParen:
		p.enter(start)
		p.next()
		e := p.observationExpressions()
		p.expectClose(tRParen, "')'", "'(' of the group", start)
		p.leave()
		return &Group{Pos: start, Expr: e, Qualifiers: p.qualifiers(false)}
	}
	if p.tok.kind == tIdent && p.depth == 0 {
		p.unexpected("'[' (a pattern is one or more observation expressions in square brackets)")
	}
	p.unexpected("'[' or '(' to start an observation expression")
	return nil
}

// qualifiers parses WITHIN / REPEATS / START…STOP in any order.
// SPEC: the OASIS validator refuses two qualifiers of one kind directly on
// a simple observation expression; a parenthesised group may stack them.
func (p *parser) qualifiers(simple bool) []Qualifier {
	var qs []Qualifier
	var seen [3]bool
	for {
		var q Qualifier
		q.Pos = p.tok.pos
		switch p.tok.kind {
		case tWITHIN:
			q.Kind = QualWithin
			p.next()
			t := p.tok
			if (t.kind != tInt && t.kind != tFloat) || strings.HasPrefix(t.text, "-") {
				p.unexpected("a positive number of seconds after WITHIN")
			}
			secs := t.f
			if t.kind == tInt {
				secs = float64(t.i)
			}
			// SPEC: STIX 2.1 §9.7.2 — the WITHIN value MUST be greater than 0.
			if secs <= 0 {
				p.failf(t.pos, "WITHIN must be greater than 0 seconds")
			}
			q.Seconds = secs
			if secs >= float64(math.MaxInt64)/float64(time.Second) {
				q.Within = time.Duration(math.MaxInt64)
			} else {
				q.Within = time.Duration(secs * float64(time.Second))
			}
			p.next()
			if p.tok.kind != tSECONDS {
				p.unexpected("SECONDS (the only unit of WITHIN)")
			}
			p.next()
		case tREPEATS:
			q.Kind = QualRepeats
			p.next()
			t := p.tok
			if t.kind != tInt || strings.HasPrefix(t.text, "-") {
				p.unexpected("a positive integer after REPEATS")
			}
			// SPEC: STIX 2.1 §9.7.3 — REPEATS takes a positive integer.
			if t.i < 1 {
				p.failf(t.pos, "REPEATS must be at least 1")
			}
			if t.i > MaxRepeats {
				p.failf(t.pos, "REPEATS must be at most %d", MaxRepeats)
			}
			q.Repeats = int(t.i)
			p.next()
			p.expect(tTIMES, "TIMES after the REPEATS count")
		case tSTART:
			q.Kind = QualStartStop
			p.next()
			st := p.tok
			if st.kind != tTimestamp {
				p.unexpected("a timestamp t'…' after START")
			}
			p.next()
			p.expect(tSTOP, "STOP after the START timestamp")
			sp := p.tok
			if sp.kind != tTimestamp {
				p.unexpected("a timestamp t'…' after STOP")
			}
			p.next()
			// SPEC: STIX 2.1 §9.7.1 — the STOP time MUST be later than START.
			if !st.t.Before(sp.t) {
				p.failf(sp.pos, "STOP %s must be later than START %s", sp.text, st.text)
			}
			q.Start, q.Stop, q.startRaw, q.stopRaw = st.t, sp.t, st.str, sp.str
		default:
			return qs
		}
		if simple && seen[q.Kind] {
			p.failHint(q.Pos, "duplicate "+q.Kind.String()+" qualifier on one observation expression", "group it in parentheses to stack qualifiers")
		}
		seen[q.Kind] = true
		qs = append(qs, q)
	}
}

// comparisonOr: comparisonAnd (OR comparisonAnd)*. AND binds tighter.
func (p *parser) comparisonOr() ComparisonExpr {
	first := p.comparisonAnd()
	if p.tok.kind != tOR {
		return first
	}
	n := &ComparisonOp{Pos: first.Position(), Op: CmpOr, Operands: []ComparisonExpr{first}}
	for p.tok.kind == tOR {
		p.next()
		n.Operands = append(n.Operands, p.comparisonAnd())
	}
	return n
}

func (p *parser) comparisonAnd() ComparisonExpr {
	first := p.propTest()
	if p.tok.kind != tAND {
		return first
	}
	n := &ComparisonOp{Pos: first.Position(), Op: CmpAnd, Operands: []ComparisonExpr{first}}
	types := objectTypes(first)
	for p.tok.kind == tAND {
		p.next()
		c := p.propTest()
		// SPEC: STIX 2.1 §9.5 — comparison expressions joined by AND are
		// evaluated against one and the same SCO, so they must reference
		// the same object type. (The OASIS validator does not check this;
		// such a pattern can never match.)
		ct := objectTypes(c)
		both := intersect(types, ct)
		if len(both) == 0 {
			p.failHint(c.Position(), "comparison on "+quoteList(ct)+" joined by AND to one on "+quoteList(types),
				"comparisons joined by AND must hold for one object, so they must use the same object type")
		}
		types = both
		n.Operands = append(n.Operands, c)
	}
	return n
}

// objectTypes lists the object types an expression can hold for.
func objectTypes(c ComparisonExpr) []string {
	switch c := c.(type) {
	case *Comparison:
		return []string{c.Path.Type}
	case *ComparisonOp:
		var out []string
		for i, o := range c.Operands {
			t := objectTypes(o)
			switch {
			case i == 0:
				out = t
			case c.Op == CmpOr:
				out = union(out, t)
			default:
				out = intersect(out, t)
			}
		}
		return out
	}
	return nil
}

func union(a, b []string) []string {
	out := append([]string(nil), a...)
	for _, s := range b {
		if !contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

func intersect(a, b []string) []string {
	var out []string
	for _, s := range a {
		if contains(b, s) {
			out = append(out, s)
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func quoteList(l []string) string {
	q := make([]string, len(l))
	for i, s := range l {
		q[i] = "'" + s + "'"
	}
	return strings.Join(q, " or ")
}

func (p *parser) propTest() ComparisonExpr {
	start := p.tok.pos
	switch p.tok.kind {
	case tLParen:
		p.enter(start)
		p.next()
		c := p.comparisonOr()
		p.expectClose(tRParen, "')'", "'('", start)
		p.leave()
		return c
	case tEXISTS:
		p.next()
		return &Comparison{Pos: start, Op: OpExists, Path: p.objectPath()}
	case tIdent:
	case tLBrack:
		p.unexpected("a comparison (observation expressions cannot nest inside '[')")
	default:
		p.unexpected("a comparison such as file:name = 'x', '(' or EXISTS")
	}
	c := &Comparison{Pos: start, Path: p.objectPath()}
	if p.tok.kind == tNOT {
		c.Negated = true
		p.next()
	}
	opTok := p.tok
	switch opTok.kind {
	case tEQ, tNEQ:
		c.Op = OpEqual
		if opTok.kind == tNEQ {
			c.Op = OpNotEqual
		}
		p.next()
		c.Value = p.primitive(true)
	case tLT, tLE, tGT, tGE:
		c.Op = OpLess + Operator(opTok.kind-tLT) // tLT, tLE, tGT, tGE are in Operator order
		p.next()
		c.Value = p.primitive(false)
	case tIN:
		c.Op = OpIn
		p.next()
		c.Value = p.set()
	case tLIKE:
		c.Op = OpLike
		p.next()
		c.Value = p.stringOperand("LIKE")
		c.like = &lazyRegexp{src: likeRegexp(c.Value.Str)}
	case tMATCHES:
		c.Op = OpMatches
		p.next()
		c.Value = p.stringOperand("MATCHES")
		re, err := regexp.Compile(c.Value.Str)
		if err != nil {
			p.warnings = append(p.warnings, Warning{Pos: c.Value.Pos, Msg: "MATCHES regular expression cannot run on RE2 (" + err.Error() + "); matching this pattern will fail"})
		}
		c.re = re
	case tISSUBSET, tISSUPERSET:
		c.Op = OpIsSubset
		name := "ISSUBSET"
		if opTok.kind == tISSUPERSET {
			c.Op, name = OpIsSuperset, "ISSUPERSET"
		}
		p.next()
		c.Value = p.stringOperand(name)
		pfx, ok := parsePrefix(c.Value.Str)
		if !ok {
			p.failf(c.Value.Pos, "%s needs an IPv4 or IPv6 address or CIDR block, found '%s'", name, c.Value.Str)
		}
		c.prefix = pfx
	default:
		if c.Negated {
			p.unexpected("a comparison operator after NOT")
		}
		p.unexpected("a comparison operator (=, !=, <, <=, >, >=, IN, LIKE, MATCHES, ISSUBSET, ISSUPERSET)")
	}
	checkHash(p, c)
	return c
}

// objectPath: objectType ':' first ('.' key | '[' index ']')*.
func (p *parser) objectPath() ObjectPath {
	t := p.tok
	if t.kind != tIdent {
		p.unexpected("an object type such as file or ipv4-addr")
	}
	// SPEC: STIX 2.1 §3.1 — a type name is 3–250 characters of a–z, 0–9
	// and '-', starting with a letter (schema common/core.json).
	if !validTypeName(t.text) {
		p.failHint(t.pos, "invalid object type '"+t.text+"'", "STIX type names are 3-250 characters of a-z, 0-9 and '-', starting with a letter")
	}
	path := ObjectPath{Pos: t.pos, Type: t.text}
	p.next()
	if p.tok.kind != tColon {
		p.unexpected("':' after the object type '" + t.text + "'")
	}
	p.next()
	path.Steps = append(path.Steps, p.keyStep())
	for {
		switch p.tok.kind {
		case tDot:
			p.next()
			path.Steps = append(path.Steps, p.keyStep())
		case tLBrack:
			open := p.tok.pos
			p.next()
			switch p.tok.kind {
			case tStar:
				path.Steps = append(path.Steps, Step{Kind: StepAny})
			case tInt:
				if p.tok.i > math.MaxInt32 || p.tok.i < math.MinInt32 {
					p.failf(p.tok.pos, "list index %s out of range", p.tok.text)
				}
				path.Steps = append(path.Steps, Step{Kind: StepIndex, Index: int(p.tok.i)})
			default:
				p.unexpected("a list index or '*'")
			}
			p.next()
			p.expectClose(tRBrack, "']'", "'[' of the list index", open)
		default:
			return path
		}
	}
}

func (p *parser) keyStep() Step {
	t := p.tok
	switch {
	case t.kind == tString:
		p.next()
		return Step{Kind: StepKey, Key: t.str}
	case t.kind == tIdent && t.hyphen:
		p.failHint(t.pos, "property name '"+t.text+"' contains '-'", "quote it as '"+t.text+"'")
	case t.kind == tIdent:
		p.next()
		return Step{Kind: StepKey, Key: t.text}
	}
	p.unexpected("a property name")
	return Step{}
}

// validTypeName checks ^([a-z][a-z0-9]*)+(-[a-z0-9]+)*-?$ with length
// 3..250: a lower-case letter first, no "--", a hyphen only at the end or
// before a letter or digit.
func validTypeName(s string) bool {
	if len(s) < 3 || len(s) > 250 || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for i := 1; i < len(s); i++ {
		switch c := s[i]; {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case c == '-':
			if s[i-1] == '-' {
				return false
			}
		default:
			return false
		}
	}
	return true
}

func (p *parser) literal(t token) Value {
	v := Value{Pos: t.pos}
	switch t.kind {
	case tString:
		v.Kind, v.Str = KindString, t.str
	case tInt:
		v.Kind, v.Int = KindInt, t.i
	case tFloat:
		v.Kind, v.Float = KindFloat, t.f
	case tBool:
		v.Kind, v.Bool = KindBool, t.b
	case tBinary:
		v.Kind, v.Bytes = KindBinary, t.bytes
	case tHex:
		v.Kind, v.Bytes = KindHex, t.bytes
	case tTimestamp:
		v.Kind, v.Time, v.raw = KindTimestamp, t.t, t.str
	default:
		panic("literal: not a constant")
	}
	return v
}

// primitive parses a constant; booleans only where allowed (= and !=).
func (p *parser) primitive(boolOK bool) Value {
	switch p.tok.kind {
	case tString, tInt, tFloat, tBinary, tHex, tTimestamp:
	case tBool:
		if !boolOK {
			p.unexpected("an orderable constant (number, string, binary, hex or timestamp)")
		}
	default:
		if boolOK {
			p.unexpected("a constant (string, number, boolean, binary, hex or timestamp)")
		}
		p.unexpected("an orderable constant (number, string, binary, hex or timestamp)")
	}
	v := p.literal(p.tok)
	p.next()
	return v
}

func (p *parser) stringOperand(op string) Value {
	if p.tok.kind != tString {
		p.unexpected("a string constant after " + op)
	}
	v := p.literal(p.tok)
	p.next()
	return v
}

// set parses '(' [primitive (',' primitive)*] ')'. Members share one type
// (integers and floats count as one numeric type), as the OASIS matcher
// requires.
func (p *parser) set() Value {
	open := p.tok.pos
	if p.tok.kind != tLParen {
		p.unexpected("'(' to start the IN set")
	}
	p.next()
	v := Value{Pos: open, Kind: KindSet}
	if p.tok.kind == tRParen {
		p.next()
		return v
	}
	for {
		m := p.primitive(true)
		if len(v.Set) > 0 && !sameKind(v.Set[0].Kind, m.Kind) {
			p.failf(m.Pos, "IN set mixes %s and %s constants", v.Set[0].Kind, m.Kind)
		}
		v.Set = append(v.Set, m)
		if p.tok.kind == tComma {
			p.next()
			continue
		}
		p.expectClose(tRParen, "',' or ')'", "IN set", open)
		return v
	}
}

func sameKind(a, b ValueKind) bool {
	num := func(k ValueKind) bool { return k == KindInt || k == KindFloat }
	bin := func(k ValueKind) bool { return k == KindBinary || k == KindHex }
	return a == b || num(a) && num(b) || bin(a) && bin(b)
}

// lazyRegexp compiles on first use, so parsing (done for every indicator
// ingested) does not pay for regular expressions only matching needs.
type lazyRegexp struct {
	once sync.Once
	src  string
	re   *regexp.Regexp
}

func (l *lazyRegexp) get() *regexp.Regexp {
	l.once.Do(func() { l.re = regexp.MustCompile(l.src) })
	return l.re
}

// likeRegexp translates a LIKE operand: '%' is any run of characters, '_'
// one character, everything else literal; the whole value must match.
func likeRegexp(s string) string {
	var b strings.Builder
	b.WriteString(`(?s)^`)
	for _, r := range s {
		switch r {
		case '%':
			b.WriteString(".*")
		case '_':
			b.WriteString(".")
		default:
			b.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	b.WriteString("$")
	return b.String()
}

// parsePrefix reads an IP address (a /32 or /128) or a CIDR block.
func parsePrefix(s string) (netip.Prefix, bool) {
	if strings.Contains(s, "/") {
		pfx, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, false
		}
		if pfx.Addr().Is4In6() {
			pfx = netip.PrefixFrom(pfx.Addr().Unmap(), max(pfx.Bits()-96, 0))
		}
		return pfx.Masked(), true
	}
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netip.Prefix{}, false
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), true
}

// hashLengths are the hex lengths of the hash algorithms the OASIS
// validator checks, keyed by name upper-cased without '-'. SSDEEP is
// checked separately.
var hashLengths = map[string][]int{
	"MD5": {32}, "MD6": {32, 40, 56, 64, 96, 128}, "RIPEMD160": {40},
	"SHA1": {40}, "SHA224": {56}, "SHA256": {64}, "SHA384": {96}, "SHA512": {128},
	"SHA3224": {56}, "SHA3256": {64}, "SHA3384": {96}, "SHA3512": {128},
	"WHIRLPOOL": {128},
}

func validHash(algo, v string) (known, ok bool) {
	if algo == "SSDEEP" {
		if len(v) < 1 || len(v) > 128 {
			return true, false
		}
		for i := 0; i < len(v); i++ {
			c := v[i]
			if !(isIdentStart(c) && c != '_' || isDigit(c) || c == '/' || c == '+' || c == ':' || c == '.') {
				return true, false
			}
		}
		return true, true
	}
	lengths, known := hashLengths[algo]
	if !known {
		return false, true
	}
	if !slices.Contains(lengths, len(v)) {
		return true, false
	}
	for i := 0; i < len(v); i++ {
		if c := v[i]; !(isDigit(c) || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return true, false
		}
	}
	return true, true
}

// checkHash rejects a string constant compared for (in)equality with a
// hashes.<ALGO> property when it cannot be a hash of that algorithm.
func checkHash(p *parser, c *Comparison) {
	if c.Op != OpEqual && c.Op != OpNotEqual && c.Op != OpIn {
		return
	}
	steps := c.Path.Steps
	last := steps[len(steps)-1]
	if last.Kind != StepKey || len(steps) < 2 {
		return
	}
	inHashes := false
	for _, s := range steps[:len(steps)-1] {
		inHashes = inHashes || s.Kind == StepKey && s.Key == "hashes"
	}
	if !inHashes {
		return
	}
	algo := strings.ReplaceAll(strings.ToUpper(last.Key), "-", "")
	vals := []Value{c.Value}
	if c.Op == OpIn {
		vals = c.Value.Set
	}
	for _, v := range vals {
		if known, ok := validHash(algo, v.Str); known && v.Kind == KindString && !ok {
			p.failf(v.Pos, "'%s' is not a valid %s hash", v.Str, last.Key)
		}
	}
}
