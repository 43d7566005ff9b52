package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"time"
)

// ProgressQueries are the reads and writes of dialogue rounds and their
// commitments (internal/progress).
type ProgressQueries interface {
	// UpsertRound creates round r.Number or replaces its fields.
	UpsertRound(ctx context.Context, r Round) error
	GetRound(ctx context.Context, number int) (Round, error)
	// ListRounds returns every round, by number.
	ListRounds(ctx context.Context) ([]Round, error)
	// UpsertCommitment creates commitment c.ID or replaces its fields.
	UpsertCommitment(ctx context.Context, c Commitment) error
	GetCommitment(ctx context.Context, id string) (Commitment, error)
	// ListCommitments returns the commitments matching f, by round and seq.
	ListCommitments(ctx context.Context, f CommitmentFilter) ([]Commitment, error)

	// ScanRequestFacts calls fn for every request of part p of the record
	// that is not exercise traffic, in no particular order, streaming (no
	// limit): the progress metrics read the whole record. The zero FactPart
	// is the whole record. An error from fn stops the scan.
	ScanRequestFacts(ctx context.Context, p FactPart, fn func(RequestFact) error) error
	// RequestFactParts splits the record into at most n parts that
	// ScanRequestFacts can read at the same time, each request in exactly
	// one of them. SQLite reads on the caller's goroutine, so parts read
	// concurrently use several cores: ranges of rowid. PostgreSQL has one
	// part, the whole record.
	RequestFactParts(ctx context.Context, n int) ([]FactPart, error)
	// RequestCounts counts non-exercise requests by requesting party,
	// requested party, type and priority with one SQL aggregate.
	RequestCounts(ctx context.Context) ([]RequestCount, error)
	// ListEnvelopeFacts returns the envelopes of the given types this node
	// sent and saw delivered (one per recipient; exercise traffic
	// excluded) and received, created in [from, to): what either side of
	// a delivery counts alike.
	ListEnvelopeFacts(ctx context.Context, types []string, from, to time.Time) ([]EnvelopeFact, error)
	// LoadRequests bulk-inserts requests, many per statement (benchmarks
	// and bulk imports; the request service inserts one at a time with its
	// events). Use inside InTx; a reused ID is ErrConflict.
	LoadRequests(ctx context.Context, rs []RequestRow) error
	// ListCaseFacts returns the cases (exercise excluded) created or last
	// updated in [from, to).
	ListCaseFacts(ctx context.Context, from, to time.Time) ([]CaseFact, error)
	// ListLeadFacts returns the leads created or decided in [from, to).
	ListLeadFacts(ctx context.Context, from, to time.Time) ([]LeadFact, error)

	// PutReport keeps a report made or verified here; the same figures
	// twice is ErrConflict.
	PutReport(ctx context.Context, r StoredReport) error
	GetReport(ctx context.Context, figuresHash string) (StoredReport, error)
	// ListReports returns the newest reports first, at most limit.
	ListReports(ctx context.Context, limit int) ([]StoredReport, error)
	// AddReportCosignature stores a party's cosignature of a kept report;
	// a second one by the same party is ErrConflict.
	AddReportCosignature(ctx context.Context, c ReportCosignature) error
	ListReportCosignatures(ctx context.Context, figuresHash string) ([]ReportCosignature, error)
}

// StoredReport is a progress report as kept: Report is its JSON.
type StoredReport struct {
	FiguresHash string
	Origin      string
	Round       int
	Checkpoint  int64
	Report      []byte
	Created     time.Time
}

// ReportCosignature is a party's signature over a report's figures.
type ReportCosignature struct {
	FiguresHash string
	Party       string
	Signature   string
	At          time.Time
}

// CaseFact is what the progress metrics count of a case.
type CaseFact struct {
	Origin, Category, Status string
	Created, Updated         time.Time
}

// LeadFact is what the progress metrics count of a lead.
type LeadFact struct {
	From, To, Status, Category string
	Created, Decided           time.Time
}

// FactPart is a part of the requests table: the rows whose SQLite rowid is
// in [From, To). The zero value is the whole table.
type FactPart struct {
	From, To int64
}

// RequestFact is what the progress metrics read of a request. Type,
// Priority, Requesting and Requested are shared strings; ID, Content and
// State are only valid until fn returns.
type RequestFact struct {
	ID         []byte
	Type       string
	Priority   string
	Requesting string
	Requested  string
	Created    time.Time
	// Content is the request's content JSON (for its crime category).
	Content []byte
	// State is the request package's derived state JSON.
	State []byte
}

