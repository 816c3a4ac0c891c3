package scheduler

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"xuncha/i18n"
	"xuncha/store"
)

// MonthlyReview sends the monthly review digest (每月集中梳理) on the first working day of the
// month from 09:00: to each official and admin for their jurisdiction (the whole county when
// they have no township) and to each receiving unit for its clues: open clues by status,
// overdue clues by the ladder level they reached, those closed and struck off in the past
// month, and a request to confirm each open clue is on track. The month is claimed in the
// transaction that queues every digest, so it goes out once.
//
// The counts are one grouped pass over the open clues (store.ReviewTotals), read in a read
// transaction before the write: the write only claims the month and queues the digests, so
// no resident's step waits behind the counting.
func (s *Scheduler) MonthlyReview(ctx context.Context, now time.Time) error {
	local := now.In(s.cfg.Location)
	month := time.Date(local.Year(), local.Month(), 1, 0, 0, 0, 0, s.cfg.Location)
	at := s.cal.NextWorkingDay(month).Add(9 * time.Hour)
	if now.Before(at) {
		return nil
	}
	prev := month.AddDate(0, -1, 0)
	key := "review:" + month.Format("2006-01")
	var totals store.ReviewTotals
	claimed := false
	err := s.store.View(ctx, func(tx *store.Tx) error {
		var err error
		if claimed, err = tx.Claimed(key); err != nil || claimed {
			return err
		}
		totals, err = tx.ReviewTotals(now, prev, month)
		return err
	})
	if err != nil || claimed {
		return err
	}
	sent := 0
	err = s.update(ctx, JobReview, func(tx *store.Tx) error {
		sent = 0
		first, err := tx.Claim(key)
		if err != nil || !first {
			return err
		}
		nobody, err := unanswered(tx, totals)
		if err != nil {
			return err
		}
		for _, role := range []store.Role{store.RoleOfficial, store.RoleAdmin} {
			people, err := tx.PeopleOfRole(role)
			if err != nil {
				return err
			}
			for _, p := range people {
				rc := totals.Township(p.TownshipID)
				scope := ""
				if p.TownshipID != 0 {
					tw, err := tx.FindTownship(p.TownshipID)
					if err != nil {
						return err
					}
					scope = tw.Name
				}
				chats, err := tx.ChatsOfPerson(p.ID)
				if err != nil {
					return err
				}
				n, err := send(tx, chats, fmt.Sprintf("%s:p%d", key, p.ID), func(lang string) store.OutMessage {
					sc := scope
					if sc == "" {
						sc = i18n.T(lang, "review.county")
					}
					text := s.digest(lang, sc, prev, rc)
					if len(nobody) > 0 {
						text += i18n.T(lang, "review.nobody", strings.Join(nobody, "、"))
					}
					return store.OutMessage{Text: text}
				})
				if err != nil {
					return err
				}
				sent += n
			}
		}
		units, err := tx.Units()
		if err != nil {
			return err
		}
		for _, u := range units {
			rc := totals.Unit(u)
			chats, err := tx.ChatsOfUnit(u)
			if err != nil {
				return err
			}
			n, err := send(tx, chats, fmt.Sprintf("%s:u:%s", key, u), func(lang string) store.OutMessage {
				return store.OutMessage{Text: s.digest(lang, u, prev, rc)}
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
		s.log.Info("monthly review queued", "month", month.Format("2006-01"), "messages", sent)
	}
	return nil
}

// unanswered lists the receiving units that hold open clues but have no member a letter
// could reach: the ladder's reminders and letters about their clues reach nobody of theirs.
// One look per unit with open clues (a few dozen), not per clue.
func unanswered(tx *store.Tx, totals store.ReviewTotals) ([]string, error) {
	var out []string
	for unit, rc := range totals.Units {
		open := 0
		for _, n := range rc.OpenByStatus {
			open += n
		}
		if unit == "" || open == 0 {
			continue
		}
		chats, err := tx.ChatsOfUnit(unit)
		if err != nil {
			return nil, err
		}
		if len(chats) == 0 {
			out = append(out, unit)
		}
	}
	sort.Strings(out)
	return out, nil
}

// digest renders one review message.
func (s *Scheduler) digest(lang, scope string, prev time.Time, rc store.ReviewCounts) string {
	var b strings.Builder
	monthName := prev.Format("2006-01")
	b.WriteString(i18n.T(lang, "review.head", scope, monthName))
	open := 0
	var statuses []string
	for st, n := range rc.OpenByStatus {
		open += n
		statuses = append(statuses, st)
	}
	sort.Strings(statuses)
	var parts []string
	for _, st := range statuses {
		parts = append(parts, fmt.Sprintf("%s %d", statusName(lang, st), rc.OpenByStatus[st]))
	}
	detail := ""
	if len(parts) > 0 {
		if lang == "en" {
			detail = " (" + strings.Join(parts, ", ") + ")"
		} else {
			detail = "（" + strings.Join(parts, "，") + "）"
		}
	}
	b.WriteString(i18n.T(lang, "review.open", open, detail))
	overdue := 0
	for _, n := range rc.OverdueByLevel {
		overdue += n
	}
	lv := rc.OverdueByLevel
	b.WriteString(i18n.T(lang, "review.overdue", overdue, lv[store.LadderNone], lv[store.LadderNudge], lv[store.LadderReminder], lv[store.LadderSupervision]))
	b.WriteString(i18n.T(lang, "review.closed", monthName, rc.Closed))
	b.WriteString(i18n.T(lang, "review.confirm"))
	return b.String()
}
