package slackapi

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/alignbot/alignbot/internal/slackfake"
)

// reads are the Client's idempotent calls, by the fake's method name.
var reads = map[string]func(ctx context.Context, c *Client) error{
	"auth.test": func(ctx context.Context, c *Client) error { _, err := c.AuthTestContext(ctx); return err },
	"users.info": func(ctx context.Context, c *Client) error {
		_, err := c.GetUserInfoContext(ctx, "U1")
		return err
	},
	"users.list": func(ctx context.Context, c *Client) error { _, err := c.GetUsers(ctx); return err },
	"conversations.info": func(ctx context.Context, c *Client) error {
		_, err := c.GetConversationInfoContext(ctx, &slack.GetConversationInfoInput{ChannelID: "C1"})
		return err
	},
	"conversations.members": func(ctx context.Context, c *Client) error {
		_, _, err := c.GetUsersInConversationContext(ctx, &slack.GetUsersInConversationParameters{ChannelID: "C1"})
		return err
	},
	"conversations.list": func(ctx context.Context, c *Client) error {
		_, _, err := c.GetConversationsContext(ctx, &slack.GetConversationsParameters{})
		return err
	},
	"conversations.history": func(ctx context.Context, c *Client) error {
		_, err := c.GetConversationHistoryContext(ctx, &slack.GetConversationHistoryParameters{ChannelID: "C1"})
		return err
	},
	"conversations.open": func(ctx context.Context, c *Client) error {
		_, _, _, err := c.OpenConversationContext(ctx, &slack.OpenConversationParameters{Users: []string{"U1"}})
		return err
	},
}

// TestATransientFailureOfAReadIsTriedAgain: a 5xx on a read is worth two
// more tries before the caller (and the person waiting) hears of it.
func TestATransientFailureOfAReadIsTriedAgain(t *testing.T) {
	t.Parallel()
	for method, read := range reads {
		t.Run(method, func(t *testing.T) {
			t.Parallel()
			fake, c, _ := startFake(t, slackfake.WithoutRateLimits())
			fake.InjectFault(method, slackfake.Fault{Status: http.StatusServiceUnavailable, Next: 2})
			if err := read(timeout(t), c); err != nil {
				t.Fatalf("after two 503s: %v; want the third try to succeed", err)
			}
			if n := fake.Calls(method); n != 3 {
				t.Errorf("%d calls, want 3", n)
			}
			if n := c.Retried()[method]; n != 2 {
				t.Errorf("Retried says %d, want 2", n)
			}
		})
	}
}

// TestAReadThatKeepsFailingIsTriedThreeTimes: then the error goes to the
// caller; an answer from Slack itself is not tried again.
func TestAReadThatKeepsFailingIsTriedThreeTimes(t *testing.T) {
	t.Parallel()
	fake, c, _ := startFake(t, slackfake.WithoutRateLimits())
	fake.InjectFault("users.info", slackfake.Fault{Status: http.StatusBadGateway, Share: 1})
	_, err := c.GetUserInfoContext(timeout(t), "U1")
	var sc slack.StatusCodeError
	if !asStatus(err, &sc) || sc.Code != http.StatusBadGateway || fake.Calls("users.info") != 3 {
		t.Errorf("got %v after %d calls; want the 502, after 3", err, fake.Calls("users.info"))
	}
	fake.ClearFaults()
	if _, err := c.GetUserInfoContext(timeout(t), "UNOBODY"); err == nil || fake.Calls("users.info") != 4 {
		t.Errorf("user_not_found: %v after %d calls; want it at once, one more call", err, fake.Calls("users.info"))
	}
}

func asStatus(err error, sc *slack.StatusCodeError) bool {
	if e, ok := err.(slack.StatusCodeError); ok {
		*sc = e
		return true
	}
	return false
}

// TestWritesAreSentOnce: a post or an update that fails goes back to the
// caller, whose outbox knows whether an earlier attempt got through.
func TestWritesAreSentOnce(t *testing.T) {
	t.Parallel()
	fake, c, _ := startFake(t, slackfake.WithoutRateLimits())
	ctx := timeout(t)
	_, ts, err := c.PostMessageContext(ctx, "C1", slack.MsgOptionText("first", false))
	if err != nil {
		t.Fatal(err)
	}
	fake.InjectFault("chat.postMessage", slackfake.Fault{Status: http.StatusServiceUnavailable, Next: 1})
	fake.InjectFault("chat.update", slackfake.Fault{Status: http.StatusServiceUnavailable, Next: 1})
	if _, _, err := c.PostMessageContext(ctx, "C1", slack.MsgOptionText("second", false)); err == nil {
		t.Error("a post that met a 503 succeeded")
	}
	if _, _, _, err := c.UpdateMessageContext(ctx, "C1", ts, slack.MsgOptionText("edited", false)); err == nil {
		t.Error("an update that met a 503 succeeded")
	}
	if p, u := fake.Calls("chat.postMessage"), fake.Calls("chat.update"); p != 2 || u != 1 {
		t.Errorf("%d posts and %d updates, want 2 and 1: a write is never sent again here", p, u)
	}
}

// TestAHungReadForAPersonIsTriedAgainInTime: a read made for someone
// waiting gives up on a try that hangs, in time for another within the
// seconds they wait.
func TestAHungReadForAPersonIsTriedAgainInTime(t *testing.T) {
	t.Parallel()
	fake, c, _ := startFake(t, slackfake.WithoutRateLimits())
	fake.Hold(slackfake.HoldRule{Method: "users.info", For: 5 * time.Second})
	ctx, cancel := context.WithTimeout(Interactive(context.Background()), 3*time.Second)
	defer cancel()
	began := time.Now()
	u, err := c.GetUserInfoContext(ctx, "U1")
	if err != nil || u.ID != "U1" {
		t.Fatalf("got %v, %v; want the user, from the second try", u, err)
	}
	if took := time.Since(began); took > 2500*time.Millisecond {
		t.Errorf("took %v; a hung try must be given up in time", took)
	}
}

// TestTransient tells what is worth trying again at once.
func TestTransient(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{slack.StatusCodeError{Code: 500}, true},
		{slack.StatusCodeError{Code: 503}, true},
		{slack.StatusCodeError{Code: 404}, false},
		{&slack.RateLimitedError{RetryAfter: time.Second}, false},
		{slack.SlackErrorResponse{Err: "user_not_found"}, false},
		{slack.SlackErrorResponse{Err: "internal_error"}, true},
		{context.DeadlineExceeded, true},
		{context.Canceled, false},
		{nil, false},
	} {
		if got := Transient(tc.err); got != tc.want {
			t.Errorf("Transient(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}
