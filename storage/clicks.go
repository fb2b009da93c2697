package storage

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
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
	// Live names the questionnaire's live message (see TouchLive): a click
	// that may change anything bumps its revision, sets its view to
	// LiveView, and leases its send to LiveToken when nobody holds it, all
	// in the click's statement. "" leaves it alone.
	Live      string
	LiveView  json.RawMessage
	LiveToken string
}

// ErrTampered: a click names a round it could not have come from.
var ErrTampered = errors.New("the click does not belong to where it was made")

// ErrDuplicate: the delivery was handled before.
var ErrDuplicate = errors.New("duplicate delivery")

// clickQuery records a batch of clicks, of different respondents, in one
// statement and so in one round trip and one commit, however many people
// click at once. For each click it share-locks the respondent's row (a
// concurrent submit waits, or happens first and refuses the click), decides
// whether the click may change anything, remembers the delivery, upserts the
// score unless a later click of the respondent is already stored, enqueues
// the click's OnStart jobs on the respondent's first answer, and returns the
// questionnaire as it now stands: one row per click whose round exists,
// numbered by its place in the batch.
//
// $1–$9 the clicks, one array element each: round, user, role, question,
// score, clicked at, workspace, channel, delivery; $10–$14 and $18 their
// OnStart jobs: the click each belongs to (its place in the batch, from 1),
// keys, kinds, payloads, run_at and live messages; $15–$17 each click's live
// message, view and send token, $19 the live lease in milliseconds. The questionnaire's live message is read
// twice: as the statement's snapshot saw it (before) and as the bump left
// it, after waiting for any concurrent change (card); when the two are one
// apart, nothing else changed it meanwhile and the questionnaire returned
// is exactly its new revision. It runs on connections that plan it once, for
// a few rows (see clickPool): planned for the batch at hand, a statement
// this size costs more to plan than to run. %[1]s is the table: answers or
// predictions; %[2]s its time column; %[3]s the other table.
const clickQuery = `
WITH
c AS (
	SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::int[], $6::timestamptz[], $7::text[], $8::text[], $9::text[],
			$15::text[], $16::text[], $17::text[])
		WITH ORDINALITY AS c(round_id, user_id, role, question_id, score, clicked_at, workspace_id, channel, delivery,
			live_key, live_view, live_token, i)
),
who AS (
	SELECT c.i, p.role, p.submitted_at, p.declined_at, p.dm_channel_id
	FROM c JOIN respondents p ON p.round_id = c.round_id AND p.user_id = c.user_id
	ORDER BY p.round_id, p.role
	FOR SHARE OF p
),
verdict AS (
	SELECT c.i, CASE
		WHEN r.id IS NULL THEN 'not_found'
		WHEN t.workspace_id <> c.workspace_id THEN 'tampered'
		WHEN w.role IS DISTINCT FROM c.role THEN 'not_respondent'
		WHEN w.dm_channel_id IS NOT NULL AND w.dm_channel_id <> c.channel THEN 'tampered'
		WHEN r.state <> 'collecting' THEN 'not_collecting'
		WHEN w.submitted_at IS NOT NULL THEN 'submitted'
		WHEN w.declined_at IS NOT NULL THEN 'declined'
		ELSE '' END AS refused
	FROM c
	LEFT JOIN rounds r ON r.id = c.round_id
	LEFT JOIN teams t ON t.id = r.team_id
	LEFT JOIN who w ON w.i = c.i
),
fresh AS (
	INSERT INTO deliveries (id, received_at)
	SELECT c.delivery, c.clicked_at FROM c JOIN verdict v ON v.i = c.i
	WHERE v.refused = '' AND c.delivery <> ''
	ON CONFLICT (id) DO NOTHING
	RETURNING id
),
allowed AS (
	SELECT c.i, CASE
		WHEN v.refused = '' AND c.delivery <> '' AND NOT EXISTS (SELECT 1 FROM fresh f WHERE f.id = c.delivery) THEN 'duplicate'
		ELSE v.refused END AS refused
	FROM c JOIN verdict v ON v.i = c.i
),
up AS (
	INSERT INTO %[1]s AS a (round_id, role, question_id, score, %[2]s)
	SELECT c.round_id, c.role, c.question_id, c.score, c.clicked_at
	FROM c JOIN allowed l ON l.i = c.i
	WHERE l.refused = ''
	ORDER BY c.round_id, c.role, c.question_id
	ON CONFLICT (round_id, role, question_id)
	DO UPDATE SET score = EXCLUDED.score, %[2]s = EXCLUDED.%[2]s
	WHERE a.%[2]s <= EXCLUDED.%[2]s
	RETURNING a.round_id, a.role, a.question_id, a.score, xmax = 0 AS inserted
),
started AS (
	SELECT c.i, COALESCE('%[1]s' = 'answers' AND u.inserted
		AND NOT EXISTS (SELECT 1 FROM answers a WHERE a.round_id = c.round_id AND a.role = c.role), false) AS yes
	FROM c LEFT JOIN up u ON u.round_id = c.round_id AND u.role = c.role AND u.question_id = c.question_id
),
onstart AS (
	SELECT j.* FROM unnest($10::bigint[], $11::text[], $12::text[], $13::text[], $14::timestamptz[], $18::text[])
		AS j(i, key, kind, payload, run_at, live)
	JOIN started s ON s.i = j.i
	WHERE s.yes
),
jobs AS (
	INSERT INTO jobs (key, kind, round_id, payload, run_at)
	SELECT o.key, o.kind, c.round_id, o.payload::jsonb, o.run_at
	FROM onstart o JOIN c ON c.i = o.i
	ON CONFLICT (key) DO NOTHING
	RETURNING 1
),
touched AS (
	INSERT INTO live_messages AS m (key)
	SELECT DISTINCT o.live FROM onstart o WHERE o.live <> '' ORDER BY 1
	ON CONFLICT (key) DO UPDATE SET revision = m.revision + 1, updated_at = now()
),
card AS (
	INSERT INTO live_messages AS m (key, view, sender, sender_until)
	SELECT c.live_key, c.live_view::jsonb, c.live_token, clock_timestamp() + $19 * interval '1 millisecond'
	FROM c JOIN allowed l ON l.i = c.i
	WHERE l.refused = '' AND c.live_key <> ''
	ORDER BY c.live_key
	ON CONFLICT (key) DO UPDATE SET revision = m.revision + 1, view = EXCLUDED.view, updated_at = now(),
		sender = CASE WHEN m.sender IS NULL OR m.sender_until < clock_timestamp() THEN EXCLUDED.sender ELSE m.sender END,
		sender_until = CASE WHEN m.sender IS NULL OR m.sender_until < clock_timestamp() THEN EXCLUDED.sender_until ELSE m.sender_until END
	RETURNING m.key, m.revision, m.sent, m.view, m.sender
),
woken AS (
	SELECT pg_notify('` + JobsChannel + `', '') FROM jobs LIMIT 1
),
mine AS (
	SELECT c.i, a.question_id, a.score FROM c
	JOIN who w ON w.i = c.i AND w.role = c.role
	JOIN %[1]s a ON a.round_id = c.round_id AND a.role = c.role
	WHERE a.question_id <> c.question_id
	   OR NOT EXISTS (SELECT 1 FROM up u WHERE u.round_id = c.round_id AND u.role = c.role)
	UNION ALL
	SELECT c.i, u.question_id, u.score FROM c
	JOIN up u ON u.round_id = c.round_id AND u.role = c.role AND u.question_id = c.question_id
)
SELECT c.i AS click, ` + roundColumns + `, ` + respondentColumns + `,
	l.refused,
	s.yes AS started,
	(SELECT count(*) FROM woken) AS woken,
	COALESCE((SELECT json_object_agg(m.question_id, m.score) FROM mine m WHERE m.i = c.i), '{}') AS mine,
	COALESCE((SELECT json_object_agg(o.question_id, o.score) FROM %[3]s o
		WHERE o.round_id = c.round_id AND o.role = c.role
		  AND EXISTS (SELECT 1 FROM who w WHERE w.i = c.i AND w.role = c.role)), '{}') AS other,
	COALESCE(k.revision, 0) AS live_revision, COALESCE(k.sent, 0) AS live_sent, COALESCE(k.view, '{}') AS live_view,
	COALESCE(k.sender = c.live_token, false) AS live_leased,
	COALESCE((SELECT b.revision FROM live_messages b WHERE b.key = c.live_key), 0) AS live_before
FROM c
JOIN ` + roundFrom + ` ON r.id = c.round_id
LEFT JOIN respondents p ON p.round_id = c.round_id AND p.user_id = c.user_id
JOIN allowed l ON l.i = c.i
JOIN started s ON s.i = c.i
LEFT JOIN card k ON k.key = c.live_key
ORDER BY c.i`

