package store

import (
	"context"
	"database/sql"
	"errors"
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
	res, err := tx.exec(`INSERT INTO tasks (township_id, village_id, title, body, due_at, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
		t.TownshipID, nullInt(t.VillageID), t.Title, t.Body, nullTime(t.DueAt), tx.now.Unix())
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
	if err != nil {
		return nil, fmt.Errorf("tasks: %w", err)
	}
	defer rows.Close()
	var out []Task
	for rows.Next() {
		t, err := scanTask(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *t)
	}
	return out, rows.Err()
}

func scanTask(row interface{ Scan(...any) error }) (*Task, error) {
	var t Task
	var due sql.NullInt64
	var created int64
	err := row.Scan(&t.ID, &t.TownshipID, &t.VillageID, &t.Title, &t.Body, &due, &t.Status, &created, &t.LastKind)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("scan task: %w", err)
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
		var at int64
		if err := rows.Scan(&e.PersonID, &e.Kind, &e.Note, &e.SHA256, &at); err != nil {
			return err
		}
		e.CreatedAt = time.Unix(at, 0).UTC()
		return nil
	})
}
