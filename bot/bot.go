// Package bot runs the diagnostic in Slack. It is sliced by what happens:
//
//   - Slack in: socket.go routes Socket Mode envelopes; the handlers are named
//     after what a person does (cmd_start.go for /alignment start,
//     click_questionnaire.go for a score button, gap_assign.go for "Assign
//     owner"…). A handler decodes, checks, calls one flow, and answers the
//     person through the click's response_url.
//   - Flows (flow_*.go): one database transaction each, which changes state
//     and enqueues the effects it causes as jobs.
//   - Slack out: jobs.go lists every job kind; job_*.go carry them to Slack
//     through the outbox runner; every message is built by package render.
//     A message edited in place takes turns by revision (revision.go), so
//     an older render never lands after a newer one; a command is always
//     answered (answer.go); what waits for the workspace to change back
//     (the bot re-invited, a person reactivated) is held (lifecycle.go).
//
// Every replica runs the same loops; the database decides who does what, so
// a round is revealed once and a reminder sent once however many replicas
// are connected.
package bot

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/slack-go/slack"

	"github.com/alignbot/alignbot/bot/render"
	"github.com/alignbot/alignbot/internal/config"
	"github.com/alignbot/alignbot/internal/metrics"
	"github.com/alignbot/alignbot/internal/outbox"
	"github.com/alignbot/alignbot/internal/slackapi"
	"github.com/alignbot/alignbot/storage"
)

// Clock tells the time. The bot never calls time.Now for what it stores or
// schedules, so tests can move time forward instead of waiting for it.
type Clock interface {
	Now() time.Time
}

type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }

// Options configure a Bot. Only Config and Store are required.
type Options struct {
	Config config.Config
	Store  *storage.Storage
	Logger *slog.Logger
	// Clock defaults to the system clock.
	Clock Clock
	// Limits default to Slack's published rate limits.
	Limits *slackapi.Limits
	// WorkerID names this replica in job leases; defaults to host-pid-random.
	WorkerID string
	// PollEvery is how often the job runner looks for due jobs when nothing
	// woke it; default 1s.
	PollEvery time.Duration
	// Lease is how long a claimed job is this replica's unless its heartbeat
	// renews it; default 15s.
	Lease time.Duration
	// MaxAttempts before a failing job is parked; default 10.
	MaxAttempts int
	// MaxInFlight caps the handlers running at once; default 64.
	MaxInFlight int
	// HTTPClient is used for Slack calls and response_url posts.
	HTTPClient *http.Client
	// NoJobRunner makes this replica serve Socket Mode only; other replicas
	// run the jobs it enqueues.
	NoJobRunner bool
	// Metrics, when set, records what the bot does for /metrics.
	Metrics *metrics.Metrics
	// CommandAbandoned is how long a slash command may go unanswered before
	// the replica working on it is taken for dead and the person is told;
	// default 45s.
	CommandAbandoned time.Duration
}

// Bot is one replica of alignbot.
type Bot struct {
	cfg        config.Config
	store      *storage.Storage
	client     *slack.Client
	limited    *slackapi.Client
	api        SlackAPI
	log        *slog.Logger
	clock      Clock
	httpClient *http.Client
	worker     string
	runner     *outbox.Runner
	noJobs     bool
	metrics    *metrics.Metrics
	// connected is whether the Socket Mode connection is up (metrics.go).
	connected atomic.Bool
	// leftToSender holds the clicks whose change another sender shows
	// (metrics.go).
	leftToSender waitingClicks

	dir    *directory
	clicks *lanes
	// instruments holds a *clickRoundLoad for each round clicked on: what
	// clicks need of it never changes, and a click should cost one database
	// round trip.
	instruments sync.Map

	mu        sync.Mutex
	botUserID string
	workspace render.Workspace

	// tokenRefused is set once Slack refuses the bot's token, which is
	// then logged once: jobs are held until a restart with a valid one.
	tokenRefused atomic.Bool
	// commandAbandoned: see Options.CommandAbandoned.
	commandAbandoned time.Duration

	handlers sync.WaitGroup
}

