package bot

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/alignbot/alignbot/bot/render"
	"github.com/alignbot/alignbot/internal/report"
	"github.com/alignbot/alignbot/storage"
)

// After the reveal: the team names owners for the gaps, sets gaps aside as
// already being addressed, owners report progress, and the round closes when
// every top gap's action is done. Each is one transaction holding the
// round's lock, deciding on what it reads inside it.

// revealedForChange locks a revealed round and loads its reveal inside tx.
// where, when set, is the channel a button was clicked in: it must be the
// round's.
func revealedForChange(ctx context.Context, tx *storage.Storage, roundID int64, workspaceID, where string) (report.Reveal, error) {
	round, err := tx.LockRound(ctx, roundID)
	if errors.Is(err, storage.ErrNotFound) {
		return report.Reveal{}, errTampered
	}
	if err != nil {
		return report.Reveal{}, err
	}
	if round.WorkspaceID != workspaceID || (where != "" && where != round.ChannelID) {
		return report.Reveal{}, errTampered
	}
	switch round.State {
	case storage.Collecting:
		return report.Reveal{}, userErr("gaps.not_revealed", "Round", round.ID)
	case storage.Cancelled:
		return report.Reveal{}, userErr("gaps.cancelled", "Round", round.ID)
	case storage.Closed:
		return report.Reveal{}, userErr("gaps.closed", "Round", round.ID)
	}
	return report.LoadBrief(ctx, tx, roundID)
}

// typedOrTampered explains a question the round's instrument lacks: a typo
// in a command (where is ""), but from a button or form, which only name
// questions of the round, a value no message of ours sent.
func typedOrTampered(where string, err error) error {
	if where != "" {
		return errTampered
	}
	return err
}

// latestRevealed finds the round a gap command refers to: the channel's
// latest revealed round.
func (b *Bot) latestRevealed(ctx context.Context, workspaceID, channelID string) (int64, error) {
	round, err := b.store.LatestRevealedRound(ctx, workspaceID, channelID)
	if errors.Is(err, storage.ErrNotFound) {
		if _, cerr := b.store.CollectingRound(ctx, workspaceID, channelID); cerr == nil {
			return 0, userErr("gaps.channel_not_revealed", "Channel", render.ChannelRef(channelID))
		}
		return 0, userErr("gaps.none_revealed", "Channel", render.ChannelRef(channelID), "Usage", startUsage)
	}
	if err != nil {
		return 0, err
	}
	return round.ID, nil
}

// gapChanged enqueues what every change of a gap causes: the reveal updated
// in place, a note in its thread, and the App Home of those concerned.
func (b *Bot) gapChanged(ctx context.Context, tx *storage.Storage, rv report.Reveal, note render.Message, users []string, now time.Time) error {
	change := changeKey()
	update := afterReveal(newJob(jobRevealUpdate, rv.Round.ID, jobPayload{Step: change}, now), rv.Round.ID)
	update.Live = revealKey(rv.Round.ID)
	_, err := tx.Enqueue(ctx,
		update,
		afterReveal(newJob(jobNote, rv.Round.ID, jobPayload{Step: change, Text: note.Text}, now), rv.Round.ID),
	)
	if err != nil {
		return err
	}
	return b.refreshHomes(ctx, tx, rv.Round.WorkspaceID, users, now)
}

// assignRequest names an owner and a 30-day action for a gap.
type assignRequest struct {
	DeliveryID  string
	WorkspaceID string
	// Where is the channel a button was clicked in; "" for a command,
	// which names the channel's latest round itself.
	Where    string
	RoundID  int64
	Question string
	OwnerID  string
	Text     string
	By       actor
}

