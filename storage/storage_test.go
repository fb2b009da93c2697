package storage_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/alignbot/alignbot/internal/testdb"
	"github.com/alignbot/alignbot/scoring"
	"github.com/alignbot/alignbot/storage"
)

func TestMain(m *testing.M) { testdb.Main(m) }

var t0 = time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)

// newStorage returns storage on a fresh, migrated database of the test's own.
func newStorage(t *testing.T) *storage.Storage {
	t.Helper()
	ctx := context.Background()
	s, err := storage.Open(ctx, testdb.New(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.Migrate(ctx, nil); err != nil {
		t.Fatal(err)
	}
	return s
}

var questionIDs = func() []string {
	var ids []string
	for _, q := range scoring.AlignmentMaturity.Questions {
		ids = append(ids, q.ID)
	}
	return ids
}()

var roles = []scoring.Role{scoring.Marketing, scoring.Sales, scoring.Observer}

// start starts a round in one transaction, as the bot's flows do.
func start(s *storage.Storage, nr storage.NewRound) (storage.Round, error) {
	if nr.Roles == nil {
		nr.Roles = roles
	}
	var r storage.Round
	err := s.Transact(context.Background(), func(tx *storage.Storage) error {
		var err error
		r, err = tx.StartRound(context.Background(), nr)
		return err
	})
	return r, err
}

func startRound(t *testing.T, s *storage.Storage, channel string, people map[scoring.Role]string) storage.Round {
	t.Helper()
	r, err := start(s, storage.NewRound{
		WorkspaceID:   "T1",
		ChannelID:     channel,
		Instrument:    scoring.AlignmentMaturity.ID,
		FacilitatorID: "UFAC",
		Respondents:   people,
		DeadlineAt:    t0.Add(7 * 24 * time.Hour),
		CreatedAt:     t0,
	})
	if err != nil {
		t.Fatalf("StartRound: %v", err)
	}
	return r
}

// record answers in one transaction, as a click does.
func record(s *storage.Storage, roundID int64, role scoring.Role, user, question string, score int, at time.Time) (storage.Questionnaire, error) {
	var q storage.Questionnaire
	err := s.Transact(context.Background(), func(tx *storage.Storage) error {
		var err error
		q, err = tx.RecordAnswer(context.Background(), storage.Click{RoundID: roundID, Role: role, UserID: user, Question: question, Score: score, At: at})
		return err
	})
	return q, err
}

func submit(s *storage.Storage, roundID int64, user string, at time.Time) (storage.SubmitResult, error) {
	var res storage.SubmitResult
	err := s.Transact(context.Background(), func(tx *storage.Storage) error {
		var err error
		res, err = tx.Submit(context.Background(), roundID, user, questionIDs, at)
		return err
	})
	return res, err
}

func cancelRound(s *storage.Storage, roundID int64) (bool, error) {
	var ok bool
	err := s.Transact(context.Background(), func(tx *storage.Storage) error {
		var err error
		ok, err = tx.CancelRound(context.Background(), roundID, "UFAC", t0)
		return err
	})
	return ok, err
}

var trio = map[scoring.Role]string{scoring.Marketing: "UMKT", scoring.Sales: "USAL", scoring.Observer: "UOBS"}

var roleOf = map[string]scoring.Role{"UMKT": scoring.Marketing, "USAL": scoring.Sales, "UOBS": scoring.Observer}

func answerAll(t *testing.T, s *storage.Storage, roundID int64, user string, score int) {
	t.Helper()
	for _, id := range questionIDs {
		if _, err := record(s, roundID, roleOf[user], user, id, score, t0); err != nil {
			t.Fatalf("RecordAnswer %s %s: %v", user, id, err)
		}
	}
}

func TestMigrateIsIdempotentAndSafeForConcurrentReplicas(t *testing.T) {
	ctx := context.Background()
	url := testdb.New(t)
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := storage.Open(ctx, url)
			if err != nil {
				errs <- err
				return
			}
			defer s.Close()
			errs <- s.Migrate(ctx, nil)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("Migrate: %v", err)
		}
	}
	s, err := storage.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Migrate(ctx, nil); err != nil {
		t.Fatalf("second Migrate: %v", err)
	}
	v, err := s.SchemaVersion(ctx)
	if err != nil || v < 1 {
		t.Fatalf("SchemaVersion: got %d, %v; want ≥ 1", v, err)
	}
	var applied int
	if err := s.DB().GetContext(ctx, &applied, `SELECT count(*) FROM schema_migrations`); err != nil {
		t.Fatal(err)
	}
	if applied != v {
		t.Errorf("schema_migrations has %d rows for version %d", applied, v)
	}
}

