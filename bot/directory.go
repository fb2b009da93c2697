package bot

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/slack-go/slack"
)

// directory caches who is in the workspace and which channels the bot is
// in. users.info and conversations.info are limited to 100 and 50 calls a
// minute per workspace; a hundred rounds started at once would wait minutes
// for them. users.list and conversations.list (20 a minute, a thousand
// entries a call) fill the cache in one call each, refreshed at most every
// few minutes; a miss falls back to the single lookup.
type directory struct {
	api SlackAPI
	log *slog.Logger

	mu       sync.Mutex
	users    map[string]person
	channels map[string]room
	members  map[string]memberList
	// listing is closed when the running users.list / conversations.list
	// ends, so concurrent lookups wait for one call instead of each making
	// their own.
	usersListing, channelsListing chan struct{}
	usersListed, channelsListed   time.Time
}

// person is what alignbot needs to know about a workspace member.
type person struct {
	ID      string
	IsBot   bool
	Deleted bool
	Admin   bool // a workspace admin or owner
	Loc     *time.Location
	// Locale is the person's Slack language, "ja-JP" (users.info and
	// users.list give it with include_locale); "" when Slack did not say.
	Locale  string
	fetched time.Time
}

// room is what alignbot needs to know about a channel.
type room struct {
	ID       string
	IsMember bool // the bot is a member
	Archived bool
	Private  bool
	fetched  time.Time
}

type memberList struct {
	users   map[string]bool
	fetched time.Time
}

// How long cached entries are trusted.
const (
	personTTL  = time.Hour
	roomTTL    = 10 * time.Minute
	membersTTL = time.Minute
	relistGap  = 5 * time.Minute
	// relistAfterFailure is how long a failed list waits to be tried again.
	relistAfterFailure = 30 * time.Second
)

func newDirectory(api SlackAPI, log *slog.Logger) *directory {
	return &directory{api: api, log: log, users: map[string]person{}, channels: map[string]room{}, members: map[string]memberList{}}
}

// warm lists the workspace's people and channels when the bot starts, so the
// first commands find them cached.
func (d *directory) warm(ctx context.Context) {
	if err := d.listUsers(ctx); err != nil && ctx.Err() == nil {
		d.log.Warn("listing users failed", slog.Any("error", err))
	}
	if err := d.listChannels(ctx); err != nil && ctx.Err() == nil {
		d.log.Warn("listing channels failed", slog.Any("error", err))
	}
}

func toPerson(u slack.User, now time.Time) person {
	loc, err := time.LoadLocation(u.TZ)
	if err != nil || u.TZ == "" {
		loc = time.FixedZone(u.TZLabel, u.TZOffset)
	}
	return person{ID: u.ID, IsBot: u.IsBot, Deleted: u.Deleted, Admin: u.IsAdmin || u.IsOwner || u.IsPrimaryOwner, Loc: loc,
		Locale: u.Locale, fetched: now}
}

