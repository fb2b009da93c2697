package storage

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/lib/pq"

	"github.com/alignbot/alignbot/scoring"
)

// SubmitRequest is a respondent's Submit, with what it sets in motion,
// decided in the submit's own statement.
type SubmitRequest struct {
	RoundID int64
	UserID  string
	// Required are the questions that must all be answered.
	Required []string
	At       time.Time
	// DeliveryID is Slack's envelope ID: a redelivered submit is refused as
	// ErrDuplicate. "" skips the check.
	DeliveryID string
	// WorkspaceID and Channel are where the click came from (see
	// ClickOptions): anywhere but the round's workspace and the
	// respondent's DM is ErrTampered.
	WorkspaceID string
	Channel     string
	// Jobs are enqueued when the submit goes through.
	Jobs []NewJob
	// Homes are enqueued when it goes through, each only if the person it
	// names (the HomeJob's UserID) has opened their App Home.
	Homes []HomeJob
	// Live names the questionnaire's live message: the submit (or a second
	// one, which shows the same) bumps its revision, resets its view, and
	// leases its send to LiveToken when nobody holds it.
	Live      string
	LiveToken string
}

// HomeJob is a job that updates a person's App Home.
type HomeJob struct {
	UserID string
	Job    NewJob
}

// ErrSubmitNeedsTransaction: the submit would end the round's collecting
// (it is the last one awaited, or the deadline has passed) or retire a
// reminder on screen; that takes Submit inside Transact. SubmitAlone
// changed nothing.
var ErrSubmitNeedsTransaction = errors.New("the submit needs a transaction")

