package storage_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/alignbot/alignbot/scoring"
	"github.com/alignbot/alignbot/storage"

	"github.com/alignbot/alignbot/internal/testclock"
)

// lockWaiters counts the statements of the test's database waiting for a
// row lock.
func lockWaiters(t *testing.T, s *storage.Storage) int {
	t.Helper()
	var n int
	err := s.DB().GetContext(context.Background(), &n, `SELECT count(*) FROM pg_stat_activity
		WHERE datname = current_database() AND wait_event_type = 'Lock'`)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func keys(jobs []storage.Job) []string {
	out := []string{}
	for _, j := range jobs {
		out = append(out, j.Key)
	}
	return out
}

func claim(t *testing.T, s *storage.Storage, worker string, now time.Time) []storage.Job {
	t.Helper()
	jobs, err := s.ClaimJobs(context.Background(), worker, now, time.Minute, 100)
	if err != nil {
		t.Fatal(err)
	}
	return jobs
}

func mustJob(t *testing.T, s *storage.Storage, key string) storage.Job {
	t.Helper()
	j, err := s.Job(context.Background(), key)
	if err != nil {
		t.Fatalf("Job(%s): %v", key, err)
	}
	return j
}

// leads are a round's respondents when there is no observer.
var leads = map[scoring.Role]string{scoring.Marketing: "UMKT", scoring.Sales: "USAL"}

// revealedRound starts a leads-only round in the workspace's channel, has
// both leads answer everything and submit, and reveals it.
func revealedRound(t *testing.T, s *storage.Storage, workspace, channel string) storage.Round {
	t.Helper()
	r, err := start(s, storage.NewRound{WorkspaceID: workspace, ChannelID: channel, Instrument: scoring.AlignmentMaturity.ID,
		FacilitatorID: "UFAC", Respondents: leads, DeadlineAt: t0.Add(7 * 24 * time.Hour), CreatedAt: t0})
	if err != nil {
		t.Fatal(err)
	}
	for _, user := range []string{"UMKT", "USAL"} {
		answerAll(t, s, r.ID, user, 1)
		if _, err := submit(s, r.ID, user, t0); err != nil {
			t.Fatal(err)
		}
	}
	if won, err := s.ClaimReveal(context.Background(), r.ID, scoring.Leads, false, t0); err != nil || !won {
		t.Fatalf("ClaimReveal: %v %v", won, err)
	}
	r, err = s.Round(context.Background(), r.ID)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func decline(s *storage.Storage, roundID int64, user string, at time.Time) (storage.Respondent, error) {
	var p storage.Respondent
	err := s.Transact(context.Background(), func(tx *storage.Storage) error {
		var err error
		_, p, err = tx.Decline(context.Background(), roundID, user, at)
		return err
	})
	return p, err
}

func TestJobAfterWaitsWhileTheAwaitedJobIsPending(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		// end ends the awaited job, which the test has claimed.
		end func(ctx context.Context, s *storage.Storage, round int64, j storage.Job) error
	}{
		{"done", func(ctx context.Context, s *storage.Storage, _ int64, j storage.Job) error {
			return s.CompleteJob(ctx, j, "1.1", t0)
		}},
		{"parked", func(ctx context.Context, s *storage.Storage, _ int64, j storage.Job) error {
			return s.ParkJob(ctx, j, "gave up", t0)
		}},
		{"dropped", func(ctx context.Context, s *storage.Storage, _ int64, j storage.Job) error {
			return s.DropJob(ctx, j, t0)
		}},
		{"cancelled with its round", func(ctx context.Context, s *storage.Storage, round int64, _ storage.Job) error {
			n, err := s.CancelJobs(ctx, round, t0, "reveal")
			if err == nil && n != 1 {
				err = fmt.Errorf("CancelJobs cancelled %d jobs, want 1", n)
			}
			return err
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := newStorage(t)
			ctx := context.Background()
			r := startRound(t, s, "C1", trio)
			if _, err := s.Enqueue(ctx,
				storage.NewJob{Key: "reveal", Kind: "reveal", RoundID: r.ID, RunAt: t0},
				storage.NewJob{Key: "note", Kind: "note", RoundID: r.ID, RunAt: t0, After: "reveal"},
			); err != nil {
				t.Fatal(err)
			}
			if got := keys(claim(t, s, "w", t0)); !cmp.Equal(got, []string{"reveal"}) {
				t.Fatalf("first claim: got %v, want only the awaited job", got)
			}
			// Leased, then retried: pending all along, so the note waits.
			if got := keys(claim(t, s, "w", t0)); len(got) != 0 {
				t.Fatalf("claim while the awaited job runs: got %v", got)
			}
			if err := s.RetryJob(ctx, mustJob(t, s, "reveal"), t0.Add(time.Minute), "500", t0); err != nil {
				t.Fatal(err)
			}
			if got := keys(claim(t, s, "w", t0.Add(30*time.Second))); len(got) != 0 {
				t.Fatalf("claim while the awaited job waits for its retry: got %v", got)
			}
			again := claim(t, s, "w", t0.Add(time.Minute))
			if !cmp.Equal(keys(again), []string{"reveal"}) {
				t.Fatalf("claim at the retry: got %v", keys(again))
			}
			if err := tc.end(ctx, s, r.ID, again[0]); err != nil {
				t.Fatal(err)
			}
			if got := keys(claim(t, s, "w", t0.Add(time.Minute))); !cmp.Equal(got, []string{"note"}) {
				t.Errorf("claim once the awaited job is %s: got %v, want [note]", tc.name, got)
			}
		})
	}
	t.Run("awaited job not in the queue", func(t *testing.T) {
		t.Parallel()
		s := newStorage(t)
		if _, err := s.Enqueue(context.Background(), storage.NewJob{Key: "note", Kind: "note", RunAt: t0, After: "pruned"}); err != nil {
			t.Fatal(err)
		}
		if got := keys(claim(t, s, "w", t0)); !cmp.Equal(got, []string{"note"}) {
			t.Errorf("got %v, want [note]", got)
		}
	})
}

func TestRenewLeasesExtendsOnlyTheWorkersOwnLeases(t *testing.T) {
	t.Parallel()
	s := newStorage(t)
	ctx := context.Background()
	if _, err := s.Enqueue(ctx,
		storage.NewJob{Key: "a", Kind: "k", RunAt: t0},
		storage.NewJob{Key: "b", Kind: "k", RunAt: t0},
		storage.NewJob{Key: "c", Kind: "k", RunAt: t0},
	); err != nil {
		t.Fatal(err)
	}
	mine, err := s.ClaimJobs(ctx, "w1", t0, 30*time.Second, 2)
	if err != nil || len(mine) != 2 {
		t.Fatal(mine, err)
	}
	theirs, err := s.ClaimJobs(ctx, "w2", t0, 30*time.Second, 2)
	if err != nil || len(theirs) != 1 {
		t.Fatal(theirs, err)
	}
	until := t0.Add(5 * time.Minute)
	all := []string{mine[0].LeaseToken, mine[1].LeaseToken, theirs[0].LeaseToken}
	for _, tc := range []struct {
		worker string
		tokens []string
		want   int
	}{
		{"w2", []string{mine[0].LeaseToken}, 0}, // w1's token, renewed by another worker
		{"w1", nil, 0},
		{"w1", all, 2},
	} {
		if n, err := s.RenewLeases(ctx, tc.worker, tc.tokens, until); err != nil || n != tc.want {
			t.Errorf("RenewLeases(%s, %d tokens): got %d, %v; want %d", tc.worker, len(tc.tokens), n, err, tc.want)
		}
	}
	for key, want := range map[string]time.Time{"a": until, "b": until, "c": t0.Add(30 * time.Second)} {
		if j := mustJob(t, s, key); !j.RunAt.Equal(want) {
			t.Errorf("lease of %s ends at %v, want %v", key, j.RunAt, want)
		}
	}
	if got := keys(claim(t, s, "w3", t0.Add(31*time.Second))); !cmp.Equal(got, []string{"c"}) {
		t.Errorf("claim after the unrenewed lease ended: got %v, want [c]", got)
	}
	// A finished job's lease is not renewed.
	if err := s.CompleteJob(ctx, mine[0], nil, t0); err != nil {
		t.Fatal(err)
	}
	if n, err := s.RenewLeases(ctx, "w1", all, until.Add(time.Minute)); err != nil || n != 1 {
		t.Errorf("RenewLeases after one job completed: got %d, %v; want 1", n, err)
	}
}

func TestPruneJobsDeletesOnlyOldDoneAndCancelledJobs(t *testing.T) {
	t.Parallel()
	s := newStorage(t)
	ctx := context.Background()
	later := t0.Add(48 * time.Hour)
	finish := map[string]func(storage.Job) error{
		"done-old":      func(j storage.Job) error { return s.CompleteJob(ctx, j, nil, t0) },
		"cancelled-old": func(j storage.Job) error { return s.DropJob(ctx, j, t0) },
		"parked-old":    func(j storage.Job) error { return s.ParkJob(ctx, j, "no", t0) },
		"retried-old":   func(j storage.Job) error { return s.RetryJob(ctx, j, t0.Add(365*24*time.Hour), "500", t0) },
		"done-new":      func(j storage.Job) error { return s.CompleteJob(ctx, j, nil, later) },
		"cancelled-new": func(j storage.Job) error { return s.DropJob(ctx, j, later) },
	}
	var jobs []storage.NewJob
	for key := range finish {
		jobs = append(jobs, storage.NewJob{Key: key, Kind: "k", RunAt: t0})
	}
	if _, err := s.Enqueue(ctx, jobs...); err != nil {
		t.Fatal(err)
	}
	for _, j := range claim(t, s, "w", t0) {
		if err := finish[j.Key](j); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := s.PruneJobs(ctx, t0.Add(24*time.Hour)); err != nil || n != 2 {
		t.Fatalf("PruneJobs: got %d, %v; want 2", n, err)
	}
	for key := range finish {
		_, err := s.Job(ctx, key)
		if gone := errors.Is(err, storage.ErrNotFound); gone != (key == "done-old" || key == "cancelled-old") {
			t.Errorf("after pruning, Job(%s): %v", key, err)
		}
	}
	if n, err := s.PruneJobs(ctx, t0.Add(24*time.Hour)); err != nil || n != 0 {
		t.Errorf("second PruneJobs: got %d, %v; want 0", n, err)
	}
	// A pruned key may be enqueued again; a kept one still stops a repeat.
	for key, want := range map[string]int{"done-old": 1, "done-new": 0} {
		if n, err := s.Enqueue(ctx, storage.NewJob{Key: key, Kind: "k", RunAt: later}); err != nil || n != want {
			t.Errorf("re-enqueue %s: got %d, %v; want %d", key, n, err, want)
		}
	}
}

func TestEnqueueNotifiesOnCommit(t *testing.T) {
	t.Parallel()
	s := newStorage(t)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	wake, err := s.Listen(ctx, storage.JobsChannel)
	if err != nil {
		t.Fatal(err)
	}
	// woken reports whether a notification arrives within wait.
	woken := func(wait time.Duration) bool {
		select {
		case <-wake:
			return true
		case <-time.After(wait):
			return false
		}
	}
	const quiet = 300 * time.Millisecond // how long silence must last
	errRollback := errors.New("rollback")
	enqueueIn := func(key string, outcome error) {
		err := s.Transact(ctx, func(tx *storage.Storage) error {
			if _, err := tx.Enqueue(ctx, storage.NewJob{Key: key, Kind: "k", RunAt: t0}); err != nil {
				return err
			}
			// Not committed yet: nobody hears of it.
			if woken(quiet) {
				t.Errorf("%s: notified before commit", key)
			}
			return outcome
		})
		if !errors.Is(err, outcome) {
			t.Fatalf("Transact: %v", err)
		}
	}

	enqueueIn("rolled-back", errRollback)
	if woken(quiet) {
		t.Errorf("notified of a rolled-back enqueue")
	}
	enqueueIn("committed", nil)
	if !woken(10 * time.Second) {
		t.Errorf("no notification after a committed enqueue")
	}
	if _, err := s.Enqueue(ctx, storage.NewJob{Key: "outside", Kind: "k", RunAt: t0}); err != nil {
		t.Fatal(err)
	}
	if !woken(10 * time.Second) {
		t.Errorf("no notification after an enqueue outside a transaction")
	}
	if n, err := s.Enqueue(ctx, storage.NewJob{Key: "outside", Kind: "k", RunAt: t0}); err != nil || n != 0 {
		t.Fatal(n, err)
	}
	if woken(quiet) {
		t.Errorf("notified of an enqueue that added nothing")
	}
}

func TestHeartbeatCountsLiveWorkers(t *testing.T) {
	t.Parallel()
	s := newStorage(t)
	ctx := context.Background()
	const window = time.Minute
	steps := []struct {
		worker string
		at     time.Duration // after t0
		retire bool
		want   int
	}{
		{worker: "w1", at: 0, want: 1},
		{worker: "w2", at: 10 * time.Second, want: 2},
		{worker: "w1", at: 20 * time.Second, want: 2}, // a beat again is not a new worker
		{worker: "w3", at: 65 * time.Second, want: 3}, // window from 5s: w2 (10s) and w1 (20s)
		{worker: "w3", at: 75 * time.Second, want: 2}, // window from 15s: w1 only
		{worker: "w1", retire: true},
		{worker: "w3", at: 76 * time.Second, want: 1},
		{worker: "w4", at: 48 * time.Hour, want: 1},
	}
	for _, st := range steps {
		if st.retire {
			if err := s.Retire(ctx, st.worker); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if n, err := s.Heartbeat(ctx, st.worker, t0.Add(st.at), window); err != nil || n != st.want {
			t.Errorf("Heartbeat(%s at +%v): got %d, %v; want %d", st.worker, st.at, n, err, st.want)
		}
	}
	// Workers unseen for a day are forgotten.
	var left []string
	if err := s.DB().SelectContext(ctx, &left, `SELECT id FROM workers ORDER BY id`); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"w4"}, left); diff != "" {
		t.Errorf("workers after two days (-want +got):\n%s", diff)
	}
}

func TestHomeUsers(t *testing.T) {
	t.Parallel()
	s := newStorage(t)
	ctx := context.Background()
	for _, o := range []struct{ workspace, user string }{{"T1", "U2"}, {"T1", "U1"}, {"T2", "U3"}, {"T1", "U1"}} {
		if err := s.RememberHomeOpened(ctx, o.workspace, o.user, t0); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		workspace string
		asked     []string
		want      []string
	}{
		{"T1", []string{"U3", "U2", "U4", "U1"}, []string{"U1", "U2"}},
		{"T2", []string{"U1", "U3"}, []string{"U3"}},
		{"T1", nil, nil},
	} {
		got, err := s.HomeUsers(ctx, tc.workspace, tc.asked)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("HomeUsers(%s, %v) (-want +got):\n%s", tc.workspace, tc.asked, diff)
		}
	}
}

