package bot

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/slack-go/slack"
	"golang.org/x/sync/singleflight"

	"github.com/alignbot/alignbot/internal/slackapi"
)

// directory caches who is in the workspace and which channels the bot is
// in. users.info and conversations.info are limited to 100 and 50 calls a
// minute per workspace; a hundred rounds started at once would wait minutes
// for them. users.list and conversations.list (20 a minute, a thousand
// entries a page) fill the cache in a few calls: when the bot starts, and
// again when the last listing is older than the entries it gave. One listing
// runs at a time, and every lookup that needs it waits for it page by page,
// going on as soon as the page with its person or channel has arrived. A
// miss once the cache is listed (someone who joined since, an entry Slack
// said has changed) is one users.info or conversations.info, shared by the
// lookups that want the same ID at the same time.
type directory struct {
	api SlackAPI
	log *slog.Logger
	// lookups shares one users.info or conversations.info among the
	// lookups of the same ID.
	lookups singleflight.Group

	mu                    sync.Mutex
	life                  context.Context // ends the listings when the bot stops
	users                 map[string]person
	channels              map[string]room
	members               map[string]memberList
	userList, channelList listing
}

// listing is the state of one of the two lists, guarded by d.mu.
type listing struct {
	running *listRun
	listed  time.Time // the last complete listing
	retryAt time.Time // a listing that failed is not tried again before then
}

// listRun is a listing in progress.
type listRun struct {
	page chan struct{} // closed and replaced after each page (under d.mu)
	done chan struct{} // closed when the listing has ended
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
	// relistAfterFailure is how long a failed list waits to be tried again;
	// lookups ask Slack one by one until then.
	relistAfterFailure = 30 * time.Second
	// listTimeout bounds a whole listing, every page and its wait for
	// Tier 2's budget.
	listTimeout = 2 * time.Minute
)

func newDirectory(api SlackAPI, log *slog.Logger) *directory {
	return &directory{api: api, log: log, life: context.Background(),
		users: map[string]person{}, channels: map[string]room{}, members: map[string]memberList{}}
}

// warm lists the workspace's people and channels when the bot starts, both
// at once, so the first commands find them cached. The people who type the
// first commands wait for these lists, so their pages go ahead of
// background work.
func (d *directory) warm(ctx context.Context) {
	d.mu.Lock()
	d.life = ctx
	d.mu.Unlock()
	ctx = slackapi.Interactive(ctx)
	for _, run := range []*listRun{d.listUsers(ctx), d.listChannels(ctx)} {
		if run == nil {
			continue
		}
		select {
		case <-run.done:
		case <-ctx.Done():
			return
		}
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

func toRoom(c slack.Channel, now time.Time) room {
	return room{ID: c.ID, IsMember: c.IsMember, Archived: c.IsArchived, Private: c.IsPrivate, fetched: now}
}

// list returns the listing of l in progress, starting one when none has
// completed within ttl (and none failed just now); nil when the cache is
// listed recently enough. fetch asks for the page at cursor, stores what it
// gives and returns the next cursor, "" after the last page. The listing
// runs on its own, not bound to the lookup that started it, which other
// lookups may be waiting with.
func (d *directory) list(ctx context.Context, l *listing, name string, ttl time.Duration, fetch func(ctx context.Context, cursor string) (string, error)) *listRun {
	d.mu.Lock()
	defer d.mu.Unlock()
	if l.running != nil {
		return l.running
	}
	now := time.Now()
	if now.Before(l.retryAt) || (!l.listed.IsZero() && now.Sub(l.listed) < ttl) {
		return nil
	}
	run := &listRun{page: make(chan struct{}), done: make(chan struct{})}
	l.running = run
	lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), listTimeout)
	stop := context.AfterFunc(d.life, cancel)
	go func() {
		defer cancel()
		defer stop()
		started := time.Now()
		var err error
		for cursor := ""; ; {
			if cursor, err = fetch(lctx, cursor); err != nil || cursor == "" {
				break
			}
			d.mu.Lock()
			close(run.page)
			run.page = make(chan struct{})
			d.mu.Unlock()
		}
		d.mu.Lock()
		l.running = nil
		if err == nil {
			l.listed = started
		} else {
			l.retryAt = time.Now().Add(relistAfterFailure)
		}
		close(run.page)
		close(run.done)
		d.mu.Unlock()
		if err != nil && lctx.Err() == nil {
			d.log.Warn("listing failed", slog.String("method", name), slog.Any("error", err))
		}
	}()
	return run
}

