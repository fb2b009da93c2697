// Package demo runs alignbot without Slack: the project's fake Slack with a
// demo workspace, the real bot connected to it over Socket Mode, and a web
// page that looks and works like Slack's client, so that a person can act
// as the facilitator, either lead or the observer, answer the
// questionnaire, see the reveal and its chart, assign owners, and move the
// demo's clock forward to watch reminders, the deadline and the next round.
//
// Everything the page does goes to the bot as Slack would send it: a click
// is a block_actions payload, a form a view_submission, a typed
// "/alignment …" a slash command, all through the fake's Socket Mode. The
// bot is the one `alignbot run` serves, unchanged; only its clock is the
// demo's. Block Kit is rendered to HTML here, on the server, so that the
// page's script stays small and the rendering is tested in Go.
package demo

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"syscall"
	"time"

	"github.com/alignbot/alignbot/bot"
	"github.com/alignbot/alignbot/internal/config"
	"github.com/alignbot/alignbot/internal/slackfake"
	"github.com/alignbot/alignbot/storage"
)

// Config configures a demo.
type Config struct {
	// Addr is where the page listens, host:port; a port of 0 picks one.
	Addr string
	// DatabaseURL is the database the demo uses as it is: an empty one, or
	// one a kept demo left.
	DatabaseURL string
	// Log receives the bot's and the fake Slack's logs; nil discards them.
	Log *slog.Logger
	// Start is when the demo's clock starts; zero picks the first moment
	// inside everyone's working hours from now (see startTime).
	Start time.Time
}

// Demo is a running demo: the fake Slack, the bot and the page.
type Demo struct {
	clock  *Clock
	fake   *slackfake.Server
	store  *storage.Storage
	bot    *bot.Bot
	hours  config.WorkingHours
	log    *slog.Logger
	token  string
	srv    *http.Server
	url    string
	cancel context.CancelFunc
	done   chan error

	mu      sync.Mutex
	changed chan struct{}     // closed when the demo's own state changes
	seen    map[string]int    // person|conversation → messages seen
	plays   map[string]string // user ID → how far the demo is answering for them
	notice  map[string]string // user ID → the last background failure to tell them
}

// The bot's settings in the demo: alignbot's defaults.
const (
	deadline         = 168 * time.Hour
	nudgeAfter       = 48 * time.Hour
	actionDue        = 720 * time.Hour
	actionNudgeEvery = 168 * time.Hour
	rerunAfter       = 2160 * time.Hour
	workingHours     = "09:00-18:00 Mon-Fri"
)

// Start starts a demo and returns once the bot is connected and the page
// is served. Close stops it.
func Start(ctx context.Context, cfg Config) (*Demo, error) {
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	hours, err := config.ParseWorkingHours(workingHours)
	if err != nil {
		return nil, err
	}
	start := cfg.Start
	if start.IsZero() {
		start = startTime(time.Now(), hours)
	}
	d := &Demo{
		clock: NewClock(start), hours: hours, log: log, token: randomToken(),
		changed: make(chan struct{}), seen: map[string]int{}, plays: map[string]string{}, notice: map[string]string{},
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if errors.Is(err, syscall.EADDRINUSE) {
		return nil, fmt.Errorf("--addr %s is already in use by another program: choose another, such as --addr 127.0.0.1:8090", cfg.Addr)
	}
	if err != nil {
		return nil, fmt.Errorf("--addr %s: cannot listen: %w", cfg.Addr, err)
	}
	ok := false
	defer func() {
		if !ok {
			ln.Close()
			d.stop()
		}
	}()
	if d.fake, err = slackfake.New(slackfake.WithTeam(teamID, teamDomain), slackfake.WithClock(d.clock.Now),
		slackfake.WithLogger(log.With(slog.String("component", "slackfake")))); err != nil {
		return nil, err
	}
	populate(d.fake, start)
	if d.store, err = storage.Open(ctx, cfg.DatabaseURL); err != nil {
		return nil, err
	}
	if err := d.store.Migrate(ctx, log); err != nil {
		return nil, err
	}
	d.bot, err = bot.New(bot.Options{
		Config: config.Config{
			BotToken: config.Secret(d.fake.BotToken()), AppToken: config.Secret(d.fake.AppToken()), APIURL: d.fake.URL(),
			Deadline: deadline, NudgeAfter: nudgeAfter, ActionDue: actionDue, ActionNudgeEvery: actionNudgeEvery,
			RerunAfter: rerunAfter, WorkingHours: hours,
		},
		Store:  d.store,
		Logger: log,
		Clock:  d.clock,
	})
	if err != nil {
		return nil, err
	}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	d.cancel, d.done = cancel, make(chan error, 1)
	go func() { d.done <- d.bot.Run(runCtx) }()
	wait, stopWaiting := context.WithTimeout(ctx, 30*time.Second)
	defer stopWaiting()
	if err := d.fake.WaitConnections(wait, 1); err != nil {
		return nil, fmt.Errorf("the bot did not connect to the demo's Slack: %w", err)
	}
	d.srv = &http.Server{Handler: d.routes(), ReadHeaderTimeout: 10 * time.Second}
	d.url = "http://" + ln.Addr().String()
	go func() {
		if err := d.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("demo page failed", slog.Any("error", err))
		}
	}()
	ok = true
	return d, nil
}

// URL is the page's address.
func (d *Demo) URL() string { return d.url }

// Close stops the page, the bot and the fake Slack, and closes the
// database connection.
func (d *Demo) Close() error {
	if d.srv != nil {
		d.srv.Close()
	}
	return d.stop()
}

func (d *Demo) stop() error {
	var err error
	if d.cancel != nil {
		d.cancel()
		select {
		case err = <-d.done:
		case <-time.After(30 * time.Second):
			err = errors.New("the bot did not stop within 30s")
		}
	}
	if d.store != nil {
		d.store.Close()
	}
	if d.fake != nil {
		d.fake.Close()
	}
	return err
}

// notify wakes the page's viewers for a change the fake Slack does not see
// (the clock, the demo answering for someone).
func (d *Demo) notify() {
	d.mu.Lock()
	defer d.mu.Unlock()
	close(d.changed)
	d.changed = make(chan struct{})
}

func (d *Demo) changes() <-chan struct{} {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.changed
}

func randomToken() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}
