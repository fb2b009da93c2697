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

// OwnerKind is why an owner's message goes out.
type OwnerKind int

// The occasions of an owner's message.
const (
	OwnerAssigned OwnerKind = iota
	OwnerReminder
	OwnerDueToday
	OwnerOverdue
	// OwnerUpdated is the message after its owner changed the status.
	OwnerUpdated
)

// OwnerDM is the owner's one live message about their action.
type OwnerDM struct {
	Instrument *scoring.Instrument
	Round      storage.Round
	Action     storage.Action
	// Result is the question in the round: why the gap matters.
	Result    scoring.QuestionResult
	FixIt     bool
	Kind      OwnerKind
	Now       time.Time
	Workspace Workspace
	// Lang is the owner's language.
	Lang locale.Lang
}

// RenderOwnerDM is an owner's DM: why the gap matters (both leads' scores),
// the action and its due date, a link to the reveal, and the buttons to
// report progress.
func RenderOwnerDM(d OwnerDM) Message {
	s := speak(d.Lang, d.Instrument)
	a, round := d.Action, d.Round
	q := s.question(d.Result.Question)
	where := ChannelRef(round.ChannelID)
	list := s.T("owner.top_gap")
	if d.FixIt {
		list = s.T("owner.fix_it_gap")
	}
	var lead string
	switch d.Kind {
	case OwnerAssigned:
		lead = s.T("owner.assigned", "By", Mention(a.AssignedBy), "List", list, "Channel", where)
	case OwnerReminder:
		lead = s.T("owner.reminder", "Channel", where)
	case OwnerDueToday:
		lead = s.T("owner.due_today", "Channel", where)
	case OwnerOverdue:
		days := int(d.Now.Sub(a.DueAt).Hours() / 24)
		lead = s.T("owner.overdue", "Channel", where, "Days", s.N("interval.days", max(days, 1)))
	case OwnerUpdated:
		lead = s.T("owner.updated", "Channel", where)
	}
	why := s.T("owner.why", "Marketing", s.role(scoring.Marketing), "MarketingScore", d.Result.Scores[scoring.Marketing],
		"Sales", s.role(scoring.Sales), "SalesScore", d.Result.Scores[scoring.Sales],
		"Combined", d.Result.Combined, "Max", s.in.MaxCombined())
	if d.Result.Difference == scoring.StructuralGap {
		why += " " + s.T("owner.structural")
	}
	action := s.T("owner.action", "Action", Inert(a.Description, maxActionText))
	if suggested(d.Instrument, d.Action) {
		action = s.T("owner.action_suggested", "Action", Inert(a.Description, maxActionText))
	}
	status := s.T("owner.status", "Day", s.day(a.DueAt), "Status", s.status(a.Status))
	if a.Status == storage.ActionBlocked && a.BlockedReason != "" {
		status += fmt.Sprintf(" (%s)", Inert(a.BlockedReason, maxActionText))
	}
	body := fmt.Sprintf("%s\n*%s · %s*\n%s\n%s\n%s", lead, q.ID, q.Topic, why, action, status)
	blocks := []slack.Block{section("action", body)}
	var notes []string
	if n := len(q.Criteria); n > 0 {
		notes = append(notes, s.T("owner.looks_like", "Score", q.Criteria[n-1].Score, "When", q.Criteria[n-1].When))
	}
	if url := d.Workspace.Permalink(round.ChannelID, round.RevealTS); url != "" {
		notes = append(notes, link(url, s.T("owner.see_reveal", "Round", round.ID)))
	}
	if len(notes) > 0 {
		blocks = append(blocks, contextBlock("context", notes...))
	}
	blocks = append(blocks, StatusButtons(d.Lang, round.ID, a)...)
	return Message{
		Text:   s.T("owner.fallback", "Lead", lead, "Question", q.ID, "Topic", q.Topic, "Action", Inert(a.Description, 200), "Day", s.day(a.DueAt)),
		Blocks: blocks,
	}
}

// suggested reports whether an action is the diagnostic's suggested first
// step, as the assign form pre-fills it in any language.
func suggested(in *scoring.Instrument, a storage.Action) bool {
	text := strings.TrimSpace(a.Description)
	for _, l := range locale.Langs {
		if q, ok := locale.For(l).Instrument(in).Question(a.QuestionID); ok && text == q.Suggestion {
			return true
		}
	}
	return false
}

