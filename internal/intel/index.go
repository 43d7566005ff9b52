package intel

import (
	"context"
	"encoding/json"
	"sync"
	"sync/atomic"

	"github.com/liaison-dev/liaison/internal/intel/marking"
	"github.com/liaison-dev/liaison/internal/intel/match"
	"github.com/liaison-dev/liaison/internal/intel/pattern"
	"github.com/liaison-dev/liaison/internal/intel/stix"
	"github.com/liaison-dev/liaison/internal/store"
)

// indexCache holds the indicator index and the ingest generation it was
// built at; Add and Delete bump the generation so the next lookup rebuilds.
type indexCache struct {
	gen   atomic.Int64
	mu    sync.Mutex
	built int64
	ix    *match.Index
}

// changed marks the index stale.
func (s *Service) changed() { s.index.gen.Add(1) }

// Index returns the index of every active indicator (latest version, not
// revoked, not expired) in every collection, rebuilding it if objects were
// added or removed since it was last built.
func (s *Service) Index(ctx context.Context) (*match.Index, error) {
	c := &s.index
	c.mu.Lock()
	defer c.mu.Unlock()
	gen := c.gen.Load()
	if c.ix != nil && c.built == gen {
		return c.ix, nil
	}
	colls, err := s.Store.ListCollections(ctx)
	if err != nil {
		return nil, err
	}
	now := s.Clock.Now()
	b := match.NewBuilder(1024)
	for _, coll := range colls {
		f := store.STIXFilter{CollectionID: coll.ID, Types: []string{"indicator"}, Versions: []string{store.VersionLast}, Limit: 5000, WithBody: true}
		for {
			rows, err := s.Store.QueryObjects(ctx, f)
			if err != nil {
				return nil, err
			}
			more := len(rows) > f.Limit
			if more {
				rows = rows[:f.Limit]
			}
			for _, row := range rows {
				if row.Revoked {
					continue
				}
				var ind struct {
					Name        string `json:"name"`
					Pattern     string `json:"pattern"`
					PatternType string `json:"pattern_type"`
					ValidUntil  string `json:"valid_until"`
				}
				if json.Unmarshal(row.Body, &ind) != nil || ind.PatternType != "stix" {
					continue
				}
				if until, err := stix.ParseTimestamp(ind.ValidUntil); err == nil && !until.After(now) {
					continue // expired
				}
				p, err := pattern.Parse(ind.Pattern)
				if err != nil {
					continue // stored before validation existed; never indexable
				}
				b.Add(match.Indicator{ID: row.ID, Name: ind.Name, TLP: marking.TLP(row.TLP).String(),
					CreatedByRef: row.CreatedByRef, CollectionID: row.CollectionID}, p)
			}
			if !more {
				break
			}
			f.AddedAfter = rows[len(rows)-1].DateAdded
		}
	}
	c.ix, c.built = b.Build(), gen
	return c.ix, nil
}

// MatchResult is the matches of one observable.
type MatchResult struct {
	Observable match.Observable  `json:"observable"`
	Indicators []match.Indicator `json:"indicators"`
}

// MaxMatchObservables bounds one match request.
const MaxMatchObservables = 100_000

// Match looks observables up in the index, returning only indicators from
// collections the caller's agency may read.
func (s *Service) Match(ctx context.Context, agency string, obs []match.Observable) ([]MatchResult, error) {
	ix, err := s.Index(ctx)
	if err != nil {
		return nil, err
	}
	readable := map[string]bool{}
	colls, err := s.Store.ListCollections(ctx)
	if err != nil {
		return nil, err
	}
	for _, c := range colls {
		a, err := s.AccessFor(ctx, c.ID, agency, "")
		if err != nil {
			return nil, err
		}
		readable[c.ID] = a.Read
	}
	out := make([]MatchResult, 0, len(obs))
	for _, o := range obs {
		r := MatchResult{Observable: o, Indicators: []match.Indicator{}}
		for _, ind := range ix.Lookup(o) {
			if readable[ind.CollectionID] {
				r.Indicators = append(r.Indicators, ind)
			}
		}
		out = append(out, r)
	}
	return out, nil
}
