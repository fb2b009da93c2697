package config

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/alignbot/alignbot/internal/locale"
)

func setValid(t *testing.T) {
	t.Setenv("SLACK_BOT_TOKEN", "xoxb-secret-bot-token")
	t.Setenv("SLACK_APP_TOKEN", "xapp-secret-app-token")
	for _, k := range []string{"SLACK_API_URL", "DATABASE_URL", "ALIGNBOT_DATA_DIR", "ALIGNBOT_DEADLINE",
		"ALIGNBOT_NUDGE_AFTER", "ALIGNBOT_ACTION_DUE", "ALIGNBOT_ACTION_NUDGE_EVERY", "ALIGNBOT_RERUN_AFTER",
		"ALIGNBOT_WORKING_HOURS", "ALIGNBOT_HTTP_ADDR", "ALIGNBOT_LOG_FORMAT", "ALIGNBOT_LANGUAGE"} {
		t.Setenv(k, "")
		// envconfig applies defaults only to unset variables.
		unsetenv(t, k)
	}
}

func TestLoadDefaults(t *testing.T) {
	setValid(t)
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	if c.Deadline != 168*time.Hour || c.NudgeAfter != 48*time.Hour || c.ActionDue != 720*time.Hour ||
		c.ActionNudgeEvery != 168*time.Hour || c.RerunAfter != 2160*time.Hour {
		t.Errorf("durations: %+v", c)
	}
	if c.APIURL != "https://slack.com/api/" || c.DataDir != "./alignbot-data" || c.HTTPAddr != ":8080" {
		t.Errorf("strings: %q %q %q", c.APIURL, c.DataDir, c.HTTPAddr)
	}
	if got := c.WorkingHours.String(); got != "09:00-18:00 Mon,Tue,Wed,Thu,Fri" {
		t.Errorf("working hours: %q", got)
	}
	if c.BotToken.Value() != "xoxb-secret-bot-token" {
		t.Errorf("bot token not read")
	}
}

