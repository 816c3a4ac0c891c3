package scheduler

import (
	"context"
	"strings"
	"testing"
	"time"

	"xuncha/store"
)

// newClue inserts a clue as registration leaves it: status new, no deadline, no unit.
func (f *fixture) newClue(number string, township, keeper int64, received time.Time) int64 {
	f.t.Helper()
	var k any
	if keeper != 0 {
		k = keeper
	}
	res, err := f.raw.Exec(`INSERT INTO clues (number, source, title, township_id, keeper_id, status, received_at, updated_at)
		VALUES (?, 'inspection', ?, ?, ?, 'new', ?, ?)`, number, "线索"+number, township, k, received.Unix(), received.Unix())
	if err != nil {
		f.t.Fatal(err)
	}
	id, _ := res.LastInsertId()
	return id
}

// TestStageClockUntouched runs the real scheduler on synctest's virtual clock, mapped onto
// 2026: a clue registered and then left alone climbs from the day it arrived, on its stage's
// clock (awaiting joint study: 22, 65 and 130 working days in the built-in ledger file), over
// the Spring Festival, Qingming, Labour Day and Dragon Boat holidays, through the three
// colours: blue, the nudge, on the 22nd working day; yellow, the reminder letter (提醒函), on
// the 65th; red, the supervision letter (督办函), 65 working days after that, to the township's
// office as well; each once, from the cron's own 09:00 ticks. Then its climb ends and it
// leaves the index of next steps. Before the stage clocks, such a clue never took a step.
func TestStageClockUntouched(t *testing.T) {
	live(t, Config{}, at(2026, 1, 5, 0, 0), func(t *testing.T, f *fixture) {
		tw := f.township("新站镇")
		keeper, keeperChat := f.person(store.RoleOfficial, tw, 0, "", "901")
		_, adminChat := f.person(store.RoleAdmin, 0, 0, "", "902")
		f.until(at(2026, 1, 5, 10, 30))
		id := f.newClue("S-1", tw, keeper, f.clock())

		f.wantColours(id, colourAt{at(2026, 2, 3, 18, 0), "🟢绿灯·按期"}, colourAt{at(2026, 2, 4, 18, 0), "🔵蓝灯·已催办"},
			colourAt{at(2026, 4, 10, 18, 0), "🔵蓝灯·已催办"}, colourAt{at(2026, 4, 13, 18, 0), "🟡黄灯·已发提醒函"},
			colourAt{at(2026, 7, 15, 18, 0), "🟡黄灯·已发提醒函"}, colourAt{at(2026, 7, 16, 18, 0), "🔴红灯·已发督办函"})
		f.until(at(2026, 9, 1, 8, 0))
		want := []string{"02-04 【线索办理提醒】 S-1", "04-13 【提醒函】 S-1", "07-16 【督办函】 S-1"}
		wantLines(t, "keeper's steps", f.sent(keeperChat, "S-1"), want)
		if got := f.sent(adminChat, "S-1"); strings.Join(got, "|") != "07-16 【督办函】 S-1" {
			t.Errorf("the office got %v, want the supervision letter", got)
		}
		for _, m := range f.mailbox(keeperChat) {
			if strings.HasPrefix(m.Message.Text, "【提醒函】") {
				for _, w := range []string{"待会商研判", "2026-01-05", "提醒〔2026〕1号"} {
					if !strings.Contains(m.Message.Text, w) {
						t.Errorf("reminder letter lacks %q: %s", w, m.Message.Text)
					}
				}
			}
		}
		ev := strings.Join(f.events(id), "|")
		for _, w := range []string{"reminder_letter 提醒〔2026〕1号", "supervision_letter 督办〔2026〕1号"} {
			if !strings.Contains(ev, w) {
				t.Errorf("timeline lacks %q: %s", w, ev)
			}
		}
		if n := f.count(`SELECT COUNT(*) FROM clues c WHERE c.id = ? AND NOT EXISTS (SELECT 1 FROM clue_next_steps n WHERE n.clue_id = c.id)`, id); n != 1 {
			t.Errorf("a clue whose climb ended is still in the index of next steps")
		}
	})
}

