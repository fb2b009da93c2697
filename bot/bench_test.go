package bot

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/lib/pq"

	"github.com/alignbot/alignbot/internal/config"
	"github.com/alignbot/alignbot/internal/metrics"
	"github.com/alignbot/alignbot/internal/slackapi"
	"github.com/alignbot/alignbot/internal/slackfake"
	"github.com/alignbot/alignbot/internal/testdb"
	"github.com/alignbot/alignbot/scoring"
	"github.com/alignbot/alignbot/storage"
)

func envInt(b *testing.B, name string, def int) int {
	if v := os.Getenv(name); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			b.Fatalf("%s: %q is not a positive number", name, v)
		}
		return n
	}
	return def
}

func percentile(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	i := int(float64(len(s)-1) * p)
	return s[i]
}

// BenchmarkClicks plays ALIGNBOT_BENCH_ROUNDS rounds (default 10; the target
// is measured at 100) of two respondents each, all started at once in one
// workspace, through the real slack-go client and the fake Slack enforcing
// Slack's rate limits. The bot runs in a process of its own (see
// startBotProcess). Each respondent answers the ten questions as a person
// does, each click waiting to see the previous one land, and once every
// answer is in, every respondent submits. It prints how long the
// questionnaires took to arrive, clicks per second, ack and click → card
// updated latencies, 429s, database transactions and Slack calls per click,
// the CPU a click costs the bot's process, the benchmark's (the fake Slack
// and the people) and the whole machine, for every click and for the
// answers alone (ALIGNBOT_BENCH_CPUPROFILE=FILE writes the bot's CPU profile
// of the answers), how long until every round was revealed, and, for
// comparison, the answer upsert alone against the same PostgreSQL at the
// same concurrency.
func BenchmarkClicks(b *testing.B) {
	rounds := envInt(b, "ALIGNBOT_BENCH_ROUNDS", 10)
	for b.Loop() {
		benchClicks(b, rounds)
	}
}

// benchTeam is one round of a benchmark: its facilitator, its two leads
// and its channel.
type benchTeam struct{ fac, mkt, sales, channel string }

// benchTeams adds rounds teams to fake, each in a channel of its own with
// the bot in it.
func benchTeams(fake *slackfake.Server, rounds int) []benchTeam {
	teams := make([]benchTeam, rounds)
	for i := range teams {
		t := benchTeam{fac: fmt.Sprintf("UF%06d", i), mkt: fmt.Sprintf("UM%06d", i), sales: fmt.Sprintf("US%06d", i), channel: fmt.Sprintf("CB%06d", i)}
		for _, u := range []string{t.fac, t.mkt, t.sales} {
			fake.AddUser(slackfake.User{ID: u, Name: strings.ToLower(u), RealName: "Person " + u, TZ: "UTC", Locale: "en-US"})
		}
		fake.AddChannel(slackfake.Channel{ID: t.channel, Name: strings.ToLower(t.channel), Members: []string{t.fac, t.mkt, t.sales}, BotMember: true})
		teams[i] = t
	}
	return teams
}

// benchWorkspace starts the fake Slack, enforcing Slack's limits, with
// rounds teams, and the bot in a process of its own against it; it returns
// them with a store on the bot's database, and what stops them all.
func benchWorkspace(b *testing.B, rounds int) (*slackfake.Server, []benchTeam, *botProcess, *storage.Storage, func()) {
	b.Helper()
	fake, err := slackfake.New()
	if err != nil {
		b.Fatal(err)
	}
	teams := benchTeams(fake, rounds)
	bot := startBotProcess(b, fake)
	store, err := storage.Open(context.Background(), bot.dbURL)
	if err != nil {
		bot.stop(b)
		fake.Close()
		b.Fatal(err)
	}
	return fake, teams, bot, store, func() {
		store.Close()
		bot.stop(b)
		fake.Close()
	}
}

