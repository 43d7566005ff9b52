package intel_test

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/liaison-dev/liaison/internal/clock"
	"github.com/liaison-dev/liaison/internal/intel"
	"github.com/liaison-dev/liaison/internal/intel/stix"
	"github.com/liaison-dev/liaison/internal/store"
	"github.com/liaison-dev/liaison/internal/store/sqlite"
)

// TestVersionsArriveInAnyOrder adds versions of one object out of order,
// in separate adds and within one, with the id tables merged in between:
// match[version] first and last always name the oldest and the newest.
func TestVersionsArriveInAnyOrder(t *testing.T) {
	ctx := t.Context()
	st, err := sqlite.Open(ctx, sqlite.Config{Path: filepath.Join(t.TempDir(), "liaison.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	s := &intel.Service{Store: st, Clock: clock.NewFake(time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)), Parser: &stix.Parser{}}
	coll, err := s.CreateCollection(ctx, "t", intel.NewCollection{Title: "Versions", Grants: []store.Grant{{Grantee: "*", CanRead: true, CanWrite: true}}})
	if err != nil {
		t.Fatal(err)
	}
	version := func(day int) *stix.Object {
		raw := fmt.Appendf(nil, `{"type":"malware","spec_version":"2.1","id":"malware--31b940d4-6f7f-459a-80ea-9c1f17b5891b","created":"2026-11-01T00:00:00.000Z","modified":"2026-11-%02dT00:00:00.000Z","name":"v%d","is_family":false}`, day, day)
		o, err := s.Parser.Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		return o
	}
	check := func(step string, first, last int) {
		t.Helper()
		for _, c := range []struct {
			sel string
			day int
		}{{store.VersionFirst, first}, {store.VersionLast, last}} {
			rows, _, err := s.Objects(ctx, store.STIXFilter{CollectionID: coll.ID, Versions: []string{c.sel}, Limit: 10})
			if err != nil || len(rows) != 1 || rows[0].Version.Day() != c.day {
				t.Fatalf("%s: %s = %+v, %v; want the version of day %d", step, c.sel, rows, err, c.day)
			}
		}
	}
	add := func(step string, objs ...*stix.Object) {
		t.Helper()
		res, err := s.Add(ctx, "t", coll.ID, objs, nil)
		if err != nil || res.Failure != 0 {
			t.Fatalf("%s: %+v, %v", step, res, err)
		}
	}
	add("middle", version(10))
	check("middle", 10, 10)
	add("older", version(5))
	check("older", 5, 10)
	if err := st.MergeObjectIDs(ctx); err != nil {
		t.Fatal(err)
	}
	add("newer and oldest together", version(20), version(2), version(5))
	check("newer and oldest together", 2, 20)
	if err := s.Delete(ctx, "t", coll.ID, "malware--31b940d4-6f7f-459a-80ea-9c1f17b5891b", []time.Time{version(2).Version(), version(20).Version()}); err != nil {
		t.Fatal(err)
	}
	check("after deleting both ends", 5, 10)
}
