package slackfake

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/slack-go/slack"

	"github.com/alignbot/alignbot/manifests"
)

// headerClient records the headers of every answer.
type headerClient struct{ last http.Header }

func (c *headerClient) Do(r *http.Request) (*http.Response, error) {
	resp, err := http.DefaultClient.Do(r)
	if err == nil {
		c.last = resp.Header.Clone()
	}
	return resp, err
}

func TestGrantedScopesAreInEveryAnswer(t *testing.T) {
	fs := Start(t)
	hc := &headerClient{}
	api := fs.NewClient(slack.OptionHTTPClient(hc))
	if _, err := api.AuthTest(); err != nil {
		t.Fatal(err)
	}
	if got, want := hc.last.Get("X-OAuth-Scopes"), strings.Join(manifests.BotScopes(), ","); got != want {
		t.Errorf("X-OAuth-Scopes = %q, want the manifest's %q", got, want)
	}
	fs.RevokeBotScope("users:read")
	if _, err := api.GetUserInfo(DefaultBotUserID); err == nil {
		t.Fatal("users.info without users:read succeeded")
	}
	if got := hc.last.Get("X-OAuth-Scopes"); strings.Contains(got, "users:read") || !strings.Contains(got, "chat:write") {
		t.Errorf("X-OAuth-Scopes after revoking users:read = %q", got)
	}
	if got := hc.last.Get("X-Accepted-OAuth-Scopes"); got != "users:read" {
		t.Errorf("X-Accepted-OAuth-Scopes of users.info = %q", got)
	}
	// An unknown token gets no scopes.
	bad := slack.New("xoxb-unknown", slack.OptionAPIURL(fs.URL()), slack.OptionHTTPClient(hc))
	if _, err := bad.AuthTest(); slackErr(err) != "invalid_auth" {
		t.Errorf("unknown token: %v, want invalid_auth", err)
	}
	if _, ok := hc.last["X-Oauth-Scopes"]; ok {
		t.Errorf("an unknown token was told scopes: %v", hc.last)
	}
}

func TestMissingScope(t *testing.T) {
	fs := Start(t)
	workspace(fs)
	fs.AddChannel(Channel{ID: "GINSIDE", Name: "inside", Private: true, Members: []string{"USALES"}, BotMember: true})
	api := fs.NewClient()
	fs.RevokeBotScope("chat:write")
	_, _, err := api.PostMessage("CALIGN", slack.MsgOptionText("hi", false))
	var se slack.SlackErrorResponse
	if !errors.As(err, &se) || se.Err != "missing_scope" || se.Needed != "chat:write" || strings.Contains(se.Provided, "chat:write") ||
		!strings.Contains(se.Provided, "users:read") {
		t.Errorf("post without chat:write: %#v", err)
	}
	// conversations.* need the scope of the conversation's kind.
	fs.RevokeBotScope("groups:read")
	if _, err := api.GetConversationInfo(&slack.GetConversationInfoInput{ChannelID: "CALIGN"}); err != nil {
		t.Errorf("public channel info without groups:read: %v", err)
	}
	_, err = api.GetConversationInfo(&slack.GetConversationInfoInput{ChannelID: "GINSIDE"})
	if !errors.As(err, &se) || se.Needed != "groups:read" {
		t.Errorf("private channel info without groups:read: %v", err)
	}
	_, _, err = api.GetConversations(&slack.GetConversationsParameters{Types: []string{"public_channel", "private_channel"}})
	if !errors.As(err, &se) || se.Needed != "groups:read" {
		t.Errorf("listing private channels without groups:read: %v", err)
	}
}

