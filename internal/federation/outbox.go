package federation

import (
	"bytes"
	"context"
	"crypto/hpke"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/liaison-dev/liaison/internal/envelope"
	"github.com/liaison-dev/liaison/internal/store"
)

// Run delivers the outbox until ctx is cancelled: one worker per peer
// (started as peers are paired), each with one goroutine per lane and a
// prober. Stopping mid-request is safe: whatever was not acknowledged by
// a stored receipt is sent again after the restart.
func (s *Service) Run(ctx context.Context) error {
	t := &transports{own: s.id.TLS, timeout: s.RequestTimeout}
	defer t.closeAll()
	var wg sync.WaitGroup
	defer wg.Wait()
	running := map[string]bool{}
	for {
		peers, err := s.st.ListPeers(ctx)
		if err != nil && ctx.Err() == nil {
			s.log.Warn("federation: list peers", "err", err)
		}
		for _, p := range peers {
			if running[p.Party] {
				continue
			}
			running[p.Party] = true
			lanes := make([]chan struct{}, Lanes)
			for i := range lanes {
				lanes[i] = make(chan struct{}, 1)
				lanes[i] <- struct{}{} // look at once
			}
			s.mu.Lock()
			s.wake[p.Party] = lanes
			s.healthOf(p.Party)
			s.mu.Unlock()
			for i := range lanes {
				wg.Add(1)
				go func() {
					defer wg.Done()
					s.runLane(ctx, t, p.Party, i, lanes[i])
				}()
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				s.runProbe(ctx, t, p.Party)
			}()
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(5 * s.Poll):
		}
	}
}

// runLane delivers one lane of one peer's queue, oldest first, one
// request at a time.
func (s *Service) runLane(ctx context.Context, t *transports, party string, lane int, wake chan struct{}) {
	for ctx.Err() == nil {
		wait, err := s.deliverOnce(ctx, t, party, lane)
		if err != nil && ctx.Err() == nil {
			s.log.Warn("federation: outbox", "peer", party, "lane", lane, "err", err)
			wait = s.RetryBase
		}
		if wait == 0 {
			continue
		}
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
		case <-wake:
		case <-timer.C:
		}
		timer.Stop()
	}
}

// deliverOnce sends the next due batch of a lane and returns how long to
// wait before the next: 0 to go on at once, Poll when idle, or the time
// until the head of the lane is due again.
func (s *Service) deliverOnce(ctx context.Context, t *transports, party string, lane int) (time.Duration, error) {
	items, err := s.st.PendingOutbox(ctx, party, lane, s.BatchSize)
	if err != nil {
		return 0, err
	}
	if len(items) == 0 {
		return s.Poll, nil
	}
	now := s.clock.Now()
	if d := items[0].NextAttempt.Sub(now); d > 0 {
		return min(d, s.Poll), nil
	}
	// Later items are sent only while due, to keep order.
	for i, it := range items {
		if it.NextAttempt.After(now) {
			items = items[:i]
			break
		}
	}
	peer, err := s.st.GetPeer(ctx, party)
	if err != nil {
		return 0, err
	}
	out, err := s.seal(ctx, peer, items)
	if err != nil {
		return 0, err
	}
	if len(out) == 0 {
		return 0, nil
	}
	results, sendErr := s.post(ctx, t, peer, out)
	if sendErr != nil {
		if ctx.Err() != nil {
			return 0, nil
		}
		s.noteFailure(party, sendErr)
		return 0, s.retry(ctx, party, out, sendErr.Error())
	}
	s.noteOK(party)
	return 0, s.settle(ctx, peer, out, results)
}

// outgoing is one sealed delivery in a batch.
type outgoing struct {
	item store.OutboxItem
	env  *envelope.Envelope
	raw  []byte
	atts []Attachment
}