// clickRow is what clickQuery returns.
type clickRow struct {
	Click int `db:"click"`
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
	questionnaireLive
}

// questionnaireLive is what clickQuery and submitQuery return of the
// questionnaire's live message.
type questionnaireLive struct {
	LiveRevision int64  `db:"live_revision"`
	LiveSent     int64  `db:"live_sent"`
	LiveView     []byte `db:"live_view"`
	LiveLeased   bool   `db:"live_leased"`
	LiveBefore   int64  `db:"live_before"`
}

// apply sets q's live message, key with the sender's token, when the
// statement changed it.
func (l questionnaireLive) apply(q *Questionnaire, key, token string) {
	if l.LiveRevision > 0 {
		q.Live = LiveSend{Key: key, Token: token, Revision: l.LiveRevision, Sent: l.LiveSent, View: l.LiveView}
		q.LiveLeased = l.LiveLeased
		q.LiveCurrent = l.LiveRevision == l.LiveBefore+1
	}
}

// RecordClick records a respondent's click on their questionnaire: their
// own answer, or, with predicting, their guess of the other lead's answer
// (leads only). It returns the questionnaire as it now stands; a refusal is
// a *RoundError wrapping ErrNotRespondent, ErrNotCollecting, ErrSubmitted,
// ErrDeclined, ErrTampered or ErrDuplicate, or ErrNotFound for a round that
// does not exist.
//
// Clicks that arrive while others are being written are written together,
// in one statement and one commit (see clickBatcher): under load a click
// costs a fraction of a transaction, and when nobody else is clicking it
// goes to the database at once, alone.
func (s *Storage) RecordClick(ctx context.Context, c Click, predicting bool, o ClickOptions) (Questionnaire, error) {
	if predicting && !c.Role.IsLead() {
		return Questionnaire{}, ErrNotRespondent
	}
	req := clickRequest{click: c, options: o, predicting: predicting}
	if s.tx {
		results, err := s.recordClicks(ctx, []clickRequest{req})
		if err != nil {
			return Questionnaire{}, err
		}
		return results[0].get()
	}
	return s.batcher.record(ctx, s, req)
}

