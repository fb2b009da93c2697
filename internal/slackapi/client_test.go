package slackapi

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/slack-go/slack"

	"github.com/alignbot/alignbot/internal/slackfake"

	"github.com/alignbot/alignbot/internal/testclock"
)

// clientMethods are the Web API methods the Client's wrappers call.
var clientMethods = []string{
	"auth.test", "chat.postMessage", "chat.update", "chat.delete", "chat.postEphemeral",
	"conversations.open", "conversations.info", "conversations.history", "conversations.replies",
	"conversations.members", "conversations.list", "users.info", "users.list",
	"views.open", "views.update", "views.publish",
	"files.getUploadURLExternal", "files.completeUploadExternal",
}

// TestSlackLimitsAreWithinTheFakes compares the budgets: every method the
// client calls has one, no faster and with no larger a burst than the fake
// Slack's (Slack's published limits).
func TestSlackLimitsAreWithinTheFakes(t *testing.T) {
	t.Parallel()
	ours, theirs := SlackLimits(), slackfake.SlackRateLimits()
	within := func(name string, l Limit, f slackfake.Limit) {
		t.Helper()
		rate := l.PerMinute * ours.Margin / 60
		if f.Every <= 0 {
			return // not limited by Slack
		}
		if fakeRate := 1 / f.Every.Seconds(); rate > fakeRate || l.Burst > f.Burst {
			t.Errorf("%s: %.3f calls/s, bursts of %d; Slack allows %.3f/s, bursts of %d", name, rate, l.Burst, fakeRate, f.Burst)
		}
	}
	for _, m := range clientMethods {
		l, ok := ours.Methods[m]
		if !ok {
			t.Errorf("%s has no budget", m)
			continue
		}
		f := theirs.Methods[m]
		if m == "chat.postMessage" {
			f = theirs.PostWorkspace
		}
		within(m, l, f)
	}
	within("chat.postMessage in a channel", ours.PostPerChannel, theirs.PostPerChannel)
}

// startFake starts a fake Slack with two channels and a user, and a client
// for it on a clock the test moves.
func startFake(t *testing.T, opts ...slackfake.Option) (*slackfake.Server, *Client, *testclock.Clock) {
	t.Helper()
	fake := slackfake.Start(t, opts...)
	fake.AddUser(slackfake.User{ID: "U1", Name: "ann"})
	for _, id := range []string{"C1", "C2"} {
		fake.AddChannel(slackfake.Channel{ID: id, Name: "team-" + id, BotMember: true})
	}
	c := New(fake.NewClient(), SlackLimits())
	clk := newClock()
	c.now = clk.Now
	return fake, c, clk
}

