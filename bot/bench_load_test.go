package bot

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/alignbot/alignbot/internal/slackfake"
	"github.com/alignbot/alignbot/storage"
)

// Readers pause this long, uniformly at random, before each click.
const (
	minPause = 2 * time.Second
	maxPause = 8 * time.Second
)

// BenchmarkLoad is a realistic load: ALIGNBOT_BENCH_LOAD_ROUNDS rounds
// (default 500, so 1 000 respondents) in one workspace, Slack's limits
// enforced, the bot in a process of its own. The rounds are started by
// their facilitators' /alignment start, all at once, before the measured
// window; it begins once every questionnaire and announcement is out.
// Each respondent then pauses 2–8 s (uniformly at random) before each
// click, as a reader does: they answer the ten questions, go on revising
// answers (Change, then the new answer) until ALIGNBOT_BENCH_LOAD_SECONDS
// (default 60) have passed, and submit. It prints the offered and achieved click rates, click → card
// p50, p99 and max against a floor measured in the same run (the answer
// upsert alone), the CPU per click of the bot's process, the benchmark's
// and the whole machine, and the 429s.
func BenchmarkLoad(b *testing.B) {
	rounds := envInt(b, "ALIGNBOT_BENCH_LOAD_ROUNDS", 500)
	window := time.Duration(envInt(b, "ALIGNBOT_BENCH_LOAD_SECONDS", 60)) * time.Second
	for b.Loop() {
		benchLoad(b, rounds, window)
	}
}

