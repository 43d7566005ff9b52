package envelope

import (
	"crypto/ed25519"
	"crypto/hpke"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"slices"
	"time"
)

// Signed is an envelope's identity: the canonical header and the sender's
// Ed25519 signature over it. The header carries the payload's SHA-256 and
// size, so a Signed is the sender's non-repudiable statement of what it
// sent, whatever encryption carried the payload. Its Hash is what receipts
// name; it does not depend on the ciphertext, so an envelope re-encrypted
// in another batch keeps its hash.
type Signed struct {
	Header Header
	// Signature is the sender's Ed25519 signature over envelopeSigPrefix
	// followed by the canonical header.
	Signature []byte
}

// Sign fills in the payload digest, payload size and sender key ID of h,
// normalizes h.Created to UTC with microsecond precision, validates h and
// signs it. Ed25519 signatures are deterministic: signing the same header
// and payload again gives the same bytes.
func Sign(h Header, payload []byte, signer ed25519.PrivateKey) (*Signed, error) {
	if len(signer) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("envelope: sign: %w: signing key is %d bytes, want %d", ErrKeyMismatch, len(signer), ed25519.PrivateKeySize)
	}
	if len(payload) > MaxPayloadSize {
		return nil, fmt.Errorf("envelope: sign: %w: payload is %d bytes, limit %d", ErrTooLarge, len(payload), MaxPayloadSize)
	}
	sum := sha256.Sum256(payload)
	h.PayloadSHA256 = hex.EncodeToString(sum[:])
	h.PayloadSize = int64(len(payload))
	h.SenderKeyID = KeyID(signer.Public().(ed25519.PublicKey))
	if !h.Created.IsZero() {
		h.Created = h.Created.UTC().Truncate(time.Microsecond)
	}
	canon, err := h.Canonical()
	if err != nil {
		return nil, fmt.Errorf("envelope: sign: %w", err)
	}
	return &Signed{Header: h, Signature: ed25519.Sign(signer, signedMessage(envelopeSigPrefix, canon))}, nil
}

// Verify checks that s is well formed, that its header names sender's key,
// and that the signature verifies under sender: one Ed25519 verification.
// It does not check who the recipients are, freshness or duplicates.
func (s *Signed) Verify(sender ed25519.PublicKey) error {
	if err := s.validate(); err != nil {
		return fmt.Errorf("envelope: verify: %w", err)
	}
	return verifyHeader(s.Header, s.Header.encode(), s.Signature, sender)
}

func verifyHeader(h Header, canon, sig []byte, sender ed25519.PublicKey) error {
	if len(sender) != ed25519.PublicKeySize {
		return fmt.Errorf("envelope: verify: %w: public key is %d bytes, want %d", ErrKeyMismatch, len(sender), ed25519.PublicKeySize)
	}
	if id := KeyID(sender); id != h.SenderKeyID {
		return fmt.Errorf("envelope: verify: %w: envelope is signed by key %s, not %s", ErrKeyMismatch, h.SenderKeyID, id)
	}
	if !ed25519.Verify(sender, signedMessage(envelopeSigPrefix, canon), sig) {
		return fmt.Errorf("envelope: verify: %w", ErrBadSignature)
	}
	return nil
}

// Hash returns the envelope hash: the hex SHA-256 of envelopeHashPrefix,
// the canonical header and the signature. Receipts carry it to say which
// signed envelope was delivered; since the header signs the payload's
// digest, it names the content too.
func (s *Signed) Hash() string { return envelopeHash(s.Header.encode(), s.Signature) }

func envelopeHash(canon, sig []byte) string {
	h := sha256.New()
	h.Write([]byte(envelopeHashPrefix))
	h.Write(canon)
	h.Write(sig)
	return hex.EncodeToString(h.Sum(nil))
}

// Marshal returns the wire encoding of a well-formed Signed:
//
//	u32 length of the header | canonical header | 64-byte signature
//
// (big-endian), which is how outboxes and inboxes store it.
func (s *Signed) Marshal() ([]byte, error) {
	if err := s.validate(); err != nil {
		return nil, fmt.Errorf("envelope: marshal signed: %w", err)
	}
	return appendSigned(nil, s.Header.encode(), s.Signature), nil
}

func appendSigned(b, canon, sig []byte) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(len(canon)))
	b = append(b, canon...)
	return append(b, sig...)
}

// UnmarshalSigned parses what Signed.Marshal produces, and nothing else.
// It does not verify the signature.
func UnmarshalSigned(b []byte) (*Signed, error) {
	s, rest, err := parseSigned(b)
	if err != nil {
		return nil, fmt.Errorf("envelope: decode signed: %w", err)
	}
	if len(rest) != 0 {
		return nil, fmt.Errorf("envelope: decode signed: %w: %d bytes of trailing data", ErrMalformed, len(rest))
	}
	return s, nil
}

