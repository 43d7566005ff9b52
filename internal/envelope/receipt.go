package envelope

import (
	"bytes"
	"crypto/ed25519"
	"encoding/hex"
	"fmt"
	"io"
	"slices"
	"time"
)

// Receipt is a recipient's signed statement that it received one exact
// envelope at a given time. The sender stores it as proof of delivery.
type Receipt struct {
	// EnvelopeID is the received envelope's Header.ID.
	EnvelopeID string
	// EnvelopeHash is the received envelope's Hash: the receipt covers
	// these exact bytes, signature and ciphertext included.
	EnvelopeHash string
	// Receiver is the receiving party's code.
	Receiver string
	// Received is when the receiver accepted the envelope, in UTC with
	// microsecond precision, from the receiver's clock.
	Received time.Time
	// ReceiverKeyID is KeyID of the Ed25519 key that signs the receipt.
	ReceiverKeyID string
	// Signature is the receiver's Ed25519 signature over receiptSigPrefix
	// followed by the canonical encoding of the fields above.
	Signature []byte
}

// signedReceipt is the canonical encoding of the signed fields of a
// Receipt; it is deterministic for the reasons given at wireHeader.
type signedReceipt struct {
	EnvelopeID    string `json:"envelope_id"`
	EnvelopeHash  string `json:"envelope_hash"`
	Receiver      string `json:"receiver"`
	Received      string `json:"received"`
	ReceiverKeyID string `json:"receiver_key_id"`
}

// wireReceipt is the wire form of a Receipt: the signed fields, in the same
// order, then the signature.
type wireReceipt struct {
	EnvelopeID    string `json:"envelope_id"`
	EnvelopeHash  string `json:"envelope_hash"`
	Receiver      string `json:"receiver"`
	Received      string `json:"received"`
	ReceiverKeyID string `json:"receiver_key_id"`
	Signature     []byte `json:"signature"`
}

// NewReceipt returns a receipt for env, received by party receiver at the
// given time (normalized to UTC, microseconds) and signed with key.
//
// Requires env to have passed Verify (and, if the receipt is to mean the
// payload was readable, Open). receiver must be env.Recipient.
func NewReceipt(env *Envelope, receiver string, at time.Time, key ed25519.PrivateKey) (*Receipt, error) {
	if err := env.validate(); err != nil {
		return nil, fmt.Errorf("envelope: new receipt: %w", err)
	}
	if receiver != env.Recipient {
		return nil, fmt.Errorf("envelope: new receipt: %w: envelope is addressed to %s, not %s", ErrWrongEnvelope, env.Recipient, receiver)
	}
	if len(key) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("envelope: new receipt: %w: signing key is %d bytes, want %d", ErrKeyMismatch, len(key), ed25519.PrivateKeySize)
	}
	if !at.IsZero() {
		at = at.UTC().Truncate(time.Microsecond)
	}
	r := &Receipt{
		EnvelopeID:    env.Header.ID,
		EnvelopeHash:  env.Hash(),
		Receiver:      receiver,
		Received:      at,
		ReceiverKeyID: KeyID(key.Public().(ed25519.PublicKey)),
	}
	if err := r.validate(false); err != nil {
		return nil, fmt.Errorf("envelope: new receipt: %w", err)
	}
	r.Signature = ed25519.Sign(key, signedMessage(receiptSigPrefix, r.signed()))
	return r, nil
}

// Verify checks that r is well formed, names pub as its key, and carries a
// valid signature by pub. It does not check which envelope r acknowledges:
// see Acknowledges.
func (r *Receipt) Verify(pub ed25519.PublicKey) error {
	if err := r.validate(true); err != nil {
		return fmt.Errorf("envelope: verify receipt: %w", err)
	}
	if len(pub) != ed25519.PublicKeySize {
		return fmt.Errorf("envelope: verify receipt: %w: public key is %d bytes, want %d", ErrKeyMismatch, len(pub), ed25519.PublicKeySize)
	}
	if id := KeyID(pub); id != r.ReceiverKeyID {
		return fmt.Errorf("envelope: verify receipt: %w: receipt is signed by key %s, not %s", ErrKeyMismatch, r.ReceiverKeyID, id)
	}
	if !ed25519.Verify(pub, signedMessage(receiptSigPrefix, r.signed()), r.Signature) {
		return fmt.Errorf("envelope: verify receipt: %w", ErrBadSignature)
	}
	return nil
}

