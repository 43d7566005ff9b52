package identity

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func paths(dir string) Paths {
	return Paths{
		Signing: filepath.Join(dir, "keys/signing.pem"), Encryption: filepath.Join(dir, "keys/encryption.pem"),
		TLSCert: filepath.Join(dir, "tls/cert.pem"), TLSKey: filepath.Join(dir, "tls/key.pem"),
	}
}

func newIdentity(t *testing.T) (*Identity, Paths) {
	t.Helper()
	p := paths(t.TempDir())
	if err := Generate(p, "US", []string{"127.0.0.1", "localhost"}); err != nil {
		t.Fatal(err)
	}
	id, err := Load(p, "US")
	if err != nil {
		t.Fatal(err)
	}
	return id, p
}

func TestGenerateWritesPrivateKeys0600AndRefusesOverwrite(t *testing.T) {
	_, p := newIdentity(t)
	for _, f := range []string{p.Signing, p.Encryption, p.TLSKey} {
		fi, err := os.Stat(f)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %v, want 0600", f, fi.Mode().Perm())
		}
	}
	before, _ := os.ReadFile(p.Signing)
	if err := Generate(p, "US", nil); err == nil {
		t.Fatal("Generate overwrote existing keys")
	}
	after, _ := os.ReadFile(p.Signing)
	if !bytes.Equal(before, after) {
		t.Fatal("signing key changed")
	}
}

func TestLoadRefusesLooseKeyPermissions(t *testing.T) {
	_, p := newIdentity(t)
	if err := os.Chmod(p.Signing, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(p, "US"); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("Load with a world-readable key = %v", err)
	}
}

func TestOperatorCertificateKept(t *testing.T) {
	_, p1 := newIdentity(t)
	p2 := paths(t.TempDir())
	os.MkdirAll(filepath.Dir(p2.TLSCert), 0o700)
	cert, _ := os.ReadFile(p1.TLSCert)
	key, _ := os.ReadFile(p1.TLSKey)
	os.WriteFile(p2.TLSCert, cert, 0o644)
	os.WriteFile(p2.TLSKey, key, 0o600)
	if err := Generate(p2, "US", nil); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(p2.TLSCert)
	if !bytes.Equal(got, cert) {
		t.Fatal("operator certificate replaced")
	}
}

func descriptor(id *Identity) Descriptor {
	ek := id.Encryption.PublicKey()
	return Descriptor{Version: 1, Party: "US", Name: "United States", Endpoints: []string{"https://127.0.0.1:8443"},
		SigningKey: id.SigningPublic(), EncryptionKEM: ek.KEM().ID(), EncryptionKey: ek.Bytes(),
		TLSCertificate: id.TLS.Certificate[0], TLSFingerprint: id.TLSFingerprint(), TimeZone: "America/New_York",
		Contacts: []Contact{{Agency: "FBI", Name: "Duty officer", Role: "24/7", Languages: []string{"en"}, TimeZone: "America/New_York"}},
		Issued:   time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)}
}

func TestDescriptorSignVerify(t *testing.T) {
	id, _ := newIdentity(t)
	b, err := Sign(descriptor(id), id.Signer)
	if err != nil {
		t.Fatal(err)
	}
	d, err := Verify(bytes.NewReader(b), nil)
	if err != nil {
		t.Fatal(err)
	}
	if d.Party != "US" || d.Contacts[0].Agency != "FBI" {
		t.Fatalf("Verify = %+v", d)
	}
	if _, err := Verify(bytes.NewReader(b), id.SigningPublic()); err != nil {
		t.Fatalf("update signed by the pinned key: %v", err)
	}
	_, other, _ := ed25519.GenerateKey(rand.Reader)
	if _, err := Verify(bytes.NewReader(b), other.Public().(ed25519.PublicKey)); !errors.Is(err, ErrDescriptorSignature) {
		t.Fatalf("descriptor not signed by the pinned key: %v", err)
	}
}

func TestDescriptorTamperAndMalformed(t *testing.T) {
	id, _ := newIdentity(t)
	good, _ := Sign(descriptor(id), id.Signer)
	var s Signed
	json.Unmarshal(good, &s)

	swapped := s
	swapped.Payload = bytes.Replace(s.Payload, []byte(`"8443`), []byte(`"9443`), 1)
	swapped.Payload = bytes.Replace(swapped.Payload, []byte(`:8443"`), []byte(`:9443"`), 1)
	tampered, _ := json.Marshal(swapped)

	bad := descriptor(id)
	bad.Party, bad.Endpoints, bad.TLSFingerprint = "us", []string{"http://x"}, "00"
	badSigned, _ := Sign(bad, id.Signer)

	cases := []struct {
		name string
		in   []byte
		want string
	}{
		{"tampered endpoint", tampered, "signature"},
		{"not json", []byte("hello"), "descriptor"},
		{"unknown field", []byte(`{"payload":"e30=","key_id":"x","signature":"","extra":1}`), "unknown field"},
		{"invalid fields", badSigned, "party"},
		{"oversize", bytes.Repeat([]byte(" "), MaxDescriptorBytes+2), "larger than"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Verify(bytes.NewReader(tc.in), nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Verify = %v, want error mentioning %q", err, tc.want)
			}
		})
	}
	if _, err := Verify(bytes.NewReader(badSigned), nil); err == nil || !strings.Contains(err.Error(), "endpoints") || !strings.Contains(err.Error(), "tls_fingerprint") {
		t.Fatalf("all bad fields not named: %v", err)
	}
}

func FuzzVerify(f *testing.F) {
	f.Add([]byte(`{"payload":"e30=","key_id":"","signature":""}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		Verify(bytes.NewReader(b), nil)
	})
}
