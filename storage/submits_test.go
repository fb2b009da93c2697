package storage_test

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/alignbot/alignbot/scoring"
	"github.com/alignbot/alignbot/storage"
)

// alone submits user's answers with SubmitAlone, as a click from their DM
// (none recorded yet, so any channel) would, with one job and one App Home
// job for each of homes.
func alone(s *storage.Storage, roundID int64, user, delivery string, at time.Time, homes ...string) (storage.SubmitResult, error) {
	req := storage.SubmitRequest{RoundID: roundID, UserID: user, Required: questionIDs, At: at, DeliveryID: delivery,
		WorkspaceID: "T1", Channel: "D1",
		Jobs: []storage.NewJob{{Key: "progress:" + delivery, Kind: "progress", RoundID: roundID, Payload: map[string]string{}, RunAt: at,
			Live: "announce:test"}},
		Live: "card:" + user, LiveToken: "token-" + delivery}
	for _, h := range homes {
		req.Homes = append(req.Homes, storage.HomeJob{UserID: h, Job: storage.NewJob{Key: "home:" + h + ":" + delivery, Kind: "home",
			Payload: map[string]string{"user_id": h}, RunAt: at, Live: "home:" + h}})
	}
	return s.SubmitAlone(context.Background(), req)
}

func TestSubmitAlone(t *testing.T) {
	s := newStorage(t)
	ctx := context.Background()
	r := startRound(t, s, "C1", trio)
	if err := s.RememberHomeOpened(ctx, "T1", "UFAC", t0); err != nil {
		t.Fatal(err)
	}
	before := countJobs(t, s)
	for _, id := range questionIDs[:8] {
		if _, err := record(s, r.ID, scoring.Marketing, "UMKT", id, 1, t0); err != nil {
			t.Fatal(err)
		}
	}
	res, err := alone(s, r.ID, "UMKT", "E1", t0, "UMKT", "UFAC")
	if !errors.Is(err, storage.ErrIncomplete) {
		t.Fatalf("incomplete submit: got %v, want ErrIncomplete", err)
	}
	if diff := cmp.Diff([]string{"Q9", "Q10"}, []string(res.Unanswered)); diff != "" {
		t.Errorf("unanswered (-want +got):\n%s", diff)
	}
	answerAll(t, s, r.ID, "UMKT", 2)
	if _, err := alone(s, r.ID, "UNOBODY", "E2", t0); !errors.Is(err, storage.ErrNotRespondent) {
		t.Errorf("stranger submit: got %v, want ErrNotRespondent", err)
	}
	if _, err := s.SubmitAlone(ctx, storage.SubmitRequest{RoundID: r.ID, UserID: "UMKT", Required: questionIDs, At: t0, WorkspaceID: "T9"}); !errors.Is(err, storage.ErrTampered) {
		t.Errorf("submit from another workspace: got %v, want ErrTampered", err)
	}
	if _, err := alone(s, 999, "UMKT", "E3", t0); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("submit in no round: got %v, want ErrNotFound", err)
	}
	if n := countJobs(t, s) - before; n != 0 {
		t.Fatalf("%d jobs after refused submits", n)
	}

	res, err = alone(s, r.ID, "UMKT", "E4", t0, "UMKT", "UFAC")
	if err != nil || res.AlreadySubmitted || res.Complete {
		t.Fatalf("first submit: %+v %v", res, err)
	}
	q := res.Questionnaire
	if q.Respondent.Role != scoring.Marketing || !q.Respondent.Submitted() || len(q.Answers) != len(questionIDs) || q.Round.ID != r.ID {
		t.Errorf("questionnaire after the submit: %+v", q)
	}
	if !q.LiveLeased || !q.LiveCurrent || q.Live.Key != "card:UMKT" || q.Live.Revision != 1 {
		t.Errorf("the card's turn: leased %v current %v %+v", q.LiveLeased, q.LiveCurrent, q.Live)
	}
	// The job, and the App Home job of the one who opened theirs.
	if n := countJobs(t, s) - before; n != 2 {
		t.Errorf("%d jobs after the submit, want 2", n)
	}
	for key, want := range map[string]bool{"progress:E4": true, "home:UFAC:E4": true, "home:UMKT:E4": false} {
		if _, err := s.Job(ctx, key); (err == nil) != want {
			t.Errorf("job %s: %v, want it there: %v", key, err, want)
		}
	}
	for key, want := range map[string]int64{"announce:test": 1, "home:UFAC": 1} {
		if l, err := s.Live(ctx, key); err != nil || l.Revision != want {
			t.Errorf("live %s: %+v %v, want revision %d", key, l, err, want)
		}
	}
	if r, err := s.Respondent(ctx, r.ID, scoring.Marketing); err != nil || !r.Submitted() {
		t.Errorf("marketing after the submit: %+v %v", r, err)
	}

	if _, err := alone(s, r.ID, "UMKT", "E4", t0); !errors.Is(err, storage.ErrDuplicate) {
		t.Errorf("the same delivery again: got %v, want ErrDuplicate", err)
	}
	res, err = alone(s, r.ID, "UMKT", "E5", t0)
	if err != nil || !res.AlreadySubmitted || res.Questionnaire.Live.Revision != 2 {
		t.Fatalf("repeated submit: %+v %v", res, err)
	}
	if n := countJobs(t, s) - before; n != 2 {
		t.Errorf("%d jobs after a repeated submit, want 2", n)
	}

	// Sales is not the last either; the observer would be, and that needs
	// a transaction.
	answerAll(t, s, r.ID, "USAL", 1)
	if _, err := alone(s, r.ID, "USAL", "E6", t0); err != nil {
		t.Fatal(err)
	}
	answerAll(t, s, r.ID, "UOBS", 1)
	if _, err := alone(s, r.ID, "UOBS", "E7", t0); !errors.Is(err, storage.ErrSubmitNeedsTransaction) {
		t.Fatalf("last submit: got %v, want ErrSubmitNeedsTransaction", err)
	}
	if r, err := s.Respondent(ctx, r.ID, scoring.Observer); err != nil || r.Submitted() {
		t.Errorf("the observer after a submit that needed a transaction: %+v %v", r, err)
	}
	if dup, err := s.RememberDelivery(ctx, "E7", t0); err != nil || dup {
		t.Errorf("the delivery of a submit that needed a transaction was remembered: %v %v", dup, err)
	}
}

