// Package config reads alignbot's configuration from the environment.
//
// Every variable is described once, in the tags of spec (and of Database and
// Logging, which commands that need only those read on their own); Usage
// prints them all with their defaults. Values are decoded by types that check
// themselves (Duration, WorkingHours, LogFormat, a listen address) and then
// copied into Config, whose durations are plain time.Duration.
//
// An invalid value stops the bot with an error that names the variable, says
// what form it wants and gives an example, and never quotes the value: tokens
// and the database URL are secrets, and any other variable may hold one by
// mistake.
package config

import (
	"errors"
	"io"
	"net"
	"net/netip"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/kelseyhightower/envconfig"

	"github.com/alignbot/alignbot/internal/locale"
)

// Config is alignbot's whole configuration.
type Config struct {
	// BotToken is SLACK_BOT_TOKEN, xoxb-….
	BotToken Secret
	// AppToken is SLACK_APP_TOKEN, xapp-….
	AppToken Secret
	// APIURL is SLACK_API_URL, always ending in "/". It may carry
	// credentials: log it with url.URL.Redacted.
	APIURL string
	Database
	Logging
	Deadline         time.Duration // ALIGNBOT_DEADLINE
	NudgeAfter       time.Duration // ALIGNBOT_NUDGE_AFTER
	ActionDue        time.Duration // ALIGNBOT_ACTION_DUE
	ActionNudgeEvery time.Duration // ALIGNBOT_ACTION_NUDGE_EVERY
	RerunAfter       time.Duration // ALIGNBOT_RERUN_AFTER
	WorkingHours     WorkingHours  // ALIGNBOT_WORKING_HOURS
	// Language is ALIGNBOT_LANGUAGE: the language of a round's channel
	// messages unless its facilitator chooses one; "" when unset (then the
	// facilitator's own Slack language).
	Language locale.Lang
	// HTTPAddr is ALIGNBOT_HTTP_ADDR, host:port; empty disables the
	// listener.
	HTTPAddr string
}

// spec is what envconfig reads: every variable, its default and its
// description, in types that reject what they cannot use.
type spec struct {
	BotToken Secret `envconfig:"SLACK_BOT_TOKEN" required:"true" desc:"bot token (xoxb-…)"`
	AppToken Secret `envconfig:"SLACK_APP_TOKEN" required:"true" desc:"app-level token for Socket Mode (xapp-…), with connections:write"`
	APIURL   string `envconfig:"SLACK_API_URL" default:"https://slack.com/api/" desc:"Slack Web API base URL (GovSlack: https://slack-gov.com/api/)"`
	Database
	Deadline         Duration     `envconfig:"ALIGNBOT_DEADLINE" default:"168h" desc:"time respondents have to answer (7d, 48h, 90m…)"`
	NudgeAfter       Duration     `envconfig:"ALIGNBOT_NUDGE_AFTER" default:"48h" desc:"first nudge to a respondent who has not submitted, then every …"`
	ActionDue        Duration     `envconfig:"ALIGNBOT_ACTION_DUE" default:"720h" desc:"an owner's action window"`
	ActionNudgeEvery Duration     `envconfig:"ALIGNBOT_ACTION_NUDGE_EVERY" default:"168h" desc:"owner nudge cadence until the action is done"`
	RerunAfter       Duration     `envconfig:"ALIGNBOT_RERUN_AFTER" default:"2160h" desc:"next round booked this long after a reveal"`
	WorkingHours     WorkingHours `envconfig:"ALIGNBOT_WORKING_HOURS" default:"09:00-18:00 Mon-Fri" desc:"DMs only inside the recipient's local working hours; empty = any time"`
	Language         language     `envconfig:"ALIGNBOT_LANGUAGE" desc:"language of a round's channel messages unless the facilitator picks one: en, ja, pt-BR or id; empty = the facilitator's Slack language"`
	HTTPAddr         listenAddr   `envconfig:"ALIGNBOT_HTTP_ADDR" default:":8080" desc:"health and metrics listener (host:port); empty disables it"`
	Logging
}

