// Package outbox runs alignbot's transactional outbox. Every effect on Slack
// (a post, a DM, an update, an upload) is a job written in the same database
// transaction as the change that causes it; runners on every replica claim
// due jobs with SKIP LOCKED, run them under a short lease that a heartbeat
// renews while they run, and record the outcome: done, retried with backoff,
// deferred, dropped, held until its cause is fixed, or parked after too many
// failures. A job taken over after its runner died is not a failure: it
// runs again at once and counts no attempt.
//
// A runner knows nothing of Slack. The caller registers one Kind per job
// kind (how to run it, whether the team relies on it, how to describe it when
// it is given up) and says how to classify errors.
package outbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/alignbot/alignbot/internal/metrics"
	"github.com/alignbot/alignbot/storage"
)

// Kind is one kind of job.
type Kind struct {
	// Run carries the job out and returns a result kept with the job (a
	// message's ts, say). It may return Defer, Drop or Again, or any error,
	// which Options.Classify judges.
	Run func(ctx context.Context, j storage.Job) (result any, err error)
	// Critical is set for jobs the team relies on (a questionnaire, a
	// reminder, a channel post): when one is parked, Options.OnParked is
	// told, so that a person can act.
	Critical bool
	// Describe says in a few words what the job delivers, for the person
	// told when it is parked: "the questionnaire to <@U1>".
	Describe func(ctx context.Context, j storage.Job) string
	// MaxRunning caps how many jobs of the kind a runner runs at once; 0
	// is no cap. Kinds that mostly wait for a slow budget (Slack's
	// chat.update allows under one call a second) get a small cap, so they
	// never hold every slot while other kinds could go ahead.
	MaxRunning int
	// MaxBackoff, when set, caps the wait after each of a failing job's
	// first QuickTries tries: a person is waiting for it (a questionnaire,
	// a reveal), and a transient fault should cost seconds, not minutes.
	// Later tries back off as usual, so a lasting fault is still given up
	// on after MaxAttempts.
	MaxBackoff time.Duration
}

// QuickTries is how many tries of a kind with MaxBackoff wait at most that
// long.
const QuickTries = 6

// maxReclaims is how many times a job may be taken over from a runner
// that died running it before it is parked: a job whose every run kills
// its replica must not go round forever.
const maxReclaims = 20

// Class is how a failed job is handled.
type Class struct {
	// Wait, when set, defers the job by that long without counting an
	// attempt: the service asked us to slow down.
	Wait time.Duration
	// Permanent parks the job at once: retrying cannot help.
	Permanent bool
	// Hold names what must change before the job can succeed (see
	// storage.HoldJob): the job waits for it instead of being retried.
	Hold string
	// Transient retries the job soon without counting an attempt: the
	// fault is not the job's (the database was restarting, say).
	Transient bool
}

// Options configure a Runner. Store and Kinds are required.
type Options struct {
	Store  *storage.Storage
	Kinds  map[string]Kind
	Worker string
	Log    *slog.Logger
	// Clock tells the time jobs are due by; defaults to time.Now.
	Clock func() time.Time
	// Lease is how long a claimed job is this runner's unless renewed;
	// default 15s. A heartbeat renews running jobs every Lease/3, so a dead
	// runner's jobs are free again within one Lease.
	Lease time.Duration
	// Poll is how often the runner looks for due jobs when nothing woke
	// it; default 1s.
	Poll time.Duration
	// Concurrency is how many jobs run at once; default 16.
	Concurrency int
	// MaxAttempts before a failing job is parked; default 10.
	MaxAttempts int
	// Classify judges a job's error; by default every error is retried.
	Classify func(error) Class
	// OnParked is called when a critical job is parked.
	OnParked func(ctx context.Context, j storage.Job, err error)
	// OnHeld is called when a job is held on a cause.
	OnHeld func(ctx context.Context, j storage.Job, cause string, err error)
	// Retention is how long done and cancelled jobs are kept: their keys
	// stop an effect from being enqueued twice while its cause may still
	// repeat. Default 14 days.
	Retention time.Duration
	// Maintenance, when set, runs hourly beside pruning.
	Maintenance func(ctx context.Context, now time.Time)
	// Metrics, when set, is told how late each job starts, how long it
	// runs and how it ends.
	Metrics *metrics.Metrics
}

// Runner claims and runs jobs.
type Runner struct {
	opts Options
	log  *slog.Logger
	wake chan struct{}

	mu      sync.Mutex
	running map[int64]string // job id → lease token
	byKind  map[string]int   // running jobs by kind
	counts  map[storage.JobState]int
}

