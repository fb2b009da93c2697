package bot

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lib/pq"

	"github.com/alignbot/alignbot/internal/slackfake"
	"github.com/alignbot/alignbot/scoring"
	"github.com/alignbot/alignbot/storage"
)

// orrQuietRound starts a round of the two leads and the observer, who never
// answer, and waits for the questionnaires to go out.
func (o orr) quietRound() {
	o.t.Helper()
	o.startRound(mkt, sales, obs)
	for _, u := range []string{mkt, sales, obs} {
		o.questionnaire(u)
	}
	o.waitMessage(revenue, "started a round")
	o.idle()
}

// nudgeSchedule lets a quiet round's reminders (every 48h) and its deadline
// (168h) come due, and checks that each arrived exactly once: three
// reminders each, a final notice to each lead, one deadline note.
func (o orr) nudgeSchedule() {
	o.t.Helper()
	people := []string{mkt, sales, obs}
	for _, step := range []struct {
		at       time.Duration
		nudges   int
		finals   int
		deadline int
	}{
		{48 * time.Hour, 1, 0, 0},
		{96 * time.Hour, 2, 0, 0},
		{144 * time.Hour, 3, 0, 0},
		{168 * time.Hour, 3, 1, 1},
		{400 * time.Hour, 3, 1, 1},
	} {
		o.at(step.at)
		o.settle("the reminders due by "+step.at.String(), func() bool {
			for _, u := range people {
				finals := step.finals
				if u == obs {
					finals = 0
				}
				if o.countDMs(u, orrNudge) < step.nudges || o.countDMs(u, orrFinal) < finals {
					return false
				}
			}
			return o.countMessages(revenue, "The deadline for round 1 has passed") >= step.deadline
		})
	}
	// Every reminder but the newest is retired, however often Slack
	// refused the update.
	live := func(u string) int {
		n := 0
		for _, m := range append(o.dmsSaying(u, orrNudge), o.dmsSaying(u, orrFinal)...) {
			if len(orrButtons(o.current(m))) > 0 {
				n++
			}
		}
		return n
	}
	o.settle("every older reminder retired", func() bool {
		for _, u := range people {
			if live(u) != 1 {
				return false
			}
		}
		return true
	})
	o.idle()
	for _, u := range people {
		finals := 1
		if u == obs {
			finals = 0
		}
		if n, f := o.countDMs(u, orrNudge), o.countDMs(u, orrFinal); n != 3 || f != finals {
			o.t.Errorf("%s got %d reminders and %d final notices, want exactly 3 and %d", u, n, f, finals)
		}
	}
	if n := o.countMessages(revenue, "The deadline for round 1 has passed"); n != 1 {
		o.t.Errorf("%d deadline notes, want exactly 1", n)
	}
	o.noneParked()
}

// logJobsOnFailure logs the job queue if the test fails, to tell a lost
// effect from a slow one.
func (o orr) logJobsOnFailure() {
	o.t.Cleanup(func() {
		if !o.t.Failed() {
			return
		}
		var rows []string
		err := o.store.DB().Select(&rows, `SELECT concat_ws(' ', key, state, attempts, run_at, COALESCE(leased_by, '-'),
			lease_token IS NOT NULL, last_error) FROM jobs ORDER BY id`)
		o.t.Logf("jobs (%v):\n%s", err, strings.Join(rows, "\n"))
	})
}

// noneParked fails the test if any job was given up.
func (o orr) noneParked() {
	o.t.Helper()
	var parked []string
	if err := o.store.DB().Select(&parked, `SELECT key || ': ' || last_error FROM jobs WHERE state = 'parked'`); err != nil {
		o.t.Fatal(err)
	}
	if len(parked) > 0 {
		o.t.Errorf("parked jobs: %q", parked)
	}
}

// postedTwice returns the job keys of messages the bot posted more than
// once, in any channel or DM: every post carries its job's key.
func (o orr) postedTwice(channels []string, users []string) []string {
	seen := map[string]int{}
	count := func(msgs []slackfake.Message) {
		for _, m := range msgs {
			if len(m.Revisions[0].Metadata) == 0 {
				continue
			}
			var meta struct {
				EventType    string         `json:"event_type"`
				EventPayload map[string]any `json:"event_payload"`
			}
			if err := json.Unmarshal(m.Revisions[0].Metadata, &meta); err != nil || meta.EventType != jobMetadataType {
				continue
			}
			seen[fmt.Sprint(meta.EventPayload["job"])]++
		}
	}
	for _, ch := range channels {
		count(o.slack.Messages(ch))
	}
	for _, u := range users {
		count(o.slack.DMs(u))
	}
	var twice []string
	for k, n := range seen {
		if n > 1 {
			twice = append(twice, fmt.Sprintf("%s ×%d", k, n))
		}
	}
	if len(seen) == 0 {
		o.t.Error("no post carries its job's key: the check proves nothing")
	}
	return twice
}

