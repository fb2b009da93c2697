package storage_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/alignbot/alignbot/storage"
)

// TestQueueStats: pending jobs count by kind, and the oldest due one is the
// one that is due, not running and not waiting for another job; a claim
// tells how late the job it claims is.
func TestQueueStats(t *testing.T) {
	s := newStorage(t)
	ctx := context.Background()
	if _, err := s.Enqueue(ctx,
		storage.NewJob{Key: "post-1", Kind: "post", RunAt: t0.Add(-10 * time.Minute)},
		storage.NewJob{Key: "post-2", Kind: "post", RunAt: t0.Add(-time.Minute)},
		storage.NewJob{Key: "post-3", Kind: "post", RunAt: t0.Add(time.Hour)},
		storage.NewJob{Key: "thread", Kind: "thread", RunAt: t0.Add(-time.Hour), After: "post-3"},
		storage.NewJob{Key: "nudge", Kind: "nudge", RunAt: t0.Add(-2 * time.Minute)},
	); err != nil {
		t.Fatal(err)
	}
	claimed, err := s.ClaimJobs(ctx, "w1", t0, time.Minute, 1)
	if err != nil || len(claimed) != 1 || claimed[0].Key != "post-1" {
		t.Fatalf("claim: %+v %v", claimed, err)
	}
	if got := claimed[0].DueAt; !got.Equal(t0.Add(-10 * time.Minute)) {
		t.Errorf("claimed job due at %v, want %v", got, t0.Add(-10*time.Minute))
	}
	stats, err := s.QueueStats(ctx, t0)
	if err != nil {
		t.Fatal(err)
	}
	want := []storage.QueueStat{
		{Kind: "nudge", Pending: 1, OldestDue: 2 * time.Minute},
		// post-1 runs; post-2 is the oldest waiting.
		{Kind: "post", Pending: 3, OldestDue: time.Minute},
		// Due, but waiting for post-3.
		{Kind: "thread", Pending: 1},
	}
	if diff := cmp.Diff(want, stats); diff != "" {
		t.Errorf("queue stats (-want +got):\n%s", diff)
	}
}

func TestRoundCounts(t *testing.T) {
	s := newStorage(t)
	ctx := context.Background()
	for _, ch := range []string{"C1", "C2"} {
		if _, err := start(s, storage.NewRound{WorkspaceID: "T1", ChannelID: ch, Instrument: "alignment-maturity",
			FacilitatorID: "UF", DeadlineAt: t0.Add(time.Hour), CreatedAt: t0}); err != nil {
			t.Fatal(err)
		}
	}
	counts, err := s.RoundCounts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[storage.RoundState]int{storage.Collecting: 2}, counts); diff != "" {
		t.Errorf("round counts (-want +got):\n%s", diff)
	}
}
