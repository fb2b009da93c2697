package slackfake

import (
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/alignbot/alignbot/internal/testclock"
)

func TestInjectedFaults(t *testing.T) {
	t.Parallel()
	fs := Start(t)
	workspace(fs)
	api := fs.NewClient()
	post := func() error {
		_, _, err := api.PostMessage("CALIGN", slack.MsgOptionText("x", false))
		return err
	}

	fs.InjectFault("chat.postMessage", Fault{Status: http.StatusTooManyRequests, RetryAfter: 2, Next: 1})
	var limited *slack.RateLimitedError
	if err := post(); !errors.As(err, &limited) || limited.RetryAfter != 2*time.Second {
		t.Errorf("429: %v, want *slack.RateLimitedError with RetryAfter 2s", err)
	}
	if err := post(); err != nil {
		t.Errorf("after the fault: %v", err)
	}

	fs.InjectFault("", Fault{Status: http.StatusInternalServerError, Next: 2})
	var status slack.StatusCodeError
	if _, err := api.AuthTest(); !errors.As(err, &status) || status.Code != 500 {
		t.Errorf("500: %v, want slack.StatusCodeError 500", err)
	}
	if err := post(); !errors.As(err, &status) || status.Code != 500 {
		t.Errorf("500 on every method: %v", err)
	}
	if err := post(); err != nil {
		t.Errorf("after two faults: %v", err)
	}
	if got := fs.Calls("chat.postMessage"); got != 4 {
		t.Errorf("chat.postMessage calls = %d, want 4", got)
	}
	// Every attempt is in the everything-log, with its outcome.
	var statuses []int
	for _, c := range fs.Sent() {
		statuses = append(statuses, c.Status)
	}
	want := []int{429, 200, 500, 500, 200}
	if len(statuses) != len(want) {
		t.Fatalf("statuses = %v, want %v", statuses, want)
	}
	for i := range want {
		if statuses[i] != want[i] {
			t.Errorf("statuses = %v, want %v", statuses, want)
			break
		}
	}
}

func TestShareFaultsAreDeterministic(t *testing.T) {
	t.Parallel()
	outcomes := func() []bool {
		fs := Start(t, WithSeed(7), WithoutRateLimits()) // the faults alone decide
		workspace(fs)
		api := fs.NewClient()
		fs.InjectFault("chat.postMessage", Fault{Status: http.StatusServiceUnavailable, Share: 0.5})
		var failed []bool
		for range 40 {
			_, _, err := api.PostMessage("CALIGN", slack.MsgOptionText("x", false))
			failed = append(failed, err != nil)
		}
		fs.ClearFaults()
		if _, _, err := api.PostMessage("CALIGN", slack.MsgOptionText("x", false)); err != nil {
			t.Errorf("after ClearFaults: %v", err)
		}
		return failed
	}
	first, second := outcomes(), outcomes()
	n := 0
	for i := range first {
		if first[i] != second[i] {
			t.Fatalf("runs differ at call %d", i)
		}
		if first[i] {
			n++
		}
	}
	if n < 10 || n > 30 {
		t.Errorf("%d of 40 calls failed, want about half", n)
	}
}

func TestRateLimits(t *testing.T) {
	t.Parallel()
	clock := testclock.New(time.Unix(1700000000, 0))
	fs := Start(t, WithClock(clock.Now), WithRateLimits(SlackRateLimits()))
	workspace(fs)
	fs.AddChannel(Channel{ID: "COTHER", Name: "other", BotMember: true})
	api := fs.NewClient()
	post := func(ch string) error {
		_, _, err := api.PostMessage(ch, slack.MsgOptionText("x", false))
		return err
	}
	for i := range 3 { // the burst
		if err := post("CALIGN"); err != nil {
			t.Fatalf("post %d: %v", i, err)
		}
	}
	var limited *slack.RateLimitedError
	if err := post("CALIGN"); !errors.As(err, &limited) || limited.RetryAfter != time.Second {
		t.Errorf("4th post in a second: %v, want 429 with Retry-After 1", err)
	}
	if err := post("COTHER"); err != nil {
		t.Errorf("another channel: %v", err)
	}
	clock.Advance(time.Second)
	if err := post("CALIGN"); err != nil {
		t.Errorf("a second later: %v", err)
	}
	if got := fs.RateLimitedCount(); got != 1 {
		t.Errorf("RateLimitedCount = %d, want 1", got)
	}
}

