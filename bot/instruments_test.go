package bot

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/alignbot/alignbot/bot/render"
	"github.com/alignbot/alignbot/scoring"
)

// TestInstrumentStageGate runs the eight-question stage gate: the CMO and
// the CRO answer yes, partly or no; the reveal places each at a stage by the
// first gate they do not pass, warns with the seed's 73% caution and
// sequences the stages in its thread.
func TestInstrumentStageGate(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.startBot()
	m := h.slack.MentionUser

	if got := h.ask(fac, revenue, "start "+m(mkt)+" "+m(sales)+" "+m(obs)+" stage-gate"); got !=
		"The Alignment Maturity Stage Self-Assessment has 2 roles (the CMO and the CRO); you named 3 people." {
		t.Errorf("an observer for the stage gate: %q", got)
	}
	if n := h.roundCount(); n != 0 {
		t.Fatalf("a refused start made %d rounds", n)
	}

	id := h.revealStart([]string{mkt, sales}, "stage-gate")
	for u, role := range map[string]string{mkt: "CMO", sales: "CRO"} {
		q := h.questionnaire(u)
		if want := "Alignment Maturity Stage Self-Assessment · " + role; !strings.HasPrefix(q.VisibleText(), want) ||
			!strings.Contains(q.VisibleText(), "*8 questions, about 5 minutes.*") {
			t.Errorf("%s's questionnaire begins %q, want %q and 8 questions", u, strings.SplitN(q.VisibleText(), "\n", 3)[:2], want)
		}
		want := [][2]string{{"0 · No", "0"}, {"1 · Partly", "1"}, {"2 · Yes", "2"}}
		if diff := cmp.Diff(want, buttonsOf(t, q, "Q1")); diff != "" {
			t.Errorf("%s's buttons on Q1 (-want +got):\n%s", u, diff)
		}
		revealContains(t, u+"'s questionnaire", sectionTexts(q),
			"*Q1 · ICP agreed* (1 of 8)\nIs your ICP written down and agreed on by both marketing and sales?\n_Stage 2 baseline_")
	}
	// The CMO passes the first two gates and stops at the third (Q6);
	// the CRO stops at the first (Q2 is a no). "Partly" opens no gate.
	h.answerAll(mkt, []int{2, 2, 2, 2, 2, 0, 2, 0})
	h.submit(mkt)
	h.answerAll(sales, []int{2, 0, 1, 2, 2, 0, 1, 0})
	h.submit(sales)
	reveal := h.revealWait(id)

	revealContains(t, "the reveal", reveal.VisibleText(),
		"All answers are in. <@UMARIA01> (CMO) and <@USAMUE01> (CRO) scored the *Alignment Maturity Stage Self-Assessment* on their own",
		"CMO <@UMARIA01>: Stage 3 Integrated\nCRO <@USAMUE01>: Stage 1 Separated\n"+
			"Team: *Stage 1 Separated*, the lower of the two leads' stages. Use the honest answer, not the aspirational one.\n"+
			"_73% of companies believe they are at Stage 3 or above; when assessed against these criteria, most sit at Stage 2. Use the honest answer, not the aspirational one._",
		"*1 structural gap*: Q2.",
		"Prerequisites first: Q2.",
		"*1. Q2 · ICP reviewed together* · CMO *2* · CRO *0* · combined 2 of 4",
		"*2. Q6 · Win-loss to campaigns* · CMO *0* · CRO *0* · combined 0 of 4",
		"*3. Q8 · Marketing in forecasting* · CMO *0* · CRO *0* · combined 0 of 4",
		"*The one question.* Which single unlock condition goes on the OKR or the quarterly plan?")
	revealLacks(t, "the reveal", reveal.VisibleText(), "of 16*", "RevOps", "Marketing lead")
	revealContains(t, "the reveal's thread", h.thread(reveal),
		"*Q3 · Formal SLA*: CMO *2* · CRO *1*",
		"*What each stage means*\n*Stage 3 Integrated* (CMO): Formal SLAs, an agreed funnel model",
		":triangular_flag_on_post: *The ICP has not been reviewed together*, raised by the answers of <@USAMUE01> (CRO): No to question 2: Stage 1.",
		"*Next move for Stage 1 Separated: Start with a joint ICP session.*",
		"*Sequencing*\n"+
			"Before Stage 2: a completed joint ICP session with written output, signed off by both leads.\n"+
			"Before Stage 3: a working ICP document updated in the last 6 months, and at least one quarter of MQL rejection data by reason.\n"+
			"Before Stage 4: a functioning Stage 3 SLA that has been in place for at least one quarter.\n"+
			"Before Stage 5: Stage 4 attribution that both teams trust.",
		"*A caution*\n73% of companies believe they are at Stage 3 or above")
	h.revealNoCodesSent()

	e := h.revealCheckExport(id, reveal)
	type placed struct {
		Role    scoring.Role
		Answers []int
		Tier    int
		Name    string
	}
	var got []placed
	for _, r := range e.Respondents {
		got = append(got, placed{r.Role, r.Answers, *r.Tier, *r.TierName})
	}
	want := []placed{
		{scoring.Marketing, []int{2, 2, 2, 2, 2, 0, 2, 0}, 3, "Integrated"},
		{scoring.Sales, []int{2, 0, 1, 2, 2, 0, 1, 0}, 1, "Separated"},
	}
	if diff := cmp.Diff(want, got); diff != "" || e.Instrument != "stage-gate" || e.TeamTier != 1 {
		t.Errorf("export of %s, team tier %d (-want +got):\n%s", e.Instrument, e.TeamTier, diff)
	}
}

