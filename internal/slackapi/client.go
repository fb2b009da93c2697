package slackapi

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/slack-go/slack"

	"github.com/alignbot/alignbot/internal/metrics"
)

// Client calls Slack's Web API through slack-go, each call waiting for its
// method's budget (and, for chat.postMessage, its channel's) first.
type Client struct {
	api     *slack.Client
	limits  Limits
	now     func() time.Time
	metrics *metrics.Metrics

	mu       sync.Mutex
	share    float64
	methods  map[string]*bucket
	channels map[string]*bucket // chat.postMessage, by channel
	updates  map[string]*bucket // chat.update, by channel
	limited  map[string]int
	retried  map[string]int // reads tried again after a transient failure
}

// New wraps api with limits.
func New(api *slack.Client, limits Limits) *Client {
	if limits.Margin <= 0 || limits.Margin > 1 {
		limits.Margin = 1
	}
	return &Client{
		api:      api,
		limits:   limits,
		now:      time.Now,
		share:    1,
		methods:  map[string]*bucket{},
		channels: map[string]*bucket{},
		updates:  map[string]*bucket{},
		limited:  map[string]int{},
		retried:  map[string]int{},
	}
}

// SetMetrics makes the client count its calls, 429s and errors, and time
// its budget waits, by method. Call it before the first call.
func (c *Client) SetMetrics(m *metrics.Metrics) { c.metrics = m }

// SetShare makes this client use 1/replicas of every budget, so that the
// replicas of one app together stay within Slack's limits.
func (c *Client) SetShare(replicas int) {
	share := 1 / float64(max(replicas, 1))
	c.mu.Lock()
	defer c.mu.Unlock()
	if share == c.share {
		return
	}
	c.share = share
	for _, b := range c.methods {
		b.setShare(share)
	}
	for _, b := range c.channels {
		b.setShare(share)
	}
	for _, b := range c.updates {
		b.setShare(share)
	}
}

// RateLimited returns how many calls of each method Slack answered with 429.
func (c *Client) RateLimited() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]int, len(c.limited))
	for k, v := range c.limited {
		out[k] = v
	}
	return out
}

func (c *Client) method(name string) *bucket {
	c.mu.Lock()
	defer c.mu.Unlock()
	b, ok := c.methods[name]
	if !ok {
		l, limited := c.limits.Methods[name]
		if !limited {
			return nil
		}
		b = newBucket(l, c.share, c.limits.Margin, c.now())
		c.methods[name] = b
	}
	return b
}

// perChannel returns channel id's bucket of buckets, made with limit l.
func (c *Client) perChannel(buckets map[string]*bucket, id string, l Limit) *bucket {
	c.mu.Lock()
	defer c.mu.Unlock()
	b, ok := buckets[id]
	if !ok {
		now := c.now()
		// Forget channels idle for a while, or a long-running bot keeps a
		// bucket for every DM it ever posted in.
		if len(buckets) > 10000 {
			for k, v := range buckets {
				v.mu.Lock()
				idle := now.Sub(v.lastUsed) > 2*time.Minute
				v.mu.Unlock()
				if idle {
					delete(buckets, k)
				}
			}
		}
		b = newBucket(l, c.share, c.limits.Margin, now)
		buckets[id] = b
	}
	return b
}

// buckets returns the budgets a call of method in channel spends: the
// channel's (for posts and updates), then the method's.
func (c *Client) buckets(method, channel string) []*bucket {
	var buckets []*bucket
	switch {
	case channel == "":
	case method == "chat.postMessage" && c.limits.PostPerChannel.PerMinute > 0:
		buckets = append(buckets, c.perChannel(c.channels, channel, c.limits.PostPerChannel))
	case method == "chat.update" && c.limits.UpdatePerChannel.PerMinute > 0:
		buckets = append(buckets, c.perChannel(c.updates, channel, c.limits.UpdatePerChannel))
	}
	if b := c.method(method); b != nil {
		buckets = append(buckets, b)
	}
	return buckets
}

// call waits for the budgets of method (and of channel, for posts and
// updates) unless ctx carries a reservation for the call, runs do, and
// pauses the method when Slack answers 429.
func (c *Client) call(ctx context.Context, method, channel string, do func() error) error {
	buckets := c.buckets(method, channel)
	started := time.Now()
	if !spendReservation(ctx, method, channel) {
		for _, b := range buckets {
			if err := b.wait(ctx, c.now); err != nil {
				return err
			}
		}
	}
	waited := time.Since(started)
	err := do()
	if errors.Is(err, errNotSent) {
		return err
	}
	wait, limited := RetryAfter(err)
	c.metrics.SlackCall(method, waited, limited, err != nil)
	if limited && len(buckets) > 0 {
		c.mu.Lock()
		c.limited[method]++
		c.mu.Unlock()
		// A refused post is about its channel; anything else about the
		// method, whose bucket comes last.
		paused := buckets[len(buckets)-1]
		if method == "chat.postMessage" {
			paused = buckets[0]
		}
		paused.pause(c.now().Add(wait))
	}
	return err
}

