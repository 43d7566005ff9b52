package envelope

import (
	"bytes"
	"crypto/ed25519"
	"crypto/hpke"
	"crypto/rand"
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestSealVerifyOpen(t *testing.T) {
	fr, de, cn, us := newParty(t, "FR", 1), newParty(t, "DE", 2), newParty(t, "CN", 3), newParty(t, "US", 4)
	payload := []byte(`{"kind":"mla","text":"please preserve the logs"}`)
	tests := []struct {
		name string
		to   []*party
	}{
		{"one recipient", []*party{de}},
		{"two recipients", []*party{de, cn}},
		{"three recipients", []*party{de, cn, us}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			envs := sealed(t, payload, fr, tt.to...)
			if got, want := slices.Sorted(maps.Keys(envs)), slices.Sorted(slices.Values(codes(tt.to...))); !slices.Equal(got, want) {
				t.Fatalf("Seal returned envelopes for %v, want %v", got, want)
			}
			for _, p := range tt.to {
				env := envs[p.code]
				// Through the wire, as a peer would receive it.
				b, err := env.Marshal()
				if err != nil {
					t.Fatalf("Marshal: %v", err)
				}
				got, err := Decode(bytes.NewReader(b))
				if err != nil {
					t.Fatalf("Decode: %v", err)
				}
				if got.Hash() != env.Hash() {
					t.Errorf("Hash changed across the wire")
				}
				if err := got.Verify(fr.signPub); err != nil {
					t.Fatalf("Verify: %v", err)
				}
				if got.Recipient != p.code {
					t.Errorf("Recipient = %s, want %s", got.Recipient, p.code)
				}
				pt, err := got.Open(p.encKey)
				if err != nil {
					t.Fatalf("Open: %v", err)
				}
				if !bytes.Equal(pt, payload) {
					t.Errorf("Open = %q, want %q", pt, payload)
				}
				h := got.Header
				if h.SenderKeyID != KeyID(fr.signPub) || h.PayloadSize != int64(len(payload)) || !h.Created.Equal(testTime) {
					t.Errorf("header not filled in as expected: %+v", h)
				}
				// Every other recipient's key fails on this copy.
				for _, other := range tt.to {
					if other != p {
						if _, err := got.Open(other.encKey); !errors.Is(err, ErrDecrypt) {
							t.Errorf("Open with %s's key: %v, want ErrDecrypt", other.code, err)
						}
					}
				}
			}
		})
	}
}

func TestSealEmptyPayload(t *testing.T) {
	fr, de := newParty(t, "FR", 1), newParty(t, "DE", 2)
	env := sealed(t, nil, fr, de)["DE"]
	if err := env.Verify(fr.signPub); err != nil {
		t.Fatal(err)
	}
	pt, err := env.Open(de.encKey)
	if err != nil || len(pt) != 0 {
		t.Fatalf("Open = %q, %v; want empty", pt, err)
	}
}

func TestSealNormalizesCreated(t *testing.T) {
	fr, de := newParty(t, "FR", 1), newParty(t, "DE", 2)
	h := testHeader("FR", "DE")
	h.Created = time.Date(2025, 1, 2, 4, 4, 5, 123456789, time.FixedZone("CET", 3600))
	envs, err := Seal(h, []byte("x"), fr.signKey, keysOf(de))
	if err != nil {
		t.Fatal(err)
	}
	got := envs["DE"].Header.Created
	if want := time.Date(2025, 1, 2, 3, 4, 5, 123456000, time.UTC); got != want {
		t.Errorf("Created = %v, want %v", got, want)
	}
}

