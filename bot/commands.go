package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/slack-go/slack"

	"github.com/alignbot/alignbot/bot/render"
	"github.com/alignbot/alignbot/internal/report"
	"github.com/alignbot/alignbot/storage"
)

// handleCommand answers /alignment. Every answer goes to the person who typed
// it only, through the command's response_url.
func (b *Bot) handleCommand(ctx context.Context, envelopeID string, cmd slack.SlashCommand) {
	ctx = b.withReader(ctx, cmd.UserID)
	log := b.log.With(slog.String("user_id", cmd.UserID), slog.String("channel_id", cmd.ChannelID))
	defer func() {
		if p := recover(); p != nil {
			log.Error("command panicked", slog.Any("panic", p))
			b.answerCommand(ctx, envelopeID, cmd, log, fmt.Errorf("command panicked: %v", p), "")
		}
	}()
	c, err := parseCommand(cmd.Text)
	if err != nil {
		b.answerCommand(ctx, envelopeID, cmd, log, err, "")
		return
	}
	log = log.With(slog.String("command", c.name))
	var text string
	switch c.name {
	case "help":
		text = render.Help(readerLang(ctx))
	case "start":
		if len(c.users) == 0 {
			err = b.openStartForm(ctx, cmd.TriggerID, render.StartForm{Metadata: startMetadata(cmd.ChannelID), ChannelID: dmOrChannel(cmd.ChannelID)})
			break
		}
		text, err = b.commandStart(ctx, envelopeID, cmd, c)
	case "status":
		text, err = b.statusText(ctx, cmd.TeamID, cmd.ChannelID)
	case "history":
		text, err = b.historyText(ctx, cmd.TeamID, cmd.ChannelID)
	case "cancel":
		var round storage.Round
		round, err = b.cancelRound(ctx, envelopeID, cmd.TeamID, cmd.ChannelID, b.actor(ctx, cmd.UserID))
		text = say(ctx).T("cmd.cancelled", "Round", round.ID)
	case "extend":
		var round storage.Round
		round, err = b.extendRound(ctx, envelopeID, cmd.TeamID, cmd.ChannelID, b.actor(ctx, cmd.UserID), c.extend)
		text = say(ctx).T("cmd.extended", "Round", round.ID, "Due", render.Date(readerLang(ctx), round.DeadlineAt))
	case "assign":
		text, err = b.commandAssign(ctx, envelopeID, cmd, c)
	case "addressed", "unaddressed":
		text, err = b.commandAddressed(ctx, envelopeID, cmd, c)
	}
	b.answerCommand(ctx, envelopeID, cmd, log, err, text)
}

// actor looks up what permission decisions need to know about a person. If
// Slack cannot say whether they are an admin, they act as a member.
func (b *Bot) actor(ctx context.Context, userID string) actor {
	p, err := b.dir.person(ctx, userID)
	if err != nil {
		b.log.Warn("looking up a person failed", slog.String("user_id", userID), slog.Any("error", err))
		return actor{ID: userID}
	}
	return actor{ID: userID, Admin: p.Admin}
}

func (b *Bot) statusText(ctx context.Context, workspaceID, channelID string) (string, error) {
	round, err := b.store.LatestRound(ctx, workspaceID, channelID)
	if errors.Is(err, storage.ErrNotFound) {
		return render.NoRounds(readerLang(ctx), channelID), nil
	}
	if err != nil {
		return "", err
	}
	in, err := instrumentOf(round)
	if err != nil {
		return "", err
	}
	respondents, err := b.store.Respondents(ctx, round.ID)
	if err != nil {
		return "", err
	}
	rs := render.RoundStatus{Instrument: in, Round: round, Respondents: respondents, Lang: readerLang(ctx)}
	if !round.IsRevealed() {
		return render.Status(rs, nil), nil
	}
	rv, err := report.LoadBrief(ctx, b.store, round.ID)
	if err != nil {
		return "", err
	}
	return render.Status(rs, &rv), nil
}

