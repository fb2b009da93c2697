package slackfake

import (
	"bytes"
	"cmp"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Slack's limits on messages.
const (
	maxMessageBlocks = 50
	maxViewBlocks    = 100
	maxTextRunes     = 40000
)

// content is what a message shows.
type content struct {
	text     string
	blocks   json.RawMessage
	metadata json.RawMessage
	// decoded is blocks decoded, when the fake decoded them to check them.
	decoded []block
}

// messageContent reads text, blocks and metadata from a chat.* call and
// checks them as Slack does. The caller holds s.mu.
func (s *Server) messageContent(r *request) (content, *apiError) {
	c := content{text: r.str("text")}
	if utf8.RuneCountInString(c.text) > maxTextRunes {
		return c, fail("msg_too_long")
	}
	blocks, decoded, err := s.normalizeDecoded(r.raw("blocks"), maxMessageBlocks)
	switch {
	case errors.Is(err, errBlockFormat):
		return c, fail("invalid_blocks_format")
	case err != nil:
		return c, failWith("invalid_blocks", obj{"response_metadata": obj{"messages": []string{"[ERROR] " + err.Error()}}})
	}
	c.blocks, c.decoded = blocks, decoded
	meta, e := checkMetadata(r.raw("metadata"))
	if e != nil {
		return c, e
	}
	c.metadata = meta
	return c, nil
}

// checkMetadata checks message metadata: an object with an event_type.
// slack-go sends {"event_type":"","event_payload":null} through response_urls
// when a message has none; that is no metadata.
func checkMetadata(raw json.RawMessage) (json.RawMessage, *apiError) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return nil, nil
	}
	var m struct {
		EventType string `json:"event_type"`
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fail("invalid_metadata_format")
	}
	if m.EventType == "" {
		return nil, nil
	}
	return raw, nil
}

// postTarget resolves the channel of a post. A user ID posts into the bot's
// DM with that user, as Slack does. The caller holds s.mu.
func (s *Server) postTarget(id string) (*channel, *apiError) {
	if u, ok := s.users[id]; ok {
		switch {
		case u.Deleted:
			return nil, fail("user_disabled")
		case u.IsBot:
			return nil, fail("cannot_dm_bot")
		}
		return s.dmWith(id), nil
	}
	c, e := s.visibleChannel(id, true)
	if e == nil && c.Archived {
		return nil, fail("is_archived")
	}
	return c, e
}

// visibleChannel returns a channel the bot can see: a private channel the bot
// is not in does not exist for it. With needMember, a public channel the bot
// is not in answers not_in_channel. The caller holds s.mu.
func (s *Server) visibleChannel(id string, needMember bool) (*channel, *apiError) {
	c, ok := s.channels[id]
	if !ok || (c.Private && !c.BotMember) {
		return nil, fail("channel_not_found")
	}
	if needMember && !c.BotMember {
		return nil, fail("not_in_channel")
	}
	return c, nil
}

// threadParent returns the message a reply goes under: a reply to a reply
// goes under the first message of the thread. The caller holds s.mu.
func (s *Server) threadParent(channelID, ts string) (*Message, *apiError) {
	m, ok := s.byTS[ts]
	if !ok || m.Ephemeral || m.Channel != channelID || m.Deleted {
		return nil, fail("thread_not_found")
	}
	if m.ThreadTS != "" {
		return s.byTS[m.ThreadTS], nil
	}
	return m, nil
}

// addMessage stores a new message. The caller holds s.mu.
func (s *Server) addMessage(m *Message) {
	s.messages = append(s.messages, m)
	s.byTS[m.TS] = m
	if m.ThreadTS != "" && !m.Ephemeral {
		s.replies[m.ThreadTS] = append(s.replies[m.ThreadTS], m)
		if parent, ok := s.byTS[m.ThreadTS]; ok {
			parent.wire = nil // its reply count changed
		}
	}
}

