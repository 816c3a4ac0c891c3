package store

import (
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// The five steps of village classification (村级分类), in order. ClassApproved is the state
// after the last one.
const (
	ClassPropose  = 1 // the township proposes (liaison)
	ClassResearch = 2 // the inspection office researches on site (official)
	ClassOpinions = 3 // the departments give opinions (unit)
	ClassAdjust   = 4 // the leading group adjusts (an admin of BodyLeadingGroup)
	ClassApprove  = 5 // the city committee approves (an admin of BodyCommittee)
	ClassApproved = 6
)

// ClassCycle is one township's classification going through the five steps.
type ClassCycle struct {
	ID         int64
	TownshipID int64
	Step       int
	DueAt      time.Time
	NudgedStep int
	StartedAt  time.Time
	ApprovedAt time.Time
}

// ClassEntry is one line of the classification history.
type ClassEntry struct {
	ID        int64
	CycleID   int64
	VillageID int64
	Village   string
	Step      int
	Class     string
	Note      string
	PersonID  int64
	At        time.Time
}

// ErrCycleOpen: a township already has a classification under way.
var ErrCycleOpen = errors.New("a classification is already under way for this township")

const cycleColumns = `id, township_id, step, due_at, nudged_step, started_at, approved_at`

func scanCycle(sc scanner) (*ClassCycle, error) {
	c := &ClassCycle{}
	var due, started int64
	var approved sql.NullInt64
	if err := sc.Scan(&c.ID, &c.TownshipID, &c.Step, &due, &c.NudgedStep, &started, &approved); err != nil {
		return nil, err
	}
	c.DueAt, c.StartedAt, c.ApprovedAt = time.Unix(due, 0).UTC(), time.Unix(started, 0).UTC(), unixOrZero(approved)
	return c, nil
}

// StartClassCycle opens a classification for a township, its first step due at due.
func (tx *Tx) StartClassCycle(townshipID int64, due time.Time) (*ClassCycle, error) {
	if _, err := tx.OpenClassCycle(townshipID); err == nil {
		return nil, ErrCycleOpen
	} else if !errors.Is(err, ErrNotFound) {
		return nil, err
	}
	res, err := tx.exec(`INSERT INTO class_cycles (township_id, step, due_at, started_at) VALUES (?, 1, ?, ?)`,
		townshipID, due.Unix(), tx.now.Unix())
	if err != nil {
		return nil, fmt.Errorf("start cycle: %w", err)
	}
	id, _ := res.LastInsertId()
	return tx.FindClassCycle(id)
}

// FindClassCycle returns a cycle by id.
func (tx *Tx) FindClassCycle(id int64) (*ClassCycle, error) {
	c, err := scanCycle(tx.queryRow(`SELECT `+cycleColumns+` FROM class_cycles WHERE id = ?`, id))
	if err != nil {
		return nil, rowErr("find cycle", err)
	}
	return c, nil
}

// OpenClassCycle returns the township's classification under way.
func (tx *Tx) OpenClassCycle(townshipID int64) (*ClassCycle, error) {
	c, err := scanCycle(tx.queryRow(`SELECT `+cycleColumns+` FROM class_cycles WHERE township_id = ? AND approved_at IS NULL`, townshipID))
	if err != nil {
		return nil, rowErr("open cycle", err)
	}
	return c, nil
}

// ClassCycles lists the cycles under way, or all when all is set.
func (tx *Tx) ClassCycles(all bool) ([]ClassCycle, error) {
	where := `approved_at IS NULL`
	if all {
		where = `1`
	}
	rows, err := tx.query(`SELECT ` + cycleColumns + ` FROM class_cycles WHERE ` + where + ` ORDER BY id`)
	return records("cycles", rows, err, value(scanCycle))
}

// RecordClass appends a class for a village at the cycle's current step.
func (tx *Tx) RecordClass(c *ClassCycle, villageID int64, class, note string, personID int64) error {
	if class != "key" && class != "general" {
		return fmt.Errorf("record class: class must be key or general, got %q", class)
	}
	if c.Step >= ClassApproved {
		return errors.New("record class: the classification is already approved")
	}
	v, err := tx.FindVillage(villageID)
	if err != nil {
		return err
	}
	if v.TownshipID != c.TownshipID {
		return fmt.Errorf("record class: village %d is not in the cycle's township", villageID)
	}
	if _, err := tx.exec(`INSERT INTO class_history (cycle_id, village_id, step, class, note, person_id, at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		c.ID, villageID, c.Step, class, note, nullInt(personID), tx.now.Unix()); err != nil {
		return fmt.Errorf("record class: %w", err)
	}
	return nil
}

// ClassHistory returns a cycle's history, oldest first.
func (tx *Tx) ClassHistory(cycleID int64) ([]ClassEntry, error) {
	rows, err := tx.query(`SELECT h.id, h.cycle_id, h.village_id, v.name, h.step, h.class, h.note, IFNULL(h.person_id, 0), h.at
		FROM class_history h JOIN villages v ON v.id = h.village_id WHERE h.cycle_id = ? ORDER BY h.id`, cycleID)
	return collect("class history", rows, err, func(rows *sql.Rows, e *ClassEntry) error {
		return rows.Scan(&e.ID, &e.CycleID, &e.VillageID, &e.Village, &e.Step, &e.Class, &e.Note, &e.PersonID, unix(&e.At))
	})
}

// AdvanceClassCycle closes the current step and opens the next, due at nextDue. Closing the
// fifth step (approval) writes each village's latest class in the cycle to villages.class:
// that is the class rounds use.
func (tx *Tx) AdvanceClassCycle(c *ClassCycle, nextDue time.Time) error {
	if c.Step == ClassPropose {
		var n int
		if err := tx.queryRow(`SELECT COUNT(*) FROM class_history WHERE cycle_id = ?`, c.ID).Scan(&n); err != nil {
			return fmt.Errorf("advance cycle: %w", err)
		}
		if n == 0 {
			return ErrNothingProposed
		}
	}
	c.Step++
	if c.Step == ClassApproved {
		if _, err := tx.exec(`UPDATE villages SET class = (SELECT h.class FROM class_history h
			WHERE h.cycle_id = ? AND h.village_id = villages.id ORDER BY h.id DESC LIMIT 1)
			WHERE id IN (SELECT village_id FROM class_history WHERE cycle_id = ?)`, c.ID, c.ID); err != nil {
			return fmt.Errorf("apply classes: %w", err)
		}
		c.ApprovedAt = tx.now
		_, err := tx.exec(`UPDATE class_cycles SET step = ?, approved_at = ? WHERE id = ?`, c.Step, tx.now.Unix(), c.ID)
		if err != nil {
			return fmt.Errorf("approve cycle: %w", err)
		}
		return nil
	}
	c.DueAt = nextDue
	if _, err := tx.exec(`UPDATE class_cycles SET step = ?, due_at = ? WHERE id = ?`, c.Step, nextDue.Unix(), c.ID); err != nil {
		return fmt.Errorf("advance cycle: %w", err)
	}
	return nil
}

// ErrSameCloser: the person closed another step of the same cycle; one person may not, so
// that the leading group's adjustment and the committee's approval are two people's.
var ErrSameCloser = errors.New("the same person closed another step of this classification")

// CloseClassStep closes the cycle's current step on behalf of a person (0: the command line's
// operator, who may close any) and records who did; see AdvanceClassCycle.
func (tx *Tx) CloseClassStep(c *ClassCycle, nextDue time.Time, personID int64) error {
	if personID != 0 {
		var n int
		if err := tx.queryRow(`SELECT COUNT(*) FROM class_step_closers WHERE person_id = ? AND cycle_id = ?`, personID, c.ID).Scan(&n); err != nil {
			return fmt.Errorf("close step: %w", err)
		}
		if n > 0 {
			return ErrSameCloser
		}
	}
	step := c.Step
	if err := tx.AdvanceClassCycle(c, nextDue); err != nil {
		return err
	}
	if _, err := tx.exec(`INSERT INTO class_step_closers (cycle_id, step, person_id, at) VALUES (?, ?, ?, ?)`,
		c.ID, step, nullInt(personID), tx.now.Unix()); err != nil {
		return fmt.Errorf("record step closer: %w", err)
	}
	return nil
}

// PeopleOfBody lists the administrators sitting for a body whose roles hold.
func (tx *Tx) PeopleOfBody(body string) ([]int64, error) {
	return column[int64](tx, "people of body", `SELECT id FROM people WHERE role = 'admin' AND body = ? AND withdrawn_at IS NULL ORDER BY id`, body)
}

// ErrNothingProposed: the township tried to close its step without proposing any class.
var ErrNothingProposed = errors.New("no class proposed")

// OverdueClassCycles lists the cycles whose current step is past its deadline and not yet
// nudged.
func (tx *Tx) OverdueClassCycles(now time.Time) ([]ClassCycle, error) {
	rows, err := tx.query(`SELECT `+cycleColumns+` FROM class_cycles WHERE approved_at IS NULL AND due_at <= ?
		AND nudged_step < step ORDER BY id`, now.Unix())
	return records("overdue cycles", rows, err, value(scanCycle))
}

// MarkClassNudged records that the cycle's step was nudged.
func (tx *Tx) MarkClassNudged(id int64, step int) error {
	if _, err := tx.exec(`UPDATE class_cycles SET nudged_step = ? WHERE id = ?`, step, id); err != nil {
		return fmt.Errorf("mark nudged: %w", err)
	}
	return nil
}