// New builds a bot from its options. It does not connect to anything yet.
func New(opts Options) (*Bot, error) {
	if opts.Store == nil {
		return nil, errors.New("bot: no store")
	}
	b := &Bot{
		cfg:        opts.Config,
		store:      opts.Store,
		log:        opts.Logger,
		clock:      opts.Clock,
		httpClient: opts.HTTPClient,
		worker:     opts.WorkerID,
		noJobs:     opts.NoJobRunner,
		metrics:    opts.Metrics,

		commandAbandoned: opts.CommandAbandoned,
	}
	if b.commandAbandoned <= 0 {
		b.commandAbandoned = commandAbandoned
	}
	if b.log == nil {
		b.log = slog.New(slog.NewJSONHandler(os.Stderr, nil))
	}
	if b.clock == nil {
		b.clock = systemClock{}
	}
	inFlight := opts.MaxInFlight
	if inFlight <= 0 {
		inFlight = defaultMaxInFlight
	}
	if b.httpClient == nil {
		// Clicks answer through Slack side by side: keep a connection for
		// each handler that may run at once (the default keeps two per
		// host, so every other call would open and close its own).
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConnsPerHost = inFlight
		t.MaxIdleConns = 2 * t.MaxIdleConnsPerHost
		b.httpClient = &http.Client{Timeout: 30 * time.Second, Transport: t}
	}
	if b.worker == "" {
		host, _ := os.Hostname()
		b.worker = fmt.Sprintf("%s-%d-%s", host, os.Getpid(), randomHex(3))
	}
	limits := slackapi.SlackLimits()
	if opts.Limits != nil {
		limits = *opts.Limits
	}
	b.client = slack.New(opts.Config.BotToken.Value(),
		slack.OptionAppLevelToken(opts.Config.AppToken.Value()),
		slack.OptionAPIURL(opts.Config.APIURL),
		slack.OptionHTTPClient(b.httpClient),
	)
	b.limited = slackapi.New(b.client, limits)
	b.limited.SetMetrics(b.metrics)
	b.api = b.limited
	b.dir = newDirectory(b.api, b.log)
	b.clicks = newLanes(inFlight)
	b.runner = outbox.New(outbox.Options{
		Store:       b.store,
		Kinds:       b.jobKinds(),
		Worker:      b.worker,
		Log:         b.log,
		Clock:       b.clock.Now,
		Lease:       opts.Lease,
		Poll:        opts.PollEvery,
		MaxAttempts: opts.MaxAttempts,
		Classify:    classify,
		OnParked:    b.noteParked,
		OnHeld:      b.noteHeld,
		Maintenance: b.maintain,
		Metrics:     b.metrics,
	})
	b.initMetrics()
	return b, nil
}

