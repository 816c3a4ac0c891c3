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
// deadline, and told again once it has passed; each once per report.
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
			recips, err := tx.RecipientsOfRoles(p.TownshipID, store.RoleOfficial, store.RoleAdmin)
			if err != nil {
				return err
			}
			left := s.workingDaysBetween(now, deadline)
			n, err := s.claimAndSend(tx, key, recips, func(lang string) store.OutMessage {
				if textKey == "realname.late" {
					return store.OutMessage{Text: i18n.T(lang, textKey, p.ReportID, s.date(p.Received), s.dateTime(deadline))}
				}
				return store.OutMessage{Text: i18n.T(lang, textKey, p.ReportID, s.date(p.Received), s.dateTime(deadline), left)}
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
