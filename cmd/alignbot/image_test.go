package main

import (
	"bufio"
	"bytes"
	"context"
	"debug/elf"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/alignbot/alignbot/internal/slackfake"
	"github.com/alignbot/alignbot/internal/testclock"
	"github.com/alignbot/alignbot/internal/testdb"
)

func TestMain(m *testing.M) { testdb.Main(m) }

// TestDockerfile: the image is built by .ci/build (which this package's
// other tests and CI run, so what they check is what ships), on an empty
// base, as a user other than root, with a health check the binary answers.
func TestDockerfile(t *testing.T) {
	raw, err := os.ReadFile("../../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	var stages [][]string
	for _, line := range strings.Split(string(raw), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if strings.HasPrefix(line, "FROM ") {
			stages = append(stages, nil)
		}
		if len(stages) > 0 {
			stages[len(stages)-1] = append(stages[len(stages)-1], line)
		}
	}
	if len(stages) != 2 {
		t.Fatalf("%d stages, want a build stage and the image", len(stages))
	}
	build, image := strings.Join(stages[0], "\n"), strings.Join(stages[1], "\n")
	if !regexp.MustCompile(`(?m)^RUN \.ci/build /out/alignbot$`).MatchString(build) || strings.Contains(build, "go build") {
		t.Errorf("the build stage does not build with .ci/build alone:\n%s", build)
	}
	for _, want := range []string{`FROM scratch`, `COPY --from=build /out/alignbot /alignbot`, `USER 65532:65532`,
		`CMD ["/alignbot", "healthcheck"]`, `ENTRYPOINT ["/alignbot"]`} {
		if !strings.Contains(image, want) {
			t.Errorf("the image stage lacks %q:\n%s", want, image)
		}
	}
	compose, err := os.ReadFile("../../compose.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"image: postgres:16", "pgdata:/var/lib/postgresql/data", "\nvolumes:\n  pgdata:", "build: .",
		"condition: service_healthy", "DATABASE_URL: postgres://alignbot:${POSTGRES_PASSWORD}@db:5432/alignbot"} {
		if !strings.Contains(string(compose), want) {
			t.Errorf("compose.yaml lacks %q", want)
		}
	}
}

// emptyRoot builds the binary with .ci/build into a directory holding
// nothing else, as the image is: no /usr/share/zoneinfo, no /etc/ssl, no
// /etc at all.
func emptyRoot(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	if err := os.Chmod(root, 0o755); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("bash", "../../.ci/build", filepath.Join(root, "alignbot")).CombinedOutput()
	if err != nil {
		t.Fatalf(".ci/build: %v\n%s", err, out)
	}
	return root
}

// inRoot runs a program of root with root as its /, the way a container
// starts it: as root when the test is root, else in a user namespace. It
// skips the test when this machine allows neither.
func inRoot(t *testing.T, root string, env []string, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command("/"+args[0], args[1:]...)
	cmd.Dir = "/"
	cmd.Env = append([]string{
		// Pointing nowhere, like the system's directories in the root.
		"ZONEINFO=/nonexistent/zoneinfo.zip",
		"SSL_CERT_FILE=/nonexistent/ca-certificates.crt",
		"SSL_CERT_DIR=/nonexistent/certs",
	}, env...)
	attr := &syscall.SysProcAttr{Chroot: root}
	if os.Geteuid() != 0 {
		attr.Cloneflags = syscall.CLONE_NEWUSER
		attr.UidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Geteuid(), Size: 1}}
		attr.GidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getegid(), Size: 1}}
	}
	cmd.SysProcAttr = attr
	return cmd
}

func runInRoot(t *testing.T, root string, env []string, args ...string) (string, error) {
	t.Helper()
	cmd := inRoot(t, root, env, args...)
	out, err := cmd.CombinedOutput()
	var pathErr *os.PathError
	if errors.As(err, &pathErr) || errors.Is(err, syscall.EPERM) || errors.Is(err, syscall.EINVAL) {
		t.Skipf("cannot run a program in an empty root on this machine: %v", err)
	}
	return string(out), err
}

// control is a program built without alignbot's embedded data: in the
// empty root it must find neither time zones nor CA roots, or the root
// would not show what the image lacks.
const control = `package main

import (
	"crypto/x509"
	"fmt"
	"time"
)

func main() {
	_, tzErr := time.LoadLocation("America/New_York")
	pool, caErr := x509.SystemCertPool()
	n := 0
	if caErr == nil {
		n = len(pool.Subjects())
	}
	fmt.Printf("tz error: %v; roots: %d\n", tzErr != nil, n)
}
`

