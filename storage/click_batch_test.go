package storage

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/lib/pq"

	"github.com/alignbot/alignbot/internal/testclock"
	"github.com/alignbot/alignbot/internal/testdb"
	"github.com/alignbot/alignbot/scoring"
)

func queued(ctx context.Context, round int64, user string, predicting bool) *pendingClick {
	return &pendingClick{ctx: ctx, req: clickRequest{click: Click{RoundID: round, UserID: user}, predicting: predicting},
		result: make(chan clickResult, 1)}
}

func users(group []*pendingClick) []string {
	var out []string
	for _, p := range group {
		out = append(out, fmt.Sprintf("%d/%s", p.req.click.RoundID, p.req.click.UserID))
	}
	return out
}

func TestTakeGroupsOneClickPerPersonAndKind(t *testing.T) {
	ctx := context.Background()
	gone, cancel := context.WithCancel(ctx)
	cancel()
	b := newClickBatcher()
	b.writers = 1 // the caller of take holds a writer's place
	b.inFlight[clickKey{9, "UE"}] = true
	first, second := queued(ctx, 1, "UA", false), queued(ctx, 1, "UA", false)
	cancelled := queued(gone, 3, "UD", false)
	b.queue = []*pendingClick{
		first,
		queued(ctx, 1, "UB", false),
		second,                      // UA again: waits for the first
		queued(ctx, 2, "UA", false), // UA in another round: a person of its own
		queued(ctx, 2, "UC", true),  // a guess: another statement
		cancelled,                   // its caller gave up
		queued(ctx, 9, "UE", false), // UE's earlier click is being written
	}

	got := b.take()
	if want := "[1/UA 1/UB 2/UA]"; fmt.Sprint(users(got)) != want {
		t.Errorf("first group = %v, want %s", users(got), want)
	}
	if r := <-cancelled.result; !errors.Is(r.err, context.Canceled) {
		t.Errorf("a click whose caller gave up was answered %v, want context.Canceled", r.err)
	}
	if want := "[1/UA 2/UC 9/UE]"; fmt.Sprint(users(b.queue)) != want {
		t.Errorf("left queued = %v, want %s", users(b.queue), want)
	}
	guesses := b.take()
	if fmt.Sprint(users(guesses)) != "[2/UC]" {
		t.Errorf("while UA's first click is written, the next group = %v, want [2/UC]", users(guesses))
	}
	b.release(guesses)

	b.release(b.take()) // nothing eligible: UA and UE are still in flight
	if b.writers != 0 {
		t.Errorf("a writer that finds nothing to write keeps its place: writers = %d", b.writers)
	}
	b.writers = 1
	b.release([]*pendingClick{first, queued(ctx, 9, "UE", false)})
	if got := b.take(); fmt.Sprint(users(got)) != "[1/UA 9/UE]" {
		t.Errorf("after the first clicks are written, the next group = %v, want [1/UA 9/UE]", users(got))
	}
	if got := b.take(); got != nil || b.writers != 0 || len(b.queue) != 0 {
		t.Errorf("an empty queue gives %v, writers %d, queue %d", users(got), b.writers, len(b.queue))
	}
}

func TestTakeCapsAGroup(t *testing.T) {
	b := newClickBatcher()
	b.writers = 1
	for i := range maxClickBatch + 6 {
		b.queue = append(b.queue, queued(context.Background(), int64(i), "U", false))
	}
	if got := b.take(); len(got) != maxClickBatch || len(b.queue) != 6 {
		t.Errorf("took %d and left %d, want %d and 6", len(got), len(b.queue), maxClickBatch)
	}
}