func benchClicks(b *testing.B, rounds int) {
	ctx := context.Background()
	fake, teams, bot, store, done := benchWorkspace(b, rounds)
	defer done()
	// The floor: what one answer click costs the database alone, the upsert
	// in its transaction, at the same concurrency, before the bot is busy.
	baseline, baseP50, baseP99 := upsertBaseline(b, store, 2*rounds, 11)

	// Every round starts at once.
	start := time.Now()
	for _, t := range teams {
		if _, err := fake.SlashCommand(t.fac, t.channel, fmt.Sprintf("start %s %s", fake.MentionUser(t.mkt), fake.MentionUser(t.sales))); err != nil {
			b.Fatal(err)
		}
	}
	questionnaire := func(user string) (slackfake.Message, bool) {
		for _, m := range fake.DMs(user) {
			if isQuestionnaire(m) {
				return m, true
			}
		}
		return slackfake.Message{}, false
	}
	wctx, wcancel := context.WithTimeout(ctx, 10*time.Minute)
	defer wcancel()
	err := fake.WaitFor(wctx, func() bool {
		for _, t := range teams {
			for _, u := range []string{t.mkt, t.sales} {
				if _, ok := questionnaire(u); !ok {
					return false
				}
			}
		}
		return true
	})
	if err != nil {
		b.Fatal(err)
	}
	arrived := time.Since(start)

	// Every respondent answers, each click after the previous one shows;
	// once every answer is in, every respondent submits. The CPU of the
	// answers is read apart from the submits' and the reveals'.
	metricsBefore := bot.scrape(b)
	bot.startProfile()
	callsBefore, botBefore, cpuBefore, machineBefore := fake.CallCounts(), bot.cpu(b), processCPU(), machineCPU()
	var mu sync.Mutex
	var acks, updates []time.Duration
	var wg sync.WaitGroup
	errs := make(chan error, 2*rounds)
	var answering sync.WaitGroup
	submit := make(chan struct{})
	clickStart := time.Now()
	for i, t := range teams {
		for j, u := range []string{t.mkt, t.sales} {
			answering.Add(1)
			wg.Go(func() {
				answered := false
				defer func() {
					if !answered {
						answering.Done()
					}
				}()
				msg, _ := questionnaire(u)
				revs := len(msg.Revisions)
				click := func(card, label string) error {
					c, err := fake.PrepareClick(u, msg, card, label)
					if err != nil {
						return err
					}
					sent := time.Now()
					id, err := fake.SendClick(c)
					if err != nil {
						return err
					}
					cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
					defer cancel()
					ack, err := fake.WaitAck(cctx, id)
					if err != nil {
						return err
					}
					m, err := fake.WaitRevision(cctx, msg.Channel, msg.TS, revs+1)
					if err != nil {
						return err
					}
					mu.Lock()
					acks = append(acks, ack.At.Sub(sent))
					updates = append(updates, time.Since(sent))
					mu.Unlock()
					revs = len(m.Revisions)
					return nil
				}
				for q := 1; q <= 10; q++ {
					if err := click(fmt.Sprintf("Q%d", q), fmt.Sprint((i+j+q)%3)); err != nil {
						errs <- fmt.Errorf("%s Q%d: %w", u, q, err)
						return
					}
				}
				answered = true
				answering.Done()
				<-submit
				if err := click("", "Submit"); err != nil {
					errs <- fmt.Errorf("%s submit: %w", u, err)
				}
			})
		}
	}
	answering.Wait()
	answerPhase, botAnswers, cpuAnswers, machineAnswers := time.Since(clickStart), bot.cpu(b)-botBefore, processCPU()-cpuBefore, machineCPU()-machineBefore
	bot.stopProfile()
	mu.Lock()
	answers := len(updates)
	mu.Unlock()
	close(submit)
	wg.Wait()
	clickPhase, botClicks, cpuClicks, machineClicks := time.Since(clickStart), bot.cpu(b)-botBefore, processCPU()-cpuBefore, machineCPU()-machineBefore
	metricsAfter := bot.scrape(b)
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
	callsAfter := fake.CallCounts()
	clicks := len(updates)
	const transactions = "alignbot_bench_db_transactions_total"
	tx := metricsAfter.sums[transactions] - metricsBefore.sums[transactions]

	// Every round is revealed.
	err = fake.WaitFor(wctx, func() bool {
		for _, t := range teams {
			found := false
			for _, m := range fake.Messages(t.channel) {
				if strings.HasPrefix(m.VisibleText(), "Alignment reveal") {
					found = true
				}
			}
			if !found {
				return false
			}
		}
		return true
	})
	if err != nil {
		b.Fatal(err)
	}
	revealedAll := time.Since(clickStart)

	slackCalls, responseURLs, updatesCalls := 0, callsAfter["response_url"]-callsBefore["response_url"], callsAfter["chat.update"]-callsBefore["chat.update"]
	for m, n := range callsAfter {
		slackCalls += n - callsBefore[m]
	}
	rate := float64(clicks) / clickPhase.Seconds()
	fmt.Printf("clicks: %d rounds, %d respondents; questionnaires all in %s after the starts\n", rounds, 2*rounds, arrived.Round(time.Millisecond))
	fmt.Printf("clicks: %d clicks in %s: %.0f clicks/s; ack p50 %s p99 %s; click → card updated p50 %s p99 %s\n",
		clicks, clickPhase.Round(time.Millisecond), rate, percentile(acks, .5), percentile(acks, .99), percentile(updates, .5), percentile(updates, .99))
	fmt.Printf("clicks: %.2f database transactions and %.2f Slack calls per click (%d response_url posts, %d chat.update, all methods %d); %d answered 429 (the bot saw %v)\n",
		tx/float64(clicks), float64(slackCalls)/float64(clicks), responseURLs, updatesCalls, slackCalls, fake.RateLimitedCount(), metricsAfter.rateLimited(metricsBefore))
	printCPU(b, "clicks: answers and submits", "click", clicks, clickPhase, botClicks, cpuClicks, machineClicks)
	printCPU(b, fmt.Sprintf("clicks: the %d answers alone, in %s", answers, answerPhase.Round(time.Millisecond)), "answer", answers, answerPhase, botAnswers, cpuAnswers, machineAnswers)
	if perClick := machineClicks / time.Duration(clicks); perClick > 0 {
		// What the machine's cores allow at this cost, and by Little's law
		// what that means for people who click as soon as they see the
		// last click land.
		ceiling := float64(runtime.NumCPU()) / perClick.Seconds()
		fmt.Printf("clicks: at that cost %d cores serve at most %.0f clicks/s, so %d people clicking without pause wait at least %s a click on average\n",
			runtime.NumCPU(), ceiling, 2*rounds, time.Duration(float64(2*rounds)/ceiling*float64(time.Second)).Round(time.Millisecond))
		b.ReportMetric(float64(perClick.Microseconds())/1000, "machine_cpu_ms/click")
	}
	fmt.Printf("clicks: every round revealed %s after the first click\n", revealedAll.Round(time.Millisecond))
	fmt.Printf("clicks: baseline, the answer upsert alone at the same concurrency: %.0f/s, p50 %s p99 %s\n", baseline, baseP50, baseP99)
	b.ReportMetric(rate, "clicks/s")
	b.ReportMetric(float64(percentile(updates, .99).Microseconds())/1000, "p99_ms")
	b.ReportMetric(float64(percentile(updates, .5).Microseconds())/1000, "p50_ms")
	b.ReportMetric(float64(fake.RateLimitedCount()), "429s")
	b.ReportMetric(arrived.Seconds(), "questionnaires_s")
	b.ReportMetric(revealedAll.Seconds(), "revealed_s")
	if n := fake.RateLimitedCount(); n != 0 {
		b.Errorf("%d calls answered 429", n)
	}
}

