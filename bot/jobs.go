package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/slack-go/slack"

	"github.com/alignbot/alignbot/scoring"
	"github.com/alignbot/alignbot/storage"
)

// Job kinds. Each kind has one handler below; a job's key is its kind, its
// round and what distinguishes it (a role, a step, a count), so the same
// effect can never be enqueued twice.
const (
	jobAnnounce        = "announce"      // post the round's announcement and progress message
	jobQuestionnaire   = "questionnaire" // DM a respondent their questionnaire
	jobProgress        = "progress"      // update the announcement in place
	jobCard            = "card"          // re-render a respondent's questionnaire
	jobReveal          = "reveal"        // post the reveal
	jobRevealPart      = "reveal_part"   // post one thread reply of a long reveal
	jobNudgeRespondent = "nudge_respondent"
	jobDeadline        = "deadline"
	jobOwnerDM         = "owner_dm"
	jobNudgeOwner      = "nudge_owner"
	jobThreadNote      = "thread_note"
	jobRerunReminder   = "rerun_reminder"
	jobTopGaps         = "top_gaps"    // re-render the top-three gaps message
	jobParkedNote      = "parked_note" // tell the facilitator a delivery was given up
)

// jobPayload is what a job needs beyond its round.
type jobPayload struct {
	Role     scoring.Role `json:"role,omitempty"`
	Step     string       `json:"step,omitempty"`
	N        int          `json:"n,omitempty"`
	Question string       `json:"question,omitempty"`
	Text     string       `json:"text,omitempty"`
	UserID   string       `json:"user_id,omitempty"`
	// At is when a reminder was scheduled for (Unix seconds).
	At int64 `json:"at,omitempty"`
	// Job is the key of the job a parked_note is about.
	Job string `json:"job,omitempty"`
}

func (p jobPayload) key(kind string, roundID int64) string {
	parts := []string{kind, fmt.Sprint(roundID)}
	for _, s := range []string{string(p.Role), p.Question, p.Step, p.UserID} {
		if s != "" {
			parts = append(parts, s)
		}
	}
	if p.N != 0 {
		parts = append(parts, fmt.Sprint(p.N))
	}
	return strings.Join(parts, ":")
}

func (b *Bot) job(kind string, roundID int64, p jobPayload, runAt time.Time) storage.NewJob {
	return storage.NewJob{Key: p.key(kind, roundID), Kind: kind, RoundID: roundID, Payload: p, RunAt: runAt}
}

// jobError tells the runner what to do with a job that did not complete.
type jobError struct {
	err   error
	until time.Time // defer to this time without counting an attempt
	drop  bool      // the job has become pointless
}

func (e *jobError) Error() string {
	if e.err != nil {
		return e.err.Error()
	}
	if e.drop {
		return "dropped"
	}
	return "deferred until " + e.until.Format(time.RFC3339)
}

func (e *jobError) Unwrap() error { return e.err }

func deferUntil(t time.Time) error { return &jobError{until: t} }

func dropJob(reason string) error { return &jobError{drop: true, err: errors.New(reason)} }

// errNotYet is a job waiting for another (a progress update for an
// announcement not yet posted): retried at the runner's next poll, without
// counting an attempt.
var errNotYet = errors.New("waiting for an earlier job")

type jobHandler func(ctx context.Context, j storage.Job, p jobPayload) (result any, err error)

func (b *Bot) jobHandlers() map[string]jobHandler {
	return map[string]jobHandler{
		jobAnnounce:        b.runAnnounce,
		jobQuestionnaire:   b.runQuestionnaire,
		jobProgress:        b.runProgress,
		jobCard:            b.runCard,
		jobReveal:          b.runReveal,
		jobRevealPart:      b.runRevealPart,
		jobTopGaps:         b.runTopGaps,
		jobNudgeRespondent: b.runNudgeRespondent,
		jobDeadline:        b.runDeadline,
		jobOwnerDM:         b.runOwnerDM,
		jobNudgeOwner:      b.runNudgeOwner,
		jobThreadNote:      b.runThreadNote,
		jobRerunReminder:   b.runRerunReminder,
		jobParkedNote:      b.runParkedNote,
	}
}

const jobConcurrency = 8

