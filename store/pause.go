package store

import (
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Pausing and extending a clue's clock. paused_at (0005) was never set before; now an official
// stops the clock with a written reason (waiting on another body, a witness abroad), and the
// ladder leaves the clue alone until it is resumed: the triggers of 0024 take a paused clue out
// of the index of next steps and hand a resumed one back to the next pass. A deadline moved by
// a resume or an extension starts a new ladder (clue_ladder is per deadline); a clue on its
// stage's clock (no deadline) resumes where it stood, its stage's start moved on. Each pause,
// resume and extension is a timeline row.

// Errors of the clock's changes.
var (
	ErrCluePaused    = errors.New("clue already paused")
	ErrClueNotPaused = errors.New("clue not paused")
	ErrClueClosed    = errors.New("clue closed")
)

// PauseClue stops a clue's clock from now, with the reason in the timeline.
func (tx *Tx) PauseClue(id, by int64, reason string) error {
	res, err := tx.exec(`UPDATE clues SET paused_at = ?, updated_at = ? WHERE id = ? AND paused_at IS NULL
		AND closed_at IS NULL AND status <> 'closed'`, tx.now.Unix(), tx.now.Unix(), id)
	if err != nil {
		return fmt.Errorf("pause clue: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return tx.clockRefusal(id)
	}
	return tx.AddClueEvent(id, by, "paused", reason)
}

// ResumeClue starts a paused clue's clock again; when due is not zero it is the deadline from
// now on (the caller moved it by the working days the clock stood still), and body the line
// for the timeline.
func (tx *Tx) ResumeClue(id, by int64, due time.Time, body string) error {
	// A clue on its stage's clock (no deadline) has its stage's start moved on by the time the
	// clock stood still, and its ladder row with it: the climb goes on where it stood.
	var stageAt, pausedAt sql.NullInt64
	var status string
	if err := tx.queryRow(`SELECT IFNULL(stage_at, received_at), paused_at, status FROM clues WHERE id = ? AND due_at IS NULL`, id).
		Scan(&stageAt, &pausedAt, &status); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("resume clue: %w", err)
	}
	set, args := `paused_at = NULL, updated_at = ?`, []any{tx.now.Unix()}
	if !due.IsZero() {
		set, args = set+`, due_at = ?`, append(args, due.Unix())
	}
	shift := int64(0)
	if due.IsZero() && stageAt.Valid && pausedAt.Valid && tx.now.Unix() > pausedAt.Int64 {
		shift = tx.now.Unix() - pausedAt.Int64
		set, args = set+`, stage_at = ?`, append(args, stageAt.Int64+shift)
	}
	res, err := tx.exec(`UPDATE clues SET `+set+` WHERE id = ? AND paused_at IS NOT NULL`, append(args, id)...)
	if err != nil {
		return fmt.Errorf("resume clue: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return tx.clockRefusal(id)
	}
	if shift > 0 {
		if _, err := tx.exec(`UPDATE clue_ladder SET due_at = due_at + ?, next_at = next_at + ? WHERE clue_id = ? AND stage = ? AND due_at = ?`,
			shift, shift, id, status, stageAt.Int64); err != nil {
			return fmt.Errorf("resume clue: %w", err)
		}
	}
	return tx.AddClueEvent(id, by, "resumed", body)
}

// ExtendClue moves an open clue's deadline to due, with the line for the timeline (the new
// date and the reason).
func (tx *Tx) ExtendClue(id, by int64, due time.Time, body string) error {
	res, err := tx.exec(`UPDATE clues SET due_at = ?, updated_at = ? WHERE id = ? AND closed_at IS NULL AND status <> 'closed'`,
		due.Unix(), tx.now.Unix(), id)
	if err != nil {
		return fmt.Errorf("extend clue: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return tx.clockRefusal(id)
	}
	return tx.AddClueEvent(id, by, "extended", body)
}

// clockRefusal says why a change of the clock touched no row.
func (tx *Tx) clockRefusal(id int64) error {
	c, err := tx.FindClue(id)
	if err != nil {
		return err
	}
	switch {
	case c.Status == ClueClosed || !c.ClosedAt.IsZero():
		return ErrClueClosed
	case c.PausedAt.IsZero():
		return ErrClueNotPaused
	}
	return ErrCluePaused
}
