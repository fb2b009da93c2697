package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/alignbot/alignbot/internal/slackapi"
	"github.com/alignbot/alignbot/internal/slackfake"
)

// A lookup waits for the listing only until the page with its person has
// arrived; once the workspace is listed, someone it did not hold is asked
// for alone, not by listing everyone again.
func TestDirectoryListsPageByPage(t *testing.T) {
	t.Parallel()
	fake := slackfake.Start(t) // Slack's limits
	for i := range 1500 {      // two pages of users.list
		fake.AddUser(slackfake.User{ID: fmt.Sprintf("UP%05d", i), Name: fmt.Sprintf("p%05d", i), TZ: "UTC"})
	}
	d := newDirectory(slackapi.New(fake.NewClient(), slackapi.SlackLimits()), slog.New(slog.NewTextHandler(io.Discard, nil)))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	second := fake.Hold(slackfake.HoldRule{Method: "users.list", After: 1})
	defer second.Release()

	type found struct {
		p   person
		err error
	}
	lookup := func(id string) <-chan found {
		c := make(chan found, 1)
		go func() {
			p, err := d.person(slackapi.Interactive(ctx), id)
			c <- found{p, err}
		}()
		return c
	}
	early, late := lookup("UP00010"), lookup("UP01400")
	if err := second.WaitHeld(ctx, 1); err != nil {
		t.Fatal(err)
	}
	// The second page is held: the person on the first is known already.
	select {
	case got := <-early:
		if got.err != nil || got.p.ID != "UP00010" {
			t.Fatalf("first page's person: %+v, %v", got.p, got.err)
		}
	case <-ctx.Done():
		t.Fatal("the lookup of a person on the first page waited for the whole listing")
	}
	if second.Held() != 1 {
		t.Fatalf("%d requests held, want the second page", second.Held())
	}
	second.Release()
	if got := <-late; got.err != nil || got.p.ID != "UP01400" {
		t.Fatalf("second page's person: %+v, %v", got.p, got.err)
	}
	if n := fake.Calls("users.list"); n != 2 {
		t.Errorf("%d users.list calls, want 2 pages", n)
	}

	// Someone who joined since: one users.info, no new listing.
	fake.AddUser(slackfake.User{ID: "UNEW", Name: "new", TZ: "UTC"})
	if p, err := d.person(ctx, "UNEW"); err != nil || p.ID != "UNEW" {
		t.Fatalf("new person: %+v, %v", p, err)
	}
	if _, err := d.person(ctx, "UNOBODY"); slackErrorCode(err) != "user_not_found" {
		t.Errorf("a stranger: %v, want user_not_found", err)
	}
	if n, m := fake.Calls("users.list"), fake.Calls("users.info"); n != 2 || m != 2 {
		t.Errorf("users.list %d, users.info %d; want 2 and 2", n, m)
	}
	if n := fake.RateLimitedCount(); n != 0 {
		t.Errorf("%d calls answered 429", n)
	}
}

