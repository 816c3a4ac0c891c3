package scheduler

import (
	"context"
	"fmt"
	"time"

	"xuncha/i18n"
	"xuncha/store"
)

// checkinAnchor is a Monday: check-in periods are counted from it, so they start on Mondays
// at 00:00 local time when the period is a whole number of weeks.
var checkinAnchor = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// period returns the start of the check-in period holding now.
func (s *Scheduler) period(now time.Time) time.Time {
	a := time.Date(checkinAnchor.Year(), checkinAnchor.Month(), checkinAnchor.Day(), 0, 0, 0, 0, s.cfg.Location)
	k := now.Sub(a) / s.cfg.CheckinEvery
	if now.Before(a) {
		k--
	}
	return a.Add(k * s.cfg.CheckinEvery)
}

// Checkins keeps the information officers' check-in cadence: a reminder on the first working
// day of each period to an officer who has not checked in yet, a nudge once a period passed
// without a check-in, and, after CheckinMisses such periods in a row, a word to the township's
// liaison. Each message is claimed by person and period in the transaction that queues it.
func (s *Scheduler) Checkins(ctx context.Context, now time.Time) error {
	if !s.cal.IsWorkingDay(now) {
		return nil // officers are reminded and nudged on working days only
	}
	start := s.period(now)
	every := s.cfg.CheckinEvery
	var officers []store.Person
	if err := s.store.Update(ctx, func(tx *store.Tx) (err error) {
		officers, err = tx.PeopleOfRole(store.RoleOfficer)
		return err
	}); err != nil {
		return err
	}
	sent := 0
	for _, p := range officers {
		if err := ctx.Err(); err != nil {
			return err
		}
		err := s.update(ctx, JobCheckin, func(tx *store.Tx) error {
			lookback := start.Add(-time.Duration(s.cfg.CheckinMisses) * every)
			times, err := tx.CheckinTimes(p.ID, lookback)
			if err != nil {
				return err
			}
			checkedIn := func(from, to time.Time) bool {
				for _, t := range times {
					if !t.Before(from) && t.Before(to) {
						return true
					}
				}
				return false
			}
			chats, err := tx.ChatsOfPerson(p.ID)
			if err != nil {
				return err
			}
			// The reminder, on the first working day of the period.
			if !now.Before(s.cal.NextWorkingDay(start)) && !checkedIn(start, now.Add(time.Second)) {
				key := fmt.Sprintf("checkin:remind:%d:%d", p.ID, start.Unix())
				n, err := s.claimAndSend(tx, key, chats, func(lang string) store.OutMessage {
					return store.OutMessage{Text: i18n.T(lang, "checkin.remind", s.dateTime(start.Add(every)))}
				})
				if err != nil {
					return err
				}
				sent += n
			}
			// The previous period, if the officer held the role for all of it.
			prev := start.Add(-every)
			if p.CreatedAt.After(prev) || checkedIn(prev, start) {
				return nil
			}
			key := fmt.Sprintf("checkin:miss:%d:%d", p.ID, prev.Unix())
			n, err := s.claimAndSend(tx, key, chats, func(lang string) store.OutMessage {
				return store.OutMessage{Text: i18n.T(lang, "checkin.missed", s.date(prev), s.date(start.Add(-time.Second)))}
			})
			if err != nil {
				return err
			}
			sent += n
			streak := 0
			for p0 := prev; streak < s.cfg.CheckinMisses && !p.CreatedAt.After(p0) && !checkedIn(p0, p0.Add(every)); p0 = p0.Add(-every) {
				streak++
			}
			if streak < s.cfg.CheckinMisses {
				return nil
			}
			liaisons, err := tx.RecipientsOfRoles(p.TownshipID, store.RoleLiaison)
			if err != nil {
				return err
			}
			place := ""
			if p.TownshipID != 0 {
				tw, err := tx.FindTownship(p.TownshipID)
				if err != nil {
					return err
				}
				place = tw.Name
			}
			if p.VillageID != 0 {
				v, err := tx.FindVillage(p.VillageID)
				if err != nil {
					return err
				}
				place += v.Name
			}
			key = fmt.Sprintf("checkin:liaison:%d:%d", p.ID, prev.Unix())
			n, err = s.claimAndSend(tx, key, liaisons, func(lang string) store.OutMessage {
				return store.OutMessage{Text: i18n.T(lang, "checkin.liaison", place, p.ID, streak, s.date(start.Add(-time.Second)))}
			})
			sent += n
			return err
		})
		if err != nil {
			return fmt.Errorf("officer %d: %w", p.ID, err)
		}
	}
	if sent > 0 {
		s.cfg.Wake()
		s.log.Info("check-in messages queued", "messages", sent)
	}
	return nil
}

// claimAndSend claims key and, if it was not claimed before, queues msg to recips.
func (s *Scheduler) claimAndSend(tx *store.Tx, key string, recips []store.Recipient, msg func(lang string) store.OutMessage) (int, error) {
	first, err := tx.Claim(key)
	if err != nil || !first {
		return 0, err
	}
	return send(tx, recips, key, msg)
}