// TestLoadErrorsExplainWithoutTheValue checks whole messages: each names
// the variable, says what is wrong and what form it wants, and holds nothing
// of the value, which may be a secret.
func TestLoadErrorsExplainWithoutTheValue(t *testing.T) {
	const unset = "\x00unset"
	tests := []struct {
		key, value, want string
	}{
		{"SLACK_BOT_TOKEN", unset, "SLACK_BOT_TOKEN: required; " + wants["SLACK_BOT_TOKEN"]},
		{"SLACK_BOT_TOKEN", "", "SLACK_BOT_TOKEN: not a bot token; " + wants["SLACK_BOT_TOKEN"]},
		{"SLACK_BOT_TOKEN", "xapp-wrong-kind-secret", "SLACK_BOT_TOKEN: not a bot token; " + wants["SLACK_BOT_TOKEN"]},
		{"SLACK_APP_TOKEN", "xoxb-wrong-kind-secret", "SLACK_APP_TOKEN: not an app-level token; " + wants["SLACK_APP_TOKEN"]},
		{"SLACK_API_URL", "slack.com", "SLACK_API_URL: " + wants["SLACK_API_URL"]},
		{"SLACK_API_URL", "ftp://files.example/api/", "SLACK_API_URL: " + wants["SLACK_API_URL"]},
		{"SLACK_API_URL", "https://u:secret@slack.example/api/?token=secret", "SLACK_API_URL: " + wants["SLACK_API_URL"]},
		{"SLACK_API_URL", "https://u:sec ret@[slack/", "SLACK_API_URL: " + wants["SLACK_API_URL"]},
		{"ALIGNBOT_DEADLINE", "a week", "ALIGNBOT_DEADLINE: want a duration such as 7d, 48h or 90m"},
		{"ALIGNBOT_DEADLINE", "", "ALIGNBOT_DEADLINE: want a duration such as 7d, 48h or 90m"},
		{"ALIGNBOT_DEADLINE", "secret", "ALIGNBOT_DEADLINE: want a duration such as 7d, 48h or 90m"},
		{"ALIGNBOT_DEADLINE", "99999999d", "ALIGNBOT_DEADLINE: too long; want a duration such as 7d, 48h or 90m"},
		{"ALIGNBOT_NUDGE_AFTER", "-1h", "ALIGNBOT_NUDGE_AFTER: must be positive; want a duration such as 7d, 48h or 90m"},
		{"ALIGNBOT_ACTION_DUE", "0d", "ALIGNBOT_ACTION_DUE: must be positive; want a duration such as 7d, 48h or 90m"},
		{"ALIGNBOT_ACTION_NUDGE_EVERY", "1d-2h", "ALIGNBOT_ACTION_NUDGE_EVERY: want a duration such as 7d, 48h or 90m"},
		{"ALIGNBOT_RERUN_AFTER", "0s", "ALIGNBOT_RERUN_AFTER: must be positive; want a duration such as 7d, 48h or 90m"},
		{"ALIGNBOT_WORKING_HOURS", "9 to 5", "ALIGNBOT_WORKING_HOURS: want a time range and days, nothing more; " + wants["ALIGNBOT_WORKING_HOURS"]},
		{"ALIGNBOT_WORKING_HOURS", "18:00-09:00", "ALIGNBOT_WORKING_HOURS: the time range ends before it starts; " + wants["ALIGNBOT_WORKING_HOURS"]},
		{"ALIGNBOT_WORKING_HOURS", "09:00-18:00 Secretday", "ALIGNBOT_WORKING_HOURS: unknown day (use Mon, Tue, …); " + wants["ALIGNBOT_WORKING_HOURS"]},
		{"ALIGNBOT_HTTP_ADDR", "nonsense", "ALIGNBOT_HTTP_ADDR: want host:port with a port from 0 to 65535, such as :8080 or 127.0.0.1:9090, or empty to disable the listener"},
		{"ALIGNBOT_HTTP_ADDR", "8080", "ALIGNBOT_HTTP_ADDR: " + wants["ALIGNBOT_HTTP_ADDR"]},
		{"ALIGNBOT_HTTP_ADDR", ":99999", "ALIGNBOT_HTTP_ADDR: the port must be a number from 0 to 65535; " + wants["ALIGNBOT_HTTP_ADDR"]},
		{"ALIGNBOT_HTTP_ADDR", ":http", "ALIGNBOT_HTTP_ADDR: the port must be a number from 0 to 65535; " + wants["ALIGNBOT_HTTP_ADDR"]},
		{"ALIGNBOT_HTTP_ADDR", "secret host:80", "ALIGNBOT_HTTP_ADDR: the host must be an IP address or a host name; " + wants["ALIGNBOT_HTTP_ADDR"]},
		{"ALIGNBOT_LOG_FORMAT", "yaml", "ALIGNBOT_LOG_FORMAT: want text, json or auto (auto or empty: text when stderr is a terminal, JSON otherwise)"},
		{"ALIGNBOT_LANGUAGE", "klingon", "ALIGNBOT_LANGUAGE: " + wants["ALIGNBOT_LANGUAGE"]},
		{"ALIGNBOT_LANGUAGE", "es", "ALIGNBOT_LANGUAGE: " + wants["ALIGNBOT_LANGUAGE"]},
		{"ALIGNBOT_DATA_DIR", "", "ALIGNBOT_DATA_DIR: must not be empty when DATABASE_URL is unset; " + wants["ALIGNBOT_DATA_DIR"]},
	}
	for _, tt := range tests {
		t.Run(tt.key+"="+tt.value, func(t *testing.T) {
			setValid(t)
			if tt.value == unset {
				unsetenv(t, tt.key)
			} else {
				t.Setenv(tt.key, tt.value)
			}
			_, err := Load()
			if err == nil {
				t.Fatal("got nil error")
			}
			if got := err.Error(); got != tt.want {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
			if strings.Contains(err.Error(), "secret") {
				t.Errorf("error %q shows the value", err)
			}
		})
	}
}

func TestLoadAccepts(t *testing.T) {
	tests := []struct {
		key, value string
		check      func(Config) bool
	}{
		{"ALIGNBOT_DEADLINE", "7d", func(c Config) bool { return c.Deadline == 7*24*time.Hour }},
		{"ALIGNBOT_DEADLINE", "1d12h", func(c Config) bool { return c.Deadline == 36*time.Hour }},
		{"ALIGNBOT_NUDGE_AFTER", "90m", func(c Config) bool { return c.NudgeAfter == 90*time.Minute }},
		{"ALIGNBOT_NUDGE_AFTER", " 1h30m ", func(c Config) bool { return c.NudgeAfter == 90*time.Minute }},
		{"ALIGNBOT_HTTP_ADDR", "", func(c Config) bool { return c.HTTPAddr == "" }},
		{"ALIGNBOT_HTTP_ADDR", ":0", func(c Config) bool { return c.HTTPAddr == ":0" }},
		{"ALIGNBOT_HTTP_ADDR", "127.0.0.1:9090", func(c Config) bool { return c.HTTPAddr == "127.0.0.1:9090" }},
		{"ALIGNBOT_HTTP_ADDR", "[::1]:65535", func(c Config) bool { return c.HTTPAddr == "[::1]:65535" }},
		{"ALIGNBOT_HTTP_ADDR", "health.internal:8080", func(c Config) bool { return c.HTTPAddr == "health.internal:8080" }},
		{"ALIGNBOT_LOG_FORMAT", "", func(c Config) bool { return c.LogFormat == LogAuto }},
		{"ALIGNBOT_LOG_FORMAT", "auto", func(c Config) bool { return c.LogFormat == LogAuto }},
		{"ALIGNBOT_LOG_FORMAT", "JSON", func(c Config) bool { return c.LogFormat == LogJSON }},
		{"ALIGNBOT_LOG_FORMAT", "text", func(c Config) bool { return c.LogFormat == LogText }},
		{"ALIGNBOT_WORKING_HOURS", "", func(c Config) bool { return c.WorkingHours.AnyTime() }},
		{"ALIGNBOT_LANGUAGE", "", func(c Config) bool { return c.Language == "" }},
		{"ALIGNBOT_LANGUAGE", "ja", func(c Config) bool { return c.Language == locale.Japanese }},
		{"ALIGNBOT_LANGUAGE", "pt-br", func(c Config) bool { return c.Language == locale.Portuguese }},
		{"ALIGNBOT_LANGUAGE", "id-ID", func(c Config) bool { return c.Language == locale.Indonesian }},
		{"ALIGNBOT_LANGUAGE", "en-GB", func(c Config) bool { return c.Language == locale.English }},
		{"SLACK_BOT_TOKEN", " xoxb-pasted-with-a-newline\n", func(c Config) bool { return c.BotToken.Value() == "xoxb-pasted-with-a-newline" }},
	}
	for _, tt := range tests {
		t.Run(tt.key+"="+tt.value, func(t *testing.T) {
			setValid(t)
			t.Setenv(tt.key, tt.value)
			c, err := Load()
			if err != nil {
				t.Fatal(err)
			}
			if !tt.check(c) {
				t.Errorf("got %+v", c)
			}
		})
	}
}

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in      string
		want    time.Duration
		wantErr string
	}{
		{"7d", 7 * 24 * time.Hour, ""},
		{"3d", 72 * time.Hour, ""},
		{"1d12h", 36 * time.Hour, ""},
		{"1d30m15s", 24*time.Hour + 30*time.Minute + 15*time.Second, ""},
		{"48h", 48 * time.Hour, ""},
		{"90m", 90 * time.Minute, ""},
		{"0", 0, ""},
		{"-2d", -48 * time.Hour, ""},
		{"-1h", -time.Hour, ""},
		{"", 0, ""},
		{"d", 0, ""},
		{"-", 0, ""},
		{"1.5d", 0, ""},
		{"1d2d", 0, ""},
		{"1d-2h", 0, ""},
		{"+1d", 0, ""},
		{"7 days", 0, ""},
		{"1w", 0, ""},
		{"106752d", 0, "too long"},
		{"106751d24h", 0, "too long"},
	}
	for _, tt := range tests {
		got, err := ParseDuration(tt.in)
		wantOK := tt.want != 0 || tt.in == "0"
		switch {
		case wantOK && (err != nil || got != tt.want):
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		case !wantOK && err == nil:
			t.Errorf("ParseDuration(%q) = %v, want an error", tt.in, got)
		case !wantOK && err.Error() != tt.wantErr:
			t.Errorf("ParseDuration(%q) error %q, want %q", tt.in, err, tt.wantErr)
		}
	}
}

