package store

import (
	"errors"
	"fmt"
	"time"
)

// What an office owes a real-name reporter after the acceptance notice (migration 0031): the
// result notice after closing, an answer to each objection, and the retaliation follow-ups.
// Each duty is a row with the time the scheduler next looks at it, so that the daily pass
// reads only what is due.

// Duty kinds.
const (
	DutyResult    = "result"    // 结果告知: the result, within 15 working days of closing
	DutyObjection = "objection" // 异议: the reporter objects; the office answers
	DutyFollowUp  = "followup"  // 回访: asked about retaliation 30, 90 and 180 days after closing
)

// FollowUpDays are the days after closing when a real-name reporter is asked whether they met
// retaliation (打击报复).
var FollowUpDays = []int{30, 90, 180}

// FollowUpAnswerDays: the retention purge keeps a reporter's link this long after a
// follow-up was due and unanswered, so that the answer can still come from their chat.
const FollowUpAnswerDays = 30

// Follow-up answers.
const (
	FollowUpNo  = "no"
	FollowUpYes = "yes"
)

// Duty is one thing owed to a real-name reporter about a clue.
type Duty struct {
	ID        int64
	ClueID    int64
	Kind      string
	Seq       int
	DueAt     time.Time
	NextAt    time.Time // zero: nothing more for the scheduler to do
	Stage     int
	Body      string
	Answer    string
	DoneAt    time.Time
	DoneBy    int64
	CreatedAt time.Time

	// Read with the duty by DutiesDue: the clue's number, report, township and keeper.
	ClueNumber string
	ReportID   int64
	TownshipID int64
	KeeperID   int64
}

const dutyColumns = `d.id, d.clue_id, d.kind, d.seq, d.due_at, d.next_at, d.stage, d.body, d.answer, d.done_at,
	IFNULL(d.done_by, 0), d.created_at, c.number, IFNULL(c.report_id, 0), IFNULL(c.township_id, 0), IFNULL(c.keeper_id, 0)`

const dutyFrom = ` FROM realname_duties d JOIN clues c ON c.id = d.clue_id`

func scanDuty(row scanner) (*Duty, error) {
	d := &Duty{}
	err := row.Scan(&d.ID, &d.ClueID, &d.Kind, &d.Seq, unix(&d.DueAt), unixNull(&d.NextAt), &d.Stage, &d.Body, &d.Answer, unixNull(&d.DoneAt), &d.DoneBy, unix(&d.CreatedAt),
		&d.ClueNumber, &d.ReportID, &d.TownshipID, &d.KeeperID)
	if err != nil {
		return nil, rowErr("scan duty", err)
	}
	return d, nil
}

func (tx *Tx) dutiesWhere(where string, args ...any) ([]*Duty, error) {
	rows, err := tx.query(`SELECT `+dutyColumns+dutyFrom+where, args...)
	return records("duties", rows, err, scanDuty)
}

// AddDuty records a duty; a duty of the same clue, kind and number recorded before is left as
// it was (closing a clue twice does not owe the reporter twice). It reports whether it added.
func (tx *Tx) AddDuty(d *Duty) (bool, error) {
	res, err := tx.exec(`INSERT INTO realname_duties (clue_id, kind, seq, due_at, next_at, body, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (clue_id, kind, seq) DO NOTHING`,
		d.ClueID, d.Kind, d.Seq, d.DueAt.Unix(), nullTime(d.NextAt), d.Body, tx.now.Unix())
	if err != nil {
		return false, fmt.Errorf("add duty: %w", err)
	}
	n, _ := res.RowsAffected()
	if n == 1 {
		d.ID, _ = res.LastInsertId()
		d.CreatedAt = tx.now
	}
	return n == 1, nil
}

// NextObjection returns the number the clue's next objection takes.
func (tx *Tx) NextObjection(clueID int64) (int, error) {
	var n int
	if err := tx.queryRow(`SELECT IFNULL(MAX(seq), 0) + 1 FROM realname_duties WHERE clue_id = ? AND kind = 'objection'`, clueID).Scan(&n); err != nil {
		return 0, fmt.Errorf("next objection: %w", err)
	}
	return n, nil
}

