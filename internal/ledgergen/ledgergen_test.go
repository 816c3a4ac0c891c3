package ledgergen

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"xuncha/store"
	"xuncha/store/storetest"
)

// TestBuildShape: a small ledger has the promised mix of statuses, overdue clues holding
// letters, and letter numbers that run per kind and year without a gap.
func TestBuildShape(t *testing.T) {
	path := filepath.Join(t.TempDir(), "l.db")
	now := DefaultNow()
	if err := Build(context.Background(), path, Spec{Clues: 2000, Now: now, Key: storetest.Key}); err != nil {
		t.Fatal(err)
	}
	db := storetest.Open(t, path) // the store opens what was built
	db.Close()
	raw, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	count := func(q string, args ...any) int {
		t.Helper()
		var n int
		if err := raw.QueryRow(q, args...).Scan(&n); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return n
	}
	for status, want := range map[string]int{"new": 300, "studied": 100, "held": 100} {
		if got := count(`SELECT COUNT(*) FROM clues WHERE status = ?`, status); got != want {
			t.Errorf("%s clues %d, want %d", status, got, want)
		}
	}
	if got := count(`SELECT COUNT(*) FROM clues WHERE status IN ('transferred', 'handling') AND due_at IS NOT NULL`); got != 1500 {
		t.Errorf("clues with a deadline %d, want 1500", got)
	}
	overdue := count(`SELECT COUNT(*) FROM clues WHERE due_at < ?`, now.Add(-48*time.Hour).Unix())
	reminders := count(`SELECT COUNT(*) FROM clue_letters l JOIN clues c ON c.id = l.clue_id WHERE l.kind = ? AND c.due_at IS NOT NULL`, store.LetterReminder)
	if overdue < 500 || reminders < overdue || reminders > overdue+50 {
		t.Errorf("%d clues overdue by two days, %d reminder letters; want one each", overdue, reminders)
	}
	if n := count(`SELECT COUNT(*) FROM clue_letters WHERE kind = ?`, store.LetterSupervision); n == 0 {
		t.Error("no supervision letters")
	}
	// New clues left alone climbed their stage's clock (awaiting joint study).
	if n := count(`SELECT COUNT(*) FROM clue_letters l JOIN clues c ON c.id = l.clue_id WHERE c.status = 'new'
		AND l.kind = ? AND l.due_at = c.stage_at`, store.LetterSupervision); n == 0 {
		t.Error("no untouched new clue got its stage's supervision letter")
	}
	if n := count(`SELECT COUNT(*) FROM clue_ladder WHERE level = 1 AND next_at IS NOT NULL`); n == 0 {
		t.Error("no clue inside the nudge window was nudged")
	}
	if n := count(`SELECT COUNT(*) FROM clue_letters WHERE number NOT LIKE '%〕' || (SELECT COUNT(*) FROM clue_letters l2
		WHERE l2.kind = clue_letters.kind AND substr(l2.number, 4, 4) = substr(clue_letters.number, 4, 4) AND l2.id <= clue_letters.id) || '号'`); n != 0 {
		t.Errorf("%d letters out of sequence", n)
	}
}

// TestBuildNextSteps: the next step times are as a pass leaves them: none is due before the
// ledger's previous pass except those a holiday calendar might move, and ended climbs have
// none.
func TestBuildNextSteps(t *testing.T) {
	path := filepath.Join(t.TempDir(), "l.db")
	now := DefaultNow()
	if err := Build(context.Background(), path, Spec{Clues: 2000, Now: now, Key: storetest.Key}); err != nil {
		t.Fatal(err)
	}
	raw, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var zero, ended, stale int
	if err := raw.QueryRow(`SELECT (SELECT COUNT(*) FROM clue_next_steps WHERE at = 0),
		(SELECT COUNT(*) FROM clue_next_steps n JOIN clue_ladder l ON l.clue_id = n.clue_id WHERE l.next_at IS NULL),
		(SELECT COUNT(*) FROM clue_next_steps WHERE at < ?)`, now.Add(-24*time.Hour).Unix()).Scan(&zero, &ended, &stale); err != nil {
		t.Fatal(err)
	}
	if zero != 0 || ended != 0 || stale != 0 {
		t.Errorf("%d clues left to work out, %d ended climbs with a next step, %d steps owed since before yesterday", zero, ended, stale)
	}
}
