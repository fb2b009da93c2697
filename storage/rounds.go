package storage

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/lib/pq"

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
	// OneAnswer is the team's answer to the instrument's one question.
	OneAnswer   string     `db:"one_answer"`
	OneAnswerBy string     `db:"one_answer_by"`
	OneAnswerAt *time.Time `db:"one_answer_at"`
	// ChartFileID is the reveal's chart, once uploaded.
	ChartFileID string `db:"chart_file_id"`
	// Language is the BCP 47 tag of the language the round's channel
	// messages speak ("en", "ja", "pt-BR", "id").
	Language string `db:"language"`
}

// IsRevealed reports whether the round's answers may be shown.
func (r Round) IsRevealed() bool { return r.State == Revealed || r.State == Closed }

// NewRound is what starting a round needs.
type NewRound struct {
	WorkspaceID   string
	ChannelID     string
	Instrument    string
	FacilitatorID string
	// Respondents by role; the roles are the instrument's, leads first.
	Respondents map[scoring.Role]string
	// Roles in the order the instrument presents them.
	Roles      []scoring.Role
	DeadlineAt time.Time
	CreatedAt  time.Time
	// Language of the round's channel messages; "" is English.
	Language string
}

const roundColumns = `r.id, r.team_id, t.workspace_id, t.channel_id, r.instrument, r.state,
	r.facilitator_user_id, r.previous_round_id, r.deadline_at, r.created_at, r.revealed_at,
	r.closed_at, r.cancelled_at, COALESCE(r.cancelled_by, '') AS cancelled_by, r.next_round_at,
	COALESCE(r.announcement_ts, '') AS announcement_ts, COALESCE(r.reveal_ts, '') AS reveal_ts,
	r.one_answer, r.one_answer_by, r.one_answer_at, r.chart_file_id, r.language`

const roundFrom = `rounds r JOIN teams t ON t.id = r.team_id`

