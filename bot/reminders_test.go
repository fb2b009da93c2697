package bot

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/alignbot/alignbot/internal/config"
	"github.com/alignbot/alignbot/internal/slackfake"
	"github.com/alignbot/alignbot/scoring"
	"github.com/alignbot/alignbot/storage"
)

// countDMs counts the DMs user got whose text, as first posted, contains s.
func (h *harness) countDMs(user, s string) int {
	n := 0
	for _, m := range h.slack.DMs(user) {
		if strings.Contains(slackfake.Message{Blocks: m.Revisions[0].Blocks, Text: m.Revisions[0].Text}.VisibleText(), s) {
			n++
		}
	}
	return n
}

// lastDMAbout returns the latest DM to user whose text contains s.
func (h *harness) lastDMAbout(user, s string) slackfake.Message {
	h.t.Helper()
	var found slackfake.Message
	for _, m := range h.slack.DMs(user) {
		if strings.Contains(m.VisibleText(), s) {
			found = m
		}
	}
	if found.TS == "" {
		h.t.Fatalf("no DM to %s about %q", user, s)
	}
	return found
}

func (h *harness) waitDMs(user, s string, n int) {
	h.t.Helper()
	h.waitFor(fmt.Sprintf("%d DMs to %s containing %q", n, user, s), func() bool { return h.countDMs(user, s) >= n })
}

// at moves the clock to t0+d and lets every job due by then run. Jobs
// already running finish first: time never jumps past a running job's lease
// in real life.
func (h *harness) at(d time.Duration) {
	h.t.Helper()
	h.idle()
	h.clock.Set(t0.Add(d))
	h.wake()
	h.idle()
}

const nudgeText = "A reminder: your alignment questionnaire"

func TestRespondentNudges(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.startBot()
	h.startRound(mkt, sales, obs)
	h.questionnaire(mkt)
	h.answerAll(mkt, threePeople[mkt])
	h.submit(mkt)
	h.answer(sales, "Q1", 1)
	h.idle()
	channelBefore := len(h.slack.Messages(revenue))

	h.at(48*time.Hour - time.Minute)
	for _, u := range []string{mkt, sales, obs} {
		if n := h.countDMs(u, nudgeText); n != 0 {
			t.Fatalf("%s nudged before NUDGE_AFTER: %d", u, n)
		}
	}
	h.at(48 * time.Hour)
	h.waitDMs(sales, nudgeText, 1)
	h.waitDMs(obs, nudgeText, 1)
	if got := h.slack.DMs(sales); !strings.Contains(got[len(got)-1].VisibleText(), "1 of 10 answered") {
		t.Errorf("sales' nudge: %s", got[len(got)-1].VisibleText())
	}
	h.at(96*time.Hour - time.Minute)
	h.at(96 * time.Hour)
	h.waitDMs(sales, nudgeText, 2)
	h.waitDMs(obs, nudgeText, 2)
	for u, want := range map[string]int{mkt: 0, sales: 2, obs: 2} {
		if n := h.countDMs(u, nudgeText); n != want {
			t.Errorf("%s got %d nudges, want %d", u, n, want)
		}
	}
	// Nobody is named late in the channel before the deadline.
	if n := len(h.slack.Messages(revenue)); n != channelBefore {
		t.Errorf("%d channel messages during answering", n-channelBefore)
	}
	// Submitting stops the nudges.
	h.answerAll(obs, threePeople[obs])
	h.submit(obs)
	h.at(144 * time.Hour)
	h.waitDMs(sales, nudgeText, 3)
	if n := h.countDMs(obs, nudgeText); n != 2 {
		t.Errorf("the observer was nudged after submitting: %d", n)
	}
}

