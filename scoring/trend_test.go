package scoring

import "testing"

func TestGapVerdict(t *testing.T) {
	q := func(mkt, sales int) QuestionResult {
		c := compare(t,
			Response{Role: Marketing, Answers: withScore(answers(t, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1), "Q7", mkt)},
			Response{Role: Sales, Answers: withScore(answers(t, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1), "Q7", sales)},
		)
		r, _ := c.QuestionResult("Q7")
		return r
	}
	tests := []struct {
		name        string
		before, now [2]int // marketing, sales
		want        Verdict
	}{
		{"a structural gap both now see as in place", [2]int{2, 0}, [2]int{2, 2}, Closed},
		{"a structural gap down to one point, combined up to 3", [2]int{2, 0}, [2]int{2, 1}, Closed},
		{"both at 0, now one fully and one partly", [2]int{0, 0}, [2]int{1, 2}, Closed},
		{"both at 0, now both partly: better, not closed", [2]int{0, 0}, [2]int{1, 1}, Improved},
		{"the gap narrowed at the same combined score", [2]int{2, 0}, [2]int{1, 1}, Improved},
		{"combined up but still two apart", [2]int{0, 0}, [2]int{2, 0}, Improved},
		{"nothing moved", [2]int{2, 0}, [2]int{2, 0}, Unchanged},
		{"the leads swapped sides", [2]int{2, 0}, [2]int{0, 2}, Unchanged},
		{"combined fell", [2]int{1, 1}, [2]int{1, 0}, Worse},
		{"the gap widened at the same combined score", [2]int{1, 1}, [2]int{2, 0}, Worse},
		{"already in place, still in place", [2]int{2, 2}, [2]int{2, 2}, Unchanged},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := AlignmentMaturity.GapVerdict(q(tt.before[0], tt.before[1]), q(tt.now[0], tt.now[1]))
			if got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
	for v := Closed; v <= Worse; v++ {
		if v.String() == "unknown" {
			t.Errorf("verdict %d has no words", v)
		}
	}
}