// assign records the owner and action and enqueues the owner's DM and
// reminders, the updated reveal and a note in its thread.
func (b *Bot) assign(ctx context.Context, req assignRequest) (storage.Action, error) {
	text, err := actionText(req.Text, "action")
	if err != nil {
		return storage.Action{}, err
	}
	now := b.clock.Now()
	var saved storage.Action
	err = b.store.Transact(ctx, func(tx *storage.Storage) error {
		if err := remember(ctx, tx, req.DeliveryID, now); err != nil {
			return err
		}
		rv, err := revealedForChange(ctx, tx, req.RoundID, req.WorkspaceID, req.Where)
		if err != nil {
			return err
		}
		q, err := questionOf(rv.Instrument, req.Question)
		if err != nil {
			return typedOrTampered(req.Where, err)
		}
		gap, ok := rv.Gap(q.ID)
		if !ok {
			return userErr("gaps.not_a_gap", "Question", q.ID, "Round", rv.Round.ID, "Gaps", orNoneIDs(rv))
		}
		if err := mayAssign(req.By, gap.Action, rv.Round, rv.Respondents); err != nil {
			return err
		}
		saved, err = tx.AssignAction(ctx, storage.Action{
			RoundID: rv.Round.ID, QuestionID: q.ID, OwnerID: req.OwnerID, Description: text,
			AssignedBy: req.By.ID, AssignedAt: now, DueAt: now.Add(b.cfg.ActionDue),
		})
		if err != nil {
			return err
		}
		assignment := assignmentKey(saved.AssignedAt)
		jobs := []storage.NewJob{afterReveal(newJob(jobOwnerDM, rv.Round.ID,
			jobPayload{Question: q.ID, UserID: saved.OwnerID, Step: assignment, N: 0, At: now.Unix()}, now), rv.Round.ID)}
		jobs = append(jobs, b.ownerReminder(saved, assignment, 1, b.nextOwnerNudge(saved, saved.AssignedAt)))
		users := []string{saved.OwnerID, req.By.ID}
		// The previous assignment's message goes quiet: the new one is the
		// only live message about the action, whoever owns it.
		if old := gap.Action; old != nil && old.DMTS != "" {
			stub := stubOwnerRetired
			if old.OwnerID != saved.OwnerID {
				stub = stubReassigned
				users = append(users, old.OwnerID)
			}
			jobs = append(jobs, newJob(jobRetire, rv.Round.ID, jobPayload{Channel: old.DMChannelID, TS: old.DMTS,
				Stub: stub, Question: q.ID, UserID: saved.OwnerID, Reader: old.OwnerID, Step: changeKey()}, now))
		}
		if _, err := tx.Enqueue(ctx, jobs...); err != nil {
			return err
		}
		return b.gapChanged(ctx, tx, rv, render.NoteAssigned(render.RoundLang(rv.Round), rv.Instrument, q, req.By.ID, saved, gap.FixIt), users, now)
	})
	if errors.Is(err, storage.ErrNotRevealed) {
		return storage.Action{}, userErr("gaps.no_longer_open", "Round", req.RoundID)
	}
	return saved, err
}

func orNoneIDs(rv report.Reveal) any {
	var ids []string
	for _, g := range append(append([]report.Gap(nil), rv.TopGaps...), rv.FixIt...) {
		ids = append(ids, g.Result.Question.ID)
	}
	if len(ids) == 0 {
		return phrase{id: "gaps.has_none"}
	}
	return strings.Join(ids, ", ")
}

// assignmentKey names one assignment of an action: its reminders check it,
// so a reassignment silences the previous owner's.
func assignmentKey(assignedAt time.Time) string {
	return time.Unix(0, assignedAt.UnixNano()).UTC().Format("20060102T150405.000000000")
}

// addressedRequest sets a top gap aside as already being addressed, or
// takes that back.
type addressedRequest struct {
	DeliveryID  string
	WorkspaceID string
	Where       string
	RoundID     int64
	Question    string
	By          actor
	Undo        bool
}

// markAddressed sets a top gap aside (the next candidate moves up), or,
// with Undo, makes it a candidate again. It returns the top gaps after.
func (b *Bot) markAddressed(ctx context.Context, req addressedRequest) ([]string, error) {
	now := b.clock.Now()
	var after []string
	err := b.store.Transact(ctx, func(tx *storage.Storage) error {
		if err := remember(ctx, tx, req.DeliveryID, now); err != nil {
			return err
		}
		rv, err := revealedForChange(ctx, tx, req.RoundID, req.WorkspaceID, req.Where)
		if err != nil {
			return err
		}
		q, err := questionOf(rv.Instrument, req.Question)
		if err != nil {
			return typedOrTampered(req.Where, err)
		}
		if err := mayManageRound(req.By, rv.Round, rv.Respondents, "perm.set_aside"); err != nil {
			return err
		}
		if req.Undo {
			removed, err := tx.UnmarkAddressed(ctx, rv.Round.ID, q.ID)
			if err != nil {
				return err
			}
			if !removed {
				return userErr("gaps.not_marked", "Question", q.ID, "Round", rv.Round.ID)
			}
		} else {
			gap, ok := rv.Gap(q.ID)
			switch {
			case !ok || gap.FixIt:
				return userErr("gaps.not_top", "Question", q.ID, "Round", rv.Round.ID, "Gaps", strings.Join(rv.TopGapIDs(), ", "))
			case gap.Action != nil:
				return userErr("gaps.has_owner", "Question", q.ID, "Owner", render.Mention(gap.Action.OwnerID))
			}
			if _, err := tx.MarkAddressed(ctx, rv.Round.ID, q.ID, req.By.ID, now); err != nil {
				return err
			}
		}
		updated, err := report.LoadBrief(ctx, tx, rv.Round.ID)
		if err != nil {
			return err
		}
		after = updated.TopGapIDs()
		return b.gapChanged(ctx, tx, updated, render.NoteAddressed(render.RoundLang(updated.Round), updated.Instrument, q, req.By.ID, req.Undo), nil, now)
	})
	return after, err
}

