package bot

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/alignbot/alignbot/bot/render"
	"github.com/alignbot/alignbot/internal/config"
	"github.com/alignbot/alignbot/internal/slackapi"
	"github.com/alignbot/alignbot/internal/slackfake"
	"github.com/alignbot/alignbot/scoring"
	"github.com/alignbot/alignbot/storage"
)

// The reminder, resilience and ordering tests share these helpers. They hang
// off orr (a harness with a few more verbs) so that their names stay out of
// the way of other test files.

// orr is a harness with the verbs of reminders, resilience and ordering.
type orr struct{ *harness }

func newOrr(t *testing.T, opts ...harnessOption) orr {
	t.Helper()
	return orr{newHarness(t, opts...)}
}

// startBot starts a replica that paces its calls by Slack's published limits
// only (which the fake enforces), without alignbot's own slower pace for
// updating one conversation: these tests are about what arrives, not how
// fast.
func (o orr) startBot(opts ...botOption) *replica {
	o.t.Helper()
	limits := slackapi.SlackLimits()
	limits.UpdatePerChannel = slackapi.Limit{}
	return o.harness.startBot(append([]botOption{func(opt *Options) { opt.Limits = &limits }}, opts...)...)
}

// Texts the reminder tests look for, as the renderers write them.
const (
	orrNudge       = "A reminder about your alignment questionnaire"
	orrFinal       = "This is my last reminder"
	orrMovedOn     = "continues in the newer message below"
	orrThanks      = "Thank you: your answers for"
	orrOwnerNudge  = "How is your alignment action"
	orrOwnerDue    = "is due today"
	orrOwnerNamed  = "named you owner"
	orrOwnerOldMsg = "the latest on this action is in a newer message below"
)

// orrFirstText is what a message said when it was first posted.
func orrFirstText(m slackfake.Message) string {
	r := m.Revisions[0]
	return slackfake.Message{Blocks: r.Blocks, Text: r.Text}.VisibleText()
}

// dmsSaying returns the DMs to user whose first version contains s, oldest
// first.
func (o orr) dmsSaying(user, s string) []slackfake.Message {
	var out []slackfake.Message
	for _, m := range o.slack.DMs(user) {
		if strings.Contains(orrFirstText(m), s) {
			out = append(out, m)
		}
	}
	return out
}

func (o orr) countDMs(user, s string) int { return len(o.dmsSaying(user, s)) }

// waitDMs waits for n DMs to user saying s and returns them. Time moves on
// while it waits, as it does for a job that Slack asked to retry later.
func (o orr) waitDMs(user, s string, n int) []slackfake.Message {
	o.t.Helper()
	o.settle(fmt.Sprintf("%d DMs to %s saying %q", n, user, s), func() bool { return o.countDMs(user, s) >= n })
	return o.dmsSaying(user, s)
}

// at moves the clock to t0+d and lets every job due by then run. Jobs that
// are running finish first: time never jumps past a running job's lease.
func (o orr) at(d time.Duration) {
	o.t.Helper()
	o.idle()
	o.clock.Set(t0.Add(d))
	o.wake()
	o.idle()
}

// settle waits until cond holds, moving the clock on only to the next job
// that waits for a little later (a Retry-After, a backoff after an error),
// never past anything scheduled further out (callers never settle within
// five minutes of a scheduled reminder). The clock never moves while
// something is still on its way: callers wait for a click's own effect
// before they settle.
func (o orr) settle(what string, cond func() bool) {
	o.t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for time.Now().Before(deadline) {
		if o.poll(time.Second, func() bool { return cond() || o.quiet() }) != nil {
			continue // still busy
		}
		if cond() {
			return
		}
		now := o.clock.Now()
		var next sql.NullTime
		if err := o.store.DB().Get(&next, `SELECT min(run_at) FROM jobs WHERE state = 'pending' AND lease_token IS NULL
			AND run_at > $1 AND run_at <= $2`, now, now.Add(5*time.Minute)); err != nil {
			o.t.Fatal(err)
		}
		if next.Valid {
			o.clock.Set(next.Time)
			o.wake()
			continue
		}
		if o.poll(time.Second, cond) == nil {
			return
		}
	}
	o.t.Fatalf("never settled: %s", what)
}

// addTeams adds channels the bot and everyone are members of.
func (o orr) addTeams(ids ...string) {
	for _, id := range ids {
		o.slack.AddChannel(slackfake.Channel{ID: id, Name: strings.ToLower(id), Members: []string{fac, mkt, sales, obs, owner, admin}, BotMember: true})
	}
}

var orrStarted = regexp.MustCompile(`Started round (\d+)`)

// startIn starts a round by typing /alignment start in channel and returns
// its ID.
func (o orr) startIn(channel string, people ...string) int64 {
	o.t.Helper()
	var mentions []string
	for _, p := range people {
		mentions = append(mentions, o.slack.MentionUser(p))
	}
	before := len(o.ephemerals(fac))
	o.command(fac, channel, "start "+strings.Join(mentions, " "))
	got := o.waitEphemeral(fac, before+1)
	m := orrStarted.FindStringSubmatch(got)
	if m == nil {
		o.t.Fatalf("start in %s: %s", channel, got)
	}
	id, _ := strconv.ParseInt(m[1], 10, 64)
	return id
}

// questionnaireIn waits for user's questionnaire for the round in channel
// (still live) and returns it.
func (o orr) questionnaireIn(user, channel string) slackfake.Message {
	o.t.Helper()
	var msg slackfake.Message
	o.settle(fmt.Sprintf("%s's questionnaire for %s", user, channel), func() bool {
		for _, m := range o.slack.DMs(user) {
			if isQuestionnaire(m) && strings.Contains(m.VisibleText(), render.ChannelRef(channel)) {
				msg = m
				return true
			}
		}
		return false
	})
	return msg
}

