package render

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/slack-go/slack"

	"github.com/alignbot/alignbot/internal/locale"
	"github.com/alignbot/alignbot/scoring"
	"github.com/alignbot/alignbot/storage"
)

// Questionnaire is one respondent's view of their own answers, as their DM
// shows it. It is answered there with buttons, one question open at a time;
// answered questions fold to one line with a Change button, so the message
// stays short on a phone however far the respondent is.
type Questionnaire struct {
	Instrument  *scoring.Instrument
	Round       storage.Round
	Respondent  storage.Respondent
	Answers     scoring.Answers
	Predictions scoring.Answers
	// Open is the question shown open; "" opens the first unanswered one
	// (or, while predicting, the first without a guess).
	Open string
	// Predicting shows the optional pass of guessing the other lead's
	// answers.
	Predicting bool
	Workspace  Workspace
	// Lang is the respondent's language: the DM speaks it.
	Lang locale.Lang
}

// NewQuestionnaire is the view of a questionnaire as stored.
func NewQuestionnaire(in *scoring.Instrument, q storage.Questionnaire, w Workspace) Questionnaire {
	return Questionnaire{Instrument: in, Round: q.Round, Respondent: q.Respondent, Answers: q.Answers, Predictions: q.Predictions, Workspace: w}
}

func (q Questionnaire) slot(question string) Slot {
	return Slot{Round: q.Round.ID, Role: q.Respondent.Role, Question: question}
}

func (q Questionnaire) speaker() speaker { return speak(q.Lang, q.Instrument) }

// other names the other lead inside a sentence: "the sales lead".
func (q Questionnaire) other(s speaker) string {
	return midSentence(s.role(q.Respondent.Role.Other()))
}

// openQuestion returns the question to show open, or "" for none (every
// question answered, or guessed).
func (q Questionnaire) openQuestion() string {
	have := q.Answers
	if q.Predicting {
		have = q.Predictions
	}
	if q.Open != "" && q.Instrument.QuestionIndex(q.Open) >= 0 && (!q.Predicting || q.answered(q.Open)) {
		return q.Open
	}
	for _, question := range q.Instrument.Questions {
		if _, ok := have[question.ID]; !ok {
			return question.ID
		}
	}
	return ""
}

func (q Questionnaire) answered(id string) bool {
	_, ok := q.Answers[id]
	return ok
}

// RenderQuestionnaire is the DM a respondent answers in. Once they have
// submitted or declined, or the round is over, it shows only their own
// answers.
func RenderQuestionnaire(q Questionnaire) Message {
	s := q.speaker()
	in := s.in
	where := ChannelRef(q.Round.ChannelID)
	switch {
	case q.Round.State == storage.Cancelled:
		text := s.T("questionnaire.cancelled", "Channel", where)
		return Message{Text: text, Blocks: []slack.Block{header(in.Name), section("closed", text)}}
	case q.Respondent.Declined():
		text := s.T("questionnaire.declined", "Channel", where)
		return Message{Text: text, Blocks: []slack.Block{header(in.Name), section("closed", text)}}
	case q.Respondent.Submitted() || q.Round.State != storage.Collecting:
		return renderOwnAnswers(q, s)
	}
	total := len(in.Questions)
	answered := len(q.Answers)
	open := q.openQuestion()

	blocks := []slack.Block{
		header(fmt.Sprintf("%s · %s", in.Name, s.role(q.Respondent.Role))),
		section("intro", s.T("questionnaire.intro", "Questions", s.N("questionnaire.questions", total),
			"Minutes", s.N("questionnaire.minutes", in.Minutes), "Channel", where, "Due", s.date(q.Round.DeadlineAt))),
		contextBlock("progress", progressText(s, answered, total)),
	}
	var waiting []string
	for _, question := range in.Questions {
		switch {
		case question.ID == open && q.Predicting:
			blocks = append(blocks, q.predictionCard(s, question)...)
		case question.ID == open:
			blocks = append(blocks, q.answerCard(s, question)...)
		case q.answered(question.ID):
			blocks = append(blocks, q.answeredLine(s, question))
		default:
			waiting = append(waiting, question.ID)
		}
	}
	if len(waiting) > 0 {
		blocks = append(blocks, contextBlock("waiting", s.T("questionnaire.waiting", "Questions", strings.Join(waiting, ", "))))
	}
	blocks = append(blocks, q.footer(s, answered == total)...)
	return Message{Text: q.fallback(s, answered, total), Blocks: capBlocks(blocks, MaxBlocks, s.T("questionnaire.more"))}
}

