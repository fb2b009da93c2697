package render

import (
	"fmt"
	"strings"

	"github.com/slack-go/slack"

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
}

// RenderWorld is the facilitator's DM about a change under their round.
// Whatever it holds up waits, nothing is lost, and it carries on by itself
// once the cause is fixed; the DM says so and what to do.
func RenderWorld(w World) Message {
	r := w.Round
	where := ChannelRef(r.ChannelID)
	because := ""
	if w.SlackError != "" {
		because = fmt.Sprintf(" (Slack: %s)", w.SlackError)
	}
	cancel := ""
	if r.State == storage.Collecting {
		cancel = " Or, to stop the round, `/alignment cancel` in " + where + "."
	}
	var text string
	switch w.Kind {
	case WorldRemoved:
		text = fmt.Sprintf("I was removed from %s%s, where round %d of the *%s* posts its progress, its reveal and the notes on its gaps. "+
			"Nothing is lost: what I couldn't post there waits. Invite me back with `/invite @alignbot` in %s and I'll carry on where I left off.%s",
			where, because, r.ID, w.Instrument.Name, where, cancel)
	case WorldArchived:
		text = fmt.Sprintf("%s was archived%s, so round %d of the *%s* can't post there. "+
			"Nothing is lost: what I couldn't post waits. Unarchive %s and I'll carry on where I left off.%s",
			where, because, r.ID, w.Instrument.Name, where, cancel)
	case WorldRespondentGone:
		label := w.Instrument.RoleLabel(w.Role)
		next := "The comparison needs both leads: `/alignment cancel` in " + where + " and start again with someone else."
		if !w.Role.IsLead() {
			next = "The round goes on without them: it is revealed once both leads have submitted and the deadline has passed, or start again without them (`/alignment cancel` in " + where + ")."
		}
		text = fmt.Sprintf("%s (%s) of round %d in %s was deactivated%s, so they can't answer; I've stopped reminding them. %s "+
			"If their account comes back, I'll carry on with them.", Mention(w.UserID), label, r.ID, where, because, next)
	case WorldRespondentLeft:
		text = fmt.Sprintf("%s (%s) left %s, where the comparison of round %d will be posted. Their questionnaire still works; "+
			"invite them back to %s if they should see the comparison and the discussion.",
			Mention(w.UserID), w.Instrument.RoleLabel(w.Role), where, r.ID, where)
	case WorldOwnerGone:
		text = fmt.Sprintf("%s, the owner of the action on %s in round %d, was deactivated%s; nobody is reminded about it now. "+
			"Name another owner with the reveal's *Change owner* button, or `/alignment assign %s @someone <action>` in %s.",
			Mention(w.UserID), JoinAnd(w.Questions), r.ID, because, firstOr(w.Questions, "Q1"), where)
	}
	return Message{Text: text, Blocks: []slack.Block{section("world", text)}}
}

func firstOr(items []string, fallback string) string {
	if len(items) == 0 {
		return fallback
	}
	return items[0]
}

// CommandLost is what a person is told when the work behind their command
// stopped before they were answered (the server doing it died): whether it
// went through is for them to check, with what to type.
func CommandLost(typed string) string {
	cmd := "/alignment"
	if t := Inert(typed, 200); t != "" {
		cmd += " " + strings.ReplaceAll(t, "`", "'")
	}
	return fmt.Sprintf("I lost track of `%s` while working on it: the server doing it stopped. "+
		"Check with `/alignment status` whether it went through, and try again if it didn't.", cmd)
}
