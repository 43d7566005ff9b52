package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// CaseQueries are the reads and writes of joint cases (internal/casework).
// A case's state is derived from its events by the casework package; the
// store keeps both, indexes the derived columns, and holds the correlation
// index keyed by normalised value.
type CaseQueries interface {
	// InsertCase stores a new case; a reused ID is ErrConflict.
	InsertCase(ctx context.Context, c CaseRow) error
	GetCase(ctx context.Context, id string) (CaseRow, error)
	// UpdateCase replaces every column of case c.ID but ID, Origin and
	// Created; ErrNotFound when there is none.
	UpdateCase(ctx context.Context, c CaseRow) error
	// ListCases returns the cases matching f, most recently updated first.
	ListCases(ctx context.Context, f CaseFilter) ([]CaseRow, error)

	// InsertCaseEvent appends an event to a case's timeline; an event ID
	// seen before is ErrConflict (replication is idempotent).
	InsertCaseEvent(ctx context.Context, e CaseEvent) error
	// ListCaseEvents returns a case's events by Lamport time, party, ID.
	ListCaseEvents(ctx context.Context, caseID string) ([]CaseEvent, error)

	// PutCaseKey adds a value to the correlation index; adding the same
	// kind, value, case and item again changes nothing.
	PutCaseKey(ctx context.Context, k CaseKey) error
	// CaseKeyMatches returns, for every key of case caseID, the keys of
	// other cases with the same kind and value: one indexed join whose cost
	// follows the number of matches.
	CaseKeyMatches(ctx context.Context, caseID string) ([]CaseKeyMatch, error)
	// FindCaseKeys returns the index entries of one normalised value.
	FindCaseKeys(ctx context.Context, kind, value string) ([]CaseKey, error)

	// InsertLead stores a lead sent or received; a reused ID is ErrConflict.
	InsertLead(ctx context.Context, l CaseLead) error
	GetLead(ctx context.Context, id string) (CaseLead, error)
	// UpdateLead records a lead's decision (status, reason, case, decided).
	UpdateLead(ctx context.Context, l CaseLead) error
	// ListLeads returns the leads matching f, newest first.
	ListLeads(ctx context.Context, f LeadFilter) ([]CaseLead, error)

	InsertCaseAttachment(ctx context.Context, a CaseAttachment) error
	GetCaseAttachment(ctx context.Context, id string) (CaseAttachment, error)
	ListCaseAttachments(ctx context.Context, caseID string) ([]CaseAttachment, error)
}

// CaseRow is a case as stored. State is the casework package's JSON
// encoding of the folded case.
type CaseRow struct {
	ID        string
	Reference string
	// Origin is the party that opened the case.
	Origin   string
	Category string
	Status   string
	Title    string
	// Parties are the participating parties.
	Parties []string
	// Agencies are this node's participating agencies; empty means every
	// agency of the node.
	Agencies []string
	Exercise bool
	// Search is the lower-cased text full-text search matches against.
	Search  string
	Lamport int64
	Created time.Time
	Updated time.Time
	State   []byte
}

// CaseFilter selects cases. Zero fields do not filter.
type CaseFilter struct {
	// Text matches, case-insensitively, every one of its words somewhere
	// in the case's searchable text.
	Text     string
	Category string
	Status   string
	// Party selects cases that party participates in.
	Party string
	// Agency selects cases open to that agency of this node (cases with no
	// agency list are open to all).
	Agency string
	Limit  int
}

// CaseEvent is one entry of a case's timeline.
type CaseEvent struct {
	ID         string
	CaseID     string
	Lamport    int64
	Party      string
	Kind       string
	Actor      string
	At         time.Time
	Body       []byte
	EnvelopeID string
	Recorded   time.Time
}

// CaseKey is one entry of the correlation index.
type CaseKey struct {
	Kind   string `json:"kind"`
	Value  string `json:"value"`
	CaseID string `json:"case_id"`
	ItemID string `json:"item_id"`
	// Originator is the party the item came from; TLP its level (the
	// marking package's order) and Onward whether it may be told to a
	// party that is not a recipient.
	Originator string `json:"originator"`
	TLP        int    `json:"tlp"`
	Onward     bool   `json:"onward"`
}

