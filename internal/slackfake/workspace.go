package slackfake

import (
	"fmt"
	"slices"
)

// User is a member of the simulated workspace.
type User struct {
	ID       string
	Name     string // the handle, e.g. "jane"
	RealName string
	// TZ is an IANA zone such as "America/New_York"; TZOffset its offset from
	// UTC in seconds (e.g. -18000), as users.info reports them. The fake does
	// not derive one from the other.
	TZ       string
	TZLabel  string
	TZOffset int
	IsBot    bool
	// Deleted is a deactivated account: users.info reports it without time
	// zone or role fields, as Slack does.
	Deleted bool
	// Roles, as users.info reports them. Slack's roles nest: the primary
	// owner is an owner and every owner an admin, so users.info reports
	// is_owner for a primary owner and is_admin for an owner even when only
	// the higher role is set here.
	IsAdmin        bool
	IsOwner        bool
	IsPrimaryOwner bool
	// IsRestricted is a multi-channel guest, IsUltraRestricted a
	// single-channel guest.
	IsRestricted      bool
	IsUltraRestricted bool
	// Locale is the user's Slack language, as users.info and users.list
	// report it when asked with include_locale ("ja-JP", "pt-BR"); empty
	// is "en-US", Slack's default.
	Locale string
}

// Channel is a conversation of the simulated workspace other than a DM.
type Channel struct {
	ID      string
	Name    string
	Private bool
	// Members are the people in the channel (user IDs); the bot is a member
	// when BotMember is true.
	Members   []string
	BotMember bool
	// Archived channels take no posts and no updates (is_archived).
	Archived bool
}

// channel is the fake's record of a conversation, DMs included.
type channel struct {
	Channel
	im      bool
	imUser  string // the other member of a DM
	created int64
}

func (c *channel) hasMember(userID string) bool {
	if c.im {
		return userID == c.imUser
	}
	return slices.Contains(c.Members, userID)
}

// Identity names the workspace and the bot, as the fake presents them.
type Identity struct {
	TeamID     string
	TeamDomain string
	TeamName   string
	BotUserID  string
	BotID      string
	AppID      string
	BotName    string
}

// Identity returns the IDs of the workspace, the bot and the app.
func (s *Server) Identity() Identity {
	return Identity{
		TeamID:     s.cfg.teamID,
		TeamDomain: s.cfg.teamDomain,
		TeamName:   s.cfg.teamName,
		BotUserID:  s.cfg.botUserID,
		BotID:      s.cfg.botID,
		AppID:      s.cfg.appID,
		BotName:    s.cfg.botName,
	}
}

// AddUser adds a person (or a bot) to the workspace, replacing any user with
// the same ID.
func (s *Server) AddUser(u User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users[u.ID] = &u
	s.notify()
}

// User returns the workspace member with the given ID, as added.
func (s *Server) User(id string) (User, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[id]
	if !ok {
		return User{}, false
	}
	return *u, true
}

// AddChannel adds a channel to the workspace, replacing any channel with the
// same ID.
func (s *Server) AddChannel(c Channel) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c.Members = slices.Clone(c.Members)
	created := s.now().Unix()
	if old, ok := s.channels[c.ID]; ok {
		created = old.created
	}
	s.channels[c.ID] = &channel{Channel: c, created: created}
	s.notify()
}

// SetBotMember adds the bot to a channel or removes it.
func (s *Server) SetBotMember(channelID string, member bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.channels[channelID]
	if !ok || c.im {
		return fmt.Errorf("slackfake: no channel %q", channelID)
	}
	c.BotMember = member
	s.notify()
	return nil
}

// DMChannel returns the ID of the bot's DM with a user, once one exists
// (conversations.open, a post to the user ID, or App Home).
func (s *Server) DMChannel(userID string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id, ok := s.dms[userID]
	return id, ok
}

// OpenDM creates the bot's DM with a user, as a conversations.open earlier
// in the workspace's life would have, and returns its ID. Benchmarks use it
// to set up thousands of DMs without spending rate-limited calls.
func (s *Server) OpenDM(userID string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dmWith(userID).ID
}

// MentionUser returns a user mention as Slack writes it into a slash
// command's text when the command escapes entities: "<@U123|jane>".
func (s *Server) MentionUser(userID string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u, ok := s.users[userID]; ok {
		return "<@" + userID + "|" + u.Name + ">"
	}
	return "<@" + userID + ">"
}

// MentionChannel returns a channel mention as Slack writes it into a slash
// command's text when the command escapes entities: "<#C123|general>".
func (s *Server) MentionChannel(channelID string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.channels[channelID]; ok && !c.im {
		return "<#" + channelID + "|" + c.Name + ">"
	}
	return "<#" + channelID + ">"
}

// dmWith returns the bot's DM channel with a user, creating it. The caller
// holds s.mu.
func (s *Server) dmWith(userID string) *channel {
	if id, ok := s.dms[userID]; ok {
		return s.channels[id]
	}
	s.dmSeq++
	id := fmt.Sprintf("D%08d", s.dmSeq)
	c := &channel{
		Channel: Channel{ID: id, BotMember: true},
		im:      true,
		imUser:  userID,
		created: s.now().Unix(),
	}
	s.channels[id] = c
	s.dms[userID] = id
	return c
}

// channelName returns the name Slack puts in payloads: "directmessage" for a
// DM.
func (c *channel) payloadName() string {
	if c.im {
		return "directmessage"
	}
	return c.Name
}