// newBotMessage makes a message from the bot. The caller holds s.mu.
func (s *Server) newBotMessage(source string, ch *channel, threadTS string, c content) *Message {
	ts := s.nextTS()
	return &Message{
		Channel:   ch.ID,
		TS:        ts,
		ThreadTS:  threadTS,
		User:      s.cfg.botUserID,
		BotID:     s.cfg.botID,
		Text:      c.text,
		Blocks:    c.blocks,
		Metadata:  c.metadata,
		Source:    source,
		Revisions: []Revision{{Method: source, Text: c.text, Blocks: c.blocks, Metadata: c.metadata, At: s.now()}},
		decoded:   c.decoded,
	}
}

// revise changes a message's content and records the revision. The caller
// holds s.mu.
func (s *Server) revise(m *Message, method string, c content) {
	m.Text, m.Blocks, m.Metadata = c.text, c.blocks, c.metadata
	m.decoded, m.wire = c.decoded, nil
	m.Revisions = append(m.Revisions, Revision{Method: method, Text: c.text, Blocks: c.blocks, Metadata: c.metadata, At: s.now()})
	for _, w := range s.revWaiters[m.TS] {
		close(w)
	}
	delete(s.revWaiters, m.TS)
}

// WaitRevision blocks until the message channelID/ts has at least n
// revisions (the first post is revision 1) or ctx is done, and returns it.
// Unlike WaitFor it wakes only for changes of that message, so that many
// waiters (a benchmark's simulated people) do not all wake at every call.
func (s *Server) WaitRevision(ctx context.Context, channelID, ts string, n int) (Message, error) {
	for {
		s.mu.Lock()
		m, ok := s.byTS[ts]
		if !ok || m.Channel != channelID {
			s.mu.Unlock()
			return Message{}, fmt.Errorf("slackfake: no message %s in %s", ts, channelID)
		}
		if len(m.Revisions) >= n {
			out := m.clone()
			s.mu.Unlock()
			return out, nil
		}
		w := make(chan struct{})
		s.revWaiters[ts] = append(s.revWaiters[ts], w)
		s.mu.Unlock()
		select {
		case <-w:
		case <-ctx.Done():
			return Message{}, fmt.Errorf("slackfake: waiting for revision %d of %s: %w", n, ts, ctx.Err())
		}
	}
}

func (s *Server) chatPostMessage(r *request) (obj, *apiError) {
	ch, e := s.postTarget(r.str("channel"))
	if e != nil {
		return nil, e
	}
	c, e := s.messageContent(r)
	if e != nil {
		return nil, e
	}
	if c.text == "" && c.blocks == nil && !r.has("attachments") {
		return nil, fail("no_text")
	}
	threadTS := ""
	if ts := r.str("thread_ts"); ts != "" {
		parent, e := s.threadParent(ch.ID, ts)
		if e != nil {
			return nil, e
		}
		threadTS = parent.TS
	}
	m := s.newBotMessage("chat.postMessage", ch, threadTS, c)
	s.addMessage(m)
	return obj{"channel": ch.ID, "ts": m.TS, "message": s.wireMessage(m, true)}, nil
}

// channelMessage returns a message of a channel that chat.update and
// chat.delete can act on. The caller holds s.mu.
func (s *Server) channelMessage(r *request) (*Message, *apiError) {
	ch, e := s.visibleChannel(r.str("channel"), false)
	if e != nil {
		return nil, e
	}
	m, ok := s.byTS[r.str("ts")]
	if !ok || m.Ephemeral || m.Deleted || m.Channel != ch.ID {
		return nil, fail("message_not_found")
	}
	if ch.Archived {
		return nil, fail("is_archived")
	}
	return m, nil
}

