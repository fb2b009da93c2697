package bot

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/alignbot/alignbot/scoring"
	"github.com/alignbot/alignbot/storage"
)

// Rendering turns domain values into Block Kit. Nothing here talks to Slack or
// the database, so every message can be golden-tested.

// Message is what the bot posts: blocks plus the plain-text fallback Slack
// shows in notifications and screen readers.
type Message struct {
	Text   string
	Blocks []slack.Block
}

func (m Message) options() []slack.MsgOption {
	return []slack.MsgOption{slack.MsgOptionText(m.Text, false), slack.MsgOptionBlocks(m.Blocks...)}
}

// Action and block IDs: the wire contract between the messages the bot
// renders and the handlers that receive clicks on them.
const (
	actionAnswer       = "answer"    // answer_0 … answer_2, value = score, block answer:<round>:<question>
	actionSubmit       = "submit"    // value = round ID
	actionAssign       = "assign"    // value = <round>:<question>
	actionAddressed    = "addressed" // value = <round>:<question>
	actionStatus       = "status"    // status_done … , value = <round>:<question>
	actionStartNext    = "start_next"
	blockAnswerPrefix  = "answer:"
	callbackStartRound = "start_round"
	callbackAssign     = "assign_owner"
	callbackBlocked    = "action_blocked"
)

var scoreButtonLabels = []string{"Not in place", "Partial", "Fully in place"}

func mention(userID string) string { return "<@" + userID + ">" }

func channelRef(channelID string) string { return "<#" + channelID + ">" }

// date renders t in each reader's own time zone; fallback is UTC.
func date(t time.Time) string {
	return fmt.Sprintf("<!date^%d^{date_short_pretty} at {time}|%s>", t.Unix(), t.UTC().Format("Mon 2 Jan 2006 15:04 UTC"))
}

func dayDate(t time.Time) string {
	return fmt.Sprintf("<!date^%d^{date_long}|%s>", t.Unix(), t.UTC().Format("Mon 2 Jan 2006"))
}

func mrkdwn(text string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.MarkdownType, text, false, false)
}

func plain(text string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.PlainTextType, text, true, false)
}

func section(blockID, text string) *slack.SectionBlock {
	return slack.NewSectionBlock(mrkdwn(text), nil, nil, slack.SectionBlockOptionBlockID(blockID))
}

func contextBlock(blockID string, texts ...string) *slack.ContextBlock {
	var elems []slack.MixedElement
	for _, t := range texts {
		elems = append(elems, mrkdwn(t))
	}
	return slack.NewContextBlock(blockID, elems...)
}

func header(text string) *slack.HeaderBlock {
	return slack.NewHeaderBlock(plain(text))
}

func button(actionID, value, text string) *slack.ButtonBlockElement {
	return slack.NewButtonBlockElement(actionID, value, plain(text))
}

// Questionnaire is one respondent's view of their own answers.
type Questionnaire struct {
	Instrument *scoring.Instrument
	Round      storage.Round
	Role       scoring.Role
	Answers    scoring.Answers
	Submitted  bool
}

// renderQuestionnaire is the DM a respondent answers in: one card per
// question with its criteria and three buttons, progress, and Submit. Once
// submitted, or when the round is over, it shows only the respondent's own
// answers.
func renderQuestionnaire(q Questionnaire) Message {
	in := q.Instrument
	answered := len(q.Answers)
	total := len(in.Questions)
	switch {
	case q.Round.State == storage.Cancelled:
		return Message{
			Text: "This alignment round was cancelled.",
			Blocks: []slack.Block{
				header(in.Name),
				section("closed", fmt.Sprintf("The round for %s was cancelled. Your answers were not shared with anyone.", channelRef(q.Round.ChannelID))),
			},
		}
	case q.Submitted || q.Round.State != storage.Collecting:
		return renderOwnAnswers(q)
	}

	blocks := []slack.Block{
		header(fmt.Sprintf("%s · %s", in.Name, q.Role.Label())),
		section("intro", fmt.Sprintf(
			"Score each practice as it really works in %s today: *0* not in place or only informal, *1* partial or inconsistent, *2* fully in place and both teams would agree.\n"+
				"Answer on your own. *Nobody sees your answers until everyone has submitted*; you can change them until you press Submit. Due %s.",
			channelRef(q.Round.ChannelID), date(q.Round.DeadlineAt))),
		contextBlock("progress", progressText(answered, total)),
	}
	for _, question := range in.Questions {
		blocks = append(blocks, questionCard(q.Round.ID, q.Role, question, q.Answers)...)
	}
	blocks = append(blocks, submitBlocks(q.Round.ID, in, q.Answers)...)
	return Message{
		Text:   fmt.Sprintf("Your alignment diagnostic for %s: %s", channelRef(q.Round.ChannelID), progressText(answered, total)),
		Blocks: blocks,
	}
}

func progressText(answered, total int) string {
	return fmt.Sprintf("*%d of %d answered*", answered, total)
}

