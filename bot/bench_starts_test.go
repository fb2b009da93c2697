package bot

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alignbot/alignbot/internal/config"
	"github.com/alignbot/alignbot/internal/metrics"
	"github.com/alignbot/alignbot/internal/slackapi"
	"github.com/alignbot/alignbot/internal/slackfake"
	"github.com/alignbot/alignbot/internal/testdb"
	"github.com/alignbot/alignbot/storage"
)

// BenchmarkStarts starts a hundred rounds within a few seconds: a hundred
// facilitators, each in a channel of their own with two leads of their own,
// type /alignment start @marketing @sales, spread over three seconds,
// against the fake Slack enforcing Slack's rate limits. It runs in a small
// workspace (just those people and channels) and in a large one (5 000
// people, 2 000 channels, so that users.list and conversations.list take
// several pages), each once with a bot that has just connected and knows
// nothing yet (its directory still listing) and once with a bot that has
// listed the workspace already. For each it prints how long until all 200
// questionnaires were out, start → both questionnaires p50/p99/max per
// round, the command's ack and reply latencies, the 429s and the Slack
// calls by method. Target: every questionnaire out within 60 s, no 429.
func BenchmarkStarts(b *testing.B) {
	rounds := envInt(b, "ALIGNBOT_BENCH_STARTS", 100)
	for b.Loop() {
		for _, ws := range []struct {
			name             string
			people, channels int
		}{{"small", 0, 0}, {"large", 5000, 2000}} {
			for _, cold := range []bool{true, false} {
				name := ws.name + "/warm"
				if cold {
					name = ws.name + "/cold"
				}
				benchStarts(b, name, rounds, ws.people, ws.channels, cold)
			}
		}
	}
}

// startsWorkspace fills fake with rounds teams and, around them, people and
// channels up to the given totals (the bot is in a tenth of the others).
func startsWorkspace(fake *slackfake.Server, rounds, people, channels int) []benchTeam {
	teams := benchTeams(fake, rounds)
	var others []string
	for i := 3 * rounds; i < people; i++ {
		u := fmt.Sprintf("UO%06d", i)
		fake.AddUser(slackfake.User{ID: u, Name: strings.ToLower(u), RealName: "Person " + u, TZ: "America/New_York", Locale: "en-US"})
		others = append(others, u)
	}
	for i := rounds; i < channels; i++ {
		var members []string
		for j := range 5 {
			if len(others) > 0 {
				members = append(members, others[(i*5+j)%len(others)])
			}
		}
		fake.AddChannel(slackfake.Channel{ID: fmt.Sprintf("CO%06d", i), Name: fmt.Sprintf("co%06d", i), Members: members, BotMember: i%10 == 0})
	}
	return teams
}

