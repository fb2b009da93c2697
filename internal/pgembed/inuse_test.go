//go:build unix

package pgembed

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestStartRefusesDataDirInUse runs a second server on a data dir a running
// one holds: what an export does while the bot runs.
func TestStartRefusesDataDirInUse(t *testing.T) {
	t.Parallel()
	dir := dataDir(t)
	first := start(t, dir, "first server")
	_, port, _ := strings.Cut(first.addr, ":")
	password, err := os.ReadFile(filepath.Join(dir, passwordName))
	if err != nil {
		t.Fatal(err)
	}

	check := func(t *testing.T, err error) {
		t.Helper()
		if !errors.Is(err, ErrDataDirInUse) {
			t.Fatalf("got %v, want ErrDataDirInUse", err)
		}
		for _, want := range []string{
			"the data directory " + dir + " is in use by a running alignbot",
			"listens on 127.0.0.1:" + port,
			"stop that alignbot first, or set DATABASE_URL to its server",
			"postgres://alignbot:PASSWORD@127.0.0.1:" + port + "/alignbot?sslmode=disable",
			filepath.Join(dir, passwordName),
		} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q lacks %q", err, want)
			}
		}
		if strings.Contains(err.Error(), strings.TrimSpace(string(password))) {
			t.Errorf("error %q shows the password", err)
		}
	}

	t.Run("postmaster.pid names a live server", func(t *testing.T) {
		srv, err := Start(t.Context(), Options{DataDir: dir, Logger: testLogger{t}})
		if err == nil {
			srv.Stop()
			t.Fatal("second Start succeeded")
		}
		check(t, err)
	})

	// Past Start's own look at postmaster.pid, postgres refuses: as when
	// two starts race.
	t.Run("postgres refuses", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
		defer cancel()
		bin, err := findBinaries(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		cluster := filepath.Join(dir, clusterDirName)
		acct, err := serverAccount(cluster)
		if err != nil {
			t.Fatal(err)
		}
		port, err := freePort()
		if err != nil {
			t.Fatal(err)
		}
		srv, err := launch(ctx, bin, acct, cluster, port, Options{User: "alignbot", Database: "alignbot", Logger: testLogger{t}},
			strings.TrimSpace(string(password)))
		if err == nil {
			srv.Stop()
			t.Fatal("second launch succeeded")
		}
		check(t, err)
	})

	if err := open(t, first.URL()).PingContext(t.Context()); err != nil {
		t.Errorf("the first server after the refusals: %v", err)
	}
}

func TestStartExistingOnly(t *testing.T) {
	t.Parallel()
	dir := dataDir(t)
	srv, err := Start(t.Context(), Options{DataDir: dir, ExistingOnly: true})
	if err == nil {
		srv.Stop()
		t.Fatal("Start created a cluster")
	}
	if !errors.Is(err, ErrNoCluster) {
		t.Errorf("got %v, want ErrNoCluster", err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("data dir after Start: %v, want it not created", err)
	}
}

func TestLockHolder(t *testing.T) {
	t.Parallel()
	pidFile := func(pid string) string {
		// The layout of postmaster.pid: pid, data dir, start time, port,
		// socket dir, listen address, shared memory key, status.
		return fmt.Sprintf("%s\n/data/pgdata\n1700000000\n54321\n\n127.0.0.1\n  1234  5678\nready   \n", pid)
	}
	tests := []struct {
		name     string
		content  *string
		wantHeld bool
	}{
		{"no file", nil, false},
		{"a live process", ptr(pidFile(strconv.Itoa(os.Getppid()))), true},
		{"a process that is gone", ptr(pidFile("4194305")), false},
		{"our own pid", ptr(pidFile(strconv.Itoa(os.Getpid()))), false},
		{"garbage", ptr("not a pid\n"), false},
		{"pid 0", ptr(pidFile("0")), false},
		{"negative pid", ptr(pidFile("-1")), false},
		{"empty", ptr(""), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cluster := t.TempDir()
			if tt.content != nil {
				if err := os.WriteFile(filepath.Join(cluster, "postmaster.pid"), []byte(*tt.content), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			h, held := lockHolder(cluster)
			if held != tt.wantHeld {
				t.Fatalf("held = %v, want %v", held, tt.wantHeld)
			}
			if held && (h.pid != os.Getppid() || h.port != 54321) {
				t.Errorf("holder = %+v", h)
			}
		})
	}
}

func TestLockConflict(t *testing.T) {
	t.Parallel()
	tests := []struct {
		log  string
		want bool
	}{
		{`FATAL:  lock file "postmaster.pid" already exists` + "\n" + `HINT:  Is another postmaster (PID 4242) running in data directory "/x/pgdata"?`, true},
		{"FATAL:  pre-existing shared memory block (key 1234, ID 5) is still in use", true},
		{"LOG:  could not bind IPv4 address \"127.0.0.1\": Address already in use", false},
		{"LOG:  database system is ready to accept connections", false},
	}
	for _, tt := range tests {
		if got := lockConflict(tt.log); got != tt.want {
			t.Errorf("lockConflict(%q) = %v, want %v", tt.log, got, tt.want)
		}
	}
}

func ptr[T any](v T) *T { return &v }
