package envelope

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite golden files and test vectors under testdata/")

func TestNewID(t *testing.T) {
	re := regexp.MustCompile(`^[0-9a-f]{32}$`)
	seen := map[string]bool{}
	for range 100 {
		id := NewID()
		if !re.MatchString(id) {
			t.Fatalf("NewID() = %q, want 32 lowercase hex digits", id)
		}
		if seen[id] {
			t.Fatalf("NewID() repeated %q", id)
		}
		seen[id] = true
	}
}

func TestKeyID(t *testing.T) {
	// The RFC 8032 section 7.1 TEST 1 public key; the expected value is the
	// first half of its SHA-256, computed independently with sha256sum.
	pub := ed25519.PublicKey(mustHex(t, "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"))
	if got, want := KeyID(pub), "21fe31dfa154a261626bf854046fd227"; got != want {
		t.Errorf("KeyID = %s, want %s", got, want)
	}
}

func TestHeaderValidate(t *testing.T) {
	if err := validHeader().Validate(); err != nil {
		t.Fatalf("valid header: %v", err)
	}
	long := func(n int, c string) string { return strings.Repeat(c, n) }
	tests := []struct {
		name   string
		mutate func(h *Header)
		field  string
	}{
		{"id missing", func(h *Header) { h.ID = "" }, "id"},
		{"id uppercase", func(h *Header) { h.ID = strings.ToUpper(h.ID) }, "id"},
		{"id short", func(h *Header) { h.ID = h.ID[:30] }, "id"},
		{"type missing", func(h *Header) { h.Type = "" }, "type"},
		{"type uppercase", func(h *Header) { h.Type = "Request.Send" }, "type"},
		{"type space", func(h *Header) { h.Type = "request send" }, "type"},
		{"type too long", func(h *Header) { h.Type = long(MaxTypeLen+1, "a") }, "type"},
		{"sender missing", func(h *Header) { h.Sender = "" }, "sender"},
		{"sender lowercase", func(h *Header) { h.Sender = "fr" }, "sender"},
		{"sender too short", func(h *Header) { h.Sender = "F" }, "sender"},
		{"sender too long", func(h *Header) { h.Sender = long(MaxPartyCodeLen+1, "F") }, "sender"},
		{"no recipients", func(h *Header) { h.Recipients = nil }, "recipients"},
		{"too many recipients", func(h *Header) {
			h.Recipients = nil
			for i := range MaxRecipients + 1 {
				h.Recipients = append(h.Recipients, "P"+strings.Repeat("Q", i%10)+string(rune('A'+i/10)))
			}
		}, "recipients"},
		{"bad recipient", func(h *Header) { h.Recipients = []string{"DE", "c n"} }, "recipients[1]"},
		{"duplicate recipient", func(h *Header) { h.Recipients = []string{"DE", "CN", "DE"} }, "recipients[2]"},
		{"sender as recipient", func(h *Header) { h.Recipients = []string{"FR"} }, "recipients[0]"},
		{"created zero", func(h *Header) { h.Created = time.Time{} }, "created"},
		{"created not UTC", func(h *Header) { h.Created = h.Created.In(time.FixedZone("CET", 3600)) }, "created"},
		{"created nanoseconds", func(h *Header) { h.Created = h.Created.Add(1) }, "created"},
		{"created year 10000", func(h *Header) { h.Created = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC) }, "created"},
		{"conversation too long", func(h *Header) { h.Conversation = long(MaxConversationLen+1, "c") }, "conversation"},
		{"conversation control", func(h *Header) { h.Conversation = "a\nb" }, "conversation"},
		{"conversation bad UTF-8", func(h *Header) { h.Conversation = "a\xffb" }, "conversation"},
		{"in_reply_to bad", func(h *Header) { h.InReplyTo = "not-an-id" }, "in_reply_to"},
		{"in_reply_to self", func(h *Header) { h.InReplyTo = h.ID }, "in_reply_to"},
		{"marking too long", func(h *Header) { h.Marking = long(MaxMarkingLen+1, "M") }, "marking"},
		{"marking non-ASCII", func(h *Header) { h.Marking = "TLP:ÄMBER" }, "marking"},
		{"sender_key_id missing", func(h *Header) { h.SenderKeyID = "" }, "sender_key_id"},
		{"payload_sha256 missing", func(h *Header) { h.PayloadSHA256 = "" }, "payload_sha256"},
		{"payload_sha256 short", func(h *Header) { h.PayloadSHA256 = h.PayloadSHA256[:62] }, "payload_sha256"},
		{"payload_size negative", func(h *Header) { h.PayloadSize = -1 }, "payload_size"},
		{"payload_size too large", func(h *Header) { h.PayloadSize = MaxPayloadSize + 1 }, "payload_size"},
		{"too many attachments", func(h *Header) {
			h.Attachments = make([]AttachmentRef, MaxAttachments+1)
		}, "attachments"},
		{"attachment name missing", func(h *Header) { h.Attachments[0].Name = "" }, "attachments[0].name"},
		{"attachment name path", func(h *Header) { h.Attachments[0].Name = "../etc/passwd" }, "attachments[0].name"},
		{"attachment name dotdot", func(h *Header) { h.Attachments[0].Name = ".." }, "attachments[0].name"},
		{"attachment name backslash", func(h *Header) { h.Attachments[0].Name = `a\b` }, "attachments[0].name"},
		{"attachment name too long", func(h *Header) { h.Attachments[0].Name = long(MaxAttachmentNameLen+1, "n") }, "attachments[0].name"},
		{"attachment name duplicate", func(h *Header) {
			h.Attachments = append(h.Attachments, h.Attachments[0])
		}, "attachments[1].name"},
		{"attachment size negative", func(h *Header) { h.Attachments[0].Size = -1 }, "attachments[0].size"},
		{"attachment sha256 bad", func(h *Header) { h.Attachments[0].SHA256 = "xyz" }, "attachments[0].sha256"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := validHeader()
			h.Recipients = slices.Clone(h.Recipients)
			h.Attachments = slices.Clone(h.Attachments)
			tt.mutate(&h)
			err := h.Validate()
			if err == nil {
				t.Fatal("Validate() = nil, want an error")
			}
			var fields []string
			for _, fe := range FieldErrors(err) {
				fields = append(fields, fe.Field)
			}
			if !slices.Contains(fields, tt.field) {
				t.Errorf("Validate() = %v; fields %q do not include %q", err, fields, tt.field)
			}
			if _, err := h.Canonical(); !errors.Is(err, ErrMalformed) {
				t.Errorf("Canonical() error = %v, want ErrMalformed", err)
			}
		})
	}
}

