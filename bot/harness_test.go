package bot

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lib/pq"

	"github.com/alignbot/alignbot/internal/config"
	"github.com/alignbot/alignbot/internal/slackfake"
	"github.com/alignbot/alignbot/internal/testdb"
	"github.com/alignbot/alignbot/scoring"
	"github.com/alignbot/alignbot/storage"

	"github.com/alignbot/alignbot/internal/testclock"
)

// The tests spend most of their time waiting, on Slack's limits as the
// fake enforces them in real time and on leases, not on the CPU, so more of
// them run at once than -parallel's default of one per core; -parallel
// given explicitly wins. How many is set by the server's connections: each
// test takes up to about testConnections (testPoolSize per store, a store
// for the test and one per replica, each with its click and listening
// connections), and testSpareConnections are left for another test run and
// the other packages beside this one.
const (
	testPoolSize         = 4
	testConnections      = 20
	testSpareConnections = 20
	minTestParallel      = 2
	maxTestParallel      = 8
)

func TestMain(m *testing.M) {
	flag.Parse()
	explicit := false
	flag.Visit(func(f *flag.Flag) { explicit = explicit || f.Name == "test.parallel" })
	if !explicit {
		n := minTestParallel
		if conns, err := testdb.MaxConnections(); err == nil {
			n = min(max(minTestParallel, (conns-testSpareConnections)/testConnections), maxTestParallel)
		}
		flag.Set("test.parallel", strconv.Itoa(n))
	}
	testdb.Main(m)
}

// t0 is a Monday morning in New York and afternoon in Berlin.
var t0 = time.Date(2026, 11, 2, 14, 0, 0, 0, time.UTC)

// The simulated workspace.
const (
	fac     = "UFACIL01" // facilitator, New York
	mkt     = "UMARIA01" // marketing lead, Berlin
	sales   = "USAMUE01" // sales lead, New York
	obs     = "UOLGA001" // RevOps observer, London
	owner   = "UOWEN001" // an action owner, Sydney
	admin   = "UADMIN01"
	botUser = "UBOTTY01" // another app's bot
	gone    = "UGONE001" // deactivated
	outside = "UOUTSID1" // in the workspace, in none of the channels
	revenue = "CREVENUE"
	quiet   = "CQUIET01" // the bot is not a member
	secret  = "CSECRET1" // private, the bot is not a member
	hidden  = "CHIDDEN1" // private, the bot, the marketing lead and the observer are members
)

// syncBuffer collects log output from several goroutines.
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

// harness is one workspace: a fake Slack enforcing Slack's rate limits, a
// fresh database, a clock, and as many bot replicas as a test starts.
type harness struct {
	t     *testing.T
	slack *slackfake.Server
	dbURL string
	store *storage.Storage
	clock *testclock.Clock
	cfg   config.Config
	logs  *syncBuffer

	mu   sync.Mutex // guards bots: waitFor's poller wakes them
	bots []*replica
}

type replica struct {
	bot    *Bot
	cancel context.CancelFunc
	done   chan error
}

type harnessOption func(*harness)

func withConfig(edit func(*config.Config)) harnessOption {
	return func(h *harness) { edit(&h.cfg) }
}

func newHarness(t *testing.T, opts ...harnessOption) *harness {
	t.Helper()
	return newHarnessWith(t, nil, opts...)
}

