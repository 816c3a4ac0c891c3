package handlers

import (
	"fmt"
	"strings"
	"time"

	"xuncha/store"
)

// Giving officers a task in chat (issue 17): /task PLACE TITLE DUE, by an official or an
// administrator (the rule book's task.give). PLACE is a village (TOWNSHIP/VILLAGE to be exact)
// or a township for the whole township; an official of a township gives tasks only there. The
// task is on the clock from now (scheduler.TaskDeadlines): its officers are reminded before and
// after the due date, and an open task climbs to the liaison and then back to the giver.

// giveTask handles /task.
func (t *turn) giveTask(arg string) error {
	t.reset()
	if !t.can(PermGiveTask) {
		if err := t.auditRefusal("task.refused", "task", ""); err != nil {
			return err
		}
		t.say(t.tr("task.give.denied"))
		return nil
	}
	fields := strings.Fields(arg)
	if len(fields) < 3 {
		t.say(t.tr("task.give.usage"))
		return nil
	}
	place, date := fields[0], fields[len(fields)-1]
	title := truncate(strings.Join(fields[1:len(fields)-1], " "), 200)
	day, err := time.ParseInLocation("2006-01-02", date, t.e.cfg.Location)
	if err != nil {
		t.say(t.tr("task.give.baddate", date))
		return nil
	}
	// The end of the due day, as the command line gives it.
	due := day.Add(24*time.Hour - time.Second)
	if due.Before(t.tx.Now()) {
		t.say(t.tr("task.give.past", date, t.formatDay(t.tx.Now())))
		return nil
	}
	tk := &store.Task{Title: title, DueAt: due, GivenBy: t.person.ID}
	name, err := t.taskPlace(place, tk)
	if err != nil {
		return err
	}
	if name == "" {
		t.say(t.tr("task.give.noplace", place))
		return nil
	}
	n, err := t.e.createTask(t.tx, tk, t.tell)
	if err != nil {
		return err
	}
	if err := t.audit("task.give", fmt.Sprintf("task:%d", tk.ID), fmt.Sprintf("township=%d village=%d due=%s", tk.TownshipID, tk.VillageID, date)); err != nil {
		return err
	}
	t.say(t.tr("task.give.ok", tk.ID, title, name, date, n))
	return nil
}

// taskPlace fills in the task's township and village from a place's name, within the
// sender's township when they have one; it returns the place's name, "" when none matches.
func (t *turn) taskPlace(place string, tk *store.Task) (string, error) {
	v, err := t.villageByName(place)
	if err != nil {
		return "", err
	}
	own := t.person.TownshipID
	if v != nil {
		if own != 0 && v.TownshipID != own {
			return "", nil
		}
		tk.TownshipID, tk.VillageID = v.TownshipID, v.ID
		return v.Name, nil
	}
	tws, err := t.tx.Townships()
	if err != nil {
		return "", err
	}
	for _, tw := range tws {
		if tw.Name == place && (own == 0 || tw.ID == own) {
			tk.TownshipID = tw.ID
			return tw.Name, nil
		}
	}
	return "", nil
}