func (q Questionnaire) fallback(s speaker, answered, total int) string {
	where := ChannelRef(q.Round.ChannelID)
	switch {
	case answered == 0:
		return s.N("questionnaire.fallback_new", total, "Channel", where,
			"Minutes", s.N("questionnaire.minutes", s.in.Minutes), "Due", s.day(q.Round.DeadlineAt))
	case answered == total:
		return s.N("questionnaire.fallback_complete", total, "Channel", where)
	}
	return s.T("questionnaire.fallback_partial", "Channel", where, "Answered", answered, "Total", total)
}

func progressText(s speaker, answered, total int) string {
	if answered == total {
		return s.N("questionnaire.progress_all", total)
	}
	return s.T("questionnaire.progress", "Answered", answered, "Total", total, "Left", total-answered)
}

// answeredLine folds an answered question to one line.
func (q Questionnaire) answeredLine(s speaker, question scoring.Question) slack.Block {
	in := s.in
	score := q.Answers[question.ID]
	text := fmt.Sprintf("✓ *%s · %s*: *%d* %s", question.ID, question.Topic, score, in.ScoreLabel(score))
	if guess, ok := q.Predictions[question.ID]; ok {
		text += s.T("questionnaire.you_expect", "Other", s.short(q.Respondent.Role.Other()), "Score", guess)
	}
	b := button(ActionChange, q.slot(question.ID).String(), s.T("questionnaire.change"))
	if q.Predicting {
		b = button(ActionPredictStart, q.slot(question.ID).String(), s.T("questionnaire.guess"))
	}
	return sectionWith("line:"+question.ID, text, b)
}

// rubric lists what each score means for a question, in the buttons' order.
func (q Questionnaire) rubric(s speaker, question scoring.Question) string {
	in := s.in
	var lines []string
	if len(question.Criteria) > 0 {
		for _, c := range question.Criteria {
			lines = append(lines, fmt.Sprintf("*%d* · %s", c.Score, c.When))
		}
	} else {
		for s := in.Scale.Min; s <= in.Scale.Max; s++ {
			lines = append(lines, fmt.Sprintf("*%d* · %s", s, in.Scale.Meanings[s-in.Scale.Min]))
		}
	}
	return strings.Join(lines, "\n")
}

func (q Questionnaire) scoreButtons(s speaker, prefix string, chosen int, has bool) []slack.BlockElement {
	in := s.in
	var buttons []slack.BlockElement
	for s := in.Scale.Min; s <= in.Scale.Max; s++ {
		label := fmt.Sprintf("%d · %s", s, in.ScoreLabel(s))
		b := button(ScoreAction(prefix, s), strconv.Itoa(s), label)
		if has && chosen == s {
			b.Text = plain(label + " ✓")
			b.Style = slack.StylePrimary
		}
		buttons = append(buttons, b)
	}
	return buttons
}

func (q Questionnaire) answerCard(s speaker, question scoring.Question) []slack.Block {
	in := s.in
	text := fmt.Sprintf("*%s · %s* %s\n%s", question.ID, question.Topic,
		s.T("questionnaire.position", "N", in.QuestionIndex(question.ID)+1, "Total", len(in.Questions)), question.Prompt)
	if question.Gate != "" {
		text += fmt.Sprintf("\n_%s_", question.Gate)
	}
	score, has := q.Answers[question.ID]
	return []slack.Block{
		section("q:"+question.ID, text),
		contextBlock("c:"+question.ID, q.rubric(s, question)),
		actions(BlockAnswerPrefix+q.slot(question.ID).String(), q.scoreButtons(s, ActionAnswer, score, has)...),
	}
}

func (q Questionnaire) predictionCard(s speaker, question scoring.Question) []slack.Block {
	in := s.in
	own := q.Answers[question.ID]
	text := fmt.Sprintf("*%s · %s*: %s", question.ID, question.Topic,
		s.T("questionnaire.predict", "Score", own, "Label", in.ScoreLabel(own), "Other", q.other(s)))
	guess, has := q.Predictions[question.ID]
	buttons := q.scoreButtons(s, ActionPredict, guess, has)
	if next := q.nextAfter(question.ID); next != "" {
		buttons = append(buttons, button(ActionPredictStart, q.slot(next).String(), s.T("questionnaire.skip")))
	}
	return []slack.Block{
		section("q:"+question.ID, text),
		actions(BlockPredictPrefix+q.slot(question.ID).String(), buttons...),
	}
}

func (q Questionnaire) nextAfter(id string) string {
	i := q.Instrument.QuestionIndex(id)
	if i < 0 || i+1 >= len(q.Instrument.Questions) {
		return ""
	}
	return q.Instrument.Questions[i+1].ID
}

