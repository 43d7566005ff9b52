package progress

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/liaison-dev/liaison/internal/ledger"
	"github.com/liaison-dev/liaison/internal/store"
	"github.com/liaison-dev/liaison/pkg/verify"
)

// A progress report is signed over its Figures: the request, drill, lead
// and intelligence-sharing figures of the round's period and of the
// previous round's, the round, and the checkpoint of the origin's ledger they were
// computed at. The signed message is
//
//	"liaison-report/v1\n" ‖ JSON(Figures)
//
// where JSON is encoding/json's output for the Figures type: field order is
// fixed by the type, maps are sorted by key and numbers have one shortest
// form, so both parties' binaries produce the same bytes for the same
// figures. The other party recomputes Figures from its own copy of the
// record over the same periods, compares and, if they are equal, signs the
// same message: its cosignature.
const (
	ReportFormat    = "liaison-report/v2"
	reportSigPrefix = ReportFormat + "\n"
)

// Errors of report verification.
var (
	// ErrReportMismatch: a figure differs from the verifier's record; the
	// report must not be cosigned. The message names the figures.
	ErrReportMismatch = errors.New("progress: report figures do not match the record")
	// ErrReportSignature: the report is not signed by its origin, or its
	// checkpoint is not the origin's.
	ErrReportSignature = errors.New("progress: report signature does not verify")
	// ErrNoReport: the file holds no report.
	ErrNoReport = errors.New("progress: no report figures found")
)

// Figures are the signed, recomputable content of a report.
type Figures struct {
	Format     string           `json:"format"`
	Origin     string           `json:"origin"`
	Round      int              `json:"round"`
	Checkpoint ReportCheckpoint `json:"checkpoint"`
	Current    Period           `json:"current"`
	Previous   *Period          `json:"previous,omitempty"`
}

// Period is the signed figures of one period: requests, hotline drills,
// leads, and intelligence envelopes delivered, each between two parties,
// so that either party can recompute them from its own record.
type Period struct {
	Round      int              `json:"round"`
	From       time.Time        `json:"from"`
	To         time.Time        `json:"to"`
	Directions []RequestFigures `json:"directions"`
	Requests   []RequestFigures `json:"requests"`
	Drills     []DrillFigures   `json:"drills"`
	Leads      []LeadFigures    `json:"leads"`
	Intel      []IntelFigures   `json:"intel"`
}

// ReportCheckpoint is the origin's checkpoint the figures were computed at.
type ReportCheckpoint struct {
	Origin string    `json:"origin"`
	Size   int64     `json:"size"`
	Root   string    `json:"root"` // base64, as in the note
	At     time.Time `json:"at"`
	Note   string    `json:"note"`
}

// Report is a progress report: its signed figures, its signature and
// cosignatures, and what it shows without signing (commitments, the
// node's own drill and intelligence figures).
type Report struct {
	Figures      Figures           `json:"figures"`
	Signature    string            `json:"signature"`
	Cosignatures []ReportSignature `json:"cosignatures"`
	Generated    time.Time         `json:"generated"`
	Round        RoundDetail       `json:"round"`
	// Local figures are shown but not part of the signed figures: a case
	// is counted by the party that opened it, as this node records it,
	// and the peer holds only the cases shared with it.
	Local LocalFigures `json:"local"`
}

// ReportSignature is a party's Ed25519 signature over the figures.
type ReportSignature struct {
	Party     string    `json:"party"`
	Signature string    `json:"signature"`
	At        time.Time `json:"at"`
}

// LocalFigures are shown in a report without being signed.
type LocalFigures struct {
	Cases         []CaseFigures `json:"cases"`
	PreviousCases []CaseFigures `json:"previous_cases,omitempty"`
}

// SignedMessage is what a report's signature and cosignatures sign.
func (f *Figures) SignedMessage() ([]byte, error) {
	b, err := json.Marshal(f)
	if err != nil {
		return nil, err
	}
	return append([]byte(reportSigPrefix), b...), nil
}

