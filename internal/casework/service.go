package casework

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/liaison-dev/liaison/internal/audit"
	"github.com/liaison-dev/liaison/internal/auth"
	"github.com/liaison-dev/liaison/internal/clock"
	"github.com/liaison-dev/liaison/internal/federation"
	"github.com/liaison-dev/liaison/internal/intel/marking"
	"github.com/liaison-dev/liaison/internal/ledger"
	"github.com/liaison-dev/liaison/internal/request"
	"github.com/liaison-dev/liaison/internal/store"
	"github.com/liaison-dev/liaison/internal/validation"
)

// Federation envelope types.
const (
	TypeEvents       = "case.events"
	TypeLead         = "case.lead"
	TypeLeadDecision = "case.lead_decision"
)

// Sentinel errors, mapped to HTTP at the edge.
var (
	// ErrForbidden: the caller's role may not do this (403).
	ErrForbidden = auth.ErrForbidden
	// ErrHandling: the item's handling conditions or TLP forbid sharing it
	// with that party until its originator grants permission (409); ask
	// with RequestPermission.
	ErrHandling = errors.New("casework: handling conditions forbid onward sharing without the originator's permission")
	// ErrMedia: a CSAM case takes hashes, grading and reference ids only;
	// files are refused (422), at the API and at the inbox.
	ErrMedia = errors.New("casework: a CSAM case accepts hashes (MD5, SHA-1, SHA-256, PhotoDNA), grading and reference ids only — never media or any attachment")
	// ErrState: the action does not fit the object's state (409).
	ErrState = errors.New("casework: not possible in the current state")
)

// Federation is what the service needs of the federation layer.
type Federation interface {
	Enqueue(ctx context.Context, q store.Queries, msg federation.Message) (string, error)
	Kick()
	StageAttachment(name string, r io.Reader) (federation.Attachment, error)
}

// Service runs joint cases on one node.
type Service struct {
	Store      store.Store
	Clock      clock.Clock
	Party      string
	Federation Federation
	// Requests creates the wire-recall request of the BEC action plan.
	Requests *request.Service
	Log      *slog.Logger
	// Dir holds the case files added on this node.
	Dir string
}

// Register installs the envelope handlers.
func (s *Service) Register(f interface {
	Handle(typ string, h federation.Handler)
}) {
	f.Handle(TypeEvents, s.receiveEvents)
	f.Handle(TypeLead, s.receiveLead)
	f.Handle(TypeLeadDecision, s.receiveDecision)
}

func (s *Service) log() *slog.Logger {
	if s.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Log
}

func (s *Service) now() time.Time { return s.Clock.Now().UTC().Truncate(time.Microsecond) }

// loaded is a case with its events, folded.
type loaded struct {
	row    store.CaseRow
	st     State
	events []Event
	isNew  bool
}

func load(ctx context.Context, q store.Queries, id string) (*loaded, error) {
	row, err := q.GetCase(ctx, id)
	if err != nil {
		return nil, err
	}
	evs, err := q.ListCaseEvents(ctx, id)
	if err != nil {
		return nil, err
	}
	events := make([]Event, 0, len(evs))
	for _, se := range evs {
		var e Event
		if err := json.Unmarshal(se.Body, &e); err != nil {
			return nil, fmt.Errorf("case %s: event %s: %w", id, se.ID, err)
		}
		events = append(events, e)
	}
	l := &loaded{row: row}
	l.st, l.events = Fold(events)
	return l, nil
}

// canSee applies role and agency to a caller at this node: cases are for
// the case roles, and a case that names this node's agencies is for those
// agencies (and supervisors and auditors).
func canSee(row *store.CaseRow, p *auth.Principal) bool {
	if !p.Can(auth.CaseRead) {
		return false
	}
	if len(row.Agencies) == 0 || slices.Contains(row.Agencies, p.User.Agency) {
		return true
	}
	return slices.ContainsFunc(p.User.Roles, func(r string) bool { return r == string(auth.Supervisor) || r == string(auth.Auditor) })
}

