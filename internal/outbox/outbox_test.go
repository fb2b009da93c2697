package outbox_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/alignbot/alignbot/internal/outbox"
	"github.com/alignbot/alignbot/internal/testdb"
	"github.com/alignbot/alignbot/storage"

	"github.com/alignbot/alignbot/internal/testclock"
)

func TestMain(m *testing.M) { testdb.Main(m) }

var t0 = time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)

func newClock() *testclock.Clock { return testclock.New(t0) }

// logs records the messages a runner logs.
type logs struct {
	mu   sync.Mutex
	msgs []string
}

func (l *logs) Enabled(context.Context, slog.Level) bool { return true }
func (l *logs) WithAttrs([]slog.Attr) slog.Handler       { return l }
func (l *logs) WithGroup(string) slog.Handler            { return l }
func (l *logs) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.msgs = append(l.msgs, r.Message)
	return nil
}

func (l *logs) count(msg string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, m := range l.msgs {
		if m == msg {
			n++
		}
	}
	return n
}

// newStore returns storage on a fresh, migrated database, and the
// database's URL for a second replica's connection.
func newStore(t *testing.T) (*storage.Storage, string) {
	t.Helper()
	url := testdb.New(t)
	return open(t, url), url
}

func open(t *testing.T, url string) *storage.Storage {
	t.Helper()
	ctx := context.Background()
	s, err := storage.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.Migrate(ctx, nil); err != nil {
		t.Fatal(err)
	}
	return s
}

func enqueue(t *testing.T, s *storage.Storage, jobs ...storage.NewJob) {
	t.Helper()
	if n, err := s.Enqueue(context.Background(), jobs...); err != nil || n != len(jobs) {
		t.Fatalf("Enqueue: got %d, %v; want %d", n, err, len(jobs))
	}
}

func job(t *testing.T, s *storage.Storage, key string) storage.Job {
	t.Helper()
	j, err := s.Job(context.Background(), key)
	if err != nil {
		t.Fatalf("Job(%s): %v", key, err)
	}
	return j
}

// within waits for ch to deliver, failing the test after ten seconds.
func within[T any](t *testing.T, what string, ch <-chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(10 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
		panic("unreachable")
	}
}

// run starts r.Run and returns a function that stops it and waits for it.
func run(r *outbox.Runner, notify <-chan struct{}) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		r.Run(ctx, notify)
	}()
	return func() { cancel(); <-done }
}

var (
	errBoom = errors.New("boom")
	errWait = errors.New("slow down")
	errGone = errors.New("channel_not_found")
)

func classify(err error) outbox.Class {
	switch {
	case errors.Is(err, errWait):
		return outbox.Class{Wait: 30 * time.Second}
	case errors.Is(err, errGone):
		return outbox.Class{Permanent: true}
	}
	return outbox.Class{}
}

// backoffWindow is when a job that failed its nth attempt at now may run
// again.
func backoffWindow(now time.Time, attempt int) (time.Time, time.Time) {
	d := time.Second << attempt
	return now.Add(d / 2), now.Add(d)
}

