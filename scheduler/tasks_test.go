package scheduler

import (
	"context"
	"strings"
	"testing"

	"xuncha/store"
)

// TestTaskClock runs the real scheduler on the virtual clock: a task due 10-09 18:00 is
// brought to its village's officer and the township's liaison a working day before (10-08)
// and when it is overdue (the pass of 10-10, the make-up Saturday after the National Day
// holidays), then goes up to the liaison 5 working days after (10-15) and to the official who
// gave it 10 after (10-22), each once, through a restart the day of the liaison's step; a task
// reported done before it is due is never brought up; nobody of another township is told.
func TestTaskClock(t *testing.T) {
	live(t, Config{}, at(2026, 9, 28, 0, 0), func(t *testing.T, f *fixture) {
		f.places(store.PlaceRow{Township: "新站镇", Village: "东风村", Class: "general"}, store.PlaceRow{Township: "天岗镇"})
		tw, village := f.place("新站镇", "东风村")
		tw2, _ := f.place("天岗镇", "")
		official, officialChat := f.person(store.RoleOfficial, tw, 0, "", "901")
		_, otherChat := f.person(store.RoleOfficial, tw2, 0, "", "902")
		officer, officerChat := f.person(store.RoleOfficer, tw, village, "", "903")
		_, liaisonChat := f.person(store.RoleLiaison, tw, 0, "", "904")
		_, otherLiaison := f.person(store.RoleLiaison, tw2, 0, "", "905")

		f.until(at(2026, 9, 29, 10, 0))
		var done int64
		f.update(func(tx *store.Tx) error {
			for _, title := range []string{"核查低保名单", "另一项任务"} {
				task := &store.Task{TownshipID: tw, VillageID: village, Title: title, DueAt: at(2026, 10, 9, 18, 0), GivenBy: official}
				if _, err := tx.CreateTask(task); err != nil {
					return err
				}
				done = task.ID
			}
			return nil
		})
		f.until(at(2026, 10, 7, 15, 0))
		f.update(func(tx *store.Tx) error { return tx.ConfirmTask(done, officer, store.TaskDone, "已完成", "") })
		f.until(at(2026, 10, 15, 12, 0))
		f.restart()
		f.until(at(2026, 11, 30, 8, 0))

		for _, c := range []struct {
			chat int64
			want string
		}{
			{officerChat, "10-08 【任务即将到期】 核查低保名单|10-10 【任务已逾期】 核查低保名单"},
			{liaisonChat, "10-08 【任务即将到期】 核查低保名单|10-10 【任务已逾期】 核查低保名单|10-15 【任务逾期提请联络员】 核查低保名单"},
			{officialChat, "10-22 【任务逾期提请巡察办】 核查低保名单"},
			{otherChat, ""}, {otherLiaison, ""},
		} {
			if got := strings.Join(f.sent(c.chat, "核查低保名单", "另一项任务"), "|"); got != c.want {
				t.Errorf("chat %d:\n got %s\nwant %s", c.chat, got, c.want)
			}
		}
		if n := f.count(`SELECT COUNT(*) FROM tasks WHERE next_at IS NOT NULL`); n != 0 {
			t.Errorf("%d tasks still on the index", n)
		}
	})
}

// TestTaskGiverWithdrawn: a task still open 10 working days after its due date goes to the
// official who gave it, or to the township's officials and the administrators when that
// official's role was withdrawn since; claimed for nobody, the step was never taken.
func TestTaskGiverWithdrawn(t *testing.T) {
	f := newFixture(t, Config{})
	f.set(at(2026, 9, 29, 10, 0))
	f.places(store.PlaceRow{Township: "新站镇", Village: "东风村", Class: "general"})
	tw, village := f.place("新站镇", "东风村")
	giver, giverChat := f.person(store.RoleOfficial, tw, 0, "", "901")
	_, officeChat := f.person(store.RoleOfficial, tw, 0, "", "902")
	f.update(func(tx *store.Tx) error {
		_, err := tx.CreateTask(&store.Task{TownshipID: tw, VillageID: village, Title: "核查低保名单", DueAt: at(2026, 10, 9, 18, 0), GivenBy: giver})
		return err
	})
	if _, err := f.db.WithdrawPerson(context.Background(), giver, "cli", "left the post"); err != nil {
		t.Fatal(err)
	}
	for day := 30; day <= 60; day++ {
		f.run(f.s.TaskDeadlines, at(2026, 9, day, 9, 15))
	}
	if got := strings.Join(f.sent(officeChat, "核查低保名单"), "|"); got != "10-22 【任务逾期提请巡察办】 核查低保名单" {
		t.Errorf("office: %q", got)
	}
	if n := len(f.mailbox(giverChat)); n != 0 {
		t.Errorf("the withdrawn official's chat got %d messages", n)
	}
}
