package scheduler

import (
	"strings"
	"testing"

	"xuncha/store"
)

// TestLadderPauseResume drives the ladder day by day on the virtual clock: a clue paused the
// day before its nudge takes no step and leaves the index of next steps for the whole pause;
// resumed with its deadline moved on, it climbs again from the nudge, to the new deadline.
func TestLadderPauseResume(t *testing.T) {
	f := newFixture(t, Config{Ladder: LadderConfig{NudgeBefore: 3, SupervisionAfter: 5}})
	f.set(at(2026, 3, 1, 9, 0))
	f.places(store.PlaceRow{Township: "新站镇"})
	tw, _ := f.place("新站镇", "")
	_, unitChat := f.person(store.RoleUnit, 0, 0, "审计局", "801")
	keeper, keeperChat := f.person(store.RoleOfficial, tw, 0, "", "802")
	id := f.clue("P-1", "审计局", tw, keeper, at(2026, 3, 20, 23, 59)) // nudge day: Tue 03-17
	newDue := at(2026, 4, 17, 23, 59)                               // Friday; nudge day Tue 04-14

	var days []string
	for d := at(2026, 3, 2, 9, 0); d.Before(at(2026, 5, 1, 0, 0)); d = d.AddDate(0, 0, 1) {
		switch fmtDay(d) {
		case "03-16":
			f.set(d)
			f.update(func(tx *store.Tx) error { return tx.PauseClue(id, keeper, "等待审计报告") })
		case "04-01":
			f.set(d)
			f.update(func(tx *store.Tx) error { return tx.ResumeClue(id, keeper, newDue, "→ 2026-04-17") })
		}
		before := len(f.mailbox(unitChat))
		f.run(f.s.Escalate, d)
		if m := f.mailbox(unitChat); len(m) > before {
			days = append(days, fmtDay(d)+" "+strings.SplitN(m[len(m)-1].Message.Text, "】", 2)[0]+"】")
		}
		if fmtDay(d) == "03-25" {
			if n := f.count(`SELECT COUNT(*) FROM clues WHERE id = ? AND next_step_at IS NULL`, id); n != 1 {
				t.Errorf("paused clue still in the index of next steps")
			}
		}
	}
	want := []string{"04-14 【线索办理提醒】", "04-20 【提醒函】", "04-27 【督办函】"}
	if strings.Join(days, "|") != strings.Join(want, "|") {
		t.Errorf("steps:\n got %v\nwant %v", days, want)
	}
	// The keeper got each step with the unit.
	if n := len(f.mailbox(keeperChat)); n != 3 {
		t.Errorf("keeper got %d messages, want 3", n)
	}
	ev := strings.Join(f.events(id), "|")
	for _, w := range []string{"paused 等待审计报告", "resumed → 2026-04-17", "reminder_letter", "supervision_letter"} {
		if !strings.Contains(ev, w) {
			t.Errorf("timeline lacks %q: %s", w, ev)
		}
	}
}
