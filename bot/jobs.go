package bot

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/alignbot/alignbot/bot/render"
	"github.com/alignbot/alignbot/internal/outbox"
	"github.com/alignbot/alignbot/internal/slackapi"
	"github.com/alignbot/alignbot/scoring"
	"github.com/alignbot/alignbot/storage"
)

// Job kinds: every effect alignbot has on Slack. Each is registered once in
// jobKinds with the function that carries it out; a job's key is its kind,
// its round and what distinguishes it, so the same effect can never be
// enqueued twice.
const (
	jobAnnounce      = "announce"      // post the round's announcement
	jobProgress      = "progress"      // update the announcement in place
	jobQuestionnaire = "questionnaire" // DM a respondent their questionnaire
	jobCard          = "card"          // re-render a respondent's questionnaire
	jobRetire        = "retire"        // replace an outdated message with a one-line note
	jobDeadline      = "deadline"      // reveal on the leads, or tell the channel who is missing
	jobNudge         = "nudge"         // remind a respondent
	jobDeclined      = "declined"      // tell the facilitator a respondent declined
	jobReveal        = "reveal"        // post the reveal
	jobChart         = "chart"         // upload the reveal's chart into its thread
	jobRevealPart    = "reveal_part"   // post one part of the reveal's detail in its thread
	jobRevealUpdate  = "reveal_update" // update the reveal in place after its gaps changed
	jobNote          = "note"          // a change, in the reveal's thread
	jobOwnerDM       = "owner_dm"      // tell an owner about their action
	jobRerun         = "rerun"         // remind the channel of its next round
	jobParked        = "parked"        // tell the facilitator a delivery was given up
	jobHome          = "home"          // publish a person's App Home
	jobLive          = "live"          // send a live message its sender left behind its revision
	jobNotice        = "notice"        // tell a person, by DM, what could not be told them otherwise
	jobWorld         = "world"         // tell the facilitator what changed in the workspace under their round
)

// quickRetry is the longest a job a person waits for waits between its first
// tries while Slack or PostgreSQL fail transiently.
const quickRetry = 4 * time.Second

// jobKinds is the table of job kinds: how each runs, whether the team relies
// on it (then its facilitator hears when it is given up), how to say what it
// delivers, and, for kinds bound by chat.update's slow budget, how many may
// wait for it at once.
func (b *Bot) jobKinds() map[string]outbox.Kind {
	round := func(what string) func(context.Context, storage.Job) string {
		return func(ctx context.Context, j storage.Job) string { return b.describeInChannel(ctx, j, what) }
	}
	// People wait for the questionnaire, the reveal and the updates of the
	// messages they act on: those retry within seconds (MaxBackoff).
	kinds := map[string]outbox.Kind{
		jobAnnounce:      {Run: b.runAnnounce, Critical: true, Describe: round("parked.announcement"), MaxBackoff: quickRetry},
		jobProgress:      {Run: b.runProgress, MaxRunning: 2, MaxBackoff: quickRetry},
		jobQuestionnaire: {Run: b.runQuestionnaire, Critical: true, Describe: b.describeRespondent("parked.questionnaire"), MaxBackoff: quickRetry},
		jobCard:          {Run: b.runCard, MaxRunning: 2, MaxBackoff: quickRetry},
		jobRetire:        {Run: b.runRetire, MaxRunning: 2},
		jobDeadline:      {Run: b.runDeadline, Critical: true, Describe: round("parked.deadline")},
		jobNudge:         {Run: b.runNudge, Critical: true, Describe: b.describeRespondent("parked.reminder")},
		jobDeclined:      {Run: b.runDeclined},
		jobReveal:        {Run: b.runReveal, Critical: true, Describe: round("parked.reveal"), MaxBackoff: quickRetry},
		jobChart:         {Run: b.runChart, MaxBackoff: quickRetry},
		jobRevealPart:    {Run: b.runRevealPart, Critical: true, Describe: round("parked.reveal_part"), MaxBackoff: quickRetry},
		jobRevealUpdate:  {Run: b.runRevealUpdate, MaxRunning: 2, MaxBackoff: quickRetry},
		jobNote:          {Run: b.runNote, Critical: true, Describe: round("parked.note")},
		jobOwnerDM:       {Run: b.runOwnerDM, Critical: true, Describe: b.describeOwner},
		jobRerun:         {Run: b.runRerun, Critical: true, Describe: round("parked.rerun")},
		jobParked:        {Run: b.runParked},
		jobHome:          {Run: b.runHome, MaxBackoff: quickRetry},
		jobLive:          {Run: b.runLiveJob, MaxRunning: 2, MaxBackoff: quickRetry},
		jobNotice:        {Run: b.runNotice, MaxBackoff: quickRetry},
		jobWorld:         {Run: b.runWorld},
	}
	for name, kind := range kinds {
		kind.Run = handedOver(kind.Run)
		kinds[name] = kind
	}
	return kinds
}