func TestSealErrors(t *testing.T) {
	fr, de, cn := newParty(t, "FR", 1), newParty(t, "DE", 2), newParty(t, "CN", 3)
	otherSuite, err := hpke.DHKEM(ecdhX25519()).GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		header  Header
		payload []byte
		signer  ed25519.PrivateKey
		keys    map[string]hpke.PublicKey
		want    error
	}{
		{"missing key", testHeader("FR", "DE", "CN"), nil, fr.signKey, keysOf(de), ErrUnknownRecipient},
		{"nil key", testHeader("FR", "DE"), nil, fr.signKey, map[string]hpke.PublicKey{"DE": nil}, ErrUnknownRecipient},
		{"wrong suite", testHeader("FR", "DE"), nil, fr.signKey, map[string]hpke.PublicKey{"DE": otherSuite.PublicKey()}, ErrKeyMismatch},
		{"bad signer", testHeader("FR", "DE"), nil, fr.signKey[:10], keysOf(de), ErrKeyMismatch},
		{"invalid header", Header{Sender: "FR", Recipients: []string{"DE"}}, nil, fr.signKey, keysOf(de), ErrMalformed},
		{"payload too large", testHeader("FR", "DE"), make([]byte, MaxPayloadSize+1), fr.signKey, keysOf(de), ErrTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			envs, err := Seal(tt.header, tt.payload, tt.signer, tt.keys)
			if !errors.Is(err, tt.want) || envs != nil {
				t.Errorf("Seal = %v, %v; want nil, %v", envs, err, tt.want)
			}
		})
	}
	// Extra keys are fine: callers may pass their whole keyring.
	if _, err := Seal(testHeader("FR", "DE"), nil, fr.signKey, keysOf(de, cn)); err != nil {
		t.Errorf("Seal with extra keys: %v", err)
	}
}

func TestSealCopiesAreIndependent(t *testing.T) {
	fr, de, cn := newParty(t, "FR", 1), newParty(t, "DE", 2), newParty(t, "CN", 3)
	envs := sealed(t, []byte("x"), fr, de, cn)
	envs["DE"].Header.Recipients[0] = "XX"
	envs["DE"].Signature[0] ^= 1
	if err := envs["CN"].Verify(fr.signPub); err != nil {
		t.Errorf("changing one envelope broke another: %v", err)
	}
}

