package doctor

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/websocket"
	"github.com/slack-go/slack"

	"github.com/alignbot/alignbot/internal/pgembed"
	"github.com/alignbot/alignbot/manifests"
	"github.com/alignbot/alignbot/storage"
)

// wantedScopes are the bot scopes the manifest asks for.
func wantedScopes() []string { return manifests.BotScopes() }

// socketHello opens a Socket Mode connection and waits for Slack's hello,
// then closes it at once: while it is open Slack may hand it an envelope
// meant for a running bot, which then reaches that bot only if Slack
// redelivers it.
func (d *doctor) socketHello(ctx context.Context) Result {
	const name = "socket mode"
	if d.socketURL == "" {
		return Result{Name: name, Detail: "not checked: the app token does not work", Fix: "fix the app token first"}
	}
	timeout := d.opts.HelloTimeout
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	started := time.Now()
	dialer := websocket.Dialer{Proxy: http.ProxyFromEnvironment, HandshakeTimeout: timeout}
	ws, resp, err := dialer.DialContext(ctx, d.socketURL, http.Header{"Origin": {"https://api.slack.com"}})
	if resp != nil && resp.Body != nil {
		resp.Body.Close()
	}
	if err != nil {
		return Result{Name: name, Detail: "could not open the websocket Slack handed out: " + dialError(err),
			Fix: "let this machine open outbound websockets (wss://, port 443) to Slack: check the proxy and firewall"}
	}
	defer ws.Close()
	if deadline, ok := ctx.Deadline(); ok {
		ws.SetReadDeadline(deadline)
	}
	var first struct {
		Type           string `json:"type"`
		Reason         string `json:"reason"`
		NumConnections int    `json:"num_connections"`
		ConnectionInfo struct {
			AppID string `json:"app_id"`
		} `json:"connection_info"`
	}
	err = ws.ReadJSON(&first)
	took := time.Since(started)
	ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
	switch {
	case err != nil && took >= timeout:
		return Result{Name: name, Detail: fmt.Sprintf("no hello from Slack within %s", timeout),
			Fix: "let this machine keep outbound websockets to Slack open (a proxy may hold or cut them), then try again"}
	case err != nil:
		return Result{Name: name, Detail: "the websocket closed before Slack said hello: " + dialError(err),
			Fix: "turn on Socket Mode (Settings → Socket Mode), and let websockets to Slack through the proxy"}
	case first.Type == "disconnect" && first.Reason == "link_disabled":
		return Result{Name: name, Detail: "Slack refused the connection: Socket Mode is off for this app",
			Fix: "turn on Settings → Socket Mode → Enable Socket Mode (or paste manifests/alignbot.yaml again under App Manifest)"}
	case first.Type != "hello":
		return Result{Name: name, Detail: fmt.Sprintf("Slack sent %q instead of hello", first.Type+" "+first.Reason),
			Fix: "run alignbot doctor again; if it persists, check Slack's status page"}
	}
	if app := first.ConnectionInfo.AppID; d.botApp != "" && app != "" && app != d.botApp {
		return Result{Name: name, Detail: fmt.Sprintf("the app-level token is app %s's and the bot token app %s's: the bot would hear none of the commands and clicks meant for it", app, d.botApp),
			Fix: "take both tokens from the same app at https://api.slack.com/apps: the Bot User OAuth Token from its OAuth & Permissions, the app-level token from its Basic Information"}
	}
	others := ""
	if n := first.NumConnections - 1; n > 0 {
		others = fmt.Sprintf("; %d other connection(s) of this app open, running replicas included", n)
	}
	return Result{Name: name, OK: true, Detail: fmt.Sprintf("Slack said hello in %s (app %s%s)", took.Round(time.Millisecond), first.ConnectionInfo.AppID, others)}
}

// dialError is a websocket error without its URL, which holds a ticket.
func dialError(err error) string {
	msg := err.Error()
	if i := strings.LastIndex(msg, ": "); i >= 0 && strings.Contains(msg[:i], "ticket=") {
		msg = msg[i+2:]
	}
	return msg
}

// probeAhead is how far ahead the channel check schedules its message: far
// enough that, should the delete fail, someone has days to remove it.
const probeAhead = 7 * 24 * time.Hour

