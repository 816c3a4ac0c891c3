package scheduler

import (
	"context"
	"fmt"
	"time"

	"xuncha/handlers"
	"xuncha/i18n"
	"xuncha/store"
)

// Real-name duties after the acceptance notice (store/duty.go): the result notice's nudges,
// an unanswered objection's nudges, and the retaliation follow-ups to the reporter. The pass
// reads the index of next looks (realname_duties.next_at) up to now, so that its cost is the
// work due and not the closed ledger; each duty it touches gets a next look later than now, or
// none, in the transaction that queues its message, so a pass never meets a duty twice and a
// restart resumes where the last commit left off.

// objectionEvery: an unanswered objection is nudged every this many working days.
const objectionEvery = 5

// dutyBatch is how many duties one transaction handles.
const dutyBatch = 200

// RealNameDuties runs the real-name duties that are due at now. The office's nudges wait for
// a working day; a reporter is asked on the day, whatever day it is.
func (s *Scheduler) RealNameDuties(ctx context.Context, now time.Time) error {
	return drainDue(ctx, s, JobDuties, now, dutyBatch, (*store.Tx).DutiesDue,
		func(tx *store.Tx, d *store.Duty) (int, error) {
			k, err := s.duty(tx, d, now)
			if err != nil {
				return 0, fmt.Errorf("duty %d: %w", d.ID, err)
			}
			return k, nil
		}, "real-name duty messages queued")
}

// duty takes one duty's step at now and returns the messages it queued.
func (s *Scheduler) duty(tx *store.Tx, d *store.Duty, now time.Time) (int, error) {
	if d.Kind != store.DutyFollowUp && !s.cal.IsWorkingDay(now) {
		return 0, tx.SetDutyNext(d.ID, d.Stage, s.cal.NextWorkingDay(now))
	}
	switch d.Kind {
	case store.DutyResult:
		return s.resultNotice(tx, d, now)
	case store.DutyObjection:
		return s.objection(tx, d, now)
	case store.DutyFollowUp:
		return s.followUp(tx, d, now)
	}
	return 0, tx.SetDutyNext(d.ID, d.Stage, time.Time{})
}

// resultNotice nudges the keeper RealNameWarn working days before the result notice is due,
// and once it is late, again every objectionEvery working days until it is sent. Nudges fall
// on the start of a day, so that the morning pass finds them.
func (s *Scheduler) resultNotice(tx *store.Tx, d *store.Duty, now time.Time) (int, error) {
	warnAt := s.cal.StartOfDay(s.cal.AddWorkingDays(d.DueAt, -s.cfg.RealNameWarn))
	c, err := tx.FindClue(d.ClueID)
	if err != nil {
		return 0, err
	}
	closed := c.ClosedAt
	switch {
	case now.Before(warnAt):
		return 0, tx.SetDutyNext(d.ID, d.Stage, warnAt)
	case now.Before(d.DueAt):
		n := 0
		if d.Stage == 0 {
			left := s.workingDaysBetween(now, d.DueAt)
			var err error
			n, err = s.toOffice(tx, d, fmt.Sprintf("duty:%d:warn", d.ID), func(lang string) string {
				return i18n.T(lang, "rn.result.warn", d.ClueNumber, s.date(closed), s.date(d.DueAt), left)
			})
			if err != nil {
				return 0, err
			}
		}
		return n, tx.SetDutyNext(d.ID, max(d.Stage, 1), d.DueAt)
	}
	n, err := s.toOffice(tx, d, fmt.Sprintf("duty:%d:late:%d", d.ID, d.Stage), func(lang string) string {
		return i18n.T(lang, "rn.result.late", d.ClueNumber, s.date(closed), s.date(d.DueAt))
	})
	if err != nil {
		return 0, err
	}
	return n, tx.SetDutyNext(d.ID, d.Stage+1, s.cal.StartOfDay(s.cal.AddWorkingDays(now, objectionEvery)))
}

// objection nudges the keeper (or the office) every objectionEvery working days while an
// objection waits for an answer.
func (s *Scheduler) objection(tx *store.Tx, d *store.Duty, now time.Time) (int, error) {
	next := s.cal.StartOfDay(s.cal.AddWorkingDays(d.DueAt, objectionEvery*(d.Stage+1)))
	if now.Before(next) {
		return 0, tx.SetDutyNext(d.ID, d.Stage, next)
	}
	waited := s.workingDaysBetween(d.DueAt, now)
	n, err := s.toOffice(tx, d, fmt.Sprintf("duty:%d:nudge:%d", d.ID, d.Stage), func(lang string) string {
		return i18n.T(lang, "rn.ob.nudge", d.ClueNumber, s.date(d.DueAt), d.Seq, waited)
	})
	if err != nil {
		return 0, err
	}
	return n, tx.SetDutyNext(d.ID, d.Stage+1, s.cal.StartOfDay(s.cal.AddWorkingDays(now, objectionEvery)))
}

