package casework_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/liaison-dev/liaison/internal/auth"
	"github.com/liaison-dev/liaison/internal/casework"
	"github.com/liaison-dev/liaison/internal/demo"
	"github.com/liaison-dev/liaison/internal/federation"
	"github.com/liaison-dev/liaison/internal/request"
	"github.com/liaison-dev/liaison/internal/store"
)

// world is three real nodes (US, CN, EU) served on loopback.
type world struct {
	w *demo.World
}

func newWorld(t *testing.T) *world {
	t.Helper()
	w, err := demo.Build(t.Context(), demo.Options{Dir: filepath.Join(t.TempDir(), "w"), Log: slog.New(slog.DiscardHandler),
		Parties: append(slices.Clone(demo.Parties), demo.Europol)})
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
		<-done
		w.Close()
	})
	return &world{w: w}
}

func (w *world) node(party string) *demo.Running {
	for _, r := range w.w.Nodes {
		if r.Party.Code == party {
			return r
		}
	}
	panic(party)
}

func (w *world) svc(party string) *casework.Service { return w.node(party).Node.Cases }

// as is a principal of party with one role.
func as(party string, role auth.Role, agency string) *auth.Principal {
	return &auth.Principal{User: store.User{Username: strings.ToLower(party) + "-" + string(role), Agency: agency, Roles: []string{string(role)}}}
}

func officer(party string) *auth.Principal {
	return as(party, auth.Officer, map[string]string{"US": "FBI", "CN": "MPS", "EU": "EC3"}[party])
}

// eventually polls cond until it holds or the test's patience runs out.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("never happened: %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

var handling = casework.Handling{TLP: "TLP:GREEN", Source: "B", Credibility: 2, Conditions: []string{}}
var strict = casework.Handling{TLP: "TLP:AMBER", Source: "A", Credibility: 1, Conditions: []string{casework.NoOnwardSharing}}

func hasItem(v casework.View, value string) bool {
	return slices.ContainsFunc(v.Items, func(it casework.Item) bool { return it.Value == value })
}

