package bot

import (
	"fmt"
	"strings"

	"github.com/slack-go/slack"

	"github.com/alignbot/alignbot/scoring"
	"github.com/alignbot/alignbot/storage"
)

// maxBlocks is Slack's limit on blocks in one message.
const maxBlocks = 50

func shortRole(r scoring.Role) string {
	switch r {
	case scoring.Marketing:
		return "Marketing"
	case scoring.Sales:
		return "Sales"
	case scoring.Observer:
		return "RevOps"
	}
	return string(r)
}

// renderReveal renders the reveal: the parent message for the channel and,
// when the comparison would not fit Slack's block limit, thread replies that
// carry the question-by-question detail.
func renderReveal(rv Reveal) (parent Message, replies []Message) {
	c := rv.Comparison
	head := []slack.Block{
		header(fmt.Sprintf("Alignment reveal · round %d", rv.Round.ID)),
		section("intro", revealIntro(rv)),
	}
	questions := questionBlocks(c)
	rest := []slack.Block{slack.NewDividerBlock(), section("tiers", tierText(rv))}
	rest = append(rest, section("categories", categoryText(rv)))
	if w := warningText(rv); w != "" {
		rest = append(rest, section("warnings", w))
	}
	rest = append(rest, section("next_move", nextMoveText(c)))
	if rv.Trend != nil {
		rest = append(rest, section("trend", trendText(rv)))
	}
	rest = append(rest, topGapBlocks(rv)...)
	rest = append(rest, slack.NewDividerBlock(), section("one_question", "*The one question.* "+c.Instrument.OneQuestion))

	text := revealFallback(rv)
	if len(head)+len(questions)+len(rest) <= maxBlocks {
		blocks := append(append(head, questions...), rest...)
		return Message{Text: text, Blocks: blocks}, nil
	}
	head = append(head, contextBlock("details", "The question-by-question comparison is in the thread."))
	for start := 0; start < len(questions); start += maxBlocks {
		end := min(start+maxBlocks, len(questions))
		replies = append(replies, Message{Text: "Question by question", Blocks: questions[start:end]})
	}
	return Message{Text: text, Blocks: append(head, rest...)}, replies
}

func revealIntro(rv Reveal) string {
	var people []string
	for _, r := range rv.Comparison.Respondents {
		p, _ := rv.Respondent(r.Role)
		people = append(people, fmt.Sprintf("%s (%s)", mention(p.UserID), r.Role.Label()))
	}
	text := fmt.Sprintf("All answers are in. %s scored on their own; here they are side by side, question by question. "+
		"Scores are never averaged: the gaps between perspectives are the point.", joinAnd(people))
	for _, m := range rv.Missing {
		text += fmt.Sprintf("\n%s (%s) did not respond by the deadline and is left out.", mention(m.UserID), m.Role.Label())
	}
	return text
}

func scoreLine(q scoring.QuestionResult, roles []scoring.Role) string {
	var scores []string
	for _, role := range roles {
		if s, ok := q.Scores[role]; ok {
			scores = append(scores, fmt.Sprintf("%s *%d*", shortRole(role), s))
		}
	}
	return fmt.Sprintf("*%s · %s*: %s", q.Question.ID, q.Question.Topic, strings.Join(scores, " · "))
}

func questionBlocks(c scoring.Comparison) []slack.Block {
	var roles []scoring.Role
	for _, r := range c.Respondents {
		roles = append(roles, r.Role)
	}
	groups := []struct {
		kind    scoring.Difference
		blockID string
		title   string
	}{
		{scoring.StructuralGap, "gaps", "*Structural gaps: discuss these first.* Two points apart: a structural gap dressed up as a perception problem."},
		{scoring.MinorDifference, "minor", "*Minor differences*"},
		{scoring.Agreement, "agreement", "*Agreement*"},
	}
	var blocks []slack.Block
	for _, g := range groups {
		var lines []string
		for _, q := range c.InRevealOrder() {
			if q.Difference == g.kind {
				lines = append(lines, scoreLine(q, roles))
			}
		}
		blocks = append(blocks, sections(g.blockID, g.title, lines)...)
	}
	return blocks
}

// maxSectionText is Slack's limit on a section's text.
const maxSectionText = 3000

