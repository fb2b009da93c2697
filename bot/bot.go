// Package bot runs the diagnostic in Slack: it receives slash commands,
// clicks and modal submissions over Socket Mode, turns them into flows (one
// database transaction each, which also enqueues the effects to send), and
// runs the job queue that carries those effects to Slack's Web API.
//
// Every replica of the bot runs the same loops; the database decides who
// does what, so a round is revealed once and a reminder sent once however
// many replicas are connected.
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
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/alignbot/alignbot/internal/config"
	"github.com/alignbot/alignbot/scoring"
	"github.com/alignbot/alignbot/storage"
)

// Options configure a Bot. Only Config and Store are required.
type Options struct {
	Config config.Config
	Store  *storage.Storage
	Logger *slog.Logger
	// Clock defaults to the system clock.
	Clock Clock
	// Pace defaults to SlackPace.
	Pace Pace
	// WorkerID names this replica in job leases; defaults to host-pid-random.
	WorkerID string
	// PollEvery is how often the job runner looks for due jobs when nothing
	// woke it; default 1s.
	PollEvery time.Duration
	// Lease is how long a claimed job is this replica's before another may
	// take it over; default 2m.
	Lease time.Duration
	// MaxAttempts before a failing job is parked; default 10.
	MaxAttempts int
	// HTTPClient is used for Slack calls and response_url posts.
	HTTPClient *http.Client
	// NoJobRunner makes this replica serve Socket Mode only; other replicas
	// run the jobs it enqueues.
	NoJobRunner bool
}

// Bot is one replica of alignbot.
type Bot struct {
	cfg        config.Config
	store      *storage.Storage
	api        SlackAPI
	client     *slack.Client
	log        *slog.Logger
	clock      Clock
	in         *scoring.Instrument
	httpClient *http.Client
	worker     string
	pollEvery  time.Duration
	lease      time.Duration
	maxTries   int
	noJobs     bool

	botUserID string
	teamID    string

	zones    zones
	cards    stripedLocks
	wake     chan struct{}
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
		in:         scoring.AlignmentMaturity,
		httpClient: opts.HTTPClient,
		worker:     opts.WorkerID,
		pollEvery:  opts.PollEvery,
		lease:      opts.Lease,
		maxTries:   opts.MaxAttempts,
		noJobs:     opts.NoJobRunner,
		wake:       make(chan struct{}, 1),
	}
	if b.log == nil {
		b.log = slog.New(slog.NewJSONHandler(os.Stderr, nil))
	}
	if b.clock == nil {
		b.clock = systemClock{}
	}
	if b.httpClient == nil {
		b.httpClient = &http.Client{Timeout: 30 * time.Second}
	}
	if b.worker == "" {
		host, _ := os.Hostname()
		b.worker = fmt.Sprintf("%s-%d-%s", host, os.Getpid(), randomHex(3))
	}
	if b.pollEvery == 0 {
		b.pollEvery = time.Second
	}
	if b.lease == 0 {
		b.lease = 2 * time.Minute
	}
	if b.maxTries == 0 {
		b.maxTries = 10
	}
	pace := opts.Pace
	if pace == (Pace{}) {
		pace = SlackPace
	}
	b.client = slack.New(opts.Config.BotToken.Value(),
		slack.OptionAppLevelToken(opts.Config.AppToken.Value()),
		slack.OptionAPIURL(opts.Config.APIURL),
		slack.OptionHTTPClient(b.httpClient),
	)
	b.api = NewPaced(b.client, pace)
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
	b.botUserID, b.teamID = auth.UserID, auth.TeamID
	b.log.Info("connected to slack", slog.String("team_id", auth.TeamID), slog.String("bot_user_id", auth.UserID),
		slog.String("worker", b.worker))

	socket := socketmode.New(b.client, socketmode.OptionLog(slogPrinter{b.log}))
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	wg.Add(2)
	go func() {
		defer wg.Done()
		if err := socket.RunContext(runCtx); err != nil && runCtx.Err() == nil {
			errs <- fmt.Errorf("socket mode: %w", err)
			cancel()
		}
	}()
	go func() {
		defer wg.Done()
		if !b.noJobs {
			b.runJobs(runCtx)
		}
	}()
	b.serveEvents(runCtx, socket)
	wg.Wait()
	// Let handlers already running finish their transaction and reply.
	b.handlers.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return err
	}
	return nil
}

