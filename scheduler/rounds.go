package scheduler

import (
	"context"
	"fmt"
	"time"

	"xuncha/handlers"
	"xuncha/store"
)

// Rounds runs the deadlines of everything that hangs off an inspection round: a village
// classification step past its deadline nudges the role that owns it; briefing requests are
// sent and, once late, nudged; meetings are announced and reminded the day before; the
// rectification guidance and templates go out, and late rectification is escalated. Each
// stage is recorded in the transaction that queues its messages, and every message has an
// outbox dedupe key, so a run cut off half-way and redone sends nothing twice.
func (s *Scheduler) Rounds(ctx context.Context, now time.Time) error {
	for _, job := range []func(context.Context, time.Time) error{s.ClassNudges, s.Briefings, s.Meetings, s.Rectification} {
		if err := job(ctx, now); err != nil {
			return err
		}
	}
	s.cfg.Wake()
	return nil
}

// ClassNudges nudges the owners of each classification step past its deadline, once per step.
func (s *Scheduler) ClassNudges(ctx context.Context, now time.Time) error {
	return s.update(ctx, JobRounds, func(tx *store.Tx) error {
		cycles, err := tx.OverdueClassCycles(now)
		if err != nil {
			return err
		}
		for _, c := range cycles {
			tw, err := tx.FindTownship(c.TownshipID)
			if err != nil {
				return err
			}
			recips, err := handlers.ClassStepRecipients(tx, &c)
			if err != nil {
				return err
			}
			key := fmt.Sprintf("classify:%d:%d:nudge", c.ID, c.Step)
			if _, err := send(tx, recips, key, func(lang string) store.OutMessage {
				return store.OutMessage{Text: handlers.T(lang, "rd.cl.nudge", tw.Name,
					handlers.T(lang, fmt.Sprintf("rd.cl.step%d", c.Step)), s.date(c.DueAt))}
			}); err != nil {
				return err
			}
			if err := tx.MarkClassNudged(c.ID, c.Step); err != nil {
				return err
			}
			s.log.Info("classification step nudged", "cycle", c.ID, "step", c.Step, "recipients", len(recips))
		}
		return nil
	})
}

// Briefings sends each new briefing request to its department, and nudges the ones still
// unanswered at their deadline (telling the round's group too).
func (s *Scheduler) Briefings(ctx context.Context, now time.Time) error {
	return s.update(ctx, JobRounds, func(tx *store.Tx) error {
		reqs, err := tx.DueBriefingRequests(now)
		if err != nil {
			return err
		}
		for _, r := range reqs {
			recips, err := tx.ChatsOfUnit(r.Unit)
			if err != nil {
				return err
			}
			if r.AskedAt.IsZero() {
				if _, err := send(tx, recips, fmt.Sprintf("briefing:%d:ask", r.ID), func(lang string) store.OutMessage {
					return store.OutMessage{Text: handlers.T(lang, "rd.br.asked", r.Round, s.date(r.DueAt))}
				}); err != nil {
					return err
				}
				if err := tx.MarkBriefingRequest(r.ID, "asked"); err != nil {
					return err
				}
				continue
			}
			if _, err := send(tx, recips, fmt.Sprintf("briefing:%d:nudge", r.ID), func(lang string) store.OutMessage {
				return store.OutMessage{Text: handlers.T(lang, "rd.br.nudge", r.Round, s.date(r.DueAt))}
			}); err != nil {
				return err
			}
			group, err := tx.RoundMemberRecipients(r.RoundID)
			if err != nil {
				return err
			}
			if _, err := send(tx, group, fmt.Sprintf("briefing:%d:late", r.ID), func(lang string) store.OutMessage {
				return store.OutMessage{Text: handlers.T(lang, "rd.br.late", r.Unit, r.Round, s.date(r.DueAt))}
			}); err != nil {
				return err
			}
			if err := tx.MarkBriefingRequest(r.ID, "nudged"); err != nil {
				return err
			}
			s.log.Info("briefing nudged", "request", r.ID)
		}
		return nil
	})
}

