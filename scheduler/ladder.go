package scheduler

import (
	"context"
	"fmt"
	"slices"
	"time"

	"xuncha/handlers"
	"xuncha/store"
)

// Escalate climbs the escalation ladder of every open clue whose next step is due: a nudge to
// the handling unit NudgeBefore working days before the deadline, a numbered reminder letter
// (提醒函) at the deadline, and, when that goes unacknowledged, a numbered supervision letter
// (督办函) to the unit and the inspection office SupervisionAfter working days later. Letters
// are recorded in the clue's timeline. A closed or paused clue takes no step; an
// acknowledgement stops the climb. Each step changes the clue's ladder row in the transaction
// that queues its messages, so a step happens once even across a restart, and a clue whose
// deadline passed while the process was down gets the step it is owed, once.
func (s *Scheduler) Escalate(ctx context.Context, now time.Time) error {
	if !s.cal.IsWorkingDay(now) {
		return nil // letters go out on working days; what fell due waits for the next one
	}
	today := s.cal.StartOfDay(now)
	// Deadlines before horizon may be inside the nudge window: the nudge day of a deadline on
	// a non-working day is that of the working day after it at the latest.
	horizon := s.cal.StartOfDay(s.cal.AddWorkingDays(today, s.cfg.Ladder.NudgeBefore+1))
	after := store.LadderCursor{DueAt: time.Unix(-1, 0)}
	steps := 0
	taken := map[int]int{} // steps committed, by ladder level
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		batch, err := s.store.LadderCandidates(ctx, horizon, now, after, 1000)
		if err != nil {
			return err
		}
		if len(batch) == 0 {
			break
		}
		last := batch[len(batch)-1]
		after = store.LadderCursor{DueAt: last.DueAt, ID: last.ID}
		// Several clues per transaction: a commit is an fsync, and the first run over a large
		// ledger may owe thousands of steps.
		for chunk := range slices.Chunk(batch, 100) {
			var levels map[int]int
			err := s.update(ctx, JobLadder, func(tx *store.Tx) error {
				levels = map[int]int{}
				for _, c := range chunk {
					level, err := s.ladderStep(tx, c.ID, now)
					if err != nil {
						return fmt.Errorf("clue %d: %w", c.ID, err)
					}
					if level != store.LadderNone {
						levels[level]++
					}
				}
				return nil
			})
			if err != nil {
				return err
			}
			for level, n := range levels {
				taken[level] += n
				steps += n
			}
		}
	}
	for level, name := range map[int]string{store.LadderNudge: StepNudge, store.LadderReminder: StepReminder, store.LadderSupervision: StepSupervision} {
		if taken[level] > 0 {
			s.cfg.Metrics.LadderSteps(name, taken[level])
		}
	}
	if steps > 0 {
		s.cfg.Wake()
		s.log.Info("escalation steps taken", "steps", steps)
	}
	return nil
}

