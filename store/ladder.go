package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Ladder levels of an overdue clue.
const (
	LadderNone        = 0
	LadderNudge       = 1 // a nudge to the handling unit before the deadline
	LadderReminder    = 2 // a reminder letter (提醒函) at the deadline
	LadderSupervision = 3 // a supervision letter (督办函) to the unit and the inspection office
)

// Letter kinds, also the kinds of their clue_events rows.
const (
	LetterReminder    = "reminder_letter"
	LetterSupervision = "supervision_letter"
)

// LadderClue is an open clue as the escalation ladder sees it.
type LadderClue struct {
	ID         int64
	Number     string
	Title      string
	Unit       string
	TownshipID int64
	KeeperID   int64
	DueAt      time.Time
	// Open: not closed and not paused. A closed or paused clue takes no further step.
	Open bool
	// Level reached for DueAt (a row about an older deadline counts as LadderNone) and when
	// the next step is due (zero: no further step).
	Level  int
	NextAt time.Time
}

// LadderCursor is where a candidate scan goes on from: the last clue returned.
type LadderCursor struct {
	DueAt time.Time
	ID    int64
}

// LadderCandidates returns up to limit open clues after the cursor, in deadline order, whose
// deadline is before horizon and whose next ladder step may be due at now: those with no step
// yet for their deadline and those whose next step time has come. Walking the partial index
// of open clues by deadline reads only the clues near or past their deadline, however large
// the ledger. It reads outside any write transaction; each step re-checks its clue in its own
// (LadderClue).
func (db *DB) LadderCandidates(ctx context.Context, horizon, now time.Time, after LadderCursor, limit int) ([]LadderClue, error) {
	rows, err := db.query(ctx, `SELECT c.id, c.due_at, IFNULL(l.due_at, 0), IFNULL(l.level, 0), l.next_at
		FROM clues c LEFT JOIN clue_ladder l ON l.clue_id = c.id
		WHERE c.closed_at IS NULL AND c.paused_at IS NULL AND c.status <> 'closed'
		AND c.due_at < ? AND (c.due_at, c.id) > (?, ?)
		AND (l.clue_id IS NULL OR l.due_at <> c.due_at OR l.next_at <= ?)
		ORDER BY c.due_at, c.id LIMIT ?`, horizon.Unix(), after.DueAt.Unix(), after.ID, now.Unix(), limit)
	if err != nil {
		return nil, fmt.Errorf("ladder candidates: %w", err)
	}
	defer rows.Close()
	var out []LadderClue
	for rows.Next() {
		var c LadderClue
		var due, ldue int64
		var next sql.NullInt64
		if err := rows.Scan(&c.ID, &due, &ldue, &c.Level, &next); err != nil {
			return nil, fmt.Errorf("ladder candidates: %w", err)
		}
		c.DueAt, c.Open = time.Unix(due, 0).UTC(), true
		if ldue != due {
			c.Level, next = LadderNone, sql.NullInt64{}
		}
		c.NextAt = unixOrZero(next)
		out = append(out, c)
	}
	return out, rows.Err()
}

// LadderClue reads one clue and its ladder state inside the step's transaction, so that a
// clue closed, paused or given a new deadline since the scan is seen as it is now.
func (tx *Tx) LadderClue(id int64) (*LadderClue, error) {
	c := &LadderClue{ID: id}
	var (
		status                   string
		due, closed, paused, nxt sql.NullInt64
		ldue                     int64
	)
	err := tx.queryRow(`SELECT c.number, c.title, c.unit, IFNULL(c.township_id, 0), IFNULL(c.keeper_id, 0), c.due_at,
		c.status, c.closed_at, c.paused_at, IFNULL(l.due_at, 0), IFNULL(l.level, 0), l.next_at
		FROM clues c LEFT JOIN clue_ladder l ON l.clue_id = c.id WHERE c.id = ?`, id).
		Scan(&c.Number, &c.Title, &c.Unit, &c.TownshipID, &c.KeeperID, &due, &status, &closed, &paused, &ldue, &c.Level, &nxt)
	if err != nil {
		return nil, errNoRows(err, "ladder clue")
	}
	c.DueAt, c.NextAt = unixOrZero(due), unixOrZero(nxt)
	c.Open = status != "closed" && !closed.Valid && !paused.Valid && due.Valid
	if !due.Valid || ldue != due.Int64 {
		c.Level, c.NextAt = LadderNone, time.Time{}
	}
	return c, nil
}

