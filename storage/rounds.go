package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/alignbot/alignbot/scoring"
)

// RoundState is where a round is in its life.
type RoundState string

// The states of a round: collecting → revealed → closed, or cancelled.
const (
	Collecting RoundState = "collecting"
	Revealed   RoundState = "revealed"
	Closed     RoundState = "closed"
	Cancelled  RoundState = "cancelled"
)

// Round is one run of the diagnostic for a team.
type Round struct {
	ID              int64      `db:"id"`
	TeamID          int64      `db:"team_id"`
	WorkspaceID     string     `db:"workspace_id"`
	ChannelID       string     `db:"channel_id"`
	Instrument      string     `db:"instrument"`
	State           RoundState `db:"state"`
	FacilitatorID   string     `db:"facilitator_user_id"`
	PreviousRoundID *int64     `db:"previous_round_id"`
	DeadlineAt      time.Time  `db:"deadline_at"`
	CreatedAt       time.Time  `db:"created_at"`
	RevealedAt      *time.Time `db:"revealed_at"`
	ClosedAt        *time.Time `db:"closed_at"`
	CancelledAt     *time.Time `db:"cancelled_at"`
	CancelledBy     string     `db:"cancelled_by"`
	NextRoundAt     *time.Time `db:"next_round_at"`
	AnnouncementTS  string     `db:"announcement_ts"`
	RevealTS        string     `db:"reveal_ts"`
}

// IsRevealed reports whether the round's answers may be shown.
func (r Round) IsRevealed() bool { return r.State == Revealed || r.State == Closed }

// NewRound is what starting a round needs.
type NewRound struct {
	WorkspaceID   string
	ChannelID     string
	Instrument    string
	FacilitatorID string
	Respondents   map[scoring.Role]string // role → user ID
	DeadlineAt    time.Time
	CreatedAt     time.Time
}

const roundColumns = `r.id, r.team_id, t.workspace_id, t.channel_id, r.instrument, r.state,
	r.facilitator_user_id, r.previous_round_id, r.deadline_at, r.created_at, r.revealed_at,
	r.closed_at, r.cancelled_at, COALESCE(r.cancelled_by, '') AS cancelled_by, r.next_round_at,
	COALESCE(r.announcement_ts, '') AS announcement_ts, COALESCE(r.reveal_ts, '') AS reveal_ts`

const roundFrom = `rounds r JOIN teams t ON t.id = r.team_id`

// StartRound creates a collecting round with its respondents, linked to the
// team's latest revealed round. It returns ErrRoundCollecting when the team
// already has a round collecting and ErrSamePerson when one user holds two
// roles; the database enforces both.
func (s *Storage) StartRound(ctx context.Context, nr NewRound) (Round, error) {
	var round Round
	err := s.Transact(ctx, func(tx *Storage) error {
		var teamID int64
		err := tx.q.GetContext(ctx, &teamID, `
			INSERT INTO teams (workspace_id, channel_id) VALUES ($1, $2)
			ON CONFLICT (workspace_id, channel_id) DO UPDATE SET workspace_id = EXCLUDED.workspace_id
			RETURNING id`, nr.WorkspaceID, nr.ChannelID)
		if err != nil {
			return err
		}
		var id int64
		err = tx.q.GetContext(ctx, &id, `
			INSERT INTO rounds (team_id, instrument, facilitator_user_id, deadline_at, created_at, previous_round_id)
			VALUES ($1, $2, $3, $4, $5, (
				SELECT id FROM rounds WHERE team_id = $1 AND state IN ('revealed', 'closed')
				ORDER BY revealed_at DESC, id DESC LIMIT 1))
			RETURNING id`,
			teamID, nr.Instrument, nr.FacilitatorID, nr.DeadlineAt, nr.CreatedAt)
		if err != nil {
			return err
		}
		for _, role := range scoring.Roles {
			user, ok := nr.Respondents[role]
			if !ok {
				continue
			}
			if _, err := tx.q.ExecContext(ctx,
				`INSERT INTO respondents (round_id, role, user_id) VALUES ($1, $2, $3)`,
				id, role, user); err != nil {
				return err
			}
		}
		round, err = tx.Round(ctx, id)
		return err
	})
	switch constraint(err) {
	case "":
	case "rounds_one_collecting_per_team":
		return Round{}, ErrRoundCollecting
	case "respondents_one_role_per_person":
		return Round{}, ErrSamePerson
	}
	if err != nil {
		return Round{}, fmt.Errorf("start round: %w", err)
	}
	return round, nil
}

