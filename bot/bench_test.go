package bot

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lib/pq"
	"golang.org/x/time/rate"

	"github.com/alignbot/alignbot/internal/config"
	"github.com/alignbot/alignbot/internal/slackfake"
	"github.com/alignbot/alignbot/internal/testdb"
	"github.com/alignbot/alignbot/storage"
)

// benchRate is the workspace-wide chat.postMessage rate the fake Slack
// enforces in BenchmarkNudges, per second. Slack publishes "several hundred
// a minute" without a number; ALIGNBOT_BENCH_RATE changes it (5 is close to
// Slack and takes half an hour for 10 000 nudges).
func benchRate(b *testing.B) float64 {
	if v := os.Getenv("ALIGNBOT_BENCH_RATE"); v != "" {
		r, err := strconv.ParseFloat(v, 64)
		if err != nil || r <= 0 {
			b.Fatalf("ALIGNBOT_BENCH_RATE: %q is not a positive number", v)
		}
		return r
	}
	return 200
}

// BenchmarkNudges sends 10 000 due respondent nudges through the fake Slack,
// which enforces Slack-like limits (one post a second per channel with bursts
// of 3, a workspace-wide rate, Slack's tiers for the other methods). It
// reports the elapsed time against the limit's lower bound, and the
// duplicates and misses, which must be 0.
func BenchmarkNudges(b *testing.B) {
	const n = 10_000
	perSecond := benchRate(b)
	const burst = 30
	for b.Loop() {
		limits := slackfake.SlackRateLimits()
		limits.PostWorkspace = slackfake.Limit{Every: time.Duration(float64(time.Second) / perSecond), Burst: burst}
		fake, err := slackfake.New(slackfake.WithRateLimits(limits))
		if err != nil {
			b.Fatal(err)
		}
		ctx := context.Background()
		store, err := storage.Open(ctx, testdb.New(b))
		if err != nil {
			b.Fatal(err)
		}
		if err := store.Migrate(ctx, nil); err != nil {
			b.Fatal(err)
		}
		users := seedNudges(b, fake, store, n)

		bot, err := New(Options{
			Config: config.Config{BotToken: config.Secret(fake.BotToken()), AppToken: config.Secret(fake.AppToken()),
				APIURL: fake.URL(), NudgeAfter: 48 * time.Hour, Deadline: 168 * time.Hour},
			Store:  store,
			Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
			Pace:   Pace{PerChannel: 1, PerChannelBurst: 3, Workspace: rate.Limit(perSecond), WorkspaceBurst: burst},
		})
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		ran, err := bot.RunDueJobs(ctx)
		if err != nil {
			b.Fatal(err)
		}
		// Jobs deferred by a 429 come due again within seconds.
		for remaining := pendingDue(b, fake, store); remaining > 0; remaining = pendingDue(b, fake, store) {
			more, err := bot.RunDueJobs(ctx)
			if err != nil {
				b.Fatal(err)
			}
			ran += more
		}
		elapsed := time.Since(start)

		duplicates, missing := 0, 0
		for _, u := range users {
			switch got := len(fake.DMs(u)); {
			case got == 0:
				missing++
			case got > 1:
				duplicates += got - 1
			}
		}
		lowerBound := time.Duration(float64(n-burst) / perSecond * float64(time.Second))
		b.ReportMetric(elapsed.Seconds(), "elapsed_s")
		b.ReportMetric(lowerBound.Seconds(), "lower_bound_s")
		b.ReportMetric(float64(duplicates), "duplicates")
		b.ReportMetric(float64(missing), "missing")
		b.ReportMetric(float64(fake.RateLimitedCount()), "429s")
		fmt.Printf("nudges: %d sent in %s; Slack's limit (%.0f posts/s, bursts of %d) allows it in no less than %s (%.2f× the bound); %d duplicates, %d missing, %d answered 429, %d job runs\n",
			n-missing, elapsed.Round(time.Millisecond), perSecond, burst, lowerBound.Round(time.Millisecond),
			elapsed.Seconds()/lowerBound.Seconds(), duplicates, missing, fake.RateLimitedCount(), ran)
		if duplicates != 0 || missing != 0 {
			b.Errorf("%d duplicates and %d missing, want 0 and 0", duplicates, missing)
		}
		store.Close()
		fake.Close()
	}
}

// pendingDue counts first nudges not yet sent. While some wait out a
// Retry-After (Slack's clock is real here), it waits for the fake to change
// or a moment to pass.
func pendingDue(b *testing.B, fake *slackfake.Server, store *storage.Storage) int {
	var n int
	if err := store.DB().Get(&n, `SELECT count(*) FROM jobs WHERE state = 'pending' AND kind = 'nudge_respondent' AND (payload->>'n')::int = 1`); err != nil {
		b.Fatal(err)
	}
	if n > 0 {
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		changed := false
		fake.WaitFor(ctx, func() bool { ok := changed; changed = true; return ok })
		cancel()
	}
	return n
}

