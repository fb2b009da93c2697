package scoring

import (
	"slices"
	"sort"
)

// Priorities is what the team should work on: the top gaps that each get a
// named owner and a 30-day action, and the fix-it list of the other
// structural gaps.
type Priorities struct {
	// Top are the gaps to own, best first; fewer than the instrument's
	// TopGapCount when fewer candidates exist.
	Top []QuestionResult
	// FixIt are structural gaps outside Top that are not already being
	// addressed: they may get an owner too, without holding the round open.
	FixIt []QuestionResult
	// Steered are the questions put first because a lead's answers raised
	// a prerequisite flag on them (or, for an instrument whose moves steer,
	// because they are the team's next unlock).
	Steered []string
	// FullyInPlace are the questions both leads score at the top: never
	// gaps.
	FullyInPlace []string
	// Addressed are the questions left out because they are already being
	// addressed.
	Addressed []string
	// DisagreementFirst is set when the many-gaps order applied: the widest
	// disagreement before the lowest combined score.
	DisagreementFirst bool
}

// Priorities ranks the questions to work on. Candidates are the questions not
// already being addressed and not fully in place. Questions a lead's flag
// steers come first, because the seed says to fix those before anything else;
// then the lowest combined score, then the widest disagreement between the
// leads, then question order. When the leads disagree structurally on many
// questions the disagreement comes before the combined score ("where the
// disagreement is largest and the combined score is lowest").
func (c Comparison) Priorities(addressed map[string]bool) Priorities {
	in := c.Instrument
	p := Priorities{DisagreementFirst: c.ManyGaps}
	steered := map[string]bool{}
	for _, f := range c.Flags {
		if f.RaisedByLead() {
			for _, id := range f.Steers {
				steered[id] = true
			}
		}
	}
	if in.MovesSteer {
		for _, id := range c.Leverage {
			steered[id] = true
		}
	}
	var candidates []QuestionResult
	for _, q := range c.Questions {
		id := q.Question.ID
		switch {
		case q.FullyInPlace(in):
			p.FullyInPlace = append(p.FullyInPlace, id)
		case addressed[id]:
			p.Addressed = append(p.Addressed, id)
		default:
			candidates = append(candidates, q)
		}
	}
	sort.SliceStable(candidates, func(i, j int) bool {
		a, b := candidates[i], candidates[j]
		if sa, sb := steered[a.Question.ID], steered[b.Question.ID]; sa != sb {
			return sa
		}
		byCombined := func() (bool, bool) { return a.Combined < b.Combined, a.Combined != b.Combined }
		byGap := func() (bool, bool) { return a.LeadGap > b.LeadGap, a.LeadGap != b.LeadGap }
		first, second := byCombined, byGap
		if p.DisagreementFirst {
			first, second = byGap, byCombined
		}
		if less, decided := first(); decided {
			return less
		}
		if less, decided := second(); decided {
			return less
		}
		return false // stable: question order
	})
	n := min(in.TopGapCount, len(candidates))
	p.Top = candidates[:n]
	for _, q := range p.Top {
		if steered[q.Question.ID] {
			p.Steered = append(p.Steered, q.Question.ID)
		}
	}
	for _, q := range candidates[n:] {
		if q.Difference == StructuralGap {
			p.FixIt = append(p.FixIt, q)
		}
	}
	return p
}

// Has reports whether the question is among the top gaps or the fix-it list.
func (p Priorities) Has(id string) bool {
	is := func(q QuestionResult) bool { return q.Question.ID == id }
	return slices.ContainsFunc(p.Top, is) || slices.ContainsFunc(p.FixIt, is)
}

// IsTop reports whether the question is one of the top gaps.
func (p Priorities) IsTop(id string) bool {
	return slices.ContainsFunc(p.Top, func(q QuestionResult) bool { return q.Question.ID == id })
}
