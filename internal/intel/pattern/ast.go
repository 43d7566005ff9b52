package pattern

import (
	"net/netip"
	"regexp"
	"time"
)

// Pattern is a parsed STIX 2.1 pattern (STIX 2.1 §9). It is immutable and
// safe for concurrent use by multiple goroutines.
type Pattern struct {
	// Expr is the root observation expression.
	Expr ObservationExpr

	warnings []Warning
}

// Warning notes a construct that is valid STIX but that this package
// cannot evaluate (today: MATCHES regular expressions RE2 rejects).
type Warning struct {
	Pos Pos
	Msg string
}

func (w Warning) String() string { return w.Msg + " at " + w.Pos.String() }

// Warnings lists constructs Match cannot evaluate, in source order.
func (p *Pattern) Warnings() []Warning { return p.warnings }

// ObservationExpr is one of *Observation, *Group or *ObservationOp.
type ObservationExpr interface {
	Position() Pos
	observationExpr()
}

// Observation is "[ comparison-expression ]" with its qualifiers, applied
// in source order.
type Observation struct {
	Pos        Pos
	Comparison ComparisonExpr
	Qualifiers []Qualifier
}

// Group is "( observation-expression )" with its qualifiers.
type Group struct {
	Pos        Pos
	Expr       ObservationExpr
	Qualifiers []Qualifier
}

// ObservationOp joins two or more observation expressions with one
// observation operator. Chains of one operator are kept flat; precedence
// (AND over OR over FOLLOWEDBY, all left-associative) is resolved by the
// parser.
type ObservationOp struct {
	Pos      Pos
	Op       ObservationOperator
	Operands []ObservationExpr
}

func (o *Observation) Position() Pos    { return o.Pos }
func (g *Group) Position() Pos          { return g.Pos }
func (o *ObservationOp) Position() Pos  { return o.Pos }
func (*Observation) observationExpr()   {}
func (*Group) observationExpr()         {}
func (*ObservationOp) observationExpr() {}

// ObservationOperator is AND, OR or FOLLOWEDBY between observation
// expressions.
type ObservationOperator int

const (
	ObsAnd ObservationOperator = iota
	ObsOr
	ObsFollowedBy
)

func (o ObservationOperator) String() string {
	return [...]string{"AND", "OR", "FOLLOWEDBY"}[o]
}

// QualifierKind is WITHIN, REPEATS or START/STOP.
type QualifierKind int

const (
	QualWithin QualifierKind = iota
	QualRepeats
	QualStartStop
)

func (k QualifierKind) String() string {
	return [...]string{"WITHIN", "REPEATS", "START/STOP"}[k]
}

// Qualifier restricts the observations that satisfy the expression it
// follows (STIX 2.1 §9.7).
type Qualifier struct {
	Pos  Pos
	Kind QualifierKind

	// WITHIN: the window, > 0.
	Within  time.Duration
	Seconds float64

	// REPEATS: the count, 1..MaxRepeats.
	Repeats int

	// START/STOP: Start < Stop.
	Start, Stop       time.Time
	startRaw, stopRaw string
}

// ComparisonExpr is *Comparison or *ComparisonOp.
type ComparisonExpr interface {
	Position() Pos
	comparisonExpr()
}

// BoolOperator joins comparison expressions.
type BoolOperator int

const (
	CmpAnd BoolOperator = iota
	CmpOr
)

func (o BoolOperator) String() string { return [...]string{"AND", "OR"}[o] }

// ComparisonOp joins two or more comparison expressions with AND or OR.
type ComparisonOp struct {
	Pos      Pos
	Op       BoolOperator
	Operands []ComparisonExpr
}

// Operator is a comparison operator (STIX 2.1 §9.6).
type Operator int

const (
	OpEqual Operator = iota
	OpNotEqual
	OpLess
	OpLessEqual
	OpGreater
	OpGreaterEqual
	OpIn
	OpLike
	OpMatches
	OpIsSubset
	OpIsSuperset
	OpExists
)

var operatorNames = [...]string{"=", "!=", "<", "<=", ">", ">=", "IN", "LIKE", "MATCHES", "ISSUBSET", "ISSUPERSET", "EXISTS"}

func (o Operator) String() string { return operatorNames[o] }

// Comparison is "object-path [NOT] operator constant" or
// "EXISTS object-path".
type Comparison struct {
	Pos     Pos
	Path    ObjectPath
	Negated bool
	Op      Operator
	// Value is the constant; for IN its Kind is KindSet. Unused for EXISTS.
	Value Value

	like   *lazyRegexp    // LIKE, compiled on first use
	re     *regexp.Regexp // MATCHES, nil when RE2 rejects it
	prefix netip.Prefix   // ISSUBSET / ISSUPERSET
}

func (c *Comparison) Position() Pos   { return c.Pos }
func (c *ComparisonOp) Position() Pos { return c.Pos }
func (*Comparison) comparisonExpr()   {}
func (*ComparisonOp) comparisonExpr() {}

// ObjectPath is "object-type:property.sub[index]..." (STIX 2.1 §9.5).
type ObjectPath struct {
	Pos   Pos
	Type  string
	Steps []Step
}

// StepKind says how a path step selects: by key, by list index, or every
// list element.
type StepKind int

const (
	StepKey StepKind = iota
	StepIndex
	StepAny
)

// Step is one component of an object path after the object type.
type Step struct {
	Kind  StepKind
	Key   string // StepKey
	Index int    // StepIndex; negative counts from the end
}

// ValueKind is the type of a constant.
type ValueKind int

const (
	KindString ValueKind = iota
	KindInt
	KindFloat
	KindBool
	KindBinary
	KindHex
	KindTimestamp
	KindSet
)

var kindNames = [...]string{"string", "integer", "float", "boolean", "binary", "hex", "timestamp", "set"}

func (k ValueKind) String() string { return kindNames[k] }

// Value is a constant in a comparison. Exactly the field of its Kind is set:
// Str, Int, Float, Bool, Bytes (binary and hex), Time or Set.
type Value struct {
	Pos   Pos
	Kind  ValueKind
	Str   string
	Int   int64
	Float float64
	Bool  bool
	Bytes []byte
	Time  time.Time
	Set   []Value

	raw string // timestamp text, kept to print the same precision
}