func TestRunDueRecordsEachOutcome(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	clk := newClock()
	ctx := context.Background()

	var mu sync.Mutex
	runs := map[string]int{}
	var parked []string
	kinds := map[string]outbox.Kind{}
	type want struct {
		state     storage.JobState
		attempts  int
		runs      int
		from, to  time.Time // when it may run next
		lastError string    // a part of it
		result    any
		notified  bool // OnParked was called
	}
	retryFrom, retryTo := backoffWindow(t0, 1)
	cases := []struct {
		kind     string
		critical bool
		run      func(n int) (any, error) // n counts the runs, from 1
		want     want
	}{
		{kind: "ok", run: func(int) (any, error) { return map[string]string{"ts": "1.1"}, nil },
			want: want{state: storage.JobDone, attempts: 1, runs: 1, result: map[string]any{"ts": "1.1"}}},
		{kind: "defer", run: func(int) (any, error) { return nil, outbox.Defer(t0.Add(8 * time.Hour)) },
			want: want{state: storage.JobPending, attempts: 0, runs: 1, from: t0.Add(8 * time.Hour), to: t0.Add(8 * time.Hour)}},
		{kind: "again", run: func(n int) (any, error) {
			if n == 1 {
				return nil, outbox.Again()
			}
			return "second", nil
		}, want: want{state: storage.JobDone, attempts: 1, runs: 2, result: "second"}},
		{kind: "drop", run: func(int) (any, error) { return nil, outbox.Drop("round cancelled") },
			want: want{state: storage.JobCancelled, attempts: 1, runs: 1}},
		{kind: "fail", run: func(int) (any, error) { return nil, fmt.Errorf("post: %w", errBoom) },
			want: want{state: storage.JobPending, attempts: 1, runs: 1, from: retryFrom, to: retryTo, lastError: "post: boom"}},
		{kind: "wait", run: func(int) (any, error) { return nil, fmt.Errorf("post: %w", errWait) },
			want: want{state: storage.JobPending, attempts: 0, runs: 1, from: t0.Add(30 * time.Second), to: t0.Add(30 * time.Second)}},
		{kind: "permanent", critical: true, run: func(int) (any, error) { return nil, errGone },
			want: want{state: storage.JobParked, attempts: 1, runs: 1, lastError: "channel_not_found", notified: true}},
		{kind: "permanent-routine", run: func(int) (any, error) { return nil, errGone },
			want: want{state: storage.JobParked, attempts: 1, runs: 1, lastError: "channel_not_found"}},
		{kind: "panic", critical: true, run: func(int) (any, error) { panic("nil map") },
			want: want{state: storage.JobPending, attempts: 1, runs: 1, from: retryFrom, to: retryTo, lastError: "panicked: nil map"}},
		{kind: "unknown", want: want{state: storage.JobParked, attempts: 1, lastError: "unknown job kind"}},
	}
	var jobs []storage.NewJob
	for _, c := range cases {
		jobs = append(jobs, storage.NewJob{Key: "job:" + c.kind, Kind: c.kind, RunAt: t0})
		if c.run == nil {
			continue
		}
		kinds[c.kind] = outbox.Kind{Critical: c.critical, Run: func(_ context.Context, j storage.Job) (any, error) {
			mu.Lock()
			runs[j.Kind]++
			n := runs[j.Kind]
			mu.Unlock()
			return c.run(n)
		}}
	}
	enqueue(t, s, jobs...)
	r := outbox.New(outbox.Options{Store: s, Kinds: kinds, Worker: "w", Clock: clk.Now, Classify: classify,
		OnParked: func(_ context.Context, j storage.Job, err error) {
			mu.Lock()
			defer mu.Unlock()
			parked = append(parked, j.Kind)
		}})
	n, err := r.RunDue(ctx)
	if err != nil || n != 11 {
		t.Errorf("RunDue: got %d, %v; want 11 runs (again runs twice)", n, err)
	}
	for _, c := range cases {
		j := job(t, s, "job:"+c.kind)
		got := want{state: j.State, attempts: j.Attempts, runs: runs[c.kind], lastError: j.LastError, notified: false}
		for _, k := range parked {
			got.notified = got.notified || k == c.kind
		}
		if got.state != c.want.state || got.attempts != c.want.attempts || got.runs != c.want.runs || got.notified != c.want.notified {
			t.Errorf("%s: got state %s, %d attempts, %d runs, notified %v; want %s, %d, %d, %v", c.kind,
				got.state, got.attempts, got.runs, got.notified, c.want.state, c.want.attempts, c.want.runs, c.want.notified)
		}
		if !strings.Contains(j.LastError, c.want.lastError) {
			t.Errorf("%s: last error %q, want it to contain %q", c.kind, j.LastError, c.want.lastError)
		}
		if c.want.state == storage.JobPending && (j.RunAt.Before(c.want.from) || j.RunAt.After(c.want.to)) {
			t.Errorf("%s: runs next at %v, want between %v and %v", c.kind, j.RunAt, c.want.from, c.want.to)
		}
		if c.want.result != nil {
			var result any
			if err := json.Unmarshal(j.Result, &result); err != nil || !cmp.Equal(c.want.result, result) {
				t.Errorf("%s: result %s, want %v", c.kind, j.Result, c.want.result)
			}
		}
	}
}