func newHarnessWith(t *testing.T, fakeOpts []slackfake.Option, opts ...harnessOption) *harness {
	t.Helper()
	h := &harness{t: t, clock: testclock.New(t0), logs: &syncBuffer{}}
	h.slack = slackfake.Start(t, fakeOpts...)
	for _, u := range []slackfake.User{
		{ID: fac, Name: "fiona", RealName: "Fiona Facil", TZ: "America/New_York", TZOffset: -18000},
		{ID: mkt, Name: "maria", RealName: "Maria Marketing", TZ: "Europe/Berlin", TZOffset: 3600},
		{ID: sales, Name: "samuel", RealName: "Samuel Sales", TZ: "America/New_York", TZOffset: -18000},
		{ID: obs, Name: "olga", RealName: "Olga Ops", TZ: "Europe/London"},
		{ID: owner, Name: "owen", RealName: "Owen Owner", TZ: "Australia/Sydney", TZOffset: 39600},
		{ID: admin, Name: "ada", RealName: "Ada Admin", TZ: "UTC", IsAdmin: true},
		{ID: outside, Name: "otto", RealName: "Otto Outside", TZ: "UTC"},
		{ID: botUser, Name: "otherbot", IsBot: true},
		{ID: gone, Name: "gone", Deleted: true},
	} {
		h.slack.AddUser(u)
	}
	everyone := []string{fac, mkt, sales, obs, owner, admin}
	h.slack.AddChannel(slackfake.Channel{ID: revenue, Name: "revenue", Members: everyone, BotMember: true})
	h.slack.AddChannel(slackfake.Channel{ID: quiet, Name: "quiet", Members: everyone})
	h.slack.AddChannel(slackfake.Channel{ID: secret, Name: "secret", Private: true, Members: everyone})
	h.slack.AddChannel(slackfake.Channel{ID: hidden, Name: "hidden", Private: true, Members: []string{mkt, obs}, BotMember: true})

	wh, _ := config.ParseWorkingHours("")
	h.cfg = config.Config{
		BotToken:         config.Secret(h.slack.BotToken()),
		AppToken:         config.Secret(h.slack.AppToken()),
		APIURL:           h.slack.URL(),
		Deadline:         168 * time.Hour,
		NudgeAfter:       48 * time.Hour,
		ActionDue:        720 * time.Hour,
		ActionNudgeEvery: 168 * time.Hour,
		RerunAfter:       2160 * time.Hour,
		WorkingHours:     wh,
	}
	for _, o := range opts {
		o(h)
	}
	h.dbURL = testdb.New(t)
	h.store = h.openStore()
	t.Cleanup(func() {
		h.stopAll()
		if t.Failed() || os.Getenv("ALIGNBOT_TEST_LOGS") != "" {
			t.Logf("bot logs:\n%s", h.logs.String())
		}
	})
	return h
}

func (h *harness) openStore() *storage.Storage {
	h.t.Helper()
	ctx := context.Background()
	s, err := storage.Open(ctx, h.dbURL)
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() { s.Close() })
	// Several tests run at once against one server.
	s.LimitPool(testPoolSize)
	if err := s.Migrate(ctx, nil); err != nil {
		h.t.Fatal(err)
	}
	return s
}

type botOption func(*Options)

// startBot starts a replica with its own connection pool and waits until it
// is connected to the fake's Socket Mode. Its Slack budgets are Slack's
// published limits, as the fake enforces them.
func (h *harness) startBot(opts ...botOption) *replica {
	h.t.Helper()
	o := Options{
		Config:    h.cfg,
		Store:     h.openStore(),
		Logger:    slog.New(slog.NewJSONHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Clock:     h.clock,
		WorkerID:  fmt.Sprintf("replica-%d", len(h.replicas())+1),
		PollEvery: 50 * time.Millisecond,
		Lease:     15 * time.Second,
	}
	for _, opt := range opts {
		opt(&o)
	}
	b, err := New(o)
	if err != nil {
		h.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &replica{bot: b, cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- b.Run(ctx) }()
	h.mu.Lock()
	h.bots = append(h.bots, r)
	h.mu.Unlock()
	// Registered after the replica's store, so it runs before the store
	// closes.
	h.t.Cleanup(func() { h.stop(r) })
	h.waitFor("replica connected", func() bool { return h.slack.Connections() >= h.liveBots() })
	return r
}

func (h *harness) replicas() []*replica {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]*replica(nil), h.bots...)
}

func (h *harness) liveBots() int {
	n := 0
	for _, r := range h.replicas() {
		if r.cancel != nil {
			n++
		}
	}
	return n
}

// stop shuts a replica down and waits for it.
func (h *harness) stop(r *replica) {
	h.mu.Lock()
	cancel := r.cancel
	r.cancel = nil
	h.mu.Unlock()
	if cancel == nil {
		return
	}
	cancel()
	select {
	case err := <-r.done:
		if err != nil {
			h.t.Errorf("bot stopped with %v", err)
		}
	case <-time.After(30 * time.Second):
		h.t.Error("bot did not stop within 30s")
	}
}

func (h *harness) stopAll() {
	for _, r := range h.replicas() {
		h.stop(r)
	}
}

// advance moves the clock and wakes every replica's job runner.
func (h *harness) advance(d time.Duration) {
	h.clock.Set(h.clock.Now().Add(d))
	h.wake()
}

func (h *harness) wake() {
	for _, r := range h.replicas() {
		r.bot.Wake()
	}
}

