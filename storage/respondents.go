package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
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
	DeclinedAt      *time.Time   `db:"declined_at"`
	// NudgeChannelID and NudgeTS are the latest reminder, replaced by the
	// next one.
	NudgeChannelID string `db:"nudge_channel_id"`
	NudgeTS        string `db:"nudge_ts"`
	// Answered counts the questions answered so far. It says how far a
	// respondent is, never what they answered.
	Answered int `db:"answered"`
}

// Submitted reports whether the respondent has locked their answers.
func (r Respondent) Submitted() bool { return r.SubmittedAt != nil }

// Declined reports whether the respondent declined the round.
func (r Respondent) Declined() bool { return r.DeclinedAt != nil }

// Pending reports whether the round still waits for the respondent.
func (r Respondent) Pending() bool { return !r.Submitted() && !r.Declined() }

const respondentColumns = `p.round_id, p.role, p.user_id, COALESCE(p.dm_channel_id, '') AS dm_channel_id,
	COALESCE(p.questionnaire_ts, '') AS questionnaire_ts, p.submitted_at, p.declined_at,
	COALESCE(p.nudge_channel_id, '') AS nudge_channel_id, COALESCE(p.nudge_ts, '') AS nudge_ts,
	(SELECT count(*) FROM answers a WHERE a.round_id = p.round_id AND a.role = p.role) AS answered`

// roleOrder sorts respondents as the diagnostic presents them: the leads,
// marketing first, then the observer.
func roleOrder(a, b Respondent) int {
	rank := func(r scoring.Role) int {
		return slices.Index([]scoring.Role{scoring.Marketing, scoring.Sales, scoring.Observer}, r)
	}
	return rank(a.Role) - rank(b.Role)
}

