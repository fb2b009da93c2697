package bot

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"sync"
	"testing"
	"time"

	"github.com/alignbot/alignbot/internal/config"
	"github.com/alignbot/alignbot/storage"
)

// A replica killed by the kernel says no goodbye: its sockets close, its
// transactions roll back, and the jobs it held stay leased to it until their
// leases run out. Stopping a replica in the test's process cannot do that
// (its goroutines finish what they started), so the tests that kill one run
// it in a process of its own: this test binary, asked to run only
// TestReplicaProcess.

// replicaEnv carries a replica process's spec, as JSON.
const replicaEnv = "ALIGNBOT_TEST_REPLICA"

// replicaSpec is what a replica process needs.
type replicaSpec struct {
	APIURL, BotToken, AppToken string
	// DatabaseURL holds the database's password: it travels in the
	// child's environment only, never in a log.
	DatabaseURL      string
	WorkerID         string
	Lease            time.Duration
	PollEvery        time.Duration
	CommandAbandoned time.Duration
	PoolSize         int
}

// TestReplicaProcess is not a test: it runs one bot replica until the test
// that started it kills it (see startReplicaProcess).
func TestReplicaProcess(t *testing.T) {
	raw := os.Getenv(replicaEnv)
	if raw == "" {
		t.Skip("a bot replica that other tests run in a process of its own")
	}
	var spec replicaSpec
	if err := json.Unmarshal([]byte(raw), &spec); err != nil {
		t.Fatal(err)
	}
	wh, _ := config.ParseWorkingHours("")
	cfg := config.Config{
		BotToken: config.Secret(spec.BotToken), AppToken: config.Secret(spec.AppToken), APIURL: spec.APIURL,
		Deadline: 168 * time.Hour, NudgeAfter: 48 * time.Hour, ActionDue: 720 * time.Hour,
		ActionNudgeEvery: 168 * time.Hour, RerunAfter: 2160 * time.Hour, WorkingHours: wh,
	}
	ctx := context.Background()
	store, err := storage.Open(ctx, spec.DatabaseURL)
	if err != nil {
		t.Fatalf("open the database: %v", err)
	}
	if spec.PoolSize > 0 {
		store.LimitPool(spec.PoolSize)
	}
	b, err := New(Options{
		Config: cfg, Store: store, WorkerID: spec.WorkerID, Lease: spec.Lease, PollEvery: spec.PollEvery,
		CommandAbandoned: spec.CommandAbandoned,
		Logger:           slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo})),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Fatalf("the replica stopped: %v", b.Run(ctx))
}

// replicaProcess is a bot replica running in a process of its own.
type replicaProcess struct {
	spec replicaSpec
	cmd  *exec.Cmd
	done chan struct{}
	once sync.Once
	err  error
}

// startReplicaProcess starts a replica process; its log goes to logs. It
// is killed when the test ends, if not before.
func startReplicaProcess(t testing.TB, spec replicaSpec, logs io.Writer) *replicaProcess {
	t.Helper()
	raw, err := json.Marshal(spec)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestReplicaProcess$", "-test.count=1", "-test.timeout=0")
	cmd.Env = append(os.Environ(), replicaEnv+"="+string(raw))
	cmd.Stdout, cmd.Stderr = logs, logs
	// The replica dies with the test, whatever happens to the test.
	cmd.SysProcAttr = replicaProcAttr()
	if err := cmd.Start(); err != nil {
		t.Fatalf("start a replica process: %v", err)
	}
	p := &replicaProcess{spec: spec, cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(p.kill)
	return p
}

// kill kills the replica as the kernel would, and waits for it to be gone.
func (p *replicaProcess) kill() {
	p.once.Do(func() { _ = p.cmd.Process.Kill() })
	<-p.done
}

// exited reports whether the process has ended by itself or been killed.
func (p *replicaProcess) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// replicaSpecFor is a replica process's spec for this harness's fake Slack
// and database.
func (h *harness) replicaSpecFor(worker string) replicaSpec {
	return replicaSpec{APIURL: h.slack.URL(), BotToken: h.slack.BotToken(), AppToken: h.slack.AppToken(),
		DatabaseURL: h.dbURL, WorkerID: worker, Lease: 15 * time.Second, PollEvery: 50 * time.Millisecond, PoolSize: testPoolSize}
}