// apply stores events (made here or received), refolds and updates the
// derived row and the correlation index, and appends the ledger entries.
// It returns the events that were new.
func (s *Service) apply(ctx context.Context, q store.Queries, l *loaded, evs []Event, envelopeID string) ([]Event, error) {
	var fresh []Event
	for _, e := range evs {
		body, err := json.Marshal(e)
		if err != nil {
			return nil, err
		}
		if l.isNew && e.Kind == KindOpen {
			st, _ := Fold([]Event{e})
			l.row = store.CaseRow{ID: e.CaseID, Origin: e.Party, Created: e.At, State: []byte(`{}`)}
			l.st = st
			if err := q.InsertCase(ctx, s.rowOf(l, s.now())); err != nil {
				return nil, err
			}
			l.isNew = false
		}
		err = q.InsertCaseEvent(ctx, store.CaseEvent{ID: e.ID, CaseID: e.CaseID, Lamport: e.Lamport, Party: e.Party, Kind: string(e.Kind),
			Actor: e.Actor, At: e.At, Body: body, EnvelopeID: envelopeID, Recorded: s.now()})
		if errors.Is(err, store.ErrConflict) {
			continue // seen already
		} else if err != nil {
			return nil, err
		}
		fresh = append(fresh, e)
		if _, err := ledger.Append(ctx, q, ledger.Entry{Kind: ledger.KindCaseTransition, ObjectID: e.CaseID, At: e.At, Exercise: l.st.Exercise, Body: body}); err != nil {
			return nil, err
		}
	}
	if l.isNew {
		return nil, fmt.Errorf("%w: unknown case and no open event", federation.ErrPermanent)
	}
	l.st, l.events = Fold(append(l.events, fresh...))
	if err := q.UpdateCase(ctx, s.rowOf(l, s.now())); err != nil {
		return nil, err
	}
	for _, e := range fresh {
		if e.Kind != KindItem {
			continue
		}
		if kind, value, ok := e.Item.key(); ok {
			it := e.Item
			k := store.CaseKey{Kind: kind, Value: value, CaseID: e.CaseID, ItemID: it.ID, Originator: it.Originator,
				TLP: int(it.Handling.level()), Onward: !it.Handling.NoOnward() && it.Handling.level() <= marking.Green}
			if err := q.PutCaseKey(ctx, k); err != nil {
				return nil, err
			}
		}
	}
	return fresh, nil
}

// rowOf derives the stored row from the folded state.
func (s *Service) rowOf(l *loaded, now time.Time) store.CaseRow {
	st := &l.st
	r := l.row
	r.Reference, r.Category, r.Status, r.Title, r.Parties, r.Exercise, r.Lamport = st.Reference, string(st.Category), string(st.Status), st.Title, st.Parties, st.Exercise, st.Lamport
	r.Agencies = []string{}
	for _, pi := range st.Info {
		if pi.Party == s.Party {
			r.Agencies = pi.Agencies
		}
	}
	var b strings.Builder
	for _, x := range []string{st.Reference, st.Title, st.Summary, string(st.Category), strings.Join(st.Subcategories, " "), strings.Join(st.Parties, " ")} {
		b.WriteString(x + "\n")
	}
	for _, pi := range st.Info {
		b.WriteString(pi.CaseNumber + " " + pi.LeadOfficer + "\n")
	}
	for _, it := range st.Items {
		b.WriteString(it.Value + " " + it.Text + "\n")
	}
	for _, t := range st.Tasks {
		b.WriteString(t.Title + "\n")
	}
	for _, h := range st.Trail {
		b.WriteString(h.Bank + " " + h.Account + " " + h.Holder + "\n")
	}
	r.Search = strings.ToLower(b.String())
	if len(r.Search) > 1<<20 {
		r.Search = r.Search[:1<<20]
	}
	r.State, _ = json.Marshal(st)
	r.Updated = now
	return r
}

// newEvent is an event made here, next on the case's timeline.
func (s *Service) newEvent(l *loaded, actor string, k Kind) Event {
	return Event{ID: auth.NewID(), CaseID: l.st.ID, Lamport: l.st.Lamport + 1, Party: s.Party, Actor: actor, At: s.now(), Kind: k}
}

// marking is the header marking of an envelope carrying evs.
func markingOf(evs []Event) string {
	m := marking.Clear
	for _, e := range evs {
		switch {
		case e.Item != nil:
			m = max(m, e.Item.Handling.level())
		case e.Header != nil:
			m = max(m, e.Header.Handling.level())
		default:
			m = max(m, marking.Amber)
		}
	}
	return m.String()
}

// enqueue sends evs (made here, already applied) to the participants that
// should have them, each in one envelope per distinct audience.
func (s *Service) enqueue(ctx context.Context, q store.Queries, l *loaded, evs []Event, atts []federation.Attachment) error {
	if s.Federation == nil {
		return nil
	}
	for _, e := range evs {
		var recips []string
		for _, p := range l.st.Parties {
			if p == s.Party || (len(e.Audience) > 0 && !slices.Contains(e.Audience, p)) {
				continue
			}
			if e.Kind == KindJoin && e.Info.Party == p {
				if err := s.sendHistory(ctx, q, l, p, true); err != nil {
					return err
				}
				continue
			}
			if e.Kind == KindTask && !slices.Contains(e.Task.Concerns, p) {
				continue
			}
			recips = append(recips, p)
		}
		if len(recips) == 0 {
			continue
		}
		var a []federation.Attachment
		if e.Item != nil && e.Item.File != nil {
			a = atts
		}
		if err := s.send(ctx, q, l, recips, []Event{e}, a); err != nil {
			return err
		}
	}
	return nil
}

