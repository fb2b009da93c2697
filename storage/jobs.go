package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/lib/pq"
)

// JobState is where a job is in the queue.
type JobState string

// The states of a job.
const (
	JobPending   JobState = "pending"
	JobDone      JobState = "done"
	JobParked    JobState = "parked"
	JobCancelled JobState = "cancelled"
	// JobHeld waits for its cause (HeldOn) to be fixed; see HoldJob.
	JobHeld JobState = "held"
)

// Job is an effect waiting to be carried out: a message to post, a nudge to
// send, a deadline to check.
type Job struct {
	ID      int64           `db:"id"`
	Key     string          `db:"key"`
	Kind    string          `db:"kind"`
	RoundID *int64          `db:"round_id"`
	Payload json.RawMessage `db:"payload"`
	State   JobState        `db:"state"`
	// RunAt is when the job is due; while it is claimed, when its lease ends.
	RunAt      time.Time       `db:"run_at"`
	Attempts   int             `db:"attempts"`
	LeaseToken string          `db:"lease_token"`
	LeasedBy   string          `db:"leased_by"`
	LastError  string          `db:"last_error"`
	Result     json.RawMessage `db:"result"`
	CreatedAt  time.Time       `db:"created_at"`
	// After is the key of the job this one waits for, "" for none.
	After string `db:"after"`
	// DueAt is when a claimed job was due (the run_at its claim replaced),
	// for metrics of how late jobs start; zero on jobs not just claimed.
	DueAt time.Time `db:"due_at"`
	// Reclaims counts the times the job was taken over after its lease
	// ran out: its runner died, which is not the job's failure.
	Reclaims int `db:"reclaims"`
	// Reclaimed is set by a claim that took the job over from a runner
	// whose lease ran out; this claim counted no attempt.
	Reclaimed bool `db:"reclaimed"`
	// HeldOn is the cause a held job waits for.
	HeldOn string `db:"held_on"`
}

// Retried reports whether the job ran before, to completion or not: a
// job that posts looks for its earlier post first.
func (j Job) Retried() bool { return j.Attempts > 1 || j.Reclaims > 0 }

// NewJob is a job to enqueue. Key makes it idempotent: a job whose key is
// already in the queue, in any state, is not enqueued again.
type NewJob struct {
	Key     string
	Kind    string
	RoundID int64 // 0 when the job belongs to no round
	Payload any
	RunAt   time.Time
	// After names a job this one waits for: it is not claimed while that
	// job is pending, and is claimed as soon as it is done, parked or
	// cancelled (the job then checks for itself whether what it needed
	// happened).
	After string
	// Live names the live message (see TouchLive) that the job brings up
	// to date: enqueueing it bumps that message's revision, in the same
	// statement, whether or not a job with its key was queued already.
	Live string
}

const jobColumns = `id, key, kind, round_id, payload, state, run_at, attempts,
	COALESCE(lease_token::text, '') AS lease_token, COALESCE(leased_by, '') AS leased_by,
	last_error, COALESCE(result, 'null') AS result, created_at, COALESCE(after, '') AS after,
	reclaims, COALESCE(held_on, '') AS held_on`

// JobsChannel is the PostgreSQL notification channel on which Enqueue and
// job completions announce that work may be due, so that every replica's
// runner wakes at once instead of at its next poll.
const JobsChannel = "alignbot_jobs"

