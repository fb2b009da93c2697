package cli

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/alignbot/alignbot/internal/config"
	"github.com/alignbot/alignbot/internal/metrics"
	"github.com/alignbot/alignbot/internal/slackfake"
	"github.com/alignbot/alignbot/internal/testclock"
	"github.com/alignbot/alignbot/internal/testdb"
	"github.com/alignbot/alignbot/storage"
)

// stubApp stands in for the bot, which this package cannot import (the
// bot's own tests and cmd/alignbot's run the real one): it is connected
// when told, and when told to stop it asks /readyz what the world sees
// before it returns.
type stubApp struct {
	connected   atomic.Bool
	addr        string
	readyAtStop chan string
}

func (a *stubApp) Connected() bool { return a.connected.Load() }

func (a *stubApp) Run(ctx context.Context) error {
	<-ctx.Done()
	status, body := get(a.addr + "/readyz")
	a.readyAtStop <- status + " " + body
	return nil
}

func get(url string) (status, body string) {
	resp, err := http.Get(url)
	if err != nil {
		return "error", err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.Status, strings.TrimSpace(string(b))
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// TestProbes runs `alignbot run`: /healthz says alive at once, /readyz
// waits for Socket Mode, and when the process is told to stop, /readyz says
// so before the app is told to stop.
func TestProbes(t *testing.T) {
	addr := freeAddr(t)
	t.Setenv("SLACK_BOT_TOKEN", "xoxb-very-secret")
	t.Setenv("SLACK_APP_TOKEN", "xapp-very-secret")
	t.Setenv("DATABASE_URL", testdb.New(t))
	t.Setenv("ALIGNBOT_HTTP_ADDR", addr)
	app := &stubApp{addr: "http://" + addr, readyAtStop: make(chan string, 1)}
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	code := make(chan int, 1)
	var stderr bytes.Buffer
	go func() {
		code <- Run(ctx, []string{"run"}, io.Discard, &stderr, func(config.Config, *storage.Storage, *slog.Logger, *metrics.Metrics) (App, error) {
			return app, nil
		})
	}()
	base := "http://" + addr
	testclock.Eventually(t, "/healthz to answer", func() bool {
		status, body := get(base + "/healthz")
		return status == "200 OK" && body == "ok"
	})
	if status, body := get(base + "/readyz"); status != "503 Service Unavailable" || body != "not ready: socket mode not connected" {
		t.Errorf("/readyz before Socket Mode: %s %q", status, body)
	}
	if v := gauge(t, base, "alignbot_ready"); v != 0 {
		t.Errorf("alignbot_ready = %v before Socket Mode", v)
	}
	app.connected.Store(true)
	if status, body := get(base + "/readyz"); status != "200 OK" || body != "ready" {
		t.Errorf("/readyz when connected: %s %q", status, body)
	}
	if v := gauge(t, base, "alignbot_ready"); v != 1 {
		t.Errorf("alignbot_ready = %v when ready", v)
	}
	stop()
	select {
	case got := <-app.readyAtStop:
		if got != "503 Service Unavailable not ready: stopping" {
			t.Errorf("/readyz as the app is told to stop: %s", got)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the app was not told to stop")
	}
	if c := <-code; c != 0 {
		t.Errorf("exit %d: %s", c, stderr.String())
	}
}

// TestReadyzWantsTheSchema: a database this build has not migrated (a
// newer alignbot's is fine) is not ready.
func TestReadyzWantsTheSchema(t *testing.T) {
	ctx := context.Background()
	store, err := storage.Open(ctx, testdb.New(t))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	app := &stubApp{}
	app.connected.Store(true)
	p := &probes{store: store, app: app}
	if err := p.ready(ctx); err == nil || !strings.Contains(err.Error(), "run `alignbot migrate`") {
		t.Errorf("unmigrated: %v", err)
	}
	if err := store.Migrate(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if err := p.ready(ctx); err != nil {
		t.Errorf("migrated: %v", err)
	}
	if _, err := store.DB().ExecContext(ctx, `INSERT INTO schema_migrations (version, name) VALUES (9999, '9999_future.sql')`); err != nil {
		t.Fatal(err)
	}
	if err := p.ready(ctx); err != nil {
		t.Errorf("migrated by a newer alignbot: %v", err)
	}
}

func gauge(t *testing.T, base, name string) float64 {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	f, ok := families[name]
	if !ok || len(f.GetMetric()) != 1 {
		t.Fatalf("no %s in /metrics", name)
	}
	return f.GetMetric()[0].GetGauge().GetValue()
}

func TestHealthcheck(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var healthy atomic.Bool
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/healthz" || !healthy.Load() {
			http.Error(w, "no", http.StatusServiceUnavailable)
			return
		}
		io.WriteString(w, "ok\n")
	})}
	go srv.Serve(ln)
	defer srv.Close()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	t.Setenv("ALIGNBOT_HTTP_ADDR", ":"+port) // as in the image: every address
	if code, _, stderr := runCLI(t, "healthcheck"); code != 1 || !strings.Contains(stderr, "503") {
		t.Errorf("unhealthy: exit %d, %q", code, stderr)
	}
	healthy.Store(true)
	if code, stdout, stderr := runCLI(t, "healthcheck"); code != 0 || stdout != "ok\n" {
		t.Errorf("healthy: exit %d, %q %q", code, stdout, stderr)
	}
	t.Setenv("ALIGNBOT_HTTP_ADDR", freeAddr(t))
	if code, _, _ := runCLI(t, "healthcheck"); code != 1 {
		t.Errorf("nothing listening: exit %d", code)
	}
}