func TestOpenNeverShowsThePassword(t *testing.T) {
	for _, dsn := range []string{
		"postgres://alignbot:s3cr3t-pw@127.0.0.1:1/x?sslmode=disable",
		"postgres://alignbot:s3cr3t-pw@127.0.0.1:notaport/x",
		"host=127.0.0.1 port=1 user=alignbot password=s3cr3t-pw sslmode=disable",
	} {
		_, err := storage.Open(context.Background(), dsn)
		if err == nil {
			t.Fatalf("Open(%q): got nil error", dsn)
		}
		if strings.Contains(err.Error(), "s3cr3t-pw") {
			t.Errorf("Open error shows the password: %v", err)
		}
	}
}

func TestStartRoundConstraints(t *testing.T) {
	s := newStorage(t)
	ctx := context.Background()
	first := startRound(t, s, "C1", trio)
	if first.State != storage.Collecting || first.PreviousRoundID != nil {
		t.Fatalf("first round: %+v", first)
	}

	_, err := start(s, storage.NewRound{WorkspaceID: "T1", ChannelID: "C1", Instrument: "x",
		FacilitatorID: "U", DeadlineAt: t0, CreatedAt: t0,
		Respondents: map[scoring.Role]string{scoring.Marketing: "UA", scoring.Sales: "UB"}})
	if !errors.Is(err, storage.ErrRoundCollecting) {
		t.Errorf("second collecting round: got %v, want ErrRoundCollecting", err)
	}

	_, err = start(s, storage.NewRound{WorkspaceID: "T1", ChannelID: "C2", Instrument: "x",
		FacilitatorID: "U", DeadlineAt: t0, CreatedAt: t0,
		Respondents: map[scoring.Role]string{scoring.Marketing: "UA", scoring.Sales: "UA"}})
	if !errors.Is(err, storage.ErrSamePerson) {
		t.Errorf("same person twice: got %v, want ErrSamePerson", err)
	}
	if _, err := s.CollectingRound(ctx, "T1", "C2"); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("refused round left a row behind: %v", err)
	}

	// The same channel in another workspace is another team.
	if _, err := start(s, storage.NewRound{WorkspaceID: "T2", ChannelID: "C1", Instrument: "x",
		FacilitatorID: "U", DeadlineAt: t0, CreatedAt: t0,
		Respondents: map[scoring.Role]string{scoring.Marketing: "UA", scoring.Sales: "UB"}}); err != nil {
		t.Errorf("other workspace: %v", err)
	}

	// Once revealed, the team can start again, and the new round knows its
	// predecessor.
	answerAll(t, s, first.ID, "UMKT", 1)
	answerAll(t, s, first.ID, "USAL", 1)
	answerAll(t, s, first.ID, "UOBS", 1)
	for _, u := range []string{"UMKT", "USAL", "UOBS"} {
		if _, err := submit(s, first.ID, u, t0); err != nil {
			t.Fatal(err)
		}
	}
	if won, err := s.ClaimReveal(ctx, first.ID, scoring.Leads, false, t0); err != nil || !won {
		t.Fatalf("ClaimReveal: %v %v", won, err)
	}
	second := startRound(t, s, "C1", trio)
	if second.PreviousRoundID == nil || *second.PreviousRoundID != first.ID {
		t.Errorf("previous round: got %v, want %d", second.PreviousRoundID, first.ID)
	}
}

func TestDatabaseEnforcesTheRules(t *testing.T) {
	s := newStorage(t)
	ctx := context.Background()
	r := startRound(t, s, "C1", trio)
	for _, tt := range []struct {
		name, sql string
	}{
		{"score above 2", `INSERT INTO answers (round_id, role, question_id, score, answered_at) VALUES ($1, 'sales', 'Q1', 3, now())`},
		{"negative score", `INSERT INTO answers (round_id, role, question_id, score, answered_at) VALUES ($1, 'sales', 'Q1', -1, now())`},
		{"two answers to one question", `INSERT INTO answers (round_id, role, question_id, score, answered_at) VALUES ($1, 'sales', 'Q2', 1, now()), ($1, 'sales', 'Q2', 2, now())`},
		{"answer from a role nobody holds", `INSERT INTO answers (round_id, role, question_id, score, answered_at) SELECT $1, 'observer', 'Q1', 1, now() FROM rounds WHERE false UNION ALL SELECT $1 + 1000, 'sales', 'Q1', 1, now()`},
		{"two people in one role", `INSERT INTO respondents (round_id, role, user_id) VALUES ($1, 'sales', 'UNEW')`},
		{"one person in two roles", `UPDATE respondents SET user_id = 'UMKT' WHERE round_id = $1 AND role = 'sales'`},
		{"unknown role", `INSERT INTO respondents (round_id, role, user_id) VALUES ($1, 'cfo', 'UCFO')`},
		{"unknown state", `UPDATE rounds SET state = 'paused' WHERE id = $1`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := s.DB().ExecContext(ctx, tt.sql, r.ID); err == nil {
				t.Error("the database accepted it")
			}
		})
	}
}

