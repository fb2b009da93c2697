package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/alignbot/alignbot/scoring"
)

// Respondent is a person answering a round in one role.
type Respondent struct {
	RoundID         int64        `db:"round_id"`
	Role            scoring.Role `db:"role"`
	UserID          string       `db:"user_id"`
	DMChannelID     string       `db:"dm_channel_id"`
	QuestionnaireTS string       `db:"questionnaire_ts"`
	SubmittedAt     *time.Time   `db:"submitted_at"`
	// Answered counts the questions answered so far. It says how far a
	// respondent is, never what they answered.
	Answered int `db:"answered"`
}

// Submitted reports whether the respondent has locked their answers.
func (r Respondent) Submitted() bool { return r.SubmittedAt != nil }

const respondentColumns = `p.round_id, p.role, p.user_id, COALESCE(p.dm_channel_id, '') AS dm_channel_id,
	COALESCE(p.questionnaire_ts, '') AS questionnaire_ts, p.submitted_at,
	(SELECT count(*) FROM answers a WHERE a.round_id = p.round_id AND a.role = p.role) AS answered`

// Respondents returns a round's respondents in role order.
func (s *Storage) Respondents(ctx context.Context, roundID int64) ([]Respondent, error) {
	var rs []Respondent
	err := s.q.SelectContext(ctx, &rs, `SELECT `+respondentColumns+` FROM respondents p WHERE p.round_id = $1`, roundID)
	if err != nil {
		return nil, fmt.Errorf("respondents of round %d: %w", roundID, err)
	}
	sort.Slice(rs, func(i, j int) bool {
		return slices.Index(scoring.Roles, rs[i].Role) < slices.Index(scoring.Roles, rs[j].Role)
	})
	return rs, nil
}

// Respondent returns the respondent holding role in the round.
func (s *Storage) Respondent(ctx context.Context, roundID int64, role scoring.Role) (Respondent, error) {
	var r Respondent
	err := s.q.GetContext(ctx, &r, `SELECT `+respondentColumns+` FROM respondents p
		WHERE p.round_id = $1 AND p.role = $2`, roundID, role)
	if errors.Is(err, sql.ErrNoRows) {
		return Respondent{}, ErrNotFound
	}
	if err != nil {
		return Respondent{}, fmt.Errorf("respondent %s of round %d: %w", role, roundID, err)
	}
	return r, nil
}

// RespondentByUser returns the user's place in the round, or ErrNotRespondent.
func (s *Storage) RespondentByUser(ctx context.Context, roundID int64, userID string) (Respondent, error) {
	var r Respondent
	err := s.q.GetContext(ctx, &r, `SELECT `+respondentColumns+` FROM respondents p
		WHERE p.round_id = $1 AND p.user_id = $2`, roundID, userID)
	if errors.Is(err, sql.ErrNoRows) {
		return Respondent{}, ErrNotRespondent
	}
	if err != nil {
		return Respondent{}, fmt.Errorf("respondent %s of round %d: %w", userID, roundID, err)
	}
	return r, nil
}

// SetQuestionnaire records where a respondent's questionnaire was posted.
func (s *Storage) SetQuestionnaire(ctx context.Context, roundID int64, role scoring.Role, dmChannelID, ts string) error {
	_, err := s.q.ExecContext(ctx, `UPDATE respondents SET dm_channel_id = $3, questionnaire_ts = $4
		WHERE round_id = $1 AND role = $2`, roundID, role, dmChannelID, ts)
	if err != nil {
		return fmt.Errorf("set questionnaire of %s in round %d: %w", role, roundID, err)
	}
	return nil
}

// RecordAnswer stores the score of the user, who must hold role in the round,
// for a question, replacing an earlier one, and returns all of the
// respondent's answers. Recording the same answer twice changes nothing. It
// refuses with ErrNotRespondent, ErrSubmitted or ErrNotCollecting; the
// score's range is checked by the database as well as by the caller.
func (s *Storage) RecordAnswer(ctx context.Context, roundID int64, role scoring.Role, userID, questionID string, score int, now time.Time) (scoring.Answers, error) {
	// One statement: the respondent row is share-locked, so a concurrent
	// submit either happens first (and this finds nothing to update) or
	// waits for this answer.
	rows, err := s.q.QueryxContext(ctx, `
		WITH target AS (
			SELECT p.round_id, p.role FROM respondents p JOIN rounds r ON r.id = p.round_id
			WHERE p.round_id = $1 AND p.user_id = $2 AND p.role = $6 AND p.submitted_at IS NULL
			  AND r.state = 'collecting'
			FOR SHARE OF p
		), upsert AS (
			INSERT INTO answers (round_id, role, question_id, score, answered_at)
			SELECT round_id, role, $3, $4, $5 FROM target
			ON CONFLICT (round_id, role, question_id)
			DO UPDATE SET score = EXCLUDED.score, answered_at = EXCLUDED.answered_at
			RETURNING role, question_id, score
		)
		SELECT question_id, score FROM upsert
		UNION ALL
		SELECT a.question_id, a.score FROM answers a JOIN upsert u ON a.role = u.role
		WHERE a.round_id = $1 AND a.question_id <> $3`,
		roundID, userID, questionID, score, now, role)
	if err != nil {
		return nil, fmt.Errorf("record answer in round %d: %w", roundID, err)
	}
	answers, err := scanAnswers(rows)
	if err != nil {
		return nil, fmt.Errorf("record answer in round %d: %w", roundID, err)
	}
	if len(answers) == 0 {
		return nil, s.whyNotAnswering(ctx, roundID, role, userID)
	}
	return answers, nil
}

