package render

import (
	"fmt"
	"strings"

	"github.com/slack-go/slack"

	"github.com/alignbot/alignbot/internal/locale"
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
	// Lang is the person's language.
	Lang locale.Lang
}

// ChannelHistory is one channel's rounds, newest first.
type ChannelHistory struct {
	ChannelID string
	Rows      []report.HistoryRow
}

// RenderHome is the App Home view.
func RenderHome(h Home) slack.HomeTabViewRequest {
	p := locale.For(h.Lang)
	blocks := []slack.Block{
		header(p.T("home.title")),
		sectionWith("about", p.T("home.about"), primary(button(ActionStartForm, "home", p.T("home.start")))),
	}
	blocks = append(blocks, divider(), section("waiting_title", p.T("home.waiting")))
	if len(h.Pending.Questionnaires) == 0 && len(h.Pending.Actions) == 0 {
		blocks = append(blocks, contextBlock("waiting_none", p.T("home.waiting_none")))
	}
	for _, q := range h.Pending.Questionnaires {
		id := fmt.Sprintf("q:%d", q.Round.ID)
		text := q.text(h.Lang)
		if q.URL != "" {
			blocks = append(blocks, sectionWith(id, text, primary(linkButton(ActionLink, p.T("home.open_questionnaire"), q.URL))))
		} else {
			blocks = append(blocks, section(id, text+" "+p.T("home.in_dms")))
		}
	}
	for _, a := range h.Pending.Actions {
		blocks = append(blocks, section(fmt.Sprintf("a:%d:%s", a.Round.ID, a.Action.QuestionID), a.line(h.Lang)))
		blocks = append(blocks, StatusButtons(h.Lang, a.Round.ID, a.Action)...)
	}
	if len(h.Started) > 0 {
		blocks = append(blocks, divider(), section("started_title", p.T("home.started")))
		for _, rs := range h.Started {
			s := speak(h.Lang, rs.Instrument)
			blocks = append(blocks, section(fmt.Sprintf("s:%d", rs.Round.ID), p.T("home.started_round", "Round", rs.Round.ID,
				"Channel", ChannelRef(rs.Round.ChannelID), "Due", s.date(rs.Round.DeadlineAt), "Progress", strings.Join(rs.progressLines(s), " · "))))
		}
	}
	if len(h.Channels) > 0 {
		blocks = append(blocks, divider(), section("channels_title", p.T("home.channels")))
		for _, ch := range h.Channels {
			blocks = append(blocks, section("h:"+ch.ChannelID, channelTrend(h.Lang, ch)))
		}
	}
	return slack.HomeTabViewRequest{Type: slack.VTHomeTab,
		Blocks: slack.Blocks{BlockSet: capBlocks(blocks, MaxViewBlocks, p.T("home.more"))}}
}

// channelTrend lists a channel's revealed rounds oldest first: the team tier
// over time.
func channelTrend(l locale.Lang, ch ChannelHistory) string {
	p := locale.For(l)
	var steps []string
	for i := len(ch.Rows) - 1; i >= 0; i-- {
		row := ch.Rows[i]
		switch {
		case row.Reveal != nil:
			s := speak(l, row.Reveal.Instrument)
			steps = append(steps, p.T("home.trend_round", "Round", row.Round.ID, "Tier", s.tierName(row.Reveal.Comparison.TeamTier)))
		case row.Round.State == storage.Collecting:
			steps = append(steps, p.T("home.trend_collecting", "Round", row.Round.ID))
		}
	}
	if len(steps) == 0 {
		return p.T("home.trend_none", "Channel", ChannelRef(ch.ChannelID))
	}
	return fmt.Sprintf("%s: %s", ChannelRef(ch.ChannelID), strings.Join(steps, " → "))
}
