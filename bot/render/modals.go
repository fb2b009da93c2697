package render

import (
	"fmt"

	"github.com/slack-go/slack"

	"github.com/alignbot/alignbot/internal/locale"
	"github.com/alignbot/alignbot/scoring"
	"github.com/alignbot/alignbot/storage"
)

// MaxText is the longest text a person may type into a form: an action, a
// reason, an answer to the one question. Slack counts it in characters, and
// so does alignbot.
const MaxText = 500

func userSelect(p *locale.Printer, blockID, label, hint, initial string, optional bool) *slack.InputBlock {
	el := slack.NewOptionsSelectBlockElement(slack.OptTypeUser, plain(p.T("form.choose_someone")), "user")
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
	// Language is the round's language to preselect; Lang the language of
	// the person the form opens for.
	Language locale.Lang
	Lang     locale.Lang
}

// RenderStartModal is the form /alignment start opens without arguments.
func RenderStartModal(f StartForm) slack.ModalViewRequest {
	p := locale.For(f.Lang)
	channel := slack.NewOptionsSelectBlockElement(slack.OptTypeConversations, plain(p.T("form.choose_channel")), "channel")
	channel.InitialConversation = f.ChannelID
	channel.DefaultToCurrentConversation = f.ChannelID == ""
	channel.Filter = &slack.SelectBlockElementFilter{Include: []string{"public", "private"}, ExcludeBotUsers: true}
	var options []*slack.OptionBlockObject
	var initial *slack.OptionBlockObject
	for _, base := range scoring.Instruments {
		in := p.Instrument(base)
		o := slack.NewOptionBlockObject(in.ID, plain(Clip(in.Name, 75)), plain(Clip(p.T("start_form.instrument_size",
			"Questions", p.N("questionnaire.questions", len(in.Questions)), "Minutes", p.N("questionnaire.minutes", in.Minutes)), 75)))
		options = append(options, o)
		if in.ID == f.Instrument || (initial == nil && f.Instrument == "" && base == scoring.Default()) {
			initial = o
		}
	}
	instrument := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, plain(p.T("start_form.choose_instrument")), "instrument", options...)
	instrument.InitialOption = initial
	var langs []*slack.OptionBlockObject
	var initialLang *slack.OptionBlockObject
	for _, l := range locale.Langs {
		o := slack.NewOptionBlockObject(string(l), plain(l.Name()), nil)
		langs = append(langs, o)
		if l == f.Language.OrEnglish() {
			initialLang = o
		}
	}
	language := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, plain(p.T("start_form.choose_language")), "language", langs...)
	language.InitialOption = initialLang
	languageBlock := slack.NewInputBlock("language", plain(p.T("start_form.language")), plain(p.T("start_form.language_hint")), language)
	return modal(p, CallbackStart, p.T("start_form.title"), p.T("start_form.submit"), f.Metadata,
		section("about", p.T("start_form.about")),
		slack.NewInputBlock("instrument", plain(p.T("start_form.instrument")), nil, instrument),
		userSelect(p, string(scoring.Marketing), p.T("start_form.marketing"), "", f.People[scoring.Marketing], false),
		userSelect(p, string(scoring.Sales), p.T("start_form.sales"), "", f.People[scoring.Sales], false),
		userSelect(p, string(scoring.Observer), p.T("start_form.observer"), p.T("start_form.observer_hint"), f.People[scoring.Observer], true),
		slack.NewInputBlock("channel", plain(p.T("start_form.channel")), plain(p.T("start_form.channel_hint")), channel),
		languageBlock,
	)
}

// AssignForm is what the assign form shows.
type AssignForm struct {
	Metadata   string
	Instrument *scoring.Instrument
	Result     scoring.QuestionResult
	Current    *storage.Action
	FixIt      bool
	// Lang is the language of the person the form opens for.
	Lang locale.Lang
}

// RenderAssignModal is the form behind a gap's "Assign owner": pre-filled
// with the question's suggested first action, or the current one.
func RenderAssignModal(f AssignForm) slack.ModalViewRequest {
	s := speak(f.Lang, f.Instrument)
	q := s.question(f.Result.Question)
	why := fmt.Sprintf("*%s · %s*\n%s\n%s", q.ID, q.Topic, q.Prompt, gapLine(s, f.Result))
	text, owner := q.Suggestion, ""
	hint := s.T("assign_form.hint")
	if f.Current != nil {
		text, owner, hint = f.Current.Description, f.Current.OwnerID, ""
	}
	area := textArea(s.T("assign_form.placeholder"), text)
	action := slack.NewInputBlock("action", plain(s.T("assign_form.action")), nil, area)
	if hint != "" {
		action.Hint = plain(hint)
	}
	return modal(s.Printer, CallbackAssign, s.T("assign_form.title", "Question", q.ID), s.T("assign_form.submit"), f.Metadata,
		section("question", why),
		userSelect(s.Printer, "owner", s.T("assign_form.owner"), s.T("assign_form.owner_hint"), owner, false),
		action,
	)
}

// RenderBlockedModal asks an owner, in their language l, what blocks their
// action.
func RenderBlockedModal(l locale.Lang, metadata string, q scoring.Question) slack.ModalViewRequest {
	p := locale.For(l)
	return modal(p, CallbackBlocked, p.T("blocked_form.title", "Question", q.ID), p.T("blocked_form.submit"), metadata,
		slack.NewInputBlock("reason", plain(p.T("blocked_form.reason")), plain(p.T("blocked_form.reason_hint")),
			textArea(p.T("blocked_form.placeholder"), "")),
	)
}

// RenderOneAnswerModal asks for the team's answer to the one question, in
// the language l of the person answering.
func RenderOneAnswerModal(l locale.Lang, metadata string, in *scoring.Instrument, current string) slack.ModalViewRequest {
	s := speak(l, in)
	return modal(s.Printer, CallbackOneAnswer, s.T("one_form.title"), s.T("one_form.submit"), metadata,
		section("question", s.in.OneQuestion),
		slack.NewInputBlock("answer", plain(s.T("one_form.answer")), plain(s.T("one_form.answer_hint")),
			textArea(s.T("one_form.placeholder"), current)),
	)
}

func modal(p *locale.Printer, callbackID, title, submit, metadata string, blocks ...slack.Block) slack.ModalViewRequest {
	return slack.ModalViewRequest{
		Type:            slack.VTModal,
		CallbackID:      callbackID,
		Title:           plain(Clip(title, 24)),
		Submit:          plain(Clip(submit, 24)),
		Close:           plain(Clip(p.T("form.cancel"), 24)),
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