// checkChannel checks that the bot is a member of the channel and may post
// there, without posting: Slack checks a scheduled message as it checks a
// post (membership, posting permissions, archived channels), and the one
// doctor schedules is deleted at once.
func (d *doctor) checkChannel(ctx context.Context, name string) Result {
	id := d.opts.Channel
	info, err := d.api.GetConversationInfoContext(ctx, &slack.GetConversationInfoInput{ChannelID: id})
	var se slack.SlackErrorResponse
	errors.As(err, &se)
	switch {
	case err == nil:
	case se.Err == "channel_not_found":
		return Result{Name: name, Detail: "the bot cannot see this channel",
			Fix: "check the ID (channel details → About → Channel ID); a private channel stays hidden from the bot until it is invited: type /invite @" + d.bot.User + " in the channel"}
	case se.Err == "missing_scope":
		return Result{Name: name, Detail: "the bot token lacks " + se.Needed,
			Fix: "add " + quoteList(strings.Split(se.Needed, ",")) + " under OAuth & Permissions → Bot Token Scopes, then Reinstall to Workspace"}
	case se.Err != "":
		return Result{Name: name, Detail: "conversations.info failed: " + se.Err, Fix: "check the channel ID"}
	default:
		return d.unreachable(name, err)
	}
	channel := "#" + info.Name
	switch {
	case info.IsArchived:
		return Result{Name: name, Detail: channel + " is archived", Fix: "unarchive " + channel + " or choose another channel"}
	case !info.IsMember:
		return Result{Name: name, Detail: "the bot is not a member of " + channel, Fix: "type /invite @" + d.bot.User + " in " + channel}
	}
	postAt := d.opts.Now().Add(probeAhead)
	_, scheduled, err := d.api.ScheduleMessageContext(ctx, id, strconv.FormatInt(postAt.Unix(), 10),
		slack.MsgOptionText("alignbot doctor checked that it may post here. This message is deleted right away; if you see it, delete it.", false))
	se = slack.SlackErrorResponse{}
	errors.As(err, &se)
	switch {
	case err == nil:
	case se.Err == "restricted_action" || se.Err == "ekm_access_denied":
		return Result{Name: name, Detail: "the bot may not post in " + channel + " (" + se.Err + ")",
			Fix: "let members and apps post in " + channel + " (channel settings → Posting permissions), or choose another channel"}
	case se.Err == "not_in_channel":
		return Result{Name: name, Detail: "the bot is not a member of " + channel, Fix: "type /invite @" + d.bot.User + " in " + channel}
	case se.Err == "missing_scope":
		return Result{Name: name, Detail: "the bot token lacks " + se.Needed,
			Fix: "add " + quoteList(strings.Split(se.Needed, ",")) + " under OAuth & Permissions → Bot Token Scopes, then Reinstall to Workspace"}
	case se.Err != "":
		return Result{Name: name, Detail: "Slack refused a message in " + channel + ": " + se.Err, Fix: "check the channel's posting permissions"}
	default:
		return d.unreachable(name, err)
	}
	if _, err := d.api.DeleteScheduledMessageContext(context.WithoutCancel(ctx), &slack.DeleteScheduledMessageParameters{Channel: id, ScheduledMessageID: scheduled}); err != nil {
		return Result{Name: name, Detail: fmt.Sprintf("the bot may post in %s, but the check message scheduled for %s could not be deleted (%v)", channel, postAt.UTC().Format(time.RFC1123), err),
			Fix: "delete it before then: in Slack, open " + channel + ", choose the scheduled messages above the message box, and delete alignbot's"}
	}
	return Result{Name: name, OK: true, Detail: "the bot is a member of " + channel + " and may post there"}
}

func (d *doctor) dataDir(ctx context.Context) Result {
	const name = "data directory"
	dir, err := filepath.Abs(d.opts.DataDir)
	if err != nil {
		return Result{Name: name, Detail: err.Error(), Fix: "set ALIGNBOT_DATA_DIR to a directory such as ./alignbot-data"}
	}
	probe := dir
	if _, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) {
		probe = filepath.Dir(dir)
	}
	f, err := os.CreateTemp(probe, ".alignbot-doctor-*")
	if err != nil {
		return Result{Name: name, Detail: fmt.Sprintf("cannot write in %s: %v", probe, errors.Unwrap(err)),
			Fix: "let the user alignbot runs as write there, or set ALIGNBOT_DATA_DIR to a directory it may write (or DATABASE_URL to your own PostgreSQL)"}
	}
	f.Close()
	os.Remove(f.Name())
	if pgembed.Available(ctx) != nil {
		return Result{Name: name, Detail: "no PostgreSQL server binaries on this machine for the embedded database",
			Fix: "install PostgreSQL's server (Debian/Ubuntu: apt install postgresql), or set DATABASE_URL to your own PostgreSQL"}
	}
	if probe != dir {
		return Result{Name: name, OK: true, Detail: dir + " does not exist yet; the first start creates it"}
	}
	return Result{Name: name, OK: true, Detail: dir + " is writable"}
}