// questionnaire waits for user's newest questionnaire DM, letting time move
// on if Slack asked the bot to wait before posting it.
func (o orr) questionnaire(user string) slackfake.Message {
	o.t.Helper()
	o.settle("a questionnaire for "+user, func() bool {
		for _, m := range o.slack.DMs(user) {
			if isQuestionnaire(m) {
				return true
			}
		}
		return false
	})
	return o.harness.questionnaire(user)
}

// waitMessage waits for a message in channel containing s, letting time
// move on if Slack asked the bot to wait before posting it.
func (o orr) waitMessage(channel, s string) slackfake.Message {
	o.t.Helper()
	var msg slackfake.Message
	o.settle(fmt.Sprintf("a message in %s containing %q", channel, s), func() bool {
		var ok bool
		msg, ok = o.findMessage(channel, s)
		return ok
	})
	return msg
}

// orrButtons returns the texts of a message's buttons.
func orrButtons(m slackfake.Message) []string {
	var blocks []struct {
		Accessory *struct {
			Type string `json:"type"`
			Text struct {
				Text string `json:"text"`
			} `json:"text"`
		} `json:"accessory"`
		Elements []struct {
			Type string `json:"type"`
			Text struct {
				Text string `json:"text"`
			} `json:"text"`
		} `json:"elements"`
	}
	_ = json.Unmarshal(m.Blocks, &blocks)
	var out []string
	for _, b := range blocks {
		if b.Accessory != nil && b.Accessory.Type == "button" {
			out = append(out, b.Accessory.Text.Text)
		}
		for _, e := range b.Elements {
			if e.Type == "button" {
				out = append(out, e.Text.Text)
			}
		}
	}
	return out
}

// waitRetired waits until m has been replaced by a note saying s, with no
// buttons left on it.
func (o orr) waitRetired(m slackfake.Message, s string) {
	o.t.Helper()
	o.settle(fmt.Sprintf("message %s to be retired to %q", m.TS, s), func() bool {
		cur := o.current(m)
		return strings.Contains(cur.VisibleText(), s) && len(orrButtons(cur)) == 0
	})
}

// respondent reads a respondent of a round.
func (o orr) respondent(roundID int64, role scoring.Role) storage.Respondent {
	o.t.Helper()
	r, err := o.store.Respondent(context.Background(), roundID, role)
	if err != nil {
		o.t.Fatal(err)
	}
	return r
}

func (o orr) round(id int64) storage.Round {
	o.t.Helper()
	r, err := o.store.Round(context.Background(), id)
	if err != nil {
		o.t.Fatal(err)
	}
	return r
}

// reveals counts round id's reveals in a channel.
func (o orr) reveals(channel string, id int64) int {
	return o.countMessages(channel, fmt.Sprintf("Alignment reveal · round %d", id))
}

// answerAndSubmit answers every question and submits, for each user.
func (o orr) answerAndSubmit(scores map[string][]int, users ...string) {
	o.t.Helper()
	for _, u := range users {
		o.answerAll(u, scores[u])
		o.submit(u)
	}
}

// orrScores makes a round whose top gaps are Q7, Q8 and Q9 (combined 0) and
// whose fix-it list holds Q6 and Q10 (the leads 2 apart).
var orrScores = map[string][]int{
	mkt:   {2, 2, 2, 2, 2, 0, 0, 0, 0, 2},
	sales: {2, 2, 2, 2, 2, 2, 0, 0, 0, 0},
	obs:   {2, 2, 1, 1, 1, 1, 1, 1, 1, 1},
}

// revealed plays a round of the two leads to its reveal and returns it.
func (o orr) revealed() slackfake.Message {
	o.t.Helper()
	o.startRound(mkt, sales)
	o.answerAndSubmit(orrScores, mkt, sales)
	reveal := o.waitMessage(revenue, "Alignment reveal · round 1")
	o.idle()
	return reveal
}

// respondentNudges are the reminders (waiting and final) user got.
func (o orr) respondentNudges(user string) int {
	return o.countDMs(user, orrNudge) + o.countDMs(user, orrFinal)
}

