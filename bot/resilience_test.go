package bot

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/alignbot/alignbot/internal/slackfake"
	"github.com/alignbot/alignbot/storage"
)

// settle advances the clock in small steps until cond holds, so jobs that
// failed and were rescheduled (backoff, Retry-After) get their turn.
func (h *harness) settle(what string, cond func() bool) {
	h.t.Helper()
	for i := 0; i < 400; i++ {
		h.idle()
		if cond() {
			return
		}
		h.clock.Set(h.clock.Now().Add(15 * time.Second))
		h.wake()
	}
	h.t.Fatalf("never settled: %s", what)
}

// nudgeSchedule lets four rounds of respondent nudges (48h apart) and the
// deadline (168h) come due, settling after each, and checks that every
// reminder arrived exactly once.
func nudgeSchedule(t *testing.T, h *harness) {
	t.Helper()
	people := []string{mkt, sales, obs}
	for _, step := range []struct {
		at       time.Duration
		nudges   int
		deadline int
	}{
		{48 * time.Hour, 1, 0},
		{96 * time.Hour, 2, 0},
		{144 * time.Hour, 3, 0},
		{168 * time.Hour, 3, 1},
		{192 * time.Hour, 4, 1},
	} {
		h.at(step.at)
		h.settle("reminders due by "+step.at.String(), func() bool {
			for _, u := range people {
				if h.countDMs(u, nudgeText) < step.nudges {
					return false
				}
			}
			return h.countMessages(revenue, "The deadline for round 1 has passed") >= step.deadline
		})
	}
	h.idle()
	for _, u := range people {
		if n := h.countDMs(u, nudgeText); n != 4 {
			t.Errorf("%s got %d nudges, want exactly 4", u, n)
		}
	}
	if n := h.countMessages(revenue, "The deadline for round 1 has passed"); n != 1 {
		t.Errorf("%d deadline notes, want exactly 1", n)
	}
}

// startQuietRound starts a round whose respondents never answer, and waits
// for the questionnaires to go out.
func startQuietRound(h *harness) {
	h.t.Helper()
	h.startRound(mkt, sales, obs)
	for _, u := range []string{mkt, sales, obs} {
		h.questionnaire(u)
	}
	h.waitMessage(revenue, "started a round")
	h.idle()
}

func TestRemindersArriveOnceDespiteSlackFaults(t *testing.T) {
	h := newHarness(t)
	h.startBot()
	startQuietRound(h)
	h.slack.InjectFault("chat.postMessage", slackfake.Fault{Status: http.StatusTooManyRequests, RetryAfter: 1, Share: 0.3})
	h.slack.InjectFault("conversations.open", slackfake.Fault{Status: http.StatusInternalServerError, Share: 0.3})
	h.slack.InjectFault("", slackfake.Fault{Status: http.StatusBadGateway, Share: 0.1})
	nudgeSchedule(t, h)
	h.slack.ClearFaults()

	var failed int
	h.store.DB().Get(&failed, `SELECT count(*) FROM jobs WHERE attempts > 1 OR last_error <> ''`)
	counts := h.slack.CallCounts()
	t.Logf("calls %v; %d jobs needed more than one attempt", counts, failed)
	if failed == 0 {
		t.Error("no job met a fault: the test exercised nothing")
	}
	var parked int
	h.store.DB().Get(&parked, `SELECT count(*) FROM jobs WHERE state = 'parked'`)
	if parked != 0 {
		t.Errorf("%d jobs parked", parked)
	}
}

func TestTwoReplicasNeverDoubleAReminder(t *testing.T) {
	h := newHarness(t)
	h.startBot()
	h.startBot()
	startQuietRound(h)
	nudgeSchedule(t, h)
	var workers []string
	h.store.DB().Select(&workers, `SELECT DISTINCT leased_by FROM jobs WHERE leased_by IS NOT NULL`)
	t.Logf("jobs were run by %v", workers)
}

// TestAReplicaKilledMidJob: a replica claims the due nudges, sends one and
// dies. When its lease ends the surviving replica delivers them all, the one
// already sent included, exactly once each.
func TestAReplicaKilledMidJob(t *testing.T) {
	h := newHarness(t)
	survivor := h.startBot()
	startQuietRound(h)
	h.stop(survivor)

	ctx := context.Background()
	doomed := h.startBot(func(o *Options) { o.NoJobRunner = true })
	h.clock.Set(t0.Add(48 * time.Hour))
	claimed, err := h.store.ClaimJobs(ctx, "doomed", h.clock.Now(), 30*time.Second, 100)
	if err != nil {
		t.Fatal(err)
	}
	var nudges []storage.Job
	for _, j := range claimed {
		if j.Kind == jobNudgeRespondent {
			nudges = append(nudges, j)
		}
	}
	if len(nudges) != 3 {
		t.Fatalf("claimed %d nudges, want 3", len(nudges))
	}
	// The doomed replica gets one nudge out, then dies mid-job.
	if _, err := doomed.bot.runNudgeRespondent(ctx, nudges[0], mustPayload(t, nudges[0])); err != nil {
		t.Fatal(err)
	}
	h.stop(doomed)
	sent := 0
	for _, u := range []string{mkt, sales, obs} {
		sent += h.countDMs(u, nudgeText)
	}
	if sent != 1 {
		t.Fatalf("the doomed replica sent %d nudges before dying, want 1", sent)
	}

	h.startBot()
	h.advance(time.Second)
	h.idle()
	if got := totalNudges(h); got != 1 {
		t.Fatalf("the jobs ran again within the dead replica's lease: %d nudges", got)
	}
	h.advance(30 * time.Second) // the lease ends
	h.waitFor("every nudge delivered", func() bool { return totalNudges(h) >= 3 })
	h.idle()
	for _, u := range []string{mkt, sales, obs} {
		if n := h.countDMs(u, nudgeText); n != 1 {
			t.Errorf("%s got %d nudges, want exactly 1", u, n)
		}
	}
}

func totalNudges(h *harness) int {
	n := 0
	for _, u := range []string{mkt, sales, obs} {
		n += h.countDMs(u, nudgeText)
	}
	return n
}

func mustPayload(t *testing.T, j storage.Job) jobPayload {
	t.Helper()
	var p jobPayload
	if err := json.Unmarshal(j.Payload, &p); err != nil {
		t.Fatal(err)
	}
	return p
}
