package sqlite

import (
	"database/sql"
	"path/filepath"
	"strings"
	"testing"

	"github.com/liaison-dev/liaison/internal/store"
	"github.com/liaison-dev/liaison/internal/store/storetest"
)

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) *store.SQL {
		s, err := Open(t.Context(), Config{Path: filepath.Join(t.TempDir(), "liaison.db")})
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

func TestReopenKeepsDataAndSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "liaison.db")
	s, err := Open(t.Context(), Config{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CreateAgency(t.Context(), store.Agency{Code: "FBI", Name: "FBI", Kind: "police"}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err = Open(t.Context(), Config{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.GetAgency(t.Context(), "FBI"); err != nil {
		t.Fatal(err)
	}
}

func TestRefusesNewerSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "liaison.db")
	s, err := Open(t.Context(), Config{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.DB().Exec(`INSERT INTO schema_migrations (version, name, applied) VALUES (999, 'future', 0)`); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if _, err := Open(t.Context(), Config{Path: path}); err == nil || !strings.Contains(err.Error(), "newer than this binary") {
		t.Fatalf("Open on a newer schema = %v", err)
	}
}

// TestMigrationIndexesStoredObjects opens a database holding STIX objects
// stored under schema 11 and finds them by id after migration 12, which
// moved id lookups to the hashed id tables.
func TestMigrationIndexesStoredObjects(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "liaison.db")
	db, err := sql.Open("sqlite", dsn(path, false))
	if err != nil {
		t.Fatal(err)
	}
	ms, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	if err := store.Migrate(ctx, db, Dialect, ms[:11], ""); err != nil {
		t.Fatal(err)
	}
	const coll = "91a7b528-80eb-42ed-a74d-c6fbd5a26116"
	for _, q := range []string{
		`INSERT INTO taxii_collections (id, title, description, alias, created) VALUES ('` + coll + `', 'Old', '', '', 0)`,
		`INSERT INTO stix_objects (collection, date_added, id, type, spec_version, version, created, created_by_ref, revoked, tlp, latest, body)
			VALUES (1, 10, 'indicator--a', 'indicator', '2.1', 2, 1, '', 0, 0, 0, '{}'),
			       (1, 11, 'indicator--a', 'indicator', '2.1', 5, 1, '', 0, 0, 1, '{}'),
			       (1, 12, 'malware--b', 'malware', '2.1', 3, 3, '', 0, 0, 1, '{}')`,
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	s, err := Open(ctx, Config{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got, err := s.ObjectVersionsIn(ctx, coll, []string{"indicator--a", "malware--b", "malware--c"})
	if err != nil || len(got) != 3 {
		t.Fatalf("ObjectVersionsIn after migration = %+v, %v", got, err)
	}
	if !got[0].First || got[1].First || !got[1].Latest || !got[2].First {
		t.Fatalf("first and latest after migration: %+v", got)
	}
}

// TestPageSize checks that a new database gets 16 KiB pages and that an
// existing one keeps the page size it was made with.
func TestPageSize(t *testing.T) {
	ctx := t.Context()
	pageSize := func(path string) int {
		s, err := Open(ctx, Config{Path: path})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		var n int
		if err := s.DB().QueryRowContext(ctx, `PRAGMA page_size`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := pageSize(filepath.Join(t.TempDir(), "new.db")); n != 16384 {
		t.Errorf("new database: page size %d, want 16384", n)
	}
	old := filepath.Join(t.TempDir(), "old.db")
	db, err := sql.Open("sqlite", "file:"+old+"?_pragma=page_size(4096)")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`PRAGMA journal_mode=WAL`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if n := pageSize(old); n != 4096 {
		t.Errorf("existing database: page size %d, want 4096 as it was made", n)
	}
}