// waitFor polls cond until it holds, failing the test after a deadline.
// cond is re-evaluated on every change in the fake Slack, and at least every
// 50ms for changes that happen only in the database.
func (h *harness) waitFor(what string, cond func() bool) {
	h.t.Helper()
	if err := h.poll(30*time.Second, cond); err != nil {
		h.t.Fatalf("timed out waiting for %s", what)
	}
}

func (h *harness) poll(limit time.Duration, cond func() bool) error {
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	for {
		wctx, wcancel := context.WithTimeout(ctx, 50*time.Millisecond)
		err := h.slack.WaitFor(wctx, cond)
		wcancel()
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		h.wake()
	}
}

// command types /alignment text as user in channel and waits for the ack.
func (h *harness) command(user, channel, text string) string {
	h.t.Helper()
	id, err := h.slack.SlashCommand(user, channel, text)
	if err != nil {
		h.t.Fatal(err)
	}
	h.waitAck(id)
	return id
}

func (h *harness) waitAck(envelopeID string) {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := h.slack.WaitAck(ctx, envelopeID); err != nil {
		h.t.Fatalf("no ack for %s: %v", envelopeID, err)
	}
}

// ephemerals returns the texts only user was shown, oldest first.
func (h *harness) ephemerals(user string) []string {
	var out []string
	for _, m := range h.slack.Ephemerals(user) {
		out = append(out, m.VisibleText())
	}
	return out
}

// waitEphemeral waits for user's nth ephemeral (1-based) and returns it.
func (h *harness) waitEphemeral(user string, n int) string {
	h.t.Helper()
	h.waitFor(fmt.Sprintf("ephemeral #%d for %s", n, user), func() bool { return len(h.ephemerals(user)) >= n })
	return h.ephemerals(user)[n-1]
}

// startRound starts a round with the given people by slash command, with
// optional extra words (an instrument).
func (h *harness) startRound(people ...string) {
	h.t.Helper()
	h.startWith(people, "")
}

func (h *harness) startWith(people []string, extra string) {
	h.t.Helper()
	var mentions []string
	for _, p := range people {
		mentions = append(mentions, h.slack.MentionUser(p))
	}
	before := len(h.ephemerals(fac))
	h.command(fac, revenue, strings.TrimSpace("start "+strings.Join(mentions, " ")+" "+extra))
	if got := h.waitEphemeral(fac, before+1); !strings.Contains(got, "Started round") {
		h.t.Fatalf("start: %s", got)
	}
}

// isQuestionnaire reports whether a DM is a live questionnaire: its header
// names an instrument and a role.
func isQuestionnaire(m slackfake.Message) bool {
	text := m.VisibleText()
	for _, in := range scoring.Instruments {
		if strings.HasPrefix(text, in.Name+" · ") {
			return true
		}
	}
	return false
}

// questionnaire waits for user's newest questionnaire DM and returns its
// latest version.
func (h *harness) questionnaire(user string) slackfake.Message {
	h.t.Helper()
	var msg slackfake.Message
	h.waitFor("questionnaire for "+user, func() bool {
		found := false
		for _, m := range h.slack.DMs(user) {
			if isQuestionnaire(m) {
				msg, found = m, true
			}
		}
		return found
	})
	return msg
}

// waitView waits for user's open modal with the given callback ID.
func (h *harness) waitView(user, callbackID string) slackfake.View {
	h.t.Helper()
	var v slackfake.View
	h.waitFor(fmt.Sprintf("%s's %s form", user, callbackID), func() bool {
		var ok bool
		v, ok = h.slack.OpenView(user)
		return ok && v.CallbackID == callbackID
	})
	return v
}

// current returns the latest version of a message.
func (h *harness) current(m slackfake.Message) slackfake.Message {
	got, ok := h.slack.Message(m.Channel, m.TS)
	if !ok {
		h.t.Fatalf("message %s/%s is gone", m.Channel, m.TS)
	}
	return got
}

// answeredLine matches a question folded to one line with its score.
func answeredLine(q string, score int) *regexp.Regexp {
	return regexp.MustCompile(fmt.Sprintf(`✓ \*%s · [^*]+\*: \*%d\*`, q, score))
}

// openCard reports whether q is the open question of a questionnaire.
func openCard(m slackfake.Message, q string) bool {
	return regexp.MustCompile(fmt.Sprintf(`(?m)^\*%s · [^*]+\* \(\d+ of \d+\)`, q)).MatchString(sectionTexts(m))
}