// printCPU prints, and reports, the CPU that clicks cost the bot's process,
// the benchmark's and the whole machine over a phase of elapsed time.
// what names the clicks ("click", "answer") in the metric
// bot_cpu_ms/<what>.
func printCPU(b *testing.B, title, what string, clicks int, elapsed, botCPU, benchCPU, machine time.Duration) {
	if clicks == 0 {
		return
	}
	n := time.Duration(clicks)
	fmt.Printf("%s: CPU per %s: the bot's process %s (%.0f%% of a core); the benchmark's (fake Slack and the people clicking) %s; the whole machine (PostgreSQL and anything else running too) %s, %.0f%% of its %d cores\n",
		title, what, (botCPU / n).Round(time.Microsecond), 100*botCPU.Seconds()/elapsed.Seconds(), (benchCPU / n).Round(time.Microsecond),
		(machine / n).Round(time.Microsecond), 100*machine.Seconds()/elapsed.Seconds()/float64(runtime.NumCPU()), runtime.NumCPU())
	b.ReportMetric(botCPU.Seconds()*1000/float64(clicks), "bot_cpu_ms/"+what)
}

// processCPU is the CPU time this process has used so far (not its
// children's).
func processCPU() time.Duration {
	var u syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &u); err != nil {
		return 0
	}
	return time.Duration(u.Utime.Nano() + u.Stime.Nano())
}

