package verify

import (
	"errors"
	"fmt"

	"github.com/transparency-dev/merkle/proof"
	"golang.org/x/mod/sumdb/note"
)

func checkHashes(what string, hashes [][]byte) error {
	if len(hashes) > MaxProofHashes {
		return malformed("%s: %d hashes, at most %d", what, len(hashes), MaxProofHashes)
	}
	for i, h := range hashes {
		if len(h) != HashSize {
			return malformed("%s: hash %d has %d bytes", what, i, len(h))
		}
	}
	return nil
}

// mapProofErr turns the merkle library's errors into this package's kinds.
func mapProofErr(what string, err error) error {
	if err == nil {
		return nil
	}
	var rm proof.RootMismatchError
	if errors.As(err, &rm) {
		return &RootMismatchError{What: what, Expected: rm.ExpectedRoot, Computed: rm.CalculatedRoot}
	}
	return malformed("%s: %v", what, err)
}

// VerifyInclusion checks that leafHash is the leaf at index in the tree of
// size whose root is root. Requires index < size.
func VerifyInclusion(leafHash []byte, index, size uint64, hashes [][]byte, root []byte) error {
	if err := checkHashes("inclusion proof", append([][]byte{leafHash, root}, hashes...)); err != nil {
		return err
	}
	return mapProofErr("inclusion proof", proof.VerifyInclusion(hasher, index, size, leafHash, hashes, root))
}

// VerifyConsistency checks that the tree of size2 with root2 extends the
// tree of size1 with root1. Requires size1 <= size2.
func VerifyConsistency(size1, size2 uint64, hashes [][]byte, root1, root2 []byte) error {
	if err := checkHashes("consistency proof", append([][]byte{root1, root2}, hashes...)); err != nil {
		return err
	}
	if size1 > size2 {
		return malformed("consistency proof from size %d to smaller size %d", size1, size2)
	}
	return mapProofErr("consistency proof", proof.VerifyConsistency(hasher, size1, size2, hashes, root1, root2))
}

// InclusionProof is what `liaison log prove` hands out: an entry, its place
// in the log, the proof hashes and the signed checkpoint they lead to. It
// verifies offline with the log's public key.
type InclusionProof struct {
	Entry Entry `json:"entry"`
	// Size is the size of the checkpoint's tree.
	Size uint64 `json:"size"`
	// Hashes are the RFC 6962 inclusion proof, leaf to root.
	Hashes [][]byte `json:"hashes"`
	// Checkpoint is the signed note (with any cosignatures).
	Checkpoint string `json:"checkpoint"`
}

// Verify checks the proof: the checkpoint's signature (and cosignatures by
// witnesses, when given), that its size matches, and that the entry's leaf
// is included under its root. It returns the verified checkpoint.
func (p *InclusionProof) Verify(log note.Verifier, witnesses ...note.Verifier) (*Checkpoint, error) {
	cp, err := OpenCheckpoint([]byte(p.Checkpoint), log, witnesses...)
	if err != nil {
		return nil, err
	}
	if cp.Size != p.Size {
		return nil, malformed("proof is for size %d but the checkpoint has size %d", p.Size, cp.Size)
	}
	if p.Entry.Index >= cp.Size {
		return nil, malformed("entry %d is not below the checkpoint size %d", p.Entry.Index, cp.Size)
	}
	leaf, err := LeafHash(p.Entry)
	if err != nil {
		return nil, err
	}
	if err := VerifyInclusion(leaf, p.Entry.Index, cp.Size, p.Hashes, cp.Root); err != nil {
		return nil, fmt.Errorf("entry %d: %w", p.Entry.Index, err)
	}
	return cp, nil
}

// ConsistencyProof proves that checkpoint New extends checkpoint Old.
type ConsistencyProof struct {
	Old    string   `json:"old"`
	New    string   `json:"new"`
	Hashes [][]byte `json:"hashes"`
}

// Verify checks both checkpoints' signatures and the proof between them.
func (p *ConsistencyProof) Verify(log note.Verifier) (oldCP, newCP *Checkpoint, err error) {
	if oldCP, err = OpenCheckpoint([]byte(p.Old), log); err != nil {
		return nil, nil, err
	}
	if newCP, err = OpenCheckpoint([]byte(p.New), log); err != nil {
		return nil, nil, err
	}
	if err := CheckAppendOnly(oldCP, newCP, p.Hashes); err != nil {
		return nil, nil, err
	}
	return oldCP, newCP, nil
}
