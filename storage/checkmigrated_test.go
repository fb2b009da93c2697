package storage_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/alignbot/alignbot/internal/testdb"
	"github.com/alignbot/alignbot/storage"
)

// TestCheckMigrated checks the read-only schema check that export relies on,
// on databases in each state a migration history can be in.
func TestCheckMigrated(t *testing.T) {
	ctx := context.Background()
	open := func(t *testing.T) *storage.Storage {
		t.Helper()
		s, err := storage.Open(ctx, testdb.New(t))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	// The newest embedded version, as Migrate leaves a database.
	latest := func() int {
		s := open(t)
		if err := s.Migrate(ctx, nil); err != nil {
			t.Fatal(err)
		}
		v, err := s.SchemaVersion(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}()
	if latest < 2 {
		t.Fatalf("latest migration %d; this test needs two", latest)
	}

	tests := []struct {
		name    string
		migrate bool
		edit    string // run after migrating
		want    string // "" for no error
	}{
		{"never migrated", false, "", fmt.Sprintf("database schema is at version 0, this alignbot needs %d: run `alignbot migrate` first", latest)},
		{"migrated", true, "", ""},
		{"one migration behind", true, fmt.Sprintf("DELETE FROM schema_migrations WHERE version = %d", latest),
			fmt.Sprintf("database schema is at version %d, this alignbot needs %d: run `alignbot migrate` first", latest-1, latest)},
		{"ahead of this build", true, fmt.Sprintf("INSERT INTO schema_migrations (version, name) VALUES (%d, 'future.sql')", latest+1),
			fmt.Sprintf("database schema is at version %d, newer than this alignbot knows (%d): upgrade alignbot", latest+1, latest)},
		{"a gap", true, "DELETE FROM schema_migrations WHERE version = 1",
			"database schema lacks migration 0001_init.sql: run `alignbot migrate` first"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := open(t)
			if tt.migrate {
				if err := s.Migrate(ctx, nil); err != nil {
					t.Fatal(err)
				}
			}
			if tt.edit != "" {
				if _, err := s.DB().ExecContext(ctx, tt.edit); err != nil {
					t.Fatal(err)
				}
			}
			err := s.CheckMigrated(ctx)
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("CheckMigrated: %v", err)
			case tt.want == "":
				return
			case err == nil:
				t.Fatalf("CheckMigrated: nil, want %q", tt.want)
			case err.Error() != tt.want:
				t.Errorf("CheckMigrated: %q, want %q", err, tt.want)
			}
			var schemaErr *storage.SchemaError
			if !errors.As(err, &schemaErr) {
				t.Errorf("CheckMigrated: %T, want *storage.SchemaError", err)
			}
			// It only reads: a database it found unmigrated stays so.
			var exists bool
			if err := s.DB().GetContext(ctx, &exists, `SELECT to_regclass('schema_migrations') IS NOT NULL`); err != nil {
				t.Fatal(err)
			}
			if exists != tt.migrate {
				t.Errorf("schema_migrations exists: %v, want %v", exists, tt.migrate)
			}
		})
	}
}