func TestJointCasesAcrossThreeNodes(t *testing.T) {
	w := newWorld(t)
	ctx := t.Context()
	us, cn, eu := w.svc("US"), w.svc("CN"), w.svc("EU")

	// A US–CN ransomware case: a GREEN wallet and an AMBER address that
	// may not go further without US's permission.
	c, err := us.Open(ctx, officer("US"), casework.OpenInput{Title: "LockBit affiliate payouts", Summary: "Ransom payments laundered through mixers",
		Category: casework.Ransomware, Parties: []string{"CN"}, CaseNumber: "FBI-318-2026", Handling: handling})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := us.AddItem(ctx, officer("US"), c.ID, casework.Item{Kind: casework.Wallet, Value: "bc1qa5wkgaew2dkv56kfvj49j0av5nml45x9ek9hz6", Handling: handling}); err != nil {
		t.Fatal(err)
	}
	v, err := us.AddItem(ctx, officer("US"), c.ID, casework.Item{Kind: casework.EmailAddr, Value: "Payout@Mixer.example", Handling: strict})
	if err != nil {
		t.Fatal(err)
	}
	emailItem := v.Items[len(v.Items)-1]
	if emailItem.Value != "payout@mixer.example" {
		t.Fatalf("address not normalised: %q", emailItem.Value)
	}
	var atCN casework.View
	eventually(t, "the case and its items reach CN", func() bool {
		atCN, err = cn.Get(ctx, officer("CN"), c.ID)
		return err == nil && len(atCN.Items) == 2
	})
	if atCN.Reference != c.Reference || len(atCN.Tasks) == 0 {
		t.Fatalf("CN's copy: %+v", atCN.State)
	}
	for _, tk := range atCN.Tasks {
		if !slices.Contains(tk.Concerns, "CN") {
			t.Fatalf("CN holds a task that does not concern it: %+v", tk)
		}
	}
	usView, _ := us.Get(ctx, officer("US"), c.ID)
	if len(usView.Tasks) < len(atCN.Tasks) {
		t.Fatalf("US sees fewer tasks (%d) than CN (%d)", len(usView.Tasks), len(atCN.Tasks))
	}

	t.Run("non-participant and wrong role see nothing", func(t *testing.T) {
		if _, err := eu.Get(ctx, officer("EU"), c.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("EU Get: %v", err)
		}
		if l, _ := eu.List(ctx, officer("EU"), casework.Filter{}); len(l) != 0 {
			t.Fatalf("EU lists %v", l)
		}
		// Through the API too: EU's officer and US's admin.
		eur, _ := demo.NewClient(w.node("EU"))
		r, err := eur.As("eu-officer").Do(ctx, "GET", "/api/v1/cases/"+c.ID, nil)
		if err != nil || r.Status != 404 {
			t.Fatalf("EU API: %v %+v", err, r)
		}
		usr, _ := demo.NewClient(w.node("US"))
		if r, _ := usr.As("us-admin").Do(ctx, "GET", "/api/v1/cases/"+c.ID, nil); r.Status != 403 {
			t.Fatalf("US admin: %d", r.Status)
		}
		if r, _ := usr.As("us-admin").Do(ctx, "GET", "/api/v1/cases", nil); r.Status != 403 {
			t.Fatalf("US admin list: %d", r.Status)
		}
		if r, _ := usr.As("us-analyst").Do(ctx, "GET", "/api/v1/cases?q=lockbit", nil); r.Status != 200 || !strings.Contains(string(r.Body), c.ID) {
			t.Fatalf("US analyst search: %d %s", r.Status, r.Body)
		}
		if r, _ := usr.As("us-analyst").Do(ctx, "GET", "/api/v1/cases?q=lockbit&category=bec", nil); strings.Contains(string(r.Body), c.ID) {
			t.Fatal("category filter ignored")
		}
		// A case for one agency is hidden from the node's other agencies.
		if _, err := us.SetPartyInfo(ctx, officer("US"), c.ID, casework.PartyInfo{CaseNumber: "FBI-318-2026", Agencies: []string{"FBI"}}); err != nil {
			t.Fatal(err)
		}
		if _, err := us.Get(ctx, as("US", auth.Analyst, "CISA"), c.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("CISA analyst: %v", err)
		}
		if _, err := us.Get(ctx, as("US", auth.Supervisor, "CISA"), c.ID); err != nil {
			t.Fatalf("supervisor: %v", err)
		}
		if _, err := us.SetPartyInfo(ctx, officer("US"), c.ID, casework.PartyInfo{CaseNumber: "FBI-318-2026"}); err != nil {
			t.Fatal(err)
		}
		// EU received nothing over federation either.
		if _, err := w.node("EU").Node.Store.GetCase(ctx, c.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("EU store holds the case: %v", err)
		}
	})

	t.Run("onward sharing needs the originator's permission", func(t *testing.T) {
		// Files CN and US added before EU joins go to EU: CN's with the
		// history CN sends, US's from US when it sees the join (files
		// are never forwarded, so only their originator can send them).
		notes := "mixer operator notes\n"
		if _, err := cn.AddAttachment(ctx, officer("CN"), c.ID, "mixer-notes.txt", handling, strings.NewReader(notes)); err != nil {
			t.Fatal(err)
		}
		if _, err := us.AddAttachment(ctx, officer("US"), c.ID, "payout-ledger.csv", handling, strings.NewReader("tx,amount\n")); err != nil {
			t.Fatal(err)
		}
		eventually(t, "CN holds US's file", func() bool {
			v, _ := cn.Get(ctx, officer("CN"), c.ID)
			return slices.ContainsFunc(v.Attachments, func(a store.CaseAttachment) bool { return a.Name == "payout-ledger.csv" })
		})
		if _, err := cn.AddParticipant(ctx, officer("CN"), c.ID, "EU"); err != nil {
			t.Fatal(err)
		}
		var atEU casework.View
		eventually(t, "EU joins with the shareable history and both parties' files", func() bool {
			atEU, err = eu.Get(ctx, officer("EU"), c.ID)
			return err == nil && hasItem(atEU, "bc1qa5wkgaew2dkv56kfvj49j0av5nml45x9ek9hz6") &&
				slices.ContainsFunc(atEU.Attachments, func(a store.CaseAttachment) bool { return a.Name == "mixer-notes.txt" }) &&
				slices.ContainsFunc(atEU.Attachments, func(a store.CaseAttachment) bool { return a.Name == "payout-ledger.csv" })
		})
		i := slices.IndexFunc(atEU.Attachments, func(a store.CaseAttachment) bool { return a.Name == "mixer-notes.txt" })
		_, rc, err := eu.OpenAttachment(ctx, officer("EU"), c.ID, atEU.Attachments[i].ID)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(rc)
		rc.Close()
		if string(got) != notes {
			t.Fatalf("EU's copy of CN's file: %q", got)
		}
		if hasItem(atEU, "payout@mixer.example") {
			t.Fatal("the no-onward-sharing item reached EU through CN")
		}
		if _, err := cn.Share(ctx, officer("CN"), c.ID, emailItem.ID, "EU"); !errors.Is(err, casework.ErrHandling) {
			t.Fatalf("onward share without permission: %v", err)
		}
		cnv, _ := cn.Get(ctx, officer("CN"), c.ID)
		if !slices.Contains(cnv.NotShared[emailItem.ID], "EU") {
			t.Fatalf("not_shared: %v", cnv.NotShared)
		}
		if _, err := cn.RequestPermission(ctx, officer("CN"), c.ID, emailItem.ID, "EU", "EU holds the mixer's servers"); err != nil {
			t.Fatal(err)
		}
		eventually(t, "US sees the request", func() bool {
			v, _ := us.Get(ctx, officer("US"), c.ID)
			return slices.ContainsFunc(v.Permissions, func(p casework.Permission) bool { return p.State == "requested" && p.By == "CN" })
		})
		if _, err := cn.DecidePermission(ctx, officer("CN"), c.ID, emailItem.ID, "EU", true, ""); !errors.Is(err, auth.ErrForbidden) {
			t.Fatalf("a non-originator granted: %v", err)
		}
		if _, err := us.DecidePermission(ctx, officer("US"), c.ID, emailItem.ID, "EU", true, "for the mixer investigation"); err != nil {
			t.Fatal(err)
		}
		eventually(t, "CN records the grant", func() bool {
			_, err := cn.Share(ctx, officer("CN"), c.ID, emailItem.ID, "EU")
			return err == nil
		})
		eventually(t, "EU receives the item", func() bool {
			v, _ := eu.Get(ctx, officer("EU"), c.ID)
			return hasItem(v, "payout@mixer.example")
		})
	})

	t.Run("correlation across two cases and two parties", func(t *testing.T) {
		// EU's own case with CN names the same wallet (GREEN), and the
		// strict address under its own restriction.
		b, err := eu.Open(ctx, officer("EU"), casework.OpenInput{Title: "Mixer takedown", Category: casework.Fraud, Parties: []string{"CN"}, Handling: handling, NoTemplate: true})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := eu.AddItem(ctx, officer("EU"), b.ID, casework.Item{Kind: casework.Wallet, Value: "BC1QA5WKGAEW2DKV56KFVJ49J0AV5NML45X9EK9HZ6", Handling: handling}); err != nil {
			t.Fatal(err)
		}
		eventually(t, "CN flags both cases", func() bool {
			v, err := cn.Get(ctx, officer("CN"), c.ID)
			return err == nil && slices.ContainsFunc(v.Flags, func(f casework.Flag) bool { return f.CaseID == b.ID })
		})
		eventually(t, "EU's case learns it was also seen in US's case", func() bool {
			v, _ := eu.Get(ctx, officer("EU"), b.ID)
			return slices.ContainsFunc(v.Flags, func(f casework.Flag) bool {
				return f.Case == c.Reference && f.Party == "US" && f.Text == "also seen in case "+c.Reference+" at party US"
			})
		})
		eventually(t, "US's case learns it was also seen in EU's case", func() bool {
			v, _ := us.Get(ctx, officer("US"), c.ID)
			return slices.ContainsFunc(v.Flags, func(f casework.Flag) bool { return f.Case == b.Reference && f.Party == "EU" })
		})
		// A RED value at EU is not told to US.
		red := casework.Handling{TLP: "TLP:RED", Source: "A", Credibility: 1}
		x, err := eu.Open(ctx, officer("EU"), casework.OpenInput{Title: "Closed source", Category: casework.Fraud, Parties: []string{"CN"}, Handling: handling, NoTemplate: true})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := eu.AddItem(ctx, officer("EU"), x.ID, casework.Item{Kind: casework.Wallet, Value: "bc1qa5wkgaew2dkv56kfvj49j0av5nml45x9ek9hz6", Handling: red}); err != nil {
			t.Fatal(err)
		}
		eventually(t, "CN flags the RED case locally", func() bool {
			v, _ := cn.Get(ctx, officer("CN"), c.ID)
			return slices.ContainsFunc(v.Flags, func(f casework.Flag) bool { return f.CaseID == x.ID })
		})
		time.Sleep(300 * time.Millisecond) // let any wrongly sent notice arrive
		v, _ := us.Get(ctx, officer("US"), c.ID)
		if slices.ContainsFunc(v.Flags, func(f casework.Flag) bool { return f.Case == x.Reference }) {
			t.Fatal("a RED item's case was told to US")
		}
	})

	t.Run("CSAM takes hashes only, at the API and at the inbox", func(t *testing.T) {
		cs, err := us.Open(ctx, officer("US"), casework.OpenInput{Title: "Hash sharing: series 7", Category: casework.CSAM, Parties: []string{"CN"},
			Handling: casework.Handling{TLP: "TLP:AMBER", Source: "A", Credibility: 1, Conditions: []string{casework.PurposeOnly}, Purpose: "victim identification"}})
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range []casework.Item{
			{Kind: casework.Hash, Algo: "md5", Value: "d41d8cd98f00b204e9800998ecf8427e"},
			{Kind: casework.Hash, Algo: "SHA-256", Value: strings.Repeat("ab", 32)},
			{Kind: casework.Hash, Algo: "photodna", Value: "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="},
			{Kind: casework.Grading, Value: "ICSE category A"},
			{Kind: casework.Reference, Value: "ICSE:series-7/1187"},
		} {
			it.Handling = cs.Handling
			if _, err := us.AddItem(ctx, officer("US"), cs.ID, it); err != nil {
				t.Fatalf("%s: %v", it.Kind, err)
			}
		}
		if _, err := us.AddItem(ctx, officer("US"), cs.ID, casework.Item{Kind: casework.Wallet, Value: "bc1qa5wkgaew2dkv56kfvj49j0av5nml45x9ek9hz6", Handling: cs.Handling}); err == nil {
			t.Fatal("a wallet accepted in a CSAM case")
		}
		usr, _ := demo.NewClient(w.node("US"))
		r, err := usr.As("us-officer").Do(ctx, "POST", "/api/v1/cases/"+cs.ID+"/attachments?name=img.jpg&tlp=amber&source=A&credibility=1", []byte("\xff\xd8\xff\xe0 not really"))
		if err != nil || r.Status != 422 || !strings.Contains(string(r.Body), "media-refused") || !strings.Contains(string(r.Body), "never media") {
			t.Fatalf("API upload: %v %d %s", err, r.Status, r.Body)
		}
		if l, _ := w.node("US").Node.Store.ListCaseAttachments(ctx, cs.ID); len(l) != 0 {
			t.Fatalf("stored: %v", l)
		}
		eventually(t, "CN holds the hashes", func() bool {
			v, err := cn.Get(ctx, officer("CN"), cs.ID)
			return err == nil && len(v.Items) == 5
		})
		// A peer that sends media anyway: US's node puts a file on a case
		// envelope by hand. CN refuses it for good and stores nothing.
		fed := w.node("US").Node.Federation
		att, err := fed.StageAttachment("img.jpg", strings.NewReader("\xff\xd8\xff\xe0 pixels"))
		if err != nil {
			t.Fatal(err)
		}
		ev := casework.Event{ID: auth.NewID(), CaseID: cs.ID, Lamport: 99, Party: "US", Actor: "user:x", At: time.Now().UTC(), Kind: casework.KindItem,
			Item: &casework.Item{ID: auth.NewID(), Kind: casework.Note, Text: "see picture", Originator: "US", Recipients: []string{"CN", "US"}, Handling: cs.Handling}}
		payload, _ := json.Marshal(map[string]any{"events": []casework.Event{ev}})
		envID, err := fed.Send(ctx, federation.Message{Type: casework.TypeEvents, Recipients: []string{"CN"}, Conversation: "case:" + cs.ID,
			Marking: "TLP:AMBER", Payload: payload, Attachments: []federation.Attachment{att}})
		if err != nil {
			t.Fatal(err)
		}
		eventually(t, "US records CN's refusal", func() bool {
			it, err := w.node("US").Node.Store.GetOutboxItem(ctx, envID, "CN")
			return err == nil && it.State == store.OutboxFailed
		})
		v, _ := cn.Get(ctx, officer("CN"), cs.ID)
		if len(v.Attachments) != 0 || slices.ContainsFunc(v.Timeline, func(e casework.Event) bool { return e.ID == ev.ID }) {
			t.Fatalf("CN stored the refused envelope: %+v", v.Attachments)
		}
	})

	t.Run("BEC report opens a case and an emergency recall with the 72-hour clock", func(t *testing.T) {
		transfer := time.Now().UTC().Add(-5 * time.Hour).Truncate(time.Second)
		res, err := us.ReportBEC(ctx, officer("US"), becReport(transfer))
		if err != nil {
			t.Fatal(err)
		}
		if res.Case.Recall == nil || !res.Case.Recall.Deadline.Equal(transfer.Add(72*time.Hour)) || res.Case.Recall.Expired {
			t.Fatalf("recall window: %+v", res.Case.Recall)
		}
		if len(res.Case.Trail) != 3 || res.Case.Trail[0].Role != "originating" || res.Case.Trail[2].Party != "CN" {
			t.Fatalf("money trail: %+v", res.Case.Trail)
		}
		if res.Request.Type != request.BECRecall || res.Request.Priority != request.Emergency || res.Request.Requested != "CN" {
			t.Fatalf("request: %+v", res.Request.Content)
		}
		if !hasItem(res.Case, res.Request.ID) {
			t.Fatal("the request is not linked to the case")
		}
		var rv request.View
		eventually(t, "CN receives the recall with its deadline from the transfer", func() bool {
			rv, err = w.node("CN").Node.Requests.Get(ctx, officer("CN"), res.Request.ID)
			return err == nil && !rv.State.AnswerDue().IsZero()
		})
		// An emergency recall is answered within the emergency's 8 hours
		// of its delivery, or by the end of the 72-hour window from the
		// transfer if that comes first; no pause stretches it.
		want := rv.State.Delivered.Add(request.DefaultLimits(request.BECRecall, request.Emergency).Answer.D)
		if end := transfer.Add(request.DefaultLimits(request.BECRecall, request.Routine).Answer.D); end.Before(want) {
			want = end
		}
		if !rv.State.AnswerFixed || !rv.State.AnswerDue().Equal(want) || want.After(res.Case.Recall.Deadline) {
			t.Fatalf("CN's answer due %v (fixed %v), want %v", rv.State.AnswerDue(), rv.State.AnswerFixed, want)
		}
		eventually(t, "CN holds the case with its tasks", func() bool {
			v, err := cn.Get(ctx, officer("CN"), res.Case.ID)
			return err == nil && len(v.Trail) == 3 && slices.ContainsFunc(v.Tasks, func(t casework.Task) bool {
				return t.Owner == "CN" && strings.Contains(t.Title, "beneficiary bank")
			})
		})
		// An analyst may not send a recall; a bad report names its fields.
		if _, err := us.ReportBEC(ctx, as("US", auth.Analyst, "CISA"), becReport(transfer)); !errors.Is(err, auth.ErrForbidden) {
			t.Fatalf("analyst: %v", err)
		}
		bad := becReport(transfer)
		bad.BeneficiaryAccount, bad.Amount = "", "-5"
		if _, err := us.ReportBEC(ctx, officer("US"), bad); err == nil || !strings.Contains(err.Error(), "beneficiary_account") || !strings.Contains(err.Error(), "amount") {
			t.Fatalf("bad report: %v", err)
		}
	})

	t.Run("leads: proposal accepted, lead declined with reason", func(t *testing.T) {
		lv, err := cn.SendLead(ctx, officer("CN"), casework.LeadDraft{To: "US", Title: "Phishing kit operator", Category: casework.BEC,
			What: "Operator sells BEC phishing kits", Who: "alias 'kitking'", Where: "hosting in 198.51.100.0/24",
			Indicators: []casework.Item{{Kind: casework.EmailAddr, Value: "kitking@mail.example"}}, Handling: handling})
		if err != nil {
			t.Fatal(err)
		}
		eventually(t, "US receives the lead", func() bool {
			got, err := us.GetLead(ctx, officer("US"), lv.ID)
			return err == nil && got.From == "CN" && len(got.Indicators) == 1
		})
		acc, err := us.DecideLead(ctx, officer("US"), lv.ID, true, "")
		if err != nil || acc.Status != "accepted" || acc.CaseID == "" {
			t.Fatalf("accept: %+v %v", acc, err)
		}
		eventually(t, "CN sees the acceptance and the case", func() bool {
			l, _ := cn.GetLead(ctx, officer("CN"), lv.ID)
			v, err := cn.Get(ctx, officer("CN"), acc.CaseID)
			if testing.Verbose() {
				t.Logf("lead %s %s; case %v items %d leads %d", l.Status, l.CaseID, err, len(v.Items), v.Leads)
			}
			return l.Status == "accepted" && err == nil && hasItem(v, "kitking@mail.example") && v.Leads == 1
		})
		l2, err := cn.SendLead(ctx, officer("CN"), casework.LeadDraft{To: "US", Title: "Unrelated", Category: casework.Other, What: "x", Handling: handling})
		if err != nil {
			t.Fatal(err)
		}
		eventually(t, "US receives the second lead", func() bool { _, err := us.GetLead(ctx, officer("US"), l2.ID); return err == nil })
		if _, err := us.DecideLead(ctx, officer("US"), l2.ID, false, ""); err == nil {
			t.Fatal("decline without reason")
		}
		if _, err := us.DecideLead(ctx, officer("US"), l2.ID, false, "outside our jurisdiction"); err != nil {
			t.Fatal(err)
		}
		eventually(t, "CN sees the decline and its reason", func() bool {
			l, _ := cn.GetLead(ctx, officer("CN"), l2.ID)
			return l.Status == "declined" && l.Reason == "outside our jurisdiction"
		})
		st, err := us.Stats(ctx, time.Time{}, time.Now().Add(time.Hour))
		if err != nil || st.Accepted != 1 || st.Declined != 1 || st.Received != 2 {
			t.Fatalf("stats: %+v %v", st, err)
		}
	})
}

