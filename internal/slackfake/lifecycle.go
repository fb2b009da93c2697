package slackfake

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"
)

// The workspace changing under the bot, as Slack reports it: each verb
// changes the fake's state (so the Web API answers accordingly from then
// on) and sends the events_api envelope Slack sends the app, shaped as
// Slack shapes it. Each returns the envelope's ID.

// conversationEvents names the events of a channel by kind: Slack sends the
// channel_* events for public channels and the group_* ones for private.
func (c *channel) event(public, private string) string {
	if c.Private {
		return private
	}
	return public
}

// channelType is what member_*_channel events carry: "C" for a public
// channel, "G" for a private one.
func (c *channel) channelType() string {
	if c.Private {
		return "G"
	}
	return "C"
}

// lifecycleChannel returns a channel that is not a DM. The caller holds s.mu.
func (s *Server) lifecycleChannel(channelID string) (*channel, error) {
	c, ok := s.channels[channelID]
	if !ok || c.im {
		return nil, fmt.Errorf("slackfake: no channel %q", channelID)
	}
	return c, nil
}

// RemoveBot removes the bot from a channel, as a member typing
// /remove @alignbot does: from then on posts there answer not_in_channel
// (a private channel is not found at all), and the bot gets a
// member_left_channel event naming itself.
func (s *Server) RemoveBot(channelID string) (string, error) {
	return s.leave(channelID, s.cfg.botUserID)
}

// InviteBot adds the bot to a channel, invited by inviter, and sends the
// member_joined_channel event naming the bot.
func (s *Server) InviteBot(channelID, inviter string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, err := s.lifecycleChannel(channelID)
	if err != nil {
		return "", err
	}
	c.BotMember = true
	return s.sendEvent(obj{"type": "member_joined_channel", "user": s.cfg.botUserID, "channel": c.ID,
		"channel_type": c.channelType(), "team": s.cfg.teamID, "inviter": inviter, "event_ts": s.actionTS()}, inviter, c.ID)
}

// LeaveChannel has a person leave a channel and sends the bot, a member,
// the member_left_channel event.
func (s *Server) LeaveChannel(channelID, userID string) (string, error) {
	return s.leave(channelID, userID)
}

func (s *Server) leave(channelID, userID string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, err := s.lifecycleChannel(channelID)
	if err != nil {
		return "", err
	}
	if userID == s.cfg.botUserID {
		c.BotMember = false
	} else {
		i := slices.Index(c.Members, userID)
		if i < 0 {
			return "", fmt.Errorf("slackfake: %s is not in %s", userID, channelID)
		}
		c.Members = slices.Delete(slices.Clone(c.Members), i, i+1)
	}
	return s.sendEvent(obj{"type": "member_left_channel", "user": userID, "channel": c.ID,
		"channel_type": c.channelType(), "team": s.cfg.teamID, "event_ts": s.actionTS()}, userID, c.ID)
}

// ArchiveChannel archives a channel, as by, and sends channel_archive (or,
// for a private channel, group_archive). Posts and updates there answer
// is_archived from then on.
func (s *Server) ArchiveChannel(channelID, by string) (string, error) {
	return s.setArchived(channelID, by, true)
}

// UnarchiveChannel brings an archived channel back, as by, and sends
// channel_unarchive (group_unarchive).
func (s *Server) UnarchiveChannel(channelID, by string) (string, error) {
	return s.setArchived(channelID, by, false)
}

func (s *Server) setArchived(channelID, by string, archived bool) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, err := s.lifecycleChannel(channelID)
	if err != nil {
		return "", err
	}
	c.Archived = archived
	typ := c.event("channel_archive", "group_archive")
	if !archived {
		typ = c.event("channel_unarchive", "group_unarchive")
	}
	event := obj{"type": typ, "channel": c.ID, "event_ts": s.actionTS()}
	if !c.Private {
		event["user"] = by
	}
	return s.sendEvent(event, by, c.ID)
}

// RenameChannel renames a channel and sends channel_rename (group_rename).
// Its ID does not change.
func (s *Server) RenameChannel(channelID, name string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, err := s.lifecycleChannel(channelID)
	if err != nil {
		return "", err
	}
	c.Name = name
	return s.sendEvent(obj{"type": c.event("channel_rename", "group_rename"), "event_ts": s.actionTS(),
		"channel": obj{"id": c.ID, "name": name, "name_normalized": name, "created": c.created}}, "", c.ID)
}

