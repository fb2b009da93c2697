package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/slack-go/slack"

	"github.com/alignbot/alignbot/scoring"
	"github.com/alignbot/alignbot/storage"
)

// Reminders: respondents nudged until they submit, the deadline, owners
// nudged until their action is done, and the quarterly re-run. Every one is a
// job with a key, scheduled when the state that calls for it is committed, and
// every one checks at run time that it is still wanted.

// collectingSchedule is what a new round sets in motion: each respondent's
// first nudge and the deadline.
func (b *Bot) collectingSchedule(round storage.Round, people map[scoring.Role]string, now time.Time) []storage.NewJob {
	var jobs []storage.NewJob
	for _, role := range scoring.Roles {
		if _, ok := people[role]; ok {
			jobs = append(jobs, b.job(jobNudgeRespondent, round.ID, jobPayload{Role: role, N: 1}, now.Add(b.cfg.NudgeAfter)))
		}
	}
	return append(jobs, b.deadlineJob(round.ID, round.DeadlineAt))
}

func (b *Bot) deadlineJob(roundID int64, deadline time.Time) storage.NewJob {
	return b.job(jobDeadline, roundID, jobPayload{Step: fmt.Sprint(deadline.Unix())}, deadline)
}

// nextDM returns when a DM to the user may go out: now inside their working
// hours, or when those next open in their own time zone.
func (b *Bot) nextDM(ctx context.Context, userID string, now time.Time) (time.Time, error) {
	if b.cfg.WorkingHours.AnyTime() {
		return now, nil
	}
	loc, err := b.userLocation(ctx, userID)
	if err != nil {
		return time.Time{}, err
	}
	return b.cfg.WorkingHours.Next(now.In(loc)), nil
}

// zones caches users' time zones; users.info is rate limited and zones
// rarely change.
type zones struct {
	mu      sync.Mutex
	entries map[string]zoneEntry
}

type zoneEntry struct {
	loc     *time.Location
	fetched time.Time
}

func (b *Bot) userLocation(ctx context.Context, userID string) (*time.Location, error) {
	b.zones.mu.Lock()
	e, ok := b.zones.entries[userID]
	b.zones.mu.Unlock()
	if ok && time.Since(e.fetched) < 6*time.Hour {
		return e.loc, nil
	}
	u, err := b.api.GetUserInfoContext(ctx, userID)
	if err != nil {
		return nil, fmt.Errorf("time zone of %s: %w", userID, err)
	}
	loc, err := time.LoadLocation(u.TZ)
	if err != nil || u.TZ == "" {
		loc = time.FixedZone(u.TZLabel, u.TZOffset)
	}
	b.zones.mu.Lock()
	if b.zones.entries == nil {
		b.zones.entries = map[string]zoneEntry{}
	}
	b.zones.entries[userID] = zoneEntry{loc: loc, fetched: time.Now()}
	b.zones.mu.Unlock()
	return loc, nil
}

// dmWindow defers the job when a DM to userID would land outside their
// working hours.
func (b *Bot) dmWindow(ctx context.Context, userID string) error {
	now := b.clock.Now()
	next, err := b.nextDM(ctx, userID, now)
	if err != nil {
		return err
	}
	if next.After(now) {
		return deferUntil(next)
	}
	return nil
}

func (b *Bot) runNudgeRespondent(ctx context.Context, j storage.Job, p jobPayload) (any, error) {
	r, err := b.store.Respondent(ctx, *j.RoundID, p.Role)
	if err != nil {
		return nil, err
	}
	round, err := b.store.Round(ctx, *j.RoundID)
	if err != nil {
		return nil, err
	}
	if r.Submitted() || round.State != storage.Collecting {
		return nil, dropJob("respondent submitted or round over")
	}
	if err := b.dmWindow(ctx, r.UserID); err != nil {
		return nil, err
	}
	// The questionnaire's DM, when known, saves a rate-limited
	// conversations.open per nudge.
	dm := r.DMChannelID
	if dm == "" {
		if dm, err = b.openDM(ctx, r.UserID); err != nil {
			return nil, err
		}
	}
	ts, err := b.postOnce(ctx, j, dm, "", renderRespondentNudge(b.in, round, r, b.clock.Now()))
	if err != nil {
		return nil, err
	}
	// On schedule, but never two nudges in a row after one was held back.
	next := round.CreatedAt.Add(time.Duration(p.N+1) * b.cfg.NudgeAfter)
	if soonest := b.clock.Now().Add(b.cfg.NudgeAfter / 2); next.Before(soonest) {
		next = soonest
	}
	if _, err := b.store.Enqueue(ctx, b.job(jobNudgeRespondent, round.ID, jobPayload{Role: p.Role, N: p.N + 1}, next)); err != nil {
		return nil, err
	}
	return postResult{Channel: dm, TS: ts}, nil
}