// CaseKeyMatch pairs a key of a case with the same value in another case.
type CaseKeyMatch struct {
	Mine  CaseKey
	Other CaseKey
}

// CaseLead is a lead sent or received.
type CaseLead struct {
	ID string
	// CaseID is the case the lead is for, or the case its acceptance
	// created; empty for an undecided proposal.
	CaseID   string
	From, To string
	Outgoing bool
	// Status is "sent", "accepted" or "declined".
	Status    string
	Reason    string
	Title     string
	Category  string
	Body      []byte
	Created   time.Time
	Decided   time.Time
	DecidedBy string
}

// LeadFilter selects leads.
type LeadFilter struct {
	Status string
	// Outgoing, when set, selects one direction.
	Outgoing *bool
	// From and To bound the creation time ([From, To)); zero is open.
	From, To time.Time
	Limit    int
}

// CaseAttachment is a file of a case.
type CaseAttachment struct {
	ID      string    `json:"id"`
	CaseID  string    `json:"case_id"`
	ItemID  string    `json:"item_id"`
	Name    string    `json:"name"`
	Size    int64     `json:"size"`
	SHA256  string    `json:"sha256"`
	Path    string    `json:"-"`
	AddedBy string    `json:"added_by"`
	Added   time.Time `json:"added"`
}

const caseCols = `id, reference, origin, category, status, title, parties, agencies, exercise, search, lamport, created, updated, state`

// fenced stores a list as ",a,b," so that one member matches LIKE '%,a,%'.
func fenced(v []string) string {
	if len(v) == 0 {
		return ""
	}
	return "," + strings.Join(v, ",") + ","
}

func unfenced(s string) []string { return splitList(strings.Trim(s, ",")) }

func scanCase(s interface{ Scan(...any) error }) (CaseRow, error) {
	var c CaseRow
	var parties, agencies, state string
	var exercise int
	var created, updated int64
	err := s.Scan(&c.ID, &c.Reference, &c.Origin, &c.Category, &c.Status, &c.Title, &parties, &agencies, &exercise, &c.Search,
		&c.Lamport, &created, &updated, &state)
	c.Parties, c.Agencies, c.Exercise = unfenced(parties), unfenced(agencies), exercise != 0
	c.Created, c.Updated, c.State = fromMicros(created), fromMicros(updated), []byte(state)
	return c, err
}

func (q queries) InsertCase(ctx context.Context, c CaseRow) error {
	_, err := q.exec(ctx, `INSERT INTO cases (`+caseCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		c.ID, c.Reference, c.Origin, c.Category, c.Status, c.Title, fenced(c.Parties), fenced(c.Agencies), boolInt(c.Exercise), c.Search,
		c.Lamport, micros(c.Created), micros(c.Updated), string(c.State))
	return err
}

func (q queries) GetCase(ctx context.Context, id string) (CaseRow, error) {
	c, err := scanCase(q.row(ctx, `SELECT `+caseCols+` FROM cases WHERE id = ?`, id))
	return c, q.mapErr(err)
}

func (q queries) UpdateCase(ctx context.Context, c CaseRow) error {
	return mustAffect(q.exec(ctx, `UPDATE cases SET reference = ?, category = ?, status = ?, title = ?, parties = ?, agencies = ?, exercise = ?,
		search = ?, lamport = ?, updated = ?, state = ? WHERE id = ?`,
		c.Reference, c.Category, c.Status, c.Title, fenced(c.Parties), fenced(c.Agencies), boolInt(c.Exercise), c.Search,
		c.Lamport, micros(c.Updated), string(c.State), c.ID))
}

// likeEscape escapes LIKE's wildcards in a user's word.
func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

