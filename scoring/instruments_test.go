package scoring

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// scores builds Answers for in from scores in question order.
func scores(t *testing.T, in *Instrument, s ...int) Answers {
	t.Helper()
	if len(s) != len(in.Questions) {
		t.Fatalf("%s: got %d scores, want %d", in.ID, len(s), len(in.Questions))
	}
	a := Answers{}
	for i, v := range s {
		a[in.Questions[i].ID] = v
	}
	return a
}

func TestEveryInstrumentIsValid(t *testing.T) {
	ids := map[string]bool{}
	for _, in := range Instruments {
		t.Run(in.ID, func(t *testing.T) {
			if err := in.Validate(); err != nil {
				t.Fatal(err)
			}
			if ids[in.ID] {
				t.Errorf("instrument id %s twice", in.ID)
			}
			ids[in.ID] = true
			if got, ok := Lookup(in.ID); !ok || got != in {
				t.Errorf("Lookup(%q) does not find it", in.ID)
			}
			for _, q := range in.Questions {
				// A suggestion is a first step, not a plan: it fits the
				// 500-character action limit with room to edit.
				if n := len([]rune(q.Suggestion)); n > 300 {
					t.Errorf("%s's suggestion is %d characters", q.ID, n)
				}
			}
		})
	}
	if Default() != AlignmentMaturity {
		t.Errorf("the default instrument is %s, want seed 000's diagnostic", Default().ID)
	}
	if _, ok := Lookup("vibes"); ok {
		t.Error("Lookup found an instrument that does not exist")
	}
}

func TestCriteriaReadInTheButtonsOrder(t *testing.T) {
	for _, q := range AlignmentMaturity.Questions {
		var got []int
		for _, c := range q.Criteria {
			got = append(got, c.Score)
		}
		if want := []int{0, 1, 2}; !cmp.Equal(got, want) {
			t.Errorf("%s criteria run %v, want %v like the buttons", q.ID, got, want)
		}
	}
}

func TestValidateCatchesBrokenGates(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(in *Instrument)
	}{
		{"gate names an unknown tier", func(in *Instrument) { in.Gates = []Gate{{Questions: []string{"Q1"}, Tier: 9}} }},
		{"gate names an unknown question", func(in *Instrument) { in.Gates = []Gate{{Questions: []string{"Q99"}, Tier: 1}} }},
		{"passing every gate leads nowhere", func(in *Instrument) { in.GatesPassed = 7 }},
		{"no observer before the leads", func(in *Instrument) { in.Roles = []RoleSpec{{Role: Observer, Label: "x", Short: "x"}} }},
		{"a question without a suggestion", func(in *Instrument) {
			in.Questions = append([]Question(nil), in.Questions...)
			in.Questions[2].Suggestion = ""
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := *StageGate
			tt.mutate(&in)
			if err := in.Validate(); err == nil {
				t.Error("Validate: got nil, want an error")
			}
		})
	}
}

// TestStageGateReadingRules follows the seed's "Reading your score": no to
// 1 or 2 → Stage 1; yes to 1–2, no to 3–5 → Stage 2; yes to 1–5, no to 6–7 →
// Stage 3; yes to 1–7 → Stage 4. "Partly" is not a yes: use the honest
// answer, not the aspirational one.
func TestStageGateReadingRules(t *testing.T) {
	const yes, partly, no = 2, 1, 0
	tests := []struct {
		name    string
		answers []int
		stage   int
		stName  string
	}{
		{"no to 1", []int{no, yes, yes, yes, yes, yes, yes, yes}, 1, "Separated"},
		{"no to 2", []int{yes, no, yes, yes, yes, yes, yes, yes}, 1, "Separated"},
		{"partly to 1 is not yes", []int{partly, yes, yes, yes, yes, yes, yes, yes}, 1, "Separated"},
		{"yes to 1-2, no to 3-5", []int{yes, yes, no, no, no, yes, yes, yes}, 2, "Coordinated"},
		{"yes to 1-2, one no among 3-5", []int{yes, yes, yes, no, yes, yes, yes, no}, 2, "Coordinated"},
		{"yes to 1-5, no to 6-7", []int{yes, yes, yes, yes, yes, no, no, no}, 3, "Integrated"},
		{"yes to 1-5, partly to 7", []int{yes, yes, yes, yes, yes, yes, partly, yes}, 3, "Integrated"},
		{"yes to 1-7", []int{yes, yes, yes, yes, yes, yes, yes, no}, 4, "Optimized"},
		{"yes to everything", []int{yes, yes, yes, yes, yes, yes, yes, yes}, 4, "Optimized"},
		{"all no", []int{no, no, no, no, no, no, no, no}, 1, "Separated"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tier, err := StageGate.TierFor(scores(t, StageGate, tt.answers...))
			if err != nil {
				t.Fatal(err)
			}
			if tier.Number != tt.stage || tier.Name != tt.stName || tier.Word != "Stage" {
				t.Errorf("got %v, want Stage %d %s", tier, tt.stage, tt.stName)
			}
		})
	}
}

