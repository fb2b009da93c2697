// Package storage keeps alignbot's state in PostgreSQL: teams, rounds,
// respondents and their answers, actions on the top gaps, the job queue that
// carries every effect to Slack, and the deliveries already seen.
//
// Every SQL statement of the project lives here. State transitions that must
// happen once (submitting, claiming the reveal, claiming a job) are single
// statements or single transactions holding a row lock, so that any number of
// bot replicas can call them concurrently.
package storage

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"github.com/lib/pq/pqerror"
)

// Errors callers can test for with errors.Is.
var (
	// ErrNotFound: the row asked for does not exist.
	ErrNotFound = errors.New("not found")
	// ErrRoundCollecting: the team already has a round collecting answers.
	ErrRoundCollecting = errors.New("a round is already collecting answers for this channel")
	// ErrSamePerson: one person was named for two roles of a round.
	ErrSamePerson = errors.New("the same person cannot hold two roles")
	// ErrNotRespondent: the user is not a respondent of the round.
	ErrNotRespondent = errors.New("not a respondent of this round")
	// ErrSubmitted: the respondent has already submitted; answers are locked.
	ErrSubmitted = errors.New("answers already submitted")
	// ErrNotCollecting: the round no longer accepts answers (revealed,
	// closed or cancelled).
	ErrNotCollecting = errors.New("the round is not collecting answers")
	// ErrIncomplete: a submit was attempted with questions unanswered.
	ErrIncomplete = errors.New("questions are unanswered")
	// ErrNotRevealed: the operation needs a revealed round (not one still
	// collecting, nor one closed).
	ErrNotRevealed = errors.New("the round is not open for changes to its gaps")
	// ErrActionDone: the action is done and stays done.
	ErrActionDone = errors.New("the action is already done")
	// ErrLeaseLost: the job's lease expired and another worker claimed it.
	ErrLeaseLost = errors.New("job lease lost")
)

// Storage runs alignbot's queries against a pool or, inside Transact, against
// one transaction.
type Storage struct {
	db *sqlx.DB
	q  querier
	tx bool
}

// querier is what both *sqlx.DB and *sqlx.Tx offer.
type querier interface {
	sqlx.ExtContext
	GetContext(ctx context.Context, dest any, query string, args ...any) error
	SelectContext(ctx context.Context, dest any, query string, args ...any) error
}

// Open connects to the PostgreSQL database at dsn and checks the connection.
// The URL never appears in errors: it may carry a password.
func Open(ctx context.Context, dsn string) (*Storage, error) {
	db, err := sqlx.Open("postgres", dsn)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", redact(err, dsn))
	}
	db.SetMaxOpenConns(20)
	db.SetMaxIdleConns(10)
	db.SetConnMaxIdleTime(5 * time.Minute)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open database: %w", redact(err, dsn))
	}
	return New(db), nil
}

// New wraps an open pool.
func New(db *sqlx.DB) *Storage { return &Storage{db: db, q: db} }

// DB returns the underlying pool, for health checks and tests.
func (s *Storage) DB() *sqlx.DB { return s.db }

// Close closes the pool.
func (s *Storage) Close() error { return s.db.Close() }

// Ping checks that the database answers.
func (s *Storage) Ping(ctx context.Context) error { return s.db.PingContext(ctx) }

// Transact runs fn in one transaction and commits it if fn returns nil. On a
// deadlock (or a serialization failure, should a caller raise the isolation
// level) the whole transaction is retried, so fn may run more than once and
// must not have effects outside the database.
// Inside fn, use only the *Storage it is given.
func (s *Storage) Transact(ctx context.Context, fn func(*Storage) error) error {
	if s.tx {
		return fn(s)
	}
	const attempts = 4
	var err error
	for i := 0; i < attempts; i++ {
		err = s.transactOnce(ctx, fn)
		if !retryable(err) {
			return err
		}
	}
	return fmt.Errorf("transact: gave up after %d attempts: %w", attempts, err)
}

func (s *Storage) transactOnce(ctx context.Context, fn func(*Storage) error) (err error) {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("transact: begin: %w", err)
	}
	defer func() {
		if p := recover(); p != nil {
			tx.Rollback()
			panic(p)
		}
		if err != nil {
			tx.Rollback()
		}
	}()
	if err := fn(&Storage{db: s.db, q: tx, tx: true}); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("transact: commit: %w", err)
	}
	return nil
}

// execCount runs a statement and returns how many rows it changed.
func (s *Storage) execCount(ctx context.Context, query string, args ...any) (int64, error) {
	res, err := s.q.ExecContext(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func retryable(err error) bool {
	return pq.As(err, pqerror.TRSerializationFailure, pqerror.TRDeadlockDetected) != nil
}

// constraint returns the name of the constraint a unique or check violation
// broke, or "".
func constraint(err error) string {
	if e := pq.As(err, pqerror.UniqueViolation, pqerror.CheckViolation, pqerror.ForeignKeyViolation); e != nil {
		return e.Constraint
	}
	return ""
}

// redact removes the connection string's password from err. lib/pq's URL
// parse errors quote the whole URL.
func redact(err error, dsn string) error {
	if err == nil {
		return nil
	}
	var urlErr *url.Error
	if errors.As(err, &urlErr) {
		return fmt.Errorf("invalid DATABASE_URL: %w", urlErr.Err)
	}
	if pw := password(dsn); pw != "" && strings.Contains(err.Error(), pw) {
		return errors.New(strings.ReplaceAll(err.Error(), pw, "xxxxx"))
	}
	return err
}

var keywordPassword = regexp.MustCompile(`password=('[^']*'|\S+)`)

func password(dsn string) string {
	if u, err := url.Parse(dsn); err == nil && u.User != nil {
		if pw, ok := u.User.Password(); ok {
			return pw
		}
	}
	if m := keywordPassword.FindStringSubmatch(dsn); m != nil {
		return strings.Trim(m[1], "'")
	}
	return ""
}

// Unavailable reports whether err means the database could not be reached
// or would not take connections (as opposed to refusing a statement), so a
// caller can say "try again in a minute" rather than "something broke".
func Unavailable(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, driver.ErrBadConn) || errors.Is(err, sql.ErrConnDone) {
		return true
	}
	var netErr net.Error
	if errors.As(err, &netErr) {
		return true
	}
	if e := pq.As(err); e != nil {
		switch e.Code.Class() {
		case pqerror.ClassConnectionException, "53", "57":
			// Connection failures, insufficient resources, operator
			// intervention (shutdown, cannot connect now).
			return true
		}
		// "database … is not currently accepting connections"
		return e.Code == pqerror.ObjectNotInPrerequisiteState && strings.Contains(e.Message, "accepting connections")
	}
	return false
}