// Enqueue adds jobs, skipping those whose key exists, and notifies
// JobsChannel (on commit, when inside Transact). It returns how many were
// added. However many jobs, it is one statement.
func (s *Storage) Enqueue(ctx context.Context, jobs ...NewJob) (int, error) {
	if len(jobs) == 0 {
		return 0, nil
	}
	var keys, kinds, payloads, runAt, after, live []string
	var rounds []int64
	for _, j := range jobs {
		if j.Live != "" {
			live = append(live, j.Live)
		}
		payload, err := json.Marshal(j.Payload)
		if err != nil {
			return 0, fmt.Errorf("enqueue %s: %w", j.Key, err)
		}
		keys, kinds, payloads = append(keys, j.Key), append(kinds, j.Kind), append(payloads, string(payload))
		rounds, after = append(rounds, j.RoundID), append(after, j.After)
		runAt = append(runAt, j.RunAt.UTC().Format(time.RFC3339Nano))
	}
	// In the order given, so that jobs due at once are claimed in it.
	// woken is read so that the notification is sent: PostgreSQL skips a
	// query in WITH that nothing reads (but always runs one that writes,
	// such as touched).
	var res struct {
		Added int `db:"added"`
		Woken int `db:"woken"`
	}
	if live == nil {
		live = []string{}
	}
	err := s.q.GetContext(ctx, &res, `
		WITH touched AS (
			INSERT INTO live_messages AS m (key) SELECT DISTINCT k FROM unnest($7::text[]) k ORDER BY k
			ON CONFLICT (key) DO UPDATE SET revision = m.revision + 1, updated_at = now()
		),
		added AS (
			INSERT INTO jobs (key, kind, round_id, payload, run_at, after)
			SELECT j.key, j.kind, NULLIF(j.round_id, 0), j.payload::jsonb, j.run_at, NULLIF(j.after, '')
			FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::timestamptz[], $6::text[])
				WITH ORDINALITY AS j(key, kind, round_id, payload, run_at, after, n)
			ORDER BY j.n
			ON CONFLICT (key) DO NOTHING
			RETURNING 1
		),
		woken AS (
			SELECT pg_notify('`+JobsChannel+`', '') FROM added LIMIT 1
		)
		SELECT (SELECT count(*) FROM added) AS added, (SELECT count(*) FROM woken) AS woken`,
		pq.Array(keys), pq.Array(kinds), pq.Array(rounds), pq.Array(payloads), pq.Array(runAt), pq.Array(after), pq.Array(live))
	if err != nil {
		if len(jobs) == 1 {
			return 0, fmt.Errorf("enqueue %s: %w", jobs[0].Key, err)
		}
		return 0, fmt.Errorf("enqueue %d jobs, %s first: %w", len(jobs), jobs[0].Key, err)
	}
	return res.Added, nil
}

func (s *Storage) notifyJobs(ctx context.Context) error {
	if _, err := s.q.ExecContext(ctx, `SELECT pg_notify($1, '')`, JobsChannel); err != nil {
		return fmt.Errorf("notify %s: %w", JobsChannel, err)
	}
	return nil
}

// claimJobsQuery leases due jobs whose awaited job, if any, is neither
// pending nor held, of kinds not in $5: $1 now, $2 worker, $3 lease end, $4
// limit. A job still holding a lease token was left by a runner whose lease
// ran out: taking it over counts a reclaim, not an attempt.
const claimJobsQuery = `
	WITH due AS (
		SELECT j.id AS due_id, j.run_at AS due_at, j.lease_token IS NOT NULL AS reclaimed FROM jobs j
		WHERE j.state = 'pending' AND j.run_at <= $1 AND NOT (j.kind = ANY($5))
		  AND (j.after IS NULL OR NOT EXISTS (
			SELECT 1 FROM jobs w WHERE w.key = j.after AND w.state IN ('pending', 'held')))
		ORDER BY j.run_at, j.id
		LIMIT $4
		FOR UPDATE OF j SKIP LOCKED
	)
	UPDATE jobs j SET run_at = $3, lease_token = gen_random_uuid(), leased_by = $2,
		attempts = j.attempts + CASE WHEN due.reclaimed THEN 0 ELSE 1 END,
		reclaims = j.reclaims + CASE WHEN due.reclaimed THEN 1 ELSE 0 END, updated_at = $1
	FROM due WHERE j.id = due.due_id
	RETURNING ` + jobColumns + `, due.due_at, due.reclaimed`

// ClaimJobs leases up to limit due jobs to worker until now+lease. Jobs locked
// by a concurrent claim are skipped, not waited for, so no job is claimed
// twice; a job whose lease ends without completion is due again.
func (s *Storage) ClaimJobs(ctx context.Context, worker string, now time.Time, lease time.Duration, limit int) ([]Job, error) {
	return s.ClaimJobsExcept(ctx, worker, now, lease, limit, nil)
}

