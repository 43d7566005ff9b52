package casework

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/liaison-dev/liaison/internal/audit"
	"github.com/liaison-dev/liaison/internal/auth"
	"github.com/liaison-dev/liaison/internal/federation"
	"github.com/liaison-dev/liaison/internal/store"
	"github.com/liaison-dev/liaison/internal/validation"
)

func permanent(format string, args ...any) error {
	return fmt.Errorf("%w: %s", federation.ErrPermanent, fmt.Sprintf(format, args...))
}

// receiveEvents applies case events from a peer: the federation handler.
// Everything is checked before anything is stored: the events, that the
// sender participates, that a CSAM case carries no file, that forwarded
// items came with the originator's permission where their handling needs
// it. A refusal is permanent and leaves nothing behind (the inbox removes
// the received files).
func (s *Service) receiveEvents(ctx context.Context, q store.Queries, d federation.Delivery) error {
	sender := d.Header.Sender
	var cat Category
	l, err := load(ctx, q, caseIDOf(d.Header.Conversation))
	switch {
	case errors.Is(err, store.ErrNotFound):
		l = &loaded{isNew: true}
	case err != nil:
		return err
	default:
		cat = l.st.Category
	}
	evs, err := DecodeEvents(d.Payload, cat)
	if err != nil {
		if strings.Contains(err.Error(), "never media") {
			return fmt.Errorf("%w: %w", federation.ErrPermanent, ErrMedia)
		}
		return fmt.Errorf("%w: %w", federation.ErrPermanent, err)
	}
	if "case:"+evs[0].CaseID != d.Header.Conversation {
		return permanent("events are not of the envelope's case")
	}
	// What the case will be once these events are applied.
	next, _ := Fold(append(slices.Clone(l.events), evs...))
	if next.ID == "" {
		return permanent("unknown case %s and no open event", evs[0].CaseID)
	}
	if next.Category == CSAM && len(d.Attachments) > 0 {
		return fmt.Errorf("%w: %w", federation.ErrPermanent, ErrMedia)
	}
	if !slices.Contains(next.Parties, s.Party) || !slices.Contains(next.Parties, sender) {
		return permanent("%s and %s must both participate in case %s", sender, s.Party, next.Reference)
	}
	if next.Exercise != d.Header.Exercise {
		return permanent("exercise flag differs from the envelope's")
	}
	var files []*Item
	for _, e := range evs {
		if !slices.Contains(next.Parties, e.Party) {
			return permanent("event of %s, which does not participate", e.Party)
		}
		if e.Party != sender && e.Kind != KindOpen && e.Kind != KindJoin && e.Kind != KindParty && e.Kind != KindUpdate &&
			e.Kind != KindTrail && e.Kind != KindItem && e.Kind != KindPermission && e.Kind != KindTask {
			return permanent("%s may not forward a %s event", sender, e.Kind)
		}
		if e.Kind == KindItem {
			it := e.Item
			if it.Originator != sender && !next.Reached(it, s.Party) {
				return fmt.Errorf("%w: %w: item %s of %s forwarded by %s", federation.ErrPermanent, ErrHandling, it.ID, it.Originator, sender)
			}
			if it.File != nil {
				if e.Party != sender {
					return permanent("files are not forwarded")
				}
				files = append(files, it)
			}
		}
		if e.Kind == KindPermission && e.Permission.State != "requested" {
			i := slices.IndexFunc(next.Items, func(x Item) bool { return x.ID == e.Permission.ItemID })
			if i >= 0 && next.Items[i].Originator != e.Party {
				return permanent("only the originator decides on sharing item %s", e.Permission.ItemID)
			}
		}
	}
	if len(files) != len(d.Attachments) {
		return permanent("events list %d files, envelope carries %d", len(files), len(d.Attachments))
	}
	before := l.st
	fresh, err := s.apply(ctx, q, l, evs, d.Header.ID)
	if err != nil {
		return err
	}
	for i, it := range files {
		got := d.Attachments[i]
		if got.SHA256 != it.File.SHA256 || got.Size != it.File.Size {
			return permanent("file %d does not match its item", i)
		}
		a := store.CaseAttachment{ID: it.File.ID, CaseID: l.st.ID, ItemID: it.ID, Name: it.File.Name, Size: it.File.Size, SHA256: it.File.SHA256,
			Path: got.Path, AddedBy: "peer:" + sender, Added: d.Received}
		if err := q.InsertCaseAttachment(ctx, a); err != nil && !errors.Is(err, store.ErrConflict) {
			return err
		}
	}
	if len(fresh) == 0 {
		return nil
	}
	// Files are never forwarded, so a party that another participant
	// brings in gets this party's files from here, after the history it
	// may have (whichever envelope reaches it first then finds the case).
	for _, e := range fresh {
		if e.Kind == KindJoin && e.Info.Party != s.Party && s.Federation != nil {
			if err := s.sendHistory(ctx, q, l, e.Info.Party, false); err != nil {
				return err
			}
		}
	}
	if err := s.correlate(ctx, q, l, fresh); err != nil {
		return err
	}
	kinds := make([]string, len(fresh))
	for i, e := range fresh {
		kinds[i] = string(e.Kind)
	}
	return audit.RecordDetail(ctx, q, s.Clock, "peer:"+sender, "case.received", "case", l.st.ID, before, l.st,
		l.st.Reference+": "+strings.Join(kinds, ","))
}

