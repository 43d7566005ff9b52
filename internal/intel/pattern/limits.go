package pattern

// Limits on untrusted input, gathered in one place. A pattern or an input
// file that exceeds one is refused with an error; nothing is truncated
// silently.
const (
	// MaxPatternBytes bounds the length of a pattern. Real indicators are
	// far shorter; the largest conformance example (an OR of a dozen
	// addresses) is under 600 bytes.
	MaxPatternBytes = 256 << 10

	// MaxDepth bounds the nesting of brackets and parentheses, so a hostile
	// pattern cannot exhaust the parser's or the matcher's stack. Chains of
	// AND/OR/FOLLOWEDBY do not nest: they are n-ary nodes.
	MaxDepth = 64

	// MaxRepeats bounds the count of a REPEATS qualifier.
	MaxRepeats = 1 << 20

	// MaxBindings bounds how many candidate bindings (sets of observations
	// satisfying a sub-expression) the matcher keeps per node. Past it the
	// matcher stops enumerating; see ErrTooComplex.
	MaxBindings = 4096

	// MaxWork bounds the total number of binding combinations and path
	// values the matcher examines for one pattern: about half a second of
	// work in the worst case on one core.
	MaxWork = 4_000_000

	// MaxPathValues bounds how many values one object path may select in
	// one object (lists of lists expanded with [*]).
	MaxPathValues = 1 << 16

	// MaxNumberObserved bounds number_observed, as STIX 2.1 §4.14 does
	// (at most 999,999,999).
	MaxNumberObserved = 999_999_999

	// MaxInputBytes bounds an observed-data file read by DecodeObservedData.
	MaxInputBytes = 64 << 20
)
