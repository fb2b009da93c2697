package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/alignbot/alignbot/bot/render"
	"github.com/alignbot/alignbot/internal/locale"
	"github.com/alignbot/alignbot/scoring"
	"github.com/alignbot/alignbot/storage"
)

// A flow is one thing a person does (start a round, answer, assign an
// owner): one database transaction that checks who may, changes state and
// enqueues the messages that change causes. Flows know nothing of Slack's
// payloads; handlers translate.

// How much one person may set in motion: rounds started a day, and rounds
// they are reminded about at once.
const (
	maxStartsPerDay  = 10
	maxNudgedRounds  = 3
	startsPerDayText = "10"
)

// remember records a Slack delivery inside the flow's transaction, so a
// redelivered envelope is recognised and a failed one is not.
func remember(ctx context.Context, tx *storage.Storage, deliveryID string, now time.Time) error {
	if deliveryID == "" {
		return nil
	}
	dup, err := tx.RememberDelivery(ctx, deliveryID, now)
	if err != nil {
		return err
	}
	if dup {
		return errDuplicate
	}
	return nil
}

// startRequest is a facilitator asking for a round.
type startRequest struct {
	DeliveryID  string
	WorkspaceID string
	ChannelID   string
	Facilitator string
	Instrument  *scoring.Instrument
	People      map[scoring.Role]string
	// Language of the round's channel messages.
	Language locale.Lang
}

// startRound creates the round and enqueues its announcement, the
// respondents' questionnaires, their first reminders and the deadline.
func (b *Bot) startRound(ctx context.Context, req startRequest) (storage.Round, error) {
	in := req.Instrument
	now := b.clock.Now()
	var round storage.Round
	err := b.store.Transact(ctx, func(tx *storage.Storage) error {
		if err := remember(ctx, tx, req.DeliveryID, now); err != nil {
			return err
		}
		started, err := tx.RoundsStartedSince(ctx, req.WorkspaceID, req.Facilitator, now.Add(-24*time.Hour))
		if err != nil {
			return err
		}
		if started >= maxStartsPerDay {
			return userErr("round.too_many", "Count", started)
		}
		var roles []scoring.Role
		for _, r := range in.Roles {
			roles = append(roles, r.Role)
		}
		round, err = tx.StartRound(ctx, storage.NewRound{
			WorkspaceID:   req.WorkspaceID,
			ChannelID:     req.ChannelID,
			Instrument:    in.ID,
			FacilitatorID: req.Facilitator,
			Respondents:   req.People,
			Roles:         roles,
			DeadlineAt:    now.Add(b.cfg.Deadline),
			CreatedAt:     now,
			Language:      string(req.Language.OrEnglish()),
		})
		if err != nil {
			return err
		}
		jobs := []storage.NewJob{newJob(jobAnnounce, round.ID, jobPayload{}, now), b.deadlineJob(round.ID, round.DeadlineAt)}
		users := []string{req.Facilitator}
		for _, role := range roles {
			user, ok := req.People[role]
			if !ok {
				continue
			}
			users = append(users, user)
			// The people answering wait for their questionnaire: it goes
			// ahead of announcements (jobs run by run_at), even when a
			// hundred rounds start at once.
			jobs = append(jobs, newJob(jobQuestionnaire, round.ID, jobPayload{Role: role}, now.Add(-time.Minute)))
			if first := now.Add(b.cfg.NudgeAfter); first.Before(round.DeadlineAt) {
				jobs = append(jobs, newJob(jobNudge, round.ID, jobPayload{Role: role, N: 1}, first))
			}
		}
		if _, err := tx.Enqueue(ctx, jobs...); err != nil {
			return err
		}
		return b.refreshHomes(ctx, tx, req.WorkspaceID, users, now)
	})
	switch {
	case errors.Is(err, storage.ErrRoundCollecting):
		return storage.Round{}, userErr("round.collecting", "Channel", render.ChannelRef(req.ChannelID))
	case errors.Is(err, storage.ErrSamePerson):
		return storage.Round{}, userErr("round.same_person")
	case err != nil:
		return storage.Round{}, err
	}
	b.log.Info("round started", slog.Int64("round_id", round.ID), slog.String("team_id", req.WorkspaceID),
		slog.String("channel_id", req.ChannelID), slog.String("user_id", req.Facilitator), slog.String("instrument", in.ID), slog.String("language", string(req.Language.OrEnglish())))
	return round, nil
}

