package bot

import (
	"context"
	"errors"
	"net/http"
	"net/url"

	"github.com/slack-go/slack"

	"github.com/alignbot/alignbot/internal/outbox"
	"github.com/alignbot/alignbot/internal/slackapi"
	"github.com/alignbot/alignbot/storage"
)

// SlackAPI is the part of Slack's Web API alignbot calls. slackapi.Client
// implements it within Slack's rate limits.
type SlackAPI interface {
	AuthTestContext(ctx context.Context) (*slack.AuthTestResponse, error)
	PostMessageContext(ctx context.Context, channelID string, options ...slack.MsgOption) (string, string, error)
	UpdateMessageContext(ctx context.Context, channelID, timestamp string, options ...slack.MsgOption) (string, string, string, error)
	DeleteMessageContext(ctx context.Context, channelID, timestamp string) error
	PostEphemeralContext(ctx context.Context, channelID, userID string, options ...slack.MsgOption) (string, error)
	OpenConversationContext(ctx context.Context, params *slack.OpenConversationParameters) (*slack.Channel, bool, bool, error)
	GetConversationInfoContext(ctx context.Context, input *slack.GetConversationInfoInput) (*slack.Channel, error)
	GetConversationHistoryContext(ctx context.Context, params *slack.GetConversationHistoryParameters) (*slack.GetConversationHistoryResponse, error)
	GetConversationRepliesContext(ctx context.Context, params *slack.GetConversationRepliesParameters) ([]slack.Message, bool, string, error)
	GetUsersInConversationContext(ctx context.Context, params *slack.GetUsersInConversationParameters) ([]string, string, error)
	GetConversationsContext(ctx context.Context, params *slack.GetConversationsParameters) ([]slack.Channel, string, error)
	GetUserInfoContext(ctx context.Context, user string) (*slack.User, error)
	GetUsersPage(ctx context.Context, cursor string) ([]slack.User, string, error)
	OpenViewContext(ctx context.Context, triggerID string, view slack.ModalViewRequest) (*slack.ViewResponse, error)
	PublishViewContext(ctx context.Context, req slack.PublishViewContextRequest) (*slack.ViewResponse, error)
	GetUploadURLExternalContext(ctx context.Context, params slack.GetUploadURLExternalParameters) (*slack.GetUploadURLExternalResponse, error)
	UploadToURL(ctx context.Context, params slack.UploadToURLParameters) error
	CompleteUploadExternalContext(ctx context.Context, params slack.CompleteUploadExternalParameters) (*slack.CompleteUploadExternalResponse, error)
}

// slackErrorCode returns Slack's error code ("channel_not_found") or "".
func slackErrorCode(err error) string {
	var se slack.SlackErrorResponse
	if errors.As(err, &se) {
		return se.Err
	}
	if _, limited := slackapi.RetryAfter(err); limited {
		return "ratelimited"
	}
	return ""
}

// permanent reports whether retrying the call can never help.
func permanent(err error) bool {
	switch slackErrorCode(err) {
	case "channel_not_found", "not_in_channel", "user_not_found", "user_disabled", "cannot_dm_bot",
		"is_archived", "message_not_found", "cant_update_message", "cant_delete_message", "invalid_auth", "not_authed",
		"account_inactive", "token_revoked", "missing_scope", "user_not_in_channel", "not_allowed_token_type",
		"invalid_blocks", "invalid_blocks_format", "msg_too_long", "no_text", "restricted_action", "user_is_bot",
		"thread_not_found":
		return true
	}
	var sc slack.StatusCodeError
	if errors.As(err, &sc) {
		return sc.Code == http.StatusNotFound || sc.Code == http.StatusUnauthorized || sc.Code == http.StatusForbidden
	}
	return false
}

// classify tells the job runner how to treat a failed job: wait out Slack's
// Retry-After without counting an attempt, hold the job when something in
// the workspace must change first, retry soon without counting an attempt
// when the database was unreachable, park at once when retrying cannot
// help, otherwise retry with backoff.
func classify(err error) outbox.Class {
	if wait, limited := slackapi.RetryAfter(err); limited {
		return outbox.Class{Wait: wait}
	}
	var ce *causeError
	if errors.As(err, &ce) {
		return outbox.Class{Hold: ce.cause}
	}
	var httpErr *url.Error
	if storage.Unavailable(err) && !errors.As(err, &httpErr) {
		// PostgreSQL, not Slack (whose network errors are url.Errors):
		// a restart or a failover, over in seconds.
		return outbox.Class{Transient: true}
	}
	return outbox.Class{Permanent: permanent(err)}
}