// declineButton is "Not me / decline", with a confirmation.
func declineButton(s speaker, value string) *slack.ButtonBlockElement {
	decline := button(ActionDecline, value, s.T("decline.button"))
	decline.Confirm = slack.NewConfirmationBlockObject(plain(s.T("decline.confirm_title")),
		plain(s.T("decline.confirm_text")), plain(s.T("decline.confirm")), plain(s.T("decline.deny")))
	return decline
}

func (q Questionnaire) footer(s speaker, complete bool) []slack.Block {
	in := s.in
	decline := declineButton(s, q.slot("").String())
	if !complete {
		return []slack.Block{actions("footer", decline)}
	}
	submit := primary(button(ActionSubmit, RoundValue(q.Round.ID), s.T("submit.button")))
	submit.Confirm = slack.NewConfirmationBlockObject(plain(s.T("submit.confirm_title")),
		plain(s.T("submit.confirm_text")), plain(s.T("submit.confirm")), plain(s.T("submit.deny")))
	note := s.T("submit.note")
	elems := []slack.BlockElement{submit}
	if q.Respondent.Role.IsLead() {
		other := q.other(s)
		switch {
		case q.Predicting:
			elems = append(elems, button(ActionPredictDone, q.slot("").String(), s.T("guess.done")))
			note = s.T("guess.note", "Guessed", len(q.Predictions), "Total", len(in.Questions))
		case len(q.Predictions) > 0:
			elems = append(elems, button(ActionPredictStart, q.slot("").String(), s.T("guess.change")))
		default:
			elems = append(elems, button(ActionPredictStart, q.slot("").String(), s.T("guess.start", "Other", other)))
			note += s.T("guess.offer", "Other", other)
		}
	}
	elems = append(elems, decline)
	return []slack.Block{contextBlock("submit_note", note), actions("footer", elems...)}
}

// renderOwnAnswers shows a respondent their own locked answers: never
// anyone else's.
func renderOwnAnswers(q Questionnaire, s speaker) Message {
	in := s.in
	var lines []string
	for _, question := range in.Questions {
		score, ok := q.Answers[question.ID]
		value := "—"
		if ok {
			value = fmt.Sprintf("*%d* %s", score, in.ScoreLabel(score))
		}
		line := fmt.Sprintf("%s · %s: %s", question.ID, question.Topic, value)
		if guess, ok := q.Predictions[question.ID]; ok {
			line += s.T("own.you_expected", "Other", s.short(q.Respondent.Role.Other()), "Score", guess)
		}
		lines = append(lines, line)
	}
	where := ChannelRef(q.Round.ChannelID)
	title := s.T("own.title_submitted", "Instrument", in.Name, "Role", s.role(q.Respondent.Role))
	status := s.T("own.submitted", "Channel", where)
	switch {
	case !q.Respondent.Submitted():
		title = s.T("own.title_closed", "Instrument", in.Name, "Role", s.role(q.Respondent.Role))
		status = s.T("own.revealed_without", "Channel", where)
	case q.Round.IsRevealed():
		status = s.T("own.revealed", "Channel", where)
		if url := q.Workspace.Permalink(q.Round.ChannelID, q.Round.RevealTS); url != "" {
			status = s.T("own.revealed_link", "Link", link(url, s.T("own.see_comparison")), "Channel", where)
		}
	}
	blocks := []slack.Block{header(title), section("status", status)}
	blocks = append(blocks, s.sections("own_answers", s.T("own.your_answers"), lines)...)
	if q.Respondent.Submitted() {
		if tier, err := in.TierFor(q.Answers); err == nil {
			own := s.tierName(tier)
			if len(in.Gates) == 0 {
				own = s.T("own.total", "Total", in.Total(q.Answers), "Max", in.MaxTotal(), "Tier", s.tierName(tier))
			}
			blocks = append(blocks, contextBlock("own_total", s.T("own.by_your_answers", "Result", own)))
		}
	}
	return Message{Text: status, Blocks: capBlocks(blocks, MaxBlocks, s.T("own.more"))}
}

// RenderQuestionnaireMoved replaces an older copy of the questionnaire once
// it continues in a newer message (a reminder the respondent opened), in the
// respondent's language.
func RenderQuestionnaireMoved(l locale.Lang, round storage.Round) Message {
	text := locale.For(l).T("questionnaire.moved", "Channel", ChannelRef(round.ChannelID))
	return Message{Text: text, Blocks: []slack.Block{section("moved", text)}}
}
