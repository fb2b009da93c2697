// Package scoring is the diagnostic itself: instruments described as data, and
// the pure rules that turn respondents' answers into a comparison.
//
// Nothing here knows about Slack, SQL or the clock. An instrument (its roles,
// questions and their criteria, categories, tiers or stages, next moves,
// prerequisite flags and suggested first actions) is a value of type
// Instrument; Compare, Priorities, Perceive and Verdict apply the rules of
// the diagnostic to any instrument of that shape. Scores are never averaged:
// every result keeps each respondent's numbers side by side.
package scoring

import (
	"errors"
	"fmt"
	"slices"
)

// Role is the part a respondent plays in a round. The values are stored, so
// they stay the same whatever an instrument calls the role ("Marketing lead",
// "CMO").
type Role string

// The roles a round can have. Marketing and Sales are the two leads every
// instrument compares; Observer (typically RevOps) is optional where an
// instrument has one.
const (
	Marketing Role = "marketing"
	Sales     Role = "sales"
	Observer  Role = "observer"
)

// Valid reports whether r is one of the roles any instrument may use.
func (r Role) Valid() bool { return r == Marketing || r == Sales || r == Observer }

// IsLead reports whether the role is one of the two leads whose scores make up
// the combined score and the lead gap.
func (r Role) IsLead() bool { return r == Marketing || r == Sales }

// Leads are the two roles every comparison needs, marketing first.
var Leads = []Role{Marketing, Sales}

// Other returns the other lead: Sales for Marketing and the reverse.
func (r Role) Other() Role {
	switch r {
	case Marketing:
		return Sales
	case Sales:
		return Marketing
	}
	return ""
}

// RoleSpec is how an instrument names a role.
type RoleSpec struct {
	Role  Role
	Label string // "Marketing lead", "CMO"
	Short string // "Marketing", "CMO": in score lines and the chart
}

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
	Category string // Category.ID, or "" for an instrument without categories
	// Gate names the stage gate the question checks ("Stage 3 gate"), for
	// instruments that place respondents by gates.
	Gate string
	// Criteria from the lowest score up, in the order the buttons show them;
	// empty when the seed gives none beyond the scale.
	Criteria []Criterion
	// Suggestion is a first 30-day action that moves the practice towards
	// the top score, in the seed's own terms.
	Suggestion string
	// Guide is the seed's go-to reading for the question.
	Guide string
}

// Category groups questions by the root cause they probe.
type Category struct {
	ID   string
	Name string
}

// Tier is where a respondent's answers place them: a tier, a stage or a step,
// whatever the instrument's word. A lower number is less mature.
type Tier struct {
	Word   string // "Tier", "Stage", "Step"
	Number int
	Name   string
	// Min and Max bound the totals of the tier, for instruments that place
	// by total.
	Min, Max int
	// Summary describes the tier in the seed's words.
	Summary string
}

// String renders "Tier 3 Functional".
func (t Tier) String() string {
	if t.Name == "" {
		return fmt.Sprintf("%s %d", t.Word, t.Number)
	}
	return fmt.Sprintf("%s %d %s", t.Word, t.Number, t.Name)
}

// Gate is a stage gate: a respondent who does not answer every one of its
// questions at the top of the scale sits at Tier.
type Gate struct {
	Questions []string
	Tier      int
}

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
// fires when every condition holds. A flag raised by a lead steers the
// priorities: its questions come first.
type FlagRule struct {
	Code    string // stable, for the export: "crm_not_source_of_truth"
	Title   string // what people read: "The CRM is not the source of truth"
	Meaning string
	When    []Condition
	Steers  []string
}

// ManyGapsRule is what an instrument does when the leads disagree structurally
// on many questions: the pattern says more about the team than the totals.
type ManyGapsRule struct {
	// Above is how many structural gaps a comparison may have before the
	// rule applies.
	Above int
	Warns string
	// CapAt is the highest team tier shown while the rule applies.
	CapAt int
	// Move is the tier whose next move applies.
	Move int
}

// Scale is the range every question is scored on.
type Scale struct {
	Min, Max int
	// Labels name each score on its button, lowest first: "Not in place".
	Labels []string
	// Meanings explain each score, lowest first.
	Meanings []string
}