func TestRemindersArriveOnceDespiteSlackFaults(t *testing.T) {
	t.Parallel()
	h := newOrr(t)
	h.logJobsOnFailure()
	r := h.startBot()
	h.quietRound()
	h.slack.InjectFault("chat.postMessage", slackfake.Fault{Status: http.StatusTooManyRequests, RetryAfter: 1, Share: 0.3})
	h.slack.InjectFault("chat.update", slackfake.Fault{Status: http.StatusServiceUnavailable, Share: 0.3})
	h.slack.InjectFault("", slackfake.Fault{Status: http.StatusBadGateway, Share: 0.1})
	h.nudgeSchedule()
	h.slack.ClearFaults()

	var retried int
	if err := h.store.DB().Get(&retried, `SELECT count(*) FROM jobs WHERE attempts > 1`); err != nil {
		t.Fatal(err)
	}
	limited := r.bot.RateLimited()["chat.postMessage"]
	t.Logf("calls %v; %d jobs retried after a 5xx, %d posts answered 429", h.slack.CallCounts(), retried, limited)
	if retried == 0 || limited == 0 {
		t.Error("the faults were not met: the test exercised nothing")
	}
	if twice := h.postedTwice([]string{revenue}, []string{mkt, sales, obs, fac}); len(twice) > 0 {
		t.Errorf("posted twice: %v", twice)
	}
}

func TestTwoReplicasNeverDoubleAReminder(t *testing.T) {
	t.Parallel()
	h := newOrr(t)
	h.startBot()
	h.startBot()
	h.quietRound()
	h.nudgeSchedule()
	var workers []string
	if err := h.store.DB().Select(&workers, `SELECT DISTINCT leased_by FROM jobs WHERE leased_by IS NOT NULL ORDER BY 1`); err != nil {
		t.Fatal(err)
	}
	t.Logf("jobs were run by %v", workers)
	if twice := h.postedTwice([]string{revenue}, []string{mkt, sales, obs, fac}); len(twice) > 0 {
		t.Errorf("posted twice: %v", twice)
	}
}

// stallTransport lets a replica's requests through until armed; then a
// chat.postMessage reaches Slack (which posts it) but its answer never
// reaches the replica, until released: the replica dies between sending a
// message and recording it.
type stallTransport struct {
	base    http.RoundTripper
	armed   atomic.Bool
	stalled atomic.Int32
	release chan struct{}
	once    sync.Once
}

func (s *stallTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := s.base.RoundTrip(req)
	if err != nil || !s.armed.Load() || !strings.HasSuffix(req.URL.Path, "/chat.postMessage") {
		return resp, err
	}
	resp.Body.Close()
	s.stalled.Add(1)
	<-s.release
	return nil, errors.New("the replica died")
}

func (s *stallTransport) free() { s.once.Do(func() { close(s.release) }) }