func (s *Service) send(ctx context.Context, q store.Queries, l *loaded, recips []string, evs []Event, atts []federation.Attachment) error {
	payload, err := json.Marshal(wire{Events: evs})
	if err != nil {
		return err
	}
	_, err = s.Federation.Enqueue(ctx, q, federation.Message{Type: TypeEvents, Recipients: recips, Conversation: "case:" + l.st.ID,
		Exercise: l.st.Exercise, Marking: markingOf(evs), Payload: payload, Attachments: atts})
	return err
}

// forwardable reports whether this node may give event e to party p when
// p joins: the case header and membership always; items only where the
// handling allows it (or we originated them); tasks that concern p;
// permission decisions about p. Files go only from the party that added
// them (see ownFile).
func (s *Service) forwardable(st *State, e *Event, p string) bool {
	switch e.Kind {
	case KindOpen, KindUpdate, KindParty, KindJoin, KindTrail:
		return true
	case KindItem:
		return e.Item.File == nil && (e.Item.Originator == s.Party || st.Reached(e.Item, p))
	case KindTask:
		return slices.Contains(e.Task.Concerns, p)
	case KindPermission:
		return e.Permission.Party == p && e.Permission.State != "requested"
	}
	return false
}

// ownFile reports whether e added a file this party originated: the
// file goes to a joining party with the event, as when it was added.
func (s *Service) ownFile(e *Event) bool {
	return e.Kind == KindItem && e.Item.File != nil && e.Party == s.Party && e.Item.Originator == s.Party
}

// sendHistory gives a joining party the timeline it may have, then this
// party's own files, each with its item (the timeline first: its join
// event is what lets the joining party accept the rest). When this party
// brought p in (chose) it gives p its own items whatever their handling;
// when another participant did, p gets from here only what it may hold
// without asking (State.Reached), and nothing unless there is a file to
// give, since the other participant sends the timeline.
func (s *Service) sendHistory(ctx context.Context, q store.Queries, l *loaded, p string, chose bool) error {
	var evs []Event
	var files []*Event
	mayHave := func(e *Event) bool { return chose || e.Kind != KindItem || l.st.Reached(e.Item, p) }
	for i := range l.events {
		switch e := &l.events[i]; {
		case s.ownFile(e):
			if mayHave(e) {
				files = append(files, e)
			}
		case s.forwardable(&l.st, e, p) && mayHave(e):
			evs = append(evs, *e)
		}
	}
	if !chose && len(files) == 0 {
		return nil
	}
	for len(evs) > 0 {
		n := min(len(evs), MaxWireEvents)
		if err := s.send(ctx, q, l, []string{p}, evs[:n], nil); err != nil {
			return err
		}
		evs = evs[n:]
	}
	for _, e := range files {
		if err := s.sendFile(ctx, q, l, p, e); err != nil {
			return err
		}
	}
	return nil
}

// sendFile sends a file item's event with the file itself, staged again
// from the case's store. A file gone from the disk is left out, logged.
func (s *Service) sendFile(ctx context.Context, q store.Queries, l *loaded, p string, e *Event) error {
	a, err := q.GetCaseAttachment(ctx, e.Item.File.ID)
	if err != nil {
		return err
	}
	f, err := os.Open(a.Path)
	if err != nil {
		s.log().Warn("case: a file cannot be sent to a joining party", "case", l.st.ID, "file", a.ID, "party", p, "err", err)
		return nil
	}
	defer f.Close()
	fa, err := s.Federation.StageAttachment(a.Name, f)
	if err != nil {
		return err
	}
	return s.send(ctx, q, l, []string{p}, []Event{*e}, []federation.Attachment{fa})
}

// act loads case id for a writer, lets build make the events, then
// applies, audits and sends them in one transaction.
func (s *Service) act(ctx context.Context, p *auth.Principal, id, action string, atts []federation.Attachment,
	build func(q store.Queries, l *loaded) ([]Event, error)) (View, error) {
	if !p.Can(auth.CaseWrite) {
		return View{}, ErrForbidden
	}
	var sent bool
	err := s.Store.InTx(ctx, func(q store.Queries) error {
		l, err := load(ctx, q, id)
		if err != nil {
			return err
		}
		if !canSee(&l.row, p) {
			return store.ErrNotFound
		}
		before := l.st
		evs, err := build(q, l)
		if err != nil {
			return err
		}
		if err := s.record(ctx, q, l, evs, atts); err != nil {
			return err
		}
		sent = len(evs) > 0
		return audit.RecordDetail(ctx, q, s.Clock, p.Actor(), "case."+action, "case", id, before, l.st, l.st.Reference+": "+action)
	})
	if err != nil {
		return View{}, mapFields(err)
	}
	if sent && s.Federation != nil {
		s.Federation.Kick()
	}
	return s.Get(ctx, p, id)
}