// handedOver runs a job again at once, without counting an attempt, when a
// Slack call it was waiting to make was given up because this replica is
// stopping: another replica takes it.
func handedOver(run func(context.Context, storage.Job) (any, error)) func(context.Context, storage.Job) (any, error) {
	return func(ctx context.Context, j storage.Job) (any, error) {
		result, err := run(ctx, j)
		if errors.Is(err, slackapi.ErrQuit) {
			return nil, outbox.Again()
		}
		return result, err
	}
}

// jobPayload is what a job needs beyond its round.
type jobPayload struct {
	Role     scoring.Role `json:"role,omitempty"`
	Step     string       `json:"step,omitempty"`
	N        int          `json:"n,omitempty"`
	Question string       `json:"question,omitempty"`
	UserID   string       `json:"user_id,omitempty"`
	// Text is a thread note, rendered when its cause was committed.
	Text string `json:"text,omitempty"`
	// At is when a reminder was scheduled for (Unix seconds).
	At int64 `json:"at,omitempty"`
	// Job is the key of the job a parked note is about; Error Slack's
	// error code.
	Job   string `json:"job,omitempty"`
	Error string `json:"error,omitempty"`
	// Channel and TS name a message to retire; Stub how; Reader whose DM
	// it is, whose language its replacement speaks.
	Channel string `json:"channel,omitempty"`
	TS      string `json:"ts,omitempty"`
	Stub    string `json:"stub,omitempty"`
	Reader  string `json:"reader,omitempty"`
	// Workspace and Seq, for a person's App Home.
	Workspace string `json:"workspace,omitempty"`
	// Live is the key of a live message to bring up to date.
	Live string `json:"live,omitempty"`
	// Cause is what held a job (see storage.HoldJob).
	Cause string `json:"cause,omitempty"`
}

func (p jobPayload) key(kind string, roundID int64) string {
	parts := []string{kind, fmt.Sprint(roundID)}
	for _, s := range []string{string(p.Role), p.Question, p.UserID, p.Step} {
		if s != "" {
			parts = append(parts, s)
		}
	}
	if p.N != 0 {
		parts = append(parts, fmt.Sprint(p.N))
	}
	return strings.Join(parts, ":")
}

func newJob(kind string, roundID int64, p jobPayload, runAt time.Time) storage.NewJob {
	return storage.NewJob{Key: p.key(kind, roundID), Kind: kind, RoundID: roundID, Payload: p, RunAt: runAt}
}

// afterReveal makes a job wait for the round's reveal post: notes and
// updates need the reveal's ts.
func afterReveal(j storage.NewJob, roundID int64) storage.NewJob {
	j.After = jobPayload{}.key(jobReveal, roundID)
	return j
}

// changeKey distinguishes successive changes of the same thing (each update
// of the reveal, each note in its thread) in job keys.
func changeKey() string { return randomHex(8) }

func payload(j storage.Job) (jobPayload, error) {
	var p jobPayload
	return p, outbox.Payload(j, &p)
}

func roundOf(j storage.Job) int64 {
	if j.RoundID == nil {
		return 0
	}
	return *j.RoundID
}

// jobMetadataType marks every message the bot posts with the job that
// posted it, so a retried job can tell whether its earlier attempt got
// through.
const jobMetadataType = "alignbot_job"

