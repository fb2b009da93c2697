package bot

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alignbot/alignbot/bot/render"
	"github.com/alignbot/alignbot/internal/config"
	"github.com/alignbot/alignbot/internal/pgembed"
	"github.com/alignbot/alignbot/internal/slackfake"
	"github.com/alignbot/alignbot/storage"
)

var chaos = flag.Bool("chaos", false, "run TestChaos: ten rounds while replicas are killed, Slack fails and PostgreSQL restarts (minutes)")

// Chaos, as a workspace sees it at its worst: ten rounds at once, two
// replicas of which one is killed (SIGKILL) every eight seconds, one Slack
// call in ten failing, PostgreSQL restarted once, and people who click again
// when nothing seems to happen. It runs its own PostgreSQL (it restarts it)
// and its replicas in processes of their own (it kills them).
const (
	chaosRounds       = 10
	chaosKillEvery    = 8 * time.Second
	chaosFaults       = 0.10
	chaosRestartPGAt  = 25 * time.Second
	chaosPatience     = 5 * time.Second // how long a person waits before clicking again
	chaosDeadline     = 6 * time.Minute // for every round to be revealed
	chaosSettle       = 3 * time.Minute // then for every message to settle
	chaosQuestionnair = 60 * time.Second
	chaosReveal       = 30 * time.Second
)

// chaosTeam is one round's people and channel.
type chaosTeam struct {
	channel, fac string
	people       []string // marketing, sales[, observer]
	started      time.Time
}

// chaosScores are each role's answers: a round with gaps to talk about.
var chaosScores = [][]int{
	{2, 2, 1, 2, 0, 0, 1, 0, 2, 2},
	{2, 0, 1, 2, 2, 2, 0, 0, 1, 0},
	{1, 1, 1, 1, 1, 1, 1, 1, 1, 1},
}