// TestTamper changes each part of an envelope and checks that Verify or
// Open (whichever is meant to catch it) refuses it with the right error.
func TestTamper(t *testing.T) {
	fr, de, cn := newParty(t, "FR", 1), newParty(t, "DE", 2), newParty(t, "CN", 3)
	mallory := newParty(t, "FR", 9) // claims to be FR with another key
	payload := []byte("the suspect's account is 12345")
	tests := []struct {
		name       string
		tamper     func(e *Envelope)
		verifyWith ed25519.PublicKey
		openWith   hpke.PrivateKey
		verifyErr  error // nil: Verify must succeed, and Open is checked
		openErr    error
	}{
		{name: "untouched", tamper: func(*Envelope) {}},
		{name: "type changed", tamper: func(e *Envelope) { e.Header.Type = "request.cancel" }, verifyErr: ErrBadSignature},
		{name: "sender changed", tamper: func(e *Envelope) { e.Header.Sender = "GB" }, verifyErr: ErrBadSignature},
		{name: "recipient dropped", tamper: func(e *Envelope) { e.Header.Recipients = []string{"DE"} }, verifyErr: ErrBadSignature},
		{name: "created changed", tamper: func(e *Envelope) { e.Header.Created = e.Header.Created.Add(time.Hour) }, verifyErr: ErrBadSignature},
		{name: "id changed", tamper: func(e *Envelope) { e.Header.ID = NewID() }, verifyErr: ErrBadSignature},
		{name: "exercise flag changed", tamper: func(e *Envelope) { e.Header.Exercise = true }, verifyErr: ErrBadSignature},
		{name: "marking changed", tamper: func(e *Envelope) { e.Header.Marking = "TLP:CLEAR" }, verifyErr: ErrBadSignature},
		{name: "attachment changed", tamper: func(e *Envelope) { e.Header.Attachments[0].Size++ }, verifyErr: ErrBadSignature},
		{name: "payload digest changed", tamper: func(e *Envelope) { e.Header.PayloadSHA256 = strings.Repeat("0", 64) }, verifyErr: ErrBadSignature},
		{name: "sender key id changed", tamper: func(e *Envelope) { e.Header.SenderKeyID = KeyID(mallory.signPub) }, verifyErr: ErrKeyMismatch},
		{name: "header invalid", tamper: func(e *Envelope) { e.Header.Type = "BAD TYPE" }, verifyErr: ErrMalformed},
		{name: "signature flipped", tamper: func(e *Envelope) { e.Signature[10] ^= 0x40 }, verifyErr: ErrBadSignature},
		{name: "signature truncated", tamper: func(e *Envelope) { e.Signature = e.Signature[:63] }, verifyErr: ErrMalformed},
		{name: "wrong sender key", tamper: func(*Envelope) {}, verifyWith: mallory.signPub, verifyErr: ErrKeyMismatch},
		{name: "bad sender key", tamper: func(*Envelope) {}, verifyWith: mallory.signPub[:31], verifyErr: ErrKeyMismatch},
		{name: "ciphertext flipped", tamper: func(e *Envelope) { e.Ciphertext[3] ^= 1 }, openErr: ErrDecrypt},
		{name: "tag flipped", tamper: func(e *Envelope) { e.Ciphertext[len(e.Ciphertext)-1] ^= 1 }, openErr: ErrDecrypt},
		{name: "enc flipped", tamper: func(e *Envelope) { e.Enc[0] ^= 1 }, openErr: ErrDecrypt},
		{name: "ciphertext truncated", tamper: func(e *Envelope) { e.Ciphertext = e.Ciphertext[:5] }, verifyErr: ErrMalformed},
		{name: "recipient relabelled", tamper: func(e *Envelope) { e.Recipient = "CN" }, openErr: ErrDecrypt},
		{name: "recipient not addressed", tamper: func(e *Envelope) { e.Recipient = "GB" }, verifyErr: ErrMalformed},
		{name: "wrong recipient key", tamper: func(*Envelope) {}, openWith: cn.encKey, openErr: ErrDecrypt},
		{name: "ciphertext of another copy", tamper: func(e *Envelope) {
			other := sealed(t, payload, fr, de, cn)["CN"]
			e.Enc, e.Ciphertext = other.Enc, other.Ciphertext
		}, openErr: ErrDecrypt},
		{name: "substituted payload", tamper: func(e *Envelope) {
			// Anyone can encrypt to DE's public key under the signed
			// header; only the signed digest stops this.
			fake := []byte("the suspect's account is 99999")
			enc, s, err := hpke.NewSender(de.encPub, suiteKDF, suiteAEAD, envelopeInfo(e.Header.encode()))
			if err != nil {
				t.Fatal(err)
			}
			ct, _ := s.Seal([]byte("DE"), fake)
			e.Enc, e.Ciphertext = enc, ct
		}, openErr: ErrDecrypt},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := sealed(t, payload, fr, de, cn)["DE"]
			tt.tamper(env)
			pub := fr.signPub
			if tt.verifyWith != nil {
				pub = tt.verifyWith
			}
			err := env.Verify(pub)
			if !errors.Is(err, tt.verifyErr) || (err == nil) != (tt.verifyErr == nil) {
				t.Fatalf("Verify = %v, want %v", err, tt.verifyErr)
			}
			if tt.verifyErr != nil {
				return
			}
			key := de.encKey
			if tt.openWith != nil {
				key = tt.openWith
			}
			pt, err := env.Open(key)
			if (err == nil) != (tt.openErr == nil) || !errors.Is(err, tt.openErr) {
				t.Fatalf("Open = %v, want %v", err, tt.openErr)
			}
			if err == nil && !bytes.Equal(pt, payload) {
				t.Errorf("Open = %q, want %q", pt, payload)
			}
		})
	}
}

func TestOpenWrongSuiteKey(t *testing.T) {
	fr, de := newParty(t, "FR", 1), newParty(t, "DE", 2)
	env := sealed(t, []byte("x"), fr, de)["DE"]
	k, err := hpke.MLKEM768().GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []hpke.PrivateKey{k, nil} {
		if _, err := env.Open(key); !errors.Is(err, ErrKeyMismatch) {
			t.Errorf("Open(%T) = %v, want ErrKeyMismatch", key, err)
		}
	}
}