func TestLoadDatabaseAndLogging(t *testing.T) {
	setValid(t)
	unsetenv(t, "SLACK_BOT_TOKEN") // not needed by these
	t.Setenv("ALIGNBOT_DATA_DIR", "/var/lib/alignbot")
	t.Setenv("ALIGNBOT_LOG_FORMAT", "json")
	d, err := LoadDatabase()
	if err != nil || d.DataDir != "/var/lib/alignbot" || d.URL.Value() != "" {
		t.Errorf("LoadDatabase = %+v, %v", d, err)
	}
	l, err := LoadLogging()
	if err != nil || l.LogFormat != LogJSON {
		t.Errorf("LoadLogging = %+v, %v", l, err)
	}
	t.Setenv("ALIGNBOT_LOG_FORMAT", "secret")
	if _, err := LoadLogging(); err == nil || err.Error() != "ALIGNBOT_LOG_FORMAT: "+wants["ALIGNBOT_LOG_FORMAT"] {
		t.Errorf("LoadLogging with a bad format: %v", err)
	}
	t.Setenv("ALIGNBOT_DATA_DIR", "")
	if _, err := LoadDatabase(); err == nil || !strings.HasPrefix(err.Error(), "ALIGNBOT_DATA_DIR: ") {
		t.Errorf("LoadDatabase with no data dir: %v", err)
	}
}

func TestAPIURLGetsItsSlash(t *testing.T) {
	setValid(t)
	t.Setenv("SLACK_API_URL", "https://slack-gov.com/api")
	c, err := Load()
	if err != nil || c.APIURL != "https://slack-gov.com/api/" {
		t.Fatalf("got %q, %v", c.APIURL, err)
	}
}

