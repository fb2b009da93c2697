package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/alignbot/alignbot/scoring"
	"github.com/alignbot/alignbot/storage"
)

// A flow is one thing a person does (start a round, answer, submit, cancel):
// one database transaction that changes state and enqueues the messages that
// change causes. Flows know nothing of Slack's payloads; handlers translate.

// errDuplicate marks a delivery already handled: the handler stays silent.
var errDuplicate = errors.New("duplicate delivery")

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
	People      map[scoring.Role]string
}

// startRound creates the round and enqueues its announcement and the
// respondents' questionnaires and reminders.
func (b *Bot) startRound(ctx context.Context, req startRequest) (storage.Round, error) {
	now := b.clock.Now()
	var round storage.Round
	err := b.store.Transact(ctx, func(tx *storage.Storage) error {
		if err := remember(ctx, tx, req.DeliveryID, now); err != nil {
			return err
		}
		var err error
		round, err = tx.StartRound(ctx, storage.NewRound{
			WorkspaceID:   req.WorkspaceID,
			ChannelID:     req.ChannelID,
			Instrument:    b.in.ID,
			FacilitatorID: req.Facilitator,
			Respondents:   req.People,
			DeadlineAt:    now.Add(b.cfg.Deadline),
			CreatedAt:     now,
		})
		if err != nil {
			return err
		}
		jobs := []storage.NewJob{b.job(jobAnnounce, round.ID, jobPayload{}, now)}
		for _, role := range scoring.Roles {
			if _, ok := req.People[role]; !ok {
				continue
			}
			jobs = append(jobs, b.job(jobQuestionnaire, round.ID, jobPayload{Role: role}, now))
		}
		jobs = append(jobs, b.collectingSchedule(round, req.People, now)...)
		_, err = tx.Enqueue(ctx, jobs...)
		return err
	})
	switch {
	case errors.Is(err, storage.ErrRoundCollecting):
		return storage.Round{}, userErrorf("A round is already collecting answers in %s. See `/alignment status`, or `/alignment cancel` it first.", channelRef(req.ChannelID))
	case errors.Is(err, storage.ErrSamePerson):
		return storage.Round{}, userErrorf("Each role needs a different person: the diagnostic compares independent answers.")
	case err != nil:
		return storage.Round{}, err
	}
	b.Wake()
	b.log.Info("round started", slog.Int64("round_id", round.ID), slog.String("team_id", req.WorkspaceID),
		slog.String("channel_id", req.ChannelID), slog.String("user_id", req.Facilitator))
	return round, nil
}

// answerRequest is a respondent clicking a score on a card.
type answerRequest struct {
	DeliveryID string
	RoundID    int64
	// Role is the role of the card clicked: it must be the clicker's.
	Role     scoring.Role
	UserID   string
	Question string
	Score    int
}

// answer records a score. One click, one transaction.
func (b *Bot) answer(ctx context.Context, req answerRequest) error {
	if err := b.in.CheckScore(req.Question, req.Score); err != nil {
		return errTampered
	}
	now := b.clock.Now()
	err := b.store.Transact(ctx, func(tx *storage.Storage) error {
		if err := remember(ctx, tx, req.DeliveryID, now); err != nil {
			return err
		}
		if _, err := tx.RecordAnswer(ctx, req.RoundID, req.Role, req.UserID, req.Question, req.Score, now); err != nil {
			return err
		}
		// The channel learns that this respondent has started, never what
		// they answered. The key makes it one update however many clicks.
		_, err := tx.Enqueue(ctx, b.job(jobProgress, req.RoundID, jobPayload{Role: req.Role, Step: "answering"}, now))
		return err
	})
	if err != nil {
		return b.explainRoundError(ctx, req.RoundID, req.UserID, err)
	}
	b.Wake()
	return nil
}

// errTampered is a payload that no button of ours could have sent.
var errTampered = userError{msg: "That button doesn't match any question I asked. Nothing was changed; use the buttons on your latest questionnaire."}

// explainRoundError turns storage's refusals into what the person should
// know.
func (b *Bot) explainRoundError(ctx context.Context, roundID int64, userID string, err error) error {
	switch {
	case errors.Is(err, storage.ErrNotRespondent):
		round, rerr := b.store.Round(ctx, roundID)
		if rerr != nil {
			return errTampered
		}
		return userErrorf("This questionnaire belongs to someone else in the round for %s: only the person it was sent to can answer it. Nothing was changed.", channelRef(round.ChannelID))
	case errors.Is(err, storage.ErrNotFound):
		return errTampered
	case errors.Is(err, storage.ErrSubmitted):
		return userErrorf("You've already submitted: your answers are locked. Nothing was changed.")
	case errors.Is(err, storage.ErrNotCollecting):
		round, rerr := b.store.Round(ctx, roundID)
		if rerr == nil && round.State == storage.Cancelled {
			return userErrorf("This round was cancelled, so it no longer takes answers. Nothing was changed.")
		}
		return userErrorf("This round is already revealed: answers are final. Nothing was changed.")
	}
	return err
}

// submitOutcome is what a submit did.
type submitOutcome struct {
	Respondent storage.Respondent
	Revealing  bool
}

