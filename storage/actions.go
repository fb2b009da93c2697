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
	// DMChannelID and DMTS are the owner's live message about the action.
	DMChannelID string `db:"dm_channel_id"`
	DMTS        string `db:"dm_ts"`
}

const actionColumns = `round_id, question_id, owner_user_id, description, status, blocked_reason,
	assigned_by, assigned_at, due_at, done_at, updated_at,
	COALESCE(dm_channel_id, '') AS dm_channel_id, COALESCE(dm_ts, '') AS dm_ts`

// AssignAction names the owner and action for a question of a revealed
// round, replacing an earlier assignment of the same question (which reopens
// it and forgets the previous owner's message). It returns ErrNotRevealed
// for a round that is not revealed.
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
			due_at = EXCLUDED.due_at, updated_at = EXCLUDED.updated_at,
			dm_channel_id = NULL, dm_ts = NULL
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

// SetActionStatus moves an action to status, with a reason for blocked. It
// reports changed=false when the action already had that status and reason,
// so a double click posts one update, not two. A done action stays done
// (ErrActionDone): a stale button on an old reminder must not reopen it. It
// does not decide who may: the caller does, holding the action's lock
// (LockAction) in the same transaction.
func (s *Storage) SetActionStatus(ctx context.Context, roundID int64, questionID string, status ActionStatus, reason string, now time.Time) (a Action, changed bool, err error) {
	err = s.q.GetContext(ctx, &a, `
		UPDATE actions SET status = $3, blocked_reason = $4, updated_at = $5,
			done_at = CASE WHEN $3 = 'done' THEN $5::timestamptz END
		WHERE round_id = $1 AND question_id = $2 AND status <> 'done' AND (status <> $3 OR blocked_reason <> $4)
		RETURNING `+actionColumns, roundID, questionID, status, reason, now)
	if err == nil {
		return a, true, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return Action{}, false, fmt.Errorf("set status of action on %s in round %d: %w", questionID, roundID, err)
	}
	if a, err = s.Action(ctx, roundID, questionID); err != nil {
		return Action{}, false, err
	}
	if a.Status == ActionDone && status != ActionDone {
		return a, false, ErrActionDone
	}
	return a, false, nil
}

// LockAction returns the action and holds its row lock until the
// transaction ends. Call it inside Transact.
func (s *Storage) LockAction(ctx context.Context, roundID int64, questionID string) (Action, error) {
	if !s.tx {
		return Action{}, fmt.Errorf("lock action: %w", errNotInTransaction)
	}
	return s.getAction(ctx, `WHERE round_id = $1 AND question_id = $2 FOR UPDATE`, roundID, questionID)
}

// SetActionDM records the owner's live message about an action and returns
// the one it replaces ("" for none), for the caller to retire. Like
// SetQuestionnaire, it locks the row before reading the old value.
func (s *Storage) SetActionDM(ctx context.Context, roundID int64, questionID, ownerID, channelID, ts string) (previousTS string, err error) {
	err = s.q.GetContext(ctx, &previousTS, `
		WITH old AS (
			SELECT dm_ts FROM actions WHERE round_id = $1 AND question_id = $2 AND owner_user_id = $3 FOR NO KEY UPDATE
		)
		UPDATE actions a SET dm_channel_id = $4, dm_ts = $5
		FROM old WHERE a.round_id = $1 AND a.question_id = $2
		RETURNING COALESCE(old.dm_ts, '')`, roundID, questionID, ownerID, channelID, ts)
	if errors.Is(err, sql.ErrNoRows) {
		return "", ErrNotFound
	}
	if err != nil {
		return "", fmt.Errorf("set owner message of %s in round %d: %w", questionID, roundID, err)
	}
	if previousTS == ts {
		previousTS = ""
	}
	return previousTS, nil
}

// Action returns the action on a question of a round.
func (s *Storage) Action(ctx context.Context, roundID int64, questionID string) (Action, error) {
	return s.getAction(ctx, `WHERE round_id = $1 AND question_id = $2`, roundID, questionID)
}

func (s *Storage) getAction(ctx context.Context, where string, args ...any) (Action, error) {
	var a Action
	err := s.q.GetContext(ctx, &a, `SELECT `+actionColumns+` FROM actions `+where, args...)
	if errors.Is(err, sql.ErrNoRows) {
		return Action{}, ErrNotFound
	}
	if err != nil {
		return Action{}, fmt.Errorf("action %v: %w", args, err)
	}
	return a, nil
}

// Actions returns a round's actions, in no particular order: the
// instrument, not the database, knows the order of its questions.
func (s *Storage) Actions(ctx context.Context, roundID int64) ([]Action, error) {
	var as []Action
	err := s.q.SelectContext(ctx, &as, `SELECT `+actionColumns+` FROM actions WHERE round_id = $1`, roundID)
	if err != nil {
		return nil, fmt.Errorf("actions of round %d: %w", roundID, err)
	}
	return as, nil
}

