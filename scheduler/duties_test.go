package scheduler

import (
	"errors"
	"strings"
	"testing"

	"xuncha/store"
)

// realNameClosed files a real-name report by a chat (kept link), tells the reporter it was
// accepted, and closes its clue at the fixture's clock, with what closing owes the reporter as
// the ledger records it: the result notice within 15 working days (not yet sent) and the three
// follow-ups.
func (f *fixture) realNameClosed(township, keeper int64, reporterExt string) (clue *store.Clue, reporterChat int64) {
	f.t.Helper()
	f.update(func(tx *store.Tx) error {
		var err error
		clue, reporterChat, err = reportClue(tx, township, keeper, reporterExt)
		if err != nil {
			return err
		}
		if _, err := tx.AddReportEvent(clue.ReportID, "accepted", "已受理", true, nil); err != nil {
			return err
		}
		now := tx.Now()
		closed := store.ClueClosed
		if err := tx.UpdateClue(clue.ID, store.ClueUpdate{Status: &closed, ClosedAt: &now}); err != nil {
			return err
		}
		due := f.s.cal.AddWorkingDays(now, 15)
		if _, err := tx.AddDuty(&store.Duty{ClueID: clue.ID, Kind: store.DutyResult, DueAt: due, NextAt: now}); err != nil {
			return err
		}
		for _, days := range store.FollowUpDays {
			at := now.AddDate(0, 0, days)
			if _, err := tx.AddDuty(&store.Duty{ClueID: clue.ID, Kind: store.DutyFollowUp, Seq: days, DueAt: at, NextAt: at}); err != nil {
				return err
			}
		}
		return nil
	})
	return clue, reporterChat
}

// TestResultNoticeDue runs the real scheduler on the virtual clock: a real-name clue closed on
// Monday 03-02 owes its reporter the result within 15 working days (by 03-23 10:00). Its keeper
// is nudged three working days before, at the 09:05 pass of 03-18; told it is late at the first
// pass after the time, 03-24, and again five working days later, 03-31; sending the notice
// (04-01) ends the nudges, over the Qingming holiday and on. Each nudge names the clue and
// goes once.
func TestResultNoticeDue(t *testing.T) {
	live(t, Config{}, at(2026, 3, 2, 0, 0), func(t *testing.T, f *fixture) {
		tw := f.township("新站镇")
		keeper, keeperChat := f.person(store.RoleOfficial, tw, 0, "", "901")
		_, officeChat := f.person(store.RoleOfficial, tw, 0, "", "902")
		f.until(at(2026, 3, 2, 10, 0))
		clue, reporter := f.realNameClosed(tw, keeper, "777")

		f.until(at(2026, 4, 1, 8, 0))
		f.update(func(tx *store.Tx) error {
			duties, err := tx.ClueDuties(clue.ID)
			if err != nil {
				return err
			}
			for _, d := range duties {
				if d.Kind == store.DutyResult {
					return tx.CompleteDuty(d.ID, keeper, "已查实并整改")
				}
			}
			return errors.New("no result duty")
		})
		f.until(at(2026, 5, 1, 8, 0))
		want := []string{"03-18 【结果告知提醒】 " + clue.Number, "03-24 【结果告知逾期】 " + clue.Number, "03-31 【结果告知逾期】 " + clue.Number}
		wantLines(t, "keeper's nudges", f.sent(keeperChat, clue.Number), want)
		if got := f.sent(officeChat, clue.Number); len(got) != 0 {
			t.Errorf("the office was nudged about a kept clue: %v", got)
		}
		if got := f.sent(reporter, "结果告知"); len(got) != 0 {
			t.Errorf("the reporter got the office's nudges: %v", got)
		}
	})
}

// TestFollowUpsOnceThroughRestarts runs the real scheduler on the virtual clock: the three
// retaliation follow-ups go to the reporter once each, through the sealed link, 30, 90 and 180
// days after closing (at the first daily pass after the time); a pass rolled back by a crash
// just before its commit, restarts the same day, and a stop of two weeks (the first pass after
// the start catches the question that fell due meanwhile up, once) send nothing twice and lose
// nothing.
func TestFollowUpsOnceThroughRestarts(t *testing.T) {
	live(t, Config{}, at(2026, 3, 2, 0, 0), func(t *testing.T, f *fixture) {
		tw := f.township("新站镇")
		f.until(at(2026, 3, 2, 10, 0))
		clue, reporter := f.realNameClosed(tw, 0, "777")
		asked := func() []string { return f.sent(reporter, "已办结 30 天", "已办结 90 天", "已办结 180 天") }

		// 04-01 10:00 is 30 days: the pass of 04-02 09:05 dies just before it commits.
		f.crashing(JobDuties)
		f.until(at(2026, 4, 2, 9, 30))
		if q := asked(); len(q) != 0 || !strings.Contains(f.logs.String(), errCrash.Error()) {
			t.Fatalf("a rolled-back pass sent %v", q)
		}
		// Restarted: the pass at start asks; a second restart the same day asks nothing more.
		f.crashing("")
		f.restart()
		f.until(at(2026, 4, 2, 12, 0))
		f.restart()
		f.until(at(2026, 5, 20, 12, 0))
		// Down from 05-20 to 06-03 08:00: the 90-day question (due 05-31) is caught up at start.
		f.restartAfter(at(2026, 6, 3, 8, 0).Sub(f.clock()))
		f.until(at(2026, 6, 3, 12, 0))
		f.restart()
		f.until(at(2026, 12, 1, 8, 0))
		want := []string{"04-02 【回访】 已办结 30 天", "06-03 【回访】 已办结 90 天", "08-30 【回访】 已办结 180 天"}
		wantLines(t, "asked", asked(), want)
		if n := f.count(`SELECT COUNT(*) FROM clue_events WHERE clue_id = ? AND kind = 'followup_asked'`, clue.ID); n != 3 {
			t.Errorf("timeline: %d follow-ups asked", n)
		}
		if n := f.count(`SELECT COUNT(*) FROM realname_duties WHERE kind = ? AND next_at IS NOT NULL`, store.DutyFollowUp); n != 0 {
			t.Errorf("%d follow-ups still in the index", n)
		}
	})
}