// periodOf returns the period of round n: from its date to the next
// round's date, or to end when it is the last round.
func periodOf(rounds []store.Round, n int, end time.Time) (from, to time.Time, ok bool) {
	for i, r := range rounds {
		if r.Number != n {
			continue
		}
		d, err := time.Parse(time.DateOnly, r.Date)
		if err != nil {
			return from, to, false
		}
		to = end
		if i+1 < len(rounds) {
			if next, err := time.Parse(time.DateOnly, rounds[i+1].Date); err == nil && next.Before(end) {
				to = next
			}
		}
		return d.UTC(), to.UTC(), true
	}
	return from, to, false
}

// Report checkpoints the ledger and builds the signed report of round n:
// the figures of the round's period (to the next round, or to now for the
// last) and of the previous round's.
func (s *Service) Report(ctx context.Context, n int) (*Report, error) {
	if s.Ledger == nil || s.Key == nil {
		return nil, errors.New("progress: reports need the node's ledger and key")
	}
	detail, err := s.Round(ctx, n)
	if err != nil {
		return nil, err
	}
	rounds, err := s.Store.ListRounds(ctx)
	if err != nil {
		return nil, err
	}
	// The figures run to now (the service's clock), taken before the
	// checkpoint: everything recorded before the end is in the checkpoint.
	end := s.Clock.Now().UTC().Truncate(time.Microsecond) // the record's resolution
	cp, err := s.Ledger.Checkpoint(ctx)
	if err != nil {
		return nil, err
	}
	f := Figures{Format: ReportFormat, Origin: s.Party, Round: n, Checkpoint: ReportCheckpoint{Origin: s.Ledger.Origin(),
		Size: cp.Size, Root: base64.StdEncoding.EncodeToString(cp.Root), At: cp.At.UTC(), Note: string(cp.Note)}}
	rep := &Report{Generated: s.Clock.Now().UTC(), Round: detail, Cosignatures: []ReportSignature{}}
	from, to, _ := periodOf(rounds, n, end)
	periods := [][2]time.Time{{from, to}}
	pn := -1
	if i := slices.IndexFunc(rounds, func(r store.Round) bool { return r.Number == n }); i > 0 {
		if pf, pt, ok := periodOf(rounds, rounds[i-1].Number, end); ok {
			pn = rounds[i-1].Number
			periods = append(periods, [2]time.Time{pf, pt})
		}
	}
	ms, err := s.MetricsOf(ctx, periods)
	if err != nil {
		return nil, err
	}
	cur := ms[0]
	f.Current = Period{Round: n, From: cur.From, To: cur.To, Directions: cur.Directions, Requests: cur.Requests,
		Drills: cur.Drills, Leads: cur.Leads, Intel: cur.Intel}
	rep.Local = LocalFigures{Cases: cur.Cases}
	if pn >= 0 {
		prev := ms[1]
		f.Previous = &Period{Round: pn, From: prev.From, To: prev.To, Directions: prev.Directions, Requests: prev.Requests,
			Drills: prev.Drills, Leads: prev.Leads, Intel: prev.Intel}
		rep.Local.PreviousCases = prev.Cases
	}
	rep.Figures = f
	msg, err := f.SignedMessage()
	if err != nil {
		return nil, err
	}
	rep.Signature = base64.StdEncoding.EncodeToString(ed25519.Sign(s.Key, msg))
	err = s.Store.InTx(ctx, func(q store.Queries) error {
		_, err := keep(ctx, q, rep, rep.Generated)
		return err
	})
	return rep, err
}

// Verification is the outcome of Verify.
type Verification struct {
	Origin     string `json:"origin"`
	Round      int    `json:"round"`
	Checkpoint int64  `json:"checkpoint_size"`
	// Witnessed says whether this node has cosigned a checkpoint of the
	// origin's log at least as large as the report's.
	Witnessed   bool            `json:"witnessed"`
	Figures     int             `json:"figures"`
	Mismatches  []string        `json:"mismatches,omitempty"`
	Cosignature ReportSignature `json:"cosignature"`
}