// RetryAfter returns how long Slack asked to wait, if err is a 429.
func RetryAfter(err error) (time.Duration, bool) {
	var rl *slack.RateLimitedError
	if errors.As(err, &rl) {
		return max(rl.RetryAfter, time.Second), true
	}
	var sc slack.StatusCodeError
	if errors.As(err, &sc) && sc.Code == http.StatusTooManyRequests {
		return 30 * time.Second, true
	}
	return 0, false
}

// AuthTestContext calls auth.test.
func (c *Client) AuthTestContext(ctx context.Context) (resp *slack.AuthTestResponse, err error) {
	err = c.read(ctx, "auth.test", func(ctx context.Context) error {
		resp, err = c.api.AuthTestContext(ctx)
		return err
	})
	return resp, err
}

// PostMessageContext calls chat.postMessage; channelID may be a user ID,
// which posts in the app's DM with that user.
func (c *Client) PostMessageContext(ctx context.Context, channelID string, options ...slack.MsgOption) (channel, ts string, err error) {
	err = c.call(ctx, "chat.postMessage", channelID, func() error {
		channel, ts, err = c.api.PostMessageContext(ctx, channelID, options...)
		return err
	})
	return channel, ts, err
}

// UpdateMessageContext calls chat.update.
func (c *Client) UpdateMessageContext(ctx context.Context, channelID, timestamp string, options ...slack.MsgOption) (channel, ts, text string, err error) {
	err = c.call(ctx, "chat.update", channelID, func() error {
		channel, ts, text, err = c.api.UpdateMessageContext(ctx, channelID, timestamp, options...)
		return err
	})
	return channel, ts, text, err
}

// DeleteMessageContext calls chat.delete.
func (c *Client) DeleteMessageContext(ctx context.Context, channelID, timestamp string) (err error) {
	return c.call(ctx, "chat.delete", "", func() error {
		_, _, err = c.api.DeleteMessageContext(ctx, channelID, timestamp)
		return err
	})
}

// PostEphemeralContext calls chat.postEphemeral.
func (c *Client) PostEphemeralContext(ctx context.Context, channelID, userID string, options ...slack.MsgOption) (ts string, err error) {
	err = c.call(ctx, "chat.postEphemeral", "", func() error {
		ts, err = c.api.PostEphemeralContext(ctx, channelID, userID, options...)
		return err
	})
	return ts, err
}

// OpenConversationContext calls conversations.open.
func (c *Client) OpenConversationContext(ctx context.Context, params *slack.OpenConversationParameters) (ch *slack.Channel, noOp, already bool, err error) {
	err = c.read(ctx, "conversations.open", func(ctx context.Context) error {
		ch, noOp, already, err = c.api.OpenConversationContext(ctx, params)
		return err
	})
	return ch, noOp, already, err
}

// GetConversationInfoContext calls conversations.info.
func (c *Client) GetConversationInfoContext(ctx context.Context, input *slack.GetConversationInfoInput) (ch *slack.Channel, err error) {
	err = c.read(ctx, "conversations.info", func(ctx context.Context) error {
		ch, err = c.api.GetConversationInfoContext(ctx, input)
		return err
	})
	return ch, err
}

// GetConversationHistoryContext calls conversations.history.
func (c *Client) GetConversationHistoryContext(ctx context.Context, params *slack.GetConversationHistoryParameters) (resp *slack.GetConversationHistoryResponse, err error) {
	err = c.read(ctx, "conversations.history", func(ctx context.Context) error {
		resp, err = c.api.GetConversationHistoryContext(ctx, params)
		return err
	})
	return resp, err
}

// GetConversationRepliesContext calls conversations.replies.
func (c *Client) GetConversationRepliesContext(ctx context.Context, params *slack.GetConversationRepliesParameters) (msgs []slack.Message, hasMore bool, cursor string, err error) {
	err = c.read(ctx, "conversations.replies", func(ctx context.Context) error {
		msgs, hasMore, cursor, err = c.api.GetConversationRepliesContext(ctx, params)
		return err
	})
	return msgs, hasMore, cursor, err
}

