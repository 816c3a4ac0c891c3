package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Claim records that a scheduled thing identified by key was done, in the caller's
// transaction. It reports false when it was done before: the caller must then change nothing.
// Because the claim commits with the outbox rows it stands for, a crash leaves either both or
// neither, and a restart redoes exactly what was not done.
func (tx *Tx) Claim(key string) (bool, error) {
	res, err := tx.exec(`INSERT INTO schedule_claims (key, claimed_at) VALUES (?, ?) ON CONFLICT (key) DO NOTHING`,
		key, tx.now.Unix())
	return changedOne("claim "+key, res, err)
}

// Claimed reports whether key was claimed.
func (tx *Tx) Claimed(key string) (bool, error) {
	var n int
	if err := tx.queryRow(`SELECT COUNT(*) FROM schedule_claims WHERE key = ?`, key).Scan(&n); err != nil {
		return false, fmt.Errorf("claimed %s: %w", key, err)
	}
	return n > 0, nil
}

// CalendarDay is one exception to the Monday–Friday week: a public holiday on a weekday, or a
// make-up working day (调休) on a weekend.
type CalendarDay struct {
	Day  string // YYYY-MM-DD
	Kind string // "holiday" or "workday"
}

// ImportCalendar replaces the imported days of each year present in days, in one transaction.
func (db *DB) ImportCalendar(ctx context.Context, days []CalendarDay, source string) (years []int, err error) {
	byYear := map[int][]CalendarDay{}
	for _, d := range days {
		t, err := time.Parse("2006-01-02", d.Day)
		if err != nil {
			return nil, fmt.Errorf("calendar day %q: %w", d.Day, err)
		}
		if d.Kind != "holiday" && d.Kind != "workday" {
			return nil, fmt.Errorf("calendar day %s: kind must be holiday or workday, got %q", d.Day, d.Kind)
		}
		if _, ok := byYear[t.Year()]; !ok {
			years = append(years, t.Year())
		}
		byYear[t.Year()] = append(byYear[t.Year()], d)
	}
	err = db.Update(ctx, func(tx *Tx) error {
		for y, ds := range byYear {
			if _, err := tx.exec(`DELETE FROM calendar_days WHERE day LIKE ?`, fmt.Sprintf("%04d-%%", y)); err != nil {
				return fmt.Errorf("clear calendar year: %w", err)
			}
			for _, d := range ds {
				if _, err := tx.exec(`INSERT INTO calendar_days (day, kind) VALUES (?, ?)
					ON CONFLICT (day) DO UPDATE SET kind = excluded.kind`, d.Day, d.Kind); err != nil {
					return fmt.Errorf("insert calendar day: %w", err)
				}
			}
			if _, err := tx.exec(`INSERT INTO calendar_years (year, source, imported_at) VALUES (?, ?, ?)
				ON CONFLICT (year) DO UPDATE SET source = excluded.source, imported_at = excluded.imported_at`,
				y, source, tx.now.Unix()); err != nil {
				return fmt.Errorf("record calendar year: %w", err)
			}
		}
		return nil
	})
	return years, err
}

