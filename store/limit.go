package store

import (
	"context"
	"fmt"
)

// maxOpenConns bounds the pool (see Open).
const maxOpenConns = 4

// SetMaxPageCount caps the database file at n pages on every pooled connection, so that a
// write needing one more page fails with SQLITE_FULL as on a full disk; n = 0 lifts the cap.
// It is a test hook for the disk-full behaviour: max_page_count is a per-connection pragma,
// so it takes every connection of the pool at once and sets it on each. SQLite never sets the
// cap below the file's current size, so n = 1 means "no more pages than now".
func (db *DB) SetMaxPageCount(ctx context.Context, n int) error {
	if n <= 0 {
		n = 0xfffffffe // SQLite's own default maximum
	}
	held := make([]interface{ Close() error }, 0, maxOpenConns)
	defer func() {
		for _, c := range held {
			c.Close()
		}
	}()
	for range maxOpenConns {
		c, err := db.db.Conn(ctx)
		if err != nil {
			return fmt.Errorf("max page count: %w", err)
		}
		held = append(held, c)
		if _, err := c.ExecContext(ctx, fmt.Sprintf("PRAGMA max_page_count = %d", n)); err != nil {
			return fmt.Errorf("max page count: %w", err)
		}
	}
	return nil
}
