package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// ActionStatus is where an owner is with their 30-day action.
type ActionStatus string

// The statuses an action moves through.
const (
	ActionOpen       ActionStatus = "open"
	ActionInProgress ActionStatus = "in_progress"
	ActionBlocked    ActionStatus = "blocked"
	ActionDone       ActionStatus = "done"
)

// Valid reports whether s is a known status.
func (s ActionStatus) Valid() bool {
	switch s {
	case ActionOpen, ActionInProgress, ActionBlocked, ActionDone:
		return true
	}
	return false
}

// Action is a named owner's 30-day action on one of a round's top gaps.
type Action struct {
	RoundID       int64        `db:"round_id"`
	QuestionID    string       `db:"question_id"`
	OwnerID       string       `db:"owner_user_id"`
	Description   string       `db:"description"`
	Status        ActionStatus `db:"status"`
	BlockedReason string       `db:"blocked_reason"`
	AssignedBy    string       `db:"assigned_by"`
	AssignedAt    time.Time    `db:"assigned_at"`
	DueAt         time.Time    `db:"due_at"`
	DoneAt        *time.Time   `db:"done_at"`
	UpdatedAt     time.Time    `db:"updated_at"`
}

const actionColumns = `round_id, question_id, owner_user_id, description, status, blocked_reason,
	assigned_by, assigned_at, due_at, done_at, updated_at`

// AssignAction names the owner and action for a question of a revealed
// round, replacing an earlier assignment of the same question (which reopens
// it). It returns ErrNotRevealed for a round that is not revealed.
func (s *Storage) AssignAction(ctx context.Context, a Action) (Action, error) {
	var saved Action
	err := s.q.GetContext(ctx, &saved, `
		INSERT INTO actions (round_id, question_id, owner_user_id, description, status,
			assigned_by, assigned_at, due_at, updated_at)
		SELECT $1, $2, $3, $4, 'open', $5, $6, $7, $6
		FROM rounds WHERE id = $1 AND state = 'revealed'
		ON CONFLICT (round_id, question_id) DO UPDATE SET
			owner_user_id = EXCLUDED.owner_user_id, description = EXCLUDED.description,
			status = 'open', blocked_reason = '', done_at = NULL,
			assigned_by = EXCLUDED.assigned_by, assigned_at = EXCLUDED.assigned_at,
			due_at = EXCLUDED.due_at, updated_at = EXCLUDED.updated_at
		RETURNING `+actionColumns,
		a.RoundID, a.QuestionID, a.OwnerID, a.Description, a.AssignedBy, a.AssignedAt, a.DueAt)
	if errors.Is(err, sql.ErrNoRows) {
		return Action{}, ErrNotRevealed
	}
	if err != nil {
		return Action{}, fmt.Errorf("assign action on %s in round %d: %w", a.QuestionID, a.RoundID, err)
	}
	return saved, nil
}

// SetActionStatus moves an action to status. It reports changed=false when
// the action already had that status (and reason), so a double click posts
// one update, not two.
func (s *Storage) SetActionStatus(ctx context.Context, roundID int64, questionID string, status ActionStatus, reason string, now time.Time) (a Action, changed bool, err error) {
	err = s.q.GetContext(ctx, &a, `
		UPDATE actions SET status = $3, blocked_reason = $4, updated_at = $5,
			done_at = CASE WHEN $3 = 'done' THEN COALESCE(done_at, $5) ELSE NULL END
		WHERE round_id = $1 AND question_id = $2 AND (status <> $3 OR blocked_reason <> $4)
		RETURNING `+actionColumns, roundID, questionID, status, reason, now)
	if errors.Is(err, sql.ErrNoRows) {
		a, err = s.Action(ctx, roundID, questionID)
		return a, false, err
	}
	if err != nil {
		return Action{}, false, fmt.Errorf("set status of action on %s in round %d: %w", questionID, roundID, err)
	}
	return a, true, nil
}

// Action returns the action on a question of a round.
func (s *Storage) Action(ctx context.Context, roundID int64, questionID string) (Action, error) {
	var a Action
	err := s.q.GetContext(ctx, &a, `SELECT `+actionColumns+` FROM actions WHERE round_id = $1 AND question_id = $2`,
		roundID, questionID)
	if errors.Is(err, sql.ErrNoRows) {
		return Action{}, ErrNotFound
	}
	if err != nil {
		return Action{}, fmt.Errorf("action on %s in round %d: %w", questionID, roundID, err)
	}
	return a, nil
}

// Actions returns a round's actions in question order.
func (s *Storage) Actions(ctx context.Context, roundID int64) ([]Action, error) {
	var as []Action
	err := s.q.SelectContext(ctx, &as, `SELECT `+actionColumns+` FROM actions WHERE round_id = $1
		ORDER BY length(question_id), question_id`, roundID)
	if err != nil {
		return nil, fmt.Errorf("actions of round %d: %w", roundID, err)
	}
	return as, nil
}

// OpenActionsBefore returns the team's actions from rounds earlier than
// roundID that are not done: their questions are already being addressed.
func (s *Storage) OpenActionsBefore(ctx context.Context, roundID int64) ([]Action, error) {
	var as []Action
	err := s.q.SelectContext(ctx, &as, `SELECT `+actionColumns+` FROM actions a
		WHERE a.status <> 'done' AND a.round_id IN (
			SELECT e.id FROM rounds e JOIN rounds r ON r.team_id = e.team_id
			WHERE r.id = $1 AND e.id < $1)
		ORDER BY a.round_id, length(a.question_id), a.question_id`, roundID)
	if err != nil {
		return nil, fmt.Errorf("open actions before round %d: %w", roundID, err)
	}
	return as, nil
}

// MarkAddressed records that a question of a revealed round is already being
// addressed. It reports whether the mark is new.
func (s *Storage) MarkAddressed(ctx context.Context, roundID int64, questionID, by string, now time.Time) (bool, error) {
	n, err := s.execCount(ctx, `INSERT INTO addressed_questions (round_id, question_id, marked_by, marked_at)
		SELECT $1, $2, $3, $4 FROM rounds WHERE id = $1 AND state = 'revealed'
		ON CONFLICT DO NOTHING`, roundID, questionID, by, now)
	if err != nil {
		return false, fmt.Errorf("mark %s addressed in round %d: %w", questionID, roundID, err)
	}
	if n == 1 {
		return true, nil
	}
	round, err := s.Round(ctx, roundID)
	if err != nil {
		return false, err
	}
	if round.State != Revealed {
		return false, ErrNotRevealed
	}
	return false, nil
}

// AddressedMark is a question someone marked as already being addressed.
type AddressedMark struct {
	QuestionID string    `db:"question_id"`
	MarkedBy   string    `db:"marked_by"`
	MarkedAt   time.Time `db:"marked_at"`
}

// Addressed returns the questions marked as already being addressed in the
// round, in question order.
func (s *Storage) Addressed(ctx context.Context, roundID int64) ([]AddressedMark, error) {
	var marks []AddressedMark
	err := s.q.SelectContext(ctx, &marks, `SELECT question_id, marked_by, marked_at FROM addressed_questions
		WHERE round_id = $1 ORDER BY length(question_id), question_id`, roundID)
	if err != nil {
		return nil, fmt.Errorf("addressed questions of round %d: %w", roundID, err)
	}
	return marks, nil
}
