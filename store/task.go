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
	rows, err := tx.query(`SELECT c.id FROM chats c JOIN people p ON p.id = c.person_id
		WHERE p.role IN ('officer', 'liaison') AND p.township_id = ?
		AND (? = 0 OR p.village_id IS NULL OR p.village_id = ?) AND c.unreachable = 0 ORDER BY c.id`,
		t.TownshipID, t.VillageID, t.VillageID)
	if err != nil {
		return nil, fmt.Errorf("task recipients: %w", err)
	}
	defer rows.Close()
	var chats []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("task recipients: %w", err)
		}
		chats = append(chats, id)
	}
	return chats, rows.Err()
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
	if err != nil {
		return nil, fmt.Errorf("task events: %w", err)
	}
	defer rows.Close()
	var out []TaskEvent
	for rows.Next() {
		var e TaskEvent
		var at int64
		if err := rows.Scan(&e.PersonID, &e.Kind, &e.Note, &e.SHA256, &at); err != nil {
			return nil, fmt.Errorf("task events: %w", err)
		}
		e.CreatedAt = time.Unix(at, 0).UTC()
		out = append(out, e)
	}
	return out, rows.Err()
}

// Checkin is an information officer's situation report (情况报告).
type Checkin struct {
	ID         int64
	PersonID   int64
	TownshipID int64
	VillageID  int64
	Visitors   int
	Problems   int
	Zero       bool // 零报告: nothing to report
	SHA256     string
	CreatedAt  time.Time
}

// CreateCheckin stores a check-in.
func (tx *Tx) CreateCheckin(c *Checkin) error {
	var b any
	if c.SHA256 != "" {
		b = c.SHA256
	}
	c.CreatedAt = tx.now
	res, err := tx.exec(`INSERT INTO checkins (person_id, township_id, village_id, visitors, problems, zero, sha256, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, c.PersonID, nullInt(c.TownshipID), nullInt(c.VillageID), c.Visitors, c.Problems, c.Zero, b, tx.now.Unix())
	if err != nil {
		return fmt.Errorf("insert checkin: %w", err)
	}
	c.ID, _ = res.LastInsertId()
	return nil
}

// Subscription is a chat's request for announcements of a township or one of its villages.
type Subscription struct {
	ID         int64
	TownshipID int64
	VillageID  int64
}

// Subscribe adds a subscription; subscribing twice keeps one.
func (tx *Tx) Subscribe(chatID, townshipID, villageID int64) error {
	if _, err := tx.exec(`INSERT INTO subscriptions (chat_id, township_id, village_id, created_at) VALUES (?, ?, ?, ?)
		ON CONFLICT DO NOTHING`, chatID, townshipID, nullInt(villageID), day(tx.now)); err != nil { // day: see day
		return fmt.Errorf("subscribe: %w", err)
	}
	return nil
}

// Unsubscribe removes one of a chat's subscriptions.
func (tx *Tx) Unsubscribe(chatID, id int64) error {
	res, err := tx.exec(`DELETE FROM subscriptions WHERE chat_id = ? AND id = ?`, chatID, id)
	if err != nil {
		return fmt.Errorf("unsubscribe: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// Subscriptions lists a chat's subscriptions.
func (tx *Tx) Subscriptions(chatID int64) ([]Subscription, error) {
	rows, err := tx.query(`SELECT id, township_id, IFNULL(village_id, 0) FROM subscriptions WHERE chat_id = ? ORDER BY id`, chatID)
	if err != nil {
		return nil, fmt.Errorf("subscriptions: %w", err)
	}
	defer rows.Close()
	var out []Subscription
	for rows.Next() {
		var s Subscription
		if err := rows.Scan(&s.ID, &s.TownshipID, &s.VillageID); err != nil {
			return nil, fmt.Errorf("subscriptions: %w", err)
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// Audit appends to the audit log. personID 0 means the system or an anonymous resident.
func (tx *Tx) Audit(personID int64, channel, action, object, detail string) error {
	if _, err := tx.exec(`INSERT INTO audit (at, person_id, channel, action, object, detail) VALUES (?, ?, ?, ?, ?, ?)`,
		tx.now.Unix(), nullInt(personID), channel, action, object, detail); err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	return nil
}

// AuditEntry is one audit log line.
type AuditEntry struct {
	ID       int64
	At       time.Time
	PersonID int64
	Channel  string
	Action   string
	Object   string
	Detail   string
}

// AuditLog returns the newest audit entries, newest first.
func (db *DB) AuditLog(ctx context.Context, limit int) ([]AuditEntry, error) {
	rows, err := db.query(ctx, `SELECT id, at, IFNULL(person_id, 0), channel, action, object, detail FROM audit ORDER BY id DESC LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("audit log: %w", err)
	}
	defer rows.Close()
	var out []AuditEntry
	for rows.Next() {
		var e AuditEntry
		var at int64
		if err := rows.Scan(&e.ID, &at, &e.PersonID, &e.Channel, &e.Action, &e.Object, &e.Detail); err != nil {
			return nil, fmt.Errorf("audit log: %w", err)
		}
		e.At = time.Unix(at, 0).UTC()
		out = append(out, e)
	}
	return out, rows.Err()
}
