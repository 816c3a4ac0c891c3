package store

import (
	"database/sql"
	"fmt"
	"slices"
	"time"
)

// Talent is a specialist of the talent pool.
type Talent struct {
	ID    int64
	Name  string
	Field string
	Unit  string
	// Busy names the round the specialist is assigned to at the time asked, if any.
	Busy string
}

// AddTalent stores a specialist.
func (tx *Tx) AddTalent(t *Talent) error {
	return tx.insert(&t.ID, "add talent", `INSERT INTO talents (name, field, unit, created_at) VALUES (?, ?, ?, ?)`, t.Name, t.Field, t.Unit, tx.now.Unix())
}

// Talents lists the specialists of a field (all with field empty), each with the round that
// keeps them busy at t; onlyFree leaves the busy ones out.
func (tx *Tx) Talents(field string, t time.Time, onlyFree bool) ([]Talent, error) {
	q := `SELECT s.id, s.name, s.field, s.unit, IFNULL((SELECT r.name FROM talent_assignments a
		JOIN ledger_rounds r ON r.id = a.round_id WHERE a.talent_id = s.id AND r.starts_at <= ? AND r.ends_at > ?
		ORDER BY r.starts_at LIMIT 1), '') FROM talents s`
	args := []any{t.Unix(), t.Unix()}
	if field != "" {
		q, args = q+` WHERE s.field = ?`, append(args, field)
	}
	rows, err := tx.query(q+` ORDER BY s.field, s.id`, args...)
	out, err := collect("talents", rows, err, func(rows *sql.Rows, s *Talent) error {
		return rows.Scan(&s.ID, &s.Name, &s.Field, &s.Unit, &s.Busy)
	})
	if onlyFree {
		out = slices.DeleteFunc(out, func(s Talent) bool { return s.Busy != "" })
	}
	return out, err
}

// AssignTalent puts a specialist in a group of a round (group may be empty).
func (tx *Tx) AssignTalent(talentID, roundID int64, group string) error {
	var gid any
	if group != "" {
		var id int64
		err := tx.queryRow(`SELECT id FROM round_groups WHERE round_id = ? AND name = ?`, roundID, group).Scan(&id)
		if err != nil {
			return rowErr("assign talent", err)
		}
		gid = id
	}
	if _, err := tx.exec(`INSERT INTO talent_assignments (talent_id, round_id, group_id) VALUES (?, ?, ?)
		ON CONFLICT (talent_id, round_id) DO UPDATE SET group_id = excluded.group_id`, talentID, roundID, gid); err != nil {
		return fmt.Errorf("assign talent: %w", err)
	}
	return nil
}
