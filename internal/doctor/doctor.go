// Package doctor checks an alignbot installation the way an operator would
// by hand, one thing at a time, and says for each what is right or exactly
// how to fix it: the bot token (auth.test), the scopes Slack says it granted
// against those manifests/alignbot.yaml asks for, the app-level token
// (apps.connections.open), a Socket Mode hello from the bot's own app,
// optionally a channel (the bot is a member and may post), the database
// (reachable, migrated, the embedded data directory usable), the time-zone
// data and the CA roots.
//
// It talks to Slack with the real slack-go client and a websocket, as the
// bot does, and never prints a secret: a token is named by its type
// (xoxb-, xapp-, xoxp-) and nothing more, the database by its host.
package doctor

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/slack-go/slack"
)

// Options say what to check.
type Options struct {
	// BotToken and AppToken are SLACK_BOT_TOKEN and SLACK_APP_TOKEN.
	BotToken, AppToken string
	// APIURL is SLACK_API_URL, ending in "/".
	APIURL string
	// Channel, when set, is a channel ID the bot should be able to post in.
	Channel string
	// Database opens the database without changing it, as `alignbot
	// export` does. Nil skips the database checks.
	Database func(ctx context.Context) (Database, error)
	// DataDir is the embedded PostgreSQL's directory when DATABASE_URL is
	// empty, "" otherwise.
	DataDir string
	// HelloTimeout bounds the wait for Socket Mode's hello; default 5s.
	HelloTimeout time.Duration
	// HTTPClient is used for Slack; default http.DefaultClient.
	HTTPClient *http.Client
	// Now tells the time; default time.Now.
	Now func() time.Time
}

// Database is what the database checks need of an open database.
type Database interface {
	Ping(ctx context.Context) error
	CheckMigrated(ctx context.Context) error
	SchemaVersion(ctx context.Context) (int, error)
	Close() error
}

// Result is one check's outcome.
type Result struct {
	Name string
	OK   bool
	// Detail says what was found.
	Detail string
	// Fix says what to do, when not OK.
	Fix string
}

// String is the result as doctor prints it: one line, and for a failure
// the fix on the next.
func (r Result) String() string {
	mark := "✓"
	if !r.OK {
		mark = "✗"
	}
	line := mark + " " + r.Name + ": " + r.Detail
	if !r.OK && r.Fix != "" {
		line += "\n    fix: " + r.Fix
	}
	return line
}

// Run runs every check in order, writing each result to w as soon as it is
// known, and reports whether all passed.
func Run(ctx context.Context, w io.Writer, opts Options) bool {
	if opts.HelloTimeout <= 0 {
		opts.HelloTimeout = 5 * time.Second
	}
	if opts.HTTPClient == nil {
		opts.HTTPClient = http.DefaultClient
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	d := &doctor{opts: opts, headers: &headerRecorder{client: opts.HTTPClient}}
	d.api = slack.New(opts.BotToken, slack.OptionAppLevelToken(opts.AppToken),
		slack.OptionAPIURL(opts.APIURL), slack.OptionHTTPClient(d.headers))
	checks := []func(context.Context) Result{d.botToken, d.botScopes, d.appToken, d.socketHello}
	if opts.Channel != "" {
		checks = append(checks, d.channel)
	}
	if opts.DataDir != "" {
		checks = append(checks, d.dataDir)
	}
	if opts.Database != nil {
		checks = append(checks, d.database)
	}
	checks = append(checks, timeZones, caRoots)
	ok := true
	for _, check := range checks {
		r := check(ctx)
		ok = ok && r.OK
		fmt.Fprintln(w, r)
	}
	return ok
}

// doctor carries what one check learns for the next.
type doctor struct {
	opts    Options
	api     *slack.Client
	headers *headerRecorder

	bot       *slack.AuthTestResponse // nil unless the bot token works
	botApp    string                  // the bot's app ID, "" when bots.info could not say
	scopes    []string                // granted to the bot token
	socketURL string                  // from apps.connections.open, "" if it failed
}

// headerRecorder is slack-go's HTTP client, keeping the headers of the last
// answer to each method: Slack names a token's scopes only in X-OAuth-Scopes.
type headerRecorder struct {
	client *http.Client
	last   map[string]http.Header
}

func (h *headerRecorder) Do(r *http.Request) (*http.Response, error) {
	resp, err := h.client.Do(r)
	if err == nil {
		if h.last == nil {
			h.last = map[string]http.Header{}
		}
		h.last[r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:]] = resp.Header.Clone()
	}
	return resp, err
}