func TestChaos(t *testing.T) {
	if !*chaos {
		t.Skip("run with -chaos: go test -race -run TestChaos ./bot -chaos")
	}
	began := time.Now()
	logs := chaosLogFile(t)

	// PostgreSQL of its own, on a port it keeps across the restart.
	dir := t.TempDir()
	for _, d := range []string{filepath.Dir(dir), dir} {
		if err := os.Chmod(d, 0o711); err != nil {
			t.Fatal(err)
		}
	}
	port := freeTCPPort(t)
	pgOpts := pgembed.Options{DataDir: filepath.Join(dir, "pg"), Port: port, Logger: logs}
	pg, err := pgembed.Start(context.Background(), pgOpts)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { pg.Stop() }()
	store, err := storage.Open(context.Background(), pg.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	if err := store.Migrate(context.Background(), nil); err != nil {
		t.Fatal(err)
	}

	// Slack, failing one call in ten. A replica killed every eight seconds
	// opens a Socket Mode connection that often, beyond Slack's Tier 1 for
	// apps.connections.open: Slack's connection budget is not what this
	// test is about.
	limits := slackfake.SlackRateLimits()
	limits.Methods["apps.connections.open"] = slackfake.Limit{Every: 2 * time.Second, Burst: 10}
	fake := slackfake.Start(t, slackfake.WithRateLimits(limits), slackfake.WithSeed(uint64(began.UnixNano())))
	teams := chaosWorkspace(fake)

	spec := replicaSpec{APIURL: fake.URL(), BotToken: fake.BotToken(), AppToken: fake.AppToken(), DatabaseURL: pg.URL(),
		PoolSize: 8}
	fleet := &chaosFleet{t: t, spec: spec, logs: logs}
	fleet.keep(2)
	waitUntil(t, "two replicas connected", 60*time.Second, func() bool { return fake.Connections() == 2 })

	fake.InjectFault("", slackfake.Fault{Status: http.StatusServiceUnavailable, Share: chaosFaults})
	fake.InjectFault("response_url", slackfake.Fault{Status: http.StatusServiceUnavailable, Share: chaosFaults})

	ctx, stop := context.WithCancel(context.Background())
	var background sync.WaitGroup
	background.Go(func() { fleet.run(ctx) })
	pgRestarted := make(chan time.Duration, 1)
	background.Go(func() {
		select {
		case <-ctx.Done():
			return
		case <-time.After(chaosRestartPGAt):
		}
		down := time.Now()
		if err := pg.Stop(); err != nil {
			t.Errorf("stopping PostgreSQL: %v", err)
		}
		next, err := pgembed.Start(context.Background(), pgOpts)
		if err != nil {
			t.Errorf("restarting PostgreSQL: %v", err)
			return
		}
		pg = next
		pgRestarted <- time.Since(down)
	})

	// The people.
	var people sync.WaitGroup
	var clicks, again atomic.Int64
	for i := range teams {
		tm := &teams[i]
		// The facilitator looks at their App Home, then starts the round.
		if _, err := fake.OpenAppHome(tm.fac); err != nil {
			t.Fatal(err)
		}
		tm.started = time.Now()
		people.Go(func() { chaosFacilitator(ctx, t, fake, *tm) })
		for role, u := range tm.people {
			people.Go(func() { chaosRespondent(ctx, t, fake, u, chaosScores[role], &clicks, &again) })
		}
	}
	revealed := func() bool {
		for _, tm := range teams {
			if !chaosRevealed(fake, tm.channel) {
				return false
			}
		}
		return true
	}
	allIn := waitUntil(t, "every round to be revealed", chaosDeadline, revealed)
	stop()
	people.Wait()
	background.Wait()
	kills := fleet.kills.Load()
	fleet.keep(2)
	chaosTime := time.Since(began)

	// Then everything settles: every message edited in place on its latest
	// revision, every job due done.
	settled := waitUntil(t, "every message to settle", chaosSettle, func() bool { return chaosSettled(store) })
	fleet.stopAll()

	// The figures.
	b := chaosRenderer(t, fake, store)
	maxQuestionnaire, missing := chaosQuestionnaireDelays(t, fake, teams)
	maxReveal, unrevealed := chaosRevealDelays(t, fake, store, teams)
	duplicates := chaosDuplicates(fake, teams)
	stale := staleLive(t, fake, store, b)
	var parked []string
	if err := store.DB().Select(&parked, `SELECT key || ': ' || last_error FROM jobs WHERE state IN ('parked', 'held')`); err != nil {
		t.Fatal(err)
	}
	restart := <-pgRestarted
	report := fmt.Sprintf("chaos: %d rounds, %d replica kills (every %v), %.0f%% Slack faults, PostgreSQL restarted once (down %v), %d clicks (%d again after %v without a change), %v\n"+
		"chaos: max questionnaire delay after start %v (target ≤ %v); max reveal delay after last submit %v (target ≤ %v)\n"+
		"chaos: duplicates %d (target 0); stale finals %d (target 0); parked or held %d; slack calls %d (%d answered 429 by Slack's limits)\n",
		chaosRounds, kills, chaosKillEvery, chaosFaults*100, restart.Round(time.Millisecond), clicks.Load(), again.Load(), chaosPatience,
		chaosTime.Round(time.Second),
		maxQuestionnaire.Round(time.Millisecond), chaosQuestionnair, maxReveal.Round(time.Millisecond), chaosReveal,
		len(duplicates), len(stale), len(parked), sum(fake.CallCounts()), fake.RateLimitedCount())
	fmt.Print(report)
	t.Log(report)

	switch {
	case !allIn:
		t.Errorf("not every round was revealed: %v", unrevealed)
	case missing > 0:
		t.Errorf("%d questionnaires never arrived", missing)
	}
	if !settled {
		t.Error("the messages never settled")
	}
	if maxQuestionnaire > chaosQuestionnair {
		t.Errorf("a questionnaire took %v to arrive, want ≤ %v", maxQuestionnaire, chaosQuestionnair)
	}
	if maxReveal > chaosReveal {
		t.Errorf("a reveal took %v after its last submit, want ≤ %v", maxReveal, chaosReveal)
	}
	for _, d := range duplicates {
		t.Errorf("posted twice: %s", d)
	}
	for _, s := range stale {
		t.Errorf("stale final: %s", s)
	}
	for _, p := range parked {
		t.Errorf("given up: %s", p)
	}
	if t.Failed() {
		t.Logf("replica and PostgreSQL logs: %s", logs.Name())
	}
}

// chaosLogFile collects the replicas' and PostgreSQL's logs; it is kept
// when the test fails.
func chaosLogFile(t *testing.T) *os.File {
	t.Helper()
	f, err := os.CreateTemp("", "alignbot-chaos-*.log")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		f.Close()
		if !t.Failed() {
			os.Remove(f.Name())
		}
	})
	return f
}

