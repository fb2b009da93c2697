package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/alignbot/alignbot/bot/render"
	"github.com/alignbot/alignbot/internal/config"
	"github.com/alignbot/alignbot/internal/slackfake"
	"github.com/alignbot/alignbot/scoring"
	"github.com/alignbot/alignbot/storage"
)

// gapsScores make, for seed 000's rules: top gaps Q6, Q8 and Q9 (each
// combined 0, in question order), then Q4 (combined 2, the leads two apart:
// the one structural gap, so on the fix-it list), Q3 and Q7 (combined 2,
// agreed), Q10 (combined 3).
var gapsScores = map[string][]int{
	mkt:   {2, 2, 1, 2, 2, 0, 1, 0, 0, 2}, // 12
	sales: {2, 2, 1, 0, 2, 0, 1, 0, 0, 1}, // 9
}

// gapsDue is when an action assigned at t0 is due: 30 days on.
const gapsDue = "|Wed 2 Dec 2026>"

// gapsFormInput returns the initial value of a form's input block: its text,
// or the person a user select starts on.
func gapsFormInput(t *testing.T, v slackfake.View, blockID string) string {
	t.Helper()
	var blocks []struct {
		BlockID string `json:"block_id"`
		Element struct {
			InitialValue string `json:"initial_value"`
			InitialUser  string `json:"initial_user"`
		} `json:"element"`
	}
	if err := json.Unmarshal(v.Blocks, &blocks); err != nil {
		t.Fatal(err)
	}
	for _, b := range blocks {
		if b.BlockID == blockID {
			return b.Element.InitialValue + b.Element.InitialUser
		}
	}
	t.Fatalf("the %s form has no input %q", v.CallbackID, blockID)
	return ""
}

// gapsSubmit submits a form and fails on any error it shows.
func (h *harness) gapsSubmit(user string, v slackfake.View, values map[string]map[string]string) {
	h.t.Helper()
	resp, err := h.slack.SubmitView(context.Background(), user, v.ID, values)
	if err != nil {
		h.t.Fatal(err)
	}
	if resp != nil && resp.ResponseAction == "errors" {
		h.t.Fatalf("the %s form was refused: %v", v.CallbackID, resp.Errors)
	}
}

// gapsOwnerDM waits for the DM that tells user about their action on q,
// and for the bot to have recorded it as the action's live message (its
// buttons are checked against it), and returns it as it is now.
func (h *harness) gapsOwnerDM(user, q string) slackfake.Message {
	h.t.Helper()
	var msg slackfake.Message
	h.waitFor(fmt.Sprintf("%s's DM about %s", user, q), func() bool {
		for _, m := range h.slack.DMs(user) {
			if text := m.VisibleText(); strings.Contains(text, "*"+q+" · ") && strings.Contains(text, "Your 30-day action") {
				msg = m
			}
		}
		var recorded bool
		err := h.store.DB().Get(&recorded, `SELECT EXISTS (SELECT 1 FROM actions WHERE question_id = $1 AND owner_user_id = $2 AND dm_ts = $3)`,
			q, user, msg.TS)
		return err == nil && recorded
	})
	return h.current(msg)
}