func TestDecodeRejects(t *testing.T) {
	fr, de := newParty(t, "FR", 1), newParty(t, "DE", 2)
	env := sealed(t, []byte("payload"), fr, de)["DE"]
	good, err := env.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	g := string(good)
	tests := []struct {
		name  string
		input string
		want  error
		field string
	}{
		{"empty", "", ErrMalformed, ""},
		{"not JSON", "{", ErrMalformed, ""},
		{"array", "[]", ErrMalformed, ""},
		{"unknown field", strings.Replace(g, `"recipient":`, `"to":"DE","recipient":`, 1), ErrMalformed, ""},
		{"unknown header field", strings.Replace(g, `{"header":{`, `{"header":{"x":1,`, 1), ErrMalformed, ""},
		{"trailing data", g + " {}", ErrMalformed, ""},
		{"trailing newline", g + "\n", ErrMalformed, ""},
		{"pretty printed", strings.Replace(g, `,"enc":`, `, "enc":`, 1), ErrMalformed, ""},
		{"base64 unpadded", strings.Replace(g, `=="`, `"`, 1), ErrMalformed, ""},
		{"invalid header field", strings.Replace(g, `"sender":"FR"`, `"sender":"fr"`, 1), ErrMalformed, "header.sender"},
		{"bad time", strings.Replace(g, `.535897Z`, `Z`, 1), ErrMalformed, "header.created"},
		{"recipient missing", strings.Replace(g, `"recipient":"DE",`, ``, 1), ErrMalformed, "recipient"},
		{"enc missing", strings.Replace(g, `"enc":`, `"enc":null,"x":`, 1), ErrMalformed, ""},
		{"too large", g + strings.Repeat(" ", MaxEnvelopeSize), ErrTooLarge, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Decode(strings.NewReader(tt.input))
			if !errors.Is(err, tt.want) {
				t.Fatalf("Decode = %v, want %v", err, tt.want)
			}
			if tt.field == "" {
				return
			}
			for _, fe := range FieldErrors(err) {
				if fe.Field == tt.field {
					return
				}
			}
			t.Errorf("Decode = %v; no error for field %q", err, tt.field)
		})
	}
	if _, err := Unmarshal(good); err != nil {
		t.Errorf("Unmarshal(good) = %v", err)
	}
}

// TestMaxSizes builds a header and an envelope at every limit, with the
// characters that grow most when escaped, and checks that they still fit
// MaxHeaderSize and MaxEnvelopeSize: otherwise valid envelopes would be
// refused.
func TestMaxSizes(t *testing.T) {
	h := validHeader()
	h.Recipients = nil
	for i := range MaxRecipients {
		h.Recipients = append(h.Recipients, strings.Repeat("X", MaxPartyCodeLen-2)+string(rune('A'+i/26))+string(rune('A'+i%26)))
	}
	h.Type = strings.Repeat("t", MaxTypeLen)
	h.Conversation = strings.Repeat("\u2028", MaxConversationLen/3) // 3 bytes, escaped to 6
	h.Marking = strings.Repeat(`"`, MaxMarkingLen)                  // escaped to 2 bytes
	h.Attachments = nil
	for i := range MaxAttachments {
		h.Attachments = append(h.Attachments, AttachmentRef{
			Name:   strings.Repeat("\u2028", MaxAttachmentNameLen/3-1) + string(rune('a'+i/26)) + string(rune('a'+i%26)),
			Size:   MaxAttachmentSize,
			SHA256: strings.Repeat("f", 64),
		})
	}
	h.Created = time.Date(9999, 12, 31, 23, 59, 59, 999999000, time.UTC)
	h.PayloadSize = MaxPayloadSize
	canon, err := h.Canonical()
	if err != nil {
		t.Fatalf("largest header: %v", err)
	}
	t.Logf("largest header: %d bytes of %d", len(canon), MaxHeaderSize)

	env := &Envelope{
		Header:     h,
		Recipient:  h.Recipients[0],
		Signature:  make([]byte, ed25519.SignatureSize),
		Enc:        make([]byte, encSize),
		Ciphertext: make([]byte, MaxPayloadSize+aeadOverhead),
	}
	b, err := env.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("largest envelope: %d bytes of %d", len(b), MaxEnvelopeSize)
	if _, err := Unmarshal(b); err != nil {
		t.Fatalf("largest envelope does not decode: %v", err)
	}
}

