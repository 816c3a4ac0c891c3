package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Task is work given to the information officers of a village (or of a whole township when
// VillageID is 0) and to the township's liaison.
type Task struct {
	ID         int64
	TownshipID int64
	VillageID  int64
	Title      string
	Body       string
	DueAt      time.Time
	Status     string
	CreatedAt  time.Time
	// LastKind is the newest confirmation by the person who listed the task, "" when none.
	LastKind string
	// GivenBy is the official who gave the task in chat, 0 when it came from the command line.
	GivenBy int64
}

// Task confirmation kinds.
const (
	TaskReceived = "received"
	TaskDone     = "done"
	TaskHelp     = "help"
)

// CreateTask stores a task and returns the chats of the officers and liaisons it concerns, so
// the caller can notify them in the same transaction.
func (tx *Tx) CreateTask(t *Task) ([]int64, error) {
	t.CreatedAt, t.Status = tx.now, "open"
	// A task with a due date is on the clock from now: the scheduler's next pass works out
	// when to nudge (TasksDue).
	var next any
	if !t.DueAt.IsZero() {
		next = tx.now.Unix()
	}
	res, err := tx.exec(`INSERT INTO tasks (township_id, village_id, title, body, due_at, created_at, next_at, given_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		t.TownshipID, nullInt(t.VillageID), t.Title, t.Body, nullTime(t.DueAt), tx.now.Unix(), next, nullInt(t.GivenBy))
	if err != nil {
		return nil, fmt.Errorf("insert task: %w", err)
	}
	t.ID, _ = res.LastInsertId()
	return column[int64](tx, "task recipients", `SELECT c.id FROM chats c JOIN people p ON p.id = c.person_id
		WHERE p.role IN ('officer', 'liaison') AND p.township_id = ?
		AND (? = 0 OR p.village_id IS NULL OR p.village_id = ?) AND c.unreachable = 0 ORDER BY c.id`,
		t.TownshipID, t.VillageID, t.VillageID)
}

// TasksFor lists the open tasks a person may see: those of their village, or of their whole
// township for a liaison or a township-wide officer.
func (tx *Tx) TasksFor(p *Person) ([]Task, error) {
	rows, err := tx.query(`SELECT t.id, t.township_id, IFNULL(t.village_id, 0), t.title, t.body, t.due_at, t.status, t.created_at,
		IFNULL((SELECT kind FROM task_events e WHERE e.task_id = t.id AND e.person_id = ? ORDER BY e.id DESC LIMIT 1), '')
		FROM tasks t WHERE t.status = 'open' AND t.township_id = ?
		AND (? = 0 OR t.village_id IS NULL OR t.village_id = ?) ORDER BY t.id`,
		p.ID, p.TownshipID, p.VillageID, p.VillageID)
	return records("tasks", rows, err, value(scanTask))
}

func scanTask(row scanner) (*Task, error) {
	var t Task
	var due sql.NullInt64
	var created int64
	err := row.Scan(&t.ID, &t.TownshipID, &t.VillageID, &t.Title, &t.Body, &due, &t.Status, &created, &t.LastKind)
	if err != nil {
		return nil, rowErr("scan task", err)
	}
	t.DueAt, t.CreatedAt = unixOrZero(due), time.Unix(created, 0).UTC()
	return &t, nil
}

// FindTaskFor returns one task if the person may see it, ErrNotFound otherwise.
func (tx *Tx) FindTaskFor(p *Person, id int64) (*Task, error) {
	return scanTask(tx.queryRow(`SELECT t.id, t.township_id, IFNULL(t.village_id, 0), t.title, t.body, t.due_at, t.status, t.created_at,
		IFNULL((SELECT kind FROM task_events e WHERE e.task_id = t.id AND e.person_id = ? ORDER BY e.id DESC LIMIT 1), '')
		FROM tasks t WHERE t.id = ? AND t.township_id = ? AND (? = 0 OR t.village_id IS NULL OR t.village_id = ?)`,
		p.ID, id, p.TownshipID, p.VillageID, p.VillageID))
}

// ConfirmTask records a person's confirmation of a task.
func (tx *Tx) ConfirmTask(taskID, personID int64, kind, note, blob string) error {
	var b any
	if blob != "" {
		b = blob
	}
	if _, err := tx.exec(`INSERT INTO task_events (task_id, person_id, kind, note, sha256, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
		taskID, personID, kind, note, b, tx.now.Unix()); err != nil {
		return fmt.Errorf("confirm task: %w", err)
	}
	return nil
}

// TaskEvent is one confirmation of a task.
type TaskEvent struct {
	PersonID  int64
	Kind      string
	Note      string
	SHA256    string
	CreatedAt time.Time
}

// TaskEvents lists a task's confirmations, oldest first.
func (db *DB) TaskEvents(ctx context.Context, taskID int64) ([]TaskEvent, error) {
	rows, err := db.query(ctx, `SELECT person_id, kind, note, IFNULL(sha256, ''), created_at FROM task_events WHERE task_id = ? ORDER BY id`, taskID)
	return collect("task events", rows, err, func(rows *sql.Rows, e *TaskEvent) error {
		return rows.Scan(&e.PersonID, &e.Kind, &e.Note, &e.SHA256, unix(&e.CreatedAt))
	})
}

// TaskClock is an open task with a due date as the scheduler's clock reads it.
type TaskClock struct {
	Task
	Stage int
}

// TasksDue returns up to limit tasks whose next look is due at now, in the order they fell
// due: a walk of the index of next looks (migration 0033), as long as the work due.
func (tx *Tx) TasksDue(now time.Time, limit int) ([]TaskClock, error) {
	rows, err := tx.query(`SELECT id, township_id, IFNULL(village_id, 0), title, body, due_at, status, created_at, IFNULL(given_by, 0), stage
		FROM tasks WHERE next_at IS NOT NULL AND next_at <= ? ORDER BY next_at, id LIMIT ?`, now.Unix(), limit)
	return collect("tasks due", rows, err, func(rows *sql.Rows, t *TaskClock) error {
		return rows.Scan(&t.ID, &t.TownshipID, &t.VillageID, &t.Title, &t.Body, unixNull(&t.DueAt), &t.Status, unix(&t.CreatedAt), &t.GivenBy, &t.Stage)
	})
}

// SetTaskNext records the scheduler's step on a task: the stage reached and when to look
// again (zero: never).
func (tx *Tx) SetTaskNext(id int64, stage int, next time.Time) error {
	if _, err := tx.exec(`UPDATE tasks SET stage = ?, next_at = ? WHERE id = ?`, stage, nullTime(next), id); err != nil {
		return fmt.Errorf("set task next: %w", err)
	}
	return nil
}

// TaskRecipients returns the reachable chats of the people of roles a task concerns: those of
// its village (or all of its township's for a township-wide task), and those who answer for the
// whole township.
func (tx *Tx) TaskRecipients(t *Task, roles ...Role) ([]Recipient, error) {
	var out []Recipient
	for _, r := range roles {
		rows, err := tx.query(`SELECT c.id, c.lang FROM chats c JOIN people p ON p.id = c.person_id
			WHERE p.role = ? AND p.withdrawn_at IS NULL AND p.township_id = ?
			AND (? = 0 OR p.village_id IS NULL OR p.village_id = ?) AND c.unreachable = 0 ORDER BY c.id`,
			r, t.TownshipID, t.VillageID, t.VillageID)
		if err != nil {
			return nil, fmt.Errorf("task recipients: %w", err)
		}
		rs, err := scanRecipients(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, rs...)
	}
	return out, nil
}