// record validates, applies and sends events made here.
func (s *Service) record(ctx context.Context, q store.Queries, l *loaded, evs []Event, atts []federation.Attachment) error {
	var errs validation.Errors
	for i := range evs {
		evs[i].Lamport = l.st.Lamport + 1 + int64(i)
		evs[i].validate(&errs, string(evs[i].Kind), l.st.Category)
	}
	if err := errs.Err(); err != nil {
		return err
	}
	if _, err := s.apply(ctx, q, l, evs, ""); err != nil {
		return err
	}
	if err := s.correlate(ctx, q, l, evs); err != nil {
		return err
	}
	return s.enqueue(ctx, q, l, evs, atts)
}

// OpenInput opens a case.
type OpenInput struct {
	Title         string   `json:"title"`
	Summary       string   `json:"summary"`
	Category      Category `json:"category"`
	Subcategories []string `json:"subcategories,omitempty"`
	// Parties are the other participating parties (this one is added).
	Parties []string `json:"parties"`
	// Agencies of this node that work the case; empty opens it to all.
	Agencies    []string `json:"agencies,omitempty"`
	CaseNumber  string   `json:"case_number,omitempty"`
	LeadOfficer string   `json:"lead_officer,omitempty"`
	Handling    Handling `json:"handling"`
	// NoTemplate skips the category's task template.
	NoTemplate bool `json:"no_template,omitempty"`
	Exercise   bool `json:"exercise,omitempty"`
}

// Open creates a case, its template tasks and its first items, and
// replicates it to the participants.
func (s *Service) Open(ctx context.Context, p *auth.Principal, in OpenInput) (View, error) {
	id, err := s.open(ctx, p, in, "", nil, nil, time.Time{})
	if err != nil {
		return View{}, err
	}
	return s.Get(ctx, p, id)
}

func (s *Service) open(ctx context.Context, p *auth.Principal, in OpenInput, counterpart string, items []Item, trail []Hop, transfer time.Time) (string, error) {
	if !p.Can(auth.CaseWrite) {
		return "", ErrForbidden
	}
	parties := append([]string{s.Party}, in.Parties...)
	slices.Sort(parties)
	parties = slices.Compact(parties)
	now := s.now()
	id := auth.NewID()
	ref := s.Party + "-C-" + now.Format("20060102") + "-" + strings.ToUpper(id[:6])
	l := &loaded{isNew: true, st: State{ID: id}}
	actor := p.Actor()
	h := &Header{Reference: ref, Title: in.Title, Summary: in.Summary, Category: in.Category, Subcategories: in.Subcategories, Status: Open,
		Parties: parties, Exercise: in.Exercise, Handling: in.Handling, TransferTime: transfer}
	evs := []Event{{ID: auth.NewID(), CaseID: id, Party: s.Party, Actor: actor, At: now, Kind: KindOpen, Header: h}}
	evs = append(evs, Event{ID: auth.NewID(), CaseID: id, Party: s.Party, Actor: actor, At: now, Kind: KindParty,
		Info: &PartyInfo{Party: s.Party, CaseNumber: in.CaseNumber, LeadOfficer: in.LeadOfficer, Agencies: in.Agencies}})
	for i := range trail {
		evs = append(evs, Event{ID: auth.NewID(), CaseID: id, Party: s.Party, Actor: actor, At: now, Kind: KindTrail, Hop: &trail[i]})
	}
	for i := range items {
		it := items[i]
		if it.ID == "" {
			it.ID = auth.NewID()
		}
		if it.Originator == "" {
			it.Originator = s.Party
		}
		it.Recipients = parties
		evs = append(evs, Event{ID: auth.NewID(), CaseID: id, Party: s.Party, Actor: actor, At: now, Kind: KindItem, Item: &it})
	}
	if !in.NoTemplate {
		for _, t := range tasksFor(in.Category, s.Party, counterpart, parties, now, auth.NewID) {
			evs = append(evs, Event{ID: auth.NewID(), CaseID: id, Party: s.Party, Actor: actor, At: now, Kind: KindTask, Task: &t})
		}
	}
	var errs validation.Errors
	for i := range evs {
		evs[i].Lamport = int64(i + 1)
		f := string(evs[i].Kind)
		if i == 0 {
			f = "case"
		}
		evs[i].validate(&errs, f, in.Category)
	}
	for i, party := range in.Parties {
		if party == s.Party {
			errs.Add("parties["+fmt.Sprint(i)+"]", "this party participates already")
		}
	}
	if err := errs.Err(); err != nil {
		return "", mapFields(err)
	}
	err := s.Store.InTx(ctx, func(q store.Queries) error {
		for i, party := range in.Parties {
			if _, err := q.GetPeer(ctx, party); errors.Is(err, store.ErrNotFound) {
				return validation.Errors{{Field: fmt.Sprintf("parties[%d]", i), Detail: "no paired peer " + party}}
			} else if err != nil {
				return err
			}
		}
		for i, a := range in.Agencies {
			if _, err := q.GetAgency(ctx, a); errors.Is(err, store.ErrNotFound) {
				return validation.Errors{{Field: fmt.Sprintf("agencies[%d]", i), Detail: "no agency " + a}}
			} else if err != nil {
				return err
			}
		}
		if _, err := s.apply(ctx, q, l, evs, ""); err != nil {
			return err
		}
		if err := s.correlate(ctx, q, l, evs); err != nil {
			return err
		}
		if s.Federation != nil {
			if others := slices.DeleteFunc(slices.Clone(parties), func(x string) bool { return x == s.Party }); len(others) > 0 {
				for _, o := range others {
					if err := s.sendHistory(ctx, q, l, o, true); err != nil {
						return err
					}
				}
			}
		}
		return audit.RecordDetail(ctx, q, s.Clock, actor, "case.open", "case", id, nil, l.st, ref+" "+string(in.Category)+" with "+strings.Join(parties, ","))
	})
	if err != nil {
		return "", err
	}
	if s.Federation != nil {
		s.Federation.Kick()
	}
	return id, nil
}