func TestReminderSaysWhatIsLeftAndContinuesWhereTheyLeftOff(t *testing.T) {
	t.Parallel()
	h := newOrr(t)
	h.startBot()
	h.startRound(mkt, sales, obs)
	h.answerAll(mkt, orrScores[mkt][:8])
	h.answerAll(sales, orrScores[sales])
	first := map[string]slackfake.Message{mkt: h.questionnaire(mkt), sales: h.questionnaire(sales), obs: h.questionnaire(obs)}
	h.idle()
	channelBefore := len(h.channelMessages(revenue))

	h.at(48*time.Hour - time.Minute)
	for _, u := range []string{mkt, sales, obs} {
		if n := h.respondentNudges(u); n != 0 {
			t.Fatalf("%s reminded before ALIGNBOT_NUDGE_AFTER: %d", u, n)
		}
	}
	h.at(48 * time.Hour)
	nudge := map[string]slackfake.Message{}
	for _, u := range []string{mkt, sales, obs} {
		nudge[u] = h.waitDMs(u, orrNudge, 1)[0]
	}
	for _, c := range []struct {
		user    string
		says    string
		buttons []string
	}{
		{mkt, "2 questions left (Q9, Q10)", []string{"Continue where you left off", "Not me / decline"}},
		{sales, "all 10 questions are answered and waiting for you to submit", []string{"Review and submit", "Not me / decline"}},
		{obs, "10 questions, about", []string{"Start answering", "Not me / decline"}},
	} {
		text := nudge[c.user].VisibleText()
		if !strings.Contains(text, c.says) {
			t.Errorf("%s's reminder does not say %q: %s", c.user, c.says, text)
		}
		if got := orrButtons(nudge[c.user]); strings.Join(got, "|") != strings.Join(c.buttons, "|") {
			t.Errorf("%s's reminder has buttons %q, want %q", c.user, got, c.buttons)
		}
	}
	// The channel never hears who is late before the deadline.
	if n := len(h.channelMessages(revenue)); n != channelBefore {
		t.Errorf("%d new channel messages while respondents were reminded", n-channelBefore)
	}

	// "Continue" turns the reminder itself into the questionnaire, open at
	// Q9; the older copy becomes a pointer to it.
	h.click(mkt, nudge[mkt], "", "Continue where you left off")
	h.waitFor("the reminder to become the questionnaire, open at Q9", func() bool {
		cur := h.current(nudge[mkt])
		return isQuestionnaire(cur) && openCard(cur, "Q9")
	})
	h.waitRetired(first[mkt], orrMovedOn)
	if got := h.questionnaire(mkt); got.TS != nudge[mkt].TS {
		t.Fatalf("the live questionnaire is %s, want the reminder %s", got.TS, nudge[mkt].TS)
	}
	// Answering works in the new copy, and submitting from it.
	h.answer(mkt, "Q9", 0)
	h.answer(mkt, "Q10", 2)
	h.submit(mkt)
	answers, err := h.store.Answers(context.Background(), 1, scoring.Marketing)
	if err != nil || len(answers) != 10 || answers["Q9"] != 0 || answers["Q10"] != 2 {
		t.Errorf("marketing's answers: %v %v", answers, err)
	}
	if !strings.Contains(h.current(first[mkt]).VisibleText(), orrMovedOn) {
		t.Errorf("the old copy came back: %s", h.current(first[mkt]).VisibleText())
	}

	// At 10 of 10 the reminder offers to review and submit.
	h.click(sales, nudge[sales], "", "Review and submit")
	h.waitFor("sales' reminder to become the questionnaire", func() bool { return isQuestionnaire(h.current(nudge[sales])) })
	h.waitRetired(first[sales], orrMovedOn)
	h.submit(sales)
	if r := h.respondent(1, scoring.Sales); !r.Submitted() {
		t.Error("sales did not submit from the reminder")
	}
	h.idle()
	if n := h.reveals(revenue, 1); n != 0 {
		t.Errorf("revealed with the observer still answering: %d", n)
	}
}

func TestReminderIsRetiredByTheNextAndBySubmitting(t *testing.T) {
	t.Parallel()
	h := newOrr(t)
	h.startBot()
	h.startRound(mkt, sales)
	h.questionnaire(mkt)
	h.questionnaire(sales)

	h.at(48 * time.Hour)
	firstMkt := h.waitDMs(mkt, orrNudge, 1)[0]
	firstSales := h.waitDMs(sales, orrNudge, 1)[0]
	h.at(96 * time.Hour)
	secondMkt := h.waitDMs(mkt, orrNudge, 2)[1]
	h.waitDMs(sales, orrNudge, 2)
	h.waitRetired(firstMkt, orrMovedOn)
	h.waitRetired(firstSales, orrMovedOn)
	if len(orrButtons(h.current(secondMkt))) == 0 {
		t.Fatal("the newest reminder lost its buttons")
	}

	// Submitting from the questionnaire retires the reminder too.
	h.answerAll(mkt, orrScores[mkt])
	h.submit(mkt)
	h.waitRetired(secondMkt, orrThanks)
	h.at(144 * time.Hour)
	h.waitDMs(sales, orrNudge, 3)
	if n := h.countDMs(mkt, orrNudge); n != 2 {
		t.Errorf("marketing got %d reminders, want 2: none after submitting", n)
	}
	// Only the newest reminder to sales is live.
	live := 0
	for _, m := range h.dmsSaying(sales, orrNudge) {
		if len(orrButtons(h.current(m))) > 0 {
			live++
		}
	}
	if live != 1 {
		t.Errorf("%d of sales' reminders have buttons, want 1", live)
	}
}

