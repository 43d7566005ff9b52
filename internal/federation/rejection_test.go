package federation_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/hpke"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/liaison-dev/liaison/internal/envelope"
	"github.com/liaison-dev/liaison/internal/federation"
	"github.com/liaison-dev/liaison/internal/node"
	"github.com/liaison-dev/liaison/internal/store"
)

// peerClient posts to a node's inbox as the holder of own's TLS
// certificate, pinning the node's certificate.
func peerClient(own tls.Certificate, to *testNode) *http.Client {
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		TLSClientConfig: federation.PinnedTLS(own, to.N.Identity.TLSFingerprint())}}
}

func post(t *testing.T, c *http.Client, to *testNode, contentType string, body []byte) (int, []byte) {
	t.Helper()
	resp, err := c.Post("https://"+to.addr+federation.Prefix+"/inbox", contentType, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// seal makes an envelope from sender to the recipients, encrypted to the
// given keys; tweak may change the header first.
func seal(t *testing.T, from *testNode, signer ed25519.PrivateKey, keys map[string]hpke.PublicKey, recipient string, typ string, payload []byte, tweak func(*envelope.Header)) *envelope.Envelope {
	t.Helper()
	h := envelope.Header{ID: envelope.NewID(), Type: typ, Sender: from.party, Recipients: []string{recipient},
		Created: time.Now().UTC().Truncate(time.Microsecond), Conversation: "rejections"}
	if tweak != nil {
		tweak(&h)
	}
	envs, err := envelope.Seal(h, payload, signer, keys)
	if err != nil {
		t.Fatal(err)
	}
	return envs[recipient]
}

func marshal(t *testing.T, e *envelope.Envelope) []byte {
	b, err := e.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func rejectionCount(t *testing.T, n *node.Node, peer string, reason federation.Reason) float64 {
	t.Helper()
	return counter(t, n, "liaison_federation_inbox_rejections_total", map[string]string{"peer": peer, "reason": string(reason)})
}

type rejectWorld struct {
	us, cn, ru *testNode
	stranger   *testNode // not paired with anyone
	cnKeys     map[string]hpke.PublicKey
}

func newRejectWorld(t *testing.T) *rejectWorld {
	w := &rejectWorld{us: newTestNode(t, "US"), cn: newTestNode(t, "CN"), ru: newTestNode(t, "RU"), stranger: newTestNode(t, "XX")}
	pair(t, w.us, w.cn, "")
	pair(t, w.ru, w.cn, "")
	pair(t, w.us, w.ru, "")
	w.cn.N.Federation.Handle(applyType, recordingHandler)
	w.cn.N.Federation.Handle("test.refuse", func(ctx context.Context, q store.Queries, d federation.Delivery) error {
		return fmt.Errorf("%w: the payload names no known case", federation.ErrPermanent)
	})
	w.cn.N.Federation.Handle("test.later", func(ctx context.Context, q store.Queries, d federation.Delivery) error {
		return fmt.Errorf("case service is busy")
	})
	w.cn.serve()
	w.cnKeys = map[string]hpke.PublicKey{"CN": w.cn.N.Identity.Encryption.PublicKey(), "RU": w.ru.N.Identity.Encryption.PublicKey()}
	return w
}

func TestInboxRejections(t *testing.T) {
	w := newRejectWorld(t)
	us, cn := w.us, w.cn
	usClient := peerClient(us.N.Identity.TLS, cn)
	signer := us.N.Identity.Signer
	valid := func(tweak func(*envelope.Header)) []byte {
		return marshal(t, seal(t, us, signer, w.cnKeys, "CN", applyType, []byte("hello"), tweak))
	}
	otherKey, _ := envelope.GenerateKey()
	_, forger, _ := ed25519.GenerateKey(nil)
	tampered := func() []byte {
		e := seal(t, us, signer, w.cnKeys, "CN", applyType, []byte("hello"), nil)
		e.Signature[0] ^= 1
		return marshal(t, e)
	}
	cn.N.Federation.MaxEnvelope = 64 << 10

	cases := []struct {
		name   string
		client *http.Client
		peer   string // metric label
		ct     string
		body   []byte
		reason federation.Reason
		status int
	}{
		{"not JSON", usClient, "US", federation.SingleContentType, []byte("not an envelope"), federation.ReasonMalformed, 400},
		{"unknown field", usClient, "US", federation.SingleContentType, []byte(`{"header":{},"x":1}`), federation.ReasonMalformed, 400},
		{"oversize", usClient, "US", federation.SingleContentType, marshal(t, seal(t, us, signer, w.cnKeys, "CN", applyType, bytes.Repeat([]byte("x"), 100<<10), nil)), federation.ReasonTooLarge, 413},
		{"no client certificate", &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}, "unknown", federation.SingleContentType, valid(nil), federation.ReasonUnknownSender, 403},
		{"unpaired node", peerClient(w.stranger.N.Identity.TLS, cn), "unknown", federation.SingleContentType, valid(nil), federation.ReasonUnknownSender, 403},
		{"sender is not the TLS peer", peerClient(w.ru.N.Identity.TLS, cn), "RU", federation.SingleContentType, valid(nil), federation.ReasonSenderMismatch, 403},
		{"forged: signed by another key", usClient, "US", federation.SingleContentType, marshal(t, seal(t, us, forger, w.cnKeys, "CN", applyType, []byte("hello"), nil)), federation.ReasonBadSignature, 403},
		{"forged: signature altered", usClient, "US", federation.SingleContentType, tampered(), federation.ReasonBadSignature, 403},
		{"for another party", usClient, "US", federation.SingleContentType, marshal(t, seal(t, us, signer, w.cnKeys, "RU", applyType, []byte("hello"), func(h *envelope.Header) { h.Recipients = []string{"RU"} })), federation.ReasonWrongRecipient, 421},
		{"replay outside the window", usClient, "US", federation.SingleContentType, valid(func(h *envelope.Header) { h.Created = h.Created.Add(-8 * 24 * time.Hour) }), federation.ReasonStale, 422},
		{"from the future", usClient, "US", federation.SingleContentType, valid(func(h *envelope.Header) { h.Created = h.Created.Add(time.Hour) }), federation.ReasonStale, 422},
		{"encrypted to another key", usClient, "US", federation.SingleContentType, marshal(t, seal(t, us, signer, map[string]hpke.PublicKey{"CN": otherKey.PublicKey()}, "CN", applyType, []byte("hello"), nil)), federation.ReasonDecrypt, 422},
		{"unknown type", usClient, "US", federation.SingleContentType, valid(func(h *envelope.Header) { h.Type = "no.such.type" }), federation.ReasonUnknownType, 422},
		{"attachment without its stream", usClient, "US", federation.SingleContentType, valid(func(h *envelope.Header) {
			h.Attachments = []envelope.AttachmentRef{{Name: "evidence.bin", Size: 3, SHA256: strings.Repeat("ab", 32)}}
		}), federation.ReasonAttachment, 422},
		{"refused by the handler", usClient, "US", federation.SingleContentType, marshal(t, seal(t, us, signer, w.cnKeys, "CN", "test.refuse", []byte("?"), nil)), federation.ReasonRefused, 422},
		{"handler busy", usClient, "US", federation.SingleContentType, marshal(t, seal(t, us, signer, w.cnKeys, "CN", "test.later", []byte("?"), nil)), federation.ReasonUnavailable, 503},
		{"wrong content type", usClient, "US", "text/plain", valid(nil), federation.ReasonMalformed, 415},
		{"truncated batch", usClient, "US", federation.BatchContentType, []byte("LFB2H\x00\x10{"), federation.ReasonMalformed, 400},
		{"old batch format", usClient, "US", federation.BatchContentType, []byte("LFB1Z"), federation.ReasonMalformed, 400},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := rejectionCount(t, cn.N, tc.peer, tc.reason)
			status, body := post(t, tc.client, cn, tc.ct, tc.body)
			if status != tc.status {
				t.Fatalf("status %d, want %d: %s", status, tc.status, body)
			}
			var p federation.Problem
			if err := json.Unmarshal(body, &p); err != nil || p.Reason != tc.reason || p.Type != federation.ProblemTypePrefix+string(tc.reason) {
				t.Fatalf("problem %s (%v), want reason %s", body, err, tc.reason)
			}
			if got := rejectionCount(t, cn.N, tc.peer, tc.reason); got != before+1 {
				t.Fatalf("rejections{peer=%s,reason=%s} = %v, want %v", tc.peer, tc.reason, got, before+1)
			}
		})
	}
	// Nothing refused was applied, and the inbox still works.
	if byConv, _ := applied(t, cn.N.Store); len(byConv) != 0 {
		t.Fatalf("refused envelopes were applied: %v", byConv)
	}
	status, body := post(t, usClient, cn, federation.SingleContentType, valid(nil))
	if status != 200 {
		t.Fatalf("a valid envelope after the rejections: %d %s", status, body)
	}
}

