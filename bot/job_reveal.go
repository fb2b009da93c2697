package bot

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/slack-go/slack"

	"github.com/alignbot/alignbot/bot/render"
	"github.com/alignbot/alignbot/internal/chart"
	"github.com/alignbot/alignbot/internal/locale"
	"github.com/alignbot/alignbot/internal/outbox"
	"github.com/alignbot/alignbot/internal/report"
	"github.com/alignbot/alignbot/internal/slackapi"
	"github.com/alignbot/alignbot/storage"
)

// The reveal: its channel message, the chart and the detail in its thread,
// in-place updates when the gaps change, and the notes that tell the thread
// about each change.

// runReveal posts the reveal, as the database has it when it is posted,
// and books the next round. It takes the reveal's turn (see sendLive), so
// an update after a gap changed waits for the post.
func (b *Bot) runReveal(ctx context.Context, j storage.Job) (any, error) {
	roundID := roundOf(j)
	var posted string
	outcome, err := b.sendLive(ctx, revealKey(roundID), liveOpts{force: true,
		send: func(ctx context.Context, turn storage.LiveSend, st liveState) error {
			if st.TS != "" {
				posted = st.TS
				if !turn.Behind() {
					return nil
				}
				return b.updateLive(ctx, turn, st)
			}
			if st.Channel == "" {
				return report.ErrNotRevealedYet
			}
			// The team waits for it: it goes ahead of its own thread and of
			// other rounds' (Slack's posting budget is the workspace's).
			_, ts, found, err := b.postOnceFound(slackapi.Interactive(ctx), j, st.Channel, "", st.Msg)
			if err != nil {
				return err
			}
			if err := b.revealPosted(ctx, roundID, ts); err != nil {
				return err
			}
			posted = ts
			if found {
				st.TS = ts
				return b.updateLive(ctx, turn, st)
			}
			return nil
		}})
	if errors.Is(err, report.ErrNotRevealedYet) {
		return nil, outbox.Drop("the round is not revealed")
	}
	if err != nil {
		return nil, err
	}
	round, err := b.store.Round(ctx, roundID)
	if err != nil {
		return nil, err
	}
	if round.RevealTS == "" {
		if outcome == liveBusy {
			return nil, outbox.Again()
		}
		return nil, outbox.Drop("the round is gone")
	}
	if posted != "" {
		b.log.Info("round revealed", slog.Int64("round_id", roundID), slog.String("channel_id", round.ChannelID))
	}
	return postResult{Channel: round.ChannelID, TS: round.RevealTS}, nil
}

// revealPosted records the reveal's ts and books the next round's
// reminders.
func (b *Bot) revealPosted(ctx context.Context, roundID int64, ts string) error {
	now := b.clock.Now()
	return b.store.Transact(ctx, func(tx *storage.Storage) error {
		if _, err := tx.SetRevealTS(ctx, roundID, ts); err != nil {
			return err
		}
		round, err := tx.Round(ctx, roundID)
		if err != nil {
			return err
		}
		if round.RevealedAt == nil {
			return fmt.Errorf("reveal of round %d: %w", roundID, report.ErrNotRevealedYet)
		}
		// Each questionnaire links to the reveal now that it has a ts (the
		// jobs that update them wait for this one).
		respondents, err := tx.Respondents(ctx, roundID)
		if err != nil {
			return err
		}
		var cards []string
		for _, r := range respondents {
			cards = append(cards, cardKey(roundID, r.Role))
		}
		if err := tx.TouchLive(ctx, cards...); err != nil {
			return err
		}
		next := round.RevealedAt.Add(b.cfg.RerunAfter)
		if err := tx.SetNextRoundAt(ctx, roundID, next); err != nil {
			return err
		}
		jobs := []storage.NewJob{newJob(jobRerun, roundID, jobPayload{Step: "day"}, next)}
		if weekBefore := next.Add(-7 * 24 * time.Hour); weekBefore.After(now) {
			jobs = append(jobs, newJob(jobRerun, roundID, jobPayload{Step: "week"}, weekBefore))
		}
		_, err = tx.Enqueue(ctx, jobs...)
		return err
	})
}

// chartProgress is what the chart job records between its steps, so that a
// retry after a crash shares the file it uploaded instead of a second one.
type chartProgress struct {
	FileID string `json:"file_id"`
}

