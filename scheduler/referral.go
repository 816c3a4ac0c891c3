package scheduler

import (
	"context"
	"fmt"
	"time"

	"xuncha/i18n"
	"xuncha/store"
)

// The 5-day watch of referral by jurisdiction (分级转办): a report that belongs to another
// level or body is referred within the ledger file's refer_days working days of receipt (the
// rules' 5; the clue's card shows the same date), so a clue from a report that nobody has
// studied or referred yet is brought to its keeper (else the township's officials and the
// administrators) ReferWarn working days before the days run out, and once more when they
// have. The pass reads the index of next looks (refer_watch.next_at, migration
// 0033) up to now: its cost is the work due, not the open ledger. A clue studied, referred or
// closed leaves the watch by trigger, whichever code moved it.

// referBatch is how many watched clues one transaction handles.
const referBatch = 200

// ReferralWatch runs the 5-day watch at now. Nudges wait for a working day.
func (s *Scheduler) ReferralWatch(ctx context.Context, now time.Time) error {
	return drainDue(ctx, s, JobReferral, now, referBatch, (*store.Tx).ReferWatchDue,
		func(tx *store.Tx, w store.ReferWatch) (int, error) {
			k, err := s.referStep(tx, w, now)
			if err != nil {
				return 0, fmt.Errorf("refer watch %d: %w", w.ClueID, err)
			}
			return k, nil
		}, "referral watch nudges queued")
}

// referStep takes one watched clue's step at now and returns the messages it queued. The
// deadline and the warning fall on the start of a day, so that the morning pass finds them.
func (s *Scheduler) referStep(tx *store.Tx, w store.ReferWatch, now time.Time) (int, error) {
	deadline := s.cal.AddWorkingDays(w.ReceivedAt, s.cfg.Ledger.ReferDays)
	warnAt := s.cal.StartOfDay(s.cal.AddWorkingDays(deadline, -s.cfg.ReferWarn))
	lateAt := s.cal.StartOfDay(deadline)
	switch {
	case now.Before(warnAt):
		return 0, tx.SetReferWatch(w.ClueID, w.Stage, warnAt)
	case !s.cal.IsWorkingDay(now):
		return 0, tx.SetReferWatch(w.ClueID, w.Stage, s.cal.NextWorkingDay(now))
	case now.Before(lateAt):
		n := 0
		if w.Stage == 0 {
			left := s.workingDaysBetween(now, deadline)
			var err error
			n, err = s.referNudge(tx, w, fmt.Sprintf("refer:%d:warn", w.ClueID), func(lang string) string {
				return i18n.T(lang, "refer.watch.warn", w.Number, s.date(w.ReceivedAt), s.date(deadline), left)
			})
			if err != nil {
				return 0, err
			}
		}
		return n, tx.SetReferWatch(w.ClueID, 1, lateAt)
	}
	n, err := s.referNudge(tx, w, fmt.Sprintf("refer:%d:late", w.ClueID), func(lang string) string {
		return i18n.T(lang, "refer.watch.late", w.Number, s.date(w.ReceivedAt), s.date(deadline))
	})
	if err != nil {
		return 0, err
	}
	return n, tx.SetReferWatch(w.ClueID, 2, time.Time{})
}

// referNudge sends a watched clue's text to those who answer for it; key claims it once.
func (s *Scheduler) referNudge(tx *store.Tx, w store.ReferWatch, key string, text func(lang string) string) (int, error) {
	return s.nudgeClue(tx, key, clueRef{w.ClueID, w.Number, w.KeeperID, w.TownshipID}, text)
}