func TestRecordAnswer(t *testing.T) {
	s := newStorage(t)
	ctx := context.Background()
	r := startRound(t, s, "C1", trio)

	got, err := record(s, r.ID, scoring.Marketing, "UMKT", "Q1", 2, t0)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(scoring.Answers{"Q1": 2}, got.Answers); diff != "" || !got.Started || got.Round.ID != r.ID {
		t.Errorf("first answer: started=%v (-want +got):\n%s", got.Started, diff)
	}
	if got, err = record(s, r.ID, scoring.Marketing, "UMKT", "Q4", 0, t0.Add(time.Second)); err != nil || got.Started {
		t.Fatalf("second answer: started=%v %v", got.Started, err)
	}
	// Changing an answer and repeating a click both leave one answer per question.
	for range 2 {
		if got, err = record(s, r.ID, scoring.Marketing, "UMKT", "Q1", 1, t0.Add(2*time.Second)); err != nil {
			t.Fatal(err)
		}
	}
	if diff := cmp.Diff(scoring.Answers{"Q1": 1, "Q4": 0}, got.Answers); diff != "" {
		t.Errorf("after change (-want +got):\n%s", diff)
	}
	// A click made earlier but handled later (by another replica) does not
	// overwrite the later one.
	if got, err = record(s, r.ID, scoring.Marketing, "UMKT", "Q1", 2, t0.Add(time.Second)); err != nil || got.Answers["Q1"] != 1 {
		t.Errorf("late, older click: Q1 = %d, %v; want the newer 1", got.Answers["Q1"], err)
	}
	// Another respondent's answers are theirs alone.
	other, err := record(s, r.ID, scoring.Sales, "USAL", "Q1", 0, t0)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(scoring.Answers{"Q1": 0}, other.Answers); diff != "" {
		t.Errorf("sales answers (-want +got):\n%s", diff)
	}
	resp, err := s.Respondent(ctx, r.ID, scoring.Marketing)
	if err != nil || resp.Answered != 2 {
		t.Errorf("Answered: got %d, %v; want 2", resp.Answered, err)
	}

	var re *storage.RoundError
	if _, err := record(s, r.ID, scoring.Observer, "USTRANGER", "Q1", 1, t0); !errors.Is(err, storage.ErrNotRespondent) || !errors.As(err, &re) || re.Round.ChannelID != "C1" {
		t.Errorf("stranger: got %v, want a RoundError with ErrNotRespondent and the round", err)
	}
	if _, err := record(s, r.ID, scoring.Marketing, "USAL", "Q1", 1, t0); !errors.Is(err, storage.ErrNotRespondent) {
		t.Errorf("another respondent's role: got %v, want ErrNotRespondent", err)
	}
	if _, err := record(s, r.ID, scoring.Marketing, "UMKT", "Q2", 3, t0); err == nil {
		t.Error("score 3: got nil error")
	}
	if err := s.Transact(ctx, func(tx *storage.Storage) error {
		_, err := tx.RecordPrediction(ctx, storage.Click{RoundID: r.ID, Role: scoring.Marketing, UserID: "UMKT", Question: "Q3", Score: 0, At: t0})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if p, err := s.Predictions(ctx, r.ID, scoring.Marketing); err != nil || p["Q3"] != 0 || len(p) != 1 {
		t.Errorf("predictions: %v %v", p, err)
	}
	if err := s.Transact(ctx, func(tx *storage.Storage) error {
		_, err := tx.RecordPrediction(ctx, storage.Click{RoundID: r.ID, Role: scoring.Observer, UserID: "UOBS", Question: "Q3", Score: 0, At: t0})
		return err
	}); !errors.Is(err, storage.ErrNotRespondent) {
		t.Errorf("the observer predicted: %v", err)
	}

	answerAll(t, s, r.ID, "UMKT", 2)
	if _, err := submit(s, r.ID, "UMKT", t0); err != nil {
		t.Fatal(err)
	}
	if _, err := record(s, r.ID, scoring.Marketing, "UMKT", "Q1", 0, t0.Add(time.Hour)); !errors.Is(err, storage.ErrSubmitted) {
		t.Errorf("after submit: got %v, want ErrSubmitted", err)
	}
	locked, err := s.Answers(ctx, r.ID, scoring.Marketing)
	if err != nil || locked["Q1"] != 1 || locked["Q2"] != 2 {
		t.Errorf("submitted answers changed: %v %v", locked, err)
	}

	if ok, err := cancelRound(s, r.ID); err != nil || !ok {
		t.Fatalf("CancelRound: %v %v", ok, err)
	}
	if _, err := record(s, r.ID, scoring.Sales, "USAL", "Q2", 1, t0); !errors.Is(err, storage.ErrNotCollecting) || !errors.As(err, &re) || re.Round.State != storage.Cancelled {
		t.Errorf("cancelled round: got %v, want ErrNotCollecting with the cancelled round", err)
	}
	if _, err := s.RecordAnswer(ctx, storage.Click{RoundID: r.ID, Role: scoring.Sales, UserID: "USAL", Question: "Q2", At: t0}); err == nil {
		t.Error("RecordAnswer outside a transaction: got nil error")
	}
}

func TestNestedTransactionsAreRefused(t *testing.T) {
	s := newStorage(t)
	ctx := context.Background()
	err := s.Transact(ctx, func(tx *storage.Storage) error {
		return tx.Transact(ctx, func(*storage.Storage) error { return nil })
	})
	if !errors.Is(err, storage.ErrNestedTransaction) {
		t.Errorf("got %v, want ErrNestedTransaction", err)
	}
}

func TestDecline(t *testing.T) {
	s := newStorage(t)
	ctx := context.Background()
	r := startRound(t, s, "C1", trio)
	decline := func(user string) (storage.Respondent, error) {
		var p storage.Respondent
		err := s.Transact(ctx, func(tx *storage.Storage) error {
			var err error
			_, p, err = tx.Decline(ctx, r.ID, user, t0)
			return err
		})
		return p, err
	}
	if p, err := decline("UOBS"); err != nil || !p.Declined() {
		t.Fatalf("decline: %+v %v", p, err)
	}
	if _, err := decline("UOBS"); err != nil {
		t.Errorf("declining twice: %v", err)
	}
	if _, err := record(s, r.ID, scoring.Observer, "UOBS", "Q1", 1, t0); !errors.Is(err, storage.ErrDeclined) {
		t.Errorf("answer after declining: got %v, want ErrDeclined", err)
	}
	answerAll(t, s, r.ID, "UMKT", 1)
	answerAll(t, s, r.ID, "USAL", 1)
	if _, err := submit(s, r.ID, "UMKT", t0); err != nil {
		t.Fatal(err)
	}
	res, err := submit(s, r.ID, "USAL", t0)
	if err != nil || !res.Complete {
		t.Fatalf("with the observer declined, the leads complete the round: %+v %v", res, err)
	}
	if won, err := s.ClaimReveal(ctx, r.ID, scoring.Leads, false, t0); err != nil || !won {
		t.Errorf("reveal without the declined observer: %v %v", won, err)
	}
	if ids, err := s.PendingRounds(ctx, "T1", "UOBS"); err != nil || len(ids) != 0 {
		t.Errorf("pending rounds of a decliner: %v %v", ids, err)
	}
}

func TestSubmit(t *testing.T) {
	s := newStorage(t)
	r := startRound(t, s, "C1", map[scoring.Role]string{scoring.Marketing: "UMKT", scoring.Sales: "USAL"})

	for _, id := range []string{"Q1", "Q2", "Q3", "Q5", "Q6", "Q7", "Q8", "Q9"} {
		if _, err := record(s, r.ID, scoring.Marketing, "UMKT", id, 1, t0); err != nil {
			t.Fatal(err)
		}
	}
	res, err := submit(s, r.ID, "UMKT", t0)
	if !errors.Is(err, storage.ErrIncomplete) {
		t.Fatalf("incomplete submit: got %v, want ErrIncomplete", err)
	}
	if diff := cmp.Diff([]string{"Q4", "Q10"}, res.Unanswered); diff != "" {
		t.Errorf("unanswered (-want +got):\n%s", diff)
	}
	if _, err := record(s, r.ID, scoring.Marketing, "UMKT", "Q4", 1, t0); err != nil {
		t.Fatalf("answers must stay open after a refused submit: %v", err)
	}
	if _, err := record(s, r.ID, scoring.Marketing, "UMKT", "Q10", 1, t0); err != nil {
		t.Fatal(err)
	}

	res, err = submit(s, r.ID, "UMKT", t0)
	if err != nil || res.Complete || res.AlreadySubmitted || res.Questionnaire.Respondent.Role != scoring.Marketing {
		t.Fatalf("first submit: %+v %v", res, err)
	}
	res, err = submit(s, r.ID, "UMKT", t0)
	if err != nil || !res.AlreadySubmitted || res.Complete {
		t.Fatalf("repeated submit: %+v %v", res, err)
	}
	if _, err := submit(s, r.ID, "UNOBODY", t0); !errors.Is(err, storage.ErrNotRespondent) {
		t.Errorf("stranger submit: got %v, want ErrNotRespondent", err)
	}
	answerAll(t, s, r.ID, "USAL", 0)
	res, err = submit(s, r.ID, "USAL", t0)
	if err != nil || !res.Complete {
		t.Fatalf("last submit: %+v %v", res, err)
	}
}

// TestRaceToTheReveal has 50 goroutines, as several replicas handling double
// clicks and redeliveries would, submit the last answers and claim the
// reveal. Exactly one may win.
func TestRaceToTheReveal(t *testing.T) {
	s := newStorage(t)
	ctx := context.Background()
	r := startRound(t, s, "C1", trio)
	for user := range map[string]bool{"UMKT": true, "USAL": true, "UOBS": true} {
		for _, id := range questionIDs[:9] {
			if _, err := record(s, r.ID, roleOf[user], user, id, 1, t0); err != nil {
				t.Fatal(err)
			}
		}
	}
	users := []string{"UMKT", "USAL", "UOBS"}
	var wins, completes atomic.Int32
	var wg sync.WaitGroup
	start := make(chan struct{})
	errs := make(chan error, 50)
	for i := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			user := users[i%3]
			<-start
			// The last answer may be refused when another goroutine
			// already submitted for this user; that is the point.
			if _, err := record(s, r.ID, roleOf[user], user, "Q10", 2, t0); err != nil && !errors.Is(err, storage.ErrSubmitted) && !errors.Is(err, storage.ErrNotCollecting) {
				errs <- err
				return
			}
			err := s.Transact(ctx, func(tx *storage.Storage) error {
				res, err := tx.Submit(ctx, r.ID, user, questionIDs, t0)
				if errors.Is(err, storage.ErrIncomplete) {
					return nil
				}
				if err != nil {
					return err
				}
				if !res.Complete || res.AlreadySubmitted {
					return nil
				}
				completes.Add(1)
				won, err := tx.ClaimReveal(ctx, r.ID, scoring.Leads, false, t0)
				if err != nil {
					return err
				}
				if won {
					wins.Add(1)
				}
				return nil
			})
			if err != nil && !errors.Is(err, storage.ErrNotCollecting) {
				errs <- err
			}
		}()
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if got := wins.Load(); got != 1 {
		t.Errorf("reveal claimed %d times, want exactly once", got)
	}
	if got := completes.Load(); got != 1 {
		t.Errorf("%d submits saw the round complete, want 1", got)
	}
	round, err := s.Round(ctx, r.ID)
	if err != nil || round.State != storage.Revealed {
		t.Errorf("round after the race: %v %v", round.State, err)
	}
	// And 50 more direct claims find nothing left to win.
	var late atomic.Int32
	var wg2 sync.WaitGroup
	for range 50 {
		wg2.Add(1)
		go func() {
			defer wg2.Done()
			if won, err := s.ClaimReveal(ctx, r.ID, scoring.Leads, false, t0); err != nil {
				t.Error(err)
			} else if won {
				late.Add(1)
			}
		}()
	}
	wg2.Wait()
	if late.Load() != 0 {
		t.Errorf("a revealed round was claimed again %d times", late.Load())
	}
}

func TestClaimRevealAtTheDeadline(t *testing.T) {
	s := newStorage(t)
	ctx := context.Background()
	r := startRound(t, s, "C1", trio)
	answerAll(t, s, r.ID, "UMKT", 1)
	if _, err := submit(s, r.ID, "UMKT", t0); err != nil {
		t.Fatal(err)
	}
	// A lead is missing: never a one-sided reveal, even at the deadline.
	if won, err := s.ClaimReveal(ctx, r.ID, scoring.Leads, true, t0); err != nil || won {
		t.Fatalf("with the sales lead missing: won=%v err=%v", won, err)
	}
	answerAll(t, s, r.ID, "USAL", 1)
	if _, err := submit(s, r.ID, "USAL", t0); err != nil {
		t.Fatal(err)
	}
	// Both leads in, observer missing: not while everyone is awaited...
	if won, err := s.ClaimReveal(ctx, r.ID, scoring.Leads, false, t0); err != nil || won {
		t.Fatalf("observer missing, everyone awaited: won=%v err=%v", won, err)
	}
	// ...nor on leads alone before the deadline, which an extend may just
	// have moved...
	if deadline, err := s.ExtendDeadline(ctx, r.ID, time.Hour, t0); err != nil || !deadline.Equal(r.DeadlineAt.Add(time.Hour)) {
		t.Fatalf("ExtendDeadline: %v %v", deadline, err)
	}
	if won, err := s.ClaimReveal(ctx, r.ID, scoring.Leads, true, r.DeadlineAt); err != nil || won {
		t.Fatalf("observer missing, at the old deadline: won=%v err=%v", won, err)
	}
	// ...but at the deadline.
	if won, err := s.ClaimReveal(ctx, r.ID, scoring.Leads, true, r.DeadlineAt.Add(time.Hour)); err != nil || !won {
		t.Fatalf("observer missing, at the deadline: won=%v err=%v", won, err)
	}
}

func TestJobsAreEnqueuedOnceByKey(t *testing.T) {
	s := newStorage(t)
	ctx := context.Background()
	n, err := s.Enqueue(ctx,
		storage.NewJob{Key: "nudge:1:sales:1", Kind: "nudge", Payload: map[string]string{"role": "sales"}, RunAt: t0},
		storage.NewJob{Key: "nudge:1:sales:1", Kind: "nudge", RunAt: t0},
	)
	if err != nil || n != 1 {
		t.Fatalf("Enqueue: got %d, %v; want 1", n, err)
	}
	jobs, err := s.ClaimJobs(ctx, "w1", t0, time.Minute, 10)
	if err != nil || len(jobs) != 1 {
		t.Fatalf("ClaimJobs: %v %v", jobs, err)
	}
	if err := s.CompleteJob(ctx, jobs[0], map[string]string{"ts": "1.2"}, t0); err != nil {
		t.Fatal(err)
	}
	// Done jobs keep their key: the same reminder is never enqueued again.
	if n, err := s.Enqueue(ctx, storage.NewJob{Key: "nudge:1:sales:1", Kind: "nudge", RunAt: t0}); err != nil || n != 0 {
		t.Errorf("re-enqueue of a done job: got %d, %v; want 0", n, err)
	}
	j, err := s.Job(ctx, "nudge:1:sales:1")
	if err != nil || j.State != storage.JobDone || string(j.Result) != `{"ts": "1.2"}` || string(j.Payload) != `{"role": "sales"}` {
		t.Errorf("job after completion: %+v %v", j, err)
	}
}

func TestJobsAreClaimedOnlyWhenDue(t *testing.T) {
	s := newStorage(t)
	ctx := context.Background()
	if _, err := s.Enqueue(ctx,
		storage.NewJob{Key: "later", Kind: "k", RunAt: t0.Add(time.Hour)},
		storage.NewJob{Key: "now", Kind: "k", RunAt: t0},
	); err != nil {
		t.Fatal(err)
	}
	jobs, err := s.ClaimJobs(ctx, "w", t0, time.Minute, 10)
	if err != nil || len(jobs) != 1 || jobs[0].Key != "now" {
		t.Fatalf("at t0: %v %v", jobs, err)
	}
	jobs, err = s.ClaimJobs(ctx, "w", t0.Add(time.Hour), time.Minute, 10)
	if err != nil || len(jobs) != 2 {
		t.Errorf("an hour later (lease expired and 'later' due): %v %v", jobs, err)
	}
}

// TestTwoWorkersNeverClaimTheSameJob drains 400 due jobs with two workers
// claiming concurrently.
func TestTwoWorkersNeverClaimTheSameJob(t *testing.T) {
	s := newStorage(t)
	ctx := context.Background()
	var jobs []storage.NewJob
	for i := range 400 {
		jobs = append(jobs, storage.NewJob{Key: fmt.Sprintf("job:%d", i), Kind: "k", RunAt: t0})
	}
	if _, err := s.Enqueue(ctx, jobs...); err != nil {
		t.Fatal(err)
	}
	claimed := make(chan storage.Job, 1000)
	var wg sync.WaitGroup
	for w := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				batch, err := s.ClaimJobs(ctx, fmt.Sprintf("w%d", w), t0, time.Hour, 7)
				if err != nil {
					t.Error(err)
					return
				}
				if len(batch) == 0 {
					return
				}
				for _, j := range batch {
					claimed <- j
					if err := s.CompleteJob(ctx, j, nil, t0); err != nil {
						t.Error(err)
					}
				}
			}
		}()
	}
	wg.Wait()
	close(claimed)
	seen := map[string]string{}
	for j := range claimed {
		if other, dup := seen[j.Key]; dup {
			t.Errorf("%s claimed by %s and %s", j.Key, other, j.LeasedBy)
		}
		seen[j.Key] = j.LeasedBy
	}
	if len(seen) != 400 {
		t.Errorf("claimed %d distinct jobs, want 400", len(seen))
	}
}

