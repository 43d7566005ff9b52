package store

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Migration is one numbered schema change.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// LoadMigrations reads NNN_name.sql files from fsys. Versions must start at
// 1 and have no gaps: migrations are append-only, never edited once shipped.
func LoadMigrations(fsys fs.FS) ([]Migration, error) {
	names, err := fs.Glob(fsys, "*.sql")
	if err != nil {
		return nil, err
	}
	var out []Migration
	for _, name := range names {
		num, rest, ok := strings.Cut(path.Base(name), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			return nil, fmt.Errorf("store: migration %q: name must be NNN_name.sql", name)
		}
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		out = append(out, Migration{Version: v, Name: strings.TrimSuffix(rest, ".sql"), SQL: string(b)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	for i, m := range out {
		if m.Version != i+1 {
			return nil, fmt.Errorf("store: migration %d_%s: expected version %d", m.Version, m.Name, i+1)
		}
	}
	return out, nil
}

// Migrate applies the migrations db has not seen, each in its own
// transaction together with its row in schema_migrations. It refuses a
// database whose schema is newer than this binary knows, rather than run
// against tables it does not understand. lock, when not empty, is executed
// first in each transaction to keep concurrent starters apart.
func Migrate(ctx context.Context, db *sql.DB, d Dialect, ms []Migration, lock string) error {
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied BIGINT NOT NULL)`); err != nil {
		return fmt.Errorf("store: create schema_migrations: %w", err)
	}
	cur, err := currentVersion(ctx, db)
	if err != nil {
		return err
	}
	if cur > len(ms) {
		return fmt.Errorf("store: database schema version %d is newer than this binary (%d): upgrade liaison", cur, len(ms))
	}
	for _, m := range ms[cur:] {
		if err := applyMigration(ctx, db, d, m, lock); err != nil {
			return err
		}
	}
	return nil
}

// afterMigration holds the part of a migration that SQL cannot express,
// run in the migration's transaction after its SQL, by file name.
var afterMigration = map[string]func(ctx context.Context, tx *sql.Tx, d Dialect) error{
	"012_stix_ids": fillObjectIDs,
}

func applyMigration(ctx context.Context, db *sql.DB, d Dialect, m Migration, lock string) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if lock != "" {
		if _, err := tx.ExecContext(ctx, lock); err != nil {
			return err
		}
	}
	var applied int
	if err := tx.QueryRowContext(ctx, d.Rebind(`SELECT COUNT(*) FROM schema_migrations WHERE version = ?`), m.Version).Scan(&applied); err != nil {
		return err
	}
	if applied > 0 { // another instance got there first
		return tx.Commit()
	}
	if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
		return fmt.Errorf("store: migration %d_%s: %w", m.Version, m.Name, err)
	}
	if after := afterMigration[fmt.Sprintf("%03d_%s", m.Version, m.Name)]; after != nil {
		if err := after(ctx, tx, d); err != nil {
			return fmt.Errorf("store: migration %d_%s: %w", m.Version, m.Name, err)
		}
	}
	if _, err := tx.ExecContext(ctx, d.Rebind(`INSERT INTO schema_migrations (version, name, applied) VALUES (?, ?, ?)`),
		m.Version, m.Name, time.Now().UnixMicro()); err != nil {
		return err
	}
	return tx.Commit()
}

func currentVersion(ctx context.Context, db interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}) (int, error) {
	var v sql.NullInt64
	if err := db.QueryRowContext(ctx, `SELECT MAX(version) FROM schema_migrations`).Scan(&v); err != nil {
		return 0, fmt.Errorf("store: schema version: %w", err)
	}
	return int(v.Int64), nil
}
