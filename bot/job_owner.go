package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/alignbot/alignbot/bot/render"
	"github.com/alignbot/alignbot/internal/locale"
	"github.com/alignbot/alignbot/internal/outbox"
	"github.com/alignbot/alignbot/internal/report"
	"github.com/alignbot/alignbot/storage"
)

// Owners' messages, the re-run reminder, and the facilitator's note when a
// delivery is given up.

// ownerUpdate is an owner_dm job that updates the owner's live message in
// place (after a form changed the status) instead of posting a new one.
const ownerUpdate = "update"

// ownerReminder schedules the nth reminder of an assignment at at.
func (b *Bot) ownerReminder(a storage.Action, assignment string, n int, at time.Time) storage.NewJob {
	return newJob(jobOwnerDM, a.RoundID, jobPayload{Question: a.QuestionID, UserID: a.OwnerID, Step: assignment, N: n, At: at.Unix()}, at)
}

// nextOwnerNudge returns the reminder after one sent (or scheduled) at prev:
// every ActionNudgeEvery until the due date, one on the due date, then
// overdue ones at the same cadence, until the action is done.
func (b *Bot) nextOwnerNudge(a storage.Action, prev time.Time) time.Time {
	due := a.DueAt.Truncate(time.Second)
	next := prev.Add(b.cfg.ActionNudgeEvery).Truncate(time.Second)
	if prev.Before(due) && next.After(due) {
		return due
	}
	return next
}

// runOwnerDM tells an owner about their action: the assignment (N 0), a
// reminder (N ≥ 1), or an update of their live message. A new message
// retires the previous one, so only one has live buttons. It drops itself
// when the action was reassigned or is done, and waits for the owner's
// working hours.
func (b *Bot) runOwnerDM(ctx context.Context, j storage.Job) (any, error) {
	p, err := payload(j)
	if err != nil {
		return nil, err
	}
	rv, err := report.LoadBrief(ctx, b.store, roundOf(j))
	if errors.Is(err, report.ErrNotRevealedYet) {
		return nil, outbox.Drop("round not revealed")
	}
	if err != nil {
		return nil, err
	}
	a, ok := rv.Action(p.Question)
	if !ok {
		return nil, outbox.Drop("no such action")
	}
	if p.Stub == ownerUpdate {
		return nil, b.runLive(ctx, ownerKey(a.RoundID, a.QuestionID))
	}
	switch {
	case a.OwnerID != p.UserID || assignmentKey(a.AssignedAt) != p.Step:
		return nil, outbox.Drop("action reassigned")
	case a.Status == storage.ActionDone:
		return nil, outbox.Drop("action done")
	case rv.Round.State != storage.Revealed:
		return nil, outbox.Drop("round closed")
	}
	if err := b.inWorkingHours(ctx, a.OwnerID); err != nil {
		return nil, err
	}
	// The reminder's place in the schedule, not when it finally ran
	// (working hours may have held it back), says what kind it is.
	kind := render.OwnerAssigned
	at := time.Unix(p.At, 0)
	if p.N > 0 {
		kind = render.OwnerReminder
		switch {
		case at.Equal(a.DueAt.Truncate(time.Second)):
			kind = render.OwnerDueToday
		case at.After(a.DueAt):
			kind = render.OwnerOverdue
		}
	}
	// The new message becomes the action's live one: it is posted in the
	// live message's turn, rendered as the database has it then.
	var dm, ts string
	outcome, err := b.sendLive(ctx, ownerKey(a.RoundID, a.QuestionID), liveOpts{force: true,
		send: func(ctx context.Context, turn storage.LiveSend, st liveState) error {
			if ts != "" {
				// A change came while it was posted: the new message is
				// brought up to date, not posted again.
				return b.updateLive(ctx, turn, st)
			}
			var err error
			dm, ts, err = b.postOwnerDM(ctx, j, p, kind, at, turn)
			return err
		}})
	if err != nil {
		return nil, err
	}
	if outcome == liveBusy {
		// A click on the current message has the turn for a moment.
		return nil, outbox.Again()
	}
	if ts == "" {
		return nil, outbox.Drop("the action is gone")
	}
	return postResult{Channel: dm, TS: ts}, nil
}