// renderRespondentNudge is the private reminder to a respondent. It is sent
// only to them; the channel never hears who is late before the deadline.
func renderRespondentNudge(in *scoring.Instrument, round storage.Round, r storage.Respondent, now time.Time) Message {
	when := fmt.Sprintf("It's due %s.", date(round.DeadlineAt))
	if !now.Before(round.DeadlineAt) {
		when = "The deadline has passed and the team is waiting on your answers: the comparison needs both leads."
	}
	text := fmt.Sprintf("A reminder: your alignment questionnaire for %s is waiting, %d of %d answered. %s Your answers stay hidden until everyone has submitted.",
		channelRef(round.ChannelID), r.Answered, len(in.Questions), when)
	return Message{Text: text, Blocks: []slack.Block{section("nudge", text),
		contextBlock("where", "Your questionnaire is the message above, with a Submit button at its end.")}}
}

func (b *Bot) runDeadline(ctx context.Context, j storage.Job, p jobPayload) (any, error) {
	round, err := b.store.Round(ctx, *j.RoundID)
	if err != nil {
		return nil, err
	}
	if round.State != storage.Collecting || fmt.Sprint(round.DeadlineAt.Unix()) != p.Step {
		return nil, dropJob("round over or deadline moved")
	}
	now := b.clock.Now()
	var revealed bool
	err = b.store.Transact(ctx, func(tx *storage.Storage) error {
		var err error
		revealed, err = b.claimReveal(ctx, tx, round.ID, true, now)
		return err
	})
	if err != nil {
		return nil, err
	}
	if revealed {
		b.Wake()
		b.log.Info("deadline reached with both leads in: revealing", slog.Int64("round_id", round.ID))
		return nil, nil
	}
	// A lead is missing: never a one-sided comparison. Say who is
	// outstanding; their nudges go on.
	respondents, err := b.store.Respondents(ctx, round.ID)
	if err != nil {
		return nil, err
	}
	var waiting []string
	for _, r := range respondents {
		if !r.Submitted() && r.Role.IsLead() {
			waiting = append(waiting, fmt.Sprintf("%s (%s)", mention(r.UserID), r.Role.Label()))
		}
	}
	text := fmt.Sprintf("The deadline for round %d has passed. Still waiting on %s: the comparison needs both leads, so it is posted as soon as they submit. "+
		"%s can give more time with `/alignment extend 3d` or stop with `/alignment cancel`.",
		round.ID, joinAnd(waiting), mention(round.FacilitatorID))
	ts, err := b.postOnce(ctx, j, round.ChannelID, "", Message{Text: text, Blocks: []slack.Block{section("deadline", text)}})
	if err != nil {
		return nil, err
	}
	return postResult{Channel: round.ChannelID, TS: ts}, nil
}

// extendRound gives respondents more time.
func (b *Bot) extendRound(ctx context.Context, workspaceID, channelID, userID string, by time.Duration) (string, error) {
	round, err := b.store.CollectingRound(ctx, workspaceID, channelID)
	if errors.Is(err, storage.ErrNotFound) {
		return "", userErrorf("No round is collecting answers in %s.", channelRef(channelID))
	}
	if err != nil {
		return "", err
	}
	if err := b.mayManage(ctx, userID, round.FacilitatorID, "extend"); err != nil {
		return "", err
	}
	now := b.clock.Now()
	deadline := round.DeadlineAt
	if now.After(deadline) {
		deadline = now
	}
	deadline = deadline.Add(by)
	err = b.store.Transact(ctx, func(tx *storage.Storage) error {
		if err := tx.ExtendDeadline(ctx, round.ID, deadline); err != nil {
			return err
		}
		_, err := tx.Enqueue(ctx, b.deadlineJob(round.ID, deadline),
			b.job(jobProgress, round.ID, jobPayload{Step: "extended-" + changeKey()}, now))
		return err
	})
	if errors.Is(err, storage.ErrNotCollecting) {
		return "", userErrorf("That round has just been revealed or cancelled.")
	}
	if err != nil {
		return "", err
	}
	b.Wake()
	return fmt.Sprintf("Round %d is now due %s.", round.ID, date(deadline)), nil
}