// TestGapsOwnersByButtonFormAndCommand names owners as a team would: by the
// reveal's button and form (pre-filled with the diagnostic's suggested first
// step), by command, changing an owner, and owning a fix-it gap; refuses
// owners before the reveal and outside the gaps; and closes the round when
// the top gaps' actions are done, whatever the fix-it list.
func TestGapsOwnersByButtonFormAndCommand(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.startBot()
	m := h.slack.MentionUser
	ctx := context.Background()

	id := h.revealStart([]string{mkt, sales}, "")
	notYet := "The round in <#CREVENUE> isn't revealed yet. Owners are named for the gaps after the reveal, once everyone has submitted."
	for _, cmd := range []string{"assign Q6 " + m(owner) + " write it down", "addressed Q6", "unaddressed Q6"} {
		if got := h.ask(fac, revenue, cmd); got != notYet {
			t.Errorf("%q before the reveal: %q", cmd, got)
		}
	}
	for _, u := range []string{mkt, sales} {
		h.answerAll(u, gapsScores[u])
		h.submit(u)
	}
	reveal := h.revealWait(id)
	revealContains(t, "the reveal", reveal.VisibleText(),
		"*1. Q6 · Lead rejection and recycling* · Marketing *0* · Sales *0* · combined 0 of 4\nNo owner yet.\nAssign owner Already being addressed",
		"*2. Q8 · Sales feedback to marketing*", "*3. Q9 · Joint content process*",
		"• *Q4 · Joint meeting cadence* · Marketing *2* · Sales *0* · combined 2 of 4\nOwn Q4")

	// By button and form, keeping the suggested first step.
	q6 := scoring.AlignmentMaturity.Questions[5]
	if q6.Suggestion != "Define the lead-rejection workflow: rejection reason codes in the CRM, a recycling path back to marketing, and a feedback loop marketing uses to adjust scoring." {
		t.Fatalf("Q6's suggested first step is now %q", q6.Suggestion)
	}
	h.click(fac, reveal, "Q6", "Assign owner")
	form := h.waitView(fac, render.CallbackAssign)
	if got := gapsFormInput(t, form, "action"); got != q6.Suggestion {
		t.Errorf("the assign form starts with %q, want Q6's suggested first step", got)
	}
	revealContains(t, "the assign form", form.VisibleText(), "*Q6 · Lead rejection and recycling*", "Marketing *0* · Sales *0* · combined 0 of 4")
	if !strings.Contains(string(form.Blocks), "Pre-filled with the diagnostic's suggested first step; make it yours.") {
		t.Error("the assign form does not say it is pre-filled with the suggested first step")
	}
	h.gapsSubmit(fac, form, map[string]map[string]string{"owner": {"user": owner}})
	dm := h.gapsOwnerDM(owner, "Q6")
	revealContains(t, "the owner's DM", dm.VisibleText(),
		"<@UFACIL01> named you owner of a top gap in <#CREVENUE>.\n*Q6 · Lead rejection and recycling*\n"+
			"Why it matters: Marketing lead scored it *0*, Sales lead *0* (combined 0 of 4).\n"+
			"Your 30-day action, the diagnostic's suggested first step: _"+q6.Suggestion+"_\nDue <!date^",
		gapsDue+" · status: *open*", "Done Still on it Blocked")
	reveal = h.revealWaitText(reveal, "Owner <@UOWEN001>: _"+q6.Suggestion+"_ · due <!date^", "Change owner")
	h.revealThreadHas(reveal, "<@UFACIL01> named <@UOWEN001> owner of *Q6 · Lead rejection and recycling*: _"+q6.Suggestion+"_, due <!date^")

	// By command, with the person's own words.
	if got := h.ask(sales, revenue, "assign q8 "+m(mkt)+" Monthly win/loss call with marketing"); !strings.HasPrefix(got, "<@UMARIA01> owns Q8: _Monthly win/loss call with marketing_, due <!date^") ||
		!strings.HasSuffix(got, gapsDue+". I've let them know.") {
		t.Errorf("assign by command: %q", got)
	}
	dm = h.gapsOwnerDM(mkt, "Q8")
	revealContains(t, "the DM of Q8's owner", dm.VisibleText(), "<@USAMUE01> named you owner of a top gap in <#CREVENUE>.",
		"Your 30-day action: _Monthly win/loss call with marketing_")
	revealLacks(t, "the DM of Q8's owner", dm.VisibleText(), "suggested first step")

	// Changing Q6's owner and action: the form starts from the current
	// ones, the former owner's message is retired, the new owner told.
	owenDM := h.gapsOwnerDM(owner, "Q6")
	h.click(fac, h.current(reveal), "Q6", "Change owner")
	form = h.waitView(fac, render.CallbackAssign)
	if got, user := gapsFormInput(t, form, "action"), gapsFormInput(t, form, "owner"); got != q6.Suggestion || user != owner {
		t.Errorf("the change-owner form starts with %q and %q, want the current action and owner", got, user)
	}
	h.gapsSubmit(fac, form, map[string]map[string]string{
		"owner": {"user": admin}, "action": {"text": "Add rejection reason codes to the CRM and review them weekly"},
	})
	h.revealWaitText(owenDM, "Q6 · Lead rejection and recycling (round 1 in <#CREVENUE>) is now owned by <@UADMIN01>. Thank you for carrying it so far.")
	if text := h.current(owenDM).VisibleText(); strings.Contains(text, "Done") {
		t.Errorf("the former owner's message still has buttons: %s", text)
	}
	dm = h.gapsOwnerDM(admin, "Q6")
	revealContains(t, "the new owner's DM", dm.VisibleText(), "<@UFACIL01> named you owner of a top gap in <#CREVENUE>.",
		"Your 30-day action: _Add rejection reason codes to the CRM and review them weekly_")
	revealLacks(t, "the new owner's DM", dm.VisibleText(), "suggested first step")

	// The fix-it gap gets an owner too.
	q4 := scoring.AlignmentMaturity.Questions[3]
	h.click(fac, h.current(reveal), "", "Own Q4")
	form = h.waitView(fac, render.CallbackAssign)
	if got := gapsFormInput(t, form, "action"); got != q4.Suggestion {
		t.Errorf("the fix-it form starts with %q, want Q4's suggested first step", got)
	}
	h.gapsSubmit(fac, form, map[string]map[string]string{"owner": {"user": obs}})
	dm = h.gapsOwnerDM(obs, "Q4")
	revealContains(t, "the fix-it owner's DM", dm.VisibleText(),
		"<@UFACIL01> named you owner of a structural gap on the fix-it list in <#CREVENUE>.",
		"Why it matters: Marketing lead scored it *2*, Sales lead *0* (combined 2 of 4). The leads are at opposite ends of the scale: a structural gap, not a perception problem.",
		"Your 30-day action, the diagnostic's suggested first step: _"+q4.Suggestion+"_")
	h.revealThreadHas(reveal, "<@UFACIL01> named <@UOLGA001> owner of *Q4 · Joint meeting cadence* (fix-it list): _")

	// Refused: a question outside the gaps, and someone who does not
	// manage the round.
	if got := h.ask(fac, revenue, "assign Q1 "+m(owner)+" write it down"); got != "Q1 isn't one of round 1's gaps to own (Q6, Q8, Q9, Q4)." {
		t.Errorf("assign outside the gaps: %q", got)
	}
	if got := h.ask(owner, revenue, "assign Q8 "+m(owner)+" take it over"); got != "Only <@UFACIL01>, <@UMARIA01> and <@USAMUE01> (who started it and who answer it) or a workspace admin can name owners for its gaps in round 1. Nothing was changed." {
		t.Errorf("assign by someone outside the round: %q", got)
	}
	if got := h.ask(fac, revenue, "assign Q9 "+m(sales)+" Track which assets get used in deals"); !strings.Contains(got, "<@USAMUE01> owns Q9") {
		t.Fatalf("assign Q9: %q", got)
	}

	// Every top gap's action done: the round closes, the fix-it gap's
	// action still open.
	for _, o := range []struct{ user, q string }{{admin, "Q6"}, {mkt, "Q8"}, {sales, "Q9"}} {
		dm := h.gapsOwnerDM(o.user, o.q)
		h.click(o.user, dm, "", "Done")
		h.revealWaitText(dm, "Done. Thank you: the team sees it in the reveal's thread.")
	}
	h.revealThreadHas(reveal, "All 3 actions on the top gaps are done: round 1 is closed. See you at the next round.")
	h.settle()
	round, err := h.store.Round(ctx, id)
	if err != nil || round.State != storage.Closed {
		t.Errorf("round after the top gaps' actions are done: %s %v", round.State, err)
	}
	reveal = h.current(reveal)
	revealContains(t, "the closed round's reveal", reveal.VisibleText(),
		"*1. Q6 · Lead rejection and recycling* · Marketing *0* · Sales *0* · combined 0 of 4\nOwner <@UADMIN01>: _Add rejection reason codes to the CRM and review them weekly_ · due <!date^",
		gapsDue+" · done\n*2. Q8",
		"• *Q4 · Joint meeting cadence* · Marketing *2* · Sales *0* · combined 2 of 4\n  Owner <@UOLGA001>: _"+q4.Suggestion+"_ · due <!date^")
	revealLacks(t, "the closed round's reveal", reveal.VisibleText(), "Assign owner", "Change owner", "Already being addressed", "Own Q4")
	if n := h.countMessages(revenue, "Alignment reveal"); n != 1 {
		t.Errorf("%d reveals posted, want 1 updated in place", n)
	}
	e := h.revealCheckExport(id, reveal)
	type gap struct{ Q, Owner, Action, Status string }
	var got []gap
	for _, g := range append(e.TopGaps, e.FixIt...) {
		// Due 30 days after the assignment, made at t0 (give or take the
		// seconds a Retry-After may have moved the clock).
		if g.OwnerUserID == nil || g.Action == nil || g.Status == nil || g.Due == nil || g.Due.Sub(t0) < 720*time.Hour || g.Due.Sub(t0) > 721*time.Hour {
			t.Errorf("exported gap %s: %+v", g.Question, g)
			continue
		}
		got = append(got, gap{g.Question, *g.OwnerUserID, *g.Action, *g.Status})
	}
	want := []gap{
		{"Q6", admin, "Add rejection reason codes to the CRM and review them weekly", "done"},
		{"Q8", mkt, "Monthly win/loss call with marketing", "done"},
		{"Q9", sales, "Track which assets get used in deals", "done"},
		{"Q4", obs, q4.Suggestion, "open"},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) || e.State != "closed" {
		t.Errorf("exported %s with gaps\n%v\nwant closed with\n%v", e.State, got, want)
	}
}