func freeTCPPort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// waitUntil polls cond until it holds or limit passes, and reports which.
func waitUntil(t *testing.T, what string, limit time.Duration, cond func() bool) bool {
	t.Helper()
	deadline := time.Now().Add(limit)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Logf("gave up waiting for %s after %v", what, limit)
			return false
		}
		<-tick.C
	}
	return true
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// chaosWorkspace adds the teams: a channel each, its facilitator, its two
// leads and, every other team, an observer.
func chaosWorkspace(fake *slackfake.Server) []chaosTeam {
	var teams []chaosTeam
	for i := range chaosRounds {
		tm := chaosTeam{channel: fmt.Sprintf("CCHAOS%02d", i), fac: fmt.Sprintf("UCF%05d", i)}
		tm.people = []string{fmt.Sprintf("UCM%05d", i), fmt.Sprintf("UCS%05d", i)}
		if i%2 == 0 {
			tm.people = append(tm.people, fmt.Sprintf("UCO%05d", i))
		}
		members := append([]string{tm.fac}, tm.people...)
		for _, u := range members {
			fake.AddUser(slackfake.User{ID: u, Name: strings.ToLower(u), RealName: u, TZ: "UTC"})
		}
		fake.AddChannel(slackfake.Channel{ID: tm.channel, Name: strings.ToLower(tm.channel), Members: members, BotMember: true})
		teams = append(teams, tm)
	}
	return teams
}

// chaosFleet keeps replicas running and kills the oldest every
// chaosKillEvery.
type chaosFleet struct {
	t     *testing.T
	spec  replicaSpec
	logs  io.Writer
	mu    sync.Mutex
	procs []*replicaProcess
	seq   int
	kills atomic.Int64
}

// keep starts replicas until n are running (a replica that could not start,
// say while PostgreSQL restarted, has exited by itself).
func (f *chaosFleet) keep(n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	live := f.procs[:0]
	for _, p := range f.procs {
		if !p.exited() {
			live = append(live, p)
		}
	}
	f.procs = live
	for len(f.procs) < n {
		f.seq++
		spec := f.spec
		spec.WorkerID = fmt.Sprintf("chaos-%d", f.seq)
		f.procs = append(f.procs, startReplicaProcess(f.t, spec, f.logs))
	}
}

// run kills the oldest replica every chaosKillEvery and starts another at
// once, until ctx is done.
func (f *chaosFleet) run(ctx context.Context) {
	kill := time.NewTicker(chaosKillEvery)
	defer kill.Stop()
	check := time.NewTicker(500 * time.Millisecond)
	defer check.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-kill.C:
			f.mu.Lock()
			oldest := f.procs[0]
			f.procs = f.procs[1:]
			f.mu.Unlock()
			oldest.kill()
			f.kills.Add(1)
		case <-check.C:
		}
		f.keep(2)
	}
}

func (f *chaosFleet) stopAll() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, p := range f.procs {
		p.kill()
	}
	f.procs = nil
}

// chaosFacilitator starts the team's round, typing the command again when
// nothing shows it started: no answer (ephemeral, or by DM when Slack
// refused both), no announcement in the channel.
func chaosFacilitator(ctx context.Context, t *testing.T, fake *slackfake.Server, tm chaosTeam) {
	var mentions []string
	for _, u := range tm.people {
		mentions = append(mentions, fake.MentionUser(u))
	}
	text := "start " + strings.Join(mentions, " ")
	started := func() bool {
		for _, m := range append(fake.Ephemerals(tm.fac), fake.DMs(tm.fac)...) {
			if s := m.VisibleText(); strings.Contains(s, "Started round") || strings.Contains(s, "already collecting") {
				return true
			}
		}
		return countIn(fake.Messages(tm.channel), "started a round") > 0
	}
	for ctx.Err() == nil {
		before := len(fake.Ephemerals(tm.fac))
		if _, err := fake.SlashCommand(tm.fac, tm.channel, text); err != nil {
			t.Error(err)
			return
		}
		wctx, cancel := context.WithTimeout(ctx, 3*chaosPatience)
		_ = fake.WaitFor(wctx, func() bool { return started() || len(fake.Ephemerals(tm.fac)) > before })
		cancel()
		if started() {
			return
		}
	}
}

