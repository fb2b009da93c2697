package slackfake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/websocket"

	"github.com/alignbot/alignbot/manifests"
)

// The app's installation, as Slack keeps it: the scopes each token was
// granted, the user tokens people authorized, whether Socket Mode is on.
// A test changes it to see what an operator's misconfiguration looks like
// from the bot's side, and Slack's answers follow:
//
//   - every answer to a known token carries X-OAuth-Scopes (the scopes the
//     token was granted) and X-Accepted-OAuth-Scopes (those the method
//     accepts);
//   - a method that needs a scope the token lacks answers missing_scope with
//     needed and provided;
//   - a user token (xoxp-) passes auth.test, as Slack's does, answering as
//     its user with no bot_id; other methods the bot uses answer
//     not_allowed_token_type, like an app-level token anywhere but
//     apps.connections.open and a bot token there;
//   - with Socket Mode off, apps.connections.open still hands out a URL, and
//     the socket opens with a disconnect of reason link_disabled instead of
//     hello, then closes;
//   - the app-level token may be another app's: its hello then names that
//     app, while bots.info names the bot's.
type installation struct {
	botScopes   []string          // granted to the bot token
	appScopes   []string          // granted to the app-level token
	userTokens  map[string]string // user token → user ID
	userScopes  []string          // granted to every user token
	socketOff   bool              // Socket Mode disabled in the app's settings
	otherApp    string            // the app the app-level token belongs to, when not the bot's
	offTickets  map[string]bool   // websocket URLs handed out while Socket Mode was off
	scheduled   []*ScheduledMessage
	scheduleSeq int
}

func newInstallation() installation {
	return installation{
		botScopes:  manifests.BotScopes(),
		appScopes:  []string{"connections:write"},
		userTokens: map[string]string{},
		userScopes: []string{"identify"},
		offTickets: map[string]bool{},
	}
}

// SetBotScopes replaces the scopes the bot token was granted, as a
// reinstall with another manifest would. By default they are the scopes
// manifests/alignbot.yaml asks for.
func (s *Server) SetBotScopes(scopes ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.inst.botScopes = slices.Clone(scopes)
	s.notify()
}

// BotScopes returns the scopes the bot token was granted.
func (s *Server) BotScopes() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.inst.botScopes)
}

// RevokeBotScope removes one scope from the bot token.
func (s *Server) RevokeBotScope(scope string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.inst.botScopes = slices.DeleteFunc(s.inst.botScopes, func(g string) bool { return g == scope })
	s.notify()
}

// SetAppTokenScopes replaces the scopes of the app-level token, which are
// connections:write by default.
func (s *Server) SetAppTokenScopes(scopes ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.inst.appScopes = slices.Clone(scopes)
	s.notify()
}

// AddUserToken makes a user token (xoxp-…) for a person of the workspace, as
// installing the app for that user would, and returns it.
func (s *Server) AddUserToken(userID string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	token := fmt.Sprintf("xoxp-%d-%s-%s", len(s.inst.userTokens)+1, userID, s.randomString(upperAlnum, 12))
	s.inst.userTokens[token] = userID
	return token
}

// SetSocketMode turns the app's Socket Mode setting on or off (on by
// default). Turning it off does not close open connections.
func (s *Server) SetSocketMode(enabled bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.inst.socketOff = !enabled
	s.notify()
}

// SetAppTokenApp makes the app-level token another app's (one created
// beside alignbot, say): Socket Mode connects, and its hello names that app.
func (s *Server) SetAppTokenApp(appID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.inst.otherApp = appID
	s.notify()
}

// appTokenApp is the app the app-level token belongs to. The caller holds
// s.mu.
func (s *Server) appTokenApp() string {
	if s.inst.otherApp != "" {
		return s.inst.otherApp
	}
	return s.cfg.appID
}

// botsInfo answers bots.info for the app's bot, the only bot the fake
// knows. The caller holds s.mu.
func (s *Server) botsInfo(r *request) (obj, *apiError) {
	if id := r.str("bot"); id != "" && id != s.cfg.botID {
		return nil, fail("bot_not_found")
	}
	return obj{"bot": obj{"id": s.cfg.botID, "deleted": false, "name": s.cfg.botName, "updated": s.now().Unix(),
		"app_id": s.cfg.appID, "user_id": s.cfg.botUserID, "icons": obj{}}}, nil
}