// DutiesDue returns up to limit duties whose next look is due at now, in the order they fell
// due: a walk of the index of next looks, as long as the work due.
func (tx *Tx) DutiesDue(now time.Time, limit int) ([]*Duty, error) {
	return tx.dutiesWhere(` WHERE d.next_at IS NOT NULL AND d.next_at <= ? ORDER BY d.next_at, d.id LIMIT ?`, now.Unix(), limit)
}

// SetDutyNext records the scheduler's step on a duty: the stage reached and when to look
// again (zero: never).
func (tx *Tx) SetDutyNext(id int64, stage int, next time.Time) error {
	if _, err := tx.exec(`UPDATE realname_duties SET stage = ?, next_at = ? WHERE id = ?`, stage, nullTime(next), id); err != nil {
		return fmt.Errorf("set duty next: %w", err)
	}
	return nil
}

// ErrDutyDone is returned when a duty was done before.
var ErrDutyDone = errors.New("duty already done")

// CompleteDuty marks a duty done by a person (0: the reporter) with an answer, and takes it off
// the scheduler's index; ErrDutyDone when it was done before.
func (tx *Tx) CompleteDuty(id, by int64, answer string) error {
	res, err := tx.exec(`UPDATE realname_duties SET done_at = ?, done_by = ?, answer = ?, next_at = NULL WHERE id = ? AND done_at IS NULL`,
		tx.now.Unix(), nullInt(by), answer, id)
	if err != nil {
		return fmt.Errorf("complete duty: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrDutyDone
	}
	return nil
}

// FindDuty returns a duty by id.
func (tx *Tx) FindDuty(id int64) (*Duty, error) {
	return scanDuty(tx.queryRow(`SELECT `+dutyColumns+dutyFrom+` WHERE d.id = ?`, id))
}

// ClueDuties returns a clue's duties, oldest first, for its card.
func (tx *Tx) ClueDuties(clueID int64) ([]*Duty, error) {
	return tx.dutiesWhere(` WHERE d.clue_id = ? ORDER BY d.id`, clueID)
}

// AskedFollowUps returns the follow-ups about a report that were asked (stage > 0) and not yet
// answered, for its query-code holder.
func (tx *Tx) AskedFollowUps(reportID int64) ([]*Duty, error) {
	return tx.dutiesWhere(` WHERE c.report_id = ? AND d.kind = 'followup' AND d.stage > 0 AND d.done_at IS NULL ORDER BY d.id`, reportID)
}

// FileFollowUpReport stores r as a new report by the reporter of report from: the sealed link
// to their chat and their sealed contact are copied as they are, so that the new report
// reaches the same chat and stays real-name without the code serving it ever opening either.
// It returns the new report's query code.
func (tx *Tx) FileFollowUpReport(from int64, r *Report) (string, error) {
	r.ReporterChat, r.Contact = 0, nil
	code, err := tx.CreateReport(r, nil)
	if err != nil {
		return "", err
	}
	if _, err := tx.exec(`UPDATE reports SET reporter_sealed = (SELECT reporter_sealed FROM reports WHERE id = ?1),
		contact_sealed = (SELECT contact_sealed FROM reports WHERE id = ?1) WHERE id = ?2`, from, r.ID); err != nil {
		return "", fmt.Errorf("follow-up report: %w", err)
	}
	return code, nil
}

// LinkClues links clue id to an earlier clue as its repeat, once.
func (tx *Tx) LinkClues(id, other int64) error {
	if _, err := tx.exec(`INSERT INTO clue_links (clue_id, other_id) SELECT ?1, ?2
		WHERE NOT EXISTS (SELECT 1 FROM clue_links WHERE (clue_id = ?1 AND other_id = ?2) OR (clue_id = ?2 AND other_id = ?1))`, id, other); err != nil {
		return fmt.Errorf("link clues: %w", err)
	}
	return nil
}