// Respondents returns a round's respondents in role order.
func (s *Storage) Respondents(ctx context.Context, roundID int64) ([]Respondent, error) {
	var rs []Respondent
	err := s.q.SelectContext(ctx, &rs, `SELECT `+respondentColumns+` FROM respondents p WHERE p.round_id = $1`, roundID)
	if err != nil {
		return nil, fmt.Errorf("respondents of round %d: %w", roundID, err)
	}
	slices.SortFunc(rs, roleOrder)
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

// SetQuestionnaire records where a respondent's questionnaire now lives and
// returns where it lived before ("" when it is the first), so the caller can
// retire the old message. The row is locked before the old value is read:
// a self-join would read the version from before a concurrent setter's, and
// that setter's message would never be retired.
func (s *Storage) SetQuestionnaire(ctx context.Context, roundID int64, role scoring.Role, dmChannelID, ts string) (previousTS string, err error) {
	err = s.q.GetContext(ctx, &previousTS, `
		WITH old AS (
			SELECT questionnaire_ts FROM respondents WHERE round_id = $1 AND role = $2 FOR NO KEY UPDATE
		)
		UPDATE respondents p SET dm_channel_id = $3, questionnaire_ts = $4
		FROM old WHERE p.round_id = $1 AND p.role = $2
		RETURNING COALESCE(old.questionnaire_ts, '')`, roundID, role, dmChannelID, ts)
	if errors.Is(err, sql.ErrNoRows) {
		return "", ErrNotFound
	}
	if err != nil {
		return "", fmt.Errorf("set questionnaire of %s in round %d: %w", role, roundID, err)
	}
	if previousTS == ts {
		previousTS = ""
	}
	return previousTS, nil
}

// SetNudge records the respondent's latest reminder and returns the one it
// replaces ("" for none).
func (s *Storage) SetNudge(ctx context.Context, roundID int64, role scoring.Role, channelID, ts string) (previousTS string, err error) {
	err = s.q.GetContext(ctx, &previousTS, `
		WITH old AS (
			SELECT nudge_ts FROM respondents WHERE round_id = $1 AND role = $2 FOR NO KEY UPDATE
		)
		UPDATE respondents p SET nudge_channel_id = $3, nudge_ts = $4
		FROM old WHERE p.round_id = $1 AND p.role = $2
		RETURNING COALESCE(old.nudge_ts, '')`, roundID, role, channelID, ts)
	if errors.Is(err, sql.ErrNoRows) {
		return "", ErrNotFound
	}
	if err != nil {
		return "", fmt.Errorf("set nudge of %s in round %d: %w", role, roundID, err)
	}
	return previousTS, nil
}

// RoundError is a refusal about a round. It carries the round as it was when
// refused, so that the caller can explain the refusal without reading it
// again; errors.Is sees the reason (ErrNotCollecting, ErrSubmitted…).
type RoundError struct {
	Round Round
	Err   error
}

func (e *RoundError) Error() string { return fmt.Sprintf("round %d: %v", e.Round.ID, e.Err) }

func (e *RoundError) Unwrap() error { return e.Err }

// Questionnaire is one respondent's own view of a round: their answers and
// predictions, never anyone else's.
type Questionnaire struct {
	Round       Round
	Respondent  Respondent
	Answers     scoring.Answers
	Predictions scoring.Answers
	// Started is set when the click that produced this view was the
	// respondent's first answer.
	Started bool
	// Live is the questionnaire's live message as a click left it (see
	// ClickOptions.Live), with LiveLeased set when the click's caller holds
	// its send lease, and LiveCurrent when this questionnaire is exactly
	// the state of Live.Revision (no other change came in between).
	Live        LiveSend
	LiveLeased  bool
	LiveCurrent bool
}

// Click is a respondent choosing a score on their questionnaire: their own
// answer to a question, or their prediction of the other lead's.
type Click struct {
	RoundID  int64
	Role     scoring.Role
	UserID   string
	Question string
	Score    int
	// At is when the person clicked, as Slack reports it. Clicks handled out
	// of order (by two replicas, say) settle on the latest click.
	At time.Time
}

// RecordAnswer stores the respondent's score for a question, unless a later
// click of theirs is already stored, and returns their questionnaire. The
// user must hold the role in the round; it is refused with a *RoundError
// wrapping ErrNotRespondent, ErrNotCollecting, ErrSubmitted or ErrDeclined.
// Call it inside Transact.
func (s *Storage) RecordAnswer(ctx context.Context, c Click) (Questionnaire, error) {
	return s.recordClick(ctx, c, `
		INSERT INTO answers AS a (round_id, role, question_id, score, answered_at) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (round_id, role, question_id)
		DO UPDATE SET score = EXCLUDED.score, answered_at = EXCLUDED.answered_at
		WHERE a.answered_at <= EXCLUDED.answered_at
		RETURNING xmax = 0`)
}

// RecordPrediction stores a lead's guess of the other lead's score for a
// question, like RecordAnswer. Only the leads predict.
func (s *Storage) RecordPrediction(ctx context.Context, c Click) (Questionnaire, error) {
	if !c.Role.IsLead() {
		return Questionnaire{}, ErrNotRespondent
	}
	return s.recordClick(ctx, c, `
		INSERT INTO predictions AS a (round_id, role, question_id, score, predicted_at) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (round_id, role, question_id)
		DO UPDATE SET score = EXCLUDED.score, predicted_at = EXCLUDED.predicted_at
		WHERE a.predicted_at <= EXCLUDED.predicted_at
		RETURNING xmax = 0`)
}

// recordClick locks the respondent's row against a concurrent submit, checks
// that the click may change anything, runs upsert ($1 round, $2 role, $3
// question, $4 score, $5 time) and reads the questionnaire back.
func (s *Storage) recordClick(ctx context.Context, c Click, upsert string) (Questionnaire, error) {
	if !s.tx {
		return Questionnaire{}, errNotInTransaction
	}
	q, err := s.lockQuestionnaire(ctx, c.RoundID, c.UserID, c.Role)
	if err != nil {
		return Questionnaire{}, err
	}
	var inserted bool
	err = s.q.GetContext(ctx, &inserted, upsert, c.RoundID, c.Role, c.Question, c.Score, c.At)
	if err != nil && !errors.Is(err, sql.ErrNoRows) { // no row: a later click is kept
		return Questionnaire{}, fmt.Errorf("record click in round %d: %w", c.RoundID, err)
	}
	if err := s.readQuestionnaire(ctx, &q); err != nil {
		return Questionnaire{}, err
	}
	q.Started = inserted && q.Respondent.Answered == 0 && len(q.Answers) == 1
	q.Respondent.Answered = len(q.Answers)
	return q, nil
}

// lockQuestionnaire reads the round and the user's respondent row, holding a
// share lock on the latter, and refuses a click that may not change the
// questionnaire.
func (s *Storage) lockQuestionnaire(ctx context.Context, roundID int64, userID string, role scoring.Role) (Questionnaire, error) {
	round, err := s.Round(ctx, roundID)
	if err != nil {
		return Questionnaire{}, err
	}
	var r Respondent
	err = s.q.GetContext(ctx, &r, `SELECT `+respondentColumns+` FROM respondents p
		WHERE p.round_id = $1 AND p.user_id = $2 FOR SHARE`, roundID, userID)
	refuse := func(reason error) (Questionnaire, error) {
		return Questionnaire{}, &RoundError{Round: round, Err: reason}
	}
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return refuse(ErrNotRespondent)
	case err != nil:
		return Questionnaire{}, fmt.Errorf("respondent %s of round %d: %w", userID, roundID, err)
	case r.Role != role:
		return refuse(ErrNotRespondent)
	case round.State != Collecting:
		return refuse(ErrNotCollecting)
	case r.Submitted():
		return refuse(ErrSubmitted)
	case r.Declined():
		return refuse(ErrDeclined)
	}
	return Questionnaire{Round: round, Respondent: r}, nil
}