func TestAReplicaKilledMidJobIsTakenOverWithinOneLease(t *testing.T) {
	t.Parallel()
	h := newOrr(t)
	stall := &stallTransport{base: http.DefaultTransport, release: make(chan struct{})}
	t.Cleanup(stall.free)
	doomedStore := h.openStore()
	doomed := h.startBot(func(o *Options) {
		o.HTTPClient = &http.Client{Transport: stall, Timeout: 30 * time.Second}
		o.Store = doomedStore
		o.WorkerID = "doomed"
	})
	h.quietRound()

	// At 48h the doomed replica claims the three reminders and posts them,
	// then dies before it can record any of them.
	stall.armed.Store(true)
	h.clock.Set(t0.Add(48 * time.Hour))
	h.wake()
	h.waitFor("the doomed replica to post three reminders", func() bool {
		return stall.stalled.Load() == 3 && h.countDMs(mkt, orrNudge)+h.countDMs(sales, orrNudge)+h.countDMs(obs, orrNudge) == 3
	})
	doomedStore.Close() // it can record nothing now, nor renew its leases
	stall.free()
	h.stop(doomed)
	var leased int
	if err := h.store.DB().Get(&leased, `SELECT count(*) FROM jobs WHERE kind = $1 AND state = 'pending' AND leased_by = 'doomed' AND lease_token IS NOT NULL`, jobNudge); err != nil || leased != 3 {
		t.Fatalf("%d reminders still leased to the dead replica (%v), want 3", leased, err)
	}

	// Within the lease nobody touches them; when it ends the survivor does,
	// and finds each reminder already posted.
	h.startBot()
	h.advance(14 * time.Second)
	h.idle()
	if n := h.countDMs(mkt, orrNudge) + h.countDMs(sales, orrNudge) + h.countDMs(obs, orrNudge); n != 3 {
		t.Fatalf("%d reminders: jobs ran again within the dead replica's lease", n)
	}
	h.advance(time.Second)
	h.waitFor("the survivor to finish the dead replica's reminders", func() bool {
		var n int
		err := h.store.DB().Get(&n, `SELECT count(*) FROM jobs WHERE kind = $1 AND key LIKE '%:1' AND state = 'done'`, jobNudge)
		return err == nil && n == 3
	})
	h.idle()
	for _, u := range []string{mkt, sales, obs} {
		if n := h.countDMs(u, orrNudge); n != 1 {
			t.Errorf("%s got %d reminders, want exactly 1", u, n)
		}
		role := map[string]scoring.Role{mkt: scoring.Marketing, sales: scoring.Sales, obs: scoring.Observer}[u]
		if r, m := h.respondent(1, role), h.dmsSaying(u, orrNudge)[0]; r.NudgeTS != m.TS {
			t.Errorf("%s's reminder recorded as %q, posted as %s", u, r.NudgeTS, m.TS)
		}
	}
	// The next reminders are booked once, and arrive once.
	h.at(96 * time.Hour)
	for _, u := range []string{mkt, sales, obs} {
		h.waitDMs(u, orrNudge, 2)
	}
	h.idle()
	for _, u := range []string{mkt, sales, obs} {
		if n := h.countDMs(u, orrNudge); n != 2 {
			t.Errorf("%s got %d reminders by 96h, want 2", u, n)
		}
	}
	h.noneParked()
}

// TestKillingReplicasWhileTenRoundsRun is issue 8's: ten rounds run while
// one of two replicas is stopped again and again and a new one started.
func TestKillingReplicasWhileTenRoundsRun(t *testing.T) {
	t.Parallel()
	h := newOrr(t)
	h.logJobsOnFailure()
	type team struct {
		channel   string
		mkt, sale string
	}
	var teams []team
	var users []string
	for i := range 10 {
		tm := team{channel: fmt.Sprintf("CKILL%03d", i), mkt: fmt.Sprintf("UKM%05d", i), sale: fmt.Sprintf("UKS%05d", i)}
		for _, u := range []string{tm.mkt, tm.sale} {
			h.slack.AddUser(slackfake.User{ID: u, Name: strings.ToLower(u), RealName: u, TZ: "UTC"})
			users = append(users, u)
		}
		h.slack.AddChannel(slackfake.Channel{ID: tm.channel, Name: strings.ToLower(tm.channel), Members: []string{fac, tm.mkt, tm.sale}, BotMember: true})
		teams = append(teams, tm)
	}
	h.startBot()
	h.startBot()
	cycles := 0
	cycle := func() {
		t.Helper()
		for _, r := range h.replicas() {
			if r.cancel != nil {
				h.stop(r)
				r.bot.store.Close() // its connections go with it
				break
			}
		}
		h.waitFor("the stopped replica's socket to close", func() bool { return h.slack.Connections() == h.liveBots() })
		h.startBot()
		cycles++
	}

	// Slack lets an app open about ten Socket Mode connections a minute:
	// two replicas, then up to eight restarts.
	for i, tm := range teams {
		if id := h.startIn(tm.channel, tm.mkt, tm.sale); id != int64(i+1) {
			t.Fatalf("started round %d, want %d", id, i+1)
		}
		if i == 4 {
			cycle()
		}
	}
	for i, tm := range teams {
		h.questionnaireIn(tm.mkt, tm.channel)
		h.questionnaireIn(tm.sale, tm.channel)
		if i == 4 {
			cycle()
		}
	}
	// Everyone answers at once, more or less: round by round, each lead
	// answers half, then the rest, with restarts in between.
	for half, qs := range [][]int{{1, 2, 3, 4, 5}, {6, 7, 8, 9, 10}} {
		for i, tm := range teams {
			for _, u := range []string{tm.mkt, tm.sale} {
				scores := orrScores[mkt]
				if u == tm.sale {
					scores = orrScores[sales]
				}
				for _, q := range qs {
					h.answer(u, fmt.Sprintf("Q%d", q), scores[q-1])
				}
			}
			if i%4 == 3 || (half == 1 && i == 9) {
				cycle()
			}
		}
	}
	for _, tm := range teams {
		h.submit(tm.mkt)
		h.submit(tm.sale)
	}
	var channels []string
	for i, tm := range teams {
		h.waitMessage(tm.channel, fmt.Sprintf("Alignment reveal · round %d", i+1))
		channels = append(channels, tm.channel)
	}
	// Every post is out: announcements, questionnaires, reveals and their
	// threads. Updates in place trail behind: ten rounds' progress and
	// questionnaire updates take about a minute of chat.update's tier, and
	// they post nothing, so they are not waited for.
	h.waitFor("every post of the ten rounds", func() bool {
		var n int
		err := h.store.DB().Get(&n, `SELECT count(*) FROM jobs WHERE state = 'pending' AND kind = ANY($1)`,
			pq.Array([]string{jobAnnounce, jobQuestionnaire, jobReveal, jobChart, jobRevealPart}))
		return err == nil && n == 0
	})
	for i, tm := range teams {
		id := int64(i + 1)
		if n := h.reveals(tm.channel, id); n != 1 {
			t.Errorf("round %d revealed %d times", id, n)
		}
		if n := h.countMessages(tm.channel, "started a round"); n != 1 {
			t.Errorf("round %d announced %d times", id, n)
		}
		if r := h.round(id); r.State != storage.Revealed || r.RevealTS == "" {
			t.Errorf("round %d is %s with reveal ts %q", id, r.State, r.RevealTS)
		}
		for _, u := range []string{tm.mkt, tm.sale} {
			if n := h.countDMs(u, "questions, about"); n != 1 {
				t.Errorf("%s got %d questionnaires", u, n)
			}
		}
	}
	if twice := h.postedTwice(channels, append(users, fac)); len(twice) > 0 {
		t.Errorf("posted twice: %v", twice)
	}
	h.noneParked()
	t.Logf("%d replicas stopped and started; calls %v", cycles, h.slack.CallCounts())
}

