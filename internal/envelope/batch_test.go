package envelope

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

const batchID = "00112233445566778899aabbccddeeff"

// signedN returns n signed envelopes from `from` to `to`, with payloads.
func signedN(t testing.TB, n int, from *party, to ...*party) ([]*Signed, [][]byte) {
	t.Helper()
	var ss []*Signed
	var ps [][]byte
	for i := range n {
		h := testHeader(from.code, codes(to...)...)
		h.ID = fmt.Sprintf("%032x", i+1)
		h.Attachments = nil
		p := []byte(fmt.Sprintf("payload %d %s", i, strings.Repeat("z", i)))
		s, err := Sign(h, p, from.signKey)
		if err != nil {
			t.Fatal(err)
		}
		ss, ps = append(ss, s), append(ps, p)
	}
	return ss, ps
}

// sealBatch seals envelopes to `to` in one batch and returns its header
// and the wire encodings of the envelopes.
func sealBatch(t testing.TB, ss []*Signed, ps [][]byte, from, to *party) (BatchHeader, [][]byte) {
	t.Helper()
	bs, err := NewBatchSealer(batchID, from.code, to.code, to.encPub)
	if err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	for i, s := range ss {
		e, err := bs.Seal(s, ps[i])
		if err != nil {
			t.Fatal(err)
		}
		b, err := e.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
	return bs.Header(), out
}

// openBatch opens every envelope of a batch as an inbox would, returning
// per envelope the payload or the error.
func openBatch(t testing.TB, hdr BatchHeader, raws [][]byte, to *party) ([][]byte, []error) {
	t.Helper()
	b, err := hdr.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	hdr, err = UnmarshalBatchHeader(b)
	if err != nil {
		t.Fatal(err)
	}
	o, err := OpenBatch(hdr, to.encKey)
	if err != nil {
		t.Fatal(err)
	}
	ps, errs := make([][]byte, len(raws)), make([]error, len(raws))
	for i, raw := range raws {
		e, err := UnmarshalBatchEnvelope(raw)
		if err != nil {
			o.Skip()
			errs[i] = err
			continue
		}
		ps[i], errs[i] = o.Open(e)
	}
	return ps, errs
}

func TestBatchRoundTrip(t *testing.T) {
	fr, de, cn := newParty(t, "FR", 1), newParty(t, "DE", 2), newParty(t, "CN", 3)
	ss, ps := signedN(t, 5, fr, de, cn)
	hdr, raws := sealBatch(t, ss, ps, fr, de)
	got, errs := openBatch(t, hdr, raws, de)
	for i := range ss {
		if errs[i] != nil || !bytes.Equal(got[i], ps[i]) {
			t.Fatalf("envelope %d: %q, %v", i, got[i], errs[i])
		}
		e, _ := UnmarshalBatchEnvelope(raws[i])
		if err := e.Verify(fr.signPub); err != nil {
			t.Fatalf("envelope %d: %v", i, err)
		}
		if e.Hash() != ss[i].Hash() {
			t.Fatalf("envelope %d: hash changed in the batch", i)
		}
	}
	// The same signed envelopes in a fresh batch are new ciphertexts with
	// the same hashes.
	hdr2, raws2 := sealBatch(t, ss, ps, fr, de)
	if bytes.Equal(hdr2.Enc, hdr.Enc) || bytes.Equal(raws2[0], raws[0]) {
		t.Fatal("a fresh batch reused the encryption")
	}
	// The other recipient cannot open DE's batch.
	if _, errs := openBatch(t, hdr, raws, cn); !errors.Is(errs[0], ErrDecrypt) || !errors.Is(errs[1], ErrBatchBroken) {
		t.Fatalf("CN opened DE's batch: %v", errs)
	}
}

func TestBatchTamper(t *testing.T) {
	fr, de := newParty(t, "FR", 1), newParty(t, "DE", 2)
	ss, ps := signedN(t, 4, fr, de)
	tests := []struct {
		name   string
		tamper func(hdr *BatchHeader, raws [][]byte) [][]byte
		want   []error // per envelope; nil = opens
	}{
		{"untouched", func(*BatchHeader, [][]byte) [][]byte { return nil }, []error{nil, nil, nil, nil}},
		{"two envelopes swapped", func(_ *BatchHeader, r [][]byte) [][]byte {
			r[1], r[2] = r[2], r[1]
			return r
		}, []error{nil, ErrDecrypt, ErrBatchBroken, ErrBatchBroken}},
		{"envelope dropped from the middle", func(_ *BatchHeader, r [][]byte) [][]byte {
			return slices.Delete(r, 1, 2)
		}, []error{nil, ErrDecrypt, ErrBatchBroken}},
		{"envelope repeated", func(_ *BatchHeader, r [][]byte) [][]byte {
			return slices.Insert(r, 1, r[0])
		}, []error{nil, ErrDecrypt, ErrBatchBroken, ErrBatchBroken, ErrBatchBroken}},
		{"ciphertext moved under another header", func(_ *BatchHeader, r [][]byte) [][]byte {
			a, _ := UnmarshalBatchEnvelope(r[0])
			b, _ := UnmarshalBatchEnvelope(r[1])
			if len(a.Ciphertext) != len(b.Ciphertext) {
				b.Ciphertext = b.Ciphertext[:len(a.Ciphertext)]
				b.Header.PayloadSize = a.Header.PayloadSize
			}
			b.Ciphertext = a.Ciphertext
			r[1], _ = b.Marshal()
			return r
		}, []error{nil, ErrDecrypt, ErrBatchBroken, ErrBatchBroken}},
		{"ciphertext bit flipped", func(_ *BatchHeader, r [][]byte) [][]byte {
			r[3][len(r[3])-1] ^= 1
			return r
		}, []error{nil, nil, nil, ErrDecrypt}},
		{"batch ID changed", func(h *BatchHeader, r [][]byte) [][]byte {
			h.ID = NewID()
			return r
		}, []error{ErrDecrypt, ErrBatchBroken, ErrBatchBroken, ErrBatchBroken}},
		{"batch sender changed", func(h *BatchHeader, r [][]byte) [][]byte {
			h.Sender = "CN"
			return r
		}, []error{ErrDecrypt, ErrBatchBroken, ErrBatchBroken, ErrBatchBroken}},
		{"batch from another batch's key", func(h *BatchHeader, r [][]byte) [][]byte {
			other, _ := sealBatch(t, ss, ps, fr, de)
			h.Enc = other.Enc
			return r
		}, []error{ErrDecrypt, ErrBatchBroken, ErrBatchBroken, ErrBatchBroken}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hdr, raws := sealBatch(t, ss, ps, fr, de)
			if r := tt.tamper(&hdr, raws); r != nil {
				raws = r
			}
			_, errs := openBatch(t, hdr, raws, de)
			if len(errs) != len(tt.want) {
				t.Fatalf("%d results, want %d", len(errs), len(tt.want))
			}
			for i, err := range errs {
				if (err == nil) != (tt.want[i] == nil) || (err != nil && !errors.Is(err, tt.want[i])) {
					t.Errorf("envelope %d: %v, want %v", i, err, tt.want[i])
				}
			}
		})
	}
}

