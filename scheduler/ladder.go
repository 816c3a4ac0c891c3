package scheduler

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
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
		batch, err := s.store.LadderDue(ctx, now, after, ladderReadMax)
		if err != nil {
			return err
		}
		if len(batch) == 0 {
			break
		}
		after = batch[len(batch)-1]
		// The index gives the clues in the order they fell due, which is no order in the file.
		// Taken by id, the steps of a transaction read and write the clues, their ladder rows
		// and the letters' and timeline's indexes in key order: neighbours share pages, which
		// are then read once and written once per commit (SQLite keeps 2 MB of pages, the
		// million-clue ledger is 680 MB).
		slices.SortFunc(batch, func(a, b store.LadderCursor) int { return cmp.Compare(a.ID, b.ID) })
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
				rc := newLadderMemo(s.cal)
				if err := s.ladderSteps(tx, rc, batch[i:min(i+ladderTxMax, len(batch))], now, start, &done, levels); err != nil {
					return err
				}
				// The steps' messages, queued together at the end of the transaction.
				return rc.flush(tx)
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

// ladderSteps steps the clues of todo in one transaction, until the transaction has run for
// its time (see ladderTxBudget); done counts the clues looked at, levels the steps taken.
func (s *Scheduler) ladderSteps(tx *store.Tx, rc *ladderMemo, todo []store.LadderCursor, now, start time.Time, done *int, levels map[int]int) error {
	for len(todo) > 0 {
		// The clues' state is read here, in the transaction that steps them, a few
		// dozen in one statement; a clue that is gone since the scan is left.
		chunk := todo[:min(store.LadderClueBatch, len(todo))]
		todo = todo[len(chunk):]
		ids := make([]int64, len(chunk))
		for k, c := range chunk {
			ids[k] = c.ID
		}
		clues, err := tx.LadderClues(ids)
		if err != nil {
			return err
		}
		for _, id := range ids {
			if len(clues) > 0 && clues[0].ID == id {
				level, err := s.ladderStep(tx, rc, clues[0], now)
				if err != nil {
					return fmt.Errorf("clue %d: %w", id, err)
				}
				if level != store.LadderNone {
					levels[level]++
				}
				clues = clues[1:]
			}
			*done++
			if took := time.Since(start); took >= ladderTxBudget || took >= ladderTxSlice && tx.Contended() {
				return nil
			}
		}
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

// ladderReadMax is how many due clues the pass reads from the index of next steps at a time
// (24 bytes each): a million-clue ledger owed 11,000 on the benchmark's day, so one or two
// reads, and the sort by id above spans the day's work.
const ladderReadMax = 10_000

// ladderConfigKey keeps the thresholds the stored next step times were worked out with.
const ladderConfigKey = "scheduler.ladder_config"

// checkLadderConfig hands every clue with a step to come back to the pass when the
// thresholds changed since the times were worked out (a nudge time depends on NudgeBefore,
// a stage's steps on the ledger file's stages).
func (s *Scheduler) checkLadderConfig(ctx context.Context) error {
	stages, err := json.Marshal(s.cfg.Ledger.Stages)
	if err != nil {
		return fmt.Errorf("ladder config: %w", err)
	}
	want := fmt.Sprintf("nudge_before=%d supervision_after=%d", s.cfg.Ladder.NudgeBefore, s.cfg.Ladder.SupervisionAfter)
	if len(s.cfg.Ledger.Stages) > 0 {
		// The stages' clocks too: a changed ledger file changes every waiting clue's climb.
		sum := sha256.Sum256(stages)
		want += " stages=" + hex.EncodeToString(sum[:8])
	}
	got, err := s.store.ChannelState(ctx, ladderConfigKey)
	if err != nil || got == want {
		return err
	}
	return s.update(ctx, JobLadder, func(tx *store.Tx) error {
		// None recorded: the times were worked out by this configuration, or seeded from the
		// ladder rows by the migration; only a change makes them stale. A record from before the
		// stages (same deadline thresholds, no stages part) is not a change: no stage's time was
		// worked out then, and migration 0032 handed those clues to the pass already.
		upgrade := !strings.Contains(got, " stages=") && strings.HasPrefix(want, got+" stages=")
		if got != "" && !upgrade {
			if err := tx.ResetNextSteps(); err != nil {
				return err
			}
		}
		return tx.SetChannelState(ladderConfigKey, want)
	})
}

// ladderStep takes the step clue c (read in tx) owes at now, if any, and returns its ladder level
// (store.LadderNone when no step was taken). Either way it records when the clue's next step
// is due, always after now, or that none is.
func (s *Scheduler) ladderStep(tx *store.Tx, rc *ladderMemo, c *store.LadderClue, now time.Time) (int, error) {
	if !c.Open {
		return store.LadderNone, tx.SetNextStep(c.ID, time.Time{})
	}
	if c.DueAt.IsZero() {
		return s.stageStep(tx, rc, c, now)
	}
	cfg := s.cfg.Ladder
	nudgeAt := rc.dayAfter(s.cal.StartOfDay(c.DueAt), -cfg.NudgeBefore)
	switch {
	case c.Level < store.LadderReminder && !now.Before(c.DueAt):
		// Past the deadline: the reminder letter, even if the nudge was never sent (the clue
		// got its deadline late, or the process was down): a nudge now would be stale.
		next := rc.dayAfter(now, cfg.SupervisionAfter)
		return store.LadderReminder, s.letter(tx, rc, c, store.LetterReminder, store.LadderReminder, next, now)
	case c.Level < store.LadderNudge && !now.Before(nudgeAt):
		left := rc.daysBetween(now, c.DueAt)
		recips, err := rc.unit(tx, c)
		if err != nil {
			return store.LadderNone, err
		}
		key := fmt.Sprintf("ladder:%d:%d:%d", c.ID, c.DueAt.Unix(), store.LadderNudge)
		if _, err := rc.send(recips, key, func(lang string) store.OutMessage {
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

// stageStep climbs the clock of the stage a clue without a deadline is in: from the day it
// entered the stage (its receipt, for a new clue), a nudge at the stage's first threshold, a
// reminder letter at the second and a supervision letter at the third, counted in working
// days; moving the clue on to the next stage starts the next stage's clock. Signing for a
// letter does not stop this climb: only handling the clue does. As for the deadline, a clue
// past a threshold takes the step it owes at once, one step a pass, the nudge skipped when
// the reminder letter is owed already.
func (s *Scheduler) stageStep(tx *store.Tx, rc *ladderMemo, c *store.LadderClue, now time.Time) (int, error) {
	st, ok := s.cfg.Ledger.StageOf(c.Status, false)
	if !ok {
		return store.LadderNone, tx.SetNextStep(c.ID, time.Time{}) // held: waits for new evidence, on no clock
	}
	th := st.For(c.Disposal)
	start := s.cal.StartOfDay(c.Anchor)
	nudgeAt := rc.dayAfter(start, th.Nudge)
	reminderAt := rc.dayAfter(start, th.Reminder)
	switch {
	case c.Level < store.LadderReminder && !now.Before(reminderAt):
		next := rc.dayAfter(now, th.Supervision-th.Reminder)
		return store.LadderReminder, s.stageLetter(tx, rc, c, st, store.LetterReminder, store.LadderReminder, next, now)
	case c.Level < store.LadderNudge && !now.Before(nudgeAt):
		recips, err := s.stageRecipients(tx, rc, c, false)
		if err != nil {
			return store.LadderNone, err
		}
		days := rc.daysBetween(c.Anchor, now)
		key := fmt.Sprintf("stage:%d:%s:%d:%d", c.ID, c.Stage, c.Anchor.Unix(), store.LadderNudge)
		if _, err := rc.send(recips, key, func(lang string) store.OutMessage {
			return store.OutMessage{
				Text:    i18n.T(lang, "ladder.stage.nudge", c.Number, c.Title, st.Name(lang), s.date(c.Anchor), days),
				Buttons: [][]store.Button{{{Text: i18n.T(lang, "ladder.open"), Data: handlers.NewAction(handlers.VerbLedger, "o", c.ID).Data()}}},
			}
		}); err != nil {
			return store.LadderNone, err
		}
		if len(recips) == 0 {
			s.log.Warn("ladder step has no recipient", "clue", c.ID, "level", store.LadderNudge)
		}
		return store.LadderNudge, tx.SetStageLadder(c.ID, c.Stage, c.Anchor, store.LadderNudge, reminderAt)
	case c.Level == store.LadderReminder && !c.NextAt.IsZero() && !now.Before(c.NextAt):
		return store.LadderSupervision, s.stageLetter(tx, rc, c, st, store.LetterSupervision, store.LadderSupervision, time.Time{}, now)
	}
	next := c.NextAt
	switch c.Level {
	case store.LadderNone:
		next = nudgeAt
	case store.LadderNudge:
		next = reminderAt
	}
	return store.LadderNone, tx.SetNextStep(c.ID, next)
}

// stageLetter issues a numbered letter about a clue that stood still in a stage, recorded on
// the stage's clock: to whoever handles the clue for a reminder letter, and to the inspection
// office of its township as well for a supervision letter.
func (s *Scheduler) stageLetter(tx *store.Tx, rc *ladderMemo, c *store.LadderClue, st handlers.Stage, kind string, level int, next, now time.Time) error {
	l, err := tx.CreateStageLetter(c.ID, kind, c.Stage, c.Anchor, now.In(s.cfg.Location).Year())
	if err != nil {
		return err
	}
	recips, err := s.stageRecipients(tx, rc, c, kind == store.LetterSupervision)
	if err != nil {
		return err
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
	textKey := map[string]string{store.LetterReminder: "ladder.stage.reminder", store.LetterSupervision: "ladder.stage.supervision"}[kind]
	days := rc.daysBetween(c.Anchor, now)
	key := fmt.Sprintf("stage:%d:%s:%d:%d", c.ID, c.Stage, c.Anchor.Unix(), level)
	if _, err := rc.send(recips, key, func(lang string) store.OutMessage {
		return store.OutMessage{
			Text: i18n.T(lang, textKey, l.Number, c.Number, c.Title, st.Name(lang), s.date(c.Anchor), days),
			Buttons: [][]store.Button{{
				{Text: i18n.T(lang, "ladder.ack"), Data: handlers.LetterAckData(l.ID)},
				{Text: i18n.T(lang, "ladder.open"), Data: handlers.NewAction(handlers.VerbLedger, "o", c.ID).Data()},
			}},
			File: file,
		}
	}); err != nil {
		return err
	}
	return tx.SetStageLadder(c.ID, c.Stage, c.Anchor, level, next)
}

// stageRecipients are those who handle a clue in its stage: its unit and keeper, or, when it
// has neither, the inspection office of its township; the office as well when office is set
// (a supervision letter goes over the handler's head).
func (s *Scheduler) stageRecipients(tx *store.Tx, rc *ladderMemo, c *store.LadderClue, office bool) ([]store.Recipient, error) {
	out, err := rc.unit(tx, c)
	if err != nil {
		return nil, err
	}
	if len(out) == 0 || office {
		o, err := rc.office(tx, c.TownshipID)
		if err != nil {
			return nil, err
		}
		out = append(append([]store.Recipient(nil), out...), o...)
	}
	return out, nil
}

// letter issues a numbered letter, records it on the ladder and queues it with its
// acknowledge button: to the unit (and the keeper) for a reminder letter, and also to the
// inspection office of the clue's township for a supervision letter.
func (s *Scheduler) letter(tx *store.Tx, rc *ladderMemo, c *store.LadderClue, kind string, level int, next, now time.Time) error {
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
	if _, err := rc.send(recips, key, func(lang string) store.OutMessage {
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

// ladderMemo remembers, for one transaction of the pass, what many clues share and nothing in
// the pass changes: who receives the letters of a unit, a keeper and a township's inspection
// office (asking again for each clue was a fifth of the pass's time at 1,000,000 clues), and
// the working days counted from a date (the calendar walks them one day at a time, up to a
// year back for a clue untouched since it arrived).
type ladderMemo struct {
	units   map[string][]store.Recipient
	keepers map[int64][]store.Recipient
	offices map[int64][]store.Recipient
	cal     *Calendar
	added   map[addedKey]time.Time
	between map[[2]int64]int
	queued  []store.Queued // the messages of the transaction's steps, for flush
}

type addedKey struct {
	from int64 // unix seconds
	n    int
}

// send is the scheduler's send for a step of the pass: the messages wait in the memo and are
// queued together by flush at the end of the transaction (store.Tx.EnqueueAll: one statement
// for hundreds of messages instead of one per step).
func (rc *ladderMemo) send(recips []store.Recipient, key string, msg func(lang string) store.OutMessage) (int, error) {
	q := messages(recips, key, msg)
	rc.queued = append(rc.queued, q...)
	return len(q), nil
}

// flush queues the messages of the transaction's steps.
func (rc *ladderMemo) flush(tx *store.Tx) error {
	if _, err := tx.EnqueueAll(rc.queued); err != nil {
		return fmt.Errorf("enqueue the ladder's messages: %w", err)
	}
	rc.queued = nil
	return nil
}

func newLadderMemo(cal *Calendar) *ladderMemo {
	return &ladderMemo{units: map[string][]store.Recipient{}, keepers: map[int64][]store.Recipient{}, offices: map[int64][]store.Recipient{},
		cal: cal, added: map[addedKey]time.Time{}, between: map[[2]int64]int{}}
}

// dayAfter is the start of the day n working days after t's date (Calendar.AddWorkingDays).
func (rc *ladderMemo) dayAfter(t time.Time, n int) time.Time {
	k := addedKey{t.Unix(), n}
	d, ok := rc.added[k]
	if !ok {
		d = rc.cal.StartOfDay(rc.cal.AddWorkingDays(t, n))
		rc.added[k] = d
	}
	return d
}

// daysBetween is Scheduler.workingDaysBetween.
func (rc *ladderMemo) daysBetween(from, to time.Time) int {
	k := [2]int64{rc.cal.StartOfDay(from).Unix(), rc.cal.StartOfDay(to).Unix()}
	n, ok := rc.between[k]
	if !ok {
		n = workingDaysBetween(rc.cal, from, to)
		rc.between[k] = n
	}
	return n
}

// unit returns the chats of the clue's receiving unit, and of its keeper, in a new slice.
func (rc *ladderMemo) unit(tx *store.Tx, c *store.LadderClue) ([]store.Recipient, error) {
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
func (rc *ladderMemo) office(tx *store.Tx, township int64) ([]store.Recipient, error) {
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
	return workingDaysBetween(s.cal, from, to)
}

func workingDaysBetween(cal *Calendar, from, to time.Time) int {
	n := 0
	end := cal.StartOfDay(to)
	for d := cal.StartOfDay(from).AddDate(0, 0, 1); !d.After(end); d = d.AddDate(0, 0, 1) {
		if cal.IsWorkingDay(d) {
			n++
		}
	}
	return n
}