// submitQuery is a submit in one statement. It locks the round's row, as
// Submit does, then share-locks every respondent's row of the round: a
// lock waits for a submit or decline still writing the row and returns the
// row as it left it, so the statement sees who else has submitted however
// its snapshot began, and of two last submits exactly one sees the round
// complete and is refused as 'last' (it goes through a transaction that
// claims the reveal). A click being written share-locks its respondent's
// row too and does not hold the submit up; an answer it has not committed
// yet is missing, and the caller may look again. The questionnaire's live
// message is bumped only once the submitter's row is updated (card reads
// done): a click of theirs share-locks the row and then bumps the
// questionnaire, so the other order would deadlock the two. $1 round, $2 user, $3
// required questions, $4 now, $5 workspace, $6 channel, $7 delivery; $8–$12
// the jobs (keys, kinds, payloads, run_at, live messages); $13–$18 the App
// Home jobs and the user each is for; $19 the questionnaire's live
// message, $20 its send token, $21 the live lease in milliseconds.
const submitQuery = `
WITH
locked AS (
	SELECT ` + roundColumns + ` FROM ` + roundFrom + ` WHERE r.id = $1 FOR UPDATE OF r
),
everyone AS (
	SELECT ` + respondentColumns + ` FROM respondents p
	WHERE p.round_id = (SELECT id FROM locked)
	ORDER BY p.role
	FOR SHARE OF p
),
me AS (
	SELECT * FROM everyone WHERE user_id = $2
),
missing AS (
	SELECT array_agg(u.q ORDER BY u.n) AS ids
	FROM unnest($3::text[]) WITH ORDINALITY AS u(q, n)
	WHERE NOT EXISTS (SELECT 1 FROM answers a JOIN me ON a.role = me.role WHERE a.round_id = $1 AND a.question_id = u.q)
),
verdict AS (
	SELECT CASE
		WHEN NOT EXISTS (SELECT 1 FROM locked) THEN 'not_found'
		WHEN NOT EXISTS (SELECT 1 FROM me) THEN 'not_respondent'
		WHEN (SELECT workspace_id FROM locked) <> $5 THEN 'tampered'
		WHEN (SELECT dm_channel_id FROM me) <> '' AND (SELECT dm_channel_id FROM me) <> $6 THEN 'tampered'
		WHEN (SELECT submitted_at FROM me) IS NOT NULL THEN 'already'
		WHEN (SELECT state FROM locked) <> 'collecting' THEN 'not_collecting'
		WHEN (SELECT declined_at FROM me) IS NOT NULL THEN 'declined'
		WHEN (SELECT ids FROM missing) IS NOT NULL THEN 'incomplete'
		WHEN (SELECT deadline_at FROM locked) <= $4 THEN 'last'
		WHEN NOT EXISTS (SELECT 1 FROM everyone o WHERE o.user_id <> $2 AND o.submitted_at IS NULL AND o.declined_at IS NULL) THEN 'last'
		WHEN (SELECT nudge_ts FROM me) <> '' THEN 'last'
		ELSE '' END AS refused
),
fresh AS (
	INSERT INTO deliveries (id, received_at)
	SELECT $7, $4 FROM verdict v WHERE v.refused IN ('', 'already') AND $7 <> ''
	ON CONFLICT (id) DO NOTHING
	RETURNING id
),
allowed AS (
	SELECT CASE
		WHEN v.refused IN ('', 'already') AND $7 <> '' AND NOT EXISTS (SELECT 1 FROM fresh) THEN 'duplicate'
		ELSE v.refused END AS refused
	FROM verdict v
),
done AS (
	UPDATE respondents x SET submitted_at = $4
	FROM me, allowed l
	WHERE l.refused = '' AND x.round_id = $1 AND x.role = me.role
	RETURNING x.role
),
homes AS (
	SELECT h.* FROM unnest($13::text[], $14::text[], $15::text[], $16::text[], $17::timestamptz[], $18::text[])
		WITH ORDINALITY AS h(user_id, key, kind, payload, run_at, live, n)
	WHERE EXISTS (SELECT 1 FROM home_users u WHERE u.workspace_id = $5 AND u.user_id = h.user_id)
),
jobs AS (
	INSERT INTO jobs (key, kind, round_id, payload, run_at, after)
	SELECT j.key, j.kind, NULLIF(j.round_id, 0), j.payload::jsonb, j.run_at, NULLIF(j.after, '') FROM (
		SELECT j.key, j.kind, j.round_id, j.payload, j.run_at, j.after, j.n
		FROM unnest($8::text[], $9::text[], $10::text[], $11::timestamptz[], $22::bigint[], $23::text[])
			WITH ORDINALITY AS j(key, kind, payload, run_at, round_id, after, n)
		UNION ALL
		SELECT h.key, h.kind, 0, h.payload, h.run_at, '', 1000000 + h.n FROM homes h
	) j, allowed l
	WHERE l.refused = ''
	ORDER BY j.n
	ON CONFLICT (key) DO NOTHING
	RETURNING 1
),
touched AS (
	INSERT INTO live_messages AS m (key)
	SELECT DISTINCT k.key FROM (SELECT unnest($12::text[]) AS key UNION SELECT h.live FROM homes h) k, allowed l
	WHERE l.refused = '' AND k.key <> ''
	ORDER BY 1
	ON CONFLICT (key) DO UPDATE SET revision = m.revision + 1, updated_at = now()
),
card AS (
	INSERT INTO live_messages AS m (key, view, sender, sender_until)
	SELECT $19, '{}'::jsonb, $20, clock_timestamp() + $21 * interval '1 millisecond'
	FROM allowed l WHERE $19 <> '' AND (l.refused = 'already' OR (l.refused = '' AND EXISTS (SELECT 1 FROM done)))
	ON CONFLICT (key) DO UPDATE SET revision = m.revision + 1, view = EXCLUDED.view, updated_at = now(),
		sender = CASE WHEN m.sender IS NULL OR m.sender_until < clock_timestamp() THEN EXCLUDED.sender ELSE m.sender END,
		sender_until = CASE WHEN m.sender IS NULL OR m.sender_until < clock_timestamp() THEN EXCLUDED.sender_until ELSE m.sender_until END
	RETURNING m.revision, m.sent, m.view, m.sender
),
woken AS (
	SELECT pg_notify('` + JobsChannel + `', '') FROM jobs LIMIT 1
)
SELECT r.*, me.round_id AS respondent_round_id, me.role, me.user_id, me.dm_channel_id, me.questionnaire_ts,
	me.submitted_at, me.declined_at, me.nudge_channel_id, me.nudge_ts, COALESCE(me.answered, 0) AS answered,
	l.refused,
	COALESCE((SELECT ids FROM missing), '{}') AS unanswered,
	(SELECT count(*) FROM woken) AS woken,
	(SELECT count(*) FROM done) AS done,
	COALESCE((SELECT json_object_agg(a.question_id, a.score) FROM answers a WHERE a.round_id = $1 AND a.role = me.role), '{}') AS answers,
	COALESCE((SELECT json_object_agg(a.question_id, a.score) FROM predictions a WHERE a.round_id = $1 AND a.role = me.role), '{}') AS predictions,
	COALESCE(k.revision, 0) AS live_revision, COALESCE(k.sent, 0) AS live_sent, COALESCE(k.view, '{}') AS live_view,
	COALESCE(k.sender = $20, false) AS live_leased,
	COALESCE((SELECT b.revision FROM live_messages b WHERE b.key = $19), 0) AS live_before
FROM locked r
CROSS JOIN allowed l
LEFT JOIN me ON true
LEFT JOIN card k ON true`

// submitRow is what submitQuery returns.
type submitRow struct {
	Round
	RespondentRoundID *int64         `db:"respondent_round_id"`
	Role              *scoring.Role  `db:"role"`
	UserID            *string        `db:"user_id"`
	DMChannelID       *string        `db:"dm_channel_id"`
	QuestionnaireTS   *string        `db:"questionnaire_ts"`
	SubmittedAt       *time.Time     `db:"submitted_at"`
	DeclinedAt        *time.Time     `db:"declined_at"`
	NudgeChannelID    *string        `db:"nudge_channel_id"`
	NudgeTS           *string        `db:"nudge_ts"`
	Answered          int            `db:"answered"`
	Refused           string         `db:"refused"`
	Unanswered        pq.StringArray `db:"unanswered"`
	Woken             int            `db:"woken"`
	Done              int            `db:"done"`
	Answers           []byte         `db:"answers"`
	Predictions       []byte         `db:"predictions"`
	questionnaireLive
}

