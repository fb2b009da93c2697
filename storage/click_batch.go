package storage

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// Clicks are written in groups: one statement and one commit for every
// click that arrived while the previous group was being written. When
// nobody else is clicking, a click goes to the database at once, alone, so
// a group never waits for a timer to fill; when many people click at once,
// the database's fixed cost per statement and per commit is shared.
const (
	// maxClickWriters is how many groups are written at once. More than
	// one, so that a group waiting on a lock (a submit in the same round)
	// does not hold up everyone else's clicks.
	maxClickWriters = 4
	// maxClickBatch caps a group, to keep one statement short.
	maxClickBatch = 64
	// clickWriteTimeout bounds the writing of one group; each click's
	// caller stops waiting when its own context ends.
	clickWriteTimeout = 15 * time.Second
	// clickAttempts is how often a group is tried when PostgreSQL reports
	// a deadlock.
	clickAttempts = 3
)

// clickBatcher groups the clicks of a Storage's callers. A click joins the
// queue; when fewer than maxClickWriters groups are being written, its own
// caller writes the next group, which holds its click. Otherwise a caller
// that is writing takes it with the next group. Two clicks of one person in
// one round are never in one group nor in two groups at once: the later
// waits for the earlier to be written, so a person's clicks are applied in
// the order they were made.
type clickBatcher struct {
	mu       sync.Mutex
	queue    []*pendingClick
	writers  int
	inFlight map[clickKey]bool
}

// clickKey is a person in a round.
type clickKey struct {
	round int64
	user  string
}

// pendingClick is a click in the queue or being written.
type pendingClick struct {
	ctx     context.Context
	req     clickRequest
	result  chan clickResult // buffered: the writer never blocks
	written atomic.Bool
}

func newClickBatcher() *clickBatcher {
	return &clickBatcher{inFlight: map[clickKey]bool{}}
}

// record writes req with whatever other clicks are waiting and returns its
// result.
func (b *clickBatcher) record(ctx context.Context, s *Storage, req clickRequest) (Questionnaire, error) {
	p := &pendingClick{ctx: ctx, req: req, result: make(chan clickResult, 1)}
	b.mu.Lock()
	b.queue = append(b.queue, p)
	write := b.writers < maxClickWriters
	if write {
		b.writers++
	}
	b.mu.Unlock()
	if write {
		b.write(s, p)
	}
	select {
	case r := <-p.result:
		return r.get()
	case <-ctx.Done():
		return Questionnaire{}, fmt.Errorf("record click in round %d: %w", req.click.RoundID, ctx.Err())
	}
}

// write writes groups until own is written, then leaves whatever is still
// queued to a goroutine of its own, so that the caller gets its answer as
// soon as its click is in. The caller holds one of the writers' places,
// which write gives back (or passes on) when it returns.
func (b *clickBatcher) write(s *Storage, own *pendingClick) {
	for {
		group := b.take()
		if group == nil {
			return
		}
		b.writeGroup(s, group)
		b.release(group)
		if own != nil && own.written.Load() {
			go b.write(s, nil)
			return
		}
	}
}

// take removes the next group from the queue: clicks of one kind, in queue
// order, at most one per person and round and none of a person whose
// earlier click is being written. A click whose caller gave up is answered
// and dropped. With nothing to write, take gives the writer's place back
// and returns nil.
func (b *clickBatcher) take() []*pendingClick {
	b.mu.Lock()
	defer b.mu.Unlock()
	var group []*pendingClick
	taken := map[clickKey]bool{}
	rest := b.queue[:0]
	for _, p := range b.queue {
		key := clickKey{p.req.click.RoundID, p.req.click.UserID}
		switch {
		case p.ctx.Err() != nil:
			p.result <- clickResult{err: fmt.Errorf("record click in round %d: %w", key.round, p.ctx.Err())}
		case len(group) < maxClickBatch && !taken[key] && !b.inFlight[key] &&
			(len(group) == 0 || p.req.predicting == group[0].req.predicting):
			group = append(group, p)
			taken[key] = true
			b.inFlight[key] = true
		default:
			rest = append(rest, p)
		}
	}
	clear(b.queue[len(rest):])
	b.queue = rest
	if len(group) == 0 {
		b.writers--
	}
	return group
}

// release marks a written group's people free to have their next click
// written.
func (b *clickBatcher) release(group []*pendingClick) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, p := range group {
		delete(b.inFlight, clickKey{p.req.click.RoundID, p.req.click.UserID})
	}
}

// writeGroup writes a group and answers each click. A deadlock retries the
// group; any other failure of a group of several is retried click by click,
// so that one click the database refuses cannot fail the others. An outage
// fails them all at once.
func (b *clickBatcher) writeGroup(s *Storage, group []*pendingClick) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(group[0].ctx), clickWriteTimeout)
	defer cancel()
	reqs := make([]clickRequest, len(group))
	for i, p := range group {
		reqs[i] = p.req
	}
	var results []clickResult
	var err error
	for range clickAttempts {
		results, err = s.recordClicks(ctx, reqs)
		if !retryable(err) {
			break
		}
	}
	switch {
	case err == nil:
	case len(group) > 1 && !Unavailable(err):
		results = make([]clickResult, len(group))
		for i, r := range reqs {
			one, err := s.recordClicks(ctx, []clickRequest{r})
			if err != nil {
				results[i] = clickResult{err: err}
			} else {
				results[i] = one[0]
			}
		}
	default:
		results = make([]clickResult, len(group))
		for i := range results {
			results[i] = clickResult{err: err}
		}
	}
	for i, p := range group {
		p.written.Store(true)
		p.result <- results[i]
	}
}
