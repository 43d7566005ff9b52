package identity

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"

	"github.com/liaison-dev/liaison/internal/audit"
	"github.com/liaison-dev/liaison/internal/clock"
	"github.com/liaison-dev/liaison/internal/store"
)

// Peers pairs this node with others by importing their signed descriptors.
type Peers struct {
	Store store.Store
	Clock clock.Clock
	// Self is this node's party code; a node cannot pair with itself.
	Self string
}

// Add verifies a descriptor and pins its keys. For a party already paired,
// the descriptor must be signed by the currently pinned signing key: that
// is how a peer rotates keys or moves endpoints, and why nobody else can.
func (p *Peers) Add(ctx context.Context, actor string, descriptor []byte) (store.Peer, error) {
	d, err := Verify(bytes.NewReader(descriptor), nil)
	if err != nil {
		return store.Peer{}, err
	}
	if d.Party == p.Self {
		return store.Peer{}, fmt.Errorf("descriptor: party: %s is this node's own party", d.Party)
	}
	now := p.Clock.Now()
	peer := store.Peer{Party: d.Party, Name: d.Name, Endpoint: d.Endpoints[0], SigningKey: d.SigningKey,
		EncryptionKey: d.EncryptionKey, TLSFingerprint: d.TLSFingerprint, Descriptor: descriptor, Added: now, Updated: now}
	err = p.Store.InTx(ctx, func(q store.Queries) error {
		old, err := q.GetPeer(ctx, d.Party)
		switch {
		case errors.Is(err, store.ErrNotFound):
			old = store.Peer{}
		case err != nil:
			return err
		default:
			if _, err := Verify(bytes.NewReader(descriptor), ed25519.PublicKey(old.SigningKey)); err != nil {
				return fmt.Errorf("descriptor update for %s must be signed by its pinned key %s: %w", d.Party, KeyFingerprint(old.SigningKey), err)
			}
			peer.Added = old.Added
		}
		if err := q.UpsertPeer(ctx, peer); err != nil {
			return err
		}
		// Keep every key ever pinned, so that what a peer signed before a
		// rotation stays verifiable (see federation).
		if err := q.RecordPeerKey(ctx, store.PeerKey{Party: d.Party, KeyID: KeyFingerprint(d.SigningKey), SigningKey: d.SigningKey, FirstSeen: now}); err != nil {
			return err
		}
		var before any
		if old.Party != "" {
			before = old
		}
		return audit.RecordDetail(ctx, q, p.Clock, actor, "peer.pair", "peer", d.Party, before, peer,
			"signing key "+KeyFingerprint(d.SigningKey)+", TLS "+d.TLSFingerprint[:16])
	})
	return peer, err
}