// mapFields renames event field paths to the input's: "case.header.title"
// and "task.task.status" become "title" and "status".
func mapFields(err error) error {
	fe, ok := validation.As(err)
	if !ok {
		return err
	}
	out := make(validation.Errors, len(fe))
	for i, f := range fe {
		f.Field = strings.TrimPrefix(f.Field, "case.header.")
		f.Field = strings.TrimPrefix(f.Field, "party.info.")
		f.Field = strings.TrimPrefix(f.Field, "task.task.")
		out[i] = f
	}
	return out
}

// View is a case as a user sees it.
type View struct {
	State
	// Tasks are those concerning this party.
	Timeline []Event `json:"timeline"`
	// Flags are the correlations: "also seen in case X at party Y".
	Flags []Flag `json:"flags"`
	// NotShared lists, per item, the participants that do not hold it
	// because its handling forbids onward sharing without permission.
	NotShared map[string][]string `json:"not_shared,omitempty"`
	// Recall is the BEC recall window.
	Recall      *Recall                `json:"recall,omitempty"`
	Attachments []store.CaseAttachment `json:"attachments"`
	// Leads are the leads linked to the case.
	Leads int `json:"leads"`
}

// Recall is the 72-hour wire-recall window of a BEC case.
type Recall struct {
	TransferTime time.Time     `json:"transfer_time"`
	Deadline     time.Time     `json:"deadline"`
	Left         time.Duration `json:"left_ns"`
	Expired      bool          `json:"expired"`
}

// RecallWindow is how long after a transfer a recall can still work.
const RecallWindow = 72 * time.Hour

// Flag is one correlation.
type Flag struct {
	Kind  string `json:"kind"`
	Value string `json:"value"`
	// Case is the other case's reference, CaseID its id when this node
	// holds it and the caller may open it; Party the party holding it.
	Case   string `json:"case"`
	CaseID string `json:"case_id,omitempty"`
	Party  string `json:"party"`
	Text   string `json:"text"`
}

// Get returns a case as the caller may see it.
func (s *Service) Get(ctx context.Context, p *auth.Principal, id string) (View, error) {
	l, err := load(ctx, s.Store, id)
	if err != nil {
		return View{}, err
	}
	if !canSee(&l.row, p) {
		return View{}, store.ErrNotFound
	}
	v := View{State: l.st, Timeline: l.events, Flags: []Flag{}}
	v.Tasks = slices.DeleteFunc(slices.Clone(v.Tasks), func(t Task) bool { return !slices.Contains(t.Concerns, s.Party) })
	v.Timeline = slices.DeleteFunc(slices.Clone(v.Timeline), func(e Event) bool { return e.Task != nil && !slices.Contains(e.Task.Concerns, s.Party) })
	for i := range l.st.Items {
		it := &l.st.Items[i]
		for _, party := range l.st.Parties {
			if !l.st.Reached(it, party) {
				if v.NotShared == nil {
					v.NotShared = map[string][]string{}
				}
				v.NotShared[it.ID] = append(v.NotShared[it.ID], party)
			}
		}
	}
	if l.st.Category == BEC && !l.st.TransferTime.IsZero() {
		d := l.st.TransferTime.Add(RecallWindow)
		left := d.Sub(s.now())
		v.Recall = &Recall{TransferTime: l.st.TransferTime, Deadline: d, Left: max(left, 0), Expired: left <= 0}
	}
	for _, c := range l.st.Correlations {
		v.Flags = append(v.Flags, Flag{Kind: c.Kind, Value: c.Value, Case: c.Case, Party: c.Party, Text: "also seen in case " + c.Case + " at party " + c.Party})
	}
	matches, err := s.Store.CaseKeyMatches(ctx, id)
	if err != nil {
		return View{}, err
	}
	seen := map[string]bool{}
	for _, m := range matches {
		other, err := s.Store.GetCase(ctx, m.Other.CaseID)
		if err != nil || !canSee(&other, p) {
			continue
		}
		k := m.Mine.Kind + m.Mine.Value + other.ID
		if seen[k] {
			continue
		}
		seen[k] = true
		v.Flags = append(v.Flags, Flag{Kind: m.Mine.Kind, Value: m.Mine.Value, Case: other.Reference, CaseID: other.ID, Party: other.Origin,
			Text: "also seen in case " + other.Reference + " at party " + other.Origin})
	}
	if v.Attachments, err = s.Store.ListCaseAttachments(ctx, id); err != nil {
		return View{}, err
	}
	for _, it := range l.st.Items {
		if it.Kind == LeadRef {
			v.Leads++
		}
	}
	return v, nil
}