// RequestCount is one group of RequestCounts.
type RequestCount struct {
	Requesting, Requested, Type, Priority string
	Count                                 int64
}

// EnvelopeFact is one envelope sent to or received from Peer.
type EnvelopeFact struct {
	Type     string
	Peer     string
	Outgoing bool
	Created  time.Time
}

// Round is one dialogue round (or the summit that set the agenda).
type Round struct {
	Number   int       `json:"number"`
	Slug     string    `json:"slug"`
	Kind     string    `json:"kind"`
	Title    string    `json:"title"`
	Date     string    `json:"date"`
	Place    string    `json:"place"`
	CoChairs []CoChair `json:"co_chairs"`
	Summary  string    `json:"summary"`
	Sources  []string  `json:"sources"`
	Updated  time.Time `json:"updated"`
}

// CoChair is a person who chaired a round for a party.
type CoChair struct {
	Party string `json:"party"`
	Name  string `json:"name"`
	Title string `json:"title,omitempty"`
}

// Commitment is an outcome of a round that someone owns.
type Commitment struct {
	ID       string     `json:"id"`
	Round    int        `json:"round"`
	Seq      int        `json:"seq"`
	Area     string     `json:"area"`
	Text     string     `json:"text"`
	Owners   []Owner    `json:"owners"`
	Due      string     `json:"due,omitempty"`
	Status   string     `json:"status"`
	Evidence []Evidence `json:"evidence"`
	Notes    string     `json:"notes,omitempty"`
	Updated  time.Time  `json:"updated"`
}

// Owner is a party, and optionally one of its agencies, answerable for a
// commitment.
type Owner struct {
	Party  string `json:"party"`
	Agency string `json:"agency,omitempty"`
}

// Evidence links a commitment to what shows its progress: a request, drill,
// exercise, case, seminar, meeting or document.
type Evidence struct {
	Kind string `json:"kind"`
	Ref  string `json:"ref"`
	Date string `json:"date,omitempty"`
	Note string `json:"note,omitempty"`
}

// CommitmentFilter selects commitments; zero fields select all.
type CommitmentFilter struct {
	Round  *int
	Status string
	Party  string
}

func toJSON(v any) (string, error) {
	b, err := json.Marshal(v)
	return string(b), err
}

func (q queries) UpsertRound(ctx context.Context, r Round) error {
	chairs, err := toJSON(emptyIfNil(r.CoChairs))
	if err != nil {
		return err
	}
	sources, err := toJSON(emptyIfNil(r.Sources))
	if err != nil {
		return err
	}
	_, err = q.exec(ctx, `INSERT INTO progress_rounds (number, slug, kind, title, date, place, co_chairs, summary, sources, updated)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (number) DO UPDATE SET slug = excluded.slug, kind = excluded.kind, title = excluded.title,
		date = excluded.date, place = excluded.place, co_chairs = excluded.co_chairs, summary = excluded.summary,
		sources = excluded.sources, updated = excluded.updated`,
		r.Number, r.Slug, r.Kind, r.Title, r.Date, r.Place, chairs, r.Summary, sources, micros(r.Updated))
	return err
}

const roundCols = `number, slug, kind, title, date, place, co_chairs, summary, sources, updated`

func scanRound(s interface{ Scan(...any) error }) (Round, error) {
	var r Round
	var chairs, sources string
	var updated int64
	if err := s.Scan(&r.Number, &r.Slug, &r.Kind, &r.Title, &r.Date, &r.Place, &chairs, &r.Summary, &sources, &updated); err != nil {
		return r, err
	}
	r.Updated = fromMicros(updated)
	if err := json.Unmarshal([]byte(chairs), &r.CoChairs); err != nil {
		return r, fmt.Errorf("store: round %d co_chairs: %w", r.Number, err)
	}
	if err := json.Unmarshal([]byte(sources), &r.Sources); err != nil {
		return r, fmt.Errorf("store: round %d sources: %w", r.Number, err)
	}
	return r, nil
}

func (q queries) GetRound(ctx context.Context, number int) (Round, error) {
	r, err := scanRound(q.row(ctx, `SELECT `+roundCols+` FROM progress_rounds WHERE number = ?`, number))
	return r, q.mapErr(err)
}

