package store

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestAuditRefusal: a flood of refusals writes RefusalRows rows and one summary a window, the
// summary is written when the window has closed (on the next refusal or an explicit flush),
// and each person's refusals are counted apart from the anonymous ones.
func TestAuditRefusal(t *testing.T) {
	db := MustOpenDB(t)
	clk := setClock(db, t0)
	count := func(q string, args ...any) int {
		t.Helper()
		var n int
		if err := db.db.QueryRow(q, args...).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	refuse := func(n int, person int64, action string) {
		t.Helper()
		for range n {
			mustUpdate(t, db, func(tx *Tx) error { return tx.AuditRefusal(person, "web", action, "", "x") })
			clk.advance(10 * time.Millisecond)
		}
	}

	official, _ := mustPerson(t, db, "official-chat", RoleOfficial, 0, 0)
	refuse(100, 0, "invitation.refused")
	refuse(5, 0, "ledger.refused")
	if n := count(`SELECT COUNT(*) FROM audit WHERE action <> 'invitation.issued'`); n != RefusalRows+5 {
		t.Fatalf("105 refusals in one window wrote %d audit rows, want %d", n, RefusalRows+5)
	}
	mustUpdate(t, db, func(tx *Tx) error {
		next, err := tx.FlushRefusalSummaries()
		if err != nil || !next.Equal(t0.Add(RefusalWindow)) {
			t.Errorf("flush in the window: next %v, %v; want %v", next, err, t0.Add(RefusalWindow))
		}
		return err
	})
	if n := count(`SELECT COUNT(*) FROM audit WHERE action = 'abuse.summary'`); n != 0 {
		t.Fatalf("a summary before the window closed: %d", n)
	}

	// The window closes; the next refusal of another person writes the summary first.
	clk.advance(RefusalWindow)
	refuse(1, official.ID, "ledger.refused")
	var object, detail string
	var person *int64
	if err := db.db.QueryRow(`SELECT object, detail, person_id FROM audit WHERE action = 'abuse.summary'`).Scan(&object, &detail, &person); err != nil {
		t.Fatalf("no summary after the window: %v", err)
	}
	if object != "invitation.refused" || !strings.Contains(detail, "suppressed="+strconv.Itoa(100-RefusalRows)) || person != nil {
		t.Errorf("summary: %s %q person %v", object, detail, person)
	}
	if n := count(`SELECT COUNT(*) FROM audit WHERE action = 'abuse.summary'`); n != 1 {
		t.Errorf("summaries: %d, want 1 (ledger.refused stayed under its rows)", n)
	}
	if n := count(`SELECT COUNT(*) FROM audit WHERE action = 'ledger.refused' AND person_id = ?`, official.ID); n != 1 {
		t.Errorf("a person's refusal was not logged on its own: %d", n)
	}
	// Only the open window is left: the table does not grow with the flood.
	if n := count(`SELECT COUNT(*) FROM refusal_windows`); n != 1 {
		t.Errorf("refusal windows kept: %d, want 1", n)
	}
	// A new window logs its first refusals again.
	refuse(1, 0, "invitation.refused")
	if n := count(`SELECT COUNT(*) FROM audit WHERE action = 'invitation.refused'`); n != RefusalRows+1 {
		t.Errorf("invitation.refused rows: %d, want %d", n, RefusalRows+1)
	}
}

// TestSetReporterBlocked: the chat behind a linked report is blocked and unblocked without the
// caller naming it; a report with no link cannot be; the table holds no chat id in clear.
func TestSetReporterBlocked(t *testing.T) {
	db := MustOpenDB(t)
	chat, other, linked, nolink := mustLinkedReports(t, db)

	blocked := func(id int64) bool {
		t.Helper()
		var b bool
		mustUpdate(t, db, func(tx *Tx) error {
			var err error
			b, err = tx.ChatBlocked(id)
			return err
		})
		return b
	}
	mustUpdate(t, db, func(tx *Tx) error { return tx.SetReporterBlocked(linked.ID, true) })
	mustUpdate(t, db, func(tx *Tx) error { return tx.SetReporterBlocked(linked.ID, true) }) // twice: no error
	if !blocked(chat) || blocked(other) {
		t.Fatalf("blocked: reporter %v, other %v", blocked(chat), blocked(other))
	}
	var ref []byte
	if err := db.db.QueryRow(`SELECT chat_ref FROM blocked_reporters`).Scan(&ref); err != nil {
		t.Fatal(err)
	}
	if string(ref) == strconv.FormatInt(chat, 10) || len(ref) < 16 {
		t.Errorf("blocked_reporters holds %x, not a keyed hash", ref)
	}
	for _, id := range []int64{nolink.ID, 0, 999} {
		err := db.Update(t.Context(), func(tx *Tx) error { return tx.SetReporterBlocked(id, true) })
		if !errors.Is(err, ErrNoReporterLink) {
			t.Errorf("block report %d: %v, want ErrNoReporterLink", id, err)
		}
	}
	mustUpdate(t, db, func(tx *Tx) error { return tx.SetReporterBlocked(linked.ID, false) })
	if blocked(chat) {
		t.Error("still blocked after unblocking")
	}
}

// TestPurgeLinkLiftsItsBlock: a block made through a report goes with the report's link. The
// purge destroys the sealed link of a clue closed 180 days ago; a block made from that clue
// stayed in the database, so whoever held it and the key found the reporter's chat by hashing
// every chat's row id, and the audit log named the clue (clue.block). A chat also blocked from a
// report whose link stays is still blocked.
func TestPurgeLinkLiftsItsBlock(t *testing.T) {
	db := MustOpenDB(t)
	clk := setClock(db, t0)
	chatA := mustChat(t, db, "telegram", "7001") // blocked from one report, whose link goes
	chatC := mustChat(t, db, "web", "c-browser") // blocked from two reports; one link goes
	reportA, clueA := namedReport(t, db, chatA, Contact{Name: "甲", Phone: "1"}, "a")
	reportC1, clueC1 := namedReport(t, db, chatC, Contact{Name: "丙", Phone: "3"}, "c1")
	reportC2, _ := namedReport(t, db, chatC, Contact{Name: "丙", Phone: "3"}, "c2")
	for _, id := range []int64{reportA, reportC1, reportC2} {
		mustUpdate(t, db, func(tx *Tx) error { return tx.SetReporterBlocked(id, true) })
	}
	closeClue(t, db, clueA.ID)
	closeClue(t, db, clueC1.ID)
	clk.advance(181 * 24 * time.Hour)
	res, err := db.Purge(t.Context(), Retention{Link: 180 * 24 * time.Hour}, "test", false)
	if err != nil || len(res.LinkClues) != 2 {
		t.Fatalf("purge: %+v %v", res, err)
	}
	// As the holder of the file and the key: hash each chat's id and look for it (ChatBlocked
	// does just that).
	mustUpdate(t, db, func(tx *Tx) error {
		a, err := tx.ChatBlocked(chatA)
		if err != nil {
			return err
		}
		if a {
			t.Errorf("the chat behind a purged link is found among the blocked chats")
		}
		c, err := tx.ChatBlocked(chatC)
		if err != nil {
			return err
		}
		if !c {
			t.Errorf("a chat blocked from a report that keeps its link was unblocked by another's purge")
		}
		return nil
	})
}
