package slackfake

import (
	"slices"
	"strings"
)

// What a person's Slack client shows: the workspace's people and channels,
// and a conversation as one member sees it (ephemerals only for their
// person, threads folded under their first message). The demo's page reads
// the fake through these.

// People returns the workspace's members, bots and deactivated accounts
// included, by ID.
func (s *Server) People() []User {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]User, 0, len(s.users))
	for _, u := range s.users {
		out = append(out, *u)
	}
	slices.SortFunc(out, func(a, b User) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// Person returns a member of the workspace.
func (s *Server) Person(userID string) (User, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[userID]
	if !ok {
		return User{}, false
	}
	return *u, true
}

// Channels returns the workspace's channels (DMs not included), by name.
func (s *Server) Channels() []Channel {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Channel
	for _, c := range s.channels {
		if !c.im {
			ch := c.Channel
			ch.Members = slices.Clone(c.Members)
			out = append(out, ch)
		}
	}
	slices.SortFunc(out, func(a, b Channel) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// CanSee reports whether userID can read a conversation: a member of a
// private channel or a DM, anyone in the workspace for a public channel.
func (s *Server) CanSee(userID, channelID string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.channels[channelID]
	if _, person := s.users[userID]; !ok || !person {
		return false
	}
	return c.hasMember(userID) || (!c.Private && !c.im)
}

// Timeline returns a conversation's main timeline as viewerID sees it, in
// posting order: messages not deleted and not thread replies, and the
// ephemeral messages shown to viewerID there outside threads.
func (s *Server) Timeline(viewerID, channelID string) []Message {
	return s.collect(func(m *Message) bool {
		if m.Channel != channelID || m.Deleted || (m.Ephemeral && m.Recipient != viewerID) {
			return false
		}
		return m.ThreadTS == "" || m.ThreadTS == m.TS
	})
}

// ThreadFor returns a thread as viewerID sees it: its first message, then
// its replies not deleted, ephemerals in the thread for viewerID included.
func (s *Server) ThreadFor(viewerID, channelID, ts string) []Message {
	return s.collect(func(m *Message) bool {
		if m.Channel != channelID || (m.Ephemeral && m.Recipient != viewerID) {
			return false
		}
		return m.TS == ts || (m.ThreadTS == ts && !m.Deleted)
	})
}

// ReplyCount returns how many replies, not deleted, a message's thread has.
func (s *Server) ReplyCount(channelID, ts string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, r := range s.replies[ts] {
		if r.Channel == channelID && !r.Deleted {
			n++
		}
	}
	return n
}
