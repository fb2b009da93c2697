package scoring

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// answers builds Answers from ten scores, Q1 first.
func answers(t *testing.T, scores ...int) Answers {
	t.Helper()
	if len(scores) != len(AlignmentMaturity.Questions) {
		t.Fatalf("answers: got %d scores, want %d", len(scores), len(AlignmentMaturity.Questions))
	}
	a := Answers{}
	for i, s := range scores {
		a[AlignmentMaturity.Questions[i].ID] = s
	}
	return a
}

// withTotal builds complete answers adding up to total: 2s first, then a 1.
func withTotal(t *testing.T, total int) Answers {
	t.Helper()
	scores := make([]int, 10)
	for i := range scores {
		s := min(2, total)
		scores[i] = s
		total -= s
	}
	if total != 0 {
		t.Fatalf("withTotal: %d left over", total)
	}
	return answers(t, scores...)
}

// evenly builds complete answers adding up to total with as few
// structural gaps against another evenly built set as possible: 1s first,
// then 2s from Q1 on.
func evenly(t *testing.T, total int) Answers {
	t.Helper()
	scores := make([]int, 10)
	for i := range scores {
		if i < total {
			scores[i] = 1
		}
	}
	for i := 0; i < total-10; i++ {
		scores[i] = 2
	}
	return answers(t, scores...)
}

func compare(t *testing.T, responses ...Response) Comparison {
	t.Helper()
	c, err := Compare(AlignmentMaturity, responses)
	if err != nil {
		t.Fatalf("Compare: %v", err)
	}
	return c
}

func ids(qs []QuestionResult) []string {
	var out []string
	for _, q := range qs {
		out = append(out, q.Question.ID)
	}
	return out
}

func TestAlignmentMaturityIsValid(t *testing.T) {
	if err := AlignmentMaturity.Validate(); err != nil {
		t.Fatal(err)
	}
	if got, want := len(AlignmentMaturity.Questions), 10; got != want {
		t.Errorf("questions: got %d, want %d", got, want)
	}
	if got, want := AlignmentMaturity.MaxTotal(), 20; got != want {
		t.Errorf("MaxTotal: got %d, want %d", got, want)
	}
}

func TestValidateCatchesBrokenInstruments(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(in *Instrument)
	}{
		{"gap in tier bands", func(in *Instrument) { in.Tiers[1].Min = 8 }},
		{"overlapping tier bands", func(in *Instrument) { in.Tiers[1].Min = 6 }},
		{"unknown category", func(in *Instrument) { in.Questions[0].Category = "vibes" }},
		{"missing criterion", func(in *Instrument) { in.Questions[3].Criteria = in.Questions[3].Criteria[:2] }},
		{"next move names unknown question", func(in *Instrument) {
			in.NextMoves = map[int]NextMove{1: {Questions: []string{"Q11"}}, 2: {}, 3: {}, 4: {}, 5: {}}
		}},
		{"flag score off the scale", func(in *Instrument) { in.Flags = []FlagRule{{Code: "x", When: []Condition{{"Q3", 3}}}} }},
		{"duplicate question", func(in *Instrument) { in.Questions[1].ID = "Q1" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := cloneInstrument(AlignmentMaturity)
			tt.mutate(in)
			if err := in.Validate(); err == nil {
				t.Error("Validate: got nil, want an error")
			}
		})
	}
}

func cloneInstrument(in *Instrument) *Instrument {
	c := *in
	c.Questions = append([]Question(nil), in.Questions...)
	c.Tiers = append([]Tier(nil), in.Tiers...)
	c.Flags = append([]FlagRule(nil), in.Flags...)
	return &c
}

