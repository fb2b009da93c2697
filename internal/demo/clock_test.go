package demo

import (
	"errors"
	"testing"
	"time"

	"github.com/alignbot/alignbot/internal/config"
	"github.com/alignbot/alignbot/internal/testclock"
)

func TestClockMovesOnlyForward(t *testing.T) {
	wall := testclock.New(time.Date(2026, 12, 4, 2, 0, 0, 0, time.UTC))
	start := time.Date(2026, 12, 4, 15, 0, 0, 0, time.UTC)
	c := newClockAt(start, wall.Now)
	if got := c.Now(); !got.Equal(start) {
		t.Fatalf("Now = %v, want %v", got, start)
	}
	wall.Advance(time.Minute)
	if got := c.Now(); !got.Equal(start.Add(time.Minute)) {
		t.Errorf("after a wall minute: %v, want the clock to run with the wall", got)
	}
	later := start.Add(48 * time.Hour)
	if err := c.MoveTo(later); err != nil {
		t.Fatal(err)
	}
	if got := c.Now(); !got.Equal(later) {
		t.Errorf("after MoveTo: %v, want %v", got, later)
	}
	var back ErrBackwards
	if err := c.MoveTo(start); !errors.As(err, &back) {
		t.Fatalf("moving back: %v, want ErrBackwards", err)
	}
	if got := c.Now(); !got.Equal(later) {
		t.Errorf("a refused move changed the clock to %v", got)
	}
	// A start in the past is the wall clock: the database's now() must never
	// be ahead of the demo's.
	if got := newClockAt(start.Add(-24*time.Hour), wall.Now).Now(); !got.Equal(wall.Now()) {
		t.Errorf("start in the past: %v, want the wall clock %v", got, wall.Now())
	}
}

func TestStartTimeIsInsideEveryonesWorkingHours(t *testing.T) {
	hours, err := config.ParseWorkingHours("09:00-18:00 Mon-Fri")
	if err != nil {
		t.Fatal(err)
	}
	for _, now := range []time.Time{
		time.Date(2026, 12, 4, 2, 14, 0, 0, time.UTC),  // a Friday night in America
		time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC),  // a Saturday
		time.Date(2026, 12, 7, 15, 30, 0, 0, time.UTC), // a Monday, everyone in
	} {
		got := startTime(now, hours)
		if got.Before(now) {
			t.Errorf("from %v: start %v is in the past", now, got)
		}
		for _, p := range people {
			for _, at := range []time.Time{got, got.Add(2 * time.Hour)} {
				if !hours.Contains(at.In(p.location())) {
					t.Errorf("from %v: start %v is outside %s's working hours at %v", now, got, p.First, at.In(p.location()))
				}
			}
		}
	}
	if monday := time.Date(2026, 12, 7, 15, 30, 0, 0, time.UTC); !startTime(monday, hours).Equal(monday) {
		t.Errorf("inside everyone's hours already, the start moved")
	}
}
