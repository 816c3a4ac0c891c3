package store

import (
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"reflect"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestEnqueueAll: the messages of a step go in one statement with what Enqueue gives each row:
// the body sealed and readable by the sender, the chat's platform, the person a staff
// message is tagged with (so that withdrawing the role drops it) and none for a resident's;
// a key queued before, in an earlier call or by Enqueue, is not queued twice.
func TestEnqueueAll(t *testing.T) {
	db := MustOpenDB(t)
	setClock(db, t0)
	pl := mustPlaces(t, db)
	official, staffChat := mustPerson(t, db, "official", RoleOfficial, pl.T1, 0)
	resident := mustChat(t, db, "telegram", "resident")
	mustEnqueue(t, db, resident, "earlier", "step:resident")
	var n int
	mustUpdate(t, db, func(tx *Tx) (err error) {
		n, err = tx.EnqueueAll([]Queued{
			{ChatID: staffChat, Msg: OutMessage{Text: "提醒函", Buttons: [][]Button{{{Text: "签收", Data: "ack"}}}}, DedupeKey: "step:staff"},
			{ChatID: resident, Msg: OutMessage{Text: "again", Resident: true}, DedupeKey: "step:resident"},
		})
		return err
	})
	if n != 1 {
		t.Errorf("EnqueueAll added %d rows, want 1 (the resident's key was queued before)", n)
	}
	// Again, as a pass that is repeated after a crash would: nothing new.
	mustUpdate(t, db, func(tx *Tx) (err error) {
		n, err = tx.EnqueueAll([]Queued{{ChatID: staffChat, Msg: OutMessage{Text: "提醒函"}, DedupeKey: "step:staff"}})
		return err
	})
	if n != 0 {
		t.Errorf("a repeated step added %d rows, want 0", n)
	}
	if got := mustCount(t, db, `SELECT COUNT(*) FROM outbox WHERE chat_id = ? AND platform = 'telegram' AND person_id = ?`, staffChat, official.ID); got != 1 {
		t.Errorf("staff rows tagged with their person: %d, want 1", got)
	}
	ds, err := db.ClaimDue(t.Context(), "telegram", 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	texts := map[int64]string{}
	for _, d := range ds {
		texts[d.ChatID] = d.Message.Text
		if d.ChatID == staffChat && (len(d.Message.Buttons) != 1 || d.Message.Buttons[0][0].Data != "ack") {
			t.Errorf("staff message buttons = %v", d.Message.Buttons)
		}
	}
	if texts[staffChat] != "提醒函" || texts[resident] != "earlier" || len(ds) != 2 {
		t.Errorf("claimed %v, want the letter and the earlier message", texts)
	}
	if _, err := db.WithdrawPerson(t.Context(), official.ID, "test", "left"); err != nil {
		t.Fatal(err)
	}
	if got := mustCount(t, db, `SELECT COUNT(*) FROM outbox WHERE chat_id = ? AND status = 'pending'`, staffChat); got != 0 {
		t.Errorf("after the role was withdrawn %d staff messages still pending, want 0", got)
	}
}

// TestLadderClues: the batch read gives each clue as LadderClue does, in id order, and leaves
// out an id with no clue; more ids than a batch is an error, not a silently short read.
func TestLadderClues(t *testing.T) {
	db := MustOpenDB(t)
	setClock(db, t0)
	due := t0.Add(72 * time.Hour)
	transferred, unit := ClueTransferred, "case1"
	a := mustClue(t, db, &Clue{Source: ClueFromInspection, Summary: "a"})
	b := mustClue(t, db, &Clue{Source: ClueFromInspection, Summary: "b"})
	c := mustClue(t, db, &Clue{Source: ClueFromInspection, Summary: "c"})
	mustUpdate(t, db, func(tx *Tx) error {
		if err := tx.UpdateClue(b.ID, ClueUpdate{Status: &transferred, Unit: &unit, DueAt: &due}); err != nil {
			return err
		}
		if err := tx.SetLadder(b.ID, due, LadderNudge, due); err != nil {
			return err
		}
		return tx.PauseClue(c.ID, 0, "waiting for the bank")
	})
	mustUpdate(t, db, func(tx *Tx) error {
		got, err := tx.LadderClues([]int64{a.ID, b.ID, c.ID + 100, c.ID})
		if err != nil {
			return err
		}
		if len(got) != 3 {
			t.Fatalf("LadderClues gave %d clues, want 3 (the missing id left out)", len(got))
		}
		for i, id := range []int64{a.ID, b.ID, c.ID} {
			one, err := tx.LadderClue(id)
			if err != nil {
				return err
			}
			if !reflect.DeepEqual(got[i], one) {
				t.Errorf("clue %d: LadderClues %+v, LadderClue %+v", id, got[i], one)
			}
		}
		if got[1].Level != LadderNudge || !got[1].DueAt.Equal(due) || got[1].Unit != unit || got[2].Open {
			t.Errorf("state read: %+v, %+v", got[1], got[2])
		}
		if _, err := tx.LadderClues(make([]int64, LadderClueBatch+1)); err == nil {
			t.Error("LadderClues took more ids than a batch")
		}
		return nil
	})
}

// TestReviewTotalsCache: the review's larger page cache is its own; the connection has its
// usual one again once the counting is done.
func TestReviewTotalsCache(t *testing.T) {
	db := MustOpenDB(t)
	err := db.View(t.Context(), func(tx *Tx) error {
		var before, after int
		if err := tx.queryRow(`PRAGMA cache_size`).Scan(&before); err != nil {
			return err
		}
		if _, err := tx.ReviewTotals(t0, t0.AddDate(0, -1, 0), t0); err != nil {
			return err
		}
		if err := tx.queryRow(`PRAGMA cache_size`).Scan(&after); err != nil {
			return err
		}
		if after != before || before == -reviewCacheKiB {
			t.Errorf("cache_size %d before the review, %d after", before, after)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestNextStepsMigration: the upgrade to the table of next steps (migration 0035) carries
// every clue's next step time over from clues.next_step_at and none that had ended, and the
// triggers keep the new table: a new open clue and a moved deadline are handed to the next
// pass, a closed clue leaves it. LadderDue reads the new table.
func TestNextStepsMigration(t *testing.T) {
	path := filepath.Join(t.TempDir(), "old.db")
	raw, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	// The store as it was before 0035.
	if _, err := raw.Exec(`CREATE TABLE migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	names, err := fs.Glob(migrations, "migration/*.sql")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range names {
		v, err := migrationVersion(name)
		if err != nil {
			t.Fatal(err)
		}
		if v >= 35 {
			continue
		}
		body, err := migrations.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := raw.Exec(string(body)); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if _, err := raw.Exec(`INSERT INTO migrations (version, name, applied_at) VALUES (?, ?, 0)`, v, name); err != nil {
			t.Fatal(err)
		}
	}
	ins := func(id int64, due any) {
		t.Helper()
		if _, err := raw.Exec(`INSERT INTO clues (id, number, source, received_at, due_at, updated_at, status) VALUES (?, ?, 'inspection', 1000, ?, 1000, 'transferred')`,
			id, fmt.Sprintf("M-%d", id), due); err != nil {
			t.Fatal(err)
		}
	}
	ins(1, 5000) // a step due at 3000
	ins(2, 6000) // its climb ended
	ins(3, 7000) // to be worked out
	if _, err := raw.Exec(`UPDATE clues SET next_step_at = CASE id WHEN 1 THEN 3000 WHEN 2 THEN NULL ELSE 0 END`); err != nil {
		t.Fatal(err)
	}
	raw.Close()

	db := mustOpenPath(t, path, testKey)
	steps := func() map[int64]int64 {
		t.Helper()
		rows, err := db.db.Query(`SELECT clue_id, at FROM clue_next_steps`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		got := map[int64]int64{}
		for rows.Next() {
			var id, at int64
			if err := rows.Scan(&id, &at); err != nil {
				t.Fatal(err)
			}
			got[id] = at
		}
		return got
	}
	if got, want := steps(), map[int64]int64{1: 3000, 3: 0}; !reflect.DeepEqual(got, want) {
		t.Fatalf("after the upgrade: next steps %v, want %v", got, want)
	}
	due, err := db.LadderDue(t.Context(), time.Unix(4000, 0), LadderCursor{At: time.Unix(-1, 0)}, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(due) != 2 || due[0].ID != 3 || due[1].ID != 1 || !due[1].At.Equal(time.Unix(3000, 0)) {
		t.Errorf("LadderDue = %v, want clue 3 (to be worked out), then clue 1 at 3000", due)
	}
	for _, q := range []string{
		`INSERT INTO clues (id, number, source, received_at, updated_at) VALUES (4, 'M-4', 'inspection', 1000, 1000)`,
		`UPDATE clues SET due_at = 8000 WHERE id = 2`,
		`UPDATE clues SET closed_at = 2000, status = 'closed' WHERE id = 1`,
	} {
		if _, err := db.db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if got, want := steps(), map[int64]int64{2: 0, 3: 0, 4: 0}; !reflect.DeepEqual(got, want) {
		t.Errorf("after a new clue, a new deadline and a closing: next steps %v, want %v", got, want)
	}
	mustUpdate(t, db, func(tx *Tx) error {
		if err := tx.SetNextStep(2, time.Unix(9000, 0)); err != nil {
			return err
		}
		if err := tx.SetNextStep(99, time.Unix(9000, 0)); err != nil { // no such clue: nothing
			return err
		}
		return tx.SetNextStep(3, time.Time{})
	})
	if got, want := steps(), map[int64]int64{2: 9000, 4: 0}; !reflect.DeepEqual(got, want) {
		t.Errorf("after SetNextStep: next steps %v, want %v", got, want)
	}
}

// TestEnqueueAllChunks: more messages than one statement holds go in several, in the order
// given; a key repeated within the list, and a chat that is gone, are left out.
func TestEnqueueAllChunks(t *testing.T) {
	db := MustOpenDB(t)
	chats := []int64{mustChat(t, db, "telegram", "a"), mustChat(t, db, "telegram", "b"), mustChat(t, db, "wechat", "c")}
	var q []Queued
	var want []string
	for i := range 2*enqueueChunk + 37 {
		key := fmt.Sprintf("chunk:%d", i)
		chat := chats[i%len(chats)]
		switch i {
		case enqueueChunk + 5:
			key = "chunk:3" // queued before, in the first statement
		case 2 * enqueueChunk:
			chat = 999999 // no such chat
		default:
			want = append(want, key)
		}
		q = append(q, Queued{ChatID: chat, Msg: OutMessage{Text: key}, DedupeKey: key})
	}
	var n int
	mustUpdate(t, db, func(tx *Tx) (err error) {
		n, err = tx.EnqueueAll(q)
		return err
	})
	if n != len(want) {
		t.Errorf("EnqueueAll added %d rows, want %d", n, len(want))
	}
	rows, err := db.db.Query(`SELECT dedupe_key FROM outbox ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []string
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			t.Fatal(err)
		}
		got = append(got, k)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("queued %d rows in this order:\n%v\nwant %d:\n%v", len(got), got, len(want), want)
	}
}

// TestNumbersTakenInACall: the numbers a call of Update takes are counted in memory and
// written when it returns: the next call goes on from them, a call that fails gives them
// back, and calls that share a transaction (concurrent ones, in savepoints) never share one.
func TestNumbersTakenInACall(t *testing.T) {
	db := MustOpenDB(t)
	setClock(db, t0)
	mustExec := func(q string) {
		t.Helper()
		if _, err := db.db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	mustExec(`INSERT INTO clues (id, number, source, received_at, updated_at) VALUES (1, 'N-1', 'inspection', 0, 0)`)
	var due atomic.Int64 // a letter's deadline, its own for each (one letter per deadline and kind)
	letters := func(n int) ([]string, error) {
		var got []string
		err := db.Update(t.Context(), func(tx *Tx) error {
			for range n {
				l, err := tx.CreateLetter(1, LetterReminder, time.Unix(due.Add(1), 0), 2026)
				if err != nil {
					return err
				}
				got = append(got, l.Number)
			}
			return nil
		})
		return got, err
	}
	if got, err := letters(3); err != nil || !reflect.DeepEqual(got, []string{"提醒〔2026〕1号", "提醒〔2026〕2号", "提醒〔2026〕3号"}) {
		t.Fatalf("first call: %v, %v", got, err)
	}
	errStop := errors.New("stop")
	if err := db.Update(t.Context(), func(tx *Tx) error {
		if _, err := tx.CreateLetter(1, LetterReminder, time.Unix(due.Add(1), 0), 2026); err != nil {
			return err
		}
		return errStop
	}); !errors.Is(err, errStop) {
		t.Fatal(err)
	}
	if got, err := letters(1); err != nil || !reflect.DeepEqual(got, []string{"提醒〔2026〕4号"}) {
		t.Fatalf("after a call that failed: %v, %v, want 提醒〔2026〕4号", got, err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	all := map[string]bool{}
	for range 8 {
		wg.Go(func() {
			got, err := letters(5)
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			for _, n := range got {
				if all[n] {
					t.Errorf("number %s issued twice", n)
				}
				all[n] = true
			}
		})
	}
	wg.Wait()
	if n := mustCount(t, db, `SELECT last FROM number_counters WHERE series = 'reminder_letter' AND year = 2026`); n != 44 {
		t.Errorf("counter at %d after 44 letters", n)
	}
}
