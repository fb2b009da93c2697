package demo

import (
	"fmt"
	"sync"
	"time"
)

// Clock is the demo's time: the wall clock plus an offset that only grows.
// It runs at the wall clock's pace, so Slack's timeouts (a trigger's three
// seconds, an ack's) behave as they do in Slack, and it jumps forward when
// a person asks to skip ahead. It never stands behind the wall clock: rows
// the database stamps with its own now() then never look newer than what
// the bot did on this clock.
type Clock struct {
	mu     sync.Mutex
	offset time.Duration
	wall   func() time.Time
}

// NewClock returns a clock that reads start now. A start before the wall
// clock is taken as the wall clock.
func NewClock(start time.Time) *Clock {
	return newClockAt(start, time.Now)
}

func newClockAt(start time.Time, wall func() time.Time) *Clock {
	return &Clock{offset: max(start.Sub(wall()), 0), wall: wall}
}

// Now returns the demo's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.wall().Add(c.offset)
}

// ErrBackwards is returned for a move that would turn the clock back.
type ErrBackwards struct{ Now, To time.Time }

func (e ErrBackwards) Error() string {
	return fmt.Sprintf("the demo clock only moves forward: it is %s, and %s is earlier",
		e.Now.UTC().Format("Mon 2 Jan 2006 15:04 MST"), e.To.UTC().Format("Mon 2 Jan 2006 15:04 MST"))
}

// MoveTo moves the clock to t, which must not be before the clock's time.
func (c *Clock) MoveTo(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.wall().Add(c.offset)
	if t.Before(now) {
		return ErrBackwards{Now: now, To: t}
	}
	c.offset += t.Sub(now)
	return nil
}