func TestDeadlineWithBothLeadsInRevealsWithoutTheObserver(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.startBot()
	h.startRound(mkt, sales, obs)
	for _, u := range []string{mkt, sales} {
		h.answerAll(u, threePeople[u])
		h.submit(u)
	}
	h.answer(obs, "Q1", 2)
	h.at(168*time.Hour - time.Minute)
	if _, found := h.findMessage(revenue, "Alignment reveal"); found {
		t.Fatal("revealed before the deadline without the observer")
	}
	h.at(168 * time.Hour)
	reveal := h.waitMessage(revenue, "Alignment reveal")
	text := sectionTexts(reveal)
	for _, want := range []string{"<@UOLGA001> (RevOps observer) did not respond by the deadline", "RevOps observer <@UOLGA001>: did not respond"} {
		if !strings.Contains(text, want) {
			t.Errorf("reveal lacks %q", want)
		}
	}
	if strings.Contains(text, "RevOps *") {
		t.Error("the missing observer's answers are in the reveal")
	}
	card := h.questionnaire(obs)
	h.waitFor("the observer's card to close", func() bool {
		return strings.Contains(h.current(card).VisibleText(), "without your answers")
	})
	checkExportMatches(t, h, reveal)
}

func TestDeadlineWithALeadMissing(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.startBot()
	h.startRound(mkt, sales)
	h.answerAll(mkt, threePeople[mkt])
	h.submit(mkt)
	h.at(168 * time.Hour)
	note := h.waitMessage(revenue, "The deadline for round 1 has passed")
	if !strings.Contains(note.VisibleText(), "Still waiting on <@USAMUE01> (Sales lead)") ||
		!strings.Contains(note.VisibleText(), "/alignment extend") {
		t.Errorf("deadline note: %s", note.VisibleText())
	}
	if _, found := h.findMessage(revenue, "Alignment reveal"); found {
		t.Fatal("a one-sided comparison was revealed")
	}
	// Nudges go on after the deadline.
	before := h.countDMs(sales, nudgeText)
	h.at(192 * time.Hour)
	h.waitDMs(sales, nudgeText, before+1)
	last := h.slack.DMs(sales)
	if !strings.Contains(last[len(last)-1].VisibleText(), "deadline has passed") {
		t.Errorf("late nudge: %s", last[len(last)-1].VisibleText())
	}
	// Only the facilitator extends; then the new deadline passes quietly
	// until it is reached.
	h.command(sales, revenue, "extend 3d")
	if got := h.waitEphemeral(sales, 1); !strings.Contains(got, "Only <@UFACIL01>") {
		t.Errorf("extend by a respondent: %s", got)
	}
	h.command(fac, revenue, "extend 3d")
	if got := h.waitEphemeral(fac, 2); !strings.Contains(got, "is now due") {
		t.Errorf("extend: %s", got)
	}
	h.answerAll(sales, threePeople[sales])
	h.submit(sales)
	h.waitMessage(revenue, "Alignment reveal")
	h.idle()
	if n := h.countMessages(revenue, "The deadline for round 1 has passed"); n != 1 {
		t.Errorf("%d deadline notes, want 1", n)
	}
}

// revealedWithGaps plays a round whose top gaps are Q7, Q8, Q9.
func revealedWithGaps(h *harness) slackfake.Message {
	h.t.Helper()
	return h.playRound([]string{mkt, sales}, map[string][]int{
		mkt:   {2, 2, 2, 2, 2, 0, 0, 0, 0, 1},
		sales: {2, 2, 2, 2, 2, 1, 0, 0, 0, 1},
	})
}

