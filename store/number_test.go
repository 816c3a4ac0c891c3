package store

import (
	"path/filepath"
	"testing"
	"time"
)

// TestNumberCountersSeeded: a database upgraded with clues and letters already numbered goes
// on from the highest number of each series and year (migration 0019 seeds the counters), and
// a year with nothing issued starts at 1.
func TestNumberCountersSeeded(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.db")
	db := mustOpenPath(t, path, testKey)
	// The state before 0019: numbered rows and no counters.
	for _, q := range []string{
		`INSERT INTO clues (id, number, source, received_at, updated_at) VALUES
			(1, 'JH-2026-0041', 'inspection', 0, 0), (2, 'JH-2026-0007', 'inspection', 0, 0), (3, 'JH-2025-0120', 'inspection', 0, 0)`,
		`INSERT INTO clue_letters (clue_id, kind, number, due_at, sent_at) VALUES
			(1, 'reminder_letter', '提醒〔2026〕1号', 1, 0), (2, 'reminder_letter', '提醒〔2026〕12号', 2, 0),
			(3, 'supervision_letter', '督办〔2025〕3号', 3, 0)`,
		`DROP TABLE number_counters`,
		`DELETE FROM migrations WHERE version = 19`,
	} {
		if _, err := db.db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	db.Close()
	db = mustOpenPath(t, path, testKey) // applies 0019 again, seeding from the rows above
	setClock(db, time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC))
	var got []string
	mustUpdate(t, db, func(tx *Tx) error {
		for _, at := range []time.Time{time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC), time.Date(2025, 12, 1, 0, 0, 0, 0, time.UTC),
			time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)} {
			c := &Clue{Source: ClueFromInspection, ReceivedAt: at}
			if _, err := tx.CreateClue(c); err != nil {
				return err
			}
			got = append(got, c.Number)
		}
		for _, k := range []struct {
			kind string
			year int
		}{{LetterReminder, 2026}, {LetterSupervision, 2025}, {LetterSupervision, 2026}} {
			l, err := tx.CreateLetter(1, k.kind, time.Unix(int64(100+len(got)), 0), k.year)
			if err != nil {
				return err
			}
			got = append(got, l.Number)
		}
		return nil
	})
	want := []string{"JH-2026-0042", "JH-2025-0121", "JH-2024-0001", "提醒〔2026〕13号", "督办〔2025〕4号", "督办〔2026〕1号"}
	if len(got) != len(want) {
		t.Fatalf("numbers %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("number %d: %s, want %s", i, got[i], want[i])
		}
	}
}