func (q queries) ListCases(ctx context.Context, f CaseFilter) ([]CaseRow, error) {
	where := []string{"1 = 1"}
	var args []any
	for col, v := range map[string]string{"category": f.Category, "status": f.Status} {
		if v != "" {
			where = append(where, col+" = ?")
			args = append(args, v)
		}
	}
	if f.Party != "" {
		where = append(where, `parties LIKE ? ESCAPE '\'`)
		args = append(args, "%,"+likeEscape(f.Party)+",%")
	}
	if f.Agency != "" {
		where = append(where, `(agencies = '' OR agencies LIKE ? ESCAPE '\')`)
		args = append(args, "%,"+likeEscape(f.Agency)+",%")
	}
	for i, w := range strings.Fields(strings.ToLower(f.Text)) {
		if i == 8 {
			break
		}
		where = append(where, `search LIKE ? ESCAPE '\'`)
		args = append(args, "%"+likeEscape(w)+"%")
	}
	limit := f.Limit
	if limit <= 0 || limit > ListLimit {
		limit = ListLimit
	}
	rows, err := q.query(ctx, `SELECT `+caseCols+` FROM cases WHERE `+strings.Join(where, " AND ")+
		fmt.Sprintf(` ORDER BY updated DESC, id DESC LIMIT %d`, limit), args...)
	return collect(rows, err, func(r *sql.Rows) (CaseRow, error) { return scanCase(r) })
}

