package render

import (
	"fmt"
	"strings"

	"github.com/slack-go/slack"

	"github.com/alignbot/alignbot/internal/report"
	"github.com/alignbot/alignbot/storage"
)

// Home is one person's App Home: what waits for them, the rounds they
// started, and their channels' rounds over time. Before a round's reveal it
// shows who has submitted, never what anyone answered.
type Home struct {
	Pending Pending
	// Started are collecting rounds the person started.
	Started []RoundStatus
	// Channels are the person's channels' histories, one per channel.
	Channels []ChannelHistory
}

// ChannelHistory is one channel's rounds, newest first.
type ChannelHistory struct {
	ChannelID string
	Rows      []report.HistoryRow
}

// RenderHome is the App Home view.
func RenderHome(h Home) slack.HomeTabViewRequest {
	blocks := []slack.Block{
		header("Marketing-Sales alignment"),
		sectionWith("about", "Run the diagnostic with your marketing and sales leads: each answers on their own, nobody sees anything until all are in, "+
			"then the comparison goes to the team's channel.", primary(button(ActionStartForm, "home", "Start a round"))),
	}
	blocks = append(blocks, divider(), section("waiting_title", "*Waiting for you*"))
	if len(h.Pending.Questionnaires) == 0 && len(h.Pending.Actions) == 0 {
		blocks = append(blocks, contextBlock("waiting_none", "Nothing: no questionnaire to answer, no action to report on."))
	}
	for _, q := range h.Pending.Questionnaires {
		id := fmt.Sprintf("q:%d", q.Round.ID)
		text := fmt.Sprintf("Your questionnaire for %s (round %d, %s): %d of %d answered, due %s.", ChannelRef(q.Round.ChannelID), q.Round.ID,
			q.Instrument.RoleLabel(q.Respondent.Role), q.Respondent.Answered, len(q.Instrument.Questions), Date(q.Round.DeadlineAt))
		if q.URL != "" {
			blocks = append(blocks, sectionWith(id, text, primary(linkButton(ActionLink, "Open my questionnaire", q.URL))))
		} else {
			blocks = append(blocks, section(id, text+" It's in your DMs with me."))
		}
	}
	for _, a := range h.Pending.Actions {
		blocks = append(blocks, section(fmt.Sprintf("a:%d:%s", a.Round.ID, a.Action.QuestionID), a.line()))
		blocks = append(blocks, StatusButtons(a.Round.ID, a.Action)...)
	}
	if len(h.Started) > 0 {
		blocks = append(blocks, divider(), section("started_title", "*Rounds you started*"))
		for _, s := range h.Started {
			var progress []string
			for _, p := range s.Respondents {
				progress = append(progress, fmt.Sprintf("%s %s %s", s.Instrument.RoleLabel(p.Role), Mention(p.UserID), Progress(p)))
			}
			blocks = append(blocks, section(fmt.Sprintf("s:%d", s.Round.ID), fmt.Sprintf("Round %d in %s, due %s: %s",
				s.Round.ID, ChannelRef(s.Round.ChannelID), Date(s.Round.DeadlineAt), strings.Join(progress, " · "))))
		}
	}
	if len(h.Channels) > 0 {
		blocks = append(blocks, divider(), section("channels_title", "*Your channels' rounds, over time*"))
		for _, ch := range h.Channels {
			blocks = append(blocks, section("h:"+ch.ChannelID, channelTrend(ch)))
		}
	}
	return slack.HomeTabViewRequest{Type: slack.VTHomeTab,
		Blocks: slack.Blocks{BlockSet: capBlocks(blocks, MaxViewBlocks, "More rounds than fit here: `/alignment history` in the channel lists them all.")}}
}

// channelTrend lists a channel's revealed rounds oldest first: the team tier
// over time.
func channelTrend(ch ChannelHistory) string {
	var steps []string
	for i := len(ch.Rows) - 1; i >= 0; i-- {
		row := ch.Rows[i]
		switch {
		case row.Reveal != nil:
			steps = append(steps, fmt.Sprintf("round %d %s", row.Round.ID, row.Reveal.Comparison.TeamTier))
		case row.Round.State == storage.Collecting:
			steps = append(steps, fmt.Sprintf("round %d collecting", row.Round.ID))
		}
	}
	if len(steps) == 0 {
		return fmt.Sprintf("%s: no revealed round yet.", ChannelRef(ch.ChannelID))
	}
	return fmt.Sprintf("%s: %s", ChannelRef(ch.ChannelID), strings.Join(steps, " → "))
}
