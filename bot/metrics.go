package bot

import (
	"context"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/alignbot/alignbot/internal/metrics"
	"github.com/alignbot/alignbot/storage"
)

// Connected reports whether this replica's Socket Mode connection is up:
// Slack said hello and nothing has dropped it since. /readyz reads it.
func (b *Bot) Connected() bool { return b.connected.Load() }

func (b *Bot) setConnected(up bool) {
	if b.connected.Swap(up) != up {
		b.metrics.SetConnected(up)
		if !up {
			b.log.Info("socket mode disconnected")
		}
	}
}

type arrivalKey struct{}

// withArrival marks ctx with when a click's envelope arrived, so that the
// handler's reply can tell how long the person waited for their card.
func withArrival(ctx context.Context, at time.Time) context.Context {
	return context.WithValue(ctx, arrivalKey{}, at)
}

// cardUpdated records, for a click, the time from its arrival to its card
// redrawn.
func (b *Bot) cardUpdated(ctx context.Context) {
	if at, ok := ctx.Value(arrivalKey{}).(time.Time); ok {
		b.metrics.CardUpdated(time.Since(at))
	}
}

// waitingClicks are clicks that left their change to the sender that had
// their message's turn, by live message: when this replica sends a
// revision that includes one, the time from its arrival is its click →
// card time. A click whose change a sender on another replica shows is
// forgotten after a turn's lease, unmeasured.
type waitingClicks struct {
	mu sync.Mutex
	m  map[string][]waitingClick
}

type waitingClick struct {
	revision int64
	arrived  time.Time
}

// leaveToSender records that the click in ctx left its change, revision of
// the live message key, to the message's sender.
func (b *Bot) leaveToSender(ctx context.Context, key string, revision int64) {
	at, ok := ctx.Value(arrivalKey{}).(time.Time)
	if !ok || b.metrics == nil {
		return
	}
	w := &b.leftToSender
	forget := time.Now().Add(-b.store.LiveLeaseLength())
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.m == nil {
		w.m = make(map[string][]waitingClick)
	}
	for k, clicks := range w.m {
		kept := slices.DeleteFunc(clicks, func(c waitingClick) bool { return c.arrived.Before(forget) })
		if len(kept) == 0 {
			delete(w.m, k)
		} else {
			w.m[k] = kept
		}
	}
	w.m[key] = append(w.m[key], waitingClick{revision: revision, arrived: at})
}

// liveShown records the click → card time of every click waiting for the
// live message key at revision or before, now that it is sent.
func (b *Bot) liveShown(key string, revision int64) {
	w := &b.leftToSender
	w.mu.Lock()
	defer w.mu.Unlock()
	clicks := w.m[key]
	if len(clicks) == 0 {
		return
	}
	kept := clicks[:0]
	for _, c := range clicks {
		if c.revision <= revision {
			b.metrics.CardUpdated(time.Since(c.arrived))
		} else {
			kept = append(kept, c)
		}
	}
	if len(kept) == 0 {
		delete(w.m, key)
	} else {
		w.m[key] = kept
	}
}

// initMetrics makes every job kind's and round state's series exist before
// anything happens, so that dashboards and alerts see zeros, not gaps.
func (b *Bot) initMetrics() {
	if b.metrics == nil {
		return
	}
	kinds := make([]string, 0, len(b.jobKinds()))
	for k := range b.jobKinds() {
		kinds = append(kinds, k)
	}
	b.metrics.JobKinds(kinds...)
	b.metrics.SetRounds(roundStates(), nil)
	b.metrics.SetJobs(map[string]int{string(storage.JobPending): 0, string(storage.JobDone): 0,
		string(storage.JobParked): 0, string(storage.JobCancelled): 0})
	b.metrics.SetConnected(false)
}

func roundStates() []string {
	out := make([]string, len(storage.RoundStates))
	for i, s := range storage.RoundStates {
		out[i] = string(s)
	}
	return out
}

// countForMetrics refreshes, every 30 seconds, the gauges that count what
// is in the database: the job queue by kind, the oldest due job and the
// rounds by state, and copies the runner's count of jobs by state. A scrape reads the last count and never
// queries the database.
func (b *Bot) countForMetrics(ctx context.Context) {
	if b.metrics == nil {
		return
	}
	tick := time.NewTicker(30 * time.Second)
	defer tick.Stop()
	for {
		b.countOnce(ctx)
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

func (b *Bot) countOnce(ctx context.Context) {
	warn := func(what string, err error) {
		if ctx.Err() == nil {
			b.log.Warn("counting "+what+" for metrics failed", slog.Any("error", err))
		}
	}
	queue, err := b.store.QueueStats(ctx, b.clock.Now())
	if err != nil {
		warn("the job queue", err)
	} else {
		stats := make([]metrics.QueueStat, len(queue))
		for i, q := range queue {
			stats[i] = metrics.QueueStat{Kind: q.Kind, Pending: q.Pending, OldestDue: q.OldestDue}
		}
		b.metrics.SetQueue(stats)
	}
	// The runner counts jobs by state on its own every 30 seconds.
	if jobs := b.runner.Counts(); len(jobs) > 0 {
		byState := make(map[string]int, 4)
		for _, s := range []storage.JobState{storage.JobPending, storage.JobDone, storage.JobParked, storage.JobCancelled} {
			byState[string(s)] = jobs[s]
		}
		b.metrics.SetJobs(byState)
	}
	rounds, err := b.store.RoundCounts(ctx)
	if err != nil {
		warn("rounds", err)
	} else {
		byState := make(map[string]int, len(rounds))
		for s, n := range rounds {
			byState[string(s)] = n
		}
		b.metrics.SetRounds(roundStates(), byState)
	}
}
