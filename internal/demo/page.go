package demo

import (
	"context"
	"fmt"
	"hash/fnv"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/alignbot/alignbot/internal/slackfake"
)

// view is what one page shows: who looks, at which conversation, and
// optionally a thread and a message to bring into view.
type view struct {
	as      Person
	c       string // a channel ID, "dm" (the person's DM with alignbot) or "home"
	channel string // the conversation's ID: the channel, the DM (once it exists), "" for home
	thread  string
	msg     string
}

// pageError is a request for something that does not exist or that the
// person cannot see; it is shown as it is, with a 404.
type pageError struct{ msg string }

func (e pageError) Error() string { return e.msg }

// resolve checks a page request: a person of the demo, a conversation they
// can see, a thread and a message that exist there.
func (d *Demo) resolve(q url.Values) (view, error) {
	as := q.Get("as")
	if as == "" {
		as = fran
	}
	p, ok := personByID(as)
	if !ok {
		return view{}, pageError{fmt.Sprintf("There is no person %q in the demo workspace: act as %s.", as, everyone())}
	}
	v := view{as: p, c: q.Get("c"), thread: q.Get("thread"), msg: q.Get("msg")}
	switch v.c {
	case "":
		v.c, v.channel = channelID, channelID
	case "home":
	case "dm":
		v.channel, _ = d.fake.DMChannel(p.ID)
	default:
		if !d.fake.CanSee(p.ID, v.c) || strings.HasPrefix(v.c, "D") {
			return view{}, pageError{fmt.Sprintf("There is no conversation %q that %s can see: open #%s, or alignbot's Home or Messages.", v.c, p.First, channel)}
		}
		v.channel = v.c
	}
	for _, ts := range []string{v.thread, v.msg} {
		if ts == "" {
			continue
		}
		if v.channel == "" || !d.visible(p.ID, v.channel, ts) {
			return view{}, pageError{fmt.Sprintf("There is no message %q that %s can see in this conversation.", ts, p.First)}
		}
	}
	return v, nil
}

// visible reports whether a message exists in a conversation and the
// person sees it.
func (d *Demo) visible(userID, channelID, ts string) bool {
	m, ok := d.fake.Message(channelID, ts)
	return ok && !m.Deleted && (!m.Ephemeral || m.Recipient == userID) && d.fake.CanSee(userID, channelID)
}

func everyone() string {
	var names []string
	for _, p := range people {
		names = append(names, fmt.Sprintf("%s (%s, as=%s)", p.First, p.Role, p.ID))
	}
	return strings.Join(names, ", ")
}

// href is a page address for the person.
func (v view) href(c, thread string) string {
	u := "/?as=" + url.QueryEscape(v.as.ID) + "&c=" + url.QueryEscape(c)
	if thread != "" {
		u += "&thread=" + url.QueryEscape(thread)
	}
	return u
}

// parts are the pieces of the page the script replaces when something
// changes.
type parts struct {
	Title    string `json:"title"`
	Clock    string `json:"clock"`
	Sidebar  string `json:"sidebar"`
	Header   string `json:"header"`
	Guide    string `json:"guide"`
	Timeline string `json:"timeline"`
	Thread   string `json:"thread"`
	Modal    string `json:"modal"`
	ModalKey string `json:"modal_key"`
	Composer string `json:"composer"`
	// Hashes name what each part shows, so that the page replaces only
	// the parts that changed: a part replaced under a person's pointer
	// would swallow their click.
	Hashes map[string]string `json:"hashes"`
}

// hash names a part's content.
func hash(s string) string {
	h := fnv.New64a()
	h.Write([]byte(s))
	return strconv.FormatUint(h.Sum64(), 36)
}

