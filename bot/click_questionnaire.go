package bot

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/alignbot/alignbot/bot/render"
	"github.com/alignbot/alignbot/scoring"
	"github.com/alignbot/alignbot/storage"
)

// Clicks on a respondent's questionnaire in their DM: a score, a guess of
// the other lead's score, opening a question again, Submit, "Not me", and
// "Continue" on a reminder. Each answers by rewriting the clicked message
// through the click's response_url.

// clickTime is when the person clicked, from Slack's action_ts; the bot's
// clock when Slack gave none.
func (b *Bot) clickTime(a *slack.BlockAction) time.Time {
	secs, frac, _ := strings.Cut(a.ActionTs, ".")
	s, err := strconv.ParseInt(secs, 10, 64)
	if err != nil || s <= 0 {
		return b.clock.Now()
	}
	micros, _ := strconv.ParseInt((frac + "000000")[:6], 10, 64)
	return time.Unix(s, micros*1000)
}

// clickScore records a score (or a guess) and shows the next question.
func (b *Bot) clickScore(ctx context.Context, envelopeID string, cb slack.InteractionCallback, a *slack.BlockAction, predicting bool, log *slog.Logger) {
	prefix, blockPrefix := render.ActionAnswer, render.BlockAnswerPrefix
	if predicting {
		prefix, blockPrefix = render.ActionPredict, render.BlockPredictPrefix
	}
	slot, err := render.ParseSlot(strings.TrimPrefix(a.BlockID, blockPrefix))
	if err != nil || !strings.HasPrefix(a.BlockID, blockPrefix) || slot.Question == "" {
		b.reply(ctx, cb.ResponseURL, log, errTampered, "")
		return
	}
	score, err := render.ParseScoreAction(prefix, a.ActionID, a.Value)
	if err != nil {
		b.reply(ctx, cb.ResponseURL, log, errTampered, "")
		return
	}
	log = log.With(slog.Int64("round_id", slot.Round))
	// After an answer, the first question still unanswered opens. Guesses
	// go in order, skipped ones included, and end after the last question.
	var view cardView
	if predicting {
		in, err := b.instrumentOfClick(ctx, slot.Round)
		if err != nil {
			b.reply(ctx, cb.ResponseURL, log, err, "")
			return
		}
		view.Open = nextQuestion(in, slot.Question)
		view.Predicting = view.Open != ""
	}
	q, err := b.answer(ctx, scoreClick{
		DeliveryID: envelopeID, Slot: slot, UserID: cb.User.ID, WorkspaceID: cb.Team.ID,
		Channel: cb.Container.ChannelID, Score: score, At: b.clickTime(a),
	}, predicting, view)
	if err != nil {
		b.reply(ctx, cb.ResponseURL, log, err, "")
		return
	}
	b.showCard(ctx, cb, q, log)
}

// turnTaken is logged when a click leaves its change to the sender that has
// the message's turn.
const turnTaken = "the message's turn is taken; its sender shows this change too"

// nextQuestion is the question after id in the instrument, "" after the
// last.
func nextQuestion(in *scoring.Instrument, id string) string {
	if i := in.QuestionIndex(id); i >= 0 && i+1 < len(in.Questions) {
		return in.Questions[i+1].ID
	}
	return ""
}

// showCard rewrites the clicked questionnaire with what the click's
// statement returned, when that statement took the questionnaire's turn
// and nothing else changed it meanwhile; otherwise with the questionnaire
// read anew. When another sender has the turn, it shows this click too.
// If Slack refuses both the response_url and chat.update, a job brings the
// message up to date later.
func (b *Bot) showCard(ctx context.Context, cb slack.InteractionCallback, q storage.Questionnaire, log *slog.Logger) {
	if !q.LiveLeased {
		log.Debug(turnTaken, slog.String("live", q.Live.Key))
		b.leaveToSender(ctx, q.Live.Key, q.Live.Revision)
		return
	}
	var first *liveState
	if in, err := instrumentOf(q.Round); err == nil && q.LiveCurrent {
		var v cardView
		unmarshal(string(q.Live.View), &v)
		view := render.NewQuestionnaire(in, q, b.links())
		// Only the respondent clicks their questionnaire: it speaks their
		// language.
		view.Open, view.Predicting, view.Lang = v.Open, v.Predicting, readerLang(ctx)
		first = &liveState{Channel: q.Respondent.DMChannelID, TS: q.Respondent.QuestionnaireTS, Msg: render.RenderQuestionnaire(view)}
	}
	b.showLive(ctx, cb, &q.Live, first, cardJob(q.Round.ID, q.Respondent.Role, b.clock.Now()), log)
}