// tokenType names a token by its prefix, the one part of it doctor shows.
func tokenType(token string) string {
	for _, t := range []struct{ prefix, name string }{
		{"xoxb-", "a bot token (xoxb-)"}, {"xapp-", "an app-level token (xapp-)"},
		{"xoxp-", "a user token (xoxp-)"}, {"xoxe.", "a refresh token (xoxe.)"}, {"xoxe-", "a refresh token (xoxe-)"},
	} {
		if strings.HasPrefix(token, t.prefix) {
			return t.name
		}
	}
	return "not a Slack token (no xoxb-, xapp- or xoxp- prefix)"
}

// slackCode returns Slack's error code, "" when err is not a Slack error.
func slackCode(err error) string {
	var se slack.SlackErrorResponse
	if errors.As(err, &se) {
		return se.Err
	}
	return ""
}

// unreachable describes a call that got no answer from Slack, without the
// URL (which may carry a proxy's password).
func (d *doctor) unreachable(what string, err error) Result {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	var rl *slack.RateLimitedError
	if errors.As(err, &rl) {
		return Result{Name: what, Detail: fmt.Sprintf("Slack asked to wait %s (rate limited)", rl.RetryAfter),
			Fix: "run alignbot doctor again in a minute"}
	}
	host := "SLACK_API_URL"
	if u, perr := url.Parse(d.opts.APIURL); perr == nil {
		host = u.Host
	}
	return Result{Name: what, Detail: fmt.Sprintf("no answer from Slack at %s: %v", host, err),
		Fix: "check this machine's network (and proxy) reaches Slack, and SLACK_API_URL (GovSlack: https://slack-gov.com/api/)"}
}

const botTokenWhere = "copy the Bot User OAuth Token (xoxb-…) from OAuth & Permissions at https://api.slack.com/apps into SLACK_BOT_TOKEN"

func (d *doctor) botToken(ctx context.Context) Result {
	const name = "bot token"
	token := d.opts.BotToken
	if token == "" {
		return Result{Name: name, Detail: "SLACK_BOT_TOKEN is not set", Fix: botTokenWhere + " (install the app to the workspace first)"}
	}
	auth, err := d.api.AuthTestContext(ctx)
	switch code := slackCode(err); {
	case err == nil && auth.BotID == "":
		return Result{Name: name, Detail: fmt.Sprintf("SLACK_BOT_TOKEN is %s, of the person %s (%s), not the app's bot", tokenType(token), auth.User, auth.UserID),
			Fix: "use the Bot User OAuth Token (xoxb-…), not the User OAuth Token, from OAuth & Permissions into SLACK_BOT_TOKEN"}
	case err == nil:
		d.bot = auth
		if info, err := d.api.GetBotInfoContext(ctx, slack.GetBotInfoParameters{Bot: auth.BotID}); err == nil {
			d.botApp = info.AppID
		}
		return Result{Name: name, OK: true, Detail: fmt.Sprintf("bot @%s (%s, bot %s) in workspace %s (%s, %s)",
			auth.User, auth.UserID, auth.BotID, auth.Team, auth.TeamID, auth.URL)}
	case code == "not_allowed_token_type" || code == "invalid_auth" && !strings.HasPrefix(token, "xoxb-"):
		fix := botTokenWhere
		if strings.HasPrefix(token, "xapp-") {
			fix = "this token belongs in SLACK_APP_TOKEN; " + botTokenWhere
		}
		return Result{Name: name, Detail: fmt.Sprintf("SLACK_BOT_TOKEN is %s, which Slack refuses here (%s)", tokenType(token), code), Fix: fix}
	case code == "invalid_auth":
		return Result{Name: name, Detail: "Slack does not know this bot token (invalid_auth)",
			Fix: botTokenWhere + "; reinstalling the app or rotating its tokens replaces the old one"}
	case code == "token_revoked" || code == "account_inactive" || code == "token_expired":
		return Result{Name: name, Detail: fmt.Sprintf("Slack no longer accepts this bot token (%s)", code),
			Fix: "reinstall the app (OAuth & Permissions → Reinstall to Workspace), then " + botTokenWhere}
	case code != "":
		return Result{Name: name, Detail: fmt.Sprintf("auth.test failed: %s", code), Fix: botTokenWhere}
	}
	return d.unreachable(name, err)
}

