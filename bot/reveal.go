package bot

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/alignbot/alignbot/scoring"
	"github.com/alignbot/alignbot/storage"
)

// Reveal is everything known about a revealed round: the comparison computed
// by scoring, who took part, the top gaps with their owners, and the trend
// against the team's previous round. The channel message and the export are
// both rendered from it, so they cannot disagree.
type Reveal struct {
	Instrument  *scoring.Instrument
	Round       storage.Round
	Respondents []storage.Respondent
	// Missing are respondents who did not submit by the deadline.
	Missing    []storage.Respondent
	Comparison scoring.Comparison
	TopGaps    []TopGap
	// Addressed lists the questions kept out of the top gaps because they
	// are already being addressed.
	Addressed []AddressedGap
	Actions   []storage.Action
	Trend     *Trend
}

// TopGap is one of the questions the team should own next.
type TopGap struct {
	Rank   int
	Result scoring.QuestionResult
	Action *storage.Action
}

// AddressedGap is a question already being addressed, and why: someone
// marked it during this round (MarkedBy), or an earlier round (FromRound)
// still had an open action on it when this round was revealed.
type AddressedGap struct {
	Question  string
	MarkedBy  string
	FromRound int64
}

// Respondent returns the user holding role.
func (r Reveal) Respondent(role scoring.Role) (storage.Respondent, bool) {
	for _, p := range r.Respondents {
		if p.Role == role {
			return p, true
		}
	}
	return storage.Respondent{}, false
}

// ErrNotRevealedYet refuses to show answers before the reveal, to anyone.
var ErrNotRevealedYet = errors.New("the round has not been revealed yet: answers stay hidden until everyone is in")

// LoadReveal assembles a revealed round, with its trend against the team's
// previous round. It refuses a round that is not revealed: blind holds for
// every reader, operators included.
func LoadReveal(ctx context.Context, store *storage.Storage, in *scoring.Instrument, roundID int64) (Reveal, error) {
	rv, err := loadReveal(ctx, store, in, roundID)
	if err != nil || rv.Round.PreviousRoundID == nil {
		return rv, err
	}
	prev, err := loadReveal(ctx, store, in, *rv.Round.PreviousRoundID)
	if err != nil {
		return Reveal{}, fmt.Errorf("previous round of %d: %w", roundID, err)
	}
	trend := compareRounds(prev, rv)
	rv.Trend = &trend
	return rv, nil
}

// loadReveal is LoadReveal without the trend, for callers that do not show
// it: the trend costs a second round's answers and comparison.
func loadReveal(ctx context.Context, store *storage.Storage, in *scoring.Instrument, roundID int64) (Reveal, error) {
	round, err := store.Round(ctx, roundID)
	if err != nil {
		return Reveal{}, err
	}
	if !round.IsRevealed() {
		return Reveal{}, ErrNotRevealedYet
	}
	rv := Reveal{Instrument: in, Round: round}
	if rv.Respondents, err = store.Respondents(ctx, roundID); err != nil {
		return Reveal{}, err
	}
	answers, err := store.SubmittedAnswers(ctx, roundID)
	if err != nil {
		return Reveal{}, err
	}
	var responses []scoring.Response
	for _, p := range rv.Respondents {
		if !p.Submitted() {
			rv.Missing = append(rv.Missing, p)
			continue
		}
		responses = append(responses, scoring.Response{Role: p.Role, Answers: answers[p.Role]})
	}
	if rv.Comparison, err = scoring.Compare(in, responses); err != nil {
		return Reveal{}, fmt.Errorf("reveal round %d: %w", roundID, err)
	}
	if rv.Actions, err = store.Actions(ctx, roundID); err != nil {
		return Reveal{}, err
	}
	marks, err := store.Addressed(ctx, roundID)
	if err != nil {
		return Reveal{}, err
	}
	for _, m := range marks {
		gap := AddressedGap{Question: m.QuestionID, MarkedBy: m.MarkedBy}
		if m.FromRound != nil {
			gap.FromRound = *m.FromRound
		}
		rv.Addressed = append(rv.Addressed, gap)
	}
	rv.TopGaps = topGaps(rv.Comparison, rv.Addressed, rv.Actions)
	return rv, nil
}

func topGaps(c scoring.Comparison, addressed []AddressedGap, actions []storage.Action) []TopGap {
	skip := map[string]bool{}
	for _, a := range addressed {
		skip[a.Question] = true
	}
	var out []TopGap
	for i, q := range c.TopGaps(skip) {
		gap := TopGap{Rank: i + 1, Result: q}
		for _, a := range actions {
			if a.QuestionID == q.Question.ID {
				gap.Action = &a
			}
		}
		out = append(out, gap)
	}
	return out
}

// TopGap returns the top gap for a question, if it is one.
func (r Reveal) TopGap(question string) (TopGap, bool) {
	for _, g := range r.TopGaps {
		if g.Result.Question.ID == question {
			return g, true
		}
	}
	return TopGap{}, false
}

// Trend compares a round with the team's previous one.
type Trend struct {
	Previous storage.Round
	// Tiers by role: before and now, for roles present in both.
	Tiers []TierChange
	// Questions whose combined score moved, biggest rise first.
	Moves []QuestionMove
	// OwnedGaps are the previous round's owned gaps and whether they closed.
	OwnedGaps                   []OwnedGap
	TeamTierBefore, TeamTierNow scoring.Tier
}

// TierChange is one role's tier in two rounds.
type TierChange struct {
	Role        scoring.Role
	Before, Now scoring.Tier
	TotalBefore int
	TotalNow    int
}

// QuestionMove is a question's combined score in two rounds.
type QuestionMove struct {
	Question     scoring.Question
	Before, Now  int
	SpreadBefore int
	SpreadNow    int
}

// OwnedGap is a previous round's action and what became of its question.
type OwnedGap struct {
	Action storage.Action
	// Closed: the question's combined score rose and it is no longer a
	// structural gap, whatever the action's status says.
	Closed      bool
	Before, Now int
}

func compareRounds(prev, cur Reveal) Trend {
	t := Trend{Previous: prev.Round, TeamTierBefore: prev.Comparison.TeamTier, TeamTierNow: cur.Comparison.TeamTier}
	for _, r := range cur.Comparison.Respondents {
		if before, ok := prev.Comparison.Respondent(r.Role); ok {
			t.Tiers = append(t.Tiers, TierChange{Role: r.Role, Before: before.Tier, Now: r.Tier, TotalBefore: before.Total, TotalNow: r.Total})
		}
	}
	for _, q := range cur.Comparison.Questions {
		before, _ := prev.Comparison.QuestionResult(q.Question.ID)
		if before.Combined != q.Combined || before.Spread != q.Spread {
			t.Moves = append(t.Moves, QuestionMove{Question: q.Question, Before: before.Combined, Now: q.Combined,
				SpreadBefore: before.Spread, SpreadNow: q.Spread})
		}
	}
	sort.SliceStable(t.Moves, func(i, j int) bool {
		return t.Moves[i].Now-t.Moves[i].Before > t.Moves[j].Now-t.Moves[j].Before
	})
	for _, a := range prev.Actions {
		before, _ := prev.Comparison.QuestionResult(a.QuestionID)
		now, _ := cur.Comparison.QuestionResult(a.QuestionID)
		t.OwnedGaps = append(t.OwnedGaps, OwnedGap{
			Action: a,
			Closed: now.Difference != scoring.StructuralGap && now.Combined > before.Combined,
			Before: before.Combined, Now: now.Combined,
		})
	}
	return t
}