// TestInstrumentsKeepSeparateTrends runs the Maturity Diagnostic, then the
// Revenue Alignment Diagnostic (started with the form's instrument select),
// then the Maturity Diagnostic again, in one channel. Only rounds of the same
// instrument compare: the revenue round has no trend, no verdicts and sets
// nothing aside for the other instrument's open action, whose question ID
// means something else there.
func TestInstrumentsKeepSeparateTrends(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.startBot()
	m := h.slack.MentionUser

	first, _ := h.revealPlay([]string{mkt, sales}, "", map[string][]int{
		mkt:   {2, 2, 0, 2, 2, 2, 2, 2, 2, 2}, // the CRM is not the source of truth
		sales: {2, 2, 2, 2, 2, 2, 2, 2, 2, 2},
	})
	if got := h.ask(fac, revenue, "assign Q3 "+m(owner)+" Retire the pipeline spreadsheet"); !strings.Contains(got, "<@UOWEN001> owns Q3") {
		t.Fatalf("assign Q3: %q", got)
	}

	// An observer for an instrument without one is refused, typed or in
	// the form.
	if got := h.ask(fac, revenue, "start "+m(mkt)+" "+m(sales)+" "+m(obs)+" revenue-alignment"); got !=
		"The Revenue Alignment Diagnostic has 2 roles (the Marketing leader and the Sales leader); you named 3 people." {
		t.Errorf("an observer for the revenue diagnostic: %q", got)
	}
	before := h.revealQuestionnaires(mkt)
	h.command(fac, revenue, "start")
	form := h.waitView(fac, render.CallbackStart)
	for _, in := range scoring.Instruments {
		if !strings.Contains(string(form.Blocks), fmt.Sprintf(`"value":%q`, in.ID)) {
			t.Errorf("the start form does not offer %s", in.ID)
		}
	}
	values := map[string]map[string]string{
		"instrument": {"instrument": "revenue-alignment"},
		"marketing":  {"user": mkt}, "sales": {"user": sales}, "observer": {"user": obs}, "channel": {"channel": revenue},
	}
	resp, err := h.slack.SubmitView(t.Context(), fac, form.ID, values)
	if err != nil || resp == nil || resp.Errors["observer"] != "The Revenue Alignment Diagnostic has no observer; its roles are the Marketing leader and the Sales leader." {
		t.Errorf("an observer in the form for the revenue diagnostic: %+v %v", resp, err)
	}
	delete(values, "observer")
	n := len(h.ephemerals(fac))
	h.gapsSubmit(fac, form, values)
	if got := h.waitEphemeral(fac, n+1); !strings.HasPrefix(got, "Started round 2 of the Revenue Alignment Diagnostic.") {
		t.Errorf("the form's start was confirmed with %q", got)
	}
	h.waitFor("the revenue questionnaire", func() bool { return h.revealQuestionnaires(mkt) > before && h.revealQuestionnaires(sales) > before })
	if q := h.questionnaire(mkt); !strings.HasPrefix(q.VisibleText(), "Revenue Alignment Diagnostic · Marketing leader") {
		t.Errorf("the revenue questionnaire begins %q", strings.SplitN(q.VisibleText(), "\n", 2)[0])
	}
	h.answerAll(mkt, []int{2, 2, 0, 1, 1, 1, 2, 2, 1, 2}) // 14
	h.submit(mkt)
	h.answerAll(sales, []int{1, 1, 0, 1, 1, 1, 1, 1, 1, 1}) // 9
	h.submit(sales)
	second := h.revealLatestRound()
	reveal := h.revealWait(second)
	revealContains(t, "the revenue reveal", reveal.VisibleText(),
		"Marketing leader <@UMARIA01>: *14 of 20* · Step 3 Build one revenue plan, not two\n"+
			"Sales leader <@USAMUE01>: *9 of 20* · Step 2 Define the MQL and SQL boundary in writing\n"+
			"Team: *Step 2 Define the MQL and SQL boundary in writing*, the lower of the two leaders' steps: start where the less aligned view says.",
		"*No structural gaps*: the leads are never at opposite ends of the scale. One point apart on Q1, Q2, Q7, Q8 and Q10.",
		// Q3 here is "One revenue plan", nothing to do with the other
		// instrument's open action on its Q3.
		"*1. Q3 · One revenue plan* · Marketing *0* · Sales *0* · combined 0 of 4",
		"*2. Q4 · Marketing paid on revenue* · Marketing *1* · Sales *1* · combined 2 of 4",
		"*3. Q5 · Content mapped to demand states* · Marketing *1* · Sales *1* · combined 2 of 4",
		"*The one question.* What do we fix first? Pick one step and start it this quarter.")
	revealLacks(t, "the revenue reveal", reveal.VisibleText(), "Did round", "set aside", "open action from round", "Last time")
	thread := h.thread(reveal)
	revealContains(t, "the revenue reveal's thread", thread,
		"*What each step means*\n*Step 3 Build one revenue plan, not two* (Marketing leader): Ownership is partial.",
		"*Next move for Step 2 Define the MQL and SQL boundary in writing: Define the MQL and SQL boundary in writing.*",
		"Highest-leverage questions not yet in place: Q1 (Signed MQL/SQL definition), Q2 (First-touch and disposition SLA).",
		"*Sequencing*\nConfirm a documented ICP and baseline CRM hygiene (deduped accounts, stage definitions, owner fields). Without those, the model is built on sand.")
	revealLacks(t, "the revenue reveal's thread", thread, "Since round", "*A caution*")
	if e := h.revealCheckExport(second, reveal); e.Instrument != "revenue-alignment" || len(e.PreviousGaps) != 0 {
		t.Errorf("the revenue round exports %s with previous gaps %+v", e.Instrument, e.PreviousGaps)
	}

	// The Maturity Diagnostic again: it compares with round 1, across
	// the revenue round.
	third, reveal := h.revealPlay([]string{mkt, sales}, "", map[string][]int{
		mkt:   {2, 2, 2, 2, 2, 2, 2, 2, 2, 2},
		sales: {2, 2, 1, 2, 2, 2, 2, 2, 2, 2},
	})
	revealContains(t, "the third reveal", reveal.VisibleText(),
		fmt.Sprintf("*Did round %d's owned gaps close?*\n• *Q3 · CRM as source of truth*: <@UOWEN001>'s action open; lead gap 2 → 1, combined 2 → 3 — *closed*", first),
		fmt.Sprintf("Already being addressed, so set aside: Q3 (open action from round %d)", first),
		"No gaps to own: 9 questions are fully in place for both leads and 1 question is already being addressed.")
	revealContains(t, "the third reveal's thread", h.thread(reveal), fmt.Sprintf("*Since round %d* (", first))
	if e := h.revealCheckExport(third, reveal); len(e.PreviousGaps) != 1 || e.PreviousGaps[0].Question != "Q3" || e.PreviousGaps[0].Verdict != "closed" {
		t.Errorf("the third round exports previous gaps %+v", e.PreviousGaps)
	}
	history := h.ask(fac, revenue, "history")
	revealContains(t, "history", history,
		"_Marketing-Sales Alignment Maturity Diagnostic_\n• Round 3, started",
		"• Round 1, started",
		"0 of 1 actions done; owned gaps closed by the next round: *1 of 1*",
		"_Revenue Alignment Diagnostic_\n• Round 2, started <!date^",
		"team *Step 2 Define the MQL and SQL boundary in writing* (Marketing 14, Sales 9), 0 structural gaps, 0 of 0 actions done")
	revealLacks(t, "history", strings.SplitN(history, "_Revenue Alignment Diagnostic_", 2)[1], "owned gaps closed")
}
