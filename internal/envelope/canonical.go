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
