package store

import (
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Referral by jurisdiction (分级转办, migration 0033): a report that belongs to another level
// or body is referred within 5 working days of receipt. The clue is closed with the disposal
// DisposalReferred and leaves the open ledger; clue_referrals keeps to whom and when. The
// watch of the 5 days is refer_watch, filled and emptied by triggers.

// DisposalReferred is the disposal of a clue referred to another body.
const DisposalReferred = "referred"

// StatusReferred is the report's status a resident sees once it was referred.
const StatusReferred = "referred"

// ErrClueNotNew is returned when a clue to refer was studied, disposed or closed already.
var ErrClueNotNew = errors.New("clue no longer awaits study")

// Referral is the record of a clue referred to another body.
type Referral struct {
	ClueID     int64
	Body       string // the ledger file's key
	Name       string // the body's Chinese name when referred
	ReferredBy int64
	ReferredAt time.Time
}

// ReferClue refers a clue that still awaits study (new or studied, not closed) to another
// body: records the referral, closes the clue as referred and adds the timeline row.
// ErrClueNotNew when it was disposed or closed before.
func (tx *Tx) ReferClue(id, by int64, body, name string) error {
	res, err := tx.exec(`UPDATE clues SET status = 'closed', disposal = ?, closed_at = ?, updated_at = ?
		WHERE id = ? AND status IN ('new', 'studied') AND closed_at IS NULL`, DisposalReferred, tx.now.Unix(), tx.now.Unix(), id)
	if err != nil {
		return fmt.Errorf("refer clue: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrClueNotNew
	}
	if _, err := tx.exec(`INSERT INTO clue_referrals (clue_id, body, name, referred_by, referred_at) VALUES (?, ?, ?, ?, ?)`,
		id, body, name, nullInt(by), tx.now.Unix()); err != nil {
		return fmt.Errorf("refer clue: %w", err)
	}
	return tx.AddClueEvent(id, by, "referred", name)
}

// FindReferral returns a clue's referral, ErrNotFound when it was not referred.
func (tx *Tx) FindReferral(clueID int64) (*Referral, error) {
	r := &Referral{ClueID: clueID}
	var at int64
	err := tx.queryRow(`SELECT body, name, IFNULL(referred_by, 0), referred_at FROM clue_referrals WHERE clue_id = ?`, clueID).
		Scan(&r.Body, &r.Name, &r.ReferredBy, &at)
	if err != nil {
		return nil, rowErr("find referral", err)
	}
	r.ReferredAt = time.Unix(at, 0).UTC()
	return r, nil
}

// ReferWatch is a clue from a report that nobody has studied or referred yet, as the
// scheduler's 5-day watch reads it.
type ReferWatch struct {
	ClueID     int64
	Number     string
	TownshipID int64
	KeeperID   int64
	ReceivedAt time.Time
	Stage      int
}

// ReferWatchDue returns up to limit watched clues whose next look is due at now, in the order
// they fell due: a walk of the index of next looks, as long as the work due.
func (tx *Tx) ReferWatchDue(now time.Time, limit int) ([]ReferWatch, error) {
	rows, err := tx.query(`SELECT w.clue_id, c.number, IFNULL(c.township_id, 0), IFNULL(c.keeper_id, 0), c.received_at, w.stage
		FROM refer_watch w JOIN clues c ON c.id = w.clue_id
		WHERE w.next_at IS NOT NULL AND w.next_at <= ? ORDER BY w.next_at, w.clue_id LIMIT ?`, now.Unix(), limit)
	return collect("refer watch", rows, err, func(rows *sql.Rows, w *ReferWatch) error {
		return rows.Scan(&w.ClueID, &w.Number, &w.TownshipID, &w.KeeperID, unix(&w.ReceivedAt), &w.Stage)
	})
}

// SetReferWatch records the scheduler's step on a watched clue: the stage reached and when to
// look again (zero: never).
func (tx *Tx) SetReferWatch(clueID int64, stage int, next time.Time) error {
	if _, err := tx.exec(`UPDATE refer_watch SET stage = ?, next_at = ? WHERE clue_id = ?`, stage, nullTime(next), clueID); err != nil {
		return fmt.Errorf("set refer watch: %w", err)
	}
	return nil
}

// ReferWatched reports whether a clue is on the 5-day watch (tests and the card).
func (tx *Tx) ReferWatched(clueID int64) (bool, error) {
	var n int
	if err := tx.queryRow(`SELECT COUNT(*) FROM refer_watch WHERE clue_id = ?`, clueID).Scan(&n); err != nil {
		return false, fmt.Errorf("refer watched: %w", err)
	}
	return n > 0, nil
}