func TestRemindersStopAtTheDeadlineWithOneFinalNotice(t *testing.T) {
	t.Parallel()
	h := newOrr(t)
	h.startBot()
	h.startRound(mkt, sales, obs)
	// The marketing lead declines; sales answers three questions; the
	// observer submits.
	h.click(mkt, h.questionnaire(mkt), "", "Not me / decline")
	h.waitFor("marketing's decline", func() bool { return h.respondent(1, scoring.Marketing).Declined() })
	h.waitDMs(fac, "declined round 1", 1)
	h.answerAll(sales, orrScores[sales][:3])
	h.answerAndSubmit(orrScores, obs)

	for i, d := range []time.Duration{48, 96, 144} {
		h.at(d * time.Hour)
		h.waitDMs(sales, orrNudge, i+1)
	}
	if n := h.respondentNudges(mkt); n != 0 {
		t.Errorf("the lead who declined was reminded %d times", n)
	}
	if n := h.respondentNudges(obs); n != 0 {
		t.Errorf("the observer was reminded %d times after submitting", n)
	}
	h.at(168*time.Hour - time.Minute)
	if _, found := h.findMessage(revenue, "The deadline for round 1 has passed"); found {
		t.Fatal("deadline note before the deadline")
	}
	h.at(168 * time.Hour)
	note := h.waitMessage(revenue, "The deadline for round 1 has passed")
	for _, want := range []string{
		"Still waiting on <@UMARIA01> (Marketing lead, declined) and <@USAMUE01> (Sales lead, has not submitted)",
		"/alignment extend 3d",
	} {
		if !strings.Contains(note.VisibleText(), want) {
			t.Errorf("deadline note lacks %q: %s", want, note.VisibleText())
		}
	}
	final := h.waitDMs(sales, orrFinal, 1)[0]
	if text := final.VisibleText(); !strings.Contains(text, "7 questions left (Q4, Q5, Q6, Q7, Q8, Q9, Q10)") {
		t.Errorf("final notice: %s", text)
	}
	// Nothing after the final notice, however long the round waits.
	for _, d := range []time.Duration{192, 216, 400, 1000} {
		h.at(d * time.Hour)
	}
	if n, f := h.countDMs(sales, orrNudge), h.countDMs(sales, orrFinal); n != 3 || f != 1 {
		t.Errorf("sales got %d reminders and %d final notices, want 3 and 1", n, f)
	}
	if n := h.respondentNudges(mkt) + h.respondentNudges(obs); n != 0 {
		t.Errorf("%d reminders to people the round no longer waits for", n)
	}
	if n := h.countMessages(revenue, "The deadline for round 1 has passed"); n != 1 {
		t.Errorf("%d deadline notes, want 1", n)
	}
	if n := h.reveals(revenue, 1); n != 0 {
		t.Errorf("a one-sided comparison was revealed")
	}
}

func TestDeadlineRevealsWithoutTheMissingObserver(t *testing.T) {
	t.Parallel()
	h := newOrr(t)
	h.startBot()
	h.startRound(mkt, sales, obs)
	h.answerAndSubmit(orrScores, mkt, sales)
	h.answer(obs, "Q1", 2)
	obsCard := h.questionnaire(obs)
	h.at(48 * time.Hour)
	obsNudge := h.waitDMs(obs, orrNudge, 1)[0]
	h.at(168*time.Hour - time.Minute)
	if n := h.reveals(revenue, 1); n != 0 {
		t.Fatal("revealed before the deadline without the observer")
	}
	reminded := h.respondentNudges(obs)
	h.at(168 * time.Hour)
	reveal := h.waitMessage(revenue, "Alignment reveal · round 1")
	if text := reveal.VisibleText(); !strings.Contains(text, "<@UOLGA001> (RevOps observer) did not respond by the deadline and is left out") {
		t.Errorf("the reveal does not say the observer did not respond: %s", text)
	}
	h.settle("the observer's questionnaire to close", func() bool {
		return strings.Contains(h.current(obsCard).VisibleText(), "revealed in <#CREVENUE> without your answers")
	})
	h.settle("the observer's reminder to be retired", func() bool { return len(orrButtons(h.current(obsNudge))) == 0 })
	h.at(400 * time.Hour)
	if n := h.reveals(revenue, 1); n != 1 {
		t.Errorf("%d reveals, want 1", n)
	}
	if _, found := h.findMessage(revenue, "The deadline for round 1 has passed"); found {
		t.Error("a deadline note although both leads were in")
	}
	if n, f := h.respondentNudges(obs), h.countDMs(obs, orrFinal); n != reminded || f != 0 {
		t.Errorf("the observer got %d reminders and %d final notices after the deadline, want none", n-reminded, f)
	}
}

