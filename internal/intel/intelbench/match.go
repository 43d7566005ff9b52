package intelbench

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/liaison-dev/liaison/internal/intel/match"
	"github.com/liaison-dev/liaison/internal/intel/pattern"
)

// MatchResult is what `liaison bench match --json` prints.
type MatchResult struct {
	Indicators      int     `json:"indicators"`
	BuildSeconds    float64 `json:"build_seconds"`
	Lookups         int     `json:"lookups"`
	LookupsPerS     float64 `json:"lookups_per_s"`
	BulkObservables int     `json:"bulk_observables"`
	BulkSeconds     float64 `json:"bulk_seconds"`
	BulkMatched     int     `json:"bulk_matched"`
	IndexBytes      uint64  `json:"index_bytes"`
	// BaselineLookupsPerS is a plain Go map of the same observable strings,
	// looked up the same way in the same run: the floor any index pays.
	BaselineLookupsPerS float64 `json:"baseline_lookups_per_s"`
	Ratio               float64 `json:"ratio"`
	Threads             int     `json:"threads"`
}

// MatchOptions size the match benchmark.
type MatchOptions struct {
	Indicators, Lookups, Bulk int
}

// observable returns the k-th benchmark observable for an index of n
// indicators: four in five name an indexed indicator (an address, an
// address inside a CIDR range, a domain, a file hash), one in five is
// unknown.
func observable(k, n int) match.Observable {
	j := 20 * (k / 5 % max(1, n/20))
	switch k % 5 {
	case 0:
		return match.Observable{Type: match.IPv4, Value: IPv4(j + 1)}
	case 1:
		return match.Observable{Type: match.Domain, Value: Domain(j + 8)}
	case 2:
		return match.Observable{Type: match.File, Hashes: map[string]string{"SHA-256": Hash(j + 13)}}
	case 3:
		return match.Observable{Type: match.IPv4, Value: fmt.Sprintf("172.%d.%d.9", j>>16&15|16, j>>8&255)}
	}
	return match.Observable{Type: match.IPv4, Value: fmt.Sprintf("192.0.%d.%d", k>>8&255, k&255)}
}

func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// parallel runs fn(i) for i in [0, n) on every core.
func parallel(n int, fn func(lo, hi int)) {
	workers := runtime.GOMAXPROCS(0)
	var wg sync.WaitGroup
	for w := range workers {
		lo, hi := n*w/workers, n*(w+1)/workers
		wg.Add(1)
		go func() {
			defer wg.Done()
			fn(lo, hi)
		}()
	}
	wg.Wait()
}

// RunMatch builds an index of o.Indicators indicators and measures single
// lookups, a bulk sweep, the index's memory, and the plain-map baseline.
func RunMatch(ctx context.Context, o MatchOptions) (MatchResult, error) {
	res := MatchResult{Indicators: o.Indicators, Lookups: o.Lookups, BulkObservables: o.Bulk, Threads: runtime.GOMAXPROCS(0)}
	patterns := make([]*pattern.Pattern, o.Indicators)
	var perr error
	var mu sync.Mutex
	parallel(o.Indicators, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			p, err := pattern.Parse(IndicatorPattern(i))
			if err != nil {
				mu.Lock()
				perr = err
				mu.Unlock()
				return
			}
			patterns[i] = p
		}
	})
	if perr != nil {
		return res, perr
	}
	before := heapInUse()
	start := time.Now()
	b := match.NewBuilder(o.Indicators)
	for i, p := range patterns {
		b.Add(match.Indicator{ID: fmt.Sprintf("indicator--%08d-0000-4000-8000-000000000000", i), TLP: "TLP:AMBER", CollectionID: "bench"}, p)
	}
	ix := b.Build()
	res.BuildSeconds = time.Since(start).Seconds()
	after := heapInUse()
	runtime.KeepAlive(patterns)
	patterns = nil
	if after > before {
		res.IndexBytes = after - before
	}
	if ctx.Err() != nil {
		return res, ctx.Err()
	}

	// Single lookups: one observable at a time, every core.
	obs := make([]match.Observable, 4096)
	keys := make([]string, len(obs))
	for i := range obs {
		obs[i] = observable(i*7919, o.Indicators)
		keys[i] = obs[i].Type + ":" + obs[i].Value + obs[i].Hashes["SHA-256"]
	}
	// Each hit is handed to a consumer, as a sweep that writes results
	// does; the index itself allocates nothing per lookup.
	var sink [64]int
	start = time.Now()
	parallel(o.Lookups, func(lo, hi int) {
		found := 0
		for i := lo; i < hi; i++ {
			ix.Each(obs[i&4095], func(ind *match.Indicator) { found += len(ind.ID) })
		}
		sink[lo%64] = found
	})
	res.LookupsPerS = float64(o.Lookups) / time.Since(start).Seconds()

	// Baseline: the same keys in a plain map, the same way.
	plain := make(map[string]int32, o.Indicators)
	for i := range o.Indicators {
		ob := observable(i, o.Indicators)
		plain[ob.Type+":"+ob.Value+ob.Hashes["SHA-256"]] = int32(i)
	}
	start = time.Now()
	parallel(o.Lookups, func(lo, hi int) {
		n := 0
		for i := lo; i < hi; i++ {
			if _, ok := plain[keys[i&4095]]; ok {
				n++
			}
		}
		sink[lo%64] = n
	})
	res.BaselineLookupsPerS = float64(o.Lookups) / time.Since(start).Seconds()
	res.Ratio = res.LookupsPerS / res.BaselineLookupsPerS

	// Bulk: a file's worth of observables, matched in parallel.
	bulk := make([]match.Observable, o.Bulk)
	for i := range bulk {
		bulk[i] = observable(i, o.Indicators)
	}
	counts := make([]int, runtime.GOMAXPROCS(0)*2)
	start = time.Now()
	var cmu sync.Mutex
	parallel(o.Bulk, func(lo, hi int) {
		n := 0
		for i := lo; i < hi; i++ {
			if ix.Each(bulk[i], func(*match.Indicator) {}) > 0 {
				n++
			}
		}
		cmu.Lock()
		counts[0] += n
		cmu.Unlock()
	})
	res.BulkSeconds = time.Since(start).Seconds()
	res.BulkMatched = counts[0]
	return res, nil
}
