package render

import (
	"fmt"

	"github.com/slack-go/slack"

	"github.com/alignbot/alignbot/scoring"
	"github.com/alignbot/alignbot/storage"
)

// MaxText is the longest text a person may type into a form: an action, a
// reason, an answer to the one question. Slack counts it in characters, and
// so does alignbot.
const MaxText = 500

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

// StartForm is what the start form is filled in with.
type StartForm struct {
	// Metadata travels back with the submission (the channel the form was
	// opened from).
	Metadata   string
	ChannelID  string
	People     map[scoring.Role]string
	Instrument string
}

// RenderStartModal is the form /alignment start opens without arguments.
func RenderStartModal(f StartForm) slack.ModalViewRequest {
	channel := slack.NewOptionsSelectBlockElement(slack.OptTypeConversations, plain("Choose a channel"), "channel")
	channel.InitialConversation = f.ChannelID
	channel.DefaultToCurrentConversation = f.ChannelID == ""
	channel.Filter = &slack.SelectBlockElementFilter{Include: []string{"public", "private"}, ExcludeBotUsers: true}
	var options []*slack.OptionBlockObject
	var initial *slack.OptionBlockObject
	for _, in := range scoring.Instruments {
		o := slack.NewOptionBlockObject(in.ID, plain(Clip(in.Name, 75)), plain(fmt.Sprintf("%d questions, about %d minutes", len(in.Questions), in.Minutes)))
		options = append(options, o)
		if in.ID == f.Instrument || (initial == nil && f.Instrument == "" && in == scoring.Default()) {
			initial = o
		}
	}
	instrument := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, plain("Choose an instrument"), "instrument", options...)
	instrument.InitialOption = initial
	return modal(CallbackStart, "Alignment diagnostic", "Start round", f.Metadata,
		section("about", "The marketing lead and the sales lead (and, where the instrument has one, a RevOps observer) each answer on their own. "+
			"Nobody sees anyone's answers until all are in; then the comparison is posted in the channel."),
		slack.NewInputBlock("instrument", plain("Instrument"), nil, instrument),
		userSelect(string(scoring.Marketing), "Marketing lead (CMO)", "", f.People[scoring.Marketing], false),
		userSelect(string(scoring.Sales), "Sales lead (CRO)", "", f.People[scoring.Sales], false),
		userSelect(string(scoring.Observer), "RevOps observer (optional)", "Answers too, for the Maturity Diagnostic; shown beside the leads, never counted in their gaps.", f.People[scoring.Observer], true),
		slack.NewInputBlock("channel", plain("Channel for the reveal"), plain("I must be a member: /invite @alignbot"), channel),
	)
}

// AssignForm is what the assign form shows.
type AssignForm struct {
	Metadata   string
	Instrument *scoring.Instrument
	Result     scoring.QuestionResult
	Current    *storage.Action
	FixIt      bool
}

// RenderAssignModal is the form behind a gap's "Assign owner": pre-filled
// with the question's suggested first action, or the current one.
func RenderAssignModal(f AssignForm) slack.ModalViewRequest {
	q := f.Result.Question
	in := f.Instrument
	why := fmt.Sprintf("*%s · %s*\n%s\n%s *%d* · %s *%d* · combined %d of %d", q.ID, q.Topic, q.Prompt,
		in.RoleShort(scoring.Marketing), f.Result.Scores[scoring.Marketing], in.RoleShort(scoring.Sales), f.Result.Scores[scoring.Sales],
		f.Result.Combined, in.MaxCombined())
	text, owner := q.Suggestion, ""
	hint := "Pre-filled with the diagnostic's suggested first step; make it yours."
	if f.Current != nil {
		text, owner, hint = f.Current.Description, f.Current.OwnerID, ""
	}
	area := textArea("What will be done in the next 30 days?", text)
	action := slack.NewInputBlock("action", plain("30-day action"), nil, area)
	if hint != "" {
		action.Hint = plain(hint)
	}
	return modal(CallbackAssign, "Own "+q.ID, "Assign", f.Metadata,
		section("question", why),
		userSelect("owner", "Owner", "They get a DM with the action, and reminders until it's done.", owner, false),
		action,
	)
}

// RenderBlockedModal asks an owner what blocks their action.
func RenderBlockedModal(metadata string, q scoring.Question) slack.ModalViewRequest {
	return modal(CallbackBlocked, "Blocked on "+q.ID, "Tell the team", metadata,
		slack.NewInputBlock("reason", plain("Reason"), plain("Posted in the reveal's thread so the team can help."),
			textArea("What's in the way, and who could unblock it?", "")),
	)
}

// RenderOneAnswerModal asks for the team's answer to the one question.
func RenderOneAnswerModal(metadata string, in *scoring.Instrument, current string) slack.ModalViewRequest {
	return modal(CallbackOneAnswer, "The one question", "Save", metadata,
		section("question", in.OneQuestion),
		slack.NewInputBlock("answer", plain("The team's answer"), plain("Shown in the reveal's thread, and at the next round."),
			textArea("Which gap, and why?", current)),
	)
}

func modal(callbackID, title, submit, metadata string, blocks ...slack.Block) slack.ModalViewRequest {
	return slack.ModalViewRequest{
		Type:            slack.VTModal,
		CallbackID:      callbackID,
		Title:           plain(Clip(title, 24)),
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
	el.MaxLength = MaxText
	el.InitialValue = Clip(initial, MaxText)
	return el
}
