// Package scoring is the diagnostic itself: instruments described as data, and
// the pure rules that turn respondents' answers into a comparison.
//
// Nothing here knows about Slack, SQL or the clock. An instrument (the
// questions, their criteria, categories, tier bands, next moves and
// prerequisite flags) is a value of type Instrument; Compare and TopGaps apply
// the rules of the Marketing-Sales Alignment Maturity Diagnostic to any
// instrument of that shape. Scores are never averaged: every result keeps each
// respondent's numbers side by side.
package scoring

import (
	"errors"
	"fmt"
)

// Role is the part a respondent plays in a round. The two leads are required;
// the observer (typically RevOps) is optional.
type Role string

// The roles of a round, in the order the diagnostic presents them.
const (
	Marketing Role = "marketing"
	Sales     Role = "sales"
	Observer  Role = "observer"
)

// Roles lists every role in presentation order.
var Roles = []Role{Marketing, Sales, Observer}

// Label is how the role is named to people ("Marketing lead").
func (r Role) Label() string {
	switch r {
	case Marketing:
		return "Marketing lead"
	case Sales:
		return "Sales lead"
	case Observer:
		return "RevOps observer"
	}
	return string(r)
}

// Valid reports whether r is one of the defined roles.
func (r Role) Valid() bool {
	return r == Marketing || r == Sales || r == Observer
}

// IsLead reports whether the role is one of the two leads whose scores make up
// the combined score.
func (r Role) IsLead() bool { return r == Marketing || r == Sales }

// Criterion says when a question earns a score: "Score 2 if: …".
type Criterion struct {
	Score int
	When  string
}

// Question is one item of an instrument.
type Question struct {
	ID       string // "Q1"
	Topic    string // a short name, e.g. "MQL/SQL definitions"
	Prompt   string // the question as the seed asks it
	Category string // Category.ID
	// Criteria from the highest score down, as the seed lists them.
	Criteria []Criterion
}

// Category groups questions by the root cause they probe.
type Category struct {
	ID   string
	Name string
}

// Tier is a maturity band over a respondent's total.
type Tier struct {
	Number  int
	Name    string
	Min     int
	Max     int
	Summary string
}

// String renders "Tier 3 Functional".
func (t Tier) String() string { return fmt.Sprintf("Tier %d %s", t.Number, t.Name) }

// NextMove is the advice for a team at a given tier.
type NextMove struct {
	Title  string
	Advice string
	// Questions are the highest-leverage questions for that tier.
	Questions []string
}

// Condition holds when a respondent gave Question exactly Score.
type Condition struct {
	Question string
	Score    int
}

// FlagRule is a prerequisite check evaluated on each respondent's answers. It
// fires when every condition holds.
type FlagRule struct {
	Code    string
	Meaning string
	When    []Condition
}

// Instrument is a complete diagnostic: enough to present it, score it and
// advise on it.
type Instrument struct {
	ID         string
	Name       string
	Scale      Scale
	Questions  []Question
	Categories []Category
	Tiers      []Tier
	// NextMoves by tier number.
	NextMoves map[int]NextMove
	Flags     []FlagRule
	// ManyGapsAbove is how many structural gaps a comparison may have before
	// it warns that the team is lower than its individual scores suggest.
	ManyGapsAbove  int
	ManyGapsWarns  string
	TopGapCount    int
	OneQuestion    string
	ZeroCategoryIs string
}

// Scale is the range every question is scored on.
type Scale struct {
	Min, Max int
	// Meaning of each score, lowest first.
	Meanings []string
}

// StructuralSpread is the spread that marks a structural gap: respondents at
// opposite ends of the scale.
func (s Scale) StructuralSpread() int { return s.Max - s.Min }

// Question returns the question with the given ID.
func (in *Instrument) Question(id string) (Question, bool) {
	for _, q := range in.Questions {
		if q.ID == id {
			return q, true
		}
	}
	return Question{}, false
}

// QuestionIndex returns the position of the question with the given ID, or -1.
func (in *Instrument) QuestionIndex(id string) int {
	for i, q := range in.Questions {
		if q.ID == id {
			return i
		}
	}
	return -1
}

// MaxTotal is the highest total a respondent can reach.
func (in *Instrument) MaxTotal() int { return len(in.Questions) * in.Scale.Max }

