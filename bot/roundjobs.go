package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"

	"github.com/slack-go/slack"

	"github.com/alignbot/alignbot/scoring"
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
	return RoundStatus{Instrument: b.in, Round: round, Respondents: respondents}, nil
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
	kept, err := b.store.SetAnnouncementTS(ctx, status.Round.ID, ts)
	if err != nil {
		return nil, err
	}
	return postResult{Channel: status.Round.ChannelID, TS: kept}, nil
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
	case storage.JobPending:
		// Its turn (or its lease's end) is the soonest this one can go.
		if j.RunAt.After(b.clock.Now()) {
			return deferUntil(j.RunAt)
		}
		return errNotYet
	case storage.JobDone:
		// Done, and its result read a moment ago: try again.
		return errNotYet
	}
	return dropJob("waited-for job " + key + " is " + string(j.State))
}

// questionnaire loads a respondent's own view of the round, as it stands,
// and the respondent.
func (b *Bot) questionnaire(ctx context.Context, roundID int64, role scoring.Role) (Questionnaire, storage.Respondent, error) {
	r, err := b.store.Respondent(ctx, roundID, role)
	if err != nil {
		return Questionnaire{}, storage.Respondent{}, err
	}
	round, err := b.store.Round(ctx, roundID)
	if err != nil {
		return Questionnaire{}, storage.Respondent{}, err
	}
	answers, err := b.store.Answers(ctx, roundID, role)
	if err != nil {
		return Questionnaire{}, storage.Respondent{}, err
	}
	return Questionnaire{Instrument: b.in, Round: round, Role: role, Answers: answers, Submitted: r.Submitted()}, r, nil
}

func (b *Bot) runQuestionnaire(ctx context.Context, j storage.Job, p jobPayload) (any, error) {
	q, r, err := b.questionnaire(ctx, *j.RoundID, p.Role)
	if err != nil {
		return nil, err
	}
	if r.QuestionnaireTS != "" {
		return postResult{Channel: r.DMChannelID, TS: r.QuestionnaireTS}, nil
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
	return nil, b.refreshCard(ctx, *j.RoundID, p.Role, "", "")
}

// refreshCard re-renders a respondent's questionnaire in their DM from the
// latest state. Clicks handled by different replicas can overtake each
// other, and the last chat.update wins; so after updating, the state is read
// again and, if it moved meanwhile, the card is rendered once more. The last
// replica to finish thus always leaves the card as the database has it.
// When the questionnaire's message is not recorded yet (a click raced the
// job that posted it), the message clicked on, channel and ts, stands in.
func (b *Bot) refreshCard(ctx context.Context, roundID int64, role scoring.Role, channel, ts string) error {
	unlock := b.cards.lock(fmt.Sprintf("%d:%s", roundID, role))
	defer unlock()
	q, r, err := b.questionnaire(ctx, roundID, role)
	if err != nil {
		return err
	}
	if r.QuestionnaireTS == "" {
		r.DMChannelID, r.QuestionnaireTS = channel, ts
	}
	if r.QuestionnaireTS == "" {
		return dropJob("questionnaire never posted")
	}
	for range 3 {
		if err := b.updateCard(ctx, r, q); err != nil {
			return err
		}
		latest, _, err := b.questionnaire(ctx, roundID, role)
		if err != nil {
			return err
		}
		if sameQuestionnaire(q, latest) {
			return nil
		}
		q = latest
	}
	return nil
}

func sameQuestionnaire(a, b Questionnaire) bool {
	return a.Submitted == b.Submitted && a.Round.State == b.Round.State && maps.Equal(a.Answers, b.Answers)
}

func (b *Bot) updateCard(ctx context.Context, r storage.Respondent, q Questionnaire) error {
	msg := renderQuestionnaire(q)
	if _, _, _, err := b.api.UpdateMessageContext(ctx, r.DMChannelID, r.QuestionnaireTS, msg.options()...); err != nil {
		return fmt.Errorf("update questionnaire: %w", err)
	}
	return nil
}

// runParkedNote tells a round's facilitator, by DM, that something could not
// be delivered and what they can do about it.
func (b *Bot) runParkedNote(ctx context.Context, j storage.Job, p jobPayload) (any, error) {
	parked, err := b.store.Job(ctx, p.Job)
	if err != nil {
		return nil, err
	}
	var pp jobPayload
	if err := json.Unmarshal(parked.Payload, &pp); err != nil {
		return nil, dropJob("unreadable payload of " + p.Job)
	}
	round, err := b.store.Round(ctx, *j.RoundID)
	if err != nil {
		return nil, err
	}
	var what, advice string
	switch parked.Kind {
	case jobQuestionnaire, jobNudgeRespondent:
		r, err := b.store.Respondent(ctx, round.ID, pp.Role)
		if err != nil {
			return nil, err
		}
		what = fmt.Sprintf("the questionnaire to %s (%s)", mention(r.UserID), r.Role.Label())
		if parked.Kind == jobNudgeRespondent {
			what = fmt.Sprintf("a reminder to %s (%s)", mention(r.UserID), r.Role.Label())
		}
		advice = "If they can't take part, `/alignment cancel` and start the round again with someone else."
	case jobOwnerDM, jobNudgeOwner:
		what = fmt.Sprintf("the DM to %s about their action on %s", mention(pp.UserID), pp.Question)
		advice = "You can name another owner with the reveal's *Change owner* button."
	default:
		what = fmt.Sprintf("a message in %s", channelRef(round.ChannelID))
		advice = fmt.Sprintf("Check that I'm still a member of %s (`/invite @alignbot`).", channelRef(round.ChannelID))
	}
	text := fmt.Sprintf("I couldn't deliver %s for round %d in %s (Slack: %s). %s", what, round.ID, channelRef(round.ChannelID), p.Text, advice)
	dm, err := b.openDM(ctx, round.FacilitatorID)
	if err != nil {
		return nil, err
	}
	ts, err := b.postOnce(ctx, j, dm, "", Message{Text: text, Blocks: []slack.Block{section("parked", text)}})
	if err != nil {
		return nil, err
	}
	return postResult{Channel: dm, TS: ts}, nil
}
