-- The questions already being addressed when a round is revealed are fixed
-- then: an earlier round's action finished later must not reshuffle this
-- round's top gaps under their owners. from_round names the earlier round
-- whose open action put a question here; marked_by the person who marked it.
ALTER TABLE addressed_questions ADD COLUMN from_round bigint REFERENCES rounds (id);
ALTER TABLE addressed_questions ALTER COLUMN marked_by SET DEFAULT '';
ALTER TABLE addressed_questions ADD CONSTRAINT addressed_questions_why
    CHECK ((from_round IS NULL) <> (marked_by = ''));
