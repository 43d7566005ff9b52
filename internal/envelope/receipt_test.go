package envelope

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var receivedAt = time.Date(2025, 3, 14, 15, 9, 27, 1000, time.UTC)

func TestReceiptRoundTrip(t *testing.T) {
	fr, de, cn := newParty(t, "FR", 1), newParty(t, "DE", 2), newParty(t, "CN", 3)
	envs := sealed(t, []byte("x"), fr, de, cn)
	for _, p := range []*party{de, cn} {
		env := envs[p.code]
		r, err := NewReceipt(env, p.code, receivedAt.In(time.FixedZone("X", 7200)).Add(999), p.signKey)
		if err != nil {
			t.Fatalf("NewReceipt: %v", err)
		}
		if r.Received != receivedAt {
			t.Errorf("Received = %v, want %v normalized", r.Received, receivedAt)
		}
		b, err := r.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		got, err := DecodeReceipt(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("DecodeReceipt: %v", err)
		}
		if err := got.Verify(p.signPub); err != nil {
			t.Fatalf("Verify: %v", err)
		}
		if err := got.Acknowledges(env); err != nil {
			t.Errorf("Acknowledges(own envelope): %v", err)
		}
		if got.Hash() != r.Hash() {
			t.Error("Hash changed across the wire")
		}
	}
}

func TestReceiptGolden(t *testing.T) {
	// Ed25519 is deterministic, so the batch receipt and every receipt
	// derived from it are fixed vectors.
	de := newParty(t, "DE", 2)
	entries := goldenEntries(3)
	br, err := NewBatchReceipt("00112233445566778899aabbccddeeff", "FR", "DE", entries, de.signKey)
	if err != nil {
		t.Fatal(err)
	}
	if err := br.Verify(de.signPub, "00112233445566778899aabbccddeeff", "FR", entries); err != nil {
		t.Fatal(err)
	}
	rs, err := br.Receipts(entries)
	if err != nil {
		t.Fatal(err)
	}
	bb, err := br.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	rb, err := rs[2].Marshal()
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range []struct {
		file string
		got  []byte
	}{{"batch-receipt.golden.json", bb}, {"receipt.golden.json", rb}} {
		path := filepath.Join("testdata", g.file)
		if *update {
			if err := os.WriteFile(path, g.got, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test -run TestReceiptGolden -update)", err)
		}
		if !bytes.Equal(g.got, want) {
			t.Errorf("%s: encoding changed:\n got %s\nwant %s", g.file, g.got, want)
		}
	}
	for _, r := range rs {
		if err := r.Verify(de.signPub); err != nil {
			t.Error(err)
		}
	}
}

// goldenEntries returns n fixed receipt entries.
func goldenEntries(n int) []ReceiptEntry {
	out := make([]ReceiptEntry, n)
	for i := range out {
		out[i] = ReceiptEntry{EnvelopeID: fmt.Sprintf("%032x", i+1), EnvelopeHash: strings.Repeat(fmt.Sprintf("%02x", (0xa0+i)%256), 32),
			Received: receivedAt.Add(time.Duration(i) * time.Millisecond)}
	}
	return out
}