func TestAnExpiredLeaseMakesTheJobClaimableAgain(t *testing.T) {
	s := newStorage(t)
	ctx := context.Background()
	if _, err := s.Enqueue(ctx, storage.NewJob{Key: "reveal:1", Kind: "reveal", RunAt: t0}); err != nil {
		t.Fatal(err)
	}
	first, err := s.ClaimJobs(ctx, "crashed", t0, 30*time.Second, 1)
	if err != nil || len(first) != 1 {
		t.Fatal(first, err)
	}
	// Within the lease nobody else gets it.
	if again, err := s.ClaimJobs(ctx, "other", t0.Add(29*time.Second), 30*time.Second, 1); err != nil || len(again) != 0 {
		t.Fatalf("within the lease: %v %v", again, err)
	}
	// Taking over a dead runner's job is a reclaim, not a failed attempt.
	second, err := s.ClaimJobs(ctx, "other", t0.Add(31*time.Second), 30*time.Second, 1)
	if err != nil || len(second) != 1 || second[0].Attempts != 1 || second[0].Reclaims != 1 || !second[0].Reclaimed ||
		!second[0].Retried() || second[0].LeasedBy != "other" {
		t.Fatalf("after the lease: %+v %v", second, err)
	}
	// The first worker wakes up: its lease is gone and it cannot finish the job.
	if err := s.CompleteJob(ctx, first[0], nil, t0); !errors.Is(err, storage.ErrLeaseLost) {
		t.Errorf("stale completion: got %v, want ErrLeaseLost", err)
	}
	if err := s.CompleteJob(ctx, second[0], nil, t0); err != nil {
		t.Errorf("current completion: %v", err)
	}
}

