package scheduler

import (
	"context"
	"errors"
	"strings"
	"testing"

	"xuncha/store"
)

// TestRoundsJobStages: a briefing request is sent once and nudged once at its deadline; a
// meeting's notice goes out once and its reminder on the day before; a rectification task's
// guidance carries both templates and a late task is escalated once. A run that dies before it
// commits leaves nothing, and the next run does the work exactly once.
func TestRoundsJobStages(t *testing.T) {
	f := newFixture(t, Config{})
	ctx := context.Background()
	f.places(store.PlaceRow{Township: "新站镇", Village: "东风村", Class: "key"})
	_, auditChat := f.person(store.RoleUnit, 0, 0, "市审计局", "801")
	partyID, partyChat := f.person(store.RoleUnit, 0, 0, "新站镇党委", "802")
	_, adminChat := f.person(store.RoleAdmin, 0, 0, "", "803")
	f.update(func(tx *store.Tx) error {
		p := &store.RoundPlan{Round: store.Round{Name: "第五轮", StartsAt: at(2026, 1, 12, 0, 0), EndsAt: at(2026, 2, 20, 0, 0)},
			Orgs: []string{"新站镇党委"}}
		if err := tx.CreateRoundPlan(p); err != nil {
			return err
		}
		if err := tx.RequestBriefings(p.ID, []string{"市审计局"}, at(2026, 1, 9, 23, 59)); err != nil {
			return err
		}
		if err := tx.CreateMeeting(&store.Meeting{RoundID: p.ID, Kind: store.MeetingMobilisation, At: at(2026, 1, 12, 9, 30), Place: "会议室"},
			[]int64{partyID}); err != nil {
			return err
		}
		return tx.CreateRectItem(&store.RectItem{RoundID: p.ID, Kind: store.RectTask, Unit: "新站镇党委", Title: "资金管理",
			PlanDueAt: at(2026, 1, 16, 23, 59), DueAt: at(2026, 3, 5, 23, 59)})
	})

	// The first run dies before it commits: nothing is queued or marked.
	crash := errors.New("killed")
	f.s.beforeCommit = func(job string) error {
		if job == JobRounds {
			return crash
		}
		return nil
	}
	f.set(at(2026, 1, 5, 9, 0))
	if err := f.s.Rounds(ctx, f.clock()); !errors.Is(err, crash) {
		t.Fatalf("rounds: %v", err)
	}
	if n := f.count(`SELECT COUNT(*) FROM outbox`); n != 0 {
		t.Fatalf("%d messages survived a rolled-back run", n)
	}
	f.s.beforeCommit = nil
	f.run(f.s.Rounds, at(2026, 1, 5, 9, 10))
	f.run(f.s.Rounds, at(2026, 1, 5, 9, 20))
	texts := func(chat int64) string {
		var s []string
		for _, d := range f.mailbox(chat) {
			s = append(s, d.Message.Text)
			if d.Message.File != nil {
				s = append(s, "file:"+d.Message.File.Name)
			}
		}
		return strings.Join(s, "\n")
	}
	got := texts(auditChat)
	if strings.Count(got, "【巡前通报】") != 1 || strings.Contains(got, "催报") {
		t.Fatalf("audit bureau before the deadline:\n%s", got)
	}
	got = texts(partyChat)
	if strings.Count(got, "【会议通知】") != 1 || strings.Count(got, "【整改任务】资金管理") != 1 ||
		strings.Count(got, "file:整改方案模板.docx") != 1 || strings.Count(got, "file:整改进展报告模板.docx") != 1 {
		t.Fatalf("party organisation:\n%s", got)
	}

	// Friday: the day before Monday's meeting is Sunday; the reminder comes on Sunday's run.
	f.run(f.s.Rounds, at(2026, 1, 10, 9, 0))
	if got := texts(auditChat); strings.Count(got, "【巡前通报催报】") != 1 {
		t.Fatalf("late briefing not nudged once:\n%s", got)
	}
	if strings.Contains(texts(partyChat), "【会议提醒】") {
		t.Fatal("reminded two days early")
	}
	f.run(f.s.Rounds, at(2026, 1, 11, 9, 0))
	f.run(f.s.Rounds, at(2026, 1, 11, 9, 10))
	if got := texts(partyChat); strings.Count(got, "【会议提醒】") != 1 {
		t.Fatalf("reminder not sent once:\n%s", got)
	}

	// No plan by its deadline: escalated to administrators, once.
	f.run(f.s.Rounds, at(2026, 1, 19, 9, 0))
	f.run(f.s.Rounds, at(2026, 1, 20, 9, 0))
	if got := texts(adminChat); strings.Count(got, "【整改提级督办】") != 1 {
		t.Fatalf("escalation:\n%s", got)
	}
	if n := f.count(`SELECT COUNT(*) FROM rect_events WHERE kind = 'escalated'`); n != 1 {
		t.Fatalf("%d escalation events", n)
	}
	if n := f.count(`SELECT COUNT(*) FROM briefing_requests WHERE nudged_at IS NOT NULL`); n != 1 {
		t.Fatalf("nudge not recorded")
	}
}

