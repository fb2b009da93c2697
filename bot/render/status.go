package render

import (
	"fmt"
	"strings"

	"github.com/alignbot/alignbot/internal/locale"
	"github.com/alignbot/alignbot/internal/report"
	"github.com/alignbot/alignbot/scoring"
	"github.com/alignbot/alignbot/storage"
)

// StartUsage is how a round is started, in l: the command's words stay, the
// placeholders read in the language.
func StartUsage(l locale.Lang) string { return locale.For(l).T("usage.start") }

// Help is /alignment help in l: every subcommand and instrument.
func Help(l locale.Lang) string {
	p := locale.For(l)
	var ins []string
	for _, base := range scoring.Instruments {
		in := p.Instrument(base)
		ins = append(ins, p.T("help.instrument", "ID", "`"+in.ID+"`", "Name", in.Name, "Questions", p.N("questionnaire.questions", len(in.Questions))))
	}
	var langs []string
	for _, lang := range locale.Langs {
		langs = append(langs, fmt.Sprintf("`lang:%s` %s", lang, lang.Name()))
	}
	return p.T("help.text", "Usage", StartUsage(l), "Instruments", p.JoinAnd(ins), "Languages", strings.Join(langs, ", "))
}

// Status is /alignment status for a channel's latest round, in the reader's
// language rs.Lang.
func Status(rs RoundStatus, rv *report.Reveal) string {
	r := rs.Round
	s := speak(rs.Lang, rs.Instrument)
	in := s.in
	where := ChannelRef(r.ChannelID)
	switch r.State {
	case storage.Collecting:
		var lines []string
		for _, line := range rs.progressLines(s) {
			lines = append(lines, "• "+line)
		}
		return s.T("status.collecting", "Round", r.ID, "Instrument", in.Name, "Channel", where, "Facilitator", Mention(r.FacilitatorID),
			"Due", s.date(r.DeadlineAt), "Progress", strings.Join(lines, "\n"))
	case storage.Cancelled:
		return s.T("status.cancelled", "Round", r.ID, "Channel", where, "Usage", StartUsage(s.Lang()))
	}
	lines := []string{s.T("status.revealed", "Round", r.ID, "Instrument", in.Name, "Channel", where, "Day", s.day(*r.RevealedAt),
		"Tier", s.tierName(rv.Comparison.TeamTier))}
	for _, g := range append(append([]report.Gap(nil), rv.TopGaps...), rv.FixIt...) {
		q := s.question(g.Result.Question)
		line := fmt.Sprintf("• %s · %s: ", q.ID, q.Topic)
		if g.FixIt {
			line = fmt.Sprintf("• %s · %s %s: ", q.ID, q.Topic, s.T("status.fix_it"))
		}
		if a := g.Action; a != nil {
			line += s.T("status.owned", "Owner", Mention(a.OwnerID), "Action", Inert(a.Description, maxActionText), "Day", s.day(a.DueAt),
				"Status", s.status(a.Status))
		} else if !g.FixIt {
			line += s.T("status.no_owner", "Question", q.ID)
		} else {
			continue
		}
		lines = append(lines, line)
	}
	if len(rv.TopGaps) == 0 {
		lines = append(lines, s.T("status.no_gaps"))
	}
	if r.State == storage.Closed {
		lines = append(lines, s.T("status.closed"))
	}
	if r.NextRoundAt != nil {
		lines = append(lines, s.T("status.next", "Day", s.day(*r.NextRoundAt)))
	}
	return Clip(strings.Join(lines, "\n"), maxSection)
}

// NoRounds is what status and history say, in l, about a channel without
// rounds.
func NoRounds(l locale.Lang, channelID string) string {
	return locale.For(l).T("status.no_rounds", "Channel", ChannelRef(channelID), "Usage", StartUsage(l))
}

// History is /alignment history in l: the channel's rounds, newest first,
// each instrument's rounds together, since only rounds of the same
// instrument compare.
func History(l locale.Lang, channelID string, rows []report.HistoryRow) string {
	if len(rows) == 0 {
		return NoRounds(l, channelID)
	}
	p := locale.For(l)
	byInstrument := map[string][]string{}
	var order []string
	for _, row := range rows {
		r := row.Round
		s := speak(l, nil)
		if row.Reveal != nil {
			s = speak(l, row.Reveal.Instrument)
		}
		line := p.T("history.round", "Round", r.ID, "Day", s.day(r.CreatedAt))
		switch {
		case r.State == storage.Collecting:
			line += p.T("history.collecting")
		case r.State == storage.Cancelled:
			line += p.T("history.cancelled")
		case row.Reveal != nil:
			rv := row.Reveal
			var totals []string
			for _, res := range rv.Comparison.Respondents {
				totals = append(totals, fmt.Sprintf("%s %d", s.short(res.Role), res.Total))
			}
			done := 0
			for _, a := range rv.Actions {
				if a.Status == storage.ActionDone {
					done++
				}
			}
			line += p.T("history.revealed", "Tier", s.tierName(rv.Comparison.TeamTier), "Totals", strings.Join(totals, ", "),
				"Gaps", p.N("reveal.structural_gaps", rv.Comparison.StructuralGaps), "Done", done, "Actions", len(rv.Actions))
			if row.Measured {
				line += p.T("history.closed", "Closed", row.Closed, "Owned", row.Owned)
			}
		}
		if _, seen := byInstrument[r.Instrument]; !seen {
			order = append(order, r.Instrument)
		}
		byInstrument[r.Instrument] = append(byInstrument[r.Instrument], line)
	}
	lines := []string{p.T("history.title", "Channel", ChannelRef(channelID))}
	for _, id := range order {
		name := id
		if in, ok := scoring.Lookup(id); ok {
			name = p.Instrument(in).Name
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
	// Lang is the person's language.
	Lang locale.Lang
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

func (p PendingQuestionnaire) text(l locale.Lang) string {
	s := speak(l, p.Instrument)
	return s.T("pending.questionnaire", "Channel", ChannelRef(p.Round.ChannelID), "Round", p.Round.ID, "Role", s.role(p.Respondent.Role),
		"Answered", p.Respondent.Answered, "Total", len(s.in.Questions), "Due", s.date(p.Round.DeadlineAt))
}

func (p PendingQuestionnaire) line(l locale.Lang) string {
	text := p.text(l)
	if p.URL != "" {
		text += " " + link(p.URL, locale.For(l).T("pending.open_it"))
	}
	return text
}

func (p PendingAction) line(l locale.Lang) string {
	s := speak(l, p.Instrument)
	q := s.questionByID(p.Action.QuestionID)
	return s.T("pending.action", "Question", q.ID, "Topic", q.Topic, "Round", p.Round.ID, "Channel", ChannelRef(p.Round.ChannelID),
		"Action", Inert(p.Action.Description, maxActionText), "Day", s.day(p.Action.DueAt), "Status", s.status(p.Action.Status))
}

// DMReply answers what a person typed in alignbot's Messages tab: what is
// waiting for them, and where the commands are.
func DMReply(p Pending) Message {
	pr := locale.For(p.Lang)
	var lines []string
	for _, q := range p.Questionnaires {
		lines = append(lines, "• "+q.line(p.Lang))
	}
	for _, a := range p.Actions {
		lines = append(lines, "• "+a.line(p.Lang))
	}
	text := pr.T("dm_reply.waiting", "Items", strings.Join(lines, "\n"))
	if len(lines) == 0 {
		text = pr.T("dm_reply.nothing")
	}
	text += "\n" + pr.T("dm_reply.commands")
	return Note(Clip(text, maxSection))
}
