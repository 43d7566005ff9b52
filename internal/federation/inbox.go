package federation

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/liaison-dev/liaison/internal/envelope"
	"github.com/liaison-dev/liaison/internal/ledger"
	"github.com/liaison-dev/liaison/internal/store"
)

// Handler returns the peer-facing HTTP endpoints, to be mounted at Prefix
// on a server whose TLS configuration requests client certificates (see
// ServerTLS):
//
//	POST /federation/v1/inbox  one envelope (application/json, answered
//	                           with its receipt) or a batch
//	                           (BatchContentType, answered with a
//	                           BatchResponse)
//	GET  /federation/v1/ping   health probe; answers our party code
//
// Every request must present the TLS client certificate pinned for a
// peer.
func (s *Service) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+Prefix+"/inbox", s.serveInbox)
	mux.HandleFunc("GET "+Prefix+"/ping", s.servePing)
	mux.HandleFunc(Prefix+"/", func(w http.ResponseWriter, r *http.Request) {
		writeProblem(w, &Problem{Type: "about:blank", Title: "Not Found", Status: http.StatusNotFound, Detail: "no such federation endpoint"})
	})
	return mux
}

func (s *Service) servePing(w http.ResponseWriter, r *http.Request) {
	peer, rej := s.authenticate(r)
	if rej != nil {
		s.rejected(r.Context(), "", "", rej)
		writeProblem(w, rej.Problem())
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]string{"party": s.self, "peer": peer.Party})
}

func (s *Service) serveInbox(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	peer, rej := s.authenticate(r)
	if rej != nil {
		s.rejected(ctx, "", "", rej)
		writeProblem(w, rej.Problem())
		return
	}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch ct {
	case SingleContentType:
		s.serveSingle(w, r, peer)
	case BatchContentType:
		s.serveBatch(w, r, peer)
	default:
		rej := reject(ReasonMalformed, "Content-Type must be "+SingleContentType+" or "+BatchContentType, nil)
		s.rejected(ctx, peer.Party, "", rej)
		p := rej.Problem()
		p.Status = http.StatusUnsupportedMediaType
		writeProblem(w, p)
	}
}

// item is one envelope going through the inbox.
type item struct {
	signed   *envelope.Signed
	hash     string
	raw      []byte // signed.Marshal(), what fed_inbox keeps
	id, conv string
	handler  Handler
	payload  []byte
	atts     []ReceivedAttachment
	// received is when the envelope was accepted: now, or for a
	// duplicate when it was first applied.
	received time.Time
	rej      *Rejection
	dup      bool
}

