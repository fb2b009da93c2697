package render

import (
	"strconv"
	"strings"
	"testing"

	"github.com/alignbot/alignbot/scoring"
)

// FuzzButtonValues: a button's value, block_id or action_id can be anything
// a person sends. The parsers never panic, accept only what the encoders
// write (so an accepted value round-trips exactly), and never accept a
// round that could not exist or a role no instrument has.
//
// go test ./bot/render -run '^$' -fuzz FuzzButtonValues -fuzztime 1m
func FuzzButtonValues(f *testing.F) {
	for _, seed := range []struct{ value, prefix, actionID string }{
		{Slot{Round: 7, Role: scoring.Marketing, Question: "Q3"}.String(), ActionAnswer, ScoreAction(ActionAnswer, 2)},
		{Slot{Round: 12, Role: scoring.Observer}.String(), ActionPredict, ScoreAction(ActionPredict, 0)},
		{GapValue(7, "Q10"), ActionAnswer, "answer_1"},
		{RoundValue(9223372036854775807), ActionAnswer, "answer_"},
		{"2", ActionAnswer, "answer_2"},
		{"-1", ActionAnswer, "answer_-1"},
		{"+1", ActionAnswer, "answer_1"},
		{"01", ActionAnswer, "answer_01"},
		{"7:Q0", ActionPredict, "predict_7"},
		{"7:Q07", "", "_"},
		{"7:sales:Q3:Q4", "", ""},
		{"0:marketing", "x", "x_0"},
		{"9223372036854775808:sales", "", ""},
		{"7:Marketing:Q1", "", ""},
		{"7::Q1", "", ""},
		{"７:sales", "", ""},
		{"7:sales:Q1\x00", "", ""},
		{"", "", ""},
		{strings.Repeat("9", 400), ActionAnswer, "answer_" + strings.Repeat("9", 400)},
	} {
		f.Add(seed.value, seed.prefix, seed.actionID)
	}
	f.Fuzz(func(t *testing.T, value, prefix, actionID string) {
		if round, err := ParseRound(value); err == nil {
			if round <= 0 || RoundValue(round) != value {
				t.Errorf("ParseRound(%q) = %d, which encodes as %q", value, round, RoundValue(round))
			}
		} else if err != ErrTampered {
			t.Errorf("ParseRound(%q): %v, want ErrTampered", value, err)
		}
		if slot, err := ParseSlot(value); err == nil {
			if slot.Round <= 0 || !slot.Role.Valid() || slot.String() != value {
				t.Errorf("ParseSlot(%q) = %+v, which encodes as %q", value, slot, slot.String())
			}
			if slot.Question != "" && !validQuestionID(slot.Question) {
				t.Errorf("ParseSlot(%q) accepted question %q", value, slot.Question)
			}
		} else if err != ErrTampered {
			t.Errorf("ParseSlot(%q): %v, want ErrTampered", value, err)
		}
		if round, q, err := ParseGap(value); err == nil {
			if round <= 0 || GapValue(round, q) != value || !validQuestionID(q) {
				t.Errorf("ParseGap(%q) = %d, %q, which encodes as %q", value, round, q, GapValue(round, q))
			}
			if n, _ := strconv.Atoi(q[1:]); n < 1 || n > 99 {
				t.Errorf("ParseGap(%q) accepted question %q", value, q)
			}
		} else if err != ErrTampered {
			t.Errorf("ParseGap(%q): %v, want ErrTampered", value, err)
		}
		if score, err := ParseScoreAction(prefix, actionID, value); err == nil {
			if ScoreAction(prefix, score) != actionID || strconv.Itoa(score) != value {
				t.Errorf("ParseScoreAction(%q, %q, %q) = %d, which encodes as %q and %q",
					prefix, actionID, value, score, ScoreAction(prefix, score), strconv.Itoa(score))
			}
		} else if err != ErrTampered {
			t.Errorf("ParseScoreAction(%q, %q, %q): %v, want ErrTampered", prefix, actionID, value, err)
		}
		// Whatever was sent, it is repeated only inert and short.
		got := Inert(value, 50)
		unticked := func(s string) string { return strings.ReplaceAll(s, "`", "") }
		if strings.ContainsAny(strings.NewReplacer("&lt;", "", "&gt;", "", "&amp;", "").Replace(got), "<>") ||
			unticked(got) != unticked(Escape(Clip(strings.TrimSpace(value), 50))) {
			t.Errorf("Inert(%q, 50) = %q", value, got)
		}
	})
}
