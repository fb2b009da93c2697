package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/alignbot/alignbot/bot/render"
	"github.com/alignbot/alignbot/internal/locale"
	"github.com/alignbot/alignbot/internal/outbox"
	"github.com/alignbot/alignbot/internal/slackapi"
	"github.com/alignbot/alignbot/scoring"
	"github.com/alignbot/alignbot/storage"
)

// The jobs that carry a collecting round to Slack: its announcement and
// progress, the questionnaires and their updates, reminders, the deadline.

func (b *Bot) roundStatus(ctx context.Context, roundID int64) (render.RoundStatus, error) {
	round, err := b.store.Round(ctx, roundID)
	if err != nil {
		return render.RoundStatus{}, err
	}
	in, err := instrumentOf(round)
	if err != nil {
		return render.RoundStatus{}, err
	}
	respondents, err := b.store.Respondents(ctx, roundID)
	if err != nil {
		return render.RoundStatus{}, err
	}
	return render.RoundStatus{Instrument: in, Round: round, Respondents: respondents}, nil
}

// runAnnounce posts the round's announcement, as the database has it when
// it is posted. It takes the announcement's turn (see sendLive), so an
// update of its progress waits for the post, then goes out.
func (b *Bot) runAnnounce(ctx context.Context, j storage.Job) (any, error) {
	var result postResult
	outcome, err := b.sendLive(ctx, announceKey(roundOf(j)), liveOpts{force: true,
		send: func(ctx context.Context, turn storage.LiveSend, st liveState) error {
			result = postResult{Channel: st.Channel, TS: st.TS}
			if st.TS != "" {
				if !turn.Behind() {
					return nil
				}
				return b.updateLive(ctx, turn, st)
			}
			_, ts, found, err := b.postOnceFound(ctx, j, st.Channel, "", st.Msg)
			if err != nil {
				return err
			}
			kept, err := b.store.SetAnnouncementTS(ctx, roundOf(j), ts)
			if err != nil {
				return err
			}
			result.TS = kept
			if found {
				// An earlier attempt posted what it rendered then.
				st.TS = kept
				return b.updateLive(ctx, turn, st)
			}
			return nil
		}})
	if err != nil {
		return nil, err
	}
	if outcome == liveBusy {
		// An update has the turn: the announcement is posted already.
		round, err := b.store.Round(ctx, roundOf(j))
		if err != nil {
			return nil, err
		}
		if round.AnnouncementTS == "" {
			return nil, outbox.Again()
		}
		result = postResult{Channel: round.ChannelID, TS: round.AnnouncementTS}
	}
	if result.TS == "" {
		return nil, outbox.Drop("the round is gone")
	}
	return result, nil
}

// runProgress brings the announcement up to date with the round's
// progress. A burst of changes costs one chat.update: the first job to run
// sends the latest state, and the others find Slack has it.
func (b *Bot) runProgress(ctx context.Context, j storage.Job) (any, error) {
	return nil, b.runLive(ctx, announceKey(roundOf(j)))
}

// questionnaire reads a respondent's own view of their round, by role.
func (b *Bot) questionnaire(ctx context.Context, roundID int64, role scoring.Role) (render.Questionnaire, error) {
	r, err := b.store.Respondent(ctx, roundID, role)
	if err != nil {
		return render.Questionnaire{}, err
	}
	q, err := b.store.OwnQuestionnaire(ctx, roundID, r.UserID)
	if err != nil {
		return render.Questionnaire{}, err
	}
	in, err := instrumentOf(q.Round)
	if err != nil {
		return render.Questionnaire{}, err
	}
	view := render.NewQuestionnaire(in, q, b.links())
	view.Lang = b.personLang(ctx, r.UserID)
	return view, nil
}

