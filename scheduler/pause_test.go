package scheduler

import (
	"strings"
	"testing"

	"xuncha/store"
)

// TestLadderPauseResume runs the real scheduler on the virtual clock: a transferred clue
// paused the day before its nudge takes no step and leaves the index of next steps for the
// whole pause; resumed with its deadline moved on, it climbs again from the nudge, to the new
// deadline, its unit and its keeper told of each step once.
func TestLadderPauseResume(t *testing.T) {
	live(t, Config{Ladder: LadderConfig{NudgeBefore: 3, SupervisionAfter: 5}}, at(2026, 3, 1, 0, 0), func(t *testing.T, f *fixture) {
		tw := f.township("新站镇")
		_, unitChat := f.person(store.RoleUnit, 0, 0, "审计局", "801")
		keeper, keeperChat := f.person(store.RoleOfficial, tw, 0, "", "802")
		id := f.clue("P-1", "审计局", tw, keeper, at(2026, 3, 20, 23, 59)) // nudge day: Tue 03-17

		f.until(at(2026, 3, 16, 8, 0))
		f.update(func(tx *store.Tx) error { return tx.PauseClue(id, keeper, "等待审计报告") })
		f.until(at(2026, 3, 25, 20, 0))
		if n := f.count(`SELECT COUNT(*) FROM clues c WHERE c.id = ? AND NOT EXISTS (SELECT 1 FROM clue_next_steps n WHERE n.clue_id = c.id)`, id); n != 1 {
			t.Errorf("paused clue still in the index of next steps")
		}
		f.until(at(2026, 4, 1, 8, 0))
		newDue := at(2026, 4, 17, 23, 59) // Friday; nudge day Tue 04-14
		f.update(func(tx *store.Tx) error { return tx.ResumeClue(id, keeper, newDue, "→ 2026-04-17") })
		f.until(at(2026, 5, 1, 8, 0))

		want := []string{"04-14 【线索办理提醒】 P-1", "04-20 【提醒函】 P-1", "04-27 【督办函】 P-1"}
		for who, chat := range map[string]int64{"unit": unitChat, "keeper": keeperChat} {
			wantLines(t, who+"'s steps", f.sent(chat, "P-1"), want)
		}
		ev := strings.Join(f.events(id), "|")
		for _, w := range []string{"paused 等待审计报告", "resumed → 2026-04-17", "reminder_letter", "supervision_letter"} {
			if !strings.Contains(ev, w) {
				t.Errorf("timeline lacks %q: %s", w, ev)
			}
		}
	})
}
