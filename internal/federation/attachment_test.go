package federation_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"math/rand/v2"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/liaison-dev/liaison/internal/federation"
	"github.com/liaison-dev/liaison/internal/store"
)

// prng is an endless deterministic byte stream, so a large test file is
// produced without ever being held in memory.
type prng struct{ r *rand.ChaCha8 }

func (p prng) Read(b []byte) (int, error) { return p.r.Read(b) }

// TestAttachmentsToSeveralParties sends one message with a multi-MiB
// attachment to two parties. Each gets its own encrypted copy, streamed
// disk to disk (io.Copy through envelope.SealStream and OpenStream: no
// step reads a file whole), checked against the signed digest, and each
// returns its own receipt.
func TestAttachmentsToSeveralParties(t *testing.T) {
	const size = 3<<20 + 12345 // not a multiple of the chunk size
	us, cn, ru := newTestNode(t, "US"), newTestNode(t, "CN"), newTestNode(t, "RU")
	pair(t, us, cn, "")
	pair(t, us, ru, "")
	type got struct {
		path, sha string
		size      int64
	}
	var mu sync.Mutex
	received := map[string]got{}
	for _, tn := range []*testNode{cn, ru} {
		tn.N.Federation.Handle("evidence.transfer", func(ctx context.Context, q store.Queries, d federation.Delivery) error {
			if len(d.Attachments) != 1 {
				return federation.ErrPermanent
			}
			a := d.Attachments[0]
			mu.Lock()
			received[tn.party] = got{a.Path, a.SHA256, a.Size}
			mu.Unlock()
			return nil
		})
		tn.serve()
	}
	us.serve()

	att, err := us.N.Federation.StageAttachment("disk-image.bin", io.LimitReader(prng{rand.NewChaCha8([32]byte{7})}, size))
	if err != nil {
		t.Fatal(err)
	}
	if att.Size != size {
		t.Fatalf("staged %d bytes", att.Size)
	}
	id, err := us.N.Federation.Send(t.Context(), federation.Message{Type: "evidence.transfer", Recipients: []string{"CN", "RU"},
		Conversation: "case-42", Payload: []byte(`{"case":"42"}`), Attachments: []federation.Attachment{att}})
	if err != nil {
		t.Fatal(err)
	}
	for _, party := range []string{"CN", "RU"} {
		waitFor(t, "receipt from "+party, 30*time.Second, func() (bool, string) {
			_, err := us.N.Store.GetReceipt(t.Context(), id, party)
			return err == nil, "no receipt yet"
		})
	}
	r1, _ := us.N.Store.GetReceipt(t.Context(), id, "CN")
	r2, _ := us.N.Store.GetReceipt(t.Context(), id, "RU")
	// One signed envelope, so one envelope hash; each party decrypted its
	// own copy (a receipt is only signed after decryption) and signed its
	// own receipt.
	if r1.EnvelopeHash != r2.EnvelopeHash || bytes.Equal(r1.Receipt, r2.Receipt) {
		t.Fatalf("receipts: CN %s, RU %s: want the same envelope hash in two receipts", r1.EnvelopeHash, r2.EnvelopeHash)
	}
	for _, party := range []string{"CN", "RU"} {
		g := received[party]
		if g.sha != att.SHA256 || g.size != size {
			t.Fatalf("%s received %+v, sent %s", party, g, att.SHA256)
		}
		f, err := os.Open(g.path)
		if err != nil {
			t.Fatal(err)
		}
		h := sha256.New()
		n, err := io.Copy(h, f)
		f.Close()
		if err != nil || n != size || hex.EncodeToString(h.Sum(nil)) != att.SHA256 {
			t.Fatalf("%s: file on disk is %d bytes, digest differs (%v)", party, n, err)
		}
	}
}
