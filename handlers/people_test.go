package handlers_test

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"

	"xuncha/store"
)

// personOf finds the person a role was bound to, by role, through the people list.
func personOf(t *testing.T, db *store.DB, role store.Role) int64 {
	t.Helper()
	people, err := db.ListPeople(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range people {
		if p.Role == role && !p.Withdrawn() {
			return p.ID
		}
	}
	t.Fatalf("no %s in %+v", role, people)
	return 0
}

// TestWithdrawnRole: once an official's role is withdrawn, the very next step of their chat is
// a resident's — the half-done ledger step is gone, the ledger, a clue and the old buttons are
// refused, and help shows a resident's commands — with nothing cached from the steps before.
func TestWithdrawnRole(t *testing.T) {
	en := ltSetup(t)
	en.bind(t, "town", store.RoleOfficial, en.tw, 0, "")
	en.mustAllow(t, en.press(t, "town", open(en.clueTw)), "线索 "+en.clueTw.Number)
	en.mustAllow(t, en.send(t, "town", "/newclue"), "涉及哪个人") // a ledger step, half done
	person := personOf(t, en.db, store.RoleOfficial)

	w, err := en.db.WithdrawPerson(context.Background(), person, "cli", "left the inspection office")
	if err != nil || w.Chats != 1 {
		t.Fatalf("withdraw = %+v, %v", w, err)
	}
	clues := func() int {
		t.Helper()
		var n int
		if err := en.db.Update(context.Background(), func(tx *store.Tx) error {
			list, err := tx.Clues(store.ClueFilter{})
			n = len(list)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := clues()
	o := en.send(t, "town", "东风村会计") // the answer the ledger step waited for
	if strings.Contains(o.text, "巡察发现") || strings.Contains(o.text, "线索") || clues() != before {
		t.Fatalf("the withdrawn official's next message went on with the ledger step: %s", o.text)
	}
	en.mustRefuse(t, en.send(t, "town", "/ledger"), "ledger")
	en.mustRefuse(t, en.send(t, "town", "/clue "+en.clueTw.Number), "clue:"+en.clueTw.Number)
	en.mustRefuse(t, en.press(t, "town", open(en.clueTw)), "clue:"+en.clueTw.Number) // an old button
	en.mustRefuse(t, en.press(t, "town", fmt.Sprintf("lg:st:%d", en.clueTw.ID)), "clue:"+en.clueTw.Number)
	if o := en.send(t, "town", "/help"); strings.Contains(o.text, "/ledger") {
		t.Errorf("a withdrawn official is still shown the officials' help: %s", o.text)
	}
	refused, err := en.db.AuditEntries(context.Background(), store.AuditFilter{Action: "ledger.refused", PersonID: person})
	if err != nil || len(refused) != 0 {
		t.Errorf("refusals after withdrawal were logged as the person's: %+v, %v", refused, err)
	}
}

// TestStaffMessagesTagged: what a step queues for a chat with a role is a staff message, tagged
// with the person, and withdrawn with them; a query code shown to that chat is its own, for the
// chat as a resident, and is delivered whatever happens to the role.
func TestStaffMessagesTagged(t *testing.T) {
	en, e := newEngine(t)
	en.bind(t, e, "official", store.RoleOfficial, en.township, 0)
	officerChat := en.bind(t, e, "officer", store.RoleOfficer, en.township, en.village)
	// The officer reports in their own name, as a resident would.
	en.toSummary(t, e, "officer")
	r := press(t, e, "officer", "ok")
	r.must(t, "查询码")
	if len(r.others) == 0 {
		t.Fatal("the official was not notified")
	}
	official := personOf(t, en.db, store.RoleOfficial)
	officer := personOf(t, en.db, store.RoleOfficer)
	tag := func(id int64) int64 {
		t.Helper()
		var p sql.NullInt64
		if err := en.raw.QueryRow(`SELECT person_id FROM outbox WHERE id = ?`, id).Scan(&p); err != nil {
			t.Fatal(err)
		}
		return p.Int64
	}
	for _, o := range r.res.Out {
		want := official
		if o.ToSender {
			want = 0 // the query code: the chat's own, not the role's
		}
		if got := tag(o.OutboxID); got != want {
			t.Errorf("outbox row %d (to sender %v) tagged %d, want %d", o.OutboxID, o.ToSender, got, want)
		}
	}
	var codeRow int64
	for _, o := range r.res.Out {
		if o.ToSender {
			codeRow = o.OutboxID
		}
	}
	// The officer's staff answer (their task list) is tagged.
	tasks := send(t, e, "officer", "/tasks").res.Out[0].OutboxID
	if got := tag(tasks); got != officer {
		t.Errorf("the officer's /tasks answer tagged %d, want %d", got, officer)
	}
	// Nothing was delivered in this test: every row is pending.
	staff := en.count(t, `SELECT COUNT(*) FROM outbox WHERE chat_id = ? AND status = 'pending' AND person_id IS NOT NULL`, officerChat)

	w, err := en.db.WithdrawPerson(context.Background(), officer, "cli", "moved away")
	if err != nil {
		t.Fatal(err)
	}
	if w.Cancelled != staff {
		t.Errorf("cancelled %d staff messages, want %d", w.Cancelled, staff)
	}
	rows := func(id int64) int {
		return en.count(t, `SELECT COUNT(*) FROM outbox WHERE id = ? AND status = 'pending'`, id)
	}
	if rows(tasks) != 0 {
		t.Error("the task list queued for the officer is still to be delivered")
	}
	if rows(codeRow) != 1 {
		t.Error("the officer's own query code was withdrawn with the role")
	}
	send(t, e, "officer", "/tasks").must(t, "仅限")
}