// seal returns the batch's envelopes, sealing (and storing, in one
// transaction) those that were never sealed. A message that cannot be
// sealed (its recipient was unpaired, its attachment file is gone) is
// marked failed.
func (s *Service) seal(ctx context.Context, peer store.Peer, items []store.OutboxItem) ([]*outgoing, error) {
	var out []*outgoing
	fresh := map[int]bool{}
	var failed []*outgoing
	var failReasons []string
	keys := map[string]hpke.PublicKey{}
	for _, it := range items {
		o := &outgoing{item: it}
		if err := json.Unmarshal([]byte(it.Message.Attachments), &o.atts); err != nil {
			return nil, fmt.Errorf("outbox %s: attachments: %w", it.Message.EnvelopeID, err)
		}
		if it.Sealed != nil {
			env, err := envelope.Unmarshal(it.Sealed)
			if err != nil {
				return nil, fmt.Errorf("outbox %s: stored envelope: %w", it.Message.EnvelopeID, err)
			}
			o.env, o.raw = env, it.Sealed
			out = append(out, o)
			continue
		}
		raw, env, err := s.sealOne(ctx, peer.Party, it.Message, o.atts, keys)
		if err != nil {
			failed, failReasons = append(failed, o), append(failReasons, err.Error())
			continue
		}
		o.env, o.raw = env, raw
		fresh[len(out)] = true
		out = append(out, o)
	}
	if len(fresh) == 0 && len(failed) == 0 {
		return out, nil
	}
	now := s.clock.Now()
	err := s.st.InTx(ctx, func(q store.Queries) error {
		for i := range fresh {
			o := out[i]
			if err := q.SetOutboxSealed(ctx, o.item.Message.EnvelopeID, peer.Party, o.raw); err != nil {
				return fmt.Errorf("store sealed %s: %w", o.item.Message.EnvelopeID, err)
			}
		}
		for i, o := range failed {
			if err := q.MarkOutboxFailed(ctx, o.item.Message.EnvelopeID, peer.Party, now, "not sealed: "+failReasons[i]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for i, o := range failed {
		s.m.failed.WithLabelValues(peer.Party, "seal").Inc()
		s.log.Error("federation: message cannot be sealed; marked failed", "peer", peer.Party, "envelope", o.item.Message.EnvelopeID, "err", failReasons[i])
	}
	return out, nil
}

func (s *Service) sealOne(ctx context.Context, recipient string, m store.OutboxMessage, atts []Attachment, keys map[string]hpke.PublicKey) ([]byte, *envelope.Envelope, error) {
	for _, r := range m.Recipients {
		if keys[r] != nil {
			continue
		}
		p, err := s.st.GetPeer(ctx, r)
		if err != nil {
			return nil, nil, fmt.Errorf("recipient %s: %w", r, err)
		}
		k, err := envelope.ParsePublicKey(p.EncryptionKey)
		if err != nil {
			return nil, nil, fmt.Errorf("recipient %s: %w", r, err)
		}
		keys[r] = k
	}
	h := s.header(Message{ID: m.EnvelopeID, Type: m.Type, Recipients: m.Recipients, Conversation: m.Conversation,
		InReplyTo: m.InReplyTo, Exercise: m.Exercise, Marking: m.Marking, Attachments: atts, Created: m.Created})
	// Seal encrypts to every recipient; this lane keeps its own copy (the
	// other recipients' lanes seal theirs, and since Ed25519 signatures
	// are deterministic every copy carries the same header and signature).
	envs, err := envelope.Seal(h, m.Payload, s.id.Signer, keys)
	if err != nil {
		return nil, nil, err
	}
	env := envs[recipient]
	if env == nil {
		return nil, nil, fmt.Errorf("%s is not a recipient of %s", recipient, m.EnvelopeID)
	}
	for i, a := range atts {
		if err := s.sealAttachment(m.EnvelopeID, recipient, i, a, keys[recipient]); err != nil {
			return nil, nil, err
		}
	}
	raw, err := env.Marshal()
	return raw, env, err
}

// sealedPath is where attachment i of an envelope, sealed to recipient,
// waits for delivery: PATH.bin holds the stream, PATH.enc its HPKE
// encapsulated key.
func (s *Service) sealedPath(id, recipient string, i int) string {
	return filepath.Join(s.spool, "sealed", fmt.Sprintf("%s-%s-%02d", id, recipient, i))
}

// sealAttachment encrypts a staged file to recipient, disk to disk
// through envelope.SealStream, once: every attempt then sends the same
// bytes. SealStream returns the encapsulated key only at the end, and the
// receiver needs it first, which is why the stream is sealed to a file
// rather than onto the wire. Memory use does not depend on the size.
func (s *Service) sealAttachment(id, recipient string, i int, a Attachment, k hpke.PublicKey) error {
	f, err := os.Open(a.Path)
	if err != nil {
		return fmt.Errorf("attachment %s: %w", a.Name, err)
	}
	defer f.Close()
	base := s.sealedPath(id, recipient, i)
	if err := os.MkdirAll(filepath.Dir(base), 0o700); err != nil {
		return err
	}
	out, err := os.Create(base + ".bin")
	if err != nil {
		return err
	}
	enc, d, err := envelope.SealStream(out, f, k, envelope.AttachmentInfo(id, i))
	if err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("attachment %s: %w", a.Name, err)
	}
	if d.Size != a.Size || d.SHA256 != a.SHA256 {
		return fmt.Errorf("attachment %s: the staged file changed after it was enqueued", a.Name)
	}
	return writeSynced(base+".enc", enc)
}

func writeSynced(path string, b []byte) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// post sends a batch and returns one result per envelope. Any error means
// the whole batch is to be retried.
func (s *Service) post(ctx context.Context, t *transports, peer store.Peer, out []*outgoing) ([]Result, error) {
	hasAtts := false
	for _, o := range out {
		hasAtts = hasAtts || len(o.atts) > 0
	}
	var body io.Reader
	if !hasAtts {
		var buf bytes.Buffer
		bw := &batchWriter{w: &buf}
		for _, o := range out {
			bw.envelope(o.raw)
		}
		bw.end()
		body = &buf
	} else {
		// Sealed attachments stream from their files to the
		// connection: memory use does not depend on their size.
		pr, pw := io.Pipe()
		go func() { pw.CloseWithError(s.writeBatch(pw, peer.Party, out)) }()
		defer pr.Close()
		body = pr
	}
	rctx := ctx
	if !hasAtts {
		var cancel context.CancelFunc
		rctx, cancel = context.WithTimeout(ctx, s.RequestTimeout)
		defer cancel()
	}
	req, err := http.NewRequestWithContext(rctx, http.MethodPost, strings.TrimSuffix(peer.Endpoint, "/")+Prefix+"/inbox", body)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", BatchContentType)
	resp, err := t.client(peer).Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, MaxResponseBytes))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		var p Problem
		if json.Unmarshal(b, &p) == nil && p.Reason != "" {
			return nil, fmt.Errorf("peer refused the batch: %d %s: %s", resp.StatusCode, p.Reason, p.Detail)
		}
		return nil, fmt.Errorf("peer answered %s", resp.Status)
	}
	var br BatchResponse
	if err := json.Unmarshal(b, &br); err != nil {
		return nil, fmt.Errorf("peer's answer: %w", err)
	}
	if len(br.Results) != len(out) {
		return nil, fmt.Errorf("peer answered %d results for %d envelopes", len(br.Results), len(out))
	}
	return br.Results, nil
}

