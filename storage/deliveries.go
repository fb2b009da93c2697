package storage

import (
	"context"
	"fmt"
	"time"
)

// RememberDelivery records a Slack delivery (an event id or envelope id) and
// reports whether it had been seen before. Call it in the transaction that
// acts on the delivery, so a delivery whose handling failed is not remembered.
func (s *Storage) RememberDelivery(ctx context.Context, id string, now time.Time) (duplicate bool, err error) {
	n, err := s.execCount(ctx, `INSERT INTO deliveries (id, received_at) VALUES ($1, $2)
		ON CONFLICT (id) DO NOTHING`, id, now)
	if err != nil {
		return false, fmt.Errorf("remember delivery %s: %w", id, err)
	}
	return n == 0, nil
}

// ForgetDeliveries deletes deliveries received before cutoff; Slack stops
// retrying long before then.
func (s *Storage) ForgetDeliveries(ctx context.Context, cutoff time.Time) (int, error) {
	n, err := s.execCount(ctx, `DELETE FROM deliveries WHERE received_at < $1`, cutoff)
	if err != nil {
		return 0, fmt.Errorf("forget deliveries: %w", err)
	}
	return int(n), nil
}