func benchLoad(b *testing.B, rounds int, window time.Duration) {
	ctx := context.Background()
	fake, teams, bot, store, done := benchWorkspace(b, rounds)
	defer done()

	// Every round starts at once; the window begins when the bot has
	// nothing left to do for the starts.
	start := time.Now()
	for _, t := range teams {
		if _, err := fake.SlashCommand(t.fac, t.channel, fmt.Sprintf("start %s %s", fake.MentionUser(t.mkt), fake.MentionUser(t.sales))); err != nil {
			b.Fatal(err)
		}
	}
	wctx, wcancel := context.WithTimeout(ctx, 30*time.Minute)
	defer wcancel()
	cards := make(map[string]slackfake.Message, 2*rounds)
	err := fake.WaitFor(wctx, func() bool {
		for _, t := range teams {
			for _, u := range []string{t.mkt, t.sales} {
				if _, ok := cards[u]; ok {
					continue
				}
				for _, m := range fake.DMs(u) {
					if isQuestionnaire(m) {
						cards[u] = m
					}
				}
			}
		}
		return len(cards) == 2*rounds
	})
	if err != nil {
		b.Fatalf("%d of %d questionnaires out: %v", len(cards), 2*rounds, err)
	}
	arrived := time.Since(start)
	if err := waitIdle(wctx, store); err != nil {
		b.Fatal(err)
	}
	idle := time.Since(start)
	startCalls, start429 := fake.CallCounts(), fake.RateLimitedCount()

	// The floor: the answer upsert alone, as many at once as clicks are in
	// flight at the offered rate (a few), before the window.
	baseline, baseP50, baseP99 := upsertBaseline(b, store, 4, 100)

	metricsBefore := bot.scrape(b)
	bot.startProfile()
	botBefore, cpuBefore, machineBefore := bot.cpu(b), processCPU(), machineCPU()
	var mu sync.Mutex
	var updates []time.Duration
	var pauses time.Duration
	errs := make(chan error, 2*rounds)
	var wg sync.WaitGroup
	begin := time.Now()
	deadline := begin.Add(window)
	// When the window's time is up, before the first submit.
	var atDeadline struct {
		once                       sync.Once
		clicks                     int
		bot, bench, machine, since time.Duration
	}
	timesUp := time.AfterFunc(window, func() {
		atDeadline.once.Do(func() {
			mu.Lock()
			atDeadline.clicks = len(updates)
			mu.Unlock()
			botNow, _ := processCPUOf(bot.cmd.Process.Pid)
			atDeadline.bot, atDeadline.bench, atDeadline.machine = botNow-botBefore, processCPU()-cpuBefore, machineCPU()-machineBefore
			atDeadline.since = time.Since(begin)
		})
	})
	defer timesUp.Stop()
	for i, t := range teams {
		for j, u := range []string{t.mkt, t.sales} {
			wg.Go(func() {
				rng := rand.New(rand.NewPCG(uint64(i), uint64(j)))
				msg := cards[u]
				revs := len(msg.Revisions)
				var paused time.Duration
				defer func() {
					mu.Lock()
					pauses += paused
					mu.Unlock()
				}()
				click := func(card, label string) error {
					pause := minPause + time.Duration(rng.Int64N(int64(maxPause-minPause)))
					paused += pause
					timer := time.NewTimer(pause)
					<-timer.C // the person reading
					c, err := fake.PrepareClick(u, msg, card, label)
					if err != nil {
						return err
					}
					sent := time.Now()
					if _, err := fake.SendClick(c); err != nil {
						return err
					}
					cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
					defer cancel()
					m, err := fake.WaitRevision(cctx, msg.Channel, msg.TS, revs+1)
					if err != nil {
						return err
					}
					mu.Lock()
					updates = append(updates, time.Since(sent))
					mu.Unlock()
					revs = len(m.Revisions)
					return nil
				}
				// Ten answers, then changes of mind until the time is up:
				// an answered question opens again with Change.
				for n := 0; n < 10 || time.Now().Before(deadline); n++ {
					q := n%10 + 1
					card := fmt.Sprintf("Q%d", q)
					if n >= 10 {
						if err := click(card, "Change"); err != nil {
							errs <- fmt.Errorf("%s Q%d change: %w", u, q, err)
							return
						}
					}
					if err := click(card, fmt.Sprint((i+j+q+n/10)%3)); err != nil {
						errs <- fmt.Errorf("%s Q%d: %w", u, q, err)
						return
					}
				}
				if err := click("", "Submit"); err != nil {
					errs <- fmt.Errorf("%s submit: %w", u, err)
				}
			})
		}
	}
	wg.Wait()
	elapsed, botCPU, benchCPU, machine := time.Since(begin), bot.cpu(b)-botBefore, processCPU()-cpuBefore, machineCPU()-machineBefore
	bot.stopProfile()
	metricsAfter := bot.scrape(b)
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
	clicks := len(updates)
	limited := fake.RateLimitedCount() - start429
	slackCalls := 0
	for m, n := range fake.CallCounts() {
		slackCalls += n - startCalls[m]
	}
	p50, p99, worst := percentile(updates, .5), percentile(updates, .99), slices.Max(updates)
	offered := float64(2*rounds) / ((minPause + maxPause) / 2).Seconds()
	achieved := float64(clicks) / elapsed.Seconds()

	fmt.Printf("load: %d rounds, %d respondents; every questionnaire out %s after the starts, every start's work done after %s; %d answered 429 during the starts\n",
		rounds, 2*rounds, arrived.Round(time.Millisecond), idle.Round(time.Millisecond), start429)
	fmt.Printf("load: %d clicks in %s, each after a pause of %s–%s: offered %.0f clicks/s (%.0f with the pauses drawn), achieved %.0f clicks/s\n",
		clicks, elapsed.Round(time.Millisecond), minPause, maxPause, offered, float64(clicks)/(pauses.Seconds()/float64(2*rounds)), achieved)
	fmt.Printf("load: click → card updated p50 %s p99 %s max %s; floor (the answer upsert alone, 4 at a time) %.0f/s p50 %s p99 %s: p99 %.1f× the floor's\n",
		p50.Round(time.Microsecond), p99.Round(time.Microsecond), worst.Round(time.Microsecond), baseline, baseP50, baseP99, p99.Seconds()/baseP99.Seconds())
	fmt.Printf("load: %.2f Slack calls per click; %d answered 429 (the bot saw %v)\n",
		float64(slackCalls)/float64(clicks), limited, metricsAfter.rateLimited(metricsBefore))
	printCPU(b, "load: the whole window", "click", clicks, elapsed, botCPU, benchCPU, machine)
	printCPU(b, fmt.Sprintf("load: the %d clicks before the time was up (answers and Change, no submit), in %s", atDeadline.clicks, atDeadline.since.Round(time.Millisecond)),
		"answer_or_change", atDeadline.clicks, atDeadline.since, atDeadline.bot, atDeadline.bench, atDeadline.machine)
	fmt.Printf("load: machine %d cores\n", runtime.NumCPU())
	b.ReportMetric(offered, "offered_clicks/s")
	b.ReportMetric(achieved, "clicks/s")
	b.ReportMetric(float64(p50.Microseconds())/1000, "p50_ms")
	b.ReportMetric(float64(p99.Microseconds())/1000, "p99_ms")
	b.ReportMetric(float64(worst.Microseconds())/1000, "max_ms")
	b.ReportMetric(float64(limited), "429s")
	b.ReportMetric(arrived.Seconds(), "questionnaires_s")
	if limited != 0 {
		b.Errorf("%d calls answered 429", limited)
	}
}

// waitIdle waits until the bot has no job due: the starts' questionnaires,
// announcements and App Homes are out.
func waitIdle(ctx context.Context, store *storage.Storage) error {
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for {
		var due int
		if err := store.DB().GetContext(ctx, &due, `SELECT count(*) FROM jobs WHERE state = 'pending' AND run_at <= now()`); err != nil {
			return fmt.Errorf("jobs due: %w", err)
		}
		if due == 0 {
			return nil
		}
		select {
		case <-tick.C:
		case <-ctx.Done():
			return fmt.Errorf("%d jobs still due: %w", due, ctx.Err())
		}
	}
}