// TestGapsAlreadyBeingAddressed sets top gaps aside by button and by command
// (the next candidates move up, the fix-it gap among them), takes that back
// by button and by command, and refuses what cannot be set aside.
func TestGapsAlreadyBeingAddressed(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.startBot()
	m := h.slack.MentionUser
	id, reveal := h.revealPlay([]string{mkt, sales}, "", gapsScores)

	if got := h.revealClick(fac, reveal, "Q8", "Already being addressed"); got != "Marked Q8 as already being addressed. The top gaps are now Q6, Q9 and Q4." {
		t.Errorf("addressed by button: %q", got)
	}
	if got := h.ask(mkt, revenue, "addressed Q6"); got != "Marked Q6 as already being addressed. The top gaps are now Q9, Q4 and Q3." {
		t.Errorf("addressed by command: %q", got)
	}
	reveal = h.revealWaitText(reveal, "Already being addressed, so set aside: Q6 (marked by <@UMARIA01>), Q8 (marked by <@UFACIL01>)\nUndo Q6 Undo Q8")
	h.settle()
	text := h.current(reveal).VisibleText()
	revealContains(t, "the reveal", text,
		"*1. Q9 · Joint content process* · Marketing *0* · Sales *0* · combined 0 of 4",
		"*2. Q4 · Joint meeting cadence* · Marketing *2* · Sales *0* · combined 2 of 4",
		"*3. Q3 · CRM as source of truth* · Marketing *1* · Sales *1* · combined 2 of 4")
	revealLacks(t, "the reveal", text, "Fix-it list", "*1. Q6", "Q8 · Sales feedback to marketing* ·")
	if e := h.revealCheckExport(id, reveal); len(e.FixIt) != 0 {
		t.Errorf("the fix-it list is exported as %+v, want it empty: Q4 moved up", e.FixIt)
	}

	// What cannot be set aside, or by whom.
	if got := h.ask(fac, revenue, "assign Q9 "+m(owner)+" Track which assets get used in deals"); !strings.Contains(got, "<@UOWEN001> owns Q9") {
		t.Fatalf("assign Q9: %q", got)
	}
	for _, tt := range []struct{ user, cmd, want string }{
		{fac, "addressed Q9", "Q9 already has an owner, <@UOWEN001>, in this round, so it stays in the top gaps."},
		{fac, "addressed Q7", "Q7 isn't one of round 1's top gaps (Q9, Q4, Q3)."},
		{owner, "addressed Q4", "Only <@UFACIL01>, <@UMARIA01> and <@USAMUE01> (who started it and who answer it) or a workspace admin can set gaps aside or take that back in round 1. Nothing was changed."},
		{fac, "unaddressed Q3", "Q3 isn't marked as already being addressed in round 1, so there is nothing to take back."},
	} {
		if got := h.ask(tt.user, revenue, tt.cmd); got != tt.want {
			t.Errorf("%q: %q, want %q", tt.cmd, got, tt.want)
		}
	}

	// Undo by button, then by command.
	if got := h.revealClick(fac, reveal, "", "Undo Q8"); got != "Q8 is a candidate for the top gaps again. The top gaps are now Q8, Q9 and Q4." {
		t.Errorf("undo by button: %q", got)
	}
	if got := h.ask(sales, revenue, "unaddressed Q6"); got != "Q6 is a candidate for the top gaps again. The top gaps are now Q6, Q8 and Q9." {
		t.Errorf("undo by command: %q", got)
	}
	reveal = h.revealWaitText(reveal, "*1. Q6 · Lead rejection and recycling*", "Fix-it list")
	h.settle()
	reveal = h.current(reveal)
	revealContains(t, "the reveal", reveal.VisibleText(),
		"*2. Q8 · Sales feedback to marketing*",
		"*3. Q9 · Joint content process* · Marketing *0* · Sales *0* · combined 0 of 4\nOwner <@UOWEN001>: _Track which assets get used in deals_",
		"• *Q4 · Joint meeting cadence*")
	revealLacks(t, "the reveal", reveal.VisibleText(), "set aside", "Undo")
	thread := h.thread(reveal)
	revealContains(t, "the reveal's thread", thread,
		"<@UFACIL01> marked *Q8 · Sales feedback to marketing* as already being addressed; the next gap moves up.",
		"<@UMARIA01> marked *Q6 · Lead rejection and recycling* as already being addressed; the next gap moves up.",
		"<@UFACIL01> took back *Q8 · Sales feedback to marketing*: it is a candidate for the top gaps again.",
		"<@USAMUE01> took back *Q6 · Lead rejection and recycling*: it is a candidate for the top gaps again.")
	if n := h.countMessages(revenue, "Alignment reveal"); n != 1 {
		t.Errorf("%d reveals posted, want 1 updated in place", n)
	}
	h.revealCheckExport(id, reveal)
}