// render builds every part of the page.
func (d *Demo) render(ctx context.Context, v view) parts {
	rc := d.renderCtx(v.as)
	var p parts
	p.Clock = d.clockPart(ctx, v)
	p.Sidebar = d.sidebar(v)
	p.Header, p.Title = d.header(v)
	p.Guide = d.guide(ctx, v)
	switch v.c {
	case "home":
		p.Timeline = d.homePart(rc, v)
	default:
		p.Timeline = d.timeline(rc, v)
		p.Composer = composerPlaceholder(v)
	}
	if v.thread != "" {
		p.Thread = d.threadPart(rc, v)
	}
	p.Modal, p.ModalKey = d.modalPart(v)
	p.Hashes = map[string]string{"clock": hash(p.Clock), "sidebar": hash(p.Sidebar), "header": hash(p.Header),
		"guide": hash(p.Guide), "timeline": hash(p.Timeline), "thread": hash(p.Thread)}
	if v.channel != "" {
		d.markSeen(v.as.ID, v.channel)
	}
	return p
}

// renderCtx is how the person sees Block Kit.
func (d *Demo) renderCtx(p Person) *renderCtx {
	rc := &renderCtx{viewer: p, loc: p.location(), now: d.clock.Now(), users: map[string]string{}, channels: map[string]string{}, domain: teamDomain}
	for _, u := range d.fake.People() {
		if !u.IsBot && !u.Deleted {
			rc.users[u.ID] = u.RealName
		}
	}
	for _, c := range d.fake.Channels() {
		if d.fake.CanSee(p.ID, c.ID) {
			rc.channels[c.ID] = c.Name
		}
	}
	return rc
}

func composerPlaceholder(v view) string {
	if v.c == "dm" {
		return "Message alignbot, or type /alignment help"
	}
	return "Message #" + channel + ", or type /alignment …"
}

func avatar(initials, color string) string {
	return `<div class="avatar" style="background:` + esc(color) + `">` + esc(initials) + `</div>`
}

func (d *Demo) sidebar(v view) string {
	var b strings.Builder
	b.WriteString(`<div class="ws-name">` + esc(teamName) + ` <span class="demo-badge">demo</span></div>`)
	b.WriteString(`<div class="side-title">You are</div><nav class="people" aria-label="You are">`)
	for _, p := range people {
		class := "person"
		if p.ID == v.as.ID {
			class += " current"
		}
		c := v.c
		if c != "home" && c != "dm" {
			c = channelID
		}
		dot := ""
		if dm, ok := d.fake.DMChannel(p.ID); ok && d.unread(p.ID, dm) > 0 && p.ID != v.as.ID {
			dot = `<span class="dot" title="New messages from alignbot"></span>`
		}
		b.WriteString(`<a class="` + class + `" data-person="` + esc(p.First) + `" href="/?as=` + url.QueryEscape(p.ID) + `&c=` + url.QueryEscape(c) + `">` +
			avatar(p.Initials, p.Color) + `<span class="person-name">` + esc(p.First) + `<span class="person-role">` + esc(p.Role) + `</span></span>` + dot + `</a>`)
	}
	b.WriteString(`</nav>`)
	item := func(c, label, icon, conv string) {
		class := "nav"
		if v.c == c || (c == "dm" && v.c == "home") {
			class += " active"
		}
		if conv != "" && d.unread(v.as.ID, conv) > 0 && !strings.Contains(class, "active") {
			class += " unread"
		}
		b.WriteString(`<a class="` + class + `" href="` + esc(v.href(c, "")) + `">` + icon + `<span>` + esc(label) + `</span></a>`)
	}
	b.WriteString(`<div class="side-title">Channels</div>`)
	item(channelID, channel, `<span class="hash">#</span>`, channelID)
	b.WriteString(`<div class="side-title">Apps</div>`)
	dm, _ := d.fake.DMChannel(v.as.ID)
	item("dm", "alignbot", `<span class="app-icon">ab</span>`, dm)
	b.WriteString(`<div class="side-foot">Everything here runs on your machine: a fake Slack, a real PostgreSQL and the real alignbot.</div>`)
	return b.String()
}

func (d *Demo) header(v view) (string, string) {
	if v.c == "home" || v.c == "dm" {
		tab := func(c, label string) string {
			class := "tab"
			if v.c == c {
				class += " active"
			}
			return `<a class="` + class + `" href="` + esc(v.href(c, "")) + `">` + esc(label) + `</a>`
		}
		return `<div class="header-title"><span class="app-icon big">ab</span> alignbot <span class="app-badge">APP</span></div><nav class="tabs">` +
			tab("home", "Home") + tab("dm", "Messages") + `</nav>`, "alignbot"
	}
	return `<div class="header-title"><span class="hash">#</span>` + esc(channel) + `</div><div class="header-meta">` +
		strconv.Itoa(len(people)) + ` members · alignbot is in this channel</div>`, "#" + channel
}