// ScheduledMessage is a message chat.scheduleMessage accepted and
// chat.deleteScheduledMessage has not removed. The fake never posts it.
type ScheduledMessage struct {
	ID      string
	Channel string
	PostAt  time.Time
	Text    string
}

// ScheduledMessages returns the messages scheduled and not deleted.
func (s *Server) ScheduledMessages() []ScheduledMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]ScheduledMessage, 0, len(s.inst.scheduled))
	for _, m := range s.inst.scheduled {
		out = append(out, *m)
	}
	return out
}

// ScheduleCalls returns how many chat.scheduleMessage calls Slack accepted.
func (s *Server) ScheduleCalls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.inst.scheduleSeq
}

// tokenKindOf says what a token is. The caller holds s.mu.
func (s *Server) tokenKindOf(token string) (tokenKind, bool) {
	switch token {
	case s.cfg.botToken:
		return botToken, true
	case s.cfg.appToken:
		return appToken, true
	}
	if _, ok := s.inst.userTokens[token]; ok {
		return userToken, true
	}
	return 0, false
}

// grantedScopes returns the scopes of a known token, as X-OAuth-Scopes
// lists them, and false for an unknown one. The caller holds s.mu.
func (s *Server) grantedScopes(token string) (string, bool) {
	kind, ok := s.tokenKindOf(token)
	if !ok {
		return "", false
	}
	switch kind {
	case botToken:
		return strings.Join(s.inst.botScopes, ","), true
	case appToken:
		return strings.Join(s.inst.appScopes, ","), true
	}
	return strings.Join(s.inst.userScopes, ","), true
}

// acceptedScopes returns the scopes of which a call needs one, as Slack's
// method pages list them: for the conversations.* methods it depends on
// the kind of conversation. nil means the method needs none.
func (s *Server) acceptedScopes(r *request) []string {
	switch r.method {
	case "apps.connections.open":
		return []string{"connections:write"}
	case "chat.postMessage", "chat.update", "chat.delete", "chat.postEphemeral",
		"chat.scheduleMessage", "chat.deleteScheduledMessage":
		return []string{"chat:write"}
	case "conversations.open":
		return []string{"im:write"}
	case "conversations.info", "conversations.members":
		return []string{s.conversationScope(r.str("channel"), "read")}
	case "conversations.history", "conversations.replies":
		return []string{s.conversationScope(r.str("channel"), "history")}
	case "users.info", "users.list", "bots.info":
		return []string{"users:read"}
	case "files.getUploadURLExternal", "files.completeUploadExternal":
		return []string{"files:write"}
	}
	return nil
}

// conversationScope is the scope of the given access to a conversation:
// channels:, groups: or im: read or history. An unknown ID is taken for a
// public channel. The caller holds s.mu.
func (s *Server) conversationScope(id, access string) string {
	c, ok := s.channels[id]
	switch {
	case ok && c.im:
		return "im:" + access
	case ok && c.Private:
		return "groups:" + access
	}
	return "channels:" + access
}

// checkScopes answers missing_scope when the token lacks what the call
// needs; conversations.list needs a scope for each type it asks for. The
// caller holds s.mu.
func (s *Server) checkScopes(r *request) *apiError {
	granted, _ := s.grantedScopes(r.token)
	have := strings.Split(granted, ",")
	var missing []string
	if r.method == "conversations.list" {
		types := r.str("types")
		if types == "" {
			types = "public_channel"
		}
		for t := range strings.SplitSeq(types, ",") {
			need, ok := map[string]string{"public_channel": "channels:read", "private_channel": "groups:read",
				"im": "im:read", "mpim": "mpim:read"}[strings.TrimSpace(t)]
			if ok && !slices.Contains(have, need) {
				missing = append(missing, need)
			}
		}
	} else if accepted := s.acceptedScopes(r); len(accepted) > 0 && !slices.ContainsFunc(accepted, func(a string) bool { return slices.Contains(have, a) }) {
		missing = accepted
	}
	if len(missing) == 0 {
		return nil
	}
	return failWith("missing_scope", obj{"needed": strings.Join(missing, ","), "provided": granted})
}

// scopeHeaders sets the headers Slack sends with an answer to a known
// token.
func (s *Server) scopeHeaders(r *request, rp *reply) {
	s.mu.Lock()
	defer s.mu.Unlock()
	granted, ok := s.grantedScopes(r.token)
	if !ok {
		return
	}
	rp.oauthScopes = &granted
	rp.acceptedScopes = strings.Join(s.acceptedScopes(r), ",")
}

