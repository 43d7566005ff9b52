package progress

import (
	"bytes"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/liaison-dev/liaison/internal/clock"
	"github.com/liaison-dev/liaison/internal/store"
	"github.com/liaison-dev/liaison/internal/store/sqlite"
	"github.com/liaison-dev/liaison/internal/validation"
)

var t0 = time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC)

func newService(t *testing.T) *Service {
	s, err := sqlite.Open(t.Context(), sqlite.Config{Path: filepath.Join(t.TempDir(), "liaison.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return &Service{Store: s, Clock: clock.NewFake(t0)}
}

func TestExampleDataSet(t *testing.T) {
	ds, err := ParseFile(ExampleName, bytes.NewReader(Example()))
	if err != nil {
		t.Fatal(err)
	}
	var slugs []string
	for _, r := range ds.Rounds {
		slugs = append(slugs, r.Date+" "+r.Place)
	}
	want := []string{"2015-09-25 Washington, D.C.", "2015-12-01 Washington, D.C.", "2016-06-14 Beijing", "2016-12-07 Washington, D.C.", "2017-10-04 Washington, D.C."}
	if strings.Join(slugs, "|") != strings.Join(want, "|") {
		t.Fatalf("rounds = %q", slugs)
	}
	s := newService(t)
	res, err := s.Import(t.Context(), "test", ds)
	if err != nil {
		t.Fatal(err)
	}
	if res.Rounds != 5 || res.Commitments != 25 {
		t.Fatalf("import = %+v", res)
	}
	sums, err := s.Rounds(t.Context())
	if err != nil || len(sums) != 5 || sums[2].Commitments != 11 || sums[1].ByStatus["done"] != 2 {
		t.Fatalf("Rounds = %+v, %v", sums, err)
	}
	d, err := s.Round(t.Context(), 2)
	if err != nil || d.Commitments[2].ID != "2016-06-hotline-test" || d.Commitments[2].Due != "2016-08-31" || d.CoChairs[0].Name != "Guo Shengkun" {
		t.Fatalf("Round(2) = %+v, %v", d, err)
	}
	// Re-importing is idempotent, and the import is in the record.
	if _, err := s.Import(t.Context(), "test", ds); err != nil {
		t.Fatal(err)
	}
	if n, _ := s.Store.LedgerSize(t.Context()); n != 2 {
		t.Fatalf("ledger entries after two imports = %d", n)
	}
	if a, _ := s.Store.ListAudit(t.Context(), store.AuditFilter{ObjectType: "rounds"}); len(a) != 2 {
		t.Fatalf("audit entries = %d", len(a))
	}
}

func TestJSONFile(t *testing.T) {
	ds, err := ParseFile(ExampleName, bytes.NewReader(Example()))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.MarshalIndent(ds, "", "  ")
	again, err := ParseFile("rounds.json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	b2, _ := json.Marshal(again)
	b1, _ := json.Marshal(ds)
	if !bytes.Equal(b1, b2) {
		t.Fatal("JSON round trip changed the data set")
	}
}

func fieldsOf(t *testing.T, err error) map[string]string {
	t.Helper()
	fe, ok := validation.As(err)
	if !ok {
		t.Fatalf("not field errors: %v", err)
	}
	out := map[string]string{}
	for _, f := range fe {
		out[f.Field] = f.Detail
	}
	return out
}

func TestErrorsNameFileLineAndField(t *testing.T) {
	src := `format: liaison-rounds/v1
rounds:
  - number: 1
    slug: first
    kind: dialogue
    title: First
    date: "2015-13-01"
    place: Washington
    co_chairs:
      - {party: us, name: X}
    commitments:
      - id: c1
        area: hotline
        text: Test the hotline
        owners: [{party: CN}]
        status: finished
        evidence:
          - {kind: drill, ref: ""}
      - id: c1
        area: nope
        text: Again
        status: open
`
	_, err := ParseFile("rounds.yaml", strings.NewReader(src))
	got := fieldsOf(t, err)
	for field, detail := range map[string]string{
		"rounds.yaml:7 rounds[0].date":                            "must be a date YYYY-MM-DD",
		"rounds.yaml:10 rounds[0].co_chairs[0].party":             "must be a party code such as US or CN",
		"rounds.yaml:16 rounds[0].commitments[0].status":          "must be one of",
		"rounds.yaml:18 rounds[0].commitments[0].evidence[0].ref": "is required",
		"rounds.yaml:19 rounds[0].commitments[1].id":              "appears twice",
		"rounds.yaml:20 rounds[0].commitments[1].area":            "must be one of",
		"rounds.yaml:19 rounds[0].commitments[1].owners":          "must name at least one owner",
	} {
		if !strings.HasPrefix(got[field], detail) {
			t.Errorf("%s: got %q, want %q (all: %v)", field, got[field], detail, got)
		}
	}
	if len(got) != 7 {
		t.Errorf("%d errors: %v", len(got), got)
	}
}

func TestSyntaxAndUnknownFieldErrors(t *testing.T) {
	for name, tc := range map[string]struct{ src, field, detail string }{
		"unknown field": {"format: liaison-rounds/v1\nrounds:\n  - number: 1\n    venue: x\n", "rounds.yaml:4", "field venue not found"},
		"bad yaml":      {"format: [\n", "rounds.yaml:1", "did not find expected"},
		"wrong type":    {"format: liaison-rounds/v1\nrounds:\n  - number: one\n", "rounds.yaml:3", "cannot unmarshal"},
		"empty":         {"", "rounds.yaml", "is empty"},
		"wrong format":  {"format: other\nrounds: []\n", "rounds.yaml:1 format", "must be liaison-rounds/v1"},
	} {
		_, err := ParseFile("rounds.yaml", strings.NewReader(tc.src))
		got := fieldsOf(t, err)
		if !strings.Contains(got[tc.field], tc.detail) {
			t.Errorf("%s: %v; want %s: %s", name, got, tc.field, tc.detail)
		}
	}
}

func TestUpdateCommitment(t *testing.T) {
	s := newService(t)
	ds, _ := ParseFile(ExampleName, bytes.NewReader(Example()))
	if _, err := s.Import(t.Context(), "test", ds); err != nil {
		t.Fatal(err)
	}
	c, err := s.UpdateCommitment(t.Context(), "supervisor", "2016-06-hotline-test", StatusChange{Status: "done",
		Evidence: []EvidenceFile{{Kind: "drill", Ref: "drill-42", Date: "2026-11-02"}}})
	if err != nil || c.Status != "done" || len(c.Evidence) != 1 || !c.Updated.Equal(t0) {
		t.Fatalf("UpdateCommitment = %+v, %v", c, err)
	}
	_, err = s.UpdateCommitment(t.Context(), "supervisor", "2016-06-hotline-test", StatusChange{Status: "finished", Evidence: []EvidenceFile{{Kind: "x"}}})
	got := fieldsOf(t, err)
	if got["status"] == "" || got["evidence[0].kind"] == "" || got["evidence[0].ref"] == "" {
		t.Fatalf("field errors = %v", got)
	}
	if _, err := s.UpdateCommitment(t.Context(), "supervisor", "nope", StatusChange{Status: "done"}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown commitment: %v", err)
	}
}
