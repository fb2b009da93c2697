package render

import (
	"fmt"
	"math"
	"strings"

	"github.com/slack-go/slack"

	"github.com/alignbot/alignbot/internal/chart"
	"github.com/alignbot/alignbot/internal/report"
	"github.com/alignbot/alignbot/scoring"
	"github.com/alignbot/alignbot/storage"
)

// maxActionText is the longest action or reason shown, in characters; what
// is stored is limited to this already.
const maxActionText = 500

// RenderReveal is the reveal's channel message: the headline (each lead's
// total and tier side by side, the team tier, the structural gaps), the one
// list to work on (the top gaps, with their owners and buttons), and the
// one question. The question-by-question detail, the chart and the advice
// go in its thread (RenderRevealThread).
func RenderReveal(rv report.Reveal, w Workspace) Message {
	c := rv.Comparison
	blocks := []slack.Block{
		header(fmt.Sprintf("Alignment reveal · round %d", rv.Round.ID)),
		section("intro", revealIntro(rv)),
	}
	if t := rv.Trend; t != nil && (len(t.OwnedGaps) > 0 || t.Previous.OneAnswer != "") {
		blocks = append(blocks, section("owned_gaps", ownedGapsText(rv)))
	}
	blocks = append(blocks, section("headline", headlineText(rv)), section("gaps", gapsText(rv)))
	blocks = append(blocks, divider())
	blocks = append(blocks, topGapBlocks(rv)...)
	blocks = append(blocks, fixItBlocks(rv)...)
	blocks = append(blocks, divider())
	blocks = append(blocks, oneQuestionBlocks(rv)...)
	blocks = append(blocks, contextBlock("thread", "The chart, the question-by-question detail, flags and advice are in the thread."))
	var tiers []string
	for _, r := range c.Respondents {
		tiers = append(tiers, fmt.Sprintf("%s %s", rv.Instrument.RoleLabel(r.Role), r.Tier))
	}
	text := fmt.Sprintf("Alignment reveal, round %d: %s; team %s; %s. Top gaps: %s.",
		rv.Round.ID, strings.Join(tiers, ", "), c.TeamTier, plural(c.StructuralGaps, "structural gap"), orNone(rv.TopGapIDs()))
	return Message{Text: text, Blocks: capBlocks(blocks, MaxBlocks, "More in the thread.")}
}

func orNone(ids []string) string {
	if len(ids) == 0 {
		return "none"
	}
	return strings.Join(ids, ", ")
}

func revealIntro(rv report.Reveal) string {
	in := rv.Instrument
	var people []string
	for _, r := range rv.Comparison.Respondents {
		p, _ := rv.Respondent(r.Role)
		people = append(people, fmt.Sprintf("%s (%s)", Mention(p.UserID), in.RoleLabel(r.Role)))
	}
	lead := "All answers are in."
	if len(rv.Missing) > 0 {
		lead = "Both leads' answers are in."
	}
	text := fmt.Sprintf("%s %s scored the *%s* on their own; here they are side by side. "+
		"Scores are never averaged: the gaps between perspectives are the point.", lead, JoinAnd(people), in.Name)
	for _, m := range rv.Missing {
		why := "did not respond by the deadline"
		if m.Declined() {
			why = "declined"
		}
		text += fmt.Sprintf("\n%s (%s) %s and is left out.", Mention(m.UserID), in.RoleLabel(m.Role), why)
	}
	return text
}

func ownedGapsText(rv report.Reveal) string {
	t := rv.Trend
	var lines []string
	if len(t.OwnedGaps) > 0 {
		lines = append(lines, fmt.Sprintf("*Did round %d's owned gaps close?*", t.Previous.ID))
	}
	for _, g := range t.OwnedGaps {
		lines = append(lines, "• "+VerdictLine(rv.Instrument, g))
	}
	if t.Previous.OneAnswer != "" {
		lines = append(lines, fmt.Sprintf("Last time the team said the one gap to fix was: _%s_", Inert(t.Previous.OneAnswer, maxActionText)))
	}
	return strings.Join(lines, "\n")
}

