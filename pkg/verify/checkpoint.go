package verify

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"fmt"
	"strings"
	"time"

	tlog "github.com/transparency-dev/formats/log"
	tnote "github.com/transparency-dev/formats/note"
	"golang.org/x/mod/sumdb/note"
)

// Checkpoint is a verified checkpoint of a log.
type Checkpoint struct {
	// Origin identifies the log (its key name).
	Origin string
	// Size is the number of entries the checkpoint commits to.
	Size uint64
	// Root is the Merkle tree hash of those entries.
	Root []byte
	// Cosigners are the witnesses, among those given, whose cosignature
	// verified, with the time each states.
	Cosigners []Cosigner
	// Note is the signed note as given.
	Note []byte
}

// Cosigner is a verified C2SP tlog-cosignature on a checkpoint.
type Cosigner struct {
	Name string
	Time time.Time
}

// Cosigned reports whether every named witness cosigned c.
func (c *Checkpoint) Cosigned(names ...string) bool {
	for _, n := range names {
		found := false
		for _, s := range c.Cosigners {
			found = found || s.Name == n
		}
		if !found {
			return false
		}
	}
	return true
}

// LogVerifierKey returns the note verifier key ("vkey") of a log whose
// origin is name and whose Ed25519 public key is pub. The key name of a
// Liaison log is its checkpoint origin.
func LogVerifierKey(name string, pub ed25519.PublicKey) (string, error) {
	k, err := note.NewEd25519VerifierKey(name, pub)
	if err != nil {
		return "", malformed("log key %q: %v", name, err)
	}
	return k, nil
}

// CosignerVerifierKey returns the vkey of a witness named name with key
// pub, as a C2SP tlog-cosignature v1 key (algorithm 0x04).
func CosignerVerifierKey(name string, pub ed25519.PublicKey) (string, error) {
	k, err := LogVerifierKey(name, pub)
	if err != nil {
		return "", err
	}
	k, err = tnote.VKeyToCosignatureV1(k)
	if err != nil {
		return "", malformed("cosigner key %q: %v", name, err)
	}
	return k, nil
}

// NewLogVerifier parses a log's vkey (Ed25519, algorithm 0x01).
func NewLogVerifier(vkey string) (note.Verifier, error) {
	v, err := note.NewVerifier(strings.TrimSpace(vkey))
	if err != nil {
		return nil, malformed("log key: %v", err)
	}
	return v, nil
}

// NewCosignerVerifier parses a witness vkey. An Ed25519 key of either
// algorithm (0x01 or 0x04) is taken as a tlog-cosignature v1 key.
func NewCosignerVerifier(vkey string) (note.Verifier, error) {
	v, err := tnote.NewVerifierForCosignatureV1(strings.TrimSpace(vkey))
	if err != nil {
		return nil, malformed("cosigner key: %v", err)
	}
	return v, nil
}

// OpenCheckpoint verifies a signed checkpoint note: the log's signature is
// required; cosignatures by the given witnesses are verified and listed
// (use Checkpoint.Cosigned to require some); signatures by other keys are
// ignored. The origin line must equal the log key's name.
func OpenCheckpoint(msg []byte, log note.Verifier, witnesses ...note.Verifier) (*Checkpoint, error) {
	if len(msg) > MaxNoteLen {
		return nil, malformed("checkpoint note longer than %d bytes", MaxNoteLen)
	}
	if log == nil {
		return nil, fmt.Errorf("%w: no log key given", ErrSignature)
	}
	known := note.VerifierList(append([]note.Verifier{log}, witnesses...)...)
	n, err := note.Open(msg, known)
	if err != nil {
		var inv *note.InvalidSignatureError
		var unv *note.UnverifiedNoteError
		switch {
		case errors.As(err, &inv):
			return nil, fmt.Errorf("%w: checkpoint: %v", ErrSignature, err)
		case errors.As(err, &unv):
			return nil, fmt.Errorf("%w: checkpoint is not signed by %s", ErrSignature, log.Name())
		}
		return nil, malformed("checkpoint: %v", err)
	}
	cp := &Checkpoint{Note: msg}
	signedByLog := false
	for _, s := range n.Sigs {
		if s.Name == log.Name() && s.Hash == log.KeyHash() {
			signedByLog = true
			continue
		}
		t, err := tnote.CoSigV1Timestamp(s)
		if err != nil {
			return nil, malformed("cosignature by %s: %v", s.Name, err)
		}
		cp.Cosigners = append(cp.Cosigners, Cosigner{Name: s.Name, Time: t.UTC()})
	}
	if !signedByLog {
		return nil, fmt.Errorf("%w: checkpoint is not signed by %s", ErrSignature, log.Name())
	}
	body, err := ParseCheckpointBody([]byte(n.Text))
	if err != nil {
		return nil, err
	}
	if body.Origin != log.Name() {
		return nil, fmt.Errorf("%w: checkpoint origin %q is not the key's name %q", ErrSignature, body.Origin, log.Name())
	}
	cp.Origin, cp.Size, cp.Root = body.Origin, body.Size, body.Hash
	return cp, nil
}

// ParseCheckpointBody parses the unsigned body of a C2SP checkpoint: the
// origin line, the decimal size, the base64 root hash, and optional
// extension lines, which Liaison does not use and so refuses.
func ParseCheckpointBody(text []byte) (*tlog.Checkpoint, error) {
	var c tlog.Checkpoint
	rest, err := c.Unmarshal(text)
	if err != nil {
		return nil, malformed("checkpoint body: %v", err)
	}
	if len(rest) > 0 {
		return nil, malformed("checkpoint body: unexpected extension lines")
	}
	if len(c.Hash) != HashSize {
		return nil, malformed("checkpoint body: root hash of %d bytes", len(c.Hash))
	}
	// SPEC (tlog-checkpoint): the size is ASCII decimal without leading
	// zeroes; the body re-encodes to itself.
	if !bytes.Equal(c.Marshal(), text) {
		return nil, malformed("checkpoint body is not in canonical form")
	}
	return &c, nil
}

// CheckAppendOnly decides whether the checkpoint next may follow prev (both
// already verified, of the same log) given a consistency proof from
// prev.Size to next.Size. It returns ErrRollback when next is smaller,
// ErrFork when the sizes are equal and the roots differ or the proof shows
// that next does not extend prev, and ErrMalformed for a proof of the
// wrong shape. A nil prev (nothing seen yet) accepts any next.
func CheckAppendOnly(prev, next *Checkpoint, proof [][]byte) error {
	if prev == nil {
		return nil
	}
	if prev.Origin != next.Origin {
		return malformed("checkpoints of different logs: %q and %q", prev.Origin, next.Origin)
	}
	switch {
	case next.Size < prev.Size:
		return fmt.Errorf("%w: %s went from size %d back to %d", ErrRollback, next.Origin, prev.Size, next.Size)
	case next.Size == prev.Size:
		if !bytes.Equal(prev.Root, next.Root) {
			return fmt.Errorf("%w: %s signed two roots for size %d: %x and %x", ErrFork, next.Origin, next.Size, prev.Root, next.Root)
		}
		return nil
	}
	if err := VerifyConsistency(prev.Size, next.Size, proof, prev.Root, next.Root); err != nil {
		if errors.Is(err, ErrRootMismatch) {
			return fmt.Errorf("%w: %s at size %d does not extend size %d: %v", ErrFork, next.Origin, next.Size, prev.Size, err)
		}
		return err
	}
	return nil
}
