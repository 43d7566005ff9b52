package progress

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/liaison-dev/liaison/internal/federation"
	"github.com/liaison-dev/liaison/internal/store"
)

// TypeReportCosignature is the envelope that carries a party's cosignature
// of a report back to the party that made it.
const TypeReportCosignature = "progress.report.cosignature"

type cosignatureMsg struct {
	FiguresSHA256 string    `json:"figures_sha256"`
	Signature     string    `json:"signature"`
	At            time.Time `json:"at"`
}

// FiguresHash is the hex SHA-256 of the signed message of f: the key a
// report is kept and cosigned under.
func FiguresHash(f *Figures) (string, error) {
	msg, err := f.SignedMessage()
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(msg)
	return hex.EncodeToString(sum[:]), nil
}

// keep stores rep (made or verified here) through q; a report already kept
// is left as it is.
func keep(ctx context.Context, q store.Queries, rep *Report, now time.Time) (string, error) {
	h, err := FiguresHash(&rep.Figures)
	if err != nil {
		return "", err
	}
	if _, err := q.GetReport(ctx, h); err == nil {
		return h, nil
	} else if !errors.Is(err, store.ErrNotFound) {
		return "", err
	}
	b, err := json.Marshal(rep)
	if err != nil {
		return "", err
	}
	return h, q.PutReport(ctx, store.StoredReport{FiguresHash: h, Origin: rep.Figures.Origin, Round: rep.Figures.Round,
		Checkpoint: rep.Figures.Checkpoint.Size, Report: b, Created: now})
}

func addCosignature(ctx context.Context, q store.Queries, h string, c ReportSignature) error {
	have, err := q.ListReportCosignatures(ctx, h)
	if err != nil {
		return err
	}
	for _, x := range have {
		if x.Party == c.Party {
			return nil
		}
	}
	return q.AddReportCosignature(ctx, store.ReportCosignature{FiguresHash: h, Party: c.Party, Signature: c.Signature, At: c.At})
}

// recordVerified keeps a report this node verified with its cosignature
// and, for a peer's report, sends the cosignature back to the origin.
func (s *Service) recordVerified(ctx context.Context, rep *Report, c ReportSignature) error {
	return s.Store.InTx(ctx, func(q store.Queries) error {
		h, err := keep(ctx, q, rep, s.Clock.Now())
		if err != nil {
			return err
		}
		if err := addCosignature(ctx, q, h, c); err != nil {
			return err
		}
		if s.Federation == nil || rep.Figures.Origin == s.Party {
			return nil
		}
		b, err := json.Marshal(cosignatureMsg{FiguresSHA256: h, Signature: c.Signature, At: c.At})
		if err != nil {
			return err
		}
		_, err = s.Federation.Enqueue(ctx, q, federation.Message{Type: TypeReportCosignature, Recipients: []string{rep.Figures.Origin},
			Conversation: "report-" + h[:16], Payload: b})
		return err
	})
}

// HandleCosignature stores a peer's cosignature of a report this node
// made, after checking it over the kept figures with the peer's key.
func (s *Service) HandleCosignature(ctx context.Context, q store.Queries, d federation.Delivery) error {
	var m cosignatureMsg
	if err := json.Unmarshal(d.Payload, &m); err != nil {
		return fmt.Errorf("%w: report cosignature: %v", federation.ErrPermanent, err)
	}
	kept, err := q.GetReport(ctx, m.FiguresSHA256)
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("%w: report cosignature: no report %s here", federation.ErrPermanent, m.FiguresSHA256)
	} else if err != nil {
		return err
	}
	var rep Report
	if err := json.Unmarshal(kept.Report, &rep); err != nil {
		return err
	}
	peer, err := q.GetPeer(ctx, d.Header.Sender)
	if err != nil {
		return err
	}
	msg, err := rep.Figures.SignedMessage()
	if err != nil {
		return err
	}
	sig, err := base64.StdEncoding.DecodeString(m.Signature)
	if err != nil || !ed25519.Verify(ed25519.PublicKey(peer.SigningKey), msg, sig) {
		return fmt.Errorf("%w: report cosignature by %s does not verify", federation.ErrPermanent, d.Header.Sender)
	}
	return addCosignature(ctx, q, m.FiguresSHA256, ReportSignature{Party: d.Header.Sender, Signature: m.Signature, At: m.At})
}

// KeptReport is a report made or verified at this node, with every
// cosignature it holds.
type KeptReport struct {
	FiguresSHA256 string            `json:"figures_sha256"`
	Origin        string            `json:"origin"`
	Round         int               `json:"round"`
	Checkpoint    int64             `json:"checkpoint_size"`
	Created       time.Time         `json:"created"`
	Cosignatures  []ReportSignature `json:"cosignatures"`
}

// Reports lists the kept reports, newest first.
func (s *Service) Reports(ctx context.Context, limit int) ([]KeptReport, error) {
	rs, err := s.Store.ListReports(ctx, limit)
	if err != nil {
		return nil, err
	}
	out := []KeptReport{}
	for _, r := range rs {
		cs, err := s.Store.ListReportCosignatures(ctx, r.FiguresHash)
		if err != nil {
			return nil, err
		}
		k := KeptReport{FiguresSHA256: r.FiguresHash, Origin: r.Origin, Round: r.Round, Checkpoint: r.Checkpoint, Created: r.Created,
			Cosignatures: []ReportSignature{}}
		for _, c := range cs {
			k.Cosignatures = append(k.Cosignatures, ReportSignature{Party: c.Party, Signature: c.Signature, At: c.At})
		}
		out = append(out, k)
	}
	return out, nil
}