// Summary is a case in a list.
type Summary struct {
	ID        string    `json:"id"`
	Reference string    `json:"reference"`
	Title     string    `json:"title"`
	Category  string    `json:"category"`
	Status    string    `json:"status"`
	Origin    string    `json:"origin"`
	Parties   []string  `json:"parties"`
	Updated   time.Time `json:"updated"`
}

// Filter selects cases to list.
type Filter struct {
	Text, Category, Status, Party string
	Limit                         int
}

// List searches the cases the caller may see: full text over title,
// summary, references, case numbers, items and tasks, filtered by
// category, status and participating party.
func (s *Service) List(ctx context.Context, p *auth.Principal, f Filter) ([]Summary, error) {
	if !p.Can(auth.CaseRead) {
		return nil, ErrForbidden
	}
	sf := store.CaseFilter{Text: f.Text, Category: f.Category, Status: f.Status, Party: f.Party, Limit: f.Limit}
	if !slices.ContainsFunc(p.User.Roles, func(r string) bool { return r == string(auth.Supervisor) || r == string(auth.Auditor) }) {
		sf.Agency = p.User.Agency
	}
	rows, err := s.Store.ListCases(ctx, sf)
	if err != nil {
		return nil, err
	}
	out := []Summary{}
	for _, r := range rows {
		if !canSee(&r, p) {
			continue
		}
		out = append(out, Summary{ID: r.ID, Reference: r.Reference, Title: r.Title, Category: r.Category, Status: r.Status, Origin: r.Origin, Parties: r.Parties, Updated: r.Updated})
	}
	return out, nil
}

// UpdateInput changes the header (opening party) — empty fields keep
// their value.
type UpdateInput struct {
	Title         string   `json:"title,omitempty"`
	Summary       string   `json:"summary,omitempty"`
	Subcategories []string `json:"subcategories,omitempty"`
	Status        Status   `json:"status,omitempty"`
}

// Update changes the case header. Only the opening party edits it.
func (s *Service) Update(ctx context.Context, p *auth.Principal, id string, in UpdateInput) (View, error) {
	return s.act(ctx, p, id, "update", nil, func(q store.Queries, l *loaded) ([]Event, error) {
		if l.st.Origin != s.Party {
			return nil, fmt.Errorf("%w: only %s, which opened the case, edits its header", ErrState, l.st.Origin)
		}
		h := l.st.Header
		h.Parties = nil
		if in.Title != "" {
			h.Title = in.Title
		}
		if in.Summary != "" {
			h.Summary = in.Summary
		}
		if in.Subcategories != nil {
			h.Subcategories = in.Subcategories
		}
		if in.Status != "" {
			h.Status = in.Status
		}
		e := s.newEvent(l, p.Actor(), KindUpdate)
		e.Header = &h
		return []Event{e}, nil
	})
}

// SetPartyInfo records this party's own case number, lead officer and
// agencies.
func (s *Service) SetPartyInfo(ctx context.Context, p *auth.Principal, id string, in PartyInfo) (View, error) {
	return s.act(ctx, p, id, "party", nil, func(q store.Queries, l *loaded) ([]Event, error) {
		in.Party = s.Party
		for i, a := range in.Agencies {
			if _, err := q.GetAgency(ctx, a); err != nil {
				return nil, validation.Errors{{Field: fmt.Sprintf("agencies[%d]", i), Detail: "no agency " + a}}
			}
		}
		e := s.newEvent(l, p.Actor(), KindParty)
		e.Info = &in
		return []Event{e}, nil
	})
}

// AddItem shares a piece of information with the participants.
func (s *Service) AddItem(ctx context.Context, p *auth.Principal, id string, it Item) (View, error) {
	if it.Kind == Attachment {
		return View{}, validation.Errors{{Field: "kind", Detail: "files are added with the attachments route"}}
	}
	return s.act(ctx, p, id, "item", nil, func(q store.Queries, l *loaded) ([]Event, error) {
		if l.st.Status == Closed {
			return nil, fmt.Errorf("%w: the case is closed", ErrState)
		}
		it.ID, it.Originator, it.Recipients, it.File = auth.NewID(), s.Party, l.st.Parties, nil
		e := s.newEvent(l, p.Actor(), KindItem)
		e.Item = &it
		return []Event{e}, nil
	})
}

