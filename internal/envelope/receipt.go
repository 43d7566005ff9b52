package envelope

import (
	"bytes"
	"crypto/ed25519"
	"encoding/hex"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
)

// Receipts. A receiver acknowledges a whole batch with one signature: it
// lists an entry per envelope it accepted (envelope ID, envelope hash,
// time received), makes them the leaves of an RFC 6962 Merkle tree, and
// signs the tree's size and root with the batch ID, sender and receiver
// (a BatchReceipt). The sender checks the root against the entries it
// expects and verifies the signature once per batch. It then stores, per
// envelope, a Receipt: that envelope's entry, the signed batch head and
// the entry's inclusion proof. A Receipt stands alone: anyone holding the
// receiver's public key can verify it (one signature check and a dozen
// hashes at most) without the rest of the batch, so it is proof of
// delivery that the receiver cannot later deny.
//
// SPEC: RFC 6962 section 2.1 (Merkle hash trees, audit paths), with the
// hashing and proof verification of github.com/transparency-dev/merkle;
// RFC 8032 (Ed25519).

// ReceiptEntry is one envelope acknowledged in a batch receipt.
type ReceiptEntry struct {
	EnvelopeID string
	// EnvelopeHash is Signed.Hash of the envelope received.
	EnvelopeHash string
	// Received is when the receiver first accepted the envelope, UTC with
	// microsecond precision (for a duplicate, the first time).
	Received time.Time
}

// leaf returns the entry's Merkle leaf data. Every field has a fixed
// format (hex of fixed length, fixed-width time), so the encoding is
// unambiguous.
func (e ReceiptEntry) leaf() []byte {
	return []byte(receiptLeafPrefix + e.EnvelopeID + "\n" + e.EnvelopeHash + "\n" + e.Received.UTC().Format(timeLayout))
}

func (e ReceiptEntry) validate(f *fieldErrs) {
	checkHex(f, "envelope_id", e.EnvelopeID, 16)
	checkHex(f, "envelope_hash", e.EnvelopeHash, 32)
	checkTime(f, "received", e.Received)
}

// BatchReceipt is the receiver's signed statement that it accepted every
// envelope of a list, each at its time.
type BatchReceipt struct {
	// Batch is the ID of the batch answered (BatchHeader.ID).
	Batch         string
	Sender        string
	Receiver      string
	ReceiverKeyID string
	// Size is the number of entries; Root the Merkle tree head over them.
	Size int64
	Root []byte
	// Signature is the receiver's Ed25519 signature over batchReceiptPrefix
	// followed by the canonical encoding of the fields above.
	Signature []byte
}

// signedBatchReceipt is the canonical encoding of a batch receipt's signed
// fields; it is deterministic for the reasons given at wireHeader.
type signedBatchReceipt struct {
	Batch         string `json:"batch"`
	Sender        string `json:"sender"`
	Receiver      string `json:"receiver"`
	ReceiverKeyID string `json:"receiver_key_id"`
	Size          int64  `json:"size"`
	Root          string `json:"root"`
}

type wireBatchReceipt struct {
	Batch         string `json:"batch"`
	Sender        string `json:"sender"`
	Receiver      string `json:"receiver"`
	ReceiverKeyID string `json:"receiver_key_id"`
	Size          int64  `json:"size"`
	Root          string `json:"root"`
	Signature     []byte `json:"signature"`
}

// NewBatchReceipt signs, with key, receiver's acknowledgement of entries
// (in the order the envelopes came) of batch from sender. Entry times are
// normalized to UTC with microsecond precision.
//
// Requires every entry's envelope to have passed Verify and to have been
// durably applied (or found applied before): the caller commits first,
// then signs.
func NewBatchReceipt(batch, sender, receiver string, entries []ReceiptEntry, key ed25519.PrivateKey) (*BatchReceipt, error) {
	if len(key) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("envelope: new batch receipt: %w: signing key is %d bytes, want %d", ErrKeyMismatch, len(key), ed25519.PrivateKeySize)
	}
	entries = normalizeEntries(entries)
	t, err := newTree(entries)
	if err != nil {
		return nil, fmt.Errorf("envelope: new batch receipt: %w", err)
	}
	r := &BatchReceipt{Batch: batch, Sender: sender, Receiver: receiver, ReceiverKeyID: KeyID(key.Public().(ed25519.PublicKey)),
		Size: int64(len(entries)), Root: t.root()}
	if err := r.validate(false); err != nil {
		return nil, fmt.Errorf("envelope: new batch receipt: %w", err)
	}
	r.Signature = ed25519.Sign(key, signedMessage(batchReceiptPrefix, r.signed()))
	return r, nil
}