// runJobs claims due jobs and runs them until ctx is done. Each job runs
// under a lease: if this replica dies, another takes the job over when the
// lease ends.
func (b *Bot) runJobs(ctx context.Context) {
	handlers := b.jobHandlers()
	sem := make(chan struct{}, jobConcurrency)
	var running sync.WaitGroup
	defer running.Wait()
	var swept time.Time
	for {
		if now := b.clock.Now(); now.Sub(swept) > time.Hour {
			swept = now
			b.sweep(ctx, now)
		}
		claimed, err := b.store.ClaimJobs(ctx, b.worker, b.clock.Now(), b.lease, jobConcurrency)
		if err != nil && ctx.Err() == nil {
			b.log.Warn("claim jobs failed", slog.Any("error", err))
		}
		for _, j := range claimed {
			sem <- struct{}{}
			running.Add(1)
			go func() {
				defer func() { <-sem; running.Done() }()
				b.runJob(ctx, handlers, j)
			}()
		}
		if len(claimed) == jobConcurrency {
			continue // more may be due
		}
		select {
		case <-ctx.Done():
			return
		case <-b.wake:
		case <-time.After(b.pollEvery):
		}
	}
}

// sweep forgets deliveries older than a day: Slack stops redelivering within
// minutes. Every replica sweeps; deleting twice is harmless.
func (b *Bot) sweep(ctx context.Context, now time.Time) {
	n, err := b.store.ForgetDeliveries(ctx, now.Add(-24*time.Hour))
	if err != nil {
		if ctx.Err() == nil {
			b.log.Warn("forgetting old deliveries failed", slog.Any("error", err))
		}
		return
	}
	if n > 0 {
		b.log.Info("forgot old deliveries", slog.Int("count", n))
	}
}

// RunDueJobs runs every job due now on this replica and returns when none is
// left. Tests and the benchmark drive the queue with it.
func (b *Bot) RunDueJobs(ctx context.Context) (int, error) {
	handlers := b.jobHandlers()
	ran := 0
	for {
		claimed, err := b.store.ClaimJobs(ctx, b.worker, b.clock.Now(), b.lease, jobConcurrency)
		if err != nil {
			return ran, err
		}
		if len(claimed) == 0 {
			return ran, nil
		}
		var wg sync.WaitGroup
		for _, j := range claimed {
			wg.Add(1)
			go func() {
				defer wg.Done()
				b.runJob(ctx, handlers, j)
			}()
		}
		wg.Wait()
		ran += len(claimed)
	}
}

func (b *Bot) runJob(ctx context.Context, handlers map[string]jobHandler, j storage.Job) {
	log := b.log.With(slog.String("job", j.Key), slog.Int("attempt", j.Attempts))
	if j.RoundID != nil {
		log = log.With(slog.Int64("round_id", *j.RoundID))
	}
	handler, ok := handlers[j.Kind]
	if !ok {
		b.finish(ctx, log, j, b.store.ParkJob(ctx, j, "unknown job kind", b.clock.Now()))
		return
	}
	var p jobPayload
	if err := json.Unmarshal(j.Payload, &p); err != nil {
		b.finish(ctx, log, j, b.store.ParkJob(ctx, j, "unreadable payload", b.clock.Now()))
		return
	}
	// A job already claimed is finished even when the replica is shutting
	// down; it has half its lease to do so.
	ctx = context.WithoutCancel(ctx)
	jctx, cancel := context.WithTimeout(ctx, b.lease/2)
	result, err := handler(jctx, j, p)
	cancel()
	now := b.clock.Now()
	var je *jobError
	switch {
	case err == nil:
		b.finish(ctx, log, j, b.store.CompleteJob(ctx, j, result, now))
	case errors.As(err, &je) && je.drop:
		log.Info("job dropped", slog.String("reason", je.Error()))
		b.finish(ctx, log, j, b.store.DropJob(ctx, j, now))
	case errors.As(err, &je) && je.err == nil:
		b.finish(ctx, log, j, b.store.DeferJob(ctx, j, je.until, now))
	case errors.Is(err, errNotYet):
		// Due again at once: the runner's next poll retries it.
		b.finish(ctx, log, j, b.store.DeferJob(ctx, j, now, now))
	default:
		b.retryOrPark(ctx, log, j, err, now)
	}
}

func (b *Bot) retryOrPark(ctx context.Context, log *slog.Logger, j storage.Job, err error, now time.Time) {
	reason := err.Error()
	if wait, limited := retryAfter(err); limited {
		// Slack asked us to slow down; that is not the job's fault.
		log.Info("rate limited by slack", slog.String("retry_after", wait.String()))
		b.finish(ctx, log, j, b.store.DeferJob(ctx, j, now.Add(wait), now))
		return
	}
	if permanent(err) || j.Attempts >= b.maxTries {
		log.Error("job parked", slog.String("error", reason))
		b.finish(ctx, log, j, b.store.ParkJob(ctx, j, reason, now))
		b.noteParked(ctx, log, j, err, now)
		return
	}
	delay := backoff(j.Attempts)
	log.Warn("job failed, will retry", slog.String("error", reason), slog.String("retry_in", delay.Round(time.Millisecond).String()))
	b.finish(ctx, log, j, b.store.RetryJob(ctx, j, now.Add(delay), reason, now))
}