// TierFor returns the tier whose band contains total.
func (in *Instrument) TierFor(total int) (Tier, error) {
	for _, t := range in.Tiers {
		if total >= t.Min && total <= t.Max {
			return t, nil
		}
	}
	return Tier{}, fmt.Errorf("tier for total %d: outside every band of %s", total, in.ID)
}

// Tier returns the tier with the given number.
func (in *Instrument) Tier(number int) (Tier, bool) {
	for _, t := range in.Tiers {
		if t.Number == number {
			return t, true
		}
	}
	return Tier{}, false
}

// ErrIncomplete is returned for answers that do not cover every question.
var ErrIncomplete = errors.New("answers are incomplete")

// Answers maps a question ID to the score given.
type Answers map[string]int

// CheckScore reports whether score is on the scale for question id.
func (in *Instrument) CheckScore(id string, score int) error {
	if _, ok := in.Question(id); !ok {
		return fmt.Errorf("unknown question %q", id)
	}
	if score < in.Scale.Min || score > in.Scale.Max {
		return fmt.Errorf("score %d for %s is outside %d..%d", score, id, in.Scale.Min, in.Scale.Max)
	}
	return nil
}

// Unanswered lists, in instrument order, the questions a has no score for.
func (in *Instrument) Unanswered(a Answers) []string {
	var missing []string
	for _, q := range in.Questions {
		if _, ok := a[q.ID]; !ok {
			missing = append(missing, q.ID)
		}
	}
	return missing
}

// CheckComplete returns an error unless a scores every question of the
// instrument on its scale and nothing else.
func (in *Instrument) CheckComplete(a Answers) error {
	for id, score := range a {
		if err := in.CheckScore(id, score); err != nil {
			return err
		}
	}
	if missing := in.Unanswered(a); len(missing) > 0 {
		return fmt.Errorf("%w: %v unanswered", ErrIncomplete, missing)
	}
	return nil
}

// Total sums a respondent's answers. It does not check completeness.
func (in *Instrument) Total(a Answers) int {
	total := 0
	for _, q := range in.Questions {
		total += a[q.ID]
	}
	return total
}

// Validate checks that the instrument is internally consistent: tier bands
// cover every total exactly once, categories, next moves and flags name
// questions and tiers that exist. Definitions are data, so they are checked
// like data.
func (in *Instrument) Validate() error {
	if len(in.Questions) == 0 {
		return fmt.Errorf("instrument %s: no questions", in.ID)
	}
	categories := map[string]bool{}
	for _, c := range in.Categories {
		categories[c.ID] = true
	}
	seen := map[string]bool{}
	for _, q := range in.Questions {
		if seen[q.ID] {
			return fmt.Errorf("instrument %s: question %s twice", in.ID, q.ID)
		}
		seen[q.ID] = true
		if !categories[q.Category] {
			return fmt.Errorf("instrument %s: %s in unknown category %q", in.ID, q.ID, q.Category)
		}
		if len(q.Criteria) != in.Scale.Max-in.Scale.Min+1 {
			return fmt.Errorf("instrument %s: %s has %d criteria for a %d..%d scale", in.ID, q.ID, len(q.Criteria), in.Scale.Min, in.Scale.Max)
		}
	}
	for total := 0; total <= in.MaxTotal(); total++ {
		n := 0
		for _, t := range in.Tiers {
			if total >= t.Min && total <= t.Max {
				n++
			}
		}
		if n != 1 {
			return fmt.Errorf("instrument %s: total %d falls in %d tiers", in.ID, total, n)
		}
	}
	for _, t := range in.Tiers {
		move, ok := in.NextMoves[t.Number]
		if !ok {
			return fmt.Errorf("instrument %s: no next move for tier %d", in.ID, t.Number)
		}
		for _, id := range move.Questions {
			if !seen[id] {
				return fmt.Errorf("instrument %s: next move for tier %d names unknown %s", in.ID, t.Number, id)
			}
		}
	}
	for _, f := range in.Flags {
		for _, c := range f.When {
			if err := in.CheckScore(c.Question, c.Score); err != nil {
				return fmt.Errorf("instrument %s: flag %s: %w", in.ID, f.Code, err)
			}
		}
	}
	return nil
}