// VerdictLine says what became of one owned gap: "Q7 · Attribution
// agreement: <@U1>'s action done; lead gap 2 → 0, combined 0 → 3 — closed".
func VerdictLine(in *scoring.Instrument, g report.OwnedGap) string {
	q := g.Now.Question
	if q.ID == "" {
		q, _ = in.Question(g.Action.QuestionID)
	}
	change := fmt.Sprintf("lead gap %d → %d, combined %d → %d", g.Before.LeadGap, g.Now.LeadGap, g.Before.Combined, g.Now.Combined)
	if g.Before.LeadGap == g.Now.LeadGap && g.Before.Combined == g.Now.Combined {
		change = fmt.Sprintf("no change (lead gap %d, combined %d of %d)", g.Now.LeadGap, g.Now.Combined, in.MaxCombined())
	}
	return fmt.Sprintf("*%s · %s*: %s's action %s; %s — *%s*",
		q.ID, q.Topic, Mention(g.Action.OwnerID), StatusLabel(g.Action.Status), change, g.Verdict)
}

func headlineText(rv report.Reveal) string {
	in, c := rv.Instrument, rv.Comparison
	var lines []string
	for _, r := range c.Respondents {
		p, _ := rv.Respondent(r.Role)
		score := r.Tier.String()
		if len(in.Gates) == 0 {
			score = fmt.Sprintf("*%d of %d* · %s", r.Total, in.MaxTotal(), r.Tier)
		}
		lines = append(lines, fmt.Sprintf("%s %s: %s", in.RoleLabel(r.Role), Mention(p.UserID), score))
	}
	for _, m := range rv.Missing {
		state := "did not respond"
		if m.Declined() {
			state = "declined"
		}
		lines = append(lines, fmt.Sprintf("%s %s: %s", in.RoleLabel(m.Role), Mention(m.UserID), state))
	}
	team := fmt.Sprintf("Team: *%s*, %s", c.TeamTier, in.TeamTierNote)
	if c.Capped {
		team = fmt.Sprintf("Team: *%s*, capped: more than %d structural gaps (the leads' own answers say %s). %s",
			c.TeamTier, in.ManyGaps.Above, c.LeadTier, in.ManyGaps.Warns)
	} else if c.ManyGaps {
		team += " " + in.ManyGaps.Warns
	}
	lines = append(lines, team)
	for _, caution := range in.Cautions {
		lines = append(lines, "_"+caution+"_")
	}
	return strings.Join(lines, "\n")
}

func gapsText(rv report.Reveal) string {
	c := rv.Comparison
	var gaps, minor []string
	for _, q := range c.Questions {
		switch q.Difference {
		case scoring.StructuralGap:
			gaps = append(gaps, q.Question.ID)
		case scoring.MinorDifference:
			minor = append(minor, q.Question.ID)
		}
	}
	if len(gaps) == 0 {
		text := "*No structural gaps*: the leads are never at opposite ends of the scale."
		if len(minor) > 0 {
			text += fmt.Sprintf(" One point apart on %s.", JoinAnd(minor))
		}
		return text
	}
	return fmt.Sprintf("*%s*: %s. The leads are at opposite ends of the scale: a structural gap dressed up as a perception problem. Discuss these first.",
		plural(len(gaps), "structural gap"), JoinAnd(gaps))
}

// StatusLabel says an action's status in words.
func StatusLabel(s storage.ActionStatus) string {
	switch s {
	case storage.ActionOpen:
		return "open"
	case storage.ActionInProgress:
		return "in progress"
	case storage.ActionBlocked:
		return "blocked"
	case storage.ActionDone:
		return "done"
	}
	return string(s)
}

func gapLine(in *scoring.Instrument, q scoring.QuestionResult) string {
	return fmt.Sprintf("%s *%d* · %s *%d* · combined %d of %d",
		in.RoleShort(scoring.Marketing), q.Scores[scoring.Marketing], in.RoleShort(scoring.Sales), q.Scores[scoring.Sales],
		q.Combined, in.MaxCombined())
}

func ownerLine(a *storage.Action) string {
	if a == nil {
		return "No owner yet."
	}
	text := fmt.Sprintf("Owner %s: _%s_ · due %s · %s", Mention(a.OwnerID), Inert(a.Description, maxActionText), Day(a.DueAt), StatusLabel(a.Status))
	if a.Status == storage.ActionBlocked && a.BlockedReason != "" {
		text += fmt.Sprintf(" (%s)", Inert(a.BlockedReason, maxActionText))
	}
	return text
}

