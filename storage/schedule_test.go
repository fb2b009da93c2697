package storage_test

import (
	"context"
	"testing"
	"time"

	"github.com/alignbot/alignbot/internal/testdb"
	"github.com/alignbot/alignbot/storage"
)

func TestUpcomingJobsAndBusy(t *testing.T) {
	s := newStorage(t)
	ctx := context.Background()
	r := startRound(t, s, "C1", trio)
	if _, err := s.Enqueue(ctx,
		storage.NewJob{Key: "due", Kind: "post", RoundID: r.ID, RunAt: t0},
		storage.NewJob{Key: "later", Kind: "nudge", RoundID: r.ID, RunAt: t0.Add(48 * time.Hour)},
		storage.NewJob{Key: "soon", Kind: "deadline", RoundID: r.ID, RunAt: t0.Add(time.Hour)},
		storage.NewJob{Key: "waits", Kind: "post", RoundID: r.ID, RunAt: t0, After: "later"},
	); err != nil {
		t.Fatal(err)
	}
	// "due" is due; "waits" is due but waits for a pending job.
	if n, err := s.JobsBusy(ctx, t0); err != nil || n != 1 {
		t.Errorf("JobsBusy before the claim: got %d, %v; want 1", n, err)
	}
	claimed, err := s.ClaimJobs(ctx, "w1", t0, time.Minute, 1)
	if err != nil || len(claimed) != 1 || claimed[0].Key != "due" {
		t.Fatalf("claim: %+v, %v", claimed, err)
	}
	// Running counts as busy, and its lease end is not a due time.
	if n, err := s.JobsBusy(ctx, t0); err != nil || n != 1 {
		t.Errorf("JobsBusy while it runs: got %d, %v; want 1", n, err)
	}
	got, err := s.UpcomingJobs(ctx, t0, 10)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, j := range got {
		keys = append(keys, j.Key)
	}
	if len(keys) != 2 || keys[0] != "soon" || keys[1] != "later" {
		t.Errorf("UpcomingJobs: got %v, want [soon later] (the running job left out)", keys)
	}
	got, err = s.UpcomingJobs(ctx, t0, 10, "nudge")
	if err != nil || len(got) != 1 || got[0].Key != "later" || !got[0].RunAt.Equal(t0.Add(48*time.Hour)) {
		t.Errorf("UpcomingJobs(nudge): got %+v, %v", got, err)
	}
	if err := s.CompleteJob(ctx, claimed[0], nil, t0); err != nil {
		t.Fatal(err)
	}
	if n, err := s.JobsBusy(ctx, t0); err != nil || n != 0 {
		t.Errorf("JobsBusy once done: got %d, %v; want 0", n, err)
	}
}

func TestCreateScratchDatabase(t *testing.T) {
	ctx := context.Background()
	url, drop, err := storage.CreateScratchDatabase(ctx, testdb.New(t), "alignbot_scratch_")
	if err != nil {
		t.Fatal(err)
	}
	s, err := storage.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Migrate(ctx, nil); err != nil {
		t.Fatal(err)
	}
	// Dropped with the connection still open.
	if err := drop(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.Ping(ctx); err == nil {
		t.Error("the scratch database still answers after drop")
	}
	s.Close()
	if _, _, err := storage.CreateScratchDatabase(ctx, "mysql://x", "p"); err == nil {
		t.Error("a non-postgres URL was accepted")
	}
}
