package sample

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/liaison-dev/liaison/internal/audit"
	"github.com/liaison-dev/liaison/internal/federation"
	"github.com/liaison-dev/liaison/internal/intel"
	"github.com/liaison-dev/liaison/internal/intel/marking"
	"github.com/liaison-dev/liaison/internal/store"
)

// TypeSample is the federation message type that carries one sample as an
// encrypted attachment.
const TypeSample = "intel.sample"

// Sender is the part of federation samples need.
type Sender interface {
	StageAttachment(name string, r io.Reader) (federation.Attachment, error)
	Enqueue(ctx context.Context, q store.Queries, msg federation.Message) (string, error)
	Kick()
}

// samplePayload is what TypeSample carries next to the attachment.
type samplePayload struct {
	// Collection is the sender's collection; the objects describing the
	// sample went to its mirror at the receiver, in the same conversation
	// and so before this message.
	Collection string   `json:"collection"`
	SHA256     string   `json:"sha256"`
	MD5        string   `json:"md5"`
	SHA1       string   `json:"sha1"`
	SHA512     string   `json:"sha512"`
	Size       int64    `json:"size"`
	Kind       string   `json:"kind"`
	Name       string   `json:"name"`
	MIMEType   string   `json:"mime_type,omitempty"`
	FileID     string   `json:"file_id"`
	MalwareID  string   `json:"malware_id,omitempty"`
	ReportID   string   `json:"report_id,omitempty"`
	TLP        string   `json:"tlp"`
	Recipients []string `json:"recipients,omitempty"`
}

// peerReaders lists the parties a collection is shared with.
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

// link records the sample's link to its objects and, in the same
// transaction, enqueues it to every peer the collection is shared with
// whose TLP decision allows it: the sample is sent if and only if the link
// commits. The plain bytes are staged in the federation spool, from which
// the outbox encrypts a copy to each recipient.
func (s *Service) link(ctx context.Context, actor string, smp store.Sample, l store.SampleLink, coll store.Collection) ([]intel.PreviewOutcome, error) {
	parties, err := peerReaders(ctx, s.Store, coll.ID)
	if err != nil {
		return nil, err
	}
	tlp := marking.TLP(l.TLP)
	sharing := []intel.PreviewOutcome{}
	var to []string
	for _, p := range parties {
		dec := marking.MayShare(tlp, marking.Audience{Party: p, Named: contains(l.Recipients, p)})
		sharing = append(sharing, intel.PreviewOutcome{Party: p, Decision: dec})
		if dec.Allowed {
			to = append(to, p)
		}
	}
	var att *federation.Attachment
	if len(to) > 0 && s.Federation != nil {
		rc, err := s.Blobs.Open(smp.SHA256)
		if err != nil {
			return nil, err
		}
		a, err := s.Federation.StageAttachment(smp.SHA256, rc)
		rc.Close()
		if err != nil {
			return nil, err
		}
		if a.SHA256 != smp.SHA256 {
			os.Remove(a.Path)
			return nil, fmt.Errorf("%w: staged copy of %s hashes to %s", ErrCorrupt, smp.SHA256, a.SHA256)
		}
		att = &a
	}
	err = s.Store.InTx(ctx, func(q store.Queries) error {
		if err := q.AddSampleLink(ctx, l); err != nil {
			return err
		}
		if att != nil {
			payload, err := json.Marshal(samplePayload{Collection: coll.ID, SHA256: smp.SHA256, MD5: smp.MD5, SHA1: smp.SHA1,
				SHA512: smp.SHA512, Size: smp.Size, Kind: smp.Kind, Name: smp.Name, MIMEType: smp.MIMEType, FileID: l.FileID,
				MalwareID: l.MalwareID, ReportID: l.ReportID, TLP: tlp.String(), Recipients: l.Recipients})
			if err != nil {
				return err
			}
			if _, err := s.Federation.Enqueue(ctx, q, federation.Message{Type: TypeSample, Recipients: to,
				Conversation: "intel:" + coll.ID, Marking: tlp.String(), Payload: payload,
				Attachments: []federation.Attachment{*att}}); err != nil {
				return err
			}
		}
		return audit.RecordDetail(ctx, q, s.Clock, actor, "sample.link", "sample", smp.SHA256, nil, l,
			fmt.Sprintf("described by %s in collection %s (%s); sent to %v", l.FileID, coll.ID, tlp, to))
	})
	if err != nil {
		if att != nil {
			os.Remove(att.Path)
		}
		return nil, err
	}
	if att != nil {
		s.Federation.Kick()
	}
	return sharing, nil
}

