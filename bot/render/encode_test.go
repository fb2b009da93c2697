package render

import (
	"bytes"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/slack-go/slack"

	"github.com/alignbot/alignbot/internal/locale"
	"github.com/alignbot/alignbot/scoring"
	"github.com/alignbot/alignbot/storage"
)

// sameAsJSON fails unless AppendBlocks and WebhookJSON write what
// json.Marshal writes for blocks and for the response_url message that
// carries them.
func sameAsJSON(t *testing.T, name, text string, blocks []slack.Block) {
	t.Helper()
	want, err := json.Marshal(blocks)
	if err != nil {
		t.Fatal(err)
	}
	got, err := AppendBlocks(nil, blocks)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s: AppendBlocks differs from json.Marshal\n got: %s\nwant: %s", name, got, want)
		return
	}
	for _, m := range []*slack.WebhookMessage{
		{Text: text, Blocks: &slack.Blocks{BlockSet: blocks}, ReplaceOriginal: true},
		{Text: text, ResponseType: slack.ResponseTypeEphemeral},
	} {
		want, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		got, err := WebhookJSON(m)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s: WebhookJSON differs from json.Marshal\n got: %s\nwant: %s", name, got, want)
		}
	}
}

// Every questionnaire a respondent can see, in every language and
// instrument: each number of answers, each question open, answering and
// guessing, each role, and the closed states.
func TestQuestionnaireEncodesAsJSON(t *testing.T) {
	t.Parallel()
	for _, l := range locale.Langs {
		for _, in := range scoring.Instruments {
			round := lang{l}.round(storage.Collecting)
			round.Instrument = in.ID
			var views []Questionnaire
			for _, role := range []scoring.Role{scoring.Marketing, scoring.Sales, scoring.Observer} {
				r := storage.Respondent{RoundID: 7, Role: role, UserID: "UMARIA01", DMChannelID: "D1", QuestionnaireTS: "1.1"}
				answers, guesses := scoring.Answers{}, scoring.Answers{}
				for i, question := range in.Questions {
					for _, open := range in.Questions {
						views = append(views, Questionnaire{Instrument: in, Round: round, Respondent: r, Answers: answers, Open: open.ID})
					}
					answers[question.ID] = in.Scale.Min + i%(in.Scale.Max-in.Scale.Min+1)
					answers = cloneAnswers(answers)
				}
				views = append(views, Questionnaire{Instrument: in, Round: round, Respondent: r, Answers: answers})
				for i, question := range in.Questions {
					views = append(views, Questionnaire{Instrument: in, Round: round, Respondent: r, Answers: answers,
						Predictions: guesses, Predicting: true, Open: question.ID})
					guesses[question.ID] = in.Scale.Max - i%(in.Scale.Max-in.Scale.Min+1)
					guesses = cloneAnswers(guesses)
				}
				views = append(views, Questionnaire{Instrument: in, Round: round, Respondent: r, Answers: answers, Predictions: guesses})
				submitted, declined := r, r
				submitted.SubmittedAt, declined.DeclinedAt = &later, &later
				views = append(views,
					Questionnaire{Instrument: in, Round: round, Respondent: submitted, Answers: answers, Predictions: guesses},
					Questionnaire{Instrument: in, Round: round, Respondent: declined, Answers: answers})
				for _, state := range []storage.RoundState{storage.Revealed, storage.Cancelled} {
					closed := lang{l}.round(state)
					closed.Instrument = in.ID
					views = append(views, Questionnaire{Instrument: in, Round: closed, Respondent: submitted, Answers: answers, Workspace: workspace},
						Questionnaire{Instrument: in, Round: closed, Respondent: r, Answers: scoring.Answers{}})
				}
			}
			for i, q := range views {
				q.Lang = l
				m := RenderQuestionnaire(q)
				sameAsJSON(t, fmt.Sprintf("%s/%s/%d", l, in.ID, i), m.Text, m.Blocks)
			}
		}
	}
}

func cloneAnswers(a scoring.Answers) scoring.Answers {
	out := scoring.Answers{}
	for k, v := range a {
		out[k] = v
	}
	return out
}

// Text a person typed reaches the blocks as is: every escape encoding/json
// makes, made the same.
func TestAppendStringEscapesAsJSON(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"", "plain", `quote " and \ backslash`, "<#C1> & <@U1>", "tab\tnew\nline\rret\bbs\fff",
		"\x00\x01\x1f\x7f", "ünïcödé 日本語 🎉", "bad \xff\xfe utf-8", "line\u2028para\u2029end", "\u00a0nbsp"} {
		want, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if got := appendString(nil, s); !bytes.Equal(got, want) {
			t.Errorf("appendString(%q) = %s, want %s", s, got, want)
		}
	}
}

// Blocks of shapes AppendBlocks does not write itself go to json.Marshal.
func TestAppendBlocksFallsBack(t *testing.T) {
	t.Parallel()
	blocks := []slack.Block{
		slack.NewSectionBlock(nil, []*slack.TextBlockObject{mrkdwn("a"), mrkdwn("b")}, nil),
		slack.NewImageBlock("https://example.com/a.png", "alt", "img", nil),
		actions("mixed", button("a", "1", "One"), slack.NewOverflowBlockElement("o", slack.NewOptionBlockObject("v", plain("V"), nil))),
		slack.NewContextBlock("ctx", slack.NewImageBlockElement("https://example.com/b.png", "b"), mrkdwn("text")),
		&slack.HeaderBlock{Type: slack.MBTHeader, Text: plain("H"), Level: 2},
		slack.NewActionBlock("empty"),
		divider(),
	}
	sameAsJSON(t, "fallbacks", "text", blocks)
	sameAsJSON(t, "none", "text", nil)
	sameAsJSON(t, "empty", "text", []slack.Block{})
}

func BenchmarkRenderQuestionnaire(b *testing.B) {
	in := scoring.AlignmentMaturity
	q := Questionnaire{Instrument: in, Round: lang{locale.English}.round(storage.Collecting),
		Respondent: storage.Respondent{RoundID: 7, Role: scoring.Marketing, UserID: "UMARIA01", DMChannelID: "D1", QuestionnaireTS: "1.1"},
		Answers:    scoresOf(2, 1, 0, 1, 2), Lang: locale.English}
	m := RenderQuestionnaire(q)
	msg := &slack.WebhookMessage{Text: m.Text, Blocks: &slack.Blocks{BlockSet: m.Blocks}, ReplaceOriginal: true}
	b.Run("render", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			RenderQuestionnaire(q)
		}
	})
	b.Run("json.Marshal", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := json.Marshal(msg); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("WebhookJSON", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := WebhookJSON(msg); err != nil {
				b.Fatal(err)
			}
		}
	})
}