func TestExtendMovesTheDeadlineAndRearmsOneReminder(t *testing.T) {
	t.Parallel()
	h := newOrr(t)
	h.startBot()
	h.startBot()
	h.startRound(mkt, sales)
	h.answerAndSubmit(orrScores, mkt)
	h.at(168 * time.Hour)
	h.waitMessage(revenue, "The deadline for round 1 has passed")
	h.waitDMs(sales, orrFinal, 1)
	nudgesBefore := h.countDMs(sales, orrNudge)

	// Someone outside the round may not extend; two extends at once both
	// count.
	h.command(owner, revenue, "extend 3d")
	if got := h.waitEphemeral(owner, 1); !strings.Contains(got, "Only") || !strings.Contains(got, "Nothing was changed") {
		t.Errorf("extend by someone outside the round: %s", got)
	}
	before := len(h.ephemerals(fac))
	var ids []string
	for range 2 {
		id, err := h.slack.SlashCommand(fac, revenue, "extend 3d")
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	for _, id := range ids {
		h.waitAck(id)
	}
	h.waitFor("both extends answered", func() bool { return len(h.ephemerals(fac)) >= before+2 })
	for _, e := range h.ephemerals(fac)[before:] {
		if !strings.Contains(e, "Round 1 is now due") {
			t.Errorf("extend: %s", e)
		}
	}
	want := t0.Add(168*time.Hour + 6*24*time.Hour)
	if got := h.round(1).DeadlineAt; !got.Equal(want) {
		t.Fatalf("deadline %s after two extends of 3 days, want %s", got, want)
	}

	// One reminder, NUDGE_AFTER later; then the new deadline's final notice;
	// then nothing.
	h.at(168*time.Hour + 48*time.Hour - time.Minute)
	if n := h.countDMs(sales, orrNudge); n != nudgesBefore {
		t.Fatalf("reminded before NUDGE_AFTER had passed since the extend: %d", n-nudgesBefore)
	}
	h.at(168*time.Hour + 48*time.Hour)
	h.waitDMs(sales, orrNudge, nudgesBefore+1)
	h.at(168*time.Hour + 144*time.Hour - time.Minute)
	if n := h.countDMs(sales, orrNudge); n != nudgesBefore+1 {
		t.Errorf("%d reminders after the extends, want 1", n-nudgesBefore)
	}
	if n := h.countMessages(revenue, "The deadline for round 1 has passed"); n != 1 {
		t.Errorf("a deadline note before the extended deadline: %d", n)
	}
	h.at(168*time.Hour + 144*time.Hour)
	h.waitDMs(sales, orrFinal, 2)
	h.settle("the second deadline note", func() bool {
		return h.countMessages(revenue, "The deadline for round 1 has passed") == 2
	})
	h.at(1000 * time.Hour)
	if n, f := h.countDMs(sales, orrNudge), h.countDMs(sales, orrFinal); n != nudgesBefore+1 || f != 2 {
		t.Errorf("sales got %d reminders and %d final notices after the extends, want 1 and 2 in all", n-nudgesBefore, f)
	}
	// Submitting reveals at once: the deadline has passed.
	h.answerAndSubmit(orrScores, sales)
	h.waitMessage(revenue, "Alignment reveal · round 1")
}

func TestRemindedAboutAtMostThreeRoundsAtOnce(t *testing.T) {
	t.Parallel()
	h := newOrr(t)
	teams := []string{"CTEAMA01", "CTEAMB01", "CTEAMC01", "CTEAMD01"}
	h.addTeams(teams...)
	h.startBot()
	for _, ch := range teams {
		h.startIn(ch, mkt, sales)
	}
	for _, ch := range teams {
		h.questionnaireIn(mkt, ch)
		h.questionnaireIn(sales, ch)
	}
	check := func(when string, want map[string][]int) {
		t.Helper()
		for u, counts := range want {
			for i, ch := range teams {
				if n := h.countDMs(u, orrNudge+" for "+render.ChannelRef(ch)); n != counts[i] {
					t.Errorf("by %s %s got %d reminders about %s, want %d", when, u, n, ch, counts[i])
				}
			}
		}
	}

	// Four rounds wait for each lead: the three oldest are reminded.
	h.at(48 * time.Hour)
	h.waitDMs(mkt, orrNudge, 3)
	h.waitDMs(sales, orrNudge, 3)
	h.idle()
	check("48h", map[string][]int{mkt: {1, 1, 1, 0}, sales: {1, 1, 1, 0}})

	// Marketing declines the oldest: the fourth moves up for them.
	h.click(mkt, h.questionnaireIn(mkt, teams[0]), "", "Not me / decline")
	h.waitFor("marketing's decline", func() bool { return h.respondent(1, scoring.Marketing).Declined() })
	h.waitDMs(fac, "declined round 1", 1)
	h.at(96 * time.Hour)
	h.waitDMs(mkt, orrNudge, 6)
	h.waitDMs(sales, orrNudge, 6)
	h.idle()
	check("96h", map[string][]int{mkt: {1, 2, 2, 1}, sales: {2, 2, 2, 0}})
}

func TestDeclineFromAReminderTellsTheFacilitatorAndRevealsWithoutTheObserver(t *testing.T) {
	t.Parallel()
	h := newOrr(t)
	h.startBot()
	h.startRound(mkt, sales, obs)
	h.answerAndSubmit(orrScores, mkt, sales)
	h.at(48 * time.Hour)
	nudge := h.waitDMs(obs, orrNudge, 1)[0]
	h.click(obs, nudge, "", "Not me / decline")
	h.waitFor("the observer's decline", func() bool { return h.respondent(1, scoring.Observer).Declined() })
	note := h.waitDMs(fac, "declined round 1", 1)[0]
	if text := note.VisibleText(); !strings.Contains(text, "<@UOLGA001> (RevOps observer) declined round 1 in <#CREVENUE>. The round goes on without them.") {
		t.Errorf("facilitator's note: %s", text)
	}
	reveal := h.waitMessage(revenue, "Alignment reveal · round 1")
	if text := reveal.VisibleText(); !strings.Contains(text, "<@UOLGA001> (RevOps observer) declined and is left out") {
		t.Errorf("the reveal does not say the observer declined: %s", text)
	}
	h.idle()
	if n := h.reveals(revenue, 1); n != 1 {
		t.Errorf("%d reveals, want 1", n)
	}
	// The reminder they declined from no longer invites them to answer.
	if text := h.current(nudge).VisibleText(); !strings.Contains(text, "You declined") || len(orrButtons(h.current(nudge))) != 0 {
		t.Errorf("the declined reminder says: %s (buttons %q)", text, orrButtons(h.current(nudge)))
	}
	if got := h.dmsSaying(fac, "declined round 1"); len(got) != 1 {
		for _, m := range got {
			t.Logf("%s %s: %s", m.TS, m.Metadata, m.VisibleText())
		}
		t.Errorf("the facilitator was told %d times", len(got))
	}
	if got := h.respondent(1, scoring.Observer); !got.Declined() {
		t.Error("the observer is not recorded as declined")
	}
}

func TestLeadDeclineFromTheQuestionnaireLeavesTheRoundWaiting(t *testing.T) {
	t.Parallel()
	h := newOrr(t)
	h.startBot()
	h.startRound(mkt, sales)
	card := h.questionnaire(sales)
	h.click(sales, card, "", "Not me / decline")
	h.waitFor("sales' questionnaire to say they declined", func() bool {
		return strings.Contains(h.current(card).VisibleText(), "You declined the alignment round in <#CREVENUE>")
	})
	note := h.waitDMs(fac, "declined round 1", 1)[0]
	if text := note.VisibleText(); !strings.Contains(text, "<@USAMUE01> (Sales lead) declined round 1 in <#CREVENUE>. The comparison needs both leads") {
		t.Errorf("facilitator's note: %s", text)
	}
	// A declined lead's card takes no answers.
	if _, err := h.slack.ClickButton(sales, h.current(card), "", "Not me"); err == nil {
		t.Error("the declined questionnaire still has buttons")
	}
	h.answerAndSubmit(orrScores, mkt)
	h.at(96 * time.Hour)
	if n := h.reveals(revenue, 1); n != 0 {
		t.Fatal("revealed with a lead who declined")
	}
	if r := h.round(1); r.State != storage.Collecting {
		t.Errorf("round is %s, want collecting", r.State)
	}
	if n := h.respondentNudges(sales); n != 0 {
		t.Errorf("the lead who declined was reminded %d times", n)
	}
}

func TestTenRoundsADayPerFacilitator(t *testing.T) {
	t.Parallel()
	h := newOrr(t)
	h.startBot(func(o *Options) { o.NoJobRunner = true })
	for i := 1; i <= maxStartsPerDay; i++ {
		if id := h.startIn(revenue, mkt, sales); id != int64(i) {
			t.Fatalf("started round %d, want %d", id, i)
		}
		h.command(fac, revenue, "cancel")
		if got := h.waitEphemeral(fac, 2*i); !strings.Contains(got, "Cancelled round") {
			t.Fatalf("cancel: %s", got)
		}
	}
	h.command(fac, revenue, "start "+h.slack.MentionUser(mkt)+" "+h.slack.MentionUser(sales))
	got := h.waitEphemeral(fac, 2*maxStartsPerDay+1)
	if !strings.Contains(got, "You've started 10 rounds in the last 24 hours, the most one person may") || !strings.Contains(got, "Try again tomorrow") {
		t.Errorf("the 11th start: %s", got)
	}
	var n int
	if err := h.store.DB().Get(&n, `SELECT count(*) FROM rounds`); err != nil || n != maxStartsPerDay {
		t.Errorf("%d rounds stored (%v), want %d", n, err, maxStartsPerDay)
	}
	// Someone else may start; the facilitator may again a day later.
	h.command(admin, revenue, "start "+h.slack.MentionUser(mkt)+" "+h.slack.MentionUser(sales))
	if got := h.waitEphemeral(admin, 1); !strings.Contains(got, "Started round 11") {
		t.Errorf("another facilitator's start: %s", got)
	}
	h.command(admin, revenue, "cancel")
	h.waitEphemeral(admin, 2)
	h.clock.Set(t0.Add(24*time.Hour + time.Second))
	if id := h.startIn(revenue, mkt, sales); id != 12 {
		t.Errorf("a day later started round %d, want 12", id)
	}
}

// ownerDMs returns the owner's DMs about question q of round 1, oldest
// first, whatever they say now.
func (o orr) ownerDMs(user, q string) []slackfake.Message {
	var out []slackfake.Message
	for _, m := range o.slack.DMs(user) {
		if strings.Contains(orrFirstText(m), "*"+q+" · ") {
			out = append(out, m)
		}
	}
	return out
}

// liveOwnerDMs counts user's messages about q that still have buttons.
func (o orr) liveOwnerDMs(user, q string) int {
	n := 0
	for _, m := range o.ownerDMs(user, q) {
		if len(orrButtons(o.current(m))) > 0 {
			n++
		}
	}
	return n
}

func (o orr) assign(q, who, text string) {
	o.t.Helper()
	before := len(o.ephemerals(fac))
	o.command(fac, revenue, fmt.Sprintf("assign %s %s %s", q, o.slack.MentionUser(who), text))
	if got := o.waitEphemeral(fac, before+1); !strings.Contains(got, "owns "+q) {
		o.t.Fatalf("assign %s: %s", q, got)
	}
}

func TestOwnerRemindersUntilDone(t *testing.T) {
	t.Parallel()
	h := newOrr(t)
	h.startBot()
	reveal := h.revealed()
	h.assign("Q7", owner, "Agree attribution definitions")
	assigned := h.waitDMs(owner, orrOwnerNamed, 1)[0]
	text := assigned.VisibleText()
	permalink := fmt.Sprintf("https://%s.slack.com/archives/%s/p%s", slackfake.DefaultTeamDomain, revenue, strings.ReplaceAll(reveal.TS, ".", ""))
	for _, want := range []string{
		"<@UFACIL01> named you owner of a top gap in <#CREVENUE>",
		"*Q7 · ",
		"Why it matters: Marketing lead scored it *0*, Sales lead *0* (combined 0 of 4)",
		"_Agree attribution definitions_",
		"<" + permalink + "|See round 1's reveal>",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("assignment DM lacks %q: %s", want, text)
		}
	}
	if got := orrButtons(assigned); strings.Join(got, "|") != "Done|Still on it|Blocked" {
		t.Errorf("assignment DM buttons %q", got)
	}

	// ACTION_DUE 720h, ACTION_NUDGE_EVERY 168h: reminders at 168, 336, 504
	// and 672, on the due date, then overdue every 168h.
	for i, step := range []struct {
		at   time.Duration
		says string
		n    int
	}{
		{168, orrOwnerNudge, 1},
		{336, orrOwnerNudge, 2},
		{504, orrOwnerNudge, 3},
		{672, orrOwnerNudge, 4},
		{720, orrOwnerDue, 1},
		{888, "is overdue by 7 days", 1},
		{1056, "is overdue by 14 days", 1},
	} {
		h.at(step.at*time.Hour - time.Minute)
		if n := h.countDMs(owner, step.says); n != step.n-1 {
			t.Fatalf("step %d: %d DMs %q before it was due", i, n, step.says)
		}
		h.at(step.at * time.Hour)
		h.waitDMs(owner, step.says, step.n)
		h.idle()
		// One live message per action: every older one is a one-line note.
		all := h.ownerDMs(owner, "Q7")
		if len(all) != i+2 {
			t.Fatalf("step %d: %d messages about Q7, want %d", i, len(all), i+2)
		}
		for _, m := range all[:len(all)-1] {
			h.waitRetired(m, orrOwnerOldMsg)
		}
		if n := h.liveOwnerDMs(owner, "Q7"); n != 1 {
			t.Fatalf("step %d: %d live messages about Q7", i, n)
		}
	}
	newest := h.ownerDMs(owner, "Q7")
	last := h.current(newest[len(newest)-1])
	if !strings.Contains(last.VisibleText(), "Why it matters") || !strings.Contains(last.VisibleText(), permalink) {
		t.Errorf("the overdue reminder does not say why or link the reveal: %s", last.VisibleText())
	}

	// A click prepared on the live message before Done: a stale button.
	stale, err := h.slack.BuildClick(owner, last, "", "Still on it")
	if err != nil {
		t.Fatal(err)
	}
	h.click(owner, last, "", "Done")
	h.settle("the reveal's thread to hear it is done", func() bool { return strings.Contains(h.thread(reveal), "*done*") })
	if _, err := h.slack.SendInteraction(stale); err != nil {
		t.Fatal(err)
	}
	if got := h.waitEphemeral(owner, 1); !strings.Contains(got, "already done; it stays done") {
		t.Errorf("a stale button on a done action: %s", got)
	}
	h.idle()
	if a, err := h.store.Action(context.Background(), 1, "Q7"); err != nil || a.Status != storage.ActionDone {
		t.Errorf("action after the stale click: %+v %v", a, err)
	}
	count := len(h.slack.DMs(owner))
	h.at(3000 * time.Hour)
	if n := len(h.slack.DMs(owner)); n != count {
		t.Errorf("%d DMs to the owner after Done", n-count)
	}
	if n := strings.Count(h.thread(reveal), "*done*"); n != 1 {
		t.Errorf("%d done notes in the thread", n)
	}
}