// Run connects to Slack and serves until ctx is done: the Socket Mode event
// loop and the job runner. It returns an error when Slack refuses the tokens.
func (b *Bot) Run(ctx context.Context) error {
	auth, err := b.api.AuthTestContext(ctx)
	if err != nil {
		if permanent(err) {
			return fmt.Errorf("slack refused SLACK_BOT_TOKEN: %s", slackErrorCode(err))
		}
		return fmt.Errorf("connect to slack: %w", err)
	}
	b.mu.Lock()
	b.botUserID, b.workspace = auth.UserID, render.Workspace{URL: auth.URL}
	b.mu.Unlock()
	b.log.Info("connected to slack", slog.String("team_id", auth.TeamID), slog.String("bot_user_id", auth.UserID),
		slog.String("worker", b.worker))
	// Slack takes the token again: whatever waited for that goes ahead.
	if err := b.resume(ctx, b.log, causeWorkspace); err != nil {
		b.log.Warn("resuming jobs held on the token failed", slog.Any("error", err))
	}

	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	errs := make(chan error, 1)
	wg.Go(func() { b.shareBudgets(runCtx) })
	wg.Go(func() { b.dir.warm(runCtx) })
	wg.Go(func() { b.sweepLive(runCtx) })
	wg.Go(func() { b.sweepCommands(runCtx) })
	if !b.noJobs {
		notify, err := b.store.Listen(runCtx, storage.JobsChannel)
		if err != nil {
			b.log.Warn("no job notifications; polling instead", slog.Any("error", err))
		}
		// Jobs finish after runCtx ends, but one still waiting for Slack's
		// budget then gives up and is left to the other replicas.
		jobsCtx := slackapi.Quitting(runCtx, runCtx.Done())
		wg.Go(func() { b.runner.Run(jobsCtx, notify) })
		wg.Go(func() { b.countForMetrics(runCtx) })
	}
	socket := newSocketReader(b.client, b.log)
	if err := socket.run(runCtx, func(evt socketEvent) { b.route(runCtx, socket, evt) }); err != nil && runCtx.Err() == nil {
		errs <- fmt.Errorf("socket mode: %w", err)
	}
	cancel()
	b.setConnected(false)
	wg.Wait()
	// Let handlers already running finish their transaction and reply.
	b.handlers.Wait()
	if err := b.store.Retire(context.WithoutCancel(ctx), b.worker); err != nil {
		b.log.Warn("retiring this replica failed", slog.Any("error", err))
	}
	select {
	case err := <-errs:
		return err
	default:
		return nil
	}
}

// Wake makes the job runner look for due jobs now. Tests call it after
// moving their clock.
func (b *Bot) Wake() { b.runner.Wake() }

// RunDueJobs runs every job due now on this replica and returns when none is
// left. Tests and benchmarks drive the queue with it.
func (b *Bot) RunDueJobs(ctx context.Context) (int, error) { return b.runner.RunDue(ctx) }

// JobCounts returns the job queue by state, as last counted.
func (b *Bot) JobCounts() map[storage.JobState]int { return b.runner.Counts() }

// RateLimited returns how many calls Slack answered with 429, by method.
func (b *Bot) RateLimited() map[string]int { return b.limited.RateLimited() }

// shareBudgets records this replica as live every few seconds and takes its
// share of Slack's budgets from the number of live replicas.
func (b *Bot) shareBudgets(ctx context.Context) {
	const every = 5 * time.Second
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		live, err := b.store.Heartbeat(ctx, b.worker, time.Now(), 3*every)
		switch {
		case err != nil && ctx.Err() == nil:
			b.log.Warn("heartbeat failed", slog.Any("error", err))
		case err == nil:
			b.limited.SetShare(live)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// maintain forgets Slack deliveries older than a day (Slack stops
// redelivering within minutes) and messages edited in place that nothing
// has touched for a month.
func (b *Bot) maintain(ctx context.Context, now time.Time) {
	if n, err := b.store.ForgetDeliveries(ctx, now.Add(-24*time.Hour)); err != nil && ctx.Err() == nil {
		b.log.Warn("forgetting old deliveries failed", slog.Any("error", err))
	} else if n > 0 {
		b.log.Info("forgot old deliveries", slog.Int("count", n))
	}
	if n, err := b.store.ForgetLive(ctx, time.Now().Add(-30*24*time.Hour)); err != nil && ctx.Err() == nil {
		b.log.Warn("forgetting old live messages failed", slog.Any("error", err))
	} else if n > 0 {
		b.log.Info("forgot old live messages", slog.Int("count", n))
	}
}

func (b *Bot) botUser() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.botUserID
}

func (b *Bot) links() render.Workspace {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.workspace
}

func randomHex(n int) string {
	buf := make([]byte, n)
	rand.Read(buf)
	return hex.EncodeToString(buf)
}
