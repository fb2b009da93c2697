package storage

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/lib/pq"
)

// Listen subscribes to a notification channel on a connection of its own and
// returns a channel that receives a value (coalesced) after each
// notification, and after every reconnect, when a notification may have been
// missed. It stops when ctx is done. It needs a Storage made by Open.
func (s *Storage) Listen(ctx context.Context, channel string) (<-chan struct{}, error) {
	if s.dsn == "" {
		return nil, errors.New("listen: no connection string (the storage was not made by Open)")
	}
	l := pq.NewListener(s.dsn, 100*time.Millisecond, 10*time.Second, nil)
	if err := l.Listen(channel); err != nil {
		l.Close()
		return nil, fmt.Errorf("listen %s: %w", channel, redact(err, s.dsn))
	}
	out := make(chan struct{}, 1)
	go func() {
		defer l.Close()
		ping := time.NewTicker(30 * time.Second)
		defer ping.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-l.NotificationChannel():
				// nil after a reconnect: something may have been missed.
			case <-ping.C:
				_ = l.Ping()
				continue
			}
			select {
			case out <- struct{}{}:
			default:
			}
		}
	}()
	return out, nil
}