// submit locks a respondent's answers; the last submit of a round claims its
// reveal, in the same transaction that enqueues the reveal post, so the
// reveal is posted once whatever happens after the commit.
func (b *Bot) submit(ctx context.Context, deliveryID string, roundID int64, userID string) (submitOutcome, error) {
	now := b.clock.Now()
	var out submitOutcome
	err := b.store.Transact(ctx, func(tx *storage.Storage) error {
		out = submitOutcome{}
		if err := remember(ctx, tx, deliveryID, now); err != nil {
			return err
		}
		res, err := tx.Submit(ctx, roundID, userID, b.questionIDs(), now)
		if errors.Is(err, storage.ErrIncomplete) {
			return userErrorf("Answer %s first: every question needs a score before you can submit.", joinAnd(res.Unanswered))
		}
		if err != nil {
			return err
		}
		out.Respondent = res.Respondent
		if !res.AlreadySubmitted {
			if _, err := tx.Enqueue(ctx, b.job(jobProgress, roundID, jobPayload{Role: res.Respondent.Role, Step: "submitted"}, now)); err != nil {
				return err
			}
		}
		round, err := tx.Round(ctx, roundID)
		if err != nil {
			return err
		}
		// Past the deadline both leads suffice: the observer's answers are
		// not waited for once time is up.
		if pastDeadline := !now.Before(round.DeadlineAt); res.Complete || pastDeadline {
			out.Revealing, err = b.claimReveal(ctx, tx, roundID, !res.Complete, now)
		}
		return err
	})
	if err != nil {
		var ue userError
		if errors.As(err, &ue) || errors.Is(err, errDuplicate) {
			return out, err
		}
		return out, b.explainRoundError(ctx, roundID, userID, err)
	}
	b.Wake()
	b.log.Info("respondent submitted", slog.Int64("round_id", roundID), slog.String("user_id", userID))
	if out.Revealing {
		b.log.Info("reveal claimed", slog.Int64("round_id", roundID))
	}
	return out, nil
}

// claimReveal moves the round to revealed and enqueues the reveal, inside
// the caller's transaction. Exactly one caller ever gets true.
func (b *Bot) claimReveal(ctx context.Context, tx *storage.Storage, roundID int64, leadsSuffice bool, now time.Time) (bool, error) {
	won, err := tx.ClaimReveal(ctx, roundID, leadsSuffice, now)
	if err != nil || !won {
		return false, err
	}
	// What is already being addressed is fixed at the reveal.
	if err := tx.SnapshotAddressed(ctx, roundID, now); err != nil {
		return false, err
	}
	// Reminders for answering are pointless now.
	if _, err := tx.CancelJobs(ctx, roundID, jobNudgeRespondent, jobDeadline); err != nil {
		return false, err
	}
	_, err = tx.Enqueue(ctx,
		b.job(jobReveal, roundID, jobPayload{}, now),
		b.job(jobProgress, roundID, jobPayload{Step: "revealed"}, now),
	)
	return true, err
}

// cancelRound cancels the channel's collecting round for its facilitator or
// an admin.
func (b *Bot) cancelRound(ctx context.Context, workspaceID, channelID, userID string) (storage.Round, error) {
	round, err := b.store.CollectingRound(ctx, workspaceID, channelID)
	if errors.Is(err, storage.ErrNotFound) {
		return storage.Round{}, userErrorf("No round is collecting answers in %s, so there is nothing to cancel.", channelRef(channelID))
	}
	if err != nil {
		return storage.Round{}, err
	}
	if err := b.mayManage(ctx, userID, round.FacilitatorID, "cancel"); err != nil {
		return storage.Round{}, err
	}
	now := b.clock.Now()
	err = b.store.Transact(ctx, func(tx *storage.Storage) error {
		ok, err := tx.CancelRound(ctx, round.ID, userID, now)
		if err != nil {
			return err
		}
		if !ok {
			return userErrorf("That round has just been revealed or cancelled; nothing to cancel.")
		}
		respondents, err := tx.Respondents(ctx, round.ID)
		if err != nil {
			return err
		}
		jobs := []storage.NewJob{b.job(jobProgress, round.ID, jobPayload{Step: "cancelled"}, now)}
		for _, r := range respondents {
			jobs = append(jobs, b.job(jobCard, round.ID, jobPayload{Role: r.Role, Step: "cancelled"}, now))
		}
		_, err = tx.Enqueue(ctx, jobs...)
		return err
	})
	if err != nil {
		return storage.Round{}, err
	}
	b.Wake()
	b.log.Info("round cancelled", slog.Int64("round_id", round.ID), slog.String("user_id", userID))
	return round, nil
}

func (b *Bot) questionIDs() []string {
	ids := make([]string, len(b.in.Questions))
	for i, q := range b.in.Questions {
		ids[i] = q.ID
	}
	return ids
}

// parseRoundID reads a round ID from a button value or block ID.
func parseRoundID(s string) (int64, error) {
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return 0, fmt.Errorf("round id %q: %w", s, errTampered)
	}
	return id, nil
}