// ownerSchedule is an owner's first reminder after an assignment. Reminders
// come every ActionNudgeEvery until the due date, one on the due date, then
// overdue ones at the same cadence, until the action is done.
func (b *Bot) ownerSchedule(a storage.Action, assignment string) []storage.NewJob {
	first := b.nextOwnerNudge(a, a.AssignedAt)
	return []storage.NewJob{b.job(jobNudgeOwner, a.RoundID,
		jobPayload{Question: a.QuestionID, UserID: a.OwnerID, Step: assignment, N: 1, At: first.Unix()}, first)}
}

// nextOwnerNudge returns the reminder after one sent (or scheduled) at prev.
func (b *Bot) nextOwnerNudge(a storage.Action, prev time.Time) time.Time {
	due := a.DueAt.Truncate(time.Second)
	next := prev.Add(b.cfg.ActionNudgeEvery).Truncate(time.Second)
	if prev.Before(due) && next.After(due) {
		return due
	}
	return next
}

// actionToRemind returns the action a job was scheduled for, when a DM about
// it may go out now: the job is dropped when the action has been reassigned
// or is done, and deferred outside the owner's working hours.
func (b *Bot) actionToRemind(ctx context.Context, j storage.Job, p jobPayload) (storage.Action, storage.Round, error) {
	a, err := b.store.Action(ctx, *j.RoundID, p.Question)
	if errors.Is(err, storage.ErrNotFound) {
		return storage.Action{}, storage.Round{}, dropJob("no such action")
	}
	if err != nil {
		return storage.Action{}, storage.Round{}, err
	}
	if a.OwnerID != p.UserID || assignmentKey(a.AssignedAt) != p.Step {
		return storage.Action{}, storage.Round{}, dropJob("action reassigned")
	}
	if a.Status == storage.ActionDone {
		return storage.Action{}, storage.Round{}, dropJob("action done")
	}
	if err := b.dmWindow(ctx, a.OwnerID); err != nil {
		return storage.Action{}, storage.Round{}, err
	}
	round, err := b.store.Round(ctx, *j.RoundID)
	if err != nil {
		return storage.Action{}, storage.Round{}, err
	}
	return a, round, nil
}

func (b *Bot) runOwnerDM(ctx context.Context, j storage.Job, p jobPayload) (any, error) {
	a, round, err := b.actionToRemind(ctx, j, p)
	if err != nil {
		return nil, err
	}
	return b.dmOwner(ctx, j, round, a, ownerAssigned)
}

func (b *Bot) runNudgeOwner(ctx context.Context, j storage.Job, p jobPayload) (any, error) {
	a, round, err := b.actionToRemind(ctx, j, p)
	if err != nil {
		return nil, err
	}
	// The nudge's place in the schedule, not when it finally ran (working
	// hours may have held it back), says what kind it is.
	at := time.Unix(p.At, 0)
	kind := ownerReminder
	switch {
	case at.Equal(a.DueAt.Truncate(time.Second)):
		kind = ownerDueToday
	case at.After(a.DueAt):
		kind = ownerOverdue
	}
	res, err := b.dmOwner(ctx, j, round, a, kind)
	if err != nil {
		return nil, err
	}
	next := b.nextOwnerNudge(a, at)
	if _, err := b.store.Enqueue(ctx, b.job(jobNudgeOwner, a.RoundID,
		jobPayload{Question: a.QuestionID, UserID: a.OwnerID, Step: p.Step, N: p.N + 1, At: next.Unix()}, next)); err != nil {
		return nil, err
	}
	return res, nil
}

type ownerDMKind int

const (
	ownerAssigned ownerDMKind = iota
	ownerReminder
	ownerDueToday
	ownerOverdue
)

