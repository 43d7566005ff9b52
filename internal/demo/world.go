// Package demo builds and runs a complete Liaison world on loopback: one
// node per party with agencies, accounts for every role, 24/7 contacts and
// on-call shifts, all nodes paired with each other. `liaison demo` serves it
// for people to click through; `liaison demo --check` plays the scripted
// story against it through the real HTTPS API and reports what it verified.
package demo

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/liaison-dev/liaison/internal/auth"
	"github.com/liaison-dev/liaison/internal/node"
	"github.com/liaison-dev/liaison/internal/store"
)

// Password is every demo account's password. Demo worlds live on loopback
// in a scratch directory; never reuse this anywhere else.
const Password = "liaison-demo-2026"

// Party is one party of the demo world.
type Party struct {
	Code, Name, TimeZone string
	Agencies             []store.Agency
	Contacts             []store.Contact
	// Accounts by role; the agency is where the role sits.
	Accounts []Account
}

// Account is a demo login.
type Account struct {
	Username string
	Role     auth.Role
	Agency   string
}

// Parties is the demo cast: the two parties of the dialogue.
var Parties = []Party{
	{
		Code: "US", Name: "United States", TimeZone: "America/New_York",
		Agencies: []store.Agency{
			{Code: "DOJ-OIA", Name: "Department of Justice, Office of International Affairs", Kind: "justice"},
			{Code: "FBI", Name: "Federal Bureau of Investigation, Cyber Division", Kind: "police"},
			{Code: "DHS", Name: "Department of Homeland Security", Kind: "homeland_security"},
			{Code: "CISA", Name: "Cybersecurity and Infrastructure Security Agency", Kind: "cert"},
		},
		Contacts: []store.Contact{
			{Agency: "FBI", Name: "Dana Whitfield", Role: "24/7 duty officer (primary)", Languages: []string{"en"}, TimeZone: "America/New_York", Phone: "+1 202 555 0141", Email: "duty@fbi.example"},
			{Agency: "FBI", Name: "Marcus Lee", Role: "24/7 duty officer (backup)", Languages: []string{"en", "zh"}, TimeZone: "America/New_York", Phone: "+1 202 555 0142", Email: "backup@fbi.example"},
			{Agency: "DOJ-OIA", Name: "Ruth Alvarez", Role: "Central authority, MLA", Languages: []string{"en"}, TimeZone: "America/New_York", Email: "oia@doj.example"},
		},
		Accounts: []Account{
			{"us-admin", auth.Admin, "FBI"}, {"us-officer", auth.Officer, "FBI"}, {"us-central", auth.CentralAuthority, "DOJ-OIA"},
			{"us-analyst", auth.Analyst, "CISA"}, {"us-supervisor", auth.Supervisor, "FBI"}, {"us-auditor", auth.Auditor, "DOJ-OIA"},
		},
	},
	{
		Code: "CN", Name: "China", TimeZone: "Asia/Shanghai",
		Agencies: []store.Agency{
			{Code: "MOJ", Name: "Ministry of Justice", Kind: "justice"},
			{Code: "MPS", Name: "Ministry of Public Security, Cybersecurity Bureau", Kind: "police"},
			{Code: "CNCERT", Name: "National Computer Network Emergency Response Technical Team", Kind: "cert"},
		},
		Contacts: []store.Contact{
			{Agency: "MPS", Name: "Wang Fang", Role: "24/7 duty officer (primary)", Languages: []string{"zh", "en"}, TimeZone: "Asia/Shanghai", Phone: "+86 10 5555 0101", Email: "duty@mps.example"},
			{Agency: "MPS", Name: "Zhao Lei", Role: "24/7 duty officer (backup)", Languages: []string{"zh"}, TimeZone: "Asia/Shanghai", Phone: "+86 10 5555 0102", Email: "backup@mps.example"},
			{Agency: "MOJ", Name: "Chen Jing", Role: "Central authority, MLA", Languages: []string{"zh", "en"}, TimeZone: "Asia/Shanghai", Email: "mla@moj.example"},
		},
		Accounts: []Account{
			{"cn-admin", auth.Admin, "MPS"}, {"cn-officer", auth.Officer, "MPS"}, {"cn-central", auth.CentralAuthority, "MOJ"},
			{"cn-analyst", auth.Analyst, "CNCERT"}, {"cn-supervisor", auth.Supervisor, "MPS"}, {"cn-auditor", auth.Auditor, "MOJ"},
		},
	},
}