// whyNotAnswering explains why a user may not change answers in a round.
func (s *Storage) whyNotAnswering(ctx context.Context, roundID int64, role scoring.Role, userID string) error {
	round, err := s.Round(ctx, roundID)
	if err != nil {
		return err
	}
	r, err := s.RespondentByUser(ctx, roundID, userID)
	if err != nil {
		return err
	}
	if r.Role != role {
		return ErrNotRespondent
	}
	if round.State != Collecting {
		return ErrNotCollecting
	}
	if r.Submitted() {
		return ErrSubmitted
	}
	return fmt.Errorf("answer refused in round %d for an unknown reason", roundID)
}

// Answers returns the role's answers in the round. Callers must only show
// them to the respondent themself or after the reveal.
func (s *Storage) Answers(ctx context.Context, roundID int64, role scoring.Role) (scoring.Answers, error) {
	rows, err := s.q.QueryxContext(ctx, `SELECT question_id, score FROM answers WHERE round_id = $1 AND role = $2`,
		roundID, role)
	if err != nil {
		return nil, fmt.Errorf("answers of %s in round %d: %w", role, roundID, err)
	}
	answers, err := scanAnswers(rows)
	if err != nil {
		return nil, fmt.Errorf("answers of %s in round %d: %w", role, roundID, err)
	}
	return answers, nil
}

// SubmittedAnswers returns the answers of every respondent who submitted, by
// role; a respondent's unsubmitted answers never leave their own
// questionnaire. Callers must only use it for a revealed round.
func (s *Storage) SubmittedAnswers(ctx context.Context, roundID int64) (map[scoring.Role]scoring.Answers, error) {
	rows, err := s.q.QueryxContext(ctx, `SELECT a.role, a.question_id, a.score FROM answers a
		JOIN respondents p ON p.round_id = a.round_id AND p.role = a.role
		WHERE a.round_id = $1 AND p.submitted_at IS NOT NULL`, roundID)
	if err != nil {
		return nil, fmt.Errorf("answers of round %d: %w", roundID, err)
	}
	defer rows.Close()
	out := map[scoring.Role]scoring.Answers{}
	for rows.Next() {
		var role scoring.Role
		var id string
		var score int
		if err := rows.Scan(&role, &id, &score); err != nil {
			return nil, fmt.Errorf("answers of round %d: %w", roundID, err)
		}
		if out[role] == nil {
			out[role] = scoring.Answers{}
		}
		out[role][id] = score
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("answers of round %d: %w", roundID, err)
	}
	return out, nil
}

type rowScanner interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
	Close() error
}

func scanAnswers(rows rowScanner) (scoring.Answers, error) {
	defer rows.Close()
	answers := scoring.Answers{}
	for rows.Next() {
		var id string
		var score int
		if err := rows.Scan(&id, &score); err != nil {
			return nil, err
		}
		answers[id] = score
	}
	return answers, rows.Err()
}

// SubmitResult says what a submit did.
type SubmitResult struct {
	Respondent Respondent
	// AlreadySubmitted is set when the respondent had submitted before; the
	// call changed nothing.
	AlreadySubmitted bool
	// Complete is set when every respondent of the round has now submitted.
	Complete bool
	// Unanswered lists the questions still open when ErrIncomplete is
	// returned.
	Unanswered []string
}

// Submit locks the user's answers in a collecting round, provided every
// question in required is answered. It holds the round's row lock, so
// concurrent submits of one round are serialised and exactly one of them sees
// the round complete. Submitting twice is not an error: the second call
// reports AlreadySubmitted.
func (s *Storage) Submit(ctx context.Context, roundID int64, userID string, required []string, now time.Time) (SubmitResult, error) {
	var result SubmitResult
	err := s.Transact(ctx, func(tx *Storage) error {
		result = SubmitResult{}
		round, err := tx.LockRound(ctx, roundID)
		if err != nil {
			return err
		}
		r, err := tx.RespondentByUser(ctx, roundID, userID)
		if err != nil {
			return err
		}
		result.Respondent = r
		if r.Submitted() {
			result.AlreadySubmitted = true
			return nil
		}
		if round.State != Collecting {
			return ErrNotCollecting
		}
		answers, err := tx.Answers(ctx, roundID, r.Role)
		if err != nil {
			return err
		}
		for _, id := range required {
			if _, ok := answers[id]; !ok {
				result.Unanswered = append(result.Unanswered, id)
			}
		}
		if len(result.Unanswered) > 0 {
			return ErrIncomplete
		}
		if _, err := tx.q.ExecContext(ctx, `UPDATE respondents SET submitted_at = $3
			WHERE round_id = $1 AND role = $2`, roundID, r.Role, now); err != nil {
			return err
		}
		result.Respondent.SubmittedAt = &now
		return tx.q.GetContext(ctx, &result.Complete, `SELECT NOT EXISTS (
			SELECT 1 FROM respondents WHERE round_id = $1 AND submitted_at IS NULL)`, roundID)
	})
	if errors.Is(err, ErrIncomplete) {
		return result, ErrIncomplete
	}
	if err != nil {
		return result, fmt.Errorf("submit in round %d: %w", roundID, err)
	}
	return result, nil
}