func (d *doctor) botScopes(context.Context) Result {
	const name = "bot scopes"
	if d.bot == nil {
		return Result{Name: name, Detail: "not checked: the bot token does not work", Fix: "fix the bot token first"}
	}
	header, ok := d.headers.last["auth.test"]["X-Oauth-Scopes"]
	if !ok {
		return Result{Name: name, Detail: "Slack's answer named no scopes (no X-OAuth-Scopes header)",
			Fix: "check that SLACK_API_URL is Slack's Web API (https://slack.com/api/), not a proxy that drops headers"}
	}
	granted := map[string]bool{}
	for _, h := range header {
		for s := range strings.SplitSeq(h, ",") {
			if s = strings.TrimSpace(s); s != "" {
				granted[s] = true
				d.scopes = append(d.scopes, s)
			}
		}
	}
	wanted := wantedScopes()
	var missing []string
	for _, s := range wanted {
		if !granted[s] {
			missing = append(missing, s)
		}
	}
	if len(missing) > 0 {
		return Result{Name: name, Detail: "not granted: " + strings.Join(missing, ", "),
			Fix: "add " + quoteList(missing) + " under OAuth & Permissions → Bot Token Scopes (or paste manifests/alignbot.yaml again under App Manifest), then Reinstall to Workspace"}
	}
	return Result{Name: name, OK: true, Detail: fmt.Sprintf("all %d the manifest asks for are granted", len(wanted))}
}

// quoteList writes scopes as `a`, `b` and `c`.
func quoteList(items []string) string {
	q := make([]string, len(items))
	for i, s := range items {
		q[i] = "`" + s + "`"
	}
	if len(q) == 1 {
		return q[0]
	}
	return strings.Join(q[:len(q)-1], ", ") + " and " + q[len(q)-1]
}

const appTokenWhere = "under Basic Information → App-Level Tokens, generate a token with the connections:write scope and put it (xapp-…) in SLACK_APP_TOKEN"

func (d *doctor) appToken(ctx context.Context) Result {
	const name = "app token"
	token := d.opts.AppToken
	if token == "" {
		return Result{Name: name, Detail: "SLACK_APP_TOKEN is not set", Fix: appTokenWhere}
	}
	_, socketURL, err := d.api.StartSocketModeContext(ctx)
	var se slack.SlackErrorResponse
	errors.As(err, &se)
	switch code := se.Err; {
	case err == nil:
		d.socketURL = socketURL
		return Result{Name: name, OK: true, Detail: "valid, with connections:write (apps.connections.open gave a Socket Mode URL)"}
	case code == "missing_scope":
		has := se.Provided
		if has == "" {
			has = "none"
		}
		return Result{Name: name, Detail: fmt.Sprintf("the app-level token lacks connections:write (it has: %s)", has),
			Fix: "app-level tokens cannot gain scopes: " + appTokenWhere + ", and revoke the old one"}
	case code == "not_allowed_token_type" || code == "invalid_auth" && !strings.HasPrefix(token, "xapp-"):
		fix := appTokenWhere
		if strings.HasPrefix(token, "xoxb-") {
			fix = "this token belongs in SLACK_BOT_TOKEN; " + appTokenWhere
		}
		return Result{Name: name, Detail: fmt.Sprintf("SLACK_APP_TOKEN is %s, which Slack refuses here (%s)", tokenType(token), code), Fix: fix}
	case code == "invalid_auth" || code == "token_revoked":
		return Result{Name: name, Detail: fmt.Sprintf("Slack does not accept this app-level token (%s)", code),
			Fix: "copy it again from Basic Information → App-Level Tokens, or " + strings.TrimPrefix(appTokenWhere, "under ")}
	case code != "":
		return Result{Name: name, Detail: "apps.connections.open failed: " + code, Fix: appTokenWhere}
	}
	return d.unreachable(name, err)
}

func (d *doctor) channel(ctx context.Context) Result {
	name := "channel " + d.opts.Channel
	if d.bot == nil {
		return Result{Name: name, Detail: "not checked: the bot token does not work", Fix: "fix the bot token first"}
	}
	return d.checkChannel(ctx, name)
}
