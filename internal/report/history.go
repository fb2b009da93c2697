package report

import (
	"context"

	"github.com/alignbot/alignbot/storage"
)

// HistoryRow is one of a team's rounds as /alignment history and the App
// Home list them.
type HistoryRow struct {
	Round storage.Round
	// Reveal is set for a revealed round.
	Reveal *Reveal
	// Owned counts the round's actions. Closed counts those whose gap the
	// team's next round of the same instrument found closed; Measured is
	// set once there is such a round.
	Owned, Closed int
	Measured      bool
}

// History returns a team's latest rounds, newest first, at most limit.
func History(ctx context.Context, store *storage.Storage, workspaceID, channelID string, limit int) ([]HistoryRow, error) {
	rounds, err := store.Rounds(ctx, workspaceID, channelID, limit)
	if err != nil {
		return nil, err
	}
	rows := make([]HistoryRow, len(rounds))
	byID := map[int64]*HistoryRow{}
	for i, r := range rounds {
		rows[i] = HistoryRow{Round: r}
		byID[r.ID] = &rows[i]
		if !r.IsRevealed() {
			continue
		}
		rv, err := LoadBrief(ctx, store, r.ID)
		if err != nil {
			return nil, err
		}
		rows[i].Reveal = &rv
		rows[i].Owned = len(rv.Actions)
	}
	// A round's owned gaps are judged by the next round that compares with
	// it.
	for _, row := range rows {
		if row.Reveal == nil || row.Round.PreviousRoundID == nil {
			continue
		}
		prev, ok := byID[*row.Round.PreviousRoundID]
		if !ok || prev.Reveal == nil {
			continue
		}
		prev.Closed = Compare(*prev.Reveal, *row.Reveal).Closed()
		prev.Measured = true
	}
	return rows, nil
}
