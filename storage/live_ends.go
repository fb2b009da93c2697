package storage

import (
	"context"
	"fmt"
	"sync"

	"github.com/lib/pq"
)

// Every click that shows its change ends a turn (see EndLiveSend): the ends
// are written in groups, as clicks are (see clickBatcher), one statement
// for every end that arrived while the previous group was being written.
// Alone, an end goes to the database at once.

// endLiveGroupQuery ends a group of turns, each as endLiveQuery ends one:
// a turn still held is released and its send recorded; a turn lost bumps
// the revision. It locks the messages in key order, as every statement
// that changes several does, and returns a row for each message that
// exists. A group names a message once.
const endLiveGroupQuery = `
	WITH req AS (
		SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[]) AS r(key, token, through)
	),
	locked AS (
		SELECT m.key, m.sender FROM live_messages m JOIN req r ON r.key = m.key
		ORDER BY m.key FOR UPDATE OF m
	),
	ended AS (
		UPDATE live_messages m SET
			sender = CASE WHEN o.mine THEN NULL ELSE m.sender END,
			sender_until = CASE WHEN o.mine THEN NULL ELSE m.sender_until END,
			sent = CASE WHEN o.mine THEN GREATEST(m.sent, o.through) ELSE m.sent END,
			revision = CASE WHEN o.mine THEN m.revision ELSE m.revision + 1 END,
			updated_at = now()
		FROM (SELECT l.key, COALESCE(l.sender = r.token, false) AS mine, r.through
			FROM locked l JOIN req r ON r.key = l.key) o
		WHERE m.key = o.key
		RETURNING m.key, m.revision, o.mine
	)
	SELECT key, revision, mine AS held FROM ended`

const (
	// maxEndWriters is how many groups of ends are written at once: fewer
	// than clicks' writers, since an end is a short statement that seldom
	// waits for a lock, and a group shares its round trip and commit the
	// more, the fewer are written side by side.
	maxEndWriters = 2
	// maxEndBatch caps a group of ends, to keep one statement short.
	maxEndBatch = 64
)

// liveEnds groups the turn ends of a Storage's callers, as clickBatcher
// groups clicks: a caller whose end finds fewer than maxEndWriters
// groups being written writes the next group itself.
type liveEnds struct {
	mu      sync.Mutex
	queue   []*pendingEnd
	writers int
}

// pendingEnd is a turn's end in the queue or being written.
type pendingEnd struct {
	ctx     context.Context
	l       LiveSend
	through int64
	result  chan endResult // buffered: the writer never blocks
}

// endResult is what ending one turn gave.
type endResult struct {
	current int64
	held    bool
	err     error
}

func newLiveEnds() *liveEnds { return &liveEnds{} }

// end ends l's turn with whatever other ends are waiting.
func (e *liveEnds) end(ctx context.Context, s *Storage, l LiveSend, through int64) (int64, bool, error) {
	p := &pendingEnd{ctx: ctx, l: l, through: through, result: make(chan endResult, 1)}
	e.mu.Lock()
	e.queue = append(e.queue, p)
	write := e.writers < maxEndWriters
	if write {
		e.writers++
	}
	e.mu.Unlock()
	if write {
		e.write(s, p)
	}
	select {
	case r := <-p.result:
		return r.current, r.held, r.err
	case <-ctx.Done():
		return 0, false, fmt.Errorf("end sending %s: %w", l.Key, ctx.Err())
	}
}

// write writes groups until own is written, then leaves whatever is still
// queued to a goroutine of its own; it gives the writer's place back when
// the queue is empty.
func (e *liveEnds) write(s *Storage, own *pendingEnd) {
	for {
		group := e.take()
		if group == nil {
			return
		}
		e.writeGroup(s, group)
		for _, p := range group {
			if p == own {
				go e.write(s, nil)
				return
			}
		}
	}
}

// take removes the next group from the queue: in queue order, each message
// once. With nothing to write, it gives the writer's place back and
// returns nil.
func (e *liveEnds) take() []*pendingEnd {
	e.mu.Lock()
	defer e.mu.Unlock()
	var group []*pendingEnd
	taken := map[string]bool{}
	rest := e.queue[:0]
	for _, p := range e.queue {
		if len(group) < maxEndBatch && !taken[p.l.Key] {
			group = append(group, p)
			taken[p.l.Key] = true
		} else {
			rest = append(rest, p)
		}
	}
	clear(e.queue[len(rest):])
	e.queue = rest
	if len(group) == 0 {
		e.writers--
	}
	return group
}

// writeGroup writes a group and answers each end. A deadlock retries the
// group; any other failure of a group of several is retried end by end,
// so that one end the database refuses cannot fail the others. An outage
// fails them all at once.
func (e *liveEnds) writeGroup(s *Storage, group []*pendingEnd) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(group[0].ctx), clickWriteTimeout)
	defer cancel()
	var results []endResult
	var err error
	for range clickAttempts {
		results, err = s.endLiveGroup(ctx, group)
		if !retryable(err) {
			break
		}
	}
	if err != nil && len(group) > 1 && !Unavailable(err) {
		results = make([]endResult, len(group))
		for i, p := range group {
			one, err := s.endLiveGroup(ctx, []*pendingEnd{p})
			if err != nil {
				results[i] = endResult{err: err}
			} else {
				results[i] = one[0]
			}
		}
		err = nil
	}
	for i, p := range group {
		r := endResult{err: err}
		if err == nil {
			r = results[i]
		}
		if r.err != nil {
			r.err = fmt.Errorf("end sending %s: %w", p.l.Key, r.err)
		}
		p.result <- r
	}
}

// endLiveGroup runs endLiveGroupQuery for a group; a message that does not
// exist gets revision 0, not held.
func (s *Storage) endLiveGroup(ctx context.Context, group []*pendingEnd) ([]endResult, error) {
	keys := make([]string, len(group))
	tokens := make([]string, len(group))
	through := make([]int64, len(group))
	for i, p := range group {
		keys[i], tokens[i], through[i] = p.l.Key, p.l.Token, p.through
	}
	stmt, err := s.preparedIn(ctx, s.lazy, endLiveGroupQuery)
	if err != nil {
		return nil, err
	}
	var rows []struct {
		Key      string `db:"key"`
		Revision int64  `db:"revision"`
		Held     bool   `db:"held"`
	}
	if err := stmt.SelectContext(ctx, &rows, pq.Array(keys), pq.Array(tokens), pq.Array(through)); err != nil {
		return nil, err
	}
	byKey := make(map[string]int, len(rows))
	for i, r := range rows {
		byKey[r.Key] = i
	}
	results := make([]endResult, len(group))
	for i, p := range group {
		if j, ok := byKey[p.l.Key]; ok {
			results[i] = endResult{current: rows[j].Revision, held: rows[j].Held}
		}
	}
	return results, nil
}
