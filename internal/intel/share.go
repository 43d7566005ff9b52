package intel

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/liaison-dev/liaison/internal/federation"
	"github.com/liaison-dev/liaison/internal/intel/marking"
	"github.com/liaison-dev/liaison/internal/intel/stix"
	"github.com/liaison-dev/liaison/internal/store"
)

// Sender is the part of federation sharing needs.
type Sender interface {
	Enqueue(ctx context.Context, q store.Queries, msg federation.Message) (string, error)
	Kick()
}

// Federation message types of intelligence sharing.
const (
	TypeObjects = "intel.objects"
)

// RecipientsProperty is the custom STIX property naming, on a TLP:RED
// object, the parties it may be sent to: RED goes to named recipients
// only, and STIX has no standard place for the names.
const RecipientsProperty = "x_liaison_recipients"

// shareBatch bounds the objects of one federation message.
const shareBatch = 500

// objectsPayload is what TypeObjects carries.
type objectsPayload struct {
	Collection store.Collection  `json:"collection"`
	Objects    []json.RawMessage `json:"objects"`
}

// named returns the parties a RED object names.
func named(o *stix.Object) []string {
	var v map[string]json.RawMessage
	if json.Unmarshal(o.Raw, &v) != nil {
		return nil
	}
	var parties []string
	json.Unmarshal(v[RecipientsProperty], &parties)
	return parties
}

// Decide applies the object's marking to sending it to party.
func Decide(o *stix.Object, party string) marking.Decision {
	t := marking.Effective(o.MarkingRefs)
	return marking.MayShare(t, marking.Audience{Party: party, Named: slices.Contains(named(o), party)})
}

// peerReaders lists the peers a collection is shared with.
func peerReaders(ctx context.Context, q store.Queries, collectionID string) ([]string, error) {
	grants, err := q.ListGrants(ctx, collectionID)
	if err != nil {
		return nil, err
	}
	var parties []string
	for _, g := range grants {
		if p, ok := strings.CutPrefix(g.Grantee, "party:"); ok && g.CanRead {
			parties = append(parties, p)
		}
	}
	return parties, nil
}

// share enqueues the newly stored objects to every peer the collection is
// shared with, each object only where its marking allows, inside the
// transaction that stored them: an object is shared if and only if it is
// stored.
func (s *Service) share(ctx context.Context, q store.Queries, collectionID string, objs []*stix.Object) error {
	if s.Federation == nil || len(objs) == 0 {
		return nil
	}
	coll, err := q.GetCollection(ctx, collectionID)
	if err != nil {
		return err
	}
	parties, err := peerReaders(ctx, q, coll.ID)
	if err != nil {
		return err
	}
	for _, party := range parties {
		var batch []json.RawMessage
		strictest := marking.Clear
		flush := func() error {
			if len(batch) == 0 {
				return nil
			}
			payload, err := json.Marshal(objectsPayload{Collection: coll, Objects: batch})
			if err != nil {
				return err
			}
			_, err = s.Federation.Enqueue(ctx, q, federation.Message{Type: TypeObjects, Recipients: []string{party},
				Conversation: "intel:" + coll.ID, Marking: strictest.String(), Payload: payload})
			batch, strictest = nil, marking.Clear
			return err
		}
		for _, o := range objs {
			if !Decide(o, party).Allowed {
				continue
			}
			batch = append(batch, json.RawMessage(o.Raw))
			strictest = max(strictest, marking.Effective(o.MarkingRefs))
			if len(batch) == shareBatch {
				if err := flush(); err != nil {
					return err
				}
			}
		}
		if err := flush(); err != nil {
			return err
		}
	}
	return nil
}

// Preview is who would receive an object added to a collection.
type Preview struct {
	TLP        string           `json:"tlp"`
	Recipients []PreviewOutcome `json:"recipients"`
}

// PreviewOutcome is the decision for one peer.
type PreviewOutcome struct {
	Party string `json:"party"`
	marking.Decision
}

// WhoWouldSee answers, without storing or sending anything, which peers
// an object would reach if added to the collection, and why.
func (s *Service) WhoWouldSee(ctx context.Context, collectionID string, raw []byte) (Preview, error) {
	o, err := s.Parser.Parse(raw)
	if err != nil {
		return Preview{}, err
	}
	coll, err := s.Store.GetCollection(ctx, collectionID)
	if err != nil {
		return Preview{}, err
	}
	parties, err := peerReaders(ctx, s.Store, coll.ID)
	if err != nil {
		return Preview{}, err
	}
	p := Preview{TLP: marking.Effective(o.MarkingRefs).String(), Recipients: []PreviewOutcome{}}
	for _, party := range parties {
		p.Recipients = append(p.Recipients, PreviewOutcome{Party: party, Decision: Decide(o, party)})
	}
	return p, nil
}

// mirrorID is the local collection that holds what a peer shares from one
// of its collections: a stable UUID derived from the pair, so every
// delivery lands in the same place.
func mirrorID(party, remoteID string) string {
	sum := sha256.Sum256([]byte("liaison/mirror\n" + party + "\n" + remoteID))
	b := sum[:16]
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// ErrMarkingViolation: a peer sent an object its marking forbids us to
// receive. The envelope is refused; nothing of it is stored.
var ErrMarkingViolation = errors.New("intel: marking forbids receiving this object")

// HandleObjects applies a TypeObjects envelope: every object is validated
// again and its marking checked from our side (AMBER+STRICT never crosses
// a border; RED only if we are named), then stored in the mirror of the
// sender's collection, readable by this node's agencies and never shared
// onwards (no party grants).
func (s *Service) HandleObjects(ctx context.Context, q store.Queries, d federation.Delivery) error {
	var p objectsPayload
	if err := json.Unmarshal(d.Payload, &p); err != nil {
		return fmt.Errorf("intel: objects payload: %w", err)
	}
	sender := d.Header.Sender
	var objs []*stix.Object
	for i, raw := range p.Objects {
		o, err := s.Parser.Parse(raw)
		if err != nil {
			return fmt.Errorf("intel: object %d from %s: %w", i, sender, err)
		}
		if dec := Decide(o, s.Self); !dec.Allowed {
			return fmt.Errorf("%w: %s from %s: %s", ErrMarkingViolation, o.ID, sender, dec.Reason)
		}
		objs = append(objs, o)
	}
	id := mirrorID(sender, p.Collection.ID)
	if _, err := q.GetCollection(ctx, id); errors.Is(err, store.ErrNotFound) {
		c := store.Collection{ID: id, Title: p.Collection.Title + " (" + sender + ")", Description: "Shared by " + sender + ": " + p.Collection.Description,
			Created: s.Clock.Now()}
		if err := q.CreateCollection(ctx, c); err != nil {
			return err
		}
		if err := q.SetGrant(ctx, store.Grant{CollectionID: id, Grantee: "*", CanRead: true}); err != nil {
			return err
		}
	} else if err != nil {
		return err
	}
	st := &Status{ID: NewUUID(), Status: "complete", Requested: s.Clock.Now(), Total: len(objs)}
	if _, err := s.addIn(ctx, q, "peer:"+sender, id, objs, st); err != nil {
		return err
	}
	s.changed()
	return nil
}
