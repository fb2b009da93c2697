package render

import (
	"fmt"
	"math"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/alignbot/alignbot/internal/chart"
	"github.com/alignbot/alignbot/internal/locale"
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
// go in its thread (RenderRevealThread). It speaks the round's language.
func RenderReveal(rv report.Reveal, w Workspace) Message {
	s := speak(roundLang(rv.Round), rv.Instrument)
	c := rv.Comparison
	blocks := []slack.Block{
		header(s.T("reveal.title", "Round", rv.Round.ID)),
		section("intro", revealIntro(s, rv)),
	}
	if t := rv.Trend; t != nil && (len(t.OwnedGaps) > 0 || t.Previous.OneAnswer != "") {
		blocks = append(blocks, section("owned_gaps", ownedGapsText(s, rv)))
	}
	blocks = append(blocks, section("headline", headlineText(s, rv)), section("gaps", gapsText(s, rv)))
	blocks = append(blocks, divider())
	blocks = append(blocks, topGapBlocks(s, rv)...)
	blocks = append(blocks, fixItBlocks(s, rv)...)
	blocks = append(blocks, divider())
	blocks = append(blocks, oneQuestionBlocks(s, rv)...)
	blocks = append(blocks, contextBlock("thread", s.T("reveal.in_thread")))
	var tiers []string
	for _, r := range c.Respondents {
		tiers = append(tiers, fmt.Sprintf("%s %s", s.role(r.Role), s.tierName(r.Tier)))
	}
	ids := s.T("reveal.none")
	if top := rv.TopGapIDs(); len(top) > 0 {
		ids = strings.Join(top, ", ")
	}
	text := s.T("reveal.fallback", "Round", rv.Round.ID, "Tiers", strings.Join(tiers, ", "), "Team", s.tierName(c.TeamTier),
		"Gaps", s.N("reveal.structural_gaps", c.StructuralGaps), "Top", ids)
	return Message{Text: text, Blocks: capBlocks(blocks, MaxBlocks, s.T("reveal.more"))}
}

func revealIntro(s speaker, rv report.Reveal) string {
	in := s.in
	var people []string
	for _, r := range rv.Comparison.Respondents {
		p, _ := rv.Respondent(r.Role)
		people = append(people, fmt.Sprintf("%s (%s)", Mention(p.UserID), s.role(r.Role)))
	}
	lead := s.T("reveal.all_in")
	if len(rv.Missing) > 0 {
		lead = s.T("reveal.leads_in")
	}
	text := s.T("reveal.intro", "Lead", lead, "People", s.JoinAnd(people), "Instrument", in.Name)
	for _, m := range rv.Missing {
		why := s.T("reveal.missing_late")
		if m.Declined() {
			why = s.T("reveal.missing_declined")
		}
		text += "\n" + s.T("reveal.left_out", "User", Mention(m.UserID), "Role", s.role(m.Role), "Why", why)
	}
	return text
}

func ownedGapsText(s speaker, rv report.Reveal) string {
	t := rv.Trend
	var lines []string
	if len(t.OwnedGaps) > 0 {
		lines = append(lines, s.T("reveal.did_close", "Round", t.Previous.ID))
	}
	for _, g := range t.OwnedGaps {
		lines = append(lines, "• "+verdictLine(s, g))
	}
	if t.Previous.OneAnswer != "" {
		lines = append(lines, s.T("reveal.last_one_answer", "Answer", Inert(t.Previous.OneAnswer, maxActionText)))
	}
	return strings.Join(lines, "\n")
}

// VerdictLine says, in l, what became of one owned gap: "Q7 · Attribution
// agreement: <@U1>'s action done; lead gap 2 → 0, combined 0 → 3 — closed".
func VerdictLine(l locale.Lang, in *scoring.Instrument, g report.OwnedGap) string {
	return verdictLine(speak(l, in), g)
}

func verdictLine(s speaker, g report.OwnedGap) string {
	id := g.Now.Question.ID
	if id == "" {
		id = g.Action.QuestionID
	}
	q := s.questionByID(id)
	change := s.T("verdict.change", "GapBefore", g.Before.LeadGap, "GapNow", g.Now.LeadGap,
		"CombinedBefore", g.Before.Combined, "CombinedNow", g.Now.Combined)
	if g.Before.LeadGap == g.Now.LeadGap && g.Before.Combined == g.Now.Combined {
		change = s.T("verdict.no_change", "Gap", g.Now.LeadGap, "Combined", g.Now.Combined, "Max", s.in.MaxCombined())
	}
	return s.T("verdict.line", "Question", q.ID, "Topic", q.Topic, "Owner", Mention(g.Action.OwnerID),
		"Status", s.status(g.Action.Status), "Change", change, "Verdict", s.verdict(g.Verdict))
}

func headlineText(s speaker, rv report.Reveal) string {
	in, c := s.in, rv.Comparison
	var lines []string
	for _, r := range c.Respondents {
		p, _ := rv.Respondent(r.Role)
		score := s.tierName(r.Tier)
		if len(in.Gates) == 0 {
			score = s.T("reveal.score", "Total", r.Total, "Max", in.MaxTotal(), "Tier", s.tierName(r.Tier))
		}
		lines = append(lines, fmt.Sprintf("%s %s: %s", s.role(r.Role), Mention(p.UserID), score))
	}
	for _, m := range rv.Missing {
		state := s.T("reveal.did_not_respond")
		if m.Declined() {
			state = s.T("reveal.missing_declined")
		}
		lines = append(lines, fmt.Sprintf("%s %s: %s", s.role(m.Role), Mention(m.UserID), state))
	}
	team := s.T("reveal.team", "Tier", s.tierName(c.TeamTier), "Note", in.TeamTierNote)
	if c.Capped {
		team = s.T("reveal.team_capped", "Tier", s.tierName(c.TeamTier), "Above", in.ManyGaps.Above,
			"LeadTier", s.tierName(c.LeadTier), "Warning", in.ManyGaps.Warns)
	} else if c.ManyGaps {
		team += " " + in.ManyGaps.Warns
	}
	lines = append(lines, team)
	for _, caution := range in.Cautions {
		lines = append(lines, "_"+caution+"_")
	}
	return strings.Join(lines, "\n")
}

func gapsText(s speaker, rv report.Reveal) string {
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
		text := s.T("reveal.no_structural")
		if len(minor) > 0 {
			text += " " + s.T("reveal.one_apart", "Questions", s.JoinAnd(minor))
		}
		return text
	}
	return s.T("reveal.structural", "Gaps", s.N("reveal.structural_gaps", len(gaps)), "Questions", s.JoinAnd(gaps))
}

