package bot

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"

	"github.com/slack-go/slack/slackevents"

	"github.com/alignbot/alignbot/bot/render"
	"github.com/alignbot/alignbot/internal/outbox"
	"github.com/alignbot/alignbot/scoring"
	"github.com/alignbot/alignbot/storage"
)

// The workspace changes under a round: the bot is removed from the round's
// channel, the channel is archived or renamed, a respondent or an owner is
// deactivated, Slack stops accepting the bot's token. Slack says so with an
// event, or with an error when alignbot next calls it. Either way each has
// one outcome:
//
//   - jobs that cannot succeed until the cause is fixed are held on it
//     (storage.HoldJob), not retried and not given up;
//   - the round's facilitator gets one DM saying what happened and what to
//     do (render.RenderWorld);
//   - when Slack reports the cause fixed (the bot invited back, the channel
//     unarchived, the account reactivated, alignbot restarted with a valid
//     token), the held jobs resume where they stopped.
//
// A rename changes nothing alignbot depends on (it names channels by ID,
// and Slack shows mentions with the current name): the round carries on
// and nobody is bothered.

// Causes jobs are held on.
const causeWorkspace = "workspace"

// workspaceLane is the lane (see lanes) of events about the workspace
// rather than a person: they are handled one after another, in order.
const workspaceLane = "workspace"

func causeChannel(channelID string) string { return "channel:" + channelID }
func causeUser(userID string) string       { return "user:" + userID }

// causeError is a Slack call that failed for a cause in the workspace.
type causeError struct {
	cause string
	err   error
}

func (e *causeError) Error() string { return e.err.Error() }
func (e *causeError) Unwrap() error { return e.err }

// isUserID reports whether a post's target is a person (a DM by user ID).
func isUserID(id string) bool { return strings.HasPrefix(id, "U") || strings.HasPrefix(id, "W") }

// heldOn marks a failed call to Slack with the cause Slack's answer
// reveals, if retrying cannot help until something changes in the
// workspace; target is the channel or person the call was for.
func heldOn(target string, err error) error {
	if err == nil {
		return nil
	}
	switch slackErrorCode(err) {
	case "invalid_auth", "account_inactive", "token_revoked", "not_authed", "token_expired":
		return &causeError{cause: causeWorkspace, err: err}
	case "not_in_channel", "is_archived", "channel_not_found":
		switch {
		case isUserID(target):
			return &causeError{cause: causeUser(target), err: err}
		case strings.HasPrefix(target, "C") || strings.HasPrefix(target, "G"):
			return &causeError{cause: causeChannel(target), err: err}
		}
	case "user_disabled", "user_not_found":
		if isUserID(target) {
			return &causeError{cause: causeUser(target), err: err}
		}
	}
	return err
}

// noteHeld tells the facilitator of a held job's round what holds it, once
// per cause until it is fixed. Slack refusing the token is logged: no DM
// can go out.
func (b *Bot) noteHeld(ctx context.Context, j storage.Job, cause string, err error) {
	if cause == causeWorkspace {
		if b.tokenRefused.CompareAndSwap(false, true) {
			b.log.Error("slack refuses the bot token: every job waits until alignbot restarts with a valid SLACK_BOT_TOKEN",
				slog.String("error_code", slackErrorCode(err)))
		}
		return
	}
	if j.RoundID == nil || j.Kind == jobWorld {
		return
	}
	if err := b.noteWorld(ctx, *j.RoundID, cause, slackErrorCode(err)); err != nil {
		b.log.Error("queueing the facilitator's note failed", slog.String("job", j.Key), slog.Any("error", err))
	}
}

// noteWorld queues the facilitator's note about cause in a round, unless
// they were told since it was last fixed.
func (b *Bot) noteWorld(ctx context.Context, roundID int64, cause, slackError string) error {
	now := b.clock.Now()
	return b.store.Transact(ctx, func(tx *storage.Storage) error {
		first, err := tx.NoteHold(ctx, roundID, cause, now)
		if err != nil || !first {
			return err
		}
		_, err = tx.Enqueue(ctx, newJob(jobWorld, roundID, jobPayload{Cause: cause, Error: slackError, Step: changeKey()}, now))
		return err
	})
}

