package bot

import (
	"slices"

	"github.com/alignbot/alignbot/bot/render"
	"github.com/alignbot/alignbot/storage"
)

// Every permission decision is made here, one function per decision, and
// every entry point (slash command, button, form) calls the same one. They
// are pure: the caller looks up the facts (is the person an admin, who are
// the round's respondents) and passes them in, inside the transaction that
// acts on the answer.

// actor is the person acting.
type actor struct {
	ID string
	// Admin is a workspace admin or owner.
	Admin bool
}

// mayStart decides who may start a round in a channel: a member of it, so
// that nobody posts a round (and later its reveal) into a channel they
// cannot see.
func mayStart(a actor, memberOfChannel bool, channelID string) error {
	if memberOfChannel {
		return nil
	}
	return userErr("perm.start", "Channel", render.ChannelRef(channelID))
}

// roundManagers names who manages a round: its facilitator and respondents
// (and any workspace admin).
func roundManagers(round storage.Round, respondents []storage.Respondent) []string {
	ids := []string{round.FacilitatorID}
	for _, r := range respondents {
		if !slices.Contains(ids, r.UserID) {
			ids = append(ids, r.UserID)
		}
	}
	return ids
}

func managersText(round storage.Round, respondents []storage.Respondent) phrase {
	var names []string
	for _, id := range roundManagers(round, respondents) {
		names = append(names, render.Mention(id))
	}
	return phrase{id: "perm.managers", args: []any{"Names", andList(names)}}
}

// mayManageRound decides who may shape a round's outcome: name or change
// owners, mark gaps as already being addressed or take that back, give more
// time, answer the one question. what is the catalog phrase that completes
// "Only … can …".
func mayManageRound(a actor, round storage.Round, respondents []storage.Respondent, what string) error {
	if a.Admin || slices.Contains(roundManagers(round, respondents), a.ID) {
		return nil
	}
	return userErr("perm.manage", "Managers", managersText(round, respondents), "What", phrase{id: what}, "Round", round.ID)
}

// mayCancel decides who may cancel a round collecting answers: its
// facilitator or a workspace admin. A respondent who cannot take part
// declines instead, which tells the facilitator; one lead cancelling would
// let one side veto the comparison.
func mayCancel(a actor, round storage.Round) error {
	if a.Admin || a.ID == round.FacilitatorID {
		return nil
	}
	return userErr("perm.cancel", "Facilitator", render.Mention(round.FacilitatorID), "Round", round.ID, "Decline", phrase{id: "decline.button"})
}

// mayChangeAction decides who may report progress on an action: its owner,
// and whoever manages the round.
func mayChangeAction(a actor, action storage.Action, round storage.Round, respondents []storage.Respondent) error {
	if a.ID == action.OwnerID {
		return nil
	}
	if mayManageRound(a, round, respondents, "perm.assign") == nil {
		return nil
	}
	return userErr("perm.change_action", "Owner", render.Mention(action.OwnerID), "Question", action.QuestionID,
		"Managers", managersText(round, respondents))
}

// mayAssign decides who may name or change the owner of a gap: whoever
// manages the round, and the current owner handing it over.
func mayAssign(a actor, current *storage.Action, round storage.Round, respondents []storage.Respondent) error {
	if current != nil && a.ID == current.OwnerID {
		return nil
	}
	return mayManageRound(a, round, respondents, "perm.assign")
}
