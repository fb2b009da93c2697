package bot

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/slack-go/slack"

	"github.com/alignbot/alignbot/storage"
)

// /alignment status, /alignment history and the App Home: what anyone may
// know. Before a round's reveal that is who takes part and how far they are,
// never a score; a respondent sees their own progress only.

func (b *Bot) statusText(ctx context.Context, workspaceID, channelID string) (string, error) {
	round, err := b.store.LatestRound(ctx, workspaceID, channelID)
	if errors.Is(err, storage.ErrNotFound) {
		return fmt.Sprintf("No alignment rounds in %s yet. Start one with %s.", channelRef(channelID), startUsage), nil
	}
	if err != nil {
		return "", err
	}
	switch round.State {
	case storage.Collecting:
		status, err := b.roundStatus(ctx, round.ID)
		if err != nil {
			return "", err
		}
		var lines []string
		for _, r := range status.Respondents {
			lines = append(lines, fmt.Sprintf("• %s %s %s", r.Role.Label(), mention(r.UserID), respondentProgress(r)))
		}
		return fmt.Sprintf("*Round %d* in %s, started by %s, is collecting answers; due %s.\n%s\nAnswers stay hidden until everyone has submitted.",
			round.ID, channelRef(channelID), mention(round.FacilitatorID), date(round.DeadlineAt), strings.Join(lines, "\n")), nil
	case storage.Cancelled:
		return fmt.Sprintf("Round %d in %s was cancelled. Start a new one with %s.", round.ID, channelRef(channelID), startUsage), nil
	}
	rv, err := loadReveal(ctx, b.store, b.in, round.ID)
	if err != nil {
		return "", err
	}
	lines := []string{fmt.Sprintf("*Round %d* in %s was revealed %s. Team tier: *%s*.", round.ID, channelRef(channelID), dayDate(*round.RevealedAt), rv.Comparison.TeamTier)}
	for _, g := range rv.TopGaps {
		line := fmt.Sprintf("• %s · %s: ", g.Result.Question.ID, g.Result.Question.Topic)
		if a := g.Action; a != nil {
			line += fmt.Sprintf("%s, _%s_, due %s, %s", mention(a.OwnerID), a.Description, dayDate(a.DueAt), statusLabel(a.Status))
		} else {
			line += "no owner yet: `/alignment assign " + g.Result.Question.ID + " @owner <action>`"
		}
		lines = append(lines, line)
	}
	if round.State == storage.Closed {
		lines = append(lines, "All actions are done; the round is closed.")
	}
	if round.NextRoundAt != nil {
		lines = append(lines, fmt.Sprintf("Next round booked for %s.", dayDate(*round.NextRoundAt)))
	}
	return strings.Join(lines, "\n"), nil
}

func (b *Bot) historyText(ctx context.Context, workspaceID, channelID string) (string, error) {
	rounds, err := b.store.Rounds(ctx, workspaceID, channelID, 12)
	if err != nil {
		return "", err
	}
	if len(rounds) == 0 {
		return fmt.Sprintf("No alignment rounds in %s yet. Start one with %s.", channelRef(channelID), startUsage), nil
	}
	lines := []string{fmt.Sprintf("*Alignment rounds in %s*, newest first:", channelRef(channelID))}
	for _, r := range rounds {
		line := fmt.Sprintf("• Round %d, started %s: ", r.ID, dayDate(r.CreatedAt))
		switch r.State {
		case storage.Collecting:
			line += "collecting answers"
		case storage.Cancelled:
			line += "cancelled"
		default:
			rv, err := loadReveal(ctx, b.store, b.in, r.ID)
			if err != nil {
				return "", err
			}
			var tiers []string
			for _, res := range rv.Comparison.Respondents {
				tiers = append(tiers, fmt.Sprintf("%s %d", shortRole(res.Role), res.Total))
			}
			done := 0
			for _, a := range rv.Actions {
				if a.Status == storage.ActionDone {
					done++
				}
			}
			line += fmt.Sprintf("team *%s* (%s), %d structural gap%s, %d of %d actions done",
				rv.Comparison.TeamTier, strings.Join(tiers, ", "), rv.Comparison.StructuralGaps, plural(rv.Comparison.StructuralGaps), done, len(rv.Actions))
		}
		lines = append(lines, line)
	}
	return strings.Join(lines, "\n"), nil
}

// publishHome shows a person their part in alignment rounds: questionnaires
// waiting for them (their own progress), rounds they started, actions they
// own, and revealed results.
func (b *Bot) publishHome(ctx context.Context, workspaceID, userID string) error {
	rounds, err := b.store.UserRounds(ctx, workspaceID, userID, 10)
	if err != nil {
		return err
	}
	blocks := []slack.Block{
		header("Marketing-Sales alignment"),
		section("about", "Your part in alignment rounds. Start one in a channel with "+startUsage+"; `/alignment help` lists everything."),
	}
	if len(rounds) == 0 {
		blocks = append(blocks, section("none", "You're not in any round yet."))
	}
	for _, r := range rounds {
		line, err := b.homeLine(ctx, r, userID)
		if err != nil {
			return err
		}
		blocks = append(blocks, slack.NewDividerBlock(), section(fmt.Sprintf("round:%d", r.ID), line))
		if len(blocks) > 90 {
			break
		}
	}
	_, err = b.api.PublishViewContext(ctx, slack.PublishViewContextRequest{
		UserID: userID,
		View:   slack.HomeTabViewRequest{Type: slack.VTHomeTab, Blocks: slack.Blocks{BlockSet: blocks}},
	})
	if err != nil {
		return fmt.Errorf("publish home: %w", err)
	}
	return nil
}

func (b *Bot) homeLine(ctx context.Context, r storage.Round, userID string) (string, error) {
	head := fmt.Sprintf("*Round %d* in %s", r.ID, channelRef(r.ChannelID))
	switch r.State {
	case storage.Cancelled:
		return head + ": cancelled.", nil
	case storage.Collecting:
		var parts []string
		status, err := b.roundStatus(ctx, r.ID)
		if err != nil {
			return "", err
		}
		for _, p := range status.Respondents {
			if p.UserID == userID && !p.Submitted() {
				parts = append(parts, fmt.Sprintf("Your questionnaire (%s): %d of %d answered, due %s. It's in your DMs with me.",
					p.Role.Label(), p.Answered, len(b.in.Questions), date(r.DeadlineAt)))
			} else if p.UserID == userID {
				parts = append(parts, "You've submitted; your answers stay hidden until everyone has.")
			}
		}
		if r.FacilitatorID == userID {
			var progress []string
			for _, p := range status.Respondents {
				progress = append(progress, fmt.Sprintf("%s %s", p.Role.Label(), respondentProgress(p)))
			}
			parts = append(parts, "You started it: "+strings.Join(progress, " · ")+".")
		}
		return head + ", collecting answers.\n" + strings.Join(parts, "\n"), nil
	}
	rv, err := loadReveal(ctx, b.store, b.in, r.ID)
	if err != nil {
		return "", err
	}
	parts := []string{fmt.Sprintf("%s, revealed: team %s.", head, rv.Comparison.TeamTier)}
	for _, a := range rv.Actions {
		if a.OwnerID == userID {
			parts = append(parts, fmt.Sprintf("You own %s: _%s_, due %s, %s.", a.QuestionID, a.Description, dayDate(a.DueAt), statusLabel(a.Status)))
		}
	}
	return strings.Join(parts, "\n"), nil
}