func topGapBlocks(rv report.Reveal) []slack.Block {
	in := rv.Instrument
	count := in.TopGapCount
	order := "Lowest combined score of the two leads first, then the widest disagreement."
	if rv.Priorities.DisagreementFirst {
		order = "With this many structural gaps: the widest disagreement first, then the lowest combined score."
	}
	if len(rv.Priorities.Steered) > 0 {
		order = "Prerequisites first: " + strings.Join(rv.Priorities.Steered, ", ") + ". Then " + strings.ToLower(order[:1]) + order[1:]
	}
	blocks := []slack.Block{section("top_gaps", fmt.Sprintf("*Work on these: the top %d gaps.* Each needs a named owner and a 30-day action. %s", count, order))}
	open := rv.Round.State == storage.Revealed
	for _, g := range rv.TopGaps {
		q := g.Result
		text := fmt.Sprintf("*%d. %s · %s* · %s\n%s", g.Rank, q.Question.ID, q.Question.Topic, gapLine(in, q), ownerLine(g.Action))
		blocks = append(blocks, section("gap:"+q.Question.ID, text))
		if !open {
			continue // a closed round keeps the record, not the buttons
		}
		label := "Assign owner"
		if g.Action != nil {
			label = "Change owner"
		}
		elems := []slack.BlockElement{button(ActionAssign, GapValue(rv.Round.ID, q.Question.ID), label)}
		if g.Action == nil {
			elems = append(elems, button(ActionAddressed, GapValue(rv.Round.ID, q.Question.ID), "Already being addressed"))
		}
		blocks = append(blocks, actions("gap_actions:"+q.Question.ID, elems...))
	}
	if why := shortListReason(rv); why != "" {
		blocks = append(blocks, contextBlock("short", why))
	}
	if len(rv.Addressed) > 0 {
		var notes []string
		var undo []slack.BlockElement
		for _, a := range rv.Addressed {
			if a.MarkedBy != "" {
				notes = append(notes, fmt.Sprintf("%s (marked by %s)", a.Question.ID, Mention(a.MarkedBy)))
				if open && len(undo) < 5 {
					undo = append(undo, button(ActionUndo, GapValue(rv.Round.ID, a.Question.ID), "Undo "+a.Question.ID))
				}
			} else {
				notes = append(notes, fmt.Sprintf("%s (open action from round %d)", a.Question.ID, a.FromRound))
			}
		}
		blocks = append(blocks, contextBlock("addressed", "Already being addressed, so set aside: "+strings.Join(notes, ", ")))
		if len(undo) > 0 {
			blocks = append(blocks, actions("addressed_actions", undo...))
		}
	}
	return blocks
}

// shortListReason says why there are fewer top gaps than the instrument
// names, or "".
func shortListReason(rv report.Reveal) string {
	p := rv.Priorities
	want := rv.Instrument.TopGapCount
	if len(rv.TopGaps) >= want {
		return ""
	}
	var why []string
	if n := len(p.FullyInPlace); n > 0 {
		why = append(why, fmt.Sprintf("%s fully in place for both leads", questionsAre(n)))
	}
	if n := len(p.Addressed); n > 0 {
		why = append(why, fmt.Sprintf("%s already being addressed", questionsAre(n)))
	}
	lead := fmt.Sprintf("Only %s to own:", plural(len(rv.TopGaps), "gap"))
	if len(rv.TopGaps) == 0 {
		lead = "No gaps to own:"
	}
	return fmt.Sprintf("%s %s.", lead, JoinAnd(why))
}

// questionsAre says "1 question is" or "3 questions are".
func questionsAre(n int) string {
	if n == 1 {
		return "1 question is"
	}
	return fmt.Sprintf("%d questions are", n)
}

func fixItBlocks(rv report.Reveal) []slack.Block {
	if len(rv.FixIt) == 0 {
		return nil
	}
	in := rv.Instrument
	lines := []string{"*Fix-it list*: the other structural gaps. They can get an owner and a 30-day action too, without holding the round open."}
	var buttons []slack.BlockElement
	for _, g := range rv.FixIt {
		q := g.Result
		line := fmt.Sprintf("• *%s · %s* · %s", q.Question.ID, q.Question.Topic, gapLine(in, q))
		if g.Action != nil {
			line += "\n  " + ownerLine(g.Action)
		}
		lines = append(lines, line)
		if rv.Round.State == storage.Revealed && len(buttons) < 25 {
			label := "Own " + q.Question.ID
			if g.Action != nil {
				label = "Change owner of " + q.Question.ID
			}
			buttons = append(buttons, button(ActionAssign, GapValue(rv.Round.ID, q.Question.ID), label))
		}
	}
	blocks := []slack.Block{section("fix_it", strings.Join(lines, "\n"))}
	if len(buttons) > 0 {
		blocks = append(blocks, actions("fix_it_actions", buttons...))
	}
	return blocks
}