// listOnce runs list unless one is running (then it waits for that one) or
// one ran less than relistGap ago.
func (d *directory) listOnce(ctx context.Context, running *chan struct{}, last *time.Time, list func(ctx context.Context) error) error {
	d.mu.Lock()
	if wait := *running; wait != nil {
		d.mu.Unlock()
		select {
		case <-wait:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if time.Since(*last) < relistGap {
		d.mu.Unlock()
		return nil
	}
	done := make(chan struct{})
	*running = done
	d.mu.Unlock()
	err := list(ctx)
	d.mu.Lock()
	*running = nil
	switch {
	case err == nil:
		*last = time.Now()
	case ctx.Err() == nil:
		// A list that keeps failing is not asked for again by every
		// lookup meanwhile (each would spend its tries and the list's
		// small budget): lookups ask Slack one by one until then.
		*last = time.Now().Add(relistAfterFailure - relistGap)
	}
	d.mu.Unlock()
	close(done)
	return err
}

func (d *directory) listUsers(ctx context.Context) error {
	return d.listOnce(ctx, &d.usersListing, &d.usersListed, func(ctx context.Context) error {
		users, err := d.api.GetUsers(ctx)
		if err != nil {
			return fmt.Errorf("users.list: %w", err)
		}
		now := time.Now()
		d.mu.Lock()
		defer d.mu.Unlock()
		for _, u := range users {
			d.users[u.ID] = toPerson(u, now)
		}
		return nil
	})
}

func (d *directory) listChannels(ctx context.Context) error {
	return d.listOnce(ctx, &d.channelsListing, &d.channelsListed, func(ctx context.Context) error {
		params := &slack.GetConversationsParameters{Types: []string{"public_channel", "private_channel"}, Limit: 1000, ExcludeArchived: false}
		now := time.Now()
		for {
			chans, cursor, err := d.api.GetConversationsContext(ctx, params)
			if err != nil {
				return fmt.Errorf("conversations.list: %w", err)
			}
			d.mu.Lock()
			for _, c := range chans {
				d.channels[c.ID] = room{ID: c.ID, IsMember: c.IsMember, Archived: c.IsArchived, Private: c.IsPrivate, fetched: now}
			}
			d.mu.Unlock()
			if cursor == "" {
				return nil
			}
			params.Cursor = cursor
		}
	})
}

// person returns a workspace member, from the cache when fresh.
func (d *directory) person(ctx context.Context, id string) (person, error) {
	if p, ok := d.cachedPerson(id); ok {
		return p, nil
	}
	if err := d.listUsers(ctx); err != nil {
		d.log.Warn("listing users failed", slog.Any("error", err))
	}
	if p, ok := d.cachedPerson(id); ok {
		return p, nil
	}
	u, err := d.api.GetUserInfoContext(ctx, id)
	if err != nil {
		return person{}, err
	}
	p := toPerson(*u, time.Now())
	d.mu.Lock()
	d.users[id] = p
	d.mu.Unlock()
	return p, nil
}

func (d *directory) cachedPerson(id string) (person, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	p, ok := d.users[id]
	return p, ok && time.Since(p.fetched) < personTTL
}

// room returns a channel as the bot sees it, from the cache when fresh.
func (d *directory) room(ctx context.Context, id string) (room, error) {
	if r, ok := d.cachedRoom(id); ok {
		return r, nil
	}
	if err := d.listChannels(ctx); err != nil {
		d.log.Warn("listing channels failed", slog.Any("error", err))
	}
	if r, ok := d.cachedRoom(id); ok {
		return r, nil
	}
	c, err := d.api.GetConversationInfoContext(ctx, &slack.GetConversationInfoInput{ChannelID: id})
	if err != nil {
		return room{}, err
	}
	r := room{ID: c.ID, IsMember: c.IsMember, Archived: c.IsArchived, Private: c.IsPrivate, fetched: time.Now()}
	d.mu.Lock()
	d.channels[id] = r
	d.mu.Unlock()
	return r, nil
}

func (d *directory) cachedRoom(id string) (room, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	r, ok := d.channels[id]
	return r, ok && time.Since(r.fetched) < roomTTL
}

// forgetRoom drops a channel from the cache: Slack said something that
// contradicts it (not_in_channel).
func (d *directory) forgetRoom(id string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.channels, id)
}

// isMember reports whether user is a member of channel.
func (d *directory) isMember(ctx context.Context, channel, user string) (bool, error) {
	d.mu.Lock()
	m, ok := d.members[channel]
	d.mu.Unlock()
	if ok && time.Since(m.fetched) < membersTTL {
		return m.users[user], nil
	}
	users := map[string]bool{}
	params := &slack.GetUsersInConversationParameters{ChannelID: channel, Limit: 1000}
	for {
		ids, cursor, err := d.api.GetUsersInConversationContext(ctx, params)
		if err != nil {
			return false, err
		}
		for _, id := range ids {
			users[id] = true
		}
		if cursor == "" {
			break
		}
		params.Cursor = cursor
	}
	d.mu.Lock()
	d.members[channel] = memberList{users: users, fetched: time.Now()}
	d.mu.Unlock()
	return users[user], nil
}
