package bot

import (
	"fmt"

	"github.com/slack-go/slack"

	"github.com/alignbot/alignbot/scoring"
	"github.com/alignbot/alignbot/storage"
)

func userSelect(blockID, label, hint, initial string, optional bool) *slack.InputBlock {
	el := slack.NewOptionsSelectBlockElement(slack.OptTypeUser, plain("Choose someone"), "user")
	el.InitialUser = initial
	block := slack.NewInputBlock(blockID, plain(label), nil, el)
	if hint != "" {
		block.Hint = plain(hint)
	}
	block.Optional = optional
	return block
}

// renderStartModal is the form /alignment start opens without arguments.
// errs are shown under their fields when a submission was refused.
func renderStartModal(metadata, channelID string, people map[scoring.Role]string) slack.ModalViewRequest {
	channel := slack.NewOptionsSelectBlockElement(slack.OptTypeConversations, plain("Choose a channel"), "channel")
	channel.InitialConversation = channelID
	channel.DefaultToCurrentConversation = channelID == ""
	channel.Filter = &slack.SelectBlockElementFilter{Include: []string{"public", "private"}, ExcludeBotUsers: true}
	return modal(callbackStartRound, "Alignment diagnostic", "Start round", metadata,
		section("about", "The marketing lead and the sales lead (and optionally a RevOps observer) each answer 10 questions on their own. "+
			"Nobody sees anyone's answers until all are in; then the comparison is posted in the channel."),
		userSelect(string(scoring.Marketing), "Marketing lead", "", people[scoring.Marketing], false),
		userSelect(string(scoring.Sales), "Sales lead", "", people[scoring.Sales], false),
		userSelect(string(scoring.Observer), "RevOps observer (optional)", "Answers too; counts toward the spread, not the combined score.", people[scoring.Observer], true),
		slack.NewInputBlock("channel", plain("Channel for the reveal"), plain("I must be a member: /invite @alignbot"), channel),
	)
}

// renderAssignModal is the form behind a top gap's "Assign owner".
func renderAssignModal(metadata string, q scoring.Question, current storage.Action) slack.ModalViewRequest {
	return modal(callbackAssign, "Own "+q.ID, "Assign", metadata,
		section("question", fmt.Sprintf("*%s · %s*\n%s", q.ID, q.Topic, q.Prompt)),
		userSelect("owner", "Owner", "They get a DM with the action and reminders until it's done.", current.OwnerID, false),
		slack.NewInputBlock("action", plain("30-day action"), nil,
			textArea("What will be done in the next 30 days?", current.Description)),
	)
}

// renderBlockedModal asks an owner what blocks their action.
func renderBlockedModal(metadata string, q scoring.Question) slack.ModalViewRequest {
	return modal(callbackBlocked, "Blocked on "+q.ID, "Tell the team", metadata,
		slack.NewInputBlock("reason", plain("Reason"), plain("Posted in the reveal's thread so the team can help."),
			textArea("What's in the way, and who could unblock it?", "")),
	)
}

func modal(callbackID, title, submit, metadata string, blocks ...slack.Block) slack.ModalViewRequest {
	return slack.ModalViewRequest{
		Type:            slack.VTModal,
		CallbackID:      callbackID,
		Title:           plain(title),
		Submit:          plain(submit),
		Close:           plain("Cancel"),
		PrivateMetadata: metadata,
		Blocks:          slack.Blocks{BlockSet: blocks},
	}
}

// textArea is a multi-line input read back under action ID "text".
func textArea(placeholder, initial string) *slack.PlainTextInputBlockElement {
	el := slack.NewPlainTextInputBlockElement(plain(placeholder), "text")
	el.Multiline = true
	el.MaxLength = maxActionLength
	el.InitialValue = initial
	return el
}
