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
	"os"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"

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
	// clicks is the pool clicks are written on (see clickPool); db when
	// the storage was not made by Open.
	clicks *sqlx.DB
	q      querier
	tx     bool
	// dsn, when opened with Open, is kept for Listen's own connection.
	dsn string
	// transactions counts the transactions committed by Transact and by
	// RecordClick's single statement, for benchmarks; shared by the copies
	// Transact hands to fn.
	transactions *atomic.Int64
	// statements are prepared statements of the hot paths, by query, so
	// that PostgreSQL plans them once: a click's statement is large.
	statements *sync.Map
	// batcher groups the clicks written through this Storage and its
	// copies (see RecordClick).
	batcher *clickBatcher
	// ends groups the turn ends of live messages likewise (see
	// EndLiveSend).
	ends *liveEnds
	// liveLease is the live messages' lease in nanoseconds, 0 for
	// LiveLease; shared by the copies.
	liveLease *atomic.Int64
	// lazy is a pool whose commits do not wait for the WAL to reach disk,
	// for what a crash of PostgreSQL may lose without harm (a live
	// message's turn ending: it then runs out by itself); db when the
	// storage was not made by Open.
	lazy *sqlx.DB
}

// prepared returns query prepared on the click pool, preparing it once. It
// is for statements run outside transactions.
func (s *Storage) prepared(ctx context.Context, query string) (*sqlx.Stmt, error) {
	if st, ok := s.statements.Load(query); ok {
		return st.(*sqlx.Stmt), nil
	}
	st, err := s.clicks.PreparexContext(ctx, query)
	if err != nil {
		return nil, err
	}
	if old, loaded := s.statements.LoadOrStore(query, st); loaded {
		st.Close()
		return old.(*sqlx.Stmt), nil
	}
	return st, nil
}

// querier is what both *sqlx.DB and *sqlx.Tx offer.
type querier interface {
	sqlx.ExtContext
	GetContext(ctx context.Context, dest any, query string, args ...any) error
	SelectContext(ctx context.Context, dest any, query string, args ...any) error
}

// Open connects to the PostgreSQL database at dsn, a postgres:// URL or
// libpq's key=value form, and checks the connection. No part of the
// password appears in its errors: a DSN that cannot be parsed gets a fixed
// message, and the driver's messages are redacted (see redact).
func Open(ctx context.Context, dsn string) (*Storage, error) {
	dsn = strings.TrimSpace(dsn)
	cfg, err := parseDSN(dsn)
	if err != nil {
		return nil, err
	}
	connector, err := pq.NewConnectorConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", redact(err, dsn))
	}
	db := sqlx.NewDb(sql.OpenDB(connector), "postgres")
	db.SetMaxOpenConns(20)
	db.SetMaxIdleConns(20)
	db.SetConnMaxIdleTime(5 * time.Minute)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open database: %w", redact(err, dsn))
	}
	clicks, err := clickPool(cfg)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open database: %w", redact(err, dsn))
	}
	lazy, err := lazyPool(cfg)
	if err != nil {
		db.Close()
		clicks.Close()
		return nil, fmt.Errorf("open database: %w", redact(err, dsn))
	}
	s := New(db)
	s.clicks, s.lazy, s.dsn = clicks, lazy, dsn
	return s, nil
}

// LimitPool caps the main pool at n connections (Open allows 20) and the
// clicks' at half that, for a process that shares its server with many
// others, such as a test run. Click writers beyond the clicks' connections
// wait for one.
func (s *Storage) LimitPool(n int) {
	s.db.SetMaxOpenConns(n)
	s.db.SetMaxIdleConns(n)
	if s.clicks != s.db {
		c := max(1, min(n/2, maxClickWriters))
		s.clicks.SetMaxOpenConns(c)
		s.clicks.SetMaxIdleConns(c)
	}
	if s.lazy != s.db {
		c := max(1, min(n/4, maxClickWriters))
		s.lazy.SetMaxOpenConns(c)
		s.lazy.SetMaxIdleConns(c)
	}
}

// The click writers' pool and the lazy pool are small pools of their own,
// each with one setting for all its connections:
//   - clickPool: one connection per click writer, so that background work
//     holding the main pool's connections never makes a click wait for
//     one, each planning the click statement once, for a few rows, rather
//     than for every batch;
//   - lazyPool: connections whose commits need not be durable (see
//     Storage.lazy): a click's second statement, ending its turn at sending
//     the questionnaire, then costs no wait for the disk.
func clickPool(cfg pq.Config) (*sqlx.DB, error) {
	return smallPool(cfg, "plan_cache_mode", "force_generic_plan")
}

