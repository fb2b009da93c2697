package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/alignbot/alignbot/bot/render"
	"github.com/alignbot/alignbot/scoring"
	"github.com/alignbot/alignbot/storage"
)

func TestQuestionnaireEndToEnd(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.startBot()
	ctx := context.Background()
	mention := render.Mention

	// Slack escapes mentions; the command accepts them and a plain ID alike.
	h.command(fac, revenue, fmt.Sprintf("start %s %s %s", h.slack.MentionUser(mkt), h.slack.MentionUser(sales), obs))
	if got := h.waitEphemeral(fac, 1); !strings.Contains(got, "Started round") {
		t.Fatalf("facilitator was told: %s", got)
	}

	// The channel is told who takes part and that answers stay hidden.
	announcement := h.waitMessage(revenue, "started a round")
	for _, want := range []string{mention(mkt) + " (Marketing lead)", mention(sales) + " (Sales lead)", mention(obs) + " (RevOps observer)",
		"Answers stay hidden until everyone has submitted", "10 questions, about 10 minutes"} {
		if !strings.Contains(sectionTexts(announcement), want) {
			t.Errorf("announcement lacks %q:\n%s", want, sectionTexts(announcement))
		}
	}

	// Each respondent gets a short DM: how long it takes, that it is
	// private, and the first question open with its criteria in the
	// buttons' order and three buttons starting with their digit.
	for _, user := range []string{mkt, sales, obs} {
		q := h.questionnaire(user)
		text := q.VisibleText()
		for _, want := range []string{"10 questions, about 10 minutes", "Your answers stay private until everyone has submitted", "0 of 10 answered"} {
			if !strings.Contains(text, want) {
				t.Errorf("%s's questionnaire lacks %q", user, want)
			}
		}
		if !strings.HasPrefix(q.Text, "Please answer the 10-question alignment diagnostic") {
			t.Errorf("%s's notification does not ask for anything: %q", user, q.Text)
		}
		if !openCard(q, "Q1") {
			t.Errorf("%s's questionnaire does not open at Q1:\n%s", user, sectionTexts(q))
		}
		got := buttonsOf(t, q, "Q1")
		if len(got) != 3 {
			t.Fatalf("%s card Q1: %d buttons, want 3", user, len(got))
		}
		for score, b := range got {
			if !strings.HasPrefix(b[0], fmt.Sprint(score)) || b[1] != fmt.Sprint(score) {
				t.Errorf("%s card Q1 button %d: text %q value %q", user, score, b[0], b[1])
			}
		}
		rubric := regexp.MustCompile(`(?s)\*0\* · No written definition.*\*1\* · A definition exists.*\*2\* · A document exists`)
		if !rubric.MatchString(text) {
			t.Errorf("%s's rubric does not read 0 → 1 → 2 like the buttons:\n%s", user, text)
		}
		var blocks []json.RawMessage
		if err := json.Unmarshal(q.Blocks, &blocks); err != nil || len(blocks) > 20 || len(text) > 2500 {
			t.Errorf("%s's questionnaire is long for a phone: %d blocks, %d characters (%v)", user, len(blocks), len(text), err)
		}
	}

	// The marketing lead answers in order; each answer folds to one line
	// and the next question opens.
	msg := h.questionnaire(mkt)
	h.answer(mkt, "Q1", 2)
	if after := h.current(msg); !openCard(after, "Q2") || !answeredLine("Q1", 2).MatchString(sectionTexts(after)) {
		t.Errorf("after answering Q1:\n%s", sectionTexts(after))
	}
	h.answerAll(mkt, []int{2, 1, 0, 1, 2, 1, 0, 2, 1, 1})
	// Changing answers before Submit still works.
	h.answer(mkt, "Q4", 2)
	h.answer(mkt, "Q7", 1)
	card := h.current(msg)
	if !strings.Contains(card.VisibleText(), "All 10 answered") || !strings.Contains(card.VisibleText(), "Submit answers") {
		t.Errorf("after answering everything:\n%s", card.VisibleText())
	}
	// The chosen answer is shown once: no "Your answer" besides the line.
	if strings.Contains(card.VisibleText(), "Your answer:") {
		t.Errorf("the chosen answer is repeated:\n%s", card.VisibleText())
	}
	got, err := h.store.Answers(ctx, 1, scoring.Marketing)
	if err != nil || got["Q4"] != 2 || got["Q7"] != 1 || len(got) != 10 {
		t.Fatalf("stored answers %v %v", got, err)
	}
	// Every click was answered through its response_url: no chat.update of
	// the questionnaire, unless a click came while the questionnaire's own
	// job still had the card's turn, which then sent the change itself.
	leftToJob := slices.ContainsFunc(strings.Split(h.logs.String(), "\n"), func(line string) bool {
		return strings.Contains(line, turnTaken) && strings.Contains(line, `"live":"card:1:marketing"`)
	})
	for _, c := range h.slack.Sent() {
		if c.Method == "chat.update" && strings.Contains(string(c.Payload), "Marketing-Sales Alignment Maturity Diagnostic · Marketing lead") && !leftToJob {
			t.Errorf("a click was answered with chat.update: %s", render.Clip(string(c.Payload), 200))
			break
		}
	}

	// The channel shows progress without scores, updated in place.
	h.waitFor("channel progress to show marketing answering", func() bool {
		return strings.Contains(h.current(announcement).VisibleText(), "Marketing lead "+mention(mkt)+" — answering")
	})

	// No Submit until every question has an answer.
	h.answer(sales, "Q1", 0)
	if strings.Contains(h.current(h.questionnaire(sales)).VisibleText(), "Submit answers") {
		t.Error("Submit is offered with nine questions open")
	}

	// A click prepared on the card (another device, a slow double click) and
	// sent after the submit.
	stale, err := h.slack.BuildClick(mkt, h.questionnaire(mkt), "Q1", "Change")
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
	locked := h.current(h.questionnaire(mkt))
	if strings.Contains(locked.VisibleText(), "Submit answers") || strings.Contains(locked.VisibleText(), "Change") {
		t.Errorf("submitted card still has buttons:\n%s", locked.VisibleText())
	}
	if !strings.Contains(sectionTexts(locked), "Q4 · Joint meeting cadence: *2* Fully in place") {
		t.Errorf("submitted card does not show own answers:\n%s", sectionTexts(locked))
	}
	if _, err := h.slack.SendInteraction(stale); err != nil {
		t.Fatal(err)
	}
	if got := h.waitEphemeral(mkt, 1); !strings.Contains(got, "already submitted") {
		t.Errorf("click after submit told: %s", got)
	}

	// The others finish; the round is revealed once everyone is in.
	h.answerAll(sales, []int{0, 2, 1, 1, 1, 0, 0, 1, 2, 2})
	h.submit(sales)
	round, _ := h.store.Round(ctx, 1)
	if round.State != storage.Collecting {
		t.Fatalf("revealed before the observer submitted: %s", round.State)
	}
	h.answerAll(obs, []int{1, 1, 1, 1, 1, 1, 1, 1, 1, 1})
	if strings.Contains(h.current(h.questionnaire(obs)).VisibleText(), "Guess") {
		t.Error("the observer is offered to guess the leads' answers")
	}
	h.submit(obs)
	rv := h.waitMessage(revenue, "Alignment reveal")
	h.waitFor("announcement to say all answers are in", func() bool {
		return strings.Contains(h.current(announcement).VisibleText(), "All answers are in")
	})
	// The submitted questionnaires link to the reveal.
	link := regexp.MustCompile(`see the comparison`)
	h.waitFor("the questionnaire to link to the reveal", func() bool { return link.MatchString(h.current(h.questionnaire(mkt)).VisibleText()) })
	if !strings.Contains(sectionTexts(h.current(h.questionnaire(mkt))), "/archives/"+revenue+"/p"+strings.ReplaceAll(rv.TS, ".", "")) {
		t.Errorf("the link does not lead to the reveal:\n%s", sectionTexts(h.current(h.questionnaire(mkt))))
	}
}

