package casework

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strconv"
	"time"

	"github.com/liaison-dev/liaison/internal/intel/marking"
	"github.com/liaison-dev/liaison/internal/validation"
)

// Kind is the kind of a timeline event.
type Kind string

// Event kinds.
const (
	KindOpen        Kind = "open"        // the case header; the first event
	KindUpdate      Kind = "update"      // title, summary, sub-categories, status
	KindParty       Kind = "party"       // a party's own case number, lead officer, agencies
	KindJoin        Kind = "join"        // a party joins
	KindItem        Kind = "item"        // a piece of shared information
	KindTask        Kind = "task"        // a task created or changed
	KindTrail       Kind = "trail"       // a money-trail hop
	KindPermission  Kind = "permission"  // onward sharing asked, granted or refused
	KindCorrelation Kind = "correlation" // "also seen in case X at party Y"
)

var kinds = []Kind{KindOpen, KindUpdate, KindParty, KindJoin, KindItem, KindTask, KindTrail, KindPermission, KindCorrelation}

// Header is a case's description.
type Header struct {
	Reference     string   `json:"reference"`
	Title         string   `json:"title"`
	Summary       string   `json:"summary"`
	Category      Category `json:"category"`
	Subcategories []string `json:"subcategories"`
	Status        Status   `json:"status"`
	// Parties are the first participants (open only).
	Parties  []string `json:"parties,omitempty"`
	Exercise bool     `json:"exercise,omitempty"`
	// Handling applies to the header itself (title and summary).
	Handling Handling `json:"handling"`
	// TransferTime starts a BEC case's 72-hour recall window.
	TransferTime time.Time `json:"transfer_time,omitzero"`
}

func (h *Header) validate(errs *validation.Errors, field string, open bool) {
	errs.Required(field+".title", h.Title, 300)
	errs.MaxLen(field+".summary", h.Summary, 20000)
	if !ValidCategory(h.Category) {
		errs.Add(field+".category", "must be one of the taxonomy: ip_theft, csam, terrorism, bec, firearms, hacking, ransomware, fraud, other")
	}
	if h.Subcategories == nil {
		h.Subcategories = []string{}
	}
	if len(h.Subcategories) > 20 {
		errs.Add(field+".subcategories", "at most 20")
	}
	for i, s := range h.Subcategories {
		errs.Required(field+".subcategories["+strconv.Itoa(i)+"]", s, 100)
	}
	if h.Status == "" {
		h.Status = Open
	}
	if !slices.Contains([]Status{Open, Suspended, Closed}, h.Status) {
		errs.Add(field+".status", "must be open, suspended or closed")
	}
	errs.MaxLen(field+".reference", h.Reference, 100)
	if open {
		if len(h.Parties) < 1 || len(h.Parties) > 50 {
			errs.Add(field+".parties", "1 to 50 participating parties")
		}
		for i, p := range h.Parties {
			if !partyRE.MatchString(p) {
				errs.Add(field+".parties["+strconv.Itoa(i)+"]", "must be a party code")
			}
		}
	} else if len(h.Parties) > 0 {
		errs.Add(field+".parties", "parties join by join events")
	}
	h.Handling.validate(errs, field+".handling")
}

// Permission is a request for, or the originator's decision on, sharing
// an item with a third party.
type Permission struct {
	ItemID string `json:"item_id"`
	// Party is the third party.
	Party string `json:"party"`
	// State is requested, granted or refused.
	State string `json:"state"`
	Note  string `json:"note,omitempty"`
	// By is the party that asked or decided (filled on folding).
	By string `json:"by,omitempty"`
}

// Correlation says a value of this case was also seen in another case.
type Correlation struct {
	Kind  string `json:"kind"`
	Value string `json:"value"`
	// Case is the other case's reference; Party the party holding it.
	Case  string `json:"case"`
	Party string `json:"party"`
}

