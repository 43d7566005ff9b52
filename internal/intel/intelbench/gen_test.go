package intelbench

import (
	"bytes"
	"testing"

	"github.com/TcM1911/stix2"

	"github.com/liaison-dev/liaison/internal/intel/pattern"
	"github.com/liaison-dev/liaison/internal/intel/stix"
)

func TestBundleIsValid(t *testing.T) {
	var p stix.Parser
	objs, errs, err := p.ParseObjects(bytes.NewReader(Bundle(200, 1)), 1<<24)
	if err != nil || len(errs) > 0 || len(objs) != 200 {
		t.Fatalf("%d objects, %v, %v", len(objs), errs, err)
	}
	c, err := stix2.FromJSON(Bundle(200, 1))
	if err != nil || len(c.AllObjects()) != 200 {
		t.Fatalf("peer parsed %v, %v", c, err)
	}
}

func BenchmarkOurs(b *testing.B) {
	data := Bundle(10000, 1)
	var p stix.Parser
	for b.Loop() {
		p.ParseBundle(data)
	}
	b.ReportMetric(float64(10000*b.N)/b.Elapsed().Seconds(), "objs/s")
}

// BenchmarkOursPatterns is BenchmarkOurs with indicator patterns parsed,
// as the node's parser (and the benchmark) does.
func BenchmarkOursPatterns(b *testing.B) {
	data := Bundle(10000, 1)
	p := stix.Parser{CheckPattern: func(s string) error { _, err := pattern.Parse(s); return err }}
	for b.Loop() {
		p.ParseBundle(data)
	}
	b.ReportMetric(float64(10000*b.N)/b.Elapsed().Seconds(), "objs/s")
}

func BenchmarkPeer(b *testing.B) {
	data := Bundle(10000, 1)
	for b.Loop() {
		stix2.FromJSON(data)
	}
	b.ReportMetric(float64(10000*b.N)/b.Elapsed().Seconds(), "objs/s")
}

func TestRunIntelSmall(t *testing.T) {
	res, err := RunIntel(t.Context(), IntelOptions{Parse: 500, Collection: 3000, Pages: 5, Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if res.StoredObjsPerS <= 0 || res.Ratio <= 0 || res.TAXIIPageObjects != 1000 || res.TAXIIPageP99Ms <= 0 {
		t.Fatalf("%+v", res)
	}
}

func TestRunMatchSmall(t *testing.T) {
	res, err := RunMatch(t.Context(), MatchOptions{Indicators: 20000, Lookups: 10000, Bulk: 10000})
	if err != nil {
		t.Fatal(err)
	}
	// Four in five benchmark observables name an indexed indicator.
	if res.BulkMatched < 7000 || res.LookupsPerS <= 0 || res.IndexBytes == 0 {
		t.Fatalf("%+v", res)
	}
}