// Acknowledges checks that r is a receipt for exactly env, from the party
// env was sent to, and returns ErrWrongEnvelope otherwise. Use it with
// Verify before removing env from the outbox.
func (r *Receipt) Acknowledges(env *Envelope) error {
	switch {
	case r == nil || env == nil:
		return fmt.Errorf("envelope: receipt: %w: nil receipt or envelope", ErrWrongEnvelope)
	case r.EnvelopeID != env.Header.ID:
		return fmt.Errorf("envelope: receipt: %w: acknowledges %s, not %s", ErrWrongEnvelope, r.EnvelopeID, env.Header.ID)
	case r.Receiver != env.Recipient || !slices.Contains(env.Header.Recipients, r.Receiver):
		return fmt.Errorf("envelope: receipt: %w: signed by %s, envelope went to %s", ErrWrongEnvelope, r.Receiver, env.Recipient)
	case r.EnvelopeHash != env.Hash():
		return fmt.Errorf("envelope: receipt: %w: envelope hash differs", ErrWrongEnvelope)
	}
	return nil
}

// Marshal returns the canonical wire encoding of a well-formed receipt.
func (r *Receipt) Marshal() ([]byte, error) {
	if err := r.validate(true); err != nil {
		return nil, fmt.Errorf("envelope: marshal receipt: %w", err)
	}
	return r.encode(), nil
}

// DecodeReceipt reads one receipt from r, reading at most MaxReceiptSize
// bytes (one more to detect excess), and parses it as UnmarshalReceipt does.
func DecodeReceipt(r io.Reader) (*Receipt, error) {
	b, err := readLimited(r, MaxReceiptSize)
	if err != nil {
		return nil, fmt.Errorf("envelope: decode receipt: %w", err)
	}
	return UnmarshalReceipt(b)
}

// UnmarshalReceipt parses the canonical wire encoding of a receipt, as
// produced by Receipt.Marshal, and accepts nothing else. It does not verify
// the signature: call Verify next.
func UnmarshalReceipt(b []byte) (*Receipt, error) {
	if len(b) > MaxReceiptSize {
		return nil, fmt.Errorf("envelope: decode receipt: %w: %d bytes, limit %d", ErrTooLarge, len(b), MaxReceiptSize)
	}
	var w wireReceipt
	if err := decodeStrict(b, &w); err != nil {
		return nil, fmt.Errorf("envelope: decode receipt: %w", err)
	}
	var f fieldErrs
	received, ok := parseTime(&f, "received", w.Received)
	if !ok {
		return nil, fmt.Errorf("envelope: decode receipt: %w: %w", ErrMalformed, f.err())
	}
	r := &Receipt{
		EnvelopeID:    w.EnvelopeID,
		EnvelopeHash:  w.EnvelopeHash,
		Receiver:      w.Receiver,
		Received:      received,
		ReceiverKeyID: w.ReceiverKeyID,
		Signature:     w.Signature,
	}
	if err := r.validate(true); err != nil {
		return nil, fmt.Errorf("envelope: decode receipt: %w", err)
	}
	if !bytes.Equal(r.encode(), b) {
		return nil, fmt.Errorf("envelope: decode receipt: %w: not in canonical form", ErrMalformed)
	}
	return r, nil
}

// validate checks every field but, unless withSig, the signature.
func (r *Receipt) validate(withSig bool) error {
	if r == nil {
		return fmt.Errorf("%w: nil receipt", ErrMalformed)
	}
	var f fieldErrs
	checkHex(&f, "envelope_id", r.EnvelopeID, 16)
	checkHex(&f, "envelope_hash", r.EnvelopeHash, 32)
	checkParty(&f, "receiver", r.Receiver)
	checkTime(&f, "received", r.Received)
	checkHex(&f, "receiver_key_id", r.ReceiverKeyID, 16)
	if withSig && len(r.Signature) != ed25519.SignatureSize {
		f.add("signature", fmt.Sprintf("must be %d bytes", ed25519.SignatureSize))
	}
	if err := f.err(); err != nil {
		return fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	return nil
}

func (r *Receipt) signed() []byte {
	return encodeJSON(signedReceipt{
		EnvelopeID:    r.EnvelopeID,
		EnvelopeHash:  r.EnvelopeHash,
		Receiver:      r.Receiver,
		Received:      r.Received.UTC().Format(timeLayout),
		ReceiverKeyID: r.ReceiverKeyID,
	})
}

func (r *Receipt) encode() []byte {
	return encodeJSON(wireReceipt{
		EnvelopeID:    r.EnvelopeID,
		EnvelopeHash:  r.EnvelopeHash,
		Receiver:      r.Receiver,
		Received:      r.Received.UTC().Format(timeLayout),
		ReceiverKeyID: r.ReceiverKeyID,
		Signature:     r.Signature,
	})
}

// Hash returns the hex SHA-256 of the receipt's canonical wire encoding,
// for recording it in the ledger.
func (r *Receipt) Hash() string {
	return hex.EncodeToString(sha256Sum(r.encode()))
}
