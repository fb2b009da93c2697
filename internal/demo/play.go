package demo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/alignbot/alignbot/bot/render"
	"github.com/alignbot/alignbot/internal/slackfake"
	"github.com/alignbot/alignbot/storage"
)

// "Play the others" answers for the respondents who have not submitted, so
// that one person sees a whole reveal alone. It clicks the questionnaire's
// real buttons through the fake Slack, one question at a time, as the
// person would, and waits for the card to show each answer; it never
// writes to the database.

// pattern is a way of answering, by question (repeated for instruments
// with more questions).
type pattern struct {
	id, label string
	scores    []int
}

var patterns = []pattern{
	{"mixed", "Mixed: some practices in place", []int{1, 0, 2, 1, 1, 0, 0, 1, 1, 2}},
	{"optimist", "Optimistic: mostly 2s", []int{2, 2, 1, 2, 2, 2, 1, 2, 2, 2}},
	{"sceptic", "Sceptical: mostly 0s", []int{0, 1, 0, 1, 0, 0, 0, 1, 0, 1}},
}

func patternByID(id string) (pattern, bool) {
	for _, p := range patterns {
		if p.id == id {
			return p, true
		}
	}
	return pattern{}, false
}

// score is the pattern's answer to question number n (1-based).
func (p pattern) score(n int) int { return p.scores[(n-1)%len(p.scores)] }

// playTimeout bounds answering for one respondent.
const playTimeout = 2 * time.Minute

// startPlay answers, in the background, for every pending respondent of
// the collecting round other than the person asking.
func (d *Demo) startPlay(ctx context.Context, asker string, p pattern) error {
	round, err := d.store.CollectingRound(ctx, teamID, channelID)
	if errors.Is(err, storage.ErrNotFound) {
		return errors.New("no round is collecting answers: start one first")
	}
	if err != nil {
		return err
	}
	respondents, err := d.store.Respondents(ctx, round.ID)
	if err != nil {
		return err
	}
	var users []string
	for _, r := range respondents {
		if r.Pending() && r.UserID != asker {
			users = append(users, r.UserID)
		}
	}
	if len(users) == 0 {
		return errors.New("nobody else has answers to give")
	}
	d.mu.Lock()
	for _, u := range users {
		if _, busy := d.plays[u]; busy {
			d.mu.Unlock()
			return fmt.Errorf("the demo is already answering for %s", who(u))
		}
	}
	for _, u := range users {
		d.plays[u] = "waiting"
	}
	delete(d.notice, asker)
	d.mu.Unlock()
	d.notify()
	go func() {
		for _, u := range users {
			err := d.answerFor(context.WithoutCancel(ctx), round.ID, u, p)
			d.mu.Lock()
			delete(d.plays, u)
			if err != nil {
				d.notice[asker] = fmt.Sprintf("The demo could not finish answering for %s: %v", who(u), err)
			}
			d.mu.Unlock()
			d.notify()
			if err != nil {
				d.log.Warn("playing the others failed", "user_id", u, "error", err)
				for _, rest := range users {
					d.mu.Lock()
					delete(d.plays, rest)
					d.mu.Unlock()
				}
				return
			}
		}
	}()
	return nil
}

// playStatus says how far the demo is answering for any of others.
func (d *Demo) playStatus(others []storage.Respondent) string {
	d.mu.Lock()
	defer d.mu.Unlock()
	var parts []string
	for _, r := range others {
		if s, ok := d.plays[r.UserID]; ok {
			parts = append(parts, who(r.UserID)+": "+s)
		}
	}
	return strings.Join(parts, " · ")
}

func (d *Demo) setPlay(userID, status string) {
	d.mu.Lock()
	d.plays[userID] = status
	d.mu.Unlock()
	d.notify()
}

// answerFor answers a respondent's questionnaire with the pattern and
// submits it.
func (d *Demo) answerFor(ctx context.Context, roundID int64, userID string, p pattern) error {
	ctx, cancel := context.WithTimeout(ctx, playTimeout)
	defer cancel()
	for {
		r, err := d.store.RespondentByUser(ctx, roundID, userID)
		if err != nil {
			return err
		}
		if !r.Pending() {
			return nil
		}
		if r.QuestionnaireTS == "" {
			// The questionnaire is still on its way.
			if err := d.waitChange(ctx); err != nil {
				return fmt.Errorf("no questionnaire arrived: %w", err)
			}
			continue
		}
		msg, ok := d.fake.Message(r.DMChannelID, r.QuestionnaireTS)
		if !ok {
			return fmt.Errorf("questionnaire %s is gone", r.QuestionnaireTS)
		}
		block, action, label, err := nextClick(msg, p)
		if err != nil {
			return err
		}
		d.setPlay(userID, label)
		if _, err := d.fake.ClickAction(userID, msg, block, action); err != nil {
			return err
		}
		// The card is redrawn on every click.
		wait, stop := context.WithTimeout(ctx, 20*time.Second)
		_, err = d.fake.WaitRevision(wait, msg.Channel, msg.TS, len(msg.Revisions)+1)
		stop()
		if err != nil && ctx.Err() != nil {
			return fmt.Errorf("the questionnaire did not change after %s", label)
		}
	}
}

// nextClick finds what to click next on a questionnaire: the open
// question's score, or Submit once every question is answered.
func nextClick(msg slackfake.Message, p pattern) (block, action, label string, err error) {
	var blocks []node
	if err := json.Unmarshal(msg.Blocks, &blocks); err != nil {
		return "", "", "", err
	}
	submit := ""
	for _, b := range blocks {
		id := sget(b, "block_id")
		if strings.HasPrefix(id, render.BlockAnswerPrefix) && sget(b, "type") == "actions" {
			q := id[strings.LastIndexByte(id, ':')+1:]
			n, _ := strconv.Atoi(strings.TrimPrefix(q, "Q"))
			score := p.score(max(n, 1))
			return id, render.ScoreAction(render.ActionAnswer, score), fmt.Sprintf("answering %s", q), nil
		}
		for _, el := range append(lget(b, "elements"), oget(b, "accessory")) {
			if sget(el, "action_id") == render.ActionSubmit {
				submit = id
			}
		}
	}
	if submit != "" {
		return submit, render.ActionSubmit, "submitting", nil
	}
	return "", "", "", errors.New("the questionnaire shows neither a question to answer nor Submit")
}

// waitChange waits for the fake Slack to change, or a moment for changes
// only the database sees.
func (d *Demo) waitChange(ctx context.Context) error {
	t := time.NewTimer(200 * time.Millisecond)
	defer t.Stop()
	select {
	case <-d.fake.Changed():
	case <-t.C:
	case <-ctx.Done():
		return ctx.Err()
	}
	return nil
}