var openQuestion = regexp.MustCompile(`(?m)^\*(Q\d+) · [^*]+\* \(\d+ of \d+\)`)

// chaosRespondent answers their questionnaire as a person would: the open
// question, with their score, clicking again when the card does not change
// within chaosPatience; then Submit.
func chaosRespondent(ctx context.Context, t *testing.T, fake *slackfake.Server, user string, scores []int, clicks, again *atomic.Int64) {
	var card slackfake.Message
	if fake.WaitFor(ctx, func() bool {
		for _, m := range fake.DMs(user) {
			if isQuestionnaire(m) {
				card = m
				return true
			}
		}
		return false
	}) != nil {
		return
	}
	var last string
	for ctx.Err() == nil {
		cur, ok := fake.Message(card.Channel, card.TS)
		if !ok {
			return
		}
		text := cur.VisibleText()
		if strings.Contains(text, "· submitted") || strings.Contains(text, "was cancelled") {
			return
		}
		var label, button string
		if m := openQuestion.FindStringSubmatch(sectionTexts(cur)); m != nil {
			q := m[1]
			var n int
			fmt.Sscanf(q, "Q%d", &n)
			label, button = q, fmt.Sprint(scores[n-1])
		} else {
			label, button = "", "Submit"
		}
		c, err := fake.PrepareClick(user, cur, label, button)
		if err != nil {
			// The card is between two versions: look again.
			wctx, cancel := context.WithTimeout(ctx, chaosPatience)
			_, _ = fake.WaitRevision(wctx, cur.Channel, cur.TS, len(cur.Revisions)+1)
			cancel()
			continue
		}
		if _, err := fake.SendClick(c); err != nil {
			t.Error(err)
			return
		}
		clicks.Add(1)
		if last == label+button {
			again.Add(1)
		}
		last = label + button
		// Wait for the card to change; if nothing seems to happen, the
		// loop clicks again.
		wctx, cancel := context.WithTimeout(ctx, chaosPatience)
		_, _ = fake.WaitRevision(wctx, cur.Channel, cur.TS, len(cur.Revisions)+1)
		cancel()
	}
}

// chaosRevealed reports whether a channel shows its round's reveal.
func chaosRevealed(fake *slackfake.Server, channel string) bool {
	for _, m := range fake.Messages(channel) {
		if m.ThreadTS == "" && strings.Contains(m.VisibleText(), "Alignment reveal · round") {
			return true
		}
	}
	return false
}

// chaosSettled reports whether every live message is on its latest
// revision and no job is due: what is left is scheduled for later
// (reminders, deadlines).
func chaosSettled(store *storage.Storage) bool {
	var n int
	err := store.DB().Get(&n, `SELECT (SELECT count(*) FROM live_messages WHERE sent < revision OR sender IS NOT NULL)
		+ (SELECT count(*) FROM jobs j WHERE state = 'pending' AND run_at <= now() AND (after IS NULL OR NOT EXISTS (
			SELECT 1 FROM jobs w WHERE w.key = j.after AND w.state IN ('pending', 'held'))))`)
	return err == nil && n == 0
}

// chaosRenderer is a replica that is not connected, to render the database
// as it is now.
func chaosRenderer(t *testing.T, fake *slackfake.Server, store *storage.Storage) *Bot {
	t.Helper()
	wh, _ := config.ParseWorkingHours("")
	b, err := New(Options{Store: store, Config: config.Config{BotToken: config.Secret(fake.BotToken()), AppToken: config.Secret(fake.AppToken()),
		APIURL: fake.URL(), Deadline: 168 * time.Hour, NudgeAfter: 48 * time.Hour, ActionDue: 720 * time.Hour,
		ActionNudgeEvery: 168 * time.Hour, RerunAfter: 2160 * time.Hour, WorkingHours: wh}})
	if err != nil {
		t.Fatal(err)
	}
	id := fake.Identity()
	b.botUserID, b.workspace = id.BotUserID, render.Workspace{URL: "https://" + id.TeamDomain + ".slack.com/"}
	return b
}

