package cli

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/alignbot/alignbot/internal/config"
	"github.com/alignbot/alignbot/internal/metrics"
	"github.com/alignbot/alignbot/internal/pgembed"
	"github.com/alignbot/alignbot/internal/testdb"
	"github.com/alignbot/alignbot/scoring"
	"github.com/alignbot/alignbot/storage"
)

func TestMain(m *testing.M) { testdb.Main(m) }

func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = Main(args, &out, &errOut, refuseToServe)
	return code, out.String(), errOut.String()
}

func TestHelpListsEveryVariable(t *testing.T) {
	code, out, _ := runCLI(t, "--help")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, v := range []string{"SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_API_URL", "DATABASE_URL", "ALIGNBOT_DATA_DIR",
		"ALIGNBOT_DEADLINE", "ALIGNBOT_NUDGE_AFTER", "ALIGNBOT_ACTION_DUE", "ALIGNBOT_ACTION_NUDGE_EVERY",
		"ALIGNBOT_RERUN_AFTER", "ALIGNBOT_WORKING_HOURS", "ALIGNBOT_HTTP_ADDR", "ALIGNBOT_LOG_FORMAT", "export --round ID"} {
		if !strings.Contains(out, v) {
			t.Errorf("--help lacks %s", v)
		}
	}
}

// TestHelpForEveryCommand: every command's --help, and help COMMAND, print
// that command's usage to stdout and exit 0, touching no configuration.
func TestHelpForEveryCommand(t *testing.T) {
	t.Setenv("ALIGNBOT_DEADLINE", "not read by help")
	tests := []struct {
		args []string
		want []string
	}{
		{[]string{"help"}, []string{"alignbot migrate", "ALIGNBOT_LOG_FORMAT"}},
		{[]string{"--help"}, []string{"alignbot migrate", "ALIGNBOT_LOG_FORMAT"}},
		{[]string{"-h"}, []string{"alignbot migrate"}},
		{[]string{"help", "--help"}, []string{"alignbot migrate"}},
		{[]string{"run", "--help"}, []string{"Usage: alignbot [run]", "SLACK_BOT_TOKEN", "ALIGNBOT_HTTP_ADDR"}},
		{[]string{"run", "-h"}, []string{"Usage: alignbot [run]"}},
		{[]string{"help", "run"}, []string{"Usage: alignbot [run]"}},
		{[]string{"migrate", "--help"}, []string{"Usage: alignbot migrate", "DATABASE_URL"}},
		{[]string{"help", "migrate"}, []string{"Usage: alignbot migrate"}},
		{[]string{"export", "--help"}, []string{"alignbot export --round ID", "-latest", "-format string"}},
		{[]string{"export", "--round", "1", "-h"}, []string{"alignbot export --round ID"}},
		{[]string{"help", "export"}, []string{"alignbot export --round ID"}},
		{[]string{"doctor", "--help"}, []string{"Usage: alignbot doctor [--channel C123]", "-channel ID"}},
		{[]string{"help", "healthcheck"}, []string{"Usage: alignbot healthcheck", "HEALTHCHECK"}},
		{[]string{"help"}, []string{"alignbot doctor", "alignbot healthcheck"}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, stdout, stderr := runCLI(t, tt.args...)
			if code != 0 || stderr != "" {
				t.Fatalf("exit %d, stderr %q", code, stderr)
			}
			for _, want := range tt.want {
				if !strings.Contains(stdout, want) {
					t.Errorf("stdout lacks %q:\n%s", want, stdout)
				}
			}
		})
	}
}

