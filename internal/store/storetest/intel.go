package storetest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/liaison-dev/liaison/internal/store"
)

func testIntel(t *testing.T, s *store.SQL) {
	ctx := t.Context()
	c := store.Collection{ID: "91a7b528-80eb-42ed-a74d-c6fbd5a26116", Title: "High value", Alias: "high-value", Created: t0}
	if err := s.CreateCollection(ctx, c); err != nil {
		t.Fatal(err)
	}
	if got, err := s.GetCollection(ctx, "high-value"); err != nil || got.ID != c.ID {
		t.Fatalf("GetCollection by alias = %+v, %v", got, err)
	}
	if _, err := s.GetCollection(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("missing collection: %v", err)
	}
	for _, g := range []store.Grant{{CollectionID: c.ID, Grantee: "agency:FBI", CanRead: true}, {CollectionID: c.ID, Grantee: "agency:FBI", CanRead: true, CanWrite: true}, {CollectionID: c.ID, Grantee: "party:CN", CanRead: true}} {
		if err := s.SetGrant(ctx, g); err != nil {
			t.Fatal(err)
		}
	}
	if gs, err := s.ListGrants(ctx, c.ID); err != nil || len(gs) != 2 || !gs[0].CanWrite {
		t.Fatalf("ListGrants = %+v, %v", gs, err)
	}
	// Three versions of one indicator and one observable, added in order.
	v := func(i int) time.Time { return t0.Add(time.Duration(i) * time.Hour) }
	rows := []store.STIXRow{
		{ID: "indicator--a", Type: "indicator", Version: v(0), Created: v(0), DateAdded: v(10), First: true},
		{ID: "indicator--a", Type: "indicator", Version: v(1), Created: v(0), DateAdded: v(11)},
		{ID: "ipv4-addr--b", Type: "ipv4-addr", DateAdded: v(12), Latest: true, First: true},
		{ID: "indicator--a", Type: "indicator", Version: v(2), Created: v(0), DateAdded: v(13), Latest: true, TLP: 4},
	}
	for i := range rows {
		rows[i].CollectionID, rows[i].SpecVersion, rows[i].Body = c.ID, "2.1", []byte(`{"n":`+string(rune('0'+i))+`}`)
	}
	if err := s.InsertObjects(ctx, rows); err != nil {
		t.Fatal(err)
	}
	if err := s.InsertObjects(ctx, rows[:1]); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("a second row at the same date_added: %v", err)
	}
	if last, err := s.LastDateAdded(ctx, c.ID); err != nil || !last.Equal(v(13)) {
		t.Fatalf("LastDateAdded = %v, %v", last, err)
	}
	vs, err := s.ObjectVersions(ctx, c.ID, "indicator--a")
	if err != nil || len(vs) != 3 || !vs[2].Latest || !vs[0].First || vs[2].TLP != 4 || vs[0].Body != nil {
		t.Fatalf("ObjectVersions = %+v, %v", vs, err)
	}
	cases := []struct {
		name string
		f    store.STIXFilter
		want []string // bodies in order
	}{
		{"last", store.STIXFilter{Versions: []string{store.VersionLast}}, []string{`{"n":2}`, `{"n":3}`}},
		{"all", store.STIXFilter{Versions: []string{store.VersionAll, store.VersionLast}}, []string{`{"n":0}`, `{"n":1}`, `{"n":2}`, `{"n":3}`}},
		{"first", store.STIXFilter{Versions: []string{store.VersionFirst}}, []string{`{"n":0}`, `{"n":2}`}},
		{"explicit", store.STIXFilter{VersionTimes: []time.Time{v(1)}}, []string{`{"n":1}`}},
		{"type", store.STIXFilter{Types: []string{"ipv4-addr"}}, []string{`{"n":2}`}},
		{"id and added after", store.STIXFilter{IDs: []string{"indicator--a"}, AddedAfter: v(10), Versions: []string{store.VersionAll}}, []string{`{"n":1}`, `{"n":3}`}},
		{"page of one returns one extra", store.STIXFilter{Limit: 1, Versions: []string{store.VersionAll}}, []string{`{"n":0}`, `{"n":1}`}},
	}
	for _, tc := range cases {
		tc.f.CollectionID, tc.f.WithBody = c.ID, true
		got, err := s.QueryObjects(ctx, tc.f)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		var bodies []string
		for _, r := range got {
			bodies = append(bodies, string(r.Body))
		}
		if len(bodies) != len(tc.want) {
			t.Errorf("%s: got %v, want %v", tc.name, bodies, tc.want)
			continue
		}
		for i := range bodies {
			if bodies[i] != tc.want[i] {
				t.Errorf("%s: got %v, want %v", tc.name, bodies, tc.want)
				break
			}
		}
	}
	// The ids move to the main id table; a version added after that is
	// found together with the older ones.
	if err := s.MergeObjectIDs(ctx); err != nil {
		t.Fatal(err)
	}
	newer := store.STIXRow{CollectionID: c.ID, ID: "indicator--a", Type: "indicator", SpecVersion: "2.1", Version: v(3), Created: v(0),
		DateAdded: v(14), Latest: true, Body: []byte(`{"n":4}`)}
	if err := s.ClearLatest(ctx, c.ID, newer.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.InsertObjects(ctx, []store.STIXRow{newer}); err != nil {
		t.Fatal(err)
	}
	if vs, err := s.ObjectVersions(ctx, c.ID, "indicator--a"); err != nil || len(vs) != 4 || !vs[3].Latest || vs[2].Latest {
		t.Fatalf("versions across both id tables = %+v, %v", vs, err)
	}
	if got, err := s.QueryObjects(ctx, store.STIXFilter{CollectionID: c.ID, IDs: []string{"indicator--a"}, Versions: []string{store.VersionFirst, store.VersionLast}}); err != nil || len(got) != 2 {
		t.Fatalf("first and last by id = %+v, %v", got, err)
	}
	// Deleting the newest and the oldest versions (one in each id table)
	// makes the remaining ones latest and first.
	if n, err := s.DeleteObject(ctx, c.ID, "indicator--a", []time.Time{v(3), v(0)}); err != nil || n != 2 {
		t.Fatalf("DeleteObject = %d, %v", n, err)
	}
	if vs, _ := s.ObjectVersions(ctx, c.ID, "indicator--a"); len(vs) != 2 || !vs[1].Latest || !vs[0].First || !vs[1].Version.Equal(v(2)) {
		t.Fatalf("after delete: %+v", vs)
	}
	if n, err := s.DeleteObject(ctx, c.ID, "indicator--a", nil); err != nil || n != 2 {
		t.Fatalf("delete all = %d, %v", n, err)
	}
	if n, err := s.DeleteObject(ctx, c.ID, "indicator--a", nil); err != nil || n != 0 {
		t.Fatalf("delete again = %d, %v", n, err)
	}
	testIntelBulk(t, s)
	st := store.TAXIIStatus{ID: "2d086da7-4bdc-4f91-900e-d77486753710", CollectionID: c.ID, Requested: t0, Total: 2, Success: 1, Failure: 1, Detail: []byte(`{}`)}
	if err := s.CreateTAXIIStatus(ctx, st); err != nil {
		t.Fatal(err)
	}
	if got, err := s.GetTAXIIStatus(ctx, st.ID); err != nil || got.Failure != 1 || !got.Requested.Equal(t0) {
		t.Fatalf("GetTAXIIStatus = %+v, %v", got, err)
	}
}

