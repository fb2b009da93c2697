package bot

import (
	"context"
	"database/sql"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/lib/pq"

	"github.com/alignbot/alignbot/internal/slackfake"
	"github.com/alignbot/alignbot/scoring"
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
	t.Parallel()
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
	t.Parallel()
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
	t.Parallel()
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

// TestDatabaseOutage: while the database refuses connections, a click gets
// a clear "try again" and changes nothing; afterwards everything stored
// before is there and clicks work again.
func TestDatabaseOutage(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.startBot()
	h.startRound(mkt, sales)
	h.answer(mkt, "Q1", 2)
	h.idle()

	ctx := context.Background()
	var name string
	if err := h.store.DB().Get(&name, `SELECT current_database()`); err != nil {
		t.Fatal(err)
	}
	// The operator's connection, to the server's maintenance database.
	u, err := url.Parse(h.dbURL)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/postgres"
	admin, err := sql.Open("postgres", u.String())
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := admin.ExecContext(ctx, q, args...); err != nil {
			t.Fatal(err)
		}
	}
	exec(`ALTER DATABASE ` + pq.QuoteIdentifier(name) + ` ALLOW_CONNECTIONS false`)
	exec(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1`, name)

	if _, err := h.slack.ClickButton(mkt, h.questionnaire(mkt), "Q2", "1"); err != nil {
		t.Fatal(err)
	}
	if got := h.waitEphemeral(mkt, 1); !strings.Contains(got, "can't reach my database right now, so nothing was changed") {
		t.Errorf("click during the outage: %s", got)
	}
	exec(`ALTER DATABASE ` + pq.QuoteIdentifier(name) + ` ALLOW_CONNECTIONS true`)

	h.answer(mkt, "Q2", 1)
	answers, err := h.store.Answers(ctx, 1, scoring.Marketing)
	if err != nil || len(answers) != 2 || answers["Q1"] != 2 || answers["Q2"] != 1 {
		t.Errorf("answers after the outage: %v %v", answers, err)
	}
	if strings.Contains(h.logs.String(), "postgres://") {
		t.Error("a database URL reached the logs")
	}
}

// TestAFailingRecipientHoldsUpNobody: the observer is deactivated between
// the start and their questionnaire. Their DM fails for good and is parked
// (logged, not retried); the leads get theirs.
func TestAFailingRecipientHoldsUpNobody(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.startBot(func(o *Options) { o.NoJobRunner = true })
	h.startRound(mkt, sales, obs)
	h.slack.AddUser(slackfake.User{ID: obs, Name: "olga", Deleted: true})
	h.startBot()
	h.questionnaire(mkt)
	h.questionnaire(sales)
	h.waitFor("the observer's questionnaire parked", func() bool {
		j, err := h.store.Job(context.Background(), jobPayload{Role: scoring.Observer}.key(jobQuestionnaire, 1))
		return err == nil && j.State == storage.JobParked
	})
	j, _ := h.store.Job(context.Background(), jobPayload{Role: scoring.Observer}.key(jobQuestionnaire, 1))
	if j.Attempts != 1 || !strings.Contains(j.LastError, "user_disabled") {
		t.Errorf("parked job: attempts %d, error %q", j.Attempts, j.LastError)
	}
	if !strings.Contains(h.logs.String(), `"msg":"job parked","job":"questionnaire:1:observer"`) {
		t.Error("the parked job was not logged")
	}
	// The facilitator hears of it, with what to do.
	h.waitDMs(fac, "I couldn't deliver the questionnaire to <@UOLGA001> (RevOps observer)", 1)
	if dms := h.slack.DMs(fac); !strings.Contains(dms[len(dms)-1].VisibleText(), "user_disabled") {
		t.Errorf("facilitator's note: %s", dms[len(dms)-1].VisibleText())
	}
}

// TestAJobFailingForAWhileIsParkedAfterMaxAttempts: Slack answers 500 to
// every post; the announcement is retried with backoff, then parked.
func TestAJobFailingForAWhileIsParkedAfterMaxAttempts(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.startBot(func(o *Options) { o.MaxAttempts = 4 })
	h.slack.InjectFault("chat.postMessage", slackfake.Fault{Status: http.StatusInternalServerError, Next: 1000})
	h.startRound(mkt, sales)
	h.settle("the announcement parked", func() bool {
		j, err := h.store.Job(context.Background(), jobPayload{}.key(jobAnnounce, 1))
		return err == nil && j.State == storage.JobParked
	})
	j, _ := h.store.Job(context.Background(), jobPayload{}.key(jobAnnounce, 1))
	if j.Attempts != 4 || !strings.Contains(j.LastError, "500") {
		t.Errorf("parked after %d attempts with %q", j.Attempts, j.LastError)
	}
	if n := h.countMessages(revenue, "started a round"); n != 0 {
		t.Errorf("%d announcements", n)
	}
}