// Database says where alignbot keeps its state. Commands that only touch the
// database (migrate, export) need nothing else.
type Database struct {
	URL     Secret `envconfig:"DATABASE_URL" desc:"PostgreSQL URL; empty runs an embedded PostgreSQL under ALIGNBOT_DATA_DIR"`
	DataDir string `envconfig:"ALIGNBOT_DATA_DIR" default:"./alignbot-data" desc:"where the embedded PostgreSQL keeps its data (kept across restarts)"`
}

// Logging says how alignbot writes its logs.
type Logging struct {
	LogFormat LogFormat `envconfig:"ALIGNBOT_LOG_FORMAT" default:"auto" desc:"log format: text, json, or auto (text when stderr is a terminal, JSON otherwise)"`
}

// durationWant is the form every duration variable wants.
const durationWant = "want a duration such as 7d, 48h or 90m"

// wants says, for every variable, the form it wants and an example.
var wants = map[string]string{
	"SLACK_BOT_TOKEN":             "want the app's Bot User OAuth Token (OAuth & Permissions), which starts with xoxb-",
	"SLACK_APP_TOKEN":             "want an app-level token with the connections:write scope (Basic Information → App-Level Tokens), which starts with xapp-",
	"SLACK_API_URL":               "want an http(s) URL without query or fragment, such as https://slack.com/api/ or https://slack-gov.com/api/",
	"DATABASE_URL":                "want a PostgreSQL URL such as postgres://user:password@host:5432/dbname?sslmode=disable, or empty for the embedded PostgreSQL",
	"ALIGNBOT_DATA_DIR":           "want a directory such as ./alignbot-data",
	"ALIGNBOT_DEADLINE":           durationWant,
	"ALIGNBOT_NUDGE_AFTER":        durationWant,
	"ALIGNBOT_ACTION_DUE":         durationWant,
	"ALIGNBOT_ACTION_NUDGE_EVERY": durationWant,
	"ALIGNBOT_RERUN_AFTER":        durationWant,
	"ALIGNBOT_WORKING_HOURS":      "want hours and days such as 09:00-18:00 Mon-Fri or 08:30-17:00 Mon,Wed,Fri, or empty for any time",
	"ALIGNBOT_LANGUAGE":           "want en, ja, pt-BR or id, or empty for the facilitator's Slack language",
	"ALIGNBOT_HTTP_ADDR":          "want host:port with a port from 0 to 65535, such as :8080 or 127.0.0.1:9090, or empty to disable the listener",
	"ALIGNBOT_LOG_FORMAT":         "want text, json or auto (auto or empty: text when stderr is a terminal, JSON otherwise)",
}