func TestTierBoundaries(t *testing.T) {
	tests := []struct {
		total int
		tier  int
		name  string
	}{
		{0, 1, "Siloed"}, {6, 1, "Siloed"},
		{7, 2, "Reactive"}, {10, 2, "Reactive"},
		{11, 3, "Functional"}, {14, 3, "Functional"},
		{15, 4, "Integrated"}, {17, 4, "Integrated"},
		{18, 5, "Predictive"}, {20, 5, "Predictive"},
	}
	for _, tt := range tests {
		c := compare(t,
			Response{Role: Marketing, Answers: withTotal(t, tt.total)},
			Response{Role: Sales, Answers: withTotal(t, tt.total)},
		)
		mkt, _ := c.Respondent(Marketing)
		if mkt.Total != tt.total || mkt.Tier.Number != tt.tier || mkt.Tier.Name != tt.name {
			t.Errorf("total %d: got %d %v, want Tier %d %s", tt.total, mkt.Total, mkt.Tier, tt.tier, tt.name)
		}
		if mkt.Tier.Summary == "" {
			t.Errorf("tier %d has no description to show", tt.tier)
		}
	}
	for _, total := range []int{-1, 21} {
		if _, err := AlignmentMaturity.TierForTotal(total); err == nil {
			t.Errorf("TierForTotal(%d): got nil error, want one", total)
		}
	}
}

func TestTeamTierIsTheLowerLeadTierAndPicksTheNextMove(t *testing.T) {
	tests := []struct {
		mkt, sales, observer int
		teamTier             int
		move                 string
		questions            []string
	}{
		{20, 6, 20, 1, "Start with definitions, not tools", []string{"Q1", "Q5", "Q4"}},
		{7, 18, 0, 2, "Formalise the handoff and close the loop", []string{"Q2", "Q6", "Q3"}},
		{14, 11, 0, 3, "Fix attribution and start a win/loss program", []string{"Q7", "Q8", "Q10"}},
		{15, 17, 2, 4, "Layer in revenue intelligence", []string{"Q7", "Q9", "Q10"}},
		{18, 20, 20, 5, "Layer in revenue intelligence", []string{"Q7", "Q9", "Q10"}},
	}
	for _, tt := range tests {
		c := compare(t,
			Response{Role: Marketing, Answers: evenly(t, tt.mkt)},
			Response{Role: Sales, Answers: evenly(t, tt.sales)},
			// The observer never lowers (or raises) the team tier.
			Response{Role: Observer, Answers: evenly(t, tt.observer)},
		)
		if c.TeamTier.Number != tt.teamTier || c.LeadTier.Number != tt.teamTier || c.Capped {
			t.Errorf("%d/%d: team tier got %d (lead tier %d, capped %v), want %d", tt.mkt, tt.sales, c.TeamTier.Number, c.LeadTier.Number, c.Capped, tt.teamTier)
		}
		if c.NextMove.Title != tt.move {
			t.Errorf("%d/%d: next move got %q, want %q", tt.mkt, tt.sales, c.NextMove.Title, tt.move)
		}
		if diff := cmp.Diff(tt.questions, c.NextMove.Questions); diff != "" {
			t.Errorf("%d/%d: next move questions (-want +got):\n%s", tt.mkt, tt.sales, diff)
		}
	}
}

func TestTheTier2MoveKeepsTheSeedsFiveMinuteSLA(t *testing.T) {
	if advice := AlignmentMaturity.NextMoves[2].Advice; !strings.Contains(advice, "5-minute SLA") {
		t.Errorf("Tier 2 advice %q lost the seed's 5-minute SLA", advice)
	}
}

func TestLeverageLeavesOutWhatBothLeadsScoreTwo(t *testing.T) {
	// Tier 1 for sales; both leads score Q1 and Q4 at 2, Q5 at 0 and 1.
	mkt := answers(t, 2, 2, 2, 2, 0, 2, 2, 2, 2, 2)
	sales := answers(t, 2, 0, 0, 2, 1, 0, 1, 0, 0, 0)
	c := compare(t, Response{Role: Marketing, Answers: mkt}, Response{Role: Sales, Answers: sales})
	if c.TeamTier.Number != 1 {
		t.Fatalf("team tier %d, want 1", c.TeamTier.Number)
	}
	if got, want := c.Leverage, []string{"Q5"}; !cmp.Equal(got, want) {
		t.Errorf("leverage: got %v, want %v (Q1 and Q4 are 2 for both leads)", got, want)
	}
}

