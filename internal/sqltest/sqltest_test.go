package sqltest

import (
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"

	_ "modernc.org/sqlite"
)

// TestQueryPlan: an indexed lookup's plan names the index; an unindexed one scans.
func TestQueryPlan(t *testing.T) {
	db, err := sql.Open("sqlite", filepath.Join(t.TempDir(), "plan.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE TABLE t (a INTEGER, b INTEGER); CREATE INDEX t_a ON t (a)`); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(QueryPlan(t, db, `SELECT b FROM t WHERE a = ?`, 1), "; "); !strings.Contains(got, "USING INDEX t_a") {
		t.Errorf("indexed plan %q, want t_a", got)
	}
	if got := strings.Join(QueryPlan(t, db, `SELECT a FROM t WHERE b = ?`, 1), "; "); !strings.HasPrefix(got, "SCAN t") {
		t.Errorf("unindexed plan %q, want a scan", got)
	}
}

// TestFileBytes: the database file's bytes and then its log's, when there is one.
func TestFileBytes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.db")
	if err := os.WriteFile(path, []byte("main"), 0o600); err != nil {
		t.Fatal(err)
	}
	if got := string(FileBytes(t, path)); got != "main" {
		t.Errorf("without a log: %q", got)
	}
	if err := os.WriteFile(path+"-wal", []byte("+wal"), 0o600); err != nil {
		t.Fatal(err)
	}
	if got := string(FileBytes(t, path)); got != "main+wal" {
		t.Errorf("with a log: %q", got)
	}
}