// World is a running demo.
type World struct {
	Dir   string
	Nodes []*Running
	// Clock is the business clock of every node's request and hotline
	// services: real time plus an offset the story advances to show
	// deadlines passing without waiting for them.
	Clock   *TravelClock
	logFile *os.File
}

// TravelClock is real time plus an offset.
type TravelClock struct {
	mu  sync.Mutex
	off time.Duration
}

// Now implements clock.Clock.
func (c *TravelClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().UTC().Add(c.off)
}

// Advance moves the clock forward by d.
func (c *TravelClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.off += d
	c.mu.Unlock()
}

// Running is one served node of the world.
type Running struct {
	Party *Party
	Node  *node.Node
	Addr  string // host:port it serves on
	Dir   string
}

// URL is the node's base URL.
func (r *Running) URL() string { return "https://" + r.Addr }

// Options configure Build.
type Options struct {
	// Dir holds the nodes; it must be empty or missing.
	Dir string
	// BasePort is the first node's port; the others follow. 0 picks free
	// ports (used by --check so it never collides with anything).
	BasePort int
	// Log receives the nodes' logs; nil writes them to DIR/demo.log.
	Log *slog.Logger
	// Parties is the cast; nil means Parties. Tests add a third party to
	// prove features beyond the bilateral case.
	Parties []Party
}

// Europol is a third party for multi-party tests.
var Europol = Party{
	Code: "EU", Name: "Europol", TimeZone: "Europe/Amsterdam",
	Agencies: []store.Agency{{Code: "EC3", Name: "European Cybercrime Centre", Kind: "police"}},
	Contacts: []store.Contact{
		{Agency: "EC3", Name: "Anna Visser", Role: "24/7 duty officer (primary)", Languages: []string{"en", "nl"}, TimeZone: "Europe/Amsterdam", Phone: "+31 70 555 0101"},
		{Agency: "EC3", Name: "Luca Romano", Role: "24/7 duty officer (backup)", Languages: []string{"en", "it"}, TimeZone: "Europe/Amsterdam", Phone: "+31 70 555 0102"},
	},
	Accounts: []Account{{"eu-admin", auth.Admin, "EC3"}, {"eu-officer", auth.Officer, "EC3"}, {"eu-analyst", auth.Analyst, "EC3"},
		{"eu-supervisor", auth.Supervisor, "EC3"}, {"eu-auditor", auth.Auditor, "EC3"}, {"eu-central", auth.CentralAuthority, "EC3"}},
}

