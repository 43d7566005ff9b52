package hotline_test

import (
	"bufio"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/liaison-dev/liaison/internal/clock"
	"github.com/liaison-dev/liaison/internal/directory"
	"github.com/liaison-dev/liaison/internal/hotline"
	"github.com/liaison-dev/liaison/internal/request"
	"github.com/liaison-dev/liaison/internal/store"
	"github.com/liaison-dev/liaison/internal/store/sqlite"
)

// mail is a message received by the test SMTP server.
type mail struct {
	From, To, Data string
}

// smtpServer is a minimal SMTP server on loopback: enough of RFC 5321 for
// net/smtp.SendMail without TLS or authentication.
func smtpServer(t *testing.T) (addr string, got func() []mail) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	var mu sync.Mutex
	var mails []mail
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				r := bufio.NewReader(c)
				say := func(s string) { c.Write([]byte(s + "\r\n")) }
				say("220 test.local ESMTP")
				var m mail
				for {
					line, err := r.ReadString('\n')
					if err != nil {
						return
					}
					cmd := strings.ToUpper(strings.TrimSpace(line))
					switch {
					case strings.HasPrefix(cmd, "EHLO"), strings.HasPrefix(cmd, "HELO"):
						say("250 test.local")
					case strings.HasPrefix(cmd, "MAIL FROM:"):
						m.From = strings.Trim(strings.TrimSpace(line)[10:], "<>")
						say("250 ok")
					case strings.HasPrefix(cmd, "RCPT TO:"):
						m.To = strings.Trim(strings.TrimSpace(line)[8:], "<>")
						say("250 ok")
					case cmd == "DATA":
						say("354 go on")
						var b strings.Builder
						for {
							l, err := r.ReadString('\n')
							if err != nil {
								return
							}
							if l == ".\r\n" {
								break
							}
							b.WriteString(l)
						}
						m.Data = b.String()
						mu.Lock()
						mails = append(mails, m)
						mu.Unlock()
						m = mail{}
						say("250 queued")
					case cmd == "QUIT":
						say("221 bye")
						return
					default:
						say("250 ok")
					}
				}
			}()
		}
	}()
	return ln.Addr().String(), func() []mail {
		mu.Lock()
		defer mu.Unlock()
		return append([]mail(nil), mails...)
	}
}

type fixture struct {
	st    *store.SQL
	clk   *clock.Fake
	h     *hotline.Service
	mails func() []mail
	hooks func() []hotline.WebhookBody
}

var t0 = time.Date(2026, 11, 2, 1, 0, 0, 0, time.UTC)

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := t.Context()
	st, err := sqlite.Open(ctx, sqlite.Config{Path: filepath.Join(t.TempDir(), "h.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	clk := clock.NewFake(t0)
	dir := &directory.Service{Store: st, Clock: clk}
	if _, err := dir.CreateAgency(ctx, "t", store.Agency{Code: "MPS", Name: "MPS", Kind: "police"}); err != nil {
		t.Fatal(err)
	}
	for i, pos := range []string{directory.Primary, directory.Backup} {
		c, err := dir.CreateContact(ctx, "t", store.Contact{Agency: "MPS", Name: []string{"Wang Fang", "Zhao Lei"}[i], Role: "duty", Languages: []string{"zh"},
			TimeZone: "Asia/Shanghai", Email: []string{"primary@mps.example", "backup@mps.example"}[i]})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := dir.CreateShift(ctx, "t", store.Shift{ContactID: c.ID, Position: pos, Start: t0.Add(-time.Hour), End: t0.Add(24 * time.Hour)}); err != nil {
			t.Fatal(err)
		}
	}
	addr, mails := smtpServer(t)
	var mu sync.Mutex
	var hooks []hotline.WebhookBody
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b hotline.WebhookBody
		json.NewDecoder(r.Body).Decode(&b)
		mu.Lock()
		hooks = append(hooks, b)
		mu.Unlock()
	}))
	t.Cleanup(srv.Close)
	h := &hotline.Service{Store: st, Clock: clk, Party: "CN", Policy: hotline.DefaultPolicy,
		Notify: hotline.Notify{SMTP: addr, From: "hotline@cn.example", Supervisors: []string{"supervisor@mps.example"}, Webhook: srv.URL}}
	return &fixture{st: st, clk: clk, h: h, mails: mails, hooks: func() []hotline.WebhookBody {
		mu.Lock()
		defer mu.Unlock()
		return append([]hotline.WebhookBody(nil), hooks...)
	}}
}