// followUp asks the reporter, through the sealed link, whether they met retaliation. A
// reporter who kept no link (or whose link is gone) finds the question at their next
// query-code lookup: the duty is marked asked either way, once.
func (s *Scheduler) followUp(tx *store.Tx, d *store.Duty, now time.Time) (int, error) {
	if d.ReportID == 0 {
		return 0, tx.SetDutyNext(d.ID, d.Stage, time.Time{})
	}
	lang, err := tx.ReporterLang(d.ReportID)
	if err != nil {
		return 0, err
	}
	msg := store.OutMessage{Text: i18n.T(lang, "rn.fu.ask", d.Seq), Buttons: [][]store.Button{{
		{Text: i18n.T(lang, "rn.fu.btn.no"), Data: handlers.NewAction(handlers.VerbLedger, "rt", d.ID, "n").Data()},
		{Text: i18n.T(lang, "rn.fu.btn.yes"), Data: handlers.NewAction(handlers.VerbLedger, "rt", d.ID, "y").Data()},
	}}}
	// "report:<id>:" keys go with the reporter's link at the retention purge.
	sent, err := tx.EnqueueToReporter(d.ReportID, msg, fmt.Sprintf("report:%d:followup:%d", d.ReportID, d.Seq))
	if err != nil {
		return 0, err
	}
	if err := tx.AddClueEvent(d.ClueID, 0, "followup_asked", fmt.Sprint(d.Seq)); err != nil {
		return 0, err
	}
	n := 0
	if sent {
		n = 1
	}
	return n, tx.SetDutyNext(d.ID, 1, time.Time{})
}

// toOffice sends a duty's text to those who answer for its clue; key claims it once.
func (s *Scheduler) toOffice(tx *store.Tx, d *store.Duty, key string, text func(lang string) string) (int, error) {
	return s.nudgeClue(tx, key, clueRef{d.ClueID, d.ClueNumber, d.KeeperID, d.TownshipID}, text)
}

// clueRef names a clue in a nudge and says who answers for it.
type clueRef struct {
	ID               int64
	Number           string
	Keeper, Township int64
}

// answerers returns the chats that answer for a clue: its keeper's, or when nobody keeps it
// yet, or its keeper can no longer be reached (their role withdrawn, every chat unreachable),
// its township's officials' and the administrators', as for the ladder's letters: a nudge
// claimed for nobody would never be sent.
func answerers(tx *store.Tx, c clueRef) ([]store.Recipient, error) {
	if c.Keeper != 0 {
		if k, err := tx.ChatsOfPerson(c.Keeper); err != nil || len(k) > 0 {
			return k, err
		}
	}
	return tx.RecipientsOfRoles(c.Township, store.RoleOfficial, store.RoleAdmin)
}

// openClue is the button that opens a clue's card, with its number to say on the phone.
func openClue(lang string, c clueRef) [][]store.Button {
	return [][]store.Button{{{Text: i18n.T(lang, "realname.open", c.Number), Data: handlers.NewAction(handlers.VerbLedger, "o", c.ID).Data()}}}
}

// nudgeClue sends a text with a button that opens the clue to those who answer for it; key
// claims it once.
func (s *Scheduler) nudgeClue(tx *store.Tx, key string, c clueRef, text func(lang string) string) (int, error) {
	recips, err := answerers(tx, c)
	if err != nil {
		return 0, err
	}
	return s.claimAndSend(tx, key, recips, func(lang string) store.OutMessage {
		return store.OutMessage{Text: text(lang), Buttons: openClue(lang, c)}
	})
}

// drainDue runs a pass over an index of next looks (duties, the referral watch, the tasks'
// clock): batch by batch, each in one transaction, it reads up to batch items due at now and
// takes each one's step, until a batch comes back short. Every step moves its item's next look
// past now (or clears it) in the transaction that queues its messages, so no pass meets an
// item twice and a restart resumes at the last commit. It wakes the senders and logs once at
// the end when anything was queued.
func drainDue[T any](ctx context.Context, s *Scheduler, job string, now time.Time, batch int,
	due func(tx *store.Tx, now time.Time, limit int) ([]T, error),
	step func(tx *store.Tx, item T) (int, error), queued string) error {
	total := 0
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		n, sent := 0, 0
		err := s.update(ctx, job, func(tx *store.Tx) error {
			n, sent = 0, 0
			items, err := due(tx, now, batch)
			if err != nil {
				return err
			}
			n = len(items)
			for _, it := range items {
				k, err := step(tx, it)
				if err != nil {
					return err
				}
				sent += k
			}
			return nil
		})
		if err != nil {
			return err
		}
		total += sent
		if n < batch {
			break
		}
	}
	if total > 0 {
		s.cfg.Wake()
		s.log.Info(queued, "messages", total)
	}
	return nil
}