func TestManyGapsCapTheTeamTierAndChangeTheMove(t *testing.T) {
	tests := []struct {
		name       string
		mkt, sales []int
		wantTier   int
		capped     bool
		move       string
		many       bool
	}{
		{
			// Both leads at 15 (Tier 4) with four 2-point gaps.
			name:     "two Tier 4 leads with four gaps",
			mkt:      []int{2, 0, 2, 0, 2, 1, 2, 2, 2, 2},
			sales:    []int{0, 2, 0, 2, 2, 1, 2, 2, 2, 2},
			wantTier: 2, capped: true, many: true,
			move: "Start with definitions, not tools",
		},
		{
			name:     "three gaps is not many",
			mkt:      []int{2, 0, 2, 1, 2, 1, 2, 2, 2, 1},
			sales:    []int{0, 2, 0, 1, 2, 2, 2, 2, 2, 2},
			wantTier: 4, many: false,
			move: "Layer in revenue intelligence",
		},
		{
			name:     "already Tier 1: the move is Tier 1's, nothing to cap",
			mkt:      []int{2, 0, 2, 0, 2, 0, 0, 0, 0, 0},
			sales:    []int{0, 2, 0, 2, 0, 0, 0, 0, 0, 0},
			wantTier: 1, capped: false, many: true,
			move: "Start with definitions, not tools",
		},
		{
			name:     "Tier 2 stays Tier 2 but takes Tier 1's move",
			mkt:      []int{2, 0, 2, 0, 1, 1, 1, 1, 1, 0},
			sales:    []int{0, 2, 0, 2, 1, 1, 1, 1, 1, 0},
			wantTier: 2, capped: false, many: true,
			move: "Start with definitions, not tools",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := compare(t, Response{Role: Marketing, Answers: answers(t, tt.mkt...)}, Response{Role: Sales, Answers: answers(t, tt.sales...)})
			if c.TeamTier.Number != tt.wantTier || c.Capped != tt.capped || c.ManyGaps != tt.many {
				t.Errorf("team tier %d capped=%v many=%v; want %d capped=%v many=%v",
					c.TeamTier.Number, c.Capped, c.ManyGaps, tt.wantTier, tt.capped, tt.many)
			}
			if c.NextMove.Title != tt.move {
				t.Errorf("next move %q, want %q", c.NextMove.Title, tt.move)
			}
		})
	}
}