// StatusLabel says an action's status in words, in l.
func StatusLabel(l locale.Lang, st storage.ActionStatus) string { return speak(l, nil).status(st) }

func gapLine(s speaker, q scoring.QuestionResult) string {
	return s.T("reveal.gap_line", "Marketing", s.short(scoring.Marketing), "MarketingScore", q.Scores[scoring.Marketing],
		"Sales", s.short(scoring.Sales), "SalesScore", q.Scores[scoring.Sales], "Combined", q.Combined, "Max", s.in.MaxCombined())
}

func ownerLine(s speaker, a *storage.Action) string {
	if a == nil {
		return s.T("reveal.no_owner")
	}
	text := s.T("reveal.owner", "Owner", Mention(a.OwnerID), "Action", Inert(a.Description, maxActionText), "Day", s.day(a.DueAt),
		"Status", s.status(a.Status))
	if a.Status == storage.ActionBlocked && a.BlockedReason != "" {
		text += fmt.Sprintf(" (%s)", Inert(a.BlockedReason, maxActionText))
	}
	return text
}

func topGapBlocks(s speaker, rv report.Reveal) []slack.Block {
	in := s.in
	count := in.TopGapCount
	order := s.T("reveal.order")
	if rv.Priorities.DisagreementFirst {
		order = s.T("reveal.order_disagreement")
	}
	if len(rv.Priorities.Steered) > 0 {
		then := s.T("reveal.order_then")
		if rv.Priorities.DisagreementFirst {
			then = s.T("reveal.order_disagreement_then")
		}
		order = s.T("reveal.order_steered", "Questions", strings.Join(rv.Priorities.Steered, ", "), "Then", then)
	}
	blocks := []slack.Block{section("top_gaps", s.T("reveal.work_on", "Count", count, "Order", order))}
	open := rv.Round.State == storage.Revealed
	for _, g := range rv.TopGaps {
		q := g.Result
		lq := s.question(q.Question)
		text := fmt.Sprintf("*%d. %s · %s* · %s\n%s", g.Rank, lq.ID, lq.Topic, gapLine(s, q), ownerLine(s, g.Action))
		blocks = append(blocks, section("gap:"+q.Question.ID, text))
		if !open {
			continue // a closed round keeps the record, not the buttons
		}
		label := s.T("reveal.assign")
		if g.Action != nil {
			label = s.T("reveal.change_owner")
		}
		elems := []slack.BlockElement{button(ActionAssign, GapValue(rv.Round.ID, q.Question.ID), label)}
		if g.Action == nil {
			elems = append(elems, button(ActionAddressed, GapValue(rv.Round.ID, q.Question.ID), s.T("reveal.addressed")))
		}
		blocks = append(blocks, actions("gap_actions:"+q.Question.ID, elems...))
	}
	if why := shortListReason(s, rv); why != "" {
		blocks = append(blocks, contextBlock("short", why))
	}
	if len(rv.Addressed) > 0 {
		var notes []string
		var undo []slack.BlockElement
		for _, a := range rv.Addressed {
			if a.MarkedBy != "" {
				notes = append(notes, s.T("reveal.marked_by", "Question", a.Question.ID, "User", Mention(a.MarkedBy)))
				if open && len(undo) < 5 {
					undo = append(undo, button(ActionUndo, GapValue(rv.Round.ID, a.Question.ID), s.T("reveal.undo", "Question", a.Question.ID)))
				}
			} else {
				notes = append(notes, s.T("reveal.open_from", "Question", a.Question.ID, "Round", a.FromRound))
			}
		}
		blocks = append(blocks, contextBlock("addressed", s.T("reveal.set_aside", "Questions", strings.Join(notes, ", "))))
		if len(undo) > 0 {
			blocks = append(blocks, actions("addressed_actions", undo...))
		}
	}
	return blocks
}

