package bot

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/alignbot/alignbot/internal/cli"
	"github.com/alignbot/alignbot/internal/config"
	"github.com/alignbot/alignbot/internal/metrics"
	"github.com/alignbot/alignbot/internal/slackfake"
	"github.com/alignbot/alignbot/internal/testdb"
	"github.com/alignbot/alignbot/storage"
)

// The click benchmarks measure the bot alone: it runs in a process of its
// own, `alignbot run` as cmd/alignbot wires it, configured from its
// environment, while the fake Slack and the people clicking stay in the
// benchmark's process. The bot's process is this test binary asked to run
// only TestBotProcess, like the replicas the fault tests kill: it needs no
// toolchain at run time, runs the code under test, and can write a CPU
// profile of itself without the production binary serving one. Built with
// -race or -cover, the bot would be measured with them: benchmarks run
// without.

// botProcessEnv marks the bot's process; its value is "1", or the file its
// CPU profile goes to.
const botProcessEnv = "ALIGNBOT_BENCH_BOT_PROCESS"

// TestBotProcess is not a test: it runs `alignbot run` until the benchmark
// that started it sends SIGTERM (see startBotProcess). SIGUSR1 starts its
// CPU profile, SIGUSR2 ends it.
func TestBotProcess(t *testing.T) {
	mode := os.Getenv(botProcessEnv)
	if mode == "" {
		t.Skip("the bot that the click benchmarks run in a process of its own")
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	if mode != "1" {
		stopProfile := profileOnSignal(t, mode)
		defer stopProfile()
	}
	newApp := func(cfg config.Config, store *storage.Storage, log *slog.Logger, m *metrics.Metrics) (cli.App, error) {
		// The database transactions, for the benchmark's count per click.
		err := m.Register(prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "alignbot_bench_db_transactions_total", Help: "Transactions the bot's storage committed or rolled back.",
		}, func() float64 { return float64(store.Transactions()) }))
		if err != nil {
			return nil, err
		}
		// As cmd/alignbot builds it.
		return New(Options{Config: cfg, Store: store, Logger: log, Metrics: m})
	}
	if code := cli.Run(ctx, []string{"run"}, os.Stdout, os.Stderr, newApp); code != 0 {
		t.Fatalf("alignbot run exited with %d", code)
	}
}

// profileOnSignal writes a CPU profile to path from each SIGUSR1 to the
// next SIGUSR2; the returned function ends one still running.
func profileOnSignal(t *testing.T, path string) func() {
	signals := make(chan os.Signal, 2)
	signal.Notify(signals, syscall.SIGUSR1, syscall.SIGUSR2)
	var mu sync.Mutex
	var f *os.File
	end := func() {
		mu.Lock()
		defer mu.Unlock()
		if f != nil {
			pprof.StopCPUProfile()
			f.Close()
			f = nil
		}
	}
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-done:
				return
			case s := <-signals:
				if s == syscall.SIGUSR2 {
					end()
					continue
				}
				mu.Lock()
				if f == nil {
					var err error
					if f, err = os.Create(path); err != nil {
						t.Errorf("cpu profile: %v", err)
					} else if err := pprof.StartCPUProfile(f); err != nil {
						t.Errorf("cpu profile: %v", err)
						f.Close()
						f = nil
					}
				}
				mu.Unlock()
			}
		}
	}()
	return func() {
		signal.Stop(signals)
		close(done)
		end()
	}
}

// botProcess is the bot running in a process of its own against a fake
// Slack of the benchmark's process and a fresh database.
type botProcess struct {
	cmd     *exec.Cmd
	dbURL   string
	metrics string // its /metrics URL
	profile bool
	done    chan struct{}
	err     error

	mu   sync.Mutex
	logs []string // its last log lines, for a failure
}

// startBotProcess starts the bot on a fresh database, configured as a
// person would configure `alignbot run` for fake, and returns once it is
// connected to Slack. ALIGNBOT_BENCH_CPUPROFILE names the file its
// profile goes to, between startProfile and stopProfile. It is stopped
// when the benchmark ends, if not before.
func startBotProcess(b *testing.B, fake *slackfake.Server) *botProcess {
	b.Helper()
	p := &botProcess{dbURL: testdb.New(b), done: make(chan struct{})}
	mode := "1"
	if path := os.Getenv("ALIGNBOT_BENCH_CPUPROFILE"); path != "" {
		mode, p.profile = path, true
	}
	var env []string
	for _, kv := range os.Environ() {
		// Only the benchmark's configuration reaches the bot.
		if !strings.HasPrefix(kv, "SLACK_") && !strings.HasPrefix(kv, "ALIGNBOT_") && !strings.HasPrefix(kv, "DATABASE_URL=") {
			env = append(env, kv)
		}
	}
	env = append(env,
		botProcessEnv+"="+mode,
		"SLACK_BOT_TOKEN="+fake.BotToken(),
		"SLACK_APP_TOKEN="+fake.AppToken(),
		"SLACK_API_URL="+fake.URL(),
		"DATABASE_URL="+p.dbURL,
		// The people are in every time zone: any hour is a working hour.
		"ALIGNBOT_WORKING_HOURS=",
		"ALIGNBOT_HTTP_ADDR=127.0.0.1:0",
		"ALIGNBOT_LOG_FORMAT=json",
	)
	p.cmd = exec.Command(os.Args[0], "-test.run=^TestBotProcess$", "-test.count=1", "-test.timeout=0", "-test.parallel=1")
	p.cmd.Env = env
	p.cmd.SysProcAttr = replicaProcAttr()
	stderr, err := p.cmd.StderrPipe()
	if err != nil {
		b.Fatal(err)
	}
	p.cmd.Stdout = io.Discard
	if err := p.cmd.Start(); err != nil {
		b.Fatalf("start the bot's process: %v", err)
	}
	listening := make(chan string, 1)
	go p.readLogs(stderr, listening)
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	b.Cleanup(func() { p.stop(b) })

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	select {
	case addr := <-listening:
		p.metrics = "http://" + addr + "/metrics"
	case <-p.done:
		b.Fatalf("the bot's process ended: %v\n%s", p.err, p.lastLogs())
	case <-ctx.Done():
		b.Fatalf("the bot's process did not start listening\n%s", p.lastLogs())
	}
	if err := fake.WaitConnections(ctx, 1); err != nil {
		b.Fatalf("the bot's process did not connect: %v\n%s", err, p.lastLogs())
	}
	return p
}