// Instrument is a complete diagnostic: enough to present it, score it and
// advise on it.
type Instrument struct {
	ID   string
	Name string
	// Minutes is about how long answering takes.
	Minutes int
	// Roles in presentation order: the two leads first, then an optional
	// observer.
	Roles      []RoleSpec
	Scale      Scale
	Questions  []Question
	Categories []Category
	// Tiers, lowest first. Respondents are placed by total within each
	// tier's Min..Max, or, when Gates are set, by the first gate they do not
	// pass.
	Tiers []Tier
	Gates []Gate
	// GatesPassed is the tier of a respondent who passes every gate.
	GatesPassed int
	// NextMoves by tier number.
	NextMoves map[int]NextMove
	Flags     []FlagRule
	// MovesSteer puts the team's next-move questions first among the gaps
	// to own, after flagged ones: for instruments whose advice is a single
	// unlock condition.
	MovesSteer bool
	ManyGaps   *ManyGapsRule
	// TopGapCount is how many gaps the team names owners for.
	TopGapCount int
	// TeamTierNote explains the team tier next to it ("Use the honest
	// answer").
	TeamTierNote string
	// Cautions are the seed's warnings shown with every reveal.
	Cautions []string
	// Prerequisites are the seed's sequencing rules shown with the advice.
	Prerequisites  []string
	OneQuestion    string
	ZeroCategoryIs string
}

// ErrIncomplete is returned for answers that do not cover every question.
var ErrIncomplete = errors.New("answers are incomplete")

// Answers maps a question ID to the score given.
type Answers map[string]int

// Question returns the question with the given ID.
func (in *Instrument) Question(id string) (Question, bool) {
	if i := in.QuestionIndex(id); i >= 0 {
		return in.Questions[i], true
	}
	return Question{}, false
}

// QuestionIndex returns the position of the question with the given ID, or -1.
func (in *Instrument) QuestionIndex(id string) int {
	return slices.IndexFunc(in.Questions, func(q Question) bool { return q.ID == id })
}

// QuestionIDs returns every question's ID in order.
func (in *Instrument) QuestionIDs() []string {
	ids := make([]string, len(in.Questions))
	for i, q := range in.Questions {
		ids[i] = q.ID
	}
	return ids
}

// Role returns how the instrument names role, and whether it has the role.
func (in *Instrument) Role(role Role) (RoleSpec, bool) {
	for _, r := range in.Roles {
		if r.Role == role {
			return r, true
		}
	}
	return RoleSpec{}, false
}

// HasRole reports whether the instrument has role.
func (in *Instrument) HasRole(role Role) bool {
	_, ok := in.Role(role)
	return ok
}

// RoleLabel returns "Marketing lead" (or the instrument's word for the role).
func (in *Instrument) RoleLabel(role Role) string {
	if r, ok := in.Role(role); ok {
		return r.Label
	}
	return string(role)
}

// RoleShort returns "Marketing" (or the instrument's short word for the role).
func (in *Instrument) RoleShort(role Role) string {
	if r, ok := in.Role(role); ok {
		return r.Short
	}
	return string(role)
}

// MaxTotal is the highest total a respondent can reach.
func (in *Instrument) MaxTotal() int { return len(in.Questions) * in.Scale.Max }

// MaxCombined is the highest combined score of a question: both leads at the
// top of the scale.
func (in *Instrument) MaxCombined() int { return 2 * in.Scale.Max }

// StructuralGap is the lead gap that marks a structural gap: the leads at
// opposite ends of the scale.
func (in *Instrument) StructuralGap() int { return in.Scale.Max - in.Scale.Min }

// ScoreLabel names a score: "Fully in place".
func (in *Instrument) ScoreLabel(score int) string {
	i := score - in.Scale.Min
	if i < 0 || i >= len(in.Scale.Labels) {
		return fmt.Sprint(score)
	}
	return in.Scale.Labels[i]
}

// TierFor returns the tier of a respondent's complete answers.
func (in *Instrument) TierFor(a Answers) (Tier, error) {
	if len(in.Gates) > 0 {
		for _, g := range in.Gates {
			for _, id := range g.Questions {
				if a[id] != in.Scale.Max {
					return in.tier(g.Tier)
				}
			}
		}
		return in.tier(in.GatesPassed)
	}
	return in.TierForTotal(in.Total(a))
}

// TierForTotal returns the tier whose band contains total, for instruments
// that place by total.
func (in *Instrument) TierForTotal(total int) (Tier, error) {
	for _, t := range in.Tiers {
		if total >= t.Min && total <= t.Max {
			return t, nil
		}
	}
	return Tier{}, fmt.Errorf("tier for total %d: outside every band of %s", total, in.ID)
}

