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
	"github.com/liaison-dev/liaison/internal/ledger"
	"github.com/liaison-dev/liaison/internal/store"
)

// Run delivers the outbox until ctx is cancelled: one set of workers per
// peer (started as peers are paired), each worker owning some of the
// peer's lanes, and a prober. Stopping mid-request is safe: whatever was
// not acknowledged by a stored receipt is sent again after the restart.
func (s *Service) Run(ctx context.Context) error {
	t := &transports{own: s.id.TLS, timeout: s.RequestTimeout}
	defer t.closeAll()
	var wg sync.WaitGroup
	defer wg.Wait()
	running := map[string]bool{}
	workers := min(max(s.Workers, 1), Lanes)
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
			wake := make([]chan struct{}, workers)
			for i := range wake {
				wake[i] = make(chan struct{}, 1)
				wake[i] <- struct{}{} // look at once
			}
			s.mu.Lock()
			s.wake[p.Party] = wake
			s.healthOf(p.Party)
			s.mu.Unlock()
			for i := range wake {
				var lanes []int
				for l := i; l < Lanes; l += workers {
					lanes = append(lanes, l)
				}
				wg.Add(1)
				go func() {
					defer wg.Done()
					s.runWorker(ctx, t, p.Party, lanes, wake[i])
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

// runWorker delivers the lanes it owns of one peer's queue, oldest first,
// one request at a time: a lane belongs to one worker only, so its
// messages are never in flight in two requests and arrive in order.
func (s *Service) runWorker(ctx context.Context, t *transports, party string, lanes []int, wake chan struct{}) {
	for ctx.Err() == nil {
		wait, err := s.deliverOnce(ctx, t, party, lanes)
		if err != nil && ctx.Err() == nil {
			s.log.Warn("federation: outbox", "peer", party, "lanes", lanes, "err", err)
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

// deliverOnce sends the next due batch of a worker's lanes and returns how
// long to wait before the next: 0 to go on at once, Poll when idle, or the
// time until the first waiting lane is due again.
func (s *Service) deliverOnce(ctx context.Context, t *transports, party string, lanes []int) (time.Duration, error) {
	items, wait, err := s.dueItems(ctx, party, lanes)
	if err != nil || len(items) == 0 {
		return wait, err
	}
	peer, err := s.st.GetPeer(ctx, party)
	if err != nil {
		return 0, err
	}
	out, err := s.prepareOut(ctx, peer, items)
	if err != nil {
		return 0, err
	}
	if len(out) == 0 {
		return 0, nil
	}
	batchID := envelope.NewID()
	results, receipt, sendErr := s.post(ctx, t, peer, batchID, out)
	if sendErr != nil {
		if ctx.Err() != nil {
			return 0, nil
		}
		s.noteFailure(party, sendErr)
		return 0, s.retry(ctx, party, out, sendErr.Error())
	}
	s.noteOK(party)
	return 0, s.settle(ctx, peer, batchID, out, results, receipt)
}

// dueItems returns up to BatchSize deliveries of lanes that are due now,
// in queue order. Within a lane, nothing is sent past an item still
// waiting for its retry, to keep order; the other lanes go on, and a lane
// that waits is left out of the query so that its backlog cannot crowd
// the others out of the batch. With nothing due it returns how long to
// wait: until the first waiting lane is due, at most Poll.
func (s *Service) dueItems(ctx context.Context, party string, lanes []int) ([]store.OutboxItem, time.Duration, error) {
	wait := s.Poll
	now := s.clock.Now()
	waiting := map[int]bool{}
	for {
		open := make([]int, 0, len(lanes))
		for _, l := range lanes {
			if !waiting[l] {
				open = append(open, l)
			}
		}
		if len(open) == 0 {
			return nil, wait, nil
		}
		items, err := s.st.PendingOutbox(ctx, party, open, s.BatchSize)
		if err != nil {
			return nil, 0, err
		}
		due := items[:0:0]
		newlyWaiting := false
		for _, it := range items {
			if waiting[it.Lane] {
				continue
			}
			if d := it.NextAttempt.Sub(now); d > 0 {
				waiting[it.Lane], newlyWaiting = true, true
				wait = min(wait, d)
				continue
			}
			due = append(due, it)
		}
		if !newlyWaiting || len(items) < s.BatchSize {
			if len(due) == 0 {
				return nil, wait, nil
			}
			return due, 0, nil
		}
		// A full page in which a lane was found waiting may have left
		// due items of the other lanes out: look again without it.
	}
}

// outgoing is one delivery in a batch.
type outgoing struct {
	item    store.OutboxItem
	signed  *envelope.Signed
	hash    string
	payload []byte
	atts    []Attachment
}

// prepareOut returns the batch's deliveries with their signed envelopes
// (signed at Enqueue and stored; signing is deterministic, so a message
// stored unsigned is signed now to the same bytes every time) and their
// attachments sealed to disk. A message that cannot be prepared (its
// recipient was unpaired, its attachment file is gone) is marked failed.
func (s *Service) prepareOut(ctx context.Context, peer store.Peer, items []store.OutboxItem) ([]*outgoing, error) {
	var out, failed []*outgoing
	var failReasons []string
	var key hpke.PublicKey
	for _, it := range items {
		o := &outgoing{item: it, payload: it.Message.Payload}
		if err := json.Unmarshal([]byte(it.Message.Attachments), &o.atts); err != nil {
			return nil, fmt.Errorf("outbox %s: attachments: %w", it.Message.EnvelopeID, err)
		}
		err := s.prepareOne(peer, o, &key)
		if err != nil {
			failed, failReasons = append(failed, o), append(failReasons, err.Error())
			continue
		}
		out = append(out, o)
	}
	if len(failed) == 0 {
		return out, nil
	}
	now := s.clock.Now()
	err := s.st.InTx(ctx, func(q store.Queries) error {
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

func (s *Service) prepareOne(peer store.Peer, o *outgoing, key *hpke.PublicKey) error {
	m := o.item.Message
	var err error
	if o.item.Sealed != nil {
		o.signed, err = envelope.UnmarshalSigned(o.item.Sealed)
	}
	if o.item.Sealed == nil || err != nil {
		h := s.header(Message{ID: m.EnvelopeID, Type: m.Type, Recipients: m.Recipients, Conversation: m.Conversation,
			InReplyTo: m.InReplyTo, Exercise: m.Exercise, Marking: m.Marking, Attachments: o.atts, Created: m.Created})
		if o.signed, err = envelope.Sign(h, m.Payload, s.id.Signer); err != nil {
			return err
		}
	}
	o.hash = o.signed.Hash()
	for i, a := range o.atts {
		base := s.sealedPath(m.EnvelopeID, peer.Party, i)
		if _, err := os.Stat(base + ".enc"); err == nil {
			continue // sealed on an earlier attempt (the key file is written last)
		}
		if *key == nil {
			k, err := envelope.ParsePublicKey(peer.EncryptionKey)
			if err != nil {
				return fmt.Errorf("recipient %s: %w", peer.Party, err)
			}
			*key = k
		}
		if err := s.sealAttachment(m.EnvelopeID, peer.Party, i, a, *key); err != nil {
			return err
		}
	}
	return nil
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

// post seals a batch (one HPKE encapsulation, then each payload with the
// batch context's AEAD) and sends it. It returns one result per envelope
// and the batch receipt. Any error means the whole batch is to be retried.
func (s *Service) post(ctx context.Context, t *transports, peer store.Peer, batchID string, out []*outgoing) ([]Result, []byte, error) {
	pub, err := envelope.ParsePublicKey(peer.EncryptionKey)
	if err != nil {
		return nil, nil, fmt.Errorf("recipient %s: %w", peer.Party, err)
	}
	sealer, err := envelope.NewBatchSealer(batchID, s.self, peer.Party, pub)
	if err != nil {
		return nil, nil, err
	}
	hdr, err := sealer.Header().Marshal()
	if err != nil {
		return nil, nil, err
	}
	hasAtts := false
	for _, o := range out {
		hasAtts = hasAtts || len(o.atts) > 0
	}
	var body io.Reader
	if !hasAtts {
		var buf bytes.Buffer
		if err := s.writeBatch(&buf, peer.Party, hdr, sealer, out); err != nil {
			return nil, nil, err
		}
		body = &buf
	} else {
		// Sealed attachments stream from their files to the
		// connection: memory use does not depend on their size.
		pr, pw := io.Pipe()
		go func() { pw.CloseWithError(s.writeBatch(pw, peer.Party, hdr, sealer, out)) }()
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
		return nil, nil, err
	}
	req.Header.Set("Content-Type", BatchContentType)
	resp, err := t.client(peer).Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, MaxResponseBytes))
	if err != nil {
		return nil, nil, err
	}
	if resp.StatusCode != http.StatusOK {
		var p Problem
		if json.Unmarshal(b, &p) == nil && p.Reason != "" {
			return nil, nil, fmt.Errorf("peer refused the batch: %d %s: %s", resp.StatusCode, p.Reason, p.Detail)
		}
		return nil, nil, fmt.Errorf("peer answered %s", resp.Status)
	}
	var br BatchResponse
	if err := json.Unmarshal(b, &br); err != nil {
		return nil, nil, fmt.Errorf("peer's answer: %w", err)
	}
	if len(br.Results) != len(out) {
		return nil, nil, fmt.Errorf("peer answered %d results for %d envelopes", len(br.Results), len(out))
	}
	return br.Results, br.Receipt, nil
}

func (s *Service) writeBatch(w io.Writer, recipient string, hdr []byte, sealer *envelope.BatchSealer, out []*outgoing) error {
	bw := &batchWriter{w: w}
	if err := bw.batch(hdr); err != nil {
		return err
	}
	for _, o := range out {
		e, err := sealer.Seal(o.signed, o.payload)
		if err != nil {
			return err
		}
		raw, err := e.Marshal()
		if err != nil {
			return err
		}
		if err := bw.envelope(raw); err != nil {
			return err
		}
		for i := range o.atts {
			if err := s.writeAttachment(bw, o.signed.Header.ID, recipient, i); err != nil {
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
		base := s.sealedPath(o.signed.Header.ID, recipient, i)
		os.Remove(base + ".bin")
		os.Remove(base + ".enc")
	}
}

// settle records a batch's outcome: the batch receipt verified once and
// stored, as each envelope's stand-alone receipt, with its delivery;
// refusals marked failed; the rest rescheduled. All in one transaction.
func (s *Service) settle(ctx context.Context, peer store.Peer, batchID string, out []*outgoing, results []Result, batchReceipt []byte) error {
	now := s.clock.Now()
	var accepted []*outgoing
	var entries []envelope.ReceiptEntry
	var retry []*outgoing
	var retryWhy []string
	var failed []*outgoing
	var failWhy []*Problem
	for i, res := range results {
		o := out[i]
		switch {
		case res.Status == http.StatusOK:
			accepted = append(accepted, o)
			entries = append(entries, envelope.ReceiptEntry{EnvelopeID: o.signed.Header.ID, EnvelopeHash: o.hash, Received: res.Received})
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
	var receipts [][]byte
	var parsed []*envelope.Receipt
	if len(accepted) > 0 {
		var err error
		parsed, err = s.checkBatchReceipt(ctx, peer, batchID, batchReceipt, entries)
		if err == nil {
			receipts = make([][]byte, len(parsed))
			for i, r := range parsed {
				if receipts[i], err = r.Marshal(); err != nil {
					break
				}
			}
		}
		if err != nil {
			s.log.Error("federation: peer sent an invalid batch receipt; will resend", "peer", peer.Party, "batch", batchID, "envelopes", len(accepted), "err", err)
			for _, o := range accepted {
				retry, retryWhy = append(retry, o), append(retryWhy, "invalid receipt: "+err.Error())
			}
			accepted, receipts = nil, nil
		}
	}
	err := s.st.InTx(ctx, func(q store.Queries) error {
		if len(accepted) > 0 {
			rs := make([]store.StoredReceipt, len(accepted))
			for i, r := range parsed {
				rs[i] = store.StoredReceipt{EnvelopeID: r.EnvelopeID, Receiver: peer.Party, EnvelopeHash: r.EnvelopeHash,
					Received: r.Received, KeyID: r.ReceiverKeyID, Receipt: receipts[i], Stored: now}
			}
			if err := q.SettleDelivered(ctx, peer.Party, rs, now); err != nil {
				return err
			}
			// Each stored receipt is a ledger entry, in this transaction.
			es := make([]ledger.Entry, 0, len(rs))
			for i, r := range rs {
				if h := accepted[i].signed.Header; !strings.HasPrefix(h.Type, "ledger.") {
					es = append(es, ledger.Entry{Kind: ledger.KindReceipt, ObjectID: r.EnvelopeID, At: r.Received, Exercise: h.Exercise, Body: r.Receipt})
				}
			}
			if len(es) > 0 {
				if _, err := ledger.AppendBatch(ctx, q, es); err != nil {
					return err
				}
			}
		}
		for i, o := range failed {
			if err := q.MarkOutboxFailed(ctx, o.signed.Header.ID, peer.Party, now, fmt.Sprintf("refused: %s: %s", failWhy[i].Reason, failWhy[i].Detail)); err != nil {
				return err
			}
		}
		for i, o := range retry {
			if err := q.MarkOutboxRetry(ctx, o.signed.Header.ID, peer.Party, now.Add(s.backoff(o.item.Attempts)), retryWhy[i]); err != nil {
				return err
			}
		}
		return q.TouchPeer(ctx, peer.Party, now)
	})
	if err != nil {
		return err
	}
	for _, o := range accepted {
		s.removeSealed(o, peer.Party)
		tr := traffic(o.signed.Header.Exercise)
		s.m.delivered.WithLabelValues(peer.Party, tr).Inc()
		s.m.latency.WithLabelValues(peer.Party, tr).Observe(now.Sub(o.item.Enqueued).Seconds())
	}
	for i, o := range failed {
		s.m.failed.WithLabelValues(peer.Party, string(failWhy[i].Reason)).Inc()
		s.log.Error("federation: peer refused an envelope for good", "peer", peer.Party, "envelope", o.signed.Header.ID,
			"reason", failWhy[i].Reason, "detail", failWhy[i].Detail)
	}
	if len(retry) > 0 {
		s.m.retries.WithLabelValues(peer.Party).Add(float64(len(retry)))
	}
	return nil
}

// checkBatchReceipt verifies a batch receipt under the peer's pinned
// signing key (one Ed25519 verification), checks it names this batch and
// lists exactly the envelopes the peer accepted, and returns each
// envelope's stand-alone receipt.
func (s *Service) checkBatchReceipt(ctx context.Context, peer store.Peer, batchID string, b []byte, entries []envelope.ReceiptEntry) ([]*envelope.Receipt, error) {
	br, err := envelope.UnmarshalBatchReceipt(b)
	if err != nil {
		return nil, err
	}
	if br.Receiver != peer.Party {
		return nil, fmt.Errorf("%w: receipt signed for %s", envelope.ErrWrongEnvelope, br.Receiver)
	}
	key, err := s.signingKey(ctx, peer, br.ReceiverKeyID, s.clock.Now())
	if err != nil {
		return nil, err
	}
	if err := br.Verify(key, batchID, s.self, entries); err != nil {
		return nil, err
	}
	return br.Receipts(entries)
}

// retry reschedules a whole batch after a transport failure.
func (s *Service) retry(ctx context.Context, party string, out []*outgoing, why string) error {
	now := s.clock.Now()
	err := s.st.InTx(ctx, func(q store.Queries) error {
		for _, o := range out {
			if err := q.MarkOutboxRetry(ctx, o.signed.Header.ID, party, now.Add(s.backoff(o.item.Attempts)), why); err != nil && !errors.Is(err, store.ErrNotFound) {
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
