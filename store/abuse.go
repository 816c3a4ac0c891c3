package store

import (
	"errors"
	"fmt"
	"strconv"
	"time"
)

// Refusal summaries. A stranger can make the bot refuse something as fast as the server
// answers (a wrong invitation, a ledger button typed by hand), and the audit log is
// append-only: a row per refusal would let anyone grow it without bound. So each kind of
// refusal, per person (0: every anonymous resident together) and channel, gets its own audit
// row only for the first RefusalRows of a RefusalWindow; the rest raise a counter, and when the
// window closes one abuse.summary row carries the count. A flood thus writes at most
// RefusalRows+1 audit rows a window per kind, however fast it comes.
const (
	RefusalWindow = 10 * time.Minute
	RefusalRows   = 20
)

// AuditRefusal audit-logs a refusal, or only counts it when its kind already has RefusalRows
// rows in the current window. It first writes the summaries of every window that has closed.
func (tx *Tx) AuditRefusal(personID int64, channel, action, object, detail string) error {
	if _, err := tx.FlushRefusalSummaries(); err != nil {
		return err
	}
	var logged int
	err := tx.queryRow(`INSERT INTO refusal_windows (action, person_id, channel, started_at, logged, suppressed)
		VALUES (?, ?, ?, ?, 1, 0)
		ON CONFLICT (action, person_id, channel) DO UPDATE SET
			suppressed = suppressed + (logged >= ?),
			logged = logged + (logged < ?)
		RETURNING logged + suppressed`, action, personID, channel, tx.now.Unix(), RefusalRows, RefusalRows).Scan(&logged)
	if err != nil {
		return fmt.Errorf("count refusal: %w", err)
	}
	if logged > RefusalRows {
		return nil // counted; the window's summary will say how many
	}
	return tx.Audit(personID, channel, action, object, detail)
}

// FlushRefusalSummaries writes an abuse.summary audit row for every closed window that counted
// refusals beyond its own rows, and forgets the closed windows. It returns when the earliest
// open window closes (zero when none is open), so that a caller can flush again then.
func (tx *Tx) FlushRefusalSummaries() (next time.Time, err error) {
	cutoff := tx.now.Add(-RefusalWindow).Unix()
	rows, err := tx.query(`SELECT action, person_id, channel, started_at, logged, suppressed FROM refusal_windows
		WHERE started_at <= ? AND suppressed > 0 ORDER BY started_at, action`, cutoff)
	if err != nil {
		return time.Time{}, fmt.Errorf("closed refusal windows: %w", err)
	}
	type window struct {
		action, channel    string
		person, started    int64
		logged, suppressed int
	}
	var closed []window
	for rows.Next() {
		var w window
		if err := rows.Scan(&w.action, &w.person, &w.channel, &w.started, &w.logged, &w.suppressed); err != nil {
			rows.Close()
			return time.Time{}, fmt.Errorf("closed refusal windows: %w", err)
		}
		closed = append(closed, w)
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return time.Time{}, fmt.Errorf("closed refusal windows: %w", err)
	}
	for _, w := range closed {
		start := time.Unix(w.started, 0).UTC()
		detail := "suppressed=" + strconv.Itoa(w.suppressed) + " logged=" + strconv.Itoa(w.logged) +
			" from=" + start.Format(time.RFC3339) + " to=" + start.Add(RefusalWindow).Format(time.RFC3339)
		if err := tx.Audit(w.person, w.channel, "abuse.summary", w.action, detail); err != nil {
			return time.Time{}, err
		}
	}
	if _, err := tx.exec(`DELETE FROM refusal_windows WHERE started_at <= ?`, cutoff); err != nil {
		return time.Time{}, fmt.Errorf("forget refusal windows: %w", err)
	}
	var first *int64
	if err := tx.queryRow(`SELECT MIN(started_at) FROM refusal_windows`).Scan(&first); err != nil {
		return time.Time{}, fmt.Errorf("open refusal windows: %w", err)
	}
	if first == nil {
		return time.Time{}, nil
	}
	return time.Unix(*first, 0).Add(RefusalWindow).UTC(), nil
}

// ErrNoReporterLink: the report's reporter kept no link to their chat (or there is no
// report), so there is no chat to block.
var ErrNoReporterLink = errors.New("the reporter kept no link")

// blockRef is the key of a chat in blocked_reporters (see migrations 0016 and 0025).
func (tx *Tx) blockRef(chatID int64) []byte {
	return tx.keys.hash("blocked-chat", strconv.FormatInt(chatID, 10))
}

// blockReportRef is the key of the report a block was made through: destroying the report's
// link deletes its blocks (purge), so that no block outlives the link it came from.
func (tx *Tx) blockReportRef(reportID int64) []byte {
	return tx.keys.hash("blocked-report", strconv.FormatInt(reportID, 10))
}

// SetReporterBlocked blocks (or unblocks) the chat behind a report, resolving the sealed link
// inside the store as EnqueueToReporter does: the caller never learns which chat it is, nor
// whether it was blocked before (the same answer either way, so that blocking from two clues
// cannot tell an official that both came from one chat). ErrNoReporterLink when there is none.
// A clue's report is NULL-safe: reportID 0 gives ErrNoReporterLink.
func (tx *Tx) SetReporterBlocked(reportID int64, blocked bool) error {
	if reportID == 0 {
		return ErrNoReporterLink
	}
	chat, err := tx.reporterChat(reportID)
	if errors.Is(err, ErrNotFound) || err == nil && chat == 0 {
		return ErrNoReporterLink
	}
	if err != nil {
		return err
	}
	if blocked {
		_, err = tx.exec(`INSERT INTO blocked_reporters (chat_ref, report_ref) VALUES (?, ?) ON CONFLICT DO NOTHING`,
			tx.blockRef(chat), tx.blockReportRef(reportID))
	} else {
		// Unblocking from any of the chat's clues lifts the block, whichever report it came from.
		_, err = tx.exec(`DELETE FROM blocked_reporters WHERE chat_ref = ?`, tx.blockRef(chat))
	}
	if err != nil {
		return fmt.Errorf("set reporter blocked: %w", err)
	}
	return nil
}

// ChatBlocked reports whether an official blocked the chat.
func (tx *Tx) ChatBlocked(chatID int64) (bool, error) {
	var n int
	if err := tx.queryRow(`SELECT COUNT(*) FROM blocked_reporters WHERE chat_ref = ?`, tx.blockRef(chatID)).Scan(&n); err != nil {
		return false, fmt.Errorf("chat blocked: %w", err)
	}
	return n > 0, nil
}

// ReporterLinked reports whether a report's reporter kept a link to their chat, without
// opening it.
func (tx *Tx) ReporterLinked(reportID int64) (bool, error) {
	var n int
	if err := tx.queryRow(`SELECT COUNT(*) FROM reports WHERE id = ? AND reporter_sealed IS NOT NULL`, reportID).Scan(&n); err != nil {
		return false, fmt.Errorf("reporter linked: %w", err)
	}
	return n > 0, nil
}

// PruneCodeFailures deletes failed code attempts older than before: they only serve the
// per-chat limit, whose window has passed them, and a flood of fresh chats would otherwise grow
// the table without bound.
func (tx *Tx) PruneCodeFailures(before time.Time) error {
	if _, err := tx.exec(`DELETE FROM code_attempts WHERE at < ?`, before.Unix()); err != nil {
		return fmt.Errorf("prune code attempts: %w", err)
	}
	return nil
}