// parseSigned reads a Signed from the front of b and returns the rest.
func parseSigned(b []byte) (*Signed, []byte, error) {
	if len(b) < 4 {
		return nil, nil, fmt.Errorf("%w: truncated header length", ErrMalformed)
	}
	n := binary.BigEndian.Uint32(b)
	b = b[4:]
	if n > MaxHeaderSize {
		return nil, nil, fmt.Errorf("%w: header is %d bytes, limit %d", ErrTooLarge, n, MaxHeaderSize)
	}
	if uint64(len(b)) < uint64(n)+ed25519.SignatureSize {
		return nil, nil, fmt.Errorf("%w: truncated header or signature", ErrMalformed)
	}
	h, err := ParseHeader(b[:n])
	if err != nil {
		return nil, nil, err
	}
	s := &Signed{Header: h, Signature: slices.Clone(b[n : n+ed25519.SignatureSize])}
	return s, b[n+ed25519.SignatureSize:], nil
}

func (s *Signed) validate() error {
	if s == nil {
		return fmt.Errorf("%w: nil envelope", ErrMalformed)
	}
	f := fieldErrs{prefix: "header."}
	s.Header.validate(&f)
	f.prefix = ""
	if len(s.Signature) != ed25519.SignatureSize {
		f.add("signature", fmt.Sprintf("must be %d bytes", ed25519.SignatureSize))
	}
	if err := f.err(); err != nil {
		return fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	if n := len(s.Header.encode()); n > MaxHeaderSize {
		return fmt.Errorf("%w: header is %d bytes, limit %d", ErrTooLarge, n, MaxHeaderSize)
	}
	return nil
}

// A batch carries several envelopes from one sender to one recipient
// under a single HPKE context: one X-Wing encapsulation per batch instead
// of one per envelope. Each envelope keeps its own signature (so its
// non-repudiation does not depend on the batch) and its payload is sealed
// with the context's AEAD, whose nonce advances with every envelope
// (SPEC: RFC 9180 section 5.2, Sender.Seal/Recipient.Open in order). The
// associated data of each payload is its canonical header and signature,
// so a ciphertext cannot be moved under another header; the sequence
// number binds its position, so envelopes cannot be reordered, dropped
// from the middle or repeated within a batch without the rest failing to
// open. The context's info binds the batch ID, sender and recipient.

// BatchHeader opens a batch.
type BatchHeader struct {
	// ID is fresh for every batch (NewID); batch receipts name it, so a
	// receipt for one batch is not taken for the answer to another.
	ID        string
	Sender    string
	Recipient string
	// Enc is the HPKE encapsulated key of the batch's context.
	Enc []byte
}

// Marshal returns the wire encoding of a valid batch header:
//
//	16-byte ID | u8 length, sender | u8 length, recipient | encapsulated key
func (b BatchHeader) Marshal() ([]byte, error) {
	if err := b.validate(); err != nil {
		return nil, fmt.Errorf("envelope: marshal batch header: %w", err)
	}
	id, _ := hex.DecodeString(b.ID)
	out := make([]byte, 0, 16+2+len(b.Sender)+len(b.Recipient)+len(b.Enc))
	out = append(out, id...)
	out = append(out, byte(len(b.Sender)))
	out = append(out, b.Sender...)
	out = append(out, byte(len(b.Recipient)))
	out = append(out, b.Recipient...)
	return append(out, b.Enc...), nil
}

// MaxBatchHeaderSize bounds the wire encoding of a batch header.
const MaxBatchHeaderSize = 16 + 2 + 2*MaxPartyCodeLen + encSize

// UnmarshalBatchHeader parses what BatchHeader.Marshal produces, and
// nothing else.
func UnmarshalBatchHeader(b []byte) (BatchHeader, error) {
	if len(b) > MaxBatchHeaderSize {
		return BatchHeader{}, fmt.Errorf("envelope: decode batch header: %w: %d bytes, limit %d", ErrTooLarge, len(b), MaxBatchHeaderSize)
	}
	var h BatchHeader
	rest := b
	take := func(n int) ([]byte, bool) {
		if len(rest) < n {
			return nil, false
		}
		v := rest[:n]
		rest = rest[n:]
		return v, true
	}
	id, ok := take(16)
	if !ok {
		return BatchHeader{}, fmt.Errorf("envelope: decode batch header: %w: truncated", ErrMalformed)
	}
	h.ID = hex.EncodeToString(id)
	for _, p := range []*string{&h.Sender, &h.Recipient} {
		l, ok := take(1)
		if !ok {
			return BatchHeader{}, fmt.Errorf("envelope: decode batch header: %w: truncated", ErrMalformed)
		}
		v, ok := take(int(l[0]))
		if !ok {
			return BatchHeader{}, fmt.Errorf("envelope: decode batch header: %w: truncated", ErrMalformed)
		}
		*p = string(v)
	}
	h.Enc = slices.Clone(rest)
	if err := h.validate(); err != nil {
		return BatchHeader{}, fmt.Errorf("envelope: decode batch header: %w", err)
	}
	return h, nil
}

func (b BatchHeader) validate() error {
	var f fieldErrs
	checkHex(&f, "batch.id", b.ID, 16)
	checkParty(&f, "batch.sender", b.Sender)
	checkParty(&f, "batch.recipient", b.Recipient)
	if b.Sender == b.Recipient && b.Sender != "" {
		f.add("batch.recipient", "the sender cannot be the recipient")
	}
	if len(b.Enc) != encSize {
		f.add("batch.enc", fmt.Sprintf("must be %d bytes", encSize))
	}
	if err := f.err(); err != nil {
		return fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	return nil
}

func (b BatchHeader) info() []byte {
	return []byte(batchInfoPrefix + b.ID + "\n" + b.Sender + "\n" + b.Recipient)
}

// BatchEnvelope is one envelope of a batch: the signed header and the
// payload sealed under the batch's context.
type BatchEnvelope struct {
	Signed
	Ciphertext []byte
}

// Marshal returns the wire encoding of a well-formed batch envelope:
// Signed.Marshal followed by the ciphertext, whose length the header's
// payload size fixes.
func (e *BatchEnvelope) Marshal() ([]byte, error) {
	if err := e.validate(); err != nil {
		return nil, fmt.Errorf("envelope: marshal batch envelope: %w", err)
	}
	canon := e.Header.encode()
	b := make([]byte, 0, 4+len(canon)+len(e.Signature)+len(e.Ciphertext))
	b = appendSigned(b, canon, e.Signature)
	return append(b, e.Ciphertext...), nil
}

// UnmarshalBatchEnvelope parses what BatchEnvelope.Marshal produces, and
// nothing else, within MaxEnvelopeSize. It neither verifies nor decrypts.
func UnmarshalBatchEnvelope(b []byte) (*BatchEnvelope, error) {
	if len(b) > MaxEnvelopeSize {
		return nil, fmt.Errorf("envelope: decode batch envelope: %w: %d bytes, limit %d", ErrTooLarge, len(b), MaxEnvelopeSize)
	}
	s, rest, err := parseSigned(b)
	if err != nil {
		return nil, fmt.Errorf("envelope: decode batch envelope: %w", err)
	}
	e := &BatchEnvelope{Signed: *s, Ciphertext: slices.Clone(rest)}
	if err := e.validate(); err != nil {
		return nil, fmt.Errorf("envelope: decode batch envelope: %w", err)
	}
	return e, nil
}

func (e *BatchEnvelope) validate() error {
	if e == nil {
		return fmt.Errorf("%w: nil envelope", ErrMalformed)
	}
	if err := e.Signed.validate(); err != nil {
		return err
	}
	if int64(len(e.Ciphertext)) != e.Header.PayloadSize+aeadOverhead {
		return fmt.Errorf("%w: %w", ErrMalformed, &FieldError{Field: "ciphertext", Reason: "length does not match header.payload_size"})
	}
	return nil
}

// batchAAD is the associated data of an envelope's payload in a batch.
func batchAAD(canon, sig []byte) []byte {
	b := make([]byte, 0, len(canon)+len(sig))
	return append(append(b, canon...), sig...)
}

// BatchSealer seals the envelopes of one batch, in order.
type BatchSealer struct {
	hdr BatchHeader
	s   *hpke.Sender
	n   int
}

// NewBatchSealer starts a batch from sender to recipient, whose public
// key is pub: one HPKE encapsulation. id must be fresh (NewID).
func NewBatchSealer(id, sender, recipient string, pub hpke.PublicKey) (*BatchSealer, error) {
	if err := checkKEM(pub); err != nil {
		return nil, fmt.Errorf("envelope: new batch: %w", err)
	}
	hdr := BatchHeader{ID: id, Sender: sender, Recipient: recipient, Enc: make([]byte, encSize)}
	if err := hdr.validate(); err != nil {
		return nil, fmt.Errorf("envelope: new batch: %w", err)
	}
	enc, s, err := hpke.NewSender(pub, suiteKDF, suiteAEAD, hdr.info())
	if err != nil {
		return nil, fmt.Errorf("envelope: new batch: %w", err)
	}
	hdr.Enc = enc
	return &BatchSealer{hdr: hdr, s: s}, nil
}

// Header returns the batch header, which travels before the envelopes.
func (b *BatchSealer) Header() BatchHeader { return b.hdr }

// Seal encrypts payload, which must be the one s signs for, as the next
// envelope of the batch. s must be from the batch's sender and addressed
// (among others) to its recipient.
func (b *BatchSealer) Seal(s *Signed, payload []byte) (*BatchEnvelope, error) {
	if err := s.validate(); err != nil {
		return nil, fmt.Errorf("envelope: batch seal: %w", err)
	}
	if err := b.fits(s, payload); err != nil {
		return nil, fmt.Errorf("envelope: batch seal: %w", err)
	}
	if b.n >= MaxBatchEnvelopes {
		return nil, fmt.Errorf("envelope: batch seal: %w: more than %d envelopes in a batch", ErrTooLarge, MaxBatchEnvelopes)
	}
	ct, err := b.s.Seal(batchAAD(s.Header.encode(), s.Signature), payload)
	if err != nil {
		return nil, fmt.Errorf("envelope: batch seal: %w", err)
	}
	b.n++
	return &BatchEnvelope{Signed: Signed{Header: s.Header, Signature: slices.Clone(s.Signature)}, Ciphertext: ct}, nil
}

func (b *BatchSealer) fits(s *Signed, payload []byte) error {
	switch {
	case s.Header.Sender != b.hdr.Sender:
		return fmt.Errorf("%w: envelope from %s in a batch from %s", ErrWrongEnvelope, s.Header.Sender, b.hdr.Sender)
	case !slices.Contains(s.Header.Recipients, b.hdr.Recipient):
		return fmt.Errorf("%w: envelope not addressed to the batch's recipient %s", ErrWrongEnvelope, b.hdr.Recipient)
	}
	sum := sha256.Sum256(payload)
	if int64(len(payload)) != s.Header.PayloadSize || hex.EncodeToString(sum[:]) != s.Header.PayloadSHA256 {
		return fmt.Errorf("%w: payload does not match the signed digest", ErrWrongEnvelope)
	}
	return nil
}

// BatchOpener opens the envelopes of one batch at its recipient.
type BatchOpener struct {
	hdr    BatchHeader
	r      *hpke.Recipient
	broken bool
}

// OpenBatch decapsulates a batch's key with the recipient's private key
// (one KEM decapsulation). It does not check that hdr.Recipient is the
// caller's party, nor who hdr.Sender is; the caller does.
func OpenBatch(hdr BatchHeader, priv hpke.PrivateKey) (*BatchOpener, error) {
	if err := checkKEM(priv); err != nil {
		return nil, fmt.Errorf("envelope: open batch: %w", err)
	}
	if err := hdr.validate(); err != nil {
		return nil, fmt.Errorf("envelope: open batch: %w", err)
	}
	r, err := hpke.NewRecipient(hdr.Enc, priv, suiteKDF, suiteAEAD, hdr.info())
	if err != nil {
		return nil, fmt.Errorf("envelope: open batch: %w: %w", ErrDecrypt, err)
	}
	return &BatchOpener{hdr: hdr, r: r}, nil
}

// Open decrypts the next envelope of the batch and checks the payload
// against the signed digest and size. It must be called for every envelope,
// in the order sent, before any other check is acted on: the context's
// nonce advances only when a payload authenticates, so after an envelope
// fails to decrypt (ErrDecrypt; the batch was sealed to another key, or
// altered) every later one fails with ErrBatchBroken, and Broken reports
// true. A payload that authenticates but does not match its signed digest
// is ErrDecrypt without breaking the batch.
//
// Requires a successful Verify of e before its payload is trusted: HPKE
// base mode does not authenticate the sender.
func (o *BatchOpener) Open(e *BatchEnvelope) ([]byte, error) {
	if o.broken {
		return nil, fmt.Errorf("envelope: batch open: %w", ErrBatchBroken)
	}
	if err := e.validate(); err != nil {
		o.broken = true
		return nil, fmt.Errorf("envelope: batch open: %w", err)
	}
	payload, err := o.r.Open(batchAAD(e.Header.encode(), e.Signature), e.Ciphertext)
	if err != nil {
		o.broken = true
		return nil, fmt.Errorf("envelope: batch open: %w: %w", ErrDecrypt, err)
	}
	sum := sha256.Sum256(payload)
	if int64(len(payload)) != e.Header.PayloadSize || hex.EncodeToString(sum[:]) != e.Header.PayloadSHA256 {
		return nil, fmt.Errorf("envelope: batch open: %w: payload does not match the signed digest", ErrDecrypt)
	}
	return payload, nil
}

// Skip tells the opener that the caller could not decode the next
// envelope, so it cannot be opened: the batch is broken from here on.
func (o *BatchOpener) Skip() { o.broken = true }

// Broken reports whether an envelope failed to open, so that no later
// envelope of the batch can.
func (o *BatchOpener) Broken() bool { return o.broken }

// Header returns the batch's header.
func (o *BatchOpener) Header() BatchHeader { return o.hdr }
