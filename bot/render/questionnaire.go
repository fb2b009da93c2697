package render

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/slack-go/slack"

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
}

// NewQuestionnaire is the view of a questionnaire as stored.
func NewQuestionnaire(in *scoring.Instrument, q storage.Questionnaire, w Workspace) Questionnaire {
	return Questionnaire{Instrument: in, Round: q.Round, Respondent: q.Respondent, Answers: q.Answers, Predictions: q.Predictions, Workspace: w}
}

func (q Questionnaire) slot(question string) Slot {
	return Slot{Round: q.Round.ID, Role: q.Respondent.Role, Question: question}
}

func (q Questionnaire) other() string {
	return q.Instrument.RoleLabel(q.Respondent.Role.Other())
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
	switch {
	case q.Round.State == storage.Cancelled:
		text := fmt.Sprintf("The alignment round in %s was cancelled. Your answers were not shared with anyone.", ChannelRef(q.Round.ChannelID))
		return Message{Text: text, Blocks: []slack.Block{header(q.Instrument.Name), section("closed", text)}}
	case q.Respondent.Declined():
		text := fmt.Sprintf("You declined the alignment round in %s. Nothing you answered is shared, and I won't remind you about it.", ChannelRef(q.Round.ChannelID))
		return Message{Text: text, Blocks: []slack.Block{header(q.Instrument.Name), section("closed", text)}}
	case q.Respondent.Submitted() || q.Round.State != storage.Collecting:
		return renderOwnAnswers(q)
	}
	in := q.Instrument
	total := len(in.Questions)
	answered := len(q.Answers)
	open := q.openQuestion()

	blocks := []slack.Block{
		header(fmt.Sprintf("%s · %s", in.Name, in.RoleLabel(q.Respondent.Role))),
		section("intro", fmt.Sprintf("*%d questions, about %d minutes.* Score each practice as it really works in %s today. "+
			"Your answers stay private until everyone has submitted; you can change them until you press Submit. Due %s.",
			total, in.Minutes, ChannelRef(q.Round.ChannelID), Date(q.Round.DeadlineAt))),
		contextBlock("progress", progressText(answered, total)),
	}
	var waiting []string
	for _, question := range in.Questions {
		switch {
		case question.ID == open && q.Predicting:
			blocks = append(blocks, q.predictionCard(question)...)
		case question.ID == open:
			blocks = append(blocks, q.answerCard(question)...)
		case q.answered(question.ID):
			blocks = append(blocks, q.answeredLine(question))
		default:
			waiting = append(waiting, question.ID)
		}
	}
	if len(waiting) > 0 {
		blocks = append(blocks, contextBlock("waiting", "Still to answer: "+strings.Join(waiting, ", ")))
	}
	blocks = append(blocks, q.footer(answered == total)...)
	return Message{Text: q.fallback(answered, total), Blocks: capBlocks(blocks, MaxBlocks, "More in the next update.")}
}

func (q Questionnaire) fallback(answered, total int) string {
	where := ChannelRef(q.Round.ChannelID)
	switch {
	case answered == 0:
		return fmt.Sprintf("Please answer the %d-question alignment diagnostic for %s, about %d minutes. Due %s.",
			total, where, q.Instrument.Minutes, Day(q.Round.DeadlineAt))
	case answered == total:
		return fmt.Sprintf("All %d answered for %s: check them and press Submit.", total, where)
	}
	return fmt.Sprintf("Your alignment questionnaire for %s: %d of %d answered. Answer the next question.", where, answered, total)
}

func progressText(answered, total int) string {
	if answered == total {
		return fmt.Sprintf("*All %d answered.*", total)
	}
	return fmt.Sprintf("*%d of %d answered* · %d to go", answered, total, total-answered)
}

// answeredLine folds an answered question to one line.
func (q Questionnaire) answeredLine(question scoring.Question) slack.Block {
	in := q.Instrument
	score := q.Answers[question.ID]
	text := fmt.Sprintf("✓ *%s · %s*: *%d* %s", question.ID, question.Topic, score, in.ScoreLabel(score))
	if guess, ok := q.Predictions[question.ID]; ok {
		text += fmt.Sprintf(" · you expect %s: *%d*", in.RoleShort(q.Respondent.Role.Other()), guess)
	}
	b := button(ActionChange, q.slot(question.ID).String(), "Change")
	if q.Predicting {
		b = button(ActionPredictStart, q.slot(question.ID).String(), "Guess")
	}
	return sectionWith("line:"+question.ID, text, b)
}