func (f *fixture) ring(t *testing.T) string {
	t.Helper()
	var id string
	err := f.st.InTx(t.Context(), func(q store.Queries) error {
		if err := f.h.Ring(t.Context(), q, request.Call{RequestID: "req1", Reference: "US-1", Peer: "US", Title: "child at risk", Type: "emergency_disclosure",
			Priority: request.Emergency, At: f.clk.Now()}); err != nil {
			return err
		}
		l, err := q.ListCalls(t.Context(), store.CallFilter{RequestID: "req1"})
		if err != nil {
			return err
		}
		id = l[0].ID
		if want := "emergency emergency_disclosure request US-1: child at risk"; l[0].Reason != want || l[0].ReasonCode != "hotline.reason_request" ||
			l[0].ReasonParams["type"] != "emergency_disclosure" {
			t.Errorf("call reason = %q %q %v, want %q", l[0].Reason, l[0].ReasonCode, l[0].ReasonParams, want)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func recipients(ms []mail) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.To)
	}
	return out
}

// TestEscalationChain: an unacknowledged emergency call rings the primary,
// at 15 minutes the backup, at 30 the supervisors — by e-mail through a
// real SMTP exchange and by webhook — on an injected clock.
func TestEscalationChain(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	id := f.ring(t)
	step := func(advance time.Duration, wantMails []string, wantLevel int) {
		t.Helper()
		f.clk.Advance(advance)
		if _, err := f.h.Sweep(ctx); err != nil {
			t.Fatal(err)
		}
		if got := recipients(f.mails()); strings.Join(got, " ") != strings.Join(wantMails, " ") {
			t.Fatalf("after %s: mail to %v, want %v", advance, got, wantMails)
		}
		c, _ := f.st.GetCall(ctx, id)
		if c.Level != wantLevel {
			t.Fatalf("level %d, want %d", c.Level, wantLevel)
		}
	}
	step(0, []string{"primary@mps.example"}, 0)
	step(14*time.Minute, []string{"primary@mps.example"}, 0)
	step(time.Minute, []string{"primary@mps.example", "backup@mps.example"}, 1)
	step(15*time.Minute, []string{"primary@mps.example", "backup@mps.example", "supervisor@mps.example"}, 2)
	step(time.Hour, []string{"primary@mps.example", "backup@mps.example", "supervisor@mps.example"}, 2) // nothing more
	m := f.mails()[2]
	if !strings.Contains(m.Data, "Subject: [Liaison] ESCALATION: unacknowledged HOTLINE from US") || m.From != "hotline@cn.example" {
		t.Fatalf("supervisor mail:\n%s", m.Data)
	}
	hooks := f.hooks()
	if len(hooks) != 3 || hooks[2].Audience != "supervisor" || hooks[0].Audience != "on_call_primary" || hooks[1].Level != 1 {
		t.Fatalf("webhooks %+v", hooks)
	}
}

// TestAcknowledgementStopsEscalation: acknowledging the request answers
// the call; nothing escalates afterwards and the time is recorded.
func TestAcknowledgementStopsEscalation(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	id := f.ring(t)
	f.clk.Advance(4 * time.Minute)
	if err := f.st.InTx(ctx, func(q store.Queries) error {
		return f.h.Acknowledged(ctx, q, "req1", "user:cn-officer", f.clk.Now())
	}); err != nil {
		t.Fatal(err)
	}
	f.clk.Advance(time.Hour)
	if _, err := f.h.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	if got := recipients(f.mails()); len(got) != 1 {
		t.Fatalf("mail after acknowledgement: %v", got)
	}
	c, _ := f.st.GetCall(ctx, id)
	v := hotline.ViewOf(c)
	if v.TimeToAck != 4*time.Minute || v.OnTime == nil || !*v.OnTime || v.Level != 0 {
		t.Fatalf("call %+v", v)
	}
}

// TestBreachNotifiesSupervisorAndRings: a missed deadline of an urgent
// request on the requested side goes to the supervisors and the hotline;
// a routine one to the supervisors only.
func TestBreachNotifiesSupervisorAndRings(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	for i, p := range []request.Priority{request.Routine, request.Urgent} {
		if err := f.st.InTx(ctx, func(q store.Queries) error {
			return f.h.Breach(ctx, q, request.Breach{RequestID: []string{"r-routine", "r-urgent"}[i], Reference: "US-X", Peer: "US", Phase: "acknowledge",
				Priority: p, Side: request.Requested, Due: t0, At: t0.Add(time.Minute)})
		}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.h.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	rcpt := recipients(f.mails())
	slices.Sort(rcpt)
	got := strings.Join(rcpt, " ")
	if got != "primary@mps.example supervisor@mps.example supervisor@mps.example" {
		t.Fatalf("mail to %s", got)
	}
	calls, _ := f.st.ListCalls(ctx, store.CallFilter{})
	if len(calls) != 1 || calls[0].RequestID != "r-urgent" {
		t.Fatalf("calls %+v", calls)
	}
}

// TestFailedDeliveryRetries: a notice the relay cannot take stays
// pending with its error and is retried later.
func TestFailedDeliveryRetries(t *testing.T) {
	f := newFixture(t)
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	dead := ln.Addr().String()
	ln.Close()
	f.h.Notify.SMTP, f.h.Notify.Webhook = dead, ""
	f.ring(t)
	if n, err := f.h.Sweep(t.Context()); err != nil || n != 0 {
		t.Fatalf("sweep: %d, %v", n, err)
	}
	l, _ := f.st.ListNotices(t.Context(), "", "req1", 10)
	var email store.Notice
	for _, n := range l {
		if n.Channel == "email" {
			email = n
		}
	}
	if email.State != store.NoticePending || email.Attempts != 1 || email.LastError == "" || !email.NextAttempt.After(t0) {
		t.Fatalf("failed notice %+v", email)
	}
}
