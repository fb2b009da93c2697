package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"

	"github.com/slack-go/slack/slackevents"

	"github.com/alignbot/alignbot/bot/render"
	"github.com/alignbot/alignbot/internal/report"
	"github.com/alignbot/alignbot/internal/slackapi"
	"github.com/alignbot/alignbot/storage"
)

// The App Home and the Messages tab: what waits for a person, from any of
// their rounds. Before a round's reveal they show who has submitted, never
// what anyone answered.

func (b *Bot) handleEvent(ctx context.Context, envelopeID string, outer slackevents.EventsAPIEvent) {
	// Slack redelivers an event it thinks was lost, in the same envelope or
	// a new one: its event_id tells.
	eventID := envelopeID
	if cb, ok := outer.Data.(*slackevents.EventsAPICallbackEvent); ok && cb.EventID != "" {
		eventID = cb.EventID
	}
	if b.handleWorldEvent(ctx, eventID, outer.TeamID, outer.InnerEvent.Data) {
		return
	}
	switch inner := outer.InnerEvent.Data.(type) {
	case *slackevents.AppHomeOpenedEvent:
		if inner.Tab != "home" {
			return
		}
		log := b.log.With(slog.String("user_id", inner.User))
		if err := b.store.RememberHomeOpened(ctx, outer.TeamID, inner.User, b.clock.Now()); err != nil {
			log.Warn("remembering the home tab failed", slog.Any("error", err))
		}
		// Publishing is idempotent, so a redelivered event publishes again;
		// no deduplication that could swallow a retry after a failure.
		b.publishHomeNow(ctx, outer.TeamID, inner.User, log)
	case *slackevents.MessageEvent:
		// A person typing in alignbot's Messages tab: not the bot's own
		// posts, not edits.
		if inner.ChannelType != "im" || inner.BotID != "" || inner.User == "" || inner.User == b.botUser() || inner.SubType != "" {
			return
		}
		b.answerDM(ctx, eventID, outer.TeamID, inner)
	}
}

// answerDM replies, in the DM, with what waits for the person.
func (b *Bot) answerDM(ctx context.Context, envelopeID, workspaceID string, m *slackevents.MessageEvent) {
	log := b.log.With(slog.String("user_id", m.User))
	now := b.clock.Now()
	// Slack redelivers events it thinks were lost: answer each once.
	err := b.store.Transact(ctx, func(tx *storage.Storage) error { return remember(ctx, tx, envelopeID+":"+m.TimeStamp, now) })
	if errors.Is(err, errDuplicate) {
		return
	}
	var pending render.Pending
	if err == nil {
		pending, err = b.pending(ctx, workspaceID, m.User)
	}
	if err != nil {
		// What they typed gets an answer even so.
		b.tell(ctx, "", m.Channel, m.User, b.explain(ctx, log, err), log)
		return
	}
	msg := render.DMReply(pending)
	if _, _, err := b.api.PostMessageContext(slackapi.Interactive(ctx), m.Channel, msg.Options()...); err != nil {
		// Slack may refuse for now (a burst of messages meets the DM's
		// pace): the answer goes through the outbox, which waits it out.
		log.Warn("answering a DM failed; queued", slog.Any("error", err))
		n := storage.NewJob{Key: fmt.Sprintf("%s:%s:%s", jobNotice, m.User, envelopeID), Kind: jobNotice,
			Payload: jobPayload{UserID: m.User, Text: msg.Text}, RunAt: now}
		if _, err := b.store.Enqueue(context.WithoutCancel(ctx), n); err != nil {
			log.Error("queueing the answer to a DM failed", slog.Any("error", err))
		}
	}
}

