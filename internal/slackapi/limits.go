// Package slackapi calls Slack's Web API within Slack's published rate
// limits. Slack limits each method per workspace by tier (Tier 1 about one
// call a minute, Tier 2 twenty, Tier 3 fifty, Tier 4 a hundred), and
// chat.postMessage to about one message a second per channel besides a
// workspace-wide budget. The Client keeps one token bucket per method and
// one per channel for chat.postMessage, so a busy method never slows another;
// a 429's Retry-After pauses only the method that got it.
//
// Replicas of one app share Slack's budgets: each takes its share (SetShare)
// from the number of live replicas. Calls made for a person who is waiting
// (Interactive) go ahead of background work: background calls leave a
// reserve in each bucket. Reads are tried again on a 5xx, a timeout or a
// dropped connection (Transient); writes never are. A call can be paid for
// before it is made (Reserve), so that a caller never holds anything while
// it waits for the budget.
package slackapi

import (
	"context"
	"errors"
	"math"
	"sync"
	"time"
)

// Limit is a token bucket: PerMinute calls a minute, bursts of Burst.
type Limit struct {
	PerMinute float64
	Burst     int
}

// Slack's tiers, as its rate-limits page publishes them (per method, per
// workspace, per app), with the small bursts Slack tolerates.
var (
	Tier1 = Limit{PerMinute: 1, Burst: 2}
	Tier2 = Limit{PerMinute: 20, Burst: 5}
	Tier3 = Limit{PerMinute: 50, Burst: 10}
	Tier4 = Limit{PerMinute: 100, Burst: 20}
)

// Limits is the budget of every method the bot calls.
type Limits struct {
	// Methods by Web API method name. A method not listed is not limited.
	Methods map[string]Limit
	// PostPerChannel limits chat.postMessage in each channel, besides
	// Methods["chat.postMessage"] for the workspace.
	PostPerChannel Limit
	// UpdatePerChannel is alignbot's own pace for chat.update in one
	// conversation: a message updated in place (a round's progress) changes
	// at most every few seconds, however busy the round.
	UpdatePerChannel Limit
	// Margin is the share of each budget the client uses, below 1 so that
	// timing differences between the client and Slack never cost a 429.
	Margin float64
}

// SlackLimits are Slack's published limits for the methods alignbot calls
// (each method's documentation page names its tier).
func SlackLimits() Limits {
	return Limits{
		Methods: map[string]Limit{
			"auth.test":                    {PerMinute: 600, Burst: 50},
			"chat.postMessage":             {PerMinute: 300, Burst: 30},
			"chat.update":                  Tier3,
			"chat.delete":                  Tier3,
			"chat.postEphemeral":           Tier4,
			"conversations.open":           Tier3,
			"conversations.info":           Tier3,
			"conversations.history":        Tier3,
			"conversations.replies":        Tier3,
			"conversations.members":        Tier4,
			"conversations.list":           Tier2,
			"users.info":                   Tier4,
			"users.list":                   Tier2,
			"views.open":                   Tier4,
			"views.update":                 Tier4,
			"views.publish":                Tier4,
			"files.getUploadURLExternal":   Tier4,
			"files.completeUploadExternal": Tier4,
		},
		PostPerChannel:   Limit{PerMinute: 60, Burst: 3},
		UpdatePerChannel: Limit{PerMinute: 20, Burst: 2},
		Margin:           0.98,
	}
}

type priorityKey struct{}

// Interactive marks ctx as a call made for a person who is waiting (the
// reply to a click, a form to open): it may use the reserve that background
// work leaves in each bucket.
func Interactive(ctx context.Context) context.Context {
	return context.WithValue(ctx, priorityKey{}, true)
}

func isInteractive(ctx context.Context) bool {
	v, _ := ctx.Value(priorityKey{}).(bool)
	return v
}

type quitKey struct{}

// ErrQuit is a call given up before it was sent, because the work it was
// for is being handed to another replica (see Quitting).
var ErrQuit = errors.New("slack call not sent: this replica is stopping")

// Quitting makes calls under ctx give up with ErrQuit when quit closes while
// they wait for their budget, so that a replica which is stopping hands
// its background work to the others instead of waiting out Slack's limits.
// A call already sent is never abandoned.
func Quitting(ctx context.Context, quit <-chan struct{}) context.Context {
	return context.WithValue(ctx, quitKey{}, quit)
}

func quitOf(ctx context.Context) <-chan struct{} {
	quit, _ := ctx.Value(quitKey{}).(<-chan struct{})
	return quit
}

// bucket is a token bucket whose rate can change (when replicas come and go)
// and which a 429 can pause.
type bucket struct {
	mu       sync.Mutex
	limit    Limit
	share    float64 // this client's share of the limit, 0 < share ≤ 1
	margin   float64
	tokens   float64
	last     time.Time
	paused   time.Time
	lastUsed time.Time
}

func newBucket(l Limit, share, margin float64, now time.Time) *bucket {
	b := &bucket{limit: l, share: share, margin: margin, last: now}
	b.tokens = b.burst()
	return b
}

func (b *bucket) rate() float64  { return b.limit.PerMinute / 60 * b.share * b.margin }
func (b *bucket) burst() float64 { return math.Max(1, math.Floor(float64(b.limit.Burst)*b.share)) }

// reserve is the tokens background calls leave for interactive ones.
func (b *bucket) reserve() float64 { return math.Floor(b.burst() / 4) }

// take takes a token at now if one is free for the call's priority and
// returns 0, or returns how long to wait before trying again.
func (b *bucket) take(now time.Time, interactive bool) time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.lastUsed = now
	if now.Before(b.paused) {
		return b.paused.Sub(now)
	}
	if elapsed := now.Sub(b.last); elapsed > 0 {
		b.tokens = math.Min(b.burst(), b.tokens+elapsed.Seconds()*b.rate())
		b.last = now
	}
	floor := 0.0
	if !interactive {
		floor = b.reserve()
	}
	if b.tokens >= floor+1 {
		b.tokens--
		return 0
	}
	wait := time.Duration((floor + 1 - b.tokens) / b.rate() * float64(time.Second))
	return max(wait, time.Millisecond)
}

// pause stops the bucket until until: Slack said to retry after then.
// give returns a token taken for a call that was not made.
func (b *bucket) give() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.tokens = math.Min(b.burst(), b.tokens+1)
}

func (b *bucket) pause(until time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if until.After(b.paused) {
		b.paused = until
	}
	b.tokens = 0
}

func (b *bucket) setShare(share float64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.share = share
	b.tokens = math.Min(b.tokens, b.burst())
}

// wait blocks until the bucket gives the call a token or ctx is done.
func (b *bucket) wait(ctx context.Context, now func() time.Time) error {
	interactive := isInteractive(ctx)
	for {
		d := b.take(now(), interactive)
		if d == 0 {
			return nil
		}
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-quitOf(ctx):
			t.Stop()
			return ErrQuit
		case <-t.C:
		}
	}
}
