package config

import (
	"strings"

	"github.com/kelseyhightower/envconfig"
)

// Slack is how alignbot reaches Slack, read without judging the tokens:
// `alignbot doctor` asks Slack about whatever they hold and says what is
// wrong with them.
type Slack struct {
	BotToken Secret // SLACK_BOT_TOKEN, possibly empty or of the wrong kind
	AppToken Secret // SLACK_APP_TOKEN, likewise
	APIURL   string // SLACK_API_URL, ending in "/"
}

// LoadSlack reads SLACK_BOT_TOKEN, SLACK_APP_TOKEN and SLACK_API_URL. Only
// the URL must be well formed.
func LoadSlack() (Slack, error) {
	var s struct {
		BotToken Secret `envconfig:"SLACK_BOT_TOKEN"`
		AppToken Secret `envconfig:"SLACK_APP_TOKEN"`
		APIURL   string `envconfig:"SLACK_API_URL" default:"https://slack.com/api/"`
	}
	if err := envconfig.Process("", &s); err != nil {
		return Slack{}, explain(err)
	}
	apiURL, err := checkAPIURL(s.APIURL)
	if err != nil {
		return Slack{}, err
	}
	return Slack{
		BotToken: Secret(strings.TrimSpace(s.BotToken.Value())),
		AppToken: Secret(strings.TrimSpace(s.AppToken.Value())),
		APIURL:   apiURL,
	}, nil
}
