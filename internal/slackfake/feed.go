package slackfake

// Changed returns a channel that is closed at the fake's next change of
// state (a call, a message, an ack, a connection…), for a page that pushes
// updates to its viewers: take it, read the state, and wait on it.
func (s *Server) Changed() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.changed
}
