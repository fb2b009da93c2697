package storage_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/alignbot/alignbot/scoring"
	"github.com/alignbot/alignbot/storage"
)

func TestSendersOfALiveMessageTakeTurns(t *testing.T) {
	t.Parallel()
	s := newStorage(t)
	ctx := context.Background()
	if err := s.TouchLive(ctx, "announce:1"); err != nil {
		t.Fatal(err)
	}
	a, ok, err := s.BeginLiveSend(ctx, "announce:1", "a")
	if err != nil || !ok || a.Revision != 1 || a.Sent != 0 || !a.Behind() {
		t.Fatalf("first turn: %+v %v %v", a, ok, err)
	}
	// While a sends, b waits its turn; a change comes.
	if _, ok, err := s.BeginLiveSend(ctx, "announce:1", "b"); err != nil || ok {
		t.Fatalf("a second sender got the turn: %v %v", ok, err)
	}
	if err := s.TouchLive(ctx, "announce:1"); err != nil {
		t.Fatal(err)
	}
	// a's send is done: the change that came meanwhile is ahead of it.
	current, held, err := s.EndLiveSend(ctx, a, true)
	if err != nil || !held || current != 2 {
		t.Fatalf("end: current %d, held %v, %v; want revision 2, held", current, held, err)
	}
	b, ok, err := s.BeginLiveSend(ctx, "announce:1", "b")
	if err != nil || !ok || b.Revision != 2 || b.Sent != 1 {
		t.Fatalf("b's turn: %+v %v %v", b, ok, err)
	}
	if current, held, err := s.EndLiveSend(ctx, b, true); err != nil || !held || current != 2 {
		t.Fatalf("b's end: %d %v %v", current, held, err)
	}
	if l, err := s.Live(ctx, "announce:1"); err != nil || l.Behind() {
		t.Errorf("after both: %+v %v; want Slack at the latest revision", l, err)
	}
}

func TestALiveMessagesTurnRunsOut(t *testing.T) {
	t.Parallel()
	s := newStorage(t)
	s.SetLiveLease(50 * time.Millisecond)
	ctx := context.Background()
	dead, ok, err := s.BeginLiveSend(ctx, "card:1:marketing", "dead")
	if err != nil || !ok {
		t.Fatal(ok, err)
	}
	deadline := time.Now().Add(5 * time.Second)
	var next storage.LiveSend
	for {
		if next, ok, err = s.BeginLiveSend(ctx, "card:1:marketing", "next"); err != nil {
			t.Fatal(err)
		}
		if ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the dead sender's turn never ran out")
		}
	}
	// The dead sender comes back: its turn is gone, and what it sent may
	// have landed after next's render, so the revision moves on.
	current, held, err := s.EndLiveSend(ctx, dead, true)
	if err != nil || held || current != next.Revision+1 {
		t.Errorf("the late sender's end: current %d, held %v, %v; want revision %d, not held", current, held, err, next.Revision+1)
	}
	if current, held, err := s.EndLiveSend(ctx, next, true); err != nil || !held || current <= next.Revision {
		t.Errorf("next's end: %d %v %v; want held, a revision ahead of what it sent", current, held, err)
	}
}

func TestAChangeTakesTheTurnWhenItIsFree(t *testing.T) {
	t.Parallel()
	s := newStorage(t)
	ctx := context.Background()
	view := json.RawMessage(`{"open":"Q3"}`)
	first, leased, err := s.ChangeLive(ctx, "card:1:sales", view, "click-1")
	if err != nil || !leased || first.Revision != 1 || string(first.View) != `{"open": "Q3"}` {
		t.Fatalf("first change: %+v %v %v", first, leased, err)
	}
	second, leased, err := s.ChangeLive(ctx, "card:1:sales", json.RawMessage(`{"open":"Q4"}`), "click-2")
	if err != nil || leased || second.Revision != 2 {
		t.Fatalf("second change: %+v %v %v; want revision 2, the turn still the first click's", second, leased, err)
	}
	if current, _, err := s.EndLiveSend(ctx, first, true); err != nil || current != 2 {
		t.Fatalf("first's end: %d %v", current, err)
	}
	// A change someone else sends takes no turn.
	if _, leased, err := s.ChangeLive(ctx, "card:1:sales", nil, ""); err != nil || leased {
		t.Errorf("a change without a token: leased %v, %v", leased, err)
	}
	if l, _ := s.Live(ctx, "card:1:sales"); l.Revision != 3 || string(l.View) != `{}` {
		t.Errorf("after three changes: %+v", l)
	}
	if err := s.SetLiveView(ctx, storage.LiveSend{Key: "card:1:sales", Token: "nobody", Revision: 3}, json.RawMessage(`{"x":1}`)); err != nil {
		t.Fatal(err)
	}
	if l, _ := s.Live(ctx, "card:1:sales"); string(l.View) != `{}` {
		t.Errorf("a sender without the turn set the view: %s", l.View)
	}
}