func lazyPool(cfg pq.Config) (*sqlx.DB, error) {
	return smallPool(cfg, "synchronous_commit", "off")
}

func smallPool(cfg pq.Config, setting, value string) (*sqlx.DB, error) {
	cfg = cfg.Clone()
	if cfg.Runtime == nil {
		cfg.Runtime = map[string]string{}
	}
	cfg.Runtime[setting] = value
	connector, err := pq.NewConnectorConfig(cfg)
	if err != nil {
		return nil, err
	}
	db := sqlx.NewDb(sql.OpenDB(connector), "postgres")
	db.SetMaxOpenConns(maxClickWriters)
	db.SetMaxIdleConns(maxClickWriters)
	db.SetConnMaxIdleTime(5 * time.Minute)
	return db, nil
}

// New wraps an open pool; clicks are written on it too.
func New(db *sqlx.DB) *Storage {
	return &Storage{db: db, clicks: db, q: db, transactions: new(atomic.Int64), statements: new(sync.Map), batcher: newClickBatcher(), ends: newLiveEnds(),
		liveLease: new(atomic.Int64), lazy: db}
}

// Transactions returns how many transactions Transact and RecordClick have
// committed through this Storage.
func (s *Storage) Transactions() int64 { return s.transactions.Load() }

// DB returns the underlying pool, for health checks and tests.
func (s *Storage) DB() *sqlx.DB { return s.db }

// Close closes the pools.
func (s *Storage) Close() error {
	err := s.db.Close()
	if s.clicks != s.db {
		err = errors.Join(err, s.clicks.Close())
	}
	if s.lazy != s.db {
		err = errors.Join(err, s.lazy.Close())
	}
	return err
}

// Ping checks that the database answers.
func (s *Storage) Ping(ctx context.Context) error { return s.db.PingContext(ctx) }

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

// The messages for a DATABASE_URL that cannot be parsed. They quote nothing
// of it: a parser's message may hold any part of it, the password included.
var (
	errInvalidURL = errors.New("DATABASE_URL is not a valid PostgreSQL URL; " +
		"expected postgres://user:password@host:5432/dbname?sslmode=disable " +
		"(percent-encode any @ : / ? # % or space in the user name and password)")
	errInvalidKeywords = errors.New("DATABASE_URL is not a valid PostgreSQL connection string; " +
		"expected postgres://user:password@host:5432/dbname?sslmode=disable, or keyword=value pairs " +
		"such as host=db port=5432 user=alignbot password='…' dbname=alignbot (quote values with spaces)")
)

// urlScheme matches the start of a URL, as opposed to libpq's keyword=value
// form, whose first keyword is followed by '='.
var urlScheme = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.-]*://`)

// wrongValue matches lib/pq's "wrong value for "port": …", whose key is one
// of its own setting names and whose tail quotes the value.
var wrongValue = regexp.MustCompile(`wrong value for "([a-z_]+)"`)

// parseDSN parses dsn as lib/pq does, with errors that quote nothing of it.
// It also refuses URLs that url.Parse reads differently from what their
// author meant: an '@' after the host means that the password held a '/',
// '?' or '#', and the rest of it would land in the host, port or database
// name, which connection errors show.
func parseDSN(dsn string) (pq.Config, error) {
	isURL := urlScheme.MatchString(dsn)
	if isURL {
		if !strings.HasPrefix(dsn, "postgres://") && !strings.HasPrefix(dsn, "postgresql://") {
			return pq.Config{}, errInvalidURL
		}
		u, err := url.Parse(dsn)
		if err != nil {
			return pq.Config{}, errInvalidURL
		}
		if strings.Contains(u.EscapedPath(), "@") || strings.Contains(u.RawQuery, "@") || strings.Contains(u.EscapedFragment(), "@") {
			return pq.Config{}, errInvalidURL
		}
	}
	cfg, err := pq.NewConfig(dsn)
	if err == nil {
		return cfg, nil
	}
	if m := wrongValue.FindStringSubmatch(err.Error()); m != nil {
		return pq.Config{}, fmt.Errorf("DATABASE_URL: invalid value for %s", m[1])
	}
	if m := pgEnv.FindStringSubmatch(err.Error()); m != nil {
		return pq.Config{}, fmt.Errorf("environment variable %s: invalid or not supported next to DATABASE_URL", m[1])
	}
	if isURL {
		return pq.Config{}, errInvalidURL
	}
	return pq.Config{}, errInvalidKeywords
}

