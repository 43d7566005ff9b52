package envelope

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"
	"unicode"
	"unicode/utf8"
)

// Header is the signed part of an envelope: who sends what to whom, when,
// and the digest of the payload. The same header, and the same signature,
// go to every recipient.
//
// Field names in errors are the JSON names of the canonical encoding.
type Header struct {
	// ID identifies the envelope across all nodes; receivers deduplicate on
	// it. 32 lowercase hex digits, from NewID.
	ID string
	// Type says what the payload is and which handler receives it, e.g.
	// "request.send". 1 to MaxTypeLen characters of [a-z0-9._-].
	Type string
	// Sender is the sending party's code.
	Sender string
	// Recipients are the parties the envelope is addressed to, each
	// receiving its own encrypted copy. Order is kept as given (it is
	// signed); duplicates and the sender itself are refused.
	Recipients []string
	// Created is when the sender created the envelope, from the sender's
	// clock, in UTC with microsecond precision. Deadline clocks on both
	// sides start from it.
	Created time.Time
	// Conversation optionally groups envelopes of one exchange.
	Conversation string
	// InReplyTo optionally names the envelope this one answers.
	InReplyTo string
	// Exercise marks traffic of a drill or tabletop exercise, which must
	// never be mistaken for an operational request.
	Exercise bool
	// Marking is an optional handling marking, e.g. "TLP:AMBER+STRICT".
	Marking string
	// SenderKeyID is KeyID of the Ed25519 key that signs the envelope.
	// Seal fills it in.
	SenderKeyID string
	// PayloadSHA256 is the hex SHA-256 of the plaintext payload. Seal fills
	// it in.
	PayloadSHA256 string
	// PayloadSize is the plaintext payload's length. Seal fills it in.
	PayloadSize int64
	// Attachments describe the plaintext of files sent alongside as
	// encrypted streams (see SealStream).
	Attachments []AttachmentRef
}

// AttachmentRef describes one attachment's plaintext. Because it is inside
// the signed header, a receiver that checks an opened stream's Digest
// against it knows the file is the one the sender signed for.
type AttachmentRef struct {
	// Name is the file name: valid UTF-8, no control characters, no path
	// separators, unique within the header.
	Name string `json:"name"`
	// Size is the plaintext length in bytes.
	Size int64 `json:"size"`
	// SHA256 is the hex SHA-256 of the plaintext.
	SHA256 string `json:"sha256"`
}

// wireHeader is the canonical encoding of a Header.
//
// Why this encoding is deterministic: encoding/json writes struct fields in
// declaration order; every field is a string, a bool, an int64 or a slice
// of these (no maps, no floats, no interfaces); strings are escaped by one
// fixed algorithm, with HTML escaping turned off; Validate admits only
// valid UTF-8, so no replacement happens; and the time is preformatted as a
// fixed-width RFC 3339 string in UTC with exactly six fractional digits.
// So one Header has exactly one encoding, and parseHeader accepts nothing
// else (it re-encodes and compares), which also closes the doors that
// encoding/json leaves open when decoding: case-insensitive field names,
// duplicate keys, escaped characters, whitespace.
//
// These bytes are what is signed, what is bound into the HPKE context, and
// what receipts hash; testdata/header.golden.json pins them, so that a
// change in encoding/json cannot silently invalidate stored signatures.
type wireHeader struct {
	ID            string          `json:"id"`
	Type          string          `json:"type"`
	Sender        string          `json:"sender"`
	Recipients    []string        `json:"recipients"`
	Created       string          `json:"created"`
	Conversation  string          `json:"conversation,omitempty"`
	InReplyTo     string          `json:"in_reply_to,omitempty"`
	Exercise      bool            `json:"exercise"`
	Marking       string          `json:"marking,omitempty"`
	SenderKeyID   string          `json:"sender_key_id"`
	PayloadSHA256 string          `json:"payload_sha256"`
	PayloadSize   int64           `json:"payload_size"`
	Attachments   []AttachmentRef `json:"attachments,omitempty"`
}