// click clicks the button starting with label on the card labelled card,
// and fails the test if the fake cannot find it.
func (h *harness) click(user string, msg slackfake.Message, card, label string) string {
	h.t.Helper()
	id, err := h.slack.ClickButton(user, msg, card, label)
	if err != nil {
		h.t.Fatalf("%s clicks %q on %q: %v", user, label, card, err)
	}
	return id
}

// answer gives score to question q of user's questionnaire, as a person
// would: opening the question again first if it is folded, and waits until
// the questionnaire shows it.
func (h *harness) answer(user, q string, score int) {
	h.t.Helper()
	msg := h.questionnaire(user)
	if !openCard(h.current(msg), q) {
		h.click(user, msg, q, "Change")
		h.waitFor(fmt.Sprintf("%s's %s to open", user, q), func() bool { return openCard(h.current(msg), q) })
	}
	h.click(user, msg, q, fmt.Sprint(score))
	want := answeredLine(q, score)
	h.waitFor(fmt.Sprintf("%s's %s to show %d", user, q, score), func() bool {
		return want.MatchString(sectionTexts(h.current(msg)))
	})
}

// answerAll answers every question, Q1 first.
func (h *harness) answerAll(user string, scores []int) {
	h.t.Helper()
	for i, s := range scores {
		h.answer(user, fmt.Sprintf("Q%d", i+1), s)
	}
}

// predictAll guesses the other lead's answers, as a lead would once all
// their own answers are in: it starts guessing from the footer, gives each
// question in guesses its guess and skips the others.
func (h *harness) predictAll(user string, guesses map[string]int) {
	h.t.Helper()
	msg := h.questionnaire(user)
	start := "Guess the"
	if strings.Contains(h.current(msg).VisibleText(), "Change your guesses") {
		start = "Change your guesses"
	}
	h.click(user, msg, "", start)
	in := scoring.AlignmentMaturity
	for i, q := range in.Questions {
		h.waitFor(user+"'s guess on "+q.ID+" to open", func() bool { return predictCard(h.current(msg), q.ID) })
		score, ok := guesses[q.ID]
		switch {
		case ok:
			h.click(user, msg, q.ID, fmt.Sprint(score))
		case i+1 < len(in.Questions):
			h.click(user, msg, q.ID, "Skip")
		default:
			h.click(user, msg, "", "Done guessing")
		}
	}
	h.waitFor(user+"'s guesses to be shown", func() bool {
		text := sectionTexts(h.current(msg))
		if strings.Contains(text, "What do you expect") {
			return false
		}
		for q, score := range guesses {
			if !regexp.MustCompile(fmt.Sprintf(`\*%s · [^\n]* · you expect [A-Za-z]+: \*%d\*`, q, score)).MatchString(text) {
				return false
			}
		}
		return true
	})
}

func predictCard(m slackfake.Message, q string) bool {
	return regexp.MustCompile(fmt.Sprintf(`(?m)^\*%s · [^*]+\*: you answered`, q)).MatchString(sectionTexts(m))
}

// submit clicks Submit and waits for the questionnaire to say submitted.
func (h *harness) submit(user string) {
	h.t.Helper()
	msg := h.questionnaire(user)
	h.click(user, msg, "", "Submit")
	h.waitFor(user+"'s questionnaire to be submitted", func() bool {
		return strings.Contains(h.current(msg).VisibleText(), "· submitted")
	})
}

// buttonsOf returns, for the card labelled q (its actions block), each
// button's text and value.
func buttonsOf(t *testing.T, m slackfake.Message, q string) [][2]string {
	t.Helper()
	var blocks []struct {
		Type     string          `json:"type"`
		BlockID  string          `json:"block_id"`
		Elements json.RawMessage `json:"elements"`
	}
	if err := json.Unmarshal(m.Blocks, &blocks); err != nil {
		t.Fatal(err)
	}
	var out [][2]string
	for _, b := range blocks {
		if b.Type != "actions" || !strings.HasSuffix(b.BlockID, ":"+q) {
			continue
		}
		var buttons []struct {
			Value string `json:"value"`
			Text  struct {
				Text string `json:"text"`
			} `json:"text"`
		}
		if err := json.Unmarshal(b.Elements, &buttons); err != nil {
			t.Fatal(err)
		}
		for _, e := range buttons {
			out = append(out, [2]string{e.Text.Text, e.Value})
		}
	}
	return out
}