func (s *Server) chatUpdate(r *request) (obj, *apiError) {
	m, e := s.channelMessage(r)
	if e != nil {
		return nil, e
	}
	if m.BotID != s.cfg.botID {
		return nil, fail("cant_update_message")
	}
	c, e := s.messageContent(r)
	if e != nil {
		return nil, e
	}
	// Slack keeps what an update leaves out: blocks unless "blocks" is sent
	// (an empty array removes them), likewise text and metadata.
	if !r.has("text") {
		c.text = m.Text
	}
	if !r.has("blocks") {
		c.blocks = m.Blocks
	}
	if !r.has("metadata") {
		c.metadata = m.Metadata
	}
	if c.text == "" && c.blocks == nil && !r.has("attachments") {
		return nil, fail("no_text")
	}
	s.revise(m, "chat.update", c)
	return obj{"channel": m.Channel, "ts": m.TS, "text": m.Text, "message": s.wireMessage(m, true)}, nil
}

func (s *Server) chatDelete(r *request) (obj, *apiError) {
	m, e := s.channelMessage(r)
	if e != nil {
		return nil, e
	}
	if m.BotID != s.cfg.botID {
		return nil, fail("cant_delete_message")
	}
	m.Deleted = true
	return obj{"channel": m.Channel, "ts": m.TS}, nil
}

func (s *Server) chatPostEphemeral(r *request) (obj, *apiError) {
	ch, e := s.postTarget(r.str("channel"))
	if e != nil {
		return nil, e
	}
	userID := r.str("user")
	u, ok := s.users[userID]
	if !ok {
		return nil, fail("user_not_found")
	}
	if u.Deleted || !ch.hasMember(userID) {
		return nil, fail("user_not_in_channel")
	}
	c, e := s.messageContent(r)
	if e != nil {
		return nil, e
	}
	if c.text == "" && c.blocks == nil && !r.has("attachments") {
		return nil, fail("no_text")
	}
	m := s.newBotMessage("chat.postEphemeral", ch, r.str("thread_ts"), c)
	m.Ephemeral, m.Recipient = true, userID
	s.addMessage(m)
	return obj{"message_ts": m.TS}, nil
}

// AddUserMessage posts a message as a person, e.g. so that a test can check
// that the bot cannot update it. It returns the message's ts. No event is
// sent: SendDirectMessage is the verb for a person writing to the bot.
func (s *Server) AddUserMessage(userID, channelID, text string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch, ok := s.channels[channelID]
	if !ok {
		return "", errors.New("slackfake: no channel " + channelID)
	}
	m := s.addUserMessage(userID, ch, text)
	s.notify()
	return m.TS, nil
}

// addUserMessage stores a message from a person. The caller holds s.mu.
func (s *Server) addUserMessage(userID string, ch *channel, text string) *Message {
	m := &Message{
		Channel:   ch.ID,
		TS:        s.nextTS(),
		User:      userID,
		Text:      text,
		Source:    "user",
		Revisions: []Revision{{Method: "user", Text: text, At: s.now()}},
	}
	s.addMessage(m)
	return m
}

// wireMessage renders a message as Slack's API returns it. The caller holds
// s.mu.
func (s *Server) wireMessage(m *Message, withMetadata bool) obj {
	w := obj{"type": "message", "text": m.Text, "ts": m.TS, "team": s.cfg.teamID}
	if m.User != "" {
		w["user"] = m.User
	}
	if m.BotID != "" {
		w["bot_id"] = m.BotID
		w["app_id"] = s.cfg.appID
		w["bot_profile"] = obj{
			"id": s.cfg.botID, "app_id": s.cfg.appID, "name": s.cfg.botName,
			"team_id": s.cfg.teamID, "deleted": false, "updated": 1700000000,
		}
	}
	if len(m.Blocks) > 0 {
		w["blocks"] = m.Blocks
	}
	if len(m.Files) > 0 {
		files := make([]obj, 0, len(m.Files))
		for _, id := range m.Files {
			if f, ok := s.files[id]; ok {
				files = append(files, s.wireFile(f))
			}
		}
		w["files"] = files
		w["upload"] = true
		w["display_as_bot"] = false
	}
	if withMetadata && len(m.Metadata) > 0 {
		w["metadata"] = m.Metadata
	}
	if n := len(m.Revisions); n > 1 {
		w["edited"] = obj{"user": m.User, "ts": formatTS(m.Revisions[n-1].At.UnixMicro())}
	}
	if m.ThreadTS != "" {
		w["thread_ts"] = m.ThreadTS
		if parent, ok := s.byTS[m.ThreadTS]; ok {
			w["parent_user_id"] = parent.User
		}
		return w
	}
	var replies []*Message
	for _, r := range s.replies[m.TS] {
		if !r.Deleted {
			replies = append(replies, r)
		}
	}
	if len(replies) > 0 {
		var users []string
		for _, r := range replies {
			if !slices.Contains(users, r.User) {
				users = append(users, r.User)
			}
		}
		w["thread_ts"] = m.TS
		w["reply_count"] = len(replies)
		w["reply_users_count"] = len(users)
		w["reply_users"] = users
		w["latest_reply"] = replies[len(replies)-1].TS
	}
	return w
}

