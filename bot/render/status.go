package render

import (
	"fmt"
	"strings"

	"github.com/alignbot/alignbot/internal/report"
	"github.com/alignbot/alignbot/scoring"
	"github.com/alignbot/alignbot/storage"
)

// StartUsage is how a round is started.
const StartUsage = "`/alignment start @marketing-lead @sales-lead [@observer] [#channel] [instrument]`"

// Help is /alignment help: every subcommand and instrument.
func Help() string {
	var ins []string
	for _, in := range scoring.Instruments {
		ins = append(ins, fmt.Sprintf("`%s` (%s, %d questions)", in.ID, in.Name, len(in.Questions)))
	}
	return "*alignbot* runs the Marketing-Sales Alignment Maturity Diagnostic: the marketing lead and the sales lead " +
		"(and optionally a RevOps observer) score the practices on their own, nobody sees anyone's answers until all are in, " +
		"then the comparison is posted here, question by question.\n\n" +
		"• " + StartUsage + ": start a round (no arguments opens a form)\n" +
		"• `/alignment status`: who has submitted (never what), the deadline, and the owned gaps\n" +
		"• `/alignment history`: this channel's rounds, tiers and how many owned gaps closed\n" +
		"• `/alignment extend 3d`: give respondents more time (the facilitator, a respondent or an admin)\n" +
		"• `/alignment cancel`: cancel the round collecting answers (the facilitator or an admin)\n" +
		"• `/alignment assign Q3 @owner <30-day action>`: name an owner for one of the gaps to own\n" +
		"• `/alignment addressed Q3`: mark a gap as already being addressed; the next one moves up (`/alignment unaddressed Q3` takes it back)\n" +
		"• `/alignment help`: this message\n\n" +
		"Instruments: " + JoinAnd(ins) + "; the first is the default."
}

// Status is /alignment status for a channel's latest round.
func Status(rs RoundStatus, rv *report.Reveal) string {
	r, in := rs.Round, rs.Instrument
	where := ChannelRef(r.ChannelID)
	switch r.State {
	case storage.Collecting:
		var lines []string
		for _, p := range rs.Respondents {
			lines = append(lines, fmt.Sprintf("• %s %s %s", in.RoleLabel(p.Role), Mention(p.UserID), Progress(p)))
		}
		return fmt.Sprintf("*Round %d* of the %s in %s, started by %s, is collecting answers; due %s.\n%s\nAnswers stay hidden until everyone has submitted.",
			r.ID, in.Name, where, Mention(r.FacilitatorID), Date(r.DeadlineAt), strings.Join(lines, "\n"))
	case storage.Cancelled:
		return fmt.Sprintf("Round %d in %s was cancelled. Start a new one with %s.", r.ID, where, StartUsage)
	}
	lines := []string{fmt.Sprintf("*Round %d* of the %s in %s was revealed %s. Team: *%s*.", r.ID, in.Name, where, Day(*r.RevealedAt), rv.Comparison.TeamTier)}
	for _, g := range append(append([]report.Gap(nil), rv.TopGaps...), rv.FixIt...) {
		q := g.Result.Question
		line := fmt.Sprintf("• %s · %s: ", q.ID, q.Topic)
		if g.FixIt {
			line = fmt.Sprintf("• %s · %s (fix-it): ", q.ID, q.Topic)
		}
		if a := g.Action; a != nil {
			line += fmt.Sprintf("%s, _%s_, due %s, %s", Mention(a.OwnerID), Inert(a.Description, maxActionText), Day(a.DueAt), StatusLabel(a.Status))
		} else if !g.FixIt {
			line += "no owner yet: `/alignment assign " + q.ID + " @owner <action>`"
		} else {
			continue
		}
		lines = append(lines, line)
	}
	if len(rv.TopGaps) == 0 {
		lines = append(lines, "No gaps to own.")
	}
	if r.State == storage.Closed {
		lines = append(lines, "All actions on the top gaps are done; the round is closed.")
	}
	if r.NextRoundAt != nil {
		lines = append(lines, fmt.Sprintf("Next round booked for %s.", Day(*r.NextRoundAt)))
	}
	return Clip(strings.Join(lines, "\n"), maxSection)
}

// NoRounds is what status and history say about a channel without rounds.
func NoRounds(channelID string) string {
	return fmt.Sprintf("No alignment rounds in %s yet. Start one with %s.", ChannelRef(channelID), StartUsage)
}

