package bot

import (
	"context"
	"strings"
	"testing"

	"github.com/alignbot/alignbot/bot/render"
	"github.com/alignbot/alignbot/scoring"
)

// roundCount counts rounds in the database.
func (h *harness) roundCount() int {
	var n int
	if err := h.store.DB().Get(&n, `SELECT count(*) FROM rounds`); err != nil {
		h.t.Fatal(err)
	}
	return n
}

func TestStartMistakesAreExplainedAndChangeNothing(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.startBot()
	m := h.slack.MentionUser
	c := h.slack.MentionChannel

	// A round already collecting in #revenue, for the last case.
	h.startRound(mkt, sales)
	h.waitMessage(revenue, "started a round")
	h.idle()
	before := h.roundCount()
	postsBefore := len(h.slack.Messages(revenue))

	tests := []struct {
		name, channel, text, want string
	}{
		{"unknown subcommand", revenue, "begin " + m(mkt) + " " + m(sales), "I don't know `begin`"},
		{"missing sales lead", revenue, "start " + m(mkt), "The sales lead is missing"},
		{"nobody named", quiet, "start " + c(revenue), "Name the marketing lead and the sales lead"},
		{"same person twice", revenue, "start " + m(mkt) + " " + m(mkt), "named twice"},
		{"a bot", quiet, "start " + m(mkt) + " " + m(botUser) + " " + c(revenue), "is a bot"},
		{"a deactivated user", quiet, "start " + m(gone) + " " + m(sales) + " " + c(revenue), "is deactivated"},
		{"an unknown user", quiet, "start " + m(mkt) + " UNOBODY99 " + c(revenue), "can't find"},
		{"a channel the bot is not in", quiet, "start " + m(mkt) + " " + m(sales), "I'm not in <#CQUIET01>"},
		{"a private channel the bot cannot see", revenue, "start " + m(mkt) + " " + m(sales) + " " + c(secret), "I can't see <#CSECRET1>"},
		{"a name typed without linking", revenue, "start @maria @samuel", "I couldn't tell who `@maria` is"},
		{"four people", revenue, "start " + m(mkt) + " " + m(sales) + " " + m(obs) + " " + m(owner), "At most three people"},
		{"typed in a DM without a channel", "", "start " + m(mkt) + " " + m(sales), "Run this in the team's shared channel"},
		{"a round already collecting", revenue, "start " + m(obs) + " " + m(owner), "already collecting answers in <#CREVENUE>"},
		{"cancel by a respondent", revenue, "cancel", "Only <@UFACIL01>, who started round 1, or a workspace admin can cancel it"},
		{"an unknown instrument", revenue, "start " + m(obs) + " " + m(owner) + " vibes", "I didn't understand `vibes`"},
		{"an observer for an instrument without one", quiet, "start " + m(mkt) + " " + m(sales) + " " + m(obs) + " " + c(revenue) + " stage-gate", "has 2 roles"},
		{"a private channel the starter is not in", revenue, "start " + m(obs) + " " + m(owner) + " " + c(hidden), "You're not a member of <#CHIDDEN1>"},
		{"status with junk", revenue, "status please", "takes nothing after it"},
		{"assign before any reveal", revenue, "assign Q3 " + m(owner) + " fix the CRM", "isn't revealed yet"},
		{"addressed before any reveal", revenue, "addressed Q3", "isn't revealed yet"},
		{"addressed, not a question", revenue, "addressed Q11x", "isn't a question"},
		{"extend, not a duration", revenue, "extend soon", "isn't a duration"},
	}
	for i, tt := range tests {
		user := sales // not the facilitator, so "cancel" is refused
		h.command(user, tt.channel, tt.text)
		if got := h.waitEphemeral(user, i+1); !strings.Contains(got, tt.want) {
			t.Errorf("%s: %q answered %q, want it to contain %q", tt.name, tt.text, got, tt.want)
		}
	}
	h.idle()
	if got := h.roundCount(); got != before {
		t.Errorf("mistakes created %d rounds", got-before)
	}
	if got := len(h.slack.Messages(revenue)); got != postsBefore {
		t.Errorf("mistakes posted %d channel messages", got-postsBefore)
	}
	for _, ch := range []string{quiet, secret} {
		if got := len(h.slack.Messages(ch)); got != 0 {
			t.Errorf("%d messages posted in %s", got, ch)
		}
	}
}

func TestHelpAndStatus(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.startBot()
	h.command(sales, revenue, "help")
	if got := h.waitEphemeral(sales, 1); !strings.Contains(got, "/alignment start @marketing-lead @sales-lead") || !strings.Contains(got, "stage-gate") {
		t.Errorf("help: %s", got)
	}
	h.command(sales, revenue, "status")
	if got := h.waitEphemeral(sales, 2); !strings.Contains(got, "No alignment rounds in <#CREVENUE> yet") {
		t.Errorf("status before any round: %s", got)
	}
	h.startRound(mkt, sales, obs)
	h.answer(mkt, "Q1", 2)
	h.command(sales, revenue, "status")
	got := h.waitEphemeral(sales, 3)
	for _, want := range []string{"collecting answers", "Marketing lead <@UMARIA01> — answering", "Sales lead <@USAMUE01> — not started"} {
		if !strings.Contains(got, want) {
			t.Errorf("status lacks %q: %s", want, got)
		}
	}
}

