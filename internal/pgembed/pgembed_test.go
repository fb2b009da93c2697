//go:build unix

package pgembed

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	_ "github.com/lib/pq"
)

func TestRestartKeepsData(t *testing.T) {
	t.Parallel()
	dir := dataDir(t)

	srv := start(t, dir, "cold start")
	if os.Geteuid() == 0 {
		fi, err := os.Stat(filepath.Join(dir, clusterDirName))
		if err != nil {
			t.Fatal(err)
		}
		if uid := fi.Sys().(*syscall.Stat_t).Uid; uid == 0 {
			t.Errorf("cluster owned by root, want an unprivileged user")
		}
	}
	db := open(t, srv.URL())
	for _, stmt := range []string{
		"CREATE TABLE notes (body text NOT NULL)",
		"INSERT INTO notes (body) VALUES ('kept')",
	} {
		if _, err := db.ExecContext(t.Context(), stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if err := srv.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if err := srv.Stop(); err != nil {
		t.Fatalf("second Stop: %v, want nil", err)
	}

	srv = start(t, dir, "warm restart")
	var got string
	if err := open(t, srv.URL()).QueryRowContext(t.Context(), "SELECT body FROM notes").Scan(&got); err != nil {
		t.Fatalf("after restart: %v", err)
	}
	if got != "kept" {
		t.Errorf("after restart: body = %q, want %q", got, "kept")
	}
}

// A server killed without a shutdown leaves its postmaster.pid behind.
func TestStartOverStalePIDFile(t *testing.T) {
	t.Parallel()
	dir := dataDir(t)
	pidFile := filepath.Join(dir, clusterDirName, "postmaster.pid")

	srv := start(t, dir, "cold start")
	stale, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	// The pid in it is the stopped server's: gone. The file belongs to the
	// cluster's owner, as the one postgres would leave.
	if err := os.WriteFile(pidFile, stale, 0o600); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Dir(pidFile))
	if err != nil {
		t.Fatal(err)
	}
	owner := fi.Sys().(*syscall.Stat_t)
	if err := os.Chown(pidFile, int(owner.Uid), int(owner.Gid)); err != nil {
		t.Fatal(err)
	}

	srv = start(t, dir, "start over stale postmaster.pid")
	if err := open(t, srv.URL()).PingContext(t.Context()); err != nil {
		t.Fatalf("ping: %v", err)
	}
}

// Start must never delete a data dir it cannot use.
func TestStartRefusesForeignCluster(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		file    string // created inside pgdata
		content string
		wantErr string
	}{
		{"other major version", "PG_VERSION", "9.6\n", "pg_upgrade"},
		{"not a cluster", "notes.txt", "mine\n", "not a PostgreSQL data directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := dataDir(t)
			path := filepath.Join(dir, clusterDirName, tt.file)
			if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}

			srv, err := Start(t.Context(), Options{DataDir: dir})
			if err == nil {
				srv.Stop()
				t.Fatal("Start succeeded, want an error")
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Start error = %q, want it to mention %q", err, tt.wantErr)
			}
			if got, err := os.ReadFile(path); err != nil || string(got) != tt.content {
				t.Errorf("%s after Start = %q, %v; want it untouched", tt.file, got, err)
			}
		})
	}
}

func TestParseVersion(t *testing.T) {
	tests := []struct {
		out, want string
	}{
		{"postgres (PostgreSQL) 15.20 (Debian 15.20-0+deb12u1)\n", "15.20"},
		{"postgres (PostgreSQL) 17beta1\n", "17beta1"},
		{"postgres (PostgreSQL) 9.6.24\n", "9.6.24"},
		{"something else\n", ""},
	}
	for _, tt := range tests {
		if got, _ := parseVersion(tt.out); got != tt.want {
			t.Errorf("parseVersion(%q) = %q, want %q", tt.out, got, tt.want)
		}
	}
}

func TestSameMajor(t *testing.T) {
	tests := []struct {
		version, major string
		want           bool
	}{
		{"15.20", "15", true},
		{"15", "15", true},
		{"17beta1", "17", true},
		{"9.6.24", "9.6", true},
		{"15.20", "1", false},
		{"16.1", "15", false},
		{"15.20", "", false},
	}
	for _, tt := range tests {
		if got := sameMajor(tt.version, tt.major); got != tt.want {
			t.Errorf("sameMajor(%q, %q) = %v, want %v", tt.version, tt.major, got, tt.want)
		}
	}
}

func TestVersionedBinDirs(t *testing.T) {
	root := t.TempDir()
	for _, name := range []string{"9.6", "15", "16", "common"} {
		if err := os.MkdirAll(filepath.Join(root, name, "bin"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	got := versionedBinDirs(root)
	want := []string{
		filepath.Join(root, "16", "bin"),
		filepath.Join(root, "15", "bin"),
		filepath.Join(root, "9.6", "bin"),
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("versionedBinDirs = %q, want %q", got, want)
	}
}

// dataDir returns a data dir that does not exist yet. t.TempDir and its
// parent are private (0700); as root the server runs as another user, who
// must be able to get through them.
func dataDir(t *testing.T) string {
	t.Helper()
	tmp := t.TempDir()
	for _, dir := range []string{filepath.Dir(tmp), tmp} {
		if err := os.Chmod(dir, 0o711); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(tmp, "data")
}

// start starts a server on dir that is stopped at the end of the test.
func start(t *testing.T, dir, what string) *Server {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	began := time.Now()
	srv, err := Start(ctx, Options{DataDir: dir, Logger: testLogger{t}})
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	t.Logf("%s: %v", what, time.Since(began).Round(time.Millisecond))
	t.Cleanup(func() {
		if err := srv.Stop(); err != nil {
			t.Errorf("Stop: %v", err)
		}
	})
	return srv
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

// testLogger shows the server's output with go test -v.
type testLogger struct{ t *testing.T }

func (l testLogger) Write(p []byte) (int, error) {
	l.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