// Event is one entry of a case's timeline. Events are ordered by (Lamport,
// Party, ID), the same at every node that holds them.
type Event struct {
	ID      string    `json:"id"`
	CaseID  string    `json:"case_id"`
	Lamport int64     `json:"lamport"`
	Party   string    `json:"party"`
	Actor   string    `json:"actor"`
	At      time.Time `json:"at"`
	Kind    Kind      `json:"kind"`
	// Audience, when not empty, limits the parties the event goes to.
	Audience    []string     `json:"audience,omitempty"`
	Header      *Header      `json:"header,omitempty"`
	Info        *PartyInfo   `json:"info,omitempty"`
	Item        *Item        `json:"item,omitempty"`
	Task        *Task        `json:"task,omitempty"`
	Hop         *Hop         `json:"hop,omitempty"`
	Permission  *Permission  `json:"permission,omitempty"`
	Correlation *Correlation `json:"correlation,omitempty"`
}

// validate statically checks an event (of a case of category cat, when
// known) and normalises its values.
func (e *Event) validate(errs *validation.Errors, f string, cat Category) {
	if !idRE.MatchString(e.ID) {
		errs.Add(f+".id", "must be 32 hex digits")
	}
	if !idRE.MatchString(e.CaseID) {
		errs.Add(f+".case_id", "must be 32 hex digits")
	}
	if e.Lamport < 1 || e.Lamport > 1<<40 {
		errs.Add(f+".lamport", "out of range")
	}
	if !partyRE.MatchString(e.Party) {
		errs.Add(f+".party", "must be a party code")
	}
	if e.At.IsZero() {
		errs.Add(f+".at", "is required")
	}
	errs.MaxLen(f+".actor", e.Actor, 200)
	for i, p := range e.Audience {
		if !partyRE.MatchString(p) {
			errs.Add(f+".audience["+strconv.Itoa(i)+"]", "must be a party code")
		}
	}
	if !slices.Contains(kinds, e.Kind) {
		errs.Add(f+".kind", "unknown event kind")
		return
	}
	n := 0
	for _, set := range []bool{e.Header != nil, e.Info != nil, e.Item != nil, e.Task != nil, e.Hop != nil, e.Permission != nil, e.Correlation != nil} {
		if set {
			n++
		}
	}
	want := map[Kind]bool{KindOpen: e.Header != nil, KindUpdate: e.Header != nil, KindParty: e.Info != nil, KindJoin: e.Info != nil,
		KindItem: e.Item != nil, KindTask: e.Task != nil, KindTrail: e.Hop != nil, KindPermission: e.Permission != nil, KindCorrelation: e.Correlation != nil}
	if n != 1 || !want[e.Kind] {
		errs.Add(f, "a "+string(e.Kind)+" event carries exactly its own body")
		return
	}
	switch e.Kind {
	case KindOpen, KindUpdate:
		e.Header.validate(errs, f+".header", e.Kind == KindOpen)
	case KindParty, KindJoin:
		e.Info.validate(errs, f+".info")
		if e.Kind == KindParty && e.Info.Party != e.Party {
			errs.Add(f+".info.party", "a party speaks only for itself")
		}
	case KindItem:
		if !idRE.MatchString(e.Item.ID) {
			errs.Add(f+".item.id", "must be 32 hex digits")
		}
		if !partyRE.MatchString(e.Item.Originator) {
			errs.Add(f+".item.originator", "must be a party code")
		}
		for i, p := range e.Item.Recipients {
			if !partyRE.MatchString(p) {
				errs.Add(f+".item.recipients["+strconv.Itoa(i)+"]", "must be a party code")
			}
		}
		if e.Item.Recipients == nil {
			e.Item.Recipients = []string{}
		}
		e.Item.validate(errs, f+".item", cat)
	case KindTask:
		if !idRE.MatchString(e.Task.ID) {
			errs.Add(f+".task.id", "must be 32 hex digits")
		}
		e.Task.validate(errs, f+".task")
	case KindTrail:
		h := e.Hop
		if !slices.Contains([]string{"originating", "intermediary", "beneficiary"}, h.Role) {
			errs.Add(f+".hop.role", "must be originating, intermediary or beneficiary")
		}
		errs.Required(f+".hop.bank", h.Bank, 200)
		for name, v := range map[string]string{"account": h.Account, "holder": h.Holder, "amount": h.Amount, "currency": h.Currency} {
			errs.MaxLen(f+".hop."+name, v, 200)
		}
		if h.Party != "" && !partyRE.MatchString(h.Party) {
			errs.Add(f+".hop.party", "must be a party code")
		}
	case KindPermission:
		p := e.Permission
		if !idRE.MatchString(p.ItemID) {
			errs.Add(f+".permission.item_id", "must be 32 hex digits")
		}
		if !partyRE.MatchString(p.Party) {
			errs.Add(f+".permission.party", "must be a party code")
		}
		if !slices.Contains([]string{"requested", "granted", "refused"}, p.State) {
			errs.Add(f+".permission.state", "must be requested, granted or refused")
		}
		errs.MaxLen(f+".permission.note", p.Note, 2000)
		p.By = ""
	case KindCorrelation:
		c := e.Correlation
		errs.Required(f+".correlation.kind", c.Kind, 50)
		errs.Required(f+".correlation.value", c.Value, 2000)
		errs.Required(f+".correlation.case", c.Case, 100)
		if !partyRE.MatchString(c.Party) {
			errs.Add(f+".correlation.party", "must be a party code")
		}
	}
}

