package store

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestWithdrawPerson: withdrawing a role unbinds the person's chats, drops their conversation,
// deletes the staff messages still queued for them (and only those), takes them off every
// recipient list, and is audit-logged; the chat can be bound again by a new invitation.
func TestWithdrawPerson(t *testing.T) {
	db, c, pl := mustOpenPlaces(t)
	official, offChat := mustPerson(t, db, "official", RoleOfficial, pl.T1, 0)
	other, otherChat := mustPerson(t, db, "other", RoleOfficial, pl.T1, 0)
	unit, _ := mustPerson(t, db, "unit", RoleUnit, 0, 0)
	mustUpdate(t, db, func(tx *Tx) error {
		_, err := tx.exec(`UPDATE people SET unit = 'case1' WHERE id = ?`, unit.ID)
		return err
	})
	resident := mustChat(t, db, "telegram", "resident")

	var staffMsg, residentMsg, sentMsg, otherMsg, toResident int64
	mustUpdate(t, db, func(tx *Tx) (err error) {
		if sentMsg, err = tx.Enqueue(offChat, OutMessage{Text: "already sent"}, ""); err != nil {
			return err
		}
		if _, err = tx.exec(`UPDATE outbox SET status = 'sent' WHERE id = ?`, sentMsg); err != nil {
			return err
		}
		if staffMsg, err = tx.Enqueue(offChat, OutMessage{Text: "clue JH-1 details"}, ""); err != nil {
			return err
		}
		if residentMsg, err = tx.Enqueue(offChat, OutMessage{Text: "your query code", Resident: true}, ""); err != nil {
			return err
		}
		if otherMsg, err = tx.Enqueue(otherChat, OutMessage{Text: "for the other official"}, ""); err != nil {
			return err
		}
		if toResident, err = tx.Enqueue(resident, OutMessage{Text: "a resident's answer"}, ""); err != nil {
			return err
		}
		return tx.SaveConversation(offChat, []byte(`{"flow":"ledger"}`))
	})
	tags := func() map[int64]int64 {
		t.Helper()
		m := map[int64]int64{}
		rows, err := db.db.Query(`SELECT id, IFNULL(person_id, 0) FROM outbox`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var id, p int64
			if err := rows.Scan(&id, &p); err != nil {
				t.Fatal(err)
			}
			m[id] = p
		}
		return m
	}
	before := tags()
	for id, want := range map[int64]int64{staffMsg: official.ID, residentMsg: 0, otherMsg: other.ID, toResident: 0} {
		if before[id] != want {
			t.Errorf("outbox row %d tagged with person %d, want %d", id, before[id], want)
		}
	}

	c.advance(time.Hour)
	w, err := db.WithdrawPerson(t.Context(), official.ID, "cli", "lost phone")
	if err != nil {
		t.Fatal(err)
	}
	if *w != (Withdrawal{PersonID: official.ID, Role: RoleOfficial, Chats: 1, Cancelled: 1}) {
		t.Errorf("withdrawal = %+v", *w)
	}
	after := tags()
	if _, ok := after[staffMsg]; ok {
		t.Error("the pending staff message is still queued")
	}
	for _, id := range []int64{residentMsg, sentMsg, otherMsg, toResident} {
		if _, ok := after[id]; !ok {
			t.Errorf("outbox row %d was deleted; only the person's pending staff messages go", id)
		}
	}
	if n := mustCount(t, db, `SELECT COUNT(*) FROM chats WHERE person_id = ?`, official.ID); n != 0 {
		t.Errorf("%d chats still bound to the withdrawn person", n)
	}
	if n := mustCount(t, db, `SELECT COUNT(*) FROM conversations WHERE chat_id = ?`, offChat); n != 0 {
		t.Error("the withdrawn person's conversation (a ledger step) was kept")
	}
	mustUpdate(t, db, func(tx *Tx) error {
		p, err := tx.FindPerson(official.ID)
		if err != nil {
			return err
		}
		if !p.Withdrawn() || !p.WithdrawnAt.Equal(t0.Add(time.Hour)) {
			t.Errorf("person after withdrawal = %+v", p)
		}
		chats, err := tx.ChatsOfRoles(pl.T1, RoleOfficial)
		if err != nil {
			return err
		}
		if !slices.Equal(chats, []int64{otherChat}) {
			t.Errorf("ChatsOfRoles = %v, want only %d", chats, otherChat)
		}
		recips, err := tx.RecipientsOfRoles(pl.T1, RoleOfficial)
		if err != nil || len(recips) != 1 || recips[0].ChatID != otherChat {
			t.Errorf("RecipientsOfRoles = %+v, %v", recips, err)
		}
		mine, err := tx.ChatsOfPerson(official.ID)
		if err != nil || len(mine) != 0 {
			t.Errorf("ChatsOfPerson(withdrawn) = %+v, %v", mine, err)
		}
		ps, err := tx.PeopleOfRole(RoleOfficial)
		if err != nil || len(ps) != 1 || ps[0].ID != other.ID {
			t.Errorf("PeopleOfRole = %+v, %v", ps, err)
		}
		ids, err := tx.PeopleMatching(RoleOfficial, "")
		if err != nil || !slices.Equal(ids, []int64{other.ID}) {
			t.Errorf("PeopleMatching = %v, %v", ids, err)
		}
		// A message queued to the chat now is a resident's: nothing tags it.
		id, err := tx.Enqueue(offChat, OutMessage{Text: "later"}, "")
		if err != nil {
			return err
		}
		var tag *int64
		if err := tx.queryRow(`SELECT person_id FROM outbox WHERE id = ?`, id).Scan(&tag); err != nil || tag != nil {
			t.Errorf("a message to the unbound chat is tagged %v, %v", tag, err)
		}
		return nil
	})

	// The unit list follows the same rule.
	if _, err := db.WithdrawPerson(t.Context(), unit.ID, "cli", "left"); err != nil {
		t.Fatal(err)
	}
	mustUpdate(t, db, func(tx *Tx) error {
		units, err := tx.Units()
		if err != nil || len(units) != 0 {
			t.Errorf("Units after the only member left = %v, %v", units, err)
		}
		return err
	})

	if _, err := db.WithdrawPerson(t.Context(), official.ID, "cli", "again"); !errors.Is(err, ErrAlreadyWithdrawn) {
		t.Errorf("second withdrawal = %v, want ErrAlreadyWithdrawn", err)
	}
	if _, err := db.WithdrawPerson(t.Context(), 999, "cli", "x"); !errors.Is(err, ErrNotFound) {
		t.Errorf("withdraw unknown = %v, want ErrNotFound", err)
	}
	entries, err := db.AuditEntries(t.Context(), AuditFilter{Action: "person.withdrawn"})
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 2 || entries[1].Object != "person:1" || entries[1].Channel != "cli" ||
		!strings.Contains(entries[1].Detail, "reason=lost phone") || !strings.Contains(entries[1].Detail, "cancelled=1") {
		t.Errorf("person.withdrawn audit = %+v", entries)
	}

	// The chat is free: a new invitation binds it again, as a new person.
	code, _ := mustInvite(t, db, RoleOfficer, pl.T1, pl.V1)
	p, err := redeem(t, db, code, offChat)
	if err != nil || p.ID == official.ID {
		t.Fatalf("rebinding the chat = %+v, %v", p, err)
	}
}

