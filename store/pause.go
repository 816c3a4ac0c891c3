package store

import (
	"errors"
	"fmt"
	"time"
)

// Pausing and extending a clue's clock. paused_at (0005) was never set before; now an official
// stops the clock with a written reason (waiting on another body, a witness abroad), and the
// ladder leaves the clue alone until it is resumed: the triggers of 0024 take a paused clue out
// of the index of next steps and hand a resumed one back to the next pass. A deadline moved by
// a resume or an extension starts a new ladder (clue_ladder is per deadline). Each pause,
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
	set, args := `paused_at = NULL, updated_at = ?`, []any{tx.now.Unix()}
	if !due.IsZero() {
		set, args = set+`, due_at = ?`, append(args, due.Unix())
	}
	res, err := tx.exec(`UPDATE clues SET `+set+` WHERE id = ? AND paused_at IS NOT NULL`, append(args, id)...)
	if err != nil {
		return fmt.Errorf("resume clue: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return tx.clockRefusal(id)
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