// State is a case folded from its events.
type State struct {
	ID     string `json:"id"`
	Origin string `json:"origin"`
	Header
	Parties      []string      `json:"parties"`
	Info         []PartyInfo   `json:"party_info"`
	Items        []Item        `json:"items"`
	Tasks        []Task        `json:"tasks"`
	Trail        []Hop         `json:"money_trail"`
	Permissions  []Permission  `json:"permissions"`
	Correlations []Correlation `json:"correlations"`
	Lamport      int64         `json:"lamport"`
	Created      time.Time     `json:"created"`
	Updated      time.Time     `json:"updated"`
}

// granted reports whether the item's originator granted sharing it with
// party.
func (st *State) granted(it *Item, party string) bool {
	for _, p := range st.Permissions {
		if p.ItemID == it.ID && p.Party == party && p.By == it.Originator {
			return p.State == "granted"
		}
	}
	return false
}

// Reached reports whether party may hold item without further permission:
// it was a recipient, the originator granted it, or nothing in the
// handling stops onward sharing (TLP:CLEAR or GREEN, no condition).
func (st *State) Reached(it *Item, party string) bool {
	if party == it.Originator || slices.Contains(it.Recipients, party) || st.granted(it, party) {
		return true
	}
	return !it.Handling.NoOnward() && it.Handling.level() <= marking.Green
}