// unread counts the messages of a conversation the person has not seen.
func (d *Demo) unread(userID, conv string) int {
	n := len(d.fake.Timeline(userID, conv))
	d.mu.Lock()
	defer d.mu.Unlock()
	return n - d.seen[userID+"|"+conv]
}

func (d *Demo) markSeen(userID, conv string) {
	n := len(d.fake.Timeline(userID, conv))
	d.mu.Lock()
	defer d.mu.Unlock()
	d.seen[userID+"|"+conv] = n
}

func (d *Demo) timeline(rc *renderCtx, v view) string {
	if v.channel == "" || (v.c == "dm" && len(d.fake.Timeline(v.as.ID, v.channel)) == 0) {
		return `<div class="empty">This is the very beginning of your messages with alignbot. It writes here when you have a questionnaire to answer or an action to own; type <code>/alignment help</code> to see what it does.</div>`
	}
	var b strings.Builder
	if v.c == channelID {
		b.WriteString(`<div class="channel-intro"><div class="intro-title"># ` + esc(channel) + `</div>Where marketing and sales talk about the pipeline. alignbot posts each round's announcement and reveal here.</div>`)
	}
	var lastDay string
	for _, m := range d.fake.Timeline(v.as.ID, v.channel) {
		at := tsTime(m.TS).In(rc.loc)
		if day := at.Format("2006-01-02"); day != lastDay {
			lastDay = day
			b.WriteString(`<div class="day"><span>` + esc(dayLabel(at, rc.now.In(rc.loc))) + `</span></div>`)
		}
		b.WriteString(d.message(rc, v, m, true))
	}
	return b.String()
}

func dayLabel(t, now time.Time) string {
	switch formatSlackDate("{date_pretty}", t, now) {
	case "Today":
		return "Today"
	case "Yesterday":
		return "Yesterday"
	case "Tomorrow":
		return "Tomorrow"
	}
	return formatSlackDate("{date_long}", t, now)
}

// tsTime reads a message ts ("1700000000.000100").
func tsTime(ts string) time.Time {
	sec, frac, _ := strings.Cut(ts, ".")
	s, _ := strconv.ParseInt(sec, 10, 64)
	f, _ := strconv.ParseInt((frac + "000000")[:6], 10, 64)
	return time.Unix(s, f*1000)
}

// message renders one message; withReplies adds its thread's summary.
func (d *Demo) message(rc *renderCtx, v view, m slackfake.Message, withReplies bool) string {
	var b strings.Builder
	class := "msg"
	if m.Ephemeral {
		class += " ephemeral"
	}
	if m.TS == v.msg {
		class += " highlight"
	}
	b.WriteString(`<div class="` + class + `" id="m` + esc(strings.ReplaceAll(m.TS, ".", "")) + `" data-ts="` + esc(m.TS) + `">`)
	name, face, badge := "alignbot", `<div class="avatar bot">ab</div>`, `<span class="app-badge">APP</span>`
	if m.BotID == "" {
		if p, ok := personByID(m.User); ok {
			name, face, badge = p.Name, avatar(p.Initials, p.Color), ""
		} else {
			name, face, badge = m.User, avatar("?", "#777"), ""
		}
	}
	b.WriteString(face + `<div class="msg-body">`)
	if m.Ephemeral {
		b.WriteString(`<div class="only-you">👁 Only visible to you</div>`)
	}
	at := tsTime(m.TS).In(rc.loc)
	b.WriteString(`<div class="msg-head"><span class="author">` + esc(name) + `</span>` + badge +
		`<time class="msg-time" title="` + esc(at.Format("Monday, 2 January 2006 at 15:04")) + `">` + esc(at.Format("3:04 PM")) + `</time></div>`)
	rc.target = ` data-ch="` + esc(m.Channel) + `" data-ts="` + esc(m.TS) + `"`
	b.WriteString(`<div class="msg-content">`)
	if len(m.Blocks) > 0 {
		b.WriteString(rc.blocks(m.Blocks))
	} else if m.Text != "" {
		b.WriteString(`<div class="bk-text">` + rc.mrkdwn(m.Text) + `</div>`)
	}
	for _, id := range m.Files {
		f, ok := d.fake.File(id)
		if !ok {
			continue
		}
		src := "/files/" + url.PathEscape(f.ID) + "?as=" + url.QueryEscape(v.as.ID)
		b.WriteString(`<div class="file"><div class="file-title">` + esc(f.Title) + `</div>`)
		if strings.HasSuffix(strings.ToLower(f.Filename), ".png") || strings.HasSuffix(strings.ToLower(f.Filename), ".jpg") {
			b.WriteString(`<a href="` + esc(src) + `" target="_blank"><img class="file-img" src="` + esc(src) + `" alt="` + esc(f.AltText) + `"></a>`)
		} else {
			b.WriteString(`<a class="file-chip" href="` + esc(src) + `">` + esc(f.Filename) + `</a>`)
		}
		b.WriteString(`</div>`)
	}
	b.WriteString(`</div>`)
	if withReplies && !m.Ephemeral {
		if n := d.fake.ReplyCount(m.Channel, m.TS); n > 0 {
			word := "replies"
			if n == 1 {
				word = "reply"
			}
			c := v.c
			b.WriteString(`<a class="replies" href="` + esc(v.href(c, m.TS)) + `"><span class="reply-face">ab</span>` + strconv.Itoa(n) + ` ` + word + `<span class="reply-view">View thread</span></a>`)
		}
	}
	b.WriteString(`</div></div>`)
	return b.String()
}

