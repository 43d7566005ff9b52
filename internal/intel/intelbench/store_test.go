package intelbench

import (
	"bytes"
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/liaison-dev/liaison/internal/intel"
	"github.com/liaison-dev/liaison/internal/intel/stix"
	"github.com/liaison-dev/liaison/internal/node"
	"github.com/liaison-dev/liaison/internal/store"
)

// BenchmarkStore adds pre-validated batches of 10,000 objects to one
// collection, each batch one durable transaction: the commit side of
// stored_objs_per_s.
func BenchmarkStore(b *testing.B) {
	ctx := b.Context()
	dir := b.TempDir()
	if _, err := node.Init(ctx, node.InitOptions{Dir: filepath.Join(dir, "node"), Party: "US", Name: "Bench", Listen: "127.0.0.1:0"}); err != nil {
		b.Fatal(err)
	}
	n, err := node.Open(ctx, filepath.Join(dir, "node"), slog.New(slog.DiscardHandler))
	if err != nil {
		b.Fatal(err)
	}
	defer n.Close()
	if _, err := n.Directory.CreateAgency(ctx, "bench", store.Agency{Code: "BENCH", Name: "Bench", Kind: "cert"}); err != nil {
		b.Fatal(err)
	}
	coll, err := n.Intel.CreateCollection(ctx, "bench", intel.NewCollection{Title: "Bench", Grants: []store.Grant{{Grantee: "*", CanRead: true, CanWrite: true}}})
	if err != nil {
		b.Fatal(err)
	}
	const batch = 10_000
	var p stix.Parser
	seed := uint64(1000)
	next := func() []*stix.Object {
		data := Bundle(batch, seed)
		seed++
		objs, _, err := p.ParseObjects(bytes.NewReader(data), 1<<30)
		if err != nil {
			b.Fatal(err)
		}
		return objs
	}
	objs := next()
	b.ResetTimer()
	for range b.N {
		if _, err := n.Intel.Add(ctx, "bench", coll.ID, objs, nil); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		objs = next()
		b.StartTimer()
	}
	b.ReportMetric(float64(batch*b.N)/b.Elapsed().Seconds(), "objs/s")
}
