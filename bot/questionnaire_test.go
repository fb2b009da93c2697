package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/alignbot/alignbot/internal/slackfake"
	"github.com/alignbot/alignbot/scoring"
	"github.com/alignbot/alignbot/storage"
)

// buttonsOf returns, for the card labelled q, each button's text and value.
func buttonsOf(t *testing.T, m slackfake.Message, q string) [][2]string {
	t.Helper()
	var blocks []struct {
		Type     string          `json:"type"`
		BlockID  string          `json:"block_id"`
		Elements json.RawMessage `json:"elements"`
	}
	if err := json.Unmarshal(m.Blocks, &blocks); err != nil {
		t.Fatal(err)
	}
	var out [][2]string
	for _, b := range blocks {
		if b.Type != "actions" || !strings.HasSuffix(b.BlockID, ":"+q) {
			continue
		}
		var buttons []struct {
			Value string `json:"value"`
			Text  struct {
				Text string `json:"text"`
			} `json:"text"`
		}
		if err := json.Unmarshal(b.Elements, &buttons); err != nil {
			t.Fatal(err)
		}
		for _, e := range buttons {
			out = append(out, [2]string{e.Text.Text, e.Value})
		}
	}
	return out
}

func TestQuestionnaireEndToEnd(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.startBot()
	ctx := context.Background()

	// Slack escapes mentions; the command accepts them and a plain ID alike.
	h.command(fac, revenue, fmt.Sprintf("start %s %s %s", h.slack.MentionUser(mkt), h.slack.MentionUser(sales), obs))
	if got := h.waitEphemeral(fac, 1); !strings.Contains(got, "Started round") {
		t.Fatalf("facilitator was told: %s", got)
	}

	// The channel is told who takes part and that answers stay hidden.
	announcement := h.waitMessage(revenue, "started a round")
	for _, want := range []string{mention(mkt) + " (Marketing lead)", mention(sales) + " (Sales lead)", mention(obs) + " (RevOps observer)", "Answers stay hidden until everyone has submitted"} {
		if !strings.Contains(sectionTexts(announcement), want) {
			t.Errorf("announcement lacks %q:\n%s", want, sectionTexts(announcement))
		}
	}

	// Each respondent gets a DM with one card per question, Q1…Q10, the
	// criteria, and three buttons starting with their digit.
	for _, user := range []string{mkt, sales, obs} {
		q := h.questionnaire(user)
		text := q.VisibleText()
		for i := 1; i <= 10; i++ {
			label := fmt.Sprintf("Q%d", i)
			if !regexp.MustCompile(`\b` + label + `\b`).MatchString(text) {
				t.Errorf("%s's questionnaire has no card %s", user, label)
			}
			got := buttonsOf(t, q, label)
			if len(got) != 3 {
				t.Fatalf("%s card %s: %d buttons, want 3", user, label, len(got))
			}
			for score, b := range got {
				if !strings.HasPrefix(b[0], fmt.Sprint(score)) || b[1] != fmt.Sprint(score) {
					t.Errorf("%s card %s button %d: text %q value %q", user, label, score, b[0], b[1])
				}
			}
		}
		if !strings.Contains(text, "Score 2 if") && !strings.Contains(text, "*2* if:") {
			t.Errorf("%s's questionnaire shows no criteria", user)
		}
		if !strings.Contains(text, "0 of 10 answered") {
			t.Errorf("%s's questionnaire shows no progress", user)
		}
	}

	// The marketing lead answers, changes two answers, and submits.
	h.answerAll(mkt, []int{2, 1, 0, 1, 2, 1, 0, 2, 1, 1})
	h.answer(mkt, "Q4", 2)
	h.answer(mkt, "Q7", 1)
	card := h.current(h.questionnaire(mkt))
	if !strings.Contains(card.VisibleText(), "10 of 10 answered") {
		t.Errorf("progress after answering everything: %s", card.VisibleText())
	}
	got, err := h.store.Answers(ctx, 1, scoring.Marketing)
	if err != nil || got["Q4"] != 2 || got["Q7"] != 1 || len(got) != 10 {
		t.Fatalf("stored answers %v %v", got, err)
	}

	// The channel shows progress without scores, updated in place.
	h.waitFor("channel progress to show marketing answering", func() bool {
		return strings.Contains(h.current(announcement).VisibleText(), "Marketing lead "+mention(mkt)+" — answering")
	})

	// Submit refuses while questions are open.
	h.answer(sales, "Q1", 0)
	h.answer(sales, "Q2", 2)
	if _, err := h.slack.ClickButton(sales, h.questionnaire(sales), "", "Submit"); err != nil {
		t.Fatal(err)
	}
	refusal := h.waitEphemeral(sales, 1)
	if !strings.Contains(refusal, "Answer Q3") || !strings.Contains(refusal, "Q10") {
		t.Errorf("incomplete submit told: %s", refusal)
	}
	if r, _ := h.store.Respondent(ctx, 1, scoring.Sales); r.Submitted() {
		t.Fatal("an incomplete questionnaire was submitted")
	}

	// A click prepared on the open card (another device, a slow double
	// click) and sent after the submit.
	stale, err := h.slack.BuildClick(mkt, h.questionnaire(mkt), "Q1", "0")
	if err != nil {
		t.Fatal(err)
	}
	h.submit(mkt)
	h.waitFor("channel progress to show marketing submitted", func() bool {
		return strings.Contains(h.current(announcement).VisibleText(), "Marketing lead "+mention(mkt)+" ✓ submitted")
	})
	if n := h.countMessages(revenue, "started a round"); n != 1 {
		t.Errorf("progress was posted as %d messages, want one updated in place", n)
	}
	// After submitting, the card shows only the respondent's own answers and
	// no buttons; clicks on the old card are refused.
	locked := h.current(h.questionnaire(mkt))
	if strings.Contains(locked.VisibleText(), "Submit answers") || len(buttonsOf(t, locked, "Q1")) != 0 {
		t.Errorf("submitted card still has buttons:\n%s", locked.VisibleText())
	}
	if !strings.Contains(sectionTexts(locked), "Q4 · Joint meeting cadence: *2*") {
		t.Errorf("submitted card does not show own answers:\n%s", sectionTexts(locked))
	}
	if _, err := h.slack.SendInteraction(stale); err != nil {
		t.Fatal(err)
	}
	if got := h.waitEphemeral(mkt, 1); !strings.Contains(got, "already submitted") {
		t.Errorf("click after submit told: %s", got)
	}
	if got, _ := h.store.Answers(ctx, 1, scoring.Marketing); got["Q1"] != 2 {
		t.Errorf("a locked answer changed: Q1 = %d", got["Q1"])
	}

	// The others finish; the round is revealed once everyone is in.
	h.answerAll(sales, []int{0, 2, 1, 1, 1, 0, 0, 1, 2, 2})
	h.submit(sales)
	round, _ := h.store.Round(ctx, 1)
	if round.State != storage.Collecting {
		t.Fatalf("revealed before the observer submitted: %s", round.State)
	}
	h.answerAll(obs, []int{1, 1, 1, 1, 1, 1, 1, 1, 1, 1})
	h.submit(obs)
	h.waitMessage(revenue, "Alignment reveal")
	h.waitFor("announcement to say all answers are in", func() bool {
		return strings.Contains(h.current(announcement).VisibleText(), "All answers are in")
	})
}