func oneQuestionBlocks(rv report.Reveal) []slack.Block {
	r := rv.Round
	text := "*The one question.* " + rv.Instrument.OneQuestion
	label := "Answer it as a team"
	if r.OneAnswer != "" {
		text += fmt.Sprintf("\nThe team's answer (%s): _%s_", Mention(r.OneAnswerBy), Inert(r.OneAnswer, maxActionText))
		label = "Change the answer"
	}
	blocks := []slack.Block{section("one_question", text)}
	if r.State == storage.Revealed {
		blocks = append(blocks, actions("one_question_actions", button(ActionOneAnswer, RoundValue(r.ID), label)))
	}
	return blocks
}

// RenderRevealThread is the reveal's detail, as replies in its thread, in
// order: question by question, what the pattern says and what to do, how
// well each lead read the other, and the trend since the last round.
func RenderRevealThread(rv report.Reveal) []Message {
	var out []Message
	out = append(out, paginate("Question by question", questionBlocks(rv))...)
	out = append(out, paginate("What the pattern says, and what to do", adviceBlocks(rv))...)
	if p := rv.Comparison.Perception; p != nil {
		out = append(out, paginate("How well each lead read the other", perceptionBlocks(rv, p))...)
	}
	if rv.Trend != nil {
		out = append(out, paginate(fmt.Sprintf("Since round %d", rv.Trend.Previous.ID), trendBlocks(rv))...)
	}
	return out
}

func scoreLine(in *scoring.Instrument, q scoring.QuestionResult, roles []scoring.Role) string {
	var scores []string
	for _, role := range roles {
		if s, ok := q.Scores[role]; ok {
			scores = append(scores, fmt.Sprintf("%s *%d*", in.RoleShort(role), s))
		}
	}
	return fmt.Sprintf("*%s · %s*: %s", q.Question.ID, q.Question.Topic, strings.Join(scores, " · "))
}

func questionBlocks(rv report.Reveal) []slack.Block {
	in, c := rv.Instrument, rv.Comparison
	var roles []scoring.Role
	for _, r := range c.Respondents {
		roles = append(roles, r.Role)
	}
	groups := []struct {
		kind    scoring.Difference
		blockID string
		title   string
	}{
		{scoring.StructuralGap, "gaps", "*Structural gaps: discuss these first.* The leads are two points apart."},
		{scoring.MinorDifference, "minor", "*Minor differences*: one point apart."},
		{scoring.Agreement, "agreement", "*Agreement*: the leads gave the same score."},
	}
	blocks := []slack.Block{section("detail", "*Question by question.* Each respondent's own score; gaps are between the two leads.")}
	for _, g := range groups {
		var lines []string
		for _, q := range c.InRevealOrder() {
			if q.Difference == g.kind {
				lines = append(lines, scoreLine(in, q, roles))
			}
		}
		blocks = append(blocks, sections(g.blockID, g.title, lines)...)
	}
	var notes []string
	for _, n := range c.ObserverNotes {
		var apart []string
		for _, lead := range n.Apart {
			apart = append(apart, fmt.Sprintf("%s %d", in.RoleShort(lead), c.Questions[in.QuestionIndex(n.Question.ID)].Scores[lead]))
		}
		notes = append(notes, fmt.Sprintf("%s sees %s differently: %s *%d*, %s.", in.RoleShort(scoring.Observer), n.Question.ID,
			in.RoleShort(scoring.Observer), n.Observer, strings.Join(apart, ", ")))
	}
	blocks = append(blocks, sections("observer", "*Notes from the observer* (not gaps: gaps are between the leads)", notes)...)
	return blocks
}

