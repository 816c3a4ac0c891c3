package store

import (
	"testing"
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