// Wake makes the job runner look for due jobs now. Flows call it after
// enqueueing; tests call it after moving their clock.
func (b *Bot) Wake() {
	select {
	case b.wake <- struct{}{}:
	default:
	}
}

// serveEvents reads Socket Mode events until ctx is done. It acks each
// envelope first and handles it in its own goroutine, so a slow flow never
// holds up the next envelope or Slack's 3-second limit. View submissions are
// the exception: their validation errors travel in the ack.
func (b *Bot) serveEvents(ctx context.Context, socket *socketmode.Client) {
	for {
		select {
		case <-ctx.Done():
			return
		case evt, ok := <-socket.Events:
			if !ok {
				return
			}
			b.route(ctx, socket, evt)
		}
	}
}

func (b *Bot) route(ctx context.Context, socket *socketmode.Client, evt socketmode.Event) {
	switch evt.Type {
	case socketmode.EventTypeConnected:
		b.log.Info("socket mode connected")
	case socketmode.EventTypeConnectionError:
		b.log.Warn("socket mode connection error", slog.Any("error", evt.Data))
	case socketmode.EventTypeInvalidAuth:
		b.log.Error("slack refused SLACK_APP_TOKEN")
	case socketmode.EventTypeSlashCommand:
		cmd, ok := evt.Data.(slack.SlashCommand)
		if !ok || evt.Request == nil {
			return
		}
		b.ack(socket, evt.Request, nil)
		b.handle(ctx, func(ctx context.Context) { b.handleCommand(ctx, evt.Request.EnvelopeID, cmd) })
	case socketmode.EventTypeInteractive:
		cb, ok := evt.Data.(slack.InteractionCallback)
		if !ok || evt.Request == nil {
			return
		}
		if cb.Type == slack.InteractionTypeViewSubmission {
			b.handle(ctx, func(ctx context.Context) {
				b.ack(socket, evt.Request, b.handleViewSubmission(ctx, evt.Request.EnvelopeID, cb))
			})
			return
		}
		b.ack(socket, evt.Request, nil)
		if cb.Type == slack.InteractionTypeBlockActions {
			b.handle(ctx, func(ctx context.Context) { b.handleBlockActions(ctx, evt.Request.EnvelopeID, cb) })
		}
	case socketmode.EventTypeEventsAPI:
		if evt.Request == nil {
			return
		}
		b.ack(socket, evt.Request, nil)
		b.handle(ctx, func(ctx context.Context) { b.handleEvent(ctx, evt) })
	}
}

func (b *Bot) ack(socket *socketmode.Client, req *socketmode.Request, payload any) {
	var err error
	if payload == nil {
		err = socket.Ack(*req)
	} else {
		err = socket.Ack(*req, payload)
	}
	if err != nil {
		b.log.Warn("ack failed", slog.String("envelope_id", req.EnvelopeID), slog.Any("error", err))
	}
}

// handle runs fn in its own goroutine with a context that survives shutdown
// long enough to finish the flow.
func (b *Bot) handle(ctx context.Context, fn func(ctx context.Context)) {
	b.handlers.Add(1)
	go func() {
		defer b.handlers.Done()
		hctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		defer func() {
			if p := recover(); p != nil {
				b.log.Error("handler panicked", slog.Any("panic", p))
			}
		}()
		fn(hctx)
	}()
}

func randomHex(n int) string {
	buf := make([]byte, n)
	rand.Read(buf)
	return hex.EncodeToString(buf)
}

// slogPrinter adapts slack-go's logger to slog; slack-go only logs when its
// debug mode is on, which alignbot never enables (it would log payloads).
type slogPrinter struct{ log *slog.Logger }

func (p slogPrinter) Output(_ int, s string) error {
	p.log.Debug(s, slog.String("component", "slack-go"))
	return nil
}