func TestSpreadCombinedAndTheObserver(t *testing.T) {
	mkt := answers(t, 2, 2, 1, 0, 2, 1, 0, 2, 1, 1)
	sales := answers(t, 0, 2, 1, 1, 2, 0, 0, 2, 1, 1)
	obs := answers(t, 1, 0, 1, 2, 2, 1, 0, 1, 1, 0)

	type row struct {
		Spread, Combined, LeadGap int
		Difference                Difference
	}
	summarise := func(c Comparison) map[string]row {
		out := map[string]row{}
		for _, q := range c.Questions {
			out[q.Question.ID] = row{q.Spread, q.Combined, q.LeadGap, q.Difference}
		}
		return out
	}

	t.Run("leads only", func(t *testing.T) {
		c := compare(t, Response{Role: Marketing, Answers: mkt}, Response{Role: Sales, Answers: sales})
		want := map[string]row{
			"Q1": {2, 2, 2, StructuralGap}, "Q2": {0, 4, 0, Agreement}, "Q3": {0, 2, 0, Agreement},
			"Q4": {1, 1, 1, MinorDifference}, "Q5": {0, 4, 0, Agreement}, "Q6": {1, 1, 1, MinorDifference},
			"Q7": {0, 0, 0, Agreement}, "Q8": {0, 4, 0, Agreement}, "Q9": {0, 2, 0, Agreement},
			"Q10": {0, 2, 0, Agreement},
		}
		if diff := cmp.Diff(want, summarise(c)); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
		if c.StructuralGaps != 1 || len(c.ObserverNotes) != 0 {
			t.Errorf("structural gaps: got %d, want 1; observer notes %v, want none", c.StructuralGaps, c.ObserverNotes)
		}
	})

	t.Run("the observer counts in spread, never in gaps or combined", func(t *testing.T) {
		c := compare(t, Response{Role: Marketing, Answers: mkt}, Response{Role: Sales, Answers: sales}, Response{Role: Observer, Answers: obs})
		want := map[string]row{
			"Q1": {2, 2, 2, StructuralGap}, "Q2": {2, 4, 0, Agreement}, "Q3": {0, 2, 0, Agreement},
			"Q4": {2, 1, 1, MinorDifference}, "Q5": {0, 4, 0, Agreement}, "Q6": {1, 1, 1, MinorDifference},
			"Q7": {0, 0, 0, Agreement}, "Q8": {1, 4, 0, Agreement}, "Q9": {0, 2, 0, Agreement},
			"Q10": {1, 2, 0, Agreement},
		}
		if diff := cmp.Diff(want, summarise(c)); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
		if c.StructuralGaps != 1 {
			t.Errorf("structural gaps: got %d, want 1 (the observer creates none)", c.StructuralGaps)
		}
		q2, _ := c.QuestionResult("Q2")
		if diff := cmp.Diff(map[Role]int{Marketing: 2, Sales: 2, Observer: 0}, q2.Scores); diff != "" {
			t.Errorf("Q2 scores side by side (-want +got):\n%s", diff)
		}
		if got, want := ids(c.InRevealOrder()), []string{"Q1", "Q4", "Q6", "Q2", "Q3", "Q5", "Q7", "Q8", "Q9", "Q10"}; !cmp.Equal(got, want) {
			t.Errorf("reveal order: got %v, want %v", got, want)
		}
		var notes []string
		for _, n := range c.ObserverNotes {
			notes = append(notes, fmt.Sprintf("%s:%d:%v", n.Question.ID, n.Observer, n.Apart))
		}
		if want := []string{"Q2:0:[marketing sales]", "Q4:2:[marketing]"}; !cmp.Equal(notes, want) {
			t.Errorf("observer notes: got %v, want %v", notes, want)
		}
	})

	t.Run("an observer alone cannot make many gaps", func(t *testing.T) {
		// The leads are one point apart everywhere; the observer is two
		// points from one of them on every question.
		c := compare(t,
			Response{Role: Marketing, Answers: answers(t, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1)},
			Response{Role: Sales, Answers: answers(t, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2)},
			Response{Role: Observer, Answers: answers(t, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)},
		)
		if c.StructuralGaps != 0 || c.ManyGaps || c.Capped {
			t.Errorf("gaps %d, many %v, capped %v; want none", c.StructuralGaps, c.ManyGaps, c.Capped)
		}
		if len(c.ObserverNotes) != 10 {
			t.Errorf("observer notes: got %d, want 10", len(c.ObserverNotes))
		}
	})
}

func TestManyGapsWarning(t *testing.T) {
	tests := []struct {
		name string
		gaps int
		want bool
	}{
		{"three gaps is not many", 3, false},
		{"four gaps is many", 4, true},
		{"ten gaps", 10, true},
		{"none", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mkt, sales := make([]int, 10), make([]int, 10)
			for i := range mkt {
				mkt[i], sales[i] = 2, 2
				if i < tt.gaps {
					sales[i] = 0
				}
			}
			c := compare(t, Response{Role: Marketing, Answers: answers(t, mkt...)}, Response{Role: Sales, Answers: answers(t, sales...)})
			if c.StructuralGaps != tt.gaps || c.ManyGaps != tt.want {
				t.Errorf("got %d gaps, many=%v; want %d, many=%v", c.StructuralGaps, c.ManyGaps, tt.gaps, tt.want)
			}
		})
	}
}