func (q queries) ListRounds(ctx context.Context) ([]Round, error) {
	rows, err := q.query(ctx, `SELECT `+roundCols+` FROM progress_rounds ORDER BY number`)
	return collect(rows, err, func(r *sql.Rows) (Round, error) { return scanRound(r) })
}

func (q queries) UpsertCommitment(ctx context.Context, c Commitment) error {
	owners, err := toJSON(emptyIfNil(c.Owners))
	if err != nil {
		return err
	}
	evidence, err := toJSON(emptyIfNil(c.Evidence))
	if err != nil {
		return err
	}
	_, err = q.exec(ctx, `INSERT INTO progress_commitments (id, round, seq, area, text, owners, due, status, evidence, notes, updated)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET round = excluded.round, seq = excluded.seq, area = excluded.area,
		text = excluded.text, owners = excluded.owners, due = excluded.due, status = excluded.status,
		evidence = excluded.evidence, notes = excluded.notes, updated = excluded.updated`,
		c.ID, c.Round, c.Seq, c.Area, c.Text, owners, c.Due, c.Status, evidence, c.Notes, micros(c.Updated))
	return err
}

const commitmentCols = `id, round, seq, area, text, owners, due, status, evidence, notes, updated`

func scanCommitment(s interface{ Scan(...any) error }) (Commitment, error) {
	var c Commitment
	var owners, evidence string
	var updated int64
	if err := s.Scan(&c.ID, &c.Round, &c.Seq, &c.Area, &c.Text, &owners, &c.Due, &c.Status, &evidence, &c.Notes, &updated); err != nil {
		return c, err
	}
	c.Updated = fromMicros(updated)
	if err := json.Unmarshal([]byte(owners), &c.Owners); err != nil {
		return c, fmt.Errorf("store: commitment %s owners: %w", c.ID, err)
	}
	if err := json.Unmarshal([]byte(evidence), &c.Evidence); err != nil {
		return c, fmt.Errorf("store: commitment %s evidence: %w", c.ID, err)
	}
	return c, nil
}

func (q queries) GetCommitment(ctx context.Context, id string) (Commitment, error) {
	c, err := scanCommitment(q.row(ctx, `SELECT `+commitmentCols+` FROM progress_commitments WHERE id = ?`, id))
	return c, q.mapErr(err)
}

func (q queries) ListCommitments(ctx context.Context, f CommitmentFilter) ([]Commitment, error) {
	where := []string{"1 = 1"}
	var args []any
	if f.Round != nil {
		where = append(where, "round = ?")
		args = append(args, *f.Round)
	}
	if f.Status != "" {
		where = append(where, "status = ?")
		args = append(args, f.Status)
	}
	rows, err := q.query(ctx, `SELECT `+commitmentCols+` FROM progress_commitments WHERE `+strings.Join(where, " AND ")+
		` ORDER BY round, seq, id`, args...)
	list, err := collect(rows, err, func(r *sql.Rows) (Commitment, error) { return scanCommitment(r) })
	if err != nil || f.Party == "" {
		return list, err
	}
	// Owners are a JSON list; filtering by party happens here rather than
	// in dialect-specific JSON SQL. Rounds hold tens of commitments.
	out := list[:0]
	for _, c := range list {
		for _, o := range c.Owners {
			if o.Party == f.Party {
				out = append(out, c)
				break
			}
		}
	}
	return out, nil
}

func emptyIfNil[T any](v []T) []T {
	if v == nil {
		return []T{}
	}
	return v
}

func (q queries) RequestFactParts(ctx context.Context, n int) ([]FactPart, error) {
	if q.d.Name != "sqlite" || n <= 1 {
		return []FactPart{{}}, nil
	}
	var lo, hi sql.NullInt64
	if err := q.row(ctx, `SELECT MIN(rowid), MAX(rowid) FROM requests`).Scan(&lo, &hi); err != nil {
		return nil, err
	}
	if !lo.Valid || hi.Int64-lo.Int64 < int64(n) {
		return []FactPart{{}}, nil
	}
	span := (hi.Int64 - lo.Int64 + 1) / int64(n)
	parts := make([]FactPart, n)
	for i := range parts {
		parts[i] = FactPart{From: lo.Int64 + int64(i)*span, To: lo.Int64 + int64(i+1)*span}
	}
	// The first and last parts are open-ended: rows written since are in
	// one of them.
	parts[0].From, parts[n-1].To = math.MinInt64, math.MaxInt64
	return parts, nil
}