// Verify checks that r answers batch from sender, that its tree is
// exactly entries (same envelopes, hashes and times, same order), and
// that its signature verifies under pub, the receiver's key. It costs one
// Ed25519 verification for the whole batch. A receipt for another batch,
// one that leaves out, adds, swaps or alters an entry, is ErrWrongEnvelope;
// a bad signature ErrBadSignature; another key ErrKeyMismatch.
func (r *BatchReceipt) Verify(pub ed25519.PublicKey, batch, sender string, entries []ReceiptEntry) error {
	if err := r.validate(true); err != nil {
		return fmt.Errorf("envelope: verify batch receipt: %w", err)
	}
	if len(pub) != ed25519.PublicKeySize {
		return fmt.Errorf("envelope: verify batch receipt: %w: public key is %d bytes, want %d", ErrKeyMismatch, len(pub), ed25519.PublicKeySize)
	}
	if id := KeyID(pub); id != r.ReceiverKeyID {
		return fmt.Errorf("envelope: verify batch receipt: %w: receipt is signed by key %s, not %s", ErrKeyMismatch, r.ReceiverKeyID, id)
	}
	if r.Batch != batch || r.Sender != sender {
		return fmt.Errorf("envelope: verify batch receipt: %w: answers batch %s from %s, not %s from %s", ErrWrongEnvelope, r.Batch, r.Sender, batch, sender)
	}
	entries = normalizeEntries(entries)
	t, err := newTree(entries)
	if err != nil {
		return fmt.Errorf("envelope: verify batch receipt: %w", err)
	}
	if r.Size != int64(len(entries)) || !bytes.Equal(r.Root, t.root()) {
		return fmt.Errorf("envelope: verify batch receipt: %w: the receipt does not list exactly the envelopes expected", ErrWrongEnvelope)
	}
	if !ed25519.Verify(pub, signedMessage(batchReceiptPrefix, r.signed()), r.Signature) {
		return fmt.Errorf("envelope: verify batch receipt: %w", ErrBadSignature)
	}
	return nil
}

// Receipts returns one stand-alone Receipt per entry, in order. Requires a
// successful Verify with the same entries.
func (r *BatchReceipt) Receipts(entries []ReceiptEntry) ([]*Receipt, error) {
	if err := r.validate(true); err != nil {
		return nil, fmt.Errorf("envelope: batch receipts: %w", err)
	}
	entries = normalizeEntries(entries)
	t, err := newTree(entries)
	if err != nil {
		return nil, fmt.Errorf("envelope: batch receipts: %w", err)
	}
	if r.Size != int64(len(entries)) || !bytes.Equal(r.Root, t.root()) {
		return nil, fmt.Errorf("envelope: batch receipts: %w: entries differ from the signed tree", ErrWrongEnvelope)
	}
	out := make([]*Receipt, len(entries))
	for i, e := range entries {
		out[i] = &Receipt{EnvelopeID: e.EnvelopeID, EnvelopeHash: e.EnvelopeHash, Received: e.Received,
			Batch: r.Batch, Sender: r.Sender, Receiver: r.Receiver, ReceiverKeyID: r.ReceiverKeyID,
			Index: int64(i), Size: r.Size, Proof: t.path(i, 0, len(entries)), Signature: slices.Clone(r.Signature)}
	}
	return out, nil
}

// Marshal returns the canonical wire encoding of a well-formed batch
// receipt.
func (r *BatchReceipt) Marshal() ([]byte, error) {
	if err := r.validate(true); err != nil {
		return nil, fmt.Errorf("envelope: marshal batch receipt: %w", err)
	}
	return encodeJSON(wireBatchReceipt{Batch: r.Batch, Sender: r.Sender, Receiver: r.Receiver, ReceiverKeyID: r.ReceiverKeyID,
		Size: r.Size, Root: hex.EncodeToString(r.Root), Signature: r.Signature}), nil
}