// liveMessages are the setters that record a live message and return the one
// it replaces.
func liveMessages(s *storage.Storage, roundID int64) []struct {
	name string
	set  func(ctx context.Context, s *storage.Storage, ts string) (string, error)
} {
	return []struct {
		name string
		set  func(ctx context.Context, s *storage.Storage, ts string) (string, error)
	}{
		{"SetQuestionnaire", func(ctx context.Context, s *storage.Storage, ts string) (string, error) {
			return s.SetQuestionnaire(ctx, roundID, scoring.Marketing, "D1", ts)
		}},
		{"SetNudge", func(ctx context.Context, s *storage.Storage, ts string) (string, error) {
			return s.SetNudge(ctx, roundID, scoring.Sales, "D2", ts)
		}},
		{"SetActionDM", func(ctx context.Context, s *storage.Storage, ts string) (string, error) {
			return s.SetActionDM(ctx, roundID, "Q3", "UOWN", "D3", ts)
		}},
	}
}

func assignQ3(t *testing.T, s *storage.Storage, roundID int64) {
	t.Helper()
	if _, err := s.AssignAction(context.Background(), storage.Action{RoundID: roundID, QuestionID: "Q3", OwnerID: "UOWN",
		Description: "Share one pipeline view", AssignedBy: "UFAC", AssignedAt: t0, DueAt: t0.Add(30 * 24 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
}

func TestLiveMessageSettersReturnThePreviousTS(t *testing.T) {
	t.Parallel()
	s := newStorage(t)
	ctx := context.Background()
	r := revealedRound(t, s, "T1", "C1")
	assignQ3(t, s, r.ID)
	for _, m := range liveMessages(s, r.ID) {
		for _, step := range []struct{ ts, want string }{{"1.1", ""}, {"2.2", "1.1"}, {"3.3", "2.2"}} {
			if got, err := m.set(ctx, s, step.ts); err != nil || got != step.want {
				t.Errorf("%s(%s): got %q, %v; want %q", m.name, step.ts, got, err, step.want)
			}
		}
	}
	p, err := s.Respondent(ctx, r.ID, scoring.Sales)
	if err != nil || p.NudgeChannelID != "D2" || p.NudgeTS != "3.3" {
		t.Errorf("respondent after SetNudge: %+v %v", p, err)
	}
	if _, err := s.SetQuestionnaire(ctx, r.ID, scoring.Observer, "D9", "9.9"); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("SetQuestionnaire of a role nobody holds: got %v, want ErrNotFound", err)
	}
	if _, err := s.SetActionDM(ctx, r.ID, "Q3", "USOMEONE", "D9", "9.9"); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("SetActionDM for someone who does not own the action: got %v, want ErrNotFound", err)
	}
}

// TestLiveMessageSettersUnderConcurrency has a second setter wait for the
// first's row lock: it must return the message the first one recorded, or
// that message is never retired.
func TestLiveMessageSettersUnderConcurrency(t *testing.T) {
	t.Parallel()
	s := newStorage(t)
	ctx := context.Background()
	r := revealedRound(t, s, "T1", "C1")
	assignQ3(t, s, r.ID)
	for _, m := range liveMessages(s, r.ID) {
		t.Run(m.name, func(t *testing.T) {
			if _, err := m.set(ctx, s, "1.1"); err != nil {
				t.Fatal(err)
			}
			type result struct {
				previous string
				err      error
			}
			second := make(chan result, 1)
			err := s.Transact(ctx, func(tx *storage.Storage) error {
				if got, err := m.set(ctx, tx, "2.2"); err != nil || got != "1.1" {
					return fmt.Errorf("first: got %q, %v; want 1.1", got, err)
				}
				go func() {
					previous, err := m.set(ctx, s, "3.3")
					second <- result{previous, err}
				}()
				testclock.Eventually(t, "the second setter to wait for the row lock", func() bool { return lockWaiters(t, s) == 1 })
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if got := <-second; got.err != nil || got.previous != "2.2" {
				t.Errorf("second: got %q, %v; want 2.2 (the first one's message)", got.previous, got.err)
			}
		})
	}
}

func TestUnmarkAddressedKeepsCarriedMarks(t *testing.T) {
	t.Parallel()
	s := newStorage(t)
	ctx := context.Background()
	first := revealedRound(t, s, "T1", "C1")
	assignQ3(t, s, first.ID) // open at the next reveal: carried
	if ok, err := s.CloseRound(ctx, first.ID, t0); err != nil || !ok {
		t.Fatal(ok, err)
	}
	r := revealedRound(t, s, "T1", "C1")
	if err := s.SnapshotAddressed(ctx, r.ID, t0); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"Q2", "Q3"} {
		if _, err := s.MarkAddressed(ctx, r.ID, q, "UFAC", t0); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		question string
		want     bool
	}{
		{"Q3", false}, // carried from the first round: stays
		{"Q2", true},
		{"Q2", false},
		{"Q7", false},
	} {
		if got, err := s.UnmarkAddressed(ctx, r.ID, tc.question); err != nil || got != tc.want {
			t.Errorf("UnmarkAddressed(%s): got %v, %v; want %v", tc.question, got, err, tc.want)
		}
	}
	marks, err := s.Addressed(ctx, r.ID)
	if err != nil || len(marks) != 1 || marks[0].QuestionID != "Q3" || marks[0].FromRound == nil || *marks[0].FromRound != first.ID {
		t.Errorf("marks left: %+v %v; want Q3 carried from round %d", marks, err, first.ID)
	}
}

func TestExtendDeadline(t *testing.T) {
	t.Parallel()
	s := newStorage(t)
	ctx := context.Background()
	day := 24 * time.Hour
	deadline := t0.Add(7 * day) // startRound's

	t.Run("twice at once, both count", func(t *testing.T) {
		r := startRound(t, s, "C1", trio)
		got := make(chan time.Time, 2)
		err := s.Transact(ctx, func(tx *storage.Storage) error {
			// Hold the round so that both extends wait, then start together.
			if _, err := tx.LockRound(ctx, r.ID); err != nil {
				return err
			}
			for range 2 {
				go func() {
					d, err := s.ExtendDeadline(ctx, r.ID, day, t0)
					if err != nil {
						t.Error(err)
					}
					got <- d
				}()
			}
			testclock.Eventually(t, "both extends to wait for the round", func() bool { return lockWaiters(t, s) == 2 })
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		seen := map[time.Time]bool{(<-got).UTC(): true, (<-got).UTC(): true}
		want := map[time.Time]bool{deadline.Add(day): true, deadline.Add(2 * day): true}
		if !cmp.Equal(want, seen) {
			t.Errorf("deadlines returned: got %v, want %v", seen, want)
		}
		if r, err := s.Round(ctx, r.ID); err != nil || !r.DeadlineAt.Equal(deadline.Add(2*day)) {
			t.Errorf("deadline after two extends: %v %v; want %v", r.DeadlineAt, err, deadline.Add(2*day))
		}
	})

	for _, tc := range []struct {
		name    string
		channel string
		now     time.Time
		cancel  bool
		want    time.Time
		wantErr error
	}{
		{name: "before the deadline", channel: "C2", now: t0, want: deadline.Add(day)},
		{name: "after the deadline", channel: "C3", now: deadline.Add(3 * day), want: deadline.Add(4 * day)},
		{name: "cancelled round", channel: "C4", now: t0, cancel: true, wantErr: storage.ErrNotCollecting},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := startRound(t, s, tc.channel, trio)
			if tc.cancel {
				if _, err := cancelRound(s, r.ID); err != nil {
					t.Fatal(err)
				}
			}
			got, err := s.ExtendDeadline(ctx, r.ID, day, tc.now)
			if !errors.Is(err, tc.wantErr) || !got.Equal(tc.want) {
				t.Errorf("got %v, %v; want %v, %v", got, err, tc.want, tc.wantErr)
			}
		})
	}
}

func TestClaimRevealWithDeclines(t *testing.T) {
	t.Parallel()
	s := newStorage(t)
	ctx := context.Background()
	deadline := t0.Add(7 * 24 * time.Hour)
	for i, tc := range []struct {
		name         string
		declined     []string
		submitted    []string
		leadsSuffice bool
		now          time.Time
		want         bool
	}{
		{"declined observer does not hold the reveal", []string{"UOBS"}, []string{"UMKT", "USAL"}, false, t0, true},
		{"declined lead holds the reveal", []string{"UMKT"}, []string{"USAL", "UOBS"}, false, t0, false},
		{"declined lead holds it past the deadline", []string{"UMKT"}, []string{"USAL", "UOBS"}, true, deadline.Add(time.Hour), false},
		{"silent observer holds it before the deadline", nil, []string{"UMKT", "USAL"}, true, t0, false},
		{"silent observer holds it without leadsSuffice", nil, []string{"UMKT", "USAL"}, false, deadline.Add(time.Hour), false},
		{"silent observer does not hold it past the deadline", nil, []string{"UMKT", "USAL"}, true, deadline.Add(time.Hour), true},
		{"everyone submitted", nil, []string{"UMKT", "USAL", "UOBS"}, false, t0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := startRound(t, s, fmt.Sprintf("C%d", i), trio)
			for _, user := range tc.declined {
				if _, err := decline(s, r.ID, user, t0); err != nil {
					t.Fatal(err)
				}
			}
			for _, user := range tc.submitted {
				answerAll(t, s, r.ID, user, 2)
				if _, err := submit(s, r.ID, user, t0); err != nil {
					t.Fatal(err)
				}
			}
			if got, err := s.ClaimReveal(ctx, r.ID, scoring.Leads, tc.leadsSuffice, tc.now); err != nil || got != tc.want {
				t.Errorf("ClaimReveal: got %v, %v; want %v", got, err, tc.want)
			}
		})
	}
}

func TestRefusalsCarryTheRound(t *testing.T) {
	t.Parallel()
	s := newStorage(t)
	ctx := context.Background()
	open := startRound(t, s, "C1", trio)
	if _, err := decline(s, open.ID, "UOBS", t0); err != nil {
		t.Fatal(err)
	}
	answerAll(t, s, open.ID, "UMKT", 1)
	if _, err := submit(s, open.ID, "UMKT", t0); err != nil {
		t.Fatal(err)
	}
	cancelled := startRound(t, s, "C2", trio)
	if _, err := cancelRound(s, cancelled.ID); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name      string
		call      func() error
		round     int64
		state     storage.RoundState
		wantError error
	}{
		{"OwnQuestionnaire of a stranger", func() error {
			_, err := s.OwnQuestionnaire(ctx, open.ID, "USTRANGER")
			return err
		}, open.ID, storage.Collecting, storage.ErrNotRespondent},
		{"answer in a cancelled round", func() error {
			_, err := record(s, cancelled.ID, scoring.Sales, "USAL", "Q1", 1, t0)
			return err
		}, cancelled.ID, storage.Cancelled, storage.ErrNotCollecting},
		{"answer in another's role", func() error {
			_, err := record(s, open.ID, scoring.Marketing, "USAL", "Q1", 1, t0)
			return err
		}, open.ID, storage.Collecting, storage.ErrNotRespondent},
		{"submit after declining", func() error {
			_, err := submit(s, open.ID, "UOBS", t0)
			return err
		}, open.ID, storage.Collecting, storage.ErrDeclined},
		{"decline after submitting", func() error {
			_, err := decline(s, open.ID, "UMKT", t0)
			return err
		}, open.ID, storage.Collecting, storage.ErrSubmitted},
		{"decline by a stranger", func() error {
			_, err := decline(s, open.ID, "USTRANGER", t0)
			return err
		}, open.ID, storage.Collecting, storage.ErrNotRespondent},
		{"decline a cancelled round", func() error {
			_, err := decline(s, cancelled.ID, "USAL", t0)
			return err
		}, cancelled.ID, storage.Cancelled, storage.ErrNotCollecting},
	} {
		err := tc.call()
		var re *storage.RoundError
		if !errors.As(err, &re) || !errors.Is(err, tc.wantError) {
			t.Errorf("%s: got %v, want a *RoundError wrapping %v", tc.name, err, tc.wantError)
			continue
		}
		if re.Round.ID != tc.round || re.Round.State != tc.state || re.Round.ChannelID == "" {
			t.Errorf("%s: the error carries %+v, want round %d %s", tc.name, re.Round, tc.round, tc.state)
		}
	}
	// A respondent sees their own questionnaire in any state, and only theirs.
	q, err := s.OwnQuestionnaire(ctx, open.ID, "UMKT")
	if err != nil || q.Round.ID != open.ID || q.Respondent.Role != scoring.Marketing || len(q.Answers) != len(questionIDs) {
		t.Errorf("OwnQuestionnaire: %+v %v", q, err)
	}
	if q, err := s.OwnQuestionnaire(ctx, open.ID, "USAL"); err != nil || len(q.Answers) != 0 {
		t.Errorf("OwnQuestionnaire of a lead who answered nothing: %+v %v", q.Answers, err)
	}
}