func (s *Service) writeBatch(w io.Writer, recipient string, out []*outgoing) error {
	bw := &batchWriter{w: w}
	for _, o := range out {
		if err := bw.envelope(o.raw); err != nil {
			return err
		}
		for i := range o.atts {
			if err := s.writeAttachment(bw, o.env.Header.ID, recipient, i); err != nil {
				return err
			}
		}
	}
	return bw.end()
}

func (s *Service) writeAttachment(bw *batchWriter, id, recipient string, i int) error {
	base := s.sealedPath(id, recipient, i)
	enc, err := os.ReadFile(base + ".enc")
	if err != nil {
		return err
	}
	f, err := os.Open(base + ".bin")
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if err := bw.attachmentStart(enc, fi.Size()); err != nil {
		return err
	}
	n, err := io.Copy(bw.w, f)
	if err == nil && n != fi.Size() {
		err = io.ErrUnexpectedEOF
	}
	return err
}

// removeSealed deletes the sealed copies of a delivered envelope's
// attachments.
func (s *Service) removeSealed(o *outgoing, recipient string) {
	for i := range o.atts {
		base := s.sealedPath(o.env.Header.ID, recipient, i)
		os.Remove(base + ".bin")
		os.Remove(base + ".enc")
	}
}

// settle records a batch's outcome: receipts verified and stored with the
// delivery, refusals marked failed, the rest rescheduled.
func (s *Service) settle(ctx context.Context, peer store.Peer, out []*outgoing, results []Result) error {
	now := s.clock.Now()
	type ok struct {
		o *outgoing
		r *envelope.Receipt
		b []byte
	}
	var delivered []ok
	var retry []*outgoing
	var retryWhy []string
	var failed []*outgoing
	var failWhy []*Problem
	for i, res := range results {
		o := out[i]
		switch {
		case res.Status == http.StatusOK:
			rc, err := s.checkReceipt(ctx, peer, o.env, res.Receipt)
			if err != nil {
				s.log.Error("federation: peer sent an invalid receipt; will resend", "peer", peer.Party, "envelope", o.env.Header.ID, "err", err)
				retry, retryWhy = append(retry, o), append(retryWhy, "invalid receipt: "+err.Error())
				continue
			}
			delivered = append(delivered, ok{o, rc, res.Receipt})
		case res.Problem != nil && !res.Problem.Temporary() && res.Status < 500:
			failed, failWhy = append(failed, o), append(failWhy, res.Problem)
		default:
			why := fmt.Sprintf("status %d", res.Status)
			if res.Problem != nil {
				why = fmt.Sprintf("%d %s: %s", res.Status, res.Problem.Reason, res.Problem.Detail)
			}
			retry, retryWhy = append(retry, o), append(retryWhy, why)
		}
	}
	err := s.st.InTx(ctx, func(q store.Queries) error {
		for _, d := range delivered {
			id := d.o.env.Header.ID
			if err := q.InsertReceipt(ctx, store.StoredReceipt{EnvelopeID: id, Receiver: peer.Party, EnvelopeHash: d.r.EnvelopeHash,
				Received: d.r.Received, KeyID: d.r.ReceiverKeyID, Receipt: d.b, Stored: now}); err != nil {
				return err
			}
			if err := q.MarkOutboxDelivered(ctx, id, peer.Party, now); err != nil {
				return err
			}
		}
		for i, o := range failed {
			if err := q.MarkOutboxFailed(ctx, o.env.Header.ID, peer.Party, now, fmt.Sprintf("refused: %s: %s", failWhy[i].Reason, failWhy[i].Detail)); err != nil {
				return err
			}
		}
		for i, o := range retry {
			if err := q.MarkOutboxRetry(ctx, o.env.Header.ID, peer.Party, now.Add(s.backoff(o.item.Attempts)), retryWhy[i]); err != nil {
				return err
			}
		}
		return q.TouchPeer(ctx, peer.Party, now)
	})
	if err != nil {
		return err
	}
	for _, d := range delivered {
		s.removeSealed(d.o, peer.Party)
		s.m.delivered.WithLabelValues(peer.Party).Inc()
		s.m.latency.WithLabelValues(peer.Party).Observe(now.Sub(d.o.item.Enqueued).Seconds())
	}
	for i, o := range failed {
		s.m.failed.WithLabelValues(peer.Party, string(failWhy[i].Reason)).Inc()
		s.log.Error("federation: peer refused an envelope for good", "peer", peer.Party, "envelope", o.env.Header.ID,
			"reason", failWhy[i].Reason, "detail", failWhy[i].Detail)
	}
	if len(retry) > 0 {
		s.m.retries.WithLabelValues(peer.Party).Add(float64(len(retry)))
	}
	return nil
}

