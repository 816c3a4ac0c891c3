package scheduler

import (
	"context"
	"fmt"
	"time"

	"xuncha/i18n"
	"xuncha/store"
)

// Officers' tasks on a clock: an open task with a due date is brought to its officers and
// liaisons TaskWarn working days before it is due and again when it is overdue; still open
// TaskLiaisonAfter working days after the due date, it goes up to the township's liaisons, and
// TaskOfficialAfter working days after it, to the official who gave it (else the township's
// officials and the administrators). The first "done" confirmation stops the clock (a trigger
// of migration 0033). The pass reads the index of next looks (tasks.next_at) up to now; after a
// time down it takes only the latest step due, once.

// taskBatch is how many tasks one transaction handles.
const taskBatch = 200

// Task clock stages: the step taken last.
const (
	taskStageWarned   = 1
	taskStageLate     = 2
	taskStageLiaison  = 3
	taskStageOfficial = 4
)

// TaskDeadlines runs the tasks' clock at now. Messages wait for a working day.
func (s *Scheduler) TaskDeadlines(ctx context.Context, now time.Time) error {
	return drainDue(ctx, s, JobTasks, now, taskBatch, (*store.Tx).TasksDue,
		func(tx *store.Tx, t store.TaskClock) (int, error) {
			k, err := s.taskStep(tx, &t, now)
			if err != nil {
				return 0, fmt.Errorf("task %d: %w", t.ID, err)
			}
			return k, nil
		}, "task clock messages queued")
}

// taskStep takes one task's step at now and returns the messages it queued.
func (s *Scheduler) taskStep(tx *store.Tx, t *store.TaskClock, now time.Time) (int, error) {
	if t.DueAt.IsZero() || t.Status != "open" {
		return 0, tx.SetTaskNext(t.ID, t.Stage, time.Time{})
	}
	// When each stage falls due, in order; a step falls on the start of a day, except the
	// overdue notice, which follows the due time itself.
	at := []time.Time{
		taskStageWarned:   s.cal.StartOfDay(s.cal.AddWorkingDays(t.DueAt, -s.cfg.TaskWarn)),
		taskStageLate:     t.DueAt,
		taskStageLiaison:  s.cal.StartOfDay(s.cal.AddWorkingDays(t.DueAt, s.cfg.TaskLiaisonAfter)),
		taskStageOfficial: s.cal.StartOfDay(s.cal.AddWorkingDays(t.DueAt, s.cfg.TaskOfficialAfter)),
	}
	// The latest stage due now and not taken yet.
	stage := 0
	for st := taskStageWarned; st <= taskStageOfficial; st++ {
		if st > t.Stage && !now.Before(at[st]) {
			stage = st
		}
	}
	next := func(from int) time.Time {
		if from >= taskStageOfficial {
			return time.Time{}
		}
		return at[from+1]
	}
	if stage == 0 {
		return 0, tx.SetTaskNext(t.ID, t.Stage, next(t.Stage))
	}
	if !s.cal.IsWorkingDay(now) {
		return 0, tx.SetTaskNext(t.ID, t.Stage, s.cal.NextWorkingDay(now))
	}
	var recips []store.Recipient
	var err error
	var textKey string
	switch stage {
	case taskStageWarned, taskStageLate:
		recips, err = tx.TaskRecipients(&t.Task, store.RoleOfficer, store.RoleLiaison)
		textKey = "task.clock.warn"
		if stage == taskStageLate {
			textKey = "task.clock.late"
		}
	case taskStageLiaison:
		recips, err = tx.TaskRecipients(&t.Task, store.RoleLiaison)
		textKey = "task.clock.liaison"
	case taskStageOfficial:
		// The official who gave it, or the office when nobody did or they can no longer be
		// reached (their role withdrawn): the step is claimed once, for whoever gets it.
		if t.GivenBy != 0 {
			recips, err = tx.ChatsOfPerson(t.GivenBy)
		}
		if err == nil && len(recips) == 0 {
			recips, err = tx.RecipientsOfRoles(t.TownshipID, store.RoleOfficial, store.RoleAdmin)
		}
		textKey = "task.clock.official"
	}
	if err != nil {
		return 0, err
	}
	place, err := s.taskPlace(tx, &t.Task)
	if err != nil {
		return 0, err
	}
	left := s.workingDaysBetween(now, t.DueAt)
	late := s.workingDaysBetween(t.DueAt, now)
	n, err := s.claimAndSend(tx, fmt.Sprintf("task:%d:clock:%d", t.ID, stage), recips, func(lang string) store.OutMessage {
		switch stage {
		case taskStageWarned:
			return store.OutMessage{Text: i18n.T(lang, textKey, t.Title, place, s.dateTime(t.DueAt), left)}
		case taskStageLate:
			return store.OutMessage{Text: i18n.T(lang, textKey, t.Title, place, s.dateTime(t.DueAt))}
		}
		return store.OutMessage{Text: i18n.T(lang, textKey, t.Title, place, s.dateTime(t.DueAt), late)}
	})
	if err != nil {
		return 0, err
	}
	return n, tx.SetTaskNext(t.ID, stage, next(stage))
}

// taskPlace names a task's village, or its township for a township-wide task.
func (s *Scheduler) taskPlace(tx *store.Tx, t *store.Task) (string, error) {
	if t.VillageID != 0 {
		v, err := tx.FindVillage(t.VillageID)
		if err != nil {
			return "", err
		}
		return v.Name, nil
	}
	tw, err := tx.FindTownship(t.TownshipID)
	if err != nil {
		return "", err
	}
	return tw.Name, nil
}
