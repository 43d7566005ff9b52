package envelope

import (
	"strconv"
	"time"
	"unicode/utf8"
)

// appendHeader appends the canonical encoding of h: byte for byte what
// encodeJSON(h.wire()) writes (TestCanonicalMatchesJSON holds the two
// together), without reflection. Headers are encoded several times per
// envelope on both sides (signing, hashing, the AEAD's associated data,
// receipts), so this is on the hot path of every delivery.
func appendHeader(b []byte, h Header) []byte {
	b = append(b, `{"id":`...)
	b = appendJSONString(b, h.ID)
	b = append(b, `,"type":`...)
	b = appendJSONString(b, h.Type)
	b = append(b, `,"sender":`...)
	b = appendJSONString(b, h.Sender)
	b = append(b, `,"recipients":`...)
	if h.Recipients == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i, r := range h.Recipients {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, r)
		}
		b = append(b, ']')
	}
	b = append(b, `,"created":"`...)
	b = appendTime(b, h.Created)
	b = append(b, '"')
	if h.Conversation != "" {
		b = append(b, `,"conversation":`...)
		b = appendJSONString(b, h.Conversation)
	}
	if h.InReplyTo != "" {
		b = append(b, `,"in_reply_to":`...)
		b = appendJSONString(b, h.InReplyTo)
	}
	b = append(b, `,"exercise":`...)
	b = strconv.AppendBool(b, h.Exercise)
	if h.Marking != "" {
		b = append(b, `,"marking":`...)
		b = appendJSONString(b, h.Marking)
	}
	b = append(b, `,"sender_key_id":`...)
	b = appendJSONString(b, h.SenderKeyID)
	b = append(b, `,"payload_sha256":`...)
	b = appendJSONString(b, h.PayloadSHA256)
	b = append(b, `,"payload_size":`...)
	b = strconv.AppendInt(b, h.PayloadSize, 10)
	if len(h.Attachments) > 0 {
		b = append(b, `,"attachments":[`...)
		for i, a := range h.Attachments {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"name":`...)
			b = appendJSONString(b, a.Name)
			b = append(b, `,"size":`...)
			b = strconv.AppendInt(b, a.Size, 10)
			b = append(b, `,"sha256":`...)
			b = appendJSONString(b, a.SHA256)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	return append(b, '}')
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string escaped exactly as
// encoding/json does with HTML escaping off: '"' and '\\' and the control
// characters escaped (\b, \f, \n, \r, \t short, the others as \u00XX),
// invalid UTF-8 replaced by \ufffd, U+2028 and U+2029 escaped.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// appendTime appends t in timeLayout, as t.UTC().AppendFormat would,
// without parsing the layout each time.
func appendTime(b []byte, t time.Time) []byte {
	t = t.UTC()
	year, month, day := t.Date()
	if year < 0 || year > 9999 {
		return t.AppendFormat(b, timeLayout)
	}
	hour, minute, sec := t.Clock()
	b = appendDigits(b, year, 4)
	b = append(b, '-')
	b = appendDigits(b, int(month), 2)
	b = append(b, '-')
	b = appendDigits(b, day, 2)
	b = append(b, 'T')
	b = appendDigits(b, hour, 2)
	b = append(b, ':')
	b = appendDigits(b, minute, 2)
	b = append(b, ':')
	b = appendDigits(b, sec, 2)
	b = append(b, '.')
	b = appendDigits(b, t.Nanosecond()/1000, 6)
	return append(b, 'Z')
}

// appendDigits appends v, which is not negative, zero-padded to width.
func appendDigits(b []byte, v, width int) []byte {
	var buf [8]byte
	for i := width - 1; i >= 0; i-- {
		buf[i] = byte('0' + v%10)
		v /= 10
	}
	return append(b, buf[:width]...)
}

// scanHeader reads a header written in the canonical form without
// reflection. It handles only the common shape, strings without escapes,
// and reports false for anything else; ParseHeader then decodes with
// encoding/json, which gives the same result or the precise error. Either
// way ParseHeader accepts only bytes that re-encode to themselves, so this
// can be fast without being lenient.
func scanHeader(b []byte) (wireHeader, bool) {
	var w wireHeader
	s := scanner{b: b}
	ok := s.lit(`{"id":`) && s.str(&w.ID) &&
		s.lit(`,"type":`) && s.str(&w.Type) &&
		s.lit(`,"sender":`) && s.str(&w.Sender) &&
		s.lit(`,"recipients":`) && s.strs(&w.Recipients) &&
		s.lit(`,"created":`) && s.str(&w.Created) &&
		(!s.lit(`,"conversation":`) || s.str(&w.Conversation)) &&
		(!s.lit(`,"in_reply_to":`) || s.str(&w.InReplyTo)) &&
		s.lit(`,"exercise":`) && s.boolean(&w.Exercise) &&
		(!s.lit(`,"marking":`) || s.str(&w.Marking)) &&
		s.lit(`,"sender_key_id":`) && s.str(&w.SenderKeyID) &&
		s.lit(`,"payload_sha256":`) && s.str(&w.PayloadSHA256) &&
		s.lit(`,"payload_size":`) && s.integer(&w.PayloadSize) &&
		(!s.lit(`,"attachments":[`) || s.attachments(&w.Attachments)) &&
		s.lit(`}`) && s.i == len(s.b)
	return w, ok
}

type scanner struct {
	b []byte
	i int
}

// lit consumes lit if it comes next, and reports whether it did.
func (s *scanner) lit(lit string) bool {
	if len(s.b)-s.i < len(lit) || string(s.b[s.i:s.i+len(lit)]) != lit {
		return false
	}
	s.i += len(lit)
	return true
}

// str reads a string without escapes or control characters.
func (s *scanner) str(v *string) bool {
	if s.i >= len(s.b) || s.b[s.i] != '"' {
		return false
	}
	for j := s.i + 1; j < len(s.b); j++ {
		switch c := s.b[j]; {
		case c == '"':
			// encoding/json decodes invalid UTF-8 as U+FFFD.
			if !utf8.Valid(s.b[s.i+1 : j]) {
				return false
			}
			*v = string(s.b[s.i+1 : j])
			s.i = j + 1
			return true
		case c == '\\' || c < 0x20:
			return false
		}
	}
	return false
}

func (s *scanner) strs(v *[]string) bool {
	if s.lit("null") {
		return true
	}
	if !s.lit("[") {
		return false
	}
	*v = []string{}
	if s.lit("]") {
		return true
	}
	for {
		var e string
		if !s.str(&e) {
			return false
		}
		*v = append(*v, e)
		if s.lit("]") {
			return true
		}
		if !s.lit(",") {
			return false
		}
	}
}

func (s *scanner) boolean(v *bool) bool {
	switch {
	case s.lit("true"):
		*v = true
	case s.lit("false"):
		*v = false
	default:
		return false
	}
	return true
}

// integer reads a JSON integer: an optional minus sign and digits
// without leading zeros.
func (s *scanner) integer(v *int64) bool {
	j := s.i
	if j < len(s.b) && s.b[j] == '-' {
		j++
	}
	digits := j
	for j < len(s.b) && s.b[j] >= '0' && s.b[j] <= '9' {
		j++
	}
	if j-digits > 1 && s.b[digits] == '0' {
		return false // not JSON
	}
	n, err := strconv.ParseInt(string(s.b[s.i:j]), 10, 64)
	if err != nil {
		return false
	}
	*v, s.i = n, j
	return true
}

// attachments reads the elements of the attachments array after its "[".
func (s *scanner) attachments(v *[]AttachmentRef) bool {
	for {
		var a AttachmentRef
		if !(s.lit(`{"name":`) && s.str(&a.Name) && s.lit(`,"size":`) && s.integer(&a.Size) &&
			s.lit(`,"sha256":`) && s.str(&a.SHA256) && s.lit(`}`)) {
			return false
		}
		*v = append(*v, a)
		if s.lit("]") {
			return true
		}
		if !s.lit(",") {
			return false
		}
	}
}
