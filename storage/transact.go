package storage

import (
	"context"
	"errors"
	"fmt"
)

var (
	// ErrDeclined: the respondent declined the round.
	ErrDeclined = errors.New("the respondent declined the round")
	// ErrNestedTransaction: Transact was called inside a transaction. A
	// flow decides once, inside one transaction; a nested call quietly
	// joining the outer one would hide that it is not atomic on its own.
	ErrNestedTransaction = errors.New("transact: already inside a transaction")

	errNotInTransaction = errors.New("must be called inside Transact")
)

// Transact runs fn in one transaction and commits it if fn returns nil. On a
// deadlock (or a serialization failure, should a caller raise the isolation
// level) the whole transaction is retried, so fn may run more than once and
// must not have effects outside the database. Inside fn, use only the
// *Storage it is given; calling Transact on it returns ErrNestedTransaction.
func (s *Storage) Transact(ctx context.Context, fn func(*Storage) error) error {
	if s.tx {
		return ErrNestedTransaction
	}
	const attempts = 4
	var err error
	for range attempts {
		err = s.transactOnce(ctx, fn)
		if !retryable(err) {
			return err
		}
	}
	return fmt.Errorf("transact: gave up after %d attempts: %w", attempts, err)
}

// InTransaction reports whether s runs inside Transact.
func (s *Storage) InTransaction() bool { return s.tx }

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
	if err := fn(&Storage{db: s.db, clicks: s.clicks, q: tx, tx: true, transactions: s.transactions, statements: s.statements, batcher: s.batcher, ends: s.ends,
		liveLease: s.liveLease, lazy: s.lazy}); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("transact: commit: %w", err)
	}
	s.transactions.Add(1)
	return nil
}