func (b *Bot) deadlineJob(roundID int64, deadline time.Time) storage.NewJob {
	return newJob(jobDeadline, roundID, jobPayload{Step: fmt.Sprint(deadline.Unix())}, deadline)
}

// progressJob updates the round's announcement; a burst of changes costs
// one update, since each run renders the latest state and drops itself when
// a newer one is queued.
func progressJob(roundID int64, now time.Time) storage.NewJob {
	j := newJob(jobProgress, roundID, jobPayload{Step: changeKey()}, now)
	j.Live = announceKey(roundID)
	return j
}

// cardJob re-renders a respondent's questionnaire from the database.
func cardJob(roundID int64, role scoring.Role, now time.Time) storage.NewJob {
	j := newJob(jobCard, roundID, jobPayload{Role: role, Step: changeKey()}, now)
	j.Live = cardKey(roundID, role)
	return j
}

// collectingRound finds the channel's round collecting answers and locks it.
func collectingRound(ctx context.Context, tx *storage.Storage, workspaceID, channelID string) (storage.Round, []storage.Respondent, error) {
	round, err := tx.CollectingRound(ctx, workspaceID, channelID)
	if errors.Is(err, storage.ErrNotFound) {
		return storage.Round{}, nil, userErr("round.none_collecting", "Channel", render.ChannelRef(channelID))
	}
	if err != nil {
		return storage.Round{}, nil, err
	}
	if round, err = tx.LockRound(ctx, round.ID); err != nil {
		return storage.Round{}, nil, err
	}
	if round.State != storage.Collecting {
		return storage.Round{}, nil, userErr("round.just_ended")
	}
	respondents, err := tx.Respondents(ctx, round.ID)
	return round, respondents, err
}

// cancelRound cancels the channel's collecting round.
func (b *Bot) cancelRound(ctx context.Context, deliveryID, workspaceID, channelID string, a actor) (storage.Round, error) {
	now := b.clock.Now()
	var round storage.Round
	err := b.store.Transact(ctx, func(tx *storage.Storage) error {
		if err := remember(ctx, tx, deliveryID, now); err != nil {
			return err
		}
		var respondents []storage.Respondent
		var err error
		if round, respondents, err = collectingRound(ctx, tx, workspaceID, channelID); err != nil {
			return err
		}
		if err := mayCancel(a, round); err != nil {
			return err
		}
		if _, err := tx.CancelRound(ctx, round.ID, a.ID, now); err != nil {
			return err
		}
		jobs := []storage.NewJob{progressJob(round.ID, now)}
		users := []string{round.FacilitatorID}
		for _, r := range respondents {
			jobs = append(jobs, cardJob(round.ID, r.Role, now))
			users = append(users, r.UserID)
		}
		if _, err := tx.Enqueue(ctx, jobs...); err != nil {
			return err
		}
		return b.refreshHomes(ctx, tx, workspaceID, users, now)
	})
	if err != nil {
		return storage.Round{}, err
	}
	b.log.Info("round cancelled", slog.Int64("round_id", round.ID), slog.String("user_id", a.ID))
	return round, nil
}