// TestUsageMistakesExit2: a wrong command line exits 2 and says what is
// wrong, followed by the usage.
func TestUsageMistakesExit2(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"launch"}, `alignbot: unknown command "launch"`},
		{[]string{"help", "launch"}, `alignbot: unknown command "launch"`},
		{[]string{"--bogus"}, "alignbot: run: flag provided but not defined: -bogus"},
		{[]string{"run", "--bogus"}, "alignbot: run: flag provided but not defined: -bogus"},
		{[]string{"migrate", "--bogus"}, "alignbot: migrate: flag provided but not defined: -bogus"},
		{[]string{"migrate", "now"}, `alignbot: migrate: unexpected argument "now"`},
		{[]string{"export", "--bogus"}, "alignbot: export: flag provided but not defined: -bogus"},
		{[]string{"export", "--round", "x"}, `alignbot: export: invalid value "x" for flag -round`},
		{[]string{"export"}, "alignbot: export: give --round ID, or --latest --channel C123"},
		{[]string{"export", "--round", "1", "--format", "xml"}, "alignbot: export: --format must be json or csv"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, stdout, stderr := runCLI(t, tt.args...)
			if code != 2 || stdout != "" {
				t.Errorf("exit %d, stdout %q; want 2 and nothing", code, stdout)
			}
			if !strings.HasPrefix(stderr, tt.want) || !strings.Contains(stderr, "Usage") {
				t.Errorf("stderr %q, want it to start with %q and show the usage", stderr, tt.want)
			}
		})
	}
}

// TestRunRefusesBadConfig: the first line of stderr is the whole message,
// naming the variable and the form it wants, and no value.
func TestRunRefusesBadConfig(t *testing.T) {
	tests := []struct {
		key, value, want string
	}{
		{"ALIGNBOT_DEADLINE", "a week", "alignbot: ALIGNBOT_DEADLINE: want a duration such as 7d, 48h or 90m\n"},
		{"ALIGNBOT_HTTP_ADDR", "nonsense", "alignbot: ALIGNBOT_HTTP_ADDR: want host:port with a port from 0 to 65535, " +
			"such as :8080 or 127.0.0.1:9090, or empty to disable the listener\n"},
		{"ALIGNBOT_LOG_FORMAT", "yaml", "alignbot: ALIGNBOT_LOG_FORMAT: want text, json or auto (auto or empty: text when stderr is a terminal, JSON otherwise)\n"},
		{"SLACK_BOT_TOKEN", "xapp-very-secret", "alignbot: SLACK_BOT_TOKEN: not a bot token; want the app's Bot User OAuth Token " +
			"(OAuth & Permissions), which starts with xoxb-\n"},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			t.Setenv("SLACK_BOT_TOKEN", "xoxb-very-secret")
			t.Setenv("SLACK_APP_TOKEN", "xapp-very-secret")
			t.Setenv(tt.key, tt.value)
			code, _, stderr := runCLI(t, "run")
			if code != 1 || stderr != tt.want {
				t.Errorf("exit %d, stderr %q; want 1, %q", code, stderr, tt.want)
			}
		})
	}
}

// TestRunStopsWhenTheHTTPPortIsTaken: the listener is opened before
// anything else starts (the database here is unreachable, and never tried).
func TestRunStopsWhenTheHTTPPortIsTaken(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	t.Setenv("SLACK_BOT_TOKEN", "xoxb-very-secret")
	t.Setenv("SLACK_APP_TOKEN", "xapp-very-secret")
	t.Setenv("DATABASE_URL", "postgres://nobody@127.0.0.1:1/never?sslmode=disable")
	t.Setenv("ALIGNBOT_HTTP_ADDR", taken.Addr().String())
	code, _, stderr := runCLI(t, "run")
	want := "alignbot: ALIGNBOT_HTTP_ADDR: " + taken.Addr().String() + " is already in use by another program"
	if code != 1 || !strings.HasPrefix(stderr, want) {
		t.Errorf("exit %d, stderr %q; want 1, %q…", code, stderr, want)
	}
}

func TestMigrateNeverShowsTheDatabasePassword(t *testing.T) {
	t.Setenv("DATABASE_URL", "postgres://alice:hunter2/xyz@db/db")
	code, _, stderr := runCLI(t, "migrate")
	want := "alignbot: DATABASE_URL is not a valid PostgreSQL URL; expected postgres://user:password@host:5432/dbname?sslmode=disable"
	if code != 1 || !strings.HasPrefix(stderr, want) {
		t.Errorf("exit %d, stderr %q; want 1, %q…", code, stderr, want)
	}
	for _, frag := range []string{"hun", "unt", "nte", "ter", "er2", "r2/", "2/x", "/xy", "xyz"} {
		if strings.Contains(stderr, frag) {
			t.Errorf("stderr %q shows %q of the password", stderr, frag)
		}
	}
}

