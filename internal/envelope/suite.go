package envelope

import (
	"crypto/hpke"
	"fmt"
)

// The HPKE ciphersuite, declared once. Changing any of these is a new wire
// version: the domain-separation strings below must change with it.
//
// SPEC: RFC 9180 and draft-ietf-hpke-pq: KEM MLKEM768-X25519 (X-Wing, a
// hybrid, so confidentiality survives a break of either ML-KEM or X25519),
// KDF HKDF-SHA256, AEAD ChaCha20Poly1305 (constant-time without AES
// hardware, which some nodes in the field may lack).
var (
	suiteKEM  = hpke.MLKEM768X25519()
	suiteKDF  = hpke.HKDFSHA256()
	suiteAEAD = hpke.ChaCha20Poly1305()
)

const (
	// encSize is the length of an X-Wing encapsulated key: an ML-KEM-768
	// ciphertext (1088 bytes) followed by an X25519 share (32 bytes).
	encSize = 1088 + 32

	// aeadOverhead is the ChaCha20Poly1305 tag appended to each ciphertext.
	aeadOverhead = 16
)

// Domain-separation strings. Each signature, hash and HPKE context starts
// from its own string, so that bytes signed, hashed or encrypted for one
// purpose can never be replayed as another. Version 2 changed the envelope
// hash (signed header and signature, no ciphertext), added batches (one
// HPKE context per batch) and batch receipts (one signature over a Merkle
// tree of entries), so every envelope and receipt string moved to v2;
// streams did not change.
const (
	envelopeSigPrefix   = "liaison/envelope/v2\n"
	envelopeInfoPrefix  = "liaison/envelope/v2"
	envelopeHashPrefix  = "liaison/envelope-hash/v2\n"
	batchInfoPrefix     = "liaison/batch/v2\n"
	batchReceiptPrefix  = "liaison/batch-receipt/v2\n"
	receiptLeafPrefix   = "liaison/receipt-entry/v2\n"
	streamInfoPrefix    = "liaison/stream/v1\n"
	attachmentInfoLabel = "liaison/attachment/v1\n"
)

// GenerateKey returns a new HPKE private key for the envelope suite. Its
// PublicKey is what a party publishes to its peers for encryption; it is
// distinct from the party's Ed25519 signing key.
func GenerateKey() (hpke.PrivateKey, error) {
	k, err := suiteKEM.GenerateKey()
	if err != nil {
		return nil, fmt.Errorf("envelope: generate key: %w", err)
	}
	return k, nil
}

// MarshalPrivateKey returns the serialized private key (for X-Wing, a
// 32-byte seed). Requires a key of the envelope suite.
func MarshalPrivateKey(k hpke.PrivateKey) ([]byte, error) {
	if err := checkKEM(k); err != nil {
		return nil, fmt.Errorf("envelope: marshal private key: %w", err)
	}
	b, err := k.Bytes()
	if err != nil {
		return nil, fmt.Errorf("envelope: marshal private key: %w", err)
	}
	return b, nil
}

// ParsePrivateKey parses a private key produced by MarshalPrivateKey.
func ParsePrivateKey(b []byte) (hpke.PrivateKey, error) {
	k, err := suiteKEM.NewPrivateKey(b)
	if err != nil {
		return nil, fmt.Errorf("envelope: parse private key: %w: %w", ErrMalformed, err)
	}
	return k, nil
}

// MarshalPublicKey returns the serialized public key (1216 bytes for
// X-Wing). Requires a key of the envelope suite.
func MarshalPublicKey(k hpke.PublicKey) ([]byte, error) {
	if err := checkKEM(k); err != nil {
		return nil, fmt.Errorf("envelope: marshal public key: %w", err)
	}
	return k.Bytes(), nil
}

// ParsePublicKey parses a public key produced by MarshalPublicKey, such as
// one received from a peer during pairing.
func ParsePublicKey(b []byte) (hpke.PublicKey, error) {
	k, err := suiteKEM.NewPublicKey(b)
	if err != nil {
		return nil, fmt.Errorf("envelope: parse public key: %w: %w", ErrMalformed, err)
	}
	return k, nil
}

// checkKEM reports whether k is a non-nil key of the suite's KEM. Without
// this check HPKE would happily use a key of another KEM, producing
// envelopes of a suite the recipient does not expect.
func checkKEM(k interface{ KEM() hpke.KEM }) error {
	if k == nil {
		return fmt.Errorf("%w: nil key", ErrKeyMismatch)
	}
	if id := k.KEM().ID(); id != suiteKEM.ID() {
		return fmt.Errorf("%w: key is for KEM 0x%04x, want 0x%04x", ErrKeyMismatch, id, suiteKEM.ID())
	}
	return nil
}