func (b *Bot) historyText(ctx context.Context, workspaceID, channelID string) (string, error) {
	rows, err := report.History(ctx, b.store, workspaceID, channelID, 12)
	if err != nil {
		return "", err
	}
	return render.History(readerLang(ctx), channelID, rows), nil
}

func (b *Bot) handleViewSubmission(ctx context.Context, envelopeID string, cb slack.InteractionCallback) any {
	ctx = b.withReader(ctx, cb.User.ID)
	log := b.log.With(slog.String("user_id", cb.User.ID), slog.String("callback_id", cb.View.CallbackID))
	var errs map[string]string
	switch cb.View.CallbackID {
	case render.CallbackStart:
		errs = b.submitStartForm(ctx, envelopeID, cb, log)
	case render.CallbackAssign:
		errs = b.submitAssignForm(ctx, envelopeID, cb, log)
	case render.CallbackBlocked:
		errs = b.submitBlockedForm(ctx, envelopeID, cb, log)
	case render.CallbackOneAnswer:
		errs = b.submitOneAnswerForm(ctx, envelopeID, cb, log)
	default:
		log.Warn("view submission for an unknown form")
		return nil
	}
	if len(errs) > 0 {
		return slack.NewErrorsViewSubmissionResponse(errs)
	}
	return nil
}

// fieldErrors puts an error under the form field at fault, or under
// fallback.
func (b *Bot) fieldErrors(ctx context.Context, log *slog.Logger, err error, fallback string) map[string]string {
	if err == nil || errors.Is(err, errDuplicate) {
		return nil
	}
	field := fallback
	var ue userError
	if errors.As(err, &ue) && ue.field != "" {
		field = ue.field
	}
	return map[string]string{field: b.explain(ctx, log, err)}
}

func stateValue(cb slack.InteractionCallback, blockID, actionID string) slack.BlockAction {
	if cb.View.State == nil {
		return slack.BlockAction{}
	}
	return cb.View.State.Values[blockID][actionID]
}

func (b *Bot) handleBlockActions(ctx context.Context, envelopeID string, cb slack.InteractionCallback) {
	ctx = b.withReader(ctx, cb.User.ID)
	log := b.log.With(slog.String("user_id", cb.User.ID))
	for _, a := range cb.ActionCallback.BlockActions {
		id := a.ActionID
		switch {
		case id == render.ActionChange, id == render.ActionPredictStart, id == render.ActionPredictDone:
			b.clickOpen(ctx, cb, a, log)
		case hasPrefix(id, render.ActionAnswer+"_"):
			b.clickScore(ctx, envelopeID, cb, a, false, log)
		case hasPrefix(id, render.ActionPredict+"_"):
			b.clickScore(ctx, envelopeID, cb, a, true, log)
		case id == render.ActionContinue:
			b.clickContinue(ctx, cb, a, log)
		case id == render.ActionSubmit:
			b.clickSubmit(ctx, envelopeID, cb, a, log)
		case id == render.ActionDecline:
			b.clickDecline(ctx, envelopeID, cb, a, log)
		case id == render.ActionAssign:
			b.clickAssign(ctx, cb, a, log)
		case id == render.ActionAddressed, id == render.ActionUndo:
			b.clickAddressed(ctx, envelopeID, cb, a, log)
		case hasPrefix(id, render.ActionStatus+"_"):
			b.clickActionStatus(ctx, envelopeID, cb, a, log)
		case id == render.ActionStartNext:
			b.clickStartNext(ctx, cb, a, log)
		case id == render.ActionStartForm:
			b.reply(ctx, cb.ResponseURL, log, b.openStartForm(ctx, cb.TriggerID, render.StartForm{Metadata: startMetadata("")}), "")
		case id == render.ActionOneAnswer:
			b.clickOneAnswer(ctx, cb, a, log)
		case id == render.ActionLink:
			// A link button: Slack opened the link; nothing to do.
		default:
			log.Warn("click on an unknown button", slog.String("action_id", render.Clip(id, 64)))
			b.reply(ctx, cb.ResponseURL, log, errTampered, "")
		}
	}
}

func hasPrefix(s, prefix string) bool { return len(s) > len(prefix) && s[:len(prefix)] == prefix }