func TestInboxDuplicatesAndConflicts(t *testing.T) {
	w := newRejectWorld(t)
	us, cn := w.us, w.cn
	c := peerClient(us.N.Identity.TLS, cn)
	env := seal(t, us, us.N.Identity.Signer, w.cnKeys, "CN", applyType, []byte("once"), nil)
	raw := marshal(t, env)
	s1, r1 := post(t, c, cn, federation.SingleContentType, raw)
	s2, r2 := post(t, c, cn, federation.SingleContentType, raw)
	if s1 != 200 || s2 != 200 || !bytes.Equal(r1, r2) {
		t.Fatalf("replay: %d %s / %d %s; want the same receipt twice", s1, r1, s2, r2)
	}
	rc, err := envelope.UnmarshalReceipt(r1)
	if err != nil || rc.Verify(cn.N.Identity.SigningPublic()) != nil || rc.Acknowledges(env) != nil {
		t.Fatalf("receipt does not verify or acknowledge the envelope: %v", err)
	}
	if byConv, dups := applied(t, cn.N.Store); len(byConv["rejections"]) != 1 || len(dups) != 0 {
		t.Fatalf("applied %v, dups %v", byConv, dups)
	}
	// The same ID with other content is refused, not applied.
	other := seal(t, us, us.N.Identity.Signer, w.cnKeys, "CN", applyType, []byte("twice"), func(h *envelope.Header) { h.ID = env.Header.ID })
	if s, b := post(t, c, cn, federation.SingleContentType, marshal(t, other)); s != 409 {
		t.Fatalf("reused ID: %d %s, want 409", s, b)
	}
}

