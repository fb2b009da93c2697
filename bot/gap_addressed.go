package bot

import (
	"context"
	"encoding/json"
	"log/slog"

	"github.com/slack-go/slack"

	"github.com/alignbot/alignbot/bot/render"
)

// /alignment addressed and unaddressed, and the reveal's "Already being
// addressed" and "Undo" buttons.

func (b *Bot) commandAddressed(ctx context.Context, envelopeID string, cmd slack.SlashCommand, c command) (string, error) {
	roundID, err := b.latestRevealed(ctx, cmd.TeamID, cmd.ChannelID)
	if err != nil {
		return "", err
	}
	return b.addressed(ctx, addressedRequest{DeliveryID: envelopeID, WorkspaceID: cmd.TeamID, RoundID: roundID,
		Question: c.question, By: b.actor(ctx, cmd.UserID), Undo: c.name == "unaddressed"})
}

func (b *Bot) clickAddressed(ctx context.Context, envelopeID string, cb slack.InteractionCallback, a *slack.BlockAction, log *slog.Logger) {
	roundID, question, err := render.ParseGap(a.Value)
	if err != nil {
		b.reply(ctx, cb.ResponseURL, log, errTampered, "")
		return
	}
	text, err := b.addressed(ctx, addressedRequest{DeliveryID: envelopeID, WorkspaceID: cb.Team.ID, Where: cb.Channel.ID,
		RoundID: roundID, Question: question, By: b.actor(ctx, cb.User.ID), Undo: a.ActionID == render.ActionUndo})
	b.reply(ctx, cb.ResponseURL, log, err, text)
}

func (b *Bot) addressed(ctx context.Context, req addressedRequest) (string, error) {
	after, err := b.markAddressed(ctx, req)
	if err != nil {
		return "", err
	}
	p := say(ctx)
	top := p.T("reveal.none")
	if len(after) > 0 {
		top = p.JoinAnd(after)
	}
	if req.Undo {
		return p.T("addressed.undone", "Question", req.Question, "Top", top), nil
	}
	return p.T("addressed.done", "Question", req.Question, "Top", top), nil
}

func marshal(v any) string {
	raw, _ := json.Marshal(v)
	return string(raw)
}

// unmarshal reads a form's private_metadata; what it cannot read stays zero
// and is refused as tampered by the caller.
func unmarshal(s string, v any) { _ = json.Unmarshal([]byte(s), v) }