func TestSecretsNeverPrint(t *testing.T) {
	setValid(t)
	t.Setenv("DATABASE_URL", "postgres://u:secret-pw@db/x")
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{fmt.Sprint(c), fmt.Sprintf("%+v", c), fmt.Sprintf("%#v", c), c.BotToken.String()} {
		if strings.Contains(s, "secret") {
			t.Errorf("printed config shows a secret: %s", s)
		}
	}
}

func TestUsageListsEveryVariable(t *testing.T) {
	var buf bytes.Buffer
	if err := Usage(&buf); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_API_URL", "DATABASE_URL",
		"ALIGNBOT_DATA_DIR", "ALIGNBOT_DEADLINE", "ALIGNBOT_NUDGE_AFTER", "ALIGNBOT_ACTION_DUE",
		"ALIGNBOT_ACTION_NUDGE_EVERY", "ALIGNBOT_RERUN_AFTER", "ALIGNBOT_WORKING_HOURS", "ALIGNBOT_HTTP_ADDR",
		"ALIGNBOT_LOG_FORMAT", "168h", "09:00-18:00 Mon-Fri", ":8080", "auto"} {
		if !strings.Contains(buf.String(), key) {
			t.Errorf("usage lacks %s:\n%s", key, buf.String())
		}
	}
	// Every variable Usage lists has a form its errors can show.
	for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n")[1:] {
		key := strings.Fields(line)[0]
		if wants[key] == "" {
			t.Errorf("%s has no entry in wants", key)
		}
	}
}

func TestWorkingHours(t *testing.T) {
	berlin, _ := time.LoadLocation("Europe/Berlin")
	ny, _ := time.LoadLocation("America/New_York")
	w, err := ParseWorkingHours("09:00-18:00 Mon-Fri")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		at, want time.Time
	}{
		{"inside", time.Date(2026, 11, 24, 10, 30, 0, 0, berlin), time.Date(2026, 11, 24, 10, 30, 0, 0, berlin)},
		{"opening minute", time.Date(2026, 11, 24, 9, 0, 0, 0, berlin), time.Date(2026, 11, 24, 9, 0, 0, 0, berlin)},
		{"closing minute is closed", time.Date(2026, 11, 24, 18, 0, 0, 0, berlin), time.Date(2026, 11, 25, 9, 0, 0, 0, berlin)},
		{"night waits for morning", time.Date(2026, 11, 24, 2, 0, 0, 0, ny), time.Date(2026, 11, 24, 9, 0, 0, 0, ny)},
		{"friday evening waits for monday", time.Date(2026, 11, 27, 19, 0, 0, 0, ny), time.Date(2026, 11, 30, 9, 0, 0, 0, ny)},
		{"saturday", time.Date(2026, 11, 28, 12, 0, 0, 0, berlin), time.Date(2026, 11, 30, 9, 0, 0, 0, berlin)},
		{"across a DST change", time.Date(2026, 3, 28, 12, 0, 0, 0, berlin), time.Date(2026, 3, 30, 9, 0, 0, 0, berlin)},
	}
	for _, tt := range tests {
		if got := w.Next(tt.at); !got.Equal(tt.want) {
			t.Errorf("%s: Next(%v) = %v, want %v", tt.name, tt.at, got, tt.want)
		}
	}
	// The same instant is night in New York and working time in Berlin.
	instant := time.Date(2026, 11, 24, 8, 0, 0, 0, time.UTC)
	if w.Contains(instant.In(ny)) || !w.Contains(instant.In(berlin)) {
		t.Errorf("zones: NY %v Berlin %v", w.Contains(instant.In(ny)), w.Contains(instant.In(berlin)))
	}

	anyTime, err := ParseWorkingHours("")
	if err != nil || !anyTime.AnyTime() || !anyTime.Contains(time.Date(2026, 11, 28, 3, 0, 0, 0, ny)) {
		t.Errorf("empty means any time: %v %v", anyTime, err)
	}
	wrap, err := ParseWorkingHours("08:00-12:00 Fri-Mon")
	if err != nil || wrap.String() != "08:00-12:00 Sun,Mon,Fri,Sat" {
		t.Errorf("wrapping range: %q %v", wrap.String(), err)
	}
	list, err := ParseWorkingHours("10:00-16:00 Mon,Wed")
	if err != nil || list.Contains(time.Date(2026, 11, 24, 11, 0, 0, 0, ny)) {
		t.Errorf("Tuesday is off in %q: %v", list, err)
	}
	for _, bad := range []string{"9-5", "09:00", "09:00-18:00 Funday", "25:00-26:00", "09:00-18:00 Mon Tue"} {
		if _, err := ParseWorkingHours(bad); err == nil {
			t.Errorf("ParseWorkingHours(%q): got nil error", bad)
		}
	}
}