// New returns a runner; Run starts it.
func New(opts Options) *Runner {
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	if opts.Lease == 0 {
		opts.Lease = 15 * time.Second
	}
	if opts.Poll == 0 {
		opts.Poll = time.Second
	}
	if opts.Concurrency == 0 {
		opts.Concurrency = 16
	}
	if opts.MaxAttempts == 0 {
		opts.MaxAttempts = 10
	}
	if opts.Classify == nil {
		opts.Classify = func(error) Class { return Class{} }
	}
	if opts.Retention == 0 {
		opts.Retention = 14 * 24 * time.Hour
	}
	log := opts.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Runner{opts: opts, log: log, wake: make(chan struct{}, 1), running: map[int64]string{}, byKind: map[string]int{}}
}

// Wake makes the runner look for due jobs now. Call it after enqueueing;
// tests call it after moving their clock.
func (r *Runner) Wake() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// Counts returns how many jobs were in each state at the last count (taken
// every 30 seconds while the runner runs), for metrics: a scrape never scans
// the queue.
func (r *Runner) Counts() map[storage.JobState]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make(map[storage.JobState]int, len(r.counts))
	for k, v := range r.counts {
		out[k] = v
	}
	return out
}

// Run claims and runs due jobs until ctx is done, then waits for the jobs it
// started. notify, when not nil, delivers the database's notifications that
// jobs were enqueued or finished, so the runner wakes at once.
func (r *Runner) Run(ctx context.Context, notify <-chan struct{}) {
	var jobs sync.WaitGroup
	slots := make(chan struct{}, r.opts.Concurrency)
	freed := make(chan struct{}, 1)

	hctx, stopHeartbeat := context.WithCancel(context.WithoutCancel(ctx))
	var heartbeat sync.WaitGroup
	heartbeat.Go(func() { r.heartbeat(hctx) })
	defer func() { jobs.Wait(); stopHeartbeat(); heartbeat.Wait() }()

	var swept, counted time.Time
	for {
		now := time.Now()
		if now.Sub(counted) >= 30*time.Second {
			counted = now
			r.count(ctx)
		}
		if now.Sub(swept) >= time.Hour {
			swept = now
			r.maintain(ctx)
		}
		free := cap(slots) - len(slots)
		var claimed []storage.Job
		if free > 0 && ctx.Err() == nil {
			// A claim cut short by shutdown may still commit, leaving jobs
			// leased to nobody for a whole lease: let it finish, then run
			// what it claimed.
			var err error
			claimed, err = r.opts.Store.ClaimJobsExcept(context.WithoutCancel(ctx), r.opts.Worker, r.opts.Clock(), r.opts.Lease, free, r.saturated())
			if err != nil && ctx.Err() == nil {
				r.log.Warn("claim jobs failed", slog.Any("error", err))
			}
		}
		for _, j := range claimed {
			slots <- struct{}{}
			r.track(j)
			jobs.Go(func() {
				defer func() {
					r.untrack(j)
					<-slots
					select {
					case freed <- struct{}{}:
					default:
					}
				}()
				r.run(ctx, j)
			})
		}
		if len(claimed) > 0 && len(claimed) == free {
			continue // more may be due
		}
		select {
		case <-ctx.Done():
			return
		case <-r.wake:
		case <-notify:
		case <-freed:
		case <-time.After(r.opts.Poll):
		}
	}
}

// RunDue runs every job due now on this runner and returns when none is left
// due, with how many ran. Tests and benchmarks drive the queue with it.
func (r *Runner) RunDue(ctx context.Context) (int, error) {
	ran := 0
	for {
		claimed, err := r.opts.Store.ClaimJobs(ctx, r.opts.Worker, r.opts.Clock(), r.opts.Lease, r.opts.Concurrency)
		if err != nil {
			return ran, err
		}
		if len(claimed) == 0 {
			return ran, nil
		}
		var wg sync.WaitGroup
		for _, j := range claimed {
			wg.Go(func() { r.run(ctx, j) })
		}
		wg.Wait()
		ran += len(claimed)
	}
}

func (r *Runner) track(j storage.Job) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.running[j.ID] = j.LeaseToken
	r.byKind[j.Kind]++
}

func (r *Runner) untrack(j storage.Job) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.running, j.ID)
	r.byKind[j.Kind]--
}