func TestReassigningRetiresTheOldOwnersMessageAndReminders(t *testing.T) {
	t.Parallel()
	h := newOrr(t)
	h.startBot()
	h.revealed()
	h.assign("Q8", owner, "Monthly win/loss call")
	old := h.waitDMs(owner, orrOwnerNamed, 1)[0]
	h.idle()
	stale, err := h.slack.BuildClick(owner, old, "", "Done")
	if err != nil {
		t.Fatal(err)
	}
	h.assign("Q8", admin, "Monthly win/loss call, run by ops")
	h.waitDMs(admin, orrOwnerNamed, 1)
	h.waitRetired(old, "is now owned by <@UADMIN01>")

	// The old owner's stale button changes nothing.
	if _, err := h.slack.SendInteraction(stale); err != nil {
		t.Fatal(err)
	}
	h.waitEphemeral(owner, 1)
	h.idle()
	if a, err := h.store.Action(context.Background(), 1, "Q8"); err != nil || a.Status != storage.ActionOpen || a.OwnerID != admin {
		t.Errorf("action after the old owner's click: %+v %v", a, err)
	}
	// A minute later the new owner rewrites the action: still one live
	// message about it.
	h.advance(time.Minute)
	h.assign("Q8", admin, "Monthly win/loss call with the top five deals")
	second := h.waitDMs(admin, orrOwnerNamed, 2)
	h.waitRetired(second[0], orrOwnerOldMsg)
	if n := h.liveOwnerDMs(admin, "Q8"); n != 1 {
		t.Errorf("%d live messages about Q8, want 1", n)
	}
	if text := h.current(second[1]).VisibleText(); !strings.Contains(text, "top five deals") {
		t.Errorf("the live message: %s", text)
	}

	h.at(168*time.Hour + time.Minute)
	h.waitDMs(admin, orrOwnerNudge, 1)
	h.at(400 * time.Hour)
	if n := len(h.slack.DMs(owner)); n != 1 {
		t.Errorf("the former owner got %d DMs, want only the first", n)
	}
	if n := h.countDMs(admin, orrOwnerNudge); n != 2 {
		t.Errorf("the new owner got %d reminders by 400h, want 2", n)
	}
	if n := h.liveOwnerDMs(admin, "Q8"); n != 1 {
		t.Errorf("%d live messages about Q8 after the reminders, want 1", n)
	}
}