func TestAFailingJobBacksOffThenParks(t *testing.T) {
	t.Parallel()
	for _, critical := range []bool{true, false} {
		t.Run(fmt.Sprintf("critical=%v", critical), func(t *testing.T) {
			t.Parallel()
			s, _ := newStore(t)
			clk := newClock()
			ctx := context.Background()
			enqueue(t, s, storage.NewJob{Key: "questionnaire:1", Kind: "questionnaire", RunAt: t0})
			attempts := 0
			var told []error
			r := outbox.New(outbox.Options{Store: s, Worker: "w", Clock: clk.Now, MaxAttempts: 3,
				Kinds: map[string]outbox.Kind{"questionnaire": {Critical: critical, Run: func(context.Context, storage.Job) (any, error) {
					attempts++
					return nil, fmt.Errorf("attempt %d: %w", attempts, errBoom)
				}}},
				OnParked: func(_ context.Context, _ storage.Job, err error) { told = append(told, err) }})
			for attempt := 1; attempt <= 3; attempt++ {
				if n, err := r.RunDue(ctx); err != nil || n != 1 {
					t.Fatalf("attempt %d: RunDue ran %d, %v; want 1", attempt, n, err)
				}
				j := job(t, s, "questionnaire:1")
				if j.Attempts != attempt || j.LastError != fmt.Sprintf("attempt %d: boom", attempt) {
					t.Fatalf("after attempt %d: %d attempts, last error %q", attempt, j.Attempts, j.LastError)
				}
				if attempt == 3 {
					if j.State != storage.JobParked {
						t.Errorf("after the last attempt: state %s, want parked", j.State)
					}
					break
				}
				from, to := backoffWindow(clk.Now(), attempt)
				if j.State != storage.JobPending || j.RunAt.Before(from) || j.RunAt.After(to) {
					t.Fatalf("after attempt %d: %s, next run at %v; want pending, between %v and %v", attempt, j.State, j.RunAt, from, to)
				}
				clk.Set(j.RunAt.Add(-time.Millisecond))
				if n, err := r.RunDue(ctx); err != nil || n != 0 {
					t.Fatalf("before the backoff ended: ran %d, %v", n, err)
				}
				clk.Set(j.RunAt)
			}
			wantTold := 0
			if critical {
				wantTold = 1
			}
			if len(told) != wantTold || (wantTold == 1 && !errors.Is(told[0], errBoom)) {
				t.Errorf("OnParked calls: %v, want %d with the job's error", told, wantTold)
			}
		})
	}
}

// TestTwoRunnersNeverRunTheSameJob drains 200 jobs with two runners, each
// on its own connection pool as two replicas would be.
func TestTwoRunnersNeverRunTheSameJob(t *testing.T) {
	t.Parallel()
	s, url := newStore(t)
	ctx := context.Background()
	var jobs []storage.NewJob
	for i := range 200 {
		jobs = append(jobs, storage.NewJob{Key: fmt.Sprintf("post:%d", i), Kind: "post", RunAt: t0})
	}
	enqueue(t, s, jobs...)
	var mu sync.Mutex
	ran := map[string][]string{} // key → runners that ran it
	newRunner := func(store *storage.Storage, worker string) *outbox.Runner {
		return outbox.New(outbox.Options{Store: store, Worker: worker, Clock: newClock().Now, Concurrency: 8,
			Kinds: map[string]outbox.Kind{"post": {Run: func(_ context.Context, j storage.Job) (any, error) {
				runtime.Gosched()
				mu.Lock()
				defer mu.Unlock()
				ran[j.Key] = append(ran[j.Key], worker)
				return worker, nil
			}}}})
	}
	runners := []*outbox.Runner{newRunner(s, "a"), newRunner(open(t, url), "b")}
	counts := make([]int, len(runners))
	var wg sync.WaitGroup
	for i, r := range runners {
		wg.Go(func() {
			n, err := r.RunDue(ctx)
			if err != nil {
				t.Error(err)
			}
			counts[i] = n
		})
	}
	wg.Wait()
	if len(ran) != 200 || counts[0]+counts[1] != 200 {
		t.Errorf("ran %d distinct jobs, runners report %v; want 200 in all", len(ran), counts)
	}
	for key, by := range ran {
		if len(by) != 1 {
			t.Errorf("%s ran %d times, by %v", key, len(by), by)
		}
	}
	if got, err := s.JobCounts(ctx); err != nil || !cmp.Equal(got, map[storage.JobState]int{storage.JobDone: 200}) {
		t.Errorf("JobCounts: %v %v", got, err)
	}
	t.Logf("runner a ran %d, runner b %d", counts[0], counts[1])
}

