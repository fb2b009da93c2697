package report

import (
	"slices"

	"github.com/alignbot/alignbot/scoring"
	"github.com/alignbot/alignbot/storage"
)

// Trend compares a round with the team's previous round of the same
// instrument: the re-run exists to show whether the owned gaps closed.
type Trend struct {
	Previous storage.Round
	// PreviousComparison is the previous round's comparison, for the chart
	// that shows both rounds.
	PreviousComparison scoring.Comparison
	// Tiers by role: before and now, for roles present in both.
	Tiers                       []TierChange
	TeamTierBefore, TeamTierNow scoring.Tier
	// Moves are the questions whose combined score or lead gap moved,
	// biggest rise first.
	Moves []QuestionMove
	// OwnedGaps are the previous round's actions and what became of their
	// questions.
	OwnedGaps []OwnedGap
	// Perception is how well each lead read the other then and now, for
	// leads who predicted in both rounds or either.
	Perception []PerceptionChange
}

// TierChange is one role's tier in two rounds.
type TierChange struct {
	Role                  scoring.Role
	Before, Now           scoring.Tier
	TotalBefore, TotalNow int
}

// QuestionMove is one question in two rounds.
type QuestionMove struct {
	Question    scoring.Question
	Before, Now scoring.QuestionResult
}

// OwnedGap is a previous round's action and the verdict on its question.
type OwnedGap struct {
	Action      storage.Action
	Before, Now scoring.QuestionResult
	Verdict     scoring.Verdict
}

// PerceptionChange is how many of the other lead's answers a lead predicted
// right, in two rounds; Predicted 0 means they made no predictions then.
type PerceptionChange struct {
	Role                         scoring.Role
	RightBefore, PredictedBefore int
	RightNow, PredictedNow       int
}

// Closed counts the owned gaps that closed.
func (t Trend) Closed() int {
	n := 0
	for _, g := range t.OwnedGaps {
		if g.Verdict == scoring.Closed {
			n++
		}
	}
	return n
}

// Compare compares cur with prev, the team's previous round of the same
// instrument.
func Compare(prev, cur Reveal) Trend {
	in := cur.Instrument
	t := Trend{
		Previous:           prev.Round,
		PreviousComparison: prev.Comparison,
		TeamTierBefore:     prev.Comparison.TeamTier,
		TeamTierNow:        cur.Comparison.TeamTier,
	}
	for _, r := range cur.Comparison.Respondents {
		if before, ok := prev.Comparison.Respondent(r.Role); ok {
			t.Tiers = append(t.Tiers, TierChange{Role: r.Role, Before: before.Tier, Now: r.Tier, TotalBefore: before.Total, TotalNow: r.Total})
		}
	}
	for _, q := range cur.Comparison.Questions {
		before, _ := prev.Comparison.QuestionResult(q.Question.ID)
		if before.Combined != q.Combined || before.LeadGap != q.LeadGap {
			t.Moves = append(t.Moves, QuestionMove{Question: q.Question, Before: before, Now: q})
		}
	}
	slices.SortStableFunc(t.Moves, func(a, b QuestionMove) int {
		return (b.Now.Combined - b.Before.Combined) - (a.Now.Combined - a.Before.Combined)
	})
	for _, a := range prev.Actions {
		before, _ := prev.Comparison.QuestionResult(a.QuestionID)
		now, _ := cur.Comparison.QuestionResult(a.QuestionID)
		t.OwnedGaps = append(t.OwnedGaps, OwnedGap{Action: a, Before: before, Now: now, Verdict: in.GapVerdict(before, now)})
	}
	for _, lead := range scoring.Leads {
		var pc PerceptionChange
		pc.Role = lead
		if p := prev.Comparison.Perception; p != nil {
			if l, ok := p.Lead(lead); ok {
				pc.RightBefore, pc.PredictedBefore = l.Right, l.Predicted
			}
		}
		if p := cur.Comparison.Perception; p != nil {
			if l, ok := p.Lead(lead); ok {
				pc.RightNow, pc.PredictedNow = l.Right, l.Predicted
			}
		}
		if pc.PredictedBefore > 0 || pc.PredictedNow > 0 {
			t.Perception = append(t.Perception, pc)
		}
	}
	return t
}