func questionCard(roundID int64, role scoring.Role, q scoring.Question, answers scoring.Answers) []slack.Block {
	text := fmt.Sprintf("*%s · %s*\n%s", q.ID, q.Topic, q.Prompt)
	score, answered := answers[q.ID]
	if answered {
		text += fmt.Sprintf("\nYour answer: *%d*", score)
	}
	var criteria []string
	for _, c := range q.Criteria {
		criteria = append(criteria, fmt.Sprintf("*%d* if: %s", c.Score, c.When))
	}
	var buttons []slack.BlockElement
	for s := 0; s < len(q.Criteria); s++ {
		label := fmt.Sprintf("%d · %s", s, scoreButtonLabels[min(s, len(scoreButtonLabels)-1)])
		b := button(fmt.Sprintf("%s_%d", actionAnswer, s), strconv.Itoa(s), label)
		if answered && score == s {
			b.Text = plain(label + " ✓")
			b.Style = slack.StylePrimary
		}
		buttons = append(buttons, b)
	}
	return []slack.Block{
		section("q:"+q.ID, text),
		contextBlock("c:"+q.ID, strings.Join(criteria, "\n")),
		slack.NewActionBlock(fmt.Sprintf("%s%d:%s:%s", blockAnswerPrefix, roundID, role, q.ID), buttons...),
	}
}

func submitBlocks(roundID int64, in *scoring.Instrument, answers scoring.Answers) []slack.Block {
	var note string
	if missing := in.Unanswered(answers); len(missing) > 0 {
		note = fmt.Sprintf("Still open: %s. Submit locks your answers once all %d are in.", strings.Join(missing, ", "), len(in.Questions))
	} else {
		note = "All answered. Submit locks your answers; nobody sees them until everyone has submitted."
	}
	submit := button(actionSubmit, strconv.FormatInt(roundID, 10), "Submit answers")
	submit.Style = slack.StylePrimary
	submit.Confirm = slack.NewConfirmationBlockObject(
		plain("Submit your answers?"),
		plain("They are locked once submitted. Nobody sees them until everyone has submitted."),
		plain("Submit"), plain("Keep editing"))
	return []slack.Block{
		contextBlock("submit_note", note),
		slack.NewActionBlock("submit", submit),
	}
}

// renderOwnAnswers shows a respondent their own locked answers: never anyone
// else's.
func renderOwnAnswers(q Questionnaire) Message {
	in := q.Instrument
	var lines []string
	for _, question := range in.Questions {
		score, ok := q.Answers[question.ID]
		value := "—"
		if ok {
			value = strconv.Itoa(score)
		}
		lines = append(lines, fmt.Sprintf("%s · %s: *%s*", question.ID, question.Topic, value))
	}
	status := fmt.Sprintf("Submitted. Your answers are locked and stay hidden until everyone has submitted; then the comparison is posted in %s.", channelRef(q.Round.ChannelID))
	title := fmt.Sprintf("%s · %s · submitted", in.Name, q.Role.Label())
	if !q.Submitted {
		title = fmt.Sprintf("%s · %s · closed", in.Name, q.Role.Label())
		status = fmt.Sprintf("The round was revealed in %s without your answers: they were not in by the deadline and were not shared.", channelRef(q.Round.ChannelID))
	} else if q.Round.IsRevealed() {
		status = fmt.Sprintf("Everyone is in: the comparison is posted in %s.", channelRef(q.Round.ChannelID))
	}
	blocks := []slack.Block{
		header(title),
		section("status", status),
		section("own_answers", strings.Join(lines, "\n")),
	}
	if q.Submitted {
		if tier, err := in.TierFor(in.Total(q.Answers)); err == nil {
			blocks = append(blocks, contextBlock("own_total",
				fmt.Sprintf("Your total: *%d of %d* (%s)", in.Total(q.Answers), in.MaxTotal(), tier)))
		}
	}
	return Message{Text: status, Blocks: blocks}
}

// RoundStatus is what the channel may know about a round before its reveal:
// who takes part and how far each is, never what they answered.
type RoundStatus struct {
	Instrument  *scoring.Instrument
	Round       storage.Round
	Respondents []storage.Respondent
}

func respondentProgress(r storage.Respondent) string {
	switch {
	case r.Submitted():
		return "✓ submitted"
	case r.Answered > 0:
		return "— answering"
	default:
		return "— not started"
	}
}

// renderAnnouncement is the channel message that announces a round and then
// shows its progress, updated in place.
func renderAnnouncement(s RoundStatus) Message {
	r := s.Round
	var people, progress []string
	for _, p := range s.Respondents {
		people = append(people, fmt.Sprintf("%s (%s)", mention(p.UserID), p.Role.Label()))
		progress = append(progress, fmt.Sprintf("%s %s %s", p.Role.Label(), mention(p.UserID), respondentProgress(p)))
	}
	intro := fmt.Sprintf("%s started a round of the *%s*. %s each answer %d questions on their own, in a DM from me. "+
		"*Answers stay hidden until everyone has submitted*; then I post the comparison here, question by question.",
		mention(r.FacilitatorID), s.Instrument.Name, joinAnd(people), len(s.Instrument.Questions))
	var state string
	switch r.State {
	case storage.Collecting:
		state = fmt.Sprintf("Due %s.", date(r.DeadlineAt))
	case storage.Revealed, storage.Closed:
		state = "*All answers are in.* The comparison is below."
	case storage.Cancelled:
		state = "*Cancelled.* No answers were shared."
		if r.CancelledBy != "" {
			state = fmt.Sprintf("*Cancelled by %s.* No answers were shared.", mention(r.CancelledBy))
		}
	}
	return Message{
		Text: fmt.Sprintf("Alignment round %d: %s", r.ID, strings.Join(progress, " · ")),
		Blocks: []slack.Block{
			header("Marketing-Sales alignment round"),
			section("intro", intro),
			section("progress", strings.Join(progress, " · ")),
			contextBlock("state", state, fmt.Sprintf("Round %d · `/alignment status` for details", r.ID)),
		},
	}
}

func joinAnd(items []string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	case 2:
		return items[0] + " and " + items[1]
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}