// TestStageClockRestartsOnStudy runs the real scheduler on the virtual clock: a clue studied
// (会商研判) on 01-20, before its nudge, never gets the study stage's steps; the next stage's
// clock (awaiting a disposal opinion: 10, 15, 22) starts on the day of the study and climbs over
// the Spring Festival (02-14 a make-up working Saturday, 02-15..23 off). Disposed with an
// inquiry letter (谈话函询) on 03-02, it then climbs the verification stage at the inquiry's
// thresholds (22, 44, 65), shorter than preliminary verification's (22, 65, 130); a signature
// on the reminder letter does not stop that climb.
func TestStageClockRestartsOnStudy(t *testing.T) {
	live(t, Config{}, at(2026, 1, 5, 0, 0), func(t *testing.T, f *fixture) {
		tw, tw2 := f.township("新站镇"), f.township("天岗镇")
		keeper, keeperChat := f.person(store.RoleOfficial, tw, 0, "", "901")
		_, officeChat := f.person(store.RoleOfficial, tw2, 0, "", "903")
		f.until(at(2026, 1, 5, 10, 30))
		talk := f.newClue("S-2", tw, keeper, f.clock())
		verify := f.newClue("S-3", tw2, 0, f.clock())

		setStatus := func(id int64, status, disposal string) {
			f.update(func(tx *store.Tx) error {
				u := store.ClueUpdate{Status: &status}
				if disposal != "" {
					u.Disposal = &disposal
				}
				return tx.UpdateClue(id, u)
			})
		}
		f.until(at(2026, 1, 20, 8, 0))
		setStatus(talk, store.ClueStudied, "")
		f.until(at(2026, 3, 2, 8, 0))
		setStatus(talk, store.ClueDisposed, "talk")
		setStatus(verify, store.ClueDisposed, "verify")
		f.until(at(2026, 5, 8, 8, 0))
		// The keeper signs for the inquiry's reminder letter: the climb goes on.
		var letter int64
		if err := f.raw.QueryRow(`SELECT id FROM clue_letters WHERE clue_id = ? AND kind = ?`, talk, store.LetterReminder).Scan(&letter); err != nil {
			t.Fatal(err)
		}
		f.update(func(tx *store.Tx) error {
			p, err := tx.FindPerson(keeper)
			if err != nil {
				return err
			}
			_, err = tx.AckLetter(letter, p)
			return err
		})
		f.until(at(2026, 6, 30, 8, 0))
		want := []string{
			"02-03 【线索办理提醒】 S-2", "02-10 【提醒函】 S-2", "02-26 【督办函】 S-2", // awaiting a disposal opinion, from 01-20
			"04-01 【线索办理提醒】 S-2", "05-07 【提醒函】 S-2", "06-04 【督办函】 S-2", // the inquiry letter, from 03-02
		}
		wantLines(t, "steps", f.sent(keeperChat, "S-2"), want)
		// The clue nobody keeps goes to the township's office; preliminary verification is
		// given longer: its reminder letter comes on 06-04, its supervision letter not yet.
		var office []string
		for _, m := range f.sent(officeChat, "S-3") {
			office = append(office, strings.SplitN(m, " ", 2)[1])
		}
		if want := "【线索办理提醒】 S-3|【线索办理提醒】 S-3|【提醒函】 S-3"; strings.Join(office, "|") != want {
			t.Errorf("office's steps for the verification: %v, want %s", office, want)
		}
	})
}

// TestStageThresholdsFromLedgerFile runs the real scheduler on the virtual clock: the
// thresholds, and so the colours, are the ledger file's. A clue whose next step the built-in
// file set for 04-01 is worked out again after a restart with a county's file that says 3, 5
// and 8 working days, and climbs at those: blue on its 3rd working day, the reminder letter
// on the 5th, red on the 8th.
func TestStageThresholdsFromLedgerFile(t *testing.T) {
	county := ledgerFile(t, `"nudge": 22, "reminder": 65, "supervision": 130},`, `"nudge": 3, "reminder": 5, "supervision": 8},`)
	live(t, Config{}, at(2026, 3, 2, 0, 0), func(t *testing.T, f *fixture) {
		tw := f.township("新站镇")
		keeper, keeperChat := f.person(store.RoleOfficial, tw, 0, "", "901")
		f.until(at(2026, 3, 2, 10, 0))
		id := f.newClue("S-4", tw, keeper, f.clock())
		f.until(at(2026, 3, 3, 12, 0))
		f.cfg.Ledger = county
		f.restart()
		f.wantColours(id, colourAt{at(2026, 3, 4, 18, 0), "🟢绿灯·按期"}, colourAt{at(2026, 3, 5, 18, 0), "🔵蓝灯·已催办"},
			colourAt{at(2026, 3, 9, 18, 0), "🟡黄灯·已发提醒函"}, colourAt{at(2026, 3, 11, 18, 0), "🟡黄灯·已发提醒函"},
			colourAt{at(2026, 3, 12, 18, 0), "🔴红灯·已发督办函"})
		f.until(at(2026, 3, 20, 8, 0))
		want := []string{"03-05 【线索办理提醒】 S-4", "03-09 【提醒函】 S-4", "03-12 【督办函】 S-4"}
		wantLines(t, "steps with the county's file", f.sent(keeperChat, "S-4"), want)
	})
}