func timeout(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// TestA429PausesOnlyWhatSlackRefused: a 429 stops the refused method (for
// chat.postMessage, the refused channel) for Retry-After, and nothing else.
func TestA429PausesOnlyWhatSlackRefused(t *testing.T) {
	t.Parallel()
	type call func(ctx context.Context, c *Client) error
	usersInfo := func(ctx context.Context, c *Client) error { _, err := c.GetUserInfoContext(ctx, "U1"); return err }
	post := func(channel string) call {
		return func(ctx context.Context, c *Client) error {
			_, _, err := c.PostMessageContext(ctx, channel, slack.MsgOptionText("hi", false))
			return err
		}
	}
	authTest := func(ctx context.Context, c *Client) error { _, err := c.AuthTestContext(ctx); return err }
	channelInfo := func(ctx context.Context, c *Client) error {
		_, err := c.GetConversationInfoContext(ctx, &slack.GetConversationInfoInput{ChannelID: "C1"})
		return err
	}
	for _, tc := range []struct {
		name       string
		method     string // the fake's name for it
		retryAfter int
		refused    call
		others     []call
	}{
		{"users.info", "users.info", 30, usersInfo, []call{authTest, channelInfo, post("C1")}},
		{"chat.postMessage in a channel", "chat.postMessage", 10, post("C1"), []call{post("C2"), usersInfo, authTest}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			fake, c, clk := startFake(t)
			ctx := timeout(t)
			fake.InjectFault(tc.method, slackfake.Fault{Status: http.StatusTooManyRequests, RetryAfter: tc.retryAfter, Next: 1})
			err := tc.refused(ctx, c)
			if wait, limited := RetryAfter(err); !limited || wait != time.Duration(tc.retryAfter)*time.Second {
				t.Fatalf("first call: %v; want a 429 with Retry-After %ds", err, tc.retryAfter)
			}
			if got := c.RateLimited()[tc.method]; got != 1 {
				t.Errorf("RateLimited()[%s] = %d, want 1", tc.method, got)
			}
			for i, other := range tc.others {
				// A live context, but the clock does not move: these go
				// through at once or not at all.
				if err := other(ctx, c); err != nil {
					t.Errorf("other call #%d: %v", i+1, err)
				}
			}
			callsAfterOthers := fake.Calls(tc.method)
			clk.Advance(time.Duration(tc.retryAfter)*time.Second - time.Millisecond)
			if err := tc.refused(cancelled(true), c); err != context.Canceled {
				t.Errorf("just before Retry-After: got %v, want the call held back", err)
			}
			if got := fake.Calls(tc.method); got != callsAfterOthers {
				t.Errorf("a paused call reached Slack")
			}
			clk.Advance(time.Millisecond)
			if err := tc.refused(ctx, c); err != nil {
				t.Errorf("after Retry-After: %v", err)
			}
		})
	}
}

// TestRetryAfterReadsSlackGosError checks RetryAfter against what slack-go
// makes of a real 429.
func TestRetryAfterReadsSlackGosError(t *testing.T) {
	t.Parallel()
	fake := slackfake.Start(t)
	fake.InjectFault("auth.test", slackfake.Fault{Status: http.StatusTooManyRequests, RetryAfter: 7, Next: 1})
	_, err := fake.NewClient().AuthTestContext(timeout(t))
	if wait, limited := RetryAfter(err); !limited || wait != 7*time.Second {
		t.Errorf("RetryAfter(%v) = %v, %v; want 7s, true", err, wait, limited)
	}
}

// workspaceFor adds the channels and users a burst needs.
func workspaceFor(fake *slackfake.Server, posts, lookups int) {
	for i := range posts {
		fake.AddChannel(slackfake.Channel{ID: fmt.Sprintf("C%03d", i), Name: fmt.Sprintf("team-%d", i), BotMember: true})
	}
	for i := range lookups {
		fake.AddUser(slackfake.User{ID: fmt.Sprintf("U%03d", i), Name: fmt.Sprintf("user%d", i)})
	}
}

// burstOf sends posts chat.postMessage to distinct channels and lookups
// users.info, all at once, as background work, and returns the errors.
func burstOf(ctx context.Context, c *Client, posts, lookups int) []error {
	var mu sync.Mutex
	var failed []error
	fail := func(err error) {
		mu.Lock()
		defer mu.Unlock()
		failed = append(failed, err)
	}
	var wg sync.WaitGroup
	for i := range posts {
		wg.Go(func() {
			if _, _, err := c.PostMessageContext(ctx, fmt.Sprintf("C%03d", i), slack.MsgOptionText("hi", false)); err != nil {
				fail(err)
			}
		})
	}
	for i := range lookups {
		wg.Go(func() {
			if _, err := c.GetUserInfoContext(ctx, fmt.Sprintf("U%03d", i)); err != nil {
				fail(err)
			}
		})
	}
	wg.Wait()
	return failed
}