// statusRequest is an owner (or a round's manager) reporting progress.
type statusRequest struct {
	DeliveryID  string
	WorkspaceID string
	// Where is the channel the button was clicked in, "" from the App
	// Home; it must be the owner's DM with the bot.
	Where    string
	RoundID  int64
	Question string
	Status   storage.ActionStatus
	Reason   string
	By       actor
	// TakeTurn takes the owner's live message's turn (see sendLive) for the
	// caller, who shows the change through their click.
	TakeTurn bool
}

// setActionStatus records progress on an action, tells the reveal's thread,
// and closes the round when every top gap's action is done: one
// transaction, deciding on what it reads inside it.
func (b *Bot) setActionStatus(ctx context.Context, req statusRequest) (report.Reveal, storage.Action, *storage.LiveSend, error) {
	now := b.clock.Now()
	var saved storage.Action
	var rv report.Reveal
	var turn *storage.LiveSend
	err := b.store.Transact(ctx, func(tx *storage.Storage) error {
		if err := remember(ctx, tx, req.DeliveryID, now); err != nil {
			return err
		}
		round, err := tx.LockRound(ctx, req.RoundID)
		if errors.Is(err, storage.ErrNotFound) {
			return errTampered
		}
		if err != nil {
			return err
		}
		current, err := tx.LockAction(ctx, req.RoundID, req.Question)
		if errors.Is(err, storage.ErrNotFound) {
			return errTampered
		}
		if err != nil {
			return err
		}
		// A click on the owner's first DM may come before the job that
		// posted it has recorded where it is: as on a questionnaire, a DM
		// is taken for the owner's until one is recorded.
		unrecorded := current.DMChannelID == "" && strings.HasPrefix(req.Where, "D")
		if round.WorkspaceID != req.WorkspaceID || (req.Where != "" && req.Where != current.DMChannelID && !unrecorded) {
			return errTampered
		}
		respondents, err := tx.Respondents(ctx, round.ID)
		if err != nil {
			return err
		}
		if err := mayChangeAction(req.By, current, round, respondents); err != nil {
			return err
		}
		if round.State != storage.Revealed {
			return userErr("gaps.round_closed", "Round", round.ID)
		}
		a, changed, err := tx.SetActionStatus(ctx, round.ID, req.Question, req.Status, req.Reason, now)
		if errors.Is(err, storage.ErrActionDone) {
			return userErr("gaps.already_done", "Question", req.Question)
		}
		if err != nil {
			return err
		}
		saved = a
		if rv, err = report.LoadBrief(ctx, tx, round.ID); err != nil {
			return err
		}
		// The owner's live message shows the status, changed or not (a
		// second click sees it too); a job brings it up to date should
		// the click's caller not.
		token := ""
		if req.TakeTurn {
			token = randomHex(12)
		}
		if turn, err = b.changeLiveAs(ctx, tx, ownerKey(round.ID, a.QuestionID), ownerView{Kind: render.OwnerUpdated}, token); err != nil {
			return err
		}
		if !changed {
			return nil
		}
		update := ownerUpdateJob(round.ID, a.QuestionID, a.OwnerID, now)
		update.Live = "" // bumped above, with its view
		if _, err := tx.Enqueue(ctx, update); err != nil {
			return err
		}
		q, _ := rv.Instrument.Question(req.Question)
		if err := b.gapChanged(ctx, tx, rv, render.NoteStatus(render.RoundLang(rv.Round), rv.Instrument, q, req.By.ID, a), []string{a.OwnerID}, now); err != nil {
			return err
		}
		if a.Status != storage.ActionDone || !rv.AllTopGapsDone() {
			return nil
		}
		closed, err := tx.CloseRound(ctx, round.ID, now)
		if err != nil || !closed {
			return err
		}
		if rv, err = report.LoadBrief(ctx, tx, round.ID); err != nil {
			return err
		}
		return b.gapChanged(ctx, tx, rv, render.NoteClosed(rv.Round, len(rv.TopGaps)), nil, now)
	})
	return rv, saved, turn, err
}

// oneAnswerRequest records the team's answer to the one question.
type oneAnswerRequest struct {
	DeliveryID  string
	WorkspaceID string
	RoundID     int64
	Answer      string
	By          actor
}

func (b *Bot) answerOneQuestion(ctx context.Context, req oneAnswerRequest) error {
	text, err := actionText(req.Answer, "answer")
	if err != nil {
		return err
	}
	now := b.clock.Now()
	return b.store.Transact(ctx, func(tx *storage.Storage) error {
		if err := remember(ctx, tx, req.DeliveryID, now); err != nil {
			return err
		}
		rv, err := revealedForChange(ctx, tx, req.RoundID, req.WorkspaceID, "")
		if err != nil {
			return err
		}
		if err := mayManageRound(req.By, rv.Round, rv.Respondents, "perm.one_answer"); err != nil {
			return err
		}
		if _, err := tx.SetOneAnswer(ctx, rv.Round.ID, text, req.By.ID, now); err != nil {
			return err
		}
		return b.gapChanged(ctx, tx, rv, render.NoteOneAnswer(render.RoundLang(rv.Round), rv.Instrument, req.By.ID, text), nil, now)
	})
}
