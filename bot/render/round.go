package render

import (
	"fmt"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/alignbot/alignbot/scoring"
	"github.com/alignbot/alignbot/storage"
)

// RoundStatus is what the channel may know about a round before its reveal:
// who takes part and how far each is, never what they answered.
type RoundStatus struct {
	Instrument  *scoring.Instrument
	Round       storage.Round
	Respondents []storage.Respondent
}

// Progress says how far a respondent is, never what they answered.
func Progress(r storage.Respondent) string {
	switch {
	case r.Submitted():
		return "✓ submitted"
	case r.Declined():
		return "— declined"
	case r.Answered > 0:
		return "— answering"
	default:
		return "— not started"
	}
}

func (s RoundStatus) people() string {
	var people []string
	for _, p := range s.Respondents {
		people = append(people, fmt.Sprintf("%s (%s)", Mention(p.UserID), s.Instrument.RoleLabel(p.Role)))
	}
	return JoinAnd(people)
}

// RenderAnnouncement is the channel message that announces a round and then
// shows its progress, updated in place.
func RenderAnnouncement(s RoundStatus) Message {
	r, in := s.Round, s.Instrument
	var progress []string
	for _, p := range s.Respondents {
		progress = append(progress, fmt.Sprintf("%s %s %s", in.RoleLabel(p.Role), Mention(p.UserID), Progress(p)))
	}
	intro := fmt.Sprintf("%s started a round of the *%s* (%d questions, about %d minutes). %s each answer on their own, in a DM from me. "+
		"*Answers stay hidden until everyone has submitted*; then I post the comparison here, question by question.",
		Mention(r.FacilitatorID), in.Name, len(in.Questions), in.Minutes, s.people())
	var state string
	switch r.State {
	case storage.Collecting:
		state = fmt.Sprintf("Due %s.", Date(r.DeadlineAt))
	case storage.Revealed, storage.Closed:
		state = "*All answers are in.* The comparison is below."
		for _, p := range s.Respondents {
			if !p.Submitted() {
				state = "*Both leads' answers are in.* The comparison is below."
			}
		}
	case storage.Cancelled:
		state = "*Cancelled.* No answers were shared."
		if r.CancelledBy != "" {
			state = fmt.Sprintf("*Cancelled by %s.* No answers were shared.", Mention(r.CancelledBy))
		}
	}
	return Message{
		Text: fmt.Sprintf("Alignment round %d in progress: %s", r.ID, strings.Join(progress, " · ")),
		Blocks: []slack.Block{
			header("Marketing-Sales alignment round"),
			section("intro", intro),
			section("progress", strings.Join(progress, " · ")),
			contextBlock("state", state, fmt.Sprintf("Round %d · `/alignment status` for details", r.ID)),
		},
	}
}

// RenderDeadlineMissingLead is the channel note at the deadline when a lead
// has not submitted: never a one-sided comparison.
func RenderDeadlineMissingLead(s RoundStatus) Message {
	var waiting []string
	for _, p := range s.Respondents {
		if !p.Submitted() && p.Role.IsLead() {
			state := "has not submitted"
			if p.Declined() {
				state = "declined"
			}
			waiting = append(waiting, fmt.Sprintf("%s (%s, %s)", Mention(p.UserID), s.Instrument.RoleLabel(p.Role), state))
		}
	}
	text := fmt.Sprintf("The deadline for round %d has passed. Still waiting on %s: the comparison needs both leads, so it is posted as soon as they submit. "+
		"%s can give more time with `/alignment extend 3d` or stop with `/alignment cancel`.",
		s.Round.ID, JoinAnd(waiting), Mention(s.Round.FacilitatorID))
	return Message{Text: text, Blocks: []slack.Block{section("deadline", text)}}
}

// RenderDeclined tells the facilitator, by DM, that a respondent declined.
func RenderDeclined(in *scoring.Instrument, round storage.Round, who storage.Respondent) Message {
	what := "The round goes on without them."
	if who.Role.IsLead() {
		what = "The comparison needs both leads: `/alignment cancel` in the channel, then start again with someone else."
	}
	text := fmt.Sprintf("%s (%s) declined round %d in %s. %s",
		Mention(who.UserID), in.RoleLabel(who.Role), round.ID, ChannelRef(round.ChannelID), what)
	return Message{Text: text, Blocks: []slack.Block{section("declined", text)}}
}

// NudgeKind is where a respondent's reminder falls in the round's life.
type NudgeKind int

// The kinds of respondent reminder.
const (
	// NudgeWaiting reminds before the deadline.
	NudgeWaiting NudgeKind = iota
	// NudgeFinal is the one notice at the deadline; no reminder follows.
	NudgeFinal
)

