package store

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"
)

// ComputeHash returns the chain hash of e: SHA-256 over a canonical JSON
// encoding of every field but Hash itself. encoding/json writes struct
// fields in declaration order, so the encoding is deterministic.
func (e AuditEntry) ComputeHash() string {
	b, _ := json.Marshal(struct {
		Seq        int64  `json:"seq"`
		At         int64  `json:"at"`
		Actor      string `json:"actor"`
		Action     string `json:"action"`
		ObjectType string `json:"object_type"`
		ObjectID   string `json:"object_id"`
		BeforeHash string `json:"before_hash"`
		AfterHash  string `json:"after_hash"`
		Detail     string `json:"detail"`
		PrevHash   string `json:"prev_hash"`
	}{e.Seq, e.At.UnixMicro(), e.Actor, e.Action, e.ObjectType, e.ObjectID, e.BeforeHash, e.AfterHash, e.Detail, e.PrevHash})
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// ChainError says where an audit chain stops verifying.
type ChainError struct {
	Seq    int64
	Reason string
}

func (e *ChainError) Error() string {
	return fmt.Sprintf("audit chain broken at entry %d: %s", e.Seq, e.Reason)
}

// VerifyChain checks that entries (consecutive, oldest first) link to prev
// (the hash of the entry before the first, "" at the start of the trail) and
// that each entry's hash matches its content.
func VerifyChain(prev string, entries []AuditEntry) error {
	for i, e := range entries {
		if i > 0 && e.Seq != entries[i-1].Seq+1 {
			return &ChainError{Seq: e.Seq, Reason: fmt.Sprintf("follows entry %d", entries[i-1].Seq)}
		}
		if e.PrevHash != prev {
			return &ChainError{Seq: e.Seq, Reason: "previous hash does not match"}
		}
		if e.ComputeHash() != e.Hash {
			return &ChainError{Seq: e.Seq, Reason: "content does not match its hash"}
		}
		prev = e.Hash
	}
	return nil
}

// HashOf returns the hex SHA-256 of v's JSON encoding; audit entries use it
// for the before and after images of an object. Nil gives "".
func HashOf(v any) string {
	if v == nil {
		return ""
	}
	b, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func micros(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

func fromMicros(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMicro(v).UTC()
}