// clickRequest is one click waiting to be written.
type clickRequest struct {
	click      Click
	options    ClickOptions
	predicting bool
}

// clickResult is what writing one click gave.
type clickResult struct {
	q   Questionnaire
	err error
}

func (r clickResult) get() (Questionnaire, error) { return r.q, r.err }

// clickRefusals are clickQuery's refusals.
var clickRefusals = map[string]error{
	"not_found": ErrNotFound, "tampered": ErrTampered, "not_respondent": ErrNotRespondent,
	"not_collecting": ErrNotCollecting, "submitted": ErrSubmitted, "declined": ErrDeclined, "duplicate": ErrDuplicate,
}

// recordClicks writes clicks of one kind (all answers, or all guesses) of different respondents in one statement and returns each
// click's result, in order, or the error that failed the statement.
func (s *Storage) recordClicks(ctx context.Context, reqs []clickRequest) ([]clickResult, error) {
	predicting := reqs[0].predicting
	results := make([]clickResult, len(reqs))
	fail := func(err error) ([]clickResult, error) {
		if len(reqs) == 1 {
			return nil, fmt.Errorf("record click in round %d: %w", reqs[0].click.RoundID, err)
		}
		return nil, fmt.Errorf("record %d clicks: %w", len(reqs), err)
	}
	table, column, other := "answers", "answered_at", "predictions"
	if predicting {
		table, column, other = "predictions", "predicted_at", "answers"
	}
	var rounds, scores, jobClick []int64
	var users, roles, questions, at, workspaces, channels, deliveries []string
	var keys, kinds, payloads, runAt, jobLive []string
	var liveKeys, liveViews, liveTokens []string
	for i, r := range reqs {
		c, o := r.click, r.options
		rounds, users, roles, questions = append(rounds, c.RoundID), append(users, c.UserID), append(roles, string(c.Role)), append(questions, c.Question)
		scores, at = append(scores, int64(c.Score)), append(at, c.At.UTC().Format(time.RFC3339Nano))
		workspaces, channels, deliveries = append(workspaces, o.WorkspaceID), append(channels, o.Channel), append(deliveries, o.DeliveryID)
		view := string(o.LiveView)
		if view == "" {
			view = "{}"
		}
		liveKeys, liveViews, liveTokens = append(liveKeys, o.Live), append(liveViews, view), append(liveTokens, o.LiveToken)
		for _, j := range o.OnStart {
			p, err := json.Marshal(j.Payload)
			if err != nil {
				return fail(err)
			}
			jobClick, keys, kinds, payloads = append(jobClick, int64(i+1)), append(keys, j.Key), append(kinds, j.Kind), append(payloads, string(p))
			runAt, jobLive = append(runAt, j.RunAt.UTC().Format(time.RFC3339Nano)), append(jobLive, j.Live)
		}
	}
	// table, column and other are constants above, never user input.
	query := fmt.Sprintf(clickQuery, table, column, other)
	args := []any{pq.Array(rounds), pq.Array(users), pq.Array(roles), pq.Array(questions), pq.Array(scores), pq.Array(at),
		pq.Array(workspaces), pq.Array(channels), pq.Array(deliveries),
		pq.Array(jobClick), pq.Array(keys), pq.Array(kinds), pq.Array(payloads), pq.Array(runAt),
		pq.Array(liveKeys), pq.Array(liveViews), pq.Array(liveTokens), pq.Array(jobLive), s.LiveLeaseLength().Milliseconds()}
	var err error
	var rows *sqlx.Rows
	if s.tx {
		rows, err = s.q.QueryxContext(ctx, query, args...)
	} else {
		var stmt *sqlx.Stmt
		if stmt, err = s.prepared(ctx, query); err == nil {
			rows, err = stmt.QueryxContext(ctx, args...)
		}
	}
	if err != nil {
		return fail(err)
	}
	defer rows.Close()
	found := make([]bool, len(reqs))
	for rows.Next() {
		var row clickRow
		if err := rows.StructScan(&row); err != nil {
			return fail(err)
		}
		if row.Click < 1 || row.Click > len(reqs) {
			return fail(fmt.Errorf("click %d of a batch of %d", row.Click, len(reqs)))
		}
		i := row.Click - 1
		found[i] = true
		results[i] = clickResultOf(reqs[i], row)
	}
	if err := rows.Err(); err != nil {
		return fail(err)
	}
	if !s.tx {
		s.transactions.Add(1) // the statement is its own transaction
	}
	for i := range results {
		if !found[i] {
			results[i] = clickResult{err: ErrNotFound}
		}
	}
	return results, nil
}

