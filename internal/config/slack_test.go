package config

import (
	"strings"
	"testing"
)

// TestLoadSlack: doctor reads tokens of any kind, or none, and judges them
// itself; only the API URL must be well formed, and its error quotes no
// value.
func TestLoadSlack(t *testing.T) {
	t.Setenv("SLACK_BOT_TOKEN", " xapp-in-the-wrong-place ")
	t.Setenv("SLACK_APP_TOKEN", "")
	t.Setenv("SLACK_API_URL", "https://slack-gov.com/api")
	s, err := LoadSlack()
	if err != nil || s.BotToken.Value() != "xapp-in-the-wrong-place" || s.AppToken.Value() != "" || s.APIURL != "https://slack-gov.com/api/" {
		t.Errorf("LoadSlack = %+v, %v", s, err)
	}
	t.Setenv("SLACK_API_URL", "slack.com/api?token=xoxb-secret")
	_, err = LoadSlack()
	if err == nil || !strings.HasPrefix(err.Error(), "SLACK_API_URL: want an http(s) URL") || strings.Contains(err.Error(), "secret") {
		t.Errorf("a bad URL: %v", err)
	}
}

func TestLoadHTTPAddr(t *testing.T) {
	t.Setenv("ALIGNBOT_HTTP_ADDR", "127.0.0.1:9090")
	if addr, err := LoadHTTPAddr(); err != nil || addr != "127.0.0.1:9090" {
		t.Errorf("LoadHTTPAddr = %q, %v", addr, err)
	}
	t.Setenv("ALIGNBOT_HTTP_ADDR", "nonsense")
	if _, err := LoadHTTPAddr(); err == nil || !strings.HasPrefix(err.Error(), "ALIGNBOT_HTTP_ADDR: want host:port") {
		t.Errorf("a bad address: %v", err)
	}
}