// backoff is exponential with jitter: about 2s, 4s, 8s … capped at 10 minutes.
func backoff(attempt int) time.Duration {
	d := time.Second << min(attempt, 10)
	d = min(d, 10*time.Minute)
	return d/2 + time.Duration(rand.Int64N(int64(d/2)+1))
}

// noteParked asks for the round's facilitator to be told when something the
// team relies on could not be delivered, so a round does not stall in
// silence. Cosmetic updates (progress, a card) are only logged.
func (b *Bot) noteParked(ctx context.Context, log *slog.Logger, j storage.Job, err error, now time.Time) {
	switch j.Kind {
	case jobProgress, jobCard, jobParkedNote:
		return
	}
	if j.RoundID == nil {
		return
	}
	why := slackErrorCode(err)
	if why == "" {
		why = "Slack kept failing"
	}
	note := storage.NewJob{Key: "parked:" + j.Key, Kind: jobParkedNote, RoundID: *j.RoundID,
		Payload: jobPayload{Job: j.Key, Text: why}, RunAt: now}
	if _, err := b.store.Enqueue(ctx, note); err != nil {
		log.Error("queueing the facilitator's note failed", slog.Any("error", err))
	}
	b.Wake()
}

func (b *Bot) finish(ctx context.Context, log *slog.Logger, j storage.Job, err error) {
	switch {
	case err == nil:
	case errors.Is(err, storage.ErrLeaseLost):
		// Another replica took the job over after our lease ended, or the
		// job was cancelled meanwhile; it is theirs now.
		log.Warn("job lease lost")
	case ctx.Err() != nil:
	default:
		log.Error("recording job outcome failed", slog.Any("error", err))
	}
}

// jobMetadata marks every message the bot posts with the job that posted it,
// so a retried job can tell whether its earlier attempt got through.
const jobMetadataType = "alignbot_job"

// postOnce posts msg for job j, in a thread when threadTS is set. Slack can
// accept a post and the bot die before recording it; the job then runs again.
// So a retried job first looks for its own message (by metadata) in the
// channel's recent history and returns that instead of posting twice.
func (b *Bot) postOnce(ctx context.Context, j storage.Job, channelID, threadTS string, msg Message) (string, error) {
	if j.Attempts > 1 {
		ts, found, err := b.findPosted(ctx, j, channelID, threadTS)
		if err != nil {
			return "", err
		}
		if found {
			return ts, nil
		}
	}
	opts := append(msg.options(), slack.MsgOptionMetadata(slack.SlackMetadata{
		EventType:    jobMetadataType,
		EventPayload: map[string]any{"job": j.Key},
	}))
	if threadTS != "" {
		opts = append(opts, slack.MsgOptionTS(threadTS))
	}
	_, ts, err := b.api.PostMessageContext(ctx, channelID, opts...)
	if err != nil {
		return "", fmt.Errorf("post %s: %w", j.Kind, err)
	}
	return ts, nil
}

func (b *Bot) findPosted(ctx context.Context, j storage.Job, channelID, threadTS string) (string, bool, error) {
	oldest := fmt.Sprintf("%d.000000", j.CreatedAt.Add(-time.Minute).Unix())
	var messages []slack.Message
	if threadTS != "" {
		replies, _, _, err := b.api.GetConversationRepliesContext(ctx, &slack.GetConversationRepliesParameters{
			ChannelID: channelID, Timestamp: threadTS, Oldest: oldest, Limit: 200, IncludeAllMetadata: true})
		if err != nil {
			return "", false, fmt.Errorf("look for an earlier post of %s: %w", j.Key, err)
		}
		messages = replies
	} else {
		hist, err := b.api.GetConversationHistoryContext(ctx, &slack.GetConversationHistoryParameters{
			ChannelID: channelID, Oldest: oldest, Limit: 200, IncludeAllMetadata: true})
		if err != nil {
			return "", false, fmt.Errorf("look for an earlier post of %s: %w", j.Key, err)
		}
		messages = hist.Messages
	}
	for _, m := range messages {
		if m.Metadata.EventType == jobMetadataType && m.Metadata.EventPayload["job"] == j.Key {
			return m.Timestamp, true, nil
		}
	}
	return "", false, nil
}

// postResult is what a posting job records.
type postResult struct {
	Channel string `json:"channel"`
	TS      string `json:"ts"`
}