// chaosQuestionnaireDelays returns the longest time from a team's first
// start command to one of its questionnaires reaching Slack, and how many
// never did.
func chaosQuestionnaireDelays(t *testing.T, fake *slackfake.Server, teams []chaosTeam) (time.Duration, int) {
	var worst time.Duration
	missing := 0
	for _, tm := range teams {
		for _, u := range tm.people {
			i := slices.IndexFunc(fake.DMs(u), isQuestionnaire)
			if i < 0 {
				missing++
				continue
			}
			worst = max(worst, fake.DMs(u)[i].Revisions[0].At.Sub(tm.started))
		}
	}
	return worst, missing
}

// chaosRevealDelays returns the longest time from a round's last submit
// (as the database recorded it) to its reveal reaching Slack, and the
// channels without one.
func chaosRevealDelays(t *testing.T, fake *slackfake.Server, store *storage.Storage, teams []chaosTeam) (time.Duration, []string) {
	var worst time.Duration
	var unrevealed []string
	for _, tm := range teams {
		var lastSubmit time.Time
		err := store.DB().Get(&lastSubmit, `SELECT max(p.submitted_at) FROM respondents p JOIN rounds r ON r.id = p.round_id
			JOIN teams t ON t.id = r.team_id WHERE t.channel_id = $1`, tm.channel)
		if err != nil {
			unrevealed = append(unrevealed, tm.channel)
			continue
		}
		found := false
		for _, m := range fake.Messages(tm.channel) {
			if m.ThreadTS == "" && strings.Contains(orrFirstText(m), "Alignment reveal · round") {
				worst = max(worst, m.Revisions[0].At.Sub(lastSubmit))
				found = true
				break
			}
		}
		if !found {
			unrevealed = append(unrevealed, tm.channel)
		}
	}
	return worst, unrevealed
}

// chaosDuplicates returns the job keys of messages posted more than once
// (every post carries its job's key) and the messages every round should
// have once that it has more often.
func chaosDuplicates(fake *slackfake.Server, teams []chaosTeam) []string {
	seen := map[string]int{}
	count := func(msgs []slackfake.Message) {
		for _, m := range msgs {
			var meta struct {
				EventType    string         `json:"event_type"`
				EventPayload map[string]any `json:"event_payload"`
			}
			if json.Unmarshal(m.Revisions[0].Metadata, &meta) == nil && meta.EventType == jobMetadataType {
				seen[fmt.Sprint(meta.EventPayload["job"])]++
			}
		}
	}
	var out []string
	for _, tm := range teams {
		count(fake.Messages(tm.channel))
		for _, u := range append([]string{tm.fac}, tm.people...) {
			count(fake.DMs(u))
		}
		for what, n := range map[string]int{
			"announcement": countIn(fake.Messages(tm.channel), "started a round"),
			"reveal":       countIn(fake.Messages(tm.channel), "Alignment reveal · round"),
		} {
			if n > 1 {
				out = append(out, fmt.Sprintf("%s of %s ×%d", what, tm.channel, n))
			}
		}
		for _, u := range tm.people {
			if n := countFunc(fake.DMs(u), isQuestionnaire); n > 1 {
				out = append(out, fmt.Sprintf("questionnaire of %s ×%d", u, n))
			}
		}
	}
	for k, n := range seen {
		if n > 1 {
			out = append(out, fmt.Sprintf("%s ×%d", k, n))
		}
	}
	slices.Sort(out)
	return out
}

func countIn(msgs []slackfake.Message, s string) int {
	return countFunc(msgs, func(m slackfake.Message) bool { return m.ThreadTS == "" && strings.Contains(orrFirstText(m), s) })
}

func countFunc(msgs []slackfake.Message, f func(slackfake.Message) bool) int {
	n := 0
	for _, m := range msgs {
		if f(m) {
			n++
		}
	}
	return n
}
