package slackfake

import (
	"log/slog"
	"time"
)

// Defaults for a new Server. They are exported so a test can compare against
// them without starting a server.
const (
	DefaultTeamID     = "T0000FAKE"
	DefaultTeamDomain = "alignbot-test"
	DefaultBotUserID  = "U0000BOT1"
	DefaultBotID      = "B0000BOT1"
	DefaultAppID      = "A0000APP1"
	DefaultBotToken   = "xoxb-0000-fake-bot-token"
	DefaultAppToken   = "xapp-1-A0000APP1-fake-app-token"
	DefaultCommand    = "/alignment"

	// DefaultTriggerTTL is how long a trigger_id can open a modal (Slack: 3 s).
	DefaultTriggerTTL = 3 * time.Second
	// DefaultAckTimeout is how long Slack waits for an envelope's ack (3 s).
	DefaultAckTimeout = 3 * time.Second
	// DefaultMaxRetries is how many times Slack redelivers an unacked event.
	DefaultMaxRetries = 3
	// DefaultPingInterval is how often the server pings each socket. slack-go
	// reconnects when it hears no ping for 30 s.
	DefaultPingInterval = 10 * time.Second
	// DefaultResponseURLUses is how many posts a response_url accepts.
	DefaultResponseURLUses = 5
	// DefaultResponseURLTTL is how long a response_url works.
	DefaultResponseURLTTL = 30 * time.Minute
)

// Envelope types of Socket Mode, as they appear in an envelope's "type".
const (
	EnvelopeSlashCommands = "slash_commands"
	EnvelopeInteractive   = "interactive"
	EnvelopeEventsAPI     = "events_api"
)

// Option configures a Server.
type Option func(*config)

type config struct {
	teamID, teamDomain, teamName string
	botUserID, botID, appID      string
	botName                      string
	botToken, appToken           string
	verificationToken            string
	command                      string
	triggerTTL                   time.Duration
	ackTimeout                   time.Duration
	maxRetries                   int
	redeliver                    map[string]bool
	pingInterval                 time.Duration
	responseURLUses              int
	responseURLTTL               time.Duration
	rateLimits                   *RateLimits
	seed                         uint64
	logger                       *slog.Logger
	clock                        func() time.Time
}

func defaultConfig() config {
	return config{
		teamID:            DefaultTeamID,
		teamDomain:        DefaultTeamDomain,
		teamName:          "Alignbot Test",
		botUserID:         DefaultBotUserID,
		botID:             DefaultBotID,
		appID:             DefaultAppID,
		botName:           "alignbot",
		botToken:          DefaultBotToken,
		appToken:          DefaultAppToken,
		verificationToken: "fakeverificationtoken",
		command:           DefaultCommand,
		triggerTTL:        DefaultTriggerTTL,
		ackTimeout:        DefaultAckTimeout,
		maxRetries:        DefaultMaxRetries,
		redeliver:         map[string]bool{EnvelopeEventsAPI: true},
		pingInterval:      DefaultPingInterval,
		responseURLUses:   DefaultResponseURLUses,
		responseURLTTL:    DefaultResponseURLTTL,
		rateLimits:        new(SlackRateLimits()),
		seed:              1,
		logger:            slog.New(slog.DiscardHandler),
		clock:             time.Now,
	}
}

// WithTeam sets the workspace's team ID and domain.
func WithTeam(id, domain string) Option {
	return func(c *config) { c.teamID, c.teamDomain = id, domain }
}

// WithBot sets the bot's user ID, its bot ID (B…) and the app ID (A…).
func WithBot(userID, botID, appID string) Option {
	return func(c *config) { c.botUserID, c.botID, c.appID = userID, botID, appID }
}

// WithTokens sets the bot token (xoxb-…) and the app-level token (xapp-…)
// that the server accepts.
func WithTokens(botToken, appToken string) Option {
	return func(c *config) { c.botToken, c.appToken = botToken, appToken }
}

// WithCommand sets the slash command that SlashCommand invokes.
func WithCommand(name string) Option {
	return func(c *config) { c.command = name }
}

// WithTriggerTTL sets how long after an interaction its trigger_id can still
// open a modal.
func WithTriggerTTL(d time.Duration) Option {
	return func(c *config) { c.triggerTTL = d }
}

// WithAckTimeout sets how long the server waits for an envelope's ack before
// it redelivers the envelope (or, for types that Slack does not redeliver,
// gives up on it).
func WithAckTimeout(d time.Duration) Option {
	return func(c *config) { c.ackTimeout = d }
}

// WithMaxRetries sets how many times an unacked envelope is redelivered.
func WithMaxRetries(n int) Option {
	return func(c *config) { c.maxRetries = n }
}

// WithRedelivery sets which envelope types are redelivered when they are not
// acknowledged in time. Slack redelivers events_api envelopes only (the
// default); a slash command or a click that is not acked fails for the person
// instead. Pass several types to make the fake stricter than Slack.
func WithRedelivery(envelopeTypes ...string) Option {
	return func(c *config) {
		c.redeliver = make(map[string]bool, len(envelopeTypes))
		for _, t := range envelopeTypes {
			c.redeliver[t] = true
		}
	}
}

// WithPingInterval sets how often the server sends a websocket ping on each
// Socket Mode connection.
func WithPingInterval(d time.Duration) Option {
	return func(c *config) { c.pingInterval = d }
}

// WithResponseURLLimits sets how many posts a response_url accepts and for how
// long it works.
func WithResponseURLLimits(uses int, ttl time.Duration) Option {
	return func(c *config) { c.responseURLUses, c.responseURLTTL = uses, ttl }
}

// WithRateLimits replaces the rate limits, which are SlackRateLimits() by
// default. To change one method's limit, start from SlackRateLimits() and
// edit its Methods.
func WithRateLimits(l RateLimits) Option {
	return func(c *config) { c.rateLimits = &l }
}

// WithoutRateLimits turns the rate limits off, for a test that makes many
// calls quickly and is not about pacing. A response_url still accepts only
// its few uses (WithResponseURLLimits).
func WithoutRateLimits() Option {
	return func(c *config) { c.rateLimits = nil }
}

// WithSeed seeds the generator behind IDs and probabilistic faults, so that a
// run can be repeated.
func WithSeed(seed uint64) Option {
	return func(c *config) { c.seed = seed }
}

// WithLogger makes the server log what it does. It is silent by default.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) { c.logger = l }
}

// WithClock replaces the clock used for message timestamps, trigger and
// response_url expiry and rate limits. Ack timeouts and pings use real time.
func WithClock(now func() time.Time) Option {
	return func(c *config) { c.clock = now }
}
