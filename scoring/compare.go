package scoring

import (
	"fmt"
	"slices"
	"sort"
)

// Response is one respondent's complete set of answers and, for a lead, what
// they expect the other lead answered.
type Response struct {
	Role    Role
	Answers Answers
	// Predictions are a lead's guesses of the other lead's scores, by
	// question; optional and possibly partial.
	Predictions Answers
}

// Difference classifies how far the two leads are apart on one question.
type Difference int

// The kinds of difference, in the order the reveal discusses them.
const (
	// StructuralGap: the leads at opposite ends of the scale. "A structural
	// gap dressed up as a perception problem"; discuss these first.
	StructuralGap Difference = iota
	// MinorDifference: the leads apart, but not at opposite ends.
	MinorDifference
	// Agreement: both leads gave the same score.
	Agreement
)

// QuestionResult is the side-by-side view of one question.
type QuestionResult struct {
	Question Question
	// Scores by role, for the respondents being compared.
	Scores map[Role]int
	// Spread is max − min over every respondent, observer included. It is
	// reported, but gaps are between the leads only.
	Spread int
	// Combined is the marketing lead's score plus the sales lead's score.
	// The observer does not count toward it.
	Combined int
	// LeadGap is |marketing − sales|.
	LeadGap    int
	Difference Difference
}

// FullyInPlace reports whether both leads score the question at the top of
// the scale: it is never a gap to work on.
func (q QuestionResult) FullyInPlace(in *Instrument) bool { return q.Combined == in.MaxCombined() }

// CategoryScore is a respondent's subtotal over one category.
type CategoryScore struct {
	Category Category
	Score    int
	Max      int
	// AllZero is set when the respondent scored every question of the
	// category at the bottom of the scale.
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
	Title   string
	Meaning string
	Roles   []Role
	Steers  []string
}

// RaisedByLead reports whether a lead's answers raised the flag; only then
// does it steer the priorities. An observer's flag is shown, not acted on.
func (f Flag) RaisedByLead() bool { return slices.ContainsFunc(f.Roles, Role.IsLead) }

// ZeroCategory is a category in which at least one respondent scored every
// question at the bottom of the scale, with the roles who did.
type ZeroCategory struct {
	Category Category
	Roles    []Role
}

// ObserverNote is a question the observer sees differently from a lead by a
// whole structural gap. It is a note beside the comparison, never a gap: gaps
// are between marketing and sales.
type ObserverNote struct {
	Question Question
	Observer int
	// Apart are the leads the observer is a structural gap away from.
	Apart []Role
}

// Comparison is everything the reveal shows, computed from the responses.
type Comparison struct {
	Instrument *Instrument
	// Respondents in role order (marketing, sales, observer).
	Respondents []RespondentResult
	// Questions in instrument order.
	Questions []QuestionResult
	// LeadTier is the lower of the two leads' tiers: "use the honest
	// answer".
	LeadTier Tier
	// TeamTier is the tier the advice is for: LeadTier, capped when the
	// leads disagree structurally on too many questions.
	TeamTier Tier
	// Capped is set when the many-gaps rule lowered the team tier.
	Capped   bool
	NextMove NextMove
	// Leverage is the next move's questions without those both leads
	// already score at the top.
	Leverage       []string
	StructuralGaps int
	// ManyGaps is set when the instrument's many-gaps rule applies.
	ManyGaps       bool
	Flags          []Flag
	ZeroCategories []ZeroCategory
	ObserverNotes  []ObserverNote
	// Perception is how well each lead read the other; nil when no lead
	// made a prediction.
	Perception *Perception
}

