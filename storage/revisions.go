package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/lib/pq"
)

// Live messages are the messages alignbot edits in place. Each has a key
// naming it (its round and what it is), a revision that every change it
// shows bumps in that change's transaction, and the revision last sent.
// Sending takes turns: a sender leases the message, reads its revision,
// renders the state as it is after that revision was committed, sends, and
// records what it sent. A change committed meanwhile leaves the revision
// ahead of what was sent, and the sender goes round again. So the last
// render Slack receives is never older than the last change.
//
// Leases run on the database's clock: they are about replicas taking turns
// in real time, not about the bot's business clock.

// LiveLease is how long a message's send lease lasts unless renewed, by
// default (see SetLiveLease).
const LiveLease = 15 * time.Second

// SetLiveLease changes how long this Storage's (and its transactions')
// live message leases last, for tests that make a sender die.
func (s *Storage) SetLiveLease(d time.Duration) { s.liveLease.Store(int64(d)) }

// LiveLeaseLength returns how long live message leases last.
func (s *Storage) LiveLeaseLength() time.Duration {
	if d := time.Duration(s.liveLease.Load()); d > 0 {
		return d
	}
	return LiveLease
}

// LiveSend is a leased turn at sending a live message.
type LiveSend struct {
	Key string
	// Token identifies the sender's lease.
	Token string
	// Revision is the revision to render: the state read after the lease
	// was taken includes every change up to it.
	Revision int64
	// Sent is the revision last recorded as sent.
	Sent int64
	// View is what the person chose to look at, as the last change left it.
	View json.RawMessage
}

// Behind reports whether the message has changes Slack has not been sent.
func (l LiveSend) Behind() bool { return l.Sent < l.Revision }

// TouchLive bumps the revision of live messages: call it in the transaction
// of a change they show. It creates messages it does not know.
func (s *Storage) TouchLive(ctx context.Context, keys ...string) error {
	if len(keys) == 0 {
		return nil
	}
	_, err := s.q.ExecContext(ctx, `
		INSERT INTO live_messages AS m (key) SELECT DISTINCT k FROM unnest($1::text[]) k ORDER BY k
		ON CONFLICT (key) DO UPDATE SET revision = m.revision + 1, updated_at = now()`, pq.Array(keys))
	if err != nil {
		return fmt.Errorf("touch %d live messages, %s first: %w", len(keys), keys[0], err)
	}
	return nil
}

// ChangeLive bumps a live message's revision with the view the person
// chose, and leases its send to token when nobody holds it: leased says
// whether the caller may send. In a transaction, the lease is the caller's
// once it commits. An empty token leases nothing: someone else sends.
func (s *Storage) ChangeLive(ctx context.Context, key string, view json.RawMessage, token string) (l LiveSend, leased bool, err error) {
	if len(view) == 0 {
		view = json.RawMessage(`{}`)
	}
	var row liveRow
	if token == "" {
		// A change someone else will send: no lease.
		err = s.q.GetContext(ctx, &row, `
			INSERT INTO live_messages AS m (key, view) VALUES ($1, $2)
			ON CONFLICT (key) DO UPDATE SET revision = m.revision + 1, view = EXCLUDED.view, updated_at = now()
			RETURNING `+liveColumns, key, string(view))
		if err != nil {
			return LiveSend{}, false, fmt.Errorf("change live message %s: %w", key, err)
		}
		return row.send(""), false, nil
	}
	err = s.q.GetContext(ctx, &row, `
		INSERT INTO live_messages AS m (key, view, sender, sender_until)
		VALUES ($1, $2, $3, clock_timestamp() + $4 * interval '1 millisecond')
		ON CONFLICT (key) DO UPDATE SET revision = m.revision + 1, view = EXCLUDED.view, updated_at = now(),
			sender = CASE WHEN m.sender IS NULL OR m.sender_until < clock_timestamp() THEN EXCLUDED.sender ELSE m.sender END,
			sender_until = CASE WHEN m.sender IS NULL OR m.sender_until < clock_timestamp() THEN EXCLUDED.sender_until ELSE m.sender_until END
		RETURNING `+liveColumns, key, string(view), token, s.LiveLeaseLength().Milliseconds())
	if err != nil {
		return LiveSend{}, false, fmt.Errorf("change live message %s: %w", key, err)
	}
	l = row.send(token)
	return l, row.Sender == token, nil
}