// readQuestionnaire reads the respondent's answers and guesses, in one
// round trip.
func (s *Storage) readQuestionnaire(ctx context.Context, q *Questionnaire) error {
	var row struct {
		Answers     []byte `db:"answers"`
		Predictions []byte `db:"predictions"`
	}
	err := s.q.GetContext(ctx, &row, `SELECT
		COALESCE((SELECT json_object_agg(question_id, score) FROM answers WHERE round_id = $1 AND role = $2), '{}') AS answers,
		COALESCE((SELECT json_object_agg(question_id, score) FROM predictions WHERE round_id = $1 AND role = $2), '{}') AS predictions`,
		q.Round.ID, q.Respondent.Role)
	if err != nil {
		return fmt.Errorf("questionnaire of %s in round %d: %w", q.Respondent.Role, q.Round.ID, err)
	}
	q.Answers, q.Predictions = scoring.Answers{}, scoring.Answers{}
	if err := json.Unmarshal(row.Answers, &q.Answers); err != nil {
		return fmt.Errorf("questionnaire of %s in round %d: %w", q.Respondent.Role, q.Round.ID, err)
	}
	if err := json.Unmarshal(row.Predictions, &q.Predictions); err != nil {
		return fmt.Errorf("questionnaire of %s in round %d: %w", q.Respondent.Role, q.Round.ID, err)
	}
	return nil
}

// OwnQuestionnaire returns the user's questionnaire in a round, in any state:
// to show a respondent their own answers, never to show them to anyone else.
func (s *Storage) OwnQuestionnaire(ctx context.Context, roundID int64, userID string) (Questionnaire, error) {
	round, err := s.Round(ctx, roundID)
	if err != nil {
		return Questionnaire{}, err
	}
	r, err := s.RespondentByUser(ctx, roundID, userID)
	if err != nil {
		return Questionnaire{}, &RoundError{Round: round, Err: err}
	}
	q := Questionnaire{Round: round, Respondent: r}
	if err := s.readQuestionnaire(ctx, &q); err != nil {
		return Questionnaire{}, err
	}
	return q, nil
}

