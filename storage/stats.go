package storage

import (
	"context"
	"fmt"
	"time"
)

// QueueStat is one job kind's part of the queue, for metrics.
type QueueStat struct {
	Kind string `db:"kind"`
	// Pending counts the kind's pending jobs, due or not, running or not.
	Pending int `db:"pending"`
	// OldestDue is how long the oldest job that is due, not running and not
	// waiting for another job has been due at now; 0 when none is.
	OldestDue time.Duration
}

// QueueStats returns the pending jobs by kind and how late the oldest of
// each kind is. Only pending jobs are read, which the jobs_due index holds.
func (s *Storage) QueueStats(ctx context.Context, now time.Time) ([]QueueStat, error) {
	var rows []struct {
		Kind      string  `db:"kind"`
		Pending   int     `db:"pending"`
		OldestDue float64 `db:"oldest_due"`
	}
	err := s.q.SelectContext(ctx, &rows, `
		SELECT j.kind, count(*) AS pending,
			COALESCE(EXTRACT(EPOCH FROM $1 - min(j.run_at) FILTER (WHERE j.run_at <= $1 AND j.lease_token IS NULL
				AND (j.after IS NULL OR NOT EXISTS (SELECT 1 FROM jobs w WHERE w.key = j.after AND w.state = 'pending')))), 0)::float8 AS oldest_due
		FROM jobs j WHERE j.state = 'pending'
		GROUP BY j.kind ORDER BY j.kind`, now)
	if err != nil {
		return nil, fmt.Errorf("queue stats: %w", err)
	}
	out := make([]QueueStat, 0, len(rows))
	for _, r := range rows {
		out = append(out, QueueStat{Kind: r.Kind, Pending: r.Pending, OldestDue: time.Duration(max(r.OldestDue, 0) * float64(time.Second))})
	}
	return out, nil
}

// RoundStates are the states a round can be in.
var RoundStates = []RoundState{Collecting, Revealed, Closed, Cancelled}

// RoundCounts returns how many rounds are in each state, for metrics.
func (s *Storage) RoundCounts(ctx context.Context) (map[RoundState]int, error) {
	var rows []struct {
		State RoundState `db:"state"`
		N     int        `db:"n"`
	}
	if err := s.q.SelectContext(ctx, &rows, `SELECT state, count(*) AS n FROM rounds GROUP BY state`); err != nil {
		return nil, fmt.Errorf("round counts: %w", err)
	}
	out := make(map[RoundState]int, len(rows))
	for _, r := range rows {
		out[r.State] = r.N
	}
	return out, nil
}
