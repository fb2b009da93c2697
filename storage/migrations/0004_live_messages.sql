-- A message alignbot edits in place (a round's announcement, a
-- questionnaire, the reveal, an owner's DM, an App Home) has a revision,
-- bumped by every change it shows in that change's transaction. Sends of one
-- message take turns under a short lease (sender, sender_until, on the
-- database's clock) and record the revision they rendered in sent, so that
-- an older render is never the last one Slack receives. view keeps what the
-- person chose to look at (the open question of a questionnaire), which is
-- part of what the message shows.
CREATE TABLE live_messages (
    key          text PRIMARY KEY,
    revision     bigint NOT NULL DEFAULT 1,
    sent         bigint NOT NULL DEFAULT 0,
    view         jsonb NOT NULL DEFAULT '{}',
    sender       text,
    sender_until timestamptz,
    updated_at   timestamptz NOT NULL DEFAULT now()
);
-- Messages whose latest revision is not on Slack, for the sweep that
-- catches a sender that died.
CREATE INDEX live_messages_behind ON live_messages (updated_at) WHERE sent < revision;

-- A job taken over after its lease ended is not a failed attempt: reclaims
-- counts those takeovers apart, so that a job whose every run kills its
-- replica is still given up on.
ALTER TABLE jobs ADD COLUMN reclaims integer NOT NULL DEFAULT 0;

-- A job that cannot succeed until something in the workspace changes (the
-- bot re-invited to a channel, a person reactivated, a valid token) is held
-- on that cause instead of retried, and resumes when it changes.
ALTER TABLE jobs ADD COLUMN held_on text;
ALTER TABLE jobs DROP CONSTRAINT jobs_state_check;
ALTER TABLE jobs ADD CONSTRAINT jobs_state_check CHECK (state IN ('pending', 'done', 'parked', 'cancelled', 'held'));
ALTER TABLE jobs ADD CONSTRAINT jobs_held_on CHECK ((state = 'held') = (held_on IS NOT NULL));
CREATE INDEX jobs_held ON jobs (held_on) WHERE state = 'held';

-- The causes a round's facilitator has been told about, so that a cause is
-- explained once however many jobs it holds, and again if it recurs after
-- it was fixed.
CREATE TABLE holds (
    round_id  bigint NOT NULL REFERENCES rounds (id) ON DELETE CASCADE,
    cause     text NOT NULL,
    noted_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (round_id, cause)
);
CREATE INDEX holds_cause ON holds (cause);

-- Slash commands being worked on. A command is acknowledged before the
-- work behind it is done; if the replica doing it dies, another one finds
-- the command unanswered and tells the person. The response_url is kept
-- only until the command is answered (and works for 30 minutes at most).
CREATE TABLE commands (
    envelope_id  text PRIMARY KEY,
    user_id      text NOT NULL,
    channel_id   text NOT NULL,
    text         text NOT NULL,
    response_url text NOT NULL,
    received_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX commands_received ON commands (received_at);