const liveColumns = `m.key, m.revision, m.sent, m.view, COALESCE(m.sender, '') AS sender`

type liveRow struct {
	Key      string          `db:"key"`
	Revision int64           `db:"revision"`
	Sent     int64           `db:"sent"`
	View     json.RawMessage `db:"view"`
	Sender   string          `db:"sender"`
}

func (r liveRow) send(token string) LiveSend {
	return LiveSend{Key: r.Key, Token: token, Revision: r.Revision, Sent: r.Sent, View: r.View}
}

// BeginLiveSend leases the send of a live message to token unless another
// sender holds it (then ok is false). The caller renders the message as it
// is now, sends it, and calls EndLiveSend.
func (s *Storage) BeginLiveSend(ctx context.Context, key, token string) (l LiveSend, ok bool, err error) {
	var row liveRow
	err = s.q.GetContext(ctx, &row, `
		INSERT INTO live_messages AS m (key, sent, sender, sender_until)
		VALUES ($1, 0, $2, clock_timestamp() + $3 * interval '1 millisecond')
		ON CONFLICT (key) DO UPDATE SET sender = EXCLUDED.sender, sender_until = EXCLUDED.sender_until
			WHERE m.sender IS NULL OR m.sender_until < clock_timestamp()
		RETURNING `+liveColumns, key, token, s.LiveLeaseLength().Milliseconds())
	if errors.Is(err, sql.ErrNoRows) {
		return LiveSend{}, false, nil
	}
	if err != nil {
		return LiveSend{}, false, fmt.Errorf("begin sending %s: %w", key, err)
	}
	return row.send(token), true, nil
}