// sectionTexts returns the mrkdwn text of every section of a message.
func sectionTexts(m slackfake.Message) string {
	var blocks []struct {
		Type string `json:"type"`
		Text struct {
			Text string `json:"text"`
		} `json:"text"`
	}
	_ = json.Unmarshal(m.Blocks, &blocks)
	var out []string
	for _, b := range blocks {
		if b.Type == "section" {
			out = append(out, b.Text.Text)
		}
	}
	return strings.Join(out, "\n")
}

// channelMessages returns the messages the bot posted in a channel's main
// timeline (no thread replies).
func (h *harness) channelMessages(channel string) []slackfake.Message {
	var out []slackfake.Message
	for _, m := range h.slack.Messages(channel) {
		if !m.Ephemeral && (m.ThreadTS == "" || m.ThreadTS == m.TS) {
			out = append(out, m)
		}
	}
	return out
}

// findMessage returns the first main-timeline message in channel whose text
// contains s.
func (h *harness) findMessage(channel, s string) (slackfake.Message, bool) {
	for _, m := range h.channelMessages(channel) {
		if strings.Contains(m.VisibleText(), s) {
			return m, true
		}
	}
	return slackfake.Message{}, false
}

func (h *harness) waitMessage(channel, s string) slackfake.Message {
	h.t.Helper()
	var msg slackfake.Message
	h.waitFor(fmt.Sprintf("a message in %s containing %q", channel, s), func() bool {
		var ok bool
		msg, ok = h.findMessage(channel, s)
		return ok
	})
	return msg
}

// countMessages counts main-timeline messages containing s.
func (h *harness) countMessages(channel, s string) int {
	n := 0
	for _, m := range h.channelMessages(channel) {
		if strings.Contains(m.VisibleText(), s) {
			n++
		}
	}
	return n
}

// thread returns the visible text of a message's thread replies.
func (h *harness) thread(parent slackfake.Message) string {
	var out []string
	for _, m := range h.slack.Thread(parent.Channel, parent.TS) {
		if m.TS != parent.TS {
			out = append(out, m.VisibleText())
		}
	}
	return strings.Join(out, "\n")
}

// idle waits until no job is due or running on a live replica, so a test
// can assert that something did not happen.
func (h *harness) idle() {
	h.t.Helper()
	h.waitFor("the job queue to drain", h.quiet)
}

// settle waits until no job is due, letting the bot's clock run on through
// a job deferred by Slack's Retry-After (at most a minute): on the test's
// clock, which moves only when told, such a job would wait forever.
// Replicas starting together use the whole budget until their first
// heartbeat counts each other, so two of them may meet a 429.
func (h *harness) settle() {
	h.t.Helper()
	for {
		if err := h.poll(2*time.Minute, h.quiet); err != nil {
			h.t.Fatal("timed out waiting for the job queue to drain")
		}
		if !h.skipDeferred() {
			return
		}
	}
}

// skipDeferred moves the bot's clock to the next job deferred by at most a
// minute (a Retry-After), when nothing else is due or running, and reports
// whether it did.
func (h *harness) skipDeferred() bool {
	h.t.Helper()
	if !h.quiet() {
		return false
	}
	var next *time.Time
	if err := h.store.DB().Get(&next, `SELECT min(run_at) FROM jobs WHERE state = 'pending' AND lease_token IS NULL
		AND run_at > $1 AND run_at <= $2`, h.clock.Now(), h.clock.Now().Add(time.Minute)); err != nil || next == nil {
		return false
	}
	h.advance(next.Sub(h.clock.Now()))
	return true
}

// ask types /alignment text as user in channel and returns the answer only
// they see.
func (h *harness) ask(user, channel, text string) string {
	h.t.Helper()
	n := len(h.ephemerals(user))
	h.command(user, channel, text)
	return h.waitEphemeral(user, n+1)
}

// quiet reports whether no job is due or running on a live replica.
func (h *harness) quiet() bool {
	var live []string
	for _, r := range h.replicas() {
		if r.cancel != nil {
			live = append(live, r.bot.worker)
		}
	}
	var n int
	err := h.store.DB().Get(&n, `SELECT count(*) FROM jobs j WHERE state = 'pending'
		AND ((run_at <= $1 AND lease_token IS NULL AND (after IS NULL OR NOT EXISTS (
			SELECT 1 FROM jobs w WHERE w.key = j.after AND w.state IN ('pending', 'held'))))
		  OR (lease_token IS NOT NULL AND leased_by = ANY($2)))`, h.clock.Now(), pq.Array(live))
	return err == nil && n == 0
}
