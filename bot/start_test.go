package bot

import (
	"context"
	"strings"
	"testing"

	"github.com/slack-go/slack"
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
		{"cancel by someone else", revenue, "cancel", "Only <@UFACIL01>, who started this round"},
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
	if got := h.waitEphemeral(sales, 1); !strings.Contains(got, "/alignment start @marketing-lead @sales-lead") {
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
	view := h.waitView(fac, callbackStartRound)

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

	resp, err = h.slack.SubmitView(ctx, fac, view.ID, map[string]map[string]string{
		"marketing": {"user": mkt}, "sales": {"user": sales}, "observer": {"user": obs}, "channel": {"channel": revenue},
	})
	if err != nil {
		t.Fatal(err)
	}
	if resp != nil && resp.ResponseAction == "errors" {
		t.Fatalf("valid form refused: %+v", resp.Errors)
	}
	h.waitMessage(revenue, "started a round")
	for _, u := range []string{mkt, sales, obs} {
		h.questionnaire(u)
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
	h.command(fac, revenue, "cancel")
	if got := h.waitEphemeral(fac, 2); !strings.Contains(got, "Cancelled round 1") {
		t.Fatalf("cancel: %s", got)
	}
	announcement := h.waitMessage(revenue, "started a round")
	h.waitFor("the announcement to say cancelled", func() bool {
		return strings.Contains(h.current(announcement).VisibleText(), "Cancelled by <@UFACIL01>")
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

func TestClickGuards(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.startBot()
	h.startRound(mkt, sales)
	h.answer(mkt, "Q1", 2)
	card := h.questionnaire(mkt)
	ctx := context.Background()

	tests := []struct {
		name   string
		tamper func(*slackClick)
		user   string
		want   string
	}{
		// The reply goes to the click's response_url, which Slack ties to
		// the conversation the card is in.
		{"someone else clicks the card", func(c *slackClick) { c.User.ID = sales }, mkt, "belongs to someone else"},
		{"a score off the scale", func(c *slackClick) { c.act().Value = "3"; c.act().ActionID = "answer_3" }, mkt, "doesn't match any question"},
		{"a value that disagrees with the button", func(c *slackClick) { c.act().Value = "2" }, mkt, "doesn't match any question"},
		{"a question that does not exist", func(c *slackClick) { c.act().BlockID = "answer:1:marketing:Q11" }, mkt, "doesn't match any question"},
		{"a round that does not exist", func(c *slackClick) { c.act().BlockID = "answer:999:marketing:Q2" }, mkt, "doesn't match any question"},
		{"a mangled block", func(c *slackClick) { c.act().BlockID = "answer:abc" }, mkt, "doesn't match any question"},
		{"an unknown role", func(c *slackClick) { c.act().BlockID = "answer:1:cfo:Q2" }, mkt, "doesn't match any question"},
		{"another respondent's card", func(c *slackClick) { c.act().BlockID = "answer:1:sales:Q2" }, mkt, "belongs to someone else"},
		{"a mangled submit", func(c *slackClick) { c.act().ActionID = "submit"; c.act().Value = "x" }, mkt, "doesn't match any question"},
	}
	seen := map[string]int{}
	for _, tt := range tests {
		// Each click gets its own response_url, as from Slack.
		base, err := h.slack.BuildClick(mkt, card, "Q2", "1")
		if err != nil {
			t.Fatal(err)
		}
		cb := cloneClick(t, base)
		tt.tamper(&cb)
		if _, err := h.slack.SendInteraction(cb.InteractionCallback); err != nil {
			t.Fatal(err)
		}
		seen[tt.user]++
		if got := h.waitEphemeral(tt.user, seen[tt.user]); !strings.Contains(got, tt.want) {
			t.Errorf("%s: got %q, want %q", tt.name, got, tt.want)
		}
	}
	answers, _ := h.store.Answers(ctx, 1, "marketing")
	if len(answers) != 1 || answers["Q1"] != 2 {
		t.Errorf("tampered clicks changed answers: %v", answers)
	}
	if other, _ := h.store.Answers(ctx, 1, "sales"); len(other) != 0 {
		t.Errorf("someone else's click stored answers for sales: %v", other)
	}

	// A duplicate delivery of a real click: applied once, no second reply.
	id, err := h.slack.ClickButton(mkt, card, "Q2", "0")
	if err != nil {
		t.Fatal(err)
	}
	h.waitAck(id)
	h.waitFor("Q2 stored", func() bool {
		a, _ := h.store.Answers(ctx, 1, "marketing")
		return a["Q2"] == 0 && len(a) == 2
	})
	var rows int
	h.store.DB().Get(&rows, `SELECT count(*) FROM deliveries WHERE id = $1`, id)
	if rows != 1 {
		t.Fatalf("delivery %s remembered %d times", id, rows)
	}
	// Change Q2 by a real click, then redeliver the old one: it must not
	// overwrite the newer answer.
	h.answer(mkt, "Q2", 2)
	if err := h.slack.Redeliver(id); err != nil {
		t.Fatal(err)
	}
	h.idle()
	h.waitFor("the redelivery to be acked", func() bool {
		acks := 0
		for _, a := range h.slack.Acks() {
			if a.EnvelopeID == id {
				acks++
			}
		}
		return acks >= 2
	})
	if a, _ := h.store.Answers(ctx, 1, "marketing"); a["Q2"] != 2 {
		t.Errorf("a redelivered click overwrote a newer answer: Q2 = %d", a["Q2"])
	}
	if got := len(h.ephemerals(mkt)); got != seen[mkt] {
		t.Errorf("the duplicate delivery produced %d replies", got-seen[mkt])
	}
}

// slackClick is a click callback a test may tamper with.
type slackClick struct{ slack.InteractionCallback }

func (c *slackClick) act() *slack.BlockAction { return c.ActionCallback.BlockActions[0] }

// cloneClick copies a callback deeply enough to tamper with its action.
func cloneClick(t *testing.T, cb slack.InteractionCallback) slackClick {
	t.Helper()
	if len(cb.ActionCallback.BlockActions) != 1 {
		t.Fatalf("callback has %d actions", len(cb.ActionCallback.BlockActions))
	}
	a := *cb.ActionCallback.BlockActions[0]
	cb.ActionCallback.BlockActions = []*slack.BlockAction{&a}
	return slackClick{cb}
}
