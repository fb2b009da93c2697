// Package report assembles a revealed round for everyone who reads it: the
// reveal in Slack, /alignment status and history, the App Home and the
// export all start from the same Reveal, so they cannot disagree. It reads
// storage and applies scoring; it knows nothing of Slack.
//
// Blind holds for every reader, operators included: Load refuses a round
// that has not been revealed.
package report

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/alignbot/alignbot/scoring"
	"github.com/alignbot/alignbot/storage"
)

// ErrNotRevealedYet refuses to show answers before the reveal, to anyone.
var ErrNotRevealedYet = errors.New("the round has not been revealed yet: answers stay hidden until everyone is in")

// Reveal is everything known about a revealed round: the comparison computed
// by scoring, who took part, the gaps to own with their owners, and the trend
// against the team's previous round of the same instrument.
type Reveal struct {
	Instrument  *scoring.Instrument
	Round       storage.Round
	Respondents []storage.Respondent
	// Missing are respondents who did not submit: late or declined.
	Missing    []storage.Respondent
	Comparison scoring.Comparison
	Priorities scoring.Priorities
	// TopGaps are the gaps to own, with their owners once named.
	TopGaps []Gap
	// FixIt are the other structural gaps; they may get owners too.
	FixIt []Gap
	// Addressed lists the questions kept out of the gaps because they are
	// already being addressed.
	Addressed []AddressedGap
	// Actions in question order.
	Actions []storage.Action
	// Predictions are the submitted leads' guesses of each other's
	// answers, by role; scored in Comparison.Perception.
	Predictions map[scoring.Role]scoring.Answers
	// Trend is nil for a team's first round of the instrument, and for
	// readers that do not show it (LoadBrief).
	Trend *Trend
}

// Gap is a question the team should own.
type Gap struct {
	Rank   int // 1-based within its list
	Result scoring.QuestionResult
	Action *storage.Action
	// Steered is set when a prerequisite flag put the gap first.
	Steered bool
	// FixIt is set for a gap of the fix-it list: owned like a top gap, but
	// it does not hold the round open.
	FixIt bool
}

// AddressedGap is a question already being addressed, and why: someone
// marked it during this round (MarkedBy), or an earlier round (FromRound)
// still had an open action on it when this round was revealed.
type AddressedGap struct {
	Question  scoring.Question
	MarkedBy  string
	FromRound int64
}

// Instrument returns the instrument a round was run with.
func Instrument(round storage.Round) (*scoring.Instrument, error) {
	in, ok := scoring.Lookup(round.Instrument)
	if !ok {
		return nil, fmt.Errorf("round %d uses instrument %q, which this alignbot does not know", round.ID, round.Instrument)
	}
	return in, nil
}

// Load assembles a revealed round with its trend against the team's
// previous round of the same instrument.
func Load(ctx context.Context, store *storage.Storage, roundID int64) (Reveal, error) {
	rv, err := LoadBrief(ctx, store, roundID)
	if err != nil || rv.Round.PreviousRoundID == nil {
		return rv, err
	}
	prev, err := LoadBrief(ctx, store, *rv.Round.PreviousRoundID)
	if err != nil {
		return Reveal{}, fmt.Errorf("previous round of %d: %w", roundID, err)
	}
	trend := Compare(prev, rv)
	rv.Trend = &trend
	return rv, nil
}

// LoadBrief is Load without the trend, for readers that do not show it: the
// trend costs a second round's answers and comparison.
func LoadBrief(ctx context.Context, store *storage.Storage, roundID int64) (Reveal, error) {
	round, err := store.Round(ctx, roundID)
	if err != nil {
		return Reveal{}, err
	}
	if !round.IsRevealed() {
		return Reveal{}, ErrNotRevealedYet
	}
	in, err := Instrument(round)
	if err != nil {
		return Reveal{}, err
	}
	var f Facts
	if f.Respondents, err = store.Respondents(ctx, roundID); err != nil {
		return Reveal{}, err
	}
	if f.Submitted, err = store.SubmittedAnswers(ctx, roundID); err != nil {
		return Reveal{}, err
	}
	if f.Actions, err = store.Actions(ctx, roundID); err != nil {
		return Reveal{}, err
	}
	if f.Addressed, err = store.Addressed(ctx, roundID); err != nil {
		return Reveal{}, err
	}
	return Assemble(in, round, f)
}