func TestPrerequisiteFlags(t *testing.T) {
	ones := func() []int { return []int{1, 1, 1, 1, 1, 1, 1, 1, 1, 1} }
	set := func(pairs ...int) Answers {
		s := ones()
		for i := 0; i < len(pairs); i += 2 {
			s[pairs[i]-1] = pairs[i+1]
		}
		return answers(t, s...)
	}
	tests := []struct {
		name            string
		mkt, sales, obs Answers
		want            []Flag
	}{
		{"none", set(), set(), nil, nil},
		{"crm_not_source_of_truth raised by sales", set(), set(3, 0), nil,
			[]Flag{{Code: "crm_not_source_of_truth", Roles: []Role{Sales}}}},
		{"crm near miss: Q3 = 1", set(3, 1), set(3, 1), nil, nil},
		{"no_shared_inputs raised by both leads", set(1, 0, 5, 0), set(1, 0, 5, 0), nil,
			[]Flag{{Code: "no_shared_inputs", Roles: []Role{Marketing, Sales}}}},
		{"no_shared_inputs needs both on one respondent", set(1, 0), set(5, 0), nil, nil},
		{"no_shared_inputs near miss: Q5 = 1", set(1, 0, 5, 1), set(), nil, nil},
		{"data_trust raised by the observer", set(), set(), set(7, 0, 10, 2),
			[]Flag{{Code: "data_trust", Roles: []Role{Observer}}}},
		{"data_trust near miss: Q10 = 1", set(7, 0, 10, 1), set(), nil, nil},
		{"data_trust near miss: Q7 = 1", set(7, 1, 10, 2), set(), nil, nil},
		{"paper_tier raised by marketing", set(3, 2, 7, 0), set(), nil,
			[]Flag{{Code: "paper_tier", Roles: []Role{Marketing}}}},
		{"paper_tier near miss: Q3 = 1", set(3, 1, 7, 0), set(), nil, nil},
		{"several flags at once, in instrument order", set(3, 0, 1, 0, 5, 0), set(3, 2, 7, 0, 10, 2), nil,
			[]Flag{
				{Code: "crm_not_source_of_truth", Roles: []Role{Marketing}},
				{Code: "no_shared_inputs", Roles: []Role{Marketing}},
				{Code: "data_trust", Roles: []Role{Sales}},
				{Code: "paper_tier", Roles: []Role{Sales}},
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			responses := []Response{{Role: Marketing, Answers: tt.mkt}, {Role: Sales, Answers: tt.sales}}
			if tt.obs != nil {
				responses = append(responses, Response{Role: Observer, Answers: tt.obs})
			}
			c := compare(t, responses...)
			if diff := cmp.Diff(tt.want, c.Flags, cmp.FilterPath(func(p cmp.Path) bool {
				last := p.Last().String()
				return last == ".Meaning" || last == ".Title" || last == ".Steers"
			}, cmp.Ignore())); diff != "" {
				t.Errorf("flags (-want +got):\n%s", diff)
			}
			for _, f := range c.Flags {
				if f.Meaning == "" || f.Title == "" || strings.Contains(f.Title, "_") {
					t.Errorf("flag %s needs a human title and a meaning; got %q", f.Code, f.Title)
				}
			}
		})
	}
}

