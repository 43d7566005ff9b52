package directory

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/liaison-dev/liaison/internal/clock"
	"github.com/liaison-dev/liaison/internal/store"
	"github.com/liaison-dev/liaison/internal/store/sqlite"
)

func newService(t *testing.T) *Service {
	s, err := sqlite.Open(t.Context(), sqlite.Config{Path: filepath.Join(t.TempDir(), "db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return &Service{Store: s, Clock: clock.NewFake(time.Date(2026, 11, 25, 8, 0, 0, 0, time.UTC))}
}

func TestAgencyValidation(t *testing.T) {
	s := newService(t)
	cases := []struct {
		in    store.Agency
		field string
	}{
		{store.Agency{Code: "", Name: "x", Kind: "police"}, "code"},
		{store.Agency{Code: "fbi", Name: "x", Kind: "police"}, "code"},
		{store.Agency{Code: "FBI", Name: "", Kind: "police"}, "name"},
		{store.Agency{Code: "FBI", Name: "x", Kind: "army"}, "kind"},
	}
	for _, tc := range cases {
		if _, err := s.CreateAgency(t.Context(), "t", tc.in); err == nil || !strings.Contains(err.Error(), tc.field+":") {
			t.Errorf("%+v: %v", tc.in, err)
		}
	}
	if _, err := s.CreateAgency(t.Context(), "t", store.Agency{Code: "FBI", Name: "FBI", Kind: "police"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateAgency(t.Context(), "t", store.Agency{Code: "FBI", Name: "FBI", Kind: "police"}); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Fatalf("duplicate: %v", err)
	}
}

func TestContactValidationAndOnCall(t *testing.T) {
	s := newService(t)
	s.CreateAgency(t.Context(), "t", store.Agency{Code: "MPS", Name: "MPS", Kind: "police"})
	_, err := s.CreateContact(t.Context(), "t", store.Contact{Agency: "MPS", Languages: []string{"Chinese"}, TimeZone: "Beijing", Phone: "010-1234", Email: "not an address"})
	for _, f := range []string{"name:", "role:", "languages:", "time_zone:", "phone:", "email:"} {
		if err == nil || !strings.Contains(err.Error(), f) {
			t.Errorf("%v lacks %s", err, f)
		}
	}
	c := store.Contact{Agency: "MPS", Name: "Wang", Role: "duty", Languages: []string{"zh"}, TimeZone: "Asia/Shanghai", Phone: "+86 10 5555 0101"}
	primary, err := s.CreateContact(t.Context(), "t", c)
	if err != nil {
		t.Fatal(err)
	}
	c.Name = "Zhao"
	backup, _ := s.CreateContact(t.Context(), "t", c)
	now := s.Clock.Now()
	if _, err := s.CreateShift(t.Context(), "t", store.Shift{ContactID: primary.ID, Position: "primary", Start: now, End: now.Add(8 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateShift(t.Context(), "t", store.Shift{ContactID: backup.ID, Position: "backup", Start: now.Add(-time.Hour), End: now.Add(12 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []store.Shift{
		{ContactID: primary.ID, Position: "chief", Start: now, End: now.Add(time.Hour)},
		{ContactID: primary.ID, Position: "primary", Start: now, End: now},
		{ContactID: primary.ID, Position: "primary", Start: now, End: now.Add(8 * 24 * time.Hour)},
		{ContactID: "nobody", Position: "primary", Start: now, End: now.Add(time.Hour)},
	} {
		if _, err := s.CreateShift(t.Context(), "t", bad); err == nil {
			t.Errorf("shift %+v accepted", bad)
		}
	}
	oc, err := s.OnCallAt(t.Context(), now.Add(time.Hour))
	if err != nil || len(oc.Primary) != 1 || oc.Primary[0].Name != "Wang" || len(oc.Backup) != 1 || oc.Backup[0].Name != "Zhao" {
		t.Fatalf("on call = %+v, %v", oc, err)
	}
	oc, _ = s.OnCallAt(t.Context(), now.Add(9*time.Hour))
	if len(oc.Primary) != 0 || len(oc.Backup) != 1 {
		t.Fatalf("after the primary's shift: %+v", oc)
	}
	if err := s.DeleteContact(t.Context(), "t", primary.ID); err != nil {
		t.Fatal(err)
	}
	if oc, _ = s.OnCallAt(t.Context(), now.Add(time.Hour)); len(oc.Primary) != 0 {
		t.Fatalf("deleted contact still on call: %+v", oc)
	}
}
