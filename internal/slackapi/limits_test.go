package slackapi

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/alignbot/alignbot/internal/testclock"
)

var t0 = time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)

func newClock() *testclock.Clock { return testclock.New(t0) }

// newTestClient returns a client without Slack behind it, on a clock the
// test moves.
func newTestClient(limits Limits) (*Client, *testclock.Clock) {
	c := New(nil, limits)
	clk := newClock()
	c.now = clk.Now
	return c, clk
}

// cancelled is a context that is already done: a call made with it goes
// through only if its budget has a token now, and otherwise returns
// context.Canceled itself, without waiting.
func cancelled(interactive bool) context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if interactive {
		return Interactive(ctx)
	}
	return ctx
}

// callsNow counts the calls of method (to channel) that go through at once,
// up to max.
func callsNow(t *testing.T, c *Client, method, channel string, interactive bool, max int) int {
	t.Helper()
	n := 0
	for range max {
		err := c.call(cancelled(interactive), method, channel, func() error { return nil })
		if err == context.Canceled { // identity: refused by the budget, not by a call
			break
		}
		if err != nil {
			t.Fatalf("call %s: %v", method, err)
		}
		n++
	}
	return n
}

func TestABucketAllowsItsBurstThenPacesAtItsRate(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		limit  Limit
		margin float64
	}{
		{"one a second", Limit{PerMinute: 60, Burst: 3}, 1},
		{"tier 1", Tier1, 1},
		{"tier 4 with Slack's margin", Tier4, SlackLimits().Margin},
		{"chat.postMessage", SlackLimits().Methods["chat.postMessage"], SlackLimits().Margin},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := newBucket(tc.limit, 1, tc.margin, t0)
			now := t0
			burst := 0
			for b.take(now, true) == 0 {
				burst++
			}
			if burst != tc.limit.Burst {
				t.Errorf("burst: %d calls, want %d", burst, tc.limit.Burst)
			}
			rate := tc.limit.PerMinute / 60 * tc.margin // calls a second
			interval := time.Duration(float64(time.Second) / rate)
			if wait := b.take(now, true); absDuration(wait-interval) > time.Millisecond {
				t.Errorf("wait after the burst: %v, want %v", wait, interval)
			}
			if d := b.take(now.Add(interval-10*time.Millisecond), true); d == 0 {
				t.Errorf("a call went through before its interval")
			}
			// Call as often as the bucket allows for 50 intervals.
			end := now.Add(50 * interval)
			granted := 0
			for now.Before(end) {
				if d := b.take(now, true); d > 0 {
					now = now.Add(d)
					continue
				}
				granted++
			}
			if granted < 49 || granted > 50 {
				t.Errorf("paced: %d calls in %v, want 50 (one every %v)", granted, 50*interval, interval)
			}
		})
	}
}

func absDuration(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}

func TestBackgroundCallsLeaveTheReserve(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		limit       Limit
		background  int // calls background work gets from a full bucket
		interactive int // calls left for people waiting
	}{
		{Tier4, 15, 5},
		{Tier3, 8, 2},
		{Limit{PerMinute: 300, Burst: 30}, 23, 7},
		{Limit{PerMinute: 60, Burst: 3}, 3, 0},
		{Tier1, 2, 0},
	} {
		t.Run(fmt.Sprintf("burst %d", tc.limit.Burst), func(t *testing.T) {
			t.Parallel()
			c, clk := newTestClient(Limits{Methods: map[string]Limit{"m": tc.limit}, Margin: 1})
			if n := callsNow(t, c, "m", "", false, 100); n != tc.background {
				t.Errorf("background calls from a full bucket: %d, want %d", n, tc.background)
			}
			if n := callsNow(t, c, "m", "", true, 100); n != tc.interactive {
				t.Errorf("interactive calls after background ones: %d, want %d", n, tc.interactive)
			}
			// One call's worth of refill goes to a person waiting; background
			// work waits for the reserve to fill again.
			interval := time.Duration(float64(time.Minute) / tc.limit.PerMinute)
			clk.Advance(interval + interval/100)
			if tc.interactive > 0 {
				if n := callsNow(t, c, "m", "", false, 1); n != 0 {
					t.Errorf("a background call took from the reserve")
				}
			}
			if n := callsNow(t, c, "m", "", true, 100); n != 1 {
				t.Errorf("interactive calls after one interval: %d, want 1", n)
			}
		})
	}
}