// TestDoctorCommand runs `alignbot doctor` as an operator would, from the
// environment: it exits 0 when all is well, 1 with a fix when not, 2 for a
// channel that is not an ID.
func TestDoctorCommand(t *testing.T) {
	fake := slackfake.Start(t)
	fake.AddChannel(slackfake.Channel{ID: "CREVENUE", Name: "revenue", BotMember: true})
	dbURL := testdb.New(t)
	t.Setenv("SLACK_BOT_TOKEN", fake.BotToken())
	t.Setenv("SLACK_APP_TOKEN", fake.AppToken())
	t.Setenv("SLACK_API_URL", fake.URL())
	t.Setenv("DATABASE_URL", dbURL)
	if code, _, stderr := runCLI(t, "migrate"); code != 0 {
		t.Fatalf("migrate: %d %s", code, stderr)
	}
	code, stdout, stderr := runCLI(t, "doctor", "--channel", "CREVENUE")
	if code != 0 || stderr != "" || strings.Contains(stdout, "✗") || !strings.Contains(stdout, "✓ channel CREVENUE: the bot is a member of #revenue") {
		t.Errorf("doctor: exit %d, stderr %q:\n%s", code, stderr, stdout)
	}
	fake.RevokeBotScope("files:write")
	code, stdout, stderr = runCLI(t, "doctor")
	if code != 1 || !strings.Contains(stdout, "✗ bot scopes: not granted: files:write") ||
		stderr != "alignbot: "+errDoctorFailed.Error()+"\n" {
		t.Errorf("doctor without files:write: exit %d, stderr %q:\n%s", code, stderr, stdout)
	}
	if code, _, stderr := runCLI(t, "doctor", "--channel", "#revenue"); code != 2 || !strings.Contains(stderr, "--channel wants a channel ID") {
		t.Errorf("doctor --channel #revenue: exit %d, %q", code, stderr)
	}
	// A token that config would refuse is doctor's to explain.
	t.Setenv("SLACK_BOT_TOKEN", "xapp-pasted-in-the-wrong-place")
	if code, stdout, _ := runCLI(t, "doctor"); code != 1 || !strings.Contains(stdout, "✗ bot token: SLACK_BOT_TOKEN is an app-level token (xapp-)") {
		t.Errorf("doctor with an app token as bot token: exit %d:\n%s", code, stdout)
	}
}

// TestDoctorWithTheEmbeddedDatabase: before the first start, the data
// directory only has to be writable; a data directory that cannot be made
// is the one thing to fix.
func TestDoctorWithTheEmbeddedDatabase(t *testing.T) {
	fake := slackfake.Start(t)
	t.Setenv("SLACK_BOT_TOKEN", fake.BotToken())
	t.Setenv("SLACK_APP_TOKEN", fake.AppToken())
	t.Setenv("SLACK_API_URL", fake.URL())
	t.Setenv("DATABASE_URL", "")
	os.Unsetenv("DATABASE_URL")
	dir := filepath.Join(t.TempDir(), "alignbot-data")
	t.Setenv("ALIGNBOT_DATA_DIR", dir)
	code, stdout, _ := runCLI(t, "doctor")
	if code != 0 || !strings.Contains(stdout, "✓ data directory: "+dir+" does not exist yet") ||
		!strings.Contains(stdout, "✓ database: none yet") {
		t.Errorf("before the first start: exit %d:\n%s", code, stdout)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("doctor made %s: %v", dir, err)
	}
	file := filepath.Join(t.TempDir(), "a-file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("ALIGNBOT_DATA_DIR", filepath.Join(file, "alignbot-data"))
	code, stdout, _ = runCLI(t, "doctor")
	if code != 1 || !strings.Contains(stdout, "✗ data directory: cannot write in "+file) {
		t.Errorf("a data directory under a file: exit %d:\n%s", code, stdout)
	}
}