// testIntelBulk stores more rows than one statement takes, in a second
// collection: a conflict anywhere (two rows at one date_added) refuses the
// whole call, the lookups and pages see only their own collection, and
// keyset pages cover every row once in date_added order.
func testIntelBulk(t *testing.T, s *store.SQL) {
	ctx := t.Context()
	c := store.Collection{ID: "5a0d0bd5-3c5f-4b0e-9f43-4f1f3c1e0b77", Title: "Bulk", Created: t0}
	if err := s.CreateCollection(ctx, c); err != nil {
		t.Fatal(err)
	}
	const n = 1234
	rows := make([]store.STIXRow, n)
	ids := make([]string, n)
	for i := range rows {
		ids[i] = fmt.Sprintf("indicator--%08d-0000-4000-8000-000000000000", i)
		rows[i] = store.STIXRow{CollectionID: c.ID, ID: ids[i], Type: "indicator", SpecVersion: "2.1", Version: t0, Created: t0,
			DateAdded: t0.Add(time.Duration(i) * time.Microsecond), Latest: true, Body: []byte(fmt.Sprintf(`{"i":%d}`, i))}
	}
	dup := append(rows[:n:n], rows[700])
	dup[n].ID = "indicator--ffffffff-0000-4000-8000-000000000000"
	if err := s.InsertObjects(ctx, dup); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("bulk insert with a duplicate: %v", err)
	}
	if got, err := s.ObjectVersionsIn(ctx, c.ID, ids); err != nil || len(got) != 0 {
		t.Fatalf("a refused bulk insert left %d rows, %v", len(got), err)
	}
	if err := s.InsertObjects(ctx, rows); err != nil {
		t.Fatal(err)
	}
	got, err := s.ObjectVersionsIn(ctx, c.ID, append(ids, "indicator--a"))
	if err != nil || len(got) != n || got[0].CollectionID != c.ID {
		t.Fatalf("ObjectVersionsIn = %d rows, %v", len(got), err)
	}
	f := store.STIXFilter{CollectionID: c.ID, Limit: 500, WithBody: true}
	seen := 0
	for {
		page, err := s.QueryObjects(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		more := len(page) > f.Limit
		if more {
			page = page[:f.Limit]
		}
		for _, r := range page {
			if want := fmt.Sprintf(`{"i":%d}`, seen); string(r.Body) != want || r.CollectionID != c.ID {
				t.Fatalf("row %d: %s in %s", seen, r.Body, r.CollectionID)
			}
			seen++
		}
		if !more {
			break
		}
		f.AddedAfter = page[len(page)-1].DateAdded
	}
	if seen != n {
		t.Fatalf("pages held %d rows, want %d", seen, n)
	}
	if last, err := s.LastDateAdded(ctx, c.ID); err != nil || !last.Equal(rows[n-1].DateAdded) {
		t.Fatalf("LastDateAdded = %v, %v", last, err)
	}
}
