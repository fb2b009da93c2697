package scoring

import (
	"errors"
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
			Response{Marketing, withTotal(t, tt.total)},
			Response{Sales, withTotal(t, tt.total)},
		)
		mkt, _ := c.Respondent(Marketing)
		if mkt.Total != tt.total || mkt.Tier.Number != tt.tier || mkt.Tier.Name != tt.name {
			t.Errorf("total %d: got %d %v, want Tier %d %s", tt.total, mkt.Total, mkt.Tier, tt.tier, tt.name)
		}
	}
	for _, total := range []int{-1, 21} {
		if _, err := AlignmentMaturity.TierFor(total); err == nil {
			t.Errorf("TierFor(%d): got nil error, want one", total)
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
			Response{Marketing, withTotal(t, tt.mkt)},
			Response{Sales, withTotal(t, tt.sales)},
			// The observer never lowers (or raises) the team tier.
			Response{Observer, withTotal(t, tt.observer)},
		)
		if c.TeamTier.Number != tt.teamTier {
			t.Errorf("%d/%d: team tier got %d, want %d", tt.mkt, tt.sales, c.TeamTier.Number, tt.teamTier)
		}
		if c.NextMove.Title != tt.move {
			t.Errorf("%d/%d: next move got %q, want %q", tt.mkt, tt.sales, c.NextMove.Title, tt.move)
		}
		if diff := cmp.Diff(tt.questions, c.NextMove.Questions); diff != "" {
			t.Errorf("%d/%d: next move questions (-want +got):\n%s", tt.mkt, tt.sales, diff)
		}
	}
}

func TestSpreadCombinedAndTheObserver(t *testing.T) {
	mkt := answers(t, 2, 2, 1, 0, 2, 1, 0, 2, 1, 1)
	sales := answers(t, 0, 2, 1, 1, 2, 0, 0, 2, 1, 1)
	obs := answers(t, 1, 0, 1, 2, 2, 1, 0, 1, 1, 0)

	type row struct {
		Spread, Combined, LeadSpread int
		Difference                   Difference
	}
	summarise := func(c Comparison) map[string]row {
		out := map[string]row{}
		for _, q := range c.Questions {
			out[q.Question.ID] = row{q.Spread, q.Combined, q.LeadSpread, q.Difference}
		}
		return out
	}

	t.Run("leads only", func(t *testing.T) {
		c := compare(t, Response{Marketing, mkt}, Response{Sales, sales})
		want := map[string]row{
			"Q1": {2, 2, 2, StructuralGap}, "Q2": {0, 4, 0, Agreement}, "Q3": {0, 2, 0, Agreement},
			"Q4": {1, 1, 1, MinorDifference}, "Q5": {0, 4, 0, Agreement}, "Q6": {1, 1, 1, MinorDifference},
			"Q7": {0, 0, 0, Agreement}, "Q8": {0, 4, 0, Agreement}, "Q9": {0, 2, 0, Agreement},
			"Q10": {0, 2, 0, Agreement},
		}
		if diff := cmp.Diff(want, summarise(c)); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
		if c.StructuralGaps != 1 {
			t.Errorf("structural gaps: got %d, want 1", c.StructuralGaps)
		}
	})

	t.Run("observer counts in spread, not in combined", func(t *testing.T) {
		c := compare(t, Response{Marketing, mkt}, Response{Sales, sales}, Response{Observer, obs})
		want := map[string]row{
			"Q1": {2, 2, 2, StructuralGap}, "Q2": {2, 4, 0, StructuralGap}, "Q3": {0, 2, 0, Agreement},
			"Q4": {2, 1, 1, StructuralGap}, "Q5": {0, 4, 0, Agreement}, "Q6": {1, 1, 1, MinorDifference},
			"Q7": {0, 0, 0, Agreement}, "Q8": {1, 4, 0, MinorDifference}, "Q9": {0, 2, 0, Agreement},
			"Q10": {1, 2, 0, MinorDifference},
		}
		if diff := cmp.Diff(want, summarise(c)); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
		q2, _ := c.QuestionResult("Q2")
		if diff := cmp.Diff(map[Role]int{Marketing: 2, Sales: 2, Observer: 0}, q2.Scores); diff != "" {
			t.Errorf("Q2 scores side by side (-want +got):\n%s", diff)
		}
		if got, want := ids(c.InRevealOrder()), []string{"Q1", "Q2", "Q4", "Q6", "Q8", "Q10", "Q3", "Q5", "Q7", "Q9"}; !cmp.Equal(got, want) {
			t.Errorf("reveal order: got %v, want %v", got, want)
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
			c := compare(t, Response{Marketing, answers(t, mkt...)}, Response{Sales, answers(t, sales...)})
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
			responses := []Response{{Marketing, tt.mkt}, {Sales, tt.sales}}
			if tt.obs != nil {
				responses = append(responses, Response{Observer, tt.obs})
			}
			c := compare(t, responses...)
			if diff := cmp.Diff(tt.want, c.Flags, cmp.FilterPath(func(p cmp.Path) bool {
				return p.Last().String() == ".Meaning"
			}, cmp.Ignore())); diff != "" {
				t.Errorf("flags (-want +got):\n%s", diff)
			}
			for _, f := range c.Flags {
				if f.Meaning == "" {
					t.Errorf("flag %s has no meaning to show", f.Code)
				}
			}
		})
	}
}

