package envelope

import (
	"bytes"
	"crypto/ed25519"
	"crypto/hpke"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"slices"
)

// Envelope is what travels to one recipient: the signed header, shared by
// all recipients, and the payload encrypted to this recipient alone.
type Envelope struct {
	Header Header
	// Recipient is the party this copy is encrypted to; it must be one of
	// Header.Recipients. It is not signed, but it is bound to the
	// ciphertext as HPKE associated data, so Open fails if it was changed.
	// A receiving node checks it names itself.
	Recipient string
	// Signature is the sender's Ed25519 signature over envelopeSigPrefix
	// followed by the canonical header.
	Signature []byte
	// Enc is the HPKE encapsulated key for Recipient.
	Enc []byte
	// Ciphertext is the payload, sealed with HPKE to Recipient with info
	// envelopeInfoPrefix followed by the canonical header.
	Ciphertext []byte
}

// wireEnvelope is the JSON wire form of an Envelope. Byte fields are
// standard padded base64, as encoding/json writes them. The encoding is
// deterministic for the reasons given at wireHeader, and Unmarshal accepts
// only that encoding, so an envelope has exactly one wire form and one Hash.
type wireEnvelope struct {
	Header     wireHeader `json:"header"`
	Recipient  string     `json:"recipient"`
	Signature  []byte     `json:"signature"`
	Enc        []byte     `json:"enc"`
	Ciphertext []byte     `json:"ciphertext"`
}

// Seal fills in the payload digest, payload size and sender key ID of h,
// normalizes h.Created to UTC with microsecond precision, validates h,
// signs it once with signer, and encrypts payload separately to each party
// in h.Recipients, whose public keys are looked up in recipients (which may
// hold more keys than needed). It returns one envelope per recipient,
// keyed by party code.
//
// The caller sets h.ID (from NewID), so that it can record the ID before
// sending. If any recipient has no key, or a key of the wrong suite, Seal
// returns ErrUnknownRecipient or ErrKeyMismatch and no envelope at all.
func Seal(h Header, payload []byte, signer ed25519.PrivateKey, recipients map[string]hpke.PublicKey) (map[string]*Envelope, error) {
	if len(signer) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("envelope: seal: %w: signing key is %d bytes, want %d", ErrKeyMismatch, len(signer), ed25519.PrivateKeySize)
	}
	if len(payload) > MaxPayloadSize {
		return nil, fmt.Errorf("envelope: seal: %w: payload is %d bytes, limit %d", ErrTooLarge, len(payload), MaxPayloadSize)
	}
	signed, err := Sign(h, payload, signer)
	if err != nil {
		return nil, fmt.Errorf("envelope: seal: %w", err)
	}
	h = signed.Header
	canon := h.encode()
	keys := make([]hpke.PublicKey, len(h.Recipients))
	for i, r := range h.Recipients {
		pub, ok := recipients[r]
		if !ok || pub == nil {
			return nil, fmt.Errorf("envelope: seal: %w %s", ErrUnknownRecipient, r)
		}
		if err := checkKEM(pub); err != nil {
			return nil, fmt.Errorf("envelope: seal: recipient %s: %w", r, err)
		}
		keys[i] = pub
	}

	sig := signed.Signature
	info := envelopeInfo(canon)
	out := make(map[string]*Envelope, len(h.Recipients))
	for i, r := range h.Recipients {
		enc, s, err := hpke.NewSender(keys[i], suiteKDF, suiteAEAD, info)
		if err != nil {
			return nil, fmt.Errorf("envelope: seal: recipient %s: %w", r, err)
		}
		ct, err := s.Seal([]byte(r), payload)
		if err != nil {
			return nil, fmt.Errorf("envelope: seal: recipient %s: %w", r, err)
		}
		// Each envelope gets its own copies, so that changing one cannot
		// change another.
		hc := h
		hc.Recipients = slices.Clone(h.Recipients)
		hc.Attachments = slices.Clone(h.Attachments)
		out[r] = &Envelope{
			Header:     hc,
			Recipient:  r,
			Signature:  slices.Clone(sig),
			Enc:        enc,
			Ciphertext: ct,
		}
	}
	return out, nil
}

// Verify checks that e is well formed, that its header names sender's key,
// and that the signature over the header verifies under sender. It does no
// decryption and costs one Ed25519 verification, so it comes before any
// expensive work on a message from a peer.
//
// Verify does not check that e.Recipient is the caller's party, that
// e.Header.Sender is the party whose key sender is, or that e is fresh and
// not a duplicate; the caller does.
func (e *Envelope) Verify(sender ed25519.PublicKey) error {
	if err := e.validate(); err != nil {
		return fmt.Errorf("envelope: verify: %w", err)
	}
	return verifyHeader(e.Header, e.Header.encode(), e.Signature, sender)
}

// Signed returns the envelope's signed header, its identity apart from
// the encryption.
func (e *Envelope) Signed() *Signed {
	return &Signed{Header: e.Header, Signature: slices.Clone(e.Signature)}
}