// RenderRespondentNudge is the private reminder to a respondent, with a
// button that opens their questionnaire where they left off. It is sent only
// to them; the channel never hears who is late before the deadline.
func RenderRespondentNudge(q Questionnaire, kind NudgeKind, now time.Time) Message {
	in := q.Instrument
	total := len(in.Questions)
	left := total - len(q.Answers)
	var what, label string
	switch {
	case left == 0:
		what = fmt.Sprintf("all %d questions are answered and waiting for you to submit", total)
		label = "Review and submit"
	case left == total:
		what = fmt.Sprintf("%d questions, about %d minutes", total, in.Minutes)
		label = "Start answering"
	default:
		what = fmt.Sprintf("%s left (%s)", plural(left, "question"), strings.Join(in.Unanswered(q.Answers), ", "))
		label = "Continue where you left off"
	}
	text := fmt.Sprintf("A reminder about your alignment questionnaire for %s: %s. Due %s. Your answers stay private until everyone has submitted.",
		ChannelRef(q.Round.ChannelID), what, Date(q.Round.DeadlineAt))
	if kind == NudgeFinal || !now.Before(q.Round.DeadlineAt) {
		text = fmt.Sprintf("The deadline for your alignment questionnaire for %s has passed, and the team is waiting on your answers: %s. "+
			"The comparison is posted as soon as both leads have submitted. This is my last reminder.", ChannelRef(q.Round.ChannelID), what)
	}
	slot := Slot{Round: q.Round.ID, Role: q.Respondent.Role}
	decline := button(ActionDecline, slot.String(), "Not me / decline")
	decline.Confirm = slack.NewConfirmationBlockObject(plain("Decline this round?"),
		plain("The person who started it is told, so they can ask someone else. Nothing you answered is shared."),
		plain("Decline"), plain("Keep it"))
	return Message{Text: text, Blocks: []slack.Block{
		section("nudge", text),
		actions("nudge_actions", primary(button(ActionContinue, slot.String(), label)), decline),
	}}
}

// NudgeEnd is why a reminder no longer invites anyone to act.
type NudgeEnd int

const (
	// NudgeMoved: a newer reminder, or the questionnaire, took its place.
	NudgeMoved NudgeEnd = iota
	// NudgeSubmitted: the respondent submitted.
	NudgeSubmitted
	// NudgeDeclined: the respondent declined the round.
	NudgeDeclined
	// NudgeRoundOver: the round was revealed or cancelled.
	NudgeRoundOver
)

// RenderNudgeDone replaces a reminder once it has served, saying why.
func RenderNudgeDone(round storage.Round, why NudgeEnd) Message {
	where := ChannelRef(round.ChannelID)
	var text string
	switch why {
	case NudgeSubmitted:
		text = fmt.Sprintf("Thank you: your answers for %s are in.", where)
	case NudgeDeclined:
		text = fmt.Sprintf("You declined the round for %s; the person who started it was told.", where)
	case NudgeRoundOver:
		text = fmt.Sprintf("The round for %s is over: your questionnaire says how it ended.", where)
	default:
		text = fmt.Sprintf("Your questionnaire for %s continues in the newer message below.", where)
	}
	return Message{Text: text, Blocks: []slack.Block{contextBlock("done", text)}}
}

// RenderRerunReminder books the team's next round: a week before and on the
// day, with a one-click start using the same people.
func RenderRerunReminder(in *scoring.Instrument, round storage.Round, respondents []storage.Respondent, every time.Duration, today bool) Message {
	when := fmt.Sprintf("is due %s", Day(*round.NextRoundAt))
	if today {
		when = "is due today"
	}
	var people []string
	for _, r := range respondents {
		people = append(people, fmt.Sprintf("%s (%s)", Mention(r.UserID), in.RoleLabel(r.Role)))
	}
	text := fmt.Sprintf("The next alignment round %s: %s since round %d of the *%s*. Moving a tier takes 60 to 90 days of steady work; "+
		"running the diagnostic again shows whether it happened, and whether the owned gaps closed. Same people as last time: %s.",
		when, Interval(every), round.ID, in.Name, JoinAnd(people))
	return Message{Text: text, Blocks: []slack.Block{
		section("rerun", text),
		actions("rerun_actions", primary(button(ActionStartNext, RoundValue(round.ID), "Start next round"))),
	}}
}

// Parked is what the facilitator is told when a delivery was given up.
type Parked struct {
	Round storage.Round
	// What was not delivered: "the questionnaire to <@U1> (Marketing lead)".
	What string
	// SlackError is Slack's error code, "" when Slack kept failing.
	SlackError string
	// Advice says what the facilitator can do.
	Advice string
}

// RenderParked tells a round's facilitator, by DM, that something could not
// be delivered, why (in Slack's words made plain) and what to do.
func RenderParked(p Parked) Message {
	text := fmt.Sprintf("I couldn't deliver %s for round %d in %s: %s. %s",
		p.What, p.Round.ID, ChannelRef(p.Round.ChannelID), SlackErrorMeaning(p.SlackError, p.Round.ChannelID), p.Advice)
	return Message{Text: text, Blocks: []slack.Block{section("parked", text)}}
}

// SlackErrorMeaning says what a Slack error code means for a delivery.
func SlackErrorMeaning(code, channelID string) string {
	switch code {
	case "":
		return "Slack kept failing, even after ten tries"
	case "msg_too_long", "invalid_blocks", "invalid_blocks_format", "no_text":
		return fmt.Sprintf("Slack refused the message itself (%s); this is a bug in alignbot, please report it", code)
	case "not_in_channel", "channel_not_found", "is_archived":
		return fmt.Sprintf("I'm not a member of %s (Slack: %s); invite me with `/invite @alignbot`", ChannelRef(channelID), code)
	case "user_disabled", "user_not_found", "account_inactive":
		return fmt.Sprintf("the person's account is deactivated (Slack: %s)", code)
	case "cannot_dm_bot", "user_is_bot":
		return fmt.Sprintf("the person is a bot (Slack: %s)", code)
	case "ratelimited":
		return "Slack kept asking me to slow down"
	case "invalid_auth", "not_authed", "token_revoked", "missing_scope":
		return fmt.Sprintf("Slack refused my token (%s); an admin needs to reinstall alignbot", code)
	}
	return "Slack answered " + code
}
