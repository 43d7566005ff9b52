package exercise_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/liaison-dev/liaison/internal/auth"
	"github.com/liaison-dev/liaison/internal/demo"
	"github.com/liaison-dev/liaison/internal/exercise"
	"github.com/liaison-dev/liaison/internal/progress"
	"github.com/liaison-dev/liaison/internal/request"
	"github.com/liaison-dev/liaison/internal/store"
)

// world serves a three-party demo world (US, CN, Europol) on loopback.
func world(t *testing.T) *demo.World {
	t.Helper()
	cast := append([]demo.Party{}, demo.Parties...)
	cast = append(cast, demo.Europol)
	w, err := demo.Build(t.Context(), demo.Options{Dir: filepath.Join(t.TempDir(), "world"), Log: slog.New(slog.DiscardHandler), Parties: cast})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan struct{})
	done := make(chan error, 1)
	go func() { done <- w.Serve(ctx, func() { close(ready) }) }()
	<-ready
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
		w.Close()
	})
	return w
}

// want is each bundled scenario's expected score when the automated
// responders play it as written: every check passes except the
// deliberate late acknowledgements.
var want = map[string]struct {
	passed, total int
	weak          []string
}{
	"bec-wire-fraud":       {11, 11, nil},
	"csam-hash-sharing":    {9, 9, nil},
	"firearms-marketplace": {15, 15, nil},
	"hotline-drills":       {9, 10, []string{"us-night-2 (CN): acknowledged within 15m — acknowledged after 22m, deadline 15m"}},
	"ip-theft-intrusion":   {14, 14, nil},
	"network-protection":   {15, 15, nil},
	"ransomware-hospital":  {13, 14, []string{"emergency (CN): acknowledged within 15m — acknowledged after 20m, deadline 15m"}},
	"terrorist-content":    {13, 13, nil},
}