// sections puts a title and lines into as few sections as Slack's text limit
// allows; none when there are no lines.
func sections(blockID, title string, lines []string) []slack.Block {
	var blocks []slack.Block
	text := title
	for _, line := range lines {
		if len(text)+1+len(line) > maxSectionText {
			blocks = append(blocks, section(fmt.Sprintf("%s:%d", blockID, len(blocks)), text))
			text = title + " (continued)"
		}
		text += "\n" + line
	}
	if len(lines) > 0 {
		blocks = append(blocks, section(fmt.Sprintf("%s:%d", blockID, len(blocks)), text))
	}
	return blocks
}

func tierText(rv Reveal) string {
	c := rv.Comparison
	lines := []string{"*Totals and tiers*"}
	for _, r := range c.Respondents {
		p, _ := rv.Respondent(r.Role)
		lines = append(lines, fmt.Sprintf("%s %s: *%d of %d*, %s", r.Role.Label(), mention(p.UserID), r.Total, c.Instrument.MaxTotal(), r.Tier))
	}
	for _, m := range rv.Missing {
		lines = append(lines, fmt.Sprintf("%s %s: did not respond", m.Role.Label(), mention(m.UserID)))
	}
	lines = append(lines, fmt.Sprintf("Team tier: *%s*, the lower of the two leads' tiers. Use the honest answer.", c.TeamTier))
	return strings.Join(lines, "\n")
}

func categoryText(rv Reveal) string {
	c := rv.Comparison
	lines := []string{"*By category*"}
	for i, cat := range c.Instrument.Categories {
		var parts []string
		for _, r := range c.Respondents {
			cs := r.Categories[i]
			parts = append(parts, fmt.Sprintf("%s %d/%d", shortRole(r.Role), cs.Score, cs.Max))
		}
		lines = append(lines, fmt.Sprintf("%s: %s", cat.Name, strings.Join(parts, " · ")))
	}
	for _, z := range c.ZeroCategories {
		lines = append(lines, fmt.Sprintf(":warning: %s: all zeros from %s, %s.", z.Category.Name, whose(rv, z.Roles), c.Instrument.ZeroCategoryIs))
	}
	return strings.Join(lines, "\n")
}

// whose names the respondents holding roles: "@maria (Marketing lead)".
func whose(rv Reveal, roles []scoring.Role) string {
	var names []string
	for _, role := range roles {
		p, _ := rv.Respondent(role)
		names = append(names, fmt.Sprintf("%s (%s)", mention(p.UserID), role.Label()))
	}
	return joinAnd(names)
}

func warningText(rv Reveal) string {
	c := rv.Comparison
	var lines []string
	if c.ManyGaps {
		lines = append(lines, fmt.Sprintf(":warning: *%d structural gaps.* %s", c.StructuralGaps, c.Instrument.ManyGapsWarns))
	}
	for _, f := range c.Flags {
		lines = append(lines, fmt.Sprintf(":triangular_flag_on_post: *%s*, raised by the answers of %s: %s", f.Code, whose(rv, f.Roles), f.Meaning))
	}
	return strings.Join(lines, "\n")
}

func nextMoveText(c scoring.Comparison) string {
	var qs []string
	for _, id := range c.NextMove.Questions {
		q, _ := c.Instrument.Question(id)
		qs = append(qs, fmt.Sprintf("%s (%s)", q.ID, q.Topic))
	}
	return fmt.Sprintf("*Next move for %s: %s.*\n%s\nHighest-leverage questions: %s.",
		c.TeamTier, c.NextMove.Title, c.NextMove.Advice, strings.Join(qs, ", "))
}