func TestTokenTypes(t *testing.T) {
	fs := Start(t)
	workspace(fs)
	user := slack.New(fs.AddUserToken("UMKT"), slack.OptionAPIURL(fs.URL()))
	auth, err := user.AuthTest()
	if err != nil || auth.UserID != "UMKT" || auth.BotID != "" || auth.TeamID != DefaultTeamID {
		t.Errorf("auth.test with a user token: %+v, %v", auth, err)
	}
	if _, _, err := user.PostMessage("CALIGN", slack.MsgOptionText("hi", false)); slackErr(err) != "not_allowed_token_type" {
		t.Errorf("post with a user token: %v", err)
	}
	// A bot token where an app-level token belongs, and the other way round.
	botAsApp := slack.New(fs.BotToken(), slack.OptionAppLevelToken(fs.BotToken()), slack.OptionAPIURL(fs.URL()))
	if _, _, err := botAsApp.StartSocketModeContext(context.Background()); slackErr(err) != "not_allowed_token_type" {
		t.Errorf("apps.connections.open with a bot token: %v", err)
	}
	appAsBot := slack.New(fs.AppToken(), slack.OptionAPIURL(fs.URL()))
	if _, err := appAsBot.AuthTest(); slackErr(err) != "not_allowed_token_type" {
		t.Errorf("auth.test with an app-level token: %v", err)
	}
	fs.SetAppTokenScopes("authorizations:read")
	var se slack.SlackErrorResponse
	if _, _, err := fs.NewClient().StartSocketModeContext(context.Background()); !errors.As(err, &se) || se.Err != "missing_scope" || se.Needed != "connections:write" {
		t.Errorf("apps.connections.open without connections:write: %v", err)
	}
}

func TestSocketModeOff(t *testing.T) {
	fs := Start(t)
	fs.SetSocketMode(false)
	_, url, err := fs.NewClient().StartSocketModeContext(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	ws, _, err := websocket.DefaultDialer.Dial(url, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	var first struct{ Type, Reason string }
	if err := ws.ReadJSON(&first); err != nil || first.Type != "disconnect" || first.Reason != "link_disabled" {
		t.Errorf("first frame with Socket Mode off: %+v, %v", first, err)
	}
	if _, _, err := ws.ReadMessage(); err == nil {
		t.Error("the socket stayed open")
	}
	if n := fs.Connections(); n != 0 {
		t.Errorf("%d connections", n)
	}
}

func TestScheduledMessages(t *testing.T) {
	fs := Start(t)
	workspace(fs)
	api := fs.NewClient()
	ctx := context.Background()
	at := strconv.FormatInt(time.Now().Add(24*time.Hour).Unix(), 10)
	ch, id, err := api.ScheduleMessageContext(ctx, "CALIGN", at, slack.MsgOptionText("later", false))
	if err != nil || ch != "CALIGN" || id == "" {
		t.Fatalf("schedule: %q %q %v", ch, id, err)
	}
	if got := fs.ScheduledMessages(); len(got) != 1 || got[0].Text != "later" {
		t.Errorf("scheduled: %+v", got)
	}
	if _, err := api.DeleteScheduledMessageContext(ctx, &slack.DeleteScheduledMessageParameters{Channel: "CALIGN", ScheduledMessageID: id}); err != nil {
		t.Errorf("delete: %v", err)
	}
	if got := fs.ScheduledMessages(); len(got) != 0 {
		t.Errorf("after delete: %+v", got)
	}
	for _, tt := range []struct{ channel, at, want string }{
		{"COUT", at, "not_in_channel"},
		{"GSECRET", at, "channel_not_found"},
		{"CALIGN", strconv.FormatInt(time.Now().Add(-time.Minute).Unix(), 10), "time_in_past"},
		{"CALIGN", strconv.FormatInt(time.Now().Add(200*24*time.Hour).Unix(), 10), "time_too_far"},
	} {
		if _, _, err := api.ScheduleMessageContext(ctx, tt.channel, tt.at, slack.MsgOptionText("x", false)); slackErr(err) != tt.want {
			t.Errorf("schedule in %s at %s: %v, want %s", tt.channel, tt.at, err, tt.want)
		}
	}
}

func TestAnotherAppsAppToken(t *testing.T) {
	fs := Start(t)
	api := fs.NewClient()
	bot, err := api.GetBotInfoContext(context.Background(), slack.GetBotInfoParameters{Bot: DefaultBotID})
	if err != nil || bot.AppID != DefaultAppID || bot.UserID != DefaultBotUserID {
		t.Fatalf("bots.info: %+v %v", bot, err)
	}
	fs.SetAppTokenApp("A0000OTHER")
	_, url, err := api.StartSocketModeContext(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	ws, _, err := websocket.DefaultDialer.Dial(url, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	var hello struct {
		Type           string
		ConnectionInfo struct {
			AppID string `json:"app_id"`
		} `json:"connection_info"`
	}
	if err := ws.ReadJSON(&hello); err != nil || hello.Type != "hello" || hello.ConnectionInfo.AppID != "A0000OTHER" {
		t.Errorf("hello: %+v %v", hello, err)
	}
}