// postOnce posts msg for job j in channel (a channel, or a user ID for their
// DM), in a thread when threadTS is set, and returns the channel and ts
// Slack gives it. Slack can accept a post and the bot die before recording
// it; the job then runs again. So a retried job first looks for its own
// message (by metadata) in the conversation's recent history and returns
// that instead of posting twice.
func (b *Bot) postOnce(ctx context.Context, j storage.Job, channel, threadTS string, msg render.Message) (string, string, error) {
	ch, ts, _, err := b.postOnceFound(ctx, j, channel, threadTS, msg)
	return ch, ts, err
}

// postOnceFound is postOnce that also says whether the message was found
// from an earlier attempt (then it shows what that attempt rendered).
func (b *Bot) postOnceFound(ctx context.Context, j storage.Job, channel, threadTS string, msg render.Message) (string, string, bool, error) {
	if j.Retried() {
		ch, ts, found, err := b.findPosted(ctx, j, channel, threadTS)
		if err != nil {
			return "", "", false, err
		}
		if found {
			return ch, ts, true, nil
		}
	}
	opts := append(msg.Options(), slack.MsgOptionMetadata(slack.SlackMetadata{
		EventType:    jobMetadataType,
		EventPayload: map[string]any{"job": j.Key},
	}))
	if threadTS != "" {
		opts = append(opts, slack.MsgOptionTS(threadTS))
	}
	ch, ts, err := b.api.PostMessageContext(ctx, channel, opts...)
	if err != nil {
		if slackErrorCode(err) == "not_in_channel" {
			b.dir.forgetRoom(channel)
		}
		return "", "", false, heldOn(channel, fmt.Errorf("post %s: %w", j.Kind, err))
	}
	return ch, ts, false, nil
}

func (b *Bot) findPosted(ctx context.Context, j storage.Job, channel, threadTS string) (string, string, bool, error) {
	if strings.HasPrefix(channel, "U") || strings.HasPrefix(channel, "W") {
		ch, _, _, err := b.api.OpenConversationContext(ctx, &slack.OpenConversationParameters{Users: []string{channel}, ReturnIM: true})
		if err != nil {
			return "", "", false, fmt.Errorf("look for an earlier post of %s: %w", j.Key, err)
		}
		channel = ch.ID
	}
	oldest := fmt.Sprintf("%d.000000", j.CreatedAt.Add(-time.Minute).Unix())
	var messages []slack.Message
	if threadTS != "" {
		replies, _, _, err := b.api.GetConversationRepliesContext(ctx, &slack.GetConversationRepliesParameters{
			ChannelID: channel, Timestamp: threadTS, Oldest: oldest, Limit: 200, IncludeAllMetadata: true})
		if err != nil {
			return "", "", false, fmt.Errorf("look for an earlier post of %s: %w", j.Key, err)
		}
		messages = replies
	} else {
		hist, err := b.api.GetConversationHistoryContext(ctx, &slack.GetConversationHistoryParameters{
			ChannelID: channel, Oldest: oldest, Limit: 200, IncludeAllMetadata: true})
		if err != nil {
			return "", "", false, fmt.Errorf("look for an earlier post of %s: %w", j.Key, err)
		}
		messages = hist.Messages
	}
	for _, m := range messages {
		if m.Metadata.EventType == jobMetadataType && m.Metadata.EventPayload["job"] == j.Key {
			return channel, m.Timestamp, true, nil
		}
	}
	return "", "", false, nil
}

// postResult is what a posting job records.
type postResult struct {
	Channel string `json:"channel"`
	TS      string `json:"ts"`
}

// inWorkingHours defers the job when a DM to userID would land outside their
// working hours.
func (b *Bot) inWorkingHours(ctx context.Context, userID string) error {
	if b.cfg.WorkingHours.AnyTime() {
		return nil
	}
	p, err := b.dir.person(ctx, userID)
	if err != nil {
		return fmt.Errorf("time zone of %s: %w", userID, err)
	}
	now := b.clock.Now()
	if next := b.cfg.WorkingHours.Next(now.In(p.Loc)); next.After(now) {
		return outbox.Defer(next)
	}
	return nil
}
