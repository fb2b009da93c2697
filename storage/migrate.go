package storage

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"log/slog"
	"sort"
	"strconv"
	"strings"

	"github.com/jmoiron/sqlx"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migration is one file of migrations/, named NNNN_description.sql.
type migration struct {
	version int
	name    string
	sql     string
}

func migrations() ([]migration, error) {
	entries, err := fs.ReadDir(migrationFiles, "migrations")
	if err != nil {
		return nil, fmt.Errorf("read migrations: %w", err)
	}
	var ms []migration
	for _, e := range entries {
		prefix, _, ok := strings.Cut(e.Name(), "_")
		version, err := strconv.Atoi(prefix)
		if !ok || err != nil {
			return nil, fmt.Errorf("migration %s: name must start with a version number and '_'", e.Name())
		}
		body, err := migrationFiles.ReadFile("migrations/" + e.Name())
		if err != nil {
			return nil, fmt.Errorf("read migration %s: %w", e.Name(), err)
		}
		ms = append(ms, migration{version: version, name: e.Name(), sql: string(body)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	for i := 1; i < len(ms); i++ {
		if ms[i].version == ms[i-1].version {
			return nil, fmt.Errorf("migrations %s and %s share a version", ms[i-1].name, ms[i].name)
		}
	}
	return ms, nil
}

// migrationLock is the advisory lock key that serialises replicas migrating
// the same database at start-up.
const migrationLock = 0x616c69676e626f74 // "alignbot"

// Migrate applies, in order, every embedded migration the database has not
// seen yet, each in its own transaction. Replicas starting together hold a
// session advisory lock, so they wait for each other instead of applying a
// migration twice.
func (s *Storage) Migrate(ctx context.Context, log *slog.Logger) (err error) {
	ms, err := migrations()
	if err != nil {
		return err
	}
	conn, err := s.db.Connx(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, int64(migrationLock)); err != nil {
		return fmt.Errorf("migrate: lock: %w", err)
	}
	defer func() {
		// A fresh context: the lock must go even when ctx is done.
		_, unlockErr := conn.ExecContext(context.Background(), `SELECT pg_advisory_unlock($1)`, int64(migrationLock))
		if err == nil && unlockErr != nil {
			err = fmt.Errorf("migrate: unlock: %w", unlockErr)
		}
	}()
	if _, err := conn.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    integer PRIMARY KEY,
		name       text NOT NULL,
		applied_at timestamptz NOT NULL DEFAULT now()
	)`); err != nil {
		return fmt.Errorf("migrate: create schema_migrations: %w", err)
	}
	var applied []int
	if err := conn.SelectContext(ctx, &applied, `SELECT version FROM schema_migrations`); err != nil {
		return fmt.Errorf("migrate: read schema_migrations: %w", err)
	}
	done := map[int]bool{}
	for _, v := range applied {
		done[v] = true
	}
	for _, m := range ms {
		if done[m.version] {
			continue
		}
		if err := applyMigration(ctx, conn, m); err != nil {
			return fmt.Errorf("migrate: %s: %w", m.name, err)
		}
		if log != nil {
			log.Info("applied migration", slog.Int("version", m.version), slog.String("name", m.name))
		}
	}
	return nil
}

func applyMigration(ctx context.Context, conn *sqlx.Conn, m migration) error {
	tx, err := conn.BeginTxx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, m.sql); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`, m.version, m.name); err != nil {
		return err
	}
	return tx.Commit()
}

// SchemaVersion returns the highest migration applied, 0 for none.
func (s *Storage) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	err := s.q.GetContext(ctx, &v, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`)
	if err != nil {
		return 0, fmt.Errorf("schema version: %w", err)
	}
	return v, nil
}

// SchemaError says that the database's schema is not the one this build of
// alignbot was written for.
type SchemaError struct {
	// Version is the highest migration the database has, 0 for none.
	Version int
	// Want is the highest migration embedded in this build.
	Want int
	// Missing is the first embedded migration the database lacks although
	// it has a later one; empty otherwise.
	Missing string
}

func (e *SchemaError) Error() string {
	switch {
	case e.Version > e.Want:
		return fmt.Sprintf("database schema is at version %d, newer than this alignbot knows (%d): upgrade alignbot", e.Version, e.Want)
	case e.Missing != "":
		return fmt.Sprintf("database schema lacks migration %s: run `alignbot migrate` first", e.Missing)
	default:
		return fmt.Sprintf("database schema is at version %d, this alignbot needs %d: run `alignbot migrate` first", e.Version, e.Want)
	}
}

// CheckMigrated returns a *SchemaError unless the database has exactly the
// embedded migrations, for commands that must not write (export). It only
// reads: a database without schema_migrations is at version 0.
func (s *Storage) CheckMigrated(ctx context.Context) error {
	ms, err := migrations()
	if err != nil {
		return err
	}
	var exists bool
	if err := s.q.GetContext(ctx, &exists, `SELECT to_regclass('schema_migrations') IS NOT NULL`); err != nil {
		return fmt.Errorf("check migrated: %w", err)
	}
	var applied []int
	if exists {
		if err := s.q.SelectContext(ctx, &applied, `SELECT version FROM schema_migrations ORDER BY version`); err != nil {
			return fmt.Errorf("check migrated: %w", err)
		}
	}
	e := &SchemaError{}
	if len(ms) > 0 {
		e.Want = ms[len(ms)-1].version
	}
	if len(applied) > 0 {
		e.Version = applied[len(applied)-1]
	}
	done := map[int]bool{}
	for _, v := range applied {
		done[v] = true
	}
	for _, m := range ms {
		if !done[m.version] && m.version < e.Version {
			e.Missing = m.name
			break
		}
	}
	if e.Version != e.Want || e.Missing != "" {
		return e
	}
	return nil
}
