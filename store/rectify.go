package store

import (
	"database/sql"
	"fmt"
	"time"
)

// Rectification kinds and statuses.
const (
	RectTask       = "task"       // 整改任务 of the inspected organisation
	RectSuggestion = "suggestion" // 整改建议书 to another department
)

// RectItem is a rectification task or suggestion.
type RectItem struct {
	ID          int64
	RoundID     int64
	Kind        string
	Unit        string
	Title       string
	PlanDueAt   time.Time
	DueAt       time.Time
	Status      string // open, planned, done
	SentAt      time.Time
	EscalatedAt time.Time
	CreatedAt   time.Time
	// PlanRemindedAt and DueRemindedAt: when the unit was reminded of the plan's deadline and
	// of the end of the period (zero: not yet).
	PlanRemindedAt, DueRemindedAt time.Time
}

// RectEvent is a step of a rectification: plan, progress, visit, perfunctory, escalated, done.
type RectEvent struct {
	ID       int64
	TaskID   int64
	Kind     string
	Body     string
	FileSHA  string
	FileName string
	PersonID int64
	At       time.Time
}

// CreateRectItem stores a task or suggestion.
func (tx *Tx) CreateRectItem(r *RectItem) error {
	if r.Kind != RectTask && r.Kind != RectSuggestion {
		return fmt.Errorf("create rectification: unknown kind %q", r.Kind)
	}
	r.Status, r.CreatedAt = "open", tx.now
	return tx.insert(&r.ID, "create rectification", `INSERT INTO rect_tasks (round_id, kind, unit, title, plan_due_at, due_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		r.RoundID, r.Kind, r.Unit, r.Title, r.PlanDueAt.Unix(), r.DueAt.Unix(), tx.now.Unix())
}

func (tx *Tx) rectItems(where string, args ...any) ([]RectItem, error) {
	rows, err := tx.query(`SELECT id, round_id, kind, unit, title, plan_due_at, due_at, status, sent_at, escalated_at, created_at,
		plan_reminded_at, due_reminded_at
		FROM rect_tasks WHERE `+where+` ORDER BY id`, args...)
	return collect("rectification", rows, err, func(rows *sql.Rows, r *RectItem) error {
		return rows.Scan(&r.ID, &r.RoundID, &r.Kind, &r.Unit, &r.Title, unix(&r.PlanDueAt), unix(&r.DueAt), &r.Status, unixNull(&r.SentAt), unixNull(&r.EscalatedAt), unix(&r.CreatedAt),
			unixNull(&r.PlanRemindedAt), unixNull(&r.DueRemindedAt))
	})
}

// FindRectItem returns a task or suggestion by id.
func (tx *Tx) FindRectItem(id int64) (*RectItem, error) {
	return first(tx.rectItems(`id = ?`, id))
}

// RectItems lists the tasks and suggestions of the units named, or all with no unit.
func (tx *Tx) RectItems(units ...string) ([]RectItem, error) {
	if len(units) == 0 {
		return tx.rectItems(`1`)
	}
	args := make([]any, len(units))
	for i, u := range units {
		args[i] = u
	}
	return tx.rectItems(`unit IN (`+inList(len(units))+`)`, args...)
}

// DueRectItems lists the items whose guidance is not yet sent; the unfinished ones not yet
// escalated whose plan or period is overdue; and the unfinished ones, guidance sent, whose
// plan or period ends within remind from now and whose unit was not yet reminded of it.
func (tx *Tx) DueRectItems(now time.Time, remind time.Duration) ([]RectItem, error) {
	n, soon := now.Unix(), now.Add(remind).Unix()
	return tx.rectItems(`sent_at IS NULL OR (status <> 'done' AND (
		(escalated_at IS NULL AND ((status = 'open' AND plan_due_at <= ?1) OR due_at <= ?1))
		OR (status = 'open' AND plan_reminded_at IS NULL AND plan_due_at > ?1 AND plan_due_at <= ?2)
		OR (due_reminded_at IS NULL AND due_at > ?1 AND due_at <= ?2)))`, n, soon)
}

// MarkRectItem records a stage: "sent", "escalated", "plan-reminded" or "due-reminded".
func (tx *Tx) MarkRectItem(id int64, stage string) error {
	return tx.markOnce("mark rectification", "rect_tasks", map[string]string{"sent": "sent_at", "escalated": "escalated_at",
		"plan-reminded": "plan_reminded_at", "due-reminded": "due_reminded_at"}, stage, id)
}

// AddRectEvent records a step; a plan moves an open item to planned, done closes it.
func (tx *Tx) AddRectEvent(e *RectEvent) error {
	e.At = tx.now
	if err := tx.insert(&e.ID, "rectification event", `INSERT INTO rect_events (task_id, kind, body, file_sha, file_name, person_id, at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		e.TaskID, e.Kind, e.Body, nullString(e.FileSHA), e.FileName, nullInt(e.PersonID), tx.now.Unix()); err != nil {
		return err
	}
	var err error
	switch e.Kind {
	case "plan":
		_, err = tx.exec(`UPDATE rect_tasks SET status = 'planned' WHERE id = ? AND status = 'open'`, e.TaskID)
	case "done":
		_, err = tx.exec(`UPDATE rect_tasks SET status = 'done' WHERE id = ?`, e.TaskID)
	}
	if err != nil {
		return fmt.Errorf("rectification status: %w", err)
	}
	return nil
}

// RectEvents lists an item's steps, oldest first.
func (tx *Tx) RectEvents(taskID int64) ([]RectEvent, error) {
	rows, err := tx.query(`SELECT id, task_id, kind, body, IFNULL(file_sha, ''), file_name, IFNULL(person_id, 0), at
		FROM rect_events WHERE task_id = ? ORDER BY id`, taskID)
	return collect("rectification events", rows, err, func(rows *sql.Rows, e *RectEvent) error {
		return rows.Scan(&e.ID, &e.TaskID, &e.Kind, &e.Body, &e.FileSHA, &e.FileName, &e.PersonID, unix(&e.At))
	})
}
