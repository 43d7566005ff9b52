package envelope

import (
	"bytes"
	"crypto/ecdh"
	"crypto/ed25519"
	"crypto/hpke"
	"encoding/hex"
	"testing"
	"time"
)

// party is a test party with deterministic keys, so that test vectors are
// reproducible.
type party struct {
	code    string
	signKey ed25519.PrivateKey
	signPub ed25519.PublicKey
	encKey  hpke.PrivateKey
	encPub  hpke.PublicKey
}

func newParty(t testing.TB, code string, seed byte) *party {
	t.Helper()
	sk := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{seed}, ed25519.SeedSize))
	ek, err := suiteKEM.DeriveKeyPair(bytes.Repeat([]byte{seed ^ 0x5a}, 32))
	if err != nil {
		t.Fatal(err)
	}
	return &party{
		code:    code,
		signKey: sk,
		signPub: sk.Public().(ed25519.PublicKey),
		encKey:  ek,
		encPub:  ek.PublicKey(),
	}
}

func keysOf(ps ...*party) map[string]hpke.PublicKey {
	m := make(map[string]hpke.PublicKey, len(ps))
	for _, p := range ps {
		m[p.code] = p.encPub
	}
	return m
}

func codes(ps ...*party) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.code)
	}
	return out
}

var testTime = time.Date(2025, 3, 14, 15, 9, 26, 535897000, time.UTC)

// testHeader returns a header as a caller would build it before Seal.
func testHeader(sender string, recipients ...string) Header {
	return Header{
		ID:           "0123456789abcdef0123456789abcdef",
		Type:         "request.send",
		Sender:       sender,
		Recipients:   recipients,
		Created:      testTime,
		Conversation: "conv-42",
		Marking:      "TLP:AMBER+STRICT",
		Attachments: []AttachmentRef{{
			Name:   "evidence.pcap",
			Size:   1234,
			SHA256: "a665a45920422f9d417e4867efdc4fb8a04a1f3fff1fa07e998e86f7f7a27ae3",
		}},
	}
}

// validHeader returns a complete header, as Seal would produce it.
func validHeader() Header {
	h := testHeader("FR", "DE", "CN")
	h.InReplyTo = "fedcba9876543210fedcba9876543210"
	h.SenderKeyID = "00112233445566778899aabbccddeeff"
	h.PayloadSHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	h.PayloadSize = 0
	return h
}

// sealed returns envelopes from FR to the given recipients.
func sealed(t testing.TB, payload []byte, from *party, to ...*party) map[string]*Envelope {
	t.Helper()
	envs, err := Seal(testHeader(from.code, codes(to...)...), payload, from.signKey, keysOf(to...))
	if err != nil {
		t.Fatalf("Seal: %v", err)
	}
	return envs
}

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func ecdhX25519() ecdh.Curve { return ecdh.X25519() }
