// Package ledger is the node's transparency log: an RFC 6962 Merkle tree of
// every envelope sent or received, every receipt and every state change,
// kept in the node's database, with signed checkpoints (C2SP
// tlog-checkpoint), inclusion and consistency proofs, and cosigning of the
// peers' checkpoints (C2SP tlog-cosignature) to detect forks and rollbacks.
//
// Appending is part of the change it records: domain code calls Append with
// the store.Queries of its own transaction (inside Store.InTx), so the
// change and its ledger entry commit together or not at all. Appends only
// sequence the entry; Log.Checkpoint later integrates the new entries into
// the tree's hash tiles and signs a checkpoint (the sequencing/integration
// split of transparency-dev/tessera), so an append costs one row.
//
// The formats (leaf encoding, checkpoints, proofs, export) are defined and
// checked in pkg/verify, which the other party can use on its own.
package ledger

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/liaison-dev/liaison/internal/store"
	"github.com/liaison-dev/liaison/pkg/verify"
)

// Entry kinds recorded by the node.
const (
	KindEnvelopeSent      = "envelope.sent"
	KindEnvelopeReceived  = "envelope.received"
	KindReceipt           = "receipt"
	KindRequestTransition = "request.transition"
	KindCaseTransition    = "case.transition"
	KindAudit             = "audit"
	KindProgress          = "progress.import"
)

// Entry is what a domain service records.
type Entry struct {
	// Kind is one of the Kind constants (or another lower-case dotted name).
	Kind string
	// ObjectID is the id of the envelope, request, case... recorded; it is
	// what `liaison log prove ID` looks entries up by.
	ObjectID string
	// At is when the change happened, from the service's clock.
	At time.Time
	// Exercise marks exercise traffic.
	Exercise bool
	// Body is the canonical encoding of what is recorded (for example the
	// signed envelope header, or the JSON of a state transition). It is
	// kept in the log when it is at most verify.MaxBodyLen bytes; larger
	// bodies are recorded by hash only.
	Body []byte
	// BodyHash is the SHA-256 of the body; needed only when Body is nil
	// (the body is kept elsewhere, or must not be kept).
	BodyHash []byte
}

// ErrInvalid: the entry cannot be recorded (bad kind, object id, time or
// hash). It is a bug in the caller; the transaction should roll back.
var ErrInvalid = errors.New("ledger: invalid entry")

// Appender is the part of the store Append needs: store.Queries inside a
// transaction, or the Store itself.
type Appender interface {
	AppendLedger(ctx context.Context, es []store.LedgerEntry) (int64, error)
}

// Append records e at the end of the log and returns its index. Call it
// with the Queries of the transaction that makes the change it records.
func Append(ctx context.Context, q Appender, e Entry) (uint64, error) {
	return AppendBatch(ctx, q, []Entry{e})
}

// AppendBatch records es in order and returns the index of the first.
func AppendBatch(ctx context.Context, q Appender, es []Entry) (uint64, error) {
	rows := make([]store.LedgerEntry, len(es))
	for i, e := range es {
		r, err := toRow(e)
		if err != nil {
			return 0, err
		}
		rows[i] = r
	}
	first, err := q.AppendLedger(ctx, rows)
	if err != nil {
		return 0, fmt.Errorf("ledger: append: %w", err)
	}
	return uint64(first), nil
}

func toRow(e Entry) (store.LedgerEntry, error) {
	r := store.LedgerEntry{Kind: e.Kind, ObjectID: e.ObjectID, At: e.At.UTC().Truncate(time.Microsecond), Exercise: e.Exercise}
	switch {
	case e.At.IsZero():
		return r, fmt.Errorf("%w: %s %s: no time", ErrInvalid, e.Kind, e.ObjectID)
	case e.Body != nil:
		sum := sha256.Sum256(e.Body)
		if e.BodyHash != nil && string(e.BodyHash) != string(sum[:]) {
			return r, fmt.Errorf("%w: %s %s: body hash does not match the body", ErrInvalid, e.Kind, e.ObjectID)
		}
		r.BodyHash = sum[:]
		if len(e.Body) <= verify.MaxBodyLen {
			r.Body = e.Body
		}
	case len(e.BodyHash) == sha256.Size:
		r.BodyHash = e.BodyHash
	default:
		return r, fmt.Errorf("%w: %s %s: neither a body nor a 32-byte body hash", ErrInvalid, e.Kind, e.ObjectID)
	}
	// The body was hashed above: check the other fields without it.
	if err := verify.CheckEntry(toVerify(store.LedgerEntry{Kind: r.Kind, ObjectID: r.ObjectID, At: r.At, BodyHash: r.BodyHash})); err != nil {
		return r, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	return r, nil
}

// toVerify converts a stored entry to its public form.
func toVerify(r store.LedgerEntry) verify.Entry {
	e := verify.Entry{Index: uint64(r.Index), Kind: r.Kind, ObjectID: r.ObjectID, TimeMicros: r.At.UnixMicro(),
		Exercise: r.Exercise, BodyHash: hex.EncodeToString(r.BodyHash)}
	if len(r.Body) > 0 {
		e.Body = r.Body
	}
	return e
}