func TestCategorySubtotalsAndZeros(t *testing.T) {
	// Marketing: definitions all zero. Sales: process all zero, definitions 1+0.
	mkt := answers(t, 0, 2, 1, 2, 0, 1, 2, 1, 0, 2)
	sales := answers(t, 1, 0, 0, 2, 0, 0, 2, 2, 2, 2)
	c := compare(t, Response{Role: Marketing, Answers: mkt}, Response{Role: Sales, Answers: sales})

	subtotals := func(role Role) map[string][2]int {
		r, _ := c.Respondent(role)
		out := map[string][2]int{}
		for _, cs := range r.Categories {
			out[cs.Category.ID] = [2]int{cs.Score, cs.Max}
		}
		return out
	}
	if diff := cmp.Diff(map[string][2]int{"definitions": {0, 4}, "process": {4, 6}, "feedback": {7, 10}}, subtotals(Marketing)); diff != "" {
		t.Errorf("marketing subtotals (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string][2]int{"definitions": {1, 4}, "process": {0, 6}, "feedback": {10, 10}}, subtotals(Sales)); diff != "" {
		t.Errorf("sales subtotals (-want +got):\n%s", diff)
	}
	var got []string
	for _, z := range c.ZeroCategories {
		for _, r := range z.Roles {
			got = append(got, z.Category.ID+":"+string(r))
		}
	}
	if want := []string{"definitions:marketing", "process:sales"}; !cmp.Equal(got, want) {
		t.Errorf("zero categories: got %v, want %v", got, want)
	}
}

func TestTopGaps(t *testing.T) {
	tests := []struct {
		name       string
		mkt, sales []int
		addressed  []string
		want       []string
		fixIt      []string
	}{
		{
			name:  "lowest combined first, flagged first",
			mkt:   []int{2, 2, 0, 2, 1, 2, 2, 2, 2, 2},
			sales: []int{2, 2, 1, 2, 1, 2, 0, 2, 2, 1},
			// Marketing's Q3 = 0 raises the CRM flag, so Q3 leads. Q5 and
			// Q7 tie on combined; Q7's leads are 2 apart, Q5's agree.
			want: []string{"Q3", "Q7", "Q5"},
		},
		{
			name:  "full tie falls back to question order",
			mkt:   []int{2, 1, 2, 1, 2, 1, 2, 2, 2, 2},
			sales: []int{2, 1, 2, 1, 2, 1, 2, 2, 2, 2},
			want:  []string{"Q2", "Q4", "Q6"},
		},
		{
			name:  "lead gap breaks ties before question order",
			mkt:   []int{1, 2, 2, 0, 2, 2, 2, 2, 2, 2},
			sales: []int{1, 2, 2, 2, 2, 2, 2, 2, 2, 0},
			// Q1 (1+1), Q4 (0+2), Q10 (2+0) all combine to 2; Q4 and Q10 are
			// structural gaps between the leads and go first, in question order.
			want: []string{"Q4", "Q10", "Q1"},
		},
		{
			name:      "an addressed question pulls the fourth candidate in",
			mkt:       []int{0, 1, 1, 1, 2, 2, 2, 2, 2, 2},
			sales:     []int{0, 1, 1, 2, 2, 2, 2, 2, 2, 2},
			addressed: []string{"Q1"},
			want:      []string{"Q2", "Q3", "Q4"},
		},
		{
			name:  "without the exclusion",
			mkt:   []int{0, 1, 1, 1, 2, 2, 2, 2, 2, 2},
			sales: []int{0, 1, 1, 2, 2, 2, 2, 2, 2, 2},
			want:  []string{"Q1", "Q2", "Q3"},
		},
		{
			name:      "everything addressed but two",
			mkt:       []int{0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
			sales:     []int{0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
			addressed: []string{"Q1", "Q2", "Q3", "Q4", "Q5", "Q6", "Q7", "Q8"},
			want:      []string{"Q9", "Q10"},
		},
		{
			name:  "all 2s but one: a top list of one",
			mkt:   []int{2, 2, 2, 2, 2, 2, 2, 2, 1, 2},
			sales: []int{2, 2, 2, 2, 2, 2, 2, 2, 2, 2},
			want:  []string{"Q9"},
		},
		{
			name:  "all 2s: no gaps at all",
			mkt:   []int{2, 2, 2, 2, 2, 2, 2, 2, 2, 2},
			sales: []int{2, 2, 2, 2, 2, 2, 2, 2, 2, 2},
			want:  nil,
		},
		{
			name:  "no_shared_inputs pulls Q1 and Q5 above lower combined scores",
			mkt:   []int{0, 0, 1, 1, 0, 1, 0, 1, 1, 1},
			sales: []int{1, 0, 1, 1, 1, 1, 0, 1, 1, 1},
			// Q2 and Q7 combine to 0, but marketing's Q1 = Q5 = 0 raise
			// no_shared_inputs: fix the foundation first.
			want: []string{"Q1", "Q5", "Q2"},
		},
		{
			name:  "data_trust pulls Q7 to the top",
			mkt:   []int{1, 1, 1, 1, 1, 1, 0, 1, 1, 2},
			sales: []int{0, 1, 1, 1, 1, 1, 1, 1, 1, 2},
			want:  []string{"Q7", "Q1", "Q2"},
		},
		{
			name:  "paper_tier pulls Q7 to the top",
			mkt:   []int{0, 1, 2, 1, 1, 1, 0, 1, 1, 1},
			sales: []int{0, 1, 2, 1, 1, 1, 1, 1, 1, 1},
			want:  []string{"Q7", "Q1", "Q2"},
		},
		{
			name:  "several flags: their questions first, then the rest",
			mkt:   []int{0, 2, 0, 2, 0, 2, 2, 2, 2, 2},
			sales: []int{1, 2, 1, 2, 1, 2, 2, 2, 2, 1},
			// Marketing raises crm (Q3) and no_shared_inputs (Q1, Q5); all
			// three combine to 1 and come first in question order, before
			// Q10 (combined 3).
			want: []string{"Q1", "Q3", "Q5"},
		},
		{
			name:  "many gaps: the widest disagreement before the lowest combined",
			mkt:   []int{1, 2, 1, 2, 1, 2, 1, 2, 1, 1},
			sales: []int{1, 0, 1, 0, 1, 0, 1, 0, 0, 0},
			// Four structural gaps (combined 2) outrank Q9 and Q10 (combined
			// 1, one apart) under the many-gaps order; the fourth goes to the
			// fix-it list.
			want:  []string{"Q2", "Q4", "Q6"},
			fixIt: []string{"Q8"},
		},
		{
			name:  "the same answers with three gaps keep the normal order",
			mkt:   []int{1, 2, 1, 2, 1, 2, 1, 1, 1, 1},
			sales: []int{1, 0, 1, 0, 1, 0, 1, 1, 0, 0},
			want:  []string{"Q9", "Q10", "Q2"},
			fixIt: []string{"Q4", "Q6"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := compare(t, Response{Role: Marketing, Answers: answers(t, tt.mkt...)}, Response{Role: Sales, Answers: answers(t, tt.sales...)})
			addressed := map[string]bool{}
			for _, id := range tt.addressed {
				addressed[id] = true
			}
			p := c.Priorities(addressed)
			if got := ids(p.Top); !cmp.Equal(got, tt.want) {
				t.Errorf("top: got %v, want %v", got, tt.want)
			}
			if got := ids(p.FixIt); !cmp.Equal(got, tt.fixIt) {
				t.Errorf("fix-it list: got %v, want %v", got, tt.fixIt)
			}
			for _, q := range p.Top {
				if q.FullyInPlace(AlignmentMaturity) || addressed[q.Question.ID] {
					t.Errorf("%s is fully in place or addressed, and still a top gap", q.Question.ID)
				}
			}
		})
	}
}

func TestPrioritiesSayWhyTheListIsShort(t *testing.T) {
	mkt := answers(t, 2, 2, 2, 2, 2, 2, 2, 1, 0, 2)
	sales := answers(t, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2)
	c := compare(t, Response{Role: Marketing, Answers: mkt}, Response{Role: Sales, Answers: sales})
	p := c.Priorities(map[string]bool{"Q8": true})
	if got, want := ids(p.Top), []string{"Q9"}; !cmp.Equal(got, want) {
		t.Errorf("top: got %v, want %v", got, want)
	}
	if got, want := p.FullyInPlace, []string{"Q1", "Q2", "Q3", "Q4", "Q5", "Q6", "Q7", "Q10"}; !cmp.Equal(got, want) {
		t.Errorf("fully in place: got %v, want %v", got, want)
	}
	if got, want := p.Addressed, []string{"Q8"}; !cmp.Equal(got, want) {
		t.Errorf("addressed: got %v, want %v", got, want)
	}
}

func TestObserverFlagsSteerNothing(t *testing.T) {
	ones := answers(t, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2)
	obs := answers(t, 1, 1, 0, 1, 1, 1, 1, 1, 1, 1) // Q3 = 0: the CRM flag
	c := compare(t, Response{Role: Marketing, Answers: ones}, Response{Role: Sales, Answers: ones}, Response{Role: Observer, Answers: obs})
	if len(c.Flags) != 1 || c.Flags[0].Code != "crm_not_source_of_truth" || c.Flags[0].RaisedByLead() {
		t.Fatalf("flags: got %+v, want the observer's CRM flag", c.Flags)
	}
	p := c.Priorities(nil)
	if got, want := ids(p.Top), []string{"Q1", "Q2", "Q3"}; !cmp.Equal(got, want) || len(p.Steered) != 0 {
		t.Errorf("top: got %v steered %v, want %v in question order, nothing steered", got, p.Steered, want)
	}
}

func TestTopGapsIgnoreTheObserver(t *testing.T) {
	// The observer scores Q9 at 0 and would make it the lowest if it counted.
	mkt := answers(t, 1, 2, 2, 2, 2, 2, 2, 2, 2, 1)
	sales := answers(t, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2)
	obs := answers(t, 2, 2, 2, 2, 2, 2, 2, 2, 0, 2)
	c := compare(t, Response{Role: Marketing, Answers: mkt}, Response{Role: Sales, Answers: sales}, Response{Role: Observer, Answers: obs})
	if got, want := ids(c.Priorities(nil).Top), []string{"Q1", "Q10"}; !cmp.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestCompareRefuses(t *testing.T) {
	full := answers(t, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1)
	partial := Answers{"Q1": 2, "Q2": 1}
	tests := []struct {
		name      string
		responses []Response
		wantIs    error
	}{
		{"incomplete answers", []Response{{Role: Marketing, Answers: full}, {Role: Sales, Answers: partial}}, ErrIncomplete},
		{"incomplete observer", []Response{{Role: Marketing, Answers: full}, {Role: Sales, Answers: full}, {Role: Observer, Answers: partial}}, ErrIncomplete},
		{"score off the scale", []Response{{Role: Marketing, Answers: full}, {Role: Sales, Answers: withScore(full, "Q4", 3)}}, nil},
		{"negative score", []Response{{Role: Marketing, Answers: withScore(full, "Q4", -1)}, {Role: Sales, Answers: full}}, nil},
		{"unknown question", []Response{{Role: Marketing, Answers: withScore(full, "Q11", 1)}, {Role: Sales, Answers: full}}, nil},
		{"missing sales lead", []Response{{Role: Marketing, Answers: full}, {Role: Observer, Answers: full}}, nil},
		{"missing marketing lead", []Response{{Role: Sales, Answers: full}}, nil},
		{"two marketing responses", []Response{{Role: Marketing, Answers: full}, {Role: Marketing, Answers: full}, {Role: Sales, Answers: full}}, nil},
		{"unknown role", []Response{{Role: Marketing, Answers: full}, {Role: Sales, Answers: full}, {Role: "cfo", Answers: full}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Compare(AlignmentMaturity, tt.responses)
			if err == nil {
				t.Fatal("got nil error, want one")
			}
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("got %v, want errors.Is %v", err, tt.wantIs)
			}
		})
	}
}

func withScore(a Answers, id string, score int) Answers {
	out := Answers{}
	for k, v := range a {
		out[k] = v
	}
	out[id] = score
	return out
}

func TestUnanswered(t *testing.T) {
	got := AlignmentMaturity.Unanswered(Answers{"Q1": 0, "Q3": 2, "Q10": 1})
	want := []string{"Q2", "Q4", "Q5", "Q6", "Q7", "Q8", "Q9"}
	if !cmp.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}