// Meetings sends each meeting's notice to its attendees, and a reminder on the day before.
// A notice sent on the day before (or later) stands for the reminder: it names the time.
func (s *Scheduler) Meetings(ctx context.Context, now time.Time) error {
	return s.update(ctx, JobRounds, func(tx *store.Tx) error {
		ms, err := tx.DueMeetings(now)
		if err != nil {
			return err
		}
		for _, m := range ms {
			att, err := tx.MeetingAttendees(m.ID)
			if err != nil {
				return err
			}
			var recips []store.Recipient
			for _, a := range att {
				rs, err := tx.ChatsOfPerson(a.PersonID)
				if err != nil {
					return err
				}
				recips = append(recips, rs...)
			}
			remindFrom := s.cal.StartOfDay(m.At).AddDate(0, 0, -1)
			dueReminder := !now.Before(remindFrom)
			msg := func(key string) func(string) store.OutMessage {
				return func(lang string) store.OutMessage {
					return store.OutMessage{
						Text:    handlers.T(lang, key, handlers.T(lang, "rd.mt."+m.Kind), m.Round, s.dateTime(m.At), m.Place),
						Buttons: [][]store.Button{{{Text: handlers.T(lang, "rd.mt.confirm"), Data: handlers.MeetingConfirmData(m.ID)}}},
					}
				}
			}
			if m.NotifiedAt.IsZero() {
				if _, err := send(tx, recips, fmt.Sprintf("meeting:%d:notice", m.ID), msg("rd.mt.notice")); err != nil {
					return err
				}
				if err := tx.MarkMeeting(m.ID, "notified"); err != nil {
					return err
				}
				if dueReminder {
					if err := tx.MarkMeeting(m.ID, "reminded"); err != nil {
						return err
					}
				}
				continue
			}
			if m.RemindedAt.IsZero() && dueReminder {
				if _, err := send(tx, recips, fmt.Sprintf("meeting:%d:remind", m.ID), msg("rd.mt.remind")); err != nil {
					return err
				}
				if err := tx.MarkMeeting(m.ID, "reminded"); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// rectRemindBefore is how long before a rectification deadline (the plan's, the end of the
// period) its unit is reminded.
const rectRemindBefore = 3 * 24 * time.Hour

// Rectification sends the guidance and templates of each new task or suggestion to its unit,
// reminds the unit three days before the plan is due and before the rectification period
// ends, and escalates the unfinished ones whose plan or period is overdue.
func (s *Scheduler) Rectification(ctx context.Context, now time.Time) error {
	return s.update(ctx, JobRounds, func(tx *store.Tx) error {
		items, err := tx.DueRectItems(now, rectRemindBefore)
		if err != nil {
			return err
		}
		for _, r := range items {
			if r.SentAt.IsZero() {
				recips, err := tx.ChatsOfUnit(r.Unit)
				if err != nil {
					return err
				}
				for _, rc := range recips {
					msgs, err := handlers.RectificationMessages(tx, rc.Lang, &r, s.cfg.Location)
					if err != nil {
						return err
					}
					for i, m := range msgs {
						if _, err := tx.Enqueue(rc.ChatID, m, fmt.Sprintf("rect:%d:sent:%d:%d", r.ID, i, rc.ChatID)); err != nil {
							return fmt.Errorf("enqueue guidance: %w", err)
						}
					}
				}
				if err := tx.MarkRectItem(r.ID, "sent"); err != nil {
					return err
				}
				continue
			}
			planLate := r.Status == "open" && !r.PlanDueAt.After(now)
			periodOver := !r.DueAt.After(now)
			if (planLate || periodOver) && r.EscalatedAt.IsZero() {
				enqueue := func(chatID int64, msg store.OutMessage, key string) error {
					_, err := tx.Enqueue(chatID, msg, key)
					return err
				}
				if err := handlers.EscalateRect(tx, &r, "rd.rc.esc.late", s.cfg.Location, enqueue); err != nil {
					return err
				}
				s.log.Info("rectification escalated", "item", r.ID)
			}
			// A reminder for the next deadline still ahead; when both are near, the plan's
			// goes first and the period's at the next run.
			var stage, key string
			var due time.Time
			switch {
			case periodOver:
				continue
			case r.Status == "open" && !planLate && r.PlanRemindedAt.IsZero() && r.PlanDueAt.Sub(now) <= rectRemindBefore:
				stage, key, due = "plan-reminded", "rd.rc.remind.plan", r.PlanDueAt
			case r.DueRemindedAt.IsZero() && r.DueAt.Sub(now) <= rectRemindBefore:
				stage, key, due = "due-reminded", "rd.rc.remind.due", r.DueAt
			default:
				continue
			}
			recips, err := tx.ChatsOfUnit(r.Unit)
			if err != nil {
				return err
			}
			if _, err := send(tx, recips, fmt.Sprintf("rect:%d:%s", r.ID, stage), func(lang string) store.OutMessage {
				return store.OutMessage{Text: handlers.T(lang, key, r.Title, s.date(due))}
			}); err != nil {
				return err
			}
			if err := tx.MarkRectItem(r.ID, stage); err != nil {
				return err
			}
			s.log.Info("rectification reminded", "item", r.ID, "stage", stage, "recipients", len(recips))
		}
		return nil
	})
}