// Answers returns the role's answers in the round. Callers must only show
// them to the respondent themself or after the reveal.
func (s *Storage) Answers(ctx context.Context, roundID int64, role scoring.Role) (scoring.Answers, error) {
	return s.scores(ctx, `SELECT question_id, score FROM answers WHERE round_id = $1 AND role = $2`, roundID, role)
}

// Predictions returns a lead's predictions of the other lead in the round.
// Callers must only show them to the lead themself or after the reveal.
func (s *Storage) Predictions(ctx context.Context, roundID int64, role scoring.Role) (scoring.Answers, error) {
	return s.scores(ctx, `SELECT question_id, score FROM predictions WHERE round_id = $1 AND role = $2`, roundID, role)
}

func (s *Storage) scores(ctx context.Context, query string, roundID int64, role scoring.Role) (scoring.Answers, error) {
	rows, err := s.q.QueryxContext(ctx, query, roundID, role)
	if err != nil {
		return nil, fmt.Errorf("scores of %s in round %d: %w", role, roundID, err)
	}
	defer rows.Close()
	out := scoring.Answers{}
	for rows.Next() {
		var id string
		var score int
		if err := rows.Scan(&id, &score); err != nil {
			return nil, fmt.Errorf("scores of %s in round %d: %w", role, roundID, err)
		}
		out[id] = score
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("scores of %s in round %d: %w", role, roundID, err)
	}
	return out, nil
}

// Submitted is what the respondents who submitted gave: answers and
// predictions by role. Unsubmitted answers never leave their own
// questionnaire.
type Submitted struct {
	Answers     map[scoring.Role]scoring.Answers
	Predictions map[scoring.Role]scoring.Answers
}

// SubmittedAnswers returns the answers and predictions of every respondent
// who submitted. Callers must only use it for a revealed round.
func (s *Storage) SubmittedAnswers(ctx context.Context, roundID int64) (Submitted, error) {
	out := Submitted{Answers: map[scoring.Role]scoring.Answers{}, Predictions: map[scoring.Role]scoring.Answers{}}
	for _, src := range []struct {
		table string
		into  map[scoring.Role]scoring.Answers
	}{{"answers", out.Answers}, {"predictions", out.Predictions}} {
		// table is one of two constants, never user input.
		rows, err := s.q.QueryxContext(ctx, `SELECT a.role, a.question_id, a.score FROM `+src.table+` a
			JOIN respondents p ON p.round_id = a.round_id AND p.role = a.role
			WHERE a.round_id = $1 AND p.submitted_at IS NOT NULL`, roundID)
		if err != nil {
			return Submitted{}, fmt.Errorf("%s of round %d: %w", src.table, roundID, err)
		}
		for rows.Next() {
			var role scoring.Role
			var id string
			var score int
			if err := rows.Scan(&role, &id, &score); err != nil {
				rows.Close()
				return Submitted{}, fmt.Errorf("%s of round %d: %w", src.table, roundID, err)
			}
			if src.into[role] == nil {
				src.into[role] = scoring.Answers{}
			}
			src.into[role][id] = score
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return Submitted{}, fmt.Errorf("%s of round %d: %w", src.table, roundID, err)
		}
	}
	return out, nil
}

// SubmitResult says what a submit did.
type SubmitResult struct {
	// Round as locked by the submit.
	Round Round
	// Questionnaire is the respondent's own view after the submit.
	Questionnaire Questionnaire
	// AlreadySubmitted is set when the respondent had submitted before; the
	// call changed nothing.
	AlreadySubmitted bool
	// Complete is set when every respondent who has not declined has now
	// submitted.
	Complete bool
	// Unanswered lists the questions still open when ErrIncomplete is
	// returned.
	Unanswered []string
}