// TestRectificationReminders: three days before a task's plan is due its unit is reminded
// once, and three days before the rectification period ends once more; a plan submitted in
// time spares no period reminder, a finished item gets none, and a period that ends unfinished
// is escalated, not reminded again.
func TestRectificationReminders(t *testing.T) {
	f := newFixture(t, Config{})
	_, partyChat := f.person(store.RoleUnit, 0, 0, "新站镇党委", "802")
	_, doneChat := f.person(store.RoleUnit, 0, 0, "东风村党支部", "804")
	_, adminChat := f.person(store.RoleAdmin, 0, 0, "", "803")
	var task int64
	f.update(func(tx *store.Tx) error {
		p := &store.RoundPlan{Round: store.Round{Name: "第五轮", StartsAt: at(2026, 1, 12, 0, 0), EndsAt: at(2026, 2, 20, 0, 0)},
			Orgs: []string{"新站镇党委", "东风村党支部"}}
		if err := tx.CreateRoundPlan(p); err != nil {
			return err
		}
		r := &store.RectItem{RoundID: p.ID, Kind: store.RectTask, Unit: "新站镇党委", Title: "资金管理",
			PlanDueAt: at(2026, 1, 16, 23, 59), DueAt: at(2026, 3, 5, 23, 59)}
		if err := tx.CreateRectItem(r); err != nil {
			return err
		}
		task = r.ID
		done := &store.RectItem{RoundID: p.ID, Kind: store.RectTask, Unit: "东风村党支部", Title: "三资台账",
			PlanDueAt: at(2026, 1, 16, 23, 59), DueAt: at(2026, 3, 5, 23, 59)}
		if err := tx.CreateRectItem(done); err != nil {
			return err
		}
		return nil
	})
	reminders := func(chat int64) []string {
		var out []string
		for _, d := range f.mailbox(chat) {
			if strings.HasPrefix(d.Message.Text, "【整改提醒】") {
				out = append(out, d.Message.Text)
			}
		}
		return out
	}
	f.run(f.s.Rounds, at(2026, 1, 5, 9, 0)) // guidance and templates
	f.update(func(tx *store.Tx) error {
		items, err := tx.RectItems("东风村党支部")
		if err != nil {
			return err
		}
		return tx.AddRectEvent(&store.RectEvent{TaskID: items[0].ID, Kind: "done", Body: "已整改"})
	})

	f.run(f.s.Rounds, at(2026, 1, 13, 9, 0)) // 3 days and 15 hours before the plan is due
	if got := reminders(partyChat); len(got) != 0 {
		t.Fatalf("reminded too early: %q", got)
	}
	f.run(f.s.Rounds, at(2026, 1, 14, 9, 0))
	f.run(f.s.Rounds, at(2026, 1, 14, 9, 10))
	got := reminders(partyChat)
	if len(got) != 1 || !strings.Contains(got[0], "「资金管理」的整改方案") || !strings.Contains(got[0], "2026-01-16") {
		t.Fatalf("plan reminder: %q", got)
	}

	// The plan comes in time: no escalation at its deadline; the period's reminder comes later.
	f.update(func(tx *store.Tx) error {
		return tx.AddRectEvent(&store.RectEvent{TaskID: task, Kind: "plan", Body: "整改方案"})
	})
	f.run(f.s.Rounds, at(2026, 1, 19, 9, 0))
	f.run(f.s.Rounds, at(2026, 3, 2, 9, 0))
	if got := reminders(partyChat); len(got) != 1 {
		t.Fatalf("period reminded too early: %q", got)
	}
	f.run(f.s.Rounds, at(2026, 3, 3, 9, 0))
	f.run(f.s.Rounds, at(2026, 3, 4, 9, 0))
	got = reminders(partyChat)
	if len(got) != 2 || !strings.Contains(got[1], "集中整改期于 2026-03-05 结束") {
		t.Fatalf("period reminder: %q", got)
	}
	if n := f.count(`SELECT COUNT(*) FROM rect_events WHERE kind = 'escalated'`); n != 0 {
		t.Fatalf("%d escalations before the period ended", n)
	}

	// The period ends unfinished: escalated once, no further reminder.
	f.run(f.s.Rounds, at(2026, 3, 6, 9, 0))
	f.run(f.s.Rounds, at(2026, 3, 6, 9, 10))
	if got := reminders(partyChat); len(got) != 2 {
		t.Fatalf("reminded after the period: %q", got)
	}
	var escalations int
	for _, d := range f.mailbox(adminChat) {
		if strings.Contains(d.Message.Text, "【整改提级督办】") {
			escalations++
		}
	}
	if escalations != 1 {
		t.Fatalf("%d escalations of the unfinished task", escalations)
	}
	if got := reminders(doneChat); len(got) != 0 {
		t.Fatalf("a finished item was reminded: %q", got)
	}
}
