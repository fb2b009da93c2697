package scoring

// Verdict says what became of a gap between two rounds of the same team and
// instrument. The re-run exists to answer it: did the gaps the team owned
// close?
type Verdict int

// The verdicts, best first.
const (
	// Closed: the leads no longer disagree structurally, and the practice
	// now stands at least at the top score minus one combined (one lead
	// sees it fully in place, the other at least partly) after rising.
	Closed Verdict = iota
	// Improved: the combined score rose or the lead gap narrowed, without
	// closing the gap.
	Improved
	// Unchanged: the same combined score and the same lead gap.
	Unchanged
	// Worse: the combined score fell, or the lead gap widened while the
	// combined score did not rise.
	Worse
)

// String is how the verdict reads in the reveal.
func (v Verdict) String() string {
	switch v {
	case Closed:
		return "closed"
	case Improved:
		return "improved, still open"
	case Unchanged:
		return "no change, still open"
	case Worse:
		return "worse, still open"
	}
	return "unknown"
}

// GapVerdict judges one question between two rounds: before is the question
// in the earlier round, now in the later. The scores decide, not the
// action's status: an action marked done on a gap both leads still see
// apart has not closed it.
func (in *Instrument) GapVerdict(before, now QuestionResult) Verdict {
	rose := now.Combined > before.Combined
	switch {
	case rose && now.LeadGap < in.StructuralGap() && now.Combined >= in.MaxCombined()-1:
		return Closed
	case now.Combined < before.Combined:
		return Worse
	case rose || now.LeadGap < before.LeadGap:
		return Improved
	case now.LeadGap > before.LeadGap:
		return Worse
	}
	return Unchanged
}
