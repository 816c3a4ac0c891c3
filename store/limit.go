package store

import (
	"context"
	"fmt"
)

// maxOpenConns bounds the pool (see Open).
const maxOpenConns = 4

// SetMaxPageCount caps the database file at n pages on every pooled connection, so that a
// write needing one more page fails with SQLITE_FULL as on a full disk; n = 0 lifts the cap.
// SQLite never sets the cap below the file's current size, so n = 1 means "no more pages than
// now". It is a test hook for the disk-full behaviour, and works as root (chmod does not).
func (db *DB) SetMaxPageCount(ctx context.Context, n int) error {
	if n <= 0 {
		n = 0xfffffffe // SQLite's own default maximum
	}
	return db.everyConn(ctx, fmt.Sprintf("PRAGMA max_page_count = %d", n))
}

// SetReadOnly makes every pooled connection refuse writes (SQLITE_READONLY, as on a disk
// remounted read-only) or accept them again. It is a test hook: a chmod of the file does not
// affect connections already open, and does not stop root.
func (db *DB) SetReadOnly(ctx context.Context, on bool) error {
	v := 0
	if on {
		v = 1
	}
	return db.everyConn(ctx, fmt.Sprintf("PRAGMA query_only = %d", v))
}

// everyConn runs a per-connection pragma on every connection of the pool: it takes all of them
// at once (so each is a different one) and releases them after.
func (db *DB) everyConn(ctx context.Context, stmt string) error {
	held := make([]interface{ Close() error }, 0, maxOpenConns)
	defer func() {
		for _, c := range held {
			c.Close()
		}
	}()
	for range maxOpenConns {
		c, err := db.db.Conn(ctx)
		if err != nil {
			return fmt.Errorf("%s: %w", stmt, err)
		}
		held = append(held, c)
		if _, err := c.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("%s: %w", stmt, err)
		}
	}
	return nil
}
