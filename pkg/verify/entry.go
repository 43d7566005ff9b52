package verify

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"unicode"
	"unicode/utf8"
)

// Entry is one entry of a Liaison log, as exported and as committed to by
// its leaf.
type Entry struct {
	// Index is the leaf index, from 0.
	Index uint64 `json:"index"`
	// Kind says what was recorded: "envelope.sent", "envelope.received",
	// "receipt", "request.transition", "audit", ...
	Kind string `json:"kind"`
	// ObjectID is the id of the envelope, request, case... recorded.
	ObjectID string `json:"object_id"`
	// TimeMicros is when it was recorded, in Unix microseconds (UTC).
	TimeMicros int64 `json:"time_us"`
	// Exercise marks exercise traffic, excluded from real figures.
	Exercise bool `json:"exercise"`
	// BodyHash is the hex SHA-256 of the canonical body.
	BodyHash string `json:"body_hash"`
	// Body is the canonical body when the log keeps it (base64 in JSON);
	// when present its SHA-256 must equal BodyHash.
	Body []byte `json:"body,omitempty"`
}

// validKind reports whether k is a letter followed by [a-z0-9._-].
func validKind(k string) bool {
	for i := 0; i < len(k); i++ {
		c := k[i]
		switch {
		case c >= 'a' && c <= 'z':
		case i > 0 && (c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-'):
		default:
			return false
		}
	}
	return len(k) > 0
}

// CheckEntry reports whether e can be encoded as a leaf: a kind of
// lower-case letters, digits, '.', '_' and '-'; an object id of printable
// UTF-8 without spaces; a body hash of 64 lower-case hex digits matching the
// body when there is one; a non-negative time.
func CheckEntry(e Entry) error {
	switch {
	case len(e.Kind) == 0 || len(e.Kind) > MaxKindLen || !validKind(e.Kind):
		return malformed("entry %d: kind %q: want 1-%d of [a-z0-9._-], starting with a letter", e.Index, e.Kind, MaxKindLen)
	case len(e.ObjectID) == 0 || len(e.ObjectID) > MaxObjectIDLen || !printable(e.ObjectID):
		return malformed("entry %d: object_id: want 1-%d printable characters without spaces", e.Index, MaxObjectIDLen)
	case e.TimeMicros < 0:
		return malformed("entry %d: time_us is negative", e.Index)
	case len(e.BodyHash) != 2*HashSize || !isLowerHex(e.BodyHash):
		return malformed("entry %d: body_hash: want %d lower-case hex digits", e.Index, 2*HashSize)
	case len(e.Body) > MaxBodyLen:
		return malformed("entry %d: body longer than %d bytes", e.Index, MaxBodyLen)
	}
	if e.Body != nil {
		sum := sha256.Sum256(e.Body)
		if hex.EncodeToString(sum[:]) != e.BodyHash {
			return &RootMismatchError{What: "entry " + strconv.FormatUint(e.Index, 10) + " body", Expected: mustHex(e.BodyHash), Computed: sum[:]}
		}
	}
	return nil
}

func printable(s string) bool {
	ascii := true
	for i := 0; i < len(s) && ascii; i++ {
		if s[i] <= ' ' || s[i] >= 0x7f {
			ascii = false
		}
	}
	if ascii {
		return true
	}
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if !unicode.IsPrint(r) || unicode.IsSpace(r) {
			return false
		}
	}
	return true
}

func isLowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

func mustHex(s string) []byte {
	b, _ := hex.DecodeString(s)
	return b
}

// LeafData returns the bytes a leaf commits to. The encoding is text, one
// field a line, in a fixed order, so that anyone can re-implement it:
//
//	liaison-ledger-entry/v1
//	kind <kind>
//	object <object id>
//	time <unix microseconds>
//	exercise <0 or 1>
//	body <hex SHA-256 of the body>
//
// Every line ends with "\n". The fields cannot contain a newline or space
// (CheckEntry), so the encoding is unambiguous. The index is not encoded:
// the tree position commits to it.
func LeafData(e Entry) ([]byte, error) {
	if err := CheckEntry(e); err != nil {
		return nil, err
	}
	return appendLeafData(make([]byte, 0, 80+len(e.Kind)+len(e.ObjectID)+2*HashSize), e), nil
}

// appendLeafData appends the leaf encoding of e, which CheckEntry accepted,
// to b.
func appendLeafData(b []byte, e Entry) []byte {
	b = append(b, "liaison-ledger-entry/v1\nkind "...)
	b = append(b, e.Kind...)
	b = append(b, "\nobject "...)
	b = append(b, e.ObjectID...)
	b = append(b, "\ntime "...)
	b = strconv.AppendInt(b, e.TimeMicros, 10)
	if e.Exercise {
		b = append(b, "\nexercise 1\nbody "...)
	} else {
		b = append(b, "\nexercise 0\nbody "...)
	}
	b = append(b, e.BodyHash...)
	return append(b, '\n')
}

// LeafHash returns the RFC 6962 leaf hash of e.
func LeafHash(e Entry) ([]byte, error) {
	if err := CheckEntry(e); err != nil {
		return nil, err
	}
	var a [256]byte
	return HashLeaf(appendLeafData(a[:0], e)), nil
}

// BodyHash returns the hex SHA-256 of body, as Entry.BodyHash wants it.
func BodyHash(body []byte) string {
	sum := sha256.Sum256(body)
	return hex.EncodeToString(sum[:])
}