// TestRevokeUsedInvitation: revoking a code already used withdraws the role it granted; an
// unused code is only revoked. Issuing and revoking are audit-logged.
func TestRevokeUsedInvitation(t *testing.T) {
	db, _, pl := mustOpenPlaces(t)
	used, _ := mustInvite(t, db, RoleLiaison, pl.T1, 0)
	chat := mustChat(t, db, "wechat", "openid-liaison")
	p, err := redeem(t, db, used, chat)
	if err != nil {
		t.Fatal(err)
	}
	mustUpdate(t, db, func(tx *Tx) error {
		_, err := tx.Enqueue(chat, OutMessage{Text: "【新任务】"}, "task:1:notice")
		return err
	})
	unused, _ := mustInvite(t, db, RoleAdmin, 0, 0)

	w, err := db.RevokeInvitation(t.Context(), unused, "cli", "")
	if err != nil || w != nil {
		t.Fatalf("revoke unused = %+v, %v; want no withdrawal", w, err)
	}
	w, err = db.RevokeInvitation(t.Context(), strings.ToUpper(used), "cli", "left the township")
	if err != nil || w == nil {
		t.Fatalf("revoke used = %+v, %v; want a withdrawal", w, err)
	}
	if *w != (Withdrawal{PersonID: p.ID, Role: RoleLiaison, Chats: 1, Cancelled: 1}) {
		t.Errorf("withdrawal = %+v", *w)
	}
	if n := mustCount(t, db, `SELECT COUNT(*) FROM chats WHERE person_id IS NOT NULL`); n != 0 {
		t.Error("the chat is still bound after its invitation was revoked")
	}
	if _, err := db.RevokeInvitation(t.Context(), used, "cli", ""); !errors.Is(err, ErrNotFound) {
		t.Errorf("second revoke = %v, want ErrNotFound", err)
	}
	actions := map[string]int{}
	log, err := db.AuditEntries(t.Context(), AuditFilter{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range log {
		actions[e.Action]++
		if e.Action == "person.withdrawn" && !strings.Contains(e.Detail, "left the township") {
			t.Errorf("withdrawal audit lost the reason: %+v", e)
		}
	}
	want := map[string]int{"invitation.issued": 2, "invitation.revoked": 2, "person.withdrawn": 1}
	for a, n := range want {
		if actions[a] != n {
			t.Errorf("%d %s audit rows, want %d (all: %v)", actions[a], a, n, actions)
		}
	}
}

// TestListPeople: the list names role, jurisdiction, channel, note and status, and carries no
// chat id.
func TestListPeople(t *testing.T) {
	db, _, pl := mustOpenPlaces(t)
	code, inv := mustInvite(t, db, RoleOfficer, pl.T1, pl.V1)
	_ = inv
	mustUpdate(t, db, func(tx *Tx) error {
		_, err := tx.exec(`UPDATE invitations SET note = '李四' WHERE id = ?`, inv.ID)
		return err
	})
	chat := mustChat(t, db, "web", "cookie-value")
	officer, err := redeem(t, db, code, chat)
	if err != nil {
		t.Fatal(err)
	}
	gone, _ := mustPerson(t, db, "tg-chat", RoleOfficial, 0, 0)
	if _, err := db.WithdrawPerson(t.Context(), gone.ID, "cli", "x"); err != nil {
		t.Fatal(err)
	}
	people, err := db.ListPeople(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(people) != 2 {
		t.Fatalf("ListPeople = %+v", people)
	}
	o, g := people[0], people[1]
	if o.ID != officer.ID || o.Township != "东城镇" || o.Village != "一村" || o.Channel != "web" || o.Note != "李四" ||
		o.Withdrawn() || !o.LastActive.Equal(time.Unix(day(t0), 0).UTC()) {
		t.Errorf("officer = %+v", o)
	}
	if g.ID != gone.ID || !g.Withdrawn() || g.Channel != "telegram" || !g.LastActive.IsZero() {
		t.Errorf("withdrawn = %+v", g)
	}
}

// TestCanonicalizeUnits: a unit member invited by the unit's key is found by the unit's
// Chinese name once serve has written it so, which is how the ladder's letters find a unit; an
// unused invitation is rewritten too, and other roles and unknown units are left alone.
func TestCanonicalizeUnits(t *testing.T) {
	db := MustOpenDB(t)
	setClock(db, t0)
	unit, _ := mustPerson(t, db, "unit", RoleUnit, 0, 0)
	other, _ := mustPerson(t, db, "other", RoleUnit, 0, 0)
	mustUpdate(t, db, func(tx *Tx) error {
		if _, err := tx.exec(`UPDATE people SET unit = 'case1' WHERE id = ?`, unit.ID); err != nil {
			return err
		}
		_, err := tx.exec(`UPDATE people SET unit = '某街道' WHERE id = ?`, other.ID)
		return err
	})
	if _, err := db.CreateInvitation(t.Context(), &Invitation{Role: RoleUnit, Unit: "case1", ExpiresAt: t0.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	chatsOf := func(name string) int {
		t.Helper()
		var n int
		mustUpdate(t, db, func(tx *Tx) error {
			rs, err := tx.ChatsOfUnit(name)
			n = len(rs)
			return err
		})
		return n
	}
	if got := chatsOf("案件监督管理室"); got != 0 {
		t.Fatalf("before: %d chats under the Chinese name", got)
	}
	n, err := db.CanonicalizeUnits(t.Context(), map[string]string{"case1": "案件监督管理室"})
	if err != nil || n != 2 {
		t.Fatalf("CanonicalizeUnits = %d, %v; want 2 rows (a person, an invitation)", n, err)
	}
	if got := chatsOf("案件监督管理室"); got != 1 {
		t.Errorf("after: %d chats under the Chinese name, want 1", got)
	}
	if got := chatsOf("某街道"); got != 1 {
		t.Errorf("an unknown unit was changed: %d chats", got)
	}
	var inv string
	if err := db.db.QueryRow(`SELECT unit FROM invitations ORDER BY id DESC LIMIT 1`).Scan(&inv); err != nil || inv != "案件监督管理室" {
		t.Errorf("invitation unit = %q, %v", inv, err)
	}
	if n, err := db.CanonicalizeUnits(t.Context(), map[string]string{"case1": "案件监督管理室"}); err != nil || n != 0 {
		t.Errorf("second run changed %d rows, %v", n, err)
	}
}
