package bot

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/slack-go/slack"

	"github.com/alignbot/alignbot/bot/render"
	"github.com/alignbot/alignbot/internal/locale"
	"github.com/alignbot/alignbot/internal/report"
	"github.com/alignbot/alignbot/internal/slackapi"
	"github.com/alignbot/alignbot/storage"
)

// An owner's Done / Still on it / Blocked, in their DM or their App Home,
// the form that asks why an action is blocked, and the team's answer to the
// one question.

// statusMetadata travels in the blocked form's private_metadata.
type statusMetadata struct {
	Gap   string `json:"gap"`
	Where string `json:"where"`
}

// clickedIn says where a button was clicked: a channel or DM, or "" for the
// App Home, which is the clicker's own.
func clickedIn(cb slack.InteractionCallback) string {
	if cb.Container.Type == "view" || cb.View.Type == slack.VTHomeTab {
		return ""
	}
	return cb.Container.ChannelID
}

func (b *Bot) clickActionStatus(ctx context.Context, envelopeID string, cb slack.InteractionCallback, a *slack.BlockAction, log *slog.Logger) {
	roundID, question, err := render.ParseGap(a.Value)
	status := storage.ActionStatus(strings.TrimPrefix(a.ActionID, render.ActionStatus+"_"))
	if err != nil || !status.Valid() || status == storage.ActionOpen {
		b.reply(ctx, cb.ResponseURL, log, errTampered, "")
		return
	}
	where := clickedIn(cb)
	if status == storage.ActionBlocked {
		// Ask why first; the trigger expires in 3 seconds. The form's answer
		// is checked like the click would have been.
		in, err := b.instrumentOfClick(ctx, roundID)
		if err != nil {
			b.reply(ctx, cb.ResponseURL, log, err, "")
			return
		}
		q, err := questionOf(in, question)
		if err != nil {
			b.reply(ctx, cb.ResponseURL, log, errTampered, "")
			return
		}
		meta := marshal(statusMetadata{Gap: a.Value, Where: where})
		if _, err := b.api.OpenViewContext(slackapi.Interactive(ctx), cb.TriggerID, render.RenderBlockedModal(readerLang(ctx), meta, q)); err != nil {
			b.reply(ctx, cb.ResponseURL, log, fmt.Errorf("open blocked form: %w", err), "")
		}
		return
	}
	_, action, turn, err := b.setActionStatus(ctx, statusRequest{DeliveryID: envelopeID, WorkspaceID: cb.Team.ID, Where: where,
		RoundID: roundID, Question: question, Status: status, By: b.actor(ctx, cb.User.ID), TakeTurn: where != ""})
	if err != nil {
		b.reply(ctx, cb.ResponseURL, log, err, "")
		return
	}
	if where == "" {
		b.publishHomeNow(ctx, cb.Team.ID, cb.User.ID, log)
		return
	}
	if turn != nil {
		b.showLive(ctx, cb, turn, nil, ownerUpdateJob(roundID, question, action.OwnerID, b.clock.Now()), log)
	}
}

// ownerMessage renders an owner's DM about an action of a revealed round.
func (b *Bot) ownerMessage(rv report.Reveal, a storage.Action, kind render.OwnerKind, lang locale.Lang) render.Message {
	result, _ := rv.Comparison.QuestionResult(a.QuestionID)
	gap, _ := rv.Gap(a.QuestionID)
	return render.RenderOwnerDM(render.OwnerDM{Instrument: rv.Instrument, Round: rv.Round, Action: a, Result: result,
		FixIt: gap.FixIt, Kind: kind, Now: b.clock.Now(), Workspace: b.links(), Lang: lang})
}

func (b *Bot) submitBlockedForm(ctx context.Context, envelopeID string, cb slack.InteractionCallback, log *slog.Logger) map[string]string {
	var meta statusMetadata
	unmarshal(cb.View.PrivateMetadata, &meta)
	roundID, question, err := render.ParseGap(meta.Gap)
	if err != nil {
		return map[string]string{"reason": errTampered.in(readerLang(ctx))}
	}
	reason, err := actionText(stateValue(cb, "reason", "text").Value, "reason")
	if err != nil {
		return b.fieldErrors(ctx, log, err, "reason")
	}
	// A form has no response_url: the owner's live message is updated by
	// the job the change queues.
	_, _, _, err = b.setActionStatus(ctx, statusRequest{DeliveryID: envelopeID, WorkspaceID: cb.Team.ID, Where: meta.Where,
		RoundID: roundID, Question: question, Status: storage.ActionBlocked, Reason: reason, By: b.actor(ctx, cb.User.ID)})
	return b.fieldErrors(ctx, log, err, "reason")
}

// channelRound reads the round a channel message's button names, replying
// that the click was tampered with unless the round belongs to the
// workspace and the channel the button was clicked in.
func (b *Bot) channelRound(ctx context.Context, cb slack.InteractionCallback, a *slack.BlockAction, log *slog.Logger) (storage.Round, bool) {
	roundID, err := render.ParseRound(a.Value)
	if err == nil {
		var round storage.Round
		round, err = b.store.Round(ctx, roundID)
		if err == nil && round.WorkspaceID == cb.Team.ID && round.ChannelID == cb.Channel.ID {
			return round, true
		}
	}
	b.reply(ctx, cb.ResponseURL, log, errTampered, "")
	return storage.Round{}, false
}

func (b *Bot) clickOneAnswer(ctx context.Context, cb slack.InteractionCallback, a *slack.BlockAction, log *slog.Logger) {
	round, ok := b.channelRound(ctx, cb, a, log)
	if !ok {
		return
	}
	in, err := instrumentOf(round)
	if err != nil {
		b.reply(ctx, cb.ResponseURL, log, err, "")
		return
	}
	view := render.RenderOneAnswerModal(readerLang(ctx), render.RoundValue(round.ID), in, round.OneAnswer)
	if _, err := b.api.OpenViewContext(slackapi.Interactive(ctx), cb.TriggerID, view); err != nil {
		b.reply(ctx, cb.ResponseURL, log, fmt.Errorf("open the one-question form: %w", err), "")
	}
}

func (b *Bot) submitOneAnswerForm(ctx context.Context, envelopeID string, cb slack.InteractionCallback, log *slog.Logger) map[string]string {
	roundID, err := render.ParseRound(cb.View.PrivateMetadata)
	if err != nil {
		return map[string]string{"answer": errTampered.in(readerLang(ctx))}
	}
	err = b.answerOneQuestion(ctx, oneAnswerRequest{DeliveryID: envelopeID, WorkspaceID: cb.Team.ID, RoundID: roundID,
		Answer: stateValue(cb, "answer", "text").Value, By: b.actor(ctx, cb.User.ID)})
	return b.fieldErrors(ctx, log, err, "answer")
}