func TestRoundClosesWhenEveryTopGapActionIsDone(t *testing.T) {
	t.Parallel()
	h := newOrr(t)
	h.startBot()
	reveal := h.revealed()
	for i, q := range []string{"Q7", "Q8", "Q9"} {
		h.assign(q, owner, fmt.Sprintf("action %d", i+1))
	}
	// A fix-it gap's action does not hold the round open.
	h.assign("Q6", admin, "Write the rejection workflow")
	h.waitDMs(owner, orrOwnerNamed, 3)
	h.waitDMs(admin, "a structural gap on the fix-it list", 1)
	for i, q := range []string{"Q7", "Q8", "Q9"} {
		dms := h.ownerDMs(owner, q)
		h.click(owner, dms[len(dms)-1], "", "Done")
		h.waitFor(q+" done", func() bool {
			a, err := h.store.Action(context.Background(), 1, q)
			return err == nil && a.Status == storage.ActionDone
		})
		if i < 2 {
			h.idle()
			if r := h.round(1); r.State != storage.Revealed {
				t.Fatalf("round %s after %d of 3 actions", r.State, i+1)
			}
		}
	}
	h.settle("the thread to hear the round closed", func() bool { return strings.Contains(h.thread(reveal), "round 1 is closed") })
	if r := h.round(1); r.State != storage.Closed {
		t.Errorf("round is %s, want closed", r.State)
	}
	if a, _ := h.store.Action(context.Background(), 1, "Q6"); a.Status == storage.ActionDone {
		t.Error("the fix-it action is done; the test proves nothing")
	}
}