// CalendarDays returns the imported calendar years and their days.
func (db *DB) CalendarDays(ctx context.Context) (years []int, days []CalendarDay, err error) {
	rows, err := db.query(ctx, `SELECT year FROM calendar_years ORDER BY year`)
	if err != nil {
		return nil, nil, fmt.Errorf("calendar years: %w", err)
	}
	for rows.Next() {
		var y int
		if err := rows.Scan(&y); err != nil {
			rows.Close()
			return nil, nil, fmt.Errorf("calendar years: %w", err)
		}
		years = append(years, y)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("calendar years: %w", err)
	}
	rows, err = db.query(ctx, `SELECT day, kind FROM calendar_days ORDER BY day`)
	if err != nil {
		return nil, nil, fmt.Errorf("calendar days: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var d CalendarDay
		if err := rows.Scan(&d.Day, &d.Kind); err != nil {
			return nil, nil, fmt.Errorf("calendar days: %w", err)
		}
		days = append(days, d)
	}
	return years, days, rows.Err()
}

// Recipient is a chat to send to, with its language.
type Recipient struct {
	ChatID int64
	Lang   string
}

func scanRecipients(rows *sql.Rows) ([]Recipient, error) {
	defer rows.Close()
	var out []Recipient
	for rows.Next() {
		var r Recipient
		if err := rows.Scan(&r.ChatID, &r.Lang); err != nil {
			return nil, fmt.Errorf("recipients: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("recipients: %w", err)
	}
	return out, nil
}

// ChatsOfPerson returns the reachable chats of a person.
func (tx *Tx) ChatsOfPerson(personID int64) ([]Recipient, error) {
	rows, err := tx.query(`SELECT id, lang FROM chats WHERE person_id = ? AND unreachable = 0 ORDER BY id`, personID)
	if err != nil {
		return nil, fmt.Errorf("chats of person: %w", err)
	}
	return scanRecipients(rows)
}

// ChatsOfUnit returns the reachable chats of the people of a receiving unit.
func (tx *Tx) ChatsOfUnit(unit string) ([]Recipient, error) {
	rows, err := tx.query(`SELECT c.id, c.lang FROM chats c JOIN people p ON p.id = c.person_id
		WHERE p.role = 'unit' AND p.unit = ? AND c.unreachable = 0 ORDER BY c.id`, unit)
	if err != nil {
		return nil, fmt.Errorf("chats of unit: %w", err)
	}
	return scanRecipients(rows)
}

// RecipientsOfRoles is ChatsOfRoles with each chat's language.
func (tx *Tx) RecipientsOfRoles(townshipID int64, roles ...Role) ([]Recipient, error) {
	if len(roles) == 0 {
		return nil, nil
	}
	args := []any{}
	marks := make([]string, len(roles))
	for i, r := range roles {
		marks[i] = "?"
		args = append(args, r)
	}
	args = append(args, townshipID)
	rows, err := tx.query(`SELECT c.id, c.lang FROM chats c JOIN people p ON p.id = c.person_id
		WHERE p.role IN (`+strings.Join(marks, ",")+`) AND (p.township_id IS NULL OR p.township_id = ?)
		AND c.unreachable = 0 ORDER BY c.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("recipients of roles: %w", err)
	}
	return scanRecipients(rows)
}

// PeopleOfRole lists everyone holding a role (not those whose role was withdrawn).
func (tx *Tx) PeopleOfRole(role Role) ([]Person, error) {
	rows, err := tx.query(`SELECT id, role, IFNULL(township_id, 0), IFNULL(village_id, 0), unit, created_at
		FROM people WHERE role = ? AND withdrawn_at IS NULL ORDER BY id`, role)
	return collect("people of role", rows, err, func(rows *sql.Rows, p *Person) error {
		return rows.Scan(&p.ID, &p.Role, &p.TownshipID, &p.VillageID, &p.Unit, unix(&p.CreatedAt))
	})
}

// CheckinTimes returns when a person checked in since a time, oldest first.
func (tx *Tx) CheckinTimes(personID int64, since time.Time) ([]time.Time, error) {
	rows, err := tx.query(`SELECT created_at FROM checkins WHERE person_id = ? AND created_at >= ? ORDER BY created_at`,
		personID, since.Unix())
	if err != nil {
		return nil, fmt.Errorf("checkin times: %w", err)
	}
	defer rows.Close()
	var out []time.Time
	for rows.Next() {
		var at int64
		if err := rows.Scan(&at); err != nil {
			return nil, fmt.Errorf("checkin times: %w", err)
		}
		out = append(out, time.Unix(at, 0).UTC())
	}
	return out, rows.Err()
}

// RealNamePending is a real-name report whose reporter has not yet been told whether it was
// accepted.
type RealNamePending struct {
	ReportID   int64
	TownshipID int64
	Received   time.Time
	// The report's clue (0 and "" when it has none), and the clue's keeper (0: none), who is
	// the one nudged.
	ClueID     int64
	ClueNumber string
	KeeperID   int64
}

// AcceptanceNoticeKinds are the report timeline kinds that count as the acceptance notice to a
// real-name reporter (受理告知). The ledger records one of them when it tells the reporter; a
// report whose status moved past received (the ledger's milestones) counts as told too.
var AcceptanceNoticeKinds = []string{"accepted", "not_accepted", "acceptance_notice", "referred"}

// RealNamePendingSince lists real-name reports received since a time with no acceptance
// notice in their timeline.
func (tx *Tx) RealNamePendingSince(since time.Time) ([]RealNamePending, error) {
	marks := strings.TrimSuffix(strings.Repeat("?,", len(AcceptanceNoticeKinds)), ",")
	args := []any{since.Unix()}
	for _, k := range AcceptanceNoticeKinds {
		args = append(args, k)
	}
	rows, err := tx.query(`SELECT r.id, IFNULL(r.township_id, 0), r.created_at, IFNULL(c.id, 0), IFNULL(c.number, ''),
		IFNULL(c.keeper_id, 0) FROM reports r LEFT JOIN clues c ON c.report_id = r.id
		WHERE r.anonymous = 0 AND r.source = 'resident' AND r.status = 'received' AND r.created_at >= ?
		AND NOT EXISTS (SELECT 1 FROM report_events e WHERE e.report_id = r.id AND e.kind IN (`+marks+`))
		ORDER BY r.id`, args...)
	return collect("real-name pending", rows, err, func(rows *sql.Rows, p *RealNamePending) error {
		return rows.Scan(&p.ReportID, &p.TownshipID, unix(&p.Received), &p.ClueID, &p.ClueNumber, &p.KeeperID)
	})
}

// errNoRows maps sql.ErrNoRows to ErrNotFound.
func errNoRows(err error, what string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	return fmt.Errorf("%s: %w", what, err)
}