// Verify checks a peer's report: its signature and checkpoint with the
// peer's pinned key, then every figure recomputed from this node's record
// over the same periods. When all match it returns this node's
// cosignature (also appended to rep.Cosignatures); otherwise
// ErrReportMismatch naming the differing figures. A verified report is
// kept with the cosignature, which is also sent back to its origin over
// federation (when the Service has one).
func (s *Service) Verify(ctx context.Context, rep *Report) (*Verification, error) {
	f := rep.Figures
	v := &Verification{Origin: f.Origin, Round: f.Round, Checkpoint: f.Checkpoint.Size}
	if f.Format != ReportFormat {
		return v, fmt.Errorf("%w: format %q", ErrNoReport, f.Format)
	}
	var pub ed25519.PublicKey
	if f.Origin == s.Party {
		pub = s.Key.Public().(ed25519.PublicKey)
	} else {
		peer, err := s.Store.GetPeer(ctx, f.Origin)
		if err != nil {
			return v, fmt.Errorf("%w: origin %s is not a paired peer", ErrReportSignature, f.Origin)
		}
		pub = peer.SigningKey
	}
	msg, err := f.SignedMessage()
	if err != nil {
		return v, err
	}
	sig, err := base64.StdEncoding.DecodeString(rep.Signature)
	if err != nil || !ed25519.Verify(pub, msg, sig) {
		return v, fmt.Errorf("%w: not signed by %s", ErrReportSignature, f.Origin)
	}
	if err := checkReportCheckpoint(f, pub); err != nil {
		return v, err
	}
	if w, err := s.Store.LatestWitnessed(ctx, f.Checkpoint.Origin); err == nil && w.Size >= f.Checkpoint.Size {
		if w.Size == f.Checkpoint.Size && base64.StdEncoding.EncodeToString(w.Root) != f.Checkpoint.Root {
			return v, fmt.Errorf("%w: the report's checkpoint of size %d has another root than the one this node cosigned", ErrReportSignature, w.Size)
		}
		v.Witnessed = true
	}
	ps := []*Period{&f.Current}
	names := []string{"current"}
	if f.Previous != nil {
		ps, names = append(ps, f.Previous), append(names, "previous")
	}
	periods := make([][2]time.Time, len(ps))
	for i, p := range ps {
		periods[i] = [2]time.Time{p.From, p.To}
	}
	ms, err := RequestMetricsOf(ctx, s.Store, periods)
	if err != nil {
		return v, err
	}
	var mism []string
	for i, p := range ps {
		m := ms[i]
		mine := Period{Round: p.Round, From: m.From, To: m.To, Directions: m.Directions, Requests: m.Requests}
		if mine.Intel, err = s.intel(ctx, p.From, p.To); err != nil {
			return v, err
		}
		if mine.Drills, err = s.drills(ctx, p.From, p.To); err != nil {
			return v, err
		}
		if _, mine.Leads, err = s.casework(ctx, p.From, p.To); err != nil {
			return v, err
		}
		v.Figures += figureCount(p)
		mism = append(mism, diffPeriods(names[i], p, &mine)...)
	}
	if len(mism) > 0 {
		v.Mismatches = mism
		if len(mism) > 5 {
			mism = append(mism[:5], fmt.Sprintf("and %d more", len(v.Mismatches)-5))
		}
		return v, fmt.Errorf("%w: %v", ErrReportMismatch, mism)
	}
	v.Cosignature = ReportSignature{Party: s.Party, Signature: base64.StdEncoding.EncodeToString(ed25519.Sign(s.Key, msg)),
		At: s.Clock.Now().UTC()}
	rep.Cosignatures = append(rep.Cosignatures, v.Cosignature)
	return v, s.recordVerified(ctx, rep, v.Cosignature)
}

