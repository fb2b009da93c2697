package bot

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"time"

	"github.com/alignbot/alignbot/bot/render"
	"github.com/alignbot/alignbot/internal/report"
	"github.com/alignbot/alignbot/scoring"
	"github.com/alignbot/alignbot/storage"
)

func instrumentOf(round storage.Round) (*scoring.Instrument, error) { return report.Instrument(round) }

// scoreClick is a respondent choosing a score on their questionnaire.
type scoreClick struct {
	DeliveryID string
	Slot       render.Slot
	UserID     string
	// WorkspaceID and Channel are where the click came from: the round's
	// workspace and the respondent's DM, or it is refused as tampered.
	WorkspaceID string
	Channel     string
	Score       int
	// At is when the person clicked, as Slack reports it.
	At time.Time
}

// answer records a respondent's score (or, predicting, their guess of the
// other lead's) and returns their questionnaire as it now stands. One click,
// one database statement: it checks the click, remembers the delivery,
// stores the score and, on the first answer, enqueues the channel's update.
func (b *Bot) answer(ctx context.Context, c scoreClick, predicting bool, view cardView) (storage.Questionnaire, error) {
	in, err := b.instrumentOfClick(ctx, c.Slot.Round)
	if err != nil {
		return storage.Questionnaire{}, err
	}
	if err := in.CheckScore(c.Slot.Question, c.Score); err != nil || (predicting && !c.Slot.Role.IsLead()) {
		return storage.Questionnaire{}, errTampered
	}
	now := b.clock.Now()
	q, err := b.store.RecordClick(ctx,
		storage.Click{RoundID: c.Slot.Round, Role: c.Slot.Role, UserID: c.UserID, Question: c.Slot.Question, Score: c.Score, At: c.At},
		predicting,
		storage.ClickOptions{DeliveryID: c.DeliveryID, WorkspaceID: c.WorkspaceID, Channel: c.Channel,
			OnStart: []storage.NewJob{progressJob(c.Slot.Round, now)},
			Live:    cardKey(c.Slot.Round, c.Slot.Role), LiveView: json.RawMessage(marshal(view)), LiveToken: randomHex(12)})
	if err != nil {
		return storage.Questionnaire{}, explainRefusal(err)
	}
	if q.Started {
		// The first answer also shows on the App Homes of the respondent and
		// the facilitator, for those who opened theirs: a second, small
		// transaction on one click in ten, after the answer is safe.
		if err := b.refreshHomes(ctx, b.store, q.Round.WorkspaceID, []string{c.UserID, q.Round.FacilitatorID}, now); err != nil {
			b.log.Warn("queueing the App Home updates failed", slog.Int64("round_id", q.Round.ID), slog.Any("error", err))
		}
	}
	return q, nil
}

// instrumentOfClick returns the instrument of a round a click names.
func (b *Bot) instrumentOfClick(ctx context.Context, roundID int64) (*scoring.Instrument, error) {
	r, err := b.roundOfClick(ctx, roundID)
	if err != nil {
		return nil, err
	}
	return r.in, nil
}

// clickRound is what clicks need of their round that never changes once it
// has started: its instrument, facilitator and who answers in which role.
type clickRound struct {
	in          *scoring.Instrument
	facilitator string
	roles       map[string]scoring.Role
}

// roundOfClick returns what never changes of a round a click names, read
// once per replica: clicks that name a round while it is being read wait
// for that read (a round's first clicks come together, as its
// questionnaires do).
func (b *Bot) roundOfClick(ctx context.Context, roundID int64) (*clickRound, error) {
	v, ok := b.instruments.Load(roundID)
	if !ok {
		load := &clickRoundLoad{done: make(chan struct{})}
		if v, ok = b.instruments.LoadOrStore(roundID, load); !ok {
			load.r, load.err = b.readClickRound(ctx, roundID)
			if load.err != nil {
				b.instruments.CompareAndDelete(roundID, load)
			}
			close(load.done)
			return load.r, load.err
		}
	}
	load := v.(*clickRoundLoad)
	select {
	case <-load.done:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if load.err != nil {
		// The read failed for the click that made it (its context ended,
		// say): this click reads for itself.
		return b.readClickRound(ctx, roundID)
	}
	return load.r, nil
}

// clickRoundLoad is a round's clickRound, read or being read.
type clickRoundLoad struct {
	done chan struct{} // closed once r or err is set
	r    *clickRound
	err  error
}

// readClickRound reads what never changes of a round from the database.
func (b *Bot) readClickRound(ctx context.Context, roundID int64) (*clickRound, error) {
	round, err := b.store.Round(ctx, roundID)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, errTampered
	}
	if err != nil {
		return nil, err
	}
	in, err := instrumentOf(round)
	if err != nil {
		return nil, err
	}
	respondents, err := b.store.Respondents(ctx, roundID)
	if err != nil {
		return nil, err
	}
	r := &clickRound{in: in, facilitator: round.FacilitatorID, roles: map[string]scoring.Role{}}
	for _, p := range respondents {
		r.roles[p.UserID] = p.Role
	}
	return r, nil
}