func caseIDOf(conversation string) string { return strings.TrimPrefix(conversation, "case:") }

// Attachments.

// MaxAttachment bounds one case file.
const MaxAttachment = 1 << 30

var attName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._ -]{0,199}$`)

// AddAttachment streams a file into the node and shares it with the
// participants as an attachment item. A CSAM case refuses every file
// before reading a byte of it (ErrMedia).
func (s *Service) AddAttachment(ctx context.Context, p *auth.Principal, id, name string, h Handling, r io.Reader) (View, error) {
	if !p.Can(auth.CaseWrite) {
		return View{}, ErrForbidden
	}
	row, err := s.Store.GetCase(ctx, id)
	if err != nil {
		return View{}, err
	}
	if !canSee(&row, p) {
		return View{}, store.ErrNotFound
	}
	if Category(row.Category) == CSAM {
		return View{}, ErrMedia
	}
	if !attName.MatchString(name) || strings.Contains(name, "..") {
		return View{}, validation.Errors{{Field: "name", Detail: "1-200 characters of letters, digits, space, '.', '_' and '-'"}}
	}
	var errs validation.Errors
	if h.validate(&errs, "handling"); len(errs) > 0 {
		return View{}, errs
	}
	if err := os.MkdirAll(s.Dir, 0o700); err != nil {
		return View{}, err
	}
	fid := auth.NewID()
	path := filepath.Join(s.Dir, fid)
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return View{}, err
	}
	sum := sha256.New()
	n, err := io.Copy(io.MultiWriter(f, sum), io.LimitReader(r, MaxAttachment+1))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil && n > MaxAttachment {
		err = validation.Errors{{Field: "file", Detail: fmt.Sprintf("larger than %d bytes", MaxAttachment)}}
	}
	if err != nil {
		os.Remove(path)
		return View{}, err
	}
	ref := &FileRef{ID: fid, Name: name, Size: n, SHA256: hex.EncodeToString(sum.Sum(nil))}
	var atts []federation.Attachment
	if s.Federation != nil {
		src, err := os.Open(path)
		if err != nil {
			return View{}, err
		}
		fa, err := s.Federation.StageAttachment(name, src)
		src.Close()
		if err != nil {
			os.Remove(path)
			return View{}, err
		}
		atts = []federation.Attachment{fa}
	}
	v, err := s.act(ctx, p, id, "attachment", atts, func(q store.Queries, l *loaded) ([]Event, error) {
		it := Item{ID: auth.NewID(), Kind: Attachment, Text: name, Originator: s.Party, Recipients: l.st.Parties, Handling: h, File: ref}
		if err := q.InsertCaseAttachment(ctx, store.CaseAttachment{ID: fid, CaseID: id, ItemID: it.ID, Name: name, Size: n, SHA256: ref.SHA256,
			Path: path, AddedBy: p.Actor(), Added: s.now()}); err != nil {
			return nil, err
		}
		e := s.newEvent(l, p.Actor(), KindItem)
		e.Item = &it
		return []Event{e}, nil
	})
	if err != nil {
		os.Remove(path)
	}
	return v, err
}

// OpenAttachment returns a case file for reading.
func (s *Service) OpenAttachment(ctx context.Context, p *auth.Principal, id, attID string) (store.CaseAttachment, io.ReadCloser, error) {
	row, err := s.Store.GetCase(ctx, id)
	if err != nil {
		return store.CaseAttachment{}, nil, err
	}
	if !canSee(&row, p) {
		return store.CaseAttachment{}, nil, store.ErrNotFound
	}
	a, err := s.Store.GetCaseAttachment(ctx, attID)
	if err != nil || a.CaseID != id {
		return a, nil, store.ErrNotFound
	}
	f, err := os.Open(a.Path)
	if err != nil {
		return a, nil, err
	}
	return a, f, nil
}

// Leads.

// LeadView is a lead as a user sees it.
type LeadView struct {
	Lead
	Outgoing  bool   `json:"outgoing"`
	Status    string `json:"status"`
	Reason    string `json:"reason,omitempty"`
	DecidedBy string `json:"decided_by,omitempty"`
}

func leadView(row store.CaseLead) (LeadView, error) {
	var l Lead
	if err := json.Unmarshal(row.Body, &l); err != nil {
		return LeadView{}, err
	}
	l.CaseID = row.CaseID
	return LeadView{Lead: l, Outgoing: row.Outgoing, Status: row.Status, Reason: row.Reason, DecidedBy: row.DecidedBy}, nil
}

// SendLead sends a lead to another party, into one of this node's cases
// or as a proposal for a new case.
func (s *Service) SendLead(ctx context.Context, p *auth.Principal, in LeadDraft) (LeadView, error) {
	if !p.Can(auth.CaseWrite) {
		return LeadView{}, ErrForbidden
	}
	l := Lead{ID: auth.NewID(), CaseID: in.CaseID, From: s.Party, To: in.To, Title: in.Title, Category: in.Category, What: in.What, Who: in.Who,
		Where: in.Where, Indicators: in.Indicators, Evidence: in.Evidence, Handling: in.Handling, Actor: p.Actor(), Created: s.now()}
	for i := range l.Indicators {
		l.Indicators[i].ID = auth.NewID()
	}
	var errs validation.Errors
	if l.validate(&errs); len(errs) > 0 {
		return LeadView{}, errs
	}
	err := s.Store.InTx(ctx, func(q store.Queries) error {
		if _, err := q.GetPeer(ctx, l.To); err != nil {
			return validation.Errors{{Field: "to", Detail: "not a paired peer"}}
		}
		if l.CaseID != "" {
			row, err := q.GetCase(ctx, l.CaseID)
			if err != nil || !canSee(&row, p) {
				return validation.Errors{{Field: "case_id", Detail: "no such case"}}
			}
			if row.Category != string(l.Category) {
				return validation.Errors{{Field: "category", Detail: "must be the case's category " + row.Category}}
			}
		}
		body, err := json.Marshal(l)
		if err != nil {
			return err
		}
		if err := q.InsertLead(ctx, store.CaseLead{ID: l.ID, CaseID: l.CaseID, From: l.From, To: l.To, Outgoing: true, Status: "sent",
			Title: l.Title, Category: string(l.Category), Body: body, Created: l.Created}); err != nil {
			return err
		}
		if s.Federation != nil {
			payload, _ := json.Marshal(leadWire{Lead: l})
			if _, err := s.Federation.Enqueue(ctx, q, federation.Message{Type: TypeLead, Recipients: []string{l.To}, Conversation: "lead:" + l.ID,
				Marking: l.Handling.level().String(), Payload: payload}); err != nil {
				return err
			}
		}
		return audit.RecordDetail(ctx, q, s.Clock, p.Actor(), "lead.send", "lead", l.ID, nil, l, l.Title+" to "+l.To)
	})
	if err != nil {
		return LeadView{}, err
	}
	if s.Federation != nil {
		s.Federation.Kick()
	}
	return s.GetLead(ctx, p, l.ID)
}

// GetLead returns a lead.
func (s *Service) GetLead(ctx context.Context, p *auth.Principal, id string) (LeadView, error) {
	if !p.Can(auth.CaseRead) {
		return LeadView{}, ErrForbidden
	}
	row, err := s.Store.GetLead(ctx, id)
	if err != nil {
		return LeadView{}, err
	}
	return leadView(row)
}

// ListLeads lists leads, newest first; status and direction ("in", "out")
// filter.
func (s *Service) ListLeads(ctx context.Context, p *auth.Principal, status, direction string) ([]LeadView, error) {
	if !p.Can(auth.CaseRead) {
		return nil, ErrForbidden
	}
	f := store.LeadFilter{Status: status}
	if direction == "in" || direction == "out" {
		out := direction == "out"
		f.Outgoing = &out
	}
	rows, err := s.Store.ListLeads(ctx, f)
	if err != nil {
		return nil, err
	}
	out := []LeadView{}
	for _, r := range rows {
		v, err := leadView(r)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// LeadStats counts leads for progress figures.
type LeadStats struct {
	Sent, Received, Accepted, Declined int
}

// Stats counts the leads created in [from, to): accepted leads count
// towards progress.
func (s *Service) Stats(ctx context.Context, from, to time.Time) (LeadStats, error) {
	rows, err := s.Store.ListLeads(ctx, store.LeadFilter{From: from, To: to})
	var st LeadStats
	for _, r := range rows {
		if r.Outgoing {
			st.Sent++
		} else {
			st.Received++
		}
		switch r.Status {
		case "accepted":
			st.Accepted++
		case "declined":
			st.Declined++
		}
	}
	return st, err
}

func (s *Service) receiveLead(ctx context.Context, q store.Queries, d federation.Delivery) error {
	l, err := DecodeLead(d.Payload)
	if err != nil {
		return fmt.Errorf("%w: %w", federation.ErrPermanent, err)
	}
	if l.From != d.Header.Sender || l.To != s.Party {
		return permanent("lead is not from the sender to this party")
	}
	body, _ := json.Marshal(l)
	err = q.InsertLead(ctx, store.CaseLead{ID: l.ID, CaseID: l.CaseID, From: l.From, To: l.To, Status: "sent", Title: l.Title,
		Category: string(l.Category), Body: body, Created: l.Created})
	if errors.Is(err, store.ErrConflict) {
		return nil
	} else if err != nil {
		return err
	}
	return audit.RecordDetail(ctx, q, s.Clock, "peer:"+l.From+"/"+l.Actor, "lead.received", "lead", l.ID, nil, l, l.Title)
}

// DecideLead accepts or declines (with a reason) a received lead. Accepting
// a proposal opens a case with the sender, holding the lead's content as
// items the sender originated under the lead's handling; accepting a lead
// into a case tells the sender, which adds the content and, if needed,
// this party to the case.
func (s *Service) DecideLead(ctx context.Context, p *auth.Principal, id string, accept bool, reason string) (LeadView, error) {
	if !p.Can(auth.CaseWrite) {
		return LeadView{}, ErrForbidden
	}
	row, err := s.Store.GetLead(ctx, id)
	if err != nil {
		return LeadView{}, err
	}
	if row.Outgoing || row.Status != "sent" {
		return LeadView{}, fmt.Errorf("%w: only an undecided incoming lead is decided", ErrState)
	}
	if !accept && strings.TrimSpace(reason) == "" {
		return LeadView{}, validation.Errors{{Field: "reason", Detail: "a decline gives its reason"}}
	}
	lv, err := leadView(row)
	if err != nil {
		return LeadView{}, err
	}
	l := lv.Lead
	caseID := l.CaseID
	if accept && caseID == "" {
		items := []Item{{Kind: Note, Text: "Lead " + l.Title + "\nWhat: " + l.What + "\nWho: " + l.Who + "\nWhere: " + l.Where +
			"\nEvidence: " + strings.Join(l.Evidence, ", "), Originator: l.From, Handling: l.Handling},
			{Kind: LeadRef, Value: l.ID, Originator: l.From, Handling: l.Handling}}
		for _, it := range l.Indicators {
			it.ID = ""
			items = append(items, it)
		}
		caseID, err = s.open(ctx, p, OpenInput{Title: l.Title, Summary: l.What, Category: l.Category, Parties: []string{l.From}, Handling: l.Handling}, l.From, items, nil, time.Time{})
		if err != nil {
			return LeadView{}, err
		}
	}
	err = s.Store.InTx(ctx, func(q store.Queries) error {
		row.Status, row.Reason, row.Decided, row.DecidedBy, row.CaseID = "declined", reason, s.now(), p.Actor(), caseID
		if accept {
			row.Status = "accepted"
		}
		if err := q.UpdateLead(ctx, row); err != nil {
			return err
		}
		if s.Federation != nil {
			payload, _ := json.Marshal(decisionWire{LeadID: l.ID, Accepted: accept, Reason: reason, CaseID: caseID, Actor: p.Actor(), At: row.Decided})
			if _, err := s.Federation.Enqueue(ctx, q, federation.Message{Type: TypeLeadDecision, Recipients: []string{l.From}, Conversation: "lead:" + l.ID,
				Payload: payload}); err != nil {
				return err
			}
		}
		return audit.RecordDetail(ctx, q, s.Clock, p.Actor(), "lead."+row.Status, "lead", l.ID, nil, row.Status, reason)
	})
	if err != nil {
		return LeadView{}, err
	}
	if s.Federation != nil {
		s.Federation.Kick()
	}
	return s.GetLead(ctx, p, id)
}

func (s *Service) receiveDecision(ctx context.Context, q store.Queries, d federation.Delivery) error {
	dec, err := DecodeDecision(d.Payload)
	if err != nil {
		return fmt.Errorf("%w: %w", federation.ErrPermanent, err)
	}
	row, err := q.GetLead(ctx, dec.LeadID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && (!row.Outgoing || row.To != d.Header.Sender)) {
		return permanent("no lead %s sent to %s", dec.LeadID, d.Header.Sender)
	} else if err != nil {
		return err
	}
	if row.Status != "sent" {
		return nil // decided already
	}
	intoCase := row.CaseID != ""
	row.Status, row.Reason, row.Decided, row.DecidedBy = "declined", dec.Reason, dec.At, "peer:"+d.Header.Sender+"/"+dec.Actor
	if dec.Accepted {
		row.Status = "accepted"
	}
	if row.CaseID == "" {
		row.CaseID = dec.CaseID
	}
	if err := q.UpdateLead(ctx, row); err != nil {
		return err
	}
	if dec.Accepted && intoCase && dec.CaseID == row.CaseID {
		// A lead into one of our cases: add its content, and the party.
		if err := s.addLeadToCase(ctx, q, row, d.Header.Sender); err != nil {
			return err
		}
	}
	return audit.RecordDetail(ctx, q, s.Clock, row.DecidedBy, "lead.received."+row.Status, "lead", row.ID, nil, row.Status, dec.Reason)
}

func (s *Service) addLeadToCase(ctx context.Context, q store.Queries, row store.CaseLead, party string) error {
	l, err := load(ctx, q, row.CaseID)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	} else if err != nil {
		return err
	}
	lv, err := leadView(row)
	if err != nil {
		return err
	}
	actor := "node:" + s.Party
	var evs []Event
	if !slices.Contains(l.st.Parties, party) {
		e := s.newEvent(l, actor, KindJoin)
		e.Info = &PartyInfo{Party: party, Agencies: []string{}}
		evs = append(evs, e)
	}
	parties := append(slices.Clone(l.st.Parties), party)
	items := []Item{{ID: auth.NewID(), Kind: LeadRef, Value: lv.ID, Text: lv.Title + ": " + lv.What}}
	for _, it := range lv.Indicators {
		it.ID = auth.NewID()
		items = append(items, it)
	}
	for _, it := range items {
		it.Originator, it.Recipients, it.Handling = s.Party, parties, lv.Handling
		e := s.newEvent(l, actor, KindItem)
		e.Item = &it
		evs = append(evs, e)
	}
	return s.record(ctx, q, l, evs, nil)
}