// showTurn shows a questionnaire whose change (turn, nil when another
// sender has the turn) is committed.
func (b *Bot) showTurn(ctx context.Context, cb slack.InteractionCallback, turn *storage.LiveSend, roundID int64, role scoring.Role, log *slog.Logger) {
	if turn == nil {
		log.Debug(turnTaken, slog.String("live", cardKey(roundID, role)))
		return
	}
	b.showLive(ctx, cb, turn, nil, cardJob(roundID, role, b.clock.Now()), log)
}

// ownQuestionnaire reads the clicker's questionnaire for a click that
// changes nothing (opening a question, starting to guess), named by the
// button's value. It replies with the refusal to a click from anywhere but
// their DM, or a value that names nothing they answer.
func (b *Bot) ownQuestionnaire(ctx context.Context, cb slack.InteractionCallback, a *slack.BlockAction, log *slog.Logger) (render.Slot, storage.Questionnaire, bool) {
	slot, err := render.ParseSlot(a.Value)
	var q storage.Questionnaire
	if err == nil {
		q, err = b.store.OwnQuestionnaire(ctx, slot.Round, cb.User.ID)
		err = explainRefusal(err)
	}
	if err == nil && q.Respondent.Role != slot.Role {
		err = errTampered
	}
	if err == nil {
		err = bound(q, cb.Team.ID, cb.Container.ChannelID)
	}
	if err != nil {
		if errors.Is(err, render.ErrTampered) {
			err = errTampered
		}
		b.reply(ctx, cb.ResponseURL, log, err, "")
		return render.Slot{}, storage.Questionnaire{}, false
	}
	return slot, q, true
}

// clickOpen opens a question again (Change), starts or ends the optional
// pass of guessing the other lead's answers.
func (b *Bot) clickOpen(ctx context.Context, cb slack.InteractionCallback, a *slack.BlockAction, log *slog.Logger) {
	slot, q, ok := b.ownQuestionnaire(ctx, cb, a, log)
	if !ok {
		return
	}
	if q.Respondent.Submitted() || q.Round.State != storage.Collecting {
		b.reply(ctx, cb.ResponseURL, log, explainRefusal(&storage.RoundError{Round: q.Round, Err: refusalOf(q)}), "")
		return
	}
	predicting := a.ActionID == render.ActionPredictStart
	if predicting && !slot.Role.IsLead() {
		b.reply(ctx, cb.ResponseURL, log, errTampered, "")
		return
	}
	open := slot.Question
	if predicting && open == "" {
		// The guessing pass goes through the questions from the first.
		if in, err := instrumentOf(q.Round); err == nil {
			open = in.Questions[0].ID
		}
	}
	turn, err := b.changeLive(ctx, b.store, cardKey(q.Round.ID, q.Respondent.Role), cardView{Open: open, Predicting: predicting})
	if err != nil {
		b.reply(ctx, cb.ResponseURL, log, err, "")
		return
	}
	b.showTurn(ctx, cb, turn, q.Round.ID, q.Respondent.Role, log)
}

// refusalOf says why a questionnaire no longer takes clicks.
func refusalOf(q storage.Questionnaire) error {
	switch {
	case q.Respondent.Submitted():
		return storage.ErrSubmitted
	case q.Respondent.Declined():
		return storage.ErrDeclined
	}
	return storage.ErrNotCollecting
}