// StatusButtons are an owner's Done / Still on it / Blocked, or a thank you
// once the action is done, in the owner's language l.
func StatusButtons(l locale.Lang, roundID int64, a storage.Action) []slack.Block {
	p := locale.For(l)
	if a.Status == storage.ActionDone {
		return []slack.Block{contextBlock("done", p.T("owner.done_thanks"))}
	}
	value := GapValue(roundID, a.QuestionID)
	return []slack.Block{actions("status:"+a.QuestionID,
		primary(button(ActionStatus+"_done", value, p.T("owner.button_done"))),
		button(ActionStatus+"_in_progress", value, p.T("owner.button_in_progress")),
		button(ActionStatus+"_blocked", value, p.T("owner.button_blocked")),
	)}
}

// RenderOwnerDMRetired replaces an owner's older message when a newer one
// about the same action goes out, so only one has live buttons; in the
// owner's language l.
func RenderOwnerDMRetired(l locale.Lang, in *scoring.Instrument, q scoring.Question, round storage.Round) Message {
	s := speak(l, in)
	q = s.question(q)
	text := s.T("owner.retired", "Question", q.ID, "Topic", q.Topic, "Round", round.ID, "Channel", ChannelRef(round.ChannelID))
	return Message{Text: text, Blocks: []slack.Block{contextBlock("retired", text)}}
}

// RenderOwnerReassigned replaces a former owner's message when someone else
// now owns the action; in the former owner's language l.
func RenderOwnerReassigned(l locale.Lang, in *scoring.Instrument, q scoring.Question, round storage.Round, owner string) Message {
	s := speak(l, in)
	q = s.question(q)
	text := s.T("owner.reassigned", "Question", q.ID, "Topic", q.Topic, "Round", round.ID, "Channel", ChannelRef(round.ChannelID),
		"Owner", Mention(owner))
	return Message{Text: text, Blocks: []slack.Block{contextBlock("reassigned", text)}}
}

// Note is a short message of the bot's own words, rendered already: a note
// in the reveal's thread.
func Note(text string) Message {
	return Message{Text: text, Blocks: []slack.Block{section("note", text)}}
}

// NoteAssigned tells the reveal's thread, in the round's language l, that a
// gap has an owner.
func NoteAssigned(l locale.Lang, in *scoring.Instrument, q scoring.Question, by string, a storage.Action, fixIt bool) Message {
	s := speak(l, in)
	q = s.question(q)
	list := ""
	if fixIt {
		list = " " + s.T("note.fix_it")
	}
	return Note(s.T("note.assigned", "By", Mention(by), "Owner", Mention(a.OwnerID), "Question", q.ID, "Topic", q.Topic, "List", list,
		"Action", Inert(a.Description, maxActionText), "Day", s.day(a.DueAt)))
}

// NoteStatus tells the reveal's thread, in the round's language l, that an
// action's status changed.
func NoteStatus(l locale.Lang, in *scoring.Instrument, q scoring.Question, by string, a storage.Action) Message {
	s := speak(l, in)
	q = s.question(q)
	text := s.T("note.status", "By", Mention(by), "Question", q.ID, "Topic", q.Topic, "Owner", Mention(a.OwnerID), "Status", s.status(a.Status))
	if a.Status == storage.ActionBlocked && a.BlockedReason != "" {
		text += " " + s.T("note.reason", "Reason", Inert(a.BlockedReason, maxActionText))
	}
	return Note(text)
}

// NoteAddressed tells the reveal's thread, in the round's language l, that a
// gap was set aside, or taken back.
func NoteAddressed(l locale.Lang, in *scoring.Instrument, q scoring.Question, by string, undone bool) Message {
	s := speak(l, in)
	q = s.question(q)
	if undone {
		return Note(s.T("note.unaddressed", "By", Mention(by), "Question", q.ID, "Topic", q.Topic))
	}
	return Note(s.T("note.addressed", "By", Mention(by), "Question", q.ID, "Topic", q.Topic))
}

// NoteClosed tells the reveal's thread, in the round's language, that every
// top gap's action is done.
func NoteClosed(round storage.Round, actions int) Message {
	p := locale.For(roundLang(round))
	return Note(p.T("note.closed", "Actions", p.N("note.actions", actions), "Round", round.ID))
}

// NoteOneAnswer tells the reveal's thread, in the round's language l, the
// team's answer to the one question.
func NoteOneAnswer(l locale.Lang, in *scoring.Instrument, by, answer string) Message {
	s := speak(l, in)
	return Note(s.T("note.one_answer", "By", Mention(by), "Question", Clip(s.in.OneQuestion, 80), "Answer", Inert(answer, maxActionText)))
}