// Facts are what a reveal is assembled from, as storage keeps them.
type Facts struct {
	Respondents []storage.Respondent
	Submitted   storage.Submitted
	Actions     []storage.Action
	Addressed   []storage.AddressedMark
}

// Assemble builds a round's reveal from its facts: the comparison, the gaps
// to own and who owns them. It reads nothing, so a reveal can be rendered
// from facts made up in a test.
func Assemble(in *scoring.Instrument, round storage.Round, f Facts) (Reveal, error) {
	rv := Reveal{Instrument: in, Round: round, Respondents: f.Respondents, Predictions: f.Submitted.Predictions}
	var responses []scoring.Response
	for _, p := range rv.Respondents {
		if !p.Submitted() {
			rv.Missing = append(rv.Missing, p)
			continue
		}
		responses = append(responses, scoring.Response{Role: p.Role, Answers: f.Submitted.Answers[p.Role], Predictions: f.Submitted.Predictions[p.Role]})
	}
	var err error
	if rv.Comparison, err = scoring.Compare(in, responses); err != nil {
		return Reveal{}, fmt.Errorf("reveal round %d: %w", round.ID, err)
	}
	rv.Actions = inQuestionOrder(in, f.Actions, func(a storage.Action) string { return a.QuestionID })
	skip := map[string]bool{}
	for _, m := range inQuestionOrder(in, f.Addressed, func(m storage.AddressedMark) string { return m.QuestionID }) {
		q, ok := in.Question(m.QuestionID)
		if !ok {
			continue
		}
		gap := AddressedGap{Question: q, MarkedBy: m.MarkedBy}
		if m.FromRound != nil {
			gap.FromRound = *m.FromRound
		}
		rv.Addressed = append(rv.Addressed, gap)
		skip[m.QuestionID] = true
	}
	rv.Priorities = rv.Comparison.Priorities(skip)
	rv.TopGaps = rv.gaps(rv.Priorities.Top, false)
	rv.FixIt = rv.gaps(rv.Priorities.FixIt, true)
	return rv, nil
}

func (rv Reveal) gaps(results []scoring.QuestionResult, fixIt bool) []Gap {
	var out []Gap
	for i, q := range results {
		gap := Gap{Rank: i + 1, Result: q, FixIt: fixIt, Steered: slices.Contains(rv.Priorities.Steered, q.Question.ID)}
		for _, a := range rv.Actions {
			if a.QuestionID == q.Question.ID {
				gap.Action = &a
			}
		}
		out = append(out, gap)
	}
	return out
}

func inQuestionOrder[T any](in *scoring.Instrument, items []T, question func(T) string) []T {
	out := slices.Clone(items)
	slices.SortStableFunc(out, func(a, b T) int {
		return cmp.Compare(in.QuestionIndex(question(a)), in.QuestionIndex(question(b)))
	})
	return out
}

// Respondent returns the user holding role.
func (rv Reveal) Respondent(role scoring.Role) (storage.Respondent, bool) {
	for _, p := range rv.Respondents {
		if p.Role == role {
			return p, true
		}
	}
	return storage.Respondent{}, false
}

// Gap returns the gap to own for a question: a top gap or one of the fix-it
// list.
func (rv Reveal) Gap(question string) (Gap, bool) {
	for _, g := range append(slices.Clone(rv.TopGaps), rv.FixIt...) {
		if g.Result.Question.ID == question {
			return g, true
		}
	}
	return Gap{}, false
}

// Action returns the action on a question, if one was assigned.
func (rv Reveal) Action(question string) (storage.Action, bool) {
	for _, a := range rv.Actions {
		if a.QuestionID == question {
			return a, true
		}
	}
	return storage.Action{}, false
}

// TopGapIDs lists the top gaps' questions.
func (rv Reveal) TopGapIDs() []string {
	var ids []string
	for _, g := range rv.TopGaps {
		ids = append(ids, g.Result.Question.ID)
	}
	return ids
}

// AllTopGapsDone reports whether every top gap has an owner whose action is
// done: then the round closes. Fix-it gaps do not hold it open.
func (rv Reveal) AllTopGapsDone() bool {
	if len(rv.TopGaps) == 0 {
		return false
	}
	for _, g := range rv.TopGaps {
		if g.Action == nil || g.Action.Status != storage.ActionDone {
			return false
		}
	}
	return true
}

// Declined reports whether the respondent declined the round.
func (rv Reveal) Declined(role scoring.Role) bool {
	p, ok := rv.Respondent(role)
	return ok && p.Declined()
}
