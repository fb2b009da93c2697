package storage

import (
	"context"
	"fmt"
	"time"

	"github.com/lib/pq"
)

// RememberHomeOpened records that a user opened alignbot's App Home, so that
// it is kept up to date for them after later changes.
func (s *Storage) RememberHomeOpened(ctx context.Context, workspaceID, userID string, now time.Time) error {
	_, err := s.q.ExecContext(ctx, `INSERT INTO home_users (workspace_id, user_id, opened_at) VALUES ($1, $2, $3)
		ON CONFLICT (workspace_id, user_id) DO UPDATE SET opened_at = EXCLUDED.opened_at`, workspaceID, userID, now)
	if err != nil {
		return fmt.Errorf("remember home of %s: %w", userID, err)
	}
	return nil
}

// HomeUsers returns which of the given users have opened the App Home.
func (s *Storage) HomeUsers(ctx context.Context, workspaceID string, userIDs []string) ([]string, error) {
	var out []string
	err := s.q.SelectContext(ctx, &out, `SELECT user_id FROM home_users WHERE workspace_id = $1 AND user_id = ANY($2)
		ORDER BY user_id`, workspaceID, pq.Array(userIDs))
	if err != nil {
		return nil, fmt.Errorf("home users: %w", err)
	}
	return out, nil
}
