package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
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