// ClaimJobsExcept is ClaimJobs leaving jobs of the given kinds alone: a
// runner already running as many of a kind as it allows does not claim
// more, so jobs that mostly wait for a slow budget never fill every slot.
func (s *Storage) ClaimJobsExcept(ctx context.Context, worker string, now time.Time, lease time.Duration, limit int, except []string) ([]Job, error) {
	var jobs []Job
	if except == nil {
		except = []string{}
	}
	if err := s.q.SelectContext(ctx, &jobs, claimJobsQuery, now, worker, now.Add(lease), limit, pq.Array(except)); err != nil {
		return nil, fmt.Errorf("claim jobs: %w", err)
	}
	sort.Slice(jobs, func(i, k int) bool { return jobs[i].ID < jobs[k].ID })
	return jobs, nil
}

// ExplainClaim runs ClaimJobs' statement under EXPLAIN (ANALYZE, BUFFERS) in
// a transaction it rolls back, and returns the plan, for benchmarks and
// operators checking that claiming stays an index scan as the queue grows.
func (s *Storage) ExplainClaim(ctx context.Context, now time.Time, limit int) ([]string, error) {
	var plan []string
	errRollback := errors.New("rollback")
	err := s.Transact(ctx, func(tx *Storage) error {
		if err := tx.q.SelectContext(ctx, &plan, `EXPLAIN (ANALYZE, BUFFERS) `+claimJobsQuery,
			now, "explain", now.Add(time.Minute), limit, pq.Array([]string{})); err != nil {
			return err
		}
		return errRollback
	})
	if !errors.Is(err, errRollback) {
		return nil, fmt.Errorf("explain claim: %w", err)
	}
	return plan, nil
}

// RenewLeases extends the leases a worker holds on running jobs to until, so
// that a job running long is not taken over while a dead worker's jobs are
// free again soon. It returns how many leases it renewed.
func (s *Storage) RenewLeases(ctx context.Context, worker string, tokens []string, until time.Time) (int, error) {
	if len(tokens) == 0 {
		return 0, nil
	}
	n, err := s.execCount(ctx, `UPDATE jobs SET run_at = $3
		WHERE state = 'pending' AND leased_by = $1 AND lease_token::text = ANY($2)`,
		worker, pq.Array(tokens), until)
	if err != nil {
		return 0, fmt.Errorf("renew leases of %s: %w", worker, err)
	}
	return int(n), nil
}

// CompleteJob marks a claimed job done and keeps its result (a message ts,
// say), and wakes the runners: a job may have waited for it.
// ErrLeaseLost means the lease ended and another worker owns the job.
func (s *Storage) CompleteJob(ctx context.Context, j Job, result any, now time.Time) error {
	body, err := json.Marshal(result)
	if err != nil {
		return fmt.Errorf("complete job %s: %w", j.Key, err)
	}
	if err := s.finishJob(ctx, j, `state = 'done', result = $4, last_error = ''`, now, body); err != nil {
		return err
	}
	return s.notifyJobs(ctx)
}

// RetryJob releases a claimed job to run again at runAt, recording why it
// failed.
func (s *Storage) RetryJob(ctx context.Context, j Job, runAt time.Time, reason string, now time.Time) error {
	return s.finishJob(ctx, j, `run_at = $4, last_error = $5`, now, runAt, reason)
}

// DeferJob releases a claimed job to run at runAt without counting the claim
// as an attempt: nothing failed, it was not yet time (outside the recipient's
// working hours, say).
func (s *Storage) DeferJob(ctx context.Context, j Job, runAt time.Time, now time.Time) error {
	if j.Reclaimed {
		return s.finishJob(ctx, j, `run_at = $4`, now, runAt)
	}
	return s.finishJob(ctx, j, `run_at = $4, attempts = attempts - 1`, now, runAt)
}

