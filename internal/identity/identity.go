// Package identity holds a node's party identity: its Ed25519 signing key,
// its HPKE encryption key pair, its TLS certificate, and the signed node
// descriptor that publishes them (with the 24/7 directory) to peers.
//
// Private keys are PEM files written with mode 0600 and never logged.
package identity

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/hpke"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// KEM is the HPKE key encapsulation every node uses: the ML-KEM-768 +
// X25519 hybrid, so traffic recorded today stays confidential against a
// future quantum computer while X25519 still protects it if ML-KEM falls.
func KEM() hpke.KEM { return hpke.MLKEM768X25519() }

const (
	pemSigning    = "PRIVATE KEY"
	pemEncryption = "LIAISON HPKE PRIVATE KEY"
)

// Identity is a node's loaded key material.
type Identity struct {
	Party      string
	Signer     ed25519.PrivateKey
	Encryption hpke.PrivateKey
	TLS        tls.Certificate
}

// Paths says where the key files live.
type Paths struct {
	Signing, Encryption, TLSCert, TLSKey string
}

// SigningPublic returns the public half of the signing key.
func (id *Identity) SigningPublic() ed25519.PublicKey { return id.Signer.Public().(ed25519.PublicKey) }

// TLSFingerprint is the hex SHA-256 of the node's leaf certificate (DER);
// peers pin it.
func (id *Identity) TLSFingerprint() string { return CertFingerprint(id.TLS.Certificate[0]) }

// CertFingerprint returns the hex SHA-256 of a DER certificate.
func CertFingerprint(der []byte) string {
	sum := sha256.Sum256(der)
	return hex.EncodeToString(sum[:])
}

// KeyFingerprint is a short, stable name for a public key: hex of the first
// 16 bytes of its SHA-256.
func KeyFingerprint(pub []byte) string {
	sum := sha256.Sum256(pub)
	return hex.EncodeToString(sum[:16])
}

// Generate creates new key files at p. It refuses to overwrite any existing
// file. If the TLS paths already hold an operator-provided certificate and
// key, they are kept (and checked) instead of generating a self-signed one.
// hosts are the DNS names or IP addresses the certificate is valid for.
func Generate(p Paths, party string, hosts []string) error {
	for _, f := range []string{p.Signing, p.Encryption} {
		if _, err := os.Stat(f); err == nil {
			return fmt.Errorf("identity: %s already exists; refusing to overwrite a key", f)
		}
	}
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return err
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return err
	}
	if err := writePEM(p.Signing, pemSigning, der); err != nil {
		return err
	}
	ek, err := KEM().GenerateKey()
	if err != nil {
		return err
	}
	eb, err := ek.Bytes()
	if err != nil {
		return err
	}
	if err := writePEM(p.Encryption, pemEncryption, eb); err != nil {
		return err
	}
	_, certErr := os.Stat(p.TLSCert)
	_, keyErr := os.Stat(p.TLSKey)
	switch {
	case certErr == nil && keyErr == nil:
		if _, err := tls.LoadX509KeyPair(p.TLSCert, p.TLSKey); err != nil {
			return fmt.Errorf("identity: operator-provided TLS certificate: %w", err)
		}
		return nil
	case certErr == nil || keyErr == nil:
		return fmt.Errorf("identity: only one of %s and %s exists; provide both or neither", p.TLSCert, p.TLSKey)
	}
	return selfSigned(p.TLSCert, p.TLSKey, party, hosts)
}

func selfSigned(certPath, keyPath, party string, hosts []string) error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: "liaison node " + party, Organization: []string{party}},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.AddDate(3, 0, 0),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		// The same certificate serves peers (server) and authenticates this
		// node to them (client) in mutual TLS.
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		BasicConstraintsValid: true,
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else if h != "" {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return err
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return err
	}
	if err := writePEM(keyPath, "PRIVATE KEY", kder); err != nil {
		return err
	}
	return writeFile(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
}

func writePEM(path, typ string, der []byte) error {
	return writeFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600)
}

// writeFile creates path exclusively with mode perm, so an existing file is
// never replaced and a key is never briefly world-readable.
func writeFile(path string, b []byte, perm os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return fmt.Errorf("identity: %w", err)
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// Load reads the key files. It refuses private keys readable by group or
// others.
func Load(p Paths, party string) (*Identity, error) {
	id := &Identity{Party: party}
	der, err := readPEM(p.Signing, pemSigning)
	if err != nil {
		return nil, err
	}
	k, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("identity: %s: %w", p.Signing, err)
	}
	var ok bool
	if id.Signer, ok = k.(ed25519.PrivateKey); !ok {
		return nil, fmt.Errorf("identity: %s: not an Ed25519 key", p.Signing)
	}
	eb, err := readPEM(p.Encryption, pemEncryption)
	if err != nil {
		return nil, err
	}
	if id.Encryption, err = KEM().NewPrivateKey(eb); err != nil {
		return nil, fmt.Errorf("identity: %s: %w", p.Encryption, err)
	}
	if err := checkPrivate(p.TLSKey); err != nil {
		return nil, err
	}
	if id.TLS, err = tls.LoadX509KeyPair(p.TLSCert, p.TLSKey); err != nil {
		return nil, fmt.Errorf("identity: TLS: %w", err)
	}
	return id, nil
}

func checkPrivate(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("identity: %w", err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return fmt.Errorf("identity: %s has mode %v; private keys must not be readable by others (chmod 600)", path, fi.Mode().Perm())
	}
	return nil
}

func readPEM(path, typ string) ([]byte, error) {
	if err := checkPrivate(path); err != nil {
		return nil, err
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("identity: %w", err)
	}
	blk, _ := pem.Decode(b)
	if blk == nil || blk.Type != typ {
		return nil, fmt.Errorf("identity: %s: no PEM block of type %q", path, typ)
	}
	return blk.Bytes, nil
}

// Exists reports whether any key file is already present.
func Exists(p Paths) bool {
	for _, f := range []string{p.Signing, p.Encryption} {
		if _, err := os.Stat(f); !errors.Is(err, fs.ErrNotExist) {
			return true
		}
	}
	return false
}
