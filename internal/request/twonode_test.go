package request_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/liaison-dev/liaison/internal/auth"
	"github.com/liaison-dev/liaison/internal/node"
	"github.com/liaison-dev/liaison/internal/request"
	"github.com/liaison-dev/liaison/internal/store"
)

// world is two real nodes, US and CN, paired and serving on loopback.
type world struct {
	us, cn *node.Node
	users  map[string]*auth.Principal // "US/liaison_officer" → principal
}

func newWorld(t *testing.T) *world {
	t.Helper()
	ctx := t.Context()
	w := &world{users: map[string]*auth.Principal{}}
	nodes := map[string]**node.Node{"US": &w.us, "CN": &w.cn}
	lns := map[string]net.Listener{}
	for _, party := range []string{"US", "CN"} {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		lns[party] = ln
		dir := filepath.Join(t.TempDir(), party)
		zone := map[string]string{"US": "America/New_York", "CN": "Asia/Shanghai"}[party]
		if _, err := node.Init(ctx, node.InitOptions{Dir: dir, Party: party, Name: party, Listen: ln.Addr().String(), TimeZone: zone}); err != nil {
			t.Fatal(err)
		}
		n, err := node.Open(ctx, dir, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { n.Close() })
		// Messages queued by inbox handlers wait for the next poll.
		n.Federation.Poll = 50 * time.Millisecond
		*nodes[party] = n
		if _, err := n.Directory.CreateAgency(ctx, "test", store.Agency{Code: "AG", Name: "Agency", Kind: "police"}); err != nil {
			t.Fatal(err)
		}
		c, err := n.Directory.CreateContact(ctx, "test", store.Contact{Agency: "AG", Name: "Duty " + party, Role: "24/7", Languages: []string{"en"},
			TimeZone: zone, Email: "duty@" + party + ".example"})
		if err != nil {
			t.Fatal(err)
		}
		now := n.Clock.Now()
		if _, err := n.Directory.CreateShift(ctx, "test", store.Shift{ContactID: c.ID, Position: "primary", Start: now.Add(-time.Hour), End: now.Add(24 * time.Hour)}); err != nil {
			t.Fatal(err)
		}
		for _, r := range auth.Roles {
			u, err := n.Auth.CreateUser(ctx, "test", auth.NewUser{Username: strings.ToLower(party) + "-" + strings.ReplaceAll(string(r), "_", "-"),
				DisplayName: string(r), Agency: "AG", Roles: []string{string(r)}, Password: "correct horse battery", TimeZone: zone})
			if err != nil {
				t.Fatal(err)
			}
			w.users[party+"/"+string(r)] = &auth.Principal{User: u}
		}
	}
	for _, a := range []*node.Node{w.us, w.cn} {
		desc, err := a.Descriptor(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range []*node.Node{w.us, w.cn} {
			if a != b {
				if _, err := b.Peers.Add(ctx, "test", desc); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	sctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for party, n := range map[string]*node.Node{"US": w.us, "CN": w.cn} {
		wg.Add(1)
		go func() { defer wg.Done(); n.Serve(sctx, lns[party]) }()
	}
	t.Cleanup(func() { cancel(); wg.Wait() })
	return w
}

func (w *world) p(party string, r auth.Role) *auth.Principal { return w.users[party+"/"+string(r)] }

type snap struct {
	State  request.State
	Events []string
}

func snapshot(t *testing.T, n *node.Node, p *auth.Principal, id string) (snap, error) {
	v, err := n.Requests.Get(t.Context(), p, id)
	if err != nil {
		return snap{}, err
	}
	s := snap{State: v.State}
	for _, e := range v.Timeline {
		s.Events = append(s.Events, fmt.Sprintf("%d/%s/%s %s->%s void=%v", e.Lamport, e.Party, e.Action, e.From, e.To, e.Void != ""))
	}
	return s, nil
}

// converge waits until both nodes hold the same state and timeline for
// id, with at least events events, and returns it.
func (w *world) converge(t *testing.T, id string, events int, who auth.Role) snap {
	t.Helper()
	var a, b snap
	var errA, errB error
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		a, errA = snapshot(t, w.us, w.p("US", who), id)
		b, errB = snapshot(t, w.cn, w.p("CN", who), id)
		if errA == nil && errB == nil && len(a.Events) >= events && slices.Equal(a.Events, b.Events) {
			ja, _ := json.Marshal(a.State)
			jb, _ := json.Marshal(b.State)
			if string(ja) == string(jb) {
				return a
			}
		}
	}
	t.Fatalf("no convergence on %s:\nUS %v %+v\nCN %v %+v", id, errA, a, errB, b)
	return snap{}
}

func draft(t request.Type, to string) request.Draft {
	d := request.Draft{Type: t, Priority: request.Routine, To: to, Title: "case " + string(t), Fields: map[string]any{
		"requesting_authority": "FBI Cyber", "requesting_officer": "Dana", "requesting_email": "dana@fbi.example", "time_zone": "America/New_York",
		"legal_basis": "18 U.S.C. 2703(f)", "offences": []any{"computer intrusion"}, "summary": "an intrusion"}}
	s, _ := request.Lookup(t)
	for _, f := range s.Fields {
		if _, ok := d.Fields[f.Name]; ok || !f.Required {
			continue
		}
		switch f.Kind {
		case request.Bool:
			d.Fields[f.Name] = true
		case request.List:
			d.Fields[f.Name] = []any{"x"}
		case request.EnumList:
			d.Fields[f.Name] = []any{f.Values[0]}
		case request.Time:
			d.Fields[f.Name] = time.Now().UTC().Format(time.RFC3339)
		case request.Domain:
			d.Fields[f.Name] = "example.com"
		case request.Amount:
			d.Fields[f.Name] = "1000"
		default:
			d.Fields[f.Name] = "value"
		}
	}
	if t == request.Spontaneous {
		d.Conditions = []string{"purpose_only"}
	}
	if t == request.EmergencyDisclosure {
		d.Priority = request.Emergency
	}
	if t == request.BECRecall {
		d.Fields["currency"] = "USD"
	}
	return d
}

// TestTwoNodesConverge runs requests across two real nodes, with both
// parties acting at once, and checks that they end with the same state
// and the same timeline.
func TestTwoNodesConverge(t *testing.T) {
	w := newWorld(t)
	ctx := t.Context()
	usOff, cnOff := w.p("US", auth.Officer), w.p("CN", auth.Officer)

	// Preservation US → CN: sent, delivered (by CN, at its receipt time),
	// acknowledged and answered.
	v, err := w.us.Requests.Create(ctx, usOff, draft(request.Preservation, "CN"))
	if err != nil {
		t.Fatal(err)
	}
	id := v.ID
	if _, err := w.us.Requests.Act(ctx, usOff, id, request.Answer, request.ActInput{}); !errors.Is(err, request.ErrTransition) {
		t.Fatalf("answer a draft: %v", err)
	}
	if _, err := w.us.Requests.Act(ctx, usOff, id, request.Send, request.ActInput{}); err != nil {
		t.Fatal(err)
	}
	s := w.converge(t, id, 2, auth.Officer)
	if s.State.Status != request.Delivered || s.State.AckDue.IsZero() {
		t.Fatalf("after send: %+v", s)
	}

	// Both act at once: CN acknowledges and starts work while US links the
	// request to the MLA request that will follow.
	var wg sync.WaitGroup
	errs := make([]error, 2)
	wg.Add(2)
	go func() {
		defer wg.Done()
		if _, errs[0] = w.cn.Requests.Act(ctx, cnOff, id, request.Acknowledge, request.ActInput{}); errs[0] == nil {
			_, errs[0] = w.cn.Requests.Act(ctx, cnOff, id, request.Start, request.ActInput{})
		}
	}()
	go func() {
		defer wg.Done()
		_, errs[1] = w.us.Requests.Act(ctx, usOff, id, request.Link, request.ActInput{EventData: request.EventData{LinkedMLA: fmt.Sprintf("%032x", 1)}})
	}()
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	s = w.converge(t, id, 5, auth.Officer)
	if s.State.Status != request.InProgress || s.State.LinkedMLA == "" {
		t.Fatalf("after concurrent actions: %+v", s)
	}

	// A real race: CN answers while US withdraws. One wins on both sides.
	wg.Add(2)
	go func() {
		defer wg.Done()
		_, errs[0] = w.cn.Requests.Act(ctx, cnOff, id, request.Answer, request.ActInput{EventData: request.EventData{Completeness: "full", Answer: "preserved",
			PreservedUntil: time.Now().Add(90 * 24 * time.Hour)}})
	}()
	go func() {
		defer wg.Done()
		_, errs[1] = w.us.Requests.Act(ctx, usOff, id, request.Withdraw, request.ActInput{EventData: request.EventData{Note: "no longer needed"}})
	}()
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	s = w.converge(t, id, 7, auth.Officer)
	if s.State.Status != request.Answered && s.State.Status != request.Withdrawn {
		t.Fatalf("after the race: %+v", s)
	}
	t.Logf("race outcome: %s; timeline %v", s.State.Status, s.Events)

	// Audit and ledger recorded the transitions on both sides.
	for _, n := range []*node.Node{w.us, w.cn} {
		l, err := n.Store.ListAudit(ctx, store.AuditFilter{ObjectType: "request", ObjectID: id})
		if err != nil || len(l) < 3 {
			t.Fatalf("audit of %s: %d entries, %v", n.Config.Party, len(l), err)
		}
		le, err := n.Store.LedgerByObject(ctx, id, 100)
		if err != nil || len(le) != 7 {
			t.Fatalf("ledger of %s: %d entries, %v", n.Config.Party, len(le), err)
		}
	}
}

// TestEveryTypeAcrossNodes creates, sends, acknowledges and answers (or
// refuses) a request of every type across the two nodes, each by the
// role its type requires.
func TestEveryTypeAcrossNodes(t *testing.T) {
	w := newWorld(t)
	ctx := t.Context()
	for i, typ := range request.Types() {
		role := auth.Officer
		if request.Type(typ) == request.MLA {
			role = auth.CentralAuthority
			if _, err := w.us.Requests.Create(ctx, w.p("US", auth.Officer), draft(request.MLA, "CN")); !errors.Is(err, auth.ErrForbidden) {
				t.Fatalf("officer created an MLA request: %v", err)
			}
		}
		us, cn := w.p("US", role), w.p("CN", role)
		v, err := w.us.Requests.Create(ctx, us, draft(request.Type(typ), "CN"))
		if err != nil {
			t.Fatalf("%s: %v", typ, err)
		}
		if _, err := w.us.Requests.Act(ctx, us, v.ID, request.Send, request.ActInput{}); err != nil {
			t.Fatal(err)
		}
		w.converge(t, v.ID, 2, role)
		if request.Type(typ) == request.MLA {
			if _, err := w.cn.Requests.Get(ctx, w.p("CN", auth.Officer), v.ID); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("a CN officer sees an MLA request: %v", err)
			}
		}
		want := request.Answered
		switch {
		case request.Type(typ) == request.Spontaneous:
			got, _ := w.cn.Requests.Get(ctx, cn, v.ID)
			if got.Sealed == "" || len(got.Fields) != 0 {
				t.Fatalf("spontaneous information open before its conditions were accepted: %+v", got.Fields)
			}
			if _, err := w.cn.Requests.Act(ctx, cn, v.ID, request.AcceptConditions, request.ActInput{}); err != nil {
				t.Fatal(err)
			}
			if got, _ := w.cn.Requests.Get(ctx, cn, v.ID); got.Sealed != "" || got.Fields["information"] == nil {
				t.Fatal("spontaneous information still sealed after acceptance")
			}
			want = request.Acknowledged
		case i%3 == 0:
			if _, err := w.cn.Requests.Act(ctx, cn, v.ID, request.Refuse, request.ActInput{EventData: request.EventData{Ground: "essential_interests", Reasons: "r"}}); err != nil {
				t.Fatal(err)
			}
			want = request.Refused
		default:
			if _, err := w.cn.Requests.Act(ctx, cn, v.ID, request.Acknowledge, request.ActInput{}); err != nil {
				t.Fatal(err)
			}
			in := request.ActInput{EventData: request.EventData{Completeness: "full", Answer: "done", PreservedUntil: time.Now().Add(61 * 24 * time.Hour)}}
			if _, err := w.cn.Requests.Act(ctx, cn, v.ID, request.Answer, in); err != nil {
				t.Fatalf("%s: %v", typ, err)
			}
		}
		if s := w.converge(t, v.ID, 3, role); s.State.Status != want {
			t.Fatalf("%s: %s, want %s", typ, s.State.Status, want)
		}
	}
	// The emergency request rang CN's hotline; the acknowledgement
	// answered the call.
	calls, err := w.cn.Hotline.Calls(ctx, store.CallFilter{})
	if err != nil || len(calls) != 1 || calls[0].Acked.IsZero() {
		t.Fatalf("CN hotline calls: %+v, %v", calls, err)
	}
	notices, _ := w.cn.Store.ListNotices(ctx, calls[0].ID, "", 10)
	if len(notices) == 0 || notices[0].Audience != "on_call_primary" || notices[0].Target != "Duty CN" {
		t.Fatalf("ring notices: %+v", notices)
	}
	// Lists and filters.
	yes := []request.Status{request.Refused}
	l, err := w.us.Requests.List(ctx, w.p("US", auth.Supervisor), request.Filter{Status: yes, Party: "CN"})
	if err != nil || len(l) == 0 {
		t.Fatalf("list refused: %v %v", l, err)
	}
}

func TestDrillAcrossNodes(t *testing.T) {
	w := newWorld(t)
	ctx := t.Context()
	call, err := w.us.Hotline.Drill(ctx, "user:us-officer", "CN")
	if err != nil {
		t.Fatal(err)
	}
	var in []string
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline) && len(in) == 0; time.Sleep(20 * time.Millisecond) {
		l, _ := w.cn.Hotline.Calls(ctx, store.CallFilter{Open: true})
		for _, c := range l {
			if c.ID == call.ID && c.Drill {
				in = append(in, c.ID)
			}
		}
	}
	if len(in) == 0 {
		t.Fatal("drill never rang at CN")
	}
	if _, err := w.us.Hotline.Ack(ctx, "user:x", call.ID); err == nil {
		t.Fatal("the caller acknowledged its own drill")
	}
	if _, err := w.cn.Hotline.Ack(ctx, "user:cn-officer", call.ID); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		l, _ := w.us.Hotline.Calls(ctx, store.CallFilter{})
		if len(l) == 1 && !l[0].Acked.IsZero() {
			if l[0].TimeToAck <= 0 || l[0].AckedBy != "peer:CN/user:cn-officer" || !l[0].Drill {
				t.Fatalf("drill result %+v", l[0])
			}
			return
		}
	}
	t.Fatal("the drill's acknowledgement never reached US")
}
