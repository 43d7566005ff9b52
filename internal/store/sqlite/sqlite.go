// Package sqlite opens the node's store on an embedded SQLite database
// (modernc.org/sqlite, pure Go): the default, needing no server.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"strings"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/liaison-dev/liaison/internal/store"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Config says where the database lives.
type Config struct {
	// Path of the database file; it is created if missing.
	Path string
}

// Dialect is SQLite's flavour of the shared SQL.
var Dialect = store.Dialect{
	Name:   "sqlite",
	Rebind: func(q string) string { return q },
	IsUniqueViolation: func(err error) bool {
		var e *sqlite.Error
		return errors.As(err, &e) && (e.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || e.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY)
	},
	IsAppendOnly: func(err error) bool {
		return err != nil && strings.Contains(err.Error(), "append-only")
	},
	PrepareStatements: true,
}

// pragmas, each with its reason:
//   - journal_mode=WAL: readers never block the writer and vice versa.
//   - synchronous=FULL: a committed transaction survives power loss; the
//     outbox and audit trail depend on it.
//   - busy_timeout=10000: wait for a lock instead of failing at once.
//   - foreign_keys=1: enforce the REFERENCES clauses.
//   - cache_size=-131072: up to 128 MiB of page cache per connection
//     (allocated as used); the default 2 MiB makes every insert into a
//     large index a read from the OS.
//   - temp_store=MEMORY: sorts and temporary indexes stay off disk.
var pragmas = []string{"journal_mode(WAL)", "synchronous(FULL)", "busy_timeout(10000)", "foreign_keys(1)", "cache_size(-131072)", "temp_store(MEMORY)"}

func dsn(path string, readOnly bool) string {
	v := url.Values{}
	for _, p := range pragmas {
		v.Add("_pragma", p)
	}
	if readOnly {
		// query_only: the read pool can never write, even by mistake.
		v.Add("_pragma", "query_only(1)")
	}
	return "file:" + path + "?" + v.Encode()
}

// Open opens (creating if needed) and migrates the database. Writes go
// through a single connection, which serialises them as SQLite does anyway
// and avoids SQLITE_BUSY between our own writers; reads use a pool.
func Open(ctx context.Context, cfg Config) (*store.SQL, error) {
	if cfg.Path == "" {
		return nil, errors.New("sqlite: no database path")
	}
	write, err := sql.Open("sqlite", dsn(cfg.Path, false))
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", cfg.Path, err)
	}
	write.SetMaxOpenConns(1)
	ms, err := loadMigrations()
	if err == nil {
		err = store.Migrate(ctx, write, Dialect, ms, "")
	}
	if err != nil {
		write.Close()
		return nil, fmt.Errorf("sqlite: %s: %w", cfg.Path, err)
	}
	read, err := sql.Open("sqlite", dsn(cfg.Path, true))
	if err != nil {
		write.Close()
		return nil, err
	}
	read.SetMaxOpenConns(4)
	return store.NewSQL(write, read, Dialect), nil
}

func loadMigrations() ([]store.Migration, error) {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return nil, err
	}
	return store.LoadMigrations(sub)
}