// machineCPU is the CPU time every process of the machine has used so far:
// user, nice, system, irq and softirq time from /proc/stat, not idle, I/O
// wait or time stolen by the hypervisor (0 where there is no /proc/stat).
func machineCPU() time.Duration {
	data, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(data), "\n")
	fields := strings.Fields(line) // cpu user nice system idle iowait irq softirq steal …
	var ticks int64
	for _, i := range []int{1, 2, 3, 6, 7} {
		if i < len(fields) {
			n, _ := strconv.ParseInt(fields[i], 10, 64)
			ticks += n
		}
	}
	return time.Duration(ticks) * (time.Second / 100) // USER_HZ
}

// upsertBaseline is the floor a click's database work is measured against:
// the answer upsert alone, one statement committed on its own, with workers
// concurrent people clicking n times each on the same PostgreSQL. It
// returns its rate and latencies.
func upsertBaseline(b *testing.B, store *storage.Storage, workers, n int) (float64, time.Duration, time.Duration) {
	b.Helper()
	ctx := context.Background()
	now := time.Now()
	var ids []int64
	batch := now.UnixNano()
	for i := range (workers + 1) / 2 {
		var r storage.Round
		err := store.Transact(ctx, func(tx *storage.Storage) error {
			var err error
			r, err = tx.StartRound(ctx, storage.NewRound{WorkspaceID: "TBASE", ChannelID: fmt.Sprintf("CBASE%d-%d", batch, i), Instrument: scoring.AlignmentMaturity.ID,
				FacilitatorID: "UF", Roles: scoring.Leads, DeadlineAt: now.Add(time.Hour), CreatedAt: now,
				Respondents: map[scoring.Role]string{scoring.Marketing: fmt.Sprintf("UBM%d", i), scoring.Sales: fmt.Sprintf("UBS%d", i)}})
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
		ids = append(ids, r.ID)
	}
	upsert, err := store.DB().PreparexContext(ctx, `INSERT INTO answers AS a (round_id, role, question_id, score, answered_at)
		VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (round_id, role, question_id)
		DO UPDATE SET score = EXCLUDED.score, answered_at = EXCLUDED.answered_at
		WHERE a.answered_at <= EXCLUDED.answered_at`)
	if err != nil {
		b.Fatal(err)
	}
	defer upsert.Close()
	var mu sync.Mutex
	var lat []time.Duration
	var wg sync.WaitGroup
	begin := time.Now()
	for w := range workers {
		wg.Go(func() {
			round, role := ids[w/2], scoring.Leads[w%2]
			for q := range n {
				t := time.Now()
				if _, err := upsert.ExecContext(ctx, round, role, fmt.Sprintf("Q%d", q%10+1), q%3, t); err != nil {
					b.Error(err)
					return
				}
				mu.Lock()
				lat = append(lat, time.Since(t))
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return float64(len(lat)) / time.Since(begin).Seconds(), percentile(lat, .5), percentile(lat, .99)
}

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

// BenchmarkNudges sends 10 000 due respondent reminders through the fake
// Slack, which enforces Slack-like limits (one post a second per channel
// with bursts of 3, a workspace-wide rate, Slack's tiers for the other
// methods); the bot's client is told the same workspace rate. It reports
// the elapsed time against the limit's lower bound, and the duplicates and
// misses, which must be 0.
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
		ours := slackapi.SlackLimits()
		ours.Methods["chat.postMessage"] = slackapi.Limit{PerMinute: perSecond * 60, Burst: burst}
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
			Store:   store,
			Logger:  slog.New(slog.NewTextHandler(io.Discard, nil)),
			Limits:  &ours,
			Metrics: metrics.New(),
		})
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		ran := 0
		// Jobs deferred by a 429 come due again within seconds.
		for remaining := -1; remaining != 0; remaining = pendingNudges(b, fake, store) {
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
		b.ReportMetric(elapsed.Seconds()/lowerBound.Seconds(), "x_bound")
		b.ReportMetric(float64(duplicates), "duplicates")
		b.ReportMetric(float64(missing), "missing")
		b.ReportMetric(float64(fake.RateLimitedCount()), "429s")
		fmt.Printf("nudges: %d sent in %s; Slack's limit (%.0f posts/s, bursts of %d) allows it in no less than %s (%.3f× the bound); %d duplicates, %d missing, %d answered 429, %d job runs\n",
			n-missing, elapsed.Round(time.Millisecond), perSecond, burst, lowerBound.Round(time.Millisecond),
			elapsed.Seconds()/lowerBound.Seconds(), duplicates, missing, fake.RateLimitedCount(), ran)
		if duplicates != 0 || missing != 0 {
			b.Errorf("%d duplicates and %d missing, want 0 and 0", duplicates, missing)
		}
		store.Close()
		fake.Close()
	}
}

// pendingNudges counts first reminders not yet sent. While some wait out a
// Retry-After, it waits for the fake to change or a moment to pass.
func pendingNudges(b *testing.B, fake *slackfake.Server, store *storage.Storage) int {
	var n int
	if err := store.DB().Get(&n, `SELECT count(*) FROM jobs WHERE state = 'pending' AND kind = 'nudge' AND (payload->>'n')::int = 1`); err != nil {
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

// seedNudges stores n respondents, two per round in rounds of their own
// (a person is reminded about at most three rounds at once), each with a
// questionnaire already in their DM and their first reminder due now.
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
		SELECT 'nudge:' || round_id || ':' || role || ':1', 'nudge', round_id,
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
	if _, err := store.DB().Exec(`INSERT INTO jobs (key, kind, payload, run_at)
		SELECT 'future:' || g, 'nudge', '{}', $1::timestamptz + g * interval '1 second' FROM generate_series(1, 1000000) g`, now.Add(time.Hour)); err != nil {
		b.Fatal(err)
	}
	if _, err := store.DB().Exec(`INSERT INTO jobs (key, kind, payload, run_at)
		SELECT 'due:' || g, 'nudge', '{}', $1 FROM generate_series(1, 100) g`, now.Add(-time.Minute)); err != nil {
		b.Fatal(err)
	}
	if _, err := store.DB().Exec(`ANALYZE jobs`); err != nil {
		b.Fatal(err)
	}
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
