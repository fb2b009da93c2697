package bot

import (
	"context"
	"errors"
	"fmt"

	"github.com/slack-go/slack"

	"github.com/alignbot/alignbot/storage"
)

// The jobs that carry a collecting round to Slack: its announcement, the
// questionnaires, and in-place updates of both.

func (b *Bot) roundStatus(ctx context.Context, roundID int64) (RoundStatus, error) {
	round, err := b.store.Round(ctx, roundID)
	if err != nil {
		return RoundStatus{}, err
	}
	respondents, err := b.store.Respondents(ctx, roundID)
	if err != nil {
		return RoundStatus{}, err
	}
	return RoundStatus{Instrument: b.in, Round: round, Respondents: respondents, CancelledBy: round.CancelledBy}, nil
}

func (b *Bot) runAnnounce(ctx context.Context, j storage.Job, _ jobPayload) (any, error) {
	status, err := b.roundStatus(ctx, *j.RoundID)
	if err != nil {
		return nil, err
	}
	if status.Round.AnnouncementTS != "" {
		return postResult{Channel: status.Round.ChannelID, TS: status.Round.AnnouncementTS}, nil
	}
	ts, err := b.postOnce(ctx, j, status.Round.ChannelID, "", renderAnnouncement(status))
	if err != nil {
		return nil, err
	}
	if _, err := b.store.SetAnnouncementTS(ctx, status.Round.ID, ts); err != nil {
		return nil, err
	}
	return postResult{Channel: status.Round.ChannelID, TS: ts}, nil
}

func (b *Bot) runProgress(ctx context.Context, j storage.Job, _ jobPayload) (any, error) {
	status, err := b.roundStatus(ctx, *j.RoundID)
	if err != nil {
		return nil, err
	}
	if status.Round.AnnouncementTS == "" {
		return nil, b.waitFor(ctx, jobPayload{}.key(jobAnnounce, status.Round.ID))
	}
	msg := renderAnnouncement(status)
	if _, _, _, err := b.api.UpdateMessageContext(ctx, status.Round.ChannelID, status.Round.AnnouncementTS, msg.options()...); err != nil {
		return nil, fmt.Errorf("update announcement: %w", err)
	}
	return nil, nil
}

// waitFor returns errNotYet while the job with the given key may still run,
// and drops the waiting job once it never will.
func (b *Bot) waitFor(ctx context.Context, key string) error {
	j, err := b.store.Job(ctx, key)
	if errors.Is(err, storage.ErrNotFound) {
		return dropJob("waited-for job " + key + " does not exist")
	}
	if err != nil {
		return err
	}
	switch j.State {
	case storage.JobPending, storage.JobDone:
		// Done but not yet visible to us, or still to run: try again shortly.
		return errNotYet
	}
	return dropJob("waited-for job " + key + " is " + string(j.State))
}

// questionnaire loads a respondent's own view of the round.
func (b *Bot) questionnaire(ctx context.Context, roundID int64, r storage.Respondent) (Questionnaire, error) {
	round, err := b.store.Round(ctx, roundID)
	if err != nil {
		return Questionnaire{}, err
	}
	answers, err := b.store.Answers(ctx, roundID, r.Role)
	if err != nil {
		return Questionnaire{}, err
	}
	return Questionnaire{Instrument: b.in, Round: round, Role: r.Role, Answers: answers, Submitted: r.Submitted()}, nil
}

func (b *Bot) runQuestionnaire(ctx context.Context, j storage.Job, p jobPayload) (any, error) {
	r, err := b.store.Respondent(ctx, *j.RoundID, p.Role)
	if err != nil {
		return nil, err
	}
	if r.QuestionnaireTS != "" {
		return postResult{Channel: r.DMChannelID, TS: r.QuestionnaireTS}, nil
	}
	q, err := b.questionnaire(ctx, *j.RoundID, r)
	if err != nil {
		return nil, err
	}
	if q.Round.State == storage.Cancelled {
		return nil, dropJob("round cancelled before the questionnaire went out")
	}
	dm, err := b.openDM(ctx, r.UserID)
	if err != nil {
		return nil, err
	}
	ts, err := b.postOnce(ctx, j, dm, "", renderQuestionnaire(q))
	if err != nil {
		return nil, err
	}
	if err := b.store.SetQuestionnaire(ctx, *j.RoundID, p.Role, dm, ts); err != nil {
		return nil, err
	}
	return postResult{Channel: dm, TS: ts}, nil
}

// openDM returns the DM channel with a user: a user ID is not a channel that
// chat.update accepts.
func (b *Bot) openDM(ctx context.Context, userID string) (string, error) {
	ch, _, _, err := b.api.OpenConversationContext(ctx, &slack.OpenConversationParameters{Users: []string{userID}, ReturnIM: true})
	if err != nil {
		return "", fmt.Errorf("open dm with %s: %w", userID, err)
	}
	return ch.ID, nil
}

func (b *Bot) runCard(ctx context.Context, j storage.Job, p jobPayload) (any, error) {
	r, err := b.store.Respondent(ctx, *j.RoundID, p.Role)
	if err != nil {
		return nil, err
	}
	if r.QuestionnaireTS == "" {
		return nil, dropJob("questionnaire never posted")
	}
	unlock := b.cards.lock(fmt.Sprintf("%d:%s", *j.RoundID, r.Role))
	defer unlock()
	return nil, b.refreshCardOf(ctx, *j.RoundID, r)
}

// refreshCardOf re-renders a respondent's questionnaire in their DM.
func (b *Bot) refreshCardOf(ctx context.Context, roundID int64, r storage.Respondent) error {
	q, err := b.questionnaire(ctx, roundID, r)
	if err != nil {
		return err
	}
	return b.updateCard(ctx, r, q)
}

func (b *Bot) updateCard(ctx context.Context, r storage.Respondent, q Questionnaire) error {
	msg := renderQuestionnaire(q)
	if _, _, _, err := b.api.UpdateMessageContext(ctx, r.DMChannelID, r.QuestionnaireTS, msg.options()...); err != nil {
		return fmt.Errorf("update questionnaire: %w", err)
	}
	return nil
}
