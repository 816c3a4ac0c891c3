package store

import (
	"reflect"
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