// postOwnerDM posts an owner's new live message about their action during
// the message's turn, records it (the previous one is retired) and books
// the next reminder.
func (b *Bot) postOwnerDM(ctx context.Context, j storage.Job, p jobPayload, kind render.OwnerKind, at time.Time, turn storage.LiveSend) (string, string, error) {
	rv, err := report.LoadBrief(ctx, b.store, roundOf(j))
	if err != nil {
		return "", "", err
	}
	a, ok := rv.Action(p.Question)
	if !ok {
		return "", "", nil
	}
	msg := b.ownerMessage(rv, a, kind, b.personLang(ctx, a.OwnerID))
	// Posted to the user ID, as every other DM is: the DM's posting budget
	// is paced under one name.
	dm, ts, found, err := b.postOnceFound(ctx, j, a.OwnerID, "", msg)
	if err != nil {
		return "", "", err
	}
	if found {
		if _, _, _, err := b.api.UpdateMessageContext(ctx, dm, ts, msg.Options()...); err != nil {
			return "", "", fmt.Errorf("update owner's message: %w", err)
		}
	}
	now := b.clock.Now()
	err = b.store.Transact(ctx, func(tx *storage.Storage) error {
		previous, err := tx.SetActionDM(ctx, a.RoundID, a.QuestionID, a.OwnerID, dm, ts)
		if errors.Is(err, storage.ErrNotFound) {
			// Reassigned while this message was on its way, too late for
			// the reassignment to retire it: it is retired now, and the new
			// owner's job takes over.
			current, err := tx.Action(ctx, a.RoundID, a.QuestionID)
			if err != nil {
				return err
			}
			_, err = tx.Enqueue(ctx, newJob(jobRetire, a.RoundID, jobPayload{Channel: dm, TS: ts, Stub: stubReassigned,
				Question: a.QuestionID, UserID: current.OwnerID, Reader: a.OwnerID, Step: changeKey()}, now))
			return err
		}
		if err != nil {
			return err
		}
		var jobs []storage.NewJob
		if previous != "" {
			jobs = append(jobs, newJob(jobRetire, a.RoundID, jobPayload{Channel: dm, TS: previous, Stub: stubOwnerRetired,
				Question: a.QuestionID, Reader: a.OwnerID, Step: changeKey()}, now))
		}
		if p.N > 0 {
			next := b.nextOwnerNudge(a, at)
			jobs = append(jobs, b.ownerReminder(a, p.Step, p.N+1, next))
		}
		_, err = tx.Enqueue(ctx, jobs...)
		return err
	})
	if err != nil {
		return "", "", err
	}
	if err := b.store.SetLiveView(ctx, turn, json.RawMessage(marshal(ownerView{Kind: kind}))); err != nil {
		return "", "", err
	}
	return dm, ts, nil
}

// ownerUpdateJob brings an owner's live message up to date after its
// action changed.
func ownerUpdateJob(roundID int64, question, owner string, now time.Time) storage.NewJob {
	j := newJob(jobOwnerDM, roundID, jobPayload{Question: question, UserID: owner, Stub: ownerUpdate, Step: changeKey()}, now)
	j.Live = ownerKey(roundID, question)
	return j
}

// describeOwner says what an owner_dm job delivers.
func (b *Bot) describeOwner(ctx context.Context, j storage.Job) string {
	p, _ := payload(j)
	return say(ctx).T("parked.owner_dm", "User", render.Mention(p.UserID), "Question", p.Question)
}

// runRerun reminds the channel of its next round, a week before and on the
// day, unless the team already started it.
func (b *Bot) runRerun(ctx context.Context, j storage.Job) (any, error) {
	p, err := payload(j)
	if err != nil {
		return nil, err
	}
	status, err := b.roundStatus(ctx, roundOf(j))
	if err != nil {
		return nil, err
	}
	round := status.Round
	latest, err := b.store.LatestRound(ctx, round.WorkspaceID, round.ChannelID)
	if err != nil {
		return nil, err
	}
	if latest.ID != round.ID && latest.State != storage.Cancelled {
		return nil, outbox.Drop("the team already started its next round")
	}
	if round.NextRoundAt == nil {
		return nil, outbox.Drop("no next round booked")
	}
	msg := render.RenderRerunReminder(status.Instrument, round, status.Respondents, b.cfg.RerunAfter, p.Step == "day")
	ch, ts, err := b.postOnce(ctx, j, round.ChannelID, "", msg)
	if err != nil {
		return nil, err
	}
	return postResult{Channel: ch, TS: ts}, nil
}

// noteParked asks for the round's facilitator to be told when something the
// team relies on could not be delivered, so a round does not stall in
// silence.
func (b *Bot) noteParked(ctx context.Context, j storage.Job, err error) {
	if j.RoundID == nil {
		return
	}
	n := storage.NewJob{Key: "parked:" + j.Key, Kind: jobParked, RoundID: *j.RoundID,
		Payload: jobPayload{Job: j.Key, Error: slackErrorCode(err)}, RunAt: b.clock.Now()}
	if _, err := b.store.Enqueue(ctx, n); err != nil {
		b.log.Error("queueing the facilitator's note failed", slog.String("job", j.Key), slog.Any("error", err))
	}
}

// runParked tells a round's facilitator, by DM, what could not be
// delivered, why, and what they can do about it.
func (b *Bot) runParked(ctx context.Context, j storage.Job) (any, error) {
	p, err := payload(j)
	if err != nil {
		return nil, err
	}
	parked, err := b.store.Job(ctx, p.Job)
	if err != nil {
		return nil, err
	}
	round, err := b.store.Round(ctx, roundOf(j))
	if err != nil {
		return nil, err
	}
	// The facilitator reads it: what failed is described in their language.
	lang := b.personLang(ctx, round.FacilitatorID)
	ctx = withReaderLang(ctx, lang)
	t := locale.For(lang)
	kind := b.jobKinds()[parked.Kind]
	what := t.T("parked.a_message")
	if kind.Describe != nil {
		what = kind.Describe(ctx, parked)
	}
	advice := ""
	switch parked.Kind {
	case jobQuestionnaire, jobNudge:
		advice = t.T("parked.advice_respondent")
	case jobOwnerDM:
		advice = t.T("parked.advice_owner", "Button", t.T("reveal.change_owner"))
	}
	msg := render.RenderParked(render.Parked{Lang: lang, Round: round, What: what, SlackError: p.Error, Advice: advice})
	ch, ts, err := b.postOnce(ctx, j, round.FacilitatorID, "", msg)
	if err != nil {
		return nil, err
	}
	return postResult{Channel: ch, TS: ts}, nil
}