func TestEnqueueingALiveJobBumpsItsMessage(t *testing.T) {
	t.Parallel()
	s := newStorage(t)
	ctx := context.Background()
	job := func(key string) storage.NewJob {
		return storage.NewJob{Key: key, Kind: "progress", RunAt: t0, Live: "announce:7"}
	}
	if _, err := s.Enqueue(ctx, job("progress:7:a"), job("progress:7:b")); err != nil {
		t.Fatal(err)
	}
	// Queued already: the job is not, the change is.
	if _, err := s.Enqueue(ctx, job("progress:7:a")); err != nil {
		t.Fatal(err)
	}
	if l, err := s.Live(ctx, "announce:7"); err != nil || l.Revision != 2 {
		t.Errorf("after three enqueues in two statements: %+v %v; want revision 2 (one per statement)", l, err)
	}
}

// TestAClickSaysWhetherItsQuestionnaireIsItsRevision: the click's statement
// returns the questionnaire it saw; when another change of the message
// committed between the statement's snapshot and its bump, that
// questionnaire may lack it, and the click says so.
func TestAClickSaysWhetherItsQuestionnaireIsItsRevision(t *testing.T) {
	t.Parallel()
	s := newStorage(t)
	ctx := context.Background()
	r := startRound(t, s, "C1", trio)
	click := func(q string, token string) storage.Questionnaire {
		t.Helper()
		got, err := s.RecordClick(ctx, storage.Click{RoundID: r.ID, Role: scoring.Marketing, UserID: "UMKT", Question: q, Score: 2, At: t0},
			false, storage.ClickOptions{WorkspaceID: "T1", Live: "card:1:marketing", LiveView: json.RawMessage(`{}`), LiveToken: token})
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	q := click("Q1", "c1")
	if !q.LiveLeased || !q.LiveCurrent || q.Live.Revision != 1 {
		t.Fatalf("a lone click: leased %v, current %v, revision %d", q.LiveLeased, q.LiveCurrent, q.Live.Revision)
	}
	if _, _, err := s.EndLiveSend(ctx, q.Live, true); err != nil {
		t.Fatal(err)
	}
	// A transaction changes the questionnaire and holds its lock while a
	// click waits for it.
	tx, err := s.DB().BeginTxx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE live_messages SET revision = revision + 1 WHERE key = 'card:1:marketing'`); err != nil {
		t.Fatal(err)
	}
	done := make(chan storage.Questionnaire)
	go func() { done <- click("Q2", "c2") }()
	waitFor(t, "the click to wait for the change's lock", func() bool {
		var n int
		err := s.DB().Get(&n, `SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`)
		return err == nil && n > 0
	})
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	q = <-done
	if q.LiveCurrent || q.Live.Revision != 3 || !q.LiveLeased {
		t.Errorf("a click after a concurrent change: current %v, revision %d, leased %v; want not current, revision 3, leased",
			q.LiveCurrent, q.Live.Revision, q.LiveLeased)
	}
	// A refused click changes nothing of the message.
	if _, err := s.RecordClick(ctx, storage.Click{RoundID: r.ID, Role: scoring.Marketing, UserID: "USAL", Question: "Q3", Score: 1, At: t0},
		false, storage.ClickOptions{WorkspaceID: "T1", Live: "card:1:marketing", LiveToken: "c3"}); err == nil {
		t.Fatal("a click by someone else was taken")
	}
	if l, _ := s.Live(ctx, "card:1:marketing"); l.Revision != 3 {
		t.Errorf("a refused click moved the revision to %d", l.Revision)
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		<-tick.C
	}
}

func TestLiveMessagesLeftBehindAreFound(t *testing.T) {
	t.Parallel()
	s := newStorage(t)
	s.SetLiveLease(20 * time.Millisecond)
	ctx := context.Background()
	if err := s.TouchLive(ctx, "reveal:1", "reveal:2"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.BeginLiveSend(ctx, "reveal:2", "dying"); err != nil {
		t.Fatal(err)
	}
	if behind, err := s.LiveBehind(ctx, time.Hour, 10); err != nil || len(behind) != 0 {
		t.Errorf("recent changes count as left behind: %v %v", behind, err)
	}
	waitFor(t, "both to be left behind", func() bool {
		behind, err := s.LiveBehind(ctx, 30*time.Millisecond, 10)
		return err == nil && len(behind) == 2
	})
}

func TestHeldJobsWaitForTheirCause(t *testing.T) {
	t.Parallel()
	s := newStorage(t)
	ctx := context.Background()
	r := startRound(t, s, "C1", trio)
	if _, err := s.Enqueue(ctx,
		storage.NewJob{Key: "reveal:1", Kind: "reveal", RoundID: r.ID, RunAt: t0},
		storage.NewJob{Key: "nudge:1", Kind: "nudge", RoundID: r.ID, RunAt: t0},
		storage.NewJob{Key: "later:1", Kind: "nudge", RoundID: r.ID, RunAt: t0.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	claimed, err := s.ClaimJobs(ctx, "w", t0, time.Minute, 1)
	if err != nil || len(claimed) != 1 {
		t.Fatal(claimed, err)
	}
	if err := s.HoldJob(ctx, claimed[0], "channel:C1", "not_in_channel", t0); err != nil {
		t.Fatal(err)
	}
	if keys, _ := s.HeldJobs(ctx, "channel:C1"); len(keys) != 1 || keys[0] != "reveal:1" {
		t.Errorf("held on the channel: %v", keys)
	}
	// The token is refused: everything pending waits too.
	if n, err := s.HoldPending(ctx, "workspace", "token_revoked", t0); err != nil || n != 2 {
		t.Errorf("held %d pending (%v), want 2", n, err)
	}
	if got, _ := s.ClaimJobs(ctx, "w", t0.Add(2*time.Hour), time.Minute, 10); len(got) != 0 {
		t.Errorf("claimed held jobs: %v", got)
	}
	first, err := s.NoteHold(ctx, r.ID, "channel:C1", t0)
	again, _ := s.NoteHold(ctx, r.ID, "channel:C1", t0)
	if err != nil || !first || again {
		t.Errorf("noting a hold: first %v, again %v, %v", first, again, err)
	}
	if n, err := s.ResumeHeld(ctx, t0.Add(2*time.Hour), "channel:C1", "workspace"); err != nil || n != 3 {
		t.Errorf("resumed %d (%v), want 3", n, err)
	}
	if first, _ := s.NoteHold(ctx, r.ID, "channel:C1", t0); !first {
		t.Error("after the cause was fixed, its next hold is not noted anew")
	}
	got, err := s.ClaimJobs(ctx, "w", t0.Add(2*time.Hour), time.Minute, 10)
	if err != nil || len(got) != 3 || got[0].Attempts != 1 {
		t.Errorf("after resuming: claimed %d (%v), first on attempt %d; want all three, attempts forgotten", len(got), err, got[0].Attempts)
	}
	// Cancelling a round cancels its held jobs too.
	if err := s.HoldJob(ctx, got[0], "user:U1", "user_disabled", t0); err != nil {
		t.Fatal(err)
	}
	if n, err := s.CancelJobs(ctx, r.ID, t0.Add(2*time.Hour)); err != nil || n != 3 {
		t.Errorf("cancelled %d (%v), want 3 (one held)", n, err)
	}
}

func TestCommandsWaitForTheirAnswer(t *testing.T) {
	t.Parallel()
	s := newStorage(t)
	ctx := context.Background()
	now := time.Now()
	for i, at := range []time.Time{now.Add(-time.Hour), now.Add(-time.Minute), now} {
		c := storage.Command{EnvelopeID: string(rune('a' + i)), UserID: "U1", ChannelID: "C1", Text: "status",
			ResponseURL: "https://hooks.example/" + string(rune('a'+i)), ReceivedAt: at}
		if err := s.BeginCommand(ctx, c); err != nil {
			t.Fatal(err)
		}
		if err := s.BeginCommand(ctx, c); err != nil {
			t.Fatalf("a redelivered command: %v", err)
		}
	}
	if err := s.EndCommand(ctx, "c"); err != nil {
		t.Fatal(err)
	}
	var told []string
	n, err := s.AbandonedCommands(ctx, now.Add(-30*time.Second), now.Add(-30*time.Minute), func(c storage.Command) {
		told = append(told, c.EnvelopeID)
	})
	if err != nil || n != 1 || len(told) != 1 || told[0] != "b" {
		t.Errorf("abandoned: %d %v (%v); want b only: a's response_url expired, c was answered", n, told, err)
	}
	var left int
	if err := s.DB().Get(&left, `SELECT count(*) FROM commands`); err != nil || left != 0 {
		t.Errorf("%d commands left (%v)", left, err)
	}
}

func TestTurnsEndingTogetherEachEndAsAlone(t *testing.T) {
	t.Parallel()
	s := newStorage(t)
	ctx := context.Background()
	type turn struct {
		l    storage.LiveSend
		lost bool // a sender whose turn ran out ends it too
	}
	var turns []turn
	for i := range 40 {
		key := fmt.Sprintf("card:%d:sales", i+1)
		l, leased, err := s.ChangeLive(ctx, key, nil, fmt.Sprintf("click-%d", i))
		if err != nil || !leased {
			t.Fatalf("change %s: %v %v", key, leased, err)
		}
		turns = append(turns, turn{l: l, lost: i%4 == 0})
	}
	type end struct {
		current int64
		held    bool
		err     error
	}
	var wg sync.WaitGroup
	ends := make([]end, len(turns))
	lostEnds := make([]end, len(turns))
	for i, tn := range turns {
		wg.Go(func() {
			c, h, err := s.EndLiveSend(ctx, tn.l, true)
			ends[i] = end{c, h, err}
		})
		if tn.lost {
			stale := tn.l
			stale.Token = "ran-out"
			wg.Go(func() {
				c, h, err := s.EndLiveSend(ctx, stale, true)
				lostEnds[i] = end{c, h, err}
			})
		}
	}
	var missing end
	wg.Go(func() {
		c, h, err := s.EndLiveSend(ctx, storage.LiveSend{Key: "card:999:sales", Token: "x", Revision: 1}, true)
		missing = end{c, h, err}
	})
	wg.Wait()
	if missing.err != nil || missing.held || missing.current != 0 {
		t.Errorf("the end of a message that does not exist: %+v; want revision 0, not held", missing)
	}
	for i, tn := range turns {
		rev := tn.l.Revision
		if e := ends[i]; e.err != nil || !e.held || e.current < rev || (!tn.lost && e.current != rev) {
			t.Errorf("%s: end %+v; want held at revision %d (one more with a late sender)", tn.l.Key, e, rev)
		}
		want := rev
		if tn.lost {
			want = rev + 1
			if e := lostEnds[i]; e.err != nil || e.held {
				t.Errorf("%s: the late sender's end %+v; want not held", tn.l.Key, e)
			}
		}
		l, err := s.Live(ctx, tn.l.Key)
		if err != nil || l.Revision != want || l.Sent != rev {
			t.Errorf("%s after the ends: %+v %v; want revision %d, sent %d", tn.l.Key, l, err, want, rev)
		}
		if _, ok, err := s.BeginLiveSend(ctx, tn.l.Key, "next"); err != nil || !ok {
			t.Errorf("%s: the turn is not free after its end: %v %v", tn.l.Key, ok, err)
		}
	}
}