func (s *Service) serveSingle(w http.ResponseWriter, r *http.Request, peer store.Peer) {
	ctx := r.Context()
	raw, err := io.ReadAll(io.LimitReader(r.Body, s.MaxEnvelope+1))
	it := &item{}
	switch {
	case err != nil:
		it.rej = reject(ReasonMalformed, "the request body could not be read", err)
	case int64(len(raw)) > s.MaxEnvelope:
		it.rej = reject(ReasonTooLarge, fmt.Sprintf("the envelope exceeds %d bytes", s.MaxEnvelope), nil)
	default:
		it = s.prepareSingle(ctx, peer, raw)
		if it.rej == nil && len(it.signed.Header.Attachments) > 0 {
			it.rej = reject(ReasonAttachment, "envelopes with attachments must be sent as a batch with their streams", nil)
		}
	}
	s.commit(ctx, peer, []*item{it})
	var receipt []byte
	if it.rej == nil {
		// A lone envelope is acknowledged by a batch receipt of one,
		// named after the envelope, so a replay gets the same bytes.
		entries := []envelope.ReceiptEntry{{EnvelopeID: it.id, EnvelopeHash: it.hash, Received: it.received}}
		br, err := envelope.NewBatchReceipt(it.id, peer.Party, s.self, entries, s.id.Signer)
		var rs []*envelope.Receipt
		if err == nil {
			rs, err = br.Receipts(entries)
		}
		if err == nil {
			receipt, err = rs[0].Marshal()
		}
		if err != nil {
			it.rej = reject(ReasonUnavailable, "the node could not sign a receipt", err)
		}
	}
	res := s.result(ctx, peer, it)
	if res.Problem != nil {
		writeProblem(w, res.Problem)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(receipt)
}

func (s *Service) serveBatch(w http.ResponseWriter, r *http.Request, peer store.Peer) {
	ctx := r.Context()
	br := newBatchReader(r.Body, s.MaxEnvelope)
	var items []*item
	var cur *item
	var att int
	var opener *envelope.BatchOpener
	var hdr envelope.BatchHeader
	refuse := func(rej *Rejection) {
		s.rejected(ctx, peer.Party, "", rej)
		s.cleanup(items)
		writeProblem(w, rej.Problem())
	}
	for {
		f, err := br.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			rej := rejectEnvelopeErr(err)
			rej.Detail = "the batch is not well formed: " + rej.Detail
			if errors.Is(err, envelope.ErrTooLarge) {
				rej.Detail = "the batch exceeds a size limit"
			}
			refuse(rej)
			return
		}
		switch f.kind {
		case frameBatch:
			if hdr, err = envelope.UnmarshalBatchHeader(f.envelope); err != nil {
				rej := rejectEnvelopeErr(err)
				rej.Detail = "the batch header is not valid: " + rej.Detail
				refuse(rej)
				return
			}
			switch {
			case hdr.Sender != peer.Party:
				refuse(reject(ReasonSenderMismatch, fmt.Sprintf("the batch's sender %s is not the TLS peer %s", hdr.Sender, peer.Party), nil))
				return
			case hdr.Recipient != s.self:
				refuse(reject(ReasonWrongRecipient, fmt.Sprintf("this node is %s, the batch is for %s", s.self, hdr.Recipient), nil))
				return
			}
			if opener, err = envelope.OpenBatch(hdr, s.id.Encryption); err != nil {
				refuse(rejectEnvelopeErr(err))
				return
			}
		case frameEnvelope:
			cur, att = s.prepareBatched(ctx, peer, opener, f.envelope), 0
			items = append(items, cur)
		case frameAttachment:
			// Streams of refused or duplicate envelopes are skipped
			// unread; the reader drains them.
			if cur == nil || cur.rej != nil || cur.dup || att >= len(cur.signed.Header.Attachments) {
				continue
			}
			if rej := s.receiveAttachment(cur, att, f); rej != nil {
				cur.rej = rej
			}
			att++
		}
	}
	for _, it := range items {
		if it.rej == nil && !it.dup && len(it.atts) != len(it.signed.Header.Attachments) {
			it.rej = reject(ReasonAttachment, fmt.Sprintf("%d of %d attachment streams were sent", len(it.atts), len(it.signed.Header.Attachments)), nil)
		}
	}
	s.commit(ctx, peer, items)
	// One signature acknowledges every envelope accepted, after the
	// commit: nothing is acknowledged that a crash could lose.
	var entries []envelope.ReceiptEntry
	for _, it := range items {
		if it.rej == nil {
			entries = append(entries, envelope.ReceiptEntry{EnvelopeID: it.id, EnvelopeHash: it.hash, Received: it.received})
		}
	}
	resp := BatchResponse{Results: make([]Result, len(items))}
	if len(entries) > 0 {
		rc, err := envelope.NewBatchReceipt(hdr.ID, peer.Party, s.self, entries, s.id.Signer)
		if err == nil {
			resp.Receipt, err = rc.Marshal()
		}
		if err != nil {
			for _, it := range items {
				if it.rej == nil {
					it.rej = reject(ReasonUnavailable, "the node could not sign a receipt", err)
				}
			}
		}
	}
	for i, it := range items {
		resp.Results[i] = s.result(ctx, peer, it)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	json.NewEncoder(w).Encode(resp)
}

// prepareSingle parses, checks and decrypts a lone envelope.
func (s *Service) prepareSingle(ctx context.Context, peer store.Peer, raw []byte) *item {
	it := &item{}
	env, err := envelope.Unmarshal(raw)
	if err != nil {
		it.rej = rejectEnvelopeErr(err)
		return it
	}
	s.check(ctx, peer, it, env.Signed())
	if it.rej != nil || it.dup {
		return it
	}
	if env.Recipient != s.self {
		it.rej = reject(ReasonWrongRecipient, fmt.Sprintf("this node is %s, the envelope is for %s", s.self, env.Recipient), nil)
		return it
	}
	if it.payload, err = env.Open(s.id.Encryption); err != nil {
		it.rej = rejectEnvelopeErr(err)
	}
	return it
}

// prepareBatched parses and decrypts the next envelope of a batch, then
// checks it. Every envelope is decrypted, in order, before any check
// refuses it: the batch's HPKE context advances with each one (AEAD only;
// the KEM decapsulation was done once for the batch).
func (s *Service) prepareBatched(ctx context.Context, peer store.Peer, o *envelope.BatchOpener, raw []byte) *item {
	it := &item{}
	if o == nil {
		it.rej = reject(ReasonMalformed, "envelope before the batch header", nil)
		return it
	}
	e, err := envelope.UnmarshalBatchEnvelope(raw)
	if err != nil {
		o.Skip()
		it.rej = rejectEnvelopeErr(err)
		return it
	}
	payload, openErr := o.Open(e)
	s.check(ctx, peer, it, &e.Signed)
	if it.rej != nil || it.dup {
		return it
	}
	if openErr != nil {
		it.rej = rejectEnvelopeErr(openErr)
		return it
	}
	it.payload = payload
	return it
}

// check runs every check on a signed envelope that needs no transaction
// and no decryption, cheapest first: sender, recipient, signature under
// the pinned key, freshness (or an earlier application), handler.
func (s *Service) check(ctx context.Context, peer store.Peer, it *item, sg *envelope.Signed) {
	it.signed, it.id, it.conv = sg, sg.Header.ID, sg.Header.Conversation
	h := &sg.Header
	if h.Sender != peer.Party {
		it.rej = reject(ReasonSenderMismatch, fmt.Sprintf("the envelope's sender %s is not the TLS peer %s", h.Sender, peer.Party), nil)
		return
	}
	if !slices.Contains(h.Recipients, s.self) {
		it.rej = reject(ReasonWrongRecipient, fmt.Sprintf("this node is %s, the envelope is for %v", s.self, h.Recipients), nil)
		return
	}
	key, err := s.signingKey(ctx, peer, h.SenderKeyID, h.Created)
	if err != nil {
		it.rej = reject(ReasonUnavailable, "the node cannot read its pinned keys now", err)
		return
	}
	if err := sg.Verify(key); err != nil {
		it.rej = rejectEnvelopeErr(err)
		return
	}
	it.hash = sg.Hash()
	if it.raw, err = sg.Marshal(); err != nil {
		it.rej = rejectEnvelopeErr(err)
		return
	}
	now := s.clock.Now().UTC().Truncate(time.Microsecond)
	if age := now.Sub(h.Created); age > s.Freshness || -age > s.FutureSkew || len(h.Attachments) > 0 {
		// A replay of an envelope applied before is answered with its
		// receipt, whatever its age; only new ones must be fresh.
		if prev, err := s.st.GetInbox(ctx, it.id); err == nil {
			it.dup, it.received = true, prev.Received
			if prev.EnvelopeHash != it.hash {
				it.rej = reject(ReasonConflict, "an envelope with this ID and other content was applied before", nil)
			}
			return
		}
		if age > s.Freshness || -age > s.FutureSkew {
			it.rej = reject(ReasonStale, fmt.Sprintf("created %s, outside the freshness window of %s (-%s)", h.Created.Format(time.RFC3339), s.Freshness, s.FutureSkew), nil)
			return
		}
	}
	if it.handler = s.handler(h.Type); it.handler == nil {
		it.rej = reject(ReasonUnknownType, fmt.Sprintf("this node has no handler for envelope type %q", h.Type), nil)
		return
	}
	it.received = now
}

// receiveAttachment streams attachment i of it from the request body into
// the spool, checking it against the signed digest; nothing is held in
// memory beyond one chunk.
func (s *Service) receiveAttachment(it *item, i int, f frame) *Rejection {
	ref := it.signed.Header.Attachments[i]
	tmpDir := filepath.Join(s.spool, "tmp")
	if err := os.MkdirAll(tmpDir, 0o700); err != nil {
		return reject(ReasonUnavailable, "the node cannot store attachments now", err)
	}
	tmp, err := os.CreateTemp(tmpDir, "in-*")
	if err != nil {
		return reject(ReasonUnavailable, "the node cannot store attachments now", err)
	}
	defer os.Remove(tmp.Name()) // a no-op once renamed
	d, err := envelope.OpenStream(tmp, f.stream, s.id.Encryption, f.enc, envelope.AttachmentInfo(it.id, i))
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		if errors.Is(err, envelope.ErrDecrypt) || errors.Is(err, envelope.ErrMalformed) {
			return reject(ReasonAttachment, fmt.Sprintf("attachment %d (%s) does not decrypt", i, ref.Name), err)
		}
		return reject(ReasonUnavailable, "the node cannot store attachments now", err)
	}
	if !d.Matches(ref) {
		return reject(ReasonAttachment, fmt.Sprintf("attachment %d (%s) is not the file the header signs for", i, ref.Name), nil)
	}
	dir := filepath.Join(s.spool, "inbox", it.id)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return reject(ReasonUnavailable, "the node cannot store attachments now", err)
	}
	final := filepath.Join(dir, fmt.Sprintf("%02d-%s", i, ref.Name))
	if err := os.Rename(tmp.Name(), final); err != nil {
		return reject(ReasonUnavailable, "the node cannot store attachments now", err)
	}
	it.atts = append(it.atts, ReceivedAttachment{AttachmentRef: ref, Path: final})
	return nil
}