// SetLadder records the level a clue reached for its deadline and when its next step is due
// (zero: none).
func (tx *Tx) SetLadder(clueID int64, due time.Time, level int, next time.Time) error {
	if _, err := tx.exec(`INSERT INTO clue_ladder (clue_id, due_at, level, next_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (clue_id) DO UPDATE SET due_at = excluded.due_at, level = excluded.level, next_at = excluded.next_at`,
		clueID, due.Unix(), level, nullTime(next)); err != nil {
		return fmt.Errorf("set ladder: %w", err)
	}
	return nil
}

// Letter is a reminder or supervision letter about a clue's deadline.
type Letter struct {
	ID      int64
	ClueID  int64
	Kind    string
	Number  string
	DueAt   time.Time
	SentAt  time.Time
	AckedAt time.Time
	AckedBy int64
}

// ErrLetterAcked is returned when a letter was acknowledged before.
var ErrLetterAcked = errors.New("letter already acknowledged")

// CreateLetter issues the next numbered letter of a kind for the year and records it in the
// clue's timeline. Numbers run per kind and year (提醒〔2026〕3号), from the counter (see
// nextNumber).
func (tx *Tx) CreateLetter(clueID int64, kind string, due time.Time, year int) (*Letter, error) {
	prefix := map[string]string{LetterReminder: "提醒", LetterSupervision: "督办"}[kind]
	if prefix == "" {
		return nil, fmt.Errorf("create letter: unknown kind %q", kind)
	}
	n, err := tx.nextNumber(kind, year)
	if err != nil {
		return nil, fmt.Errorf("next letter number: %w", err)
	}
	l := &Letter{ClueID: clueID, Kind: kind, Number: fmt.Sprintf("%s〔%d〕%d号", prefix, year, n), DueAt: due, SentAt: tx.now}
	res, err := tx.exec(`INSERT INTO clue_letters (clue_id, kind, number, due_at, sent_at) VALUES (?, ?, ?, ?, ?)`,
		clueID, kind, l.Number, due.Unix(), tx.now.Unix())
	if err != nil {
		return nil, fmt.Errorf("insert letter: %w", err)
	}
	l.ID, _ = res.LastInsertId()
	if _, err := tx.exec(`INSERT INTO clue_events (clue_id, kind, body, created_at) VALUES (?, ?, ?, ?)`,
		clueID, kind, l.Number, tx.now.Unix()); err != nil {
		return nil, fmt.Errorf("record letter: %w", err)
	}
	return l, nil
}

// FindLetter returns a letter by id.
func (tx *Tx) FindLetter(id int64) (*Letter, error) {
	l := &Letter{ID: id}
	var due, sent int64
	var acked, by sql.NullInt64
	err := tx.queryRow(`SELECT clue_id, kind, number, due_at, sent_at, acked_at, acked_by FROM clue_letters WHERE id = ?`, id).
		Scan(&l.ClueID, &l.Kind, &l.Number, &due, &sent, &acked, &by)
	if err != nil {
		return nil, errNoRows(err, "find letter")
	}
	l.DueAt, l.SentAt, l.AckedAt, l.AckedBy = time.Unix(due, 0).UTC(), time.Unix(sent, 0).UTC(), unixOrZero(acked), by.Int64
	return l, nil
}

// LetterAcked reports whether the letter of a kind about a clue's deadline was acknowledged.
func (tx *Tx) LetterAcked(clueID int64, due time.Time, kind string) (bool, error) {
	var n int
	if err := tx.queryRow(`SELECT COUNT(*) FROM clue_letters WHERE clue_id = ? AND due_at = ? AND kind = ? AND acked_at IS NOT NULL`,
		clueID, due.Unix(), kind).Scan(&n); err != nil {
		return false, fmt.Errorf("letter acked: %w", err)
	}
	return n > 0, nil
}

