-- What a lead expects the other lead answered, question by question. As
-- blind as the answers: read only for a revealed round, or by the lead
-- themself.
CREATE TABLE predictions (
    round_id     bigint NOT NULL,
    role         text NOT NULL CHECK (role IN ('marketing', 'sales')),
    question_id  text NOT NULL,
    score        smallint NOT NULL CHECK (score BETWEEN 0 AND 2),
    predicted_at timestamptz NOT NULL,
    PRIMARY KEY (round_id, role, question_id),
    FOREIGN KEY (round_id, role) REFERENCES respondents (round_id, role) ON DELETE CASCADE
);

-- A respondent may decline a round; the latest reminder is replaced by the
-- next one, so it is remembered.
ALTER TABLE respondents
    ADD COLUMN declined_at timestamptz,
    ADD COLUMN nudge_channel_id text,
    ADD COLUMN nudge_ts text;

-- An owner has one live message per action, updated in place.
ALTER TABLE actions
    ADD COLUMN dm_channel_id text,
    ADD COLUMN dm_ts text;

-- The team's answer to the one question, and the reveal's chart.
ALTER TABLE rounds
    ADD COLUMN one_answer text NOT NULL DEFAULT '',
    ADD COLUMN one_answer_by text NOT NULL DEFAULT '',
    ADD COLUMN one_answer_at timestamptz,
    ADD COLUMN chart_file_id text NOT NULL DEFAULT '';

-- A job may wait for another (a thread note for the reveal it replies to):
-- it is not claimed while the job named by after is pending.
ALTER TABLE jobs ADD COLUMN after text;
CREATE INDEX jobs_finished ON jobs (updated_at) WHERE state IN ('done', 'cancelled');
CREATE INDEX jobs_round_kind ON jobs (round_id, kind, id) WHERE state = 'pending';
DROP INDEX jobs_round;

-- Live replicas, so that they share Slack's rate limits instead of each
-- spending the whole budget.
CREATE TABLE workers (
    id      text PRIMARY KEY,
    seen_at timestamptz NOT NULL
);

-- People who opened the App Home: only their Home is republished after a
-- change.
CREATE TABLE home_users (
    workspace_id text NOT NULL,
    user_id      text NOT NULL,
    opened_at    timestamptz NOT NULL,
    PRIMARY KEY (workspace_id, user_id)
);