// Load reads the configuration from the environment. Errors name the
// variable at fault and the form it wants, and never quote its value.
func Load() (Config, error) {
	var s spec
	if err := envconfig.Process("", &s); err != nil {
		return Config{}, explain(err)
	}
	c := Config{
		BotToken:         Secret(strings.TrimSpace(s.BotToken.Value())),
		AppToken:         Secret(strings.TrimSpace(s.AppToken.Value())),
		APIURL:           s.APIURL,
		Database:         s.Database,
		Logging:          s.Logging,
		Deadline:         time.Duration(s.Deadline),
		NudgeAfter:       time.Duration(s.NudgeAfter),
		ActionDue:        time.Duration(s.ActionDue),
		ActionNudgeEvery: time.Duration(s.ActionNudgeEvery),
		RerunAfter:       time.Duration(s.RerunAfter),
		WorkingHours:     s.WorkingHours,
		Language:         locale.Lang(s.Language),
		HTTPAddr:         string(s.HTTPAddr),
	}
	if err := c.validate(); err != nil {
		return Config{}, err
	}
	return c, nil
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

// LoadLogging reads only the logging settings.
func LoadLogging() (Logging, error) {
	var l Logging
	if err := envconfig.Process("", &l); err != nil {
		return Logging{}, explain(err)
	}
	return l, nil
}

func (d Database) validate() error {
	if d.URL.Value() == "" && d.DataDir == "" {
		return &varError{key: "ALIGNBOT_DATA_DIR", problem: "must not be empty when DATABASE_URL is unset"}
	}
	return nil
}

func (c *Config) validate() error {
	if !strings.HasPrefix(c.BotToken.Value(), "xoxb-") {
		return &varError{key: "SLACK_BOT_TOKEN", problem: "not a bot token"}
	}
	if !strings.HasPrefix(c.AppToken.Value(), "xapp-") {
		return &varError{key: "SLACK_APP_TOKEN", problem: "not an app-level token"}
	}
	apiURL, err := checkAPIURL(c.APIURL)
	if err != nil {
		return err
	}
	c.APIURL = apiURL
	for _, d := range []struct {
		key   string
		value time.Duration
	}{
		{"ALIGNBOT_DEADLINE", c.Deadline},
		{"ALIGNBOT_NUDGE_AFTER", c.NudgeAfter},
		{"ALIGNBOT_ACTION_DUE", c.ActionDue},
		{"ALIGNBOT_ACTION_NUDGE_EVERY", c.ActionNudgeEvery},
		{"ALIGNBOT_RERUN_AFTER", c.RerunAfter},
	} {
		if d.value <= 0 {
			return &varError{key: d.key, problem: "must be positive"}
		}
	}
	return c.Database.validate()
}

// checkAPIURL checks SLACK_API_URL and returns it ending in "/": slack-go
// builds method URLs as base + "chat.postMessage".
func checkAPIURL(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" ||
		u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" {
		return "", &varError{key: "SLACK_API_URL"}
	}
	if !strings.HasSuffix(raw, "/") {
		raw += "/"
	}
	return raw, nil
}

// varError is a configuration mistake: the variable, what is wrong with it
// when there is more to say than "invalid", and the form it wants. It holds
// no part of the value.
type varError struct {
	key     string
	problem string
}

func (e *varError) Error() string {
	var b strings.Builder
	b.WriteString(e.key)
	b.WriteString(": ")
	if e.problem != "" {
		b.WriteString(e.problem)
		b.WriteString("; ")
	}
	if want, ok := wants[e.key]; ok {
		b.WriteString(want)
	} else {
		b.WriteString("invalid value")
	}
	return b.String()
}

// problem is a decoder's account of what is wrong with a value. Decoders in
// this package build it without quoting the value, so explain may show it.
type problem string

func (p problem) Error() string { return string(p) }

var requiredKey = regexp.MustCompile(`^required key (\S+) missing value$`)

// explain turns envconfig's errors, whose ParseError quotes the value, into
// a varError.
func explain(err error) error {
	var perr *envconfig.ParseError
	if errors.As(err, &perr) {
		var p problem
		if errors.As(perr.Err, &p) {
			return &varError{key: perr.KeyName, problem: string(p)}
		}
		return &varError{key: perr.KeyName}
	}
	if m := requiredKey.FindStringSubmatch(err.Error()); m != nil {
		return &varError{key: m[1], problem: "required"}
	}
	// envconfig's remaining errors are about the spec struct, not a value.
	return err
}

// Usage writes a table of every variable with its default and description.
func Usage(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	const format = `VARIABLE	DEFAULT	REQUIRED	DESCRIPTION
{{range .}}{{usage_key .}}	{{usage_default .}}	{{usage_required .}}	{{usage_description .}}
{{end}}`
	if err := envconfig.Usagef("", &spec{}, tw, format); err != nil {
		return err
	}
	return tw.Flush()
}