// TestBatchSignatureStillPerEnvelope: a batch does not vouch for its
// envelopes; each signature is checked on its own.
func TestBatchSignatureStillPerEnvelope(t *testing.T) {
	fr, de, cn := newParty(t, "FR", 1), newParty(t, "DE", 2), newParty(t, "CN", 3)
	ss, ps := signedN(t, 2, fr, de)
	ss[1].Signature = slices.Clone(ss[1].Signature)
	ss[1].Signature[5] ^= 1
	hdr, raws := sealBatch(t, ss, ps, fr, de)
	if _, errs := openBatch(t, hdr, raws, de); errs[0] != nil || errs[1] != nil {
		t.Fatalf("open: %v", errs)
	}
	e0, _ := UnmarshalBatchEnvelope(raws[0])
	e1, _ := UnmarshalBatchEnvelope(raws[1])
	if err := e0.Verify(fr.signPub); err != nil {
		t.Fatal(err)
	}
	if err := e1.Verify(fr.signPub); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("altered signature inside a batch: %v", err)
	}
	if err := e0.Verify(cn.signPub); !errors.Is(err, ErrKeyMismatch) {
		t.Fatalf("other key: %v", err)
	}
}

func TestBatchSealerRefuses(t *testing.T) {
	fr, de, cn := newParty(t, "FR", 1), newParty(t, "DE", 2), newParty(t, "CN", 3)
	ss, ps := signedN(t, 1, fr, de)
	bs, err := NewBatchSealer(batchID, "FR", "CN", cn.encPub)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bs.Seal(ss[0], ps[0]); !errors.Is(err, ErrWrongEnvelope) {
		t.Errorf("envelope for DE in a batch to CN: %v", err)
	}
	bs, _ = NewBatchSealer(batchID, "FR", "DE", de.encPub)
	if _, err := bs.Seal(ss[0], []byte("other payload")); !errors.Is(err, ErrWrongEnvelope) {
		t.Errorf("payload other than signed: %v", err)
	}
	if _, err := NewBatchSealer("nope", "FR", "DE", de.encPub); !errors.Is(err, ErrMalformed) {
		t.Errorf("bad batch ID: %v", err)
	}
	if _, err := NewBatchSealer(batchID, "FR", "FR", de.encPub); !errors.Is(err, ErrMalformed) {
		t.Errorf("batch to self: %v", err)
	}
}

