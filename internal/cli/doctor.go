package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"regexp"

	"github.com/alignbot/alignbot/internal/config"
	"github.com/alignbot/alignbot/internal/doctor"
)

const doctorUsage = `Usage: alignbot doctor [--channel C123]

Checks, in order, and prints one line each, with the fix for what fails:
the bot token (auth.test: valid, a bot token, which workspace and bot), the
scopes Slack granted it against those manifests/alignbot.yaml asks for, the
app-level token (apps.connections.open: valid, connections:write), a Socket
Mode hello from the bot's own app, with --channel the channel (the bot is a
member and may post; nothing is posted), the database (reachable, migrated; the embedded data
directory usable), the time-zone data and the CA roots. It changes nothing
and prints no secret. Exits 0 when every check passes, 1 otherwise.

It opens a Socket Mode connection for a moment: run it before starting the
bot, or know that an event Slack hands that connection reaches the bot only
when Slack redelivers it.

Configuration (environment): SLACK_BOT_TOKEN, SLACK_APP_TOKEN,
SLACK_API_URL, DATABASE_URL or ALIGNBOT_DATA_DIR. See alignbot help.
`

// errDoctorFailed says doctor found something to fix; it has said what.
var errDoctorFailed = errors.New("doctor: not every check passed; fix what is marked ✗ above and run alignbot doctor again")

var channelID = regexp.MustCompile(`^[CG][A-Z0-9]{2,}$`)

func doctorCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	flags := flag.NewFlagSet("doctor", flag.ContinueOnError)
	channel := flags.String("channel", "", "a channel `ID` (C…) the bot should be able to post in")
	if err := parseFlags(flags, args, doctorUsage, stdout); err != nil {
		return err
	}
	if *channel != "" && !channelID.MatchString(*channel) {
		return usageError{"doctor: --channel wants a channel ID such as C0123456789 (channel details → About → Channel ID)", commandUsage(flags, doctorUsage)}
	}
	slack, err := config.LoadSlack()
	if err != nil {
		return err
	}
	db, err := config.LoadDatabase()
	if err != nil {
		return err
	}
	opts := doctor.Options{
		BotToken: slack.BotToken.Value(),
		AppToken: slack.AppToken.Value(),
		APIURL:   slack.APIURL,
		Channel:  *channel,
		Database: func(ctx context.Context) (doctor.Database, error) {
			store, closeStore, err := openStorage(ctx, db, newLogger(io.Discard, config.LogJSON), inspect)
			if errors.Is(err, errNoDatabase) {
				return nil, doctor.ErrNoDatabase
			}
			if err != nil {
				return nil, err
			}
			return closingStore{store, closeStore}, nil
		},
	}
	if db.URL.Value() == "" {
		opts.DataDir = db.DataDir
	}
	fmt.Fprintln(stdout, "alignbot doctor")
	if !doctor.Run(ctx, stdout, opts) {
		return errDoctorFailed
	}
	return nil
}

// closingStore is an open store whose Close also stops the embedded
// PostgreSQL it may run on.
type closingStore struct {
	doctor.Database
	release func()
}

func (c closingStore) Close() error {
	c.release()
	return nil
}