// saturated lists the kinds running at their cap. A claim may still take
// several jobs of a kind below its cap; the cap is a bound on how many wait
// at once, not an exact count.
func (r *Runner) saturated() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for kind, k := range r.opts.Kinds {
		if k.MaxRunning > 0 && r.byKind[kind] >= k.MaxRunning {
			out = append(out, kind)
		}
	}
	return out
}

// heartbeat renews the leases of running jobs every third of a lease.
func (r *Runner) heartbeat(ctx context.Context) {
	tick := time.NewTicker(r.opts.Lease / 3)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		r.mu.Lock()
		tokens := make([]string, 0, len(r.running))
		for _, t := range r.running {
			tokens = append(tokens, t)
		}
		r.mu.Unlock()
		if _, err := r.opts.Store.RenewLeases(ctx, r.opts.Worker, tokens, r.opts.Clock().Add(r.opts.Lease)); err != nil && ctx.Err() == nil {
			r.log.Warn("renewing leases failed", slog.Any("error", err))
		}
	}
}

func (r *Runner) count(ctx context.Context) {
	counts, err := r.opts.Store.JobCounts(ctx)
	if err != nil {
		if ctx.Err() == nil {
			r.log.Warn("counting jobs failed", slog.Any("error", err))
		}
		return
	}
	r.mu.Lock()
	r.counts = counts
	r.mu.Unlock()
}

// maintain prunes finished jobs and runs the caller's maintenance. Every
// replica does it; deleting twice is harmless.
func (r *Runner) maintain(ctx context.Context) {
	now := r.opts.Clock()
	n, err := r.opts.Store.PruneJobs(ctx, now.Add(-r.opts.Retention))
	switch {
	case err != nil && ctx.Err() == nil:
		r.log.Warn("pruning jobs failed", slog.Any("error", err))
	case n > 0:
		r.log.Info("pruned finished jobs", slog.Int("count", n))
	}
	if r.opts.Maintenance != nil {
		r.opts.Maintenance(ctx, now)
	}
}

// run runs one claimed job and records its outcome. A job already claimed is
// finished even when the runner is shutting down.
func (r *Runner) run(ctx context.Context, j storage.Job) {
	started := time.Now()
	if !j.DueAt.IsZero() {
		r.opts.Metrics.JobStarted(j.Kind, r.opts.Clock().Sub(j.DueAt))
	}
	ended := r.runJob(ctx, j)
	r.opts.Metrics.JobFinished(j.Kind, ended, time.Since(started))
}

// runJob is run without the metrics; it returns how the job ended.
func (r *Runner) runJob(ctx context.Context, j storage.Job) (ended string) {
	ctx = context.WithoutCancel(ctx)
	log := r.log.With(slog.String("job", j.Key), slog.Int("attempt", j.Attempts))
	if j.RoundID != nil {
		log = log.With(slog.Int64("round_id", *j.RoundID))
	}
	store := r.opts.Store
	kind, ok := r.opts.Kinds[j.Kind]
	if !ok {
		return r.finish(log, j, store.ParkJob(ctx, j, "unknown job kind", r.opts.Clock()), metrics.JobParked)
	}
	if j.Reclaimed {
		log.Info("job taken over: its runner's lease ran out", slog.Int("reclaims", j.Reclaims))
		if j.Reclaims > maxReclaims {
			err := fmt.Errorf("its runner stopped %d times while running it", j.Reclaims)
			log.Error("job parked", slog.String("error", err.Error()))
			ended = r.finish(log, j, store.ParkJob(ctx, j, err.Error(), r.opts.Clock()), metrics.JobParked)
			if kind.Critical && r.opts.OnParked != nil {
				r.opts.OnParked(ctx, j, err)
			}
			return ended
		}
	}
	jctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	result, err := safeRun(jctx, kind, j)
	cancel()
	now := r.opts.Clock()
	var o *outcome
	switch {
	case err == nil:
		return r.finish(log, j, store.CompleteJob(ctx, j, result, now), metrics.JobDone)
	case errors.As(err, &o) && o.drop:
		log.Info("job dropped", slog.String("reason", o.reason))
		return r.finish(log, j, store.DropJob(ctx, j, now), metrics.JobDropped)
	case errors.As(err, &o):
		until := o.until
		if o.again {
			until = now
		}
		return r.finish(log, j, store.DeferJob(ctx, j, until, now), metrics.JobDeferred)
	default:
		return r.retryOrPark(ctx, log, kind, j, err, now)
	}
}