// mirrorID is the local collection holding what party shares from its
// collection remoteID. It must equal intel's derivation (intel.mirrorID),
// which is where the objects describing the sample were stored; the
// two-node test checks that it does.
func mirrorID(party, remoteID string) string {
	sum := sha256.Sum256([]byte("liaison/mirror\n" + party + "\n" + remoteID))
	b := sum[:16]
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// ErrMarkingViolation: a peer sent a sample its TLP forbids us to receive
// (AMBER+STRICT, or RED without naming us). The envelope is refused for
// good and nothing of it is kept.
var ErrMarkingViolation = errors.New("sample: marking forbids receiving this sample")

// HandleSample applies a TypeSample envelope: it checks the marking from
// our side, checks the attachment is the sample the payload names,
// encrypts it into the store (removing the spool's plain copy) and links
// it to the mirror collection where the sender's objects describing it
// arrived.
func (s *Service) HandleSample(ctx context.Context, q store.Queries, d federation.Delivery) error {
	var p samplePayload
	if err := json.Unmarshal(d.Payload, &p); err != nil {
		return fmt.Errorf("%w: sample payload: %v", federation.ErrPermanent, err)
	}
	sender := d.Header.Sender
	tlp, err := marking.ParseTLP(p.TLP)
	if err != nil {
		return fmt.Errorf("%w: sample from %s: tlp: %v", federation.ErrPermanent, sender, err)
	}
	if dec := marking.MayShare(tlp, marking.Audience{Party: s.Self, Named: contains(p.Recipients, s.Self)}); !dec.Allowed {
		for _, a := range d.Attachments {
			os.Remove(a.Path)
		}
		return fmt.Errorf("%w: %w: %s from %s: %s", federation.ErrPermanent, ErrMarkingViolation, p.SHA256, sender, dec.Reason)
	}
	if !ValidSHA256(p.SHA256) || len(d.Attachments) != 1 || d.Attachments[0].SHA256 != p.SHA256 || d.Attachments[0].Size != p.Size {
		return fmt.Errorf("%w: sample from %s: the attachment is not the sample the message names", federation.ErrPermanent, sender)
	}
	n := NewSample{Collection: "-", Kind: p.Kind, Name: p.Name, MIMEType: p.MIMEType, TLP: tlp, Recipients: p.Recipients}
	if p.Kind == store.SampleDocument {
		n.ReportName = "-"
	}
	if err := n.Validate(); err != nil {
		return fmt.Errorf("%w: sample from %s: %v", federation.ErrPermanent, sender, err)
	}
	coll := mirrorID(sender, p.Collection)
	if _, err := q.GetCollection(ctx, coll); err != nil {
		// The objects come first in the conversation; without them there
		// is nothing to link to yet. Temporary: the sender retries.
		return fmt.Errorf("sample from %s: collection %s has not arrived: %w", sender, coll, err)
	}
	// A redelivery after a rolled-back attempt finds the blob stored and
	// the spool copy gone.
	if !s.Blobs.Has(p.SHA256) {
		f, err := os.Open(d.Attachments[0].Path)
		if err != nil {
			return err
		}
		dg, err := s.Blobs.Put(f, p.Size)
		f.Close()
		if err != nil {
			return err
		}
		if dg.SHA256 != p.SHA256 {
			return fmt.Errorf("%w: sample from %s hashes to %s", federation.ErrPermanent, sender, dg.SHA256)
		}
		p.MD5, p.SHA1, p.SHA512 = dg.MD5, dg.SHA1, dg.SHA512
	}
	os.Remove(d.Attachments[0].Path)
	now := s.Clock.Now().UTC()
	smp := store.Sample{SHA256: p.SHA256, MD5: p.MD5, SHA1: p.SHA1, SHA512: p.SHA512, Size: p.Size, Kind: n.Kind, Name: n.Name,
		MIMEType: p.MIMEType, Source: sender, CreatedBy: "peer:" + sender, Created: now}
	if _, err := q.PutSample(ctx, smp); err != nil {
		return err
	}
	l := store.SampleLink{SHA256: p.SHA256, CollectionID: coll, FileID: p.FileID, MalwareID: p.MalwareID, ReportID: p.ReportID,
		TLP: int(tlp), Recipients: p.Recipients, Created: now}
	if err := q.AddSampleLink(ctx, l); err != nil {
		return err
	}
	return audit.RecordDetail(ctx, q, s.Clock, "peer:"+sender, "sample.receive", "sample", p.SHA256, nil, l,
		fmt.Sprintf("%s %s, %d bytes, %s, stored encrypted", p.Kind, p.Name, p.Size, tlp))
}
