package demo

import (
	"context"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alignbot/alignbot/internal/testdb"
)

func TestMain(m *testing.M) { testdb.Main(m) }

// monday is a Monday afternoon in London, morning in Chicago: inside
// everyone's working hours.
var monday = time.Date(2026, 12, 7, 15, 30, 0, 0, time.UTC)

// logBuffer keeps a demo's logs for a failing test.
type logBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startDemo starts a demo on a fresh database, its clock at start (monday
// when zero), and stops it when the test ends.
func startDemo(t *testing.T, start time.Time) *Demo {
	t.Helper()
	if start.IsZero() {
		start = monday
	}
	logs := &logBuffer{}
	d, err := Start(context.Background(), Config{
		Addr: "127.0.0.1:0", DatabaseURL: testdb.New(t), Start: start,
		Log: slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := d.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
		if t.Failed() || os.Getenv("ALIGNBOT_TEST_LOGS") != "" {
			t.Logf("demo logs:\n%s", logs.String())
		}
	})
	return d
}

// eventually polls cond until it holds, waking on every change of the
// fake Slack and at least every 100ms for changes only the database sees;
// it fails the test after limit.
func eventually(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	for !cond() {
		if err := ctx.Err(); err != nil {
			t.Fatalf("timed out after %v waiting for %s", limit, what)
		}
		d := time.NewTimer(100 * time.Millisecond)
		select {
		case <-d.C:
		case <-ctx.Done():
		}
		d.Stop()
	}
}
