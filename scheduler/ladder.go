package scheduler

import (
	"context"
	"fmt"
	"time"

	"xuncha/handlers"
	"xuncha/i18n"
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
//
// The pass reads only the clues whose next step time (store.LadderDue) has come, so its cost
// grows with the day's work, not with the ledger; each look at a clue sets that time anew.
func (s *Scheduler) Escalate(ctx context.Context, now time.Time) error {
	if !s.cal.IsWorkingDay(now) {
		return nil // letters go out on working days; what fell due waits for the next one
	}
	if err := s.checkLadderConfig(ctx); err != nil {
		return err
	}
	after := store.LadderCursor{At: time.Unix(-1, 0)}
	steps := 0
	taken := map[int]int{} // steps committed, by ladder level
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		batch, err := s.store.LadderDue(ctx, now, after, 1000)
		if err != nil {
			return err
		}
		if len(batch) == 0 {
			break
		}
		after = batch[len(batch)-1]
		for i := 0; i < len(batch); {
			// Every commit waits for an fsync, so clues share a transaction while nothing else
			// wants to write; a resident's step that comes meanwhile waits about
			// ladderTxSlice, not the whole transaction: it ends once it has run that long and
			// another write waits for it (tx.Contended), and after ladderTxBudget in any case.
			var done int
			var levels map[int]int
			err := s.update(ctx, JobLadder, func(tx *store.Tx) error {
				done, levels = 0, map[int]int{}
				start := time.Now()
				rc := newLadderRecipients()
				for _, c := range batch[i:min(i+ladderTxMax, len(batch))] {
					level, err := s.ladderStep(tx, rc, c.ID, now)
					if err != nil {
						return fmt.Errorf("clue %d: %w", c.ID, err)
					}
					if level != store.LadderNone {
						levels[level]++
					}
					done++
					if took := time.Since(start); took >= ladderTxBudget || took >= ladderTxSlice && tx.Contended() {
						break
					}
				}
				return nil
			})
			if err != nil {
				return err
			}
			i += done
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

// ladderTxBudget and ladderTxMax bound one transaction of the escalation pass when nothing
// else waits to write: its time, and the clues it takes. When a write waits, the transaction
// ends after ladderTxSlice: the pass still moves while residents write (a clue a transaction
// made it four times slower beside ten of them), and they wait about that long behind it.
const (
	ladderTxBudget = 50 * time.Millisecond
	ladderTxSlice  = time.Millisecond
	ladderTxMax    = 1000
)

// ladderConfigKey keeps the thresholds the stored next step times were worked out with.
const ladderConfigKey = "scheduler.ladder_config"

// checkLadderConfig hands every clue with a step to come back to the pass when the
// thresholds changed since the times were worked out (a nudge time depends on NudgeBefore).
func (s *Scheduler) checkLadderConfig(ctx context.Context) error {
	want := fmt.Sprintf("nudge_before=%d supervision_after=%d", s.cfg.Ladder.NudgeBefore, s.cfg.Ladder.SupervisionAfter)
	got, err := s.store.ChannelState(ctx, ladderConfigKey)
	if err != nil || got == want {
		return err
	}
	return s.update(ctx, JobLadder, func(tx *store.Tx) error {
		// None recorded: the times were worked out by this configuration, or seeded from the
		// ladder rows by the migration; only a change makes them stale.
		if got != "" {
			if err := tx.ResetNextSteps(); err != nil {
				return err
			}
		}
		return tx.SetChannelState(ladderConfigKey, want)
	})
}

// ladderStep takes the step clue id owes at now, if any, and returns its ladder level
// (store.LadderNone when no step was taken). Either way it records when the clue's next step
// is due, always after now, or that none is.
func (s *Scheduler) ladderStep(tx *store.Tx, rc *ladderRecipients, id int64, now time.Time) (int, error) {
	c, err := tx.LadderClue(id)
	if err != nil {
		return store.LadderNone, err
	}
	if !c.Open {
		return store.LadderNone, tx.SetNextStep(c.ID, time.Time{})
	}
	cfg := s.cfg.Ladder
	nudgeAt := s.cal.StartOfDay(s.cal.AddWorkingDays(s.cal.StartOfDay(c.DueAt), -cfg.NudgeBefore))
	switch {
	case c.Level < store.LadderReminder && !now.Before(c.DueAt):
		// Past the deadline: the reminder letter, even if the nudge was never sent (the clue
		// got its deadline late, or the process was down): a nudge now would be stale.
		next := s.cal.StartOfDay(s.cal.AddWorkingDays(now, cfg.SupervisionAfter))
		return store.LadderReminder, s.letter(tx, rc, c, store.LetterReminder, store.LadderReminder, next, now)
	case c.Level < store.LadderNudge && !now.Before(nudgeAt):
		left := s.workingDaysBetween(now, c.DueAt)
		recips, err := rc.unit(tx, c)
		if err != nil {
			return store.LadderNone, err
		}
		key := fmt.Sprintf("ladder:%d:%d:%d", c.ID, c.DueAt.Unix(), store.LadderNudge)
		if _, err := send(tx, recips, key, func(lang string) store.OutMessage {
			return store.OutMessage{Text: i18n.T(lang, "ladder.nudge", c.Number, c.Title, s.date(c.DueAt), left)}
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
		return store.LadderSupervision, s.letter(tx, rc, c, store.LetterSupervision, store.LadderSupervision, time.Time{}, now)
	}
	// No step due yet: the next one is the nudge, the reminder at the deadline, or the
	// supervision letter (c.NextAt); none once the climb ended.
	next := c.NextAt
	switch c.Level {
	case store.LadderNone:
		next = nudgeAt
	case store.LadderNudge:
		next = c.DueAt
	}
	return store.LadderNone, tx.SetNextStep(c.ID, next)
}

// letter issues a numbered letter, records it on the ladder and queues it with its
// acknowledge button: to the unit (and the keeper) for a reminder letter, and also to the
// inspection office of the clue's township for a supervision letter.
func (s *Scheduler) letter(tx *store.Tx, rc *ladderRecipients, c *store.LadderClue, kind string, level int, next, now time.Time) error {
	l, err := tx.CreateLetter(c.ID, kind, c.DueAt, now.In(s.cfg.Location).Year())
	if err != nil {
		return err
	}
	recips, err := rc.unit(tx, c)
	if err != nil {
		return err
	}
	textKey := "ladder.reminder"
	if kind == store.LetterSupervision {
		textKey = "ladder.supervision"
		office, err := rc.office(tx, c.TownshipID)
		if err != nil {
			return err
		}
		recips = append(recips, office...)
	}
	if len(recips) == 0 {
		s.log.Warn("ladder step has no recipient", "clue", c.ID, "level", level)
	}
	// The letter as the document an office files and prints goes with its text.
	var file *store.Attachment
	if s.cfg.Letters != nil {
		if file, err = s.cfg.Letters.PutLetterFile(tx, l.ID); err != nil {
			return err
		}
	}
	key := fmt.Sprintf("ladder:%d:%d:%d", c.ID, c.DueAt.Unix(), level)
	if _, err := send(tx, recips, key, func(lang string) store.OutMessage {
		return store.OutMessage{
			Text:    i18n.T(lang, textKey, l.Number, c.Number, c.Title, s.date(c.DueAt)),
			Buttons: [][]store.Button{{{Text: i18n.T(lang, "ladder.ack"), Data: handlers.LetterAckData(l.ID)}}},
			File:    file,
		}
	}); err != nil {
		return err
	}
	return tx.SetLadder(c.ID, c.DueAt, level, next)
}

// ladderRecipients remembers, for one transaction of the pass, who receives the letters of a
// unit, a keeper and a township's inspection office: many clues share them, nothing in the pass
// changes them, and asking again for each clue was a fifth of the pass's time at 1,000,000
// clues.
type ladderRecipients struct {
	units   map[string][]store.Recipient
	keepers map[int64][]store.Recipient
	offices map[int64][]store.Recipient
}

func newLadderRecipients() *ladderRecipients {
	return &ladderRecipients{units: map[string][]store.Recipient{}, keepers: map[int64][]store.Recipient{}, offices: map[int64][]store.Recipient{}}
}

// unit returns the chats of the clue's receiving unit, and of its keeper, in a new slice.
func (rc *ladderRecipients) unit(tx *store.Tx, c *store.LadderClue) ([]store.Recipient, error) {
	var out []store.Recipient
	if c.Unit != "" {
		u, ok := rc.units[c.Unit]
		if !ok {
			var err error
			if u, err = tx.ChatsOfUnit(c.Unit); err != nil {
				return nil, err
			}
			rc.units[c.Unit] = u
		}
		out = append(out, u...)
	}
	if c.KeeperID != 0 {
		k, ok := rc.keepers[c.KeeperID]
		if !ok {
			var err error
			if k, err = tx.ChatsOfPerson(c.KeeperID); err != nil {
				return nil, err
			}
			rc.keepers[c.KeeperID] = k
		}
		out = append(out, k...)
	}
	return out, nil
}

// office returns the chats of a township's officials and the administrators.
func (rc *ladderRecipients) office(tx *store.Tx, township int64) ([]store.Recipient, error) {
	if o, ok := rc.offices[township]; ok {
		return o, nil
	}
	o, err := tx.RecipientsOfRoles(township, store.RoleOfficial, store.RoleAdmin)
	if err != nil {
		return nil, err
	}
	rc.offices[township] = o
	return o, nil
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