// UnmarshalBatchReceipt parses the canonical wire encoding of a batch
// receipt, and accepts nothing else. It does not verify it.
func UnmarshalBatchReceipt(b []byte) (*BatchReceipt, error) {
	if len(b) > MaxBatchReceiptSize {
		return nil, fmt.Errorf("envelope: decode batch receipt: %w: %d bytes, limit %d", ErrTooLarge, len(b), MaxBatchReceiptSize)
	}
	var w wireBatchReceipt
	if err := decodeStrict(b, &w); err != nil {
		return nil, fmt.Errorf("envelope: decode batch receipt: %w", err)
	}
	var f fieldErrs
	if !checkHex(&f, "root", w.Root, 32) {
		return nil, fmt.Errorf("envelope: decode batch receipt: %w: %w", ErrMalformed, f.err())
	}
	root, _ := hex.DecodeString(w.Root)
	r := &BatchReceipt{Batch: w.Batch, Sender: w.Sender, Receiver: w.Receiver, ReceiverKeyID: w.ReceiverKeyID, Size: w.Size, Root: root, Signature: w.Signature}
	if err := r.validate(true); err != nil {
		return nil, fmt.Errorf("envelope: decode batch receipt: %w", err)
	}
	if again, _ := r.Marshal(); !bytes.Equal(again, b) {
		return nil, fmt.Errorf("envelope: decode batch receipt: %w: not in canonical form", ErrMalformed)
	}
	return r, nil
}