func (d *Demo) threadPart(rc *renderCtx, v view) string {
	var b strings.Builder
	where := "#" + channel
	if v.c == "dm" {
		where = "alignbot"
	}
	b.WriteString(`<div class="thread-head"><div><b>Thread</b> <span class="thread-where">` + esc(where) + `</span></div><a class="thread-close" href="` + esc(v.href(v.c, "")) + `" title="Close">×</a></div><div class="thread-body">`)
	for i, m := range d.fake.ThreadFor(v.as.ID, v.channel, v.thread) {
		b.WriteString(d.message(rc, v, m, false))
		if i == 0 {
			if n := d.fake.ReplyCount(v.channel, v.thread); n > 0 {
				b.WriteString(`<div class="reply-count">` + strconv.Itoa(n) + ` replies</div>`)
			}
		}
	}
	b.WriteString(`</div>`)
	return b.String()
}

func (d *Demo) homePart(rc *renderCtx, v view) string {
	home, ok := d.fake.Home(v.as.ID)
	if !ok {
		return `<div class="empty">Opening alignbot's Home…</div>`
	}
	rc.target = ` data-view="` + esc(home.ID) + `"`
	return `<div class="home">` + rc.blocks(home.Blocks) + `</div>`
}

// modalPart renders the person's open modal, and a key that changes only
// when the bot changes the modal, so that the page keeps what the person
// is typing through unrelated updates.
func (d *Demo) modalPart(v view) (string, string) {
	m, ok := d.fake.OpenView(v.as.ID)
	if !ok {
		return "", ""
	}
	rc := d.renderCtx(v.as)
	rc.form = true
	rc.target = ` data-view="` + esc(m.ID) + `"`
	spec := decodeView(m.Raw)
	submit := ""
	if spec.submit != "" {
		submit = `<button type="submit" class="bk-btn bk-primary" data-submit>` + rc.plain(spec.submit) + `</button>`
	}
	closeText := spec.close
	if closeText == "" {
		closeText = "Cancel"
	}
	body := rc.blocks(m.Blocks)
	return `<div class="backdrop"><form class="modal" data-view="` + esc(m.ID) + `" novalidate><div class="modal-head"><span class="app-icon">ab</span><h2>` + rc.plain(m.Title) +
		`</h2><button type="button" class="modal-x" data-close title="Close">×</button></div><div class="modal-body">` + body +
		`</div><div class="modal-foot"><button type="button" class="bk-btn" data-close>` + rc.plain(closeText) + `</button>` + submit + `</div></form></div>`, m.ID + ":" + m.Hash
}
