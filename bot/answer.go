package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/slack-go/slack"

	"github.com/alignbot/alignbot/bot/render"
	"github.com/alignbot/alignbot/internal/outbox"
	"github.com/alignbot/alignbot/internal/slackapi"
	"github.com/alignbot/alignbot/storage"
)

// Nothing a person typed ends in silence. A slash command is recorded before
// it is acknowledged (storage.BeginCommand) and forgotten once answered;
// the answer goes through the command's response_url, tried again when
// Slack fails transiently, then as an ephemeral message in the channel,
// then as a DM through the outbox. If the replica working on a command
// dies, another finds it unanswered and tells the person (sweepCommands).

// respondTries is how often a response_url post is tried when Slack fails
// transiently; a failed post does not use up one of the URL's five uses.
const respondTries = 3

// respondRetrying posts to a response_url, trying again on a 5xx, a timeout
// or a dropped connection.
func (b *Bot) respondRetrying(ctx context.Context, responseURL string, msg *slack.WebhookMessage) error {
	var err error
	for try := range respondTries {
		if try > 0 {
			t := time.NewTimer(time.Duration(try) * 150 * time.Millisecond)
			select {
			case <-ctx.Done():
				t.Stop()
				return err
			case <-t.C:
			}
		}
		if err = b.respond(ctx, responseURL, msg); err == nil || !slackapi.Transient(err) {
			return err
		}
	}
	return err
}

// commandRecordTimeout bounds recording a command before its ack: Slack's 3
// seconds must not wait on a database that does not answer.
const commandRecordTimeout = 500 * time.Millisecond

// beginCommand records a command before it is acknowledged. When the
// database cannot take it, the command is still handled (and will say the
// database is unavailable).
func (b *Bot) beginCommand(envelopeID string, cmd slack.SlashCommand) {
	ctx, cancel := context.WithTimeout(context.Background(), commandRecordTimeout)
	defer cancel()
	err := b.store.BeginCommand(ctx, storage.Command{EnvelopeID: envelopeID, UserID: cmd.UserID, ChannelID: cmd.ChannelID,
		Text: render.Clip(cmd.Text, 500), ResponseURL: cmd.ResponseURL, ReceivedAt: time.Now()})
	if err != nil {
		b.log.Warn("recording a command failed", slog.String("user_id", cmd.UserID), slog.Any("error", err))
	}
}

// answerCommand tells the person who typed a command how it went, by every
// way there is, and forgets the command.
func (b *Bot) answerCommand(ctx context.Context, envelopeID string, cmd slack.SlashCommand, log *slog.Logger, err error, ok string) {
	ctx = context.WithoutCancel(ctx)
	defer func() {
		if err := b.store.EndCommand(ctx, envelopeID); err != nil {
			log.Warn("forgetting an answered command failed", slog.Any("error", err))
		}
	}()
	text := ok
	if err != nil {
		text = b.explain(ctx, log, err)
	}
	if text == "" {
		return
	}
	b.tell(ctx, cmd.ResponseURL, cmd.ChannelID, cmd.UserID, text, log)
}

// tell gives a person a message only they see: through the response_url,
// else ephemeral in the channel, else by DM through the outbox.
func (b *Bot) tell(ctx context.Context, responseURL, channelID, userID, text string, log *slog.Logger) {
	if responseURL != "" {
		msg := &slack.WebhookMessage{Text: text, ResponseType: slack.ResponseTypeEphemeral}
		err := b.respondRetrying(ctx, responseURL, msg)
		if err == nil {
			return
		}
		log.Warn("reply failed; posting it in the channel", slog.Any("error", err))
	}
	if channelID != "" {
		_, err := b.api.PostEphemeralContext(slackapi.Interactive(ctx), channelID, userID, slack.MsgOptionText(text, false))
		if err == nil {
			return
		}
		log.Warn("ephemeral reply failed; sending it by DM", slog.Any("error", err))
	}
	n := storage.NewJob{Key: fmt.Sprintf("%s:%s:%s", jobNotice, userID, changeKey()), Kind: jobNotice,
		Payload: jobPayload{UserID: userID, Text: text}, RunAt: b.clock.Now()}
	if _, err := b.store.Enqueue(ctx, n); err != nil {
		log.Error("the person could not be told how their command went", slog.Any("error", err))
	}
}

// runNotice DMs a person what could not reach them otherwise.
func (b *Bot) runNotice(ctx context.Context, j storage.Job) (any, error) {
	p, err := payload(j)
	if err != nil {
		return nil, err
	}
	if p.UserID == "" || p.Text == "" {
		return nil, outbox.Drop("nothing to tell")
	}
	ch, ts, err := b.postOnce(ctx, j, p.UserID, "", render.Note(p.Text))
	if err != nil {
		return nil, err
	}
	return postResult{Channel: ch, TS: ts}, nil
}

// commandAbandoned is how long a command may go unanswered before it is
// taken for lost with its replica: longer than a handler may run.
const commandAbandoned = 45 * time.Second

// responseURLLife is how long Slack takes posts to a response_url.
const responseURLLife = 30 * time.Minute

// sweepCommands answers, every few seconds, the commands whose replica died
// before answering them.
func (b *Bot) sweepCommands(ctx context.Context) {
	tick := time.NewTicker(min(5*time.Second, max(time.Second, b.commandAbandoned/2)))
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		now := time.Now()
		n, err := b.store.AbandonedCommands(ctx, now.Add(-b.commandAbandoned), now.Add(-responseURLLife), func(c storage.Command) {
			text := render.CommandLost(b.personLang(ctx, c.UserID), c.Text)
			log := b.log.With(slog.String("user_id", c.UserID), slog.String("channel_id", c.ChannelID))
			b.tell(ctx, c.ResponseURL, c.ChannelID, c.UserID, text, log)
		})
		switch {
		case err != nil && ctx.Err() == nil && !errors.Is(err, context.Canceled):
			b.log.Warn("answering abandoned commands failed", slog.Any("error", err))
		case n > 0:
			b.log.Info("answered commands their replica left unanswered", slog.Int("count", n))
		}
	}
}
