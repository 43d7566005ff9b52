package envelope

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"
)

// The hand-written canonical encoder must write exactly what encodeJSON
// of the wire struct writes, for every header, valid or not.
func TestCanonicalMatchesJSON(t *testing.T) {
	created := time.Date(2026, 11, 25, 22, 30, 1, 123456789, time.FixedZone("CST", 8*3600))
	tests := []struct {
		name string
		h    Header
	}{
		{"zero", Header{}},
		{"minimal", Header{ID: NewID(), Type: "request.send", Sender: "US", Recipients: []string{"CN"}, Created: created}},
		{"empty recipients", Header{Recipients: []string{}}},
		{"full", Header{ID: NewID(), Type: "case.share", Sender: "US", Recipients: []string{"CN", "GB"}, Created: created,
			Conversation: "case-42", InReplyTo: NewID(), Exercise: true, Marking: "TLP:AMBER+STRICT", SenderKeyID: "00ff",
			PayloadSHA256: "ab", PayloadSize: 1 << 40,
			Attachments: []AttachmentRef{{Name: "a.bin", Size: 1, SHA256: "cd"}, {Name: "报告.pdf", Size: 0, SHA256: ""}}}},
		{"escapes", Header{Conversation: "q\"b\\s/\b\f\n\r\t\x00\x01\x1f\x7f<>&", Marking: "\u2028\u2029é中"}},
		{"invalid utf-8", Header{Conversation: "a\xffb\xc0", Type: "\xe2\x82"}},
		{"negative size", Header{PayloadSize: -5}},
		{"year 10000", Header{Created: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}},
		{"year -1", Header{Created: time.Date(-1, 12, 31, 23, 59, 59, 999999999, time.UTC)}},
		{"year 0", Header{Created: time.Date(0, 1, 1, 0, 0, 0, 1000, time.UTC)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			want := encodeJSON(tc.h.wire())
			if got := appendHeader(nil, tc.h); !bytes.Equal(got, want) {
				t.Errorf("canonical encoding differs\n got %s\nwant %s", got, want)
			}
		})
	}
}

func FuzzCanonicalMatchesJSON(f *testing.F) {
	f.Add("id", "type", "conv", "mark", "\u2028\x00\"\\", int64(7), true)
	f.Fuzz(func(t *testing.T, id, typ, conv, mark, name string, size int64, ex bool) {
		h := Header{ID: id, Type: typ, Sender: name, Recipients: []string{conv, mark}, Created: time.Unix(size%1e12, size%1e9),
			Conversation: conv, InReplyTo: name, Exercise: ex, Marking: mark, SenderKeyID: id, PayloadSHA256: typ,
			PayloadSize: size, Attachments: []AttachmentRef{{Name: name, Size: size, SHA256: conv}}}
		if got, want := appendHeader(nil, h), encodeJSON(h.wire()); !bytes.Equal(got, want) {
			t.Fatalf("canonical encoding differs\n got %q\nwant %q", got, want)
		}
	})
}

func BenchmarkHeaderEncode(b *testing.B) {
	h := Header{ID: NewID(), Type: "request.send", Sender: "US", Recipients: []string{"CN"}, Created: time.Now(),
		Conversation: "conv-001", SenderKeyID: "0011223344556677", PayloadSHA256: "ab", PayloadSize: 512}
	b.Run("canonical", func(b *testing.B) {
		for b.Loop() {
			appendHeader(nil, h)
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		for b.Loop() {
			encodeJSON(h.wire())
		}
	})
}

// parseHeaderJSON is ParseHeader without scanHeader: encoding/json only.
func parseHeaderJSON(b []byte) (Header, error) {
	if len(b) > MaxHeaderSize {
		return Header{}, fmt.Errorf("envelope: header: %w: %d bytes, limit %d", ErrTooLarge, len(b), MaxHeaderSize)
	}
	var w wireHeader
	if err := decodeStrict(b, &w); err != nil {
		return Header{}, fmt.Errorf("envelope: header: %w", err)
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

// ParseHeader with its reflection-free scanner must accept exactly what
// encoding/json accepts, with the same header or the same error.
func FuzzParseHeaderMatchesJSON(f *testing.F) {
	h := Header{ID: NewID(), Type: "case.share", Sender: "US", Recipients: []string{"CN", "GB"},
		Created: time.Date(2026, 11, 25, 22, 30, 1, 123456000, time.UTC), Conversation: "case-42", InReplyTo: NewID(),
		Exercise: true, Marking: "TLP:AMBER+STRICT", SenderKeyID: "00112233445566778899aabbccddeeff",
		PayloadSHA256: strings.Repeat("ab", 32), PayloadSize: 512,
		Attachments: []AttachmentRef{{Name: "a.bin", Size: 1, SHA256: strings.Repeat("cd", 32)}}}
	f.Add(h.encode())
	h.Attachments, h.Marking, h.InReplyTo, h.Conversation = nil, "", "", "报告\n\"x\""
	f.Add(h.encode())
	h.Recipients = nil
	f.Add(h.encode())
	f.Add([]byte(`{"id":"x"}`))
	f.Add([]byte(`{"id" : "x"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		got, gotErr := ParseHeader(b)
		want, wantErr := parseHeaderJSON(b)
		if fmt.Sprint(gotErr) != fmt.Sprint(wantErr) {
			t.Fatalf("input %q\n errors differ:\n got %v\nwant %v", b, gotErr, wantErr)
		}
		if gotErr == nil && !bytes.Equal(got.encode(), want.encode()) {
			t.Fatalf("input %q: headers differ:\n got %+v\nwant %+v", b, got, want)
		}
	})
}

func BenchmarkParseHeader(b *testing.B) {
	h := Header{ID: NewID(), Type: "request.send", Sender: "US", Recipients: []string{"CN"}, Created: time.Now(),
		Conversation: "conv-001", SenderKeyID: "00112233445566778899aabbccddeeff", PayloadSHA256: strings.Repeat("ab", 32), PayloadSize: 512}
	enc := h.encode()
	b.Run("scanner", func(b *testing.B) {
		for b.Loop() {
			if _, err := ParseHeader(enc); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		for b.Loop() {
			if _, err := parseHeaderJSON(enc); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func TestNewIDOrderedByTime(t *testing.T) {
	t0 := time.Date(2026, 11, 25, 23, 0, 0, 0, time.UTC)
	a, b := newID(t0), newID(t0.Add(time.Millisecond))
	if len(a) != 32 || strings.Trim(a, "0123456789abcdef") != "" {
		t.Fatalf("ID %q is not 32 lowercase hex digits", a)
	}
	if a[:12] != "01a214eff580" || !(a < b) {
		t.Fatalf("IDs %s, %s: want the millisecond time first, in order", a, b)
	}
	if c := newID(t0); c[:12] != a[:12] || c == a {
		t.Fatalf("same millisecond: %s, %s", a, c)
	}
	seen := map[string]bool{}
	for range 10000 {
		id := NewID()
		if seen[id] {
			t.Fatalf("duplicate ID %s", id)
		}
		seen[id] = true
	}
}
