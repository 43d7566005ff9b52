// Package postgres opens the node's store on PostgreSQL (through pgx), for
// deployments that want a database server, replication, or several
// `liaison serve` instances sharing one database.
package postgres

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver

	"github.com/liaison-dev/liaison/internal/store"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Config says which database to use.
type Config struct {
	// URL is a postgres:// connection URL.
	URL string
	// MaxConns bounds the connection pool (default 10).
	MaxConns int
}

// Advisory lock keys; arbitrary constants that only have to be distinct.
const (
	lockMigrate = 0x4c49_0001
	lockAudit   = 0x4c49_0002
)

// Dialect is PostgreSQL's flavour of the shared SQL.
var Dialect = store.Dialect{
	Name:   "postgres",
	Rebind: rebind,
	IsUniqueViolation: func(err error) bool {
		var e *pgconn.PgError
		return errors.As(err, &e) && e.Code == "23505"
	},
	IsAppendOnly: func(err error) bool {
		var e *pgconn.PgError
		return errors.As(err, &e) && e.Code == "LA001"
	},
	// One audit appender at a time across every instance sharing the
	// database, so the hash chain has no forks; released at commit.
	SerializeAudit: fmt.Sprintf("SELECT pg_advisory_xact_lock(%d)", lockAudit),
}

// rebind turns ? placeholders into $1, $2, ... outside string literals.
func rebind(q string) string {
	var b strings.Builder
	n, inQuote := 0, false
	for _, r := range q {
		switch {
		case r == '\'':
			inQuote = !inQuote
		case r == '?' && !inQuote:
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Open connects and migrates.
func Open(ctx context.Context, cfg Config) (*store.SQL, error) {
	if !strings.HasPrefix(cfg.URL, "postgres://") && !strings.HasPrefix(cfg.URL, "postgresql://") {
		return nil, errors.New("postgres: database URL must start with postgres://")
	}
	db, err := sql.Open("pgx", cfg.URL)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	max := cfg.MaxConns
	if max <= 0 {
		max = 10
	}
	db.SetMaxOpenConns(max)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("postgres: connect: %w", err)
	}
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return nil, err
	}
	ms, err := store.LoadMigrations(sub)
	if err == nil {
		err = store.Migrate(ctx, db, Dialect, ms, fmt.Sprintf("SELECT pg_advisory_xact_lock(%d)", lockMigrate))
	}
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("postgres: %w", err)
	}
	return store.NewSQL(db, db, Dialect), nil
}