func (in *Instrument) tier(number int) (Tier, error) {
	if t, ok := in.Tier(number); ok {
		return t, nil
	}
	return Tier{}, fmt.Errorf("instrument %s has no tier %d", in.ID, number)
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

// Validate checks that the instrument is internally consistent: both leads
// and at most an observer as roles, tiers that place every respondent once,
// and categories, next moves, flags and gates that name questions and tiers
// that exist. Definitions are data, so they are checked like data.
func (in *Instrument) Validate() error {
	fail := func(format string, args ...any) error {
		return fmt.Errorf("instrument %s: %s", in.ID, fmt.Sprintf(format, args...))
	}
	if in.ID == "" || in.Name == "" {
		return fail("no id or name")
	}
	if len(in.Questions) == 0 {
		return fail("no questions")
	}
	if len(in.Roles) < 2 || in.Roles[0].Role != Marketing || in.Roles[1].Role != Sales {
		return fail("the roles must start with the marketing and the sales lead")
	}
	for _, r := range in.Roles[2:] {
		if r.Role != Observer || len(in.Roles) > 3 {
			return fail("only one observer may follow the leads")
		}
	}
	for _, r := range in.Roles {
		if r.Label == "" || r.Short == "" {
			return fail("role %s has no label", r.Role)
		}
	}
	width := in.Scale.Max - in.Scale.Min + 1
	if in.Scale.Max <= in.Scale.Min || len(in.Scale.Labels) != width {
		return fail("the scale needs a label for each score")
	}
	categories := map[string]bool{}
	for _, c := range in.Categories {
		categories[c.ID] = true
	}
	seen := map[string]bool{}
	for _, q := range in.Questions {
		if seen[q.ID] {
			return fail("question %s twice", q.ID)
		}
		seen[q.ID] = true
		if (q.Category != "" || len(in.Categories) > 0) && !categories[q.Category] {
			return fail("%s in unknown category %q", q.ID, q.Category)
		}
		if len(q.Criteria) != 0 && len(q.Criteria) != width {
			return fail("%s has %d criteria for a %d..%d scale", q.ID, len(q.Criteria), in.Scale.Min, in.Scale.Max)
		}
		for i, c := range q.Criteria {
			if c.Score != in.Scale.Min+i {
				return fail("%s: criteria must run from the lowest score up", q.ID)
			}
		}
		if q.Topic == "" || q.Prompt == "" || q.Suggestion == "" {
			return fail("%s needs a topic, a prompt and a suggested action", q.ID)
		}
	}
	if err := in.validateTiers(seen); err != nil {
		return fail("%v", err)
	}
	for _, t := range in.Tiers {
		move, ok := in.NextMoves[t.Number]
		if !ok {
			return fail("no next move for tier %d", t.Number)
		}
		for _, id := range move.Questions {
			if !seen[id] {
				return fail("next move for tier %d names unknown %s", t.Number, id)
			}
		}
	}
	for _, f := range in.Flags {
		if f.Code == "" || f.Title == "" || len(f.When) == 0 {
			return fail("flag %q needs a code, a title and a condition", f.Code)
		}
		for _, c := range f.When {
			if err := in.CheckScore(c.Question, c.Score); err != nil {
				return fail("flag %s: %v", f.Code, err)
			}
		}
		for _, id := range f.Steers {
			if !seen[id] {
				return fail("flag %s steers unknown %s", f.Code, id)
			}
		}
	}
	if m := in.ManyGaps; m != nil {
		if _, ok := in.Tier(m.CapAt); !ok {
			return fail("many-gaps cap names unknown tier %d", m.CapAt)
		}
		if _, ok := in.NextMoves[m.Move]; !ok {
			return fail("many-gaps move names unknown tier %d", m.Move)
		}
	}
	if in.TopGapCount <= 0 {
		return fail("no top gaps to name")
	}
	return nil
}

func (in *Instrument) validateTiers(questions map[string]bool) error {
	if len(in.Tiers) == 0 {
		return errors.New("no tiers")
	}
	for i, t := range in.Tiers {
		if t.Word == "" || t.Summary == "" {
			return fmt.Errorf("tier %d needs a word and a summary", t.Number)
		}
		if i > 0 && t.Number <= in.Tiers[i-1].Number {
			return errors.New("tiers must run from the lowest number up")
		}
	}
	if len(in.Gates) > 0 {
		for _, g := range in.Gates {
			if _, ok := in.Tier(g.Tier); !ok {
				return fmt.Errorf("gate names unknown tier %d", g.Tier)
			}
			for _, id := range g.Questions {
				if !questions[id] {
					return fmt.Errorf("gate names unknown %s", id)
				}
			}
		}
		if _, ok := in.Tier(in.GatesPassed); !ok {
			return fmt.Errorf("no tier %d for passing every gate", in.GatesPassed)
		}
		return nil
	}
	for total := 0; total <= in.MaxTotal(); total++ {
		n := 0
		for _, t := range in.Tiers {
			if total >= t.Min && total <= t.Max {
				n++
			}
		}
		if n != 1 {
			return fmt.Errorf("total %d falls in %d tiers", total, n)
		}
	}
	return nil
}