// runQuestionnaire DMs a respondent their questionnaire. It goes out when the
// round starts, whatever the hour: the facilitator has just told people to
// expect it. It takes the questionnaire's turn (see sendLive).
func (b *Bot) runQuestionnaire(ctx context.Context, j storage.Job) (any, error) {
	p, err := payload(j)
	if err != nil {
		return nil, err
	}
	key := cardKey(roundOf(j), p.Role)
	var result postResult
	var cancelled bool
	outcome, err := b.sendLive(ctx, key, liveOpts{force: true,
		send: func(ctx context.Context, turn storage.LiveSend, st liveState) error {
			if st.TS != "" {
				result = postResult{Channel: st.Channel, TS: st.TS}
				if !turn.Behind() {
					return nil
				}
				return b.updateLive(ctx, turn, st)
			}
			q, err := b.questionnaire(ctx, roundOf(j), p.Role)
			if err != nil {
				return err
			}
			if q.Round.State == storage.Cancelled {
				cancelled = true
				return nil
			}
			// A user ID as the channel posts in the app's DM with them;
			// Slack's answer names the DM, so no conversations.open is
			// needed. The respondent was just told to expect it: it goes
			// ahead of background work.
			dm, ts, found, err := b.postOnceFound(slackapi.Interactive(ctx), j, q.Respondent.UserID, "", st.Msg)
			if err != nil {
				return err
			}
			if _, err := b.store.SetQuestionnaire(ctx, q.Round.ID, p.Role, dm, ts); err != nil {
				return err
			}
			// The respondent's App Home links to it now.
			if err := b.refreshHomes(ctx, b.store, q.Round.WorkspaceID, []string{q.Respondent.UserID}, b.clock.Now()); err != nil {
				return err
			}
			result = postResult{Channel: dm, TS: ts}
			if found {
				st.Channel, st.TS = dm, ts
				return b.updateLive(ctx, turn, st)
			}
			return nil
		}})
	switch {
	case err != nil:
		return nil, err
	case cancelled:
		return nil, outbox.Drop("round cancelled before the questionnaire went out")
	case outcome == liveBusy:
		// Someone has the questionnaire's turn: a click on it, so it is
		// posted (or this job's earlier attempt is still at it).
		r, err := b.store.Respondent(ctx, roundOf(j), p.Role)
		if err != nil {
			return nil, err
		}
		if r.QuestionnaireTS == "" {
			return nil, outbox.Again()
		}
		result = postResult{Channel: r.DMChannelID, TS: r.QuestionnaireTS}
	}
	if result.TS == "" {
		return nil, outbox.Drop("the round is gone")
	}
	return result, nil
}

// runCard brings a respondent's questionnaire up to date: after the reveal,
// a cancel, a decline, or a click whose reply Slack refused. A reminder still
// on screen is retired once it no longer invites anyone to act.
func (b *Bot) runCard(ctx context.Context, j storage.Job) (any, error) {
	p, err := payload(j)
	if err != nil {
		return nil, err
	}
	if err := b.runLive(ctx, cardKey(roundOf(j), p.Role)); err != nil {
		return nil, err
	}
	q, err := b.questionnaire(ctx, roundOf(j), p.Role)
	if err != nil {
		return nil, err
	}
	r := q.Respondent
	if r.NudgeTS != "" && (r.Submitted() || r.Declined() || q.Round.State != storage.Collecting) {
		// The reminder has served: it no longer invites anyone to act.
		why := render.NudgeRoundOver
		switch {
		case r.Submitted():
			why = render.NudgeSubmitted
		case r.Declined():
			why = render.NudgeDeclined
		}
		stub := render.RenderNudgeDone(q.Lang, q.Round, why)
		if _, _, _, err := b.api.UpdateMessageContext(ctx, r.NudgeChannelID, r.NudgeTS, stub.Options()...); err != nil && !permanent(err) {
			return nil, fmt.Errorf("retire reminder: %w", err)
		}
	}
	return nil, nil
}

// Ways an outdated message is replaced.
const (
	stubQuestionnaireMoved = "questionnaire_moved"
	stubNudge              = "nudge"
	stubNudgeSubmitted     = "nudge_submitted"
	stubOwnerRetired       = "owner_retired"
	stubReassigned         = "owner_reassigned"
)

// runRetire replaces an outdated message with a one-line note, so only the
// latest copy has live buttons.
func (b *Bot) runRetire(ctx context.Context, j storage.Job) (any, error) {
	p, err := payload(j)
	if err != nil {
		return nil, err
	}
	round, err := b.store.Round(ctx, roundOf(j))
	if err != nil {
		return nil, err
	}
	lang, err := b.retiredReader(ctx, round, p)
	if err != nil {
		return nil, err
	}
	var msg render.Message
	switch p.Stub {
	case stubQuestionnaireMoved:
		msg = render.RenderQuestionnaireMoved(lang, round)
	case stubNudge:
		msg = render.RenderNudgeDone(lang, round, render.NudgeMoved)
	case stubNudgeSubmitted:
		msg = render.RenderNudgeDone(lang, round, render.NudgeSubmitted)
	case stubOwnerRetired, stubReassigned:
		in, err := instrumentOf(round)
		if err != nil {
			return nil, err
		}
		q, _ := in.Question(p.Question)
		msg = render.RenderOwnerDMRetired(lang, in, q, round)
		if p.Stub == stubReassigned {
			msg = render.RenderOwnerReassigned(lang, in, q, round, p.UserID)
		}
	default:
		return nil, outbox.Drop("unknown stub " + p.Stub)
	}
	if _, _, _, err := b.api.UpdateMessageContext(ctx, p.Channel, p.TS, msg.Options()...); err != nil {
		var ce *causeError
		if held := heldOn("", err); errors.As(held, &ce) {
			// Slack refuses the token: the stub waits for a valid one.
			return nil, held
		}
		if permanent(err) {
			return nil, outbox.Drop("the message is gone: " + slackErrorCode(err))
		}
		return nil, fmt.Errorf("retire message: %w", err)
	}
	return nil, nil
}