// DeactivateUser deactivates a person's account, as an admin does when
// someone leaves the company, and sends user_change with the user as
// users.info now reports them (deleted, without time zone). DMs to them
// answer user_disabled from then on.
func (s *Server) DeactivateUser(userID string) (string, error) {
	return s.setDeleted(userID, true)
}

// ReactivateUser brings a deactivated account back and sends user_change.
func (s *Server) ReactivateUser(userID string) (string, error) {
	return s.setDeleted(userID, false)
}

func (s *Server) setDeleted(userID string, deleted bool) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[userID]
	if !ok {
		return "", fmt.Errorf("slackfake: no user %s", userID)
	}
	changed := *u
	changed.Deleted = deleted
	s.users[userID] = &changed
	return s.sendEvent(obj{"type": "user_change", "user": s.wireUser(&changed, false),
		"cache_ts": s.now().Unix(), "event_ts": s.actionTS()}, userID, "")
}

// RevokeTokens revokes the bot's token, as a workspace admin or the app's
// owner can: every call with it answers token_revoked from then on, and the
// app gets tokens_revoked. The app-level token still works, so Socket Mode
// stays connected.
func (s *Server) RevokeTokens() (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.botTokenError = "token_revoked"
	return s.sendEvent(obj{"type": "tokens_revoked", "event_ts": s.actionTS(),
		"tokens": obj{"oauth": []string{}, "bot": []string{s.cfg.botUserID}}}, "", "")
}

// UninstallApp uninstalls the app from the workspace: it gets
// app_uninstalled, then its Socket Mode connections are closed with a
// link_disabled disconnect, and both its tokens answer invalid_auth (so it
// cannot connect again).
func (s *Server) UninstallApp() (string, error) {
	s.mu.Lock()
	id, err := s.sendEvent(obj{"type": "app_uninstalled", "event_ts": s.actionTS()}, "", "")
	s.botTokenError, s.appTokenError = "invalid_auth", "invalid_auth"
	s.mu.Unlock()
	if err != nil {
		return "", err
	}
	s.RequestReconnect("link_disabled")
	return id, nil
}

// BreakToken makes every call with the bot's token answer code
// ("invalid_auth", "account_inactive", "token_revoked"), without an event,
// as Slack does when a token stops working; "" repairs it.
func (s *Server) BreakToken(code string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.botTokenError = code
	s.notify()
}

// RedeliverAsNew sends an envelope's payload again in a new envelope, with
// retry_attempt one more than the last delivery's and retry_reason
// "timeout": a redelivery that only the event_id inside the payload tells
// apart from a new event. It returns the new envelope's ID.
func (s *Server) RedeliverAsNew(envelopeID string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	old, ok := s.envelopes[envelopeID]
	if !ok {
		return "", fmt.Errorf("slackfake: no envelope %s", envelopeID)
	}
	e := s.newEnvelope(old.typ, json.RawMessage(append([]byte(nil), old.payload...)), old.acceptsResponse)
	e.interaction, e.userID, e.channelID, e.viewID = old.interaction, old.userID, old.channelID, old.viewID
	e.attempt, e.reason = old.attempt+1, "timeout"
	s.dispatch(e)
	s.notify()
	return e.id, nil
}

// WarnDisconnect sends every Socket Mode connection Slack's warning that it
// is about to be closed (a disconnect message with reason "warning") and
// closes each after grace. Unlike RequestReconnect, envelopes keep going to
// the warned connections during grace, as on Slack: a client that drops a
// connection as soon as it is warned may leave an envelope unread there,
// which Slack then redelivers (events) or gives up on (commands, clicks).
func (s *Server) WarnDisconnect(grace time.Duration) {
	data, _ := json.Marshal(obj{"type": "disconnect", "reason": "warning", "debug_info": obj{"host": "applink-fake"}})
	s.mu.Lock()
	conns := slices.Clone(s.conns)
	s.mu.Unlock()
	for _, c := range conns {
		c.send(outbound{data: data})
	}
	time.AfterFunc(grace, func() {
		for _, c := range conns {
			s.dropConn(c)
		}
	})
}

// RestoreTokens makes both tokens work again, as reinstalling the app with
// the same tokens would (a test's stand-in for a new install).
func (s *Server) RestoreTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.botTokenError, s.appTokenError = "", ""
	s.notify()
}