func TestStageGateComparison(t *testing.T) {
	const yes, partly, no = 2, 1, 0
	// The CMO believes Stage 3; the CRO's honest answers say Stage 1.
	cmo := scores(t, StageGate, yes, yes, yes, yes, yes, no, partly, no)
	cro := scores(t, StageGate, yes, no, partly, yes, yes, no, no, no)
	c, err := Compare(StageGate, []Response{{Role: Marketing, Answers: cmo}, {Role: Sales, Answers: cro}})
	if err != nil {
		t.Fatal(err)
	}
	m, _ := c.Respondent(Marketing)
	s, _ := c.Respondent(Sales)
	if m.Tier.Number != 3 || s.Tier.Number != 1 || c.TeamTier.Number != 1 {
		t.Errorf("stages: CMO %v, CRO %v, team %v; want 3, 1, 1", m.Tier, s.Tier, c.TeamTier)
	}
	if c.NextMove.Title != "Start with a joint ICP session" {
		t.Errorf("next move %q", c.NextMove.Title)
	}
	var disagree []string
	for _, q := range c.InRevealOrder() {
		if q.Difference != Agreement {
			disagree = append(disagree, q.Question.ID)
		}
	}
	if want := []string{"Q2", "Q3", "Q7"}; !cmp.Equal(disagree, want) {
		t.Errorf("disagreements: got %v, want %v", disagree, want)
	}
	if got := c.Flags; len(got) != 1 || got[0].Code != "icp_not_reviewed" || got[0].Roles[0] != Sales {
		t.Errorf("flags: got %+v, want the CRO's icp_not_reviewed", got)
	}
	// The ICP gate comes first: Q2 is flagged and is the unlock (Q1 is
	// fully in place); then the lowest combined scores, Q6 and Q8.
	if got, want := ids(c.Priorities(nil).Top), []string{"Q2", "Q6", "Q8"}; !cmp.Equal(got, want) {
		t.Errorf("top gaps: got %v, want %v", got, want)
	}
	if len(StageGate.Cautions) == 0 || !strings.Contains(StageGate.Cautions[0], "73%") {
		t.Error("the stage gate lost the seed's 73% caution")
	}
	if _, err := Compare(StageGate, []Response{{Role: Marketing, Answers: cmo}, {Role: Sales, Answers: cro}, {Role: Observer, Answers: cro}}); err == nil {
		t.Error("the stage gate took an observer it does not have")
	}
}

// TestRevenueAlignmentBands follows seed 004: 16–20 mostly aligned (Step
// 6), 10–15 start with Step 3, 5–9 Step 2, 0–4 Step 1.
func TestRevenueAlignmentBands(t *testing.T) {
	tests := []struct{ total, step int }{
		{0, 1}, {4, 1}, {5, 2}, {9, 2}, {10, 3}, {15, 3}, {16, 6}, {20, 6},
	}
	for _, tt := range tests {
		tier, err := RevenueAlignment.TierForTotal(tt.total)
		if err != nil {
			t.Fatal(err)
		}
		if tier.Number != tt.step || tier.Word != "Step" {
			t.Errorf("total %d: got %v, want Step %d", tt.total, tier, tt.step)
		}
		if _, ok := RevenueAlignment.NextMoves[tier.Number]; !ok {
			t.Errorf("no advice for %v", tier)
		}
	}
	c, err := Compare(RevenueAlignment, []Response{
		{Role: Marketing, Answers: scores(t, RevenueAlignment, 2, 2, 2, 2, 2, 2, 2, 2, 1, 1)},
		{Role: Sales, Answers: scores(t, RevenueAlignment, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1)},
	})
	if err != nil {
		t.Fatal(err)
	}
	if c.TeamTier.Number != 2 || !strings.Contains(c.NextMove.Title, "MQL and SQL") {
		t.Errorf("team step %v, move %q; want Step 2, the written SLA", c.TeamTier, c.NextMove.Title)
	}
	if got, want := ids(c.Priorities(nil).Top), []string{"Q3", "Q4", "Q9"}; !cmp.Equal(got, want) {
		t.Errorf("top gaps: got %v, want %v", got, want)
	}
	if len(RevenueAlignment.Prerequisites) != 1 || !strings.Contains(RevenueAlignment.Prerequisites[0], "ICP") {
		t.Error("the revenue diagnostic lost the seed's prerequisites line")
	}
}
