package pattern

import (
	"errors"
	"fmt"
)

// Pos is a position in the pattern text. Line and Column are 1-based and
// count characters (runes); Offset is the 0-based byte offset.
type Pos struct {
	Offset int
	Line   int
	Column int
}

// String formats the position as "column C" on the first line and
// "line L, column C" after it.
func (p Pos) String() string {
	if p.Line <= 1 {
		return fmt.Sprintf("column %d", p.Column)
	}
	return fmt.Sprintf("line %d, column %d", p.Line, p.Column)
}

// Error is a syntax or semantic error in a pattern. Callers that accept
// patterns from users (indicator ingest, the command line) reject the
// pattern and show Error() to its author: the message names no internal
// state, only the pattern text.
type Error struct {
	Pos  Pos
	Msg  string // what is wrong, e.g. "expected ']'"
	Hint string // how to fix it; may be empty
}

// Error renders "MSG at column C[: HINT]".
func (e *Error) Error() string {
	s := fmt.Sprintf("%s at %s", e.Msg, e.Pos)
	if e.Hint != "" {
		s += ": " + e.Hint
	}
	return s
}

// ErrTooComplex is returned by Match when deciding the match would need
// more work than MaxWork or MaxBindings allow and no match was found within
// the limit. The answer is unknown, not "no match": callers should report
// the pattern as too expensive for this input rather than as non-matching.
var ErrTooComplex = errors.New("pattern: too many candidate observation combinations to decide the match")

// ErrUnsupportedRegex is returned by Match when a MATCHES operand is a
// regular expression Go's RE2 engine cannot run (back-references,
// look-around and a few other PCRE features). The pattern is valid STIX;
// this matcher cannot evaluate it.
var ErrUnsupportedRegex = errors.New("pattern: MATCHES uses a regular expression feature RE2 does not support")

// InputError is an invalid observed-data input: Path names the offending
// object and property, e.g. "objects[3].first_observed".
type InputError struct {
	Path string
	Msg  string
}

func (e *InputError) Error() string {
	if e.Path == "" {
		return "invalid observed-data input: " + e.Msg
	}
	return "invalid observed-data input: " + e.Path + ": " + e.Msg
}
