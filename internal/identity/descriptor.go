package identity

import (
	"bytes"
	"crypto/ed25519"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"regexp"
	"time"
)

// MaxDescriptorBytes bounds a descriptor file; the largest part is the
// directory of contacts.
const MaxDescriptorBytes = 1 << 20

// descriptorDomain separates descriptor signatures from every other
// signature made with the same key.
const descriptorDomain = "liaison/descriptor/v1\n"

// Descriptor is what a node publishes about itself to peers.
type Descriptor struct {
	Version        int       `json:"version"`
	Party          string    `json:"party"`
	Name           string    `json:"name"`
	Endpoints      []string  `json:"endpoints"`
	SigningKey     []byte    `json:"signing_key"`
	EncryptionKEM  uint16    `json:"encryption_kem"`
	EncryptionKey  []byte    `json:"encryption_key"`
	TLSCertificate []byte    `json:"tls_certificate"`
	TLSFingerprint string    `json:"tls_fingerprint"`
	TimeZone       string    `json:"time_zone"`
	Contacts       []Contact `json:"contacts"`
	Issued         time.Time `json:"issued"`
}

// Contact is one entry of the 24/7 directory as peers see it.
type Contact struct {
	Agency     string   `json:"agency"`
	AgencyName string   `json:"agency_name"`
	Name       string   `json:"name"`
	Role       string   `json:"role"`
	Languages  []string `json:"languages"`
	TimeZone   string   `json:"time_zone"`
	Phone      string   `json:"phone,omitempty"`
	Email      string   `json:"email,omitempty"`
}

// Signed is the descriptor file: the exact signed bytes and the signature.
// The payload is kept as bytes (base64 in JSON) rather than re-encoded,
// because a signature must be checked over exactly what was signed; no JSON
// canonicalisation is needed on either side.
type Signed struct {
	Payload   []byte `json:"payload"`
	KeyID     string `json:"key_id"`
	Signature []byte `json:"signature"`
}

// Sign encodes d and signs it with the node's key.
func Sign(d Descriptor, key ed25519.PrivateKey) ([]byte, error) {
	payload, err := json.Marshal(d)
	if err != nil {
		return nil, err
	}
	pub := key.Public().(ed25519.PublicKey)
	s := Signed{Payload: payload, KeyID: KeyFingerprint(pub), Signature: ed25519.Sign(key, append([]byte(descriptorDomain), payload...))}
	return json.MarshalIndent(s, "", "  ")
}

var partyCode = regexp.MustCompile(`^[A-Z][A-Z0-9-]{1,15}$`)

// ErrDescriptorSignature: the descriptor is not signed by the key it claims
// (or, for an update, by the pinned key). Never import it.
var ErrDescriptorSignature = errors.New("descriptor signature does not verify")

// Verify decodes a descriptor file and checks it is self-consistent and
// signed. If pinned is not nil (an update from a known peer), the signature
// must come from the pinned key, so only the current key holder can rotate
// keys or move endpoints.
func Verify(r io.Reader, pinned ed25519.PublicKey) (*Descriptor, error) {
	b, err := io.ReadAll(io.LimitReader(r, MaxDescriptorBytes+1))
	if err != nil {
		return nil, err
	}
	if len(b) > MaxDescriptorBytes {
		return nil, fmt.Errorf("descriptor: larger than %d bytes", MaxDescriptorBytes)
	}
	var s Signed
	if err := strictJSON(b, &s); err != nil {
		return nil, fmt.Errorf("descriptor: %w", err)
	}
	var d Descriptor
	if err := strictJSON(s.Payload, &d); err != nil {
		return nil, fmt.Errorf("descriptor payload: %w", err)
	}
	if err := d.validate(); err != nil {
		return nil, err
	}
	key := ed25519.PublicKey(d.SigningKey)
	if pinned != nil {
		key = pinned
	}
	if s.KeyID != KeyFingerprint(key) || !ed25519.Verify(key, append([]byte(descriptorDomain), s.Payload...), s.Signature) {
		return nil, ErrDescriptorSignature
	}
	return &d, nil
}

func (d *Descriptor) validate() error {
	var errs []error
	bad := func(field, msg string) { errs = append(errs, fmt.Errorf("descriptor: %s: %s", field, msg)) }
	if d.Version != 1 {
		bad("version", "unsupported (this node speaks version 1)")
	}
	if !partyCode.MatchString(d.Party) {
		bad("party", "not a party code")
	}
	if d.Name == "" || len(d.Name) > 200 {
		bad("name", "must be 1-200 characters")
	}
	if len(d.Endpoints) == 0 || len(d.Endpoints) > 8 {
		bad("endpoints", "must list 1-8 URLs")
	}
	for _, e := range d.Endpoints {
		if u, err := url.Parse(e); err != nil || u.Scheme != "https" || u.Host == "" {
			bad("endpoints", fmt.Sprintf("%q is not an https URL", e))
		}
	}
	if len(d.SigningKey) != ed25519.PublicKeySize {
		bad("signing_key", "not an Ed25519 public key")
	}
	if d.EncryptionKEM != KEM().ID() {
		bad("encryption_kem", fmt.Sprintf("KEM %#x unsupported (want ML-KEM-768+X25519, %#x)", d.EncryptionKEM, KEM().ID()))
	} else if _, err := KEM().NewPublicKey(d.EncryptionKey); err != nil {
		bad("encryption_key", "not a valid public key")
	}
	if cert, err := x509.ParseCertificate(d.TLSCertificate); err != nil {
		bad("tls_certificate", "not a DER certificate")
	} else if CertFingerprint(cert.Raw) != d.TLSFingerprint {
		bad("tls_fingerprint", "does not match tls_certificate")
	}
	if len(d.Contacts) > 1000 {
		bad("contacts", "more than 1000")
	}
	if d.Issued.IsZero() {
		bad("issued", "missing")
	}
	return errors.Join(errs...)
}

func strictJSON(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("trailing data after JSON value")
	}
	return nil
}