// await waits for run, page by page, until found (called under d.mu)
// reports what the lookup wants has arrived or the listing has ended.
func (d *directory) await(ctx context.Context, run *listRun, found func() bool) error {
	for {
		d.mu.Lock()
		ok, page := found(), run.page
		d.mu.Unlock()
		if ok {
			return nil
		}
		select {
		case <-run.done:
			return nil
		case <-page:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func (d *directory) listUsers(ctx context.Context) *listRun {
	return d.list(ctx, &d.userList, "users.list", personTTL, func(ctx context.Context, cursor string) (string, error) {
		users, next, err := d.api.GetUsersPage(ctx, cursor)
		if err != nil {
			return "", fmt.Errorf("users.list: %w", err)
		}
		now := time.Now()
		d.mu.Lock()
		defer d.mu.Unlock()
		for _, u := range users {
			d.users[u.ID] = toPerson(u, now)
		}
		return next, nil
	})
}

func (d *directory) listChannels(ctx context.Context) *listRun {
	return d.list(ctx, &d.channelList, "conversations.list", roomTTL, func(ctx context.Context, cursor string) (string, error) {
		params := &slack.GetConversationsParameters{Types: []string{"public_channel", "private_channel"}, Limit: 1000, Cursor: cursor}
		chans, next, err := d.api.GetConversationsContext(ctx, params)
		if err != nil {
			return "", fmt.Errorf("conversations.list: %w", err)
		}
		now := time.Now()
		d.mu.Lock()
		defer d.mu.Unlock()
		for _, c := range chans {
			d.channels[c.ID] = toRoom(c, now)
		}
		return next, nil
	})
}

// person returns a workspace member, from the cache when fresh.
func (d *directory) person(ctx context.Context, id string) (person, error) {
	if p, ok := d.cachedPerson(id); ok {
		return p, nil
	}
	if run := d.listUsers(ctx); run != nil {
		if err := d.await(ctx, run, func() bool { _, ok := d.freshPerson(id); return ok }); err != nil {
			return person{}, err
		}
		if p, ok := d.cachedPerson(id); ok {
			return p, nil
		}
	}
	v, err := d.shared(ctx, "user:"+id, func(ctx context.Context) (any, error) {
		u, err := d.api.GetUserInfoContext(ctx, id)
		if err != nil {
			return person{}, err
		}
		p := toPerson(*u, time.Now())
		d.mu.Lock()
		d.users[id] = p
		d.mu.Unlock()
		return p, nil
	})
	if err != nil {
		return person{}, err
	}
	return v.(person), nil
}

func (d *directory) cachedPerson(id string) (person, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.freshPerson(id)
}

// freshPerson is cachedPerson for a caller holding d.mu.
func (d *directory) freshPerson(id string) (person, bool) {
	p, ok := d.users[id]
	return p, ok && time.Since(p.fetched) < personTTL
}

// room returns a channel as the bot sees it, from the cache when fresh.
func (d *directory) room(ctx context.Context, id string) (room, error) {
	if r, ok := d.cachedRoom(id); ok {
		return r, nil
	}
	if run := d.listChannels(ctx); run != nil {
		if err := d.await(ctx, run, func() bool { _, ok := d.freshRoom(id); return ok }); err != nil {
			return room{}, err
		}
		if r, ok := d.cachedRoom(id); ok {
			return r, nil
		}
	}
	v, err := d.shared(ctx, "channel:"+id, func(ctx context.Context) (any, error) {
		c, err := d.api.GetConversationInfoContext(ctx, &slack.GetConversationInfoInput{ChannelID: id})
		if err != nil {
			return room{}, err
		}
		r := toRoom(*c, time.Now())
		d.mu.Lock()
		d.channels[id] = r
		d.mu.Unlock()
		return r, nil
	})
	if err != nil {
		return room{}, err
	}
	return v.(room), nil
}

func (d *directory) cachedRoom(id string) (room, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.freshRoom(id)
}

// freshRoom is cachedRoom for a caller holding d.mu.
func (d *directory) freshRoom(id string) (room, bool) {
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

// listed reports whether both lists have completed once.
func (d *directory) listed() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return !d.userList.listed.IsZero() && !d.channelList.listed.IsZero()
}

// lookupTimeout bounds a lookup shared by several callers, which outlives
// any one of them.
const lookupTimeout = 10 * time.Second

// shared runs lookup once for every caller asking for key at the same
// time. It runs apart from the first caller's cancellation, so that a
// caller giving up fails none of the others; each returns when its own
// ctx is done.
func (d *directory) shared(ctx context.Context, key string, lookup func(ctx context.Context) (any, error)) (any, error) {
	ch := d.lookups.DoChan(key, func() (any, error) {
		lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), lookupTimeout)
		defer cancel()
		return lookup(lctx)
	})
	select {
	case r := <-ch:
		return r.Val, r.Err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}