// pgEnv matches lib/pq's complaints about PG* environment variables
// ("wrong value for $PGPORT"), which it reads besides the DSN.
var pgEnv = regexp.MustCompile(`\$(PG[A-Z_]+)`)

// redact returns err, or an error without the password when err's message
// holds any fragment of it: the password itself is replaced by xxxxx, and a
// message that still shares three characters in a row with the password (or
// all of a shorter one) is withheld. A *url.Error, whose message quotes the
// URL it could not parse, becomes the fixed invalid-URL message.
func redact(err error, dsn string) error {
	if err == nil {
		return nil
	}
	var urlErr *url.Error
	if errors.As(err, &urlErr) {
		return errInvalidURL
	}
	msg := err.Error()
	redacted := msg
	var secrets []string
	for _, pw := range append(password(dsn), os.Getenv("PGPASSWORD")) {
		if pw == "" {
			continue
		}
		secrets = append(secrets, pw)
		if len(pw) >= 3 {
			for _, form := range []string{pw, url.QueryEscape(pw), url.PathEscape(pw), url.UserPassword("", pw).String()[1:]} {
				redacted = strings.ReplaceAll(redacted, form, "xxxxx")
			}
		}
	}
	for _, pw := range secrets {
		if sharesFragment(redacted, pw) {
			return errors.New("cannot connect; the driver's message is not shown because it quotes part of the credentials")
		}
	}
	if redacted == msg {
		return err
	}
	return errors.New(redacted)
}

// sharesFragment reports whether s contains any three consecutive bytes of
// secret, or all of a secret shorter than that.
func sharesFragment(s, secret string) bool {
	const n = 3
	if len(secret) < n {
		return strings.Contains(s, secret)
	}
	for i := 0; i+n <= len(secret); i++ {
		if strings.Contains(s, secret[i:i+n]) {
			return true
		}
	}
	return false
}

// password returns the passwords in dsn as lib/pq reads them (a URL may
// carry one in its user info and one as a password parameter), or, for a
// URL that does not parse as its author meant, what they most likely meant
// as the password: everything between the user name and the last '@'.
func password(dsn string) []string {
	dsn = strings.TrimSpace(dsn)
	if !urlScheme.MatchString(dsn) {
		return keywordPasswords(dsn)
	}
	var pws []string
	u, err := url.Parse(dsn)
	if err == nil {
		if pw, ok := u.User.Password(); ok {
			pws = append(pws, pw)
		}
		pws = append(pws, u.Query()["password"]...)
	}
	rest := dsn[strings.Index(dsn, "://")+3:]
	if at := strings.LastIndex(rest, "@"); at >= 0 {
		if _, pw, ok := strings.Cut(rest[:at], ":"); ok {
			pws = append(pws, pw)
		}
	}
	return pws
}

// keywordPasswords finds every password=… in libpq's keyword=value form,
// reading quotes and backslash escapes as lib/pq does; an unterminated quote
// runs to the end, and words without '=' after an unquoted password are
// taken as part of it.
func keywordPasswords(dsn string) []string {
	s := []rune(dsn)
	i := 0
	skipSpaces := func() {
		for i < len(s) && unicode.IsSpace(s[i]) {
			i++
		}
	}
	var pws []string
	afterPassword := false
	for {
		skipSpaces()
		if i >= len(s) {
			return pws
		}
		start := i
		for i < len(s) && !unicode.IsSpace(s[i]) && s[i] != '=' {
			i++
		}
		key := string(s[start:i])
		skipSpaces()
		if i >= len(s) || s[i] != '=' {
			// lib/pq fails here; an unquoted password with a space in it
			// is the likely cause, so the word belongs to it.
			if afterPassword {
				pws[len(pws)-1] += " " + key
				continue
			}
			return pws
		}
		i++
		skipSpaces()
		var val []rune
		if i < len(s) && s[i] == '\'' {
			for i++; i < len(s) && s[i] != '\''; i++ {
				if s[i] == '\\' && i+1 < len(s) {
					i++
				}
				val = append(val, s[i])
			}
			i++
		} else {
			for ; i < len(s) && !unicode.IsSpace(s[i]); i++ {
				if s[i] == '\\' && i+1 < len(s) {
					i++
				}
				val = append(val, s[i])
			}
		}
		afterPassword = key == "password"
		if afterPassword {
			pws = append(pws, string(val))
		}
	}
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
