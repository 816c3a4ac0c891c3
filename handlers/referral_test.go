package handlers_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"xuncha/handlers"
	"xuncha/scheduler"
	"xuncha/store"
)

// newReportClue files a real-name report by the setup's reporter at the virtual clock's time and
// registers its clue, new, as intake does.
func (en *rnEnv) newReportClue(t *testing.T, subject string) *store.Clue {
	t.Helper()
	var c *store.Clue
	err := en.db.Update(context.Background(), func(tx *store.Tx) error {
		chat, err := tx.EnsureChat(handlers.PlatformWeb, en.reporter, "zh", false)
		if err != nil {
			return err
		}
		r := &store.Report{Category: "interests", TownshipID: en.tw, VillageID: en.village, Subject: subject,
			Description: "反映的问题", Lang: "zh", ReporterChat: chat.ID, Contact: &store.Contact{Name: "赵六", Phone: "13800000001"}}
		if _, err := tx.CreateReport(r, nil); err != nil {
			return err
		}
		c = &store.Clue{ReportID: r.ID, Subject: subject, Summary: r.Description, TownshipID: en.tw, VillageID: en.village}
		_, err = tx.CreateClue(c)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// run runs a scheduler job at now on the virtual clock.
func (en *rnEnv) run(t *testing.T, job string, now time.Time) {
	t.Helper()
	en.at(now)
	if err := en.sched.Jobs()[job](context.Background(), now); err != nil {
		t.Fatalf("%s at %s: %v", job, now, err)
	}
}

// TestReferral: an official refers a report that belongs to another body from the clue card:
// the unit cannot; the bodies come from the ledger data; the clue is closed as referred and
// leaves the open ledger and the 5-day watch; the timeline, the audit log and the card record
// to whom and when; the reporter is told in fixed words that name no body; twice is refused.
func TestReferral(t *testing.T) {
	en := rnSetup(t, time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	en.bind(t, "town", store.RoleOfficial, en.tw, 0, "")
	en.bind(t, "unit", store.RoleUnit, 0, 0, "case1")
	c := en.newReportClue(t, "天岗镇信访办某干部")
	rf, rfb := fmt.Sprintf("lg:rf:%d", c.ID), fmt.Sprintf("lg:rfb:%d:petition", c.ID)

	card := en.press(t, "town", open(c))
	if !card.has(rf) || !strings.Contains(card.text, "研判或转办期限：2026-03-09（收到后 5 个工作日）") {
		t.Fatalf("card before referral: %s %v", card.text, card.rows)
	}
	en.mustRefuse(t, en.press(t, "unit", rf), "clue:"+c.Number)
	en.mustRefuse(t, en.press(t, "unit", rfb), "clue:"+c.Number)
	// A clue the inspection found has no reporter to refer for.
	en.mustAllow(t, en.press(t, "town", fmt.Sprintf("lg:rf:%d", en.clueOrg.ID)), "只有来自举报的线索")

	list := en.press(t, "town", rf)
	for _, key := range []string{"petition", "county", "higher"} {
		if !list.has(fmt.Sprintf("lg:rfb:%d:%s", c.ID, key)) {
			t.Fatalf("body %s not offered: %v", key, list.rows)
		}
	}
	en.at(time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC))
	en.mustAllow(t, en.press(t, "town", rfb), "已于 2026-03-04 转办至 市信访局，移出在办台账；已告知举报人")

	got := en.findClue(t, c.ID)
	if got.Status != store.ClueClosed || got.Disposal != store.DisposalReferred || got.ClosedAt.IsZero() {
		t.Errorf("clue after referral: %+v", got)
	}
	if n := en.count(t, `SELECT COUNT(*) FROM clue_referrals WHERE clue_id = ? AND body = 'petition' AND name = '市信访局' AND referred_at = ?`,
		c.ID, time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC).Unix()); n != 1 {
		t.Errorf("referral record: %d", n)
	}
	wantCount(t, en.count, 1, "timeline row", `SELECT COUNT(*) FROM clue_events WHERE clue_id = ? AND kind = 'referred' AND body = '市信访局'`, c.ID)
	if e := en.audits(t, "clue.refer"); len(e) != 1 || e[0].Detail != "body=petition" {
		t.Errorf("audit: %+v", e)
	}
	wantCount(t, en.count, 0, "a referred clue is still watched", `SELECT COUNT(*) FROM refer_watch WHERE clue_id = ?`, c.ID)
	wantCount(t, en.count, 1, "report status not set", `SELECT COUNT(*) FROM reports WHERE id = ? AND status = 'referred'`, c.ReportID)
	told := containing(en.mailbox(t, en.reporter), "【转办告知】")
	if len(told) != 1 || strings.Contains(told[0].Text, "信访") || len(told[0].Buttons) != 0 {
		t.Fatalf("reporter's notice: %+v", told)
	}
	card = en.press(t, "town", open(c))
	if !strings.Contains(card.text, "转办：2026-03-04 转至 市信访局") || !strings.Contains(card.text, "按管辖转办：市信访局") || card.has(rf) {
		t.Errorf("card after referral: %s", card.text)
	}
	// Twice: refused, nothing more recorded or sent.
	en.mustAllow(t, en.press(t, "town", rfb), "已处置或办结，不能再转办")
	wantCount(t, en.count, 1, "referred twice", `SELECT COUNT(*) FROM clue_events WHERE clue_id = ? AND kind = 'referred'`, c.ID)
}

// TestReferralWatch: a report nobody studies or refers is brought to the township's officials
// one working day before its 5 working days from receipt run out and once when they have,
// counted over the 2026 National Day holidays and their make-up Saturday; a clue studied in
// time is never nudged; a run repeated (a restart) sends nothing twice.
func TestReferralWatch(t *testing.T) {
	en := rnSetup(t, time.Date(2026, 9, 29, 10, 0, 0, 0, time.UTC))
	en.bind(t, "town", store.RoleOfficial, en.tw, 0, "")
	c := en.newReportClue(t, "新站镇某所")
	studied := en.newReportClue(t, "新站镇另一所")
	en.at(time.Date(2026, 9, 30, 11, 0, 0, 0, time.UTC))
	en.press(t, "town", fmt.Sprintf("lg:st:%d", studied.ID))
	en.send(t, "town", "市纪委监委、巡察办")
	en.send(t, "town", "会商意见：属本机关管辖")
	if got := en.findClue(t, studied.ID); got.Status != store.ClueStudied {
		t.Fatalf("study: %+v", got)
	}

	type sent struct{ day, kind string }
	var log []sent
	for d := time.Date(2026, 9, 29, 9, 10, 0, 0, time.UTC); d.Before(time.Date(2026, 10, 20, 0, 0, 0, 0, time.UTC)); d = d.AddDate(0, 0, 1) {
		before := len(en.mailbox(t, "town"))
		en.run(t, scheduler.JobReferral, d)
		en.run(t, scheduler.JobReferral, d.Add(time.Minute)) // a restart: caught up, not repeated
		for _, m := range en.mailbox(t, "town")[before:] {
			switch {
			case strings.Contains(m.Text, studied.Number):
				t.Errorf("%s: a studied clue nudged: %s", d.Format("01-02"), m.Text)
			case strings.Contains(m.Text, "【研判转办提醒】"):
				log = append(log, sent{d.Format("01-02"), "warn"})
				if !strings.Contains(m.Text, "线索 "+c.Number+" 于 2026-09-29 收到") || !strings.Contains(m.Text, "应于 2026-10-12 前转办，还剩 1 个工作日") {
					t.Errorf("warning: %s", m.Text)
				}
			case strings.Contains(m.Text, "【研判转办逾期】"):
				log = append(log, sent{d.Format("01-02"), "late"})
			default:
				t.Errorf("unexpected message: %s", m.Text)
			}
			if d := buttonData(m); len(d) != 1 || d[0] != fmt.Sprintf("lg:o:%d", c.ID) {
				t.Errorf("no open button: %v", d)
			}
		}
	}
	// Received Tue 29 Sep; working days 30 Sep, 8, 9, 10 (make-up Saturday) and 12 Oct.
	want := []sent{{"10-10", "warn"}, {"10-12", "late"}}
	if fmt.Sprint(log) != fmt.Sprint(want) {
		t.Errorf("nudges %v, want %v", log, want)
	}
	// Done with: off the index of next looks.
	wantCount(t, en.count, 0, "clues still on the index", `SELECT COUNT(*) FROM refer_watch WHERE next_at IS NOT NULL`)
}

// TestTaskClock: an official gives a task in chat (/task 村 标题 日期; officers and units cannot,
// bad input is answered); its officer sees the due date on /tasks; the officer and liaison are
// reminded a working day before and when it is overdue, the liaison is told 5 working days
// after, the official who gave it 10 working days after, each once through repeated runs (a
// restart) and over the National Day holidays; a task reported done is never nudged again.
func TestTaskClock(t *testing.T) {
	en := rnSetup(t, time.Date(2026, 9, 29, 10, 0, 0, 0, time.UTC))
	en.bind(t, "town", store.RoleOfficial, en.tw, 0, "")
	en.bind(t, "other", store.RoleOfficial, en.tw2, 0, "")
	en.bind(t, "off", store.RoleOfficer, en.tw, en.village, "")
	en.bind(t, "lia", store.RoleLiaison, en.tw, 0, "")
	en.bind(t, "unit", store.RoleUnit, 0, 0, "case1")

	en.mustAllow(t, en.send(t, "off", "/task 东风村 核查低保名单 2026-10-09"), "只有巡察工作人员可以交办任务")
	en.mustAllow(t, en.send(t, "unit", "/task 东风村 核查低保名单 2026-10-09"), "只有巡察工作人员可以交办任务")
	if e := en.audits(t, "task.refused"); len(e) != 2 {
		t.Errorf("refusals logged: %d", len(e))
	}
	en.mustAllow(t, en.send(t, "town", "/task 东风村"), "用法：/task")
	en.mustAllow(t, en.send(t, "town", "/task 东风村 核查 10月9日"), "不是 YYYY-MM-DD")
	en.mustAllow(t, en.send(t, "town", "/task 东风村 核查 2026-09-01"), "已过")
	en.mustAllow(t, en.send(t, "other", "/task 新站镇/东风村 核查 2026-10-09"), "找不到村或乡镇")
	if n := en.count(t, `SELECT COUNT(*) FROM tasks`); n != 0 {
		t.Fatalf("%d tasks from refused commands", n)
	}

	o := en.send(t, "town", "/task 东风村 核查低保名单 2026-10-09")
	if !strings.Contains(o.text, "核查低保名单（东风村），截止 2026-10-09；已通知 2 名") || len(o.others) != 2 {
		t.Fatalf("task given: %s / %d others", o.text, len(o.others))
	}
	o = en.send(t, "town", "/task 新站镇 另一项任务 2026-10-09")
	if !strings.Contains(o.text, "另一项任务（新站镇）") {
		t.Fatalf("township task: %s", o.text)
	}
	if e := en.audits(t, "task.give"); len(e) != 2 {
		t.Errorf("audit: %+v", e)
	}
	// The second task is reported done before it is due: its clock stops.
	done, officer := int64(en.count(t, `SELECT id FROM tasks WHERE title = '另一项任务'`)), en.personOf(t, "off")
	err := en.db.Update(context.Background(), func(tx *store.Tx) error {
		return tx.ConfirmTask(done, officer, store.TaskDone, "已完成", "")
	})
	if err != nil {
		t.Fatal(err)
	}
	if l := en.send(t, "off", "/tasks"); !l.hasText("核查低保名单 · 未确认 · 截止 2026-10-09") {
		t.Errorf("task list: %v", l.rows)
	}

	type sent struct{ day, who, kind string }
	var log []sent
	chats := []string{"town", "other", "off", "lia", "unit"}
	for d := time.Date(2026, 9, 29, 9, 15, 0, 0, time.UTC); d.Before(time.Date(2026, 10, 28, 0, 0, 0, 0, time.UTC)); d = d.AddDate(0, 0, 1) {
		before := map[string]int{}
		for _, c := range chats {
			before[c] = len(en.mailbox(t, c))
		}
		en.run(t, scheduler.JobTasks, d)
		en.run(t, scheduler.JobTasks, d.Add(time.Minute))
		for _, c := range chats {
			for _, m := range en.mailbox(t, c)[before[c]:] {
				if strings.Contains(m.Text, "另一项任务") {
					t.Errorf("a task done was nudged: %s", m.Text)
				}
				kind := strings.SplitN(strings.TrimPrefix(m.Text, "【"), "】", 2)[0]
				log = append(log, sent{d.Format("01-02"), c, kind})
			}
		}
	}
	want := []sent{
		{"10-08", "off", "任务即将到期"}, {"10-08", "lia", "任务即将到期"},
		{"10-10", "off", "任务已逾期"}, {"10-10", "lia", "任务已逾期"},
		{"10-15", "lia", "任务逾期提请联络员"},
		{"10-22", "town", "任务逾期提请巡察办"},
	}
	if fmt.Sprint(log) != fmt.Sprint(want) {
		t.Errorf("task clock:\n got %v\nwant %v", log, want)
	}
	if l := en.send(t, "off", "/tasks"); !l.hasText("核查低保名单 · 未确认 · 已逾期 · 截止 2026-10-09") {
		t.Errorf("task list when late: %v", l.rows)
	}
	wantCount(t, en.count, 0, "tasks still on the index", `SELECT COUNT(*) FROM tasks WHERE next_at IS NOT NULL`)
}
