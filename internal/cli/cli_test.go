package cli

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/alignbot/alignbot/internal/pgembed"
	"github.com/alignbot/alignbot/internal/testdb"
	"github.com/alignbot/alignbot/scoring"
	"github.com/alignbot/alignbot/storage"
)

func TestMain(m *testing.M) { testdb.Main(m) }

func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = Main(args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestHelpListsEveryVariable(t *testing.T) {
	code, out, _ := runCLI(t, "--help")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, v := range []string{"SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_API_URL", "DATABASE_URL", "ALIGNBOT_DATA_DIR",
		"ALIGNBOT_DEADLINE", "ALIGNBOT_NUDGE_AFTER", "ALIGNBOT_ACTION_DUE", "ALIGNBOT_ACTION_NUDGE_EVERY",
		"ALIGNBOT_RERUN_AFTER", "ALIGNBOT_WORKING_HOURS", "ALIGNBOT_HTTP_ADDR", "export --round ID"} {
		if !strings.Contains(out, v) {
			t.Errorf("--help lacks %s", v)
		}
	}
}

func TestRunRefusesBadConfigNamingTheVariable(t *testing.T) {
	t.Setenv("SLACK_BOT_TOKEN", "xoxb-very-secret")
	t.Setenv("SLACK_APP_TOKEN", "xapp-very-secret")
	t.Setenv("ALIGNBOT_DEADLINE", "a week")
	code, _, stderr := runCLI(t, "run")
	if code == 0 || !strings.Contains(stderr, "ALIGNBOT_DEADLINE") || strings.Contains(stderr, "very-secret") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
	code, _, stderr = runCLI(t, "launch")
	if code != 2 || !strings.Contains(stderr, `unknown command "launch"`) {
		t.Errorf("unknown command: exit %d, %q", code, stderr)
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
	_, err = store.StartRound(ctx, storage.NewRound{WorkspaceID: "T1", ChannelID: "C1", Instrument: "alignment-maturity",
		FacilitatorID: "UF", DeadlineAt: time.Now().Add(time.Hour), CreatedAt: time.Now(),
		Respondents: map[scoring.Role]string{scoring.Marketing: "UM", scoring.Sales: "US"}})
	store.Close()
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
	r, err := store.StartRound(ctx, storage.NewRound{WorkspaceID: "T1", ChannelID: "CREV", Instrument: "alignment-maturity",
		FacilitatorID: "UF", DeadlineAt: now.Add(time.Hour), CreatedAt: now,
		Respondents: map[scoring.Role]string{scoring.Marketing: "UM", scoring.Sales: "US", scoring.Observer: "UO"}})
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
			if _, err := store.RecordAnswer(ctx, r.ID, role, users[role], q.ID, s[i], now); err != nil {
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
		if _, err := store.Submit(ctx, 1, u, nil, now); err != nil {
			t.Fatal(err)
		}
	}
	if won, err := store.ClaimReveal(ctx, 1, true, now); err != nil || !won {
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
		State       string `json:"state"`
		Respondents []struct {
			Role      string  `json:"role"`
			UserID    string  `json:"user_id"`
			Submitted bool    `json:"submitted"`
			Answers   []int   `json:"answers"`
			Total     *int    `json:"total"`
			Tier      *int    `json:"tier"`
			TierName  *string `json:"tier_name"`
		} `json:"respondents"`
		Questions []struct {
			ID            string         `json:"id"`
			Scores        map[string]int `json:"scores"`
			Spread        int            `json:"spread"`
			Combined      int            `json:"combined"`
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
	if e.RoundID != 1 || e.State != "revealed" || e.TeamTier != 1 || len(e.Questions) != 10 || len(e.TopGaps) != 3 {
		t.Errorf("export: %+v", e)
	}
	mk, sl, ob := e.Respondents[0], e.Respondents[1], e.Respondents[2]
	if mk.Role != "marketing" || *mk.Total != 12 || *mk.Tier != 3 || *mk.TierName != "Functional" || len(mk.Answers) != 10 || mk.Answers[0] != 2 {
		t.Errorf("marketing: %+v", mk)
	}
	if sl.Role != "sales" || *sl.Total != 6 || *sl.Tier != 1 {
		t.Errorf("sales: %+v", sl)
	}
	if ob.Role != "observer" || ob.Submitted || ob.Answers != nil || ob.Total != nil {
		t.Errorf("the observer who did not respond: %+v", ob)
	}
	q1 := e.Questions[0]
	if q1.ID != "Q1" || q1.Scores["marketing"] != 2 || q1.Scores["sales"] != 0 || q1.Spread != 2 || q1.Combined != 2 || !q1.StructuralGap {
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
	if err != nil || len(rows) != 11 || rows[1][1] != "Q1" || rows[1][2] != "2" || rows[1][3] != "0" || rows[1][4] != "" {
		t.Errorf("csv: %v %v", rows, err)
	}

	for _, args := range [][]string{
		{"export"}, {"export", "--round", "1", "--format", "xml"}, {"export", "--latest"}, {"export", "--round", "x"},
	} {
		if code, _, _ := runCLI(t, args...); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
	if code, _, stderr := runCLI(t, "export", "--round", "99"); code != 1 || !strings.Contains(stderr, "no round 99") {
		t.Errorf("unknown round: exit %d, %q", code, stderr)
	}
}