// Open decrypts the payload with the recipient's private key and checks it
// against the digest and size in the header.
//
// Requires a successful Verify first: HPKE base mode does not authenticate
// the sender, so only the signed digest in the header ties the payload to
// the sender. Open fails with ErrDecrypt if the ciphertext was not sealed
// to this key with this header and recipient, or if it decrypts to a
// payload other than the one the header describes.
func (e *Envelope) Open(recipient hpke.PrivateKey) ([]byte, error) {
	if err := checkKEM(recipient); err != nil {
		return nil, fmt.Errorf("envelope: open: %w", err)
	}
	if err := e.validate(); err != nil {
		return nil, fmt.Errorf("envelope: open: %w", err)
	}
	r, err := hpke.NewRecipient(e.Enc, recipient, suiteKDF, suiteAEAD, envelopeInfo(e.Header.encode()))
	if err != nil {
		return nil, fmt.Errorf("envelope: open: %w: %w", ErrDecrypt, err)
	}
	payload, err := r.Open([]byte(e.Recipient), e.Ciphertext)
	if err != nil {
		return nil, fmt.Errorf("envelope: open: %w: %w", ErrDecrypt, err)
	}
	sum := sha256.Sum256(payload)
	if int64(len(payload)) != e.Header.PayloadSize || hex.EncodeToString(sum[:]) != e.Header.PayloadSHA256 {
		return nil, fmt.Errorf("envelope: open: %w: payload does not match the signed digest", ErrDecrypt)
	}
	return payload, nil
}

// Hash returns the envelope hash of the signed header (see Signed.Hash),
// which receipts carry to say which envelope was delivered. It does not
// cover the encryption, so the same signed envelope has the same hash
// whether it travelled alone or in a batch.
func (e *Envelope) Hash() string { return envelopeHash(e.Header.encode(), e.Signature) }

// Marshal returns the canonical wire encoding of a well-formed envelope.
func (e *Envelope) Marshal() ([]byte, error) {
	if err := e.validate(); err != nil {
		return nil, fmt.Errorf("envelope: marshal: %w", err)
	}
	return e.encode(), nil
}

// Decode reads one envelope from r, reading at most MaxEnvelopeSize bytes
// (one more to detect excess), and parses it as Unmarshal does.
func Decode(r io.Reader) (*Envelope, error) {
	b, err := readLimited(r, MaxEnvelopeSize)
	if err != nil {
		return nil, fmt.Errorf("envelope: decode: %w", err)
	}
	return Unmarshal(b)
}

// Unmarshal parses the canonical wire encoding of an envelope and checks
// that it is well formed: size within MaxEnvelopeSize, no unknown fields,
// no trailing data, a valid header, and consistent field lengths. It
// accepts only the canonical encoding, as produced by Marshal. It does not
// verify the signature: call Verify next.
func Unmarshal(b []byte) (*Envelope, error) {
	if len(b) > MaxEnvelopeSize {
		return nil, fmt.Errorf("envelope: decode: %w: %d bytes, limit %d", ErrTooLarge, len(b), MaxEnvelopeSize)
	}
	var w wireEnvelope
	if err := decodeStrict(b, &w); err != nil {
		return nil, fmt.Errorf("envelope: decode: %w", err)
	}
	h, err := w.Header.header("header.")
	if err != nil {
		return nil, fmt.Errorf("envelope: decode: %w", err)
	}
	e := &Envelope{
		Header:     h,
		Recipient:  w.Recipient,
		Signature:  w.Signature,
		Enc:        w.Enc,
		Ciphertext: w.Ciphertext,
	}
	if err := e.validate(); err != nil {
		return nil, fmt.Errorf("envelope: decode: %w", err)
	}
	if !bytes.Equal(e.encode(), b) {
		return nil, fmt.Errorf("envelope: decode: %w: not in canonical form", ErrMalformed)
	}
	return e, nil
}

// validate checks the header and the consistency of the other fields with
// it, without any cryptography.
func (e *Envelope) validate() error {
	if e == nil {
		return fmt.Errorf("%w: nil envelope", ErrMalformed)
	}
	f := fieldErrs{prefix: "header."}
	e.Header.validate(&f)
	f.prefix = ""
	if checkParty(&f, "recipient", e.Recipient) && !slices.Contains(e.Header.Recipients, e.Recipient) {
		f.add("recipient", "not among the header's recipients")
	}
	if len(e.Signature) != ed25519.SignatureSize {
		f.add("signature", fmt.Sprintf("must be %d bytes", ed25519.SignatureSize))
	}
	if len(e.Enc) != encSize {
		f.add("enc", fmt.Sprintf("must be %d bytes", encSize))
	}
	if int64(len(e.Ciphertext)) != e.Header.PayloadSize+aeadOverhead {
		f.add("ciphertext", "length does not match header.payload_size")
	}
	if err := f.err(); err != nil {
		return fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	if n := len(e.Header.encode()); n > MaxHeaderSize {
		return fmt.Errorf("%w: header is %d bytes, limit %d", ErrTooLarge, n, MaxHeaderSize)
	}
	return nil
}

func (e *Envelope) encode() []byte {
	return encodeJSON(wireEnvelope{
		Header:     e.Header.wire(),
		Recipient:  e.Recipient,
		Signature:  e.Signature,
		Enc:        e.Enc,
		Ciphertext: e.Ciphertext,
	})
}

// signedMessage returns prefix || msg: the bytes an Ed25519 signature covers.
// The prefix keeps an envelope signature from ever verifying as a receipt
// or any other message signed with the same key.
//
// SPEC: RFC 8032 section 5.1 (pure Ed25519, as crypto/ed25519 implements).
func signedMessage(prefix string, msg []byte) []byte {
	return append([]byte(prefix), msg...)
}

// envelopeInfo returns the HPKE info of an envelope's payload, which binds
// the ciphertext to the exact header it was sealed under.
func envelopeInfo(canonicalHeader []byte) []byte {
	return append([]byte(envelopeInfoPrefix), canonicalHeader...)
}