// cleanup removes attachments received for items that will not commit.
func (s *Service) cleanup(items []*item) {
	for _, it := range items {
		if len(it.atts) > 0 {
			os.RemoveAll(filepath.Join(s.spool, "inbox", it.id))
		}
	}
}

var errHandler = errors.New("federation: handler failed")

// commit records and applies, in one transaction, every item that passed
// prepare, in order. An item whose handler fails is taken out with every
// later item of its conversation, and the transaction is run again for the
// rest, so one bad envelope never blocks the others and order within a
// conversation is kept.
func (s *Service) commit(ctx context.Context, peer store.Peer, items []*item) {
	failedConv := map[string]bool{}
	var todo []*item
	for _, it := range items {
		switch {
		case it.conv != "" && failedConv[it.conv] && !it.dup:
			it.rej = reject(ReasonBlocked, "an earlier envelope of this conversation in the batch was not applied", nil)
		case it.rej != nil:
			if it.conv != "" {
				failedConv[it.conv] = true
			}
		case !it.dup:
			todo = append(todo, it)
		}
	}
	for round := 0; len(todo) > 0 && round <= len(items)+2; round++ {
		failed := -1
		var herr error
		dups := make([]bool, len(todo))
		conflicts := make([]bool, len(todo))
		firsts := make([]time.Time, len(todo))
		err := s.st.InTx(ctx, func(q store.Queries) error {
			// The envelopes applied are appended to the ledger in this
			// transaction, in one statement after the loop.
			var recorded []ledger.Entry
			for i, it := range todo {
				added, err := q.AddInbox(ctx, store.InboxEntry{EnvelopeID: it.id, Sender: peer.Party, Type: it.signed.Header.Type,
					Conversation: it.conv, Created: it.signed.Header.Created, Received: it.received, EnvelopeHash: it.hash,
					Envelope: it.raw})
				if err != nil {
					return err
				}
				if !added {
					prev, err := q.GetInbox(ctx, it.id)
					if err != nil {
						return err
					}
					dups[i], firsts[i], conflicts[i] = true, prev.Received, prev.EnvelopeHash != it.hash
					continue
				}
				if e, ok, err := envelopeEntry(ledger.KindEnvelopeReceived, it.signed.Header, it.received); err != nil {
					return err
				} else if ok {
					recorded = append(recorded, e)
				}
				if err := it.handler(ctx, q, Delivery{Header: it.signed.Header, Payload: it.payload, Received: it.received, Attachments: it.atts}); err != nil {
					failed, herr = i, err
					return errHandler
				}
			}
			if len(recorded) > 0 {
				if _, err := ledger.AppendBatch(ctx, q, recorded); err != nil {
					return err
				}
			}
			return q.TouchPeer(ctx, peer.Party, s.clock.Now())
		})
		if err == nil {
			for i, it := range todo {
				switch {
				case dups[i] && conflicts[i]:
					it.rej = reject(ReasonConflict, "an envelope with this ID and other content was applied before", nil)
				case dups[i]:
					it.dup, it.received = true, firsts[i]
				}
			}
			return
		}
		if failed < 0 {
			if errors.Is(err, store.ErrConflict) && ctx.Err() == nil {
				continue // a concurrent request applied one of these first
			}
			for _, it := range todo {
				it.rej = reject(ReasonUnavailable, "the node could not record the envelope; send it again later", err)
			}
			return
		}
		bad := todo[failed]
		if errors.Is(herr, ErrPermanent) {
			bad.rej = reject(ReasonRefused, "the receiving service refused the payload", herr)
		} else {
			bad.rej = reject(ReasonUnavailable, "the receiving service could not apply the payload now; send it again later", herr)
		}
		rest := todo[:0:0]
		for i, it := range todo {
			switch {
			case i == failed:
			case i > failed && bad.conv != "" && it.conv == bad.conv:
				it.rej = reject(ReasonBlocked, "an earlier envelope of this conversation in the batch was not applied", nil)
			default:
				rest = append(rest, it)
			}
		}
		todo = rest
	}
}