func (q queries) ScanRequestFacts(ctx context.Context, p FactPart, fn func(RequestFact) error) error {
	query := `SELECT id, type, priority, requesting, requested, created, content, state FROM requests WHERE exercise = 0`
	var args []any
	if p != (FactPart{}) {
		query += ` AND rowid >= ? AND rowid < ?`
		args = []any{p.From, p.To}
	}
	rows, err := q.query(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	var id, typ, prio, from, to, content, state sql.RawBytes
	// The grouping columns take a handful of values: each is kept once.
	shared := map[string]string{}
	intern := func(b []byte) string {
		if s, ok := shared[string(b)]; ok {
			return s
		}
		s := string(b)
		shared[s] = s
		return s
	}
	for rows.Next() {
		var created int64
		if err := rows.Scan(&id, &typ, &prio, &from, &to, &created, &content, &state); err != nil {
			return err
		}
		// RawBytes are only valid until the next Scan: fn must not keep them.
		f := RequestFact{ID: id, Type: intern(typ), Priority: intern(prio), Requesting: intern(from), Requested: intern(to),
			Created: fromMicros(created), Content: content, State: state}
		if err := fn(f); err != nil {
			return err
		}
	}
	return rows.Err()
}

func (q queries) RequestCounts(ctx context.Context) ([]RequestCount, error) {
	rows, err := q.query(ctx, `SELECT requesting, requested, type, priority, COUNT(*) FROM requests WHERE exercise = 0
		GROUP BY requesting, requested, type, priority ORDER BY requesting, requested, type, priority`)
	return collect(rows, err, func(r *sql.Rows) (RequestCount, error) {
		var c RequestCount
		err := r.Scan(&c.Requesting, &c.Requested, &c.Type, &c.Priority, &c.Count)
		return c, err
	})
}

func (q queries) ListEnvelopeFacts(ctx context.Context, types []string, from, to time.Time) ([]EnvelopeFact, error) {
	if len(types) == 0 {
		return []EnvelopeFact{}, nil
	}
	in := "?" + strings.Repeat(", ?", len(types)-1)
	args := []any{}
	for _, t := range types {
		args = append(args, t)
	}
	args = append(args, micros(from), micros(to))
	rows, err := q.query(ctx, `SELECT m.type, o.recipient, m.created FROM fed_messages m JOIN fed_outbox o ON o.envelope_id = m.envelope_id
		WHERE m.exercise = 0 AND o.state = 1 AND m.type IN (`+in+`) AND m.created >= ? AND m.created < ? ORDER BY m.created, o.recipient`, args...)
	out, err := collect(rows, err, func(r *sql.Rows) (EnvelopeFact, error) {
		f := EnvelopeFact{Outgoing: true}
		var c int64
		err := r.Scan(&f.Type, &f.Peer, &c)
		f.Created = fromMicros(c)
		return f, err
	})
	if err != nil {
		return nil, err
	}
	rows, err = q.query(ctx, `SELECT type, sender, created FROM fed_inbox
		WHERE type IN (`+in+`) AND created >= ? AND created < ? ORDER BY created, sender`, args...)
	in2, err := collect(rows, err, func(r *sql.Rows) (EnvelopeFact, error) {
		var f EnvelopeFact
		var c int64
		err := r.Scan(&f.Type, &f.Peer, &c)
		f.Created = fromMicros(c)
		return f, err
	})
	return append(out, in2...), err
}

// loadRequestRows is how many requests one INSERT carries: 19 parameters
// each stays below both backends' parameter limits.
const loadRequestRows = 100

func (q queries) LoadRequests(ctx context.Context, rs []RequestRow) error {
	one := "(?" + strings.Repeat(", ?", 18) + ")"
	for start := 0; start < len(rs); start += loadRequestRows {
		part := rs[start:min(start+loadRequestRows, len(rs))]
		args := make([]any, 0, 19*len(part))
		for _, r := range part {
			args = append(args, r.ID, r.Reference, r.Type, r.Priority, r.Requesting, r.Requested, boolInt(r.Outgoing), boolInt(r.Exercise),
				boolInt(r.Confidential), wrapList(r.VisibleTo), r.CreatedBy, micros(r.Created), string(r.Content), r.Status, r.LinkedMLA,
				r.Lamport, micros(r.NextDue), micros(r.Updated), string(r.State))
		}
		if _, err := q.exec(ctx, `INSERT INTO requests (`+requestCols+`) VALUES `+one+strings.Repeat(", "+one, len(part)-1), args...); err != nil {
			return err
		}
	}
	return nil
}

func (q queries) ListCaseFacts(ctx context.Context, from, to time.Time) ([]CaseFact, error) {
	f, t := micros(from), micros(to)
	rows, err := q.query(ctx, `SELECT origin, category, status, created, updated FROM cases
		WHERE exercise = 0 AND ((created >= ? AND created < ?) OR (updated >= ? AND updated < ?)) ORDER BY created, id`, f, t, f, t)
	return collect(rows, err, func(r *sql.Rows) (CaseFact, error) {
		var c CaseFact
		var cr, up int64
		err := r.Scan(&c.Origin, &c.Category, &c.Status, &cr, &up)
		c.Created, c.Updated = fromMicros(cr), fromMicros(up)
		return c, err
	})
}

func (q queries) ListLeadFacts(ctx context.Context, from, to time.Time) ([]LeadFact, error) {
	f, t := micros(from), micros(to)
	rows, err := q.query(ctx, `SELECT from_party, to_party, status, category, created, decided FROM case_leads
		WHERE (created >= ? AND created < ?) OR (decided >= ? AND decided < ?) ORDER BY created, id`, f, t, f, t)
	return collect(rows, err, func(r *sql.Rows) (LeadFact, error) {
		var l LeadFact
		var cr, de int64
		err := r.Scan(&l.From, &l.To, &l.Status, &l.Category, &cr, &de)
		l.Created, l.Decided = fromMicros(cr), fromMicros(de)
		return l, err
	})
}

func (q queries) PutReport(ctx context.Context, r StoredReport) error {
	_, err := q.exec(ctx, `INSERT INTO progress_reports (figures_hash, origin, round, checkpoint, report, created) VALUES (?, ?, ?, ?, ?, ?)`,
		r.FiguresHash, r.Origin, r.Round, r.Checkpoint, string(r.Report), micros(r.Created))
	return err
}

const reportCols = `figures_hash, origin, round, checkpoint, report, created`

func scanReport(s interface{ Scan(...any) error }) (StoredReport, error) {
	var r StoredReport
	var rep string
	var created int64
	err := s.Scan(&r.FiguresHash, &r.Origin, &r.Round, &r.Checkpoint, &rep, &created)
	r.Report, r.Created = []byte(rep), fromMicros(created)
	return r, err
}

func (q queries) GetReport(ctx context.Context, figuresHash string) (StoredReport, error) {
	r, err := scanReport(q.row(ctx, `SELECT `+reportCols+` FROM progress_reports WHERE figures_hash = ?`, figuresHash))
	return r, q.mapErr(err)
}

func (q queries) ListReports(ctx context.Context, limit int) ([]StoredReport, error) {
	if limit <= 0 || limit > ListLimit {
		limit = ListLimit
	}
	rows, err := q.query(ctx, `SELECT `+reportCols+` FROM progress_reports ORDER BY created DESC, figures_hash`+fmt.Sprintf(` LIMIT %d`, limit))
	return collect(rows, err, func(r *sql.Rows) (StoredReport, error) { return scanReport(r) })
}

func (q queries) AddReportCosignature(ctx context.Context, c ReportCosignature) error {
	_, err := q.exec(ctx, `INSERT INTO progress_report_cosignatures (figures_hash, party, signature, at) VALUES (?, ?, ?, ?)`,
		c.FiguresHash, c.Party, c.Signature, micros(c.At))
	return err
}

func (q queries) ListReportCosignatures(ctx context.Context, figuresHash string) ([]ReportCosignature, error) {
	rows, err := q.query(ctx, `SELECT figures_hash, party, signature, at FROM progress_report_cosignatures WHERE figures_hash = ? ORDER BY party`, figuresHash)
	return collect(rows, err, func(r *sql.Rows) (ReportCosignature, error) {
		var c ReportCosignature
		var at int64
		err := r.Scan(&c.FiguresHash, &c.Party, &c.Signature, &at)
		c.At = fromMicros(at)
		return c, err
	})
}