// runWorld tells a round's facilitator what changed under it and what they
// can do.
func (b *Bot) runWorld(ctx context.Context, j storage.Job) (any, error) {
	p, err := payload(j)
	if err != nil {
		return nil, err
	}
	status, err := b.roundStatus(ctx, roundOf(j))
	if err != nil {
		return nil, err
	}
	w := render.World{Instrument: status.Instrument, Round: status.Round, SlackError: p.Error,
		Lang: b.personLang(ctx, status.Round.FacilitatorID)}
	kind, id, _ := strings.Cut(p.Cause, ":")
	switch kind {
	case "channel":
		w.Kind = render.WorldRemoved
		if p.Error == "is_archived" {
			w.Kind = render.WorldArchived
		}
	case "user":
		w.UserID = id
		w.Kind, w.Role, w.Questions = b.involvement(ctx, status, id)
		if w.Role == "" && len(w.Questions) == 0 {
			return nil, outbox.Drop("the person has nothing left to do in the round")
		}
	case "left":
		w.Kind, w.UserID = render.WorldRespondentLeft, p.UserID
		for _, r := range status.Respondents {
			if r.UserID == p.UserID {
				w.Role = r.Role
			}
		}
		if w.Role == "" {
			return nil, outbox.Drop("not a respondent")
		}
	default:
		return nil, outbox.Drop("unknown cause " + p.Cause)
	}
	if status.Round.State != storage.Collecting && status.Round.State != storage.Revealed {
		return nil, outbox.Drop("the round is over")
	}
	ch, ts, err := b.postOnce(ctx, j, status.Round.FacilitatorID, "", render.RenderWorld(w))
	if err != nil {
		return nil, err
	}
	return postResult{Channel: ch, TS: ts}, nil
}

// involvement says how a person is held up in a round: as a respondent
// still to answer, or as the owner of actions not done.
func (b *Bot) involvement(ctx context.Context, status render.RoundStatus, userID string) (render.WorldKind, scoring.Role, []string) {
	for _, r := range status.Respondents {
		if r.UserID == userID && r.Pending() && status.Round.State == storage.Collecting {
			return render.WorldRespondentGone, r.Role, nil
		}
	}
	actions, err := b.store.Actions(ctx, status.Round.ID)
	if err != nil {
		b.log.Warn("reading a round's actions failed", slog.Int64("round_id", status.Round.ID), slog.Any("error", err))
		return render.WorldOwnerGone, "", nil
	}
	var questions []string
	for _, a := range actions {
		if a.OwnerID == userID && a.Status != storage.ActionDone {
			questions = append(questions, a.QuestionID)
		}
	}
	slices.Sort(questions)
	return render.WorldOwnerGone, "", questions
}

// handleWorldEvent handles the events that say the workspace changed under
// the bot. It reports whether ev was one.
func (b *Bot) handleWorldEvent(ctx context.Context, eventID, workspaceID string, ev any) bool {
	log := b.log.With(slog.String("event_id", eventID))
	var handle func() error
	switch e := ev.(type) {
	case *slackevents.MemberLeftChannelEvent:
		handle = func() error {
			if e.User == b.botUser() {
				return b.channelLost(ctx, workspaceID, e.Channel, "not_in_channel")
			}
			return b.respondentLeft(ctx, eventID, workspaceID, e.Channel, e.User)
		}
	case *slackevents.ChannelLeftEvent:
		handle = func() error { return b.channelLost(ctx, workspaceID, e.Channel, "not_in_channel") }
	case *slackevents.GroupLeftEvent:
		handle = func() error { return b.channelLost(ctx, workspaceID, e.Channel, "not_in_channel") }
	case *slackevents.MemberJoinedChannelEvent:
		handle = func() error {
			if e.User != b.botUser() {
				return nil
			}
			return b.resume(ctx, log, causeChannel(e.Channel))
		}
	case *slackevents.ChannelArchiveEvent:
		handle = func() error { return b.channelLost(ctx, workspaceID, e.Channel, "is_archived") }
	case *slackevents.GroupArchiveEvent:
		handle = func() error { return b.channelLost(ctx, workspaceID, e.Channel, "is_archived") }
	case *slackevents.ChannelUnarchiveEvent:
		handle = func() error { return b.resume(ctx, log, causeChannel(e.Channel)) }
	case *slackevents.GroupUnarchiveEvent:
		handle = func() error { return b.resume(ctx, log, causeChannel(e.Channel)) }
	case *slackevents.ChannelRenameEvent:
		handle = func() error {
			b.dir.forgetRoom(e.Channel.ID)
			log.Info("channel renamed; rounds carry on", slog.String("channel_id", e.Channel.ID))
			return nil
		}
	case *slackevents.GroupRenameEvent:
		handle = func() error {
			b.dir.forgetRoom(e.Channel.ID)
			log.Info("channel renamed; rounds carry on", slog.String("channel_id", e.Channel.ID))
			return nil
		}
	case *slackevents.UserChangeEvent:
		handle = func() error {
			b.dir.forgetPerson(e.User.ID)
			if e.User.Deleted {
				return b.personGone(ctx, workspaceID, e.User.ID, "")
			}
			return b.resume(ctx, log, causeUser(e.User.ID))
		}
	case *slackevents.TokensRevokedEvent:
		handle = func() error { return b.tokenLost(ctx, log, "tokens_revoked") }
	case *slackevents.AppUninstalledEvent:
		handle = func() error { return b.tokenLost(ctx, log, "app_uninstalled") }
	default:
		return false
	}
	// Slack redelivers an event it thinks was lost, possibly after the
	// change it tells of was undone (a channel archived, then unarchived):
	// each is handled once. Should the database fail here, the event is
	// handled all the same; the jobs that meet the change find it too.
	err := remember(ctx, b.store, "event:"+eventID, b.clock.Now())
	if errors.Is(err, errDuplicate) {
		log.Info("a workspace change delivered again; handled already")
		return true
	}
	if err != nil {
		log.Warn("remembering a workspace change failed", slog.Any("error", err))
	}
	if err := handle(); err != nil {
		log.Error("handling a workspace change failed", slog.Any("error", err))
	}
	return true
}