// ParkJob stops retrying a claimed job; it stays in the table with its last
// error for an operator to look at.
func (s *Storage) ParkJob(ctx context.Context, j Job, reason string, now time.Time) error {
	if err := s.finishJob(ctx, j, `state = 'parked', last_error = $4`, now, reason); err != nil {
		return err
	}
	return s.notifyJobs(ctx)
}

// DropJob ends a claimed job that has become pointless (its round was
// cancelled, its respondent submitted).
func (s *Storage) DropJob(ctx context.Context, j Job, now time.Time) error {
	if err := s.finishJob(ctx, j, `state = 'cancelled'`, now); err != nil {
		return err
	}
	return s.notifyJobs(ctx)
}

// finishJob applies set to the claimed job if the caller still holds its
// lease. set may use $4 onwards for args.
func (s *Storage) finishJob(ctx context.Context, j Job, set string, now time.Time, args ...any) error {
	n, err := s.execCount(ctx, `UPDATE jobs SET `+set+`, lease_token = NULL, updated_at = $2
		WHERE id = $1 AND state = 'pending' AND lease_token::text = $3`,
		append([]any{j.ID, now, j.LeaseToken}, args...)...)
	if err != nil {
		return fmt.Errorf("finish job %s: %w", j.Key, err)
	}
	if n == 0 {
		return fmt.Errorf("finish job %s: %w", j.Key, ErrLeaseLost)
	}
	return nil
}

// Job returns the job with the given key.
func (s *Storage) Job(ctx context.Context, key string) (Job, error) {
	var j Job
	err := s.q.GetContext(ctx, &j, `SELECT `+jobColumns+` FROM jobs WHERE key = $1`, key)
	if errors.Is(err, sql.ErrNoRows) {
		return Job{}, ErrNotFound
	}
	if err != nil {
		return Job{}, fmt.Errorf("job %s: %w", key, err)
	}
	return j, nil
}

// CancelJobs cancels the round's pending and held jobs of the given kinds
// (every kind when none is given) at now and returns how many it cancelled.
// A job being run right now is cancelled too; its worker's completion then
// finds the lease gone. now is the bot's clock, as for every other change to
// a job, so that pruning counts retention on one clock.
func (s *Storage) CancelJobs(ctx context.Context, roundID int64, now time.Time, kinds ...string) (int, error) {
	n, err := s.execCount(ctx, `UPDATE jobs SET state = 'cancelled', lease_token = NULL, held_on = NULL, updated_at = $3
		WHERE round_id = $1 AND state IN ('pending', 'held') AND (COALESCE(cardinality($2::text[]), 0) = 0 OR kind = ANY($2))`,
		roundID, pq.Array(kinds), now)
	if err != nil {
		return 0, fmt.Errorf("cancel jobs of round %d: %w", roundID, err)
	}
	return int(n), nil
}

// PruneJobs deletes jobs done or cancelled before cutoff and returns how many
// it deleted. Keys of recent jobs are kept: they are what stops an effect
// from being enqueued twice while its cause may still repeat.
func (s *Storage) PruneJobs(ctx context.Context, cutoff time.Time) (int, error) {
	n, err := s.execCount(ctx, `DELETE FROM jobs WHERE state IN ('done', 'cancelled') AND updated_at < $1`, cutoff)
	if err != nil {
		return 0, fmt.Errorf("prune jobs: %w", err)
	}
	return int(n), nil
}

// JobCounts returns how many jobs are in each state, for metrics.
func (s *Storage) JobCounts(ctx context.Context) (map[JobState]int, error) {
	rows, err := s.q.QueryxContext(ctx, `SELECT state, count(*) FROM jobs GROUP BY state`)
	if err != nil {
		return nil, fmt.Errorf("job counts: %w", err)
	}
	defer rows.Close()
	counts := map[JobState]int{}
	for rows.Next() {
		var state JobState
		var n int
		if err := rows.Scan(&state, &n); err != nil {
			return nil, fmt.Errorf("job counts: %w", err)
		}
		counts[state] = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("job counts: %w", err)
	}
	return counts, nil
}
