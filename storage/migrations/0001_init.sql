-- A team is one Slack channel in one workspace: rounds of the same team are
-- compared with each other.
CREATE TABLE teams (
    id           bigserial PRIMARY KEY,
    workspace_id text NOT NULL,
    channel_id   text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (workspace_id, channel_id)
);

CREATE TABLE rounds (
    id                  bigserial PRIMARY KEY,
    team_id             bigint NOT NULL REFERENCES teams (id),
    instrument          text NOT NULL,
    state               text NOT NULL DEFAULT 'collecting'
                        CHECK (state IN ('collecting', 'revealed', 'closed', 'cancelled')),
    facilitator_user_id text NOT NULL,
    previous_round_id   bigint REFERENCES rounds (id),
    deadline_at         timestamptz NOT NULL,
    created_at          timestamptz NOT NULL DEFAULT now(),
    revealed_at         timestamptz,
    closed_at           timestamptz,
    cancelled_at        timestamptz,
    cancelled_by        text,
    next_round_at       timestamptz,
    -- The channel message that shows progress, then the reveal's parent.
    announcement_ts     text,
    reveal_ts           text,
    CONSTRAINT rounds_revealed_has_time CHECK (state NOT IN ('revealed', 'closed') OR revealed_at IS NOT NULL)
);

-- At most one round collecting answers per team.
CREATE UNIQUE INDEX rounds_one_collecting_per_team ON rounds (team_id) WHERE state = 'collecting';
CREATE INDEX rounds_team ON rounds (team_id, id DESC);

CREATE TABLE respondents (
    round_id         bigint NOT NULL REFERENCES rounds (id) ON DELETE CASCADE,
    role             text NOT NULL CHECK (role IN ('marketing', 'sales', 'observer')),
    user_id          text NOT NULL,
    dm_channel_id    text,
    questionnaire_ts text,
    submitted_at     timestamptz,
    PRIMARY KEY (round_id, role),
    -- One person per role and no person in two roles.
    CONSTRAINT respondents_one_role_per_person UNIQUE (round_id, user_id)
);

CREATE TABLE answers (
    round_id    bigint NOT NULL,
    role        text NOT NULL,
    question_id text NOT NULL,
    score       smallint NOT NULL CHECK (score BETWEEN 0 AND 2),
    answered_at timestamptz NOT NULL,
    PRIMARY KEY (round_id, role, question_id),
    FOREIGN KEY (round_id, role) REFERENCES respondents (round_id, role) ON DELETE CASCADE
);

-- An owner's 30-day action on one of a round's top gaps.
CREATE TABLE actions (
    round_id       bigint NOT NULL REFERENCES rounds (id) ON DELETE CASCADE,
    question_id    text NOT NULL,
    owner_user_id  text NOT NULL,
    description    text NOT NULL CHECK (description <> ''),
    status         text NOT NULL DEFAULT 'open'
                   CHECK (status IN ('open', 'in_progress', 'blocked', 'done')),
    blocked_reason text NOT NULL DEFAULT '',
    assigned_by    text NOT NULL,
    assigned_at    timestamptz NOT NULL,
    due_at         timestamptz NOT NULL,
    done_at        timestamptz,
    updated_at     timestamptz NOT NULL,
    PRIMARY KEY (round_id, question_id)
);

-- Questions someone marked as already being addressed during a round.
CREATE TABLE addressed_questions (
    round_id    bigint NOT NULL REFERENCES rounds (id) ON DELETE CASCADE,
    question_id text NOT NULL,
    marked_by   text NOT NULL,
    marked_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (round_id, question_id)
);

-- The outbox: every effect on Slack, written in the transaction that causes
-- it and run by any replica. A claimed job's run_at is pushed to the end of its
-- lease, so an abandoned job becomes due again by itself.
CREATE TABLE jobs (
    id          bigserial PRIMARY KEY,
    key         text NOT NULL,
    kind        text NOT NULL,
    round_id    bigint REFERENCES rounds (id) ON DELETE CASCADE,
    payload     jsonb NOT NULL DEFAULT '{}',
    state       text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done', 'parked', 'cancelled')),
    run_at      timestamptz NOT NULL,
    attempts    integer NOT NULL DEFAULT 0,
    lease_token uuid,
    leased_by   text,
    last_error  text NOT NULL DEFAULT '',
    result      jsonb,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT jobs_key UNIQUE (key)
);

CREATE INDEX jobs_due ON jobs (run_at, id) WHERE state = 'pending';
CREATE INDEX jobs_round ON jobs (round_id, kind) WHERE state = 'pending';

-- Slack deliveries (event ids, envelope ids) already handled.
CREATE TABLE deliveries (
    id          text PRIMARY KEY,
    received_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX deliveries_received ON deliveries (received_at);
