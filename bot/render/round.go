package render

import (
	"fmt"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/alignbot/alignbot/internal/locale"
	"github.com/alignbot/alignbot/scoring"
	"github.com/alignbot/alignbot/storage"
)

// RoundStatus is what the channel may know about a round before its reveal:
// who takes part and how far each is, never what they answered.
type RoundStatus struct {
	Instrument  *scoring.Instrument
	Round       storage.Round
	Respondents []storage.Respondent
	// Lang is the reader's language where one person reads it (status, the
	// App Home); the announcement and the deadline note, which the channel
	// reads, speak the round's.
	Lang locale.Lang
}

// Progress says how far a respondent is, never what they answered.
func Progress(l locale.Lang, r storage.Respondent) string {
	p := locale.For(l)
	switch {
	case r.Submitted():
		return p.T("progress.submitted")
	case r.Declined():
		return p.T("progress.declined")
	case r.Answered > 0:
		return p.T("progress.answering")
	default:
		return p.T("progress.not_started")
	}
}

// progressLine is "Marketing lead <@U1> ✓ submitted", for each respondent.
func (rs RoundStatus) progressLines(s speaker) []string {
	var progress []string
	for _, p := range rs.Respondents {
		progress = append(progress, fmt.Sprintf("%s %s %s", s.role(p.Role), Mention(p.UserID), Progress(s.Lang(), p)))
	}
	return progress
}

// RenderAnnouncement is the channel message that announces a round and then
// shows its progress, updated in place, in the round's language.
func RenderAnnouncement(rs RoundStatus) Message {
	r := rs.Round
	s := speak(roundLang(r), rs.Instrument)
	in := s.in
	progress := rs.progressLines(s)
	var people []string
	for _, p := range rs.Respondents {
		people = append(people, fmt.Sprintf("%s (%s)", Mention(p.UserID), s.role(p.Role)))
	}
	intro := s.T("announcement.intro", "Facilitator", Mention(r.FacilitatorID), "Instrument", in.Name,
		"Questions", s.N("questionnaire.questions", len(in.Questions)), "Minutes", s.N("questionnaire.minutes", in.Minutes),
		"People", s.JoinAnd(people))
	var state string
	switch r.State {
	case storage.Collecting:
		state = s.T("announcement.due", "Due", s.date(r.DeadlineAt))
	case storage.Revealed, storage.Closed:
		state = s.T("announcement.all_in")
		for _, p := range rs.Respondents {
			if !p.Submitted() {
				state = s.T("announcement.leads_in")
			}
		}
	case storage.Cancelled:
		state = s.T("announcement.cancelled")
		if r.CancelledBy != "" {
			state = s.T("announcement.cancelled_by", "User", Mention(r.CancelledBy))
		}
	}
	return Message{
		Text: s.T("announcement.fallback", "Round", r.ID, "Progress", strings.Join(progress, " · ")),
		Blocks: []slack.Block{
			header(s.T("announcement.title")),
			section("intro", intro),
			section("progress", strings.Join(progress, " · ")),
			contextBlock("state", state, s.T("announcement.details", "Round", r.ID)),
		},
	}
}

// RenderDeadlineMissingLead is the channel note at the deadline when a lead
// has not submitted: never a one-sided comparison.
func RenderDeadlineMissingLead(rs RoundStatus) Message {
	s := speak(roundLang(rs.Round), rs.Instrument)
	var waiting []string
	for _, p := range rs.Respondents {
		if !p.Submitted() && p.Role.IsLead() {
			state := s.T("deadline.not_submitted")
			if p.Declined() {
				state = s.T("deadline.declined")
			}
			waiting = append(waiting, fmt.Sprintf("%s (%s, %s)", Mention(p.UserID), s.role(p.Role), state))
		}
	}
	text := s.T("deadline.text", "Round", rs.Round.ID, "Waiting", s.JoinAnd(waiting), "Facilitator", Mention(rs.Round.FacilitatorID))
	return Message{Text: text, Blocks: []slack.Block{section("deadline", text)}}
}