// Duration is a time.Duration read from the environment by ParseDuration.
type Duration time.Duration

// Decode lets envconfig parse the variable.
func (d *Duration) Decode(s string) error {
	v, err := ParseDuration(s)
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// maxDays keeps a count of days inside time.Duration.
const maxDays = int64(1<<63-1) / int64(24*time.Hour)

// ParseDuration reads a duration the way people write one to alignbot:
// days, as in "/alignment extend 3d" ("7d", "1d12h"), or anything
// time.ParseDuration reads ("48h", "90m", "1h30m"). A leading "-" makes it
// negative. Its errors do not quote s.
func ParseDuration(s string) (time.Duration, error) {
	bad := problem("")
	rest, negative := strings.CutPrefix(strings.TrimSpace(s), "-")
	var d time.Duration
	days, afterDays, hasDays := strings.Cut(rest, "d")
	if hasDays {
		if days == "" || strings.Trim(days, "0123456789") != "" {
			return 0, bad
		}
		n, err := strconv.ParseInt(days, 10, 64)
		if err != nil || n > maxDays {
			return 0, problem("too long")
		}
		d = time.Duration(n) * 24 * time.Hour
		rest = afterDays
	} else if rest == "" {
		return 0, bad
	}
	if rest != "" {
		if rest[0] == '-' || rest[0] == '+' {
			return 0, bad
		}
		more, err := time.ParseDuration(rest)
		if err != nil {
			return 0, bad
		}
		if more > time.Duration(1<<63-1)-d {
			return 0, problem("too long")
		}
		d += more
	}
	if negative {
		d = -d
	}
	return d, nil
}

// LogFormat is how alignbot writes its logs.
type LogFormat string

// The log formats.
const (
	// LogAuto is text when stderr is a terminal, JSON otherwise.
	LogAuto LogFormat = "auto"
	// LogText is log/slog's key=value text.
	LogText LogFormat = "text"
	// LogJSON is one JSON object per line.
	LogJSON LogFormat = "json"
)

// Decode lets envconfig parse the variable; empty means LogAuto.
func (f *LogFormat) Decode(s string) error {
	switch v := LogFormat(strings.ToLower(strings.TrimSpace(s))); v {
	case "", LogAuto:
		*f = LogAuto
	case LogText, LogJSON:
		*f = v
	default:
		return problem("")
	}
	return nil
}

// language is a language alignbot speaks, or empty.
type language string

// Decode lets envconfig parse the variable: any form locale.Parse reads
// ("ja", "pt-BR", "ja-JP"), stored as alignbot's own tag.
func (l *language) Decode(s string) error {
	if strings.TrimSpace(s) == "" {
		*l = ""
		return nil
	}
	parsed, ok := locale.Parse(s)
	if !ok {
		return problem("")
	}
	*l = language(parsed)
	return nil
}

// listenAddr is a TCP address to listen on, host:port, or empty.
type listenAddr string

// Decode lets envconfig parse the variable.
func (a *listenAddr) Decode(s string) error {
	if s == "" {
		*a = ""
		return nil
	}
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return problem("")
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return problem("the port must be a number from 0 to 65535")
	}
	if host != "" && !validHost(host) {
		return problem("the host must be an IP address or a host name")
	}
	*a = listenAddr(s)
	return nil
}

var hostName = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$`)

func validHost(host string) bool {
	if _, err := netip.ParseAddr(host); err == nil {
		return true
	}
	return len(host) <= 253 && hostName.MatchString(host)
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

// LoadHTTPAddr reads only ALIGNBOT_HTTP_ADDR.
func LoadHTTPAddr() (string, error) {
	var s struct {
		HTTPAddr listenAddr `envconfig:"ALIGNBOT_HTTP_ADDR" default:":8080"`
	}
	if err := envconfig.Process("", &s); err != nil {
		return "", explain(err)
	}
	return string(s.HTTPAddr), nil
}