// TestBatchOrderAfterFailure: in one batch, an envelope that fails blocks
// the later ones of its conversation (for retry) but not the others.
func TestBatchOrderAfterFailure(t *testing.T) {
	w := newRejectWorld(t)
	us, cn := w.us, w.cn
	c := peerClient(us.N.Identity.TLS, cn)
	var ins []batchInput
	for _, x := range [][3]string{{applyType, "a", "a0"}, {"test.later", "a", "a1"}, {applyType, "a", "a2"}, {applyType, "b", "b0"}} {
		ins = append(ins, batchInput{typ: x[0], conv: x[1], payload: x[2]})
	}
	body, _ := batchBody(t, us, us.N.Identity.Signer, "CN", w.cnKeys["CN"], ins)
	status, b := post(t, c, cn, federation.BatchContentType, body)
	if status != 200 {
		t.Fatalf("batch: %d %s", status, b)
	}
	var resp federation.BatchResponse
	if err := json.Unmarshal(b, &resp); err != nil {
		t.Fatal(err)
	}
	want := []int{200, 503, 503, 200}
	for i, r := range resp.Results {
		if r.Status != want[i] {
			t.Fatalf("result %d: %d, want %d (%+v)", i, r.Status, want[i], r.Problem)
		}
	}
	if resp.Results[2].Problem.Reason != federation.ReasonBlocked {
		t.Fatalf("third envelope: %+v, want blocked", resp.Results[2].Problem)
	}
	byConv, _ := applied(t, cn.N.Store)
	if fmt.Sprint(byConv["a"]) != "[a0]" || fmt.Sprint(byConv["b"]) != "[b0]" {
		t.Fatalf("applied %v", byConv)
	}
}

