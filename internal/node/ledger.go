package node

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/liaison-dev/liaison/internal/auth"
	"github.com/liaison-dev/liaison/internal/federation"
	"github.com/liaison-dev/liaison/internal/ledger"
	"github.com/liaison-dev/liaison/internal/progress"
	"github.com/liaison-dev/liaison/internal/store"
	"github.com/liaison-dev/liaison/pkg/verify"
)

// CheckpointInterval is how often the node integrates new ledger entries,
// signs a checkpoint and offers it to every peer for cosigning; the first
// round is one interval after Serve starts. Zero or less disables the
// periodic exchange (benchmarks that count their own envelopes); Publish
// still works on demand.
var CheckpointInterval = 30 * time.Second

// Envelope types of the cosigning exchange.
const (
	// TypeLedgerCheckpoint carries our latest checkpoint and a consistency
	// proof from the size the peer last cosigned.
	TypeLedgerCheckpoint = "ledger.checkpoint"
	// TypeLedgerCosignature carries the peer's answer: its cosignature
	// line, or the size it last saw when our proof started elsewhere.
	TypeLedgerCosignature = "ledger.cosignature"
)

// checkpointMsg is the payload of TypeLedgerCheckpoint.
type checkpointMsg struct {
	// Checkpoint is our signed note (without cosignatures).
	Checkpoint string `json:"checkpoint"`
	// FromSize is the size the proof starts at: the largest checkpoint the
	// peer has cosigned, as far as we know (0 for none).
	FromSize uint64   `json:"from_size"`
	Proof    [][]byte `json:"proof"`
}

// cosignatureMsg is the payload of TypeLedgerCosignature.
type cosignatureMsg struct {
	Size uint64 `json:"size"`
	// Cosignature is one signed-note signature line (C2SP
	// tlog-cosignature); empty when the peer did not cosign.
	Cosignature string `json:"cosignature,omitempty"`
	// Seen is the largest size of our log the peer has cosigned.
	Seen uint64 `json:"seen"`
}

// Exchange runs the cosigning of checkpoints between this node and its
// peers over federation.
type Exchange struct {
	n    *Node
	mu   sync.Mutex
	seen map[string]uint64    // by peer: the largest size it cosigned
	sent map[string]sentState // by peer: what we last offered, and when
}

type sentState struct {
	size uint64
	at   time.Time
}

// openLedger wires the transparency log, the progress service and the
// cosigning exchange.
func (n *Node) openLedger() error {
	l, err := ledger.New(ledger.Config{Store: n.Store, Clock: n.Clock, Party: n.Config.Party, Key: n.Identity.Signer,
		Logger: n.Log, Notify: n.notifyAlarm})
	if err != nil {
		return err
	}
	n.Ledger = l
	n.Progress = &progress.Service{Store: n.Store, Clock: n.Clock, Ledger: l, Party: n.Config.Party, Key: n.Identity.Signer,
		Federation: n.Federation}
	n.Federation.Handle(progress.TypeReportCosignature, n.Progress.HandleCosignature)
	n.Exchange = &Exchange{n: n, seen: map[string]uint64{}, sent: map[string]sentState{}}
	n.Federation.Handle(TypeLedgerCheckpoint, n.Exchange.handleCheckpoint)
	n.Federation.Handle(TypeLedgerCosignature, n.Exchange.handleCosignature)
	n.API.Ledger, n.API.Progress = l, n.Progress
	return nil
}

// runLedger checkpoints and offers the checkpoint to the peers every
// CheckpointInterval until ctx ends.
func (n *Node) runLedger(ctx context.Context) {
	if CheckpointInterval <= 0 {
		return
	}
	t := time.NewTicker(CheckpointInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := n.Exchange.Publish(ctx); err != nil && ctx.Err() == nil {
			n.Log.Warn("ledger: checkpoint exchange", "err", err)
		}
	}
}

