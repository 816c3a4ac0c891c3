// Package storetest opens real SQLite stores for the tests of other packages: a file in the
// test's temporary directory (a fixed shared path would make parallel tests meet
// SQLITE_BUSY), the migrations applied, a fixed key, and Close when the test ends.
package storetest

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"

	"xuncha/store"
)

// Key is the secret key of every test store, so that a test may reopen a store (a restart)
// with Open on the same path.
var Key = bytes.Repeat([]byte{0x17}, store.KeySize)

// Open opens the store at path, or at a new file in tb's temporary directory when path is
// "", and closes it when the test ends. Close is idempotent, so a test may close it itself
// (to restart, or to read the files).
func Open(tb testing.TB, path string) *store.DB {
	tb.Helper()
	if path == "" {
		path = filepath.Join(tb.TempDir(), "xuncha.db")
	}
	db, err := store.Open(context.Background(), path, Key)
	if err != nil {
		tb.Fatalf("open store %s: %v", path, err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

// PutBlob stores a file's bytes and returns its SHA-256, failing the test on error.
func PutBlob(tb testing.TB, db *store.DB, data []byte, mime string) string {
	tb.Helper()
	var sha string
	if err := db.Update(context.Background(), func(tx *store.Tx) (err error) {
		sha, err = tx.PutBlob(data, mime)
		return err
	}); err != nil {
		tb.Fatalf("put blob: %v", err)
	}
	return sha
}
