package scheduler

import (
	"strings"
	"testing"
	"time"

	"xuncha/store"
)

// TestCheckinCadence runs the check-in job every morning for five weeks: a reminder on each
// period's first day, a nudge after a silent week, and the liaison told from the second silent
// week in a row; a check-in resets the count.
func TestCheckinCadence(t *testing.T) {
	f := newFixture(t, Config{CheckinEvery: 7 * 24 * time.Hour, CheckinMisses: 2})
	f.set(at(2026, 3, 1, 9, 0)) // a Sunday; the officer starts then
	f.places(store.PlaceRow{Township: "新站镇", Village: "东风村", Class: "general"})
	tw, vil := f.place("新站镇", "东风村")
	officer, officerChat := f.person(store.RoleOfficer, tw, vil, "", "901")
	_, liaisonChat := f.person(store.RoleLiaison, tw, 0, "", "902")

	for d := at(2026, 3, 2, 9, 0); d.Before(at(2026, 4, 4, 0, 0)); d = d.AddDate(0, 0, 1) {
		if fmtDay(d) == "03-04" {
			f.set(d)
			f.update(func(tx *store.Tx) error {
				return tx.CreateCheckin(&store.Checkin{PersonID: officer, TownshipID: tw, VillageID: vil, Zero: true})
			})
		}
		f.run(f.s.Checkins, d)
	}
	var got []string
	for _, m := range f.mailbox(officerChat) {
		got = append(got, fmtDay(m.Created)+" "+strings.SplitN(m.Message.Text, "】", 2)[0]+"】")
	}
	want := []string{
		"03-02 【情况报告提醒】", // checked in on Mar 4: no nudge on Mar 9
		"03-09 【情况报告提醒】",
		"03-16 【情况报告提醒】", "03-16 【情况报告未提交】",
		"03-23 【情况报告提醒】", "03-23 【情况报告未提交】",
		"03-30 【情况报告提醒】", "03-30 【情况报告未提交】",
	}
	wantLines(t, "officer", got, want)
	var liaison []string
	for _, m := range f.mailbox(liaisonChat) {
		liaison = append(liaison, fmtDay(m.Created)+" "+m.Message.Text)
	}
	if len(liaison) != 2 || !strings.HasPrefix(liaison[0], "03-23") || !strings.HasPrefix(liaison[1], "03-30") ||
		!strings.Contains(liaison[0], "新站镇东风村") || !strings.Contains(liaison[0], "连续 2 个周期") {
		t.Fatalf("liaison: %q", liaison)
	}
}

// TestMonthlyReview checks the digest's day (the first working day of the month, 09:00: after
// the National Day holiday in October 2025) and its counts, and that it goes out once.
func TestMonthlyReview(t *testing.T) {
	f := newFixture(t, Config{})
	f.set(at(2025, 9, 1, 9, 0))
	tw, tw2 := f.township("新站镇"), f.township("天岗镇")
	_, official := f.person(store.RoleOfficial, tw, 0, "", "951")
	_, admin := f.person(store.RoleAdmin, 0, 0, "", "952")
	_, unit := f.person(store.RoleUnit, 0, 0, "审计局", "953")

	f.clue("M-1", "审计局", tw, 0, at(2025, 9, 20, 23, 59))  // overdue, will get a reminder letter
	f.clue("M-2", "审计局", tw, 0, at(2025, 12, 31, 23, 59)) // not due
	f.clue("M-3", "组织部", tw2, 0, at(2025, 12, 31, 23, 59))
	closed := f.clue("M-4", "审计局", tw, 0, at(2025, 9, 30, 23, 59))
	if _, err := f.raw.Exec(`UPDATE clues SET status = 'closed', closed_at = ? WHERE id = ?`, at(2025, 9, 15, 10, 0).Unix(), closed); err != nil {
		t.Fatal(err)
	}
	f.run(f.s.Escalate, at(2025, 9, 22, 9, 0)) // M-1's reminder letter

	for _, d := range []time.Time{at(2025, 10, 1, 9, 0), at(2025, 10, 8, 9, 0), at(2025, 10, 9, 8, 59)} {
		f.run(f.s.MonthlyReview, d)
	}
	if n := len(f.mailbox(official)); n != 0 {
		t.Fatalf("review before the first working day of October (Oct 9): %d", n)
	}
	f.run(f.s.MonthlyReview, at(2025, 10, 9, 9, 0))
	f.run(f.s.MonthlyReview, at(2025, 10, 10, 9, 0))
	check := func(chat int64, wants ...string) {
		t.Helper()
		var m []store.Delivery
		for _, d := range f.mailbox(chat) {
			if strings.HasPrefix(d.Message.Text, "【每月集中梳理】") {
				m = append(m, d)
			}
		}
		if len(m) != 1 {
			t.Fatalf("chat %d got %d digests", chat, len(m))
		}
		for _, w := range wants {
			if !strings.Contains(m[0].Message.Text, w) {
				t.Errorf("digest lacks %q:\n%s", w, m[0].Message.Text)
			}
		}
	}
	check(official, "新站镇（2025-09）", "在办线索：2 件（已移交 2）", "已逾期：1 件（尚未提醒 0，已提醒 0，已发提醒函 1，已发督办函 0）", "2025-09办结销号：1 件")
	// 组织部 holds an open clue and has nobody bound: every official's digest names it.
	nobody := "没有绑定人员的承办单位（提醒和函件无人接收）：组织部"
	check(admin, "全县", "在办线索：3 件", nobody)
	check(official, nobody)
	check(unit, "审计局", "在办线索：2 件", "已发提醒函 1")
	for _, d := range f.mailbox(unit) {
		if strings.Contains(d.Message.Text, "无人接收") {
			t.Errorf("a unit's digest lists the units nobody answers for: %s", d.Message.Text)
		}
	}
}
