// Package pattern parses STIX 2.1 patterns (STIX 2.1 §9, "STIX Patterning")
// and matches them against observed-data.
//
// Parse implements the full grammar of the OASIS STIXPattern.g4 grammar:
// observation expressions in square brackets joined by AND, OR and
// FOLLOWEDBY (precedence AND over OR over FOLLOWEDBY) and grouped with
// parentheses; the qualifiers WITHIN n SECONDS, START t'…' STOP t'…' and
// REPEATS n TIMES; comparison expressions joined by AND and OR; the
// operators =, !=, <, <=, >, >=, IN, LIKE, MATCHES, ISSUBSET, ISSUPERSET
// and EXISTS, with NOT before an operator; object paths with quoted
// components, list indexes and [*]; and string, integer, float, boolean,
// binary (b'…'), hex (h'…') and timestamp (t'…') constants. It also applies
// the semantic rules listed on Parse. Errors are *Error values carrying a
// 1-based line and column. Input length and nesting depth are bounded
// (limits.go), so hostile input cannot exhaust memory or the stack.
//
// Pattern.Match evaluates a pattern against ObservedData, honouring the
// observation operators and the temporal qualifiers; its semantics are
// documented on Match.
//
// Differences from the OASIS Python matcher, on purpose:
//
//   - MATCHES runs on Go's RE2 engine, not PCRE: back-references,
//     look-around, possessive quantifiers and \C are not supported. Parse
//     accepts such patterns (they are valid STIX) and lists them in
//     Pattern.Warnings; Match returns ErrUnsupportedRegex for them. RE2
//     guarantees matching in linear time, so a hostile regular expression
//     cannot stall the matcher.
//   - Strings are compared as given, without Unicode NFC normalisation.
//   - A JSON value that cannot be read as the constant's type (e.g. a
//     malformed timestamp string compared with t'…') makes the comparison
//     false rather than aborting the match.
//   - Comparisons joined by AND must share an object type; the Python
//     validator accepts such patterns although they can never match.
//   - Work is bounded (MaxBindings, MaxWork): when the limit stops the
//     search before a match is found, Match returns ErrTooComplex instead
//     of an unfounded "no match".
package pattern
