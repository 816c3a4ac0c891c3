package handlers_test

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"xuncha/store"
)

// kppButtons returns the keeper choices offered for a clue, by the label shown.
func kppButtons(o ltOut, clueID int64) map[string]string {
	out := map[string]string{}
	prefix := fmt.Sprintf("lg:kpp:%d:", clueID)
	for _, r := range o.rows {
		for _, b := range r {
			if strings.HasPrefix(b.Data, prefix) {
				out[b.Text] = b.Data
			}
		}
	}
	return out
}

// personOf returns the person bound to a web chat.
func (en *ltEnv) personOf(t *testing.T, chat string) int64 {
	t.Helper()
	var id int64
	err := en.db.Update(context.Background(), func(tx *store.Tx) error {
		c, err := tx.EnsureChat("web", chat, "zh", false)
		if err != nil {
			return err
		}
		id = c.PersonID
		return nil
	})
	if err != nil || id == 0 {
		t.Fatalf("person of %s: %d %v", chat, id, err)
	}
	return id
}

// TestClueKeeper: an official assigns and changes a clue's keeper from the card; the choice
// holds only people whose jurisdiction covers the clue; the keeper is told, the card and the
// list show them (in both languages), the timeline and the audit log record it; a unit cannot.
func TestClueKeeper(t *testing.T) {
	en := ltSetup(t)
	en.bind(t, "town", store.RoleOfficial, en.tw, 0, "")
	en.bind(t, "county", store.RoleOfficial, 0, 0, "")
	en.bind(t, "other", store.RoleOfficial, en.tw2, 0, "")
	en.bind(t, "unit", store.RoleUnit, 0, 0, "case1")
	town, county, other := en.personOf(t, "town"), en.personOf(t, "county"), en.personOf(t, "other")

	card := en.press(t, "town", open(en.clueTw))
	if !strings.Contains(card.text, "台账管理人：未指定") || !card.has(fmt.Sprintf("lg:kp:%d", en.clueTw.ID)) {
		t.Fatalf("card without keeper line or button: %s", card.text)
	}
	choice := kppButtons(en.press(t, "town", fmt.Sprintf("lg:kp:%d", en.clueTw.ID)), en.clueTw.ID)
	if _, ok := choice[fmt.Sprintf("#%d", county)]; !ok || len(choice) != 2 {
		t.Fatalf("choice (want town and county officials, not the other township's): %v", choice)
	}
	o := en.press(t, "town", fmt.Sprintf("lg:kpp:%d:%d", en.clueTw.ID, county))
	en.mustAllow(t, o, fmt.Sprintf("台账管理人设为 #%d", county))
	told := false
	for _, m := range o.others {
		told = told || strings.Contains(m.Text, "您已被指定为线索 "+en.clueTw.Number)
	}
	if !told {
		t.Errorf("the new keeper was not told: %+v", o.others)
	}
	if c := en.findClue(t, en.clueTw.ID); c.KeeperID != county {
		t.Errorf("keeper %d, want %d", c.KeeperID, county)
	}
	// An official of another township is not offered, and a forged button is refused.
	en.press(t, "town", fmt.Sprintf("lg:kpp:%d:%d", en.clueTw.ID, other))
	if c := en.findClue(t, en.clueTw.ID); c.KeeperID != county {
		t.Errorf("keeper moved to another township's official")
	}
	// Changed back to the township's official: the timeline keeps both.
	en.press(t, "county", fmt.Sprintf("lg:kpp:%d:%d", en.clueTw.ID, town))
	card = en.press(t, "county", open(en.clueTw))
	if !strings.Contains(card.text, fmt.Sprintf("台账管理人：#%d", town)) || strings.Count(card.text, "指定台账管理人：") != 2 {
		t.Errorf("card after the change: %s", card.text)
	}
	if l := en.press(t, "town", "lg:l:open"); !strings.Contains(l.text, fmt.Sprintf("管理人 #%d", town)) {
		t.Errorf("list without keeper: %s", l.text)
	}
	en.send(t, "town", "/lang en")
	if card := en.press(t, "town", open(en.clueTw)); !strings.Contains(card.text, fmt.Sprintf("Keeper: #%d", town)) {
		t.Errorf("English card: %s", card.text)
	}
	entries, err := en.db.AuditEntries(context.Background(), store.AuditFilter{Action: "clue.keeper", Limit: 10})
	if err != nil || len(entries) != 2 {
		t.Errorf("audit clue.keeper: %d %v", len(entries), err)
	}
	// A unit member can neither choose nor set the keeper.
	en.mustRefuse(t, en.press(t, "unit", fmt.Sprintf("lg:kp:%d", en.clueTw.ID)), "clue:"+en.clueTw.Number)
	en.mustRefuse(t, en.press(t, "unit", fmt.Sprintf("lg:kpp:%d:%d", en.clueTw.ID, county)), "clue:"+en.clueTw.Number)
	if c := en.findClue(t, en.clueTw.ID); c.KeeperID != town {
		t.Errorf("a unit changed the keeper")
	}
}