// submitRefusals are submitQuery's refusals.
var submitRefusals = map[string]error{
	"not_respondent": ErrNotRespondent, "tampered": ErrTampered, "not_collecting": ErrNotCollecting,
	"declined": ErrDeclined, "incomplete": ErrIncomplete, "duplicate": ErrDuplicate,
}

// SubmitAlone is Submit in one statement, outside any transaction, for
// every submit but those that end the round's collecting: it locks the
// respondent's answers, remembers the delivery, enqueues req's jobs and
// bumps the questionnaire's live message, taking its turn when free. It
// returns ErrSubmitNeedsTransaction, having changed nothing, when the round
// would be complete or is past its deadline, or the respondent has a
// reminder on screen: those take Submit in Transact. A second submit
// reports AlreadySubmitted and still bumps the questionnaire. Refusals are
// *RoundError (ErrIncomplete with Unanswered set), ErrNotFound for a round
// that does not exist.
func (s *Storage) SubmitAlone(ctx context.Context, req SubmitRequest) (SubmitResult, error) {
	if s.tx {
		return SubmitResult{}, fmt.Errorf("submit alone: %w", ErrSubmitNeedsTransaction)
	}
	fail := func(err error) (SubmitResult, error) {
		return SubmitResult{}, fmt.Errorf("submit in round %d: %w", req.RoundID, err)
	}
	var keys, kinds, payloads, runAt, live, after []string
	var jobRounds []int64
	for _, j := range req.Jobs {
		p, err := json.Marshal(j.Payload)
		if err != nil {
			return fail(err)
		}
		keys, kinds, payloads = append(keys, j.Key), append(kinds, j.Kind), append(payloads, string(p))
		runAt, live = append(runAt, j.RunAt.UTC().Format(time.RFC3339Nano)), append(live, j.Live)
		jobRounds, after = append(jobRounds, j.RoundID), append(after, j.After)
	}
	var homeUsers, homeKeys, homeKinds, homePayloads, homeRunAt, homeLive []string
	for _, h := range req.Homes {
		p, err := json.Marshal(h.Job.Payload)
		if err != nil {
			return fail(err)
		}
		homeUsers, homeKeys, homeKinds, homePayloads = append(homeUsers, h.UserID), append(homeKeys, h.Job.Key), append(homeKinds, h.Job.Kind), append(homePayloads, string(p))
		homeRunAt, homeLive = append(homeRunAt, h.Job.RunAt.UTC().Format(time.RFC3339Nano)), append(homeLive, h.Job.Live)
	}
	// On the main pool: a submit is no click, and the click writers'
	// connections are kept for clicks.
	stmt, err := s.preparedIn(ctx, s.db, submitQuery)
	if err != nil {
		return fail(err)
	}
	var rows []submitRow
	err = stmt.SelectContext(ctx, &rows, req.RoundID, req.UserID, pq.Array(req.Required), req.At, req.WorkspaceID, req.Channel, req.DeliveryID,
		pq.Array(keys), pq.Array(kinds), pq.Array(payloads), pq.Array(runAt), pq.Array(live),
		pq.Array(homeUsers), pq.Array(homeKeys), pq.Array(homeKinds), pq.Array(homePayloads), pq.Array(homeRunAt), pq.Array(homeLive),
		req.Live, req.LiveToken, s.LiveLeaseLength().Milliseconds(), pq.Array(jobRounds), pq.Array(after))
	if err != nil {
		return fail(err)
	}
	s.transactions.Add(1) // the statement is its own transaction
	if len(rows) == 0 {
		return SubmitResult{}, ErrNotFound
	}
	row := rows[0]
	res := SubmitResult{Round: row.Round, Unanswered: row.Unanswered}
	q := Questionnaire{Round: row.Round}
	if row.Role != nil {
		q.Respondent = Respondent{RoundID: req.RoundID, Role: *row.Role, UserID: req.UserID, DMChannelID: deref(row.DMChannelID),
			QuestionnaireTS: deref(row.QuestionnaireTS), SubmittedAt: row.SubmittedAt, DeclinedAt: row.DeclinedAt,
			NudgeChannelID: deref(row.NudgeChannelID), NudgeTS: deref(row.NudgeTS), Answered: row.Answered}
	}
	if err := json.Unmarshal(row.Answers, &q.Answers); err != nil {
		return fail(err)
	}
	if err := json.Unmarshal(row.Predictions, &q.Predictions); err != nil {
		return fail(err)
	}
	row.apply(&q, req.Live, req.LiveToken)
	switch row.Refused {
	case "":
		if row.Done != 1 {
			return fail(fmt.Errorf("%d respondents submitted, want 1", row.Done))
		}
		at := req.At
		q.Respondent.SubmittedAt = &at
	case "already":
		res.AlreadySubmitted = true
	case "last":
		return SubmitResult{}, ErrSubmitNeedsTransaction
	default:
		reason, ok := submitRefusals[row.Refused]
		if !ok {
			return fail(fmt.Errorf("unknown refusal %q", row.Refused))
		}
		res.Questionnaire = q
		return res, &RoundError{Round: row.Round, Err: reason}
	}
	res.Questionnaire = q
	return res, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
