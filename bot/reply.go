package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"

	"github.com/slack-go/slack"

	"github.com/alignbot/alignbot/bot/render"
	"github.com/alignbot/alignbot/storage"
)

// userError is a refusal the person can act on; its text is shown to them as
// is. field, when set, names the form field at fault.
type userError struct {
	msg   string
	field string
}

func (e userError) Error() string { return e.msg }

func userErrorf(format string, args ...any) error {
	return userError{msg: fmt.Sprintf(format, args...)}
}

// fieldErrorf is a userError about one form field.
func fieldErrorf(field, format string, args ...any) error {
	return userError{msg: fmt.Sprintf(format, args...), field: field}
}

// errDuplicate marks a delivery already handled: the handler stays silent.
var errDuplicate = errors.New("duplicate delivery")

// errTampered is a payload that no message of ours could have sent.
var errTampered = userError{msg: "That button doesn't match anything I sent you, so nothing was changed. Use the buttons on my latest message."}

// explain turns an error into what the person should read: a userError as
// is, a database outage as "try again", anything else logged and answered
// politely. "" for a duplicate delivery, which gets no reply.
func (b *Bot) explain(log *slog.Logger, err error) string {
	var ue userError
	switch {
	case err == nil, errors.Is(err, errDuplicate):
		return ""
	case errors.As(err, &ue):
		return ue.msg
	case errors.Is(err, render.ErrTampered):
		return errTampered.msg
	case storage.Unavailable(err):
		log.Error("database unavailable", slog.Any("error", err))
		return "I can't reach my database right now, so nothing was changed. Please try again in a minute."
	}
	log.Error("request failed", slog.Any("error", err))
	return "Something went wrong on my side and nothing was changed. Please try again in a minute."
}

// reply tells the person who acted, and only them, how it went, through the
// response_url Slack gave with their command or click. A userError is shown
// as is; anything else is explained by explain.
func (b *Bot) reply(ctx context.Context, responseURL string, log *slog.Logger, err error, ok string) {
	text := ok
	if err != nil {
		text = b.explain(log, err)
	}
	if text == "" || responseURL == "" {
		return
	}
	msg := &slack.WebhookMessage{Text: text, ResponseType: slack.ResponseTypeEphemeral}
	if perr := b.respondRetrying(ctx, responseURL, msg); perr != nil {
		log.Warn("reply failed", slog.Any("error", perr))
	}
}

// respond posts to a response_url. The URL lets anyone post into the
// conversation for half an hour: it stays out of errors and logs.
func (b *Bot) respond(ctx context.Context, responseURL string, msg *slack.WebhookMessage) error {
	err := slack.PostWebhookCustomHTTPContext(ctx, responseURL, b.httpClient, msg)
	var urlErr *url.Error
	if errors.As(err, &urlErr) {
		return fmt.Errorf("response_url: %w", urlErr.Err)
	}
	return err
}
