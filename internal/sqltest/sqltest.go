// Package sqltest holds what the tests of every package that reads SQLite share.
package sqltest

import (
	"database/sql"
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