func (d *doctor) database(ctx context.Context) Result {
	const name = "database"
	db, err := d.opts.Database(ctx)
	switch {
	case errors.Is(err, pgembed.ErrDataDirInUse):
		return Result{Name: name, OK: true, Detail: "the embedded PostgreSQL is in use by a running alignbot, which migrated it when it started; stop it to check the schema here"}
	case errors.Is(err, ErrNoDatabase):
		// Before the first start there is nothing to fix: the data
		// directory check said the bot can create it.
		return Result{Name: name, OK: true, Detail: "none yet: the bot creates and migrates the embedded database when it first starts"}
	case err != nil:
		return Result{Name: name, Detail: err.Error(), Fix: "check DATABASE_URL (user, password, host, port, database, sslmode) and that the server accepts connections from this machine"}
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.Ping(ctx); err != nil {
		return Result{Name: name, Detail: "unreachable", Fix: "check that PostgreSQL is running and reachable"}
	}
	err = db.CheckMigrated(ctx)
	var schema *storage.SchemaError
	switch {
	case err == nil:
		v, _ := db.SchemaVersion(ctx)
		return Result{Name: name, OK: true, Detail: fmt.Sprintf("reachable, schema at version %d, this alignbot's", v)}
	case errors.As(err, &schema) && schema.Version == 0:
		return Result{Name: name, OK: true, Detail: "reachable and empty: the bot creates its tables when it first starts (or run `alignbot migrate`)"}
	case errors.As(err, &schema) && schema.Version > schema.Want:
		return Result{Name: name, Detail: fmt.Sprintf("the schema is at version %d, newer than this alignbot's %d", schema.Version, schema.Want),
			Fix: "run the newest alignbot, as the replicas that migrated it do"}
	case errors.As(err, &schema):
		return Result{Name: name, Detail: err.Error(), Fix: "run `alignbot migrate`, or start the bot, which migrates at start"}
	}
	return Result{Name: name, Detail: err.Error(), Fix: "check that the DATABASE_URL user may read the database"}
}

// ErrNoDatabase is what Options.Database returns when the embedded
// PostgreSQL has no cluster yet.
var ErrNoDatabase = errors.New("no database yet")

// zones are time zones people of a workspace live in, a few of each kind
// (with and without daylight saving time, a half-hour offset).
var zones = []string{"America/New_York", "Europe/Berlin", "Asia/Kolkata", "Australia/Sydney"}

func timeZones(context.Context) Result {
	const name = "time zones"
	for _, z := range zones {
		if _, err := time.LoadLocation(z); err != nil {
			return Result{Name: name, Detail: fmt.Sprintf("cannot load %s: %v", z, err),
				Fix: "install the time-zone data (Debian/Ubuntu: apt install tzdata), or use alignbot's release binary or image, which embed it"}
		}
	}
	return Result{Name: name, OK: true, Detail: strings.Join(zones, ", ") + " load"}
}

func caRoots(context.Context) Result {
	const name = "CA roots"
	fix := "install the CA certificates (Debian/Ubuntu: apt install ca-certificates), or use alignbot's release binary or image, which embed Mozilla's"
	pool, err := x509.SystemCertPool()
	if err != nil {
		return Result{Name: name, Detail: err.Error(), Fix: fix}
	}
	// Subjects lists a pool's certificates; on Linux that includes the
	// system's (or the embedded fallback's) roots.
	n := len(pool.Subjects()) //nolint:staticcheck // counting, not verifying
	if n == 0 {
		return Result{Name: name, Detail: "no trusted root certificates", Fix: fix}
	}
	return Result{Name: name, OK: true, Detail: fmt.Sprintf("%d trusted root certificates to check Slack's TLS certificate with", n)}
}
