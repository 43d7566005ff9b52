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
	"os"
	"strings"
	"sync"
	"time"

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
//   - wal_autocheckpoint=4096: a committing connection copies the WAL
//     into the database itself only past 4096 pages (64 MiB); before
//     that the checkpointer (below) does it beside the writer.
var pragmas = []string{"journal_mode(WAL)", "synchronous(FULL)", "busy_timeout(10000)", "foreign_keys(1)", "cache_size(-131072)", "temp_store(MEMORY)", "wal_autocheckpoint(4096)"}

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
	if err := create(cfg.Path); err != nil {
		return nil, fmt.Errorf("sqlite: create %s: %w", cfg.Path, err)
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
	ck, err := startCheckpointer(cfg.Path)
	if err != nil {
		write.Close()
		read.Close()
		return nil, err
	}
	s := store.NewSQL(write, read, Dialect, ck.stop)
	s.OnCommit(ck.kick)
	return s, nil
}

// checkpointer copies committed pages from the WAL into the database file
// on its own connection after commits, so that the writer, which would
// otherwise do it inside the commit that crosses the threshold, waits
// only for its own WAL append. PASSIVE checkpoints take no lock that a
// writer or reader waits for.
type checkpointer struct {
	db    *sql.DB
	wake  chan struct{}
	done  chan struct{}
	ended chan struct{}
	once  sync.Once
}

func startCheckpointer(path string) (*checkpointer, error) {
	db, err := sql.Open("sqlite", dsn(path, false))
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	c := &checkpointer{db: db, wake: make(chan struct{}, 1), done: make(chan struct{}), ended: make(chan struct{})}
	go c.run()
	return c, nil
}

// checkpointEvery is the least time between two checkpoints.
const checkpointEvery = 50 * time.Millisecond

// kick asks for a checkpoint without waiting; kicks while one runs merge
// into the next.
func (c *checkpointer) kick() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

func (c *checkpointer) run() {
	defer close(c.ended)
	for {
		select {
		case <-c.done:
			return
		case <-c.wake:
		}
		// An error (a busy database, a closing one) leaves the pages for
		// the next checkpoint or the writer's own.
		_, _ = c.db.Exec(`PRAGMA wal_checkpoint(PASSIVE)`)
		// Each checkpoint that copies pages ends with an fsync of the
		// database file: many small commits share one.
		select {
		case <-c.done:
			return
		case <-time.After(checkpointEvery):
		}
	}
}

// stop ends the checkpointer; a second call (a store closed twice) does
// nothing.
func (c *checkpointer) stop() error {
	var err error
	c.once.Do(func() {
		close(c.done)
		<-c.ended
		err = c.db.Close()
	})
	return err
}

// pageSize is the page size of a new database: 16 KiB instead of SQLite's
// 4 KiB. A commit writes every page it changed to the WAL as one frame
// (two write calls) and the checkpoint copies it again, so the count of
// pages, not their bytes, sets what a commit costs: with 16 KiB pages
// bulk STIX ingest runs about 25 % faster and federation about 15 %
// (docs/benchmarks.md), at the price of reading more bytes for a random
// row not in the cache (ledger proofs are about 15 % slower).
const pageSize = 16384

// create makes a new database file with pageSize pages; an existing one
// keeps its own (SQLite fixes the page size when the file is created, and
// a WAL database cannot change it). The driver applies the DSN's pragmas
// in alphabetical order, journal_mode before page_size, too late for it.
func create(path string) error {
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	db, err := sql.Open("sqlite", "file:"+path+"?"+url.Values{"_pragma": {fmt.Sprintf("page_size(%d)", pageSize)}}.Encode())
	if err != nil {
		return err
	}
	defer db.Close()
	_, err = db.Exec(`PRAGMA journal_mode=WAL`)
	return err
}

func loadMigrations() ([]store.Migration, error) {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return nil, err
	}
	return store.LoadMigrations(sub)
}