// extendRound gives the respondents of the channel's collecting round more
// time; the new deadline is computed by the database, so two extends at once
// both count.
func (b *Bot) extendRound(ctx context.Context, deliveryID, workspaceID, channelID string, a actor, by time.Duration) (storage.Round, error) {
	now := b.clock.Now()
	var round storage.Round
	err := b.store.Transact(ctx, func(tx *storage.Storage) error {
		if err := remember(ctx, tx, deliveryID, now); err != nil {
			return err
		}
		var respondents []storage.Respondent
		var err error
		if round, respondents, err = collectingRound(ctx, tx, workspaceID, channelID); err != nil {
			return err
		}
		if err := mayManageRound(a, round, respondents, "perm.extend"); err != nil {
			return err
		}
		if round.DeadlineAt, err = tx.ExtendDeadline(ctx, round.ID, by, now); err != nil {
			return err
		}
		jobs := []storage.NewJob{b.deadlineJob(round.ID, round.DeadlineAt), progressJob(round.ID, now)}
		// Reminders stop at a deadline; the new one brings one more.
		if next := now.Add(b.cfg.NudgeAfter); next.Before(round.DeadlineAt) {
			for _, r := range respondents {
				if r.Pending() {
					jobs = append(jobs, newJob(jobNudge, round.ID, jobPayload{Role: r.Role, Step: "extended-" + fmt.Sprint(round.DeadlineAt.Unix())}, next))
				}
			}
		}
		_, err = tx.Enqueue(ctx, jobs...)
		return err
	})
	return round, err
}

// declineRound records that a respondent will not answer. The facilitator
// is told; if the others are all in, the round is revealed without them (a
// lead's decline leaves it waiting: never a one-sided comparison).
func (b *Bot) declineRound(ctx context.Context, deliveryID string, slot render.Slot, userID, where string) (storage.Questionnaire, *storage.LiveSend, error) {
	now := b.clock.Now()
	var q storage.Questionnaire
	var turn *storage.LiveSend
	err := b.store.Transact(ctx, func(tx *storage.Storage) error {
		if err := remember(ctx, tx, deliveryID, now); err != nil {
			return err
		}
		round, r, err := tx.Decline(ctx, slot.Round, userID, now)
		if err != nil {
			return err
		}
		if r.Role != slot.Role || (r.DMChannelID != "" && where != r.DMChannelID) {
			return errTampered
		}
		q = storage.Questionnaire{Round: round, Respondent: r}
		jobs := []storage.NewJob{
			newJob(jobDeclined, round.ID, jobPayload{Role: r.Role}, now),
			progressJob(round.ID, now),
			cardJob(round.ID, r.Role, now),
		}
		if _, err := tx.Enqueue(ctx, jobs...); err != nil {
			return err
		}
		in, err := instrumentOf(round)
		if err != nil {
			return err
		}
		if _, err := b.claimReveal(ctx, tx, round, in, false, now); err != nil {
			return err
		}
		if turn, err = b.changeLive(ctx, tx, cardKey(round.ID, r.Role), cardView{}); err != nil {
			return err
		}
		return b.refreshHomes(ctx, tx, round.WorkspaceID, []string{userID, round.FacilitatorID}, now)
	})
	return q, turn, err
}

// refreshHomes republishes the App Home of those of users who have opened
// it, after a change that shows there.
func (b *Bot) refreshHomes(ctx context.Context, tx *storage.Storage, workspaceID string, users []string, now time.Time) error {
	opened, err := tx.HomeUsers(ctx, workspaceID, users)
	if err != nil || len(opened) == 0 {
		return err
	}
	var jobs []storage.NewJob
	for _, u := range opened {
		jobs = append(jobs, homeJob(workspaceID, u, now))
	}
	_, err = tx.Enqueue(ctx, jobs...)
	return err
}

// homeJob publishes a person's App Home; a burst of changes publishes once.
func homeJob(workspaceID, userID string, now time.Time) storage.NewJob {
	p := jobPayload{Workspace: workspaceID, UserID: userID, Step: changeKey()}
	return storage.NewJob{Key: homeKeyPrefix(workspaceID, userID) + p.Step, Kind: jobHome, Payload: p, RunAt: now,
		Live: homeKey(workspaceID, userID)}
}

func homeKeyPrefix(workspaceID, userID string) string {
	return fmt.Sprintf("%s:%s:%s:", jobHome, workspaceID, userID)
}