func adviceBlocks(rv report.Reveal) []slack.Block {
	in, c := rv.Instrument, rv.Comparison
	var blocks []slack.Block
	var tiers []string
	for _, r := range c.Respondents {
		tiers = append(tiers, fmt.Sprintf("*%s* (%s): %s", r.Tier, in.RoleLabel(r.Role), r.Tier.Summary))
	}
	blocks = append(blocks, sections("tiers", fmt.Sprintf("*What each %s means*", strings.ToLower(c.TeamTier.Word)), tiers)...)
	if len(in.Categories) > 0 {
		var lines []string
		for i, cat := range in.Categories {
			var parts []string
			for _, r := range c.Respondents {
				cs := r.Categories[i]
				parts = append(parts, fmt.Sprintf("%s %d/%d", in.RoleShort(r.Role), cs.Score, cs.Max))
			}
			lines = append(lines, fmt.Sprintf("%s: %s", cat.Name, strings.Join(parts, " · ")))
		}
		for _, z := range c.ZeroCategories {
			lines = append(lines, fmt.Sprintf(":warning: %s: all zeros from %s, %s.", z.Category.Name, whose(rv, z.Roles), in.ZeroCategoryIs))
		}
		blocks = append(blocks, sections("categories", "*By category*", lines)...)
	}
	var flags []string
	for _, f := range c.Flags {
		steer := ""
		if !f.RaisedByLead() {
			steer = " (an observer's flag: noted, it does not reorder the gaps)"
		}
		flags = append(flags, fmt.Sprintf(":triangular_flag_on_post: *%s*, raised by the answers of %s: %s%s", f.Title, whose(rv, f.Roles), f.Meaning, steer))
	}
	blocks = append(blocks, sections("flags", "*Prerequisites*", flags)...)
	move := fmt.Sprintf("*Next move for %s: %s.*\n%s", c.TeamTier, c.NextMove.Title, c.NextMove.Advice)
	if c.ManyGaps && in.ManyGaps != nil {
		move = fmt.Sprintf("*Next move, with this many structural gaps: %s.*\n%s", c.NextMove.Title, c.NextMove.Advice)
	}
	if len(c.Leverage) > 0 {
		var qs []string
		for _, id := range c.Leverage {
			q, _ := in.Question(id)
			qs = append(qs, fmt.Sprintf("%s (%s)", q.ID, q.Topic))
		}
		move += "\nHighest-leverage questions not yet in place: " + strings.Join(qs, ", ") + "."
	}
	blocks = append(blocks, section("next_move", move))
	blocks = append(blocks, sections("prerequisites", "*Sequencing*", in.Prerequisites)...)
	blocks = append(blocks, sections("cautions", "*A caution*", in.Cautions)...)
	var good []string
	for _, g := range append(append([]report.Gap(nil), rv.TopGaps...), rv.FixIt...) {
		q := g.Result.Question
		line := fmt.Sprintf("*%s · %s*", q.ID, q.Topic)
		if n := len(q.Criteria); n > 0 {
			line += fmt.Sprintf(": a %d means %s", q.Criteria[n-1].Score, lowerFirst(q.Criteria[n-1].When))
		}
		line += fmt.Sprintf(" A first 30-day step: %s", q.Suggestion)
		if q.Guide != "" {
			line += fmt.Sprintf(" (see %s)", q.Guide)
		}
		good = append(good, line)
	}
	blocks = append(blocks, sections("what_good_is", "*What good looks like, for the gaps to own*", good)...)
	return blocks
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}

// whose names the respondents holding roles: "<@U1> (Marketing lead)".
func whose(rv report.Reveal, roles []scoring.Role) string {
	var names []string
	for _, role := range roles {
		p, _ := rv.Respondent(role)
		names = append(names, fmt.Sprintf("%s (%s)", Mention(p.UserID), rv.Instrument.RoleLabel(role)))
	}
	return JoinAnd(names)
}

func perceptionBlocks(rv report.Reveal, p *scoring.Perception) []slack.Block {
	in := rv.Instrument
	var lines []string
	for _, l := range p.Leads {
		who := in.RoleLabel(l.Role)
		other := in.RoleShort(l.Role.Other())
		if l.Predicted == 0 {
			lines = append(lines, fmt.Sprintf("*%s* made no predictions.", who))
			continue
		}
		line := fmt.Sprintf("*%s* read the other side right on %d of %d.", who, l.Right, l.Predicted)
		for _, m := range l.Misses {
			line += fmt.Sprintf("\n• %s expected %s to answer %d on %s; %s answered %d.",
				in.RoleShort(l.Role), other, m.Predicted, m.Question.ID, other, m.Actual)
		}
		lines = append(lines, line)
	}
	blocks := sections("perception", "*How well each lead read the other.* Before the reveal, each lead could guess the other's answers.", lines)
	var spots []string
	for _, b := range p.BlindSpots {
		var missed []string
		for _, r := range b.Missed {
			missed = append(missed, in.RoleShort(r))
		}
		spots = append(spots, fmt.Sprintf("*%s · %s*: %s apart, and %s did not see it coming.",
			b.Question.ID, b.Question.Topic, plural(b.LeadGap, "point"), JoinAnd(missed)))
	}
	return append(blocks, sections("blind_spots", "*Blind spots*: the leads disagree, and the guesses missed it.", spots)...)
}