func (q queries) InsertCaseEvent(ctx context.Context, e CaseEvent) error {
	_, err := q.exec(ctx, `INSERT INTO case_events (id, case_id, lamport, party, kind, actor, at, body, envelope_id, recorded)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		e.ID, e.CaseID, e.Lamport, e.Party, e.Kind, e.Actor, micros(e.At), string(e.Body), e.EnvelopeID, micros(e.Recorded))
	return err
}

func (q queries) ListCaseEvents(ctx context.Context, caseID string) ([]CaseEvent, error) {
	rows, err := q.query(ctx, `SELECT id, case_id, lamport, party, kind, actor, at, body, envelope_id, recorded
		FROM case_events WHERE case_id = ? ORDER BY lamport, party, id`, caseID)
	return collect(rows, err, func(r *sql.Rows) (CaseEvent, error) {
		var e CaseEvent
		var at, rec int64
		var body string
		err := r.Scan(&e.ID, &e.CaseID, &e.Lamport, &e.Party, &e.Kind, &e.Actor, &at, &body, &e.EnvelopeID, &rec)
		e.At, e.Recorded, e.Body = fromMicros(at), fromMicros(rec), []byte(body)
		return e, err
	})
}

const caseKeyCols = `kind, value, case_id, item_id, originator, tlp, onward`

func (q queries) PutCaseKey(ctx context.Context, k CaseKey) error {
	_, err := q.exec(ctx, `INSERT INTO case_keys (`+caseKeyCols+`) VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (kind, value, case_id, item_id) DO NOTHING`,
		k.Kind, k.Value, k.CaseID, k.ItemID, k.Originator, k.TLP, boolInt(k.Onward))
	return err
}

func (q queries) CaseKeyMatches(ctx context.Context, caseID string) ([]CaseKeyMatch, error) {
	rows, err := q.query(ctx, `SELECT a.kind, a.value, a.case_id, a.item_id, a.originator, a.tlp, a.onward,
		b.kind, b.value, b.case_id, b.item_id, b.originator, b.tlp, b.onward
		FROM case_keys a JOIN case_keys b ON b.kind = a.kind AND b.value = a.value AND b.case_id <> a.case_id
		WHERE a.case_id = ? ORDER BY a.kind, a.value, b.case_id, b.item_id LIMIT 1000`, caseID)
	return collect(rows, err, func(r *sql.Rows) (CaseKeyMatch, error) {
		var m CaseKeyMatch
		var on1, on2 int
		err := r.Scan(&m.Mine.Kind, &m.Mine.Value, &m.Mine.CaseID, &m.Mine.ItemID, &m.Mine.Originator, &m.Mine.TLP, &on1,
			&m.Other.Kind, &m.Other.Value, &m.Other.CaseID, &m.Other.ItemID, &m.Other.Originator, &m.Other.TLP, &on2)
		m.Mine.Onward, m.Other.Onward = on1 != 0, on2 != 0
		return m, err
	})
}

func (q queries) FindCaseKeys(ctx context.Context, kind, value string) ([]CaseKey, error) {
	rows, err := q.query(ctx, `SELECT `+caseKeyCols+` FROM case_keys WHERE kind = ? AND value = ? ORDER BY case_id, item_id LIMIT 1000`, kind, value)
	return collect(rows, err, func(r *sql.Rows) (CaseKey, error) {
		var k CaseKey
		var on int
		err := r.Scan(&k.Kind, &k.Value, &k.CaseID, &k.ItemID, &k.Originator, &k.TLP, &on)
		k.Onward = on != 0
		return k, err
	})
}

const leadCols = `id, case_id, from_party, to_party, outgoing, status, reason, title, category, body, created, decided, decided_by`

func scanLead(s interface{ Scan(...any) error }) (CaseLead, error) {
	var l CaseLead
	var out int
	var body string
	var created, decided int64
	err := s.Scan(&l.ID, &l.CaseID, &l.From, &l.To, &out, &l.Status, &l.Reason, &l.Title, &l.Category, &body, &created, &decided, &l.DecidedBy)
	l.Outgoing, l.Body, l.Created, l.Decided = out != 0, []byte(body), fromMicros(created), fromMicros(decided)
	return l, err
}

func (q queries) InsertLead(ctx context.Context, l CaseLead) error {
	_, err := q.exec(ctx, `INSERT INTO case_leads (`+leadCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		l.ID, l.CaseID, l.From, l.To, boolInt(l.Outgoing), l.Status, l.Reason, l.Title, l.Category, string(l.Body),
		micros(l.Created), micros(l.Decided), l.DecidedBy)
	return err
}

func (q queries) GetLead(ctx context.Context, id string) (CaseLead, error) {
	l, err := scanLead(q.row(ctx, `SELECT `+leadCols+` FROM case_leads WHERE id = ?`, id))
	return l, q.mapErr(err)
}

func (q queries) UpdateLead(ctx context.Context, l CaseLead) error {
	return mustAffect(q.exec(ctx, `UPDATE case_leads SET case_id = ?, status = ?, reason = ?, decided = ?, decided_by = ? WHERE id = ?`,
		l.CaseID, l.Status, l.Reason, micros(l.Decided), l.DecidedBy, l.ID))
}

func (q queries) ListLeads(ctx context.Context, f LeadFilter) ([]CaseLead, error) {
	where := []string{"1 = 1"}
	var args []any
	if f.Status != "" {
		where = append(where, "status = ?")
		args = append(args, f.Status)
	}
	if f.Outgoing != nil {
		where = append(where, "outgoing = ?")
		args = append(args, boolInt(*f.Outgoing))
	}
	if !f.From.IsZero() {
		where = append(where, "created >= ?")
		args = append(args, micros(f.From))
	}
	if !f.To.IsZero() {
		where = append(where, "created < ?")
		args = append(args, micros(f.To))
	}
	limit := f.Limit
	if limit <= 0 || limit > ListLimit {
		limit = ListLimit
	}
	rows, err := q.query(ctx, `SELECT `+leadCols+` FROM case_leads WHERE `+strings.Join(where, " AND ")+
		fmt.Sprintf(` ORDER BY created DESC, id DESC LIMIT %d`, limit), args...)
	return collect(rows, err, func(r *sql.Rows) (CaseLead, error) { return scanLead(r) })
}

const caseAttCols = `id, case_id, item_id, name, size, sha256, path, added_by, added`

func scanCaseAtt(s interface{ Scan(...any) error }) (CaseAttachment, error) {
	var a CaseAttachment
	var added int64
	err := s.Scan(&a.ID, &a.CaseID, &a.ItemID, &a.Name, &a.Size, &a.SHA256, &a.Path, &a.AddedBy, &added)
	a.Added = fromMicros(added)
	return a, err
}

func (q queries) InsertCaseAttachment(ctx context.Context, a CaseAttachment) error {
	_, err := q.exec(ctx, `INSERT INTO case_attachments (`+caseAttCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		a.ID, a.CaseID, a.ItemID, a.Name, a.Size, a.SHA256, a.Path, a.AddedBy, micros(a.Added))
	return err
}

func (q queries) GetCaseAttachment(ctx context.Context, id string) (CaseAttachment, error) {
	a, err := scanCaseAtt(q.row(ctx, `SELECT `+caseAttCols+` FROM case_attachments WHERE id = ?`, id))
	return a, q.mapErr(err)
}

func (q queries) ListCaseAttachments(ctx context.Context, caseID string) ([]CaseAttachment, error) {
	rows, err := q.query(ctx, `SELECT `+caseAttCols+` FROM case_attachments WHERE case_id = ? ORDER BY added, id`, caseID)
	return collect(rows, err, func(r *sql.Rows) (CaseAttachment, error) { return scanCaseAtt(r) })
}
