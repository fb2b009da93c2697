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
	return slack.ModalViewRequest{
		Type:            slack.VTModal,
		CallbackID:      callbackStartRound,
		Title:           plain("Alignment diagnostic"),
		Submit:          plain("Start round"),
		Close:           plain("Cancel"),
		PrivateMetadata: metadata,
		Blocks: slack.Blocks{BlockSet: []slack.Block{
			section("about", "The marketing lead and the sales lead (and optionally a RevOps observer) each answer 10 questions on their own. "+
				"Nobody sees anyone's answers until all are in; then the comparison is posted in the channel."),
			userSelect(string(scoring.Marketing), "Marketing lead", "", people[scoring.Marketing], false),
			userSelect(string(scoring.Sales), "Sales lead", "", people[scoring.Sales], false),
			userSelect(string(scoring.Observer), "RevOps observer (optional)", "Answers too; counts toward the spread, not the combined score.", people[scoring.Observer], true),
			slack.NewInputBlock("channel", plain("Channel for the reveal"), plain("I must be a member: /invite @alignbot"), channel),
		}},
	}
}

// renderAssignModal is the form behind a top gap's "Assign owner".
func renderAssignModal(metadata string, q scoring.Question, current storage.Action) slack.ModalViewRequest {
	text := slack.NewPlainTextInputBlockElement(plain("What will be done in the next 30 days?"), "text")
	text.Multiline = true
	text.MaxLength = maxActionLength
	text.InitialValue = current.Description
	return slack.ModalViewRequest{
		Type:            slack.VTModal,
		CallbackID:      callbackAssign,
		Title:           plain("Own " + q.ID),
		Submit:          plain("Assign"),
		Close:           plain("Cancel"),
		PrivateMetadata: metadata,
		Blocks: slack.Blocks{BlockSet: []slack.Block{
			section("question", fmt.Sprintf("*%s · %s*\n%s", q.ID, q.Topic, q.Prompt)),
			userSelect("owner", "Owner", "They get a DM with the action and reminders until it's done.", current.OwnerID, false),
			slack.NewInputBlock("action", plain("30-day action"), nil, text),
		}},
	}
}

// renderBlockedModal asks an owner what blocks their action.
func renderBlockedModal(metadata string, q scoring.Question) slack.ModalViewRequest {
	reason := slack.NewPlainTextInputBlockElement(plain("What's in the way, and who could unblock it?"), "text")
	reason.Multiline = true
	reason.MaxLength = maxActionLength
	return slack.ModalViewRequest{
		Type:            slack.VTModal,
		CallbackID:      callbackBlocked,
		Title:           plain("Blocked on " + q.ID),
		Submit:          plain("Tell the team"),
		Close:           plain("Cancel"),
		PrivateMetadata: metadata,
		Blocks: slack.Blocks{BlockSet: []slack.Block{
			slack.NewInputBlock("reason", plain("Reason"), plain("Posted in the reveal's thread so the team can help."), reason),
		}},
	}
}