// Round returns the round with the given ID.
func (s *Storage) Round(ctx context.Context, id int64) (Round, error) {
	return s.getRound(ctx, `WHERE r.id = $1`, id)
}

// LockRound returns the round and holds its row lock until the transaction
// ends. It must be called inside Transact.
func (s *Storage) LockRound(ctx context.Context, id int64) (Round, error) {
	if !s.tx {
		return Round{}, errors.New("lock round: not in a transaction")
	}
	return s.getRound(ctx, `WHERE r.id = $1 FOR UPDATE OF r`, id)
}

// CollectingRound returns the team's round that is collecting answers.
func (s *Storage) CollectingRound(ctx context.Context, workspaceID, channelID string) (Round, error) {
	return s.getRound(ctx, `WHERE t.workspace_id = $1 AND t.channel_id = $2 AND r.state = 'collecting'`,
		workspaceID, channelID)
}

// LatestRound returns the team's most recent round, whatever its state.
func (s *Storage) LatestRound(ctx context.Context, workspaceID, channelID string) (Round, error) {
	return s.getRound(ctx, `WHERE t.workspace_id = $1 AND t.channel_id = $2 ORDER BY r.id DESC LIMIT 1`,
		workspaceID, channelID)
}

// LatestRevealedRound returns the team's most recently revealed round.
// workspaceID "" matches any workspace, for an operator who knows only the
// channel.
func (s *Storage) LatestRevealedRound(ctx context.Context, workspaceID, channelID string) (Round, error) {
	return s.getRound(ctx, `WHERE ($1 = '' OR t.workspace_id = $1) AND t.channel_id = $2 AND r.state IN ('revealed', 'closed')
		ORDER BY r.revealed_at DESC, r.id DESC LIMIT 1`, workspaceID, channelID)
}

func (s *Storage) getRound(ctx context.Context, where string, args ...any) (Round, error) {
	var r Round
	err := s.q.GetContext(ctx, &r, `SELECT `+roundColumns+` FROM `+roundFrom+` `+where, args...)
	if errors.Is(err, sql.ErrNoRows) {
		return Round{}, ErrNotFound
	}
	if err != nil {
		return Round{}, fmt.Errorf("get round: %w", err)
	}
	return r, nil
}

// Rounds returns the team's rounds, newest first, at most limit of them.
func (s *Storage) Rounds(ctx context.Context, workspaceID, channelID string, limit int) ([]Round, error) {
	var rounds []Round
	err := s.q.SelectContext(ctx, &rounds, `SELECT `+roundColumns+` FROM `+roundFrom+`
		WHERE t.workspace_id = $1 AND t.channel_id = $2 ORDER BY r.id DESC LIMIT $3`,
		workspaceID, channelID, limit)
	if err != nil {
		return nil, fmt.Errorf("rounds: %w", err)
	}
	return rounds, nil
}

// UserRounds returns the rounds, in any state, in which the user is a
// respondent, the facilitator or an action owner; newest first.
func (s *Storage) UserRounds(ctx context.Context, workspaceID, userID string, limit int) ([]Round, error) {
	var rounds []Round
	err := s.q.SelectContext(ctx, &rounds, `SELECT `+roundColumns+` FROM `+roundFrom+`
		WHERE t.workspace_id = $1 AND (r.facilitator_user_id = $2
			OR EXISTS (SELECT 1 FROM respondents p WHERE p.round_id = r.id AND p.user_id = $2)
			OR EXISTS (SELECT 1 FROM actions a WHERE a.round_id = r.id AND a.owner_user_id = $2))
		ORDER BY r.id DESC LIMIT $3`, workspaceID, userID, limit)
	if err != nil {
		return nil, fmt.Errorf("user rounds: %w", err)
	}
	return rounds, nil
}