// retiredReader is the language of the person whose DM holds a message to
// retire: the respondent of a questionnaire or reminder, the owner of an
// action's message; the round's language for a job that names nobody.
func (b *Bot) retiredReader(ctx context.Context, round storage.Round, p jobPayload) (locale.Lang, error) {
	switch {
	case p.Reader != "":
		return b.personLang(ctx, p.Reader), nil
	case p.Stub == stubOwnerRetired && p.UserID != "":
		return b.personLang(ctx, p.UserID), nil
	case p.Role != "":
		r, err := b.store.Respondent(ctx, round.ID, p.Role)
		if errors.Is(err, storage.ErrNotFound) {
			return render.RoundLang(round), nil
		}
		if err != nil {
			return "", err
		}
		return b.personLang(ctx, r.UserID), nil
	}
	return render.RoundLang(round), nil
}

// runDeadline reveals the round on the leads' answers when both are in;
// otherwise it tells the channel who is outstanding, and the missing leads,
// once, that the team is waiting.
func (b *Bot) runDeadline(ctx context.Context, j storage.Job) (any, error) {
	p, err := payload(j)
	if err != nil {
		return nil, err
	}
	round, err := b.store.Round(ctx, roundOf(j))
	if err != nil {
		return nil, err
	}
	if round.State != storage.Collecting || fmt.Sprint(round.DeadlineAt.Unix()) != p.Step {
		return nil, outbox.Drop("round over or deadline moved")
	}
	in, err := instrumentOf(round)
	if err != nil {
		return nil, err
	}
	now := b.clock.Now()
	var revealed bool
	err = b.store.Transact(ctx, func(tx *storage.Storage) error {
		locked, err := tx.LockRound(ctx, round.ID)
		if err != nil {
			return err
		}
		if revealed, err = b.claimReveal(ctx, tx, locked, in, true, now); err != nil || revealed {
			return err
		}
		respondents, err := tx.Respondents(ctx, round.ID)
		if err != nil {
			return err
		}
		var jobs []storage.NewJob
		for _, r := range respondents {
			if r.Role.IsLead() && r.Pending() {
				jobs = append(jobs, newJob(jobNudge, round.ID, jobPayload{Role: r.Role, Step: "final-" + p.Step}, now))
			}
		}
		_, err = tx.Enqueue(ctx, jobs...)
		return err
	})
	if err != nil {
		return nil, err
	}
	if revealed {
		b.log.Info("deadline reached with both leads in: revealing", slog.Int64("round_id", round.ID))
		return nil, nil
	}
	status, err := b.roundStatus(ctx, round.ID)
	if err != nil {
		return nil, err
	}
	ch, ts, err := b.postOnce(ctx, j, round.ChannelID, "", render.RenderDeadlineMissingLead(status))
	if err != nil {
		return nil, err
	}
	return postResult{Channel: ch, TS: ts}, nil
}

