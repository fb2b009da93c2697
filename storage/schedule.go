package storage

import (
	"context"
	"fmt"
	"time"

	"github.com/lib/pq"
)

// ScheduledJob is a pending job as a schedule shows it: what it is and when
// it is due.
type ScheduledJob struct {
	Key     string    `db:"key"`
	Kind    string    `db:"kind"`
	RoundID *int64    `db:"round_id"`
	RunAt   time.Time `db:"run_at"`
}

// UpcomingJobs returns up to limit pending jobs of the given kinds (every
// kind when none is given) that are due after now and not being run, the
// soonest first. A job being run has its lease end as its run_at, which is
// not when it is due, so it is left out.
func (s *Storage) UpcomingJobs(ctx context.Context, now time.Time, limit int, kinds ...string) ([]ScheduledJob, error) {
	var jobs []ScheduledJob
	err := s.q.SelectContext(ctx, &jobs, `SELECT key, kind, round_id, run_at FROM jobs
		WHERE state = 'pending' AND lease_token IS NULL AND run_at > $1
		  AND (COALESCE(cardinality($2::text[]), 0) = 0 OR kind = ANY($2))
		ORDER BY run_at, id LIMIT $3`, now, pq.Array(kinds), limit)
	if err != nil {
		return nil, fmt.Errorf("upcoming jobs: %w", err)
	}
	return jobs, nil
}

// JobsBusy returns how many jobs are due at now or running: due and not
// waiting for another pending job, or leased. Zero means the queue has
// nothing to do before its next scheduled job, so a clock moved forward
// then cannot make a running job look abandoned.
func (s *Storage) JobsBusy(ctx context.Context, now time.Time) (int, error) {
	var n int
	err := s.q.GetContext(ctx, &n, `SELECT count(*) FROM jobs j WHERE state = 'pending'
		AND (lease_token IS NOT NULL OR (run_at <= $1 AND (after IS NULL OR NOT EXISTS (
			SELECT 1 FROM jobs w WHERE w.key = j.after AND w.state = 'pending'))))`, now)
	if err != nil {
		return 0, fmt.Errorf("busy jobs: %w", err)
	}
	return n, nil
}
