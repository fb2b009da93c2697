package scoring

import (
	"fmt"
	"sort"
)

// Response is one respondent's complete set of answers.
type Response struct {
	Role    Role
	Answers Answers
}

// Difference classifies how far respondents are apart on one question.
type Difference int

// The kinds of difference, in the order the reveal discusses them.
const (
	// StructuralGap: respondents at opposite ends of the scale. "A structural
	// gap dressed up as a perception problem"; discuss these first.
	StructuralGap Difference = iota
	// MinorDifference: apart, but not at opposite ends.
	MinorDifference
	// Agreement: every respondent gave the same score.
	Agreement
)

// QuestionResult is the side-by-side view of one question.
type QuestionResult struct {
	Question Question
	// Scores by role, for the respondents being compared.
	Scores map[Role]int
	// Spread is max − min over every respondent who answered, observer included.
	Spread int
	// Combined is the marketing lead's score plus the sales lead's score.
	// The observer does not count toward it.
	Combined int
	// LeadSpread is |marketing − sales|.
	LeadSpread int
	Difference Difference
}

// CategoryScore is a respondent's subtotal over one category.
type CategoryScore struct {
	Category Category
	Score    int
	Max      int
	// AllZero is set when the respondent scored every question of the
	// category 0.
	AllZero bool
}

// RespondentResult is one respondent's own total and tier.
type RespondentResult struct {
	Role       Role
	Answers    Answers
	Total      int
	Tier       Tier
	Categories []CategoryScore
}

// Flag is a prerequisite flag that fired, with the roles whose answers raised
// it.
type Flag struct {
	Code    string
	Meaning string
	Roles   []Role
}

// ZeroCategory is a category in which at least one respondent scored every
// question 0, with the roles who did.
type ZeroCategory struct {
	Category Category
	Roles    []Role
}

// Comparison is everything the reveal shows, computed from the responses.
type Comparison struct {
	Instrument *Instrument
	// Respondents in role order (marketing, sales, observer).
	Respondents []RespondentResult
	// Questions in instrument order.
	Questions []QuestionResult
	// TeamTier is the lower of the two leads' tiers: "use the honest answer".
	TeamTier       Tier
	NextMove       NextMove
	StructuralGaps int
	// ManyGaps is set when StructuralGaps exceeds the instrument's threshold.
	ManyGaps       bool
	Flags          []Flag
	ZeroCategories []ZeroCategory
}

// Compare applies the diagnostic's rules to the responses of one round. Both
// leads are required: a one-sided comparison is never made. The observer is
// optional. Every response must be complete.
func Compare(in *Instrument, responses []Response) (Comparison, error) {
	byRole := map[Role]Answers{}
	for _, r := range responses {
		if !r.Role.Valid() {
			return Comparison{}, fmt.Errorf("compare: unknown role %q", r.Role)
		}
		if _, dup := byRole[r.Role]; dup {
			return Comparison{}, fmt.Errorf("compare: two responses for %s", r.Role)
		}
		if err := in.CheckComplete(r.Answers); err != nil {
			return Comparison{}, fmt.Errorf("compare: %s: %w", r.Role, err)
		}
		byRole[r.Role] = r.Answers
	}
	for _, lead := range []Role{Marketing, Sales} {
		if _, ok := byRole[lead]; !ok {
			return Comparison{}, fmt.Errorf("compare: the %s has not responded", lead.Label())
		}
	}

	c := Comparison{Instrument: in}
	for _, role := range Roles {
		answers, ok := byRole[role]
		if !ok {
			continue
		}
		result, err := scoreRespondent(in, role, answers)
		if err != nil {
			return Comparison{}, fmt.Errorf("compare: %w", err)
		}
		c.Respondents = append(c.Respondents, result)
	}

	for _, q := range in.Questions {
		qr := compareQuestion(in, q, c.Respondents)
		if qr.Difference == StructuralGap {
			c.StructuralGaps++
		}
		c.Questions = append(c.Questions, qr)
	}
	c.ManyGaps = c.StructuralGaps > in.ManyGapsAbove

	c.TeamTier = c.lowerLeadTier()
	c.NextMove = in.NextMoves[c.TeamTier.Number]
	c.Flags = raisedFlags(in, c.Respondents)
	c.ZeroCategories = zeroCategories(in, c.Respondents)
	return c, nil
}