// TestAnotherRunnerTakesOverAfterTheLease: a runner that stops renewing (it
// hangs, or died holding the job) loses the job once its lease ends; its
// late completion is refused.
func TestAnotherRunnerTakesOverAfterTheLease(t *testing.T) {
	t.Parallel()
	const lease = 30 * time.Second
	takeOver := func(t *testing.T, s *storage.Storage, clk *testclock.Clock) {
		t.Helper()
		b := outbox.New(outbox.Options{Store: s, Worker: "b", Clock: clk.Now, Lease: lease,
			Kinds: map[string]outbox.Kind{"reveal": {Run: func(context.Context, storage.Job) (any, error) { return "b", nil }}}})
		clk.Advance(lease - time.Second)
		if n, err := b.RunDue(context.Background()); err != nil || n != 0 {
			t.Fatalf("within the lease, the other runner ran %d, %v", n, err)
		}
		clk.Advance(2 * time.Second)
		if n, err := b.RunDue(context.Background()); err != nil || n != 1 {
			t.Fatalf("after the lease, the other runner ran %d, %v; want 1", n, err)
		}
	}
	checkDoneByB := func(t *testing.T, s *storage.Storage) {
		t.Helper()
		j := job(t, s, "reveal:1")
		// The takeover is not a failed attempt: it counts as a reclaim.
		if j.State != storage.JobDone || string(j.Result) != `"b"` || j.Attempts != 1 || j.Reclaims != 1 || j.LeasedBy != "b" {
			t.Errorf("job: %s, result %s, %d attempts, %d reclaims, leased by %q; want done by b, 1 attempt and 1 reclaim",
				j.State, j.Result, j.Attempts, j.Reclaims, j.LeasedBy)
		}
	}

	t.Run("hung runner", func(t *testing.T) {
		t.Parallel()
		s, _ := newStore(t)
		clk := newClock()
		enqueue(t, s, storage.NewJob{Key: "reveal:1", Kind: "reveal", RunAt: t0})
		started, release := make(chan struct{}), make(chan struct{})
		log := &logs{}
		// Concurrency 1: a's only slot is busy, so it cannot claim the job
		// again itself once the lease ends.
		a := outbox.New(outbox.Options{Store: s, Worker: "a", Clock: clk.Now, Lease: lease, Concurrency: 1, Poll: time.Hour,
			Log: slog.New(log),
			Kinds: map[string]outbox.Kind{"reveal": {Run: func(context.Context, storage.Job) (any, error) {
				close(started)
				<-release
				return "a", nil
			}}}})
		stop := run(a, nil)
		var once sync.Once
		finish := func() { once.Do(func() { close(release) }) }
		t.Cleanup(func() { finish(); stop() }) // should the test fail
		within(t, "runner a to start the job", started)
		takeOver(t, s, clk)
		finish()
		stop() // waits for a's late completion
		if n := log.count("job lease lost"); n != 1 {
			t.Errorf("runner a logged %d lost leases, want 1", n)
		}
		checkDoneByB(t, s)
	})

	t.Run("dead worker", func(t *testing.T) {
		t.Parallel()
		s, _ := newStore(t)
		clk := newClock()
		enqueue(t, s, storage.NewJob{Key: "reveal:1", Kind: "reveal", RunAt: t0})
		dead, err := s.ClaimJobs(context.Background(), "dead", t0, lease, 1)
		if err != nil || len(dead) != 1 {
			t.Fatal(dead, err)
		}
		takeOver(t, s, clk)
		if err := s.CompleteJob(context.Background(), dead[0], "dead", clk.Now()); !errors.Is(err, storage.ErrLeaseLost) {
			t.Errorf("the dead worker's late completion: got %v, want ErrLeaseLost", err)
		}
		checkDoneByB(t, s)
	})
}

// TestTheHeartbeatKeepsALongJobsLease runs a job far longer than its lease:
// the heartbeat renews it, so another runner never takes it over.
func TestTheHeartbeatKeepsALongJobsLease(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	clk := newClock()
	ctx := context.Background()
	const lease = 300 * time.Millisecond // a renewal every 100ms of real time
	enqueue(t, s, storage.NewJob{Key: "upload:1", Kind: "upload", RunAt: t0})
	started, release := make(chan struct{}), make(chan struct{})
	log := &logs{}
	a := outbox.New(outbox.Options{Store: s, Worker: "a", Clock: clk.Now, Lease: lease, Concurrency: 1, Poll: time.Hour,
		Log: slog.New(log),
		Kinds: map[string]outbox.Kind{"upload": {Run: func(context.Context, storage.Job) (any, error) {
			close(started)
			<-release
			return "a", nil
		}}}})
	b := outbox.New(outbox.Options{Store: s, Worker: "b", Clock: clk.Now, Lease: lease,
		Kinds: map[string]outbox.Kind{"upload": {Run: func(context.Context, storage.Job) (any, error) { return "b", nil }}}})
	stop := run(a, nil)
	defer stop()
	var once sync.Once
	finish := func() { once.Do(func() { close(release) }) }
	defer finish() // before stop, should the test fail
	within(t, "runner a to start the job", started)
	for i := range 3 {
		// Well past the lease end the last renewal gave.
		clk.Advance(time.Second)
		testclock.Eventually(t, fmt.Sprintf("renewal %d", i+1), func() bool { return job(t, s, "upload:1").RunAt.After(clk.Now()) })
		if n, err := b.RunDue(ctx); err != nil || n != 0 {
			t.Fatalf("renewal %d: the other runner ran %d, %v; want 0", i+1, n, err)
		}
	}
	finish()
	testclock.Eventually(t, "runner a to finish the job", func() bool { return job(t, s, "upload:1").State == storage.JobDone })
	if j := job(t, s, "upload:1"); string(j.Result) != `"a"` || j.Attempts != 1 {
		t.Errorf("job: result %s, %d attempts; want a's, on attempt 1", j.Result, j.Attempts)
	}
	if n := log.count("job lease lost"); n != 0 {
		t.Errorf("runner a lost its lease %d times", n)
	}
}

