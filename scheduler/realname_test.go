package scheduler

import (
	"fmt"
	"strings"
	"testing"

	"xuncha/store"
)

// TestRealNameNudgeNamesClue: the acceptance-notice nudge about a real-name report names its
// clue by number ("JH-…", not a bare report number) with a button that opens the clue, and
// goes to the clue's keeper, not to the whole office, once a keeper is assigned.
func TestRealNameNudgeNamesClue(t *testing.T) {
	f := newFixture(t, Config{RealNameDays: 15, RealNameWarn: 3})
	f.set(at(2026, 3, 2, 10, 0)) // Monday
	tw := f.township("新站镇")
	keeper, keeperChat := f.person(store.RoleOfficial, tw, 0, "", "901")
	_, officeChat := f.person(store.RoleOfficial, tw, 0, "", "902")
	_, otherChat := f.person(store.RoleOfficial, tw, 0, "", "903")
	res, err := f.raw.Exec(`INSERT INTO reports (query_hash, category, township_id, description, anonymous, created_at, updated_at)
		VALUES (x'02', 'other', ?, 'd', 0, ?, ?)`, tw, f.clock().Unix(), f.clock().Unix())
	if err != nil {
		t.Fatal(err)
	}
	report, _ := res.LastInsertId()
	res, err = f.raw.Exec(`INSERT INTO clues (number, report_id, source, township_id, keeper_id, received_at, updated_at)
		VALUES ('JH-2026-0007', ?, 'report', ?, ?, ?, ?)`, report, tw, keeper, f.clock().Unix(), f.clock().Unix())
	if err != nil {
		t.Fatal(err)
	}
	clue, _ := res.LastInsertId()
	// Deadline: 15 working days after Mar 2 → Mar 23, 10:00; the warning on Mar 18.
	f.run(f.s.RealNameDeadlines, at(2026, 3, 18, 9, 0))
	m := f.mailbox(keeperChat)
	if len(m) != 1 || !strings.Contains(m[0].Message.Text, "实名举报线索 JH-2026-0007（2026-03-02 登记）") || strings.Contains(m[0].Message.Text, "编号") {
		t.Fatalf("keeper's nudge: %+v", m)
	}
	if b := m[0].Message.Buttons; len(b) != 1 || b[0][0].Data != fmt.Sprintf("lg:o:%d", clue) {
		t.Errorf("no open button: %+v", b)
	}
	if n := len(f.mailbox(officeChat)) + len(f.mailbox(otherChat)); n != 0 {
		t.Errorf("the office got %d nudges about a kept clue", n)
	}
}