// StartRound creates a collecting round with its respondents, linked to the
// team's latest revealed round of the same instrument. It returns
// ErrRoundCollecting when the team already has a round collecting and
// ErrSamePerson when one user holds two roles; the database enforces both.
// Call it inside Transact.
func (s *Storage) StartRound(ctx context.Context, nr NewRound) (Round, error) {
	round, err := s.startRound(ctx, nr)
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

func (s *Storage) startRound(ctx context.Context, nr NewRound) (Round, error) {
	if !s.tx {
		return Round{}, errNotInTransaction
	}
	var teamID int64
	err := s.q.GetContext(ctx, &teamID, `
		INSERT INTO teams (workspace_id, channel_id) VALUES ($1, $2)
		ON CONFLICT (workspace_id, channel_id) DO UPDATE SET workspace_id = EXCLUDED.workspace_id
		RETURNING id`, nr.WorkspaceID, nr.ChannelID)
	if err != nil {
		return Round{}, err
	}
	var id int64
	err = s.q.GetContext(ctx, &id, `
		INSERT INTO rounds (team_id, instrument, facilitator_user_id, deadline_at, created_at, language, previous_round_id)
		VALUES ($1, $2, $3, $4, $5, $6, (
			SELECT id FROM rounds WHERE team_id = $1 AND instrument = $2 AND state IN ('revealed', 'closed')
			ORDER BY revealed_at DESC, id DESC LIMIT 1))
		RETURNING id`,
		teamID, nr.Instrument, nr.FacilitatorID, nr.DeadlineAt, nr.CreatedAt, cmp.Or(nr.Language, "en"))
	if err != nil {
		return Round{}, err
	}
	for _, role := range nr.Roles {
		user, ok := nr.Respondents[role]
		if !ok {
			continue
		}
		if _, err := s.q.ExecContext(ctx,
			`INSERT INTO respondents (round_id, role, user_id) VALUES ($1, $2, $3)`,
			id, role, user); err != nil {
			return Round{}, err
		}
	}
	return s.Round(ctx, id)
}

// Round returns the round with the given ID.
func (s *Storage) Round(ctx context.Context, id int64) (Round, error) {
	return s.getRound(ctx, `WHERE r.id = $1`, id)
}

// LockRound returns the round and holds its row lock until the transaction
// ends. It must be called inside Transact.
func (s *Storage) LockRound(ctx context.Context, id int64) (Round, error) {
	if !s.tx {
		return Round{}, fmt.Errorf("lock round: %w", errNotInTransaction)
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

// RoundsStartedSince counts the rounds a facilitator started in a workspace
// since a time, cancelled ones included: a cap on how many a person starts
// protects the people they name from a flood of questionnaires.
func (s *Storage) RoundsStartedSince(ctx context.Context, workspaceID, userID string, since time.Time) (int, error) {
	var n int
	err := s.q.GetContext(ctx, &n, `SELECT count(*) FROM `+roundFrom+`
		WHERE t.workspace_id = $1 AND r.facilitator_user_id = $2 AND r.created_at >= $3`, workspaceID, userID, since)
	if err != nil {
		return 0, fmt.Errorf("rounds started by %s: %w", userID, err)
	}
	return n, nil
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
// it: every respondent who has not declined submitted, and the leads did; or,
// when leadsSuffice and the deadline has passed by now, the leads submitted.
// It is a single statement: of any number of concurrent callers exactly one
// gets true, and a deadline moved by a concurrent extend is respected.
func (s *Storage) ClaimReveal(ctx context.Context, roundID int64, leads []scoring.Role, leadsSuffice bool, now time.Time) (bool, error) {
	n, err := s.execCount(ctx, `
		UPDATE rounds SET state = 'revealed', revealed_at = $3
		WHERE id = $1 AND state = 'collecting'
		  AND (NOT $2 OR deadline_at <= $3)
		  AND NOT EXISTS (
			SELECT 1 FROM respondents p
			WHERE p.round_id = $1 AND p.submitted_at IS NULL
			  AND (p.role = ANY($4) OR (NOT $2 AND p.declined_at IS NULL)))`,
		roundID, leadsSuffice, now, pq.Array(roleStrings(leads)))
	if err != nil {
		return false, fmt.Errorf("claim reveal of round %d: %w", roundID, err)
	}
	return n == 1, nil
}

// CancelRound cancels a collecting round, on behalf of by, and the jobs still
// pending for it. It reports false when the round was not collecting. Call it
// inside Transact.
func (s *Storage) CancelRound(ctx context.Context, roundID int64, by string, now time.Time) (bool, error) {
	if !s.tx {
		return false, fmt.Errorf("cancel round %d: %w", roundID, errNotInTransaction)
	}
	n, err := s.execCount(ctx, `UPDATE rounds SET state = 'cancelled', cancelled_at = $2, cancelled_by = $3
		WHERE id = $1 AND state = 'collecting'`, roundID, now, by)
	if err != nil {
		return false, fmt.Errorf("cancel round %d: %w", roundID, err)
	}
	if n == 0 {
		return false, nil
	}
	if _, err := s.CancelJobs(ctx, roundID, now); err != nil {
		return false, err
	}
	return true, nil
}

// ExtendDeadline gives a collecting round more time: by more than its
// deadline, or than now when the deadline has passed. The new deadline is
// computed by the database, so two extends at once both count.
func (s *Storage) ExtendDeadline(ctx context.Context, roundID int64, by time.Duration, now time.Time) (time.Time, error) {
	var deadline time.Time
	err := s.q.GetContext(ctx, &deadline, `UPDATE rounds SET deadline_at = GREATEST(deadline_at, $3) + $2 * interval '1 microsecond'
		WHERE id = $1 AND state = 'collecting' RETURNING deadline_at`, roundID, by.Microseconds(), now)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, ErrNotCollecting
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("extend deadline of round %d: %w", roundID, err)
	}
	return deadline, nil
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

// SetOneAnswer records the team's answer to the one question of a revealed
// round, replacing an earlier one.
func (s *Storage) SetOneAnswer(ctx context.Context, roundID int64, answer, by string, now time.Time) (Round, error) {
	n, err := s.execCount(ctx, `UPDATE rounds SET one_answer = $2, one_answer_by = $3, one_answer_at = $4
		WHERE id = $1 AND state IN ('revealed', 'closed')`, roundID, answer, by, now)
	if err != nil {
		return Round{}, fmt.Errorf("answer the one question of round %d: %w", roundID, err)
	}
	if n == 0 {
		return Round{}, ErrNotRevealed
	}
	return s.Round(ctx, roundID)
}

// SetChartFile records the reveal's chart file, once shared.
func (s *Storage) SetChartFile(ctx context.Context, roundID int64, fileID string) error {
	if _, err := s.q.ExecContext(ctx, `UPDATE rounds SET chart_file_id = $2 WHERE id = $1`, roundID, fileID); err != nil {
		return fmt.Errorf("set chart of round %d: %w", roundID, err)
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

func roleStrings(roles []scoring.Role) []string {
	out := make([]string, len(roles))
	for i, r := range roles {
		out[i] = string(r)
	}
	return out
}