// TestCluePauseExtend: an official pauses a clue's clock with a written reason (the ladder
// leaves it: no next step), resumes it (the deadline moves by the working days it stood
// still), and extends the deadline by offered working days with a reason. The unit is told
// each time; the card, the list and the timeline show it, in both languages; every change is
// audit-logged; a unit member can do none of it.
func TestCluePauseExtend(t *testing.T) {
	en := ltSetup(t)
	var now atomic.Int64
	now.Store(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC).Unix()) // Monday
	en.db.Now = func() time.Time { return time.Unix(now.Load(), 0).UTC() }
	en.bind(t, "town", store.RoleOfficial, en.tw, 0, "")
	en.bind(t, "unit", store.RoleUnit, 0, 0, "case1")
	due := time.Date(2026, 3, 13, 23, 59, 59, 0, time.UTC) // Friday
	clue := en.clueTw.ID
	err := en.db.Update(context.Background(), func(tx *store.Tx) error {
		return tx.UpdateClue(clue, store.ClueUpdate{DueAt: &due})
	})
	if err != nil {
		t.Fatal(err)
	}
	ladderOpen := func() bool {
		t.Helper()
		var open bool
		if err := en.db.Update(context.Background(), func(tx *store.Tx) error {
			c, err := tx.LadderClue(clue)
			open = err == nil && c.Open
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return open
	}
	if !ladderOpen() {
		t.Fatal("the clue is not on the ladder to start with")
	}

	en.mustRefuse(t, en.press(t, "unit", fmt.Sprintf("lg:pz:%d", clue)), "clue:"+en.clueTw.Number)
	en.press(t, "town", fmt.Sprintf("lg:pz:%d", clue))
	en.mustAllow(t, en.send(t, "town", "短"), "至少 4 个字")
	o := en.send(t, "town", "等待审计局出具审计报告")
	en.mustAllow(t, o, "已暂停计时")
	if len(o.others) == 0 || !strings.Contains(o.others[0].Text, "已暂停计时") {
		t.Errorf("the unit was not told of the pause: %+v", o.others)
	}
	if ladderOpen() {
		t.Error("a paused clue is still on the ladder")
	}
	if card := en.press(t, "town", open(en.clueTw)); !strings.Contains(card.text, "⏸ 计时已暂停（2026-03-02 起）") ||
		!strings.Contains(card.text, "暂停计时：等待审计局出具审计报告") || !card.has(fmt.Sprintf("lg:rs:%d", clue)) {
		t.Errorf("paused card: %s", card.text)
	}
	if l := en.press(t, "town", "lg:l:open"); !strings.Contains(l.text, "⏸ 暂停计时") {
		t.Errorf("list without the pause: %s", l.text)
	}

	// Resumed a week later (Monday to Monday: five working days ended): due moves from
	// Friday 13th to Friday 20th.
	now.Store(time.Date(2026, 3, 9, 10, 0, 0, 0, time.UTC).Unix())
	en.mustAllow(t, en.press(t, "town", fmt.Sprintf("lg:rs:%d", clue)), "办理期限顺延至 2026-03-20")
	if c := en.findClue(t, clue); !c.PausedAt.IsZero() || c.DueAt.Format("2006-01-02") != "2026-03-20" {
		t.Errorf("after resume: paused %v, due %v", c.PausedAt, c.DueAt)
	}
	if !ladderOpen() {
		t.Error("a resumed clue is not back on the ladder")
	}

	// Extended by 5 working days with a reason.
	o = en.press(t, "town", fmt.Sprintf("lg:ex:%d", clue))
	if !o.has(fmt.Sprintf("lg:exd:%d:5", clue)) {
		t.Fatalf("extend offers: %v", o.rows)
	}
	en.press(t, "town", fmt.Sprintf("lg:exd:%d:5", clue))
	en.mustAllow(t, en.send(t, "town", "需补充调取银行流水"), "已延长至 2026-03-27")
	if c := en.findClue(t, clue); c.DueAt.Format("2006-01-02") != "2026-03-27" {
		t.Errorf("extended due %v", c.DueAt)
	}
	en.mustRefuse(t, en.press(t, "unit", fmt.Sprintf("lg:exd:%d:5", clue)), "clue:"+en.clueTw.Number)
	en.send(t, "unit", "/lang en")
	if card := en.press(t, "unit", open(en.clueTw)); !strings.Contains(card.text, "deadline extended: 2026-03-27 · 需补充调取银行流水") ||
		!strings.Contains(card.text, "clock resumed: → 2026-03-20") || !strings.Contains(card.text, "clock paused") {
		t.Errorf("English timeline: %s", card.text)
	}
	for _, action := range []string{"clue.pause", "clue.resume", "clue.extend"} {
		if e, err := en.db.AuditEntries(context.Background(), store.AuditFilter{Action: action, Limit: 10}); err != nil || len(e) != 1 {
			t.Errorf("audit %s: %d %v", action, len(e), err)
		}
	}
}

// TestTransferToUnitNobodyAnswersFor: a transfer to a unit with nobody bound tells the sender
// and, at once, the rest of the clue's office (its township's officials and the
// administrators) with a button to open the clue; an official of another township is not told.
func TestTransferToUnitNobodyAnswersFor(t *testing.T) {
	en := ltSetup(t)
	en.bind(t, "county", store.RoleOfficial, 0, 0, "")
	en.bind(t, "town2", store.RoleOfficial, en.tw2, 0, "")
	en.bind(t, "town", store.RoleOfficial, en.tw, 0, "")
	en.bind(t, "admin", store.RoleAdmin, 0, 0, "")
	en.send(t, "admin", "/lang en")
	o := en.press(t, "county", fmt.Sprintf("lg:dd:%d:audit:5", en.clueTw2.ID))
	en.mustAllow(t, o, "市审计局")
	told := map[string]bool{}
	for _, m := range o.others {
		if strings.Contains(m.Text, "【无人接收】线索 "+en.clueTw2.Number+" 已移交市审计局") {
			told["zh"] = true
		}
		if strings.Contains(m.Text, "[Nobody to receive] Clue "+en.clueTw2.Number+" was transferred to Audit bureau") {
			told["en"] = true
		}
		if len(m.Buttons) == 0 || m.Buttons[0][0].Data != open(en.clueTw2) {
			t.Errorf("notice without an open button: %+v", m)
		}
	}
	// town2 (the clue's township, Chinese) and the admin (English); not the sender, not 新站镇.
	if len(o.others) != 2 || !told["zh"] || !told["en"] {
		t.Errorf("office notices: %+v", o.others)
	}
	// A unit with a member bound: nobody is warned.
	en.bind(t, "unit", store.RoleUnit, 0, 0, "org")
	o = en.press(t, "county", fmt.Sprintf("lg:dd:%d:org:5", en.clueTw2.ID))
	for _, m := range o.others {
		if strings.Contains(m.Text, "无人接收") {
			t.Errorf("warned though the unit has a member: %s", m.Text)
		}
	}
}

// TestNoticeWithoutKeeper: what a unit does on a clue (its acknowledgement) is told to the
// clue's keeper, and to the officials of its township and the administrators when the keeper
// can no longer be reached (their role withdrawn), as when it has none: told to nobody, the
// notice was lost.
func TestNoticeWithoutKeeper(t *testing.T) {
	en := ltSetup(t)
	en.bind(t, "keeper", store.RoleOfficial, en.tw, 0, "")
	en.bind(t, "town", store.RoleOfficial, en.tw, 0, "")
	en.bind(t, "unit", store.RoleUnit, 0, 0, "org")
	en.mustAllow(t, en.press(t, "town", fmt.Sprintf("lg:dd:%d:org:5", en.clueOrg.ID)), "")
	keeper := en.personOf(t, "keeper")
	err := en.db.Update(context.Background(), func(tx *store.Tx) error {
		k, err := tx.FindKeeper(keeper)
		if err != nil {
			return err
		}
		return tx.SetKeeper(en.clueOrg.ID, k, 0)
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := en.db.WithdrawPerson(context.Background(), keeper, "cli", "left the post"); err != nil {
		t.Fatal(err)
	}
	o := en.press(t, "unit", fmt.Sprintf("lg:ack:%d", en.clueOrg.ID))
	told := 0
	for _, m := range o.others {
		if strings.Contains(m.Text, "【已签收】"+en.clueOrg.Number) {
			told++
		}
	}
	if told != 1 {
		t.Errorf("acknowledgement told to %d chats, want the township official's: %+v", told, o.others)
	}
}