// GetUsersInConversationContext calls conversations.members.
func (c *Client) GetUsersInConversationContext(ctx context.Context, params *slack.GetUsersInConversationParameters) (users []string, cursor string, err error) {
	err = c.read(ctx, "conversations.members", func(ctx context.Context) error {
		users, cursor, err = c.api.GetUsersInConversationContext(ctx, params)
		return err
	})
	return users, cursor, err
}

// GetConversationsContext calls conversations.list, one page.
func (c *Client) GetConversationsContext(ctx context.Context, params *slack.GetConversationsParameters) (channels []slack.Channel, cursor string, err error) {
	err = c.read(ctx, "conversations.list", func(ctx context.Context) error {
		channels, cursor, err = c.api.GetConversationsContext(ctx, params)
		return err
	})
	return channels, cursor, err
}

// GetUserInfoContext calls users.info.
func (c *Client) GetUserInfoContext(ctx context.Context, user string) (u *slack.User, err error) {
	err = c.read(ctx, "users.info", func(ctx context.Context) error {
		u, err = c.api.GetUserInfoContext(ctx, user)
		return err
	})
	return u, err
}

// errNotSent is a call's do that had nothing to send.
var errNotSent = errors.New("nothing to send")

// UsersPageSize is how many people a users.list page asks for: the most
// Slack gives in one page, so that a large workspace costs few calls of
// Tier 2's twenty a minute.
const UsersPageSize = 1000

// GetUsersPage calls users.list for one page of UsersPageSize people from
// cursor ("" for the first) and returns them with the next page's cursor,
// "" after the last.
func (c *Client) GetUsersPage(ctx context.Context, cursor string) (users []slack.User, next string, err error) {
	err = c.read(ctx, "users.list", func(ctx context.Context) error {
		p, err := c.api.GetUsersPaginated(slack.GetUsersOptionLimit(UsersPageSize), slack.GetUsersOptionCursor(cursor)).Next(ctx)
		users, next = p.Users, p.Cursor
		return err
	})
	return users, next, err
}

// GetUsers calls users.list page by page, each page within its budget.
func (c *Client) GetUsers(ctx context.Context) ([]slack.User, error) {
	var all []slack.User
	cursor := ""
	for {
		users, next, err := c.GetUsersPage(ctx, cursor)
		if err != nil {
			return nil, err
		}
		all = append(all, users...)
		if next == "" {
			return all, nil
		}
		cursor = next
	}
}

// OpenViewContext calls views.open.
func (c *Client) OpenViewContext(ctx context.Context, triggerID string, view slack.ModalViewRequest) (resp *slack.ViewResponse, err error) {
	err = c.call(ctx, "views.open", "", func() error {
		resp, err = c.api.OpenViewContext(ctx, triggerID, view)
		return err
	})
	return resp, err
}

// UpdateViewContext calls views.update.
func (c *Client) UpdateViewContext(ctx context.Context, view slack.ModalViewRequest, externalID, hash, viewID string) (resp *slack.ViewResponse, err error) {
	err = c.call(ctx, "views.update", "", func() error {
		resp, err = c.api.UpdateViewContext(ctx, view, externalID, hash, viewID)
		return err
	})
	return resp, err
}

// PublishViewContext calls views.publish.
func (c *Client) PublishViewContext(ctx context.Context, req slack.PublishViewContextRequest) (resp *slack.ViewResponse, err error) {
	err = c.call(ctx, "views.publish", "", func() error {
		resp, err = c.api.PublishViewContext(ctx, req)
		return err
	})
	return resp, err
}

// GetUploadURLExternalContext calls files.getUploadURLExternal.
func (c *Client) GetUploadURLExternalContext(ctx context.Context, params slack.GetUploadURLExternalParameters) (resp *slack.GetUploadURLExternalResponse, err error) {
	err = c.call(ctx, "files.getUploadURLExternal", "", func() error {
		resp, err = c.api.GetUploadURLExternalContext(ctx, params)
		return err
	})
	return resp, err
}

// UploadToURL sends a file's bytes to the URL files.getUploadURLExternal
// gave; it is not a Web API method and has no rate limit.
func (c *Client) UploadToURL(ctx context.Context, params slack.UploadToURLParameters) error {
	return c.api.UploadToURL(ctx, params)
}

// CompleteUploadExternalContext calls files.completeUploadExternal.
func (c *Client) CompleteUploadExternalContext(ctx context.Context, params slack.CompleteUploadExternalParameters) (resp *slack.CompleteUploadExternalResponse, err error) {
	err = c.call(ctx, "files.completeUploadExternal", "", func() error {
		resp, err = c.api.CompleteUploadExternalContext(ctx, params)
		return err
	})
	return resp, err
}