// RenderDeclined tells the facilitator, by DM in their language l, that a
// respondent declined.
func RenderDeclined(l locale.Lang, in *scoring.Instrument, round storage.Round, who storage.Respondent) Message {
	s := speak(l, in)
	what := s.T("declined.observer")
	if who.Role.IsLead() {
		what = s.T("declined.lead")
	}
	text := s.T("declined.text", "User", Mention(who.UserID), "Role", s.role(who.Role), "Round", round.ID,
		"Channel", ChannelRef(round.ChannelID), "What", what)
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
	s := q.speaker()
	in := s.in
	total := len(in.Questions)
	left := total - len(q.Answers)
	var what, label string
	switch {
	case left == 0:
		what = s.N("nudge.all_answered", total)
		label = s.T("nudge.review")
	case left == total:
		what = s.T("nudge.to_start", "Questions", s.N("questionnaire.questions", total), "Minutes", s.N("questionnaire.minutes", in.Minutes))
		label = s.T("nudge.start")
	default:
		what = s.N("nudge.left", left, "Questions", strings.Join(in.Unanswered(q.Answers), ", "))
		label = s.T("nudge.continue")
	}
	where := ChannelRef(q.Round.ChannelID)
	text := s.T("nudge.text", "Channel", where, "What", what, "Due", s.date(q.Round.DeadlineAt))
	if kind == NudgeFinal || !now.Before(q.Round.DeadlineAt) {
		text = s.T("nudge.final", "Channel", where, "What", what)
	}
	slot := Slot{Round: q.Round.ID, Role: q.Respondent.Role}
	decline := declineButton(s, slot.String())
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

// RenderNudgeDone replaces a reminder once it has served, saying why, in
// the respondent's language l.
func RenderNudgeDone(l locale.Lang, round storage.Round, why NudgeEnd) Message {
	p := locale.For(l)
	where := ChannelRef(round.ChannelID)
	var text string
	switch why {
	case NudgeSubmitted:
		text = p.T("nudge_done.submitted", "Channel", where)
	case NudgeDeclined:
		text = p.T("nudge_done.declined", "Channel", where)
	case NudgeRoundOver:
		text = p.T("nudge_done.round_over", "Channel", where)
	default:
		text = p.T("questionnaire.moved", "Channel", where)
	}
	return Message{Text: text, Blocks: []slack.Block{contextBlock("done", text)}}
}

// RenderRerunReminder books the team's next round: a week before and on the
// day, with a one-click start using the same people, in the round's
// language.
func RenderRerunReminder(in *scoring.Instrument, round storage.Round, respondents []storage.Respondent, every time.Duration, today bool) Message {
	s := speak(roundLang(round), in)
	when := s.T("rerun.due", "Day", s.day(*round.NextRoundAt))
	if today {
		when = s.T("rerun.due_today")
	}
	var people []string
	for _, r := range respondents {
		people = append(people, fmt.Sprintf("%s (%s)", Mention(r.UserID), s.role(r.Role)))
	}
	text := s.T("rerun.text", "When", when, "Interval", s.Interval(every), "Round", round.ID, "Instrument", s.in.Name,
		"People", s.JoinAnd(people))
	return Message{Text: text, Blocks: []slack.Block{
		section("rerun", text),
		actions("rerun_actions", primary(button(ActionStartNext, RoundValue(round.ID), s.T("rerun.start")))),
	}}
}

// Parked is what the facilitator is told when a delivery was given up.
type Parked struct {
	// Lang is the facilitator's language.
	Lang  locale.Lang
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
	pr := locale.For(p.Lang)
	text := pr.T("parked.text", "What", p.What, "Round", p.Round.ID, "Channel", ChannelRef(p.Round.ChannelID),
		"Why", SlackErrorMeaning(p.Lang, p.SlackError, p.Round.ChannelID), "Advice", p.Advice)
	return Message{Text: text, Blocks: []slack.Block{section("parked", text)}}
}

// SlackErrorMeaning says, in l, what a Slack error code means for a
// delivery.
func SlackErrorMeaning(l locale.Lang, code, channelID string) string {
	p := locale.For(l)
	switch code {
	case "":
		return p.T("slack_error.kept_failing")
	case "msg_too_long", "invalid_blocks", "invalid_blocks_format", "no_text":
		return p.T("slack_error.refused_message", "Code", code)
	case "not_in_channel", "channel_not_found", "is_archived":
		return p.T("slack_error.not_in_channel", "Channel", ChannelRef(channelID), "Code", code)
	case "user_disabled", "user_not_found", "account_inactive":
		return p.T("slack_error.deactivated", "Code", code)
	case "cannot_dm_bot", "user_is_bot":
		return p.T("slack_error.bot", "Code", code)
	case "ratelimited":
		return p.T("slack_error.ratelimited")
	case "invalid_auth", "not_authed", "token_revoked", "missing_scope":
		return p.T("slack_error.token", "Code", code)
	}
	return p.T("slack_error.unknown", "Code", code)
}