func TestOwnerNudgesUntilDone(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.startBot()
	reveal := revealedWithGaps(h)
	h.command(fac, revenue, "assign Q7 "+h.slack.MentionUser(owner)+" Agree attribution definitions")
	h.waitDMs(owner, "named you owner", 1)
	assigned := h.clock.Now().Sub(t0)

	// ACTION_DUE 720h, NUDGE_EVERY 168h: reminders at 168, 336, 504, 672,
	// on the due date at 720, then overdue at 888.
	for i, step := range []struct {
		at   time.Duration
		text string
		n    int
	}{
		{168 * time.Hour, "How is your alignment action", 1},
		{336 * time.Hour, "How is your alignment action", 2},
		{504 * time.Hour, "How is your alignment action", 3},
		{672 * time.Hour, "How is your alignment action", 4},
		{720 * time.Hour, "is due today", 1},
		{888 * time.Hour, "is overdue by 7 days", 1},
	} {
		h.at(assigned + step.at - time.Minute)
		if n := h.countDMs(owner, step.text); n != step.n-1 {
			t.Fatalf("step %d: %d DMs %q before it was due", i, n, step.text)
		}
		h.at(assigned + step.at)
		h.waitDMs(owner, step.text, step.n)
	}
	dms := h.slack.DMs(owner)
	last := dms[len(dms)-1]
	for _, b := range []string{"Done", "Still on it", "Blocked"} {
		if !strings.Contains(last.VisibleText(), b) {
			t.Errorf("owner DM lacks %q: %s", b, last.VisibleText())
		}
	}

	// Blocked, with a reason, through its form.
	if _, err := h.slack.ClickButton(owner, last, "", "Blocked"); err != nil {
		t.Fatal(err)
	}
	form := h.waitView(owner, callbackBlocked)
	if _, err := h.slack.SubmitView(context.Background(), owner, form.ID, map[string]map[string]string{
		"reason": {"text": "waiting on the CRM admin"}}); err != nil {
		t.Fatal(err)
	}
	h.waitFor("the thread to hear it is blocked", func() bool {
		return h.threadHas(reveal, "*blocked*. Reason: waiting on the CRM admin")
	})
	h.waitFor("the reveal to show it blocked", func() bool {
		return strings.Contains(sectionTexts(h.current(reveal)), "blocked (waiting on the CRM admin)")
	})
	// Someone else cannot mark it done; the owner can, once.
	cb, err := h.slack.BuildClick(owner, h.current(last), "", "Done")
	if err != nil {
		t.Fatal(err)
	}
	c := cloneClick(t, cb)
	c.User.ID = sales
	h.slack.SendInteraction(c.InteractionCallback)
	if got := h.waitEphemeral(owner, 1); !strings.Contains(got, "Only <@UOWEN001>, who owns Q7") {
		t.Errorf("someone else marking it done: %s", got)
	}
	for range 2 {
		if _, err := h.slack.ClickButton(owner, h.current(last), "", "Done"); err != nil {
			t.Fatal(err)
		}
	}
	h.waitFor("the thread to hear it is done", func() bool { return h.threadHas(reveal, "*done*") })
	// An older reminder still has its buttons: they cannot reopen it.
	if _, err := h.slack.ClickButton(owner, dms[0], "", "Still on it"); err != nil {
		t.Fatal(err)
	}
	if got := h.waitEphemeral(owner, 2); !strings.Contains(got, "already done; it stays done") {
		t.Errorf("a stale button on a done action: %s", got)
	}
	h.at(2000 * time.Hour)
	if n := h.countDMs(owner, "overdue"); n != 1 {
		t.Errorf("%d overdue nudges after done, want 1", n)
	}
	if n := h.threadCount(reveal, "*done*"); n != 1 {
		t.Errorf("a double click posted %d notes", n)
	}
	a, _ := h.store.Action(context.Background(), 1, "Q7")
	if a.Status != storage.ActionDone {
		t.Errorf("action status %s", a.Status)
	}
}

func (h *harness) threadCount(parent slackfake.Message, s string) int {
	n := 0
	for _, m := range h.slack.Thread(parent.Channel, parent.TS) {
		if m.TS != parent.TS && strings.Contains(m.VisibleText(), s) {
			n++
		}
	}
	return n
}

func (h *harness) threadHas(parent slackfake.Message, s string) bool {
	return h.threadCount(parent, s) > 0
}