func (b *Bot) dmOwner(ctx context.Context, j storage.Job, round storage.Round, a storage.Action, kind ownerDMKind) (any, error) {
	dm, err := b.openDM(ctx, a.OwnerID)
	if err != nil {
		return nil, err
	}
	q, _ := b.in.Question(a.QuestionID)
	ts, err := b.postOnce(ctx, j, dm, "", renderOwnerDM(round, q, a, kind, b.clock.Now()))
	if err != nil {
		return nil, err
	}
	return postResult{Channel: dm, TS: ts}, nil
}

// renderOwnerDM is the owner's DM: the action, its due date, the round's
// channel, and the buttons to report progress.
func renderOwnerDM(round storage.Round, q scoring.Question, a storage.Action, kind ownerDMKind, now time.Time) Message {
	var lead string
	switch kind {
	case ownerAssigned:
		lead = fmt.Sprintf("%s named you owner of a top alignment gap in %s.", mention(a.AssignedBy), channelRef(round.ChannelID))
	case ownerReminder:
		lead = fmt.Sprintf("How is your alignment action for %s going?", channelRef(round.ChannelID))
	case ownerDueToday:
		lead = fmt.Sprintf("Your alignment action for %s is due today.", channelRef(round.ChannelID))
	case ownerOverdue:
		days := int(now.Sub(a.DueAt).Hours() / 24)
		lead = fmt.Sprintf("Your alignment action for %s is overdue by %d day%s.", channelRef(round.ChannelID), days, plural(days))
	}
	body := fmt.Sprintf("%s\n*%s · %s*\nAction: _%s_\nDue %s · status: %s",
		lead, q.ID, q.Topic, a.Description, dayDate(a.DueAt), statusLabel(a.Status))
	if a.Status == storage.ActionBlocked && a.BlockedReason != "" {
		body += fmt.Sprintf(" (%s)", a.BlockedReason)
	}
	return Message{
		Text:   fmt.Sprintf("%s %s: %s, due %s.", lead, q.ID, a.Description, dayDate(a.DueAt)),
		Blocks: append([]slack.Block{section("action", body)}, statusButtons(round.ID, a)...),
	}
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func statusButtons(roundID int64, a storage.Action) []slack.Block {
	if a.Status == storage.ActionDone {
		return []slack.Block{contextBlock("done", "Done. Thank you; the team can see it in the reveal's thread.")}
	}
	value := gapValue(roundID, a.QuestionID)
	done := button(actionStatus+"_done", value, "Done")
	done.Style = slack.StylePrimary
	return []slack.Block{slack.NewActionBlock("status:"+a.QuestionID,
		done,
		button(actionStatus+"_in_progress", value, "Still on it"),
		button(actionStatus+"_blocked", value, "Blocked"),
	)}
}

func (b *Bot) clickActionStatus(ctx context.Context, envelopeID string, cb slack.InteractionCallback, a *slack.BlockAction, log *slog.Logger) {
	roundID, question, err := b.parseGapValue(a.Value)
	if err != nil {
		b.reply(ctx, cb.ResponseURL, log, err, "")
		return
	}
	status := storage.ActionStatus(strings.TrimPrefix(a.ActionID, actionStatus+"_"))
	if !status.Valid() || status == storage.ActionOpen {
		b.reply(ctx, cb.ResponseURL, log, errTampered, "")
		return
	}
	if status == storage.ActionBlocked {
		// Ask why first; the trigger expires in 3 seconds.
		q, _ := b.in.Question(question)
		if _, err := b.api.OpenViewContext(ctx, cb.TriggerID, renderBlockedModal(gapValue(roundID, question), q)); err != nil {
			b.reply(ctx, cb.ResponseURL, log, fmt.Errorf("open blocked form: %w", err), "")
		}
		return
	}
	action, err := b.setActionStatus(ctx, envelopeID, roundID, question, status, "", cb.User.ID)
	if err != nil {
		b.reply(ctx, cb.ResponseURL, log, err, "")
		return
	}
	b.showOwnerDM(ctx, cb, roundID, action, log)
}

// showOwnerDM updates the DM the owner clicked in, so it shows the new status.
func (b *Bot) showOwnerDM(ctx context.Context, cb slack.InteractionCallback, roundID int64, a storage.Action, log *slog.Logger) {
	if cb.Container.ChannelID == "" || cb.Container.MessageTs == "" {
		return
	}
	round, err := b.store.Round(ctx, roundID)
	if err != nil {
		return
	}
	q, _ := b.in.Question(a.QuestionID)
	msg := renderOwnerDM(round, q, a, ownerReminder, b.clock.Now())
	if _, _, _, err := b.api.UpdateMessageContext(ctx, cb.Container.ChannelID, cb.Container.MessageTs, msg.options()...); err != nil {
		log.Warn("updating the owner's DM failed", slog.Any("error", err))
	}
}

func (b *Bot) submitBlockedModal(ctx context.Context, envelopeID string, cb slack.InteractionCallback, log *slog.Logger) map[string]string {
	roundID, question, err := b.parseGapValue(cb.View.PrivateMetadata)
	if err != nil {
		return map[string]string{"reason": errTampered.msg}
	}
	reason := strings.TrimSpace(stateValue(cb, "reason", "text").Value)
	if reason == "" {
		return map[string]string{"reason": "Say what's in the way, so the team can help."}
	}
	if _, err := b.setActionStatus(ctx, envelopeID, roundID, question, storage.ActionBlocked, reason, cb.User.ID); err != nil && !errors.Is(err, errDuplicate) {
		return map[string]string{"reason": b.explain(log, err)}
	}
	return nil
}

// setActionStatus records an owner's progress, tells the reveal's thread,
// and closes the round when every top gap's action is done.
func (b *Bot) setActionStatus(ctx context.Context, deliveryID string, roundID int64, question string, status storage.ActionStatus, reason, by string) (storage.Action, error) {
	current, err := b.store.Action(ctx, roundID, question)
	if errors.Is(err, storage.ErrNotFound) {
		return storage.Action{}, errTampered
	}
	if err != nil {
		return storage.Action{}, err
	}
	round, err := b.store.Round(ctx, roundID)
	if err != nil {
		return storage.Action{}, err
	}
	if by != current.OwnerID && by != round.FacilitatorID {
		return storage.Action{}, userErrorf("Only %s, who owns %s, or %s, who started the round, can change its status.",
			mention(current.OwnerID), question, mention(round.FacilitatorID))
	}
	now := b.clock.Now()
	var saved storage.Action
	err = b.store.Transact(ctx, func(tx *storage.Storage) error {
		if err := remember(ctx, tx, deliveryID, now); err != nil {
			return err
		}
		a, changed, err := tx.SetActionStatus(ctx, roundID, question, status, reason, now)
		if err != nil {
			return err
		}
		saved = a
		if !changed {
			return nil
		}
		note := fmt.Sprintf("%s: %s marked the action on *%s* (owner %s) *%s*.", question, mention(by), question, mention(a.OwnerID), statusLabel(status))
		if status == storage.ActionBlocked {
			note += " Reason: " + reason
		}
		change := changeKey()
		_, err = tx.Enqueue(ctx,
			b.job(jobThreadNote, roundID, jobPayload{Question: question, Step: change, Text: note}, now),
			b.job(jobTopGaps, roundID, jobPayload{Step: change}, now))
		return err
	})
	switch {
	case errors.Is(err, storage.ErrActionDone):
		return storage.Action{}, userErrorf("The action on %s is already done; it stays done. Nothing was changed.", question)
	case errors.Is(err, storage.ErrNotRevealed):
		return storage.Action{}, userErrorf("Round %d is closed; its actions can no longer change.", roundID)
	case err != nil:
		return storage.Action{}, err
	}
	b.Wake()
	if status == storage.ActionDone {
		if err := b.closeIfDone(ctx, roundID); err != nil {
			b.log.Error("closing the round failed", slog.Int64("round_id", roundID), slog.Any("error", err))
		}
	}
	return saved, nil
}

// closeIfDone closes a revealed round once each of its top gaps has an
// action and every action is done. Closing is one conditional statement, so
// two owners finishing at once close it once.
func (b *Bot) closeIfDone(ctx context.Context, roundID int64) error {
	rv, err := loadReveal(ctx, b.store, b.in, roundID)
	if err != nil {
		return err
	}
	if len(rv.TopGaps) == 0 {
		return nil
	}
	for _, g := range rv.TopGaps {
		if g.Action == nil || g.Action.Status != storage.ActionDone {
			return nil
		}
	}
	now := b.clock.Now()
	err = b.store.Transact(ctx, func(tx *storage.Storage) error {
		closed, err := tx.CloseRound(ctx, roundID, now)
		if err != nil || !closed {
			return err
		}
		_, err = tx.Enqueue(ctx,
			b.job(jobThreadNote, roundID, jobPayload{Step: "closed", Text: fmt.Sprintf("All %d actions are done: round %d is closed. See you at the next round.", len(rv.TopGaps), roundID)}, now),
			b.job(jobTopGaps, roundID, jobPayload{Step: "closed"}, now))
		return err
	})
	b.Wake()
	return err
}

// rerunSchedule books the next round: a reminder a week before and one on
// the day.
func (b *Bot) rerunSchedule(round storage.Round, now time.Time) []storage.NewJob {
	next := round.RevealedAt.Add(b.cfg.RerunAfter)
	jobs := []storage.NewJob{b.job(jobRerunReminder, round.ID, jobPayload{Step: "day"}, next)}
	if weekBefore := next.Add(-7 * 24 * time.Hour); weekBefore.After(now) {
		jobs = append(jobs, b.job(jobRerunReminder, round.ID, jobPayload{Step: "week"}, weekBefore))
	}
	return jobs
}

func (b *Bot) runRerunReminder(ctx context.Context, j storage.Job, p jobPayload) (any, error) {
	round, err := b.store.Round(ctx, *j.RoundID)
	if err != nil {
		return nil, err
	}
	latest, err := b.store.LatestRound(ctx, round.WorkspaceID, round.ChannelID)
	if err != nil {
		return nil, err
	}
	if latest.ID != round.ID && latest.State != storage.Cancelled {
		return nil, dropJob("the team already started its next round")
	}
	respondents, err := b.store.Respondents(ctx, round.ID)
	if err != nil {
		return nil, err
	}
	msg := renderRerunReminder(round, respondents, p.Step == "day")
	ts, err := b.postOnce(ctx, j, round.ChannelID, "", msg)
	if err != nil {
		return nil, err
	}
	return postResult{Channel: round.ChannelID, TS: ts}, nil
}

func renderRerunReminder(round storage.Round, respondents []storage.Respondent, today bool) Message {
	when := fmt.Sprintf("is due %s", dayDate(*round.NextRoundAt))
	if today {
		when = "is due today"
	}
	var people []string
	for _, r := range respondents {
		people = append(people, fmt.Sprintf("%s (%s)", mention(r.UserID), r.Role.Label()))
	}
	text := fmt.Sprintf("The next alignment round %s: a quarter since round %d. Moving a tier takes 60 to 90 days of steady work; "+
		"running the diagnostic again shows whether it happened. Same people as last time: %s.", when, round.ID, joinAnd(people))
	start := button(actionStartNext, fmt.Sprint(round.ID), "Start next round")
	start.Style = slack.StylePrimary
	return Message{Text: text, Blocks: []slack.Block{section("rerun", text), slack.NewActionBlock("rerun_actions", start)}}
}

// clickStartNext opens the start form filled in with the previous round's
// people and channel, to edit or confirm.
func (b *Bot) clickStartNext(ctx context.Context, cb slack.InteractionCallback, a *slack.BlockAction, log *slog.Logger) {
	roundID, err := parseRoundID(a.Value)
	if err != nil {
		b.reply(ctx, cb.ResponseURL, log, errTampered, "")
		return
	}
	respondents, err := b.store.Respondents(ctx, roundID)
	if err != nil {
		b.reply(ctx, cb.ResponseURL, log, err, "")
		return
	}
	round, err := b.store.Round(ctx, roundID)
	if err != nil {
		b.reply(ctx, cb.ResponseURL, log, err, "")
		return
	}
	people := map[scoring.Role]string{}
	for _, r := range respondents {
		people[r.Role] = r.UserID
	}
	meta, _ := json.Marshal(startModalMetadata{ChannelID: round.ChannelID})
	if _, err := b.api.OpenViewContext(ctx, cb.TriggerID, renderStartModal(string(meta), round.ChannelID, people)); err != nil {
		b.reply(ctx, cb.ResponseURL, log, fmt.Errorf("open start form: %w", err), "")
	}
}