// timeLayout is RFC 3339 with exactly microsecond precision, UTC only.
//
// SPEC: RFC 3339 section 5.6 (date-time, with time-secfrac and "Z").
const timeLayout = "2006-01-02T15:04:05.000000Z"

// NewID returns a fresh envelope ID: 16 bytes as 32 lowercase hex digits,
// the first 6 the Unix time in milliseconds and the other 10 random (the
// layout of a version 7 UUID, without its version bits). 80 random bits
// keep IDs unique across nodes; the time prefix makes IDs made one after
// another sort together, so every table and index keyed by envelope ID
// grows at one end instead of at random places, which keeps the pages a
// commit writes few.
func NewID() string {
	return newID(time.Now())
}

func newID(t time.Time) string {
	var b [16]byte
	ms := uint64(t.UnixMilli())
	for i := range 6 {
		b[i] = byte(ms >> (40 - 8*i))
	}
	_, _ = rand.Read(b[6:]) // crypto/rand.Read never returns an error.
	return hex.EncodeToString(b[:])
}

// KeyID returns the identifier of an Ed25519 public key carried in headers
// and receipts: the first 16 bytes of the SHA-256 of the raw key, in hex.
// It lets a receiver pick, or refuse, a key before verifying anything.
func KeyID(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return hex.EncodeToString(sum[:16])
}

// Validate checks every field of a complete header, as sealed, and returns
// one *FieldError per problem, joined with errors.Join (see FieldErrors),
// or nil.
func (h Header) Validate() error {
	var f fieldErrs
	h.validate(&f)
	return f.err()
}

