package storage

import (
	"context"
	"fmt"
	"time"
)

// Heartbeat records that worker is alive at now and returns how many workers
// were seen within window, this one included. Replicas divide Slack's rate
// limits by that number, so that together they stay within one budget.
// Workers not seen for a day are forgotten.
func (s *Storage) Heartbeat(ctx context.Context, worker string, now time.Time, window time.Duration) (int, error) {
	var live int
	err := s.q.GetContext(ctx, &live, `
		WITH beat AS (
			INSERT INTO workers (id, seen_at) VALUES ($1, $2)
			ON CONFLICT (id) DO UPDATE SET seen_at = EXCLUDED.seen_at
		), forget AS (
			DELETE FROM workers WHERE seen_at < $2 - interval '1 day'
		)
		SELECT 1 + count(*) FROM workers WHERE id <> $1 AND seen_at >= $3`,
		worker, now, now.Add(-window))
	if err != nil {
		return 0, fmt.Errorf("heartbeat of %s: %w", worker, err)
	}
	return live, nil
}

// Retire forgets a worker that is shutting down, so the others take its share
// of the budgets at once.
func (s *Storage) Retire(ctx context.Context, worker string) error {
	if _, err := s.q.ExecContext(ctx, `DELETE FROM workers WHERE id = $1`, worker); err != nil {
		return fmt.Errorf("retire %s: %w", worker, err)
	}
	return nil
}