// bound refuses a click on a questionnaire from anywhere but the
// respondent's own DM in the round's workspace: a button's value could be
// forged to name another round.
func bound(q storage.Questionnaire, workspaceID, channel string) error {
	if q.Round.WorkspaceID != workspaceID || (q.Respondent.DMChannelID != "" && channel != q.Respondent.DMChannelID) {
		return errTampered
	}
	return nil
}

// explainRefusal turns storage's refusals, which carry the round they
// concern, into what the person should know; no second read needed.
func explainRefusal(err error) error {
	var re *storage.RoundError
	switch {
	case errors.Is(err, storage.ErrDuplicate):
		return errDuplicate
	case errors.Is(err, storage.ErrTampered), errors.Is(err, storage.ErrNotFound):
		return errTampered
	case !errors.As(err, &re):
		return err
	}
	where := render.ChannelRef(re.Round.ChannelID)
	switch {
	case errors.Is(err, storage.ErrNotRespondent):
		return userErr("answer.not_yours", "Channel", where)
	case errors.Is(err, storage.ErrSubmitted):
		return userErr("answer.submitted")
	case errors.Is(err, storage.ErrDeclined):
		return userErr("answer.declined")
	case errors.Is(err, storage.ErrNotCollecting) && re.Round.State == storage.Cancelled:
		return userErr("answer.cancelled", "Channel", where)
	case errors.Is(err, storage.ErrNotCollecting):
		return userErr("answer.revealed", "Channel", where)
	}
	return err
}

// errIncomplete is a submit with questions unanswered: the handler may wait
// for the person's clicks still on their way before refusing.
type errIncomplete struct{ unanswered []string }

func (e errIncomplete) Error() string { return e.refusal().Error() }

// refusal is what the person reads.
func (e errIncomplete) refusal() error {
	return userErr("answer.incomplete", "Questions", andList(e.unanswered))
}

// submit locks a respondent's answers; the last submit of a round claims its
// reveal, in the same transaction that enqueues the reveal post, so the
// reveal is posted once whatever happens after the commit. Every other
// submit is one statement (submitAlone), and the questionnaire it returns
// carries its Live revision, so that the card can be shown from it (see
// showCard).
func (b *Bot) submit(ctx context.Context, deliveryID string, roundID int64, userID, workspaceID, channel string) (storage.Questionnaire, *storage.LiveSend, bool, error) {
	now := b.clock.Now()
	var q storage.Questionnaire
	var turn *storage.LiveSend
	var revealing bool
	// Outside the transaction: it may read the round on a connection of its
	// own.
	facts, err := b.roundOfClick(ctx, roundID)
	if err != nil {
		return storage.Questionnaire{}, nil, false, explainRefusal(err)
	}
	in := facts.in
	if role, ok := facts.roles[userID]; ok {
		q, err := b.submitAlone(ctx, deliveryID, roundID, userID, role, workspaceID, channel, facts, now)
		if !errors.Is(err, storage.ErrSubmitNeedsTransaction) {
			if err != nil || !q.LiveLeased {
				return q, nil, false, err
			}
			return q, &q.Live, false, nil
		}
	}
	err = b.store.Transact(ctx, func(tx *storage.Storage) error {
		if err := remember(ctx, tx, deliveryID, now); err != nil {
			return err
		}
		res, err := tx.Submit(ctx, roundID, userID, in.QuestionIDs(), now)
		if errors.Is(err, storage.ErrIncomplete) {
			return errIncomplete{unanswered: res.Unanswered}
		}
		if err != nil {
			return err
		}
		q = res.Questionnaire
		if err := bound(q, workspaceID, channel); err != nil {
			return err
		}
		// The questionnaire shows it is submitted, also to a second click.
		if res.AlreadySubmitted {
			turn, err = b.changeLive(ctx, tx, cardKey(roundID, q.Respondent.Role), cardView{})
			return err
		}
		if _, err := tx.Enqueue(ctx, progressJob(roundID, now)); err != nil {
			return err
		}
		// Past the deadline both leads suffice: the observer's answers are
		// not waited for once time is up.
		pastDeadline := !now.Before(res.Round.DeadlineAt)
		if res.Complete || pastDeadline {
			if revealing, err = b.claimReveal(ctx, tx, res.Round, in, !res.Complete, now); err != nil {
				return err
			}
		}
		// A reminder still on screen has served (the reveal's card job
		// retires it otherwise).
		if r := q.Respondent; r.NudgeTS != "" && !revealing {
			if _, err := tx.Enqueue(ctx, newJob(jobRetire, roundID, jobPayload{Role: r.Role, Channel: r.NudgeChannelID, TS: r.NudgeTS,
				Stub: stubNudgeSubmitted, Step: changeKey()}, now)); err != nil {
				return err
			}
		}
		if turn, err = b.changeLive(ctx, tx, cardKey(roundID, q.Respondent.Role), cardView{}); err != nil {
			return err
		}
		return b.refreshHomes(ctx, tx, res.Round.WorkspaceID, []string{userID, res.Round.FacilitatorID}, now)
	})
	if err != nil {
		var inc errIncomplete
		if errors.As(err, &inc) {
			return storage.Questionnaire{}, nil, false, inc
		}
		return storage.Questionnaire{}, nil, false, explainRefusal(err)
	}
	b.log.Info("respondent submitted", slog.Int64("round_id", roundID), slog.String("user_id", userID))
	if revealing {
		b.log.Info("reveal claimed", slog.Int64("round_id", roundID))
	}
	return q, turn, revealing, nil
}