// Build creates, seeds and pairs every node. It does not serve them yet.
func Build(ctx context.Context, o Options) (*World, error) {
	if entries, err := os.ReadDir(o.Dir); err == nil && len(entries) > 0 {
		return nil, fmt.Errorf("demo directory %s is not empty; give an empty or new directory", o.Dir)
	}
	w := &World{Dir: o.Dir, Clock: &TravelClock{}}
	if o.Log == nil {
		if err := os.MkdirAll(o.Dir, 0o700); err != nil {
			return nil, err
		}
		f, err := os.OpenFile(filepath.Join(o.Dir, "demo.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
		if err != nil {
			return nil, err
		}
		w.logFile = f
		o.Log = slog.New(slog.NewJSONHandler(f, nil))
	}
	cast := o.Parties
	if cast == nil {
		cast = Parties
	}
	for i := range cast {
		p := &cast[i]
		addr, err := address(o.BasePort, i)
		if err != nil {
			return nil, err
		}
		dir := filepath.Join(o.Dir, p.Code)
		if _, err := node.Init(ctx, node.InitOptions{Dir: dir, Party: p.Code, Name: p.Name, Listen: addr, TimeZone: p.TimeZone}); err != nil {
			return nil, fmt.Errorf("init %s: %w", p.Code, err)
		}
		n, err := node.Open(ctx, dir, o.Log)
		if err != nil {
			return nil, err
		}
		n.Requests.Clock, n.Hotline.Clock, n.Progress.Clock = w.Clock, w.Clock, w.Clock
		w.Nodes = append(w.Nodes, &Running{Party: p, Node: n, Addr: addr, Dir: dir})
		if err := seed(ctx, n, p); err != nil {
			w.Close()
			return nil, fmt.Errorf("seed %s: %w", p.Code, err)
		}
		if err := loadRounds(ctx, n); err != nil {
			w.Close()
			return nil, fmt.Errorf("rounds %s: %w", p.Code, err)
		}
	}
	if err := w.pair(ctx); err != nil {
		w.Close()
		return nil, err
	}
	return w, nil
}

func address(base, i int) (string, error) {
	if base != 0 {
		return net.JoinHostPort("127.0.0.1", strconv.Itoa(base+1000*i)), nil
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

const actor = "demo"

func seed(ctx context.Context, n *node.Node, p *Party) error {
	for _, a := range p.Agencies {
		if _, err := n.Directory.CreateAgency(ctx, actor, a); err != nil {
			return err
		}
	}
	now := n.Clock.Now()
	for i, c := range p.Contacts {
		c, err := n.Directory.CreateContact(ctx, actor, c)
		if err != nil {
			return err
		}
		// A week of round-the-clock cover starting yesterday: the first
		// contact is primary, the second backup.
		if i < 2 {
			pos := []string{"primary", "backup"}[i]
			if _, err := n.Directory.CreateShift(ctx, actor, store.Shift{ContactID: c.ID, Position: pos,
				Start: now.Add(-24 * time.Hour).Truncate(time.Hour), End: now.Add(6 * 24 * time.Hour).Truncate(time.Hour)}); err != nil {
				return err
			}
		}
	}
	lang := "en"
	if p.Code == "CN" {
		lang = "zh-CN"
	}
	for _, a := range p.Accounts {
		if _, err := n.Auth.CreateUser(ctx, actor, auth.NewUser{Username: a.Username, DisplayName: a.Username, Agency: a.Agency,
			Roles: []string{string(a.Role)}, Password: Password, Language: lang, TimeZone: p.TimeZone}); err != nil {
			return err
		}
	}
	return nil
}

// pair imports every node's descriptor into every other node.
func (w *World) pair(ctx context.Context) error {
	for _, a := range w.Nodes {
		desc, err := a.Node.Descriptor(ctx)
		if err != nil {
			return err
		}
		for _, b := range w.Nodes {
			if a == b {
				continue
			}
			if _, err := b.Node.Peers.Add(ctx, actor, desc); err != nil {
				return fmt.Errorf("pair %s with %s: %w", b.Party.Code, a.Party.Code, err)
			}
		}
	}
	return nil
}

// Serve serves every node until ctx is cancelled, then drains them all.
// ready is called once every node is listening.
func (w *World) Serve(ctx context.Context, ready func()) error {
	var wg sync.WaitGroup
	errs := make([]error, len(w.Nodes))
	lns := make([]net.Listener, len(w.Nodes))
	for i, r := range w.Nodes {
		ln, err := net.Listen("tcp", r.Addr)
		if err != nil {
			for _, l := range lns[:i] {
				l.Close()
			}
			return fmt.Errorf("%s: listen on %s: %w", r.Party.Code, r.Addr, err)
		}
		lns[i] = ln
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for i, r := range w.Nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if errs[i] = r.Node.Serve(ctx, lns[i]); errs[i] != nil {
				cancel()
			}
		}()
	}
	if ready != nil {
		ready()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// Close releases every node's store.
func (w *World) Close() {
	for _, r := range w.Nodes {
		r.Node.Close()
	}
	if w.logFile != nil {
		w.logFile.Close()
	}
}
