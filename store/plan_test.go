package store

import (
	"fmt"
	"strings"
	"testing"

	"xuncha/internal/sqltest"
)

// TestHotStatementPlans checks the query plans of the statements the daily passes and every
// report run, on a ledger with clues in every state, before and after ANALYZE (production
// never runs it): none may SCAN a table that grows with the ledger, or sort through a
// temporary B-tree. The monthly review reads every open clue by design, through the covering
// index of open clues and nothing else. Plans, not timings: a timing depends on the machine.
func TestHotStatementPlans(t *testing.T) {
	db := MustOpenDB(t)
	stmts := []string{
		`INSERT INTO townships (id, name) VALUES (1, '新站镇')`,
		`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000)
		INSERT INTO clues (id, number, source, subject, subject_key, township_id, status, unit, received_at, due_at, closed_at, updated_at)
		SELECT i, printf('JH-2026-%04d', i), 'inspection', 'x' || (i % 300), 'x' || (i % 300), 1,
			CASE WHEN i % 5 = 0 THEN 'closed' WHEN i % 5 = 1 THEN 'new' WHEN i % 20 = 4 THEN 'held' ELSE 'transferred' END, 'case1', 0,
			CASE WHEN i % 5 > 1 THEN 1000000 + i * 1000 END, CASE WHEN i % 5 = 0 THEN 500 + i END, 0 FROM n`,
		`INSERT INTO clue_ladder (clue_id, due_at, level, next_at) SELECT id, due_at, 2, due_at + 86400 FROM clues WHERE id % 5 = 2`,
		`INSERT INTO clue_letters (clue_id, kind, number, due_at, sent_at)
			SELECT id, 'reminder_letter', '提醒〔2026〕' || id || '号', due_at, due_at FROM clues WHERE id % 5 = 2`,
	}
	for _, s := range stmts {
		if _, err := db.db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	hot := []struct {
		name, query string
		args        []any
		allow       string // the one SCAN allowed
		sort        bool   // a sort of what the index found is allowed
	}{
		{"ladder due", ladderDueQuery, []any{2000000, 0, 0, 1000}, "", false},
		{"set next step", `UPDATE clue_next_steps SET at = ? WHERE clue_id = ?`, []any{2000000, 5}, "", false},
		{"drop next step", `DELETE FROM clue_next_steps WHERE clue_id = ?`, []any{5}, "", false},
		{"ladder clue", `SELECT c.number FROM clues c LEFT JOIN clue_ladder l ON l.clue_id = c.id WHERE c.id = ?`, []any{5}, "", false},
		{"ladder clues", ladderCluesQuery, make([]any, LadderClueBatch), "", false},
		{"letter acked", `SELECT COUNT(*) FROM clue_letters WHERE clue_id = ? AND due_at = ? AND kind = ? AND acked_at IS NOT NULL`,
			[]any{2, 1002000, LetterReminder}, "", false},
		{"number", `SELECT last FROM number_counters WHERE series = ? AND year = ?`, []any{"clue", 2026}, "", false},
		{"repeats", `SELECT ` + clueColumns + clueFrom + repeatScope + ` ORDER BY c.id DESC LIMIT 20`, []any{"x7", 0, 0, 0}, "", false},
		{"held repeats", `SELECT ` + clueColumns + clueFrom + repeatScope + ` AND c.status = ? ORDER BY c.id`, []any{"x7", 0, 0, 0, ClueHeld}, "", false},
		{"dedupe", `SELECT id FROM outbox WHERE dedupe_key = ?`, []any{"ladder:1:2:3"}, "", false},
		// A step's messages: the list of values is read whole, each chat found by its id.
		{"enqueue all", enqueueAllQuery(3), []any{0, 1, "", "k1", false, 2, "", "k2", false, 3, "", "k3", false}, "SCAN 3-ROW VALUES CLAUSE", false},
		{"review open", reviewOpenQuery, []any{2000000}, "SCAN c USING COVERING INDEX clues_open_review", false},
		{"review closed", reviewClosedQuery, []any{1000, 2000}, "", true}, // groups the month's closures
		// The passes over the indexes of next looks (migrations 0031, 0033): the work due only.
		{"duties due", `SELECT ` + dutyColumns + dutyFrom + ` WHERE d.next_at IS NOT NULL AND d.next_at <= ? ORDER BY d.next_at, d.id LIMIT ?`,
			[]any{2000000, 200}, "", false},
		{"refer watch due", `SELECT w.clue_id, c.number FROM refer_watch w JOIN clues c ON c.id = w.clue_id
			WHERE w.next_at IS NOT NULL AND w.next_at <= ? ORDER BY w.next_at, w.clue_id LIMIT ?`, []any{2000000, 200}, "", false},
		{"tasks due", `SELECT id, title FROM tasks WHERE next_at IS NOT NULL AND next_at <= ? ORDER BY next_at, id LIMIT ?`,
			[]any{2000000, 200}, "", false},
	}
	check := func(stage string) {
		for _, h := range hot {
			plan := sqltest.QueryPlan(t, db.db, h.query, h.args...)
			for _, step := range plan {
				// "SCAN inbox" under an INSERT into the outbox is the foreign key's check for
				// rows of inbox that name the new row (inbox.reply_outbox_id), which SQLite runs
				// only while a deferred violation is outstanding (OP_FkIfZero), never here;
				// Enqueue's plan shows it too.
				fkCheck := step == "SCAN inbox" && strings.HasPrefix(h.query, "INSERT INTO outbox")
				if (strings.HasPrefix(step, "SCAN") && step != h.allow && !fkCheck) || (strings.Contains(step, "TEMP B-TREE") && !h.sort) {
					t.Errorf("%s, %s: plan %q reads a growing table whole or sorts it", stage, h.name, strings.Join(plan, "; "))
					break
				}
			}
			if h.allow != "" && !strings.Contains(strings.Join(plan, "; "), h.allow) {
				t.Errorf("%s, %s: plan %q, want %q", stage, h.name, strings.Join(plan, "; "), h.allow)
			}
		}
	}
	check("no statistics")
	if _, err := db.db.Exec(`ANALYZE`); err != nil {
		t.Fatal(err)
	}
	check(fmt.Sprintf("after ANALYZE of %d clues", 3000))
}