// Submit locks the user's answers in a collecting round, provided every
// question in required is answered. It holds the round's row lock, so
// concurrent submits of one round are serialised and exactly one of them sees
// the round complete. Submitting twice is not an error: the second call
// reports AlreadySubmitted. Refusals are *RoundError. Call it inside
// Transact.
func (s *Storage) Submit(ctx context.Context, roundID int64, userID string, required []string, now time.Time) (SubmitResult, error) {
	if !s.tx {
		return SubmitResult{}, errNotInTransaction
	}
	round, err := s.LockRound(ctx, roundID)
	if err != nil {
		return SubmitResult{}, err
	}
	res := SubmitResult{Round: round}
	r, err := s.RespondentByUser(ctx, roundID, userID)
	if err != nil {
		return res, &RoundError{Round: round, Err: err}
	}
	q := Questionnaire{Round: round, Respondent: r}
	if err := s.readQuestionnaire(ctx, &q); err != nil {
		return res, err
	}
	res.Questionnaire = q
	switch {
	case r.Submitted():
		res.AlreadySubmitted = true
		return res, nil
	case round.State != Collecting:
		return res, &RoundError{Round: round, Err: ErrNotCollecting}
	case r.Declined():
		return res, &RoundError{Round: round, Err: ErrDeclined}
	}
	for _, id := range required {
		if _, ok := q.Answers[id]; !ok {
			res.Unanswered = append(res.Unanswered, id)
		}
	}
	if len(res.Unanswered) > 0 {
		return res, &RoundError{Round: round, Err: ErrIncomplete}
	}
	// The subquery sees the respondents as they were before this update:
	// complete when nobody else is still to answer.
	err = s.q.GetContext(ctx, &res.Complete, `UPDATE respondents SET submitted_at = $3
		WHERE round_id = $1 AND role = $2
		RETURNING NOT EXISTS (SELECT 1 FROM respondents o
			WHERE o.round_id = $1 AND o.role <> $2 AND o.submitted_at IS NULL AND o.declined_at IS NULL)`, roundID, r.Role, now)
	if err != nil {
		return res, fmt.Errorf("submit in round %d: %w", roundID, err)
	}
	res.Questionnaire.Respondent.SubmittedAt = &now
	return res, nil
}

// Decline records that the user will not answer a collecting round. Their
// answers so far stay unshown. Declining twice is not an error. Refusals are
// *RoundError. Call it inside Transact.
func (s *Storage) Decline(ctx context.Context, roundID int64, userID string, now time.Time) (Round, Respondent, error) {
	if !s.tx {
		return Round{}, Respondent{}, errNotInTransaction
	}
	round, err := s.LockRound(ctx, roundID)
	if err != nil {
		return Round{}, Respondent{}, err
	}
	r, err := s.RespondentByUser(ctx, roundID, userID)
	switch {
	case err != nil:
		return round, Respondent{}, &RoundError{Round: round, Err: err}
	case r.Declined():
		return round, r, nil
	case round.State != Collecting:
		return round, r, &RoundError{Round: round, Err: ErrNotCollecting}
	case r.Submitted():
		return round, r, &RoundError{Round: round, Err: ErrSubmitted}
	}
	if _, err := s.q.ExecContext(ctx, `UPDATE respondents SET declined_at = $3 WHERE round_id = $1 AND role = $2`,
		roundID, r.Role, now); err != nil {
		return round, r, fmt.Errorf("decline round %d: %w", roundID, err)
	}
	r.DeclinedAt = &now
	return round, r, nil
}

// PendingRounds returns the collecting rounds of a workspace that wait for
// the user's answers, oldest first: to nudge a person about a few rounds at
// a time, never all at once.
func (s *Storage) PendingRounds(ctx context.Context, workspaceID, userID string) ([]int64, error) {
	var ids []int64
	err := s.q.SelectContext(ctx, &ids, `SELECT r.id FROM `+roundFrom+`
		JOIN respondents p ON p.round_id = r.id
		WHERE t.workspace_id = $1 AND p.user_id = $2 AND r.state = 'collecting'
		  AND p.submitted_at IS NULL AND p.declined_at IS NULL
		ORDER BY r.created_at, r.id`, workspaceID, userID)
	if err != nil {
		return nil, fmt.Errorf("pending rounds of %s: %w", userID, err)
	}
	return ids, nil
}