// batchInput is one envelope for batchBody.
type batchInput struct {
	typ, conv, payload string
	tweak              func(*envelope.Header)
}

// batchBody seals envelopes from `from` into one v2 batch to recipient
// and returns the request body and the signed envelopes.
func batchBody(t *testing.T, from *testNode, signer ed25519.PrivateKey, recipient string, pub hpke.PublicKey, ins []batchInput) ([]byte, []*envelope.Signed) {
	t.Helper()
	bs, err := envelope.NewBatchSealer(envelope.NewID(), from.party, recipient, pub)
	if err != nil {
		t.Fatal(err)
	}
	hdr, err := bs.Header().Marshal()
	if err != nil {
		t.Fatal(err)
	}
	var body bytes.Buffer
	body.WriteString("LFB2H")
	body.Write([]byte{byte(len(hdr) >> 8), byte(len(hdr))})
	body.Write(hdr)
	var out []*envelope.Signed
	for _, in := range ins {
		h := envelope.Header{ID: envelope.NewID(), Type: in.typ, Sender: from.party, Recipients: []string{recipient},
			Created: time.Now().UTC().Truncate(time.Microsecond), Conversation: in.conv}
		if in.tweak != nil {
			in.tweak(&h)
		}
		sg, err := envelope.Sign(h, []byte(in.payload), signer)
		if err != nil {
			t.Fatal(err)
		}
		e, err := bs.Seal(sg, []byte(in.payload))
		if err != nil {
			t.Fatal(err)
		}
		raw, err := e.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		body.WriteByte('E')
		body.Write([]byte{byte(len(raw) >> 24), byte(len(raw) >> 16), byte(len(raw) >> 8), byte(len(raw))})
		body.Write(raw)
		out = append(out, sg)
	}
	body.WriteByte('Z')
	return body.Bytes(), out
}