// OwnedActions returns the actions a user owns in a workspace's revealed
// rounds, newest round first.
func (s *Storage) OwnedActions(ctx context.Context, workspaceID, userID string) ([]Action, error) {
	var as []Action
	err := s.q.SelectContext(ctx, &as, `SELECT `+prefixedActionColumns+` FROM actions a
		JOIN `+roundFrom+` ON r.id = a.round_id
		WHERE t.workspace_id = $1 AND a.owner_user_id = $2 AND r.state IN ('revealed', 'closed')
		ORDER BY a.round_id DESC, a.question_id`, workspaceID, userID)
	if err != nil {
		return nil, fmt.Errorf("actions owned by %s: %w", userID, err)
	}
	return as, nil
}

const prefixedActionColumns = `a.round_id, a.question_id, a.owner_user_id, a.description, a.status, a.blocked_reason,
	a.assigned_by, a.assigned_at, a.due_at, a.done_at, a.updated_at,
	COALESCE(a.dm_channel_id, '') AS dm_channel_id, COALESCE(a.dm_ts, '') AS dm_ts`

// MarkAddressed records that a question of a revealed round is already being
// addressed. It reports whether the mark is new; the caller checks the
// round's state under its lock.
func (s *Storage) MarkAddressed(ctx context.Context, roundID int64, questionID, by string, now time.Time) (bool, error) {
	n, err := s.execCount(ctx, `INSERT INTO addressed_questions (round_id, question_id, marked_by, marked_at)
		SELECT $1, $2, $3, $4 FROM rounds WHERE id = $1 AND state = 'revealed'
		ON CONFLICT DO NOTHING`, roundID, questionID, by, now)
	if err != nil {
		return false, fmt.Errorf("mark %s addressed in round %d: %w", questionID, roundID, err)
	}
	return n == 1, nil
}

// UnmarkAddressed takes back a mark made during the round: the question is
// a candidate for the top gaps again. A question carried from an earlier
// round's open action stays set aside. It reports whether a mark was removed.
func (s *Storage) UnmarkAddressed(ctx context.Context, roundID int64, questionID string) (bool, error) {
	n, err := s.execCount(ctx, `DELETE FROM addressed_questions
		WHERE round_id = $1 AND question_id = $2 AND from_round IS NULL`, roundID, questionID)
	if err != nil {
		return false, fmt.Errorf("unmark %s in round %d: %w", questionID, roundID, err)
	}
	return n == 1, nil
}

// AddressedMark is a question kept out of a round's top gaps because it is
// already being addressed: marked by someone during the round, or carried
// from an earlier round whose action on it was still open at the reveal.
type AddressedMark struct {
	QuestionID string    `db:"question_id"`
	MarkedBy   string    `db:"marked_by"`
	FromRound  *int64    `db:"from_round"`
	MarkedAt   time.Time `db:"marked_at"`
}

// Addressed returns the round's questions already being addressed, in no
// particular order.
func (s *Storage) Addressed(ctx context.Context, roundID int64) ([]AddressedMark, error) {
	var marks []AddressedMark
	err := s.q.SelectContext(ctx, &marks, `SELECT question_id, marked_by, from_round, marked_at FROM addressed_questions
		WHERE round_id = $1 ORDER BY question_id`, roundID)
	if err != nil {
		return nil, fmt.Errorf("addressed questions of round %d: %w", roundID, err)
	}
	return marks, nil
}

// SnapshotAddressed records, for a round being revealed, the questions that
// earlier rounds of its team and instrument still have open actions on (a
// question ID means something else in another instrument). Call it in the
// transaction that claims the reveal: from then on the round's top gaps move
// only when someone marks a gap.
func (s *Storage) SnapshotAddressed(ctx context.Context, roundID int64, now time.Time) error {
	_, err := s.q.ExecContext(ctx, `
		INSERT INTO addressed_questions (round_id, question_id, from_round, marked_at)
		SELECT DISTINCT ON (a.question_id) $1, a.question_id, a.round_id, $2
		FROM actions a
		JOIN rounds earlier ON earlier.id = a.round_id
		JOIN rounds this ON this.team_id = earlier.team_id AND this.instrument = earlier.instrument AND this.id = $1
		WHERE a.status <> 'done' AND earlier.id < $1
		ORDER BY a.question_id, a.round_id DESC
		ON CONFLICT DO NOTHING`, roundID, now)
	if err != nil {
		return fmt.Errorf("snapshot addressed questions of round %d: %w", roundID, err)
	}
	return nil
}