func safeRun(ctx context.Context, kind Kind, j storage.Job) (result any, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("job panicked: %v", p)
		}
	}()
	return kind.Run(ctx, j)
}

func (r *Runner) retryOrPark(ctx context.Context, log *slog.Logger, kind Kind, j storage.Job, err error, now time.Time) (ended string) {
	store := r.opts.Store
	reason := err.Error()
	class := r.opts.Classify(err)
	switch {
	case class.Wait > 0:
		// Asked to slow down: not the job's fault, not an attempt.
		log.Info("job deferred: rate limited", slog.String("retry_after", class.Wait.String()))
		return r.finish(log, j, store.DeferJob(ctx, j, now.Add(class.Wait), now), metrics.JobDeferred)
	case class.Transient:
		delay := transientDelay()
		log.Warn("job failed for a reason not its own, will retry", slog.String("error", reason),
			slog.String("retry_in", delay.Round(time.Millisecond).String()))
		return r.finish(log, j, store.DeferJob(ctx, j, now.Add(delay), now), metrics.JobDeferred)
	case class.Hold != "":
		log.Warn("job held until its cause is fixed", slog.String("cause", class.Hold), slog.String("error", reason))
		ended = r.finish(log, j, store.HoldJob(ctx, j, class.Hold, reason, now), metrics.JobHeld)
		if r.opts.OnHeld != nil {
			r.opts.OnHeld(ctx, j, class.Hold, err)
		}
		return ended
	case class.Permanent || j.Attempts >= r.opts.MaxAttempts:
		log.Error("job parked", slog.String("error", reason))
		ended = r.finish(log, j, store.ParkJob(ctx, j, reason, now), metrics.JobParked)
		if kind.Critical && r.opts.OnParked != nil {
			r.opts.OnParked(ctx, j, err)
		}
		return ended
	default:
		delay := Backoff(j.Attempts)
		if kind.MaxBackoff > 0 && j.Attempts <= QuickTries {
			delay = min(delay, kind.MaxBackoff)
		}
		log.Warn("job failed, will retry", slog.String("error", reason), slog.String("retry_in", delay.Round(time.Millisecond).String()))
		return r.finish(log, j, store.RetryJob(ctx, j, now.Add(delay), reason, now), metrics.JobRetried)
	}
}

// finish logs what went wrong recording a job's outcome, and returns the
// outcome: the one recorded, or metrics.JobLost.
func (r *Runner) finish(log *slog.Logger, j storage.Job, err error, outcome string) string {
	switch {
	case err == nil:
	case errors.Is(err, storage.ErrLeaseLost):
		// Another runner took the job over after our lease ended, or the
		// job was cancelled meanwhile; it is theirs now.
		log.Warn("job lease lost")
		return metrics.JobLost
	default:
		log.Error("recording job outcome failed", slog.Any("error", err))
	}
	return outcome
}

// Backoff is exponential with jitter: about 2s, 4s, 8s … capped at 10
// minutes.
func Backoff(attempt int) time.Duration {
	d := time.Second << min(max(attempt, 1), 10)
	d = min(d, 10*time.Minute)
	return d/2 + time.Duration(rand.Int64N(int64(d/2)+1))
}

// transientDelay is how long a job that failed for a reason not its own
// waits: long enough for a restarting database to come back, short enough
// that nobody notices.
func transientDelay() time.Duration {
	return time.Second + time.Duration(rand.Int64N(int64(time.Second)))
}

// outcome is what a job asks for instead of completing.
type outcome struct {
	until  time.Time
	again  bool
	drop   bool
	reason string
}

func (o *outcome) Error() string {
	switch {
	case o.drop:
		return "dropped: " + o.reason
	case o.again:
		return "run again"
	}
	return "deferred until " + o.until.Format(time.RFC3339)
}

// Defer runs the job again at until without counting an attempt: nothing
// failed, it is not yet time (outside the recipient's working hours, say).
func Defer(until time.Time) error { return &outcome{until: until} }

// Again runs the job again as soon as a runner looks, without counting an
// attempt.
func Again() error { return &outcome{again: true} }

// Drop ends the job without running it again: it has become pointless (its
// round was cancelled, its respondent submitted).
func Drop(reason string) error { return &outcome{drop: true, reason: reason} }

// Payload decodes a job's payload into v.
func Payload(j storage.Job, v any) error {
	if err := json.Unmarshal(j.Payload, v); err != nil {
		return Drop("unreadable payload: " + err.Error())
	}
	return nil
}