// History is /alignment history: the channel's rounds, newest first, each
// instrument's rounds together, since only rounds of the same instrument
// compare.
func History(channelID string, rows []report.HistoryRow) string {
	if len(rows) == 0 {
		return NoRounds(channelID)
	}
	byInstrument := map[string][]string{}
	var order []string
	for _, row := range rows {
		r := row.Round
		line := fmt.Sprintf("• Round %d, started %s: ", r.ID, Day(r.CreatedAt))
		switch {
		case r.State == storage.Collecting:
			line += "collecting answers"
		case r.State == storage.Cancelled:
			line += "cancelled"
		case row.Reveal != nil:
			rv := row.Reveal
			var totals []string
			for _, res := range rv.Comparison.Respondents {
				totals = append(totals, fmt.Sprintf("%s %d", rv.Instrument.RoleShort(res.Role), res.Total))
			}
			done := 0
			for _, a := range rv.Actions {
				if a.Status == storage.ActionDone {
					done++
				}
			}
			line += fmt.Sprintf("team *%s* (%s), %s, %d of %d actions done", rv.Comparison.TeamTier, strings.Join(totals, ", "),
				plural(rv.Comparison.StructuralGaps, "structural gap"), done, len(rv.Actions))
			if row.Measured {
				line += fmt.Sprintf("; owned gaps closed by the next round: *%d of %d*", row.Closed, row.Owned)
			}
		}
		if _, seen := byInstrument[r.Instrument]; !seen {
			order = append(order, r.Instrument)
		}
		byInstrument[r.Instrument] = append(byInstrument[r.Instrument], line)
	}
	lines := []string{fmt.Sprintf("*Alignment rounds in %s*, newest first:", ChannelRef(channelID))}
	for _, id := range order {
		name := id
		if in, ok := scoring.Lookup(id); ok {
			name = in.Name
		}
		lines = append(lines, "_"+name+"_")
		lines = append(lines, byInstrument[id]...)
	}
	return Clip(strings.Join(lines, "\n"), maxSection)
}

// Pending is what waits for a person, for the DM tab and the App Home.
type Pending struct {
	Questionnaires []PendingQuestionnaire
	Actions        []PendingAction
}

// PendingQuestionnaire is a questionnaire a person has not submitted.
type PendingQuestionnaire struct {
	Instrument *scoring.Instrument
	Round      storage.Round
	Respondent storage.Respondent
	// URL opens the questionnaire's message, "" when unknown.
	URL string
}

// PendingAction is an action a person owns that is not done.
type PendingAction struct {
	Instrument *scoring.Instrument
	Round      storage.Round
	Action     storage.Action
}

func (p PendingQuestionnaire) line() string {
	in := p.Instrument
	text := fmt.Sprintf("Your questionnaire for %s (round %d, %s): %d of %d answered, due %s.",
		ChannelRef(p.Round.ChannelID), p.Round.ID, in.RoleLabel(p.Respondent.Role), p.Respondent.Answered, len(in.Questions), Date(p.Round.DeadlineAt))
	if p.URL != "" {
		text += " " + link(p.URL, "Open it")
	}
	return text
}

func (p PendingAction) line() string {
	q, _ := p.Instrument.Question(p.Action.QuestionID)
	return fmt.Sprintf("Your action on *%s · %s* (round %d in %s): _%s_, due %s, %s.", q.ID, q.Topic, p.Round.ID,
		ChannelRef(p.Round.ChannelID), Inert(p.Action.Description, maxActionText), Day(p.Action.DueAt), StatusLabel(p.Action.Status))
}

// DMReply answers what a person typed in alignbot's Messages tab: what is
// waiting for them, and where the commands are.
func DMReply(p Pending) Message {
	var lines []string
	for _, q := range p.Questionnaires {
		lines = append(lines, "• "+q.line())
	}
	for _, a := range p.Actions {
		lines = append(lines, "• "+a.line())
	}
	text := "Hi! I only understand buttons and `/alignment` commands, but here is what is waiting for you:\n" + strings.Join(lines, "\n")
	if len(lines) == 0 {
		text = "Hi! Nothing is waiting for you right now: no questionnaire to answer, no action to report on."
	}
	text += "\nType `/alignment help` in a channel for the commands; the Home tab here shows your rounds and actions."
	return Note(Clip(text, maxSection))
}
