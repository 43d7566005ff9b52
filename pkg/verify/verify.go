// Package verify checks a Liaison node's transparency log without trusting
// the node: signed checkpoints, cosignatures, inclusion and consistency
// proofs, and a whole exported log. It is deliberately small and imports
// nothing from Liaison's internal packages, so the other party to a
// dialogue can read it, build it on its own, and check our record with our
// public key only.
//
// Formats, each tied to its specification:
//   - the tree is an RFC 6962 Merkle tree over SHA-256 (hashing and proof
//     checking from github.com/transparency-dev/merkle);
//   - checkpoints are C2SP tlog-checkpoint bodies inside C2SP signed notes
//     (golang.org/x/mod/sumdb/note), signed with the log's Ed25519 key;
//   - cosignatures are C2SP tlog-cosignature v1 (Ed25519, timestamped);
//   - a leaf is the text encoding of an Entry defined by LeafData;
//   - an export is JSON lines: one Header, then every entry in order.
//
// Errors fall in three kinds, told apart with errors.Is: ErrMalformed (the
// input cannot be parsed or breaks a limit), ErrSignature (a signature is
// missing or does not verify), and ErrRootMismatch (well-formed input that
// does not hash to the signed root: tampering or a fork). Forks and
// rollbacks seen by comparing two checkpoints are ErrFork and ErrRollback.
package verify

import (
	"crypto/sha256"
	"errors"
	"fmt"

	"github.com/transparency-dev/merkle/rfc6962"
)

// Sentinel errors; every error this package returns wraps exactly one.
var (
	// ErrMalformed: the input is not in the expected format or exceeds a
	// limit. Nothing can be concluded about the log; ask for it again.
	ErrMalformed = errors.New("verify: malformed")
	// ErrSignature: a required signature is missing or invalid. The input
	// was not produced by the key holder; reject it.
	ErrSignature = errors.New("verify: bad or missing signature")
	// ErrRootMismatch: a proof or an exported log does not hash to the
	// root it claims. The record was altered (an entry changed, removed,
	// added or reordered) or the log forked; raise it.
	ErrRootMismatch = errors.New("verify: root hash mismatch")
	// ErrFork: two checkpoints of the same log, both validly signed, cannot
	// both be true (same size with different roots, or no consistency
	// between them). Keep both notes as evidence and raise it.
	ErrFork = errors.New("verify: log forked")
	// ErrRollback: a validly signed checkpoint is smaller than one already
	// seen: the log went back in time (restored from a backup, or it is
	// replaying an old view). Raise it.
	ErrRollback = errors.New("verify: log rolled back")
)

// RootMismatchError gives the two roots that differ. It matches
// ErrRootMismatch with errors.Is.
type RootMismatchError struct {
	Expected, Computed []byte
	// What names what was being checked ("inclusion proof", "export").
	What string
}

func (e *RootMismatchError) Error() string {
	return fmt.Sprintf("verify: %s: computed root %x, signed root %x", e.What, e.Computed, e.Expected)
}

// Is makes errors.Is(err, ErrRootMismatch) hold.
func (e *RootMismatchError) Is(target error) bool { return target == ErrRootMismatch }

func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrMalformed}, args...)...)
}

// hasher is the RFC 6962 SHA-256 tree hasher.
var hasher = rfc6962.DefaultHasher

// HashSize is the size of every hash in the log.
const HashSize = sha256.Size

// EmptyRoot is the root of the empty tree (SHA-256 of nothing).
func EmptyRoot() []byte { return hasher.EmptyRoot() }

// HashLeaf returns the RFC 6962 leaf hash of data: SHA-256(0x00 || data).
func HashLeaf(data []byte) []byte {
	var a [256]byte
	buf := append(append(a[:0], rfc6962.RFC6962LeafHashPrefix), data...)
	sum := sha256.Sum256(buf)
	return sum[:]
}

// HashChildren returns the RFC 6962 interior node hash:
// SHA-256(0x01 || left || right).
func HashChildren(left, right []byte) []byte {
	var a [1 + 2*HashSize]byte
	buf := append(append(append(a[:0], rfc6962.RFC6962NodeHashPrefix), left...), right...)
	sum := sha256.Sum256(buf)
	return sum[:]
}