// RenewLiveSend extends a lease the caller still holds; it reports whether
// it did.
func (s *Storage) RenewLiveSend(ctx context.Context, l LiveSend) (bool, error) {
	res, err := s.lazyQ().ExecContext(ctx, `UPDATE live_messages SET sender_until = clock_timestamp() + $3 * interval '1 millisecond'
		WHERE key = $1 AND sender = $2`, l.Key, l.Token, s.LiveLeaseLength().Milliseconds())
	if err != nil {
		return false, fmt.Errorf("renew sending %s: %w", l.Key, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// RefreshLiveSend extends a lease the caller still holds and returns the
// turn as the message is now, with every change committed so far: a sender
// that waited while holding its turn renders the latest. It reports
// whether the lease was still held.
func (s *Storage) RefreshLiveSend(ctx context.Context, l LiveSend) (LiveSend, bool, error) {
	var row liveRow
	err := s.q.GetContext(ctx, &row, `UPDATE live_messages AS m SET sender_until = clock_timestamp() + $3 * interval '1 millisecond'
		WHERE m.key = $1 AND m.sender = $2
		RETURNING `+liveColumns, l.Key, l.Token, s.LiveLeaseLength().Milliseconds())
	if errors.Is(err, sql.ErrNoRows) {
		return l, false, nil
	}
	if err != nil {
		return l, false, fmt.Errorf("refresh sending %s: %w", l.Key, err)
	}
	return row.send(l.Token), true, nil
}

// lazyQ runs statements whose commit need not wait for the disk (see
// Storage.lazy); inside a transaction, the transaction's.
func (s *Storage) lazyQ() querier {
	if s.tx || s.lazy == nil {
		return s.q
	}
	return s.lazy
}

// endLiveQuery ends a turn (see EndLiveSend).
const endLiveQuery = `
	WITH mine AS (
		UPDATE live_messages SET sender = NULL, sender_until = NULL, sent = GREATEST(sent, $3), updated_at = now()
		WHERE key = $1 AND sender = $2
		RETURNING revision
	),
	lost AS (
		UPDATE live_messages SET revision = revision + 1, updated_at = now()
		WHERE key = $1 AND NOT EXISTS (SELECT 1 FROM mine)
		RETURNING revision
	)
	SELECT COALESCE((SELECT revision FROM mine), (SELECT revision FROM lost), 0) AS revision,
		EXISTS (SELECT 1 FROM mine) AS held`

// EndLiveSend releases the lease and, when sent, records that l.Revision
// reached Slack. It returns the message's revision now: when it is ahead
// of l.Revision, a change came meanwhile and the caller sends again. When
// the lease was lost (it ran out and another sender took it), what the
// caller sent, even a send that failed, may have landed after that
// sender's newer render: the revision is bumped, so that the newest state
// is sent once more, and held is false.
func (s *Storage) EndLiveSend(ctx context.Context, l LiveSend, sent bool) (current int64, held bool, err error) {
	var through int64
	if sent {
		through = l.Revision
	}
	if !s.tx && s.lazy != nil && s.ends != nil {
		// Every click ends its turn: grouped with the other ends.
		return s.ends.end(ctx, s, l, through)
	}
	var res struct {
		Revision int64 `db:"revision"`
		Held     bool  `db:"held"`
	}
	if err = s.q.GetContext(ctx, &res, endLiveQuery, l.Key, l.Token, through); err != nil {
		return 0, false, fmt.Errorf("end sending %s: %w", l.Key, err)
	}
	return res.Revision, res.Held, nil
}

// LiveBehind lists live messages whose latest revision has not reached
// Slack although nothing has happened to them for quietFor and nobody holds
// their lease: their sender died. The caller sends them again.
func (s *Storage) LiveBehind(ctx context.Context, quietFor time.Duration, limit int) ([]LiveSend, error) {
	var rows []liveRow
	err := s.q.SelectContext(ctx, &rows, `SELECT `+liveColumns+` FROM live_messages m
		WHERE m.sent < m.revision AND m.updated_at < clock_timestamp() - $1 * interval '1 millisecond'
		  AND (m.sender IS NULL OR m.sender_until < clock_timestamp())
		ORDER BY m.updated_at LIMIT $2`, quietFor.Milliseconds(), limit)
	if err != nil {
		return nil, fmt.Errorf("live messages behind: %w", err)
	}
	out := make([]LiveSend, len(rows))
	for i, r := range rows {
		out[i] = r.send("")
	}
	return out, nil
}

// Live returns a live message's revisions and view, without leasing it.
func (s *Storage) Live(ctx context.Context, key string) (LiveSend, error) {
	var row liveRow
	err := s.q.GetContext(ctx, &row, `SELECT `+liveColumns+` FROM live_messages m WHERE m.key = $1`, key)
	if errors.Is(err, sql.ErrNoRows) {
		return LiveSend{}, ErrNotFound
	}
	if err != nil {
		return LiveSend{}, fmt.Errorf("live message %s: %w", key, err)
	}
	return row.send(""), nil
}

// LiveKeys returns the keys of every live message, for checks that each
// one on Slack matches the database.
func (s *Storage) LiveKeys(ctx context.Context) ([]string, error) {
	var keys []string
	if err := s.q.SelectContext(ctx, &keys, `SELECT key FROM live_messages ORDER BY key`); err != nil {
		return nil, fmt.Errorf("live message keys: %w", err)
	}
	return keys, nil
}

// ForgetLive deletes live messages nothing has changed or sent since
// cutoff, and returns how many. A message changed again later starts over
// at revision 1, which is safe: nothing is being sent for it.
func (s *Storage) ForgetLive(ctx context.Context, cutoff time.Time) (int, error) {
	n, err := s.execCount(ctx, `DELETE FROM live_messages WHERE updated_at < $1 AND sent >= revision AND sender IS NULL`, cutoff)
	if err != nil {
		return 0, fmt.Errorf("forget live messages: %w", err)
	}
	return int(n), nil
}

// SetLiveView records, during the caller's turn, the view of what it is
// sending (a new message that replaces the live one, say), without bumping
// the revision: the caller renders it itself. A change that came meanwhile
// keeps its own view.
func (s *Storage) SetLiveView(ctx context.Context, l LiveSend, view json.RawMessage) error {
	_, err := s.q.ExecContext(ctx, `UPDATE live_messages SET view = $3 WHERE key = $1 AND sender = $2 AND revision = $4`,
		l.Key, l.Token, string(view), l.Revision)
	if err != nil {
		return fmt.Errorf("set view of %s: %w", l.Key, err)
	}
	return nil
}