// TestBatchReplayAndReceipt: a batch answers with one receipt that
// verifies under the receiver's key for exactly the envelopes accepted;
// replaying the captured batch applies nothing again and is answered with
// the first reception times; a receipt does not carry over to another
// batch, and a receipt missing an envelope or signed by another key does
// not verify.
func TestBatchReplayAndReceipt(t *testing.T) {
	w := newRejectWorld(t)
	us, cn := w.us, w.cn
	c := peerClient(us.N.Identity.TLS, cn)
	ins := []batchInput{{typ: applyType, conv: "r", payload: "r0"}, {typ: "no.such.type", conv: "s", payload: "x"}, {typ: applyType, conv: "r", payload: "r1"}}
	body, signed := batchBody(t, us, us.N.Identity.Signer, "CN", w.cnKeys["CN"], ins)
	batchID := func(body []byte) string { // the ID is the batch header's first 16 bytes
		return fmt.Sprintf("%x", body[7:23])
	}
	answer := func() (federation.BatchResponse, *envelope.BatchReceipt, []envelope.ReceiptEntry) {
		status, b := post(t, c, cn, federation.BatchContentType, body)
		if status != 200 {
			t.Fatalf("batch: %d %s", status, b)
		}
		var resp federation.BatchResponse
		if err := json.Unmarshal(b, &resp); err != nil {
			t.Fatal(err)
		}
		br, err := envelope.UnmarshalBatchReceipt(resp.Receipt)
		if err != nil {
			t.Fatal(err)
		}
		var entries []envelope.ReceiptEntry
		for i, r := range resp.Results {
			if r.Status == 200 {
				entries = append(entries, envelope.ReceiptEntry{EnvelopeID: signed[i].Header.ID, EnvelopeHash: signed[i].Hash(), Received: r.Received})
			}
		}
		return resp, br, entries
	}
	resp1, br1, e1 := answer()
	if resp1.Results[0].Status != 200 || resp1.Results[1].Status != 422 || resp1.Results[2].Status != 200 || len(e1) != 2 {
		t.Fatalf("results %+v", resp1.Results)
	}
	cnKey := cn.N.Identity.SigningPublic()
	if err := br1.Verify(cnKey, batchID(body), "US", e1); err != nil {
		t.Fatalf("batch receipt: %v", err)
	}
	if err := br1.Verify(cnKey, batchID(body), "US", e1[:1]); !errors.Is(err, envelope.ErrWrongEnvelope) {
		t.Fatalf("receipt checked against a list missing an envelope: %v", err)
	}
	if err := br1.Verify(cnKey, envelope.NewID(), "US", e1); !errors.Is(err, envelope.ErrWrongEnvelope) {
		t.Fatalf("receipt replayed for another batch: %v", err)
	}
	if err := br1.Verify(us.N.Identity.SigningPublic(), batchID(body), "US", e1); !errors.Is(err, envelope.ErrKeyMismatch) {
		t.Fatalf("receipt verified under another key: %v", err)
	}
	rs, err := br1.Receipts(e1)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range rs {
		if err := r.Verify(cnKey); err != nil || r.AcknowledgesSigned(signed[2*i]) != nil {
			t.Fatalf("stand-alone receipt %d: %v", i, err)
		}
	}
	// Replay of the whole captured batch.
	resp2, br2, e2 := answer()
	if err := br2.Verify(cnKey, batchID(body), "US", e2); err != nil {
		t.Fatalf("replay's receipt: %v", err)
	}
	for i := range e1 {
		if !e2[i].Received.Equal(e1[i].Received) {
			t.Fatalf("replay answered entry %d with time %v, first %v", i, e2[i].Received, e1[i].Received)
		}
	}
	if resp2.Results[1].Status != 422 {
		t.Fatalf("replay results %+v", resp2.Results)
	}
	if byConv, dups := applied(t, cn.N.Store); fmt.Sprint(byConv["r"]) != "[r0 r1]" || len(dups) != 0 {
		t.Fatalf("applied %v, dups %v", byConv, dups)
	}
	// A swapped envelope inside a batch: the first two envelope frames
	// trade places. The first no longer decrypts, the rest of the batch
	// cannot be opened (sent again later), and nothing is applied.
	fresh := []batchInput{{typ: applyType, conv: "t", payload: "t0"}, {typ: applyType, conv: "u", payload: "u0"}, {typ: applyType, conv: "v", payload: "v0"}}
	body3, _ := batchBody(t, us, us.N.Identity.Signer, "CN", w.cnKeys["CN"], fresh)
	body3 = swapFirstEnvelopes(t, body3)
	status, b := post(t, c, cn, federation.BatchContentType, body3)
	var resp3 federation.BatchResponse
	if status != 200 || json.Unmarshal(b, &resp3) != nil {
		t.Fatalf("swapped batch: %d %s", status, b)
	}
	if r := resp3.Results; r[0].Status != 422 || r[0].Problem.Reason != federation.ReasonDecrypt || r[1].Status != 503 || r[2].Status != 503 || resp3.Receipt != nil {
		t.Fatalf("swapped batch results %+v", resp3.Results)
	}
	if byConv, _ := applied(t, cn.N.Store); len(byConv["t"])+len(byConv["u"])+len(byConv["v"]) != 0 {
		t.Fatalf("a swapped batch was applied: %v", byConv)
	}
}

// swapFirstEnvelopes swaps the first two 'E' frames of a batch body.
func swapFirstEnvelopes(t *testing.T, body []byte) []byte {
	t.Helper()
	i := 5 + 2 + (int(body[5])<<8 | int(body[6])) // after magic, 'H', length, header
	frame := func(at int) []byte {
		if body[at] != 'E' {
			t.Fatalf("no envelope frame at %d", at)
		}
		n := int(body[at+1])<<24 | int(body[at+2])<<16 | int(body[at+3])<<8 | int(body[at+4])
		return body[at : at+5+n]
	}
	a := frame(i)
	b := frame(i + len(a))
	out := append([]byte{}, body[:i]...)
	out = append(out, b...)
	out = append(out, a...)
	return append(out, body[i+len(a)+len(b):]...)
}