// Past the deadline the leads suffice: any submit may end the round.
func TestSubmitAlonePastTheDeadline(t *testing.T) {
	s := newStorage(t)
	r := startRound(t, s, "C1", trio)
	answerAll(t, s, r.ID, "UMKT", 1)
	if _, err := alone(s, r.ID, "UMKT", "E1", r.DeadlineAt); !errors.Is(err, storage.ErrSubmitNeedsTransaction) {
		t.Fatalf("submit past the deadline: got %v, want ErrSubmitNeedsTransaction", err)
	}
}

// TestRaceToTheRevealAlone: submits in one statement and submits in a
// transaction, several per person as double clicks on several replicas,
// race to the round's end. Exactly one sees the round complete.
func TestRaceToTheRevealAlone(t *testing.T) {
	for range 5 {
		s := newStorage(t)
		ctx := context.Background()
		r := startRound(t, s, "C1", trio)
		users := []string{"UMKT", "USAL", "UOBS"}
		for _, u := range users {
			answerAll(t, s, r.ID, u, 1)
		}
		var completes, wins atomic.Int32
		var wg sync.WaitGroup
		start := make(chan struct{})
		errs := make(chan error, 30)
		inTx := func(user string) error {
			return s.Transact(ctx, func(tx *storage.Storage) error {
				res, err := tx.Submit(ctx, r.ID, user, questionIDs, t0)
				if err != nil || !res.Complete || res.AlreadySubmitted {
					return err
				}
				completes.Add(1)
				won, err := tx.ClaimReveal(ctx, r.ID, scoring.Leads, false, t0)
				if won {
					wins.Add(1)
				}
				return err
			})
		}
		for i := range 30 {
			wg.Go(func() {
				user := users[i%3]
				<-start
				var err error
				if i%2 == 0 {
					_, err = alone(s, r.ID, user, "", t0)
					if errors.Is(err, storage.ErrSubmitNeedsTransaction) {
						err = inTx(user)
					}
				} else {
					err = inTx(user)
				}
				if err != nil && !errors.Is(err, storage.ErrNotCollecting) {
					errs <- err
				}
			})
		}
		close(start)
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		if c, w := completes.Load(), wins.Load(); c != 1 || w != 1 {
			t.Fatalf("%d submits saw the round complete and %d claimed the reveal, want 1 and 1", c, w)
		}
		for _, role := range roles {
			if p, err := s.Respondent(ctx, r.ID, role); err != nil || !p.Submitted() {
				t.Errorf("%s after the race: %+v %v", role, p, err)
			}
		}
	}
}

