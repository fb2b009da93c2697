-- The language a round's channel messages speak (a BCP 47 tag: en, ja,
-- pt-BR, id), chosen when the round starts. Each person's DMs follow their
-- own Slack locale instead. Rounds from before languages speak English.
ALTER TABLE rounds ADD COLUMN language text NOT NULL DEFAULT 'en';