// TestGapsOneQuestion: the team answers the one question with the reveal's
// button and form; the thread and the reveal show it, and so does the next
// round's reveal. Gap buttons aimed at a round still collecting are refused.
func TestGapsOneQuestion(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.startBot()
	ctx := context.Background()
	const answer = "Q6: rejected leads vanish, so marketing never learns why"
	first, reveal := h.revealPlay([]string{mkt, sales}, "", gapsScores)

	h.click(fac, reveal, "", "Answer it as a team")
	form := h.waitView(fac, render.CallbackOneAnswer)
	revealContains(t, "the one-question form", form.VisibleText(), scoring.AlignmentMaturity.OneQuestion)
	h.gapsSubmit(fac, form, map[string]map[string]string{"answer": {"text": answer}})
	reveal = h.revealWaitText(reveal, "The team's answer (<@UFACIL01>): _"+answer+"_", "Change the answer")
	h.revealThreadHas(reveal, "<@UFACIL01> recorded the team's answer to the one question (Which single gap, if fixed")
	h.revealThreadHas(reveal, "): _"+answer+"_")
	if e := h.revealCheckExport(first, reveal); e.OneAnswer != answer {
		t.Errorf("exported one answer %q", e.OneAnswer)
	}

	// The next round, when it is due.
	h.advance(h.cfg.RerunAfter)
	h.settle()
	h.waitMessage(revenue, "The next alignment round is due today")
	second := h.revealStart([]string{mkt, sales}, "")

	// Buttons of the first reveal, aimed at the round collecting.
	for _, label := range []string{"Already being addressed", "Assign owner"} {
		cb, err := h.slack.BuildClick(fac, h.current(reveal), "Q8", label)
		if err != nil {
			t.Fatal(err)
		}
		cb.ActionCallback.BlockActions[0].Value = fmt.Sprintf("%d:Q8", second)
		n := len(h.ephemerals(fac))
		if _, err := h.slack.SendInteraction(cb); err != nil {
			t.Fatal(err)
		}
		got := h.waitEphemeral(fac, n+1)
		if label == "Already being addressed" && !strings.HasPrefix(got, "Round 2 isn't revealed yet.") ||
			label == "Assign owner" && got != errTampered.msg {
			t.Errorf("%s on the round collecting: %q", label, got)
		}
	}
	cb, err := h.slack.BuildClick(fac, h.current(reveal), "", "Change the answer")
	if err != nil {
		t.Fatal(err)
	}
	cb.ActionCallback.BlockActions[0].Value = fmt.Sprint(second)
	if _, err := h.slack.SendInteraction(cb); err != nil {
		t.Fatal(err)
	}
	h.waitFor("a form aimed at round 2", func() bool {
		v, ok := h.slack.OpenView(fac)
		return ok && v.CallbackID == render.CallbackOneAnswer && v.PrivateMetadata == fmt.Sprint(second)
	})
	form, _ = h.slack.OpenView(fac)
	resp, err := h.slack.SubmitView(ctx, fac, form.ID, map[string]map[string]string{"answer": {"text": "too early"}})
	if err != nil || resp == nil || !strings.HasPrefix(resp.Errors["answer"], "Round 2 isn't revealed yet.") {
		t.Errorf("answering the one question of a round collecting: %+v %v", resp, err)
	}
	var marks int
	if err := h.store.DB().Get(&marks, `SELECT (SELECT count(*) FROM addressed_questions) + (SELECT count(*) FROM actions)`); err != nil || marks != 0 {
		t.Errorf("refused clicks stored %d marks and actions (%v)", marks, err)
	}

	for _, u := range []string{mkt, sales} {
		h.answerAll(u, revealThreePeople[u])
		h.submit(u)
	}
	next := h.revealWait(second)
	revealContains(t, "the next round's reveal", next.VisibleText(), "Last time the team said the one gap to fix was: _"+answer+"_")
	if round, err := h.store.Round(ctx, second); err != nil || round.OneAnswer != "" {
		t.Errorf("the next round starts with the one answer %q (%v)", round.OneAnswer, err)
	}
}