// checkReceipt verifies a receipt under the peer's pinned signing key and
// checks it acknowledges exactly the envelope sent.
func (s *Service) checkReceipt(ctx context.Context, peer store.Peer, env *envelope.Envelope, b []byte) (*envelope.Receipt, error) {
	rc, err := envelope.UnmarshalReceipt(b)
	if err != nil {
		return nil, err
	}
	key, err := s.signingKey(ctx, peer, rc.ReceiverKeyID, rc.Received)
	if err != nil {
		return nil, err
	}
	if err := rc.Verify(key); err != nil {
		return nil, err
	}
	if err := rc.Acknowledges(env); err != nil {
		return nil, err
	}
	return rc, nil
}

// retry reschedules a whole batch after a transport failure.
func (s *Service) retry(ctx context.Context, party string, out []*outgoing, why string) error {
	now := s.clock.Now()
	err := s.st.InTx(ctx, func(q store.Queries) error {
		for _, o := range out {
			if err := q.MarkOutboxRetry(ctx, o.env.Header.ID, party, now.Add(s.backoff(o.item.Attempts)), why); err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
		}
		return nil
	})
	if err == nil {
		s.m.retries.WithLabelValues(party).Add(float64(len(out)))
	}
	return err
}

// backoff is the wait before attempt n+1: exponential from RetryBase,
// capped at RetryMax, with "equal jitter" (half fixed, half random) so
// that lanes and nodes that failed together do not retry in lockstep.
func (s *Service) backoff(attempts int) time.Duration {
	d := s.RetryMax
	if attempts < 30 {
		d = min(s.RetryBase<<attempts, s.RetryMax)
	}
	half := d / 2
	return half + rand.N(half+1)
}

// runProbe pings the peer when the lanes are idle, so that health and
// last contact are known without traffic.
func (s *Service) runProbe(ctx context.Context, t *transports, party string) {
	for {
		h := s.Health()[party]
		if h.State == HealthUnknown || s.clock.Now().Sub(h.LastAttempt) >= s.Probe {
			s.probe(ctx, t, party)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(min(s.Probe, 5*time.Second)):
		}
	}
}

func (s *Service) probe(ctx context.Context, t *transports, party string) {
	peer, err := s.st.GetPeer(ctx, party)
	if err != nil {
		return
	}
	rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodGet, strings.TrimSuffix(peer.Endpoint, "/")+Prefix+"/ping", nil)
	if err != nil {
		return
	}
	resp, err := t.client(peer).Do(req)
	if err == nil {
		io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			err = fmt.Errorf("ping: peer answered %s", resp.Status)
		}
	}
	if ctx.Err() != nil {
		return
	}
	if err != nil {
		s.noteFailure(party, err)
		return
	}
	s.noteOK(party)
	if err := s.st.TouchPeer(ctx, party, s.clock.Now()); err != nil && ctx.Err() == nil {
		s.log.Warn("federation: touch peer", "peer", party, "err", err)
	}
}