// TestBundledScenariosScore plays every bundled scenario through real
// nodes on loopback, on a stepping clock (days of exercise time in
// seconds), and checks its scores, report and that its traffic stays out
// of real figures and is removable.
func TestBundledScenariosScore(t *testing.T) {
	w := world(t)
	targets, err := w.Targets()
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	for _, name := range exercise.Bundled() {
		t.Run(name, func(t *testing.T) {
			sc, err := exercise.LoadBundled(name)
			if err != nil {
				t.Fatal(err)
			}
			res, err := exercise.Run(t.Context(), sc, exercise.Options{Targets: targets, Play: []string{"US", "CN", "EU"},
				Clock: exercise.NewStepping(start), Poll: 10 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			for _, ir := range res.Injects {
				if ir.Error != "" {
					t.Errorf("%s: %s", ir.ID, ir.Error)
				}
			}
			wt, ok := want[name]
			if !ok {
				t.Fatalf("no expected score for %s", name)
			}
			if res.Passed != wt.passed || res.Total != wt.total || strings.Join(res.Weak, "\n") != strings.Join(wt.weak, "\n") {
				t.Errorf("score %d/%d, want %d/%d; weak points:\n%s", res.Passed, res.Total, wt.passed, wt.total, strings.Join(res.Weak, "\n"))
			}
			checkReport(t, res)
		})
	}
}

func checkReport(t *testing.T, res *exercise.Result) {
	t.Helper()
	html, err := exercise.ReportHTML(res)
	if err != nil {
		t.Fatal(err)
	}
	s := string(html)
	// The SVG namespace is a name, not a fetch.
	for _, bad := range []string{"<script", "http://", "https://", "<link", "src="} {
		if strings.Contains(strings.ReplaceAll(s, `xmlns="http://www.w3.org/2000/svg"`, ""), bad) {
			t.Errorf("report is not self-contained: contains %q", bad)
		}
	}
	// The PDF carries the same overall figures, in its text.
	var pdfb bytes.Buffer
	if err := exercise.ReportPDF(&pdfb, res); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(pdfb.Bytes(), []byte("%PDF-")) || !bytes.Contains(pdfb.Bytes(), []byte(fmt.Sprintf("%d of %d checks passed", res.Passed, res.Total))) {
		t.Errorf("PDF report lacks the overall figures %d/%d", res.Passed, res.Total)
	}
	m := regexp.MustCompile(`id="overall" data-passed="(\d+)" data-total="(\d+)"`).FindStringSubmatch(s)
	if m == nil || m[1] != itoa(res.Passed) || m[2] != itoa(res.Total) {
		t.Errorf("overall figures in report = %v, want %d/%d", m, res.Passed, res.Total)
	}
	sent, acks := 0, 0
	for _, ir := range res.Injects {
		if ir.Skipped == "" && !ir.Sent.IsZero() {
			sent++
		}
		if !ir.Acknowledged.IsZero() {
			acks++
		}
	}
	if got := strings.Count(s, `class="sent"`); got != sent {
		t.Errorf("time line has %d sent markers, want %d", got, sent)
	}
	if got := strings.Count(s, `class="ack"`); got != acks {
		t.Errorf("time line has %d acknowledgement markers, want %d", got, acks)
	}
	for _, ps := range res.Scores {
		if !strings.Contains(s, "<td>"+ps.Party+"</td>") {
			t.Errorf("report lacks party %s", ps.Party)
		}
	}
	missed := strings.Count(s, "acknowledged after")
	lateAcks := 0
	for _, w := range res.Weak {
		if strings.Contains(w, "acknowledged after") {
			lateAcks++
		}
	}
	// Each late acknowledgement shows under missed deadlines, weak points
	// and in the inject table.
	if missed != 3*lateAcks {
		t.Errorf("report shows %d late acknowledgements, want %d", missed, 3*lateAcks)
	}
	if !strings.Contains(s, "EXERCISE") {
		t.Error("report not marked EXERCISE")
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// TestExerciseTrafficStaysOut: exercise requests are flagged on both
// nodes and in the ledger, never listed among real requests, linked as
// evidence from a commitment, and purged by run without touching a real
// request.
func TestExerciseTrafficStaysOut(t *testing.T) {
	w := world(t)
	targets, err := w.Targets()
	if err != nil {
		t.Fatal(err)
	}
	var us, cn *demo.Running
	for _, r := range w.Nodes {
		switch r.Party.Code {
		case "US":
			us = r
		case "CN":
			cn = r
		}
	}
	ctx := t.Context()
	officer := &auth.Principal{User: store.User{Username: "us-officer", Roles: []string{string(auth.Officer)}, Agency: "FBI"}}
	// One real request, sent before the exercise.
	realReq, err := us.Node.Requests.Create(ctx, officer, request.Draft{Type: request.Information, Priority: request.Routine, To: "CN",
		Title: "A real lead", Fields: map[string]any{"requesting_authority": "FBI", "requesting_officer": "D", "requesting_email": "d@fbi.example",
			"time_zone": "UTC", "legal_basis": "x", "offences": []any{"fraud"}, "summary": "s", "question": "q", "reason": "r"}})
	if err != nil {
		t.Fatal(err)
	}
	sc, err := exercise.LoadBundled("bec-wire-fraud")
	if err != nil {
		t.Fatal(err)
	}
	res, err := exercise.Run(ctx, sc, exercise.Options{Targets: targets, Play: []string{"US", "CN"}, Clock: exercise.NewStepping(time.Now())})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Objects) != 2 {
		t.Fatalf("objects = %+v", res.Objects)
	}
	html, _ := exercise.ReportHTML(res)
	for _, r := range []*demo.Running{us, cn} {
		if err := exercise.Record(ctx, r.Node.Store, r.Node.Clock, "test", res, html); err != nil {
			t.Fatal(err)
		}
	}
	// Shown as exercise on both sides; never among real requests.
	for _, r := range []*demo.Running{us, cn} {
		p := &auth.Principal{User: store.User{Roles: []string{string(auth.Officer), string(auth.CentralAuthority)}}}
		no, yes := false, true
		real, err := r.Node.Requests.List(ctx, p, request.Filter{Exercise: &no})
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range real {
			if v.Exercise || strings.HasPrefix(v.Title, "EXERCISE") {
				t.Errorf("%s: exercise request %s among real requests", r.Party.Code, v.Reference)
			}
		}
		ex, err := r.Node.Requests.List(ctx, p, request.Filter{Exercise: &yes})
		if err != nil || len(ex) != 2 {
			t.Fatalf("%s: exercise requests = %d, %v", r.Party.Code, len(ex), err)
		}
		for _, v := range ex {
			if !strings.HasPrefix(v.Title, "EXERCISE bec-wire-fraud: ") {
				t.Errorf("%s: title %q not marked EXERCISE", r.Party.Code, v.Title)
			}
		}
	}
	// The ledger marks every entry about the exercise's requests.
	entries := 0
	for _, o := range res.Objects {
		es, err := us.Node.Store.ListLedger(ctx, 0, 1<<40, 100000)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range es {
			if e.ObjectID == o.ObjectID || e.Kind == exercise.KindRun {
				entries++
				if !e.Exercise {
					t.Errorf("ledger entry %d (%s %s) not marked exercise", e.Index, e.Kind, e.ObjectID)
				}
			}
		}
	}
	if entries == 0 {
		t.Fatal("no ledger entries for the exercise")
	}
	// Evidence for a commitment.
	ds, err := progress.ParseFile(progress.ExampleName, strings.NewReader(string(progress.Example())))
	if err != nil {
		t.Fatal(err)
	}
	ps := &progress.Service{Store: us.Node.Store, Clock: us.Node.Clock}
	if _, err := ps.Import(ctx, "test", ds); err != nil {
		t.Fatal(err)
	}
	var commitment string
	cs, _ := us.Node.Store.ListCommitments(ctx, store.CommitmentFilter{})
	for _, c := range cs {
		if c.Area == "exercise" {
			commitment = c.ID
			break
		}
	}
	if commitment == "" {
		t.Fatal("no exercise commitment in the example rounds")
	}
	c, err := exercise.LinkCommitment(ctx, us.Node.Store, us.Node.Clock, "test", commitment, res)
	if err != nil {
		t.Fatal(err)
	}
	if ev := c.Evidence[len(c.Evidence)-1]; ev.Kind != "exercise" || ev.Ref != "exercise-run:"+res.RunID {
		t.Fatalf("evidence = %+v", ev)
	}
	// Purge on both nodes: the exercise is gone, the real request stays,
	// the ledger keeps its entries.
	before, _ := us.Node.Store.ListLedger(ctx, 0, 1<<40, 100000)
	for _, r := range []*demo.Running{us, cn} {
		pr, err := exercise.Purge(ctx, r.Node.Store, r.Node.Clock, "test", res.RunID)
		if err != nil {
			t.Fatal(err)
		}
		if pr.Requests != 2 || pr.Kept != 0 {
			t.Errorf("%s: purge = %+v", r.Party.Code, pr)
		}
		for _, o := range res.Objects {
			if _, err := r.Node.Store.GetRequest(ctx, o.ObjectID); err == nil {
				t.Errorf("%s: %s still there", r.Party.Code, o.ObjectID)
			}
		}
	}
	if _, err := us.Node.Store.GetRequest(ctx, realReq.ID); err != nil {
		t.Fatalf("real request gone: %v", err)
	}
	after, _ := us.Node.Store.ListLedger(ctx, 0, 1<<40, 100000)
	if len(after) < len(before) {
		t.Fatalf("ledger shrank: %d -> %d", len(before), len(after))
	}
}
