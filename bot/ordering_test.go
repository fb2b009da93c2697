package bot

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lib/pq"
	"github.com/slack-go/slack"

	"github.com/alignbot/alignbot/bot/render"
	"github.com/alignbot/alignbot/internal/slackfake"
	"github.com/alignbot/alignbot/scoring"
)

// orrClick is one click of a burst: a score for a question, or Submit when
// Question is "".
type orrClick struct {
	Question string
	Score    int
}

// buildBurst builds user's clicks on their questionnaire as it is now,
// without sending them: the person clicks faster than the bot can redraw
// the message, so each click carries the button it would have found there
// (the question's block, the score's action) and its own response_url and
// action_ts, a millisecond after the previous click.
func (o orr) buildBurst(user string, msg slackfake.Message, clicks []orrClick) []slack.InteractionCallback {
	o.t.Helper()
	start := time.Now()
	var out []slack.InteractionCallback
	for i, c := range clicks {
		// Any score button of the card open now gives the block to aim from.
		cb, err := o.slack.BuildClick(user, msg, "", "0")
		if err != nil {
			o.t.Fatalf("%s's questionnaire has no score button: %v", user, err)
		}
		a := cb.ActionCallback.BlockActions[0]
		slot, err := render.ParseSlot(strings.TrimPrefix(a.BlockID, render.BlockAnswerPrefix))
		if err != nil || !strings.HasPrefix(a.BlockID, render.BlockAnswerPrefix) {
			o.t.Fatalf("not a score button: %+v", a)
		}
		if c.Question == "" {
			a.ActionID, a.BlockID, a.Value = render.ActionSubmit, "footer", render.RoundValue(slot.Round)
			a.Text.Text = "Submit answers"
		} else {
			slot.Question = c.Question
			a.BlockID = render.BlockAnswerPrefix + slot.String()
			a.ActionID, a.Value = render.ScoreAction(render.ActionAnswer, c.Score), strconv.Itoa(c.Score)
			a.Text.Text = strconv.Itoa(c.Score)
		}
		at := start.Add(time.Duration(i) * time.Millisecond)
		a.ActionTs = fmt.Sprintf("%d.%06d", at.Unix(), at.Nanosecond()/1000)
		out = append(out, cb)
	}
	return out
}

// send sends callbacks back to back, without waiting for anything, and
// returns their envelope IDs.
func (o orr) send(cbs ...slack.InteractionCallback) []string {
	o.t.Helper()
	var ids []string
	for _, cb := range cbs {
		id, err := o.slack.SendInteraction(cb)
		if err != nil {
			o.t.Fatal(err)
		}
		ids = append(ids, id)
	}
	return ids
}

// allAnswers is a burst answering every question with scores, then Submit.
func allAnswers(scores []int) []orrClick {
	var out []orrClick
	for i, s := range scores {
		out = append(out, orrClick{Question: fmt.Sprintf("Q%d", i+1), Score: s})
	}
	return append(out, orrClick{})
}

func (o orr) checkAnswers(role scoring.Role, want []int) {
	o.t.Helper()
	got, err := o.store.Answers(context.Background(), 1, role)
	if err != nil {
		o.t.Fatal(err)
	}
	for i, s := range want {
		if q := fmt.Sprintf("Q%d", i+1); got[q] != s {
			o.t.Errorf("%s's %s is %d, want %d", role, q, got[q], s)
		}
	}
}

func TestABurstOfClicksSubmitsAndReveals(t *testing.T) {
	t.Parallel()
	for _, replicas := range []int{1, 2} {
		t.Run(fmt.Sprintf("%d replicas", replicas), func(t *testing.T) {
			t.Parallel()
			h := newOrr(t)
			for range replicas {
				h.startBot()
			}
			h.startRound(mkt, sales)
			cards := map[string]slackfake.Message{mkt: h.questionnaire(mkt), sales: h.questionnaire(sales)}
			mine := h.buildBurst(mkt, cards[mkt], allAnswers(orrScores[mkt]))
			theirs := h.buildBurst(sales, cards[sales], allAnswers(orrScores[sales]))
			// Both leads click away at once, their clicks interleaved.
			var all []slack.InteractionCallback
			for i := range mine {
				all = append(all, mine[i], theirs[i])
			}
			for _, id := range h.send(all...) {
				h.waitAck(id)
			}
			h.waitMessage(revenue, "Alignment reveal · round 1")
			for u, m := range cards {
				h.settle(u+"'s questionnaire to link the comparison", func() bool {
					return strings.Contains(h.current(m).VisibleText(), "Everyone is in")
				})
			}
			h.idle()
			for _, u := range []string{mkt, sales} {
				if got := h.ephemerals(u); len(got) > 0 {
					t.Errorf("%s was told: %q", u, got)
				}
			}
			h.checkAnswers(scoring.Marketing, orrScores[mkt])
			h.checkAnswers(scoring.Sales, orrScores[sales])
			if n := h.reveals(revenue, 1); n != 1 {
				t.Errorf("%d reveals", n)
			}
		})
	}
}