func TestRetryParkDeferAndCancel(t *testing.T) {
	s := newStorage(t)
	ctx := context.Background()
	r := startRound(t, s, "C1", trio)
	if _, err := s.Enqueue(ctx,
		storage.NewJob{Key: "a", Kind: "post", RoundID: r.ID, RunAt: t0},
		storage.NewJob{Key: "b", Kind: "nudge", RoundID: r.ID, RunAt: t0},
		storage.NewJob{Key: "c", Kind: "post", RoundID: r.ID, RunAt: t0.Add(time.Hour)},
	); err != nil {
		t.Fatal(err)
	}
	jobs, err := s.ClaimJobs(ctx, "w", t0, time.Minute, 10)
	if err != nil || len(jobs) != 2 {
		t.Fatal(jobs, err)
	}
	a, b := jobs[0], jobs[1]
	if err := s.RetryJob(ctx, a, t0.Add(10*time.Second), "slack said 500", t0); err != nil {
		t.Fatal(err)
	}
	if err := s.DeferJob(ctx, b, t0.Add(8*time.Hour), t0); err != nil {
		t.Fatal(err)
	}
	ja, _ := s.Job(ctx, "a")
	jb, _ := s.Job(ctx, "b")
	if ja.Attempts != 1 || ja.LastError != "slack said 500" || !ja.RunAt.Equal(t0.Add(10*time.Second)) {
		t.Errorf("retried job: %+v", ja)
	}
	if jb.Attempts != 0 || !jb.RunAt.Equal(t0.Add(8*time.Hour)) {
		t.Errorf("deferred job: %+v", jb)
	}
	again, err := s.ClaimJobs(ctx, "w", t0.Add(10*time.Second), time.Minute, 10)
	if err != nil || len(again) != 1 {
		t.Fatal(again, err)
	}
	if err := s.ParkJob(ctx, again[0], "gave up", t0); err != nil {
		t.Fatal(err)
	}
	if ja, _ := s.Job(ctx, "a"); ja.State != storage.JobParked {
		t.Errorf("parked job: %+v", ja)
	}
	// Cancelled on the bot's clock, years ahead of the database's own (a
	// demo's clock moved forward): retention counts from the bot's clock.
	cancelAt := time.Now().AddDate(5, 0, 0).Truncate(time.Microsecond)
	n, err := s.CancelJobs(ctx, r.ID, cancelAt, "post")
	if err != nil || n != 1 {
		t.Errorf("CancelJobs(post): got %d, %v; want 1 (c)", n, err)
	}
	n, err = s.CancelJobs(ctx, r.ID, cancelAt)
	if err != nil || n != 1 {
		t.Errorf("CancelJobs(all): got %d, %v; want 1 (b)", n, err)
	}
	if pruned, err := s.PruneJobs(ctx, cancelAt); err != nil || pruned != 0 {
		t.Errorf("PruneJobs(the moment they were cancelled): got %d, %v; want 0 (retention counts from the bot's clock)", pruned, err)
	}
	counts, err := s.JobCounts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[storage.JobState]int{storage.JobParked: 1, storage.JobCancelled: 2}, counts); diff != "" {
		t.Errorf("job counts (-want +got):\n%s", diff)
	}
}