func (s *Server) conversationsOpen(r *request) (obj, *apiError) {
	var users []string
	for u := range strings.SplitSeq(r.str("users"), ",") {
		if u = strings.TrimSpace(u); u != "" {
			users = append(users, u)
		}
	}
	if len(users) == 0 {
		if ch, ok := s.channels[r.str("channel")]; ok && ch.im {
			return obj{"no_op": true, "already_open": true, "channel": obj{"id": ch.ID}}, nil
		}
		if r.str("channel") != "" {
			return nil, fail("channel_not_found")
		}
		return nil, fail("users_list_not_supplied")
	}
	if len(users) > 1 {
		// Multi-person DMs are not simulated.
		return nil, fail("not_supported")
	}
	u, ok := s.users[users[0]]
	switch {
	case !ok:
		return nil, fail("user_not_found")
	case u.Deleted:
		return nil, fail("user_disabled")
	case u.IsBot:
		return nil, fail("cannot_dm_bot")
	}
	_, existed := s.dms[u.ID]
	ch := s.dmWith(u.ID)
	resp := obj{"channel": obj{"id": ch.ID}}
	if r.flag("return_im") {
		resp["channel"] = s.wireChannel(ch)
	}
	if existed {
		resp["no_op"], resp["already_open"] = true, true
	}
	return resp, nil
}

