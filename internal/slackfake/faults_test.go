package slackfake

import (
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/slack-go/slack"
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
		fs := Start(t, WithSeed(7))
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
	clock := &manualClock{now: time.Unix(1700000000, 0)}
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