// submitAlone is a submit that does not end the round's collecting, in one
// statement: every submit but the last of a round. It returns
// storage.ErrSubmitNeedsTransaction, having changed nothing, for the rest.
// The questionnaire it returns carries the card's turn (see showCard).
func (b *Bot) submitAlone(ctx context.Context, deliveryID string, roundID int64, userID string, role scoring.Role,
	workspaceID, channel string, facts *clickRound, now time.Time) (storage.Questionnaire, error) {
	homes := []storage.HomeJob{{UserID: userID, Job: homeJob(workspaceID, userID, now)}}
	if facts.facilitator != userID {
		homes = append(homes, storage.HomeJob{UserID: facts.facilitator, Job: homeJob(workspaceID, facts.facilitator, now)})
	}
	res, err := b.store.SubmitAlone(ctx, storage.SubmitRequest{RoundID: roundID, UserID: userID, Required: facts.in.QuestionIDs(), At: now,
		DeliveryID: deliveryID, WorkspaceID: workspaceID, Channel: channel,
		Jobs: []storage.NewJob{progressJob(roundID, now)}, Homes: homes, Live: cardKey(roundID, role), LiveToken: randomHex(12)})
	switch {
	case errors.Is(err, storage.ErrSubmitNeedsTransaction):
		return storage.Questionnaire{}, err
	case errors.Is(err, storage.ErrIncomplete):
		return storage.Questionnaire{}, errIncomplete{unanswered: res.Unanswered}
	case err != nil:
		return storage.Questionnaire{}, explainRefusal(err)
	}
	if !res.AlreadySubmitted {
		b.log.Info("respondent submitted", slog.Int64("round_id", roundID), slog.String("user_id", userID))
	}
	return res.Questionnaire, nil
}

// claimReveal moves the round to revealed and enqueues the reveal and
// everything that follows it, inside the caller's transaction. Exactly one
// caller ever gets true.
func (b *Bot) claimReveal(ctx context.Context, tx *storage.Storage, round storage.Round, in *scoring.Instrument, leadsSuffice bool, now time.Time) (bool, error) {
	won, err := tx.ClaimReveal(ctx, round.ID, scoring.Leads, leadsSuffice, now)
	if err != nil || !won {
		return false, err
	}
	// What is already being addressed is fixed at the reveal.
	if err := tx.SnapshotAddressed(ctx, round.ID, now); err != nil {
		return false, err
	}
	// Reminders to answer are pointless now.
	if _, err := tx.CancelJobs(ctx, round.ID, now, jobNudge, jobDeadline); err != nil {
		return false, err
	}
	reveal := newJob(jobReveal, round.ID, jobPayload{}, now)
	chart := afterReveal(newJob(jobChart, round.ID, jobPayload{}, now), round.ID)
	part := newJob(jobRevealPart, round.ID, jobPayload{N: 1}, now)
	part.After = chart.Key
	jobs := []storage.NewJob{reveal, chart, part, progressJob(round.ID, now)}
	respondents, err := tx.Respondents(ctx, round.ID)
	if err != nil {
		return false, err
	}
	users := []string{round.FacilitatorID}
	for _, r := range respondents {
		users = append(users, r.UserID)
		// Each questionnaire now links to the comparison, or says the round
		// went on without them.
		jobs = append(jobs, afterReveal(cardJob(round.ID, r.Role, now), round.ID))
	}
	if _, err := tx.Enqueue(ctx, jobs...); err != nil {
		return false, err
	}
	return true, b.refreshHomes(ctx, tx, round.WorkspaceID, users, now)
}
