package config

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"
)

func setValid(t *testing.T) {
	t.Setenv("SLACK_BOT_TOKEN", "xoxb-secret-bot-token")
	t.Setenv("SLACK_APP_TOKEN", "xapp-secret-app-token")
	for _, k := range []string{"SLACK_API_URL", "DATABASE_URL", "ALIGNBOT_DATA_DIR", "ALIGNBOT_DEADLINE",
		"ALIGNBOT_NUDGE_AFTER", "ALIGNBOT_ACTION_DUE", "ALIGNBOT_ACTION_NUDGE_EVERY", "ALIGNBOT_RERUN_AFTER",
		"ALIGNBOT_WORKING_HOURS", "ALIGNBOT_HTTP_ADDR"} {
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

func TestLoadErrorsNameTheVariableAndHideSecrets(t *testing.T) {
	tests := []struct {
		key, value, want string
	}{
		{"SLACK_BOT_TOKEN", "", "SLACK_BOT_TOKEN"},
		{"SLACK_BOT_TOKEN", "xapp-wrong-kind-secret", "SLACK_BOT_TOKEN"},
		{"SLACK_APP_TOKEN", "xoxb-wrong-kind-secret", "SLACK_APP_TOKEN"},
		{"ALIGNBOT_DEADLINE", "a week", "ALIGNBOT_DEADLINE"},
		{"ALIGNBOT_NUDGE_AFTER", "-1h", "ALIGNBOT_NUDGE_AFTER"},
		{"ALIGNBOT_RERUN_AFTER", "0s", "ALIGNBOT_RERUN_AFTER"},
		{"ALIGNBOT_WORKING_HOURS", "9 to 5", "ALIGNBOT_WORKING_HOURS"},
		{"ALIGNBOT_WORKING_HOURS", "18:00-09:00", "ALIGNBOT_WORKING_HOURS"},
		{"SLACK_API_URL", "slack.com", "SLACK_API_URL"},
	}
	for _, tt := range tests {
		t.Run(tt.key+"="+tt.value, func(t *testing.T) {
			setValid(t)
			if tt.value == "" {
				unsetenv(t, tt.key)
			} else {
				t.Setenv(tt.key, tt.value)
			}
			_, err := Load()
			if err == nil {
				t.Fatal("got nil error")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not name %s", err, tt.want)
			}
			if strings.Contains(err.Error(), "secret") {
				t.Errorf("error %q shows a secret", err)
			}
		})
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
		"168h", "09:00-18:00 Mon-Fri"} {
		if !strings.Contains(buf.String(), key) {
			t.Errorf("usage lacks %s:\n%s", key, buf.String())
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
