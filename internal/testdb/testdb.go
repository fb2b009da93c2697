// Package testdb gives each test a fresh, empty PostgreSQL database of its
// own, dropped when the test ends.
//
// The databases live on the server named by TEST_DATABASE_URL, whose user
// must be allowed to create databases (CI points it at a local server). When
// TEST_DATABASE_URL is unset, testdb starts an embedded server (package
// pgembed) on a temporary directory, once per test process, the first time
// a test asks for a database. It never skips: a test that cannot get a
// database fails.
//
// A package whose tests use testdb stops that embedded server from TestMain:
//
//	func TestMain(m *testing.M) { testdb.Main(m) }
//
// Without it, the server is stopped by the kernel when the test process exits
// (on Linux), and its temporary directory is left behind.
package testdb

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/lib/pq"

	"github.com/alignbot/alignbot/internal/pgembed"
)

// envURL names the variable holding the URL of the server that tests create
// their databases on.
const envURL = "TEST_DATABASE_URL"

const (
	namePrefix     = "alignbot_t_"
	startTimeout   = 2 * time.Minute
	connectTimeout = 30 * time.Second
	dropTimeout    = 30 * time.Second
)

// shared is the test process's server, set up by the first New.
var shared server

type server struct {
	mu       sync.Mutex
	started  bool
	closed   bool
	err      error
	admin    *sql.DB  // connected to adminURL's database
	adminURL *url.URL // with a password, never printed
	embedded *pgembed.Server
	tmpDir   string
}

// New returns the URL of a new, empty database for t, dropped (with any
// connection still open to it) when t and its subtests have finished. It is
// safe to call from parallel tests.
func New(t testing.TB) string {
	t.Helper()
	admin, adminURL, err := shared.get()
	if err != nil {
		t.Fatalf("testdb: %v", err)
	}

	name := namePrefix + randomHex(8)
	ctx, cancel := context.WithTimeout(context.Background(), connectTimeout)
	defer cancel()
	// template0 is empty whatever has been added to template1, and nobody
	// connects to it, so concurrent CREATE DATABASE never finds it busy.
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+pq.QuoteIdentifier(name)+" TEMPLATE template0"); err != nil {
		t.Fatalf("testdb: create database %s: %v", name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), dropTimeout)
		defer cancel()
		if _, err := admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+pq.QuoteIdentifier(name)+" WITH (FORCE)"); err != nil {
			t.Errorf("testdb: drop database %s: %v", name, err)
		}
	})

	u := *adminURL
	u.Path = "/" + name
	u.RawPath = ""
	return u.String()
}

// embeddedMaxConnections is the embedded server's max_connections.
const embeddedMaxConnections = 300

// MaxConnections returns how many connections the tests' server allows in
// all, starting it if need be, so that a package can choose how many of its
// tests run at once. Several test processes may share the server named by
// TEST_DATABASE_URL; each embedded one is its process's own.
func MaxConnections() (int, error) {
	admin, _, err := shared.get()
	if err != nil {
		return 0, fmt.Errorf("testdb: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), connectTimeout)
	defer cancel()
	var n int
	if err := admin.QueryRowContext(ctx, "SELECT current_setting('max_connections')::int").Scan(&n); err != nil {
		return 0, fmt.Errorf("testdb: max_connections: %w", err)
	}
	return n, nil
}

// Main runs the tests, stops the embedded server if one was started, and
// exits with the tests' status. Call it from TestMain.
func Main(m *testing.M) {
	code := m.Run()
	if err := shared.close(); err != nil {
		fmt.Fprintf(os.Stderr, "testdb: %v\n", err)
		if code == 0 {
			code = 1
		}
	}
	os.Exit(code)
}

// get starts the server on first use and returns a connection to its admin
// database and that database's URL.
func (s *server) get() (*sql.DB, *url.URL, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, nil, errors.New("New called after Main stopped the server")
	}
	if !s.started {
		s.started = true
		s.err = s.start()
	}
	return s.admin, s.adminURL, s.err
}

func (s *server) start() error {
	if raw := os.Getenv(envURL); raw != "" {
		u, err := parseURL(raw)
		if err != nil {
			return fmt.Errorf("%s: %w", envURL, err)
		}
		if err := s.connect(u); err != nil {
			return fmt.Errorf("%s=%s: %w", envURL, u.Redacted(), err)
		}
		return nil
	}

	if err := s.startEmbedded(); err != nil {
		return fmt.Errorf("%s is unset and the embedded PostgreSQL did not start: %w; "+
			"set %s to a PostgreSQL server whose user may create databases, "+
			"e.g. postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable", envURL, err, envURL)
	}
	return nil
}

func (s *server) startEmbedded() error {
	dir, err := os.MkdirTemp("", "alignbot-testdb-")
	if err != nil {
		return err
	}
	// Run as root, the server runs as another user, who must get through
	// this directory (MkdirTemp makes it 0700).
	if err := os.Chmod(dir, 0o711); err != nil {
		os.RemoveAll(dir)
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	// Tests of several packages run at once, each with connection pools of
	// its own: more room than PostgreSQL's default of 100.
	srv, err := pgembed.Start(ctx, pgembed.Options{DataDir: filepath.Join(dir, "data"),
		Settings: map[string]string{"max_connections": strconv.Itoa(embeddedMaxConnections)}})
	if err != nil {
		os.RemoveAll(dir)
		return err
	}
	u, err := url.Parse(srv.URL())
	if err == nil {
		err = s.connect(u)
	}
	if err != nil {
		srv.Stop()
		os.RemoveAll(dir)
		return err
	}
	s.embedded, s.tmpDir = srv, dir
	return nil
}

func (s *server) connect(u *url.URL) error {
	connector, err := pq.NewConnector(u.String())
	if err != nil {
		return err
	}
	db := sql.OpenDB(connector)
	ctx, cancel := context.WithTimeout(context.Background(), connectTimeout)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return err
	}
	s.admin, s.adminURL = db, u
	return nil
}

// close stops the embedded server, if any, and forbids further New calls.
func (s *server) close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	var errs []error
	if s.admin != nil {
		errs = append(errs, s.admin.Close())
	}
	if s.embedded != nil {
		errs = append(errs, s.embedded.Stop())
		errs = append(errs, os.RemoveAll(s.tmpDir))
	}
	return errors.Join(errs...)
}

// parseURL accepts postgres:// and postgresql:// URLs; New derives each
// test's URL by replacing the database name.
func parseURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		// url.Parse's error quotes the URL, password included.
		return nil, errors.New("not a valid URL")
	}
	if u.Scheme != "postgres" && u.Scheme != "postgresql" {
		return nil, fmt.Errorf("want a postgres:// URL, got scheme %q", u.Scheme)
	}
	return u, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b) // never returns an error
	return hex.EncodeToString(b)
}