func TestReceiptTamper(t *testing.T) {
	fr, de, cn := newParty(t, "FR", 1), newParty(t, "DE", 2), newParty(t, "CN", 3)
	envs := sealed(t, []byte("x"), fr, de, cn)
	tests := []struct {
		name   string
		tamper func(r *Receipt)
		pub    ed25519.PublicKey
		want   error
	}{
		{"untouched", func(*Receipt) {}, nil, nil},
		{"envelope id changed", func(r *Receipt) { r.EnvelopeID = NewID() }, nil, ErrBadSignature},
		{"envelope hash changed", func(r *Receipt) { r.EnvelopeHash = strings.Repeat("cd", 32) }, nil, ErrBadSignature},
		{"batch changed", func(r *Receipt) { r.Batch = NewID() }, nil, ErrBadSignature},
		{"sender changed", func(r *Receipt) { r.Sender = "CN" }, nil, ErrBadSignature},
		{"index out of range", func(r *Receipt) { r.Index = 1 }, nil, ErrMalformed},
		{"proof added", func(r *Receipt) { r.Proof = [][]byte{make([]byte, 32)} }, nil, ErrMalformed},
		{"receiver changed", func(r *Receipt) { r.Receiver = "CN" }, nil, ErrBadSignature},
		{"time changed", func(r *Receipt) { r.Received = r.Received.Add(-time.Hour) }, nil, ErrBadSignature},
		{"signature flipped", func(r *Receipt) { r.Signature[0] ^= 1 }, nil, ErrBadSignature},
		{"signature short", func(r *Receipt) { r.Signature = r.Signature[:10] }, nil, ErrMalformed},
		{"key id changed", func(r *Receipt) { r.ReceiverKeyID = KeyID(cn.signPub) }, nil, ErrKeyMismatch},
		{"wrong key", func(*Receipt) {}, cn.signPub, ErrKeyMismatch},
		{"bad key", func(*Receipt) {}, de.signPub[:5], ErrKeyMismatch},
		{"invalid receiver", func(r *Receipt) { r.Receiver = "d e" }, nil, ErrMalformed},
		{"zero time", func(r *Receipt) { r.Received = time.Time{} }, nil, ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := NewReceipt(envs["DE"], "DE", receivedAt, de.signKey)
			if err != nil {
				t.Fatal(err)
			}
			tt.tamper(r)
			pub := de.signPub
			if tt.pub != nil {
				pub = tt.pub
			}
			err = r.Verify(pub)
			if !errors.Is(err, tt.want) || (err == nil) != (tt.want == nil) {
				t.Errorf("Verify = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestReceiptAcknowledges(t *testing.T) {
	fr, de, cn := newParty(t, "FR", 1), newParty(t, "DE", 2), newParty(t, "CN", 3)
	envs := sealed(t, []byte("x"), fr, de, cn)
	again := sealed(t, []byte("x"), fr, de, cn) // same ID, fresh encryption
	r, err := NewReceipt(envs["DE"], "DE", receivedAt, de.signKey)
	if err != nil {
		t.Fatal(err)
	}
	// The envelope hash covers the signed header, not the encryption: a
	// re-encrypted copy of the same signed envelope is the same envelope.
	if err := r.Acknowledges(again["DE"]); err != nil {
		t.Errorf("re-encryption with same id: %v", err)
	}
	other := sealed(t, []byte("x"), fr, de)
	for name, env := range map[string]*Envelope{
		"copy for another recipient":  envs["CN"],
		"other envelope, same header": other["DE"],
		"nil":                         nil,
	} {
		if err := r.Acknowledges(env); !errors.Is(err, ErrWrongEnvelope) {
			t.Errorf("%s: Acknowledges = %v, want ErrWrongEnvelope", name, err)
		}
	}
}

func TestNewReceiptErrors(t *testing.T) {
	fr, de := newParty(t, "FR", 1), newParty(t, "DE", 2)
	env := sealed(t, []byte("x"), fr, de)["DE"]
	tests := []struct {
		name     string
		env      *Envelope
		receiver string
		at       time.Time
		key      ed25519.PrivateKey
		want     error
	}{
		{"nil envelope", nil, "DE", receivedAt, de.signKey, ErrMalformed},
		{"not the recipient", env, "CN", receivedAt, de.signKey, ErrWrongEnvelope},
		{"bad key", env, "DE", receivedAt, de.signKey[:3], ErrKeyMismatch},
		{"zero time", env, "DE", time.Time{}, de.signKey, ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := NewReceipt(tt.env, tt.receiver, tt.at, tt.key); !errors.Is(err, tt.want) {
				t.Errorf("NewReceipt = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestDecodeReceiptRejects(t *testing.T) {
	fr, de := newParty(t, "FR", 1), newParty(t, "DE", 2)
	r, err := NewReceipt(sealed(t, []byte("x"), fr, de)["DE"], "DE", receivedAt, de.signKey)
	if err != nil {
		t.Fatal(err)
	}
	good, _ := r.Marshal()
	g := string(good)
	tests := []struct {
		name  string
		input string
		want  error
	}{
		{"empty", "", ErrMalformed},
		{"unknown field", strings.Replace(g, `{`, `{"x":1,`, 1), ErrMalformed},
		{"trailing data", g + "x", ErrMalformed},
		{"field case", strings.Replace(g, `"receiver"`, `"Receiver"`, 1), ErrMalformed},
		{"reordered", strings.Replace(strings.Replace(g, `"receiver":"DE",`, ``, 1), `{`, `{"receiver":"DE",`, 1), ErrMalformed},
		{"bad time", strings.Replace(g, `.000001Z`, `.000001+00:00`, 1), ErrMalformed},
		{"missing signature", g[:strings.Index(g, `,"signature"`)] + "}", ErrMalformed},
		{"too large", g + strings.Repeat(" ", MaxReceiptSize), ErrTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := DecodeReceipt(strings.NewReader(tt.input)); !errors.Is(err, tt.want) {
				t.Errorf("DecodeReceipt = %v, want %v", err, tt.want)
			}
		})
	}
}