func TestRoundsStartedSince(t *testing.T) {
	t.Parallel()
	s := newStorage(t)
	ctx := context.Background()
	for _, nr := range []struct {
		workspace, channel, facilitator string
		at                              time.Duration
		cancel                          bool
	}{
		{"T1", "C1", "UFAC", -time.Hour, false},
		{"T1", "C2", "UFAC", 0, true}, // cancelled rounds count
		{"T1", "C3", "UFAC", time.Hour, false},
		{"T1", "C4", "UOTHER", time.Hour, false},
		{"T2", "C1", "UFAC", time.Hour, false},
	} {
		r, err := start(s, storage.NewRound{WorkspaceID: nr.workspace, ChannelID: nr.channel, Instrument: scoring.AlignmentMaturity.ID,
			FacilitatorID: nr.facilitator, Respondents: trio, DeadlineAt: t0.Add(7 * 24 * time.Hour), CreatedAt: t0.Add(nr.at)})
		if err != nil {
			t.Fatal(err)
		}
		if nr.cancel {
			if _, err := cancelRound(s, r.ID); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, tc := range []struct {
		workspace, user string
		since           time.Time
		want            int
	}{
		{"T1", "UFAC", t0.Add(-2 * time.Hour), 3},
		{"T1", "UFAC", t0, 2},
		{"T1", "UFAC", t0.Add(time.Minute), 1},
		{"T2", "UFAC", t0, 1},
		{"T1", "UOTHER", t0, 1},
		{"T1", "UNOBODY", t0, 0},
	} {
		if n, err := s.RoundsStartedSince(ctx, tc.workspace, tc.user, tc.since); err != nil || n != tc.want {
			t.Errorf("RoundsStartedSince(%s, %s, %v): got %d, %v; want %d", tc.workspace, tc.user, tc.since, n, err, tc.want)
		}
	}
}

func TestPendingRoundsOldestFirst(t *testing.T) {
	t.Parallel()
	s := newStorage(t)
	ctx := context.Background()
	ids := map[string]int64{}
	for _, nr := range []struct {
		workspace, channel string
		at                 time.Duration
		then               string // what the observer UOBS does
	}{
		{"T1", "C1", 2 * time.Hour, ""},
		{"T1", "C2", 0, ""},
		{"T1", "C3", time.Hour, "decline"},
		{"T1", "C4", 30 * time.Minute, "cancel"},
		{"T1", "C5", 3 * time.Hour, "submit"},
		{"T2", "C6", time.Minute, ""},
		{"T1", "C7", time.Hour, ""},
	} {
		r, err := start(s, storage.NewRound{WorkspaceID: nr.workspace, ChannelID: nr.channel, Instrument: scoring.AlignmentMaturity.ID,
			FacilitatorID: "UFAC", Respondents: trio, DeadlineAt: t0.Add(7 * 24 * time.Hour), CreatedAt: t0.Add(nr.at)})
		if err != nil {
			t.Fatal(err)
		}
		ids[nr.channel] = r.ID
		switch nr.then {
		case "decline":
			_, err = decline(s, r.ID, "UOBS", t0)
		case "cancel":
			_, err = cancelRound(s, r.ID)
		case "submit":
			answerAll(t, s, r.ID, "UOBS", 0)
			_, err = submit(s, r.ID, "UOBS", t0)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.PendingRounds(ctx, "T1", "UOBS")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]int64{ids["C2"], ids["C7"], ids["C1"]}, got); diff != "" {
		t.Errorf("PendingRounds (-want +got):\n%s", diff)
	}
}

func TestOwnedActionsNewestRoundFirst(t *testing.T) {
	t.Parallel()
	s := newStorage(t)
	ctx := context.Background()
	older := revealedRound(t, s, "T1", "C1")
	newer := revealedRound(t, s, "T1", "C2")
	closed := revealedRound(t, s, "T1", "C3")
	elsewhere := revealedRound(t, s, "T2", "C1")
	collecting := startRound(t, s, "C4", leads)
	type assignment struct {
		round    int64
		question string
		owner    string
	}
	for _, a := range []assignment{
		{older.ID, "Q2", "UOWN"}, {older.ID, "Q9", "UOTHER"},
		{newer.ID, "Q3", "UOWN"}, {newer.ID, "Q10", "UOWN"}, {newer.ID, "Q1", "UOWN"},
		{closed.ID, "Q5", "UOWN"},
		{elsewhere.ID, "Q4", "UOWN"},
	} {
		if _, err := s.AssignAction(ctx, storage.Action{RoundID: a.round, QuestionID: a.question, OwnerID: a.owner,
			Description: "d", AssignedBy: "UFAC", AssignedAt: t0, DueAt: t0}); err != nil {
			t.Fatal(err)
		}
	}
	if ok, err := s.CloseRound(ctx, closed.ID, t0); err != nil || !ok {
		t.Fatal(ok, err)
	}
	if _, err := s.AssignAction(ctx, storage.Action{RoundID: collecting.ID, QuestionID: "Q1", OwnerID: "UOWN"}); !errors.Is(err, storage.ErrNotRevealed) {
		t.Fatalf("assign in a collecting round: %v", err)
	}
	got, err := s.OwnedActions(ctx, "T1", "UOWN")
	if err != nil {
		t.Fatal(err)
	}
	var gotKeys []assignment
	for _, a := range got {
		gotKeys = append(gotKeys, assignment{a.RoundID, a.QuestionID, a.OwnerID})
	}
	want := []assignment{
		{closed.ID, "Q5", "UOWN"},
		{newer.ID, "Q1", "UOWN"}, {newer.ID, "Q10", "UOWN"}, {newer.ID, "Q3", "UOWN"},
		{older.ID, "Q2", "UOWN"},
	}
	if diff := cmp.Diff(want, gotKeys, cmp.AllowUnexported(assignment{})); diff != "" {
		t.Errorf("OwnedActions (-want +got):\n%s", diff)
	}
}

func TestSetOneAnswerNeedsARevealedRound(t *testing.T) {
	t.Parallel()
	s := newStorage(t)
	ctx := context.Background()
	collecting := startRound(t, s, "C1", trio)
	cancelled := startRound(t, s, "C2", trio)
	if _, err := cancelRound(s, cancelled.ID); err != nil {
		t.Fatal(err)
	}
	revealed := revealedRound(t, s, "T1", "C3")
	closed := revealedRound(t, s, "T1", "C4")
	if ok, err := s.CloseRound(ctx, closed.ID, t0); err != nil || !ok {
		t.Fatal(ok, err)
	}
	at := t0.Add(time.Hour)
	for _, tc := range []struct {
		name    string
		round   int64
		wantErr error
	}{
		{"collecting", collecting.ID, storage.ErrNotRevealed},
		{"cancelled", cancelled.ID, storage.ErrNotRevealed},
		{"unknown", 1 << 40, storage.ErrNotRevealed},
		{"revealed", revealed.ID, nil},
		{"closed", closed.ID, nil},
	} {
		for _, answer := range []string{"first answer", "replaced"} {
			r, err := s.SetOneAnswer(ctx, tc.round, answer, "UFAC", at)
			if !errors.Is(err, tc.wantErr) {
				t.Errorf("%s: got %v, want %v", tc.name, err, tc.wantErr)
				continue
			}
			if err == nil && (r.OneAnswer != answer || r.OneAnswerBy != "UFAC" || r.OneAnswerAt == nil || !r.OneAnswerAt.Equal(at)) {
				t.Errorf("%s: round after SetOneAnswer: %+v", tc.name, r)
			}
		}
		if tc.wantErr == nil {
			continue
		}
		if r, err := s.Round(ctx, tc.round); err == nil && r.OneAnswer != "" {
			t.Errorf("%s: the refused answer was kept: %q", tc.name, r.OneAnswer)
		}
	}
}