func TestHashIsOfSignedHeader(t *testing.T) {
	fr, de, cn := newParty(t, "FR", 1), newParty(t, "DE", 2), newParty(t, "CN", 3)
	envs := sealed(t, []byte("x"), fr, de, cn)
	if envs["DE"].Hash() != envs["CN"].Hash() {
		t.Error("copies of one signed envelope for different recipients have different hashes")
	}
	if envs["DE"].Hash() != envs["DE"].Signed().Hash() {
		t.Error("Envelope.Hash differs from Signed.Hash")
	}
	h := envs["DE"].Hash()
	envs["DE"].Ciphertext[0] ^= 1
	if envs["DE"].Hash() != h {
		t.Error("hash covers the ciphertext")
	}
	envs["DE"].Signature[0] ^= 1
	if envs["DE"].Hash() == h {
		t.Error("hash does not cover the signature")
	}
	other := sealed(t, []byte("y"), fr, de, cn)
	if other["DE"].Hash() == envs["CN"].Hash() {
		t.Error("hash does not cover the header (payload digest)")
	}
}

func TestKeyRoundTrip(t *testing.T) {
	k, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	kb, err := MarshalPrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	pb, err := MarshalPublicKey(k.PublicKey())
	if err != nil {
		t.Fatal(err)
	}
	k2, err := ParsePrivateKey(kb)
	if err != nil {
		t.Fatal(err)
	}
	p2, err := ParsePublicKey(pb)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(k2.PublicKey().Bytes(), pb) || !bytes.Equal(p2.Bytes(), pb) {
		t.Error("keys changed in a round trip")
	}
	// A key parsed back still opens what was sealed to the original.
	fr := newParty(t, "FR", 1)
	envs, err := Seal(testHeader("FR", "DE"), []byte("x"), fr.signKey, map[string]hpke.PublicKey{"DE": p2})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := envs["DE"].Open(k2); err != nil {
		t.Errorf("Open with parsed key: %v", err)
	}
	for _, bad := range [][]byte{nil, kb[:5], append(pb, 0)} {
		if _, err := ParsePublicKey(bad); !errors.Is(err, ErrMalformed) {
			t.Errorf("ParsePublicKey(%d bytes) = %v, want ErrMalformed", len(bad), err)
		}
	}
	if _, err := ParsePrivateKey(kb[:5]); !errors.Is(err, ErrMalformed) {
		t.Errorf("ParsePrivateKey(short) = %v, want ErrMalformed", err)
	}
	other, _ := hpke.MLKEM768().GenerateKey()
	if _, err := MarshalPrivateKey(other); !errors.Is(err, ErrKeyMismatch) {
		t.Errorf("MarshalPrivateKey(other suite) = %v, want ErrKeyMismatch", err)
	}
	if _, err := MarshalPublicKey(other.PublicKey()); !errors.Is(err, ErrKeyMismatch) {
		t.Errorf("MarshalPublicKey(other suite) = %v, want ErrKeyMismatch", err)
	}
}

func TestEncSize(t *testing.T) {
	// encSize is a constant for MaxEnvelopeSize; check it against the KEM.
	enc, _, err := hpke.NewSender(newParty(t, "DE", 2).encPub, suiteKDF, suiteAEAD, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(enc) != encSize {
		t.Errorf("len(enc) = %d, encSize = %d", len(enc), encSize)
	}
}

func BenchmarkSealOpen(b *testing.B) {
	fr, de := newParty(b, "FR", 1), newParty(b, "DE", 2)
	payload := make([]byte, 1024)
	rand.Read(payload)
	h := testHeader("FR", "DE")
	keys := keysOf(de)
	b.SetBytes(int64(len(payload)))
	for b.Loop() {
		envs, err := Seal(h, payload, fr.signKey, keys)
		if err != nil {
			b.Fatal(err)
		}
		wire, err := envs["DE"].Marshal()
		if err != nil {
			b.Fatal(err)
		}
		env, err := Unmarshal(wire)
		if err != nil {
			b.Fatal(err)
		}
		if err := env.Verify(fr.signPub); err != nil {
			b.Fatal(err)
		}
		if _, err := env.Open(de.encKey); err != nil {
			b.Fatal(err)
		}
	}
}
