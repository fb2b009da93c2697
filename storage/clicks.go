package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/lib/pq"

	"github.com/alignbot/alignbot/scoring"
)

// ClickOptions say what a click must satisfy and what it sets in motion,
// decided in the same statement as the click itself.
type ClickOptions struct {
	// DeliveryID is Slack's envelope ID: a redelivered click is refused as
	// ErrDuplicate and changes nothing. "" skips the check.
	DeliveryID string
	// WorkspaceID and Channel are where the click came from. The round must
	// be the workspace's and the channel the respondent's DM (once known),
	// or the click is refused as ErrTampered: a button's value can be
	// forged to name another round.
	WorkspaceID string
	Channel     string
	// OnStart are jobs enqueued when this click is the respondent's first
	// answer (the channel learns they started, never what they answered).
	OnStart []NewJob
}

// ErrTampered: a click names a round it could not have come from.
var ErrTampered = errors.New("the click does not belong to where it was made")

// ErrDuplicate: the delivery was handled before.
var ErrDuplicate = errors.New("duplicate delivery")

// clickQuery records one click in one statement, so a click costs one round
// trip: it share-locks the respondent's row (a concurrent submit waits, or
// happens first and refuses the click), decides whether the click may
// change anything, remembers the delivery, upserts the score unless a later
// click of the respondent is already stored, enqueues OnStart on the first
// answer, and returns the questionnaire as it now stands.
//
// $1 round, $2 user, $3 role, $4 question, $5 score, $6 clicked at,
// $7 workspace, $8 channel, $9 delivery, $10 now, $11–$14 the OnStart jobs'
// keys, kinds, payloads and run_at. %[1]s is the table: answers or
// predictions; %[2]s its time column.
const clickQuery = `
WITH
round AS (
	SELECT r.id, r.state, t.workspace_id FROM rounds r JOIN teams t ON t.id = r.team_id WHERE r.id = $1
),
who AS (
	SELECT p.role, p.submitted_at, p.declined_at, p.dm_channel_id FROM respondents p
	WHERE p.round_id = $1 AND p.user_id = $2
	FOR SHARE OF p
),
verdict AS (
	SELECT CASE
		WHEN NOT EXISTS (SELECT 1 FROM round) THEN 'not_found'
		WHEN (SELECT workspace_id FROM round) <> $7 THEN 'tampered'
		WHEN NOT EXISTS (SELECT 1 FROM who WHERE role = $3) THEN 'not_respondent'
		WHEN EXISTS (SELECT 1 FROM who WHERE dm_channel_id IS NOT NULL AND dm_channel_id <> $8) THEN 'tampered'
		WHEN (SELECT state FROM round) <> 'collecting' THEN 'not_collecting'
		WHEN EXISTS (SELECT 1 FROM who WHERE submitted_at IS NOT NULL) THEN 'submitted'
		WHEN EXISTS (SELECT 1 FROM who WHERE declined_at IS NOT NULL) THEN 'declined'
		ELSE '' END AS refused
),
fresh AS (
	INSERT INTO deliveries (id, received_at)
	SELECT $9, $10 FROM verdict WHERE refused = '' AND $9 <> ''
	ON CONFLICT (id) DO NOTHING
	RETURNING id
),
allowed AS (
	SELECT CASE WHEN refused = '' AND $9 <> '' AND NOT EXISTS (SELECT 1 FROM fresh) THEN 'duplicate' ELSE refused END AS refused
	FROM verdict
),
before AS (
	SELECT count(*) AS n FROM answers WHERE round_id = $1 AND role = $3
),
up AS (
	INSERT INTO %[1]s AS a (round_id, role, question_id, score, %[2]s)
	SELECT $1, $3, $4, $5, $6 FROM allowed WHERE refused = ''
	ON CONFLICT (round_id, role, question_id)
	DO UPDATE SET score = EXCLUDED.score, %[2]s = EXCLUDED.%[2]s
	WHERE a.%[2]s <= EXCLUDED.%[2]s
	RETURNING question_id, score, xmax = 0 AS inserted
),
started AS (
	SELECT '%[1]s' = 'answers' AND EXISTS (SELECT 1 FROM up WHERE inserted) AND (SELECT n FROM before) = 0 AS yes
),
jobs AS (
	INSERT INTO jobs (key, kind, round_id, payload, run_at)
	SELECT j.key, j.kind, $1, j.payload::jsonb, j.run_at
	FROM unnest($11::text[], $12::text[], $13::text[], $14::timestamptz[]) AS j(key, kind, payload, run_at), started
	WHERE started.yes
	ON CONFLICT (key) DO NOTHING
	RETURNING 1
),
woken AS (
	SELECT pg_notify('` + JobsChannel + `', '') FROM jobs LIMIT 1
),
mine AS (
	SELECT question_id, score FROM %[1]s WHERE round_id = $1 AND role = $3
	  AND (question_id <> $4 OR NOT EXISTS (SELECT 1 FROM up))
	UNION ALL
	SELECT question_id, score FROM up
)
SELECT ` + roundColumns + `, ` + respondentColumns + `,
	(SELECT refused FROM allowed) AS refused,
	(SELECT yes FROM started) AS started,
	(SELECT count(*) FROM woken) AS woken,
	COALESCE((SELECT json_object_agg(question_id, score) FROM mine), '{}') AS mine,
	COALESCE((SELECT json_object_agg(question_id, score) FROM %[3]s WHERE round_id = $1 AND role = $3), '{}') AS other
FROM ` + roundFrom + `
LEFT JOIN respondents p ON p.round_id = r.id AND p.user_id = $2
WHERE r.id = $1`

