package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/alignbot/alignbot/internal/report"
)

// TestBlindUntilTheReveal plays the same round twice, with opposite answers
// and guesses, and reads everything the bot emitted before the last submit:
// every Web API call (messages, updates, ephemerals, views, App Home), every
// response_url post, every Socket Mode ack, and every log line. Outside each respondent's
// own DM, the two runs must be indistinguishable once IDs and timestamps are
// normalised: nothing anyone else can see depends on a score.
func TestBlindUntilTheReveal(t *testing.T) {
	t.Parallel()
	low := map[string][]int{
		mkt:   {0, 0, 1, 0, 0, 1, 0, 0, 1, 0},
		sales: {1, 0, 0, 0, 1, 0, 0, 1, 0, 0},
		obs:   {0, 1, 0, 0, 0, 0, 1, 0, 0, 1},
	}
	high := map[string][]int{}
	for u, s := range low {
		for _, v := range s {
			high[u] = append(high[u], 2-v)
		}
	}
	a, ownA := playBlindRound(t, low)
	b, ownB := playBlindRound(t, high)

	if diff := cmp.Diff(a, b); diff != "" {
		t.Errorf("what others could see depends on the answers (-low +high):\n%s", diff)
	}
	// The check can fail: each respondent's own DM does show their answers.
	for _, u := range []string{mkt, sales, obs} {
		if ownA[u] == ownB[u] {
			t.Errorf("%s's own DM is the same for opposite answers; the test compares nothing", u)
		}
		if !strings.Contains(ownA[u], "*: *0*") || !strings.Contains(ownB[u], "*: *2*") {
			t.Errorf("%s's own DM does not show their answers", u)
		}
	}
}

// playBlindRound runs a round up to the moment before its last submit and
// returns what the bot emitted outside respondents' own DMs, normalised and
// sorted, and each respondent's own DM traffic.
func playBlindRound(t *testing.T, scores map[string][]int) ([]string, map[string]string) {
	t.Helper()
	h := newHarness(t)
	h.startBot()
	h.startRound(mkt, sales, obs)
	// People answer after the announcement is up; before it, the first
	// answer's progress update finds nothing to update, and the two runs
	// would differ by timing alone.
	h.settle()

	// The channel's progress line is coalesced: which in-between states
	// get posted depends on timing, so each change is let through (idle)
	// before the next, and the two runs post the same states.
	for _, u := range []string{mkt, sales, obs} {
		h.answerAll(u, scores[u][:9])
		h.answer(u, "Q4", 2-scores[u][3]) // everyone changes their mind once
		h.answer(u, "Q4", scores[u][3])
		h.idle()
	}
	// The leads guess each other's answers: as blind as the answers.
	h.answer(sales, "Q10", scores[sales][9])
	h.predictAll(sales, map[string]int{"Q1": scores[mkt][0], "Q2": 2 - scores[mkt][1]})
	// A click from a stale card after submitting.
	stale, err := h.slack.BuildClick(mkt, h.questionnaire(mkt), "Q10", "1")
	if err != nil {
		t.Fatal(err)
	}
	h.answer(mkt, "Q10", scores[mkt][9])
	h.submit(mkt)
	h.idle()
	if _, err := h.slack.SendInteraction(stale); err != nil {
		t.Fatal(err)
	}
	h.submit(sales)
	h.idle()
	h.answer(obs, "Q10", scores[obs][9])

	// What a curious colleague, the facilitator or an operator could ask for.
	h.command(fac, revenue, "status")
	h.command(obs, revenue, "status")
	h.command(fac, revenue, "history")
	for _, u := range []string{fac, mkt, sales, obs} {
		id, err := h.slack.OpenAppHome(u)
		if err != nil {
			t.Fatal(err)
		}
		h.waitAck(id)
		h.waitFor("home for "+u, func() bool { _, ok := h.slack.Home(u); return ok })
	}
	if _, err := report.Load(context.Background(), h.store, 1); !errors.Is(err, report.ErrNotRevealedYet) {
		t.Fatalf("report.Load before the reveal: %v", err)
	}
	h.waitEphemeral(mkt, 1)
	h.waitEphemeral(fac, 3)
	h.waitEphemeral(obs, 1)
	h.idle()

	dms := map[string]string{}
	for _, u := range []string{mkt, sales, obs} {
		dm, ok := h.slack.DMChannel(u)
		if !ok {
			t.Fatalf("no DM with %s", u)
		}
		dms[dm] = u
	}
	var seen []string
	own := map[string]string{}
	norm := normaliser(dms)
	// A click's reply rewrites the respondent's own DM through its
	// response_url: that is their own view too.
	ownReplies := map[string]string{}
	for _, p := range h.slack.ResponsePosts() {
		if u, isDM := dms[p.Channel]; isDM {
			ownReplies[string(p.Body)] = u
		}
	}
	for _, c := range h.slack.Sent() {
		if u, ok := ownReplies[string(c.Payload)]; ok && c.Method == "response_url" {
			own[u] += string(c.Payload) + "\n"
			continue
		}
		var p struct {
			Channel string `json:"channel"`
		}
		_ = json.Unmarshal(c.Payload, &p)
		if u, isDM := dms[p.Channel]; isDM && (c.Method == "chat.postMessage" || c.Method == "chat.update") {
			own[u] += string(c.Payload) + "\n"
			continue
		}
		seen = append(seen, c.Method+" "+norm(string(c.Payload)))
	}
	for _, line := range strings.Split(h.logs.String(), "\n") {
		if line != "" {
			seen = append(seen, "log "+norm(line))
		}
	}
	sort.Strings(seen)
	return seen, own
}

// normaliser replaces what differs between two runs for reasons other than
// the answers: IDs the fake draws, timestamps, URLs, log times.
func normaliser(dms map[string]string) func(string) string {
	rules := []struct {
		re   *regexp.Regexp
		with string
	}{
		{regexp.MustCompile(`"time":"[^"]*",?`), ``},
		{regexp.MustCompile(`http://127\.0\.0\.1:\d+/[^"\s\\]*`), `URL`},
		{regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`), `UUID`},
		{regexp.MustCompile(`\d{13}\.\d{10}\.[0-9a-f]{32}`), `TRIGGER`},
		{regexp.MustCompile(`Ev0[A-Z0-9]{9}`), `EVENT`},
		{regexp.MustCompile(`V\d{4}[A-Z0-9]{6}`), `VIEW`},
		{regexp.MustCompile(`\d{10}\.[A-Za-z0-9]{8}\b`), `HASH`},
		{regexp.MustCompile(`\d{10}\.\d{6}`), `TS`},
		{regexp.MustCompile(`/p\d{16}`), `/pTS`},
		{regexp.MustCompile(`\b[0-9a-f]{16}\b`), `CHANGE`},
		{regexp.MustCompile(`"(attempt|took)":[^,}]*`), `"$1":N`},
	}
	return func(s string) string {
		for dm, u := range dms {
			s = strings.ReplaceAll(s, dm, fmt.Sprintf("DM(%s)", u))
		}
		for _, r := range rules {
			s = r.re.ReplaceAllString(s, r.with)
		}
		return s
	}
}
