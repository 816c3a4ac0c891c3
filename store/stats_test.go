package store

import (
	"strings"
	"testing"
	"time"

	"xuncha/internal/sqltest"
)

// TestStatsPlans checks the plans of the statistics passes and of the desk's overdue view,
// before and after ANALYZE: the county's whole ledger is counted by walking the covering index
// clues_stats, never the table with its texts; a township's (an official's page) searches its
// part of the index; the overdue view walks clues_township_due in deadline order with no sort
// and counts from it. Plans, not timings (BENCHMARKS.md has those).
func TestStatsPlans(t *testing.T) {
	db := MustOpenDB(t)
	for _, s := range []string{
		`INSERT INTO townships (id, name) VALUES (1, '新站镇'), (2, '天岗镇')`,
		`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000)
		INSERT INTO clues (id, number, source, subject, subject_key, summary, township_id, status, unit, disposal, form, received_at, due_at, closed_at, updated_at)
		SELECT i, printf('JH-2026-%04d', i), 'inspection', 'x' || (i % 300), 'x' || (i % 300), '某村集体资金使用不规范', 1 + i % 2,
			CASE WHEN i % 5 = 0 THEN 'closed' WHEN i % 5 = 1 THEN 'new' ELSE 'transferred' END, CASE WHEN i % 5 <> 1 THEN 'case1' ELSE '' END,
			'verify', 1 + i % 4, 1000000 + i * 1000, CASE WHEN i % 5 > 1 THEN 1000000 + i * 2000 END, CASE WHEN i % 5 = 0 THEN 500 + i END, 0 FROM n`,
		`INSERT INTO clue_ladder (clue_id, due_at, level, next_at) SELECT id, due_at, 2, due_at + 86400 FROM clues WHERE id % 5 = 2`,
	} {
		if _, err := db.db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	now := time.Unix(3000000, 0)
	county := ClueFilter{From: time.Unix(1000000, 0)}
	township := ClueFilter{TownshipID: 1, From: time.Unix(1000000, 0)}
	unit := ClueFilter{Unit: "case1"}
	type stmt struct {
		name  string
		query string
		args  []any
		scan  bool // the county's whole index may be walked
	}
	var stmts []stmt
	for _, c := range []struct {
		name string
		f    ClueFilter
		scan bool
	}{{"county", county, true}, {"unit", unit, true}, {"township", township, false}} {
		add := func(name, q string, args []any) {
			stmts = append(stmts, stmt{c.name + " " + name, q, args, c.scan})
		}
		q, a := statsSummaryQuery(c.f)
		add("summary", q, a)
		q, a = statsMixQuery(c.f)
		add("mix", q, a)
		q, a = statsTownshipQuery(c.f)
		add("township", q, a)
		q, a = statsMonthQuery(c.f, 8*3600)
		add("month", q, a)
		q, a = statsLadderQuery(c.f, now)
		add("ladder", q, a)
		q, a = statsUnitQuery(c.f, now)
		add("unit", q, a)
	}
	overdue := ClueFilter{Open: true, TownshipID: 1, Overdue: now}
	where, args := overdue.where()
	stmts = append(stmts, stmt{"overdue count", `SELECT COUNT(*) FROM clues c` + where, args, false})
	q := where + ` ORDER BY ` + ledgerOrder("due", overdue, false) + ` LIMIT 50 OFFSET 0`
	stmts = append(stmts, stmt{"overdue page", `SELECT ` + clueColumns + clueFrom + q, args, false})

	open := strings.Replace(reviewOpenQuery, "GROUP BY", "AND c.township_id = ?2 GROUP BY", 1)
	closed := strings.Replace(reviewClosedQuery, "GROUP BY", "AND township_id = ? GROUP BY", 1)
	stmts = append(stmts, stmt{"review of a township, open", open, []any{now.Unix(), 1}, false},
		stmt{"review of a township, closed", closed, []any{0, now.Unix(), 1}, false})

	check := func(stage string) {
		for _, s := range stmts {
			plan := sqltest.QueryPlan(t, db.db, s.query, s.args...)
			text := strings.Join(plan, "; ")
			for _, step := range plan {
				switch {
				case strings.HasPrefix(step, "SCAN") && !(s.scan && step == "SCAN c USING COVERING INDEX clues_stats"):
					t.Errorf("%s, %s: plan %q walks more than its part", stage, s.name, text)
				case strings.HasPrefix(step, "SEARCH c ") && !strings.HasPrefix(s.name, "review") &&
					!strings.Contains(step, "clues_stats") && !strings.Contains(step, "clues_township_due"):
					t.Errorf("%s, %s: plan %q does not use the statistics' indexes", stage, s.name, text)
				case strings.Contains(step, "TEMP B-TREE FOR ORDER BY"):
					t.Errorf("%s, %s: plan %q sorts", stage, s.name, text)
				}
			}
			if strings.HasPrefix(s.name, "township") && !strings.Contains(text, "COVERING INDEX clues_stats (township_id=?") {
				t.Errorf("%s, %s: plan %q, want a search of the covering index by township", stage, s.name, text)
			}
			if s.name == "review of a township, open" && !strings.Contains(text, "COVERING INDEX clues_open_review (township_id=?") {
				t.Errorf("%s, %s: plan %q, want a search of the open clues' index by township", stage, s.name, text)
			}
			if strings.HasPrefix(s.name, "overdue") && !strings.Contains(text, "clues_township_due (township_id=?") {
				t.Errorf("%s, %s: plan %q, want clues_township_due", stage, s.name, text)
			}
		}
	}
	check("no statistics")
	if _, err := db.db.Exec(`ANALYZE`); err != nil {
		t.Fatal(err)
	}
	check("after ANALYZE")
}