func trendBlocks(rv report.Reveal) []slack.Block {
	t := rv.Trend
	in := rv.Instrument
	lines := []string{}
	if t.TeamTierBefore.Number != t.TeamTierNow.Number {
		lines = append(lines, fmt.Sprintf("Team: %s → *%s*", t.TeamTierBefore, t.TeamTierNow))
	} else {
		lines = append(lines, fmt.Sprintf("Team unchanged: %s", t.TeamTierNow))
	}
	for _, tc := range t.Tiers {
		lines = append(lines, fmt.Sprintf("%s: %d → %d (%s → %s)", in.RoleLabel(tc.Role), tc.TotalBefore, tc.TotalNow, tc.Before, tc.Now))
	}
	var moves []string
	for _, m := range t.Moves {
		arrow := "↔"
		switch {
		case m.Now.Combined > m.Before.Combined:
			arrow = "↑"
		case m.Now.Combined < m.Before.Combined:
			arrow = "↓"
		}
		moves = append(moves, fmt.Sprintf("%s %s combined %d → %d, lead gap %d → %d", m.Question.ID, arrow,
			m.Before.Combined, m.Now.Combined, m.Before.LeadGap, m.Now.LeadGap))
	}
	if len(moves) == 0 {
		lines = append(lines, "No question's scores moved.")
	}
	for _, pc := range t.Perception {
		before, now := "no guesses", "no guesses"
		if pc.PredictedBefore > 0 {
			before = fmt.Sprintf("%d of %d right", pc.RightBefore, pc.PredictedBefore)
		}
		if pc.PredictedNow > 0 {
			now = fmt.Sprintf("%d of %d right", pc.RightNow, pc.PredictedNow)
		}
		lines = append(lines, fmt.Sprintf("%s reading the other side: %s → %s", in.RoleLabel(pc.Role), before, now))
	}
	blocks := sections("trend", fmt.Sprintf("*Since round %d* (%s)", t.Previous.ID, Day(*t.Previous.RevealedAt)), lines)
	return append(blocks, sections("moves", "*Questions that moved*", moves)...)
}

// ChartInput turns a reveal into the chart's data: every question, each
// respondent's score side by side, structural gaps marked, and the previous
// round's scores beside them when the team has one.
func ChartInput(rv report.Reveal) chart.Input {
	in, c := rv.Instrument, rv.Comparison
	input := chart.Input{
		Title: fmt.Sprintf("Round %d · %s", rv.Round.ID, in.Name),
		Max:   in.Scale.Max,
	}
	for s := in.Scale.Min; s <= in.Scale.Max; s++ {
		input.ScaleLabels = append(input.ScaleLabels, fmt.Sprintf("%d %s", s, strings.ToLower(in.ScoreLabel(s))))
	}
	for _, q := range c.Questions {
		input.Questions = append(input.Questions, q.Question.ID)
		input.Gaps = append(input.Gaps, q.Difference == scoring.StructuralGap)
	}
	series := func(cmp scoring.Comparison) []chart.Series {
		var out []chart.Series
		for _, spec := range in.Roles {
			r, ok := cmp.Respondent(spec.Role)
			if !ok {
				continue
			}
			s := chart.Series{Label: spec.Short}
			for _, q := range in.Questions {
				score, ok := r.Answers[q.ID]
				if !ok {
					s.Scores = append(s.Scores, math.NaN())
					continue
				}
				s.Scores = append(s.Scores, float64(score))
			}
			out = append(out, s)
		}
		return out
	}
	input.Current = series(c)
	if rv.Trend != nil {
		input.Previous = series(rv.Trend.PreviousComparison)
		input.PreviousLabel = fmt.Sprintf("round %d", rv.Trend.Previous.ID)
	}
	return input
}