// ladderStep takes the step clue id owes at now, if any, and returns its ladder level
// (store.LadderNone when no step was taken).
func (s *Scheduler) ladderStep(tx *store.Tx, id int64, now time.Time) (int, error) {
	c, err := tx.LadderClue(id)
	if err != nil {
		return store.LadderNone, err
	}
	if !c.Open {
		return store.LadderNone, nil
	}
	cfg := s.cfg.Ladder
	nudgeAt := s.cal.StartOfDay(s.cal.AddWorkingDays(s.cal.StartOfDay(c.DueAt), -cfg.NudgeBefore))
	switch {
	case c.Level < store.LadderReminder && !now.Before(c.DueAt):
		// Past the deadline: the reminder letter, even if the nudge was never sent (the clue
		// got its deadline late, or the process was down): a nudge now would be stale.
		next := s.cal.StartOfDay(s.cal.AddWorkingDays(now, cfg.SupervisionAfter))
		return store.LadderReminder, s.letter(tx, c, store.LetterReminder, store.LadderReminder, next, now)
	case c.Level < store.LadderNudge && !now.Before(nudgeAt):
		left := s.workingDaysBetween(now, c.DueAt)
		recips, err := s.unitRecipients(tx, c)
		if err != nil {
			return store.LadderNone, err
		}
		key := fmt.Sprintf("ladder:%d:%d:%d", c.ID, c.DueAt.Unix(), store.LadderNudge)
		if _, err := send(tx, recips, key, func(lang string) store.OutMessage {
			return store.OutMessage{Text: T(lang, "ladder.nudge", c.Number, c.Title, s.date(c.DueAt), left)}
		}); err != nil {
			return store.LadderNone, err
		}
		if len(recips) == 0 {
			s.log.Warn("ladder step has no recipient", "clue", c.ID, "level", store.LadderNudge)
		}
		return store.LadderNudge, tx.SetLadder(c.ID, c.DueAt, store.LadderNudge, c.DueAt)
	case c.Level == store.LadderReminder && !c.NextAt.IsZero() && !now.Before(c.NextAt):
		acked, err := tx.LetterAcked(c.ID, c.DueAt, store.LetterReminder)
		if err != nil {
			return store.LadderNone, err
		}
		if acked {
			return store.LadderNone, tx.SetLadder(c.ID, c.DueAt, store.LadderReminder, time.Time{})
		}
		return store.LadderSupervision, s.letter(tx, c, store.LetterSupervision, store.LadderSupervision, time.Time{}, now)
	}
	return store.LadderNone, nil
}

// letter issues a numbered letter, records it on the ladder and queues it with its
// acknowledge button: to the unit (and the keeper) for a reminder letter, and also to the
// inspection office of the clue's township for a supervision letter.
func (s *Scheduler) letter(tx *store.Tx, c *store.LadderClue, kind string, level int, next, now time.Time) error {
	l, err := tx.CreateLetter(c.ID, kind, c.DueAt, now.In(s.cfg.Location).Year())
	if err != nil {
		return err
	}
	recips, err := s.unitRecipients(tx, c)
	if err != nil {
		return err
	}
	textKey := "ladder.reminder"
	if kind == store.LetterSupervision {
		textKey = "ladder.supervision"
		office, err := tx.RecipientsOfRoles(c.TownshipID, store.RoleOfficial, store.RoleAdmin)
		if err != nil {
			return err
		}
		recips = append(recips, office...)
	}
	if len(recips) == 0 {
		s.log.Warn("ladder step has no recipient", "clue", c.ID, "level", level)
	}
	key := fmt.Sprintf("ladder:%d:%d:%d", c.ID, c.DueAt.Unix(), level)
	if _, err := send(tx, recips, key, func(lang string) store.OutMessage {
		return store.OutMessage{
			Text:    T(lang, textKey, l.Number, c.Number, c.Title, s.date(c.DueAt)),
			Buttons: [][]store.Button{{{Text: T(lang, "ladder.ack"), Data: handlers.LetterAckData(l.ID)}}},
		}
	}); err != nil {
		return err
	}
	return tx.SetLadder(c.ID, c.DueAt, level, next)
}

// unitRecipients are the chats of the clue's receiving unit, and of its keeper.
func (s *Scheduler) unitRecipients(tx *store.Tx, c *store.LadderClue) ([]store.Recipient, error) {
	var out []store.Recipient
	if c.Unit != "" {
		u, err := tx.ChatsOfUnit(c.Unit)
		if err != nil {
			return nil, err
		}
		out = append(out, u...)
	}
	if c.KeeperID != 0 {
		k, err := tx.ChatsOfPerson(c.KeeperID)
		if err != nil {
			return nil, err
		}
		out = append(out, k...)
	}
	return out, nil
}

// workingDaysBetween counts the working days after from's date up to and including to's date.
func (s *Scheduler) workingDaysBetween(from, to time.Time) int {
	n := 0
	end := s.cal.StartOfDay(to)
	for d := s.cal.StartOfDay(from).AddDate(0, 0, 1); !d.After(end); d = d.AddDate(0, 0, 1) {
		if s.cal.IsWorkingDay(d) {
			n++
		}
	}
	return n
}
