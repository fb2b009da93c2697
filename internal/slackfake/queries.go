package slackfake

// Messages returns every non-ephemeral message of a channel, thread replies
// and deleted messages included, in posting order.
func (s *Server) Messages(channelID string) []Message {
	return s.collect(func(m *Message) bool { return m.Channel == channelID && !m.Ephemeral })
}

// Thread returns a thread: its first message, then its replies, in posting
// order.
func (s *Server) Thread(channelID, ts string) []Message {
	return s.collect(func(m *Message) bool {
		return m.Channel == channelID && !m.Ephemeral && (m.TS == ts || m.ThreadTS == ts)
	})
}

// DMs returns the messages the bot posted in its DM with a user, in posting
// order.
func (s *Server) DMs(userID string) []Message {
	s.mu.Lock()
	dm, ok := s.dms[userID]
	s.mu.Unlock()
	if !ok {
		return nil
	}
	return s.collect(func(m *Message) bool {
		return m.Channel == dm && !m.Ephemeral && m.BotID != ""
	})
}

// LastDM returns the most recent message, not deleted, that the bot posted
// in its DM with a user.
func (s *Server) LastDM(userID string) (Message, bool) {
	dms := s.DMs(userID)
	for i := len(dms) - 1; i >= 0; i-- {
		if !dms[i].Deleted {
			return dms[i], true
		}
	}
	return Message{}, false
}

// Ephemerals returns the ephemeral messages a user was shown, in any
// channel, in posting order.
func (s *Server) Ephemerals(userID string) []Message {
	return s.collect(func(m *Message) bool { return m.Ephemeral && m.Recipient == userID })
}

// Message returns a message, ephemeral or not, as it is now.
func (s *Server) Message(channelID, ts string) (Message, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.byTS[ts]
	if !ok || m.Channel != channelID {
		return Message{}, false
	}
	return m.clone(), true
}

func (s *Server) collect(keep func(*Message) bool) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Message
	for _, m := range s.messages {
		if keep(m) {
			out = append(out, m.clone())
		}
	}
	return out
}
