package bot

import "time"

// Clock tells the time. The bot never calls time.Now directly, so tests can
// move time forward instead of waiting for it.
type Clock interface {
	Now() time.Time
}

type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }
