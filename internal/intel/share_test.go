package intel_test

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/liaison-dev/liaison/internal/demo"
	"github.com/liaison-dev/liaison/internal/intel"
	"github.com/liaison-dev/liaison/internal/intel/marking"
	"github.com/liaison-dev/liaison/internal/intel/stix"
	"github.com/liaison-dev/liaison/internal/store"
)

func indicator(n int, tlp marking.TLP, extra string) []byte {
	return fmt.Appendf(nil, `{"type":"indicator","spec_version":"2.1","id":"indicator--%08d-1111-4111-8111-111111111111","created":"2026-11-01T00:00:00.000Z","modified":"2026-11-01T00:00:00.000Z","pattern":"[ipv4-addr:value = '198.51.100.%d']","pattern_type":"stix","valid_from":"2026-11-01T00:00:00Z","object_marking_refs":["%s"]%s}`,
		n, n, tlp.ID(), extra)
}

// TestSharingEnforcesMarkings runs three real nodes: US shares a
// collection with CN and EU. Each peer receives exactly what TLP allows:
// AMBER to both, RED only to the party it names, AMBER+STRICT to nobody.
func TestSharingEnforcesMarkings(t *testing.T) {
	ctx := t.Context()
	cast := append(slices.Clone(demo.Parties), demo.Europol)
	w, err := demo.Build(ctx, demo.Options{Dir: filepath.Join(t.TempDir(), "w"), Log: slog.New(slog.DiscardHandler), Parties: cast})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	sctx, cancel := context.WithCancel(ctx)
	ready, done := make(chan struct{}), make(chan error, 1)
	go func() { done <- w.Serve(sctx, func() { close(ready) }) }()
	defer func() { cancel(); <-done }()
	<-ready
	nodes := map[string]*demo.Running{}
	for _, r := range w.Nodes {
		nodes[r.Party.Code] = r
	}
	us := nodes["US"].Node
	coll, err := us.Intel.CreateCollection(ctx, "t", intel.NewCollection{Title: "C2 servers", Grants: []store.Grant{
		{Grantee: "agency:FBI", CanRead: true, CanWrite: true}, {Grantee: "party:CN", CanRead: true}, {Grantee: "party:EU", CanRead: true}}})
	if err != nil {
		t.Fatal(err)
	}
	raws := [][]byte{
		indicator(1, marking.Amber, ""),
		indicator(2, marking.Red, `,"x_liaison_recipients":["CN"]`),
		indicator(3, marking.AmberStrict, ""),
		indicator(4, marking.Green, ""),
	}
	// The dry run says who would see each, before anything is sent.
	p, err := us.Intel.WhoWouldSee(ctx, coll.ID, raws[1])
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range p.Recipients {
		if r.Allowed != (r.Party == "CN") || r.Reason == "" {
			t.Errorf("dry run for RED: %+v", r)
		}
	}
	parsed := parseAll(t, us.Intel, raws)
	if _, err := us.Intel.Add(ctx, "t", coll.ID, parsed, nil); err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{"CN": {"1", "2", "4"}, "EU": {"1", "4"}}
	for party, ids := range want {
		n := nodes[party].Node
		var got []string
		deadline := time.Now().Add(20 * time.Second)
		for time.Now().Before(deadline) {
			got = received(t, n.Store)
			if len(got) >= len(ids) {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		// Anything else would arrive in the same envelope, so once the
		// expected objects are there the set is complete.
		if !slices.Equal(got, ids) {
			t.Errorf("%s received %v, want %v", party, got, ids)
		}
	}
}

func parseAll(t *testing.T, s *intel.Service, raws [][]byte) []*stix.Object {
	var out []*stix.Object
	for _, r := range raws {
		o, err := s.Parser.Parse(r)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, o)
	}
	return out
}

// received lists the numbers of the indicators a node holds in any
// collection.
func received(t *testing.T, st store.Store) []string {
	colls, err := st.ListCollections(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range colls {
		rows, err := st.QueryObjects(t.Context(), store.STIXFilter{CollectionID: c.ID, Types: []string{"indicator"}, Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			got = append(got, strings.TrimLeft(strings.TrimPrefix(r.ID, "indicator--")[:8], "0"))
		}
	}
	slices.Sort(got)
	return got
}