// ClaimReveal moves a collecting round to revealed if its respondents allow
// it: every respondent submitted, or, when leadsSuffice and the deadline has
// passed by now, both leads submitted. It is a single statement: of any
// number of concurrent callers exactly one gets true, and a deadline moved
// by a concurrent extend is respected.
func (s *Storage) ClaimReveal(ctx context.Context, roundID int64, leadsSuffice bool, now time.Time) (bool, error) {
	n, err := s.execCount(ctx, `
		UPDATE rounds SET state = 'revealed', revealed_at = $3
		WHERE id = $1 AND state = 'collecting'
		  AND (NOT $2 OR deadline_at <= $3)
		  AND NOT EXISTS (
			SELECT 1 FROM respondents p
			WHERE p.round_id = $1 AND p.submitted_at IS NULL
			  AND (NOT $2 OR p.role IN ('marketing', 'sales')))`,
		roundID, leadsSuffice, now)
	if err != nil {
		return false, fmt.Errorf("claim reveal of round %d: %w", roundID, err)
	}
	return n == 1, nil
}

// CancelRound cancels a collecting round, on behalf of by, and the jobs still
// pending for it.
// It reports false when the round was not collecting.
func (s *Storage) CancelRound(ctx context.Context, roundID int64, by string, now time.Time) (bool, error) {
	cancelled := false
	err := s.Transact(ctx, func(tx *Storage) error {
		n, err := tx.execCount(ctx, `UPDATE rounds SET state = 'cancelled', cancelled_at = $2, cancelled_by = $3
			WHERE id = $1 AND state = 'collecting'`, roundID, now, by)
		if err != nil || n == 0 {
			return err
		}
		cancelled = true
		_, err = tx.CancelJobs(ctx, roundID)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("cancel round %d: %w", roundID, err)
	}
	return cancelled, nil
}

// ExtendDeadline moves a collecting round's deadline.
func (s *Storage) ExtendDeadline(ctx context.Context, roundID int64, deadline time.Time) error {
	n, err := s.execCount(ctx, `UPDATE rounds SET deadline_at = $2 WHERE id = $1 AND state = 'collecting'`,
		roundID, deadline)
	if err != nil {
		return fmt.Errorf("extend deadline of round %d: %w", roundID, err)
	}
	if n == 0 {
		return ErrNotCollecting
	}
	return nil
}

// CloseRound moves a revealed round to closed. It reports whether this call
// closed it.
func (s *Storage) CloseRound(ctx context.Context, roundID int64, now time.Time) (bool, error) {
	n, err := s.execCount(ctx, `UPDATE rounds SET state = 'closed', closed_at = $2
		WHERE id = $1 AND state = 'revealed'`, roundID, now)
	if err != nil {
		return false, fmt.Errorf("close round %d: %w", roundID, err)
	}
	return n == 1, nil
}

// SetNextRoundAt records when the team's next round is booked.
func (s *Storage) SetNextRoundAt(ctx context.Context, roundID int64, at time.Time) error {
	if _, err := s.q.ExecContext(ctx, `UPDATE rounds SET next_round_at = $2 WHERE id = $1`, roundID, at); err != nil {
		return fmt.Errorf("set next round of round %d: %w", roundID, err)
	}
	return nil
}

// SetAnnouncementTS records the channel message that shows the round's
// progress. Only the first one sticks, so a repeated post cannot orphan it.
func (s *Storage) SetAnnouncementTS(ctx context.Context, roundID int64, ts string) (string, error) {
	return s.setOnce(ctx, "announcement_ts", roundID, ts)
}

// SetRevealTS records the reveal's parent message. Only the first one sticks.
func (s *Storage) SetRevealTS(ctx context.Context, roundID int64, ts string) (string, error) {
	return s.setOnce(ctx, "reveal_ts", roundID, ts)
}

func (s *Storage) setOnce(ctx context.Context, column string, roundID int64, ts string) (string, error) {
	var kept string
	// column is one of two constants above, never user input.
	err := s.q.GetContext(ctx, &kept, `UPDATE rounds SET `+column+` = COALESCE(`+column+`, $2)
		WHERE id = $1 RETURNING `+column, roundID, ts)
	if errors.Is(err, sql.ErrNoRows) {
		return "", ErrNotFound
	}
	if err != nil {
		return "", fmt.Errorf("set %s of round %d: %w", column, roundID, err)
	}
	return kept, nil
}
