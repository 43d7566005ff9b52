package progress_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/liaison-dev/liaison/internal/auth"
	"github.com/liaison-dev/liaison/internal/casework"
	"github.com/liaison-dev/liaison/internal/cli"
	"github.com/liaison-dev/liaison/internal/demo"
	"github.com/liaison-dev/liaison/internal/progress"
	"github.com/liaison-dev/liaison/internal/store"
)

// TestReportRoundTrip generates a report on US and verifies it on CN, two
// real nodes on loopback that exchanged a request; then alters one figure
// and sees verification fail, through the services and the command line.
func TestReportRoundTrip(t *testing.T) {
	if testing.Short() {
		t.Skip("two nodes on loopback")
	}
	w, err := demo.Build(t.Context(), demo.Options{Dir: filepath.Join(t.TempDir(), "world"), Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	ctx, cancel := context.WithCancel(t.Context())
	ready := make(chan struct{})
	done := make(chan error, 1)
	go func() { done <- w.Serve(ctx, func() { close(ready) }) }()
	defer func() { cancel(); <-done }()
	<-ready
	s := &demo.Story{World: w, Clients: map[string]*demo.Client{}}
	for _, r := range w.Nodes {
		c, err := demo.NewClient(r)
		if err != nil {
			t.Fatal(err)
		}
		s.Clients[r.Party.Code] = c
	}
	for _, st := range demo.Steps {
		if strings.HasPrefix(st.Name, "requests: a preservation request") || strings.HasPrefix(st.Name, "a US analyst creates a collection") ||
			strings.HasPrefix(st.Name, "a STIX bundle pushed") {
			if err := st.Run(ctx, s); err != nil {
				t.Fatalf("%s: %v", st.Name, err)
			}
		}
	}
	us, cn := s.Node("US"), s.Node("CN")
	// A lead CN→US, accepted at US; the decision reaches CN.
	officer := func(party, agency string) *auth.Principal {
		return &auth.Principal{User: store.User{Username: strings.ToLower(party) + "-officer", Agency: agency, Roles: []string{string(auth.Officer)}}}
	}
	lv, err := cn.Node.Cases.SendLead(ctx, officer("CN", "MPS"), casework.LeadDraft{To: "US", Title: "Phishing kit operator", Category: casework.BEC,
		What: "Operator sells BEC phishing kits", Handling: casework.Handling{TLP: "TLP:GREEN", Source: "B", Credibility: 2, Conditions: []string{}}})
	if err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "US receives the lead", func() bool { _, err := us.Node.Cases.GetLead(ctx, officer("US", "FBI"), lv.ID); return err == nil })
	if _, err := us.Node.Cases.DecideLead(ctx, officer("US", "FBI"), lv.ID, true, ""); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "CN sees the acceptance", func() bool {
		l, err := cn.Node.Cases.GetLead(ctx, officer("CN", "MPS"), lv.ID)
		return err == nil && l.Status == "accepted"
	})
	// A drill US→CN, acknowledged at CN; the acknowledgement reaches US.
	call, err := us.Node.Hotline.Drill(ctx, "us-supervisor", "CN")
	if err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "CN's hotline rings", func() bool { _, err := cn.Node.Hotline.Ack(ctx, "cn-officer", call.ID); return err == nil })
	waitUntil(t, "US records the acknowledgement", func() bool {
		c, err := us.Node.Store.GetCall(ctx, call.ID)
		return err == nil && !c.Acked.IsZero()
	})
	// Every intelligence envelope US sent is delivered before the report.
	waitUntil(t, "US's intelligence envelopes delivered", func() bool {
		st, err := us.Node.Store.OutboxStats(ctx)
		for _, o := range st {
			if o.Pending > 0 {
				return false
			}
		}
		return err == nil
	})

	rep, err := us.Node.Progress.Report(ctx, 4)
	if err != nil {
		t.Fatal(err)
	}
	d := rep.Figures.Current.Directions
	if len(d) != 1 || d[0].From != "US" || d[0].To != "CN" || d[0].Sent != 1 || d[0].Answered != 1 || d[0].AnswerOnTime != 1 {
		t.Fatalf("US's figures: %+v period %v..%v", d, rep.Figures.Current.From, rep.Figures.Current.To)
	}
	if dr := rep.Figures.Current.Drills; len(dr) != 1 || dr[0].From != "US" || dr[0].To != "CN" || dr[0].Drills != 1 || dr[0].Acked != 1 {
		t.Fatalf("US's drill figures: %+v", dr)
	}
	ls, in := rep.Figures.Current.Leads, rep.Figures.Current.Intel
	if len(ls) != 1 || ls[0].From != "CN" || ls[0].To != "US" || ls[0].Sent != 1 || ls[0].Accepted != 1 {
		t.Fatalf("US's lead figures: %+v", ls)
	}
	if len(in) == 0 || in[0].From != "US" || in[0].To != "CN" || in[0].Count == 0 {
		t.Fatalf("US's intelligence figures: %+v", in)
	}
	var html bytes.Buffer
	if err := progress.WriteHTML(&html, rep); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"src=\"http", "href=\"http", "<link", "@import"} {
		if strings.Contains(html.String(), bad) {
			t.Errorf("the HTML report has an external asset (%s)", bad)
		}
	}
	got, err := progress.ReadReport(html.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	v, err := cn.Node.Progress.Verify(ctx, got)
	if err != nil {
		t.Fatalf("CN: %v", err)
	}
	if v.Figures == 0 || v.Cosignature.Party != "CN" {
		t.Fatalf("verification: %+v", v)
	}
	ok, err := progress.CheckCosignatures(got, map[string]ed25519.PublicKey{"CN": cn.Node.Identity.SigningPublic()})
	if err != nil || len(ok) != 1 {
		t.Fatalf("CN's cosignature does not verify: %v %v", ok, err)
	}

	// CN's cosignature comes back to US over federation.
	h, _ := progress.FiguresHash(&got.Figures)
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		ks, err := us.Node.Progress.Reports(ctx, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(ks) > 0 && ks[0].FiguresSHA256 == h && len(ks[0].Cosignatures) == 1 && ks[0].Cosignatures[0].Party == "CN" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("CN's cosignature did not reach US: %+v", ks)
		}
	}

	// One figure altered: the signature no longer holds.
	alt, _ := progress.ReadReport(html.Bytes())
	alt.Figures.Current.Directions[0].AnswerOnTime = 0
	if _, err := cn.Node.Progress.Verify(ctx, alt); !errors.Is(err, progress.ErrReportSignature) {
		t.Fatalf("altered, unsigned: %v", err)
	}
	// Altered and signed again by US: CN's record disagrees.
	msg, _ := alt.Figures.SignedMessage()
	alt.Signature = base64.StdEncoding.EncodeToString(ed25519.Sign(us.Node.Identity.Signer, msg))
	v, err = cn.Node.Progress.Verify(ctx, alt)
	if !errors.Is(err, progress.ErrReportMismatch) || len(v.Mismatches) != 1 || !strings.Contains(v.Mismatches[0], "answer_on_time") {
		t.Fatalf("altered and re-signed: %v %+v", err, v)
	}
	// The same for a lead and an intelligence figure.
	for _, tc := range []struct {
		alter func(*progress.Figures)
		want  string
	}{
		{func(f *progress.Figures) { f.Current.Leads[0].Accepted = 0 }, "current.leads[CN→US bec].accepted: report 0, record 1"},
		{func(f *progress.Figures) { f.Current.Drills[0].MaxS += 60 }, "current.drills[US→CN].max_s"},
		{func(f *progress.Figures) { f.Current.Intel[0].Count++ }, "current.intel[US→CN " + in[0].Type + "].count"},
	} {
		alt, _ := progress.ReadReport(html.Bytes())
		tc.alter(&alt.Figures)
		msg, _ := alt.Figures.SignedMessage()
		alt.Signature = base64.StdEncoding.EncodeToString(ed25519.Sign(us.Node.Identity.Signer, msg))
		v, err := cn.Node.Progress.Verify(ctx, alt)
		if !errors.Is(err, progress.ErrReportMismatch) || len(v.Mismatches) != 1 || !strings.Contains(v.Mismatches[0], tc.want) {
			t.Fatalf("altered %s and re-signed: %v %+v", tc.want, err, v)
		}
	}

	// The same through the command line: report on US, verify on CN.
	out := filepath.Join(t.TempDir(), "round4")
	var so, se bytes.Buffer
	if code := cli.Main([]string{"report", "--dir", us.Dir, "--round", "4", "--out", out}, nil, &so, &se); code != 0 {
		t.Fatalf("report: %d %s", code, se.String())
	}
	pdf, err := os.ReadFile(out + ".pdf")
	if err != nil || !bytes.HasPrefix(pdf, []byte("%PDF-1.4")) || !bytes.Contains(pdf, []byte("%%EOF")) {
		t.Fatalf("PDF: %v %q", err, pdf[:min(len(pdf), 20)])
	}
	so.Reset()
	if code := cli.Main([]string{"report", "verify", out + ".html", "--dir", cn.Dir, "--out", out + ".cosigned.html"}, nil, &so, &se); code != 0 {
		t.Fatalf("report verify: %d %s %s", code, so.String(), se.String())
	}
	if !strings.Contains(so.String(), "cosigned by CN") {
		t.Errorf("report verify: %s", so.String())
	}
	b, _ := os.ReadFile(out + ".html")
	tampered := bytes.Replace(b, []byte(`"answer_on_time":1`), []byte(`"answer_on_time":0`), 1)
	if bytes.Equal(tampered, b) {
		t.Fatal("nothing to tamper with")
	}
	os.WriteFile(out+".tampered.html", tampered, 0o600)
	if code := cli.Main([]string{"report", "verify", out + ".tampered.html", "--dir", cn.Dir}, nil, &so, &se); code != 1 {
		t.Fatalf("a tampered report verifies: exit %d", code)
	}
}

// waitUntil polls cond until it holds or 30 s pass.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); !cond(); time.Sleep(25 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting: %s", what)
		}
	}
}