func becReport(transfer time.Time) casework.BECReport {
	return casework.BECReport{Title: "Acme Corp CEO fraud", Summary: "CFO wired USD 1.2M after a spoofed CEO e-mail", BeneficiaryParty: "CN",
		Victim: "Acme Corp", VictimLocation: "Austin, TX", OriginatingBank: "First Texas Bank", OriginatingAccount: "FTBKUS44:000123456789",
		IntermediaryBank: "Global Correspondent Bank", BeneficiaryName: "Shenzhen Trading Ltd", BeneficiaryBank: "Bank of Example Shenzhen",
		BeneficiaryAccount: "BOEXCNSZ:6222000011112222", BeneficiaryBankLocation: "Shenzhen", SwiftReference: "FT26318ABC", Amount: "1200000",
		Currency: "USD", TransferTime: transfer, FraudEmails: []string{"ceo@acme-corp.example"}, RequestingAuthority: "FBI Cyber Division",
		RequestingOfficer: "SA Dana Whitfield", RequestingEmail: "duty@fbi.example", TimeZone: "America/New_York", LegalBasis: "18 U.S.C. 1343",
		Offences: []string{"wire fraud"}, CaseNumber: "FBI-BEC-2026-77", Handling: casework.Handling{TLP: "TLP:AMBER", Source: "B", Credibility: 2}}
}