// TestGuessingIsOptional: a lead may guess some of the other lead's answers,
// skip the rest, change a guess, and submit either way.
func TestGuessingIsOptional(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.startBot()
	ctx := context.Background()
	h.startRound(mkt, sales)
	h.answerAll(mkt, []int{2, 1, 0, 1, 2, 1, 0, 2, 1, 1})
	h.predictAll(mkt, map[string]int{"Q1": 0, "Q5": 2})
	h.predictAll(mkt, map[string]int{"Q1": 1, "Q5": 2, "Q9": 0})
	got, err := h.store.Predictions(ctx, 1, scoring.Marketing)
	if err != nil || len(got) != 3 || got["Q1"] != 1 || got["Q5"] != 2 || got["Q9"] != 0 {
		t.Fatalf("stored predictions %v %v", got, err)
	}
	h.submit(mkt)
	locked := sectionTexts(h.current(h.questionnaire(mkt)))
	if !strings.Contains(locked, "(you expected Sales: 1)") {
		t.Errorf("the submitted card does not show the lead's own guesses:\n%s", locked)
	}
	// The sales lead does not guess at all and submits.
	h.answerAll(sales, []int{0, 2, 1, 1, 1, 0, 0, 1, 2, 2})
	h.submit(sales)
	h.waitMessage(revenue, "Alignment reveal")
}