// AddHop adds an account to the money trail.
func (s *Service) AddHop(ctx context.Context, p *auth.Principal, id string, h Hop) (View, error) {
	return s.act(ctx, p, id, "trail", nil, func(q store.Queries, l *loaded) ([]Event, error) {
		e := s.newEvent(l, p.Actor(), KindTrail)
		e.Hop = &h
		evs := []Event{e}
		if h.Account != "" {
			it := Item{ID: auth.NewID(), Kind: Account, Value: h.Account, Text: h.Role + " account at " + h.Bank, Originator: s.Party,
				Recipients: l.st.Parties, Handling: l.st.Handling}
			var probe validation.Errors
			if it.validate(&probe, "", l.st.Category); len(probe) == 0 {
				x := s.newEvent(l, p.Actor(), KindItem)
				x.Item = &it
				evs = append(evs, x)
			}
		}
		return evs, nil
	})
}

// SaveTask creates (empty ID) or changes a task. Tasks are seen by the
// parties they concern; the party saving it always is one.
func (s *Service) SaveTask(ctx context.Context, p *auth.Principal, id string, t Task) (View, error) {
	return s.act(ctx, p, id, "task", nil, func(q store.Queries, l *loaded) ([]Event, error) {
		if t.ID == "" {
			t.ID = auth.NewID()
			if t.Owner == "" {
				t.Owner = s.Party
			}
		} else {
			i := slices.IndexFunc(l.st.Tasks, func(x Task) bool { return x.ID == t.ID })
			if i < 0 || !slices.Contains(l.st.Tasks[i].Concerns, s.Party) {
				return nil, fmt.Errorf("%w: no task %s in this case (leave the id out to add one)", store.ErrNotFound, t.ID)
			}
			old := l.st.Tasks[i]
			if t.Title == "" {
				t.Title = old.Title
			}
			if t.Owner == "" {
				t.Owner = old.Owner
			}
			if t.Due.IsZero() {
				t.Due = old.Due
			}
			t.Concerns = append(t.Concerns, old.Concerns...)
		}
		if !slices.Contains(l.st.Parties, t.Owner) {
			return nil, validation.Errors{{Field: "owner", Detail: "must be a participating party"}}
		}
		for i, c := range t.Concerns {
			if !slices.Contains(l.st.Parties, c) {
				return nil, validation.Errors{{Field: fmt.Sprintf("concerns[%d]", i), Detail: "must be a participating party"}}
			}
		}
		t.Concerns = append(t.Concerns, s.Party)
		e := s.newEvent(l, p.Actor(), KindTask)
		e.Task = &t
		return []Event{e}, nil
	})
}

// AddParticipant makes party a participant: it receives the case's
// history, except items whose handling forbids onward sharing (listed in
// the view's not_shared until their originator grants permission).
func (s *Service) AddParticipant(ctx context.Context, p *auth.Principal, id, party string) (View, error) {
	return s.act(ctx, p, id, "join", nil, func(q store.Queries, l *loaded) ([]Event, error) {
		if slices.Contains(l.st.Parties, party) {
			return nil, fmt.Errorf("%w: %s participates already", ErrState, party)
		}
		if _, err := q.GetPeer(ctx, party); err != nil {
			return nil, validation.Errors{{Field: "party", Detail: "not a paired peer"}}
		}
		e := s.newEvent(l, p.Actor(), KindJoin)
		e.Info = &PartyInfo{Party: party, Agencies: []string{}}
		return []Event{e}, nil
	})
}

// Share gives item to a participant that does not hold it. It is onward
// sharing when this party is not the originator: refused with ErrHandling
// unless the handling allows it or the originator granted permission.
func (s *Service) Share(ctx context.Context, p *auth.Principal, id, itemID, party string) (View, error) {
	v, err := s.act(ctx, p, id, "share", nil, func(q store.Queries, l *loaded) ([]Event, error) {
		i := slices.IndexFunc(l.st.Items, func(x Item) bool { return x.ID == itemID })
		if i < 0 {
			return nil, fmt.Errorf("%w: no item %s in this case", store.ErrNotFound, itemID)
		}
		it := l.st.Items[i]
		if !slices.Contains(l.st.Parties, party) || party == s.Party {
			return nil, validation.Errors{{Field: "party", Detail: "must be another participating party"}}
		}
		if it.Originator != s.Party && !l.st.Reached(&it, party) {
			return nil, fmt.Errorf("%w: item %s from %s (%s, conditions %v) to %s", ErrHandling, it.ID, it.Originator, it.Handling.TLP, it.Handling.Conditions, party)
		}
		if it.File != nil {
			return nil, validation.Errors{{Field: "item", Detail: "files are not forwarded"}}
		}
		// The item goes as it is (its originator unchanged) with the grant
		// that allows it, so the receiver can check.
		var evs []Event
		for _, e := range l.events {
			if (e.Kind == KindItem && e.Item.ID == itemID) || (e.Kind == KindPermission && e.Permission.ItemID == itemID && e.Permission.Party == party && e.Permission.State == "granted") {
				evs = append(evs, e)
			}
		}
		// A share is recorded as a permission event of this party naming
		// the recipient: the timeline shows who passed what to whom.
		if err := s.send(ctx, q, l, []string{party}, evs, nil); err != nil {
			return nil, err
		}
		return nil, nil
	})
	if err == nil && s.Federation != nil {
		s.Federation.Kick()
	}
	return v, err
}

