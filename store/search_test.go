package store

import (
	"database/sql"
	"slices"
	"strings"
	"testing"
	"time"

	"xuncha/internal/sqltest"
)

// TestSearch: the desk's search finds a text of one, two or more characters in the subject,
// the summary or the number, whatever the case of ASCII letters, never across two fields, and
// follows a clue's changed text (the bigram table of migration 0036).
func TestSearch(t *testing.T) {
	db := MustOpenDB(t)
	setClock(db, t0)
	ids := mustInspectionClues(t, db,
		&Clue{Subject: "东风村村委会", Summary: "惠农补贴被截留"},
		&Clue{Subject: "胜利村", Summary: "路灯坏了三天没人修"},
		&Clue{Subject: "红旗村 Co-op", Summary: "账目不公开，路灯也坏了"})
	find := func(search string) []int64 {
		t.Helper()
		var got []int64
		mustUpdate(t, db, func(tx *Tx) error {
			clues, n, err := tx.LedgerPage(ClueFilter{Search: search}, "number", false, 0, 10)
			for _, c := range clues {
				got = append(got, c.ID)
			}
			if err == nil && n != len(clues) {
				t.Errorf("%q: count %d, page %d", search, n, len(clues))
			}
			return err
		})
		return got
	}
	for _, tt := range []struct {
		search string
		want   []int64
	}{
		{"路灯", ids[1:]},
		{"路灯坏了", ids[1:2]},
		{"路灯坏了三天没人修", ids[1:2]},   // more bigrams than are looked up
		{"修", ids[1:2]},           // a field's last character
		{"灯", ids[1:]},            // one character
		{"co-OP", ids[2:]},        // ASCII letters in any case
		{"jh-2025-0001", ids[:1]}, // the number
		{"村惠", nil},               // the end of the subject and the start of the summary
		{"会惠农", nil},
		{"路灯好了", nil},
	} {
		if got := find(tt.search); !slices.Equal(got, tt.want) {
			t.Errorf("search %q: clues %v, want %v", tt.search, got, tt.want)
		}
	}
	// No code changes a clue's text today; the table follows it anyway, should one ever do.
	if _, err := db.db.Exec(`UPDATE clues SET subject = '新站镇', summary = '排水沟堵了' WHERE id = ?`, ids[1]); err != nil {
		t.Fatal(err)
	}
	if got := find("路灯"); !slices.Equal(got, ids[2:]) {
		t.Errorf("after the text changed, 路灯: %v, want %v", got, ids[2:])
	}
	if got := find("水沟"); !slices.Equal(got, ids[1:2]) {
		t.Errorf("after the text changed, 水沟: %v, want %v", got, ids[1:2])
	}
	// A common word: the count stops after SearchCountMax+1, the page is still the newest.
	if _, err := db.db.Exec(`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1100)
		INSERT INTO clues (number, source, subject, summary, received_at, updated_at)
		SELECT printf('JH-2024-%04d', i), 'inspection', '合作社', '低保优亲厚友', i, 0 FROM n`); err != nil {
		t.Fatal(err)
	}
	mustUpdate(t, db, func(tx *Tx) error {
		clues, n, err := tx.LedgerPage(ClueFilter{Search: "低保"}, "received", true, 0, 3)
		if err == nil && (n != SearchCountMax+1 || len(clues) != 3 || clues[0].Number != "JH-2024-1100") {
			t.Errorf("a word in 1,100 clues: count %d, page %v, want %d and JH-2024-1100 first", n, clues, SearchCountMax+1)
		}
		return err
	})
	var grams int
	if err := db.db.QueryRow(`SELECT COUNT(*) FROM clue_grams WHERE clue_id = ?`, ids[1]).Scan(&grams); err != nil {
		t.Fatal(err)
	}
	// 新站镇␟排水沟堵了␟JH-2025-0002␟: 21 characters, 20 bigrams, none twice.
	if grams != 20 {
		t.Errorf("clue with a changed text holds %d bigrams, want 20 (the old ones left behind?)", grams)
	}
}

// mustInspectionClues registers clues the inspection found, an hour apart from t0, and
// returns their ids.
func mustInspectionClues(tb testing.TB, db *DB, clues ...*Clue) []int64 {
	tb.Helper()
	ids := make([]int64, len(clues))
	for i, c := range clues {
		c.Source = ClueFromInspection
		c.ReceivedAt = t0.Add(time.Duration(i) * time.Hour)
		ids[i] = mustClue(tb, db, c).ID
	}
	return ids
}