func (h Header) validate(f *fieldErrs) {
	checkHex(f, "id", h.ID, 16)
	switch {
	case h.Type == "":
		f.add("type", "required")
	case len(h.Type) > MaxTypeLen:
		f.add("type", fmt.Sprintf("longer than %d characters", MaxTypeLen))
	case !allBytes(h.Type, isTypeByte):
		f.add("type", "may contain only a-z, 0-9, '.', '_' and '-'")
	}
	checkParty(f, "sender", h.Sender)
	switch {
	case len(h.Recipients) == 0:
		f.add("recipients", "at least one recipient is required")
	case len(h.Recipients) > MaxRecipients:
		f.add("recipients", fmt.Sprintf("more than %d recipients", MaxRecipients))
	default:
		seen := make(map[string]bool, len(h.Recipients))
		for i, r := range h.Recipients {
			name := "recipients[" + strconv.Itoa(i) + "]"
			if !checkParty(f, name, r) {
				continue
			}
			switch {
			case seen[r]:
				f.add(name, "duplicate recipient "+strconv.Quote(r))
			case r == h.Sender:
				f.add(name, "the sender cannot be a recipient")
			}
			seen[r] = true
		}
	}
	checkTime(f, "created", h.Created)
	switch {
	case len(h.Conversation) > MaxConversationLen:
		f.add("conversation", fmt.Sprintf("longer than %d bytes", MaxConversationLen))
	case !isText(h.Conversation):
		f.add("conversation", "must be valid UTF-8 without control characters")
	}
	if h.InReplyTo != "" {
		if checkHex(f, "in_reply_to", h.InReplyTo, 16) && h.InReplyTo == h.ID {
			f.add("in_reply_to", "an envelope cannot reply to itself")
		}
	}
	switch {
	case len(h.Marking) > MaxMarkingLen:
		f.add("marking", fmt.Sprintf("longer than %d characters", MaxMarkingLen))
	case !allBytes(h.Marking, isPrintableASCII):
		f.add("marking", "may contain only printable ASCII")
	}
	checkHex(f, "sender_key_id", h.SenderKeyID, 16)
	checkHex(f, "payload_sha256", h.PayloadSHA256, sha256.Size)
	if h.PayloadSize < 0 || h.PayloadSize > MaxPayloadSize {
		f.add("payload_size", fmt.Sprintf("must be between 0 and %d", MaxPayloadSize))
	}
	if len(h.Attachments) > MaxAttachments {
		f.add("attachments", fmt.Sprintf("more than %d attachments", MaxAttachments))
		return
	}
	names := make(map[string]bool, len(h.Attachments))
	for i, a := range h.Attachments {
		p := "attachments[" + strconv.Itoa(i) + "]."
		switch {
		case a.Name == "":
			f.add(p+"name", "required")
		case len(a.Name) > MaxAttachmentNameLen:
			f.add(p+"name", fmt.Sprintf("longer than %d bytes", MaxAttachmentNameLen))
		case !isText(a.Name) || a.Name == "." || a.Name == ".." ||
			bytes.ContainsAny([]byte(a.Name), `/\`):
			f.add(p+"name", "must be a plain file name: valid UTF-8, no control characters or path separators")
		case names[a.Name]:
			f.add(p+"name", "duplicate attachment name "+strconv.Quote(a.Name))
		}
		names[a.Name] = true
		if a.Size < 0 || a.Size > MaxAttachmentSize {
			f.add(p+"size", fmt.Sprintf("must be between 0 and %d", int64(MaxAttachmentSize)))
		}
		checkHex(f, p+"sha256", a.SHA256, sha256.Size)
	}
}

// Canonical returns the canonical encoding of a valid header: the bytes
// that are signed. It fails with ErrMalformed if the header is invalid.
func (h Header) Canonical() ([]byte, error) {
	if err := h.Validate(); err != nil {
		return nil, fmt.Errorf("envelope: header: %w: %w", ErrMalformed, err)
	}
	b := h.encode()
	if len(b) > MaxHeaderSize {
		return nil, fmt.Errorf("envelope: header: %w: %d bytes, limit %d", ErrTooLarge, len(b), MaxHeaderSize)
	}
	return b, nil
}

// ParseHeader parses and validates the canonical encoding of a header, and
// accepts nothing else.
func ParseHeader(b []byte) (Header, error) {
	if len(b) > MaxHeaderSize {
		return Header{}, fmt.Errorf("envelope: header: %w: %d bytes, limit %d", ErrTooLarge, len(b), MaxHeaderSize)
	}
	w, ok := scanHeader(b)
	if !ok {
		w = wireHeader{}
		if err := decodeStrict(b, &w); err != nil {
			return Header{}, fmt.Errorf("envelope: header: %w", err)
		}
	}
	h, err := w.header("")
	if err != nil {
		return Header{}, fmt.Errorf("envelope: header: %w", err)
	}
	if !bytes.Equal(h.encode(), b) {
		return Header{}, fmt.Errorf("envelope: header: %w: not in canonical form", ErrMalformed)
	}
	return h, nil
}

func (h Header) wire() wireHeader {
	return wireHeader{
		ID:            h.ID,
		Type:          h.Type,
		Sender:        h.Sender,
		Recipients:    h.Recipients,
		Created:       h.Created.UTC().Format(timeLayout),
		Conversation:  h.Conversation,
		InReplyTo:     h.InReplyTo,
		Exercise:      h.Exercise,
		Marking:       h.Marking,
		SenderKeyID:   h.SenderKeyID,
		PayloadSHA256: h.PayloadSHA256,
		PayloadSize:   h.PayloadSize,
		Attachments:   h.Attachments,
	}
}

// header converts a decoded wire header and validates it; prefix is the
// path of the header in the enclosing message, for field errors.
func (w wireHeader) header(prefix string) (Header, error) {
	f := fieldErrs{prefix: prefix}
	created, ok := parseTime(&f, "created", w.Created)
	h := Header{
		ID:            w.ID,
		Type:          w.Type,
		Sender:        w.Sender,
		Recipients:    w.Recipients,
		Created:       created,
		Conversation:  w.Conversation,
		InReplyTo:     w.InReplyTo,
		Exercise:      w.Exercise,
		Marking:       w.Marking,
		SenderKeyID:   w.SenderKeyID,
		PayloadSHA256: w.PayloadSHA256,
		PayloadSize:   w.PayloadSize,
		Attachments:   w.Attachments,
	}
	var g fieldErrs
	h.validate(&g)
	for _, e := range g.errs {
		// A time that did not parse has been reported already.
		if fe := e.(*FieldError); ok || fe.Field != "created" {
			f.add(fe.Field, fe.Reason)
		}
	}
	if err := f.err(); err != nil {
		return Header{}, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	return h, nil
}

// encode returns the canonical encoding without validating.
func (h Header) encode() []byte { return appendHeader(make([]byte, 0, 384), h) }

// encodeJSON encodes v compactly without HTML escaping and without the
// trailing newline json.Encoder adds. It is only used on the wire structs
// of this package, whose fields (strings, bools, integers, byte slices)
// cannot fail to encode, so an error here is a programming error.
func encodeJSON(v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		panic("envelope: encoding a wire struct failed: " + err.Error())
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

// decodeStrict decodes exactly one JSON value from b into v, refusing
// unknown fields and trailing data. Callers still compare a re-encoding with
// b, since encoding/json alone admits many spellings of one value.
func decodeStrict(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return fmt.Errorf("%w: trailing data after JSON value", ErrMalformed)
	}
	return nil
}

// readLimited reads all of r, failing with ErrTooLarge beyond limit bytes.
func readLimited(r io.Reader, limit int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, limit)
	}
	return b, nil
}

func parseTime(f *fieldErrs, name, s string) (time.Time, bool) {
	t, err := time.Parse(timeLayout, s)
	if err != nil || t.Format(timeLayout) != s {
		f.add(name, "must be an RFC 3339 UTC time with microseconds, like "+timeLayout)
		return time.Time{}, false
	}
	return t, true
}

func checkTime(f *fieldErrs, name string, t time.Time) {
	switch {
	case t.IsZero():
		f.add(name, "required")
	case t.Location() != time.UTC:
		f.add(name, "must be in UTC")
	case t.Nanosecond()%1000 != 0:
		f.add(name, "must be truncated to microseconds")
	case t.Year() < 1970 || t.Year() > 9999:
		f.add(name, "year out of range 1970..9999")
	}
}

// checkParty validates a party code and reports whether it was valid.
func checkParty(f *fieldErrs, name, s string) bool {
	switch {
	case s == "":
		f.add(name, "required")
	case len(s) < MinPartyCodeLen || len(s) > MaxPartyCodeLen:
		f.add(name, fmt.Sprintf("party code must be %d to %d characters", MinPartyCodeLen, MaxPartyCodeLen))
	case !allBytes(s, isPartyByte):
		f.add(name, "party code may contain only A-Z, 0-9 and '-'")
	default:
		return true
	}
	return false
}

// checkHex validates n bytes as 2n lowercase hex digits and reports whether
// the value was valid.
func checkHex(f *fieldErrs, name, s string, n int) bool {
	switch {
	case s == "":
		f.add(name, "required")
	case len(s) != 2*n || !allBytes(s, isLowerHex):
		f.add(name, fmt.Sprintf("must be %d lowercase hex digits", 2*n))
	default:
		return true
	}
	return false
}

func allBytes(s string, ok func(byte) bool) bool {
	for i := 0; i < len(s); i++ {
		if !ok(s[i]) {
			return false
		}
	}
	return true
}

func isTypeByte(c byte) bool {
	return 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-'
}

func isPartyByte(c byte) bool { return 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' }

func isLowerHex(c byte) bool { return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' }

func isPrintableASCII(c byte) bool { return 0x20 <= c && c <= 0x7e }

// isText reports whether s is valid UTF-8 free of control characters, so
// that it encodes to one JSON spelling and displays safely in a console.
func isText(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return false
		}
	}
	return true
}

func sha256Sum(b []byte) []byte {
	s := sha256.Sum256(b)
	return s[:]
}
