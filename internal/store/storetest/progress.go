package storetest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/liaison-dev/liaison/internal/store"
)

// testProgressFacts covers what the progress metrics read: the bulk load
// and streaming scan of requests (exercise traffic excluded), the SQL
// baseline aggregate, intelligence envelopes sent and received, and the
// latest cosignature of a witness.
func testProgressFacts(t *testing.T, s *store.SQL) {
	ctx := t.Context()
	var rs []store.RequestRow
	for i := range 250 { // three INSERT statements of LoadRequests
		from, to := "US", "CN"
		if i%5 == 0 {
			from, to = "CN", "US"
		}
		rs = append(rs, store.RequestRow{ID: fmt.Sprintf("req%03d", i), Reference: fmt.Sprint("R", i), Type: []string{"preservation", "mla"}[i%2],
			Priority: "routine", Requesting: from, Requested: to, Outgoing: from == "US", Exercise: i%10 == 9, VisibleTo: []string{},
			CreatedBy: "t", Created: t0.Add(time.Duration(i) * time.Second), Content: []byte(`{"crime_category":"fraud"}`), Status: "sent",
			Updated: t0, State: []byte(fmt.Sprintf(`{"status":"sent","n":%d}`, i))})
	}
	if err := s.InTx(ctx, func(q store.Queries) error { return q.LoadRequests(ctx, rs) }); err != nil {
		t.Fatal(err)
	}
	if err := s.InTx(ctx, func(q store.Queries) error { return q.LoadRequests(ctx, rs[:1]) }); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("reloading a request: %v, want ErrConflict", err)
	}
	for _, n := range []int{1, 2, 3, 1000} {
		parts, err := s.RequestFactParts(ctx, n)
		if err != nil || len(parts) < 1 || len(parts) > n {
			t.Fatalf("RequestFactParts(%d) = %v, %v", n, parts, err)
		}
		seen := map[string]bool{}
		for _, p := range parts {
			err := s.ScanRequestFacts(ctx, p, func(f store.RequestFact) error {
				var i int
				fmt.Sscanf(string(f.ID), "req%03d", &i)
				r := rs[i]
				if r.Exercise || seen[string(f.ID)] || f.Type != r.Type || f.Priority != r.Priority || f.Requesting != r.Requesting || f.Requested != r.Requested ||
					!f.Created.Equal(r.Created) || string(f.State) != string(r.State) || string(f.Content) != string(r.Content) {
					return fmt.Errorf("fact %+v for %+v", f, r)
				}
				seen[string(f.ID)] = true
				return nil
			})
			if err != nil {
				t.Fatalf("scan of %d parts: %v", n, err)
			}
		}
		if len(seen) != 225 {
			t.Fatalf("scan of %d parts: %d facts", n, len(seen))
		}
	}
	stop := errors.New("stop")
	if err := s.ScanRequestFacts(ctx, store.FactPart{}, func(store.RequestFact) error { return stop }); !errors.Is(err, stop) {
		t.Fatalf("scan stopped by fn: %v", err)
	}
	counts, err := s.RequestCounts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// 225 real requests (every tenth is exercise, never one of the CN→US
	// i%5 == 0): 50 CN→US, half mla; 175 US→CN, of which 100 preservation.
	want := "[{CN US mla routine 25} {CN US preservation routine 25} {US CN mla routine 75} {US CN preservation routine 100}]"
	if fmt.Sprint(counts) != want {
		t.Fatalf("counts = %v, want %v", counts, want)
	}

	for i, m := range []store.OutboxMessage{
		{EnvelopeID: "o1", Type: "intel.objects", Recipients: []string{"CN", "EU"}, Created: t0},
		{EnvelopeID: "o2", Type: "intel.sample", Recipients: []string{"CN"}, Created: t0.Add(time.Hour)},
		{EnvelopeID: "o3", Type: "intel.objects", Recipients: []string{"CN"}, Created: t0, Exercise: true},
		{EnvelopeID: "o4", Type: "request.send", Recipients: []string{"CN"}, Created: t0},
		{EnvelopeID: "o5", Type: "intel.objects", Recipients: []string{"CN"}, Created: t0.Add(-time.Hour)},
		{EnvelopeID: "o6", Type: "intel.objects", Recipients: []string{"CN"}, Created: t0}, // not delivered yet
	} {
		m.Payload, m.Attachments = []byte("{}"), "[]"
		if err := s.InsertOutbox(ctx, m, i); err != nil {
			t.Fatal(err)
		}
		if m.EnvelopeID == "o6" {
			continue
		}
		for _, r := range m.Recipients {
			if err := s.MarkOutboxDelivered(ctx, m.EnvelopeID, r, t0.Add(2*time.Hour)); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, e := range []store.InboxEntry{
		{EnvelopeID: "i1", Sender: "CN", Type: "intel.objects", Created: t0.Add(time.Minute)},
		{EnvelopeID: "i2", Sender: "CN", Type: "hotline.drill", Created: t0},
	} {
		e.Received, e.EnvelopeHash, e.Envelope, e.Receipt = t0, "h", []byte("e"), []byte("r")
		if err := s.InsertInbox(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	facts, err := s.ListEnvelopeFacts(ctx, []string{"intel.objects", "intel.sample"}, t0, t0.Add(24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	got := ""
	for _, f := range facts {
		got += fmt.Sprintf("%s %s %v %s|", f.Type, f.Peer, f.Outgoing, f.Created.Sub(t0))
	}
	if want := "intel.objects CN true 0s|intel.objects EU true 0s|intel.sample CN true 1h0m0s|intel.objects CN false 1m0s|"; got != want {
		t.Fatalf("envelope facts = %s, want %s", got, want)
	}
	if f, err := s.ListEnvelopeFacts(ctx, nil, t0, t0.Add(time.Hour)); err != nil || len(f) != 0 {
		t.Fatalf("no types: %v %v", f, err)
	}

	for _, c := range []store.CaseRow{
		{ID: "k1", Origin: "US", Category: "fraud", Status: "open", Created: t0, Updated: t0},
		{ID: "k2", Origin: "CN", Category: "fraud", Status: "closed", Created: t0.Add(-48 * time.Hour), Updated: t0.Add(time.Hour)},
		{ID: "k3", Origin: "US", Category: "fraud", Status: "open", Created: t0.Add(-48 * time.Hour), Updated: t0.Add(-24 * time.Hour)},
		{ID: "k4", Origin: "US", Category: "fraud", Status: "open", Created: t0, Updated: t0, Exercise: true},
	} {
		c.Reference, c.Title, c.Parties, c.Agencies, c.State = c.ID, c.ID, []string{"US"}, []string{}, []byte("{}")
		if err := s.InsertCase(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	cf, err := s.ListCaseFacts(ctx, t0, t0.Add(24*time.Hour))
	if err != nil || fmt.Sprint(len(cf)) != "2" || cf[0].Origin != "CN" || cf[0].Status != "closed" || !cf[1].Created.Equal(t0) {
		t.Fatalf("case facts = %+v, %v", cf, err)
	}
	for _, l := range []store.CaseLead{
		{ID: "l1", From: "US", To: "CN", Status: "accepted", Category: "fraud", Created: t0.Add(-time.Hour), Decided: t0.Add(time.Hour)},
		{ID: "l2", From: "US", To: "CN", Status: "sent", Category: "fraud", Created: t0.Add(-time.Hour)},
	} {
		l.Title, l.Body = l.ID, []byte("{}")
		if err := s.InsertLead(ctx, l); err != nil {
			t.Fatal(err)
		}
	}
	lf, err := s.ListLeadFacts(ctx, t0, t0.Add(24*time.Hour))
	if err != nil || len(lf) != 1 || lf[0].Status != "accepted" || !lf[0].Decided.Equal(t0.Add(time.Hour)) {
		t.Fatalf("lead facts = %+v, %v", lf, err)
	}

	for i, h := range []string{"aa", "bb"} {
		if err := s.PutReport(ctx, store.StoredReport{FiguresHash: h, Origin: "US", Round: 4, Checkpoint: int64(10 + i), Report: []byte(`{"r":1}`),
			Created: t0.Add(time.Duration(i) * time.Hour)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.PutReport(ctx, store.StoredReport{FiguresHash: "aa", Origin: "US", Report: []byte("{}"), Created: t0}); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("same report twice: %v", err)
	}
	if r, err := s.GetReport(ctx, "aa"); err != nil || r.Checkpoint != 10 || string(r.Report) != `{"r":1}` || !r.Created.Equal(t0) {
		t.Fatalf("GetReport = %+v, %v", r, err)
	}
	if _, err := s.GetReport(ctx, "zz"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("missing report: %v", err)
	}
	if rs, err := s.ListReports(ctx, 10); err != nil || len(rs) != 2 || rs[0].FiguresHash != "bb" {
		t.Fatalf("ListReports = %+v, %v", rs, err)
	}
	for _, p := range []string{"US", "CN"} {
		if err := s.AddReportCosignature(ctx, store.ReportCosignature{FiguresHash: "aa", Party: p, Signature: "sig " + p, At: t0}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.AddReportCosignature(ctx, store.ReportCosignature{FiguresHash: "aa", Party: "CN", Signature: "again", At: t0}); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("second cosignature by CN: %v", err)
	}
	if cs, err := s.ListReportCosignatures(ctx, "aa"); err != nil || len(cs) != 2 || cs[0].Party != "CN" || cs[1].Signature != "sig US" {
		t.Fatalf("ListReportCosignatures = %+v, %v", cs, err)
	}

	if _, err := s.LatestLedgerCosignature(ctx, "w/a"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("no cosignature yet: %v", err)
	}
	for _, n := range []int64{3, 9, 5} {
		if err := s.AddLedgerCheckpoint(ctx, store.LedgerCheckpoint{Size: n, Root: make([]byte, 32), At: t0, Note: []byte(fmt.Sprint("note ", n))}); err != nil {
			t.Fatal(err)
		}
		if err := s.AddLedgerCosignature(ctx, store.LedgerCosignature{Size: n, Cosigner: "w/a", Signature: fmt.Sprint("sig ", n), At: t0}); err != nil {
			t.Fatal(err)
		}
	}
	if c, err := s.LatestLedgerCosignature(ctx, "w/a"); err != nil || c.Size != 9 || c.Signature != "sig 9" {
		t.Fatalf("latest cosignature = %+v, %v", c, err)
	}
}