func TestRoundClosesWhenAllActionsAreDone(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.startBot()
	reveal := revealedWithGaps(h)
	for i, q := range []string{"Q7", "Q8", "Q9"} {
		h.command(fac, revenue, fmt.Sprintf("assign %s %s action %d", q, h.slack.MentionUser(owner), i))
	}
	h.waitDMs(owner, "named you owner", 3)
	for i, q := range []string{"Q7", "Q8", "Q9"} {
		if _, err := h.slack.ClickButton(owner, h.lastDMAbout(owner, q+" ·"), "", "Done"); err != nil {
			t.Fatal(err)
		}
		if i < 2 {
			h.idle()
			if r, _ := h.store.Round(context.Background(), 1); r.State != storage.Revealed {
				t.Fatalf("closed after %d of 3 actions", i+1)
			}
		}
	}
	h.waitFor("the round to close", func() bool { return h.threadHas(reveal, "round 1 is closed") })
	if r, _ := h.store.Round(context.Background(), 1); r.State != storage.Closed {
		t.Errorf("round is %s", r.State)
	}
	h.waitFor("the reveal to drop its buttons", func() bool {
		return !strings.Contains(h.current(reveal).VisibleText(), "Assign owner")
	})
}

func TestQuarterlyRerunShowsTheTrend(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.startBot()
	reveal := revealedWithGaps(h)
	h.command(fac, revenue, "assign Q7 "+h.slack.MentionUser(owner)+" Agree attribution definitions")
	h.command(fac, revenue, "assign Q8 "+h.slack.MentionUser(owner)+" Monthly win/loss call")
	h.waitDMs(owner, "named you owner", 2)
	if _, err := h.slack.ClickButton(owner, h.lastDMAbout(owner, "Q8 ·"), "", "Done"); err != nil {
		t.Fatal(err)
	}
	h.waitFor("Q8 done", func() bool { return h.threadHas(reveal, "*done*") })
	revealedAt := h.clock.Now().Sub(t0)

	h.at(revealedAt + 2160*time.Hour - 7*24*time.Hour - time.Minute)
	if _, found := h.findMessage(revenue, "The next alignment round"); found {
		t.Fatal("re-run reminder before a week ahead")
	}
	h.at(revealedAt + 2160*time.Hour - 7*24*time.Hour)
	week := h.waitMessage(revenue, "The next alignment round is due")
	h.at(revealedAt + 2160*time.Hour)
	h.waitMessage(revenue, "The next alignment round is due today")
	if n := h.countMessages(revenue, "The next alignment round"); n != 2 {
		t.Errorf("%d re-run reminders, want 2", n)
	}

	// One click: the form, filled with the same people.
	if _, err := h.slack.ClickButton(fac, week, "", "Start next round"); err != nil {
		t.Fatal(err)
	}
	form := h.waitView(fac, callbackStartRound)
	for _, u := range []string{mkt, sales} {
		if !strings.Contains(string(form.Blocks), u) {
			t.Errorf("the form is not filled with %s", u)
		}
	}
	if resp, err := h.slack.SubmitView(context.Background(), fac, form.ID, map[string]map[string]string{
		"marketing": {"user": mkt}, "sales": {"user": sales}, "channel": {"channel": revenue}}); err != nil || (resp != nil && len(resp.Errors) > 0) {
		t.Fatalf("start next: %+v %v", resp, err)
	}
	h.waitFor("round 2", func() bool { return h.roundCount() == 2 })
	for _, u := range []string{mkt, sales} {
		h.waitFor("round 2's questionnaire for "+u, func() bool {
			r, err := h.store.Respondent(context.Background(), 2, roleOfUser[u])
			return err == nil && r.QuestionnaireTS != ""
		})
	}
	// Better this time on Q8 (done) and Q9; Q7's action is still open.
	h.answerAll(mkt, []int{2, 2, 2, 2, 2, 1, 0, 2, 1, 1})
	h.answerAll(sales, []int{2, 2, 2, 2, 2, 1, 0, 2, 1, 1})
	h.submit(mkt)
	h.submit(sales)
	var second slackfake.Message
	h.waitFor("round 2's reveal", func() bool {
		for _, m := range h.channelMessages(revenue) {
			if strings.Contains(m.VisibleText(), "Alignment reveal · round 2") {
				second = m
				return true
			}
		}
		return false
	})
	text := second.VisibleText()
	for _, want := range []string{
		"*Since round 1*",
		"Team tier: Tier 3 Functional → *Tier 4 Integrated*",
		"Q8 ↑ 0→4",
		"Owned gap Q8 (<@UOWEN001>, action done): combined 0 → 4, *closed*",
		"Owned gap Q7 (<@UOWEN001>, action open): combined 0 → 0, *still open*",
		"Q7 (open action from round 1)",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("second reveal lacks %q", want)
		}
	}
	if strings.Contains(sectionTexts(second), ". Q7 ·") {
		t.Error("Q7, still being addressed, is among round 2's top gaps")
	}
	if t.Failed() {
		t.Log(text)
	}

	// Round 1's Q7 action is finished after round 2's reveal: round 2's top
	// gaps were fixed at its reveal and stay as they are.
	before := strings.Join(topGapIDs(mustReveal(t, h, 2)), ",")
	if _, err := h.slack.ClickButton(owner, h.lastDMAbout(owner, "Q7 ·"), "", "Done"); err != nil {
		t.Fatal(err)
	}
	h.waitFor("round 1's Q7 done", func() bool {
		a, err := h.store.Action(context.Background(), 1, "Q7")
		return err == nil && a.Status == storage.ActionDone
	})
	if after := strings.Join(topGapIDs(mustReveal(t, h, 2)), ","); after != before {
		t.Errorf("round 2's top gaps moved from %s to %s after its reveal", before, after)
	}
}