// clickResultOf turns a row of clickQuery into the click's questionnaire or
// refusal.
func clickResultOf(req clickRequest, row clickRow) clickResult {
	c := req.click
	q := Questionnaire{Round: row.Round, Started: row.Started}
	if row.Role != nil {
		q.Respondent = Respondent{RoundID: c.RoundID, Role: *row.Role, UserID: c.UserID, DMChannelID: row.DMChannelID,
			QuestionnaireTS: row.QuestionnaireTS, SubmittedAt: row.SubmittedAt, DeclinedAt: row.DeclinedAt,
			NudgeChannelID: row.NudgeChannelID, NudgeTS: row.NudgeTS}
	}
	mine, theirs := &q.Answers, &q.Predictions
	if req.predicting {
		mine, theirs = &q.Predictions, &q.Answers
	}
	if err := json.Unmarshal(row.Mine, mine); err != nil {
		return clickResult{err: fmt.Errorf("record click: %w", err)}
	}
	if err := json.Unmarshal(row.Other, theirs); err != nil {
		return clickResult{err: fmt.Errorf("record click: %w", err)}
	}
	q.Respondent.Answered = len(q.Answers)
	row.apply(&q, req.options.Live, req.options.LiveToken)
	if reason, refused := clickRefusals[row.Refused]; refused {
		return clickResult{q: q, err: &RoundError{Round: row.Round, Err: reason}}
	}
	return clickResult{q: q}
}