// readLogs keeps the bot's last log lines and sends the address of its
// health listener once it says it.
func (p *botProcess) readLogs(r io.Reader, listening chan<- string) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		line := sc.Text()
		p.mu.Lock()
		p.logs = append(p.logs, line)
		if len(p.logs) > 50 {
			p.logs = p.logs[1:]
		}
		p.mu.Unlock()
		var rec struct {
			Msg      string `json:"msg"`
			HTTPAddr string `json:"http_addr"`
		}
		if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "health listener started" {
			select {
			case listening <- rec.HTTPAddr:
			default:
			}
		}
	}
	// A line too long to keep must not stop the bot on a full pipe.
	_, _ = io.Copy(io.Discard, r)
}

func (p *botProcess) lastLogs() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.logs, "\n")
}

// stop asks the bot to stop, as an orchestrator would, and waits for it;
// one that does not stop within 30 seconds is killed.
func (p *botProcess) stop(b *testing.B) {
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
		b.Errorf("the bot's process did not stop within 30 s of SIGTERM\n%s", p.lastLogs())
	}
}

// startProfile and stopProfile bracket the part of the bot's life its CPU
// profile covers, if one was asked for.
func (p *botProcess) startProfile() { p.signal(syscall.SIGUSR1) }
func (p *botProcess) stopProfile()  { p.signal(syscall.SIGUSR2) }

func (p *botProcess) signal(s os.Signal) {
	if p.profile {
		_ = p.cmd.Process.Signal(s)
	}
}

// cpu is the CPU time, user and system, that the bot's process has used so
// far.
func (p *botProcess) cpu(b *testing.B) time.Duration {
	d, err := processCPUOf(p.cmd.Process.Pid)
	if err != nil {
		b.Fatal(err)
	}
	return d
}

// processCPUOf is the CPU time, user and system, of every thread of the
// process pid so far, from /proc/pid/stat.
func processCPUOf(pid int) (time.Duration, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, fmt.Errorf("the bot's CPU time: %w", err)
	}
	// The command's name, in parentheses, may hold spaces: the fields
	// counted from state on follow its last ")".
	i := strings.LastIndexByte(string(data), ')')
	fields := strings.Fields(string(data[i+1:]))
	// state is field 3 of proc(5); utime and stime are 14 and 15.
	if len(fields) < 13 {
		return 0, fmt.Errorf("the bot's CPU time: /proc/%d/stat has %d fields", pid, len(fields)+2)
	}
	var ticks int64
	for _, f := range fields[11:13] {
		n, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("the bot's CPU time: %w", err)
		}
		ticks += n
	}
	return time.Duration(ticks) * (time.Second / 100), nil // USER_HZ
}

// scrape reads the bot's /metrics and returns each series' value, summed
// over its labels, and each labelled series of the names in byLabel by
// label set.
func (p *botProcess) scrape(b *testing.B) botMetrics {
	b.Helper()
	resp, err := http.Get(p.metrics)
	if err != nil {
		b.Fatalf("the bot's metrics: %v", err)
	}
	defer resp.Body.Close()
	m := botMetrics{sums: map[string]float64{}, series: map[string]float64{}}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			continue
		}
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			continue
		}
		series := line[:i]
		name, _, _ := strings.Cut(series, "{")
		m.sums[name] += v
		m.series[series] = v
	}
	if err := sc.Err(); err != nil {
		b.Fatalf("the bot's metrics: %v", err)
	}
	return m
}

// botMetrics is one reading of the bot's /metrics.
type botMetrics struct {
	sums   map[string]float64 // by name
	series map[string]float64 // by name{labels}
}

// rateLimited is the calls Slack answered 429, by method, since before.
func (m botMetrics) rateLimited(before botMetrics) map[string]int {
	out := map[string]int{}
	const prefix = `alignbot_slack_rate_limited_total{method="`
	for s, v := range m.series {
		if method, ok := strings.CutPrefix(s, prefix); ok {
			if n := int(v - before.series[s]); n > 0 {
				out[strings.TrimSuffix(method, `"}`)] = n
			}
		}
	}
	return out
}