// channelLost tells the facilitator of every round under way in a channel
// the bot can no longer post in; the round's jobs for the channel are held
// as they meet the cause.
func (b *Bot) channelLost(ctx context.Context, workspaceID, channelID, code string) error {
	b.dir.forgetRoom(channelID)
	rounds, err := b.store.OpenRoundsIn(ctx, workspaceID, channelID)
	if err != nil {
		return err
	}
	for _, r := range rounds {
		if err := b.noteWorld(ctx, r.ID, causeChannel(channelID), code); err != nil {
			return err
		}
	}
	b.log.Warn("can no longer post in a channel", slog.String("channel_id", channelID), slog.String("reason", code),
		slog.Int("rounds", len(rounds)))
	return nil
}

// personGone tells the facilitator of every round a deactivated person
// still has something to do in.
func (b *Bot) personGone(ctx context.Context, workspaceID, userID, code string) error {
	involved, err := b.store.Involvements(ctx, workspaceID, userID)
	if err != nil {
		return err
	}
	for _, in := range involved {
		if err := b.noteWorld(ctx, in.Round.ID, causeUser(userID), code); err != nil {
			return err
		}
	}
	return nil
}

// respondentLeft tells the facilitator when a respondent leaves the
// channel their round's comparison will be posted in.
func (b *Bot) respondentLeft(ctx context.Context, eventID, workspaceID, channelID, userID string) error {
	rounds, err := b.store.OpenRoundsIn(ctx, workspaceID, channelID)
	if err != nil {
		return err
	}
	b.dir.forgetMembers(channelID)
	now := b.clock.Now()
	for _, r := range rounds {
		if r.State != storage.Collecting {
			continue
		}
		if _, err := b.store.RespondentByUser(ctx, r.ID, userID); errors.Is(err, storage.ErrNotRespondent) {
			continue
		} else if err != nil {
			return err
		}
		_, err := b.store.Enqueue(ctx, newJob(jobWorld, r.ID, jobPayload{Cause: "left:" + channelID, UserID: userID, Step: eventID}, now))
		if err != nil {
			return err
		}
	}
	return nil
}

// resume makes the jobs held on cause run again.
func (b *Bot) resume(ctx context.Context, log *slog.Logger, causes ...string) error {
	for _, c := range causes {
		if strings.HasPrefix(c, "channel:") {
			b.dir.forgetRoom(strings.TrimPrefix(c, "channel:"))
		}
	}
	n, err := b.store.ResumeHeld(ctx, b.clock.Now(), causes...)
	if err != nil {
		return err
	}
	if n > 0 {
		log.Info("held jobs resume", slog.Any("causes", causes), slog.Int("jobs", n))
		b.Wake()
	}
	return nil
}

// tokenLost holds every job: Slack will refuse them until alignbot runs
// with a valid token again (reinstalled, then restarted), when Run resumes
// them.
func (b *Bot) tokenLost(ctx context.Context, log *slog.Logger, why string) error {
	b.tokenRefused.Store(true)
	n, err := b.store.HoldPending(ctx, causeWorkspace, why, b.clock.Now())
	if err != nil {
		return err
	}
	log.Error("slack revoked the app's access: every job waits until alignbot restarts with a valid SLACK_BOT_TOKEN",
		slog.String("reason", why), slog.Int("held_jobs", n))
	return nil
}

// forgetPerson drops a person from the directory's cache: Slack said
// their account changed.
func (d *directory) forgetPerson(id string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.users, id)
}

// forgetMembers drops a channel's member list from the cache.
func (d *directory) forgetMembers(channelID string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.members, channelID)
}