func TestDefaultRateLimits(t *testing.T) {
	t.Parallel()
	tests := []struct {
		method     string
		burst      int
		retryAfter time.Duration // once the burst is spent
		call       func(t *testing.T, fs *Server, api *slack.Client) error
	}{
		{"apps.connections.open", 10, time.Minute, func(t *testing.T, _ *Server, api *slack.Client) error {
			_, _, err := api.StartSocketModeContext(t.Context())
			return err
		}},
		{"users.list", 5, 3 * time.Second, func(t *testing.T, _ *Server, api *slack.Client) error {
			_, err := api.GetUsersPaginated().Next(t.Context())
			return err
		}},
		{"conversations.list", 5, 3 * time.Second, func(t *testing.T, _ *Server, api *slack.Client) error {
			_, _, err := api.GetConversationsContext(t.Context(), &slack.GetConversationsParameters{})
			return err
		}},
		{"chat.update", 10, 2 * time.Second, func(t *testing.T, fs *Server, api *slack.Client) error {
			_, _, _, err := api.UpdateMessage("CALIGN", fs.Messages("CALIGN")[0].TS, slack.MsgOptionText("x", false))
			return err
		}},
		{"conversations.open", 10, 2 * time.Second, func(t *testing.T, _ *Server, api *slack.Client) error {
			_, _, _, err := api.OpenConversation(&slack.OpenConversationParameters{Users: []string{"UMKT"}})
			return err
		}},
		{"conversations.members", 20, time.Second, func(t *testing.T, _ *Server, api *slack.Client) error {
			_, _, err := api.GetUsersInConversation(&slack.GetUsersInConversationParameters{ChannelID: "CALIGN"})
			return err
		}},
		{"users.info", 20, time.Second, func(t *testing.T, _ *Server, api *slack.Client) error {
			_, err := api.GetUserInfo("UMKT")
			return err
		}},
		{"files.getUploadURLExternal", 20, time.Second, func(t *testing.T, _ *Server, api *slack.Client) error {
			_, err := api.GetUploadURLExternalContext(t.Context(), slack.GetUploadURLExternalParameters{FileName: "a", FileSize: 1})
			return err
		}},
		{"auth.test", 50, time.Second, func(t *testing.T, _ *Server, api *slack.Client) error {
			_, err := api.AuthTest()
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.method, func(t *testing.T) {
			t.Parallel()
			clock := testclock.New(time.Unix(1700000000, 0))
			fs := Start(t, WithClock(clock.Now))
			workspace(fs)
			api := fs.NewClient()
			if _, _, err := api.PostMessage("CALIGN", slack.MsgOptionText("card", false)); err != nil {
				t.Fatal(err)
			}
			for i := range tt.burst {
				if err := tt.call(t, fs, api); err != nil {
					t.Fatalf("call %d of the burst: %v", i+1, err)
				}
			}
			var limited *slack.RateLimitedError
			if err := tt.call(t, fs, api); !errors.As(err, &limited) || limited.RetryAfter != tt.retryAfter {
				t.Fatalf("call after the burst: %v, want 429 with Retry-After %v", err, tt.retryAfter)
			}
			if got := fs.RateLimited(tt.method); got != 1 {
				t.Errorf("RateLimited(%s) = %d, want 1", tt.method, got)
			}
			clock.Advance(tt.retryAfter)
			if err := tt.call(t, fs, api); err != nil {
				t.Errorf("after Retry-After: %v", err)
			}
		})
	}
}

func TestPostLimitsShareADMAndSpareResponseURLs(t *testing.T) {
	t.Parallel()
	clock := testclock.New(time.Unix(1700000000, 0))
	fs := Start(t, WithClock(clock.Now))
	workspace(fs)
	app := startApp(t, fs)
	api := app.api

	// A post to the user ID and a post to the DM's ID land in the same DM
	// and spend the same budget.
	dm := fs.OpenDM("UMKT")
	for i, ch := range []string{"UMKT", dm, "UMKT"} {
		if _, _, err := api.PostMessage(ch, slack.MsgOptionText("x", false)); err != nil {
			t.Fatalf("post %d: %v", i, err)
		}
	}
	var limited *slack.RateLimitedError
	if _, _, err := api.PostMessage(dm, slack.MsgOptionText("x", false)); !errors.As(err, &limited) {
		t.Errorf("4th post in the DM: %v, want 429", err)
	}

	// With chat.postMessage spent in CALIGN, a response_url still posts
	// there: its uses are its only limit.
	for range 3 {
		if _, _, err := api.PostMessage("CALIGN", slack.MsgOptionText("x", false)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := fs.SlashCommand("USALES", "CALIGN", "status"); err != nil {
		t.Fatal(err)
	}
	evt := app.next(t)
	app.ack(t, evt)
	responseURL := evt.Data.(slack.SlashCommand).ResponseURL
	for i := range DefaultResponseURLUses {
		if _, _, err := api.PostMessage("", slack.MsgOptionResponseURL(responseURL, slack.ResponseTypeInChannel), slack.MsgOptionText("x", false)); err != nil {
			t.Errorf("response_url post %d: %v", i+1, err)
		}
	}
	if got, want := fs.RateLimited("chat.postMessage"), 1; got != want {
		t.Errorf("RateLimited(chat.postMessage) = %d, want %d", got, want)
	}
	if got := fs.RateLimited("response_url"); got != 0 {
		t.Errorf("RateLimited(response_url) = %d, want 0", got)
	}
}

func TestWithoutRateLimits(t *testing.T) {
	t.Parallel()
	fs := Start(t, WithoutRateLimits())
	workspace(fs)
	api := fs.NewClient()
	for i := range 40 {
		if _, _, err := api.PostMessage("CALIGN", slack.MsgOptionText("x", false)); err != nil {
			t.Fatalf("post %d: %v", i+1, err)
		}
	}
	for i := range 40 {
		if _, err := api.GetUserInfo("UMKT"); err != nil {
			t.Fatalf("users.info %d: %v", i+1, err)
		}
	}
	if got := fs.RateLimitedCount(); got != 0 {
		t.Errorf("RateLimitedCount = %d, want 0", got)
	}
}