// clickRow is what clickQuery returns.
type clickRow struct {
	Round
	RoundID         *int64        `db:"round_id"`
	Role            *scoring.Role `db:"role"`
	UserID          *string       `db:"user_id"`
	DMChannelID     string        `db:"dm_channel_id"`
	QuestionnaireTS string        `db:"questionnaire_ts"`
	SubmittedAt     *time.Time    `db:"submitted_at"`
	DeclinedAt      *time.Time    `db:"declined_at"`
	NudgeChannelID  string        `db:"nudge_channel_id"`
	NudgeTS         string        `db:"nudge_ts"`
	Answered        int           `db:"answered"`
	Refused         string        `db:"refused"`
	Started         bool          `db:"started"`
	Woken           int           `db:"woken"`
	Mine            []byte        `db:"mine"`
	Other           []byte        `db:"other"`
}

// RecordClick records a respondent's click on their questionnaire in one
// statement: their own answer, or, with predicting, their guess of the other
// lead's answer (leads only). It returns the questionnaire as it now stands;
// a refusal is a *RoundError wrapping ErrNotRespondent, ErrNotCollecting,
// ErrSubmitted, ErrDeclined, ErrTampered or ErrDuplicate, or ErrNotFound for
// a round that does not exist.
func (s *Storage) RecordClick(ctx context.Context, c Click, predicting bool, o ClickOptions) (Questionnaire, error) {
	table, column, other := "answers", "answered_at", "predictions"
	if predicting {
		if !c.Role.IsLead() {
			return Questionnaire{}, ErrNotRespondent
		}
		table, column, other = "predictions", "predicted_at", "answers"
	}
	keys, kinds, payloads, runAt := []string{}, []string{}, []string{}, []string{}
	for _, j := range o.OnStart {
		p, err := json.Marshal(j.Payload)
		if err != nil {
			return Questionnaire{}, fmt.Errorf("record click: %w", err)
		}
		keys, kinds, payloads = append(keys, j.Key), append(kinds, j.Kind), append(payloads, string(p))
		runAt = append(runAt, j.RunAt.UTC().Format(time.RFC3339Nano))
	}
	var row clickRow
	// table, column and other are constants above, never user input.
	stmt, err := s.prepared(ctx, fmt.Sprintf(clickQuery, table, column, other))
	if err != nil {
		return Questionnaire{}, fmt.Errorf("record click in round %d: %w", c.RoundID, err)
	}
	err = stmt.GetContext(ctx, &row, c.RoundID, c.UserID, c.Role, c.Question, c.Score, c.At,
		o.WorkspaceID, o.Channel, o.DeliveryID, c.At, pq.Array(keys), pq.Array(kinds), pq.Array(payloads), pq.Array(runAt))
	if errors.Is(err, sql.ErrNoRows) {
		return Questionnaire{}, ErrNotFound
	}
	if err != nil {
		return Questionnaire{}, fmt.Errorf("record click in round %d: %w", c.RoundID, err)
	}
	s.transactions.Add(1) // the statement is its own transaction
	q := Questionnaire{Round: row.Round, Started: row.Started}
	if row.Role != nil {
		q.Respondent = Respondent{RoundID: c.RoundID, Role: *row.Role, UserID: c.UserID, DMChannelID: row.DMChannelID,
			QuestionnaireTS: row.QuestionnaireTS, SubmittedAt: row.SubmittedAt, DeclinedAt: row.DeclinedAt,
			NudgeChannelID: row.NudgeChannelID, NudgeTS: row.NudgeTS}
	}
	mine, theirs := &q.Answers, &q.Predictions
	if predicting {
		mine, theirs = &q.Predictions, &q.Answers
	}
	if err := json.Unmarshal(row.Mine, mine); err != nil {
		return Questionnaire{}, fmt.Errorf("record click: %w", err)
	}
	if err := json.Unmarshal(row.Other, theirs); err != nil {
		return Questionnaire{}, fmt.Errorf("record click: %w", err)
	}
	q.Respondent.Answered = len(q.Answers)
	refusals := map[string]error{
		"not_found": ErrNotFound, "tampered": ErrTampered, "not_respondent": ErrNotRespondent,
		"not_collecting": ErrNotCollecting, "submitted": ErrSubmitted, "declined": ErrDeclined, "duplicate": ErrDuplicate,
	}
	if reason, refused := refusals[row.Refused]; refused {
		return q, &RoundError{Round: row.Round, Err: reason}
	}
	return q, nil
}
