// Audit log: every action on a clue, a person or an invitation, who did it and on which channel.

package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

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

// AuditFilter selects audit entries; zero fields do not filter.
type AuditFilter struct {
	Limit    int
	PersonID int64
	Action   string // exact, or a prefix ending in "." ("clue.")
}

// AuditEntries returns the newest audit entries matching f, newest first.
func (db *DB) AuditEntries(ctx context.Context, f AuditFilter) ([]AuditEntry, error) {
	var where []string
	var args []any
	if f.PersonID != 0 {
		where, args = append(where, "person_id = ?"), append(args, f.PersonID)
	}
	if f.Action != "" {
		if strings.HasSuffix(f.Action, ".") {
			where, args = append(where, "substr(action, 1, ?) = ?"), append(args, len(f.Action), f.Action)
		} else {
			where, args = append(where, "action = ?"), append(args, f.Action)
		}
	}
	q := `SELECT id, at, IFNULL(person_id, 0), channel, action, object, detail FROM audit`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	if f.Limit <= 0 {
		f.Limit = 100
	}
	q += " ORDER BY id DESC LIMIT ?"
	args = append(args, f.Limit)
	rows, err := db.query(ctx, q, args...)
	return collect("audit entries", rows, err, func(rows *sql.Rows, e *AuditEntry) error {
		return rows.Scan(&e.ID, unix(&e.At), &e.PersonID, &e.Channel, &e.Action, &e.Object, &e.Detail)
	})
}
