package bot

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/slack-go/slack"

	"github.com/alignbot/alignbot/bot/render"
	"github.com/alignbot/alignbot/internal/report"
	"github.com/alignbot/alignbot/internal/slackapi"
)

// /alignment assign, the reveal's "Assign owner" button and the form it
// opens.

func (b *Bot) commandAssign(ctx context.Context, envelopeID string, cmd slack.SlashCommand, c command) (string, error) {
	roundID, err := b.latestRevealed(ctx, cmd.TeamID, cmd.ChannelID)
	if err != nil {
		return "", err
	}
	if msg := b.checkPerson(slackapi.Interactive(ctx), c.users[0]); msg != "" {
		return "", userError{msg: msg}
	}
	a, err := b.assign(ctx, assignRequest{DeliveryID: envelopeID, WorkspaceID: cmd.TeamID, RoundID: roundID, Question: c.question,
		OwnerID: c.users[0], Text: c.text, By: b.actor(ctx, cmd.UserID)})
	if err != nil {
		return "", err
	}
	return say(ctx).T("assign.done", "Owner", render.Mention(a.OwnerID), "Question", a.QuestionID,
		"Action", render.Inert(a.Description, render.MaxText), "Day", render.Day(readerLang(ctx), a.DueAt)), nil
}

// assignMetadata travels in the assign form's private_metadata: the gap,
// and the channel whose reveal the button was on.
type assignMetadata struct {
	Gap     string `json:"gap"`
	Channel string `json:"channel"`
}

func (b *Bot) clickAssign(ctx context.Context, cb slack.InteractionCallback, a *slack.BlockAction, log *slog.Logger) {
	roundID, question, err := render.ParseGap(a.Value)
	if err != nil {
		b.reply(ctx, cb.ResponseURL, log, errTampered, "")
		return
	}
	// The trigger expires in 3 seconds: read the reveal, open the form.
	// What the form changes is checked again, under lock, when it is sent.
	rv, err := report.LoadBrief(ctx, b.store, roundID)
	if err != nil || rv.Round.WorkspaceID != cb.Team.ID || rv.Round.ChannelID != cb.Channel.ID {
		b.reply(ctx, cb.ResponseURL, log, errTampered, "")
		return
	}
	if _, ok := rv.Instrument.Question(question); !ok {
		b.reply(ctx, cb.ResponseURL, log, errTampered, "")
		return
	}
	gap, ok := rv.Gap(question)
	if !ok {
		b.reply(ctx, cb.ResponseURL, log, userErr("gaps.no_longer_a_gap", "Question", question, "Round", roundID), "")
		return
	}
	meta := marshal(assignMetadata{Gap: a.Value, Channel: cb.Channel.ID})
	view := render.RenderAssignModal(render.AssignForm{Metadata: meta, Instrument: rv.Instrument, Result: gap.Result, Current: gap.Action,
		FixIt: gap.FixIt, Lang: readerLang(ctx)})
	if _, err := b.api.OpenViewContext(slackapi.Interactive(ctx), cb.TriggerID, view); err != nil {
		b.reply(ctx, cb.ResponseURL, log, fmt.Errorf("open assign form: %w", err), "")
	}
}

func (b *Bot) submitAssignForm(ctx context.Context, envelopeID string, cb slack.InteractionCallback, log *slog.Logger) map[string]string {
	var meta assignMetadata
	unmarshal(cb.View.PrivateMetadata, &meta)
	roundID, question, err := render.ParseGap(meta.Gap)
	if err != nil || meta.Channel == "" {
		return map[string]string{"owner": errTampered.in(readerLang(ctx))}
	}
	owner := stateValue(cb, "owner", "user").SelectedUser
	if owner == "" {
		return map[string]string{"owner": say(ctx).T("assign.pick_owner")}
	}
	if msg := b.checkPerson(slackapi.Interactive(ctx), owner); msg != "" {
		return map[string]string{"owner": msg}
	}
	_, err = b.assign(ctx, assignRequest{DeliveryID: envelopeID, WorkspaceID: cb.Team.ID, Where: meta.Channel, RoundID: roundID,
		Question: question, OwnerID: owner, Text: stateValue(cb, "action", "text").Value, By: b.actor(ctx, cb.User.ID)})
	return b.fieldErrors(ctx, log, err, "owner")
}