// RequestPermission asks an item's originator for permission to share it
// with party.
func (s *Service) RequestPermission(ctx context.Context, p *auth.Principal, id, itemID, party, note string) (View, error) {
	return s.act(ctx, p, id, "permission.request", nil, func(q store.Queries, l *loaded) ([]Event, error) {
		i := slices.IndexFunc(l.st.Items, func(x Item) bool { return x.ID == itemID })
		if i < 0 {
			return nil, fmt.Errorf("%w: no item %s in this case", store.ErrNotFound, itemID)
		}
		it := l.st.Items[i]
		if it.Originator == s.Party {
			return nil, fmt.Errorf("%w: this party originated the item; share it directly", ErrState)
		}
		e := s.newEvent(l, p.Actor(), KindPermission)
		e.Permission = &Permission{ItemID: itemID, Party: party, State: "requested", Note: note}
		e.Audience = []string{it.Originator}
		return []Event{e}, nil
	})
}

// DecidePermission grants or refuses sharing an item this party
// originated with party. A grant to a participant also sends it the item.
func (s *Service) DecidePermission(ctx context.Context, p *auth.Principal, id, itemID, party string, grant bool, note string) (View, error) {
	action := "permission.refuse"
	if grant {
		action = "permission.grant"
	}
	return s.act(ctx, p, id, action, nil, func(q store.Queries, l *loaded) ([]Event, error) {
		i := slices.IndexFunc(l.st.Items, func(x Item) bool { return x.ID == itemID })
		if i < 0 {
			return nil, fmt.Errorf("%w: no item %s in this case", store.ErrNotFound, itemID)
		}
		if l.st.Items[i].Originator != s.Party {
			return nil, fmt.Errorf("%w: only the originator %s decides", ErrForbidden, l.st.Items[i].Originator)
		}
		e := s.newEvent(l, p.Actor(), KindPermission)
		state := "refused"
		if grant {
			state = "granted"
		}
		e.Permission = &Permission{ItemID: itemID, Party: party, State: state, Note: note}
		return []Event{e}, nil
	})
}

// correlate flags, across the cases this node holds, the values evs just
// added. When the other case has other participants, a notice "also seen
// in case X at party Y" goes into each case — only where the matching
// item's handling allows telling parties that are not its recipients.
func (s *Service) correlate(ctx context.Context, q store.Queries, l *loaded, evs []Event) error {
	for _, e := range evs {
		if e.Kind != KindItem {
			continue
		}
		kind, value, ok := e.Item.key()
		if !ok {
			continue
		}
		keys, err := q.FindCaseKeys(ctx, kind, value)
		if err != nil {
			return err
		}
		mine := store.CaseKey{Onward: !e.Item.Handling.NoOnward() && e.Item.Handling.level() <= marking.Green}
		for _, k := range keys {
			if k.CaseID == l.st.ID {
				continue
			}
			other, err := load(ctx, q, k.CaseID)
			if err != nil {
				return err
			}
			if slices.Equal(other.st.Parties, l.st.Parties) {
				continue // the same parties see both cases already
			}
			if k.Onward {
				if err := s.notice(ctx, q, l, Correlation{Kind: kind, Value: value, Case: other.st.Reference, Party: other.st.Origin}); err != nil {
					return err
				}
			}
			if mine.Onward {
				if err := s.notice(ctx, q, other, Correlation{Kind: kind, Value: value, Case: l.st.Reference, Party: l.st.Origin}); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func (s *Service) notice(ctx context.Context, q store.Queries, l *loaded, c Correlation) error {
	if slices.Contains(l.st.Correlations, c) {
		return nil
	}
	e := s.newEvent(l, "node:"+s.Party, KindCorrelation)
	e.Correlation = &c
	if _, err := s.apply(ctx, q, l, []Event{e}, ""); err != nil {
		return err
	}
	return s.enqueue(ctx, q, l, []Event{e}, nil)
}
