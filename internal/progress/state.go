package progress

import (
	"encoding/json"
	"strconv"
	"time"
	"unicode/utf8"
)

// decodeState reads the fields of a request's state JSON the metrics need.
// The state is a flat object written by encoding/json (request.State); a
// small scanner reads it several times faster than json.Unmarshal, which
// matters at a million requests. Anything it does not expect (a nested
// value, an escape in a needed string) falls back to json.Unmarshal, so the
// result is always that of the standard decoder.
func decodeState(b []byte, st *factState) error {
	*st = factState{}
	if fastState(b, st) {
		return nil
	}
	*st = factState{}
	return json.Unmarshal(b, st)
}

func fastState(b []byte, st *factState) bool {
	i := skipWS(b, 0)
	if i >= len(b) || b[i] != '{' {
		return false
	}
	i++
	for {
		i = skipWS(b, i)
		if i >= len(b) {
			return false
		}
		if b[i] == '}' {
			return true
		}
		if b[i] == ',' {
			i++
			continue
		}
		if b[i] != '"' {
			return false
		}
		ks, ke, ok := str(b, i)
		if !ok {
			return false
		}
		key := b[ks:ke]
		for _, c := range key {
			if c >= 'A' && c <= 'Z' || c >= 0x80 {
				return false // encoding/json matches keys case-insensitively
			}
		}
		i = skipWS(b, ke+1)
		if i >= len(b) || b[i] != ':' {
			return false
		}
		i = skipWS(b, i+1)
		if i >= len(b) {
			return false
		}
		switch c := b[i]; {
		case c == '"':
			vs, ve, ok := str(b, i)
			if !ok {
				return false
			}
			if !setString(st, string(key), b[vs:ve]) {
				return false
			}
			i = ve + 1
		case c == '{' || c == '[':
			return false
		default:
			j := i
			for j < len(b) && b[j] != ',' && b[j] != '}' && b[j] != ' ' && b[j] != '\n' {
				j++
			}
			v := b[i:j]
			switch string(key) {
			case "paused":
				n, err := strconv.ParseInt(string(v), 10, 64)
				if err != nil {
					return false
				}
				st.Paused = time.Duration(n)
			case "answer_fixed":
				st.AnswerFixed = string(v) == "true"
			}
			i = j
		}
	}
}

// str returns the bounds of the string starting at b[i] == '"'; false if
// it holds an escape (the caller falls back).
func str(b []byte, i int) (int, int, bool) {
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '"':
			return i + 1, j, true
		case '\\':
			return 0, 0, false
		}
	}
	return 0, 0, false
}

func skipWS(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\n' || b[i] == '\t' || b[i] == '\r') {
		i++
	}
	return i
}

func setString(st *factState, key string, v []byte) bool {
	var t *time.Time
	switch key {
	case "sent":
		t = &st.Sent
	case "delivered":
		t = &st.Delivered
	case "acknowledged":
		t = &st.Acknowledged
	case "answered":
		t = &st.Answered
	case "finished":
		t = &st.Finished
	case "ack_due":
		t = &st.AckDue
	case "answer_base":
		t = &st.AnswerBase
	case "ground":
		if !utf8.Valid(v) {
			return false // encoding/json would replace invalid bytes
		}
		st.Ground = string(v)
		return true
	default:
		return true
	}
	if p, ok := parseUTC(v); ok {
		*t = p
		return true
	}
	p, err := time.Parse(time.RFC3339Nano, string(v))
	if err != nil {
		return false
	}
	*t = p
	return true
}

// parseUTC reads the form encoding/json writes UTC times in,
// YYYY-MM-DDTHH:MM:SS[.F…]Z with 1 to 9 fraction digits, as time.Parse
// would; false for anything else (time.Parse then decides).
func parseUTC(b []byte) (time.Time, bool) {
	if len(b) < 20 || b[len(b)-1] != 'Z' || b[4] != '-' || b[7] != '-' || b[10] != 'T' || b[13] != ':' || b[16] != ':' {
		return time.Time{}, false
	}
	num := func(i, n int) int {
		v := 0
		for _, c := range b[i : i+n] {
			if c < '0' || c > '9' {
				return -1
			}
			v = v*10 + int(c-'0')
		}
		return v
	}
	year, month, day := num(0, 4), num(5, 2), num(8, 2)
	hour, minute, sec := num(11, 2), num(14, 2), num(17, 2)
	if year < 0 || month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23 || minute < 0 || minute > 59 || sec < 0 || sec > 59 {
		return time.Time{}, false
	}
	if day > 28 && day > time.Date(year, time.Month(month)+1, 0, 0, 0, 0, 0, time.UTC).Day() {
		return time.Time{}, false
	}
	nsec := 0
	if frac := b[19 : len(b)-1]; len(frac) > 0 {
		if frac[0] != '.' || len(frac) < 2 || len(frac) > 10 {
			return time.Time{}, false
		}
		if nsec = num(20, len(frac)-1); nsec < 0 {
			return time.Time{}, false
		}
		for range 10 - len(frac) {
			nsec *= 10
		}
	}
	return time.Date(year, time.Month(month), day, hour, minute, sec, nsec, time.UTC), true
}