// notifyAlarm raises a ledger alarm to supervisors and auditors: a console
// notice for each (listed with the hotline notices), and an e-mail to the
// configured supervisors, delivered by the hotline's notice sweep.
func (n *Node) notifyAlarm(ctx context.Context, q store.Queries, a store.LedgerAlarm) error {
	now := n.Clock.Now().UTC().Truncate(time.Microsecond)
	subject := fmt.Sprintf("Ledger alarm: %s of %s", a.Kind, a.Origin)
	body := fmt.Sprintf("%s\n\nAlarm %d recorded at %s. See `liaison log alarms` or GET /api/v1/ledger/alarms; the evidence is kept.",
		a.Detail, a.ID, a.At.UTC().Format(time.RFC3339))
	if len(body) > 4000 {
		body = body[:4000]
	}
	mk := func(audience, channel, target string) store.Notice {
		nt := store.Notice{ID: auth.NewID(), CallID: "", RequestID: "", Kind: "ledger." + a.Kind, Level: 3, Audience: audience,
			Channel: channel, Target: target, Subject: subject, Body: body, Created: now, NextAttempt: now}
		if channel == "console" {
			nt.State, nt.Sent = store.NoticeSent, now
		}
		return nt
	}
	ns := []store.Notice{mk("supervisor", "console", "supervisor"), mk("auditor", "console", "auditor")}
	for _, to := range n.Config.Deadlines.Supervisors {
		ns = append(ns, mk("supervisor", "email", to))
	}
	for _, nt := range ns {
		if err := q.InsertNotice(ctx, nt); err != nil {
			return err
		}
	}
	return nil
}

// peerKeys returns the verifiers of a peer's log checkpoints and of its
// cosignatures, from its pinned signing key.
func peerKeys(p store.Peer) (logKey, cosigner note.Verifier, err error) {
	pub := ed25519.PublicKey(p.SigningKey)
	lk, err := ledger.LogVerifierKey(p.Party, pub)
	if err != nil {
		return nil, nil, err
	}
	ck, err := ledger.CosignerVerifierKey(p.Party, pub)
	if err != nil {
		return nil, nil, err
	}
	if logKey, err = verify.NewLogVerifier(lk); err != nil {
		return nil, nil, err
	}
	cosigner, err = verify.NewCosignerVerifier(ck)
	return logKey, cosigner, err
}

// resend is how long an offered checkpoint waits for its answer before it
// is offered again.
const resend = 2 * time.Minute

// Publish checkpoints the log and offers the checkpoint to every peer that
// has not cosigned it, with a consistency proof from the size it last
// cosigned.
func (x *Exchange) Publish(ctx context.Context) error {
	n := x.n
	cp, err := n.Ledger.Checkpoint(ctx)
	if err != nil || cp.Size == 0 {
		return err
	}
	peers, err := n.Store.ListPeers(ctx)
	if err != nil {
		return err
	}
	var errs []error
	for _, p := range peers {
		if err := x.offer(ctx, p, cp); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", p.Party, err))
		}
	}
	return errors.Join(errs...)
}

func (x *Exchange) offer(ctx context.Context, p store.Peer, cp store.LedgerCheckpoint) error {
	n := x.n
	size := uint64(cp.Size)
	x.mu.Lock()
	from, known := x.seen[p.Party]
	last := x.sent[p.Party]
	x.mu.Unlock()
	if !known {
		c, err := n.Store.LatestLedgerCosignature(ctx, ledger.CosignerName(p.Party))
		switch {
		case err == nil:
			from = uint64(c.Size)
		case !errors.Is(err, store.ErrNotFound):
			return err
		}
	}
	if from == size || (last.size == size && n.Clock.Now().Sub(last.at) < resend) {
		return nil // cosigned already, or offered and awaiting the answer
	}
	var proof [][]byte
	if from > 0 && from < size {
		var err error
		if proof, err = n.Ledger.ConsistencyHashes(ctx, from, size); err != nil {
			return err
		}
	}
	payload, err := json.Marshal(checkpointMsg{Checkpoint: string(cp.Note), FromSize: from, Proof: proof})
	if err != nil {
		return err
	}
	if _, err := n.Federation.Send(ctx, federation.Message{Type: TypeLedgerCheckpoint, Recipients: []string{p.Party},
		Conversation: "ledger-" + n.Config.Party, Payload: payload}); err != nil {
		return err
	}
	x.mu.Lock()
	x.sent[p.Party] = sentState{size: size, at: n.Clock.Now()}
	x.mu.Unlock()
	return nil
}