// Rounds started the moment the bot connects, in a workspace whose people
// and channels take several pages to list, all start and all send their
// questionnaires, within Slack's limits: the lookups wait for the one
// listing the bot makes, not each for users.info or a listing of its own.
func TestColdStartsInALargeWorkspace(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	for i := range 2500 {
		h.slack.AddUser(slackfake.User{ID: fmt.Sprintf("UX%05d", i), Name: fmt.Sprintf("x%05d", i), TZ: "UTC"})
	}
	for i := range 1500 {
		h.slack.AddChannel(slackfake.Channel{ID: fmt.Sprintf("CX%05d", i), Name: fmt.Sprintf("x%05d", i), BotMember: i%7 == 0})
	}
	type team struct{ fac, mkt, sales, channel string }
	var teams []team
	for i := range 5 {
		t := team{fmt.Sprintf("UX%05d", i), fmt.Sprintf("UX%05d", 1000+i), fmt.Sprintf("UX%05d", 2400+i), fmt.Sprintf("CY%05d", i)}
		h.slack.AddChannel(slackfake.Channel{ID: t.channel, Name: strings.ToLower(t.channel), Members: []string{t.fac, t.mkt, t.sales}, BotMember: true})
		teams = append(teams, t)
	}
	h.startBot()
	for _, t := range teams {
		if _, err := h.slack.SlashCommand(t.fac, t.channel, "start "+h.slack.MentionUser(t.mkt)+" "+h.slack.MentionUser(t.sales)); err != nil {
			h.t.Fatal(err)
		}
	}
	for _, t := range teams {
		if got := h.waitEphemeral(t.fac, 1); !strings.Contains(got, "Started round") {
			h.t.Fatalf("%s's start: %s", t.fac, got)
		}
		for _, u := range []string{t.mkt, t.sales} {
			h.waitFor("questionnaire for "+u, func() bool {
				for _, m := range h.slack.DMs(u) {
					if isQuestionnaire(m) {
						return true
					}
				}
				return false
			})
		}
	}
	if n := h.slack.RateLimitedCount(); n != 0 {
		t.Errorf("%d calls answered 429", n)
	}
	// One listing: each page asked for once, though a page that took too
	// long on a busy machine may have been asked for again.
	for method, want := range map[string]int{"users.list": 3, "conversations.list": 2} {
		if n := pagesAskedFor(t, h.slack, method); n != want {
			t.Errorf("%d pages of %s asked for, want %d", n, method, want)
		}
	}
	for _, method := range []string{"users.info", "conversations.info"} {
		if n := h.slack.Calls(method); n != 0 {
			t.Errorf("%d %s calls, want none", n, method)
		}
	}
}

// Lookups of the same person at once share one users.info, and one of
// them giving up fails none of the others.
func TestALookupGivingUpFailsNoneSharingIt(t *testing.T) {
	t.Parallel()
	fake := slackfake.Start(t)
	fake.AddUser(slackfake.User{ID: "UFIRST", Name: "first", TZ: "UTC"})
	d := newDirectory(slackapi.New(fake.NewClient(), slackapi.SlackLimits()), slog.New(slog.NewTextHandler(io.Discard, nil)))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := d.person(ctx, "UFIRST"); err != nil { // the workspace listed
		t.Fatal(err)
	}
	fake.AddUser(slackfake.User{ID: "ULATE", Name: "late", TZ: "UTC"})
	held := fake.Hold(slackfake.HoldRule{Method: "users.info"})
	defer held.Release()
	type found struct {
		p   person
		err error
	}
	lookup := func(ctx context.Context) <-chan found {
		c := make(chan found, 1)
		go func() {
			p, err := d.person(ctx, "ULATE")
			c <- found{p, err}
		}()
		return c
	}
	quitting, quit := context.WithCancel(ctx)
	first := lookup(quitting)
	if err := held.WaitHeld(ctx, 1); err != nil {
		t.Fatal(err)
	}
	second := lookup(ctx)
	quit()
	if got := <-first; !errors.Is(got.err, context.Canceled) {
		t.Fatalf("the lookup that gave up: %+v, %v", got.p, got.err)
	}
	held.Release()
	if got := <-second; got.err != nil || got.p.ID != "ULATE" {
		t.Fatalf("the lookup sharing it: %+v, %v", got.p, got.err)
	}
	if n := fake.Calls("users.info"); n != 1 {
		t.Errorf("%d users.info calls, want 1", n)
	}
}

// pagesAskedFor counts the different pages (cursors) of a list method the
// fake was asked for.
func pagesAskedFor(t *testing.T, fake *slackfake.Server, method string) int {
	t.Helper()
	cursors := map[string]bool{}
	for _, c := range fake.Sent() {
		if c.Method != method {
			continue
		}
		var req struct {
			Cursor string `json:"cursor"`
		}
		if err := json.Unmarshal(c.Payload, &req); err != nil {
			t.Fatalf("%s request %s: %v", method, c.Payload, err)
		}
		cursors[req.Cursor] = true
	}
	return len(cursors)
}
