package node_test

import (
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/liaison-dev/liaison/internal/demo"
	"github.com/liaison-dev/liaison/internal/ledger"
	"github.com/liaison-dev/liaison/internal/store"
)

// TestEnvelopeEntries: every envelope sent or received and every stored
// receipt is in the ledger, appended with the outbox row, the inbox row and
// the receipt; the sender's and the receiver's entries for one envelope
// carry the same body (the signed header), so their hashes match.
func TestEnvelopeEntries(t *testing.T) {
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
		if strings.HasPrefix(st.Name, "requests: a preservation request") {
			if err := st.Run(ctx, s); err != nil {
				t.Fatalf("%s: %v", st.Name, err)
			}
		}
	}
	us, cn := w.Nodes[0].Node, w.Nodes[1].Node
	entries := func(st store.Store) []store.LedgerEntry {
		n, err := st.LedgerSize(ctx)
		if err != nil {
			t.Fatal(err)
		}
		es, err := st.ListLedger(ctx, 0, n, store.MaxLedgerPage)
		if err != nil {
			t.Fatal(err)
		}
		return es
	}
	byKind := func(es []store.LedgerEntry) map[string]map[string]store.LedgerEntry {
		m := map[string]map[string]store.LedgerEntry{}
		for _, e := range es {
			if m[e.Kind] == nil {
				m[e.Kind] = map[string]store.LedgerEntry{}
			}
			m[e.Kind][e.ObjectID] = e
		}
		return m
	}
	// Receipts come back after delivery: wait for the last ones.
	var u, c map[string]map[string]store.LedgerEntry
	for range 200 {
		u, c = byKind(entries(us.Store)), byKind(entries(cn.Store))
		if len(u[ledger.KindReceipt]) == len(u[ledger.KindEnvelopeSent]) && len(c[ledger.KindReceipt]) == len(c[ledger.KindEnvelopeSent]) {
			break
		}
		demoSleep()
	}
	if len(u[ledger.KindEnvelopeSent]) == 0 || len(c[ledger.KindEnvelopeSent]) == 0 {
		t.Fatalf("no envelope entries: US %d, CN %d", len(u[ledger.KindEnvelopeSent]), len(c[ledger.KindEnvelopeSent]))
	}
	for _, pair := range []struct {
		name     string
		from, to map[string]map[string]store.LedgerEntry
	}{{"US→CN", u, c}, {"CN→US", c, u}} {
		for id, sent := range pair.from[ledger.KindEnvelopeSent] {
			recv, ok := pair.to[ledger.KindEnvelopeReceived][id]
			if !ok {
				t.Errorf("%s: envelope %s sent, not recorded as received", pair.name, id)
				continue
			}
			if string(recv.BodyHash) != string(sent.BodyHash) {
				t.Errorf("%s: envelope %s: sent and received bodies differ", pair.name, id)
			}
			if _, ok := pair.from[ledger.KindReceipt][id]; !ok {
				t.Errorf("%s: envelope %s: no receipt entry", pair.name, id)
			}
		}
	}
	for _, e := range append(entries(us.Store), entries(cn.Store)...) {
		if strings.HasPrefix(e.Kind, "envelope.") && strings.Contains(string(e.Body), `"type":"ledger.`) {
			t.Errorf("the cosigning exchange's own envelope is in the ledger: %s", e.Body)
		}
	}
}

func demoSleep() { time.Sleep(50 * time.Millisecond) }
