// Package config reads alignbot's configuration from the environment.
//
// Every variable is described once, in the Config struct's tags; Usage prints
// them all with their defaults. Tokens are of type Secret, which never prints
// its value.
package config

import (
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/kelseyhightower/envconfig"
)

// Config is alignbot's whole configuration.
type Config struct {
	BotToken Secret `envconfig:"SLACK_BOT_TOKEN" required:"true" desc:"bot token (xoxb-…)"`
	AppToken Secret `envconfig:"SLACK_APP_TOKEN" required:"true" desc:"app-level token for Socket Mode (xapp-…), with connections:write"`
	APIURL   string `envconfig:"SLACK_API_URL" default:"https://slack.com/api/" desc:"Slack Web API base URL (GovSlack: https://slack-gov.com/api/)"`
	Database
	Deadline         time.Duration `envconfig:"ALIGNBOT_DEADLINE" default:"168h" desc:"time respondents have to answer"`
	NudgeAfter       time.Duration `envconfig:"ALIGNBOT_NUDGE_AFTER" default:"48h" desc:"first nudge to a respondent who has not submitted, then every …"`
	ActionDue        time.Duration `envconfig:"ALIGNBOT_ACTION_DUE" default:"720h" desc:"an owner's action window"`
	ActionNudgeEvery time.Duration `envconfig:"ALIGNBOT_ACTION_NUDGE_EVERY" default:"168h" desc:"owner nudge cadence until the action is done"`
	RerunAfter       time.Duration `envconfig:"ALIGNBOT_RERUN_AFTER" default:"2160h" desc:"next round booked this long after a reveal"`
	WorkingHours     WorkingHours  `envconfig:"ALIGNBOT_WORKING_HOURS" default:"09:00-18:00 Mon-Fri" desc:"DMs only inside the recipient's local working hours; empty = any time"`
	HTTPAddr         string        `envconfig:"ALIGNBOT_HTTP_ADDR" default:":8080" desc:"health and metrics listener; empty disables it"`
}

// Database says where alignbot keeps its state. Commands that only touch the
// database (migrate, export) need nothing else.
type Database struct {
	URL     Secret `envconfig:"DATABASE_URL" desc:"PostgreSQL URL; empty runs an embedded PostgreSQL under ALIGNBOT_DATA_DIR"`
	DataDir string `envconfig:"ALIGNBOT_DATA_DIR" default:"./alignbot-data" desc:"where the embedded PostgreSQL keeps its data (kept across restarts)"`
}

// LoadDatabase reads only the database settings.
func LoadDatabase() (Database, error) {
	var d Database
	if err := envconfig.Process("", &d); err != nil {
		return Database{}, explain(err)
	}
	if err := d.validate(); err != nil {
		return Database{}, err
	}
	return d, nil
}

func (d Database) validate() error {
	if d.URL.Value() == "" && d.DataDir == "" {
		return errors.New("ALIGNBOT_DATA_DIR: must not be empty when DATABASE_URL is unset")
	}
	return nil
}

// Load reads the configuration from the environment. Errors name the
// variable at fault and never quote a secret.
func Load() (Config, error) {
	var c Config
	if err := envconfig.Process("", &c); err != nil {
		return Config{}, explain(err)
	}
	if err := c.validate(); err != nil {
		return Config{}, err
	}
	return c, nil
}

func explain(err error) error {
	var perr *envconfig.ParseError
	if errors.As(err, &perr) {
		hint := ""
		switch perr.TypeName {
		case "Duration":
			hint = ` (want a duration such as "48h" or "90m")`
		case "WorkingHours":
			hint = fmt.Sprintf(": %v", perr.Err)
		}
		return fmt.Errorf("%s: invalid value%s", perr.KeyName, hint)
	}
	// envconfig's other errors ("required key X missing value") name the key
	// and carry no value.
	return err
}

func (c *Config) validate() error {
	if !strings.HasPrefix(c.BotToken.Value(), "xoxb-") {
		return errors.New("SLACK_BOT_TOKEN: must be a bot token starting with xoxb-")
	}
	if !strings.HasPrefix(c.AppToken.Value(), "xapp-") {
		return errors.New("SLACK_APP_TOKEN: must be an app-level token starting with xapp-")
	}
	u, err := url.Parse(c.APIURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return errors.New("SLACK_API_URL: must be an http(s) URL such as https://slack.com/api/")
	}
	// slack-go builds method URLs as base + "chat.postMessage".
	if !strings.HasSuffix(c.APIURL, "/") {
		c.APIURL += "/"
	}
	for _, d := range []struct {
		name  string
		value time.Duration
	}{
		{"ALIGNBOT_DEADLINE", c.Deadline},
		{"ALIGNBOT_NUDGE_AFTER", c.NudgeAfter},
		{"ALIGNBOT_ACTION_DUE", c.ActionDue},
		{"ALIGNBOT_ACTION_NUDGE_EVERY", c.ActionNudgeEvery},
		{"ALIGNBOT_RERUN_AFTER", c.RerunAfter},
	} {
		if d.value <= 0 {
			return fmt.Errorf("%s: must be positive, got %s", d.name, d.value)
		}
	}
	return c.Database.validate()
}

// Usage writes a table of every variable with its default and description.
func Usage(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	const format = `VARIABLE	DEFAULT	REQUIRED	DESCRIPTION
{{range .}}{{usage_key .}}	{{usage_default .}}	{{usage_required .}}	{{usage_description .}}
{{end}}`
	if err := envconfig.Usagef("", &Config{}, tw, format); err != nil {
		return err
	}
	return tw.Flush()
}

// Secret is a configuration value that must never be printed: a token or a
// URL that may carry a password.
type Secret string

// Value returns the secret itself, for the one place that needs it.
func (s Secret) Value() string { return string(s) }

// String hides the value.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return "[redacted]"
}

// GoString hides the value from %#v.
func (s Secret) GoString() string { return `config.Secret("[redacted]")` }

// MarshalText hides the value from encoders and structured loggers.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }
