package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/alignbot/alignbot/storage"
)

// After the reveal: posting it, and the team naming owners for the top gaps
// or setting gaps aside as already being addressed.

func (b *Bot) runReveal(ctx context.Context, j storage.Job, _ jobPayload) (any, error) {
	rv, err := LoadReveal(ctx, b.store, b.in, *j.RoundID)
	if err != nil {
		return nil, err
	}
	if rv.Round.RevealTS != "" {
		return postResult{Channel: rv.Round.ChannelID, TS: rv.Round.RevealTS}, nil
	}
	parent, replies := renderReveal(rv)
	ts, err := b.postOnce(ctx, j, rv.Round.ChannelID, "", parent)
	if err != nil {
		return nil, err
	}
	now := b.clock.Now()
	err = b.store.Transact(ctx, func(tx *storage.Storage) error {
		if _, err := tx.SetRevealTS(ctx, rv.Round.ID, ts); err != nil {
			return err
		}
		jobs := b.rerunSchedule(rv.Round, now)
		if len(replies) > 0 {
			jobs = append(jobs, b.job(jobRevealPart, rv.Round.ID, jobPayload{N: 1}, now))
		}
		for _, r := range rv.Respondents {
			jobs = append(jobs, b.job(jobCard, rv.Round.ID, jobPayload{Role: r.Role, Step: "revealed"}, now))
		}
		if err := tx.SetNextRoundAt(ctx, rv.Round.ID, rv.Round.RevealedAt.Add(b.cfg.RerunAfter)); err != nil {
			return err
		}
		_, err := tx.Enqueue(ctx, jobs...)
		return err
	})
	if err != nil {
		return nil, err
	}
	b.Wake()
	b.log.Info("round revealed", slog.Int64("round_id", rv.Round.ID), slog.String("channel_id", rv.Round.ChannelID))
	return postResult{Channel: rv.Round.ChannelID, TS: ts}, nil
}

// runRevealPart posts the Nth thread reply of a reveal too long for one
// message, then enqueues the next, so replies keep their order.
func (b *Bot) runRevealPart(ctx context.Context, j storage.Job, p jobPayload) (any, error) {
	rv, err := loadReveal(ctx, b.store, b.in, *j.RoundID)
	if err != nil {
		return nil, err
	}
	_, replies := renderReveal(rv)
	if p.N < 1 || p.N > len(replies) {
		return nil, dropJob("no such reveal part")
	}
	ts, err := b.postOnce(ctx, j, rv.Round.ChannelID, rv.Round.RevealTS, replies[p.N-1])
	if err != nil {
		return nil, err
	}
	if p.N < len(replies) {
		if _, err := b.store.Enqueue(ctx, b.job(jobRevealPart, rv.Round.ID, jobPayload{N: p.N + 1}, b.clock.Now())); err != nil {
			return nil, err
		}
		b.Wake()
	}
	return postResult{Channel: rv.Round.ChannelID, TS: ts}, nil
}

// runTopGaps re-renders the reveal in place after its top gaps changed.
func (b *Bot) runTopGaps(ctx context.Context, j storage.Job, _ jobPayload) (any, error) {
	rv, err := LoadReveal(ctx, b.store, b.in, *j.RoundID)
	if err != nil {
		return nil, err
	}
	if rv.Round.RevealTS == "" {
		return nil, b.waitFor(ctx, jobPayload{}.key(jobReveal, rv.Round.ID))
	}
	parent, _ := renderReveal(rv)
	if _, _, _, err := b.api.UpdateMessageContext(ctx, rv.Round.ChannelID, rv.Round.RevealTS, parent.options()...); err != nil {
		return nil, fmt.Errorf("update reveal: %w", err)
	}
	return nil, nil
}

// runThreadNote posts a change (an owner named, an action done) in the
// reveal's thread, where the team follows its gaps.
func (b *Bot) runThreadNote(ctx context.Context, j storage.Job, p jobPayload) (any, error) {
	round, err := b.store.Round(ctx, *j.RoundID)
	if err != nil {
		return nil, err
	}
	if round.RevealTS == "" {
		return nil, b.waitFor(ctx, jobPayload{}.key(jobReveal, round.ID))
	}
	ts, err := b.postOnce(ctx, j, round.ChannelID, round.RevealTS, Message{Text: p.Text, Blocks: []slack.Block{section("note", p.Text)}})
	if err != nil {
		return nil, err
	}
	return postResult{Channel: round.ChannelID, TS: ts}, nil
}

// assignmentKey names one assignment of an action: its reminders check it, so
// a reassignment silences the previous owner's.
func assignmentKey(assignedAt time.Time) string { return strconv.FormatInt(assignedAt.UnixNano(), 36) }

// changeKey distinguishes successive changes of the same thing (each update
// of the reveal, each note in its thread) in job keys.
func changeKey() string { return randomHex(8) }

// revealedRound finds the round a gap command refers to: the channel's
// latest revealed round.
func (b *Bot) revealedRound(ctx context.Context, workspaceID, channelID string) (int64, error) {
	round, err := b.store.LatestRevealedRound(ctx, workspaceID, channelID)
	if errors.Is(err, storage.ErrNotFound) {
		if _, cerr := b.store.CollectingRound(ctx, workspaceID, channelID); cerr == nil {
			return 0, userErrorf("The round in %s isn't revealed yet. Owners are named for the top gaps after the reveal, once everyone has submitted.", channelRef(channelID))
		}
		return 0, userErrorf("No round has been revealed in %s yet. Start one with %s.", channelRef(channelID), startUsage)
	}
	if err != nil {
		return 0, err
	}
	return round.ID, nil
}

// gapFor loads a revealed round and one of its current top gaps. Called
// inside a transaction that holds the round's lock, what it finds cannot
// change before the caller commits.
func (b *Bot) gapFor(ctx context.Context, tx *storage.Storage, roundID int64, question string) (Reveal, TopGap, error) {
	if _, err := tx.LockRound(ctx, roundID); err != nil {
		if errors.Is(err, storage.ErrNotFound) {
			return Reveal{}, TopGap{}, errTampered
		}
		return Reveal{}, TopGap{}, err
	}
	rv, err := loadReveal(ctx, tx, b.in, roundID)
	switch {
	case errors.Is(err, ErrNotRevealedYet):
		return Reveal{}, TopGap{}, userErrorf("That round isn't revealed yet. Owners are named for the top gaps after the reveal.")
	case err != nil:
		return Reveal{}, TopGap{}, err
	}
	if rv.Round.State == storage.Closed {
		return Reveal{}, TopGap{}, userErrorf("Round %d is closed: all its actions are done. Start the next round to pick new gaps.", rv.Round.ID)
	}
	gap, ok := rv.TopGap(question)
	if !ok {
		return Reveal{}, TopGap{}, userErrorf("%s isn't one of round %d's top gaps (%s).", question, rv.Round.ID, strings.Join(topGapIDs(rv), ", "))
	}
	return rv, gap, nil
}

func topGapIDs(rv Reveal) []string {
	var ids []string
	for _, g := range rv.TopGaps {
		ids = append(ids, g.Result.Question.ID)
	}
	return ids
}

// assignRequest names an owner and a 30-day action for a top gap.
type assignRequest struct {
	DeliveryID string
	RoundID    int64
	Question   string
	OwnerID    string
	Text       string
	By         string
}