// seedNudges stores n respondents, two per round, each with a questionnaire
// already in their DM and their first nudge due now.
func seedNudges(b *testing.B, fake *slackfake.Server, store *storage.Storage, n int) []string {
	b.Helper()
	var users, dms, roles []string
	var rounds []int64
	for i := range n {
		u := fmt.Sprintf("UB%07d", i)
		fake.AddUser(slackfake.User{ID: u, Name: u, TZ: "UTC"})
		users = append(users, u)
		dms = append(dms, fake.OpenDM(u))
		rounds = append(rounds, int64(i/2+1))
		roles = append(roles, []string{"marketing", "sales"}[i%2])
	}
	db := store.DB()
	now := time.Now()
	exec := func(query string, args ...any) {
		if _, err := db.Exec(query, args...); err != nil {
			b.Fatal(err)
		}
	}
	exec(`INSERT INTO teams (id, workspace_id, channel_id) SELECT g, 'T0000FAKE', 'CB' || g FROM generate_series(1, $1) g`, n/2)
	exec(`INSERT INTO rounds (id, team_id, instrument, facilitator_user_id, deadline_at, created_at)
		SELECT g, g, 'alignment-maturity', 'UFACIL01', $2, $3 FROM generate_series(1, $1) g`, n/2, now.Add(168*time.Hour), now)
	exec(`INSERT INTO respondents (round_id, role, user_id, dm_channel_id, questionnaire_ts)
		SELECT r, role, u, dm, '1700000000.000100' FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[]) AS t(r, role, u, dm)`,
		pq.Array(rounds), pq.Array(roles), pq.Array(users), pq.Array(dms))
	exec(`INSERT INTO jobs (key, kind, round_id, payload, run_at)
		SELECT 'nudge_respondent:' || round_id || ':' || role || ':1', 'nudge_respondent', round_id,
			jsonb_build_object('role', role, 'n', 1), $1
		FROM respondents`, now.Add(-time.Second))
	exec(`ANALYZE`)
	return users
}

// BenchmarkClaimJobs measures claiming due jobs with 1 000 000 jobs due in
// the future in the table, and prints the claim's plan, which must use the
// jobs_due index rather than scan the table.
func BenchmarkClaimJobs(b *testing.B) {
	ctx := context.Background()
	store, err := storage.Open(ctx, testdb.New(b))
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	if err := store.Migrate(ctx, nil); err != nil {
		b.Fatal(err)
	}
	now := time.Now()
	seedStart := time.Now()
	if _, err := store.DB().Exec(`INSERT INTO jobs (key, kind, payload, run_at)
		SELECT 'future:' || g, 'nudge_respondent', '{}', $1::timestamptz + g * interval '1 second' FROM generate_series(1, 1000000) g`, now.Add(time.Hour)); err != nil {
		b.Fatal(err)
	}
	if _, err := store.DB().Exec(`INSERT INTO jobs (key, kind, payload, run_at)
		SELECT 'due:' || g, 'nudge_respondent', '{}', $1 FROM generate_series(1, 100) g`, now.Add(-time.Minute)); err != nil {
		b.Fatal(err)
	}
	if _, err := store.DB().Exec(`ANALYZE jobs`); err != nil {
		b.Fatal(err)
	}
	b.Logf("seeded 1 000 000 future and 100 due jobs in %s", time.Since(seedStart).Round(time.Millisecond))

	plan, err := store.ExplainClaim(ctx, now, 8)
	if err != nil {
		b.Fatal(err)
	}
	fmt.Printf("claim plan with 1 000 000 future jobs:\n  %s\n", strings.Join(plan, "\n  "))
	if !strings.Contains(strings.Join(plan, "\n"), "Index Scan using jobs_due") {
		b.Errorf("the claim does not use the jobs_due index")
	}

	errRollback := errors.New("rollback")
	b.ResetTimer()
	for b.Loop() {
		// Claim 8 and roll back, so every iteration finds the same queue.
		err := store.Transact(ctx, func(tx *storage.Storage) error {
			jobs, err := tx.ClaimJobs(ctx, "bench", now, time.Minute, 8)
			if err != nil {
				return err
			}
			if len(jobs) != 8 {
				return fmt.Errorf("claimed %d jobs, want 8", len(jobs))
			}
			return errRollback
		})
		if !errors.Is(err, errRollback) {
			b.Fatal(err)
		}
	}
}
