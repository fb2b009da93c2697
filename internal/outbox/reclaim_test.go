package outbox_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/alignbot/alignbot/internal/outbox"
	"github.com/alignbot/alignbot/storage"
)

// dieHolding claims the due jobs as a runner that dies at once: they stay
// leased to it until the lease runs out.
func dieHolding(t *testing.T, s *storage.Storage, now time.Time, lease time.Duration) []storage.Job {
	t.Helper()
	jobs, err := s.ClaimJobs(context.Background(), "dead", now, lease, 10)
	if err != nil {
		t.Fatal(err)
	}
	return jobs
}

// TestADeadRunnersJobIsNotAFailedAttempt: a job taken over after its
// runner died counts no attempt; only the errors it returns count toward
// its backoff and toward parking it.
func TestADeadRunnersJobIsNotAFailedAttempt(t *testing.T) {
	t.Parallel()
	const lease = 15 * time.Second
	s, _ := newStore(t)
	clk := newClock()
	enqueue(t, s, storage.NewJob{Key: "questionnaire:1", Kind: "questionnaire", RunAt: t0})
	var mu sync.Mutex
	var runs []storage.Job
	fail := true
	r := outbox.New(outbox.Options{Store: s, Worker: "live", Clock: clk.Now, Lease: lease, MaxAttempts: 3,
		Kinds: map[string]outbox.Kind{"questionnaire": {Run: func(_ context.Context, j storage.Job) (any, error) {
			mu.Lock()
			defer mu.Unlock()
			runs = append(runs, j)
			if fail {
				return nil, errBoom
			}
			return "posted", nil
		}}}})
	ctx := context.Background()

	// Five replicas die holding it, one after another: each takeover runs
	// it at once when the lease ends, and none of them counts.
	for range 5 {
		if got := dieHolding(t, s, clk.Now(), lease); len(got) != 1 {
			t.Fatalf("the dying runner claimed %d jobs", len(got))
		}
		clk.Advance(lease + time.Second)
	}
	if n, err := r.RunDue(ctx); err != nil || n != 1 {
		t.Fatalf("after the last lease ran out, %d jobs ran (%v); want the job, at once", n, err)
	}
	j := job(t, s, "questionnaire:1")
	if runs[0].Attempts != 1 || runs[0].Reclaims != 5 || !runs[0].Reclaimed {
		t.Errorf("the takeover ran as attempt %d after %d reclaims (reclaimed %v); want attempt 1 after 5", runs[0].Attempts, runs[0].Reclaims, runs[0].Reclaimed)
	}
	// It failed: the backoff is a first failure's, not a fifth's.
	if wait := j.RunAt.Sub(clk.Now()); j.State != storage.JobPending || wait > 2*time.Second {
		t.Errorf("after its first failure the job is %s, due in %v; want pending, due within 2s", j.State, wait)
	}
	// Two more failures of its own park it (MaxAttempts 3), whatever the
	// takeovers before.
	for range 2 {
		clk.Advance(time.Hour)
		if _, err := r.RunDue(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if j := job(t, s, "questionnaire:1"); j.State != storage.JobParked || j.Attempts != 3 {
		t.Errorf("after three failures: %s, %d attempts; want parked after 3", j.State, j.Attempts)
	}
}

// TestAJobThatKeepsKillingItsRunnerIsGivenUp: takeovers do not count, but a
// job whose every run ends its runner is parked before it takes the whole
// fleet with it.
func TestAJobThatKeepsKillingItsRunnerIsGivenUp(t *testing.T) {
	t.Parallel()
	const lease = 15 * time.Second
	s, _ := newStore(t)
	clk := newClock()
	enqueue(t, s, storage.NewJob{Key: "poison:1", Kind: "poison", RunAt: t0})
	ran := 0
	var parked []string
	r := outbox.New(outbox.Options{Store: s, Worker: "live", Clock: clk.Now, Lease: lease,
		OnParked: func(_ context.Context, j storage.Job, _ error) { parked = append(parked, j.Key) },
		Kinds: map[string]outbox.Kind{"poison": {Critical: true, Run: func(context.Context, storage.Job) (any, error) {
			ran++
			return nil, nil
		}}}})
	for {
		got := dieHolding(t, s, clk.Now(), lease)
		if len(got) == 0 {
			break
		}
		clk.Advance(lease + time.Second)
		if got[0].Reclaims > 30 {
			t.Fatal("the job was never given up")
		}
		if got[0].Reclaims == 20 {
			break
		}
	}
	if _, err := r.RunDue(context.Background()); err != nil {
		t.Fatal(err)
	}
	if j := job(t, s, "poison:1"); j.State != storage.JobParked || ran != 0 || len(parked) != 1 {
		t.Errorf("after 21 takeovers: %s, run %d times, %v told; want parked without running, the facilitator told", j.State, ran, parked)
	}
}

// TestWorkAPersonWaitsForRetriesWithinSeconds: while Slack fails
// transiently, a kind with MaxBackoff retries within it for its first tries,
// then backs off as usual so that a lasting fault is still given up on.
func TestWorkAPersonWaitsForRetriesWithinSeconds(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	clk := newClock()
	const quick = 4 * time.Second
	enqueue(t, s, storage.NewJob{Key: "reveal:1", Kind: "reveal", RunAt: t0}, storage.NewJob{Key: "nudge:1", Kind: "nudge", RunAt: t0})
	failing := func(context.Context, storage.Job) (any, error) { return nil, errBoom }
	r := outbox.New(outbox.Options{Store: s, Worker: "w", Clock: clk.Now, MaxAttempts: 20,
		Kinds: map[string]outbox.Kind{"reveal": {Run: failing, MaxBackoff: quick}, "nudge": {Run: failing}}})
	ctx := context.Background()
	var nudgeWaits []time.Duration
	for try := 1; try <= outbox.QuickTries+2; try++ {
		if _, err := r.RunDue(ctx); err != nil {
			t.Fatal(err)
		}
		reveal, nudge := job(t, s, "reveal:1"), job(t, s, "nudge:1")
		wait := reveal.RunAt.Sub(clk.Now())
		switch {
		case try <= outbox.QuickTries && wait > quick:
			t.Errorf("after try %d the reveal waits %v; want at most %v", try, wait, quick)
		case try > outbox.QuickTries+1 && wait <= quick:
			t.Errorf("after try %d the reveal waits only %v: a lasting fault should back off", try, wait)
		}
		nudgeWaits = append(nudgeWaits, nudge.RunAt.Sub(clk.Now()))
		clk.Set(maxTime(reveal.RunAt, nudge.RunAt))
	}
	if last := nudgeWaits[len(nudgeWaits)-1]; last <= quick {
		t.Errorf("a kind without MaxBackoff backs off as before; its last wait is %v", last)
	}
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// TestAJobHeldOnItsCauseResumesWhenItIsFixed: a job that cannot succeed
// until something changes is held, not retried nor given up; the jobs
// waiting for it wait too; fixing the cause runs them all again at once.
func TestAJobHeldOnItsCauseResumesWhenItIsFixed(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	clk := newClock()
	errGone := errors.New("not_in_channel")
	enqueue(t, s,
		storage.NewJob{Key: "reveal:1", Kind: "reveal", RunAt: t0},
		storage.NewJob{Key: "part:1", Kind: "part", RunAt: t0, After: "reveal:1"})
	inChannel := false
	var order []string
	var held []string
	r := outbox.New(outbox.Options{Store: s, Worker: "w", Clock: clk.Now,
		Classify: func(err error) outbox.Class {
			if errors.Is(err, errGone) {
				return outbox.Class{Hold: "channel:C1"}
			}
			return outbox.Class{}
		},
		OnHeld: func(_ context.Context, j storage.Job, cause string, _ error) { held = append(held, j.Key+" on "+cause) },
		Kinds: map[string]outbox.Kind{
			"reveal": {Run: func(context.Context, storage.Job) (any, error) {
				order = append(order, "reveal")
				if !inChannel {
					return nil, errGone
				}
				return nil, nil
			}},
			"part": {Run: func(context.Context, storage.Job) (any, error) { order = append(order, "part"); return nil, nil }},
		}})
	ctx := context.Background()
	if _, err := r.RunDue(ctx); err != nil {
		t.Fatal(err)
	}
	clk.Advance(24 * time.Hour)
	if n, err := r.RunDue(ctx); err != nil || n != 0 {
		t.Errorf("a day later %d jobs ran (%v); a held job and the one waiting for it must wait for the cause", n, err)
	}
	if j := job(t, s, "reveal:1"); j.State != storage.JobHeld || j.HeldOn != "channel:C1" || j.Attempts != 1 {
		t.Errorf("the reveal: %s on %q after %d attempts; want held on channel:C1 after 1", j.State, j.HeldOn, j.Attempts)
	}
	if len(held) != 1 || held[0] != "reveal:1 on channel:C1" {
		t.Errorf("OnHeld heard %v", held)
	}
	inChannel = true
	if n, err := s.ResumeHeld(ctx, clk.Now(), "channel:C1"); err != nil || n != 1 {
		t.Fatalf("resumed %d (%v)", n, err)
	}
	if _, err := r.RunDue(ctx); err != nil {
		t.Fatal(err)
	}
	if got := job(t, s, "part:1"); got.State != storage.JobDone || len(order) != 3 || order[2] != "part" {
		t.Errorf("after the cause was fixed: the part is %s, runs %v; want the reveal, then its part", got.State, order)
	}
}

// TestADatabaseOutageCountsNoAttempt: a job that failed because the
// database was unreachable is retried within seconds and counts nothing.
func TestADatabaseOutageCountsNoAttempt(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	clk := newClock()
	errDB := errors.New("connection refused")
	enqueue(t, s, storage.NewJob{Key: "card:1", Kind: "card", RunAt: t0})
	tries := 0
	r := outbox.New(outbox.Options{Store: s, Worker: "w", Clock: clk.Now, MaxAttempts: 2,
		Classify: func(err error) outbox.Class { return outbox.Class{Transient: errors.Is(err, errDB)} },
		Kinds: map[string]outbox.Kind{"card": {Run: func(context.Context, storage.Job) (any, error) {
			tries++
			if tries <= 5 {
				return nil, errDB
			}
			return nil, nil
		}}}})
	for range 6 {
		if _, err := r.RunDue(context.Background()); err != nil {
			t.Fatal(err)
		}
		j := job(t, s, "card:1")
		if j.State == storage.JobDone {
			break
		}
		if wait := j.RunAt.Sub(clk.Now()); j.Attempts != 0 || wait > 2*time.Second {
			t.Fatalf("after an outage: %d attempts, due in %v; want none counted, due within 2s", j.Attempts, wait)
		}
		clk.Set(j.RunAt)
	}
	if j := job(t, s, "card:1"); j.State != storage.JobDone || tries != 6 {
		t.Errorf("after five outages and MaxAttempts 2: %s after %d tries; want done on the sixth", j.State, tries)
	}
}
