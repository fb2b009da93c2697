package scoring

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestPerception(t *testing.T) {
	mkt := answers(t, 2, 2, 1, 0, 2, 1, 0, 2, 1, 1)
	sales := answers(t, 0, 2, 1, 1, 2, 0, 0, 2, 1, 1)

	summary := func(p *Perception) []string {
		if p == nil {
			return nil
		}
		var out []string
		for _, l := range p.Leads {
			line := fmt.Sprintf("%s %d/%d", l.Role, l.Right, l.Predicted)
			for _, m := range l.Misses {
				line += fmt.Sprintf(" %s:%d≠%d", m.Question.ID, m.Predicted, m.Actual)
			}
			out = append(out, line)
		}
		for _, b := range p.BlindSpots {
			out = append(out, fmt.Sprintf("blind %s gap %d missed by %v", b.Question.ID, b.LeadGap, b.Missed))
		}
		return out
	}

	tests := []struct {
		name          string
		mktPredicts   Answers
		salesPredicts Answers
		want          []string
	}{
		{"nobody predicted", nil, nil, nil},
		{
			// Marketing expects sales to agree everywhere: right on the
			// seven questions where they do, wrong on Q1, Q4 and Q6.
			name:        "marketing predicts its own answers; sales skips",
			mktPredicts: mkt,
			want: []string{
				"marketing 7/10 Q1:2≠0 Q4:0≠1 Q6:1≠0",
				"sales 0/0",
				"blind Q1 gap 2 missed by [marketing]",
				"blind Q4 gap 1 missed by [marketing]",
				"blind Q6 gap 1 missed by [marketing]",
			},
		},
		{
			name:          "sales reads marketing perfectly; marketing predicts three",
			mktPredicts:   Answers{"Q1": 0, "Q4": 2, "Q7": 0},
			salesPredicts: mkt,
			want: []string{
				"marketing 2/3 Q4:2≠1",
				"sales 10/10",
				"blind Q4 gap 1 missed by [marketing]",
			},
		},
		{
			// A wrong prediction on a question the leads agree on is a
			// miss, not a blind spot: there is no disagreement to miss.
			name:          "both miss Q7 where they agree, both miss Q1 where they don't",
			mktPredicts:   Answers{"Q1": 1, "Q7": 2},
			salesPredicts: Answers{"Q1": 0, "Q7": 1},
			want: []string{
				"marketing 0/2 Q1:1≠0 Q7:2≠0",
				"sales 0/2 Q1:0≠2 Q7:1≠0",
				"blind Q1 gap 2 missed by [marketing sales]",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := compare(t,
				Response{Role: Marketing, Answers: mkt, Predictions: tt.mktPredicts},
				Response{Role: Sales, Answers: sales, Predictions: tt.salesPredicts},
			)
			if diff := cmp.Diff(tt.want, summary(c.Perception)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestPredictionsAreChecked(t *testing.T) {
	full := answers(t, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1)
	tests := []struct {
		name      string
		responses []Response
	}{
		{"off the scale", []Response{{Role: Marketing, Answers: full, Predictions: Answers{"Q1": 3}}, {Role: Sales, Answers: full}}},
		{"unknown question", []Response{{Role: Marketing, Answers: full}, {Role: Sales, Answers: full, Predictions: Answers{"Q11": 1}}}},
		{"the observer does not predict", []Response{{Role: Marketing, Answers: full}, {Role: Sales, Answers: full}, {Role: Observer, Answers: full, Predictions: Answers{"Q1": 1}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Compare(AlignmentMaturity, tt.responses); err == nil {
				t.Error("got nil error, want one")
			}
		})
	}
}