// clickContinue turns a reminder into the questionnaire, where the
// respondent left off; the older copy is replaced by a pointer to it.
func (b *Bot) clickContinue(ctx context.Context, cb slack.InteractionCallback, a *slack.BlockAction, log *slog.Logger) {
	_, q, ok := b.ownQuestionnaire(ctx, cb, a, log)
	if !ok {
		return
	}
	key := cardKey(q.Round.ID, q.Respondent.Role)
	now := b.clock.Now()
	var turn *storage.LiveSend
	err := b.store.Transact(ctx, func(tx *storage.Storage) error {
		if q.Respondent.Pending() && q.Round.State == storage.Collecting {
			previous, err := tx.SetQuestionnaire(ctx, q.Round.ID, q.Respondent.Role, cb.Container.ChannelID, cb.Container.MessageTs)
			if err != nil {
				return err
			}
			if _, err := tx.SetNudge(ctx, q.Round.ID, q.Respondent.Role, "", ""); err != nil {
				return err
			}
			if previous != "" {
				if _, err := tx.Enqueue(ctx, newJob(jobRetire, q.Round.ID, jobPayload{Role: q.Respondent.Role, Channel: cb.Container.ChannelID,
					TS: previous, Stub: stubQuestionnaireMoved, Step: changeKey()}, now)); err != nil {
					return err
				}
			}
			// The App Home links to where the questionnaire is now.
			if err := b.refreshHomes(ctx, tx, q.Round.WorkspaceID, []string{q.Respondent.UserID}, now); err != nil {
				return err
			}
		}
		var err error
		turn, err = b.changeLive(ctx, tx, key, cardView{})
		return err
	})
	if err != nil {
		log.Error("moving the questionnaire failed", slog.Any("error", err))
		b.reply(ctx, cb.ResponseURL, log, err, "")
		return
	}
	b.showTurn(ctx, cb, turn, q.Round.ID, q.Respondent.Role, log)
}

// submitWait is how long a Submit that finds answers missing waits for the
// person's clicks still on their way (handled by another replica) before it
// refuses.
const submitWait = 2 * time.Second

func (b *Bot) clickSubmit(ctx context.Context, envelopeID string, cb slack.InteractionCallback, a *slack.BlockAction, log *slog.Logger) {
	roundID, err := render.ParseRound(a.Value)
	if err != nil {
		b.reply(ctx, cb.ResponseURL, log, errTampered, "")
		return
	}
	log = log.With(slog.Int64("round_id", roundID))
	deadline := time.Now().Add(submitWait)
	var q storage.Questionnaire
	var turn *storage.LiveSend
	for {
		q, turn, _, err = b.submit(ctx, envelopeID, roundID, cb.User.ID, cb.Team.ID, cb.Container.ChannelID)
		var inc errIncomplete
		if !errors.As(err, &inc) || time.Now().After(deadline) {
			break
		}
		t := time.NewTimer(100 * time.Millisecond)
		select {
		case <-ctx.Done():
			t.Stop()
			b.reply(ctx, cb.ResponseURL, log, err, "")
			return
		case <-t.C:
		}
	}
	var inc errIncomplete
	if errors.As(err, &inc) {
		b.reply(ctx, cb.ResponseURL, log, inc.refusal(), "")
		return
	}
	if err != nil {
		b.reply(ctx, cb.ResponseURL, log, err, "")
		return
	}
	if q.Live.Key != "" {
		// The submit's statement returned the card's revision.
		b.showCard(ctx, cb, q, log)
		return
	}
	b.showTurn(ctx, cb, turn, q.Round.ID, q.Respondent.Role, log)
}

func (b *Bot) clickDecline(ctx context.Context, envelopeID string, cb slack.InteractionCallback, a *slack.BlockAction, log *slog.Logger) {
	slot, err := render.ParseSlot(a.Value)
	if err != nil || slot.Question != "" {
		b.reply(ctx, cb.ResponseURL, log, errTampered, "")
		return
	}
	q, turn, err := b.declineRound(ctx, envelopeID, slot, cb.User.ID, cb.Container.ChannelID)
	if err != nil {
		b.reply(ctx, cb.ResponseURL, log, explainRefusal(err), "")
		return
	}
	b.showTurn(ctx, cb, turn, q.Round.ID, q.Respondent.Role, log)
}