// wireChannel renders a conversation as conversations.info returns it. The
// caller holds s.mu.
func (s *Server) wireChannel(c *channel) obj {
	if c.im {
		deleted := false
		if u, ok := s.users[c.imUser]; ok {
			deleted = u.Deleted
		}
		return obj{
			"id": c.ID, "created": c.created, "is_archived": false, "is_im": true,
			"is_org_shared": false, "context_team_id": s.cfg.teamID, "updated": c.created * 1000,
			"user": c.imUser, "is_user_deleted": deleted, "priority": 0, "is_open": true,
		}
	}
	empty := obj{"value": "", "creator": "", "last_set": 0}
	return obj{
		"id":                    c.ID,
		"name":                  c.Name,
		"name_normalized":       c.Name,
		"is_channel":            true,
		"is_group":              false,
		"is_im":                 false,
		"is_mpim":               false,
		"is_private":            c.Private,
		"created":               c.created,
		"creator":               "",
		"updated":               c.created * 1000,
		"is_archived":           c.Archived,
		"is_general":            false,
		"unlinked":              0,
		"is_shared":             false,
		"is_org_shared":         false,
		"is_ext_shared":         false,
		"is_pending_ext_shared": false,
		"pending_shared":        []string{},
		"context_team_id":       s.cfg.teamID,
		"is_member":             c.BotMember,
		"num_members":           len(c.Members) + boolInt(c.BotMember),
		"topic":                 empty,
		"purpose":               empty,
		"previous_names":        []string{},
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func (s *Server) conversationsInfo(r *request) (obj, *apiError) {
	ch, e := s.visibleChannel(r.str("channel"), false)
	if e != nil {
		return nil, e
	}
	return obj{"channel": s.wireChannel(ch)}, nil
}

// historyCursor encodes a pagination cursor as Slack's look:
// base64("next_ts:1512085861000543").
func historyCursor(ts string) string {
	return base64.StdEncoding.EncodeToString([]byte("next_ts:" + strings.ReplaceAll(ts, ".", "")))
}

func parseCursor(cursor string) (int64, bool) {
	b, err := base64.StdEncoding.DecodeString(cursor)
	if err != nil || !bytes.HasPrefix(b, []byte("next_ts:")) {
		return 0, false
	}
	n, err := strconv.ParseInt(string(b[len("next_ts:"):]), 10, 64)
	return n, err == nil
}

// tsMicros parses "1700000000.000100" into microseconds.
func tsMicros(ts string) (int64, bool) {
	sec, frac, _ := strings.Cut(ts, ".")
	s, err := strconv.ParseInt(sec, 10, 64)
	if err != nil {
		return 0, false
	}
	frac = (frac + "000000")[:6]
	f, err := strconv.ParseInt(frac, 10, 64)
	if err != nil {
		return 0, false
	}
	return s*1_000_000 + f, true
}

func (s *Server) conversationsHistory(r *request) (obj, *apiError) {
	ch, e := s.visibleChannel(r.str("channel"), true)
	if e != nil {
		return nil, e
	}
	limit := 100
	if n, err := strconv.Atoi(r.str("limit")); err == nil && n > 0 {
		limit = min(n, 999)
	}
	latest, oldest := int64(1<<62), int64(0)
	if v, ok := tsMicros(r.str("latest")); ok {
		latest = v
	}
	if v, ok := tsMicros(r.str("oldest")); ok {
		oldest = v
	}
	inclusive := r.flag("inclusive")
	if c, ok := parseCursor(r.str("cursor")); ok {
		latest, inclusive = c, true
	}
	withMeta := r.flag("include_all_metadata")

	var page []obj
	hasMore, next := false, ""
	for i := len(s.messages) - 1; i >= 0; i-- {
		m := s.messages[i]
		if m.Channel != ch.ID || m.Ephemeral || m.Deleted || m.ThreadTS != "" {
			continue
		}
		at, _ := tsMicros(m.TS)
		if at > latest || (at == latest && !inclusive) || at < oldest || (at == oldest && !inclusive && oldest > 0) {
			continue
		}
		if len(page) == limit {
			hasMore, next = true, historyCursor(m.TS)
			break
		}
		page = append(page, s.wireMessage(m, withMeta))
	}
	if page == nil {
		page = []obj{}
	}
	return obj{
		"messages": page, "has_more": hasMore, "pin_count": 0,
		"channel_actions_ts": nil, "channel_actions_count": 0,
		"response_metadata": obj{"next_cursor": next},
	}, nil
}

func (s *Server) conversationsReplies(r *request) (obj, *apiError) {
	ch, e := s.visibleChannel(r.str("channel"), true)
	if e != nil {
		return nil, e
	}
	parent, e := s.threadParent(ch.ID, r.str("ts"))
	if e != nil {
		return nil, e
	}
	withMeta := r.flag("include_all_metadata")
	msgs := []obj{s.wireMessage(parent, withMeta)}
	for _, m := range s.replies[parent.TS] {
		if !m.Deleted {
			msgs = append(msgs, s.wireMessage(m, withMeta))
		}
	}
	return obj{"messages": msgs, "has_more": false, "response_metadata": obj{"next_cursor": ""}}, nil
}

// membersCursor encodes a conversations.members cursor as Slack's look:
// base64("{user_id: U123}"), naming the first member of the next page.
func membersCursor(userID string) string {
	return base64.StdEncoding.EncodeToString([]byte("{user_id: " + userID + "}"))
}

func parseMembersCursor(cursor string) (string, bool) {
	b, err := base64.StdEncoding.DecodeString(cursor)
	if err != nil {
		return "", false
	}
	id, ok := strings.CutPrefix(string(b), "{user_id: ")
	if !ok {
		return "", false
	}
	id, ok = strings.CutSuffix(id, "}")
	return id, ok && id != ""
}

// conversationsMembers lists a conversation's members, a page at a time
// (limit: default 100, at most 1000). Like Slack it works on a public channel
// the bot is not in, and a private channel the bot is not in does not exist
// for it. Members come in the order AddChannel gave them, then the bot.
func (s *Server) conversationsMembers(r *request) (obj, *apiError) {
	ch, e := s.visibleChannel(r.str("channel"), false)
	if e != nil {
		return nil, e
	}
	var members []string
	if ch.im {
		members = []string{ch.imUser, s.cfg.botUserID}
	} else {
		members = slices.Clone(ch.Members)
		if ch.BotMember && !slices.Contains(members, s.cfg.botUserID) {
			members = append(members, s.cfg.botUserID)
		}
	}
	limit := 100
	if v := r.str("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return nil, invalidArgument("limit", "expected a positive integer")
		}
		if n > 0 {
			limit = min(n, 1000)
		}
	}
	start := 0
	if cursor := r.str("cursor"); cursor != "" {
		id, ok := parseMembersCursor(cursor)
		if !ok {
			return nil, fail("invalid_cursor")
		}
		if start = slices.Index(members, id); start < 0 {
			return nil, fail("invalid_cursor")
		}
	}
	end := min(start+limit, len(members))
	next := ""
	if end < len(members) {
		next = membersCursor(members[end])
	}
	page := members[start:end]
	if page == nil {
		page = []string{}
	}
	return obj{"members": page, "response_metadata": obj{"next_cursor": next}}, nil
}

func (s *Server) usersInfo(r *request) (obj, *apiError) {
	u, ok := s.users[r.str("user")]
	if !ok {
		return nil, fail("user_not_found")
	}
	return obj{"user": s.wireUser(u, r.flag("include_locale"))}, nil
}

// wireUser renders a user as users.info returns it. Like Slack, a
// deactivated user comes without time zone or admin fields. The caller holds
// s.mu.
func (s *Server) wireUser(u *User, locale bool) obj {
	profile := obj{
		"real_name": u.RealName, "real_name_normalized": u.RealName,
		"display_name": u.Name, "display_name_normalized": u.Name,
		"team": s.cfg.teamID, "status_text": "", "status_emoji": "",
		"image_48": "https://a.slack-edge.com/80588/img/avatars/user_shapes/ava_0001-48.png",
	}
	w := obj{
		"id": u.ID, "team_id": s.cfg.teamID, "name": u.Name, "deleted": u.Deleted,
		"profile": profile, "is_bot": u.IsBot, "is_app_user": false,
		"updated": s.now().Add(-time.Hour).Unix(),
	}
	if u.IsBot {
		profile["always_active"] = true
		if u.ID == s.cfg.botUserID {
			profile["bot_id"] = s.cfg.botID
			profile["api_app_id"] = s.cfg.appID
		}
	}
	if u.Deleted {
		return w
	}
	w["color"] = "9f69e7"
	w["real_name"] = u.RealName
	w["tz"] = u.TZ
	w["tz_label"] = cmp.Or(u.TZLabel, u.TZ)
	w["tz_offset"] = u.TZOffset
	owner := u.IsOwner || u.IsPrimaryOwner
	w["is_admin"] = u.IsAdmin || owner
	w["is_owner"] = owner
	w["is_primary_owner"] = u.IsPrimaryOwner
	w["is_restricted"] = u.IsRestricted || u.IsUltraRestricted
	w["is_ultra_restricted"] = u.IsUltraRestricted
	w["is_email_confirmed"] = !u.IsBot
	w["who_can_share_contact_card"] = "EVERYONE"
	if locale {
		w["locale"] = cmp.Or(u.Locale, "en-US")
	}
	return w
}