func scoreRespondent(in *Instrument, role Role, answers Answers) (RespondentResult, error) {
	total := in.Total(answers)
	tier, err := in.TierFor(total)
	if err != nil {
		return RespondentResult{}, err
	}
	result := RespondentResult{Role: role, Answers: answers, Total: total, Tier: tier}
	for _, cat := range in.Categories {
		cs := CategoryScore{Category: cat, AllZero: true}
		for _, q := range in.Questions {
			if q.Category != cat.ID {
				continue
			}
			cs.Score += answers[q.ID]
			cs.Max += in.Scale.Max
			if answers[q.ID] != in.Scale.Min {
				cs.AllZero = false
			}
		}
		if cs.Max == 0 {
			cs.AllZero = false
		}
		result.Categories = append(result.Categories, cs)
	}
	return result, nil
}

func compareQuestion(in *Instrument, q Question, respondents []RespondentResult) QuestionResult {
	qr := QuestionResult{Question: q, Scores: map[Role]int{}}
	lo, hi := in.Scale.Max, in.Scale.Min
	for _, r := range respondents {
		score := r.Answers[q.ID]
		qr.Scores[r.Role] = score
		lo, hi = min(lo, score), max(hi, score)
	}
	qr.Spread = hi - lo
	mkt, sales := qr.Scores[Marketing], qr.Scores[Sales]
	qr.Combined = mkt + sales
	qr.LeadSpread = abs(mkt - sales)
	switch {
	case qr.Spread >= in.Scale.StructuralSpread():
		qr.Difference = StructuralGap
	case qr.Spread > 0:
		qr.Difference = MinorDifference
	default:
		qr.Difference = Agreement
	}
	return qr
}

func (c Comparison) lowerLeadTier() Tier {
	var lowest Tier
	for _, r := range c.Respondents {
		if !r.Role.IsLead() {
			continue
		}
		if lowest.Number == 0 || r.Tier.Number < lowest.Number {
			lowest = r.Tier
		}
	}
	return lowest
}

func raisedFlags(in *Instrument, respondents []RespondentResult) []Flag {
	var flags []Flag
	for _, rule := range in.Flags {
		flag := Flag{Code: rule.Code, Meaning: rule.Meaning}
		for _, r := range respondents {
			if rule.holds(r.Answers) {
				flag.Roles = append(flag.Roles, r.Role)
			}
		}
		if len(flag.Roles) > 0 {
			flags = append(flags, flag)
		}
	}
	return flags
}

func (f FlagRule) holds(a Answers) bool {
	for _, c := range f.When {
		if a[c.Question] != c.Score {
			return false
		}
	}
	return len(f.When) > 0
}

func zeroCategories(in *Instrument, respondents []RespondentResult) []ZeroCategory {
	var zeros []ZeroCategory
	for i, cat := range in.Categories {
		z := ZeroCategory{Category: cat}
		for _, r := range respondents {
			if r.Categories[i].AllZero {
				z.Roles = append(z.Roles, r.Role)
			}
		}
		if len(z.Roles) > 0 {
			zeros = append(zeros, z)
		}
	}
	return zeros
}

// Respondent returns the result for a role.
func (c Comparison) Respondent(role Role) (RespondentResult, bool) {
	for _, r := range c.Respondents {
		if r.Role == role {
			return r, true
		}
	}
	return RespondentResult{}, false
}

// QuestionResult returns the result for the question with the given ID.
func (c Comparison) QuestionResult(id string) (QuestionResult, bool) {
	for _, q := range c.Questions {
		if q.Question.ID == id {
			return q, true
		}
	}
	return QuestionResult{}, false
}

// InRevealOrder returns the questions as the reveal discusses them: structural
// gaps first, then minor differences, then agreement; instrument order within
// each group.
func (c Comparison) InRevealOrder() []QuestionResult {
	ordered := append([]QuestionResult(nil), c.Questions...)
	sort.SliceStable(ordered, func(i, j int) bool {
		return ordered[i].Difference < ordered[j].Difference
	})
	return ordered
}

// GapCandidates ranks every question as a candidate gap to work on: lowest
// combined score first, then the widest disagreement between the leads, then
// question order.
func (c Comparison) GapCandidates() []QuestionResult {
	ranked := append([]QuestionResult(nil), c.Questions...)
	sort.SliceStable(ranked, func(i, j int) bool {
		a, b := ranked[i], ranked[j]
		if a.Combined != b.Combined {
			return a.Combined < b.Combined
		}
		return a.LeadSpread > b.LeadSpread
	})
	return ranked
}

// TopGaps picks the questions the team should own next: the best-ranked
// candidates that are not already being addressed, at most the instrument's
// TopGapCount of them. When a question is addressed, the next candidate moves
// up.
func (c Comparison) TopGaps(addressed map[string]bool) []QuestionResult {
	var top []QuestionResult
	for _, q := range c.GapCandidates() {
		if len(top) == c.Instrument.TopGapCount {
			break
		}
		if addressed[q.Question.ID] {
			continue
		}
		top = append(top, q)
	}
	return top
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}
