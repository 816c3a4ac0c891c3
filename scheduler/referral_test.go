package scheduler

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"xuncha/handlers"
	"xuncha/store"
)

// TestReferralWatch runs the real scheduler on the virtual clock: a report nobody studies or
// refers is brought to its township's officials one working day before the ledger file's
// refer_days from receipt run out and once when they have, counted over the 2026 National Day
// holidays and their make-up Saturday; a clue studied or referred in time leaves the watch and
// is never nudged; a restart sends nothing twice. The days are the ledger file's: a county file
// that says 3 moves both nudges (the scheduler once read its own setting, always 5).
func TestReferralWatch(t *testing.T) {
	// Received Tue 09-29; working days 09-30, 10-08, 10-09, 10-10 (make-up Saturday), 10-12.
	referralWatch(t, nil, "10-10 【研判转办提醒】 %[1]s|10-12 【研判转办逾期】 %[1]s")
	county := ledgerFile(t, `"refer_days": 5,`, `"refer_days": 3,`)
	referralWatch(t, county, "10-08 【研判转办提醒】 %[1]s|10-09 【研判转办逾期】 %[1]s")
}

// referralWatch runs TestReferralWatch with a ledger file (nil: the built-in one); want are the
// nudges about the watched clue, its number as %[1]s.
func referralWatch(t *testing.T, ledger *handlers.Ledger, want string) {
	live(t, Config{Ledger: ledger}, at(2026, 9, 29, 0, 0), func(t *testing.T, f *fixture) {
		tw := f.township("新站镇")
		official, officeChat := f.person(store.RoleOfficial, tw, 0, "", "901")
		f.until(at(2026, 9, 29, 10, 0))
		var watched, studied, referred *store.Clue
		f.update(func(tx *store.Tx) error {
			for _, c := range []**store.Clue{&watched, &studied, &referred} {
				var err error
				if *c, _, err = reportClue(tx, tw, 0, ""); err != nil {
					return err
				}
			}
			return nil
		})
		f.until(at(2026, 9, 30, 11, 0))
		f.update(func(tx *store.Tx) error {
			st := store.ClueStudied
			if err := tx.UpdateClue(studied.ID, store.ClueUpdate{Status: &st}); err != nil {
				return err
			}
			return tx.ReferClue(referred.ID, official, "petition", "市信访局")
		})
		f.until(at(2026, 10, 10, 12, 0))
		f.restart()
		f.until(at(2026, 10, 31, 8, 0))
		// The studied clue climbs on its next stage's clock instead: not the watch's.
		var got []string
		for _, m := range f.sent(officeChat, watched.Number, studied.Number, referred.Number) {
			if strings.Contains(m, "研判转办") {
				got = append(got, m)
			}
		}
		if want := fmt.Sprintf(want, watched.Number); strings.Join(got, "|") != want {
			t.Errorf("nudges:\n got %v\nwant %s", got, want)
		}
		if n := f.count(`SELECT COUNT(*) FROM refer_watch WHERE next_at IS NOT NULL`); n != 0 {
			t.Errorf("%d clues still on the index", n)
		}
	})
}

// TestNudgeWithoutKeeper: the nudges about a clue (the referral watch's, the real-name
// deadlines', a duty's) go to its keeper, and to its township's officials and the
// administrators when the keeper can no longer be reached — their role withdrawn, every chat
// unreachable — as the ladder's letters do. A nudge claimed for nobody is never sent again.
func TestNudgeWithoutKeeper(t *testing.T) {
	f := newFixture(t, Config{})
	f.set(at(2026, 9, 29, 10, 0))
	tw := f.township("新站镇")
	keeper, keeperChat := f.person(store.RoleOfficial, tw, 0, "", "901")
	_, officeChat := f.person(store.RoleOfficial, tw, 0, "", "902")
	var watched, realName *store.Clue
	f.update(func(tx *store.Tx) error {
		var err error
		if watched, _, err = reportClue(tx, tw, keeper, ""); err != nil {
			return err
		}
		realName, _, err = reportClue(tx, tw, keeper, "801")
		return err
	})
	if _, err := f.db.WithdrawPerson(context.Background(), keeper, "cli", "left the post"); err != nil {
		t.Fatal(err)
	}
	for day := 30; day <= 62; day++ {
		now := at(2026, 9, day, 9, 30)
		f.run(f.s.ReferralWatch, now)
		f.run(f.s.RealNameDeadlines, now)
	}
	got := strings.Join(f.sent(officeChat, watched.Number, realName.Number), "|")
	for _, want := range []string{"【研判转办逾期】 " + watched.Number, "【研判转办逾期】 " + realName.Number} {
		if !strings.Contains(got, want) {
			t.Errorf("office got %q, want %q among them", got, want)
		}
	}
	if strings.Count(got, realName.Number) < 3 {
		t.Errorf("office got %q: the real-name deadline's nudges are missing", got)
	}
	if n := len(f.mailbox(keeperChat)); n != 0 {
		t.Errorf("the withdrawn keeper's chat got %d messages", n)
	}
}