func TestNewLogger(t *testing.T) {
	tests := []struct {
		format   config.LogFormat
		wantJSON bool
	}{
		{config.LogJSON, true},
		{config.LogText, false},
		{config.LogAuto, true}, // a buffer is not a terminal
		{"", true},
	}
	for _, tt := range tests {
		var buf bytes.Buffer
		newLogger(&buf, tt.format).Info("hello", slog.Int64("round_id", 7))
		line := buf.String()
		if gotJSON := json.Valid([]byte(line)); gotJSON != tt.wantJSON {
			t.Errorf("format %q: %q, want JSON %v", tt.format, line, tt.wantJSON)
		}
		if !strings.Contains(line, "round_id") {
			t.Errorf("format %q: %q lacks round_id", tt.format, line)
		}
	}
}

func TestIsTerminal(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	// /dev/null is a character device, like a terminal; the check is the
	// same one, and good enough to tell a person from a pipe or a file.
	devNull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer devNull.Close()
	file, err := os.Create(filepath.Join(t.TempDir(), "log"))
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	tests := []struct {
		name string
		w    io.Writer
		want bool
	}{
		{"pipe", w, false},
		{"file", file, false},
		{"buffer", &bytes.Buffer{}, false},
		{"character device", devNull, true},
	}
	for _, tt := range tests {
		if got := isTerminal(tt.w); got != tt.want {
			t.Errorf("%s: isTerminal = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestRedactedURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://slack.com/api/", "https://slack.com/api/"},
		{"https://user:hunter2@proxy.example/api/", "https://user:xxxxx@proxy.example/api/"},
		{"https://xoxb-token@proxy.example/api/", "https://xxxxx@proxy.example/api/"},
	}
	for _, tt := range tests {
		if got := redactedURL(tt.in); got != tt.want {
			t.Errorf("redactedURL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestExportIsReadOnly: export refuses a database not at this build's
// schema, and leaves it as it found it.
func TestExportIsReadOnly(t *testing.T) {
	ctx := context.Background()
	dbURL := testdb.New(t)
	t.Setenv("DATABASE_URL", dbURL)
	want, err := func() (int, error) {
		// The newest embedded migration, as migrate reports it.
		probe := testdb.New(t)
		store, err := storage.Open(ctx, probe)
		if err != nil {
			return 0, err
		}
		defer store.Close()
		if err := store.Migrate(ctx, nil); err != nil {
			return 0, err
		}
		return store.SchemaVersion(ctx)
	}()
	if err != nil {
		t.Fatal(err)
	}

	code, stdout, stderr := runCLI(t, "export", "--round", "1")
	wantErr := fmt.Sprintf("alignbot: database schema is at version 0, this alignbot needs %d: run `alignbot migrate` first\n", want)
	if code != 1 || stdout != "" || stderr != wantErr {
		t.Errorf("export of an empty database: exit %d, stdout %q, stderr %q; want 1, %q", code, stdout, stderr, wantErr)
	}
	store, err := storage.Open(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	var tables int
	if err := store.DB().GetContext(ctx, &tables, `SELECT count(*) FROM pg_tables WHERE schemaname = 'public'`); err != nil {
		t.Fatal(err)
	}
	if tables != 0 {
		t.Errorf("export created %d tables", tables)
	}

	if code, _, stderr := runCLI(t, "migrate"); code != 0 {
		t.Fatalf("migrate: exit %d: %s", code, stderr)
	}
	if code, _, stderr := runCLI(t, "export", "--round", "1"); code != 1 || !strings.Contains(stderr, "no round 1") {
		t.Errorf("export after migrate: exit %d, stderr %q; want no round 1", code, stderr)
	}
}

// TestExportNeedsAnExistingEmbeddedDatabase: export creates no cluster.
func TestExportNeedsAnExistingEmbeddedDatabase(t *testing.T) {
	dataDir := filepath.Join(t.TempDir(), "alignbot-data")
	t.Setenv("DATABASE_URL", "")
	os.Unsetenv("DATABASE_URL")
	t.Setenv("ALIGNBOT_DATA_DIR", dataDir)
	code, _, stderr := runCLI(t, "export", "--round", "1")
	want := "alignbot: no database in ALIGNBOT_DATA_DIR " + dataDir
	if code != 1 || !strings.HasPrefix(stderr, want) {
		t.Errorf("exit %d, stderr %q; want 1, %q…", code, stderr, want)
	}
	if _, err := os.Stat(dataDir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("export made %s: %v", dataDir, err)
	}
}

// TestEmbeddedDatabaseKeepsDataAcrossRestarts runs the CLI with DATABASE_URL
// unset: the embedded PostgreSQL starts, migrates, and what was stored in an
// earlier run is there in the next.
func TestEmbeddedDatabaseKeepsDataAcrossRestarts(t *testing.T) {
	tmp := t.TempDir()
	for _, dir := range []string{filepath.Dir(tmp), tmp} {
		// As root the server runs as an unprivileged user, who must get through.
		if err := os.Chmod(dir, 0o711); err != nil {
			t.Fatal(err)
		}
	}
	dataDir := filepath.Join(tmp, "alignbot-data")
	t.Setenv("DATABASE_URL", "")
	os.Unsetenv("DATABASE_URL")
	t.Setenv("ALIGNBOT_DATA_DIR", dataDir)

	if code, _, stderr := runCLI(t, "migrate"); code != 0 {
		t.Fatalf("first migrate: exit %d: %s", code, stderr)
	}
	// Store a round between two runs of the CLI.
	ctx := context.Background()
	srv, err := pgembed.Start(ctx, pgembed.Options{DataDir: dataDir})
	if err != nil {
		t.Fatal(err)
	}
	store, err := storage.Open(ctx, srv.URL())
	if err != nil {
		srv.Stop()
		t.Fatal(err)
	}
	err = inTx(store, func(tx *storage.Storage) error {
		_, err := tx.StartRound(ctx, storage.NewRound{WorkspaceID: "T1", ChannelID: "C1", Instrument: "alignment-maturity",
			FacilitatorID: "UF", DeadlineAt: time.Now().Add(time.Hour), CreatedAt: time.Now(), Roles: scoring.Leads,
			Respondents: map[scoring.Role]string{scoring.Marketing: "UM", scoring.Sales: "US"}})
		return err
	})
	store.Close()
	// While that server runs (as the bot's would), the commands say so
	// instead of postgres' complaint about its lock file.
	srvURL, err := url.Parse(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	port := srvURL.Port()
	for _, args := range [][]string{{"migrate"}, {"export", "--round", "1"}} {
		code, _, stderr := runCLI(t, args...)
		want := "alignbot: the data directory " + dataDir + " is in use by a running alignbot"
		if code != 1 || !strings.HasPrefix(stderr, want) || !strings.Contains(stderr, "127.0.0.1:"+port) ||
			!strings.Contains(stderr, "set DATABASE_URL") {
			t.Errorf("%v while the server runs: exit %d, stderr %q; want 1, %q…", args, code, stderr, want)
		}
	}
	if stopErr := srv.Stop(); err != nil || stopErr != nil {
		t.Fatalf("store a round: %v, stop: %v", err, stopErr)
	}

	if code, _, stderr := runCLI(t, "migrate"); code != 0 {
		t.Fatalf("second migrate: exit %d: %s", code, stderr)
	}
	// The round is still there: export finds it, and refuses it because it
	// is not revealed (an unknown round would say "no round 1").
	code, stdout, stderr := runCLI(t, "export", "--round", "1")
	if code != 1 || !strings.Contains(stderr, "has not been revealed yet") || stdout != "" {
		t.Errorf("export after restart: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
}

// seedRevealed stores a revealed round on a fresh database and returns its
// URL.
func seedRevealed(t *testing.T) (string, *storage.Storage) {
	t.Helper()
	ctx := context.Background()
	url := testdb.New(t)
	store, err := storage.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	if err := store.Migrate(ctx, nil); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	var r storage.Round
	err = inTx(store, func(tx *storage.Storage) error {
		var err error
		r, err = tx.StartRound(ctx, storage.NewRound{WorkspaceID: "T1", ChannelID: "CREV", Instrument: "alignment-maturity",
			FacilitatorID: "UF", DeadlineAt: now.Add(time.Hour), CreatedAt: now,
			Roles:       []scoring.Role{scoring.Marketing, scoring.Sales, scoring.Observer},
			Respondents: map[scoring.Role]string{scoring.Marketing: "UM", scoring.Sales: "US", scoring.Observer: "UO"}})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	scores := map[scoring.Role][]int{
		scoring.Marketing: {2, 2, 0, 1, 2, 1, 0, 2, 1, 1},
		scoring.Sales:     {0, 1, 0, 1, 0, 0, 0, 1, 1, 2},
	}
	users := map[scoring.Role]string{scoring.Marketing: "UM", scoring.Sales: "US"}
	var ids []string
	for i, q := range scoring.AlignmentMaturity.Questions {
		ids = append(ids, q.ID)
		for role, s := range scores {
			if err := inTx(store, func(tx *storage.Storage) error {
				_, err := tx.RecordAnswer(ctx, storage.Click{RoundID: r.ID, Role: role, UserID: users[role], Question: q.ID, Score: s[i], At: now})
				return err
			}); err != nil {
				t.Fatal(err)
			}
		}
	}
	return url, store
}

func reveal(t *testing.T, store *storage.Storage) {
	t.Helper()
	ctx := context.Background()
	now := time.Date(2026, 11, 3, 9, 0, 0, 0, time.UTC)
	for _, u := range []string{"UM", "US"} {
		if err := inTx(store, func(tx *storage.Storage) error {
			_, err := tx.Submit(ctx, 1, u, nil, now)
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
	if won, err := store.ClaimReveal(ctx, 1, scoring.Leads, true, now); err != nil || !won {
		t.Fatalf("claim: %v %v", won, err)
	}
}

func TestExport(t *testing.T) {
	url, store := seedRevealed(t)
	t.Setenv("DATABASE_URL", url)

	// Before the reveal: refused, nothing printed.
	code, stdout, stderr := runCLI(t, "export", "--round", "1")
	if code == 0 || stdout != "" || !strings.Contains(stderr, "has not been revealed yet") {
		t.Fatalf("before the reveal: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	code, stdout, _ = runCLI(t, "export", "--latest", "--channel", "CREV")
	if code == 0 || stdout != "" {
		t.Fatalf("--latest before the reveal: exit %d, stdout %q", code, stdout)
	}

	reveal(t, store)
	code, stdout, stderr = runCLI(t, "export", "--round", "1")
	if code != 0 {
		t.Fatalf("export: exit %d: %s", code, stderr)
	}
	var e struct {
		RoundID     int64  `json:"round_id"`
		Instrument  string `json:"instrument"`
		State       string `json:"state"`
		Respondents []struct {
			Predictions map[string]int `json:"predictions"`
			Role        string         `json:"role"`
			UserID      string         `json:"user_id"`
			Submitted   bool           `json:"submitted"`
			Answers     []int          `json:"answers"`
			Total       *int           `json:"total"`
			Tier        *int           `json:"tier"`
			TierName    *string        `json:"tier_name"`
		} `json:"respondents"`
		Questions []struct {
			ID            string         `json:"id"`
			Scores        map[string]int `json:"scores"`
			Spread        int            `json:"spread"`
			Combined      int            `json:"combined"`
			LeadGap       int            `json:"lead_gap"`
			StructuralGap bool           `json:"structural_gap"`
		} `json:"questions"`
		Flags []struct {
			Code string `json:"code"`
			Role string `json:"role"`
		} `json:"flags"`
		TeamTier    int               `json:"team_tier"`
		TopGaps     []json.RawMessage `json:"top_gaps"`
		NextRoundAt *string           `json:"next_round_at"`
	}
	if err := json.Unmarshal([]byte(stdout), &e); err != nil {
		t.Fatalf("%v:\n%s", err, stdout)
	}
	if e.RoundID != 1 || e.Instrument != "alignment-maturity" || e.State != "revealed" || e.TeamTier != 1 || len(e.Questions) != 10 || len(e.TopGaps) != 3 {
		t.Errorf("export: %+v", e)
	}
	mk, sl, ob := e.Respondents[0], e.Respondents[1], e.Respondents[2]
	if mk.Role != "marketing" || *mk.Total != 12 || *mk.Tier != 3 || *mk.TierName != "Functional" || len(mk.Answers) != 10 || mk.Answers[0] != 2 {
		t.Errorf("marketing: %+v", mk)
	}
	if sl.Role != "sales" || *sl.Total != 6 || *sl.Tier != 1 {
		t.Errorf("sales: %+v", sl)
	}
	if mk.Predictions == nil || len(mk.Predictions) != 0 {
		t.Errorf("marketing made no predictions: got %v, want {}", mk.Predictions)
	}
	if ob.Role != "observer" || ob.Submitted || ob.Answers != nil || ob.Total != nil {
		t.Errorf("the observer who did not respond: %+v", ob)
	}
	q1 := e.Questions[0]
	if q1.ID != "Q1" || q1.Scores["marketing"] != 2 || q1.Scores["sales"] != 0 || q1.Spread != 2 || q1.Combined != 2 || q1.LeadGap != 2 || !q1.StructuralGap {
		t.Errorf("Q1: %+v", q1)
	}
	wantFlags := map[string]bool{"crm_not_source_of_truth/marketing": true, "crm_not_source_of_truth/sales": true, "no_shared_inputs/sales": true, "data_trust/sales": true}
	for _, f := range e.Flags {
		if !wantFlags[f.Code+"/"+f.Role] {
			t.Errorf("unexpected flag %+v", f)
		}
		delete(wantFlags, f.Code+"/"+f.Role)
	}
	if len(wantFlags) != 0 {
		t.Errorf("missing flags %v", wantFlags)
	}

	code, latest, _ := runCLI(t, "export", "--latest", "--channel", "CREV")
	if code != 0 || latest != stdout {
		t.Errorf("--latest differs from --round 1 (exit %d)", code)
	}
	code, csvOut, stderr := runCLI(t, "export", "--round", "1", "--format", "csv")
	if code != 0 {
		t.Fatalf("csv: exit %d: %s", code, stderr)
	}
	rows, err := csv.NewReader(strings.NewReader(csvOut)).ReadAll()
	if err != nil || len(rows) != 11 || rows[1][1] != "alignment-maturity" || rows[1][2] != "Q1" || rows[1][3] != "2" || rows[1][4] != "0" || rows[1][5] != "" || rows[1][8] != "2" {
		t.Errorf("csv: %v %v", rows, err)
	}

	if code, _, _ := runCLI(t, "export", "--latest"); code != 2 {
		t.Errorf("--latest without --channel: exit %d, want 2", code)
	}
	if code, _, stderr := runCLI(t, "export", "--round", "99"); code != 1 || !strings.Contains(stderr, "no round 99") {
		t.Errorf("unknown round: exit %d, %q", code, stderr)
	}
}

func inTx(store *storage.Storage, fn func(*storage.Storage) error) error {
	return store.Transact(context.Background(), fn)
}

// refuseToServe stands in for the bot: these tests never get as far as
// serving Slack (the bot's own tests do that, against a fake Slack).
func refuseToServe(config.Config, *storage.Storage, *slog.Logger, *metrics.Metrics) (App, error) {
	return nil, errors.New("no bot in these tests")
}