// pending reads what waits for a person in a workspace.
func (b *Bot) pending(ctx context.Context, workspaceID, userID string) (render.Pending, error) {
	p := render.Pending{Lang: b.personLang(ctx, userID)}
	rounds, err := b.store.UserRounds(ctx, workspaceID, userID, 20)
	if err != nil {
		return p, err
	}
	for _, r := range rounds {
		if r.State != storage.Collecting {
			continue
		}
		resp, err := b.store.RespondentByUser(ctx, r.ID, userID)
		if err != nil || !resp.Pending() {
			continue
		}
		in, err := instrumentOf(r)
		if err != nil {
			continue
		}
		p.Questionnaires = append(p.Questionnaires, render.PendingQuestionnaire{Instrument: in, Round: r, Respondent: resp,
			URL: b.links().Permalink(resp.DMChannelID, resp.QuestionnaireTS)})
	}
	actions, err := b.store.OwnedActions(ctx, workspaceID, userID)
	if err != nil {
		return p, err
	}
	for _, a := range actions {
		if a.Status == storage.ActionDone {
			continue
		}
		r, err := b.store.Round(ctx, a.RoundID)
		if err != nil || r.State != storage.Revealed {
			continue
		}
		in, err := instrumentOf(r)
		if err != nil {
			continue
		}
		p.Actions = append(p.Actions, render.PendingAction{Instrument: in, Round: r, Action: a})
	}
	return p, nil
}

// home reads a person's App Home.
func (b *Bot) home(ctx context.Context, workspaceID, userID string) (render.Home, error) {
	var h render.Home
	var err error
	if h.Pending, err = b.pending(ctx, workspaceID, userID); err != nil {
		return h, err
	}
	h.Lang = h.Pending.Lang
	rounds, err := b.store.UserRounds(ctx, workspaceID, userID, 20)
	if err != nil {
		return h, err
	}
	var channels []string
	for _, r := range rounds {
		if r.State == storage.Collecting && r.FacilitatorID == userID {
			in, err := instrumentOf(r)
			if err != nil {
				continue
			}
			respondents, err := b.store.Respondents(ctx, r.ID)
			if err != nil {
				return h, err
			}
			h.Started = append(h.Started, render.RoundStatus{Instrument: in, Round: r, Respondents: respondents, Lang: h.Lang})
		}
		if !slices.Contains(channels, r.ChannelID) && len(channels) < 5 {
			channels = append(channels, r.ChannelID)
		}
	}
	for _, ch := range channels {
		rows, err := report.History(ctx, b.store, workspaceID, ch, 6)
		if err != nil {
			return h, err
		}
		h.Channels = append(h.Channels, render.ChannelHistory{ChannelID: ch, Rows: rows})
	}
	return h, nil
}

// publishHomeNow publishes for a person who is looking at it: it takes
// the App Home's turn (see sendLive) and publishes at once, ahead of
// background work.
func (b *Bot) publishHomeNow(ctx context.Context, workspaceID, userID string, log *slog.Logger) {
	key := homeKey(workspaceID, userID)
	turn, err := b.changeLive(ctx, b.store, key, nil)
	if err != nil {
		log.Error("publishing home failed", slog.Any("error", err))
		return
	}
	if turn == nil {
		// A publish is under way; it shows this change too.
		return
	}
	outcome, err := b.sendLive(ctx, key, liveOpts{turn: turn, send: func(ctx context.Context, t storage.LiveSend, st liveState) error {
		return b.updateLive(slackapi.Interactive(ctx), t, st)
	}})
	if err == nil && outcome != liveAgain {
		return
	}
	if err != nil {
		log.Error("publishing home failed", slog.Any("error", err))
	}
	if _, err := b.store.Enqueue(context.WithoutCancel(ctx), homeJob(workspaceID, userID, b.clock.Now())); err != nil {
		log.Error("queueing the home's publish failed", slog.Any("error", err))
	}
}

// runHome publishes a person's App Home after a change; a burst of changes
// publishes once.
func (b *Bot) runHome(ctx context.Context, j storage.Job) (any, error) {
	p, err := payload(j)
	if err != nil {
		return nil, err
	}
	return nil, b.runLive(ctx, homeKey(p.Workspace, p.UserID))
}
