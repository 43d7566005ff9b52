package envelope

import (
	"bytes"
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
