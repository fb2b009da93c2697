package slackfake

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// A request can reach Slack late: a slow network, a replica paused by its
// garbage collector, a load balancer queueing it. Hold makes that happen on
// purpose: requests matching a rule wait at the door, before the fake looks
// at them, until the test releases them (or, with HoldRule.For, until that
// long has passed). A test holds an older update back, lets a newer one
// through, then releases the older one, and sees which lands last.

// HoldRule says which requests to hold.
type HoldRule struct {
	// Method is a Web API method ("chat.update") or "response_url".
	Method string
	// Channel, when set, is the request's channel: the "channel" parameter
	// of a Web API call, the conversation of a response_url.
	Channel string
	// TS, when set, is the message: chat.update's "ts", or the message a
	// response_url was handed out for (the clicked message).
	TS string
	// Count is how many matching requests to hold, the first ones to
	// arrive after those After lets through; 0 means 1.
	Count int
	// After is how many matching requests go through before the hold
	// starts holding: 1 holds the second page of a list.
	After int
	// For, when set, releases each held request after that long, as a slow
	// network would; otherwise they wait for Release.
	For time.Duration
}

// Hold is a rule in force and the requests it holds.
type Hold struct {
	rule    HoldRule
	release chan struct{}
	once    sync.Once

	mu      sync.Mutex
	passed  int           // requests let through before holding (After)
	taken   int           // requests held so far
	changed chan struct{} // closed and replaced when taken changes
}

// Hold starts holding the requests rule matches and returns the hold. The
// hold ends, releasing what it holds, when the server closes.
func (s *Server) Hold(rule HoldRule) *Hold {
	if rule.Count <= 0 {
		rule.Count = 1
	}
	h := &Hold{rule: rule, release: make(chan struct{}), changed: make(chan struct{})}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.holds = append(s.holds, h)
	return h
}

// Release lets every request the hold holds, and every later one it would
// have held, go through.
func (h *Hold) Release() { h.once.Do(func() { close(h.release) }) }

// Held returns how many requests the hold has taken so far.
func (h *Hold) Held() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.taken
}

// WaitHeld waits until the hold has taken n requests.
func (h *Hold) WaitHeld(ctx context.Context, n int) error {
	for {
		h.mu.Lock()
		taken, changed := h.taken, h.changed
		h.mu.Unlock()
		if taken >= n {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return fmt.Errorf("slackfake: waiting for %d held %s requests: %w", n, h.rule.Method, ctx.Err())
		}
	}
}

// take reports whether the hold takes a request, counting it if so.
func (h *Hold) take(method, channel, ts string) bool {
	r := h.rule
	if r.Method != method || (r.Channel != "" && r.Channel != channel) || (r.TS != "" && r.TS != ts) {
		return false
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	select {
	case <-h.release:
		return false
	default:
	}
	if h.passed < r.After {
		h.passed++
		return false
	}
	if h.taken >= r.Count {
		return false
	}
	h.taken++
	close(h.changed)
	h.changed = make(chan struct{})
	return true
}

// waitHold holds a request if a hold takes it, until released, the hold's
// For has passed, or the server closes. It must be called without s.mu.
func (s *Server) waitHold(method, channel, ts string) {
	s.mu.Lock()
	var holding *Hold
	for _, h := range s.holds {
		if h.take(method, channel, ts) {
			holding = h
			break
		}
	}
	closing := s.closing
	if holding != nil {
		s.notify()
	}
	s.mu.Unlock()
	if holding == nil {
		return
	}
	var timeout <-chan time.Time
	if holding.rule.For > 0 {
		t := time.NewTimer(holding.rule.For)
		defer t.Stop()
		timeout = t.C
	}
	select {
	case <-holding.release:
	case <-timeout:
	case <-closing:
	}
}