func TestCategorySubtotalsAndZeros(t *testing.T) {
	// Marketing: definitions all zero. Sales: process all zero, definitions 1+0.
	mkt := answers(t, 0, 2, 1, 2, 0, 1, 2, 1, 0, 2)
	sales := answers(t, 1, 0, 0, 2, 0, 0, 2, 2, 2, 2)
	c := compare(t, Response{Marketing, mkt}, Response{Sales, sales})

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
	}{
		{
			name:  "lowest combined first",
			mkt:   []int{2, 2, 0, 2, 1, 2, 2, 2, 2, 2},
			sales: []int{2, 2, 1, 2, 1, 2, 0, 2, 2, 1},
			// Combined: Q3=1, Q5=2, Q7=2, Q10=3. Q5 and Q7 tie on combined;
			// Q7's leads are 2 apart, Q5's agree, so Q7 comes first.
			want: []string{"Q3", "Q7", "Q5"},
		},
		{
			name:  "full tie falls back to question order",
			mkt:   []int{2, 1, 2, 1, 2, 1, 2, 2, 2, 2},
			sales: []int{2, 1, 2, 1, 2, 1, 2, 2, 2, 2},
			want:  []string{"Q2", "Q4", "Q6"},
		},
		{
			name:  "lead spread breaks ties before question order",
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
			name:      "without the exclusion",
			mkt:       []int{0, 1, 1, 1, 2, 2, 2, 2, 2, 2},
			sales:     []int{0, 1, 1, 2, 2, 2, 2, 2, 2, 2},
			addressed: nil,
			want:      []string{"Q1", "Q2", "Q3"},
		},
		{
			name:      "everything addressed but two",
			mkt:       []int{0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
			sales:     []int{0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
			addressed: []string{"Q1", "Q2", "Q3", "Q4", "Q5", "Q6", "Q7", "Q8"},
			want:      []string{"Q9", "Q10"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := compare(t, Response{Marketing, answers(t, tt.mkt...)}, Response{Sales, answers(t, tt.sales...)})
			addressed := map[string]bool{}
			for _, id := range tt.addressed {
				addressed[id] = true
			}
			if got := ids(c.TopGaps(addressed)); !cmp.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestTopGapsIgnoreTheObserver(t *testing.T) {
	// The observer scores Q9 at 0 and would make it the lowest if it counted.
	mkt := answers(t, 1, 2, 2, 2, 2, 2, 2, 2, 2, 1)
	sales := answers(t, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2)
	obs := answers(t, 2, 2, 2, 2, 2, 2, 2, 2, 0, 2)
	c := compare(t, Response{Marketing, mkt}, Response{Sales, sales}, Response{Observer, obs})
	if got, want := ids(c.TopGaps(nil)), []string{"Q1", "Q10", "Q2"}; !cmp.Equal(got, want) {
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
		{"incomplete answers", []Response{{Marketing, full}, {Sales, partial}}, ErrIncomplete},
		{"incomplete observer", []Response{{Marketing, full}, {Sales, full}, {Observer, partial}}, ErrIncomplete},
		{"score off the scale", []Response{{Marketing, full}, {Sales, withScore(full, "Q4", 3)}}, nil},
		{"negative score", []Response{{Marketing, withScore(full, "Q4", -1)}, {Sales, full}}, nil},
		{"unknown question", []Response{{Marketing, withScore(full, "Q11", 1)}, {Sales, full}}, nil},
		{"missing sales lead", []Response{{Marketing, full}, {Observer, full}}, nil},
		{"missing marketing lead", []Response{{Sales, full}}, nil},
		{"two marketing responses", []Response{{Marketing, full}, {Marketing, full}, {Sales, full}}, nil},
		{"unknown role", []Response{{Marketing, full}, {Sales, full}, {"cfo", full}}, nil},
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