// TestNotificationsWakeTheRunner has a runner that polls once an hour run
// a job enqueued by someone else, then a job that waited for a job another
// worker completed: the database's notifications wake it.
func TestNotificationsWakeTheRunner(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	clk := newClock()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	enqueue(t, s,
		storage.NewJob{Key: "reveal:1", Kind: "reveal", RunAt: t0},
		storage.NewJob{Key: "note:1", Kind: "note", RunAt: t0, After: "reveal:1"},
		storage.NewJob{Key: "warmup", Kind: "block", RunAt: t0},
	)
	// Another worker runs the reveal.
	reveal, err := s.ClaimJobs(ctx, "other", t0, time.Hour, 1)
	if err != nil || len(reveal) != 1 || reveal[0].Key != "reveal:1" {
		t.Fatal(reveal, err)
	}
	notify, err := s.Listen(ctx, storage.JobsChannel)
	if err != nil {
		t.Fatal(err)
	}
	started := make(chan string, 2)
	notes := make(chan string, 1)
	release := make(chan struct{})
	r := outbox.New(outbox.Options{Store: s, Worker: "r", Clock: clk.Now, Lease: time.Hour, Poll: time.Hour, Concurrency: 3,
		Kinds: map[string]outbox.Kind{
			// Blocking jobs keep their slots, so that no finished job wakes
			// the runner: only notifications do.
			"block": {Run: func(_ context.Context, j storage.Job) (any, error) {
				started <- j.Key
				<-release
				return nil, nil
			}},
			"note": {Run: func(_ context.Context, j storage.Job) (any, error) {
				notes <- j.Key
				return nil, nil
			}},
		}})
	stop := run(r, notify)
	defer stop()
	defer close(release)
	// Once the warmup job runs, the runner's first claim is over (it did
	// not take the note, whose reveal is pending) and it waits.
	if got := within(t, "the warmup job", started); got != "warmup" {
		t.Fatalf("first job run: %s", got)
	}

	begin := time.Now()
	enqueue(t, s, storage.NewJob{Key: "enqueued", Kind: "block", RunAt: t0})
	if got := within(t, "the job enqueued by someone else", started); got != "enqueued" {
		t.Fatalf("got %s", got)
	}
	t.Logf("enqueue to run: %v", time.Since(begin))

	begin = time.Now()
	if err := s.CompleteJob(ctx, reveal[0], "1.1", t0); err != nil {
		t.Fatal(err)
	}
	if got := within(t, "the note after its reveal", notes); got != "note:1" {
		t.Fatalf("got %s", got)
	}
	t.Logf("dependency done to dependent run: %v", time.Since(begin))
}

func TestCountsAreFilledByThePeriodicCount(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	ctx := context.Background()
	enqueue(t, s,
		storage.NewJob{Key: "done", Kind: "k", RunAt: t0},
		storage.NewJob{Key: "parked", Kind: "k", RunAt: t0},
		storage.NewJob{Key: "later", Kind: "k", RunAt: t0.Add(time.Hour)},
	)
	jobs, err := s.ClaimJobs(ctx, "w", t0, time.Minute, 10)
	if err != nil || len(jobs) != 2 {
		t.Fatal(jobs, err)
	}
	if err := s.CompleteJob(ctx, jobs[0], nil, t0); err != nil {
		t.Fatal(err)
	}
	if err := s.ParkJob(ctx, jobs[1], "no", t0); err != nil {
		t.Fatal(err)
	}
	r := outbox.New(outbox.Options{Store: s, Worker: "r", Clock: newClock().Now, Poll: time.Hour, Kinds: map[string]outbox.Kind{}})
	if got := r.Counts(); len(got) != 0 {
		t.Errorf("counts before the runner runs: %v", got)
	}
	stop := run(r, nil)
	defer stop()
	want := map[storage.JobState]int{storage.JobDone: 1, storage.JobParked: 1, storage.JobPending: 1}
	testclock.Eventually(t, "the first count", func() bool { return cmp.Equal(want, r.Counts()) })
}