var roleOfUser = map[string]scoring.Role{mkt: scoring.Marketing, sales: scoring.Sales, obs: scoring.Observer}

func TestWorkingHoursHoldDMsUntilMorning(t *testing.T) {
	t.Parallel()
	wh, err := config.ParseWorkingHours("09:00-18:00 Mon-Fri")
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, withConfig(func(c *config.Config) { c.WorkingHours = wh }))
	h.startBot()
	revealedWithGaps(h)
	// t0 is Monday 14:00 UTC: 01:00 on Tuesday in Sydney.
	h.command(fac, revenue, "assign Q7 "+h.slack.MentionUser(owner)+" Agree attribution definitions")
	h.waitEphemeral(fac, 2)
	h.idle()
	if n := h.countDMs(owner, "named you owner"); n != 0 {
		t.Fatalf("a DM went out at 1am in the recipient's zone")
	}
	// 09:00 Tuesday in Sydney (UTC+11 in November) is 22:00 Monday UTC.
	h.clock.Set(time.Date(2026, 11, 2, 21, 59, 0, 0, time.UTC))
	h.wake()
	h.idle()
	if n := h.countDMs(owner, "named you owner"); n != 0 {
		t.Fatalf("a DM went out before 9am in the recipient's zone")
	}
	h.clock.Set(time.Date(2026, 11, 2, 22, 0, 0, 0, time.UTC))
	h.wake()
	h.waitDMs(owner, "named you owner", 1)
	j, err := h.store.Job(context.Background(), jobPayload{Question: "Q7", UserID: owner, Step: mustAssignment(t, h)}.key(jobOwnerDM, 1))
	if err != nil || j.Attempts != 1 {
		t.Errorf("held-back DM counted as failed attempts: %+v %v", j, err)
	}
}

func mustAssignment(t *testing.T, h *harness) string {
	a, err := h.store.Action(context.Background(), 1, "Q7")
	if err != nil {
		t.Fatal(err)
	}
	return assignmentKey(a.AssignedAt)
}
