package bot

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/slack-go/slack"

	"github.com/alignbot/alignbot/bot/render"
	"github.com/alignbot/alignbot/internal/locale"
	"github.com/alignbot/alignbot/internal/slackapi"
	"github.com/alignbot/alignbot/storage"
)

// userError is a refusal the person can act on, shown to them in their
// language. field, when set, names the form field at fault.
type userError struct {
	// msg is the refusal in English, for logs and tests; the reader reads
	// the catalog message id in their language. A userError without id was
	// written in the reader's language already.
	msg   string
	id    string
	args  []any
	field string
}

func (e userError) Error() string { return e.msg }

// in is the refusal in l.
func (e userError) in(l locale.Lang) string {
	if e.id == "" {
		return e.msg
	}
	p := locale.For(l)
	return p.T(e.id, translateArgs(p, e.args)...)
}

// userErr is a refusal: the catalog message id with its placeholders from
// args, alternating names and values.
func userErr(id string, args ...any) error {
	e := userError{id: id, args: args}
	e.msg = e.in(locale.English)
	return e
}

// fieldErr is a userError about one form field.
func fieldErr(field, id string, args ...any) error {
	e := userError{id: id, args: args, field: field}
	e.msg = e.in(locale.English)
	return e
}

// errDuplicate marks a delivery already handled: the handler stays silent.
var errDuplicate = errors.New("duplicate delivery")

// errTampered is a payload that no message of ours could have sent.
var errTampered = userErr("error.tampered").(userError)

// explain turns an error into what the person ctx serves should read, in
// their language: a userError as is, a database outage as "try again",
// anything else logged and answered politely. "" for a duplicate delivery,
// which gets no reply.
func (b *Bot) explain(ctx context.Context, log *slog.Logger, err error) string {
	var ue userError
	switch {
	case err == nil, errors.Is(err, errDuplicate):
		return ""
	case errors.As(err, &ue):
		return ue.in(readerLang(ctx))
	case errors.Is(err, render.ErrTampered):
		return errTampered.in(readerLang(ctx))
	case storage.Unavailable(err):
		log.Error("database unavailable", slog.Any("error", err))
		return say(ctx).T("error.database")
	}
	log.Error("request failed", slog.Any("error", err))
	return say(ctx).T("error.internal")
}

// reply tells the person who acted, and only them, how it went, through the
// response_url Slack gave with their command or click. A userError is shown
// as is; anything else is explained by explain.
func (b *Bot) reply(ctx context.Context, responseURL string, log *slog.Logger, err error, ok string) {
	text := ok
	if err != nil {
		text = b.explain(ctx, log, err)
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
	err := b.postWebhook(ctx, responseURL, msg)
	_, limited := slackapi.RetryAfter(err)
	b.metrics.SlackCall("response_url", 0, limited, err != nil)
	var urlErr *url.Error
	if errors.As(err, &urlErr) {
		return fmt.Errorf("response_url: %w", urlErr.Err)
	}
	return err
}

// postWebhook posts msg as slack.PostWebhookCustomHTTPContext does, with the
// same errors (a 429 as *slack.RateLimitedError, any other status as
// slack.StatusCodeError), its JSON written by render.WebhookJSON: a click's
// card is encoded on every click.
func (b *Bot) postWebhook(ctx context.Context, responseURL string, msg *slack.WebhookMessage) error {
	body, err := render.WebhookJSON(msg)
	if err != nil {
		return fmt.Errorf("encode response_url message: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, responseURL, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("response_url request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := b.httpClient.Do(req)
	if err != nil {
		return fmt.Errorf("post to response_url: %w", err)
	}
	defer func() {
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
	}()
	switch {
	case resp.StatusCode == http.StatusTooManyRequests && resp.Header.Get("Retry-After") != "":
		secs, err := strconv.ParseInt(resp.Header.Get("Retry-After"), 10, 64)
		if err != nil {
			return fmt.Errorf("response_url: Retry-After %q: %w", resp.Header.Get("Retry-After"), err)
		}
		return &slack.RateLimitedError{RetryAfter: time.Duration(secs) * time.Second}
	case resp.StatusCode != http.StatusOK:
		return slack.StatusCodeError{Code: resp.StatusCode, Status: resp.Status}
	}
	return nil
}