func countJobs(t *testing.T, s *storage.Storage) int {
	t.Helper()
	var n int
	if err := s.DB().Get(&n, `SELECT count(*) FROM jobs`); err != nil {
		t.Fatal(err)
	}
	return n
}

// A submit in one statement that waits for the round while another
// respondent's submit commits sees that submit: the statement began
// before it, and it still finds itself the last.
func TestSubmitAloneSeesASubmitCommittedWhileItWaited(t *testing.T) {
	s := newStorage(t)
	ctx := context.Background()
	r := startRound(t, s, "C1", map[scoring.Role]string{scoring.Marketing: "UMKT", scoring.Sales: "USAL"})
	answerAll(t, s, r.ID, "UMKT", 1)
	answerAll(t, s, r.ID, "USAL", 1)
	submitted, release := make(chan struct{}), make(chan struct{})
	txDone := make(chan error, 1)
	go func() {
		txDone <- s.Transact(ctx, func(tx *storage.Storage) error {
			res, err := tx.Submit(ctx, r.ID, "USAL", questionIDs, t0)
			if err == nil && res.Complete {
				err = errors.New("sales saw the round complete with marketing still to submit")
			}
			close(submitted)
			<-release
			return err
		})
	}()
	<-submitted
	aloneDone := make(chan error, 1)
	go func() {
		_, err := alone(s, r.ID, "UMKT", "E1", t0)
		aloneDone <- err
	}()
	waitForLock(t, s, "%FOR UPDATE OF r%", nil, "the submit never waited for the round")
	close(release)
	if err := <-txDone; err != nil {
		t.Fatal(err)
	}
	if err := <-aloneDone; !errors.Is(err, storage.ErrSubmitNeedsTransaction) {
		t.Fatalf("the last submit, in one statement: got %v, want ErrSubmitNeedsTransaction", err)
	}
	if res, err := submit(s, r.ID, "UMKT", t0); err != nil || !res.Complete {
		t.Errorf("the last submit, in a transaction: %+v %v", res, err)
	}
}

// A submit in one statement and a click of the same respondent written at
// once, on two replicas, never deadlock: the click share-locks the
// respondent's row and then bumps the questionnaire's live message; the
// submit locks the row for its update before it touches the message.
func TestSubmitAloneAndAClickOfTheSameRespondentDoNotDeadlock(t *testing.T) {
	s := newStorage(t)
	ctx := context.Background()
	r := startRound(t, s, "C1", trio)
	answerAll(t, s, r.ID, "UMKT", 1)
	tx, err := s.DB().BeginTxx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	// What a click's statement does first: share-lock its respondent.
	if _, err := tx.ExecContext(ctx, `SELECT 1 FROM respondents p WHERE round_id = $1 AND user_id = 'UMKT' FOR SHARE OF p`, r.ID); err != nil {
		t.Fatal(err)
	}
	aloneDone := make(chan error, 1)
	go func() {
		_, err := alone(s, r.ID, "UMKT", "E1", t0)
		aloneDone <- err
	}()
	waitForLock(t, s, "%locked AS%", aloneDone, "the submit never waited for the click")
	// What it does next: bump the questionnaire's live message.
	if _, err := tx.ExecContext(ctx, `INSERT INTO live_messages AS m (key) VALUES ('card:UMKT')
		ON CONFLICT (key) DO UPDATE SET revision = m.revision + 1`); err != nil {
		t.Fatalf("the click's bump of the questionnaire: %v", err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := <-aloneDone; err != nil {
		t.Fatalf("the submit: %v", err)
	}
}

// waitForLock polls, for at most 10 seconds, until a statement of the
// test's database matching like waits for a lock; it fails the test with
// never, or at once when done (if not nil) says the statement ended first.
func waitForLock(t *testing.T, s *storage.Storage, like string, done <-chan error, never string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var waiting int
		if err := s.DB().Get(&waiting, `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE $1`, like); err != nil {
			t.Fatal(err)
		}
		if waiting > 0 {
			return
		}
		select {
		case err := <-done:
			t.Fatalf("%s: it ended first (%v)", never, err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal(never)
		}
		runtime.Gosched()
	}
}