func trendText(rv Reveal) string {
	t := rv.Trend
	lines := []string{fmt.Sprintf("*Since round %d* (%s)", t.Previous.ID, dayDate(*t.Previous.RevealedAt))}
	if t.TeamTierBefore.Number != t.TeamTierNow.Number {
		lines = append(lines, fmt.Sprintf("Team tier: %s → *%s*", t.TeamTierBefore, t.TeamTierNow))
	} else {
		lines = append(lines, fmt.Sprintf("Team tier unchanged: %s", t.TeamTierNow))
	}
	for _, tc := range t.Tiers {
		lines = append(lines, fmt.Sprintf("%s: %d → %d (%s → %s)", tc.Role.Label(), tc.TotalBefore, tc.TotalNow, tc.Before, tc.Now))
	}
	var moves []string
	for _, m := range t.Moves {
		arrow := "↑"
		if m.Now < m.Before {
			arrow = "↓"
		} else if m.Now == m.Before {
			arrow = "↔"
		}
		moves = append(moves, fmt.Sprintf("%s %s %d→%d", m.Question.ID, arrow, m.Before, m.Now))
	}
	if len(moves) > 0 {
		lines = append(lines, "Combined scores: "+strings.Join(moves, " · "))
	} else {
		lines = append(lines, "No question's scores moved.")
	}
	for _, g := range t.OwnedGaps {
		verdict := "still open"
		if g.Closed {
			verdict = "closed"
		}
		lines = append(lines, fmt.Sprintf("Owned gap %s (%s, action %s): combined %d → %d, *%s*",
			g.Action.QuestionID, mention(g.Action.OwnerID), statusLabel(g.Action.Status), g.Before, g.Now, verdict))
	}
	return strings.Join(lines, "\n")
}

func statusLabel(s storage.ActionStatus) string {
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

func gapValue(roundID int64, question string) string { return fmt.Sprintf("%d:%s", roundID, question) }

func topGapBlocks(rv Reveal) []slack.Block {
	c := rv.Comparison
	blocks := []slack.Block{
		slack.NewDividerBlock(),
		section("top_gaps", fmt.Sprintf("*Top %d gaps to own.* Lowest combined score of the two leads first, then the widest disagreement. "+
			"Each needs a named owner and a 30-day action.", c.Instrument.TopGapCount)),
	}
	for _, g := range rv.TopGaps {
		q := g.Result
		text := fmt.Sprintf("*%d. %s · %s*: combined *%d of %d* (Marketing %d, Sales %d)",
			g.Rank, q.Question.ID, q.Question.Topic, q.Combined, 2*c.Instrument.Scale.Max, q.Scores[scoring.Marketing], q.Scores[scoring.Sales])
		assignLabel := "Assign owner"
		if a := g.Action; a != nil {
			text += fmt.Sprintf("\nOwner %s: _%s_ · due %s · %s", mention(a.OwnerID), a.Description, dayDate(a.DueAt), statusLabel(a.Status))
			if a.Status == storage.ActionBlocked && a.BlockedReason != "" {
				text += fmt.Sprintf(" (%s)", a.BlockedReason)
			}
			assignLabel = "Change owner"
		} else {
			text += "\nNo owner yet."
		}
		blocks = append(blocks, section("gap:"+q.Question.ID, text))
		if rv.Round.State != storage.Revealed {
			continue // closed rounds keep the record, not the buttons
		}
		elems := []slack.BlockElement{button(actionAssign, gapValue(rv.Round.ID, q.Question.ID), assignLabel)}
		if g.Action == nil {
			elems = append(elems, button(actionAddressed, gapValue(rv.Round.ID, q.Question.ID), "Already being addressed"))
		}
		blocks = append(blocks, slack.NewActionBlock("gap_actions:"+q.Question.ID, elems...))
	}
	if len(rv.TopGaps) == 0 {
		blocks = append(blocks, section("no_gaps", "Every question is already being addressed."))
	}
	if len(rv.Addressed) > 0 {
		var notes []string
		for _, a := range rv.Addressed {
			if a.MarkedBy != "" {
				notes = append(notes, fmt.Sprintf("%s (marked by %s)", a.Question, mention(a.MarkedBy)))
			} else {
				notes = append(notes, fmt.Sprintf("%s (open action from round %d)", a.Question, a.FromRound))
			}
		}
		blocks = append(blocks, contextBlock("addressed", "Already being addressed, so skipped: "+strings.Join(notes, ", ")))
	}
	return blocks
}

func revealFallback(rv Reveal) string {
	c := rv.Comparison
	var parts []string
	for _, r := range c.Respondents {
		parts = append(parts, fmt.Sprintf("%s %s", r.Role.Label(), r.Tier))
	}
	return fmt.Sprintf("Alignment reveal, round %d: %s; team %s; %d structural gaps.",
		rv.Round.ID, strings.Join(parts, ", "), c.TeamTier, c.StructuralGaps)
}