func TestBatchReceiptVerify(t *testing.T) {
	de, cn := newParty(t, "DE", 2), newParty(t, "CN", 3)
	entries := goldenEntries(5)
	br, err := NewBatchReceipt(batchID, "FR", "DE", entries, de.signKey)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := br.Marshal()
	br, err = UnmarshalBatchReceipt(b)
	if err != nil {
		t.Fatal(err)
	}
	other, _ := NewBatchReceipt(batchID, "FR", "DE", entries, cn.signKey)
	tests := []struct {
		name    string
		r       *BatchReceipt
		pub     []byte
		batch   string
		entries func([]ReceiptEntry) []ReceiptEntry
		want    error
	}{
		{"valid", br, de.signPub, batchID, nil, nil},
		{"missing an envelope", br, de.signPub, batchID, func(e []ReceiptEntry) []ReceiptEntry { return e[:4] }, ErrWrongEnvelope},
		{"an envelope too many", br, de.signPub, batchID, func(e []ReceiptEntry) []ReceiptEntry {
			return append(e, ReceiptEntry{EnvelopeID: NewID(), EnvelopeHash: strings.Repeat("ff", 32), Received: receivedAt})
		}, ErrWrongEnvelope},
		{"envelopes swapped", br, de.signPub, batchID, func(e []ReceiptEntry) []ReceiptEntry {
			e[0], e[1] = e[1], e[0]
			return e
		}, ErrWrongEnvelope},
		{"other envelope hash", br, de.signPub, batchID, func(e []ReceiptEntry) []ReceiptEntry {
			e[2].EnvelopeHash = strings.Repeat("ee", 32)
			return e
		}, ErrWrongEnvelope},
		{"other time", br, de.signPub, batchID, func(e []ReceiptEntry) []ReceiptEntry {
			e[2].Received = e[2].Received.Add(time.Second)
			return e
		}, ErrWrongEnvelope},
		{"replayed for another batch", br, de.signPub, NewID(), nil, ErrWrongEnvelope},
		{"signed by another key", other, de.signPub, batchID, nil, ErrKeyMismatch},
		{"verified under another key", br, cn.signPub, batchID, nil, ErrKeyMismatch},
		{"signature altered", func() *BatchReceipt {
			c := *br
			c.Signature = slices.Clone(c.Signature)
			c.Signature[0] ^= 1
			return &c
		}(), de.signPub, batchID, nil, ErrBadSignature},
		{"other key's signature under our key ID", func() *BatchReceipt {
			c := *other
			c.ReceiverKeyID = br.ReceiverKeyID
			return &c
		}(), de.signPub, batchID, nil, ErrBadSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := slices.Clone(entries)
			if tt.entries != nil {
				e = tt.entries(e)
			}
			err := tt.r.Verify(tt.pub, tt.batch, "FR", e)
			if (err == nil) != (tt.want == nil) || (err != nil && !errors.Is(err, tt.want)) {
				t.Errorf("Verify = %v, want %v", err, tt.want)
			}
		})
	}
}

// TestReceiptsStandAlone: every envelope's receipt verifies alone, for any
// batch size, and cannot be moved to another entry.
func TestReceiptsStandAlone(t *testing.T) {
	de := newParty(t, "DE", 2)
	for _, n := range []int{1, 2, 3, 5, 8, 13, 128} {
		entries := goldenEntries(n)
		br, err := NewBatchReceipt(batchID, "FR", "DE", entries, de.signKey)
		if err != nil {
			t.Fatal(err)
		}
		rs, err := br.Receipts(entries)
		if err != nil {
			t.Fatal(err)
		}
		for i, r := range rs {
			b, err := r.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			if len(b) > MaxReceiptSize {
				t.Fatalf("receipt of %d bytes", len(b))
			}
			got, err := UnmarshalReceipt(b)
			if err != nil {
				t.Fatalf("n=%d i=%d: %v", n, i, err)
			}
			if err := got.Verify(de.signPub); err != nil {
				t.Fatalf("n=%d i=%d: %v", n, i, err)
			}
			if got.EnvelopeID != entries[i].EnvelopeID || got.EnvelopeHash != entries[i].EnvelopeHash {
				t.Fatalf("n=%d i=%d: names %s", n, i, got.EnvelopeID)
			}
			if n > 1 {
				// Another entry's identity with this proof does not verify.
				j := (i + 1) % n
				got.EnvelopeID, got.EnvelopeHash = entries[j].EnvelopeID, entries[j].EnvelopeHash
				if err := got.Verify(de.signPub); !errors.Is(err, ErrBadSignature) {
					t.Fatalf("n=%d i=%d: moved receipt verifies: %v", n, i, err)
				}
			}
		}
	}
	if _, err := NewBatchReceipt(batchID, "FR", "DE", nil, de.signKey); !errors.Is(err, ErrMalformed) {
		t.Errorf("empty batch receipt: %v", err)
	}
	dup := goldenEntries(2)
	dup[1].EnvelopeID = dup[0].EnvelopeID
	if _, err := NewBatchReceipt(batchID, "FR", "DE", dup, de.signKey); !errors.Is(err, ErrMalformed) {
		t.Errorf("envelope listed twice: %v", err)
	}
}