func (r *BatchReceipt) validate(withSig bool) error {
	if r == nil {
		return fmt.Errorf("%w: nil receipt", ErrMalformed)
	}
	var f fieldErrs
	validateHead(&f, r.Batch, r.Sender, r.Receiver, r.ReceiverKeyID, r.Size)
	if len(r.Root) != 32 {
		f.add("root", "must be 32 bytes")
	}
	if withSig && len(r.Signature) != ed25519.SignatureSize {
		f.add("signature", fmt.Sprintf("must be %d bytes", ed25519.SignatureSize))
	}
	if err := f.err(); err != nil {
		return fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	return nil
}

func validateHead(f *fieldErrs, batch, sender, receiver, keyID string, size int64) {
	checkHex(f, "batch", batch, 16)
	checkParty(f, "sender", sender)
	checkParty(f, "receiver", receiver)
	checkHex(f, "receiver_key_id", keyID, 16)
	if size < 1 || size > MaxBatchEnvelopes {
		f.add("size", fmt.Sprintf("must be between 1 and %d", MaxBatchEnvelopes))
	}
}

func (r *BatchReceipt) signed() []byte {
	return signedHead(r.Batch, r.Sender, r.Receiver, r.ReceiverKeyID, r.Size, r.Root)
}

func signedHead(batch, sender, receiver, keyID string, size int64, root []byte) []byte {
	return encodeJSON(signedBatchReceipt{Batch: batch, Sender: sender, Receiver: receiver, ReceiverKeyID: keyID, Size: size, Root: hex.EncodeToString(root)})
}

// Receipt is a receiver's signed acknowledgement of one envelope: its
// entry in a batch receipt, the batch receipt's signed head, and the
// entry's inclusion proof in the head's tree. The sender stores one per
// delivery as proof of delivery.
type Receipt struct {
	// EnvelopeID is the received envelope's Header.ID.
	EnvelopeID string
	// EnvelopeHash is the received envelope's hash (Signed.Hash): the
	// receipt covers that signed header, and so the payload it signs for.
	EnvelopeHash string
	// Received is when the receiver accepted the envelope, in UTC with
	// microsecond precision, from the receiver's clock.
	Received time.Time
	// Batch, Sender, Receiver, ReceiverKeyID and Size are those of the
	// batch receipt; Index is the entry's position in it and Proof its
	// RFC 6962 audit path.
	Batch         string
	Sender        string
	Receiver      string
	ReceiverKeyID string
	Index         int64
	Size          int64
	Proof         [][]byte
	// Signature is the batch receipt's signature.
	Signature []byte
}

// wireReceipt is the canonical wire form of a Receipt.
type wireReceipt struct {
	EnvelopeID    string   `json:"envelope_id"`
	EnvelopeHash  string   `json:"envelope_hash"`
	Received      string   `json:"received"`
	Batch         string   `json:"batch"`
	Sender        string   `json:"sender"`
	Receiver      string   `json:"receiver"`
	ReceiverKeyID string   `json:"receiver_key_id"`
	Index         int64    `json:"index"`
	Size          int64    `json:"size"`
	Proof         []string `json:"proof"`
	Signature     []byte   `json:"signature"`
}

// NewReceipt returns a receipt for env alone (a batch receipt of one
// entry, named after the envelope ID), received by party receiver at the
// given time and signed with key.
//
// Requires env to have passed Verify (and, if the receipt is to mean the
// payload was readable, Open). receiver must be env.Recipient.
func NewReceipt(env *Envelope, receiver string, at time.Time, key ed25519.PrivateKey) (*Receipt, error) {
	if err := env.validate(); err != nil {
		return nil, fmt.Errorf("envelope: new receipt: %w", err)
	}
	if receiver != env.Recipient {
		return nil, fmt.Errorf("envelope: new receipt: %w: envelope is addressed to %s, not %s", ErrWrongEnvelope, env.Recipient, receiver)
	}
	entries := []ReceiptEntry{{EnvelopeID: env.Header.ID, EnvelopeHash: env.Hash(), Received: at}}
	br, err := NewBatchReceipt(env.Header.ID, env.Header.Sender, receiver, entries, key)
	if err != nil {
		return nil, fmt.Errorf("envelope: new receipt: %w", err)
	}
	rs, err := br.Receipts(entries)
	if err != nil {
		return nil, fmt.Errorf("envelope: new receipt: %w", err)
	}
	return rs[0], nil
}

// Verify checks that r is well formed, names pub as its key, that its
// entry is in the signed tree (the inclusion proof) and that the batch
// signature verifies under pub. It does not check which envelope r
// acknowledges: see Acknowledges.
func (r *Receipt) Verify(pub ed25519.PublicKey) error {
	if err := r.validate(true); err != nil {
		return fmt.Errorf("envelope: verify receipt: %w", err)
	}
	if len(pub) != ed25519.PublicKeySize {
		return fmt.Errorf("envelope: verify receipt: %w: public key is %d bytes, want %d", ErrKeyMismatch, len(pub), ed25519.PublicKeySize)
	}
	if id := KeyID(pub); id != r.ReceiverKeyID {
		return fmt.Errorf("envelope: verify receipt: %w: receipt is signed by key %s, not %s", ErrKeyMismatch, r.ReceiverKeyID, id)
	}
	root, err := proof.RootFromInclusionProof(rfc6962.DefaultHasher, uint64(r.Index), uint64(r.Size), rfc6962.DefaultHasher.HashLeaf(r.entry().leaf()), r.Proof)
	if err != nil {
		return fmt.Errorf("envelope: verify receipt: %w: inclusion proof: %w", ErrMalformed, err)
	}
	if !ed25519.Verify(pub, signedMessage(batchReceiptPrefix, signedHead(r.Batch, r.Sender, r.Receiver, r.ReceiverKeyID, r.Size, root)), r.Signature) {
		return fmt.Errorf("envelope: verify receipt: %w", ErrBadSignature)
	}
	return nil
}

func (r *Receipt) entry() ReceiptEntry {
	return ReceiptEntry{EnvelopeID: r.EnvelopeID, EnvelopeHash: r.EnvelopeHash, Received: r.Received}
}

// Acknowledges checks that r is a receipt for exactly env, from the party
// env was sent to, and returns ErrWrongEnvelope otherwise. Use it with
// Verify before removing env from the outbox.
func (r *Receipt) Acknowledges(env *Envelope) error {
	if r == nil || env == nil {
		return fmt.Errorf("envelope: receipt: %w: nil receipt or envelope", ErrWrongEnvelope)
	}
	if r.Receiver != env.Recipient {
		return fmt.Errorf("envelope: receipt: %w: signed by %s, envelope went to %s", ErrWrongEnvelope, r.Receiver, env.Recipient)
	}
	return r.AcknowledgesSigned(env.Signed())
}

// AcknowledgesSigned checks that r is a receipt for exactly the signed
// envelope s, from the sender of s and one of its recipients.
func (r *Receipt) AcknowledgesSigned(s *Signed) error {
	switch {
	case r == nil || s == nil:
		return fmt.Errorf("envelope: receipt: %w: nil receipt or envelope", ErrWrongEnvelope)
	case r.EnvelopeID != s.Header.ID:
		return fmt.Errorf("envelope: receipt: %w: acknowledges %s, not %s", ErrWrongEnvelope, r.EnvelopeID, s.Header.ID)
	case r.Sender != s.Header.Sender || !slices.Contains(s.Header.Recipients, r.Receiver):
		return fmt.Errorf("envelope: receipt: %w: receipt from %s to %s, envelope from %s to %v", ErrWrongEnvelope, r.Receiver, r.Sender, s.Header.Sender, s.Header.Recipients)
	case r.EnvelopeHash != s.Hash():
		return fmt.Errorf("envelope: receipt: %w: envelope hash differs", ErrWrongEnvelope)
	}
	return nil
}

// Marshal returns the canonical wire encoding of a well-formed receipt.
func (r *Receipt) Marshal() ([]byte, error) {
	if err := r.validate(true); err != nil {
		return nil, fmt.Errorf("envelope: marshal receipt: %w", err)
	}
	return r.encode(), nil
}

// DecodeReceipt reads one receipt from r, reading at most MaxReceiptSize
// bytes (one more to detect excess), and parses it as UnmarshalReceipt does.
func DecodeReceipt(r io.Reader) (*Receipt, error) {
	b, err := readLimited(r, MaxReceiptSize)
	if err != nil {
		return nil, fmt.Errorf("envelope: decode receipt: %w", err)
	}
	return UnmarshalReceipt(b)
}

// UnmarshalReceipt parses the canonical wire encoding of a receipt, as
// produced by Receipt.Marshal, and accepts nothing else. It does not verify
// the signature or the proof: call Verify next.
func UnmarshalReceipt(b []byte) (*Receipt, error) {
	if len(b) > MaxReceiptSize {
		return nil, fmt.Errorf("envelope: decode receipt: %w: %d bytes, limit %d", ErrTooLarge, len(b), MaxReceiptSize)
	}
	var w wireReceipt
	if err := decodeStrict(b, &w); err != nil {
		return nil, fmt.Errorf("envelope: decode receipt: %w", err)
	}
	var f fieldErrs
	received, ok := parseTime(&f, "received", w.Received)
	if len(w.Proof) > 64 {
		f.add("proof", "too long")
	}
	var prf [][]byte
	for i, p := range w.Proof {
		if len(p) != 64 {
			f.add(fmt.Sprintf("proof[%d]", i), "must be 64 lowercase hex digits")
			continue
		}
		h, err := hex.DecodeString(p)
		if err != nil {
			f.add(fmt.Sprintf("proof[%d]", i), "must be 64 lowercase hex digits")
			continue
		}
		prf = append(prf, h)
	}
	if !ok || len(f.errs) > 0 {
		return nil, fmt.Errorf("envelope: decode receipt: %w: %w", ErrMalformed, f.err())
	}
	r := &Receipt{EnvelopeID: w.EnvelopeID, EnvelopeHash: w.EnvelopeHash, Received: received, Batch: w.Batch, Sender: w.Sender,
		Receiver: w.Receiver, ReceiverKeyID: w.ReceiverKeyID, Index: w.Index, Size: w.Size, Proof: prf, Signature: w.Signature}
	if err := r.validate(true); err != nil {
		return nil, fmt.Errorf("envelope: decode receipt: %w", err)
	}
	if !bytes.Equal(r.encode(), b) {
		return nil, fmt.Errorf("envelope: decode receipt: %w: not in canonical form", ErrMalformed)
	}
	return r, nil
}

// validate checks every field but, unless withSig, the signature.
func (r *Receipt) validate(withSig bool) error {
	if r == nil {
		return fmt.Errorf("%w: nil receipt", ErrMalformed)
	}
	var f fieldErrs
	r.entry().validate(&f)
	validateHead(&f, r.Batch, r.Sender, r.Receiver, r.ReceiverKeyID, r.Size)
	if r.Index < 0 || r.Index >= r.Size {
		f.add("index", "must be below size")
	} else if len(r.Proof) != proofLen(r.Index, r.Size) {
		f.add("proof", fmt.Sprintf("must hold %d hashes for index %d of %d", proofLen(r.Index, r.Size), r.Index, r.Size))
	}
	for i, p := range r.Proof {
		if len(p) != 32 {
			f.add(fmt.Sprintf("proof[%d]", i), "must be 32 bytes")
		}
	}
	if withSig && len(r.Signature) != ed25519.SignatureSize {
		f.add("signature", fmt.Sprintf("must be %d bytes", ed25519.SignatureSize))
	}
	if err := f.err(); err != nil {
		return fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	return nil
}

func (r *Receipt) encode() []byte {
	prf := make([]string, len(r.Proof))
	for i, p := range r.Proof {
		prf[i] = hex.EncodeToString(p)
	}
	return encodeJSON(wireReceipt{EnvelopeID: r.EnvelopeID, EnvelopeHash: r.EnvelopeHash, Received: r.Received.UTC().Format(timeLayout),
		Batch: r.Batch, Sender: r.Sender, Receiver: r.Receiver, ReceiverKeyID: r.ReceiverKeyID, Index: r.Index, Size: r.Size,
		Proof: prf, Signature: r.Signature})
}

// Hash returns the hex SHA-256 of the receipt's canonical wire encoding,
// for recording it in the ledger.
func (r *Receipt) Hash() string {
	return hex.EncodeToString(sha256Sum(r.encode()))
}

// normalizeEntries returns entries with times in UTC, truncated to
// microseconds, as they are signed.
func normalizeEntries(entries []ReceiptEntry) []ReceiptEntry {
	out := make([]ReceiptEntry, len(entries))
	for i, e := range entries {
		if !e.Received.IsZero() {
			e.Received = e.Received.UTC().Truncate(time.Microsecond)
		}
		out[i] = e
	}
	return out
}

// tree is an RFC 6962 Merkle tree over receipt entries, with its subtree
// hashes memoized so that every audit path of a batch costs O(n) hashes in
// all.
type tree struct {
	leaves [][]byte
	memo   map[[2]int][]byte
}

func newTree(entries []ReceiptEntry) (*tree, error) {
	if len(entries) == 0 || len(entries) > MaxBatchEnvelopes {
		return nil, fmt.Errorf("%w: %d entries, want 1 to %d", ErrMalformed, len(entries), MaxBatchEnvelopes)
	}
	t := &tree{leaves: make([][]byte, len(entries)), memo: map[[2]int][]byte{}}
	seen := make(map[string]bool, len(entries))
	for i, e := range entries {
		f := fieldErrs{prefix: fmt.Sprintf("entries[%d].", i)}
		e.validate(&f)
		if err := f.err(); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
		}
		if seen[e.EnvelopeID] {
			return nil, fmt.Errorf("%w: envelope %s listed twice", ErrMalformed, e.EnvelopeID)
		}
		seen[e.EnvelopeID] = true
		t.leaves[i] = rfc6962.DefaultHasher.HashLeaf(e.leaf())
	}
	return t, nil
}

func (t *tree) root() []byte { return t.hash(0, len(t.leaves)) }

// split is the largest power of two smaller than n (RFC 6962 section 2.1).
func split(n int) int {
	k := 1
	for k<<1 < n {
		k <<= 1
	}
	return k
}

// hash is MTH(D[lo:hi]).
func (t *tree) hash(lo, hi int) []byte {
	if hi-lo == 1 {
		return t.leaves[lo]
	}
	if h, ok := t.memo[[2]int{lo, hi}]; ok {
		return h
	}
	k := split(hi - lo)
	h := rfc6962.DefaultHasher.HashChildren(t.hash(lo, lo+k), t.hash(lo+k, hi))
	t.memo[[2]int{lo, hi}] = h
	return h
}

// path is PATH(m, D[lo:hi]), the audit path of leaf lo+m, leaf first.
func (t *tree) path(m, lo, hi int) [][]byte {
	if hi-lo == 1 {
		return [][]byte{}
	}
	k := split(hi - lo)
	if m < k {
		return append(t.path(m, lo, lo+k), t.hash(lo+k, hi))
	}
	return append(t.path(m-k, lo+k, hi), t.hash(lo, lo+k))
}

// proofLen is the length of the audit path of leaf index in a tree of
// size leaves.
func proofLen(index, size int64) int {
	n := 0
	for size > 1 {
		k := int64(split(int(size)))
		if index < k {
			size = k
		} else {
			index, size = index-k, size-k
		}
		n++
	}
	return n
}
