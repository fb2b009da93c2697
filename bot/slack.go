package bot

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/slack-go/slack"
	"golang.org/x/time/rate"
)

// SlackAPI is the part of Slack's Web API alignbot calls. *slack.Client
// implements it; Paced wraps one to respect Slack's rate limits.
type SlackAPI interface {
	AuthTestContext(ctx context.Context) (*slack.AuthTestResponse, error)
	PostMessageContext(ctx context.Context, channelID string, options ...slack.MsgOption) (string, string, error)
	UpdateMessageContext(ctx context.Context, channelID, timestamp string, options ...slack.MsgOption) (string, string, string, error)
	PostEphemeralContext(ctx context.Context, channelID, userID string, options ...slack.MsgOption) (string, error)
	OpenConversationContext(ctx context.Context, params *slack.OpenConversationParameters) (*slack.Channel, bool, bool, error)
	GetConversationInfoContext(ctx context.Context, input *slack.GetConversationInfoInput) (*slack.Channel, error)
	GetConversationHistoryContext(ctx context.Context, params *slack.GetConversationHistoryParameters) (*slack.GetConversationHistoryResponse, error)
	GetConversationRepliesContext(ctx context.Context, params *slack.GetConversationRepliesParameters) ([]slack.Message, bool, string, error)
	GetUserInfoContext(ctx context.Context, user string, options ...slack.GetUserInfoOption) (*slack.User, error)
	OpenViewContext(ctx context.Context, triggerID string, view slack.ModalViewRequest) (*slack.ViewResponse, error)
	UpdateViewContext(ctx context.Context, view slack.ModalViewRequest, externalID, hash, viewID string) (*slack.ViewResponse, error)
	PublishViewContext(ctx context.Context, req slack.PublishViewContextRequest) (*slack.ViewResponse, error)
}

// Pace is how fast alignbot lets itself call Slack. Slack allows about one
// chat.postMessage a second per channel with short bursts, and a few hundred
// calls a minute per workspace.
type Pace struct {
	PerChannel      rate.Limit
	PerChannelBurst int
	Workspace       rate.Limit
	WorkspaceBurst  int
}

// SlackPace is the pace Slack's published limits call for.
var SlackPace = Pace{PerChannel: 1, PerChannelBurst: 3, Workspace: 5, WorkspaceBurst: 30}

// Paced calls Slack no faster than its Pace allows: every call waits for the
// workspace limiter, and posts also for their channel's. Waiting is cheaper
// than a 429.
type Paced struct {
	SlackAPI
	pace      Pace
	workspace *rate.Limiter
	mu        sync.Mutex
	channels  map[string]*channelLimiter
}

type channelLimiter struct {
	*rate.Limiter
	used time.Time
}

// NewPaced wraps api.
func NewPaced(api SlackAPI, pace Pace) *Paced {
	return &Paced{
		SlackAPI:  api,
		pace:      pace,
		workspace: rate.NewLimiter(pace.Workspace, pace.WorkspaceBurst),
		channels:  map[string]*channelLimiter{},
	}
}

func (p *Paced) wait(ctx context.Context, channelID string) error {
	if channelID != "" {
		if err := p.channel(channelID).Wait(ctx); err != nil {
			return err
		}
	}
	return p.workspace.Wait(ctx)
}

func (p *Paced) channel(id string) *rate.Limiter {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now()
	l, ok := p.channels[id]
	if !ok {
		// Forget channels idle for a while, or a long-running bot keeps one
		// limiter per DM it ever sent.
		if len(p.channels) > 10000 {
			for k, v := range p.channels {
				if now.Sub(v.used) > time.Minute {
					delete(p.channels, k)
				}
			}
		}
		l = &channelLimiter{Limiter: rate.NewLimiter(p.pace.PerChannel, p.pace.PerChannelBurst)}
		p.channels[id] = l
	}
	l.used = now
	return l.Limiter
}

// PostMessageContext waits for the channel's and the workspace's turn.
func (p *Paced) PostMessageContext(ctx context.Context, channelID string, options ...slack.MsgOption) (string, string, error) {
	if err := p.wait(ctx, channelID); err != nil {
		return "", "", err
	}
	return p.SlackAPI.PostMessageContext(ctx, channelID, options...)
}

// UpdateMessageContext waits for the workspace's turn.
func (p *Paced) UpdateMessageContext(ctx context.Context, channelID, timestamp string, options ...slack.MsgOption) (string, string, string, error) {
	if err := p.wait(ctx, ""); err != nil {
		return "", "", "", err
	}
	return p.SlackAPI.UpdateMessageContext(ctx, channelID, timestamp, options...)
}

// OpenConversationContext waits for the workspace's turn.
func (p *Paced) OpenConversationContext(ctx context.Context, params *slack.OpenConversationParameters) (*slack.Channel, bool, bool, error) {
	if err := p.wait(ctx, ""); err != nil {
		return nil, false, false, err
	}
	return p.SlackAPI.OpenConversationContext(ctx, params)
}

// GetConversationHistoryContext waits for the workspace's turn.
func (p *Paced) GetConversationHistoryContext(ctx context.Context, params *slack.GetConversationHistoryParameters) (*slack.GetConversationHistoryResponse, error) {
	if err := p.wait(ctx, ""); err != nil {
		return nil, err
	}
	return p.SlackAPI.GetConversationHistoryContext(ctx, params)
}

// GetConversationRepliesContext waits for the workspace's turn.
func (p *Paced) GetConversationRepliesContext(ctx context.Context, params *slack.GetConversationRepliesParameters) ([]slack.Message, bool, string, error) {
	if err := p.wait(ctx, ""); err != nil {
		return nil, false, "", err
	}
	return p.SlackAPI.GetConversationRepliesContext(ctx, params)
}

// slackErrorCode returns Slack's error code ("channel_not_found") or "".
func slackErrorCode(err error) string {
	var se slack.SlackErrorResponse
	if errors.As(err, &se) {
		return se.Err
	}
	return ""
}

// permanent reports whether retrying the call can never help.
func permanent(err error) bool {
	switch slackErrorCode(err) {
	case "channel_not_found", "not_in_channel", "user_not_found", "user_disabled", "cannot_dm_bot",
		"is_archived", "message_not_found", "cant_update_message", "invalid_auth", "not_authed",
		"account_inactive", "token_revoked", "missing_scope", "user_not_in_channel", "not_allowed_token_type",
		"invalid_blocks", "msg_too_long", "no_text", "restricted_action", "user_is_bot":
		return true
	}
	var sc slack.StatusCodeError
	if errors.As(err, &sc) {
		return sc.Code == http.StatusNotFound || sc.Code == http.StatusUnauthorized || sc.Code == http.StatusForbidden
	}
	return false
}

// retryAfter returns how long Slack asked us to wait, if it did.
func retryAfter(err error) (time.Duration, bool) {
	var rl *slack.RateLimitedError
	if errors.As(err, &rl) {
		return rl.RetryAfter, true
	}
	var sc slack.StatusCodeError
	if errors.As(err, &sc) && sc.Code == http.StatusTooManyRequests {
		return 30 * time.Second, true
	}
	return 0, false
}
