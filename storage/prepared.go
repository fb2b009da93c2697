package storage

import (
	"context"

	"github.com/jmoiron/sqlx"
)

// preparedKey names a statement prepared on one pool.
type preparedKey struct {
	db    *sqlx.DB
	query string
}

// preparedIn returns query prepared on db, preparing it once. lib/pq sends
// a query with arguments that is not prepared as two round trips (parse and
// describe, then bind and execute) and PostgreSQL parses it each time: a
// statement on every click's path is prepared.
func (s *Storage) preparedIn(ctx context.Context, db *sqlx.DB, query string) (*sqlx.Stmt, error) {
	key := preparedKey{db, query}
	if st, ok := s.statements.Load(key); ok {
		return st.(*sqlx.Stmt), nil
	}
	st, err := db.PreparexContext(ctx, query)
	if err != nil {
		return nil, err
	}
	if old, loaded := s.statements.LoadOrStore(key, st); loaded {
		st.Close()
		return old.(*sqlx.Stmt), nil
	}
	return st, nil
}
