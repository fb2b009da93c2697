package scoring

// Perception is how well each lead read the other side: before the reveal
// each lead may say, question by question, what they expect the other lead
// answered. Seed 000 says the gap between perspectives is the real finding;
// a prediction that misses shows a gap nobody saw coming.
type Perception struct {
	// Leads in role order, one entry per lead, whether or not they
	// predicted.
	Leads []LeadPerception
	// BlindSpots are questions where the leads' scores differ and a lead's
	// prediction of the other missed too: a disagreement that was not seen
	// coming.
	BlindSpots []BlindSpot
}

// LeadPerception is one lead's predictions of the other lead's answers.
type LeadPerception struct {
	Role Role
	// Predicted counts the questions the lead made a prediction for; 0
	// when they skipped predicting.
	Predicted int
	// Right counts the predictions that matched the other lead's answer.
	Right int
	// Misses are the predictions that did not, in question order.
	Misses []Miss
}

// Miss is a prediction that did not match: Role expected the other lead to
// answer Predicted, and they answered Actual.
type Miss struct {
	Question  Question
	Predicted int
	Actual    int
}

// BlindSpot is a question the leads disagree on that a lead did not see
// coming.
type BlindSpot struct {
	Question Question
	LeadGap  int
	// Missed are the leads whose prediction of the other was wrong.
	Missed []Role
}

// Lead returns the perception of one lead.
func (p *Perception) Lead(role Role) (LeadPerception, bool) {
	for _, l := range p.Leads {
		if l.Role == role {
			return l, true
		}
	}
	return LeadPerception{}, false
}

// perceive compares each lead's predictions with the other lead's answers.
// It returns nil when neither lead predicted anything.
func perceive(c Comparison, marketing, sales Answers) *Perception {
	if len(marketing) == 0 && len(sales) == 0 {
		return nil
	}
	predictions := map[Role]Answers{Marketing: marketing, Sales: sales}
	p := &Perception{}
	missed := map[string][]Role{}
	for _, lead := range Leads {
		lp := LeadPerception{Role: lead}
		for _, q := range c.Questions {
			predicted, ok := predictions[lead][q.Question.ID]
			if !ok {
				continue
			}
			lp.Predicted++
			actual := q.Scores[lead.Other()]
			if predicted == actual {
				lp.Right++
				continue
			}
			lp.Misses = append(lp.Misses, Miss{Question: q.Question, Predicted: predicted, Actual: actual})
			missed[q.Question.ID] = append(missed[q.Question.ID], lead)
		}
		p.Leads = append(p.Leads, lp)
	}
	for _, q := range c.Questions {
		if roles := missed[q.Question.ID]; q.LeadGap > 0 && len(roles) > 0 {
			p.BlindSpots = append(p.BlindSpots, BlindSpot{Question: q.Question, LeadGap: q.LeadGap, Missed: roles})
		}
	}
	return p
}