// orrOutage stops the database accepting connections and cuts those open,
// as a failover or a restart does, until the returned func is called.
func (o orr) outage() (restore func()) {
	o.t.Helper()
	ctx := context.Background()
	var name string
	if err := o.store.DB().Get(&name, `SELECT current_database()`); err != nil {
		o.t.Fatal(err)
	}
	u, err := url.Parse(o.dbURL)
	if err != nil {
		o.t.Fatal(err)
	}
	u.Path = "/postgres"
	admin, err := sql.Open("postgres", u.String())
	if err != nil {
		o.t.Fatal(err)
	}
	exec := func(q string, args ...any) {
		o.t.Helper()
		if _, err := admin.ExecContext(ctx, q, args...); err != nil {
			o.t.Fatal(err)
		}
	}
	exec(`ALTER DATABASE ` + pq.QuoteIdentifier(name) + ` ALLOW_CONNECTIONS false`)
	exec(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`, name)
	var once sync.Once
	restore = func() {
		once.Do(func() {
			exec(`ALTER DATABASE ` + pq.QuoteIdentifier(name) + ` ALLOW_CONNECTIONS true`)
			admin.Close()
		})
	}
	o.t.Cleanup(restore)
	return restore
}

func TestDatabaseOutageChangesNothingAndLosesNothing(t *testing.T) {
	t.Parallel()
	h := newOrr(t)
	h.startBot()
	h.startRound(mkt, sales)
	h.answer(mkt, "Q1", 2)
	card := h.questionnaire(mkt)
	h.questionnaire(sales)
	h.idle()

	restore := h.outage()
	// The reminders fall due while the database is away.
	h.clock.Set(t0.Add(48 * time.Hour))
	h.wake()
	h.click(mkt, card, "Q2", "1")
	if got := h.waitEphemeral(mkt, 1); !strings.Contains(got, "nothing was changed") || !strings.Contains(got, "try again") {
		t.Errorf("a click during the outage: %s", got)
	}
	h.command(fac, revenue, "status")
	if got := h.waitEphemeral(fac, 2); !strings.Contains(got, "try again") {
		t.Errorf("a command during the outage: %s", got)
	}
	if n := h.countDMs(mkt, orrNudge) + h.countDMs(sales, orrNudge); n != 0 {
		t.Fatalf("%d reminders sent without a database", n)
	}
	restore()

	// Nothing was lost: the reminders go out once, the answers stand, and
	// clicking works again.
	h.waitDMs(mkt, orrNudge, 1)
	h.waitDMs(sales, orrNudge, 1)
	h.answer(mkt, "Q2", 1)
	h.idle()
	answers, err := h.store.Answers(context.Background(), 1, scoring.Marketing)
	if err != nil || len(answers) != 2 || answers["Q1"] != 2 || answers["Q2"] != 1 {
		t.Errorf("answers after the outage: %v %v", answers, err)
	}
	if n, m := h.countDMs(mkt, orrNudge), h.countDMs(sales, orrNudge); n != 1 || m != 1 {
		t.Errorf("reminders after the outage: %d and %d, want one each", n, m)
	}
	if strings.Contains(h.logs.String(), "postgres://") {
		t.Error("a database URL reached the logs")
	}
	h.noneParked()
}

func TestAFailingRecipientHoldsUpNobody(t *testing.T) {
	t.Parallel()
	h := newOrr(t)
	h.startBot(func(o *Options) { o.NoJobRunner = true })
	h.startRound(mkt, sales, obs)
	// The observer leaves the company before their questionnaire goes out;
	// nobody tells the bot.
	h.slack.AddUser(slackfake.User{ID: obs, Name: "olga", RealName: "Olga Ops", TZ: "Europe/London", Deleted: true})
	h.startBot()
	h.questionnaire(mkt)
	h.questionnaire(sales)
	h.waitMessage(revenue, "started a round")
	key := jobPayload{Role: scoring.Observer}.key(jobQuestionnaire, 1)
	h.waitFor("the observer's questionnaire to be held", func() bool {
		j, err := h.store.Job(context.Background(), key)
		return err == nil && j.State == storage.JobHeld
	})
	if j, _ := h.store.Job(context.Background(), key); j.Attempts != 1 || j.HeldOn != "user:"+obs || !strings.Contains(j.LastError, "user_disabled") {
		t.Errorf("held after %d attempts on %q with %q; want at once, on the observer, user_disabled", j.Attempts, j.HeldOn, j.LastError)
	}
	note := h.waitDMs(fac, "<@UOLGA001> (RevOps observer) of round 1 in <#CREVENUE> was deactivated", 1)[0]
	for _, want := range []string{"(Slack: user_disabled)", "The round goes on without them", "/alignment cancel"} {
		if !strings.Contains(note.VisibleText(), want) {
			t.Errorf("facilitator's note lacks %q: %s", want, note.VisibleText())
		}
	}
	// The leads carry on: their answers count, and so do their reminders.
	h.answer(mkt, "Q1", 2)
	h.at(48 * time.Hour)
	h.waitDMs(mkt, orrNudge, 1)
	h.waitDMs(sales, orrNudge, 1)
}

func TestAJobFailingForGoodIsParkedAndTheFacilitatorToldWhy(t *testing.T) {
	t.Parallel()
	t.Run("slack keeps failing", func(t *testing.T) {
		t.Parallel()
		h := newOrr(t)
		h.startBot(func(o *Options) { o.MaxAttempts = 3 })
		h.revealed()
		week := 2160*time.Hour - 7*24*time.Hour
		h.at(week - time.Minute)
		// Slack answers 500 to the next three posts: the re-run reminder's
		// three attempts.
		h.slack.InjectFault("chat.postMessage", slackfake.Fault{Status: http.StatusInternalServerError, Next: 3})
		h.at(week)
		key := jobPayload{Step: "week"}.key(jobRerun, 1)
		h.settle("the re-run reminder to be parked", func() bool {
			j, err := h.store.Job(context.Background(), key)
			return err == nil && j.State == storage.JobParked
		})
		if j, _ := h.store.Job(context.Background(), key); j.Attempts != 3 || !strings.Contains(j.LastError, "500") {
			t.Errorf("parked after %d attempts with %q, want 3 and a 500", j.Attempts, j.LastError)
		}
		note := h.waitDMs(fac, "I couldn't deliver the reminder of the next round in <#CREVENUE> for round 1", 1)[0]
		if !strings.Contains(note.VisibleText(), "Slack kept failing") {
			t.Errorf("facilitator's note: %s", note.VisibleText())
		}
		if _, found := h.findMessage(revenue, "The next alignment round"); found {
			t.Error("the re-run reminder was posted after all")
		}
		// The reminder on the day is not held up by it.
		h.at(2160 * time.Hour)
		h.waitMessage(revenue, "The next alignment round is due today")
	})
}