// assign records the owner and action and enqueues the owner's DM, the
// in-place update of the reveal and a note in its thread.
func (b *Bot) assign(ctx context.Context, req assignRequest) (storage.Action, error) {
	text := strings.TrimSpace(req.Text)
	if text == "" {
		return storage.Action{}, fieldErrorf("action", "Describe the 30-day action, e.g. \"write and sign off the MQL/SQL definition\".")
	}
	if len(text) > maxActionLength {
		return storage.Action{}, fieldErrorf("action", "Keep the action under %d characters; it's a 30-day step, not a plan.", maxActionLength)
	}
	if msg := b.checkPerson(ctx, req.OwnerID); msg != "" {
		return storage.Action{}, fieldErrorf("owner", "%s", msg)
	}
	now := b.clock.Now()
	var saved storage.Action
	err := b.store.Transact(ctx, func(tx *storage.Storage) error {
		if err := remember(ctx, tx, req.DeliveryID, now); err != nil {
			return err
		}
		rv, gap, err := b.gapFor(ctx, tx, req.RoundID, req.Question)
		if err != nil {
			return err
		}
		if a := gap.Action; a != nil && req.By != a.OwnerID && req.By != rv.Round.FacilitatorID {
			return userErrorf("%s already has an owner, %s. Only they or %s, who started the round, can change it.",
				req.Question, mention(a.OwnerID), mention(rv.Round.FacilitatorID))
		}
		saved, err = tx.AssignAction(ctx, storage.Action{
			RoundID: req.RoundID, QuestionID: req.Question, OwnerID: req.OwnerID, Description: text,
			AssignedBy: req.By, AssignedAt: now, DueAt: now.Add(b.cfg.ActionDue),
		})
		if err != nil {
			return err
		}
		note := fmt.Sprintf("%s named %s owner of *%s · %s*: _%s_, due %s.", mention(req.By), mention(req.OwnerID),
			req.Question, gap.Result.Question.Topic, text, dayDate(saved.DueAt))
		change, assignment := changeKey(), assignmentKey(saved.AssignedAt)
		jobs := []storage.NewJob{
			b.job(jobTopGaps, req.RoundID, jobPayload{Step: change}, now),
			b.job(jobThreadNote, req.RoundID, jobPayload{Question: req.Question, Step: change, Text: note}, now),
			b.job(jobOwnerDM, req.RoundID, jobPayload{Question: req.Question, UserID: req.OwnerID, Step: assignment}, now),
		}
		jobs = append(jobs, b.ownerSchedule(saved, assignment)...)
		_, err = tx.Enqueue(ctx, jobs...)
		return err
	})
	if errors.Is(err, storage.ErrNotRevealed) {
		return storage.Action{}, userErrorf("Round %d is no longer open for owners.", req.RoundID)
	}
	if err != nil {
		return storage.Action{}, err
	}
	b.Wake()
	b.log.Info("action assigned", slog.Int64("round_id", req.RoundID), slog.String("question", req.Question),
		slog.String("user_id", req.By))
	return saved, nil
}

func (b *Bot) commandAssign(ctx context.Context, envelopeID string, cmd slack.SlashCommand, c command) (string, error) {
	roundID, err := b.revealedRound(ctx, cmd.TeamID, cmd.ChannelID)
	if err != nil {
		return "", err
	}
	a, err := b.assign(ctx, assignRequest{DeliveryID: envelopeID, RoundID: roundID, Question: c.question,
		OwnerID: c.users[0], Text: c.text, By: cmd.UserID})
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%s owns %s: _%s_, due %s. I've let them know.", mention(a.OwnerID), a.QuestionID, a.Description, dayDate(a.DueAt)), nil
}

