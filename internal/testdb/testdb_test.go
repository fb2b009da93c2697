package testdb_test

import (
	"database/sql"
	"strings"
	"sync"
	"testing"

	_ "github.com/lib/pq"

	"github.com/alignbot/alignbot/internal/testdb"
)

func TestMain(m *testing.M) { testdb.Main(m) }

func TestNewGivesEachTestAnEmptyDatabase(t *testing.T) {
	t.Parallel()
	var (
		mu    sync.Mutex
		names = map[string]bool{}
	)
	t.Run("group", func(t *testing.T) {
		for _, name := range []string{"a", "b", "c", "d"} {
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				db := open(t, testdb.New(t))

				var current string
				var tables int
				err := db.QueryRowContext(t.Context(), `
					SELECT current_database(),
					       (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
					        WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast'))`,
				).Scan(&current, &tables)
				if err != nil {
					t.Fatal(err)
				}
				if tables != 0 {
					t.Errorf("%s has %d relations, want 0", current, tables)
				}
				// The same table in every database: no test sees another's.
				if _, err := db.ExecContext(t.Context(), "CREATE TABLE items (id int PRIMARY KEY)"); err != nil {
					t.Fatal(err)
				}

				mu.Lock()
				defer mu.Unlock()
				if names[current] {
					t.Errorf("database %s handed out twice", current)
				}
				names[current] = true
			})
		}
	})
	if len(names) != 4 {
		t.Errorf("got %d distinct databases, want 4", len(names))
	}
	for name := range names {
		if !strings.HasPrefix(name, "alignbot_t_") {
			t.Errorf("database name %q lacks the alignbot_t_ prefix", name)
		}
	}
}

func TestNewDropsDatabaseAtCleanup(t *testing.T) {
	t.Parallel()
	var (
		name string
		held *sql.Conn // still open when the subtest's cleanup drops its database
	)
	t.Run("user", func(t *testing.T) {
		db, err := sql.Open("postgres", testdb.New(t))
		if err != nil {
			t.Fatal(err)
		}
		if held, err = db.Conn(t.Context()); err != nil {
			t.Fatal(err)
		}
		if err := held.QueryRowContext(t.Context(), "SELECT current_database()").Scan(&name); err != nil {
			t.Fatal(err)
		}
	})
	if held != nil {
		defer held.Close()
	}
	if name == "" {
		t.Fatal("subtest did not get a database")
	}

	var exists bool
	err := open(t, testdb.New(t)).QueryRowContext(t.Context(),
		"SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists)
	if err != nil {
		t.Fatal(err)
	}
	if exists {
		t.Errorf("database %s still exists after its test ended", name)
	}
}

func open(t *testing.T, url string) *sql.DB {
	t.Helper()
	db, err := sql.Open("postgres", url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}