func TestSignedRoundTrip(t *testing.T) {
	fr, de := newParty(t, "FR", 1), newParty(t, "DE", 2)
	ss, _ := signedN(t, 1, fr, de)
	b, err := ss[0].Marshal()
	if err != nil {
		t.Fatal(err)
	}
	got, err := UnmarshalSigned(b)
	if err != nil || got.Hash() != ss[0].Hash() || got.Verify(fr.signPub) != nil {
		t.Fatalf("UnmarshalSigned: %v", err)
	}
	for name, in := range map[string][]byte{
		"empty":          nil,
		"trailing":       append(slices.Clone(b), 0),
		"truncated":      b[:len(b)-1],
		"huge length":    append([]byte{0xff, 0xff, 0xff, 0xff}, b[4:]...),
		"header too big": append([]byte{0, 0, 0, 3}, b[4:]...),
	} {
		if _, err := UnmarshalSigned(in); !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrTooLarge) {
			t.Errorf("%s: %v", name, err)
		}
	}
	// Sign is deterministic, so re-signing on a retry gives the same hash.
	again, _ := signedN(t, 1, fr, de)
	if again[0].Hash() != ss[0].Hash() {
		t.Error("signing the same header twice gave another hash")
	}
}

// TestBatchVector: a batch sealed by an earlier build still opens and
// verifies (HPKE is randomized, so round trips alone would not notice a
// change made on both sides).
func TestBatchVector(t *testing.T) {
	fr, de := newParty(t, "FR", 1), newParty(t, "DE", 2)
	type vector struct {
		Header    []byte   `json:"header"`
		Envelopes [][]byte `json:"envelopes"`
	}
	path := filepath.Join("testdata", "batch.vector.json")
	if *update {
		ss, ps := signedN(t, 3, fr, de)
		hdr, raws := sealBatch(t, ss, ps, fr, de)
		hb, _ := hdr.Marshal()
		b, _ := json.Marshal(vector{Header: hb, Envelopes: raws})
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run TestBatchVector -update)", err)
	}
	var v vector
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	hdr, err := UnmarshalBatchHeader(v.Header)
	if err != nil {
		t.Fatal(err)
	}
	ps, errs := openBatch(t, hdr, v.Envelopes, de)
	for i := range v.Envelopes {
		if errs[i] != nil || !strings.HasPrefix(string(ps[i]), fmt.Sprintf("payload %d ", i)) {
			t.Fatalf("envelope %d: %q %v", i, ps[i], errs[i])
		}
		e, _ := UnmarshalBatchEnvelope(v.Envelopes[i])
		if err := e.Verify(fr.signPub); err != nil {
			t.Fatal(err)
		}
	}
}

func BenchmarkBatchPerEnvelope(b *testing.B) {
	fr, de := newParty(b, "FR", 1), newParty(b, "DE", 2)
	const n = 128
	ss, ps := signedN(b, n, fr, de)
	b.ReportAllocs()
	for b.Loop() {
		hdr, raws := sealBatch(b, ss, ps, fr, de)
		_, errs := openBatch(b, hdr, raws, de)
		entries := make([]ReceiptEntry, n)
		for i, raw := range raws {
			if errs[i] != nil {
				b.Fatal(errs[i])
			}
			e, _ := UnmarshalBatchEnvelope(raw)
			if err := e.Verify(fr.signPub); err != nil {
				b.Fatal(err)
			}
			entries[i] = ReceiptEntry{EnvelopeID: e.Header.ID, EnvelopeHash: e.Hash(), Received: receivedAt}
		}
		br, _ := NewBatchReceipt(batchID, "FR", "DE", entries, de.signKey)
		if err := br.Verify(de.signPub, batchID, "FR", entries); err != nil {
			b.Fatal(err)
		}
		if _, err := br.Receipts(entries); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*n), "µs/envelope")
}