// markAddressed sets a top gap aside as already being addressed; the next
// candidate moves into the top gaps. roundID 0 means the channel's latest
// revealed round.
func (b *Bot) markAddressed(ctx context.Context, deliveryID, workspaceID, channelID string, roundID int64, question, by string) (string, error) {
	if roundID == 0 {
		var err error
		if roundID, err = b.revealedRound(ctx, workspaceID, channelID); err != nil {
			return "", err
		}
	}
	now := b.clock.Now()
	var after []string
	err := b.store.Transact(ctx, func(tx *storage.Storage) error {
		if err := remember(ctx, tx, deliveryID, now); err != nil {
			return err
		}
		_, gap, err := b.gapFor(ctx, tx, roundID, question)
		if err != nil {
			return err
		}
		if gap.Action != nil {
			return userErrorf("%s already has an owner, %s, in this round, so it stays in the top gaps.", question, mention(gap.Action.OwnerID))
		}
		if _, err := tx.MarkAddressed(ctx, roundID, question, by, now); err != nil {
			return err
		}
		note := fmt.Sprintf("%s marked *%s · %s* as already being addressed; the next gap moves up.", mention(by), question, gap.Result.Question.Topic)
		change := changeKey()
		if _, err := tx.Enqueue(ctx,
			b.job(jobTopGaps, roundID, jobPayload{Step: change}, now),
			b.job(jobThreadNote, roundID, jobPayload{Question: question, Step: change, Text: note}, now),
		); err != nil {
			return err
		}
		rv, err := loadReveal(ctx, tx, b.in, roundID)
		after = topGapIDs(rv)
		return err
	})
	if errors.Is(err, storage.ErrNotRevealed) {
		return "", userErrorf("Round %d is no longer open for changes.", roundID)
	}
	if err != nil {
		return "", err
	}
	b.Wake()
	return fmt.Sprintf("Marked %s as already being addressed. The top gaps are now %s.", question, joinAnd(after)), nil
}

// parseGapValue reads "<round>:<question>" from a gap button.
func (b *Bot) parseGapValue(value string) (int64, string, error) {
	roundPart, question, ok := strings.Cut(value, ":")
	if !ok {
		return 0, "", errTampered
	}
	roundID, err := parseRoundID(roundPart)
	if err != nil {
		return 0, "", errTampered
	}
	if _, ok := b.in.Question(question); !ok {
		return 0, "", errTampered
	}
	return roundID, question, nil
}

func (b *Bot) clickAssign(ctx context.Context, cb slack.InteractionCallback, a *slack.BlockAction, log *slog.Logger) {
	roundID, question, err := b.parseGapValue(a.Value)
	if err != nil {
		b.reply(ctx, cb.ResponseURL, log, err, "")
		return
	}
	// The trigger expires in 3 seconds: open the form before anything slow.
	// What the form would change is checked again on submission.
	current, _ := b.store.Action(ctx, roundID, question)
	q, _ := b.in.Question(question)
	view := renderAssignModal(gapValue(roundID, question), q, current)
	if _, err := b.api.OpenViewContext(ctx, cb.TriggerID, view); err != nil {
		b.reply(ctx, cb.ResponseURL, log, fmt.Errorf("open assign form: %w", err), "")
	}
}

func (b *Bot) submitAssignModal(ctx context.Context, envelopeID string, cb slack.InteractionCallback, log *slog.Logger) map[string]string {
	roundID, question, err := b.parseGapValue(cb.View.PrivateMetadata)
	if err != nil {
		return map[string]string{"owner": errTampered.msg}
	}
	owner := stateValue(cb, "owner", "user").SelectedUser
	text := stateValue(cb, "action", "text").Value
	if owner == "" {
		return map[string]string{"owner": "Pick the person who owns this gap."}
	}
	_, err = b.assign(ctx, assignRequest{DeliveryID: envelopeID, RoundID: roundID, Question: question, OwnerID: owner, Text: text, By: cb.User.ID})
	if err == nil || errors.Is(err, errDuplicate) {
		return nil
	}
	field := "owner"
	var ue userError
	if errors.As(err, &ue) && ue.field != "" {
		field = ue.field
	}
	return map[string]string{field: b.explain(log, err)}
}

func (b *Bot) clickAddressed(ctx context.Context, envelopeID string, cb slack.InteractionCallback, a *slack.BlockAction, log *slog.Logger) {
	roundID, question, err := b.parseGapValue(a.Value)
	if err != nil {
		b.reply(ctx, cb.ResponseURL, log, err, "")
		return
	}
	text, err := b.markAddressed(ctx, envelopeID, cb.Team.ID, cb.Channel.ID, roundID, question, cb.User.ID)
	b.reply(ctx, cb.ResponseURL, log, err, text)
}