// checkNo429 checks that a burst got through whole without a 429.
func checkNo429(t *testing.T, fake *slackfake.Server, c *Client, failed []error, posts, lookups int) {
	t.Helper()
	if len(failed) > 0 {
		t.Errorf("%d calls failed, the first: %v", len(failed), failed[0])
	}
	if n := fake.RateLimitedCount(); n != 0 {
		t.Errorf("the fake answered %d calls with 429", n)
	}
	if got := c.RateLimited(); len(got) != 0 {
		t.Errorf("the client counted 429s: %v", got)
	}
	if p, u := fake.Calls("chat.postMessage"), fake.Calls("users.info"); p != posts || u != lookups {
		t.Errorf("the fake saw %d posts and %d lookups, want %d and %d", p, u, posts, lookups)
	}
}

// TestABurstThroughTheClientGetsNo429 sends a burst of chat.postMessage to
// distinct channels and of users.info at once, as background work, to the
// fake Slack with Slack's limits: the client's budgets must keep every call
// within them.
func TestABurstThroughTheClientGetsNo429(t *testing.T) {
	t.Parallel()

	// The whole burst, which Slack spreads over a minute, in a synctest
	// bubble: the client's clock and timers are the bubble's, and the
	// fake reads the bubble's time too. Time advances only while every
	// call waits for its budget, never while a request is on its way, so
	// the fake sees each call at the instant the client let it go.
	t.Run("300 posts and 120 lookups in virtual time", func(t *testing.T) {
		t.Parallel()
		const posts, lookups = 300, 120
		var now atomic.Pointer[time.Time]
		now.Store(&t0)
		fake := slackfake.Start(t, slackfake.WithClock(func() time.Time { return *now.Load() }))
		workspaceFor(fake, posts, lookups)
		var c *Client
		var failed []error
		var took time.Duration
		synctest.Test(t, func(t *testing.T) {
			// No keep-alive: an idle connection's reader would block the
			// bubble for good.
			c = New(fake.NewClient(slack.OptionHTTPClient(&http.Client{Transport: &http.Transport{DisableKeepAlives: true}})), SlackLimits())
			c.now = func() time.Time {
				n := time.Now()
				now.Store(&n)
				return n
			}
			begin := c.now()
			failed = burstOf(context.Background(), c, posts, lookups)
			took = c.now().Sub(begin)
		})
		checkNo429(t, fake, c, failed, posts, lookups)
		// users.info sets the pace: Slack allows 20 at once and 100 a
		// minute after, so 120 take a minute at the least. A client far
		// slower than that wastes the budget.
		if took < time.Minute || took > 75*time.Second {
			t.Errorf("the burst took %v of virtual time, want a little over a minute", took)
		}
		t.Logf("%d posts and %d lookups in %v of virtual time", posts, lookups, took.Round(time.Millisecond))
	})

	// A smaller burst in real time, so that the requests' real latency
	// plays its part, still larger than Slack's bursts (30 posts, 20
	// lookups); it takes about six seconds.
	t.Run("40 posts and 25 lookups in real time", func(t *testing.T) {
		t.Parallel()
		const posts, lookups = 40, 25
		fake := slackfake.Start(t)
		workspaceFor(fake, posts, lookups)
		c := New(fake.NewClient(), SlackLimits())
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		begin := time.Now()
		failed := burstOf(ctx, c, posts, lookups)
		checkNo429(t, fake, c, failed, posts, lookups)
		t.Logf("%d posts and %d lookups in %v", posts, lookups, time.Since(begin).Round(time.Millisecond))
	})

	// Without the client's budgets the same burst is refused: the fake does
	// enforce the limits the other subtests stay within.
	t.Run("without budgets", func(t *testing.T) {
		t.Parallel()
		const posts, lookups = 40, 25
		fake := slackfake.Start(t)
		workspaceFor(fake, posts, lookups)
		limited := 0
		for _, err := range burstOf(timeout(t), New(fake.NewClient(), Limits{}), posts, lookups) {
			if _, ok := RetryAfter(err); ok {
				limited++
			}
		}
		if fake.RateLimited("users.info") == 0 || fake.RateLimited("chat.postMessage") == 0 || limited == 0 {
			t.Errorf("no 429s without budgets (%d in all)", limited)
		}
	})
}