func TestSetShareDividesRateAndBurst(t *testing.T) {
	t.Parallel()
	limits := Limits{
		Methods:        map[string]Limit{"m": {PerMinute: 60, Burst: 12}, "chat.postMessage": {PerMinute: 6000, Burst: 1000}},
		PostPerChannel: Limit{PerMinute: 60, Burst: 4},
		Margin:         1,
	}
	for _, tc := range []struct {
		replicas     int
		burst        int // of m
		interval     time.Duration
		channelBurst int
	}{
		{1, 12, time.Second, 4},
		{0, 12, time.Second, 4}, // no live replica counted yet: the whole budget
		{2, 6, 2 * time.Second, 2},
		{3, 4, 3 * time.Second, 1},
		{24, 1, 24 * time.Second, 1}, // never below one call
	} {
		t.Run(fmt.Sprintf("%d replicas", tc.replicas), func(t *testing.T) {
			t.Parallel()
			c, _ := newTestClient(limits)
			c.SetShare(tc.replicas)
			if n := callsNow(t, c, "m", "", true, 100); n != tc.burst {
				t.Errorf("burst: %d calls, want %d", n, tc.burst)
			}
			if wait := c.method("m").take(c.now(), true); absDuration(wait-tc.interval) > time.Millisecond {
				t.Errorf("interval: %v, want %v", wait, tc.interval)
			}
			if n := callsNow(t, c, "chat.postMessage", "C1", true, 100); n != tc.channelBurst {
				t.Errorf("burst in a channel: %d posts, want %d", n, tc.channelBurst)
			}
		})
	}
	t.Run("buckets already in use shrink", func(t *testing.T) {
		t.Parallel()
		c, clk := newTestClient(limits)
		if n := callsNow(t, c, "m", "", true, 1); n != 1 {
			t.Fatal("first call refused")
		}
		c.SetShare(2)
		if n := callsNow(t, c, "m", "", true, 100); n != 6 {
			t.Errorf("after SetShare(2), %d more calls, want 6 (half the burst)", n)
		}
		// Back to the whole budget: the bucket refills at the whole rate.
		c.SetShare(1)
		clk.Advance(3 * time.Second)
		if n := callsNow(t, c, "m", "", true, 100); n != 3 {
			t.Errorf("3s after SetShare(1): %d calls, want 3", n)
		}
	})
}

func TestRetryAfter(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		err     error
		want    time.Duration
		limited bool
	}{
		{"rate limited", &slack.RateLimitedError{RetryAfter: 7 * time.Second}, 7 * time.Second, true},
		{"wrapped", fmt.Errorf("post reveal: %w", &slack.RateLimitedError{RetryAfter: 2 * time.Second}), 2 * time.Second, true},
		{"no wait given", &slack.RateLimitedError{}, time.Second, true},
		{"429 without Retry-After", slack.StatusCodeError{Code: 429, Status: "429 Too Many Requests"}, 30 * time.Second, true},
		{"500", slack.StatusCodeError{Code: 500, Status: "500 Internal Server Error"}, 0, false},
		{"Slack error", slack.SlackErrorResponse{Err: "channel_not_found"}, 0, false},
		{"other", errors.New("connection reset"), 0, false},
		{"nil", nil, 0, false},
	} {
		got, limited := RetryAfter(tc.err)
		if got != tc.want || limited != tc.limited {
			t.Errorf("%s: got %v, %v; want %v, %v", tc.name, got, limited, tc.want, tc.limited)
		}
	}
}

func TestACallWaitingForItsBudgetGivesUpWhenTheReplicaQuits(t *testing.T) {
	t.Parallel()
	c, _ := newTestClient(Limits{Methods: map[string]Limit{"m": Tier1}, Margin: 1})
	quit := make(chan struct{})
	ctx := Quitting(context.Background(), quit)
	sent := 0
	send := func() error { sent++; return nil }
	// Quitting does not stop a call that has its budget.
	if err := c.call(Quitting(context.Background(), closed()), "m", "", send); err != nil || sent != 1 {
		t.Fatalf("a call with its budget while quitting: %v, sent %d; want it sent", err, sent)
	}
	// The bucket is empty now: the next token is half a minute away.
	callsNow(t, c, "m", "", false, 100)
	done := make(chan error, 1)
	go func() { done <- c.call(ctx, "m", "", send) }()
	close(quit)
	select {
	case err := <-done:
		if !errors.Is(err, ErrQuit) {
			t.Fatalf("a waiting call when the replica quits: %v, want ErrQuit", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a waiting call did not give up when the replica quit")
	}
	if sent != 1 {
		t.Errorf("calls sent: %d, want only the one with budget", sent)
	}
}

func closed() <-chan struct{} {
	ch := make(chan struct{})
	close(ch)
	return ch
}

// A reservation its holder found it did not need goes back: the budget it
// took is there for the next call, and giving back twice, or after the
// call was made, gives back nothing.
func TestAReleasedReservationIsTheNextCallers(t *testing.T) {
	t.Parallel()
	c, _ := newTestClient(Limits{UpdatePerChannel: Limit{PerMinute: 20, Burst: 2}, Margin: 1})
	used, err := c.Reserve(context.Background(), "chat.update", "C1")
	if err != nil {
		t.Fatal(err)
	}
	if err := c.call(used, "chat.update", "C1", func() error { return nil }); err != nil {
		t.Fatal(err)
	}
	c.Release(used) // spent: nothing to give back
	unused, err := c.Reserve(context.Background(), "chat.update", "C1")
	if err != nil {
		t.Fatal(err)
	}
	if n := callsNow(t, c, "chat.update", "C1", true, 10); n != 0 {
		t.Fatalf("%d calls went through with the channel's burst reserved", n)
	}
	c.Release(unused)
	c.Release(unused)
	if n := callsNow(t, c, "chat.update", "C1", true, 10); n != 1 {
		t.Errorf("after the reservation was released, %d calls went through at once, want 1", n)
	}
}