// rubric lists what each score means for a question, in the buttons' order.
func (q Questionnaire) rubric(question scoring.Question) string {
	in := q.Instrument
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

func (q Questionnaire) scoreButtons(prefix string, chosen int, has bool) []slack.BlockElement {
	in := q.Instrument
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

func (q Questionnaire) answerCard(question scoring.Question) []slack.Block {
	in := q.Instrument
	text := fmt.Sprintf("*%s · %s* (%d of %d)\n%s", question.ID, question.Topic, in.QuestionIndex(question.ID)+1, len(in.Questions), question.Prompt)
	if question.Gate != "" {
		text += fmt.Sprintf("\n_%s_", question.Gate)
	}
	score, has := q.Answers[question.ID]
	return []slack.Block{
		section("q:"+question.ID, text),
		contextBlock("c:"+question.ID, q.rubric(question)),
		actions(BlockAnswerPrefix+q.slot(question.ID).String(), q.scoreButtons(ActionAnswer, score, has)...),
	}
}

func (q Questionnaire) predictionCard(question scoring.Question) []slack.Block {
	in := q.Instrument
	own := q.Answers[question.ID]
	text := fmt.Sprintf("*%s · %s*: you answered *%d* %s.\nWhat do you expect the %s answered?",
		question.ID, question.Topic, own, in.ScoreLabel(own), strings.ToLower(q.other()))
	guess, has := q.Predictions[question.ID]
	buttons := q.scoreButtons(ActionPredict, guess, has)
	if next := q.nextAfter(question.ID); next != "" {
		buttons = append(buttons, button(ActionPredictStart, q.slot(next).String(), "Skip"))
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

func (q Questionnaire) footer(complete bool) []slack.Block {
	in := q.Instrument
	decline := button(ActionDecline, q.slot("").String(), "Not me / decline")
	decline.Confirm = slack.NewConfirmationBlockObject(plain("Decline this round?"),
		plain("The person who started it is told, so they can ask someone else. Nothing you answered is shared."),
		plain("Decline"), plain("Keep it"))
	if !complete {
		return []slack.Block{actions("footer", decline)}
	}
	submit := primary(button(ActionSubmit, RoundValue(q.Round.ID), "Submit answers"))
	submit.Confirm = slack.NewConfirmationBlockObject(plain("Submit your answers?"),
		plain("They are locked once submitted. Nobody sees them until everyone has submitted."),
		plain("Submit"), plain("Keep editing"))
	note := "Check your answers, then submit: they lock, and nobody sees them until everyone has submitted."
	elems := []slack.BlockElement{submit}
	if q.Respondent.Role.IsLead() {
		other := strings.ToLower(q.other())
		switch {
		case q.Predicting:
			elems = append(elems, button(ActionPredictDone, q.slot("").String(), "Done guessing"))
			note = fmt.Sprintf("Guessing is optional and as private as your answers: the reveal shows how well each lead read the other. Guessed %d of %d.",
				len(q.Predictions), len(in.Questions))
		case len(q.Predictions) > 0:
			elems = append(elems, button(ActionPredictStart, q.slot("").String(), "Change your guesses"))
		default:
			elems = append(elems, button(ActionPredictStart, q.slot("").String(), fmt.Sprintf("Guess the %s's answers (optional)", other)))
			note += fmt.Sprintf(" Optional, before you do: guess what the %s answered; the reveal shows how well you read each other.", other)
		}
	}
	elems = append(elems, decline)
	return []slack.Block{contextBlock("submit_note", note), actions("footer", elems...)}
}

// renderOwnAnswers shows a respondent their own locked answers: never
// anyone else's.
func renderOwnAnswers(q Questionnaire) Message {
	in := q.Instrument
	var lines []string
	for _, question := range in.Questions {
		score, ok := q.Answers[question.ID]
		value := "—"
		if ok {
			value = fmt.Sprintf("*%d* %s", score, in.ScoreLabel(score))
		}
		line := fmt.Sprintf("%s · %s: %s", question.ID, question.Topic, value)
		if guess, ok := q.Predictions[question.ID]; ok {
			line += fmt.Sprintf(" (you expected %s: %d)", in.RoleShort(q.Respondent.Role.Other()), guess)
		}
		lines = append(lines, line)
	}
	where := ChannelRef(q.Round.ChannelID)
	title := fmt.Sprintf("%s · %s · submitted", in.Name, in.RoleLabel(q.Respondent.Role))
	status := fmt.Sprintf("Submitted. Your answers are locked and stay hidden until everyone has submitted; then the comparison is posted in %s.", where)
	switch {
	case !q.Respondent.Submitted():
		title = fmt.Sprintf("%s · %s · closed", in.Name, in.RoleLabel(q.Respondent.Role))
		status = fmt.Sprintf("The round was revealed in %s without your answers: they were not in by the deadline and were not shared.", where)
	case q.Round.IsRevealed():
		status = fmt.Sprintf("Everyone is in: the comparison is posted in %s.", where)
		if url := q.Workspace.Permalink(q.Round.ChannelID, q.Round.RevealTS); url != "" {
			status = fmt.Sprintf("Everyone is in: %s in %s.", link(url, "see the comparison"), where)
		}
	}
	blocks := []slack.Block{header(title), section("status", status)}
	blocks = append(blocks, sections("own_answers", "*Your answers*", lines)...)
	if q.Respondent.Submitted() {
		if tier, err := in.TierFor(q.Answers); err == nil {
			own := tier.String()
			if len(in.Gates) == 0 {
				own = fmt.Sprintf("*%d of %d*, %s", in.Total(q.Answers), in.MaxTotal(), tier)
			}
			blocks = append(blocks, contextBlock("own_total", "By your answers: "+own))
		}
	}
	return Message{Text: status, Blocks: capBlocks(blocks, MaxBlocks, "More answers than one message holds.")}
}

// RenderQuestionnaireMoved replaces an older copy of the questionnaire once
// it continues in a newer message (a reminder the respondent opened).
func RenderQuestionnaireMoved(round storage.Round) Message {
	text := fmt.Sprintf("Your questionnaire for %s continues in the newer message below.", ChannelRef(round.ChannelID))
	return Message{Text: text, Blocks: []slack.Block{section("moved", text)}}
}