func TestStartWithTheForm(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.startBot()
	ctx := context.Background()
	h.command(fac, revenue, "start")
	view := h.waitView(fac, render.CallbackStart)

	// The same person twice: the form stays open and says so under the field.
	resp, err := h.slack.SubmitView(ctx, fac, view.ID, map[string]map[string]string{
		"marketing": {"user": mkt}, "sales": {"user": mkt}, "channel": {"channel": revenue},
	})
	if err != nil {
		t.Fatal(err)
	}
	if resp == nil || resp.ResponseAction != "errors" || !strings.Contains(resp.Errors["sales"], "already the marketing lead") {
		t.Fatalf("same person twice: %+v", resp)
	}
	// A channel the bot is not in.
	resp, err = h.slack.SubmitView(ctx, fac, view.ID, map[string]map[string]string{
		"marketing": {"user": mkt}, "sales": {"user": sales}, "channel": {"channel": quiet},
	})
	if err != nil {
		t.Fatal(err)
	}
	if resp == nil || !strings.Contains(resp.Errors["channel"], "I'm not in") {
		t.Fatalf("channel the bot is not in: %+v", resp)
	}
	if h.roundCount() != 0 {
		t.Fatal("a refused form started a round")
	}

	// An observer for an instrument that has none.
	resp, err = h.slack.SubmitView(ctx, fac, view.ID, map[string]map[string]string{
		"instrument": {"instrument": "revenue-alignment"},
		"marketing":  {"user": mkt}, "sales": {"user": sales}, "observer": {"user": obs}, "channel": {"channel": revenue},
	})
	if err != nil {
		t.Fatal(err)
	}
	if resp == nil || !strings.Contains(resp.Errors["observer"], "has no observer") {
		t.Fatalf("observer for the revenue diagnostic: %+v", resp)
	}
	if h.roundCount() != 0 {
		t.Fatal("a refused form started a round")
	}

	resp, err = h.slack.SubmitView(ctx, fac, view.ID, map[string]map[string]string{
		"instrument": {"instrument": "stage-gate"},
		"marketing":  {"user": mkt}, "sales": {"user": sales}, "channel": {"channel": revenue},
	})
	if err != nil {
		t.Fatal(err)
	}
	if resp != nil && resp.ResponseAction == "errors" {
		t.Fatalf("valid form refused: %+v", resp.Errors)
	}
	h.waitMessage(revenue, "Alignment Maturity Stage Self-Assessment")
	for _, u := range []string{mkt, sales} {
		q := h.questionnaire(u)
		if !strings.HasPrefix(q.VisibleText(), scoring.StageGate.Name) || !strings.Contains(q.VisibleText(), "8 questions") {
			t.Errorf("%s got %q", u, q.VisibleText())
		}
	}
	if got := h.waitEphemeral(fac, 1); !strings.Contains(got, "Started round 1 of the Alignment Maturity Stage Self-Assessment") {
		t.Errorf("the facilitator was told %q", got)
	}
}

func TestCancel(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.startBot()
	h.startRound(mkt, sales)
	h.answer(mkt, "Q1", 2)
	card := h.questionnaire(mkt)
	stale, err := h.slack.BuildClick(mkt, card, "Q2", "1")

	if err != nil {
		t.Fatal(err)
	}
	// A respondent cannot cancel (they decline); an admin can.
	h.command(sales, revenue, "cancel")
	if got := h.waitEphemeral(sales, 1); !strings.Contains(got, "decline") {
		t.Errorf("a respondent's cancel: %s", got)
	}
	h.command(admin, revenue, "cancel")
	if got := h.waitEphemeral(admin, 1); !strings.Contains(got, "Cancelled round 1") {
		t.Fatalf("cancel: %s", got)
	}
	announcement := h.waitMessage(revenue, "started a round")
	h.waitFor("the announcement to say cancelled", func() bool {
		return strings.Contains(h.current(announcement).VisibleText(), "Cancelled by <@UADMIN01>")
	})
	h.waitFor("the questionnaire to say cancelled", func() bool {
		return strings.Contains(h.current(card).VisibleText(), "was cancelled")
	})
	// A click on the card as it was before: refused, nothing stored.
	if _, err := h.slack.SendInteraction(stale); err != nil {
		t.Fatal(err)
	}
	if got := h.waitEphemeral(mkt, 1); !strings.Contains(got, "cancelled") {
		t.Errorf("click on a cancelled round: %s", got)
	}
	answers, _ := h.store.Answers(context.Background(), 1, "marketing")
	if _, ok := answers["Q2"]; ok {
		t.Error("an answer was stored for a cancelled round")
	}
	// The channel can start again.
	h.startRound(mkt, sales)
}