// TestClicksArriveTogetherAndAreWrittenTogether holds every click writer on
// a row lock, queues more clicks behind them, some of which must be
// refused, then lets go: the queued clicks go in a few statements, and
// each gets its own answer.
func TestClicksArriveTogetherAndAreWrittenTogether(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, testdb.New(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.Migrate(ctx, nil); err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	const rounds = 12
	ids := make([]int64, rounds)
	for i := range ids {
		err := s.Transact(ctx, func(tx *Storage) error {
			r, err := tx.StartRound(ctx, NewRound{WorkspaceID: "T1", ChannelID: fmt.Sprint("C", i), Instrument: scoring.AlignmentMaturity.ID,
				FacilitatorID: "UFAC", Roles: scoring.Leads, DeadlineAt: t0.Add(time.Hour), CreatedAt: t0,
				Respondents: map[scoring.Role]string{scoring.Marketing: fmt.Sprint("UM", i), scoring.Sales: fmt.Sprint("US", i)}})
			ids[i] = r.ID
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Transact(ctx, func(tx *Storage) error {
		_, _, err := tx.Decline(ctx, ids[11], "US11", t0)
		return err
	}); err != nil {
		t.Fatal(err)
	}

	type clickCase struct {
		round     int
		user      string
		role      scoring.Role
		workspace string
		delivery  string
		want      error // nil: recorded
	}
	click := func(c clickCase, q string) (Questionnaire, error) {
		return s.RecordClick(ctx, Click{RoundID: ids[c.round], Role: c.role, UserID: c.user, Question: q, Score: 2, At: t0},
			false, ClickOptions{DeliveryID: c.delivery, WorkspaceID: c.workspace, Channel: "D1",
				OnStart: []NewJob{{Key: fmt.Sprint("progress:", ids[c.round]), Kind: "progress", RunAt: t0}}})
	}

	// The marketing leads of rounds 0–3 are locked, as by a submit in
	// progress: their clicks hold every writer.
	hold, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := hold.ExecContext(ctx, `SELECT 1 FROM respondents WHERE round_id = ANY($1) AND role = 'marketing' FOR UPDATE`,
		pq.Array(ids[:maxClickWriters])); err != nil {
		t.Fatal(err)
	}
	waiting := func() int {
		var n int
		if err := s.db.GetContext(ctx, &n, `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event_type = 'Lock'`); err != nil {
			t.Fatal(err)
		}
		return n
	}
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for i := range maxClickWriters {
		// One at a time, so that each is a group of its own.
		wg.Go(func() {
			c := clickCase{round: i, user: fmt.Sprint("UM", i), role: scoring.Marketing, workspace: "T1", delivery: fmt.Sprint("E-held-", i)}
			if _, err := click(c, "Q1"); err != nil {
				errs <- fmt.Errorf("held click %d: %w", i, err)
			}
		})
		testclock.Eventually(t, "the writer waiting on the lock", func() bool { return waiting() == i+1 })
	}

	cases := []clickCase{
		{round: 11, user: "US11", role: scoring.Sales, workspace: "T1", delivery: "E-declined", want: ErrDeclined},
		{round: 10, user: "UX", role: scoring.Sales, workspace: "T1", delivery: "E-outsider", want: ErrNotRespondent},
		{round: 10, user: "UM10", role: scoring.Marketing, workspace: "T2", delivery: "E-forged", want: ErrTampered},
		{round: 9, user: "US9", role: scoring.Sales, workspace: "T1", delivery: "E-twice"},
		{round: 9, user: "US9", role: scoring.Sales, workspace: "T1", delivery: "E-twice", want: ErrDuplicate},
	}
	for i := 4; i < 9; i++ {
		cases = append(cases,
			clickCase{round: i, user: fmt.Sprint("UM", i), role: scoring.Marketing, workspace: "T1", delivery: fmt.Sprint("E-m", i)},
			clickCase{round: i, user: fmt.Sprint("US", i), role: scoring.Sales, workspace: "T1", delivery: fmt.Sprint("E-s", i)})
	}
	before := s.Transactions()
	results := make([]error, len(cases))
	questionnaires := make([]Questionnaire, len(cases))
	for i, c := range cases {
		// One at a time into the queue, so that the two deliveries of
		// E-twice keep their order.
		wg.Go(func() { questionnaires[i], results[i] = click(c, "Q2") })
		testclock.Eventually(t, "the click queued", func() bool {
			s.batcher.mu.Lock()
			defer s.batcher.mu.Unlock()
			return len(s.batcher.queue) == i+1
		})
	}
	if err := hold.Rollback(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}

	// Four held groups, then the queued clicks together: the writer
	// that finishes first takes them all.
	if n := s.Transactions() - before; n > 2*maxClickWriters {
		t.Errorf("%d clicks took %d statements, want at most %d", len(cases)+maxClickWriters, n, 2*maxClickWriters)
	}
	for i, c := range cases {
		switch {
		case c.want == nil && results[i] != nil:
			t.Errorf("click %d (%s in round %d): %v, want it recorded", i, c.user, c.round, results[i])
		case c.want == nil && questionnaires[i].Answers["Q2"] != 2:
			t.Errorf("click %d (%s in round %d) shows answers %v, want Q2: 2", i, c.user, c.round, questionnaires[i].Answers)
		case c.want == nil && !questionnaires[i].Started:
			t.Errorf("click %d (%s in round %d) was their first answer, but not Started", i, c.user, c.round)
		case c.want != nil && !errors.Is(results[i], c.want):
			t.Errorf("click %d (%s in round %d): %v, want %v", i, c.user, c.round, results[i], c.want)
		}
	}
	var stored []string
	if err := s.db.SelectContext(ctx, &stored, `SELECT p.user_id || ':' || a.question_id FROM answers a
		JOIN respondents p ON p.round_id = a.round_id AND p.role = a.role ORDER BY 1`); err != nil {
		t.Fatal(err)
	}
	want := []string{"UM0:Q1", "UM1:Q1", "UM2:Q1", "UM3:Q1"}
	for i := 4; i < 9; i++ {
		want = append(want, fmt.Sprintf("UM%d:Q2", i), fmt.Sprintf("US%d:Q2", i))
	}
	want = append(want, "US9:Q2")
	slices.Sort(want)
	if !slices.Equal(stored, want) {
		t.Errorf("stored answers %v, want %v", stored, want)
	}
	var progress int
	if err := s.db.GetContext(ctx, &progress, `SELECT count(*) FROM jobs WHERE kind = 'progress'`); err != nil {
		t.Fatal(err)
	}
	if progress != 10 { // rounds 0–9: one each, however many first answers
		t.Errorf("%d progress jobs, want 10", progress)
	}
}