// TestSearchPlans checks the plans of the desk's search statements (the count and the page),
// alone and with the filters an official adds, before and after ANALYZE: the count and a page
// of few matches reach the clues through the bigram table or another filter's index, never by
// reading the ledger; a page of many matches, newest first, walks the registration index in
// order (and stops after a page), testing each clue against the bigrams' matches.
func TestSearchPlans(t *testing.T) {
	db := MustOpenDB(t)
	for _, s := range []string{
		`INSERT INTO townships (id, name) VALUES (1, '新站镇'), (2, '天岗镇')`,
		`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000)
		INSERT INTO clues (id, number, source, subject, summary, township_id, status, unit, received_at, due_at, updated_at)
		SELECT i, printf('JH-2026-%04d', i), 'inspection', '村委会' || i,
			CASE i % 6 WHEN 0 THEN '路灯坏了没人修' WHEN 1 THEN '惠农补贴被截留' WHEN 2 THEN '账目不公开' ELSE '低保优亲厚友' END,
			1 + i % 2, CASE WHEN i % 5 = 0 THEN 'closed' ELSE 'transferred' END, 'case1', i * 1000, i * 1000 + 86400, 0 FROM n`,
	} {
		if _, err := db.db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	filters := []ClueFilter{
		{Search: "路灯"},
		{Search: "灯"},
		{Search: "路灯坏了没人修"},
		{Search: "低保", Open: true},
		{Search: "低保", Open: true, TownshipID: 1},
		{Search: "jh-2026-01", Statuses: []string{ClueTransferred}, Unit: "case1"},
	}
	check := func(stage string) {
		for _, f := range filters {
			count, args := ledgerCount(f)
			if plan := queryPlan(t, db.db, count, args...); strings.Contains(plan, "SCAN c") || strings.Contains(plan, "SCAN clue_grams") ||
				!strings.Contains(plan, "SEARCH clue_grams USING PRIMARY KEY") {
				t.Errorf("%s, search %q %+v: the count's plan %q reads the ledger, not the search's matches", stage, f.Search, f, plan)
			}
			for _, order := range []string{"received", "due"} {
				for _, many := range []bool{false, true} {
					page, args := ledgerPageQuery(f, order, true, many)
					plan := queryPlan(t, db.db, `SELECT `+clueColumns+page, append(args, 50, 0)...)
					if strings.Contains(plan, "SCAN clue_grams") || !strings.Contains(plan, "SEARCH clue_grams USING PRIMARY KEY") {
						t.Errorf("%s, search %q: the page's plan %q does not look its bigrams up", stage, f.Search, plan)
					}
					if many && order == "received" {
						// The registration index in order, stopping after a page; the page's fifty sorted.
						if !strings.Contains(plan, "INDEX clues_received") || strings.Count(plan, "TEMP B-TREE") != 1 {
							t.Errorf("%s, search %q, many newest first: plan %q does not walk the registration index in order", stage, f.Search, plan)
						}
					} else if strings.Contains(plan, "SCAN c") {
						t.Errorf("%s, search %q by %s: plan %q reads the ledger, not the search's matches", stage, f.Search, order, plan)
					}
				}
			}
		}
	}
	check("no statistics")
	if _, err := db.db.Exec(`ANALYZE`); err != nil {
		t.Fatal(err)
	}
	check("after ANALYZE")
	// The bigrams of one clue are found through its id, not by reading every clue.
	if plan := queryPlan(t, db.db, `SELECT gram, clue_id FROM clue_gram_rows WHERE clue_id = ?`, 5); strings.Contains(plan, "SCAN clues") {
		t.Errorf("the triggers' bigrams of one clue: plan %q reads every clue", plan)
	}
}

// queryPlan is a statement's plan as one line.
func queryPlan(tb testing.TB, db *sql.DB, query string, args ...any) string {
	return strings.Join(sqltest.QueryPlan(tb, db, query, args...), "; ")
}

// TestSearchOddCharacters: a search finds only clues whose subject, summary or number holds
// the typed text, as LIKE did, whatever the characters typed: the last character before the
// UTF-16 surrogates (whose next code point is no character), the last code point, and the
// unit separator that ends each field in the bigram table (the desk's search box takes any
// character).
func TestSearchOddCharacters(t *testing.T) {
	db := MustOpenDB(t)
	setClock(db, t0)
	mustInspectionClues(t, db,
		&Clue{Subject: "红旗村", Summary: "账目不公开，路灯也坏了"},
		&Clue{Subject: "胜利村", Summary: "（私用区）"})
	for _, search := range []string{"\uD7FF", "\U0010FFFF", "\x1f", "了\x1f", "\x1f胜", "村\x1f账"} {
		mustUpdate(t, db, func(tx *Tx) error {
			clues, n, err := tx.LedgerPage(ClueFilter{Search: search}, "number", false, 0, 10)
			if err == nil && (n != 0 || len(clues) != 0) {
				t.Errorf("search %q: count %d, %d clues, want none", search, n, len(clues))
			}
			return err
		})
	}
}
