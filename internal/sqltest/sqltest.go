// Package sqltest holds what the tests of every package that reads SQLite share.
package sqltest

import (
	"database/sql"
	"errors"
	"io/fs"
	"os"
	"testing"
)

// QueryPlan returns the steps of SQLite's plan for a query (EXPLAIN QUERY PLAN), in order, so
// that a test can require an index and no sort or whole-table scan.
func QueryPlan(tb testing.TB, db *sql.DB, query string, args ...any) []string {
	tb.Helper()
	rows, err := db.Query(`EXPLAIN QUERY PLAN `+query, args...)
	if err != nil {
		tb.Fatalf("explain %q: %v", query, err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			tb.Fatal(err)
		}
		plan = append(plan, detail)
	}
	if err := rows.Err(); err != nil {
		tb.Fatal(err)
	}
	return plan
}

// FileBytes returns the bytes of the database file at path and of its write-ahead log, if
// present: what a copy of the disk would hold, for tests that a secret is not in it.
func FileBytes(tb testing.TB, path string) []byte {
	tb.Helper()
	var out []byte
	for _, p := range []string{path, path + "-wal"} {
		b, err := os.ReadFile(p)
		if errors.Is(err, fs.ErrNotExist) && p != path {
			continue
		}
		if err != nil {
			tb.Fatalf("read %s: %v", p, err)
		}
		out = append(out, b...)
	}
	return out
}