func TestRerunRemindersUseTheConfiguredInterval(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		every time.Duration
		says  string
	}{
		{2160 * time.Hour, "90 days since round 1"},
		{1440 * time.Hour, "60 days since round 1"},
	} {
		t.Run(c.every.String(), func(t *testing.T) {
			t.Parallel()
			h := newOrr(t, withConfig(func(cfg *config.Config) { cfg.RerunAfter = c.every }))
			h.startBot()
			h.revealed()
			week := c.every - 7*24*time.Hour
			h.at(week - time.Minute)
			if _, found := h.findMessage(revenue, "The next alignment round"); found {
				t.Fatal("re-run reminder more than a week ahead")
			}
			h.at(week)
			first := h.waitMessage(revenue, "The next alignment round is due")
			if text := first.VisibleText(); !strings.Contains(text, c.says) || strings.Contains(text, "is due today") {
				t.Errorf("week-ahead reminder: %s", text)
			}
			h.at(c.every - time.Minute)
			if n := h.countMessages(revenue, "The next alignment round"); n != 1 {
				t.Fatalf("%d re-run reminders before the day", n)
			}
			h.at(c.every)
			today := h.waitMessage(revenue, "The next alignment round is due today")
			if !strings.Contains(today.VisibleText(), c.says) {
				t.Errorf("reminder on the day: %s", today.VisibleText())
			}
			h.at(c.every + 30*24*time.Hour)
			if n := h.countMessages(revenue, "The next alignment round"); n != 2 {
				t.Errorf("%d re-run reminders, want 2", n)
			}

			// One click: the start form, filled in with the same people.
			h.click(fac, first, "", "Start next round")
			form := h.waitView(fac, render.CallbackStart)
			for _, id := range []string{mkt, sales, revenue} {
				if !strings.Contains(string(form.Blocks), id) {
					t.Errorf("the form is not filled in with %s", id)
				}
			}
			resp, err := h.slack.SubmitView(context.Background(), fac, form.ID, nil)
			if err != nil || (resp != nil && len(resp.Errors) > 0) {
				t.Fatalf("start next round: %+v %v", resp, err)
			}
			h.settle("round 2's questionnaires", func() bool {
				for _, role := range []scoring.Role{scoring.Marketing, scoring.Sales} {
					r, err := h.store.Respondent(context.Background(), 2, role)
					if err != nil || r.QuestionnaireTS == "" {
						return false
					}
				}
				return true
			})
			if m, s := h.respondent(2, scoring.Marketing), h.respondent(2, scoring.Sales); m.UserID != mkt || s.UserID != sales {
				t.Errorf("round 2's leads are %s and %s", m.UserID, s.UserID)
			}
			if r := h.round(2); r.ChannelID != revenue || r.PreviousRoundID == nil || *r.PreviousRoundID != 1 {
				t.Errorf("round 2: %+v", r)
			}
		})
	}
}

func TestWorkingHoursHoldDMsUntilMorningWithoutCountingAttempts(t *testing.T) {
	t.Parallel()
	wh, err := config.ParseWorkingHours("09:00-18:00 Mon-Fri")
	if err != nil {
		t.Fatal(err)
	}
	h := newOrr(t, withConfig(func(c *config.Config) { c.WorkingHours = wh }))
	h.startBot()
	h.revealed()
	// t0 is Monday 14:00 UTC: 01:00 on Tuesday in Sydney.
	h.assign("Q7", owner, "Agree attribution definitions")
	h.idle()
	if n := len(h.slack.DMs(owner)); n != 0 {
		t.Fatal("a DM went out at 1am in the owner's time zone")
	}
	// 09:00 on Tuesday in Sydney (UTC+11 in November) is 22:00 Monday UTC.
	h.clock.Set(time.Date(2026, 11, 2, 21, 59, 0, 0, time.UTC))
	h.wake()
	h.idle()
	if n := len(h.slack.DMs(owner)); n != 0 {
		t.Fatal("a DM went out before 9am in the owner's time zone")
	}
	h.clock.Set(time.Date(2026, 11, 2, 22, 0, 0, 0, time.UTC))
	h.wake()
	h.waitDMs(owner, orrOwnerNamed, 1)
	h.idle()
	a, err := h.store.Action(context.Background(), 1, "Q7")
	if err != nil {
		t.Fatal(err)
	}
	j, err := h.store.Job(context.Background(), jobPayload{Question: "Q7", UserID: owner, Step: assignmentKey(a.AssignedAt)}.key(jobOwnerDM, 1))
	if err != nil || j.Attempts != 1 || j.State != storage.JobDone {
		t.Errorf("the held DM: state %s, %d attempts (%v); want done after 1", j.State, j.Attempts, err)
	}
	// The first reminder falls on Monday 14:00 UTC a week later: 01:00
	// Tuesday in Sydney, held until 09:00 there.
	h.clock.Set(t0.Add(168 * time.Hour))
	h.wake()
	h.idle()
	if n := h.countDMs(owner, orrOwnerNudge); n != 0 {
		t.Fatal("a reminder went out at night in the owner's time zone")
	}
	h.clock.Set(time.Date(2026, 11, 9, 22, 0, 0, 0, time.UTC))
	h.wake()
	h.waitDMs(owner, orrOwnerNudge, 1)
}
