package render

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/alignbot/alignbot/scoring"
)

// Action, block and callback IDs: the wire contract between the messages
// rendered here and the handlers that receive clicks on them. A button's
// value names what it acts on; ParseSlot, ParseGap and ParseRound read it
// back and refuse anything these messages could not have sent.
const (
	// ActionAnswer buttons are "answer_0" … "answer_2", value the score, in
	// block "answer:<round>:<role>:<question>".
	ActionAnswer = "answer"
	// ActionPredict buttons are "predict_0" … , value the score, in block
	// "predict:<round>:<role>:<question>".
	ActionPredict = "predict"
	// ActionChange opens an answered question again; value a slot.
	ActionChange = "change"
	// ActionPredictStart starts the optional pass of guessing the other
	// lead's answers; ActionPredictDone ends it. Value a slot (no question).
	ActionPredictStart = "predict_start"
	ActionPredictDone  = "predict_done"
	// ActionSubmit locks the answers; value the round.
	ActionSubmit = "submit"
	// ActionContinue, on a reminder, turns it into the questionnaire where
	// the respondent left off; value a slot (no question).
	ActionContinue = "continue"
	// ActionDecline: "not me"; value a slot (no question).
	ActionDecline = "decline"
	// Gap buttons; value "<round>:<question>".
	ActionAssign    = "assign"
	ActionAddressed = "addressed"
	ActionUndo      = "unaddress"
	// ActionStatus buttons are "status_done", "status_in_progress" and
	// "status_blocked"; value "<round>:<question>".
	ActionStatus = "status"
	// ActionStartNext opens the start form filled in from a round; value the
	// round.
	ActionStartNext = "start_next"
	// ActionOneAnswer opens the form for the team's answer to the one
	// question; value the round.
	ActionOneAnswer = "one_answer"
	// ActionStartForm opens an empty start form (App Home).
	ActionStartForm = "start_form"
	// ActionLink is every link button: Slack sends a click on one, which
	// needs nothing but the ack.
	ActionLink = "link"

	BlockAnswerPrefix  = "answer:"
	BlockPredictPrefix = "predict:"
	// BlockTitle is every message's header block.
	BlockTitle = "title"

	CallbackStart     = "start_round"
	CallbackAssign    = "assign_owner"
	CallbackBlocked   = "action_blocked"
	CallbackOneAnswer = "one_answer"
)

// ErrTampered is a value no message of ours could have sent.
var ErrTampered = errors.New("a button or form value that no message of alignbot sends")

// Slot names a respondent's place in a round, and optionally a question.
type Slot struct {
	Round    int64
	Role     scoring.Role
	Question string
}

// String encodes the slot as a button value: "<round>:<role>[:<question>]".
func (s Slot) String() string {
	v := strconv.FormatInt(s.Round, 10) + ":" + string(s.Role)
	if s.Question != "" {
		v += ":" + s.Question
	}
	return v
}

// ParseSlot reads a slot from a button value or a block ID's tail.
func ParseSlot(v string) (Slot, error) {
	parts := strings.Split(v, ":")
	if len(parts) < 2 || len(parts) > 3 {
		return Slot{}, ErrTampered
	}
	round, err := ParseRound(parts[0])
	if err != nil {
		return Slot{}, err
	}
	s := Slot{Round: round, Role: scoring.Role(parts[1])}
	if !s.Role.Valid() {
		return Slot{}, ErrTampered
	}
	if len(parts) == 3 {
		if !validQuestionID(parts[2]) {
			return Slot{}, ErrTampered
		}
		s.Question = parts[2]
	}
	return s, nil
}

// GapValue encodes a gap button's value: "<round>:<question>".
func GapValue(round int64, question string) string {
	return fmt.Sprintf("%d:%s", round, question)
}

// ParseGap reads a gap button's value.
func ParseGap(v string) (round int64, question string, err error) {
	r, q, ok := strings.Cut(v, ":")
	if !ok || !validQuestionID(q) {
		return 0, "", ErrTampered
	}
	round, err = ParseRound(r)
	return round, q, err
}

// RoundValue encodes a round as a button value.
func RoundValue(round int64) string { return strconv.FormatInt(round, 10) }

// ParseRound reads a round ID from a button value.
func ParseRound(v string) (int64, error) {
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id <= 0 || strconv.FormatInt(id, 10) != v {
		return 0, ErrTampered
	}
	return id, nil
}

// validQuestionID accepts the shape of every instrument's question IDs,
// "Q1" to "Q99"; whether the question exists is the instrument's to say.
func validQuestionID(q string) bool {
	if len(q) < 2 || len(q) > 3 || q[0] != 'Q' {
		return false
	}
	n, err := strconv.Atoi(q[1:])
	return err == nil && n >= 1 && strconv.Itoa(n) == q[1:]
}

// ScoreAction names a score button: "answer_2", "predict_0".
func ScoreAction(prefix string, score int) string { return prefix + "_" + strconv.Itoa(score) }

// ParseScoreAction reads the score of a score button, checking that its
// action ID and value agree.
func ParseScoreAction(prefix, actionID, value string) (int, error) {
	score, err := strconv.Atoi(value)
	if err != nil || actionID != ScoreAction(prefix, score) || strconv.Itoa(score) != value {
		return 0, ErrTampered
	}
	return score, nil
}