func TestSubmitWaitsForAnAnswerASlowerReplicaIsStillRecording(t *testing.T) {
	t.Parallel()
	h := newOrr(t)
	h.startBot()
	h.startBot()
	h.startRound(mkt, sales)
	h.answerAndSubmit(orrScores, sales)
	h.answerAll(mkt, orrScores[mkt][:9])
	card := h.questionnaire(mkt)
	ctx := context.Background()

	// The replica recording Q10 is slow: its write waits behind a row
	// this test holds. The replica handling Submit is held back at first
	// too, so that the test can tell when it has looked.
	slowAnswer, err := h.store.DB().BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer slowAnswer.Rollback()
	if _, err := slowAnswer.ExecContext(ctx, `INSERT INTO answers (round_id, role, question_id, score, answered_at)
		VALUES (1, 'marketing', 'Q10', 0, $1)`, t0); err != nil {
		t.Fatal(err)
	}
	holdRound, err := h.store.DB().BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer holdRound.Rollback()
	if _, err := holdRound.ExecContext(ctx, `SELECT 1 FROM rounds WHERE id = 1 FOR KEY SHARE`); err != nil {
		t.Fatal(err)
	}

	burst := h.buildBurst(mkt, card, []orrClick{{Question: "Q10", Score: 2}, {}})
	ids := h.send(burst...)
	var deliveries []int
	for _, e := range h.slack.Envelopes() {
		for _, id := range ids {
			if e.ID == id && len(e.Deliveries) > 0 {
				deliveries = append(deliveries, e.Deliveries[0])
			}
		}
	}
	if len(deliveries) != 2 || deliveries[0] == deliveries[1] {
		t.Fatalf("the answer and Submit went to connections %v; want two replicas", deliveries)
	}

	type waiter struct {
		PID   int       `db:"pid"`
		Xact  time.Time `db:"xact_start"`
		Query string    `db:"query"`
	}
	waiters := func() []waiter {
		var ws []waiter
		if err := h.store.DB().Select(&ws, `SELECT pid, xact_start, query FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event_type = 'Lock' AND xact_start IS NOT NULL`); err != nil {
			t.Fatal(err)
		}
		return ws
	}
	var submit waiter
	h.waitFor("the answer and Submit to wait for their locks", func() bool {
		ws := waiters()
		submit = waiter{}
		answering := false
		for _, w := range ws {
			switch {
			case strings.Contains(w.Query, "FOR UPDATE OF r"):
				submit = w
			case strings.Contains(w.Query, "who AS ("): // the click's one statement
				answering = true
			}
		}
		return answering && submit.PID != 0
	})
	// Submit looks now, finds Q10 missing (its answer is still being
	// recorded) and must wait for it rather than refuse.
	if err := holdRound.Rollback(); err != nil {
		t.Fatal(err)
	}
	h.waitFor("Submit's first look to end", func() bool {
		var xact sql.NullTime
		err := h.store.DB().Get(&xact, `SELECT xact_start FROM pg_stat_activity WHERE pid = $1`, submit.PID)
		return err == nil && (!xact.Valid || !xact.Time.Equal(submit.Xact))
	})
	if r := h.respondent(1, scoring.Marketing); r.Submitted() {
		t.Fatal("submitted without Q10")
	}
	if got := h.ephemerals(mkt); len(got) > 0 {
		t.Fatalf("Submit refused while an answer was on its way: %q", got)
	}
	if err := slowAnswer.Rollback(); err != nil {
		t.Fatal(err)
	}
	h.waitFor("marketing to be submitted", func() bool { return h.respondent(1, scoring.Marketing).Submitted() })
	h.waitMessage(revenue, "Alignment reveal · round 1")
	h.idle()
	if got := h.ephemerals(mkt); len(got) > 0 {
		t.Errorf("marketing was told: %q", got)
	}
	h.checkAnswers(scoring.Marketing, orrScores[mkt])
	if n := h.reveals(revenue, 1); n != 1 {
		t.Errorf("%d reveals", n)
	}
}

func TestChangingAnAnswerQuicklyKeepsTheLastClick(t *testing.T) {
	t.Parallel()
	for _, replicas := range []int{1, 2} {
		t.Run(fmt.Sprintf("%d replicas", replicas), func(t *testing.T) {
			t.Parallel()
			h := newOrr(t)
			for range replicas {
				h.startBot()
			}
			h.startRound(mkt, sales)
			card := h.questionnaire(mkt)
			changes := []int{2, 0, 1, 0, 2, 1, 2, 0}
			var clicks []orrClick
			for _, s := range changes {
				clicks = append(clicks, orrClick{Question: "Q1", Score: s})
			}
			ids := h.send(h.buildBurst(mkt, card, clicks)...)
			for _, id := range ids {
				h.waitAck(id)
			}
			last := changes[len(changes)-1]
			h.waitFor("every click to be handled", func() bool {
				var n int
				err := h.store.DB().Get(&n, `SELECT count(*) FROM deliveries WHERE id = ANY($1)`, pq.Array(ids))
				return err == nil && n == len(ids)
			})
			h.idle()
			got, err := h.store.Answers(context.Background(), 1, scoring.Marketing)
			if err != nil || len(got) != 1 || got["Q1"] != last {
				t.Errorf("stored %v (%v), want Q1 = %d, the last click", got, err, last)
			}
			// However many replicas handled the clicks, and in whatever
			// order their replies reached Slack, the message settles on
			// the last click: the database's.
			want := answeredLine("Q1", last)
			if err := h.poll(10*time.Second, func() bool { return want.MatchString(sectionTexts(h.current(card))) }); err != nil {
				t.Errorf("the questionnaire shows: %s", sectionTexts(h.current(card)))
			}
			// The next click works from what they see.
			h.answer(mkt, "Q1", 1)
			if got, _ := h.store.Answers(context.Background(), 1, scoring.Marketing); got["Q1"] != 1 {
				t.Errorf("after changing it once more Q1 is %d, want 1", got["Q1"])
			}
		})
	}
}