// runChart uploads the reveal's chart into its thread with Slack's file flow
// (an upload URL, the bytes, then completing the upload into the thread).
// The file's ID is recorded before it is shared; a retry that finds it
// shared stops there.
func (b *Bot) runChart(ctx context.Context, j storage.Job) (any, error) {
	rv, err := report.Load(ctx, b.store, roundOf(j))
	if err != nil {
		return nil, err
	}
	if rv.Round.RevealTS == "" {
		return nil, outbox.Drop("the reveal was not posted")
	}
	if rv.Round.ChartFileID != "" {
		return chartProgress{FileID: rv.Round.ChartFileID}, nil
	}
	png, err := chart.PNG(render.ChartInput(rv))
	if err != nil {
		return nil, outbox.Drop("drawing the chart failed: " + err.Error())
	}
	if j.Retried() {
		if id, found, err := b.findChart(ctx, j, rv); err != nil {
			return nil, err
		} else if found {
			return chartProgress{FileID: id}, b.store.SetChartFile(ctx, rv.Round.ID, id)
		}
	}
	name := fmt.Sprintf("alignment-round-%d.png", rv.Round.ID)
	t := locale.For(render.RoundLang(rv.Round))
	up, err := b.api.GetUploadURLExternalContext(ctx, slack.GetUploadURLExternalParameters{
		FileName: name, FileSize: len(png), AltTxt: chartAltText(t, rv)})
	if err != nil {
		return nil, fmt.Errorf("chart: upload url: %w", err)
	}
	// Remember the file before sharing it: a retry looks for it.
	if err := b.rememberChartFile(ctx, j, up.FileID); err != nil {
		return nil, err
	}
	if err := b.api.UploadToURL(ctx, slack.UploadToURLParameters{UploadURL: up.UploadURL, Reader: bytes.NewReader(png), Filename: name}); err != nil {
		return nil, fmt.Errorf("chart: upload: %w", err)
	}
	_, err = b.api.CompleteUploadExternalContext(ctx, slack.CompleteUploadExternalParameters{
		Files:           []slack.FileSummary{{ID: up.FileID, Title: t.T("chart.file_title", "Round", rv.Round.ID)}},
		Channel:         rv.Round.ChannelID,
		ThreadTimestamp: rv.Round.RevealTS,
		InitialComment:  t.T("chart.comment"),
	})
	if err != nil {
		return nil, heldOn(rv.Round.ChannelID, fmt.Errorf("chart: share: %w", err))
	}
	if err := b.store.SetChartFile(ctx, rv.Round.ID, up.FileID); err != nil {
		return nil, err
	}
	return chartProgress{FileID: up.FileID}, nil
}

// chartAltText describes the chart for screen readers, in the round's
// language.
func chartAltText(t *locale.Printer, rv report.Reveal) string {
	var gaps []string
	for _, q := range rv.Comparison.Questions {
		if q.LeadGap >= rv.Instrument.StructuralGap() {
			gaps = append(gaps, q.Question.ID)
		}
	}
	none := t.T("reveal.none")
	if len(gaps) > 0 {
		none = t.JoinAnd(gaps)
	}
	return render.Clip(t.T("chart.alt", "Round", rv.Round.ID, "Gaps", none), 1000)
}

// rememberChartFile records, on the job, the file a chart upload created.
func (b *Bot) rememberChartFile(ctx context.Context, j storage.Job, fileID string) error {
	_, err := b.store.DB().ExecContext(ctx, `UPDATE jobs SET result = $2 WHERE id = $1`, j.ID, marshal(chartProgress{FileID: fileID}))
	if err != nil {
		return fmt.Errorf("remember chart file: %w", err)
	}
	return nil
}

// findChart looks in the reveal's thread for the file an earlier attempt
// shared.
func (b *Bot) findChart(ctx context.Context, j storage.Job, rv report.Reveal) (string, bool, error) {
	var earlier chartProgress
	unmarshal(string(j.Result), &earlier)
	if earlier.FileID == "" {
		return "", false, nil
	}
	msgs, _, _, err := b.api.GetConversationRepliesContext(ctx, &slack.GetConversationRepliesParameters{
		ChannelID: rv.Round.ChannelID, Timestamp: rv.Round.RevealTS, Limit: 200})
	if err != nil {
		return "", false, fmt.Errorf("chart: look for an earlier upload: %w", err)
	}
	for _, m := range msgs {
		if slices.ContainsFunc(m.Files, func(f slack.File) bool { return f.ID == earlier.FileID }) {
			return earlier.FileID, true, nil
		}
	}
	return "", false, nil
}

// runRevealPart posts the Nth part of the reveal's detail in its thread, then
// enqueues the next, so the parts keep their order.
func (b *Bot) runRevealPart(ctx context.Context, j storage.Job) (any, error) {
	p, err := payload(j)
	if err != nil {
		return nil, err
	}
	rv, err := report.Load(ctx, b.store, roundOf(j))
	if err != nil {
		return nil, err
	}
	if rv.Round.RevealTS == "" {
		return nil, outbox.Drop("the reveal was not posted")
	}
	parts := render.RenderRevealThread(rv)
	if p.N < 1 || p.N > len(parts) {
		return nil, outbox.Drop("no such part")
	}
	ch, ts, err := b.postOnce(ctx, j, rv.Round.ChannelID, rv.Round.RevealTS, parts[p.N-1])
	if err != nil {
		return nil, err
	}
	if p.N < len(parts) {
		next := newJob(jobRevealPart, rv.Round.ID, jobPayload{N: p.N + 1}, b.clock.Now())
		next.After = j.Key
		if _, err := b.store.Enqueue(ctx, next); err != nil {
			return nil, err
		}
	}
	return postResult{Channel: ch, TS: ts}, nil
}

// runRevealUpdate brings the reveal up to date after its gaps changed; a
// burst of changes costs one chat.update.
func (b *Bot) runRevealUpdate(ctx context.Context, j storage.Job) (any, error) {
	return nil, b.runLive(ctx, revealKey(roundOf(j)))
}

// runNote posts a change (an owner named, an action done) in the reveal's
// thread, where the team follows its gaps.
func (b *Bot) runNote(ctx context.Context, j storage.Job) (any, error) {
	p, err := payload(j)
	if err != nil {
		return nil, err
	}
	round, err := b.store.Round(ctx, roundOf(j))
	if err != nil {
		return nil, err
	}
	if round.RevealTS == "" {
		return nil, outbox.Drop("the reveal was not posted")
	}
	ch, ts, err := b.postOnce(ctx, j, round.ChannelID, round.RevealTS, render.Note(p.Text))
	if err != nil {
		return nil, err
	}
	return postResult{Channel: ch, TS: ts}, nil
}
