package render

import (
	"fmt"
	"strings"
	"time"

	"github.com/slack-go/slack"

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
}

// RenderOwnerDM is an owner's DM: why the gap matters (both leads' scores),
// the action and its due date, a link to the reveal, and the buttons to
// report progress.
func RenderOwnerDM(d OwnerDM) Message {
	in, a, round := d.Instrument, d.Action, d.Round
	q := d.Result.Question
	where := ChannelRef(round.ChannelID)
	list := "a top gap"
	if d.FixIt {
		list = "a structural gap on the fix-it list"
	}
	var lead string
	switch d.Kind {
	case OwnerAssigned:
		lead = fmt.Sprintf("%s named you owner of %s in %s.", Mention(a.AssignedBy), list, where)
	case OwnerReminder:
		lead = fmt.Sprintf("How is your alignment action for %s going?", where)
	case OwnerDueToday:
		lead = fmt.Sprintf("Your alignment action for %s is due today.", where)
	case OwnerOverdue:
		days := int(d.Now.Sub(a.DueAt).Hours() / 24)
		lead = fmt.Sprintf("Your alignment action for %s is overdue by %s.", where, plural(max(days, 1), "day"))
	case OwnerUpdated:
		lead = fmt.Sprintf("Your alignment action for %s.", where)
	}
	why := fmt.Sprintf("Why it matters: %s scored it *%d*, %s *%d* (combined %d of %d).",
		in.RoleLabel(scoring.Marketing), d.Result.Scores[scoring.Marketing], in.RoleLabel(scoring.Sales), d.Result.Scores[scoring.Sales],
		d.Result.Combined, in.MaxCombined())
	if d.Result.Difference == scoring.StructuralGap {
		why += " The leads are at opposite ends of the scale: a structural gap, not a perception problem."
	}
	action := fmt.Sprintf("Your 30-day action: _%s_", Inert(a.Description, maxActionText))
	if strings.TrimSpace(a.Description) == q.Suggestion {
		action = fmt.Sprintf("Your 30-day action, the diagnostic's suggested first step: _%s_", Inert(a.Description, maxActionText))
	}
	status := fmt.Sprintf("Due %s · status: *%s*", Day(a.DueAt), StatusLabel(a.Status))
	if a.Status == storage.ActionBlocked && a.BlockedReason != "" {
		status += fmt.Sprintf(" (%s)", Inert(a.BlockedReason, maxActionText))
	}
	body := fmt.Sprintf("%s\n*%s · %s*\n%s\n%s\n%s", lead, q.ID, q.Topic, why, action, status)
	blocks := []slack.Block{section("action", body)}
	var notes []string
	if n := len(q.Criteria); n > 0 {
		notes = append(notes, fmt.Sprintf("What a %d looks like: %s", q.Criteria[n-1].Score, q.Criteria[n-1].When))
	}
	if url := d.Workspace.Permalink(round.ChannelID, round.RevealTS); url != "" {
		notes = append(notes, link(url, fmt.Sprintf("See round %d's reveal", round.ID)))
	}
	if len(notes) > 0 {
		blocks = append(blocks, contextBlock("context", notes...))
	}
	blocks = append(blocks, StatusButtons(round.ID, a)...)
	return Message{
		Text:   fmt.Sprintf("%s %s · %s: %s, due %s.", lead, q.ID, q.Topic, Inert(a.Description, 200), Day(a.DueAt)),
		Blocks: blocks,
	}
}

// StatusButtons are an owner's Done / Still on it / Blocked, or a thank you
// once the action is done.
func StatusButtons(roundID int64, a storage.Action) []slack.Block {
	if a.Status == storage.ActionDone {
		return []slack.Block{contextBlock("done", "Done. Thank you: the team sees it in the reveal's thread.")}
	}
	value := GapValue(roundID, a.QuestionID)
	return []slack.Block{actions("status:"+a.QuestionID,
		primary(button(ActionStatus+"_done", value, "Done")),
		button(ActionStatus+"_in_progress", value, "Still on it"),
		button(ActionStatus+"_blocked", value, "Blocked"),
	)}
}

// RenderOwnerDMRetired replaces an owner's older message when a newer one
// about the same action goes out, so only one has live buttons.
func RenderOwnerDMRetired(q scoring.Question, round storage.Round) Message {
	text := fmt.Sprintf("%s · %s (round %d in %s): the latest on this action is in a newer message below.",
		q.ID, q.Topic, round.ID, ChannelRef(round.ChannelID))
	return Message{Text: text, Blocks: []slack.Block{contextBlock("retired", text)}}
}

// RenderOwnerReassigned replaces a former owner's message when someone else
// now owns the action.
func RenderOwnerReassigned(q scoring.Question, round storage.Round, owner string) Message {
	text := fmt.Sprintf("%s · %s (round %d in %s) is now owned by %s. Thank you for carrying it so far.",
		q.ID, q.Topic, round.ID, ChannelRef(round.ChannelID), Mention(owner))
	return Message{Text: text, Blocks: []slack.Block{contextBlock("reassigned", text)}}
}

// Note is a short message of the bot's own words, rendered already: a note
// in the reveal's thread.
func Note(text string) Message {
	return Message{Text: text, Blocks: []slack.Block{section("note", text)}}
}

// NoteAssigned tells the reveal's thread that a gap has an owner.
func NoteAssigned(q scoring.Question, by string, a storage.Action, fixIt bool) Message {
	list := ""
	if fixIt {
		list = " (fix-it list)"
	}
	return Note(fmt.Sprintf("%s named %s owner of *%s · %s*%s: _%s_, due %s.", Mention(by), Mention(a.OwnerID),
		q.ID, q.Topic, list, Inert(a.Description, maxActionText), Day(a.DueAt)))
}

// NoteStatus tells the reveal's thread that an action's status changed.
func NoteStatus(q scoring.Question, by string, a storage.Action) Message {
	text := fmt.Sprintf("%s marked the action on *%s · %s* (owner %s) *%s*.", Mention(by), q.ID, q.Topic, Mention(a.OwnerID), StatusLabel(a.Status))
	if a.Status == storage.ActionBlocked && a.BlockedReason != "" {
		text += " Reason: " + Inert(a.BlockedReason, maxActionText)
	}
	return Note(text)
}

// NoteAddressed tells the reveal's thread that a gap was set aside, or taken
// back.
func NoteAddressed(q scoring.Question, by string, undone bool) Message {
	if undone {
		return Note(fmt.Sprintf("%s took back *%s · %s*: it is a candidate for the top gaps again.", Mention(by), q.ID, q.Topic))
	}
	return Note(fmt.Sprintf("%s marked *%s · %s* as already being addressed; the next gap moves up.", Mention(by), q.ID, q.Topic))
}

// NoteClosed tells the reveal's thread that every top gap's action is done.
func NoteClosed(round storage.Round, actions int) Message {
	return Note(fmt.Sprintf("All %s on the top gaps are done: round %d is closed. See you at the next round.", plural(actions, "action"), round.ID))
}

// NoteOneAnswer tells the reveal's thread the team's answer to the one
// question.
func NoteOneAnswer(in *scoring.Instrument, by, answer string) Message {
	return Note(fmt.Sprintf("%s recorded the team's answer to the one question (%s): _%s_", Mention(by),
		Clip(in.OneQuestion, 80), Inert(answer, maxActionText)))
}