// TestGapVerdictsInTheNextRound: one owner marks their action done, another
// blocked; at the next round the reveal opens with what became of each gap,
// judged on the new answers, and /alignment history counts the closed ones.
func TestGapVerdictsInTheNextRound(t *testing.T) {
	t.Parallel()
	// One reminder before the re-run, not one a week.
	h := newHarness(t, withConfig(func(c *config.Config) { c.ActionNudgeEvery = 2160 * time.Hour }))
	h.startBot()
	m := h.slack.MentionUser
	first, reveal := h.revealPlay([]string{mkt, sales}, "", map[string][]int{
		mkt:   {2, 2, 2, 2, 2, 1, 0, 2, 2, 2}, // 17; Q3 = 2 with Q7 = 0 flags Q7
		sales: {0, 2, 2, 2, 2, 1, 2, 2, 2, 2}, // 17
	})
	revealContains(t, "the first reveal", reveal.VisibleText(), "Prerequisites first: Q7.",
		"*1. Q7 · Attribution agreement* · Marketing *0* · Sales *2* · combined 2 of 4",
		"*2. Q1 · MQL/SQL definitions* · Marketing *2* · Sales *0* · combined 2 of 4",
		"*3. Q6 · Lead rejection and recycling* · Marketing *1* · Sales *1* · combined 2 of 4")
	h.ask(fac, revenue, "assign Q7 "+m(owner)+" Joint attribution working session with finance")
	h.ask(fac, revenue, "assign Q1 "+m(sales)+" Write the MQL and SQL definitions with marketing")

	dm := h.gapsOwnerDM(owner, "Q7")
	h.click(owner, dm, "", "Done")
	h.revealWaitText(dm, "Done. Thank you")
	dm = h.gapsOwnerDM(sales, "Q1")
	h.click(sales, dm, "", "Blocked")
	h.gapsSubmit(sales, h.waitView(sales, render.CallbackBlocked), map[string]map[string]string{"reason": {"text": "Waiting for the new CRM fields"}})
	h.revealThreadHas(reveal, "<@UOWEN001> marked the action on *Q7 · Attribution agreement* (owner <@UOWEN001>) *done*.")
	h.revealThreadHas(reveal, "<@USAMUE01> marked the action on *Q1 · MQL/SQL definitions* (owner <@USAMUE01>) *blocked*. Reason: Waiting for the new CRM fields")

	h.advance(h.cfg.RerunAfter)
	h.settle()
	second, next := h.revealPlay([]string{mkt, sales}, "", map[string][]int{
		mkt:   {2, 2, 2, 2, 2, 1, 2, 2, 2, 2}, // 19
		sales: {0, 2, 2, 2, 2, 1, 2, 2, 2, 2}, // 17: Q1 still 0
	})
	revealContains(t, "the next round's reveal", next.VisibleText(),
		"*Did round 1's owned gaps close?*\n"+
			"• *Q1 · MQL/SQL definitions*: <@USAMUE01>'s action blocked; no change (lead gap 2, combined 2 of 4) — *no change, still open*\n"+
			"• *Q7 · Attribution agreement*: <@UOWEN001>'s action done; lead gap 2 → 0, combined 2 → 4 — *closed*",
		"Marketing lead <@UMARIA01>: *19 of 20* · Tier 5 Predictive\nSales lead <@USAMUE01>: *17 of 20* · Tier 4 Integrated\nTeam: *Tier 4 Integrated*",
		// The blocked action is still open: its question stays set aside.
		"*1. Q6 · Lead rejection and recycling* · Marketing *1* · Sales *1* · combined 2 of 4",
		"Only 1 gap to own: 8 questions are fully in place for both leads and 1 question is already being addressed.",
		"Already being addressed, so set aside: Q1 (open action from round 1)")
	if i, j := strings.Index(next.VisibleText(), "Did round 1's"), strings.Index(next.VisibleText(), "Marketing lead <@"); i < 0 || i > j {
		t.Error("the verdicts do not open the reveal")
	}
	revealContains(t, "the next round's thread", h.thread(next),
		"*Since round 1* (<!date^", "|Mon 2 Nov 2026>)\nTeam unchanged: Tier 4 Integrated",
		"Marketing lead: 17 → 19 (Tier 4 Integrated → Tier 5 Predictive)\nSales lead: 17 → 17 (Tier 4 Integrated → Tier 4 Integrated)",
		"*Questions that moved*\nQ7 ↑ combined 2 → 4, lead gap 2 → 0")

	history := h.ask(fac, revenue, "history")
	revealContains(t, "history", history,
		"• Round 2, started <!date^", "team *Tier 4 Integrated* (Marketing 19, Sales 17), 1 structural gap, 0 of 0 actions done\n",
		"team *Tier 4 Integrated* (Marketing 17, Sales 17), 2 structural gaps, 1 of 2 actions done; owned gaps closed by the next round: *1 of 2*")

	e := h.revealCheckExport(second, next)
	want := []revealExpBefore{{"Q1", sales, "blocked", "no change, still open"}, {"Q7", owner, "done", "closed"}}
	if fmt.Sprint(e.PreviousGaps) != fmt.Sprint(want) {
		t.Errorf("exported previous gaps %+v, want %+v", e.PreviousGaps, want)
	}
	if e1 := h.revealExport(first); len(e1.PreviousGaps) != 0 {
		t.Errorf("the first round exports previous gaps %+v", e1.PreviousGaps)
	}
}