// AckLetter records that a person signed for a letter (已签收): the clue's timeline gets a
// row, and the ladder stops climbing for that deadline. Only the clue's receiving unit, the
// inspection office (official, admin) or the clue's keeper may sign; anyone else gets
// ErrNotFound, as if there were no such letter.
func (tx *Tx) AckLetter(letterID int64, p *Person) (*Letter, error) {
	l, err := tx.FindLetter(letterID)
	if err != nil {
		return nil, err
	}
	var unit string
	var keeper, township sql.NullInt64
	if err := tx.queryRow(`SELECT unit, keeper_id, township_id FROM clues WHERE id = ?`, l.ClueID).Scan(&unit, &keeper, &township); err != nil {
		return nil, errNoRows(err, "letter clue")
	}
	allowed := false
	switch p.Role {
	case RoleUnit:
		allowed = unit != "" && p.Unit == unit
	case RoleOfficial, RoleAdmin:
		allowed = p.TownshipID == 0 || p.TownshipID == township.Int64 || keeper.Int64 == p.ID
	}
	if !allowed {
		return nil, ErrNotFound
	}
	if !l.AckedAt.IsZero() {
		return l, ErrLetterAcked
	}
	if _, err := tx.exec(`UPDATE clue_letters SET acked_at = ?, acked_by = ? WHERE id = ? AND acked_at IS NULL`,
		tx.now.Unix(), p.ID, letterID); err != nil {
		return nil, fmt.Errorf("ack letter: %w", err)
	}
	if _, err := tx.exec(`INSERT INTO clue_events (clue_id, person_id, kind, body, created_at) VALUES (?, ?, 'letter_acknowledged', ?, ?)`,
		l.ClueID, p.ID, l.Number, tx.now.Unix()); err != nil {
		return nil, fmt.Errorf("record ack: %w", err)
	}
	// The climb stops for this deadline; a new deadline starts a new ladder.
	if _, err := tx.exec(`UPDATE clue_ladder SET next_at = NULL WHERE clue_id = ? AND due_at = ?`, l.ClueID, l.DueAt.Unix()); err != nil {
		return nil, fmt.Errorf("stop ladder: %w", err)
	}
	l.AckedAt, l.AckedBy = tx.now, p.ID
	return l, nil
}

// ReviewCounts summarises the clues of a jurisdiction or unit for the monthly review.
type ReviewCounts struct {
	OpenByStatus   map[string]int
	OverdueByLevel map[int]int // level reached on the ladder for overdue open clues (0: none yet)
	Closed         int         // closed (办结销号) in the period
}

// ReviewCounts counts clues of a township (0: the whole county) or, when unit is set, of a
// receiving unit, as of now, with those closed in [from, to).
func (tx *Tx) ReviewCounts(townshipID int64, unit string, now, from, to time.Time) (ReviewCounts, error) {
	rc := ReviewCounts{OpenByStatus: map[string]int{}, OverdueByLevel: map[int]int{}}
	where, args := `1 = 1`, []any{}
	if unit != "" {
		where, args = `c.unit = ?`, append(args, unit)
	} else if townshipID != 0 {
		where, args = `c.township_id = ?`, append(args, townshipID)
	}
	rows, err := tx.query(`SELECT c.status, COUNT(*) FROM clues c WHERE `+where+` AND c.closed_at IS NULL AND c.status <> 'closed'
		GROUP BY c.status`, args...)
	if err != nil {
		return rc, fmt.Errorf("review counts: %w", err)
	}
	for rows.Next() {
		var s string
		var n int
		if err := rows.Scan(&s, &n); err != nil {
			rows.Close()
			return rc, fmt.Errorf("review counts: %w", err)
		}
		rc.OpenByStatus[s] = n
	}
	rows.Close()
	rows, err = tx.query(`SELECT CASE WHEN l.due_at = c.due_at THEN l.level ELSE 0 END AS lv, COUNT(*)
		FROM clues c LEFT JOIN clue_ladder l ON l.clue_id = c.id
		WHERE `+where+` AND c.closed_at IS NULL AND c.status <> 'closed' AND c.due_at < ? GROUP BY lv`, append(args, now.Unix())...)
	if err != nil {
		return rc, fmt.Errorf("review overdue: %w", err)
	}
	for rows.Next() {
		var lv sql.NullInt64
		var n int
		if err := rows.Scan(&lv, &n); err != nil {
			rows.Close()
			return rc, fmt.Errorf("review overdue: %w", err)
		}
		rc.OverdueByLevel[int(lv.Int64)] += n
	}
	rows.Close()
	if err := tx.queryRow(`SELECT COUNT(*) FROM clues c WHERE `+where+` AND c.closed_at >= ? AND c.closed_at < ?`,
		append(args, from.Unix(), to.Unix())...).Scan(&rc.Closed); err != nil {
		return rc, fmt.Errorf("review closed: %w", err)
	}
	return rc, nil
}

// Units lists the receiving units that have people.
func (tx *Tx) Units() ([]string, error) {
	rows, err := tx.query(`SELECT DISTINCT unit FROM people WHERE role = 'unit' AND unit <> '' ORDER BY unit`)
	if err != nil {
		return nil, fmt.Errorf("units: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var u string
		if err := rows.Scan(&u); err != nil {
			return nil, fmt.Errorf("units: %w", err)
		}
		out = append(out, u)
	}
	return out, rows.Err()
}
