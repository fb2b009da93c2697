package storage

import (
	"context"
	"fmt"
	"time"
)

// Command is a slash command being worked on: acknowledged to Slack, not yet
// answered.
type Command struct {
	EnvelopeID string `db:"envelope_id"`
	UserID     string `db:"user_id"`
	ChannelID  string `db:"channel_id"`
	Text       string `db:"text"`
	// ResponseURL answers the person for 30 minutes. It lets anyone post
	// into the conversation: it stays out of logs and errors.
	ResponseURL string    `db:"response_url"`
	ReceivedAt  time.Time `db:"received_at"`
}

// BeginCommand records a command before it is acknowledged, so that it is
// answered even if the replica working on it dies. A redelivered command
// is recorded once.
func (s *Storage) BeginCommand(ctx context.Context, c Command) error {
	_, err := s.q.ExecContext(ctx, `INSERT INTO commands (envelope_id, user_id, channel_id, text, response_url, received_at)
		VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`,
		c.EnvelopeID, c.UserID, c.ChannelID, c.Text, c.ResponseURL, c.ReceivedAt)
	if err != nil {
		return fmt.Errorf("record command %s: %w", c.EnvelopeID, err)
	}
	return nil
}

// EndCommand forgets a command once the person has been answered.
func (s *Storage) EndCommand(ctx context.Context, envelopeID string) error {
	if _, err := s.q.ExecContext(ctx, `DELETE FROM commands WHERE envelope_id = $1`, envelopeID); err != nil {
		return fmt.Errorf("forget command %s: %w", envelopeID, err)
	}
	return nil
}

// AbandonedCommands hands fn, one transaction at a time, the commands
// received before cutoff and still unanswered: the replica working on them
// died. Each command is locked while fn answers it (another replica skips
// it), then forgotten, answered or not: fn has one go. Commands older than
// expired are forgotten without fn: their response_url no longer works.
func (s *Storage) AbandonedCommands(ctx context.Context, cutoff, expired time.Time, fn func(Command)) (int, error) {
	if _, err := s.q.ExecContext(ctx, `DELETE FROM commands WHERE received_at < $1`, expired); err != nil {
		return 0, fmt.Errorf("forget expired commands: %w", err)
	}
	handled := 0
	for {
		var done bool
		err := s.Transact(ctx, func(tx *Storage) error {
			var cmds []Command
			if err := tx.q.SelectContext(ctx, &cmds, `SELECT envelope_id, user_id, channel_id, text, response_url, received_at
				FROM commands WHERE received_at < $1 ORDER BY received_at LIMIT 1 FOR UPDATE SKIP LOCKED`, cutoff); err != nil {
				return err
			}
			if len(cmds) == 0 {
				done = true
				return nil
			}
			fn(cmds[0])
			_, err := tx.q.ExecContext(ctx, `DELETE FROM commands WHERE envelope_id = $1`, cmds[0].EnvelopeID)
			return err
		})
		if err != nil {
			return handled, fmt.Errorf("abandoned commands: %w", err)
		}
		if done {
			return handled, nil
		}
		handled++
	}
}