// Fold sorts events into timeline order and computes the state. Events
// are trusted to have passed validation.
func Fold(events []Event) (State, []Event) {
	sort.SliceStable(events, func(i, j int) bool {
		a, b := events[i], events[j]
		if a.Lamport != b.Lamport {
			return a.Lamport < b.Lamport
		}
		if a.Party != b.Party {
			return a.Party < b.Party
		}
		return a.ID < b.ID
	})
	st := State{Parties: []string{}, Info: []PartyInfo{}, Items: []Item{}, Tasks: []Task{}, Trail: []Hop{}, Permissions: []Permission{}, Correlations: []Correlation{}}
	addParty := func(p string) {
		if !slices.Contains(st.Parties, p) {
			st.Parties = append(st.Parties, p)
		}
	}
	for _, e := range events {
		st.Lamport = max(st.Lamport, e.Lamport)
		if st.Created.IsZero() || e.At.Before(st.Created) {
			st.Created = e.At
		}
		if e.At.After(st.Updated) {
			st.Updated = e.At
		}
		switch e.Kind {
		case KindOpen:
			st.ID, st.Origin = e.CaseID, e.Party
			st.Header = *e.Header
			for _, p := range e.Header.Parties {
				addParty(p)
			}
			st.Header.Parties = nil
		case KindUpdate:
			if e.Party != st.Origin && st.Origin != "" {
				// Only the opening party edits the header; a participant
				// suspends or closes only its own side (party info).
				continue
			}
			h := *e.Header
			h.Reference, h.Category, h.Exercise, h.TransferTime, h.Parties = st.Reference, st.Category, st.Exercise, st.TransferTime, nil
			st.Header = h
		case KindJoin:
			addParty(e.Info.Party)
			for i := range st.Items {
				it := &st.Items[i]
				if (it.Originator == e.Party || st.Reached(it, e.Info.Party)) && !slices.Contains(it.Recipients, e.Info.Party) {
					it.Recipients = append(slices.Clone(it.Recipients), e.Info.Party)
				}
			}
			fallthrough
		case KindParty:
			i := slices.IndexFunc(st.Info, func(pi PartyInfo) bool { return pi.Party == e.Info.Party })
			if i < 0 {
				st.Info = append(st.Info, *e.Info)
			} else if e.Kind == KindParty {
				st.Info[i] = *e.Info
			}
		case KindItem:
			if !slices.ContainsFunc(st.Items, func(x Item) bool { return x.ID == e.Item.ID }) {
				st.Items = append(st.Items, *e.Item)
			}
		case KindTask:
			if i := slices.IndexFunc(st.Tasks, func(t Task) bool { return t.ID == e.Task.ID }); i >= 0 {
				st.Tasks[i] = *e.Task
			} else {
				st.Tasks = append(st.Tasks, *e.Task)
			}
		case KindTrail:
			st.Trail = append(st.Trail, *e.Hop)
		case KindPermission:
			p := *e.Permission
			p.By = e.Party
			i := slices.IndexFunc(st.Permissions, func(x Permission) bool { return x.ItemID == p.ItemID && x.Party == p.Party })
			if i >= 0 {
				// A request never undoes a decision; a decision replaces.
				if p.State == "requested" && st.Permissions[i].State != "requested" {
					continue
				}
				st.Permissions[i] = p
			} else {
				st.Permissions = append(st.Permissions, p)
			}
		case KindCorrelation:
			c := *e.Correlation
			if !slices.Contains(st.Correlations, c) {
				st.Correlations = append(st.Correlations, c)
			}
		}
	}
	return st, events
}

// wire is the payload of a TypeEvents envelope: events of one case, in
// timeline order (one, or the history a joining party receives).
type wire struct {
	Events []Event `json:"events"`
}

// Limits of received payloads.
const (
	MaxPayload     = 8 << 20
	MaxWireEvents  = 5000
	MaxAttachments = 20
)

func strictDecode(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("payload: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("payload: trailing data")
	}
	return nil
}

// DecodeEvents decodes and statically checks a received TypeEvents
// payload: every event of one case, each valid, the category taken from
// the open event when present (else cat). It never panics.
func DecodeEvents(b []byte, cat Category) ([]Event, error) {
	if len(b) > MaxPayload {
		return nil, errors.New("payload too large")
	}
	var w wire
	if err := strictDecode(b, &w); err != nil {
		return nil, err
	}
	if len(w.Events) == 0 || len(w.Events) > MaxWireEvents {
		return nil, fmt.Errorf("payload: 1 to %d events", MaxWireEvents)
	}
	for _, e := range w.Events {
		if e.Kind == KindOpen && e.Header != nil {
			cat = e.Header.Category
		}
	}
	var errs validation.Errors
	for i := range w.Events {
		e := &w.Events[i]
		e.validate(&errs, "events["+strconv.Itoa(i)+"]", cat)
		if e.CaseID != w.Events[0].CaseID {
			errs.Add("events["+strconv.Itoa(i)+"].case_id", "every event must be of the same case")
		}
		if len(errs) > 20 {
			break
		}
	}
	return w.Events, errs.Err()
}
