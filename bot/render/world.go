package render

import (
	"strings"

	"github.com/slack-go/slack"

	"github.com/alignbot/alignbot/internal/locale"
	"github.com/alignbot/alignbot/scoring"
	"github.com/alignbot/alignbot/storage"
)

// WorldKind is what changed in the workspace under a round.
type WorldKind int

// The changes a round's facilitator is told about.
const (
	// WorldRemoved: the bot was removed from the round's channel.
	WorldRemoved WorldKind = iota
	// WorldArchived: the round's channel was archived.
	WorldArchived
	// WorldRespondentGone: a respondent who has not answered was
	// deactivated, or left the workspace.
	WorldRespondentGone
	// WorldRespondentLeft: a respondent left the round's channel.
	WorldRespondentLeft
	// WorldOwnerGone: the owner of actions was deactivated.
	WorldOwnerGone
)

// World is a change in the workspace that a round's facilitator must hear
// about: what happened, what it holds up, and what they can do.
type World struct {
	Kind       WorldKind
	Instrument *scoring.Instrument
	Round      storage.Round
	// UserID is the person concerned, with Role when they are a respondent
	// and Questions the actions they own.
	UserID    string
	Role      scoring.Role
	Questions []string
	// SlackError is what Slack answered, when Slack's answer is how alignbot
	// found out ("" when an event said so).
	SlackError string
	// Lang is the facilitator's language.
	Lang locale.Lang
}

// RenderWorld is the facilitator's DM about a change under their round.
// Whatever it holds up waits, nothing is lost, and it carries on by itself
// once the cause is fixed; the DM says so and what to do.
func RenderWorld(w World) Message {
	s := speak(w.Lang, w.Instrument)
	r := w.Round
	where := ChannelRef(r.ChannelID)
	because := ""
	if w.SlackError != "" {
		because = s.T("world.because", "Error", w.SlackError)
	}
	cancel := ""
	if r.State == storage.Collecting {
		cancel = s.T("world.cancel", "Channel", where)
	}
	args := []any{"Channel", where, "Because", because, "Cancel", cancel, "Round", r.ID, "Instrument", s.in.Name,
		"User", Mention(w.UserID), "Role", s.role(w.Role)}
	var text string
	switch w.Kind {
	case WorldRemoved:
		text = s.T("world.removed", args...)
	case WorldArchived:
		text = s.T("world.archived", args...)
	case WorldRespondentGone:
		next := s.T("world.gone_lead_next", "Channel", where)
		if !w.Role.IsLead() {
			next = s.T("world.gone_observer_next", "Channel", where)
		}
		text = s.T("world.respondent_gone", append(args, "Next", next)...)
	case WorldRespondentLeft:
		text = s.T("world.respondent_left", args...)
	case WorldOwnerGone:
		text = s.T("world.owner_gone", append(args, "Questions", s.JoinAnd(w.Questions),
			"Question", firstOr(w.Questions, "Q1"), "Button", s.T("reveal.change_owner"))...)
	}
	return Message{Text: text, Blocks: []slack.Block{section("world", text)}}
}

func firstOr(items []string, fallback string) string {
	if len(items) == 0 {
		return fallback
	}
	return items[0]
}

// CommandLost is what a person is told, in their language, when the work
// behind their command stopped before they were answered (the server doing
// it died): whether it went through is for them to check, with what to
// type.
func CommandLost(l locale.Lang, typed string) string {
	cmd := "/alignment"
	if t := Inert(typed, 200); t != "" {
		cmd += " " + strings.ReplaceAll(t, "`", "'")
	}
	return locale.For(l).T("world.command_lost", "Command", cmd)
}
