package pgembed

import "context"

// Available returns nil when the PostgreSQL server programs Start needs are
// installed, and otherwise says where it looked.
func Available(ctx context.Context) error {
	_, err := findBinaries(ctx, "")
	return err
}