// authorizeKind checks a known token of the given kind against what the
// method needs. The caller holds s.mu.
func authorizeKind(have, need tokenKind) *apiError {
	switch {
	case have == need, need == oauthToken && (have == botToken || have == userToken):
		return nil
	}
	return fail("not_allowed_token_type")
}

// authTestUser answers auth.test for a user token: the user, no bot_id.
// The caller holds s.mu.
func (s *Server) authTestUser(r *request) (obj, bool) {
	userID, ok := s.inst.userTokens[r.token]
	if !ok {
		return nil, false
	}
	name := userID
	if u, ok := s.users[userID]; ok {
		name = u.Name
	}
	return obj{
		"url":                   "https://" + s.cfg.teamDomain + ".slack.com/",
		"team":                  s.cfg.teamName,
		"user":                  name,
		"team_id":               s.cfg.teamID,
		"user_id":               userID,
		"is_enterprise_install": false,
	}, true
}

// disabledSocketURL hands out a websocket URL while Socket Mode is off.
// The caller holds s.mu.
func (s *Server) disabledSocketURL() string {
	ticket := s.newEnvelopeID()
	s.inst.offTickets[ticket] = true
	return "ws://" + strings.TrimPrefix(s.baseURL, "http://") + "link-disabled/?ticket=" + ticket + "&app_id=" + s.cfg.appID
}

// handleDisabledSocket serves a websocket URL handed out while Socket Mode
// was off: Slack says link_disabled and closes.
func (s *Server) handleDisabledSocket(w http.ResponseWriter, r *http.Request) {
	ticket := r.URL.Query().Get("ticket")
	s.mu.Lock()
	valid := s.inst.offTickets[ticket] && !s.closed
	delete(s.inst.offTickets, ticket)
	s.mu.Unlock()
	if !valid {
		http.Error(w, "invalid or used ticket", http.StatusUnauthorized)
		return
	}
	upgrader := websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}
	ws, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	defer ws.Close()
	frame, _ := json.Marshal(obj{"type": "disconnect", "reason": "link_disabled",
		"debug_info": obj{"host": "applink-fake"}})
	_ = ws.SetWriteDeadline(time.Now().Add(writeTimeout))
	_ = ws.WriteMessage(websocket.TextMessage, frame)
	_ = ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(writeTimeout))
}

// maxScheduleAhead is how far ahead chat.scheduleMessage accepts a message.
const maxScheduleAhead = 120 * 24 * time.Hour

// chatScheduleMessage answers chat.scheduleMessage with the checks of
// chat.postMessage (the bot must be able to post in the channel) and the
// time's own. The caller holds s.mu.
func (s *Server) chatScheduleMessage(r *request) (obj, *apiError) {
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
	secs, err := strconv.ParseInt(r.str("post_at"), 10, 64)
	if err != nil {
		return nil, fail("invalid_time")
	}
	postAt := time.Unix(secs, 0)
	switch now := s.now(); {
	case !postAt.After(now):
		return nil, fail("time_in_past")
	case postAt.Sub(now) > maxScheduleAhead:
		return nil, fail("time_too_far")
	}
	s.inst.scheduleSeq++
	m := &ScheduledMessage{ID: fmt.Sprintf("Q%08d", s.inst.scheduleSeq), Channel: ch.ID, PostAt: postAt, Text: c.text}
	s.inst.scheduled = append(s.inst.scheduled, m)
	return obj{"channel": ch.ID, "scheduled_message_id": m.ID, "post_at": secs,
		"message": obj{"type": "message", "text": c.text, "bot_id": s.cfg.botID, "user": s.cfg.botUserID}}, nil
}

// chatDeleteScheduledMessage answers chat.deleteScheduledMessage. The
// caller holds s.mu.
func (s *Server) chatDeleteScheduledMessage(r *request) (obj, *apiError) {
	id, channel := r.str("scheduled_message_id"), r.str("channel")
	i := slices.IndexFunc(s.inst.scheduled, func(m *ScheduledMessage) bool { return m.ID == id && m.Channel == channel })
	if i < 0 {
		return nil, fail("invalid_scheduled_message_id")
	}
	s.inst.scheduled = slices.Delete(s.inst.scheduled, i, i+1)
	return obj{}, nil
}