func TestHeaderValidateReportsAllFields(t *testing.T) {
	err := Header{}.Validate()
	var got []string
	for _, fe := range FieldErrors(err) {
		got = append(got, fe.Field)
	}
	want := []string{"id", "type", "sender", "recipients", "created", "sender_key_id", "payload_sha256"}
	if !slices.Equal(got, want) {
		t.Errorf("fields = %q, want %q", got, want)
	}
}

// TestHeaderGolden pins the canonical encoding: if encoding/json or the
// wire struct ever changes it, stored signatures would stop verifying.
func TestHeaderGolden(t *testing.T) {
	h := validHeader()
	h.Exercise = true
	h.Conversation = "café <&> \u2028"
	got, err := h.Canonical()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("testdata", "header.golden.json")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run TestHeaderGolden -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("canonical header changed:\n got %s\nwant %s", got, want)
	}
	back, err := ParseHeader(got)
	if err != nil {
		t.Fatalf("ParseHeader(canonical) = %v", err)
	}
	if !equalHeaders(back, h) {
		t.Errorf("round trip:\n got %+v\nwant %+v", back, h)
	}
}

func TestParseHeaderRejectsNonCanonical(t *testing.T) {
	canon, err := validHeader().Canonical()
	if err != nil {
		t.Fatal(err)
	}
	c := string(canon)
	tests := []struct {
		name  string
		input string
		want  error
	}{
		{"whitespace", strings.Replace(c, `"id":`, `"id": `, 1), ErrMalformed},
		{"trailing newline", c + "\n", ErrMalformed},
		{"trailing value", c + "{}", ErrMalformed},
		{"field name case", strings.Replace(c, `"id":`, `"ID":`, 1), ErrMalformed},
		{"duplicate key", strings.Replace(c, `{"id":`, `{"type":"x","id":`, 1), ErrMalformed},
		{"unknown field", strings.Replace(c, `{"id":`, `{"extra":1,"id":`, 1), ErrMalformed},
		{"escaped char", strings.Replace(c, `"request.send"`, `"request\u002esend"`, 1), ErrMalformed},
		{"time without micros", strings.Replace(c, ".535897Z", "Z", 1), ErrMalformed},
		{"time offset", strings.Replace(c, ".535897Z", ".535897+00:00", 1), ErrMalformed},
		{"empty attachments", c[:strings.Index(c, `,"attachments":`)] + `,"attachments":[]}`, ErrMalformed},
		{"null attachments", c[:strings.Index(c, `,"attachments":`)] + `,"attachments":null}`, ErrMalformed},
		{"not JSON", "garbage", ErrMalformed},
		{"null", "null", ErrMalformed},
		{"too large", `{"id":"` + strings.Repeat("a", MaxHeaderSize) + `"}`, ErrTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := ParseHeader([]byte(tt.input)); !errors.Is(err, tt.want) {
				t.Errorf("ParseHeader() error = %v, want %v", err, tt.want)
			}
		})
	}
}

func equalHeaders(a, b Header) bool {
	return a.ID == b.ID && a.Type == b.Type && a.Sender == b.Sender &&
		slices.Equal(a.Recipients, b.Recipients) && a.Created.Equal(b.Created) &&
		a.Conversation == b.Conversation && a.InReplyTo == b.InReplyTo &&
		a.Exercise == b.Exercise && a.Marking == b.Marking &&
		a.SenderKeyID == b.SenderKeyID && a.PayloadSHA256 == b.PayloadSHA256 &&
		a.PayloadSize == b.PayloadSize && slices.Equal(a.Attachments, b.Attachments)
}