// result turns an item's outcome into its answer, counting and logging it.
func (s *Service) result(ctx context.Context, peer store.Peer, it *item) Result {
	if it.rej != nil {
		s.rejected(ctx, peer.Party, it.id, it.rej)
		if len(it.atts) > 0 {
			s.cleanup([]*item{it})
		}
		return Result{ID: it.id, Status: it.rej.Problem().Status, Problem: it.rej.Problem()}
	}
	if it.dup {
		s.m.duplicates.WithLabelValues(peer.Party, traffic(it.signed.Header.Exercise)).Inc()
	} else {
		s.m.accepted.WithLabelValues(peer.Party, traffic(it.signed.Header.Exercise)).Inc()
	}
	return Result{ID: it.id, Status: http.StatusOK, Received: it.received}
}

// rejected logs and counts a refusal. Forgery-like reasons are errors;
// the others warnings; temporary ones informational.
func (s *Service) rejected(ctx context.Context, peer, id string, rej *Rejection) {
	label := peer
	if label == "" {
		label = "unknown"
	}
	s.m.rejections.WithLabelValues(label, string(rej.Reason)).Inc()
	level := slog.LevelWarn
	switch rej.Reason {
	case ReasonBadSignature, ReasonUnknownSender, ReasonSenderMismatch, ReasonConflict, ReasonDecrypt:
		level = slog.LevelError
	case ReasonUnavailable, ReasonBlocked:
		level = slog.LevelInfo
	}
	attrs := []any{"peer", label, "envelope", id, "reason", string(rej.Reason), "detail", rej.Detail}
	if rej.Err != nil {
		attrs = append(attrs, "err", rej.Err.Error())
	}
	s.log.Log(ctx, level, "federation: inbox refused", attrs...)
}