// shortListReason says why there are fewer top gaps than the instrument
// names, or "".
func shortListReason(s speaker, rv report.Reveal) string {
	p := rv.Priorities
	want := s.in.TopGapCount
	if len(rv.TopGaps) >= want {
		return ""
	}
	var why []string
	if n := len(p.FullyInPlace); n > 0 {
		why = append(why, s.N("reveal.fully_in_place", n))
	}
	if n := len(p.Addressed); n > 0 {
		why = append(why, s.N("reveal.being_addressed", n))
	}
	if len(rv.TopGaps) == 0 {
		return s.T("reveal.no_gaps_to_own", "Why", s.JoinAnd(why))
	}
	return s.N("reveal.only_gaps", len(rv.TopGaps), "Why", s.JoinAnd(why))
}

func fixItBlocks(s speaker, rv report.Reveal) []slack.Block {
	if len(rv.FixIt) == 0 {
		return nil
	}
	lines := []string{s.T("reveal.fix_it")}
	var buttons []slack.BlockElement
	for _, g := range rv.FixIt {
		q := g.Result
		lq := s.question(q.Question)
		line := fmt.Sprintf("• *%s · %s* · %s", lq.ID, lq.Topic, gapLine(s, q))
		if g.Action != nil {
			line += "\n  " + ownerLine(s, g.Action)
		}
		lines = append(lines, line)
		if rv.Round.State == storage.Revealed && len(buttons) < 25 {
			label := s.T("reveal.own", "Question", q.Question.ID)
			if g.Action != nil {
				label = s.T("reveal.change_owner_of", "Question", q.Question.ID)
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

func oneQuestionBlocks(s speaker, rv report.Reveal) []slack.Block {
	r := rv.Round
	text := s.T("reveal.one_question", "Question", s.in.OneQuestion)
	label := s.T("reveal.answer_it")
	if r.OneAnswer != "" {
		text += "\n" + s.T("reveal.team_answer", "By", Mention(r.OneAnswerBy), "Answer", Inert(r.OneAnswer, maxActionText))
		label = s.T("reveal.change_answer")
	}
	blocks := []slack.Block{section("one_question", text)}
	if r.State == storage.Revealed {
		blocks = append(blocks, actions("one_question_actions", button(ActionOneAnswer, RoundValue(r.ID), label)))
	}
	return blocks
}

// RenderRevealThread is the reveal's detail, as replies in its thread, in
// order: question by question, what the pattern says and what to do, how
// well each lead read the other, and the trend since the last round. It
// speaks the round's language.
func RenderRevealThread(rv report.Reveal) []Message {
	s := speak(roundLang(rv.Round), rv.Instrument)
	var out []Message
	out = append(out, paginate(s.T("thread.questions_fallback"), questionBlocks(s, rv))...)
	out = append(out, paginate(s.T("thread.advice_fallback"), adviceBlocks(s, rv))...)
	if p := rv.Comparison.Perception; p != nil {
		out = append(out, paginate(s.T("thread.perception_fallback"), perceptionBlocks(s, rv, p))...)
	}
	if rv.Trend != nil {
		out = append(out, paginate(s.T("thread.trend_fallback", "Round", rv.Trend.Previous.ID), trendBlocks(s, rv))...)
	}
	return out
}

func scoreLine(s speaker, q scoring.QuestionResult, roles []scoring.Role) string {
	var scores []string
	for _, role := range roles {
		if score, ok := q.Scores[role]; ok {
			scores = append(scores, fmt.Sprintf("%s *%d*", s.short(role), score))
		}
	}
	lq := s.question(q.Question)
	return fmt.Sprintf("*%s · %s*: %s", lq.ID, lq.Topic, strings.Join(scores, " · "))
}

func questionBlocks(s speaker, rv report.Reveal) []slack.Block {
	in, c := s.in, rv.Comparison
	var roles []scoring.Role
	for _, r := range c.Respondents {
		roles = append(roles, r.Role)
	}
	groups := []struct {
		kind    scoring.Difference
		blockID string
		title   string
	}{
		{scoring.StructuralGap, "gaps", s.T("thread.structural")},
		{scoring.MinorDifference, "minor", s.T("thread.minor")},
		{scoring.Agreement, "agreement", s.T("thread.agreement")},
	}
	blocks := []slack.Block{section("detail", s.T("thread.detail"))}
	for _, g := range groups {
		var lines []string
		for _, q := range c.InRevealOrder() {
			if q.Difference == g.kind {
				lines = append(lines, scoreLine(s, q, roles))
			}
		}
		blocks = append(blocks, s.sections(g.blockID, g.title, lines)...)
	}
	var notes []string
	for _, n := range c.ObserverNotes {
		var apart []string
		for _, lead := range n.Apart {
			apart = append(apart, fmt.Sprintf("%s %d", s.short(lead), c.Questions[in.QuestionIndex(n.Question.ID)].Scores[lead]))
		}
		notes = append(notes, s.T("thread.observer_note", "Observer", s.short(scoring.Observer), "Question", n.Question.ID,
			"Score", n.Observer, "Leads", strings.Join(apart, ", ")))
	}
	blocks = append(blocks, s.sections("observer", s.T("thread.observer"), notes)...)
	return blocks
}

func adviceBlocks(s speaker, rv report.Reveal) []slack.Block {
	in, c := s.in, rv.Comparison
	var blocks []slack.Block
	var tiers []string
	for _, r := range c.Respondents {
		tiers = append(tiers, fmt.Sprintf("*%s* (%s): %s", s.tierName(r.Tier), s.role(r.Role), s.tier(r.Tier).Summary))
	}
	blocks = append(blocks, s.sections("tiers", s.T("thread.tiers", "Word", midSentence(s.tier(c.TeamTier).Word)), tiers)...)
	if len(in.Categories) > 0 {
		var lines []string
		for i, cat := range in.Categories {
			var parts []string
			for _, r := range c.Respondents {
				cs := r.Categories[i]
				parts = append(parts, fmt.Sprintf("%s %d/%d", s.short(r.Role), cs.Score, cs.Max))
			}
			lines = append(lines, fmt.Sprintf("%s: %s", cat.Name, strings.Join(parts, " · ")))
		}
		for _, z := range c.ZeroCategories {
			lines = append(lines, s.T("thread.zero_category", "Category", s.category(z.Category), "Whose", whose(s, rv, z.Roles),
				"Meaning", in.ZeroCategoryIs))
		}
		blocks = append(blocks, s.sections("categories", s.T("thread.categories"), lines)...)
	}
	var flags []string
	for _, f := range c.Flags {
		steer := ""
		if !f.RaisedByLead() {
			steer = " " + s.T("thread.observer_flag")
		}
		title, meaning := s.flag(f)
		flags = append(flags, s.T("thread.flag", "Title", title, "Whose", whose(s, rv, f.Roles), "Meaning", meaning)+steer)
	}
	blocks = append(blocks, s.sections("flags", s.T("thread.prerequisites"), flags)...)
	next := s.move(c)
	move := s.T("thread.next_move", "Tier", s.tierName(c.TeamTier), "Title", next.Title, "Advice", next.Advice)
	if c.ManyGaps && in.ManyGaps != nil {
		move = s.T("thread.next_move_many_gaps", "Title", next.Title, "Advice", next.Advice)
	}
	if len(c.Leverage) > 0 {
		var qs []string
		for _, id := range c.Leverage {
			q := s.questionByID(id)
			qs = append(qs, fmt.Sprintf("%s (%s)", q.ID, q.Topic))
		}
		move += "\n" + s.T("thread.leverage", "Questions", strings.Join(qs, ", "))
	}
	blocks = append(blocks, section("next_move", move))
	blocks = append(blocks, s.sections("prerequisites", s.T("thread.sequencing"), in.Prerequisites)...)
	blocks = append(blocks, s.sections("cautions", s.T("thread.caution"), in.Cautions)...)
	var good []string
	for _, g := range append(append([]report.Gap(nil), rv.TopGaps...), rv.FixIt...) {
		q := s.question(g.Result.Question)
		line := fmt.Sprintf("*%s · %s*", q.ID, q.Topic)
		if n := len(q.Criteria); n > 0 {
			line += s.T("thread.means", "Score", q.Criteria[n-1].Score, "When", s.lowerFirst(q.Criteria[n-1].When))
		}
		line += " " + s.T("thread.first_step", "Suggestion", q.Suggestion)
		if q.Guide != "" {
			line += " " + s.T("thread.see", "Guide", q.Guide)
		}
		good = append(good, line)
	}
	blocks = append(blocks, s.sections("what_good_is", s.T("thread.what_good_is"), good)...)
	return blocks
}

// lowerFirst lowers a sentence's first letter where the language has case
// and the sentence continues another one.
func (s speaker) lowerFirst(text string) string {
	if text == "" || s.T("grammar.lower_continuation") != "yes" {
		return text
	}
	r, size := utf8.DecodeRuneInString(text)
	return string(unicode.ToLower(r)) + text[size:]
}

// whose names the respondents holding roles: "<@U1> (Marketing lead)".
func whose(s speaker, rv report.Reveal, roles []scoring.Role) string {
	var names []string
	for _, role := range roles {
		p, _ := rv.Respondent(role)
		names = append(names, fmt.Sprintf("%s (%s)", Mention(p.UserID), s.role(role)))
	}
	return s.JoinAnd(names)
}

func perceptionBlocks(s speaker, rv report.Reveal, p *scoring.Perception) []slack.Block {
	var lines []string
	for _, l := range p.Leads {
		who := s.role(l.Role)
		other := s.short(l.Role.Other())
		if l.Predicted == 0 {
			lines = append(lines, s.T("perception.none", "Who", who))
			continue
		}
		line := s.T("perception.read", "Who", who, "Right", l.Right, "Predicted", l.Predicted)
		for _, m := range l.Misses {
			line += "\n• " + s.T("perception.miss", "Lead", s.short(l.Role), "Other", other, "Predicted", m.Predicted,
				"Question", m.Question.ID, "Actual", m.Actual)
		}
		lines = append(lines, line)
	}
	blocks := s.sections("perception", s.T("perception.title"), lines)
	var spots []string
	for _, b := range p.BlindSpots {
		var missed []string
		for _, r := range b.Missed {
			missed = append(missed, s.short(r))
		}
		q := s.question(b.Question)
		spots = append(spots, s.T("perception.blind_spot", "Question", q.ID, "Topic", q.Topic,
			"Points", s.N("perception.points", b.LeadGap), "Missed", s.JoinAnd(missed)))
	}
	return append(blocks, s.sections("blind_spots", s.T("perception.blind_spots"), spots)...)
}

func trendBlocks(s speaker, rv report.Reveal) []slack.Block {
	t := rv.Trend
	lines := []string{}
	if t.TeamTierBefore.Number != t.TeamTierNow.Number {
		lines = append(lines, s.T("trend.team", "Before", s.tierName(t.TeamTierBefore), "Now", s.tierName(t.TeamTierNow)))
	} else {
		lines = append(lines, s.T("trend.team_unchanged", "Now", s.tierName(t.TeamTierNow)))
	}
	for _, tc := range t.Tiers {
		lines = append(lines, fmt.Sprintf("%s: %d → %d (%s → %s)", s.role(tc.Role), tc.TotalBefore, tc.TotalNow, s.tierName(tc.Before), s.tierName(tc.Now)))
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
		moves = append(moves, s.T("trend.move", "Question", m.Question.ID, "Arrow", arrow, "CombinedBefore", m.Before.Combined,
			"CombinedNow", m.Now.Combined, "GapBefore", m.Before.LeadGap, "GapNow", m.Now.LeadGap))
	}
	if len(moves) == 0 {
		lines = append(lines, s.T("trend.no_moves"))
	}
	for _, pc := range t.Perception {
		before, now := s.T("trend.no_guesses"), s.T("trend.no_guesses")
		if pc.PredictedBefore > 0 {
			before = s.T("trend.right", "Right", pc.RightBefore, "Predicted", pc.PredictedBefore)
		}
		if pc.PredictedNow > 0 {
			now = s.T("trend.right", "Right", pc.RightNow, "Predicted", pc.PredictedNow)
		}
		lines = append(lines, s.T("trend.reading", "Role", s.role(pc.Role), "Before", before, "Now", now))
	}
	blocks := s.sections("trend", s.T("trend.title", "Round", t.Previous.ID, "Day", s.day(*t.Previous.RevealedAt)), lines)
	return append(blocks, s.sections("moves", s.T("trend.moves"), moves)...)
}

// ChartInput turns a reveal into the chart's data, in the round's language:
// every question, each respondent's score side by side, structural gaps
// marked, and the previous round's scores beside them when the team has
// one.
func ChartInput(rv report.Reveal) chart.Input {
	s := speak(roundLang(rv.Round), rv.Instrument)
	in, c := s.in, rv.Comparison
	input := chart.Input{
		Title:      s.T("chart.title", "Round", rv.Round.ID, "Instrument", in.Name),
		Max:        in.Scale.Max,
		GapCaption: s.T("chart.gap_caption"),
	}
	for sc := in.Scale.Min; sc <= in.Scale.Max; sc++ {
		input.ScaleLabels = append(input.ScaleLabels, fmt.Sprintf("%d %s", sc, strings.ToLower(in.ScoreLabel(sc))))
	}
	input.NoAnswers = " " + s.T("chart.no_answers")
	input.Caption = []string{s.T("chart.stub", "Zero", fmt.Sprintf("%q (0)", input.ScaleLabels[0])), s.T("chart.no_bar")}
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
			sr := chart.Series{Label: spec.Short}
			for _, q := range in.Questions {
				score, ok := r.Answers[q.ID]
				if !ok {
					sr.Scores = append(sr.Scores, math.NaN())
					continue
				}
				sr.Scores = append(sr.Scores, float64(score))
			}
			out = append(out, sr)
		}
		return out
	}
	input.Current = series(c)
	if rv.Trend != nil {
		input.Previous = series(rv.Trend.PreviousComparison)
		input.PreviousLabel = s.T("chart.previous", "Round", rv.Trend.Previous.ID)
	}
	return input
}
