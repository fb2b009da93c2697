package storage

import (
	"context"
	"fmt"
	"time"

	"github.com/lib/pq"
)

// A cause is something in the workspace that stops jobs from succeeding
// until it changes: "channel:C123" (the bot was removed from the channel,
// or it was archived), "user:U123" (the person was deactivated or left),
// "workspace" (Slack refuses the bot's token). Jobs that meet one are held
// on it rather than retried, and resume, all of them, when it is fixed.

// HoldJob stops running a claimed job until its cause is fixed (see
// ResumeHeld). Unlike a parked job, a held one is expected to resume.
func (s *Storage) HoldJob(ctx context.Context, j Job, cause, reason string, now time.Time) error {
	if err := s.finishJob(ctx, j, `state = 'held', held_on = $4, last_error = $5`, now, cause, reason); err != nil {
		return err
	}
	// Jobs waiting for this one must now wait for it.
	return s.notifyJobs(ctx)
}

// HoldPending holds every pending job not being run right now on cause,
// and returns how many: Slack refuses everything until the cause is fixed.
func (s *Storage) HoldPending(ctx context.Context, cause, reason string, now time.Time) (int, error) {
	n, err := s.execCount(ctx, `UPDATE jobs SET state = 'held', held_on = $1, last_error = $2, updated_at = $3
		WHERE state = 'pending' AND lease_token IS NULL`, cause, reason, now)
	if err != nil {
		return 0, fmt.Errorf("hold pending jobs on %s: %w", cause, err)
	}
	return int(n), nil
}

// ResumeHeld makes the jobs held on any of causes pending again, due now and
// with their attempts forgotten (they failed for a cause now fixed), forgets
// that their facilitators were told, and returns how many jobs it resumed.
func (s *Storage) ResumeHeld(ctx context.Context, now time.Time, causes ...string) (int, error) {
	var n int
	err := s.q.GetContext(ctx, &n, `
		WITH resumed AS (
			UPDATE jobs SET state = 'pending', held_on = NULL, run_at = $2, attempts = 0, updated_at = $2
			WHERE state = 'held' AND held_on = ANY($1)
			RETURNING 1
		),
		forgotten AS (
			DELETE FROM holds WHERE cause = ANY($1)
		),
		woken AS (
			SELECT pg_notify('`+JobsChannel+`', '') FROM resumed LIMIT 1
		)
		SELECT (SELECT count(*) FROM resumed) + 0 * (SELECT count(*) FROM woken)`, pq.Array(causes), now)
	if err != nil {
		return 0, fmt.Errorf("resume jobs held on %v: %w", causes, err)
	}
	return n, nil
}

// NoteHold records that a round's facilitator is being told about cause,
// and reports whether it is the first time since the cause was last fixed.
func (s *Storage) NoteHold(ctx context.Context, roundID int64, cause string, now time.Time) (bool, error) {
	n, err := s.execCount(ctx, `INSERT INTO holds (round_id, cause, noted_at) VALUES ($1, $2, $3)
		ON CONFLICT DO NOTHING`, roundID, cause, now)
	if err != nil {
		return false, fmt.Errorf("note hold of round %d on %s: %w", roundID, cause, err)
	}
	return n == 1, nil
}

// HeldJobs returns the keys of the jobs held on cause.
func (s *Storage) HeldJobs(ctx context.Context, cause string) ([]string, error) {
	var keys []string
	if err := s.q.SelectContext(ctx, &keys, `SELECT key FROM jobs WHERE state = 'held' AND held_on = $1 ORDER BY id`, cause); err != nil {
		return nil, fmt.Errorf("jobs held on %s: %w", cause, err)
	}
	return keys, nil
}

// OpenRoundsIn returns the channel's rounds still under way (collecting, or
// revealed with actions to follow), newest first.
func (s *Storage) OpenRoundsIn(ctx context.Context, workspaceID, channelID string) ([]Round, error) {
	var rounds []Round
	err := s.q.SelectContext(ctx, &rounds, `SELECT `+roundColumns+` FROM `+roundFrom+`
		WHERE t.workspace_id = $1 AND t.channel_id = $2 AND r.state IN ('collecting', 'revealed')
		ORDER BY r.id DESC`, workspaceID, channelID)
	if err != nil {
		return nil, fmt.Errorf("open rounds in %s: %w", channelID, err)
	}
	return rounds, nil
}

// Involvement is how a person takes part in a round under way: as a
// respondent still to answer, or as the owner of actions not done.
type Involvement struct {
	Round Round
	// Role is set when the person is a respondent who has not submitted or
	// declined.
	Role string `db:"role"`
	// Questions are the questions of the actions they own, not done.
	Questions pq.StringArray `db:"questions"`
}

// Involvements returns the rounds under way in which the user still has
// something to do.
func (s *Storage) Involvements(ctx context.Context, workspaceID, userID string) ([]Involvement, error) {
	var rows []struct {
		Round
		Role      string         `db:"role"`
		Questions pq.StringArray `db:"questions"`
	}
	err := s.q.SelectContext(ctx, &rows, `SELECT `+roundColumns+`,
		COALESCE((SELECT p.role FROM respondents p WHERE p.round_id = r.id AND p.user_id = $2
			AND p.submitted_at IS NULL AND p.declined_at IS NULL AND r.state = 'collecting'), '') AS role,
		ARRAY(SELECT a.question_id FROM actions a WHERE a.round_id = r.id AND a.owner_user_id = $2
			AND a.status <> 'done' AND r.state = 'revealed' ORDER BY a.question_id) AS questions
		FROM `+roundFrom+`
		WHERE t.workspace_id = $1 AND r.state IN ('collecting', 'revealed')
		  AND (EXISTS (SELECT 1 FROM respondents p WHERE p.round_id = r.id AND p.user_id = $2)
		    OR EXISTS (SELECT 1 FROM actions a WHERE a.round_id = r.id AND a.owner_user_id = $2))
		ORDER BY r.id`, workspaceID, userID)
	if err != nil {
		return nil, fmt.Errorf("rounds involving %s: %w", userID, err)
	}
	var out []Involvement
	for _, r := range rows {
		if r.Role == "" && len(r.Questions) == 0 {
			continue
		}
		out = append(out, Involvement{Round: r.Round, Role: r.Role, Questions: r.Questions})
	}
	return out, nil
}