// TestBinaryInAnEmptyRoot builds the binary as the Dockerfile does and runs
// it with nothing beside it, ZONEINFO pointing nowhere and no certificate
// file or directory: doctor finds the time zones and CA roots it embeds,
// and the bot itself serves a round's requests' probes against the fake
// Slack and PostgreSQL.
func TestBinaryInAnEmptyRoot(t *testing.T) {
	root := emptyRoot(t)

	bin, err := elf.Open(filepath.Join(root, "alignbot"))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range bin.Progs {
		if p.Type == elf.PT_INTERP || p.Type == elf.PT_DYNAMIC {
			t.Errorf("the binary is dynamically linked (%v)", p.Type)
		}
	}
	bin.Close()

	src := t.TempDir()
	if err := os.WriteFile(filepath.Join(src, "go.mod"), []byte("module control\n\ngo 1.26\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(src, "main.go"), []byte(control), 0o644); err != nil {
		t.Fatal(err)
	}
	build := exec.Command("go", "build", "-o", filepath.Join(root, "control"), ".")
	build.Dir, build.Env = src, append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build the control: %v\n%s", err, out)
	}
	out, err := runInRoot(t, root, nil, "control")
	if err != nil || strings.TrimSpace(out) != "tz error: true; roots: 0" {
		t.Fatalf("without embedded data, in the empty root: %q %v; want no time zones and no roots", out, err)
	}

	fake := slackfake.Start(t)
	fake.AddChannel(slackfake.Channel{ID: "CREVENUE", Name: "revenue", BotMember: true})
	env := []string{
		"SLACK_BOT_TOKEN=" + fake.BotToken(),
		"SLACK_APP_TOKEN=" + fake.AppToken(),
		"SLACK_API_URL=" + fake.URL(),
		"DATABASE_URL=" + testdb.New(t),
		"ALIGNBOT_LOG_FORMAT=json",
	}
	if out, err := runInRoot(t, root, env, "alignbot", "migrate"); err != nil {
		t.Fatalf("migrate: %v\n%s", err, out)
	}
	out, err = runInRoot(t, root, env, "alignbot", "doctor", "--channel", "CREVENUE")
	if err != nil || strings.Contains(out, "✗") {
		t.Errorf("doctor in the empty root: %v\n%s", err, out)
	}
	for _, want := range []string{"✓ time zones: America/New_York, Europe/Berlin, Asia/Kolkata, Australia/Sydney load", "✓ CA roots: "} {
		if !strings.Contains(out, want) {
			t.Errorf("doctor in the empty root lacks %q:\n%s", want, out)
		}
	}
	if m := regexp.MustCompile(`✓ CA roots: (\d+) `).FindStringSubmatch(out); m == nil || len(m[1]) < 3 {
		t.Errorf("doctor found too few CA roots:\n%s", out)
	}

	addr := freeAddr(t)
	env = append(env, "ALIGNBOT_HTTP_ADDR="+addr)
	cmd := inRoot(t, root, env, "alignbot", "run")
	var logs syncBuffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Skipf("cannot run a program in an empty root on this machine: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	defer func() {
		cmd.Process.Kill()
		<-done
		if t.Failed() {
			t.Logf("alignbot's logs:\n%s", logs.String())
		}
	}()
	base := "http://" + addr
	testclock.Eventually(t, "/readyz to answer 200", func() bool { status, _ := get(base + "/readyz"); return status == "200 OK" })
	if status, body := get(base + "/healthz"); status != "200 OK" || body != "ok" {
		t.Errorf("/healthz: %s %q", status, body)
	}
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	resp.Body.Close()
	if err != nil || families["alignbot_socket_connected"].GetMetric()[0].GetGauge().GetValue() != 1 {
		t.Errorf("/metrics: %v, socket connected %v", err, families["alignbot_socket_connected"])
	}
	if out, err := runInRoot(t, root, []string{"ALIGNBOT_HTTP_ADDR=" + addr}, "alignbot", "healthcheck"); err != nil || out != "ok\n" {
		t.Errorf("healthcheck: %v %q", err, out)
	}
	// Stopping: readiness goes first, then the bot, which exits cleanly.
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		done <- err
		if err != nil {
			t.Errorf("alignbot exited with %v after SIGTERM", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("alignbot did not stop within 30s of SIGTERM")
	}
	stopping, stopped := logIndex(logs.String(), "alignbot stopping: /readyz answers 503"), logIndex(logs.String(), "alignbot stopped")
	if stopping < 0 || stopped < stopping {
		t.Errorf("the logs do not say /readyz turned 503 before the bot stopped:\n%s", logs.String())
	}
}

func logIndex(logs, msg string) int {
	sc := bufio.NewScanner(strings.NewReader(logs))
	for i := 0; sc.Scan(); i++ {
		if strings.Contains(sc.Text(), `"msg":"`+msg+`"`) {
			return i
		}
	}
	return -1
}

func get(url string) (status, body string) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	resp, err := http.DefaultClient.Do(req)
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

// syncBuffer collects a child's output while the test reads it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