// runNudge reminds a respondent, privately, with a button that opens their
// questionnaire where they left off; the previous reminder is retired. It
// never nudges about more than a few rounds at once, stops at the deadline
// (one final notice after it), and waits for the person's working hours.
func (b *Bot) runNudge(ctx context.Context, j storage.Job) (any, error) {
	p, err := payload(j)
	if err != nil {
		return nil, err
	}
	q, err := b.questionnaire(ctx, roundOf(j), p.Role)
	if err != nil {
		return nil, err
	}
	round, r := q.Round, q.Respondent
	now := b.clock.Now()
	final := len(p.Step) > 6 && p.Step[:6] == "final-"
	switch {
	case !r.Pending() || round.State != storage.Collecting:
		return nil, outbox.Drop("respondent submitted or declined, or round over")
	case !final && !now.Before(round.DeadlineAt):
		return nil, outbox.Drop("past the deadline: the final notice goes instead")
	case strings.HasPrefix(p.Step, "extended-") && p.Step != "extended-"+fmt.Sprint(round.DeadlineAt.Unix()):
		// Each extend re-arms one reminder; a later extend's replaces it.
		return nil, outbox.Drop("the deadline was extended again")
	}
	pending, err := b.store.PendingRounds(ctx, round.WorkspaceID, r.UserID)
	if err != nil {
		return nil, err
	}
	if i := indexOf(pending, round.ID); i >= maxNudgedRounds {
		// Too many rounds wait for this person: remind about the oldest
		// first, this one later.
		return nil, outbox.Defer(now.Add(b.cfg.NudgeAfter))
	}
	if err := b.inWorkingHours(ctx, r.UserID); err != nil {
		return nil, err
	}
	kind := render.NudgeWaiting
	if final {
		kind = render.NudgeFinal
	}
	// Posted to the user ID, as the questionnaire was: the DM's posting
	// budget is paced under one name.
	dm, ts, err := b.postOnce(ctx, j, r.UserID, "", render.RenderRespondentNudge(q, kind, now))
	if err != nil {
		return nil, err
	}
	err = b.store.Transact(ctx, func(tx *storage.Storage) error {
		previous, err := tx.SetNudge(ctx, round.ID, p.Role, dm, ts)
		if err != nil {
			return err
		}
		var jobs []storage.NewJob
		if previous != "" && previous != ts {
			jobs = append(jobs, newJob(jobRetire, round.ID, jobPayload{Role: p.Role, Channel: dm, TS: previous, Stub: stubNudge, Step: changeKey()}, now))
		}
		// On schedule, but never two in a row after one was held back, and
		// none after the deadline.
		if !final {
			next := round.CreatedAt.Add(time.Duration(p.N+1) * b.cfg.NudgeAfter)
			if soonest := now.Add(b.cfg.NudgeAfter / 2); next.Before(soonest) {
				next = soonest
			}
			if next.Before(round.DeadlineAt) {
				jobs = append(jobs, newJob(jobNudge, round.ID, jobPayload{Role: p.Role, N: p.N + 1}, next))
			}
		}
		_, err = tx.Enqueue(ctx, jobs...)
		return err
	})
	if err != nil {
		return nil, err
	}
	return postResult{Channel: dm, TS: ts}, nil
}

func indexOf(ids []int64, id int64) int {
	for i, v := range ids {
		if v == id {
			return i
		}
	}
	return -1
}

// runDeclined tells the facilitator, by DM, that a respondent declined.
func (b *Bot) runDeclined(ctx context.Context, j storage.Job) (any, error) {
	p, err := payload(j)
	if err != nil {
		return nil, err
	}
	status, err := b.roundStatus(ctx, roundOf(j))
	if err != nil {
		return nil, err
	}
	for _, r := range status.Respondents {
		if r.Role != p.Role {
			continue
		}
		msg := render.RenderDeclined(b.personLang(ctx, status.Round.FacilitatorID), status.Instrument, status.Round, r)
		ch, ts, err := b.postOnce(ctx, j, status.Round.FacilitatorID, "", msg)
		if err != nil {
			return nil, err
		}
		return postResult{Channel: ch, TS: ts}, nil
	}
	return nil, outbox.Drop("no such respondent")
}

// describeRespondent says, in the language of the person ctx serves, what a
// job meant for a respondent delivers; what is the catalog message naming
// it ("the questionnaire to {{.Whom}}").
func (b *Bot) describeRespondent(what string) func(context.Context, storage.Job) string {
	return func(ctx context.Context, j storage.Job) string {
		t := say(ctx)
		p, _ := payload(j)
		status, err := b.roundStatus(ctx, roundOf(j))
		if err != nil {
			return t.T(what, "Whom", t.T("parked.a_respondent"))
		}
		for _, r := range status.Respondents {
			if r.Role == p.Role {
				whom := fmt.Sprintf("%s (%s)", render.Mention(r.UserID), t.Instrument(status.Instrument).RoleLabel(r.Role))
				return t.T(what, "Whom", whom)
			}
		}
		return t.T(what, "Whom", t.T("parked.a_respondent"))
	}
}

// describeInChannel says, in the language of the person ctx serves, what a
// job meant for the round's channel delivers; what is the catalog message
// naming it.
func (b *Bot) describeInChannel(ctx context.Context, j storage.Job, what string) string {
	t := say(ctx)
	round, err := b.store.Round(ctx, roundOf(j))
	if err != nil {
		return t.T(what)
	}
	return t.T("parked.in_channel", "What", t.T(what), "Channel", render.ChannelRef(round.ChannelID))
}

// errNoRound is a job whose round is gone.
var errNoRound = errors.New("the job's round does not exist")
