package postgres

import (
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"testing"

	"github.com/liaison-dev/liaison/internal/store"
	"github.com/liaison-dev/liaison/internal/store/storetest"
)

func TestRebind(t *testing.T) {
	for in, want := range map[string]string{
		`SELECT 1`:                         `SELECT 1`,
		`a = ? AND b = ?`:                  `a = $1 AND b = $2`,
		`x = '?' AND y = ?`:                `x = '?' AND y = $1`,
		`INSERT INTO t VALUES (?, ?, '?')`: `INSERT INTO t VALUES ($1, $2, '?')`,
	} {
		if got := rebind(in); got != want {
			t.Errorf("rebind(%q) = %q, want %q", in, got, want)
		}
	}
}

// testURL returns the PostgreSQL test server's URL. Without one the test is
// skipped on a laptop but fails under CI, where PostgreSQL is mandatory.
func testURL(t *testing.T) string {
	t.Helper()
	u := os.Getenv("LIAISON_TEST_POSTGRES_URL")
	if u == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("LIAISON_TEST_POSTGRES_URL is not set; PostgreSQL tests are mandatory under CI")
		}
		t.Skip("LIAISON_TEST_POSTGRES_URL not set")
	}
	return u
}

// freshSchema creates an empty schema and returns a URL that uses it, so
// every test starts from nothing and tests never see each other's data.
func freshSchema(t *testing.T) string {
	base := testURL(t)
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	b := make([]byte, 6)
	rand.Read(b)
	schema := "liaison_test_" + hex.EncodeToString(b)
	if _, err := admin.ExecContext(t.Context(), `CREATE SCHEMA `+schema); err != nil {
		t.Fatalf("PostgreSQL at %s unreachable or unusable: %v", base, err)
	}
	t.Cleanup(func() {
		db, err := sql.Open("pgx", base)
		if err == nil {
			db.Exec(`DROP SCHEMA ` + schema + ` CASCADE`)
			db.Close()
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) *store.SQL {
		s, err := Open(t.Context(), Config{URL: freshSchema(t)})
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

func TestMigrateTwice(t *testing.T) {
	u := freshSchema(t)
	for range 2 {
		s, err := Open(t.Context(), Config{URL: u})
		if err != nil {
			t.Fatal(err)
		}
		s.Close()
	}
}
