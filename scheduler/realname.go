package scheduler

import (
	"context"
	"fmt"
	"time"

	"xuncha/i18n"
	"xuncha/store"
)

// RealNameDeadlines watches the acceptance notice owed to real-name reporters: they must be
// told within RealNameDays working days of receipt whether their report was accepted. The
// officials of the report's township are nudged RealNameWarn working days before the
// deadline, and told again once it has passed; each once per report. The nudge names the
// report's clue by its number, with a button that opens it, and goes to the clue's keeper when
// it has one.
func (s *Scheduler) RealNameDeadlines(ctx context.Context, now time.Time) error {
	if !s.cal.IsWorkingDay(now) {
		return nil
	}
	// Reports older than twice the limit in calendar days are long past both messages.
	since := now.AddDate(0, 0, -4*s.cfg.RealNameDays)
	sent := 0
	err := s.update(ctx, JobRealName, func(tx *store.Tx) error {
		sent = 0
		pending, err := tx.RealNamePendingSince(since)
		if err != nil {
			return err
		}
		for _, p := range pending {
			deadline := s.cal.AddWorkingDays(p.Received, s.cfg.RealNameDays)
			warnAt := s.cal.StartOfDay(s.cal.AddWorkingDays(deadline, -s.cfg.RealNameWarn))
			var key, textKey string
			switch {
			case !now.Before(deadline):
				key, textKey = fmt.Sprintf("realname:late:%d", p.ReportID), "realname.late"
			case !now.Before(warnAt):
				key, textKey = fmt.Sprintf("realname:warn:%d", p.ReportID), "realname.warn"
			default:
				continue
			}
			// The clue's keeper answers for it; a clue nobody keeps yet is the office's.
			c := clueRef{p.ClueID, p.ClueNumber, p.KeeperID, p.TownshipID}
			recips, err := answerers(tx, c)
			if err != nil {
				return err
			}
			left := s.workingDaysBetween(now, deadline)
			n, err := s.claimAndSend(tx, key, recips, func(lang string) store.OutMessage {
				// The clue's number to say on the phone and a button that opens it; a report
				// that has no clue yet is named by its own number.
				what := i18n.T(lang, "realname.report", p.ReportID)
				var buttons [][]store.Button
				if p.ClueID != 0 {
					what = i18n.T(lang, "realname.clue", p.ClueNumber)
					buttons = openClue(lang, c)
				}
				if textKey == "realname.late" {
					return store.OutMessage{Text: i18n.T(lang, textKey, what, s.date(p.Received), s.dateTime(deadline)), Buttons: buttons}
				}
				return store.OutMessage{Text: i18n.T(lang, textKey, what, s.date(p.Received), s.dateTime(deadline), left), Buttons: buttons}
			})
			if err != nil {
				return err
			}
			sent += n
		}
		return nil
	})
	if err != nil {
		return err
	}
	if sent > 0 {
		s.cfg.Wake()
		s.log.Info("real-name deadline nudges queued", "messages", sent)
	}
	return nil
}