// Compare applies the diagnostic's rules to the responses of one round. Both
// leads are required: a one-sided comparison is never made. The observer is
// optional. Every response must be complete.
func Compare(in *Instrument, responses []Response) (Comparison, error) {
	byRole := map[Role]Response{}
	for _, r := range responses {
		if !in.HasRole(r.Role) {
			return Comparison{}, fmt.Errorf("compare: %s has no role %q", in.ID, r.Role)
		}
		if _, dup := byRole[r.Role]; dup {
			return Comparison{}, fmt.Errorf("compare: two responses for %s", r.Role)
		}
		if err := in.CheckComplete(r.Answers); err != nil {
			return Comparison{}, fmt.Errorf("compare: %s: %w", r.Role, err)
		}
		if len(r.Predictions) > 0 && !r.Role.IsLead() {
			return Comparison{}, fmt.Errorf("compare: only the leads predict; %s did", r.Role)
		}
		for id, score := range r.Predictions {
			if err := in.CheckScore(id, score); err != nil {
				return Comparison{}, fmt.Errorf("compare: %s's prediction: %w", r.Role, err)
			}
		}
		byRole[r.Role] = r
	}
	for _, lead := range Leads {
		if _, ok := byRole[lead]; !ok {
			return Comparison{}, fmt.Errorf("compare: the %s has not responded", in.RoleLabel(lead))
		}
	}

	c := Comparison{Instrument: in}
	for _, spec := range in.Roles {
		r, ok := byRole[spec.Role]
		if !ok {
			continue
		}
		result, err := scoreRespondent(in, r.Role, r.Answers)
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
		if note, ok := observerNote(in, qr); ok {
			c.ObserverNotes = append(c.ObserverNotes, note)
		}
	}
	c.advise()
	c.Flags = raisedFlags(in, c.Respondents)
	c.ZeroCategories = zeroCategories(in, c.Respondents)
	c.Perception = perceive(c, byRole[Marketing].Predictions, byRole[Sales].Predictions)
	return c, nil
}

// advise sets the team tier and the next move. The team tier is the lower of
// the two leads' tiers; when the leads disagree structurally on more
// questions than the instrument allows, the pattern outweighs the totals:
// the tier is capped and the advice is the early tier's.
func (c *Comparison) advise() {
	in := c.Instrument
	for _, r := range c.Respondents {
		if r.Role.IsLead() && (c.LeadTier.Number == 0 || r.Tier.Number < c.LeadTier.Number) {
			c.LeadTier = r.Tier
		}
	}
	c.TeamTier = c.LeadTier
	c.NextMove = in.NextMoves[c.TeamTier.Number]
	if rule := in.ManyGaps; rule != nil && c.StructuralGaps > rule.Above {
		c.ManyGaps = true
		if c.TeamTier.Number > rule.CapAt {
			c.TeamTier, _ = in.Tier(rule.CapAt)
			c.Capped = true
		}
		c.NextMove = in.NextMoves[rule.Move]
	}
	for _, id := range c.NextMove.Questions {
		if q, ok := c.QuestionResult(id); ok && !q.FullyInPlace(in) {
			c.Leverage = append(c.Leverage, id)
		}
	}
}

func scoreRespondent(in *Instrument, role Role, answers Answers) (RespondentResult, error) {
	tier, err := in.TierFor(answers)
	if err != nil {
		return RespondentResult{}, err
	}
	result := RespondentResult{Role: role, Answers: answers, Total: in.Total(answers), Tier: tier}
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
	qr.LeadGap = abs(mkt - sales)
	switch {
	case qr.LeadGap >= in.StructuralGap():
		qr.Difference = StructuralGap
	case qr.LeadGap > 0:
		qr.Difference = MinorDifference
	default:
		qr.Difference = Agreement
	}
	return qr
}

func observerNote(in *Instrument, qr QuestionResult) (ObserverNote, bool) {
	obs, ok := qr.Scores[Observer]
	if !ok {
		return ObserverNote{}, false
	}
	note := ObserverNote{Question: qr.Question, Observer: obs}
	for _, lead := range Leads {
		if abs(obs-qr.Scores[lead]) >= in.StructuralGap() {
			note.Apart = append(note.Apart, lead)
		}
	}
	return note, len(note.Apart) > 0
}

func raisedFlags(in *Instrument, respondents []RespondentResult) []Flag {
	var flags []Flag
	for _, rule := range in.Flags {
		flag := Flag{Code: rule.Code, Title: rule.Title, Meaning: rule.Meaning, Steers: rule.Steers}
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
	ordered := slices.Clone(c.Questions)
	sort.SliceStable(ordered, func(i, j int) bool {
		return ordered[i].Difference < ordered[j].Difference
	})
	return ordered
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}