// CheckCosignatures verifies rep's signatures with the given public keys by
// party and returns the parties whose signature verifies.
func CheckCosignatures(rep *Report, keys map[string]ed25519.PublicKey) ([]string, error) {
	msg, err := rep.Figures.SignedMessage()
	if err != nil {
		return nil, err
	}
	var ok []string
	for _, c := range rep.Cosignatures {
		sig, err := base64.StdEncoding.DecodeString(c.Signature)
		if pub := keys[c.Party]; pub != nil && err == nil && ed25519.Verify(pub, msg, sig) {
			ok = append(ok, c.Party)
		}
	}
	return ok, nil
}

func checkReportCheckpoint(f Figures, pub ed25519.PublicKey) error {
	vkey, err := ledger.LogVerifierKey(f.Origin, pub)
	if err != nil {
		return err
	}
	lv, err := verify.NewLogVerifier(vkey)
	if err != nil {
		return err
	}
	cp, err := verify.OpenCheckpoint([]byte(f.Checkpoint.Note), lv)
	if err != nil {
		return fmt.Errorf("%w: checkpoint: %v", ErrReportSignature, err)
	}
	if int64(cp.Size) != f.Checkpoint.Size || base64.StdEncoding.EncodeToString(cp.Root) != f.Checkpoint.Root || cp.Origin != f.Checkpoint.Origin {
		return fmt.Errorf("%w: checkpoint fields differ from its signed note", ErrReportSignature)
	}
	return nil
}

func figureCount(p *Period) int {
	return 13*(len(p.Directions)+len(p.Requests)) + 5*len(p.Drills) + 3*len(p.Leads) + len(p.Intel)
}

// diffPeriods names the figures of got that differ from want.
func diffPeriods(name string, got, want *Period) []string {
	var out []string
	if !got.From.Equal(want.From) || !got.To.Equal(want.To) {
		out = append(out, name+": period")
	}
	out = append(out, diffFigures(name+".directions", got.Directions, want.Directions, rowKey)...)
	out = append(out, diffFigures(name+".requests", got.Requests, want.Requests, rowKey)...)
	out = append(out, diffFigures(name+".drills", got.Drills, want.Drills, func(f DrillFigures) string { return f.From + "→" + f.To })...)
	out = append(out, diffFigures(name+".leads", got.Leads, want.Leads, func(f LeadFigures) string { return f.From + "→" + f.To + " " + f.Category })...)
	out = append(out, diffFigures(name+".intel", got.Intel, want.Intel, func(f IntelFigures) string { return f.From + "→" + f.To + " " + f.Type })...)
	slices.Sort(out)
	return out
}

// diffFigures names the rows of got that differ from want, rows matched by
// key, fields by their JSON names.
func diffFigures[F any](name string, got, want []F, key func(F) string) []string {
	var out []string
	w := map[string]F{}
	for _, f := range want {
		w[key(f)] = f
	}
	seen := map[string]bool{}
	for _, g := range got {
		k := key(g)
		seen[k] = true
		m, ok := w[k]
		if !ok {
			out = append(out, fmt.Sprintf("%s[%s]: not in the record", name, k))
			continue
		}
		gm, mm := figureFields(g), figureFields(m)
		for field, gv := range gm {
			if fmt.Sprint(gv) != fmt.Sprint(mm[field]) {
				out = append(out, fmt.Sprintf("%s[%s].%s: report %v, record %v", name, k, field, gv, mm[field]))
			}
		}
	}
	for _, f := range want {
		if !seen[key(f)] {
			out = append(out, fmt.Sprintf("%s[%s]: missing from the report", name, key(f)))
		}
	}
	return out
}

func rowKey(f RequestFigures) string {
	return f.From + "→" + f.To + " " + f.Type + " " + f.Priority + " " + f.Category
}

func figureFields(f any) map[string]any {
	var m map[string]any
	b, _ := json.Marshal(f)
	json.Unmarshal(b, &m)
	return m
}