// TestStageClockPause runs the real scheduler on the virtual clock: a clue without a deadline,
// paused before its nudge, takes no step, stays green and out of the index of next steps while
// paused, whatever the cron's ticks; resumed, its stage's clock goes on where it stood (moved
// on by the time it stood still) and climbs again. Pause and resume show in the timeline.
func TestStageClockPause(t *testing.T) {
	live(t, Config{}, at(2026, 3, 2, 0, 0), func(t *testing.T, f *fixture) {
		tw := f.township("新站镇")
		keeper, keeperChat := f.person(store.RoleOfficial, tw, 0, "", "901")
		f.until(at(2026, 3, 2, 10, 0))
		id := f.newClue("S-5", tw, keeper, f.clock()) // unpaused: nudge 04-01, reminder letter 06-04

		f.until(at(2026, 3, 30, 8, 0))
		f.update(func(tx *store.Tx) error { return tx.PauseClue(id, keeper, "等待审计报告") })
		f.until(at(2026, 4, 12, 20, 0))
		if n := f.count(`SELECT COUNT(*) FROM clues c WHERE c.id = ? AND NOT EXISTS (SELECT 1 FROM clue_next_steps n WHERE n.clue_id = c.id)`, id); n != 1 {
			t.Errorf("paused clue still in the index of next steps")
		}
		if got := f.colour(id); got != "🟢绿灯·按期" {
			t.Errorf("paused past its nudge day: %s", got)
		}
		f.until(at(2026, 4, 13, 8, 0))
		f.update(func(tx *store.Tx) error { return tx.ResumeClue(id, keeper, time.Time{}, "") })
		f.until(at(2026, 6, 30, 8, 0))
		// Paused 03-30 to 04-13 08:00: the stage's start moves from 03-02 to 03-16, its 22nd
		// working day, over the Qingming holiday, is 04-16 (not 04-01), its 65th 06-18.
		want := []string{"04-16 【线索办理提醒】 S-5", "06-18 【提醒函】 S-5"}
		wantLines(t, "steps", f.sent(keeperChat, "S-5"), want)
		ev := strings.Join(f.events(id), "|")
		for _, w := range []string{"paused 等待审计报告", "resumed", "reminder_letter"} {
			if !strings.Contains(ev, w) {
				t.Errorf("timeline lacks %q: %s", w, ev)
			}
		}
	})
}

// TestStageUpgradeKeepsNextSteps: the first pass after the upgrade to the stages' clocks does
// not hand every clue back to be worked out again (at 1,000,000 clues, a walk of the ledger):
// the recorded deadline thresholds are the same, and no stage time was worked out before.
func TestStageUpgradeKeepsNextSteps(t *testing.T) {
	f := newFixture(t, Config{})
	f.set(at(2026, 3, 2, 8, 0))
	tw := f.township("新站镇")
	keeper, _ := f.person(store.RoleOfficial, tw, 0, "", "901")
	id := f.clue("U-1", "审计局", tw, keeper, at(2026, 6, 30, 23, 59))
	f.run(f.s.Escalate, at(2026, 3, 3, 9, 0))
	// As the store was before the upgrade: the thresholds recorded without the stages.
	if _, err := f.raw.Exec(`UPDATE channel_state SET value = 'nudge_before=10 supervision_after=20' WHERE key = ?`, ladderConfigKey); err != nil {
		t.Fatal(err)
	}
	// A mark in place of the clue's next step time: a pass that worked it out again replaces it.
	const mark = 4102444800 // 2100-01-01
	if _, err := f.raw.Exec(`UPDATE clue_next_steps SET at = ? WHERE clue_id = ?`, mark, id); err != nil {
		t.Fatal(err)
	}
	f.run(f.s.Escalate, at(2026, 3, 4, 9, 0))
	if n := f.count(`SELECT COUNT(*) FROM clue_next_steps WHERE clue_id = ? AND at = ?`, id, mark); n != 1 {
		t.Error("the upgrade handed the clue back to be worked out")
	}
	// A real change of the deadline thresholds still does.
	if _, err := f.raw.Exec(`UPDATE channel_state SET value = 'nudge_before=5 supervision_after=20' WHERE key = ?`, ladderConfigKey); err != nil {
		t.Fatal(err)
	}
	if err := f.s.checkLadderConfig(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := f.count(`SELECT COUNT(*) FROM clue_next_steps WHERE clue_id = ? AND at = 0`, id); n != 1 {
		t.Error("a change of the thresholds did not hand the clue back")
	}
}