func TestRememberDelivery(t *testing.T) {
	s := newStorage(t)
	ctx := context.Background()
	dup, err := s.RememberDelivery(ctx, "Ev123", t0)
	if err != nil || dup {
		t.Fatalf("first: %v %v", dup, err)
	}
	dup, err = s.RememberDelivery(ctx, "Ev123", t0)
	if err != nil || !dup {
		t.Fatalf("second: got duplicate=%v, %v; want true", dup, err)
	}
	// Remembered only if the transaction that handled it commits.
	errBoom := errors.New("boom")
	err = s.Transact(ctx, func(tx *storage.Storage) error {
		if _, err := tx.RememberDelivery(ctx, "Ev456", t0); err != nil {
			return err
		}
		return errBoom
	})
	if !errors.Is(err, errBoom) {
		t.Fatal(err)
	}
	if dup, err := s.RememberDelivery(ctx, "Ev456", t0); err != nil || dup {
		t.Errorf("a rolled-back delivery counted as seen: %v %v", dup, err)
	}
	if n, err := s.ForgetDeliveries(ctx, t0.Add(time.Second)); err != nil || n != 2 {
		t.Errorf("ForgetDeliveries: %d %v", n, err)
	}
}

func TestActionsAndAddressedQuestions(t *testing.T) {
	s := newStorage(t)
	ctx := context.Background()
	r := startRound(t, s, "C1", map[scoring.Role]string{scoring.Marketing: "UMKT", scoring.Sales: "USAL"})
	a := storage.Action{RoundID: r.ID, QuestionID: "Q3", OwnerID: "UOWN", Description: "Kill the shadow spreadsheet",
		AssignedBy: "UFAC", AssignedAt: t0, DueAt: t0.Add(30 * 24 * time.Hour)}
	if _, err := s.AssignAction(ctx, a); !errors.Is(err, storage.ErrNotRevealed) {
		t.Errorf("assign before reveal: got %v, want ErrNotRevealed", err)
	}
	if fresh, err := s.MarkAddressed(ctx, r.ID, "Q2", "UFAC", t0); err != nil || fresh {
		t.Errorf("addressed before reveal: got %v, %v; want no mark", fresh, err)
	}
	answerAll(t, s, r.ID, "UMKT", 1)
	answerAll(t, s, r.ID, "USAL", 1)
	submit(s, r.ID, "UMKT", t0)
	submit(s, r.ID, "USAL", t0)
	if won, err := s.ClaimReveal(ctx, r.ID, scoring.Leads, false, t0); !won || err != nil {
		t.Fatal(won, err)
	}

	saved, err := s.AssignAction(ctx, a)
	if err != nil || saved.Status != storage.ActionOpen || saved.OwnerID != "UOWN" {
		t.Fatalf("assign: %+v %v", saved, err)
	}
	got, changed, err := s.SetActionStatus(ctx, r.ID, "Q3", storage.ActionBlocked, "waiting on IT", t0.Add(time.Hour))
	if err != nil || !changed || got.BlockedReason != "waiting on IT" {
		t.Fatalf("block: %+v %v %v", got, changed, err)
	}
	if _, changed, err := s.SetActionStatus(ctx, r.ID, "Q3", storage.ActionBlocked, "waiting on IT", t0.Add(2*time.Hour)); err != nil || changed {
		t.Errorf("repeated block: changed=%v %v; want unchanged", changed, err)
	}
	got, changed, err = s.SetActionStatus(ctx, r.ID, "Q3", storage.ActionDone, "", t0.Add(3*time.Hour))
	if err != nil || !changed || got.DoneAt == nil || got.BlockedReason != "" {
		t.Fatalf("done: %+v %v %v", got, changed, err)
	}
	// Done stays done: a stale "Still on it" cannot reopen it; "Done" again
	// changes nothing.
	if _, _, err := s.SetActionStatus(ctx, r.ID, "Q3", storage.ActionInProgress, "", t0.Add(4*time.Hour)); !errors.Is(err, storage.ErrActionDone) {
		t.Errorf("reopening a done action: got %v, want ErrActionDone", err)
	}
	if _, changed, err := s.SetActionStatus(ctx, r.ID, "Q3", storage.ActionDone, "", t0.Add(4*time.Hour)); err != nil || changed {
		t.Errorf("done twice: changed=%v %v", changed, err)
	}

	// Reassigning reopens.
	a.OwnerID = "UOTHER"
	saved, err = s.AssignAction(ctx, a)
	if err != nil || saved.Status != storage.ActionOpen || saved.DoneAt != nil || saved.OwnerID != "UOTHER" {
		t.Errorf("reassign: %+v %v", saved, err)
	}

	for i, want := range []bool{true, false} {
		if fresh, err := s.MarkAddressed(ctx, r.ID, "Q2", "UFAC", t0); err != nil || fresh != want {
			t.Errorf("MarkAddressed #%d: got %v, %v; want %v", i+1, fresh, err, want)
		}
	}
	if marks, err := s.Addressed(ctx, r.ID); err != nil || len(marks) != 1 || marks[0].QuestionID != "Q2" || marks[0].MarkedBy != "UFAC" {
		t.Errorf("Addressed: %+v %v", marks, err)
	}

	// A later round of the same team, at its reveal, carries the open
	// action as already being addressed; finishing the action afterwards
	// does not change that round's record.
	next := startRound(t, s, "C1", map[scoring.Role]string{scoring.Marketing: "UMKT", scoring.Sales: "USAL"})
	other := startRound(t, s, "C2", map[scoring.Role]string{scoring.Marketing: "UMKT", scoring.Sales: "USAL"})
	for _, id := range []int64{next.ID, other.ID} {
		if err := s.SnapshotAddressed(ctx, id, t0); err != nil {
			t.Fatal(err)
		}
	}
	carried, err := s.Addressed(ctx, next.ID)
	if err != nil || len(carried) != 1 || carried[0].QuestionID != "Q3" || carried[0].FromRound == nil || *carried[0].FromRound != r.ID || carried[0].MarkedBy != "" {
		t.Errorf("snapshot of the next round: %+v %v", carried, err)
	}
	if elsewhere, _ := s.Addressed(ctx, other.ID); len(elsewhere) != 0 {
		t.Errorf("another team's round inherited %+v", elsewhere)
	}
	if _, _, err := s.SetActionStatus(ctx, r.ID, "Q3", storage.ActionDone, "", t0); err != nil {
		t.Fatal(err)
	}
	if still, _ := s.Addressed(ctx, next.ID); len(still) != 1 {
		t.Errorf("finishing the action changed the snapshot: %+v", still)
	}
	// A closed round's actions no longer change.
	if ok, err := s.CloseRound(ctx, r.ID, t0); err != nil || !ok {
		t.Fatal(ok, err)
	}
	if _, err := s.AssignAction(ctx, a); !errors.Is(err, storage.ErrNotRevealed) {
		t.Errorf("assign on a closed round: %v", err)
	}
}
