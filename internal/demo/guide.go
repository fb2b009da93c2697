package demo

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/alignbot/alignbot/scoring"
	"github.com/alignbot/alignbot/storage"
)

// The guide is one line at the top of the page that says what to do next,
// from the state of the team's latest round. It says who has submitted,
// never what: the same as the channel's announcement shows.

// startCommand is what the facilitator types to start a round.
var startCommand = "/alignment start @maya @sam @rui"

func (d *Demo) guide(ctx context.Context, v view) string {
	line, play := d.guideLine(ctx, v)
	var b strings.Builder
	b.WriteString(`<div class="guide-line"><span class="guide-icon">💡</span><span class="guide-text">` + line + `</span>`)
	if play != "" {
		b.WriteString(play)
	}
	b.WriteString(`</div>`)
	d.mu.Lock()
	notice := d.notice[v.as.ID]
	d.mu.Unlock()
	if notice != "" {
		b.WriteString(`<div class="guide-notice">` + esc(notice) + `</div>`)
	}
	return b.String()
}

func who(userID string) string {
	if p, ok := personByID(userID); ok {
		return p.First
	}
	return userID
}

func (v view) you() string {
	return "You are " + esc(v.as.First) + ", the " + esc(v.as.Role)
}

func (d *Demo) guideLine(ctx context.Context, v view) (string, string) {
	round, err := d.store.LatestRound(ctx, teamID, channelID)
	if errors.Is(err, storage.ErrNotFound) || (err == nil && round.State == storage.Cancelled) {
		cmd := `<code>` + esc(startCommand) + `</code>`
		if v.as.ID == fran {
			where := ""
			if v.c != channelID {
				where = ` in <a href="` + esc(v.href(channelID, "")) + `">#` + channel + `</a>`
			}
			return v.you() + ": type " + cmd + where + " to start a round with Maya, Sam and Rui.", ""
		}
		return v.you() + `. Rounds are started by a facilitator: switch to <a href="/?as=` + fran + `">Fran</a>, or type ` + cmd + " yourself.", ""
	}
	if err != nil {
		return "The demo could not read the round: " + esc(err.Error()), ""
	}
	respondents, err := d.store.Respondents(ctx, round.ID)
	if err != nil {
		return "The demo could not read the round: " + esc(err.Error()), ""
	}
	var me *storage.Respondent
	var pending []storage.Respondent
	for i, r := range respondents {
		if r.UserID == v.as.ID {
			me = &respondents[i]
		}
		if r.Pending() {
			pending = append(pending, r)
		}
	}
	dm := `<a href="` + esc(v.href("dm", "")) + `">your DM with alignbot</a>`
	switch round.State {
	case storage.Collecting:
		if me != nil && me.Pending() {
			if v.c == "dm" {
				return v.you() + ": answer each question with 0, 1 or 2, then press <b>Submit</b>. Nobody sees your answers until everyone has submitted.", ""
			}
			return v.you() + ": your questionnaire is in " + dm + ". Answer the ten questions there.", ""
		}
		var others []storage.Respondent
		for _, r := range pending {
			if r.UserID != v.as.ID {
				others = append(others, r)
			}
		}
		if len(others) == 0 {
			return "Everyone has submitted: the reveal is on its way to #" + channel + ".", ""
		}
		var names []string
		for _, r := range others {
			names = append(names, fmt.Sprintf("%s (%s)", who(r.UserID), roleLabel(r.Role)))
		}
		line := v.you() + ". Waiting for " + esc(join(names)) + ": switch to them under <i>You are</i>, or let the demo answer for them."
		if status := d.playStatus(others); status != "" {
			return line, `<span class="play-status">` + esc(status) + `</span>`
		}
		return line, playForm(others)
	case storage.Revealed, storage.Closed:
		actions, err := d.store.Actions(ctx, round.ID)
		if err != nil {
			return "The demo could not read the round: " + esc(err.Error()), ""
		}
		reveal := `<a href="` + esc(v.href(channelID, round.RevealTS)) + `">the reveal</a>`
		if len(actions) == 0 {
			return "The reveal is in #" + channel + " (" + reveal + "'s thread has the chart and the detail). " +
				v.you() + ": press <b>Assign owner</b> under a gap to give it an owner and a 30-day action.", ""
		}
		var owned []string
		mine := false
		for _, a := range actions {
			owned = append(owned, fmt.Sprintf("%s owns %s", who(a.OwnerID), a.QuestionID))
			mine = mine || a.OwnerID == v.as.ID
		}
		next := " Their action is in their DM with alignbot; switch to them to see it."
		if mine {
			next = " Your action is in " + dm + "."
		}
		if round.State == storage.Closed {
			return esc(join(owned)) + ": every action is done. Jump the clock to <b>Next round</b> to see the team reminded of its next diagnostic.", ""
		}
		return esc(join(owned)) + "." + next + " Jump the clock to the <b>next reminder</b> to see the owner nudged, or to the <b>next round</b> in 90 days.", ""
	}
	return "", ""
}

func roleLabel(r scoring.Role) string {
	switch r {
	case scoring.Marketing:
		return "marketing lead"
	case scoring.Sales:
		return "sales lead"
	case scoring.Observer:
		return "observer"
	}
	return string(r)
}

func join(names []string) string {
	switch len(names) {
	case 0:
		return ""
	case 1:
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}

// playForm is the "play the others" control: a pattern and a button.
func playForm(others []storage.Respondent) string {
	var names []string
	for _, r := range others {
		names = append(names, who(r.UserID))
	}
	var b strings.Builder
	b.WriteString(`<form class="play" data-play><select name="pattern" aria-label="How they answer">`)
	for _, p := range patterns {
		b.WriteString(`<option value="` + esc(p.id) + `">` + esc(p.label) + `</option>`)
	}
	b.WriteString(`</select><button type="submit" class="bk-btn bk-primary">Answer as ` + esc(join(names)) + `</button></form>`)
	return b.String()
}