// handleCheckpoint is the witness side: verify the peer's checkpoint
// against the last one we cosigned and answer with our cosignature. A fork
// or rollback is recorded as an alarm in this transaction and the
// envelope is accepted (it is the evidence); no cosignature goes back.
func (x *Exchange) handleCheckpoint(ctx context.Context, q store.Queries, d federation.Delivery) error {
	var m checkpointMsg
	if err := json.Unmarshal(d.Payload, &m); err != nil {
		return fmt.Errorf("%w: ledger checkpoint: %v", federation.ErrPermanent, err)
	}
	peer, err := q.GetPeer(ctx, d.Header.Sender)
	if err != nil {
		return err
	}
	logKey, _, err := peerKeys(peer)
	if err != nil {
		return err
	}
	cp, err := verify.OpenCheckpoint([]byte(m.Checkpoint), logKey)
	if err != nil {
		return fmt.Errorf("%w: ledger checkpoint: %v", federation.ErrPermanent, err)
	}
	reply := cosignatureMsg{Size: cp.Size}
	prev, err := q.LatestWitnessed(ctx, logKey.Name())
	switch {
	case err == nil && cp.Size > uint64(prev.Size) && m.FromSize != uint64(prev.Size):
		// The proof starts elsewhere than what we saw: say what we saw.
		reply.Seen = uint64(prev.Size)
	case err == nil || errors.Is(err, store.ErrNotFound):
		line, err := x.n.Ledger.WitnessTx(ctx, q, logKey, []byte(m.Checkpoint), m.Proof)
		if errors.Is(err, verify.ErrFork) || errors.Is(err, verify.ErrRollback) {
			return nil // alarm recorded with this envelope as its cause
		}
		if err != nil {
			return fmt.Errorf("%w: ledger checkpoint: %v", federation.ErrPermanent, err)
		}
		reply.Cosignature, reply.Seen = line, cp.Size
	default:
		return err
	}
	payload, err := json.Marshal(reply)
	if err != nil {
		return err
	}
	_, err = x.n.Federation.Enqueue(ctx, q, federation.Message{Type: TypeLedgerCosignature, Recipients: []string{peer.Party},
		Conversation: "ledger-" + peer.Party, InReplyTo: d.Header.ID, Payload: payload})
	x.n.Federation.Kick()
	return err
}

// handleCosignature is the log side: store the peer's cosignature, or
// learn the size it last saw (and offer again from there). A size beyond
// our log raises a rollback alarm.
func (x *Exchange) handleCosignature(ctx context.Context, q store.Queries, d federation.Delivery) error {
	var m cosignatureMsg
	if err := json.Unmarshal(d.Payload, &m); err != nil {
		return fmt.Errorf("%w: ledger cosignature: %v", federation.ErrPermanent, err)
	}
	peer, err := q.GetPeer(ctx, d.Header.Sender)
	if err != nil {
		return err
	}
	_, cosigner, err := peerKeys(peer)
	if err != nil {
		return err
	}
	if m.Cosignature != "" {
		err = x.n.Ledger.AddCosignatureTx(ctx, q, m.Size, m.Cosignature, cosigner)
	} else {
		err = x.n.Ledger.RolledBackTx(ctx, q, m.Seen, cosigner.Name(), d.Payload)
	}
	if errors.Is(err, verify.ErrRollback) {
		return nil // alarm recorded
	}
	if err != nil {
		return fmt.Errorf("%w: ledger cosignature: %v", federation.ErrPermanent, err)
	}
	x.mu.Lock()
	x.seen[peer.Party] = m.Seen
	delete(x.sent, peer.Party)
	x.mu.Unlock()
	return nil
}