// startsBot starts a bot against fake as it runs in production, on a fresh
// database; it returns once the bot's socket is connected.
func startsBot(b *testing.B, fake *slackfake.Server) (*Bot, *storage.Storage, func()) {
	b.Helper()
	ctx := context.Background()
	store, err := storage.Open(ctx, testdb.New(b))
	if err != nil {
		b.Fatal(err)
	}
	if err := store.Migrate(ctx, nil); err != nil {
		b.Fatal(err)
	}
	bot, err := New(Options{
		Config: config.Config{BotToken: config.Secret(fake.BotToken()), AppToken: config.Secret(fake.AppToken()), APIURL: fake.URL(),
			Deadline: 168 * time.Hour, NudgeAfter: 48 * time.Hour, ActionDue: 720 * time.Hour, ActionNudgeEvery: 168 * time.Hour, RerunAfter: 2160 * time.Hour},
		Store:   store,
		Logger:  slog.New(slog.NewTextHandler(io.Discard, nil)),
		Metrics: metrics.New(),
	})
	if err != nil {
		b.Fatal(err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- bot.Run(runCtx) }()
	wctx, wcancel := context.WithTimeout(ctx, 30*time.Second)
	defer wcancel()
	if err := fake.WaitConnections(wctx, 1); err != nil {
		b.Fatal(err)
	}
	return bot, store, func() {
		cancel()
		<-done
		store.Close()
	}
}

func startsPercentile(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	return s[int(float64(len(s)-1)*p)]
}

func benchStarts(b *testing.B, name string, rounds, people, channels int, cold bool) {
	ctx := context.Background()
	fake, err := slackfake.New() // Slack's limits, enforced
	if err != nil {
		b.Fatal(err)
	}
	defer fake.Close()
	teams := startsWorkspace(fake, rounds, people, channels)
	bot, _, stop := startsBot(b, fake)
	defer stop()
	if !cold {
		// The directory's state is the bot's, not the fake's: polled.
		for deadline := time.Now().Add(5 * time.Minute); !bot.dir.listed(); time.Sleep(10 * time.Millisecond) {
			if time.Now().After(deadline) {
				b.Fatalf("%s: the directory never finished listing", name)
			}
		}
	}
	before := fake.CallCounts()

	// The facilitators type within a few seconds of each other, in no
	// particular order.
	spread := 3 * time.Second
	rng := rand.New(rand.NewPCG(uint64(rounds), 24))
	offsets := make([]time.Duration, rounds)
	for i := range offsets {
		offsets[i] = time.Duration(rng.Int64N(int64(spread)))
	}
	sent := make([]time.Time, rounds)
	envelopes := make([]string, rounds)
	errs := make(chan error, rounds)
	var wg sync.WaitGroup
	start := time.Now()
	for i, t := range teams {
		wg.Go(func() {
			time.Sleep(time.Until(start.Add(offsets[i]))) // a person typing, not a wait for an event
			sent[i] = time.Now()
			id, err := fake.SlashCommand(t.fac, t.channel, fmt.Sprintf("start %s %s", fake.MentionUser(t.mkt), fake.MentionUser(t.sales)))
			if err != nil {
				errs <- err
			}
			envelopes[i] = id
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}

	// A questionnaire is out when its first revision is posted in the lead's
	// DM; a command is answered when its reply reaches the facilitator.
	// Each is looked for until found, then remembered.
	questionnaires, answers := map[string]time.Time{}, map[string]slackfake.Message{}
	questionnaireAt := func(user string) (time.Time, bool) {
		if at, ok := questionnaires[user]; ok {
			return at, true
		}
		for _, m := range fake.DMs(user) {
			if len(m.Revisions) > 0 && isQuestionnaire(m) {
				questionnaires[user] = m.Revisions[0].At
				return m.Revisions[0].At, true
			}
		}
		return time.Time{}, false
	}
	replyAt := func(user string) (time.Time, string, bool) {
		m, ok := answers[user]
		if !ok {
			for _, e := range fake.Ephemerals(user) {
				if e.Source == "response_url" && len(e.Revisions) > 0 {
					m, ok = e, true
					answers[user] = e
					break
				}
			}
		}
		if !ok {
			return time.Time{}, "", false
		}
		return m.Revisions[0].At, m.Text, true
	}
	wctx, wcancel := context.WithTimeout(ctx, 10*time.Minute)
	defer wcancel()
	err = fake.WaitFor(wctx, func() bool {
		for _, t := range teams {
			if _, _, ok := replyAt(t.fac); !ok {
				return false
			}
			for _, u := range []string{t.mkt, t.sales} {
				if _, ok := questionnaireAt(u); !ok {
					return false
				}
			}
		}
		return true
	})
	if err != nil {
		for _, t := range teams {
			if _, text, ok := replyAt(t.fac); ok && !strings.HasPrefix(text, "Started round") {
				b.Logf("%s: %s was answered %q", name, t.fac, text)
			}
		}
		b.Fatalf("%s: not every questionnaire and reply arrived: %v", name, err)
	}
	var perRound, acks, replies []time.Duration
	var last time.Time
	for i, t := range teams {
		ack, err := fake.WaitAck(wctx, envelopes[i])
		if err != nil {
			b.Fatal(err)
		}
		acks = append(acks, ack.At.Sub(sent[i]))
		at, text, _ := replyAt(t.fac)
		if !strings.HasPrefix(text, "Started round") {
			b.Errorf("%s: %s was answered %q", name, t.fac, text)
		}
		replies = append(replies, at.Sub(sent[i]))
		both := time.Time{}
		for _, u := range []string{t.mkt, t.sales} {
			at, _ := questionnaireAt(u)
			if at.After(both) {
				both = at
			}
		}
		perRound = append(perRound, both.Sub(sent[i]))
		if both.After(last) {
			last = both
		}
	}
	allOut := last.Sub(start)
	after := fake.CallCounts()
	calls := map[string]int{}
	for m, n := range after {
		if d := n - before[m]; d > 0 {
			calls[m] = d
		}
	}
	var byMethod []string
	for _, m := range slices.Sorted(maps.Keys(calls)) {
		byMethod = append(byMethod, fmt.Sprintf("%s %d", m, calls[m]))
	}
	// The floor: the questionnaires alone, posted back to back within the
	// bot's chat.postMessage budget for the workspace.
	post, limits := slackapi.SlackLimits().Methods["chat.postMessage"], slackapi.SlackLimits()
	floor := time.Duration(float64(max(2*rounds-post.Burst, 0)) / (post.PerMinute * limits.Margin / 60) * float64(time.Second))
	load, _ := os.ReadFile("/proc/loadavg")
	vsFloor := "within chat.postMessage's burst"
	if floor > 0 {
		vsFloor = fmt.Sprintf("%.2f× the floor of %s that chat.postMessage's workspace budget sets", allOut.Seconds()/floor.Seconds(), floor.Round(time.Millisecond))
	}
	fmt.Printf("starts %s: %d rounds started over %s in a workspace of %d people and %d channels; all %d questionnaires out %s after the first start, %s\n",
		name, rounds, spread, max(people, 3*rounds), max(channels, rounds), 2*rounds, allOut.Round(time.Millisecond), vsFloor)
	fmt.Printf("starts %s: start → both questionnaires p50 %s p99 %s max %s; ack p99 %s max %s; reply p50 %s p99 %s max %s\n", name,
		startsPercentile(perRound, .5).Round(time.Millisecond), startsPercentile(perRound, .99).Round(time.Millisecond), startsPercentile(perRound, 1).Round(time.Millisecond),
		startsPercentile(acks, .99).Round(time.Millisecond), startsPercentile(acks, 1).Round(time.Millisecond),
		startsPercentile(replies, .5).Round(time.Millisecond), startsPercentile(replies, .99).Round(time.Millisecond), startsPercentile(replies, 1).Round(time.Millisecond))
	fmt.Printf("starts %s: %d answered 429 (the bot saw %v); Slack calls from the first start on: %s; load average %s\n", name,
		fake.RateLimitedCount(), bot.RateLimited(), strings.Join(byMethod, ", "), strings.TrimSpace(string(load)))
	metric := strings.ReplaceAll(name, "/", "_")
	b.ReportMetric(allOut.Seconds(), metric+"_all_out_s")
	b.ReportMetric(startsPercentile(perRound, .99).Seconds(), metric+"_p99_s")
	b.ReportMetric(float64(fake.RateLimitedCount()), metric+"_429s")
	if allOut > time.Minute {
		b.Errorf("%s: the questionnaires took %s, more than a minute", name, allOut.Round(time.Millisecond))
	}
	if n := fake.RateLimitedCount(); n != 0 {
		b.Errorf("%s: %d calls answered 429", name, n)
	}
	if m := startsPercentile(acks, 1); m > 3*time.Second {
		b.Errorf("%s: a command was acked after %s, past Slack's 3 s", name, m)
	}
}
