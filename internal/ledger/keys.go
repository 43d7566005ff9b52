package ledger

import (
	"crypto/ed25519"
	"encoding/base64"
	"fmt"
	"strings"

	tnote "github.com/transparency-dev/formats/note"
	"golang.org/x/mod/sumdb/note"

	"github.com/liaison-dev/liaison/pkg/verify"
)

// Origin is the checkpoint origin (and log key name) of a party's log.
// SPEC (tlog-checkpoint): the origin SHOULD be a schema-less URL that
// uniquely identifies the log.
func Origin(party string) string { return "liaison.invalid/" + party + "/log" }

// CosignerName is the key name under which a party's node cosigns its
// peers' checkpoints. SPEC (tlog-cosignature): the key name SHOULD be a
// schema-less URL that identifies the cosigner.
func CosignerName(party string) string { return "liaison.invalid/" + party + "/witness" }

// skey builds the signed-note private key string for an Ed25519 key named
// name (algorithm 0x01), so that the note libraries do the signing.
func skey(name string, key ed25519.PrivateKey) (string, error) {
	vkey, err := verify.LogVerifierKey(name, key.Public().(ed25519.PublicKey))
	if err != nil {
		return "", err
	}
	parts := strings.SplitN(vkey, "+", 3)
	if len(parts) != 3 {
		return "", fmt.Errorf("ledger: unexpected verifier key %q", vkey)
	}
	return "PRIVATE+KEY+" + name + "+" + parts[1] + "+" + base64.StdEncoding.EncodeToString(append([]byte{1}, key.Seed()...)), nil
}

// NewLogSigner returns the signer of the log's checkpoints: the node's
// Ed25519 key under the log's origin.
func NewLogSigner(origin string, key ed25519.PrivateKey) (note.Signer, error) {
	s, err := skey(origin, key)
	if err != nil {
		return nil, err
	}
	return note.NewSigner(s)
}

// NewCosigner returns the signer of C2SP tlog-cosignature v1 cosignatures
// with the node's Ed25519 key. Reusing the node key is safe: cosigned
// messages begin with "cosignature/v1\n", which no checkpoint body can, and
// the key id differs (algorithm 0x04). One name per key, as the spec asks.
func NewCosigner(name string, key ed25519.PrivateKey) (note.Signer, error) {
	s, err := skey(name, key)
	if err != nil {
		return nil, err
	}
	return tnote.NewSignerForCosignatureV1(s)
}

// LogVerifierKey is the vkey others use to check the party's checkpoints.
func LogVerifierKey(party string, pub ed25519.PublicKey) (string, error) {
	return verify.LogVerifierKey(Origin(party), pub)
}

// CosignerVerifierKey is the vkey others use to check the party's
// cosignatures.
func CosignerVerifierKey(party string, pub ed25519.PublicKey) (string, error) {
	return verify.CosignerVerifierKey(CosignerName(party), pub)
}
