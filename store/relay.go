package store

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Report statuses a resident sees as their report moves through the ledger.
const (
	StatusAccepted    = "accepted"
	StatusTransferred = "transferred"
	StatusConcluded   = "concluded"
)

// SetReportStatus moves a report to status and adds the matching public event to its timeline,
// which is all a query-code holder sees. It reports whether anything changed, so that a
// milestone is announced once.
func (tx *Tx) SetReportStatus(reportID int64, status string) (bool, error) {
	res, err := tx.exec(`UPDATE reports SET status = ?, updated_at = ? WHERE id = ? AND status <> ?`,
		status, tx.now.Unix(), reportID, status)
	if err != nil {
		return false, fmt.Errorf("set report status: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return false, nil
	}
	if _, err := tx.AddReportEvent(reportID, status, "", true, nil); err != nil {
		return false, err
	}
	return true, nil
}

// reporterChat opens the sealed link from a report to its reporter's chat inside the
// transaction; 0 when the reporter kept no link. It is unexported so that the chat id never
// leaves the store: callers can only send to it (EnqueueToReporter) or compare (IsReporterChat).
func (tx *Tx) reporterChat(reportID int64) (int64, error) {
	var sealed []byte
	err := tx.queryRow(`SELECT reporter_sealed FROM reports WHERE id = ?`, reportID).Scan(&sealed)
	if err != nil {
		return 0, rowErr("reporter chat", err)
	}
	if sealed == nil {
		return 0, nil
	}
	return tx.keys.openReporter(sealed)
}

// EnqueueToReporter queues msg to the chat of a report's reporter, through the sealed link, so
// that the code serving officials never holds the reporter's chat. It returns false when the
// reporter kept no link or the chat can no longer be reached. dedupeKey makes it idempotent.
func (tx *Tx) EnqueueToReporter(reportID int64, msg OutMessage, dedupeKey string) (bool, error) {
	chat, err := tx.reporterChat(reportID)
	if err != nil || chat == 0 {
		return false, err
	}
	var unreachable bool
	if err := tx.queryRow(`SELECT unreachable FROM chats WHERE id = ?`, chat).Scan(&unreachable); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return false, nil
		}
		return false, fmt.Errorf("reporter chat: %w", err)
	}
	if unreachable {
		return false, nil
	}
	msg.Resident = true // for the reporter, whatever role the chat holds now or later
	if _, err := tx.Enqueue(chat, msg, dedupeKey); err != nil {
		return false, err
	}
	return true, nil
}

// ReporterLang returns the language the reporter wrote in, for texts sent to them.
func (tx *Tx) ReporterLang(reportID int64) (string, error) {
	var lang string
	if err := tx.queryRow(`SELECT lang FROM reports WHERE id = ?`, reportID).Scan(&lang); err != nil {
		return "", rowErr("reporter lang", err)
	}
	return lang, nil
}

// IsReporterChat reports whether chatID is the chat that filed the report and kept the link.
func (tx *Tx) IsReporterChat(reportID, chatID int64) (bool, error) {
	chat, err := tx.reporterChat(reportID)
	if err != nil {
		return false, err
	}
	return chat != 0 && chat == chatID, nil
}

// ReporterContact opens a real-name reporter's name and phone. The caller must have checked
// the reader's entitlement and audit-logged the reveal with its reason in the same transaction.
func (tx *Tx) ReporterContact(reportID int64) (*Contact, error) {
	var sealed []byte
	err := tx.queryRow(`SELECT contact_sealed FROM reports WHERE id = ?`, reportID).Scan(&sealed)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && sealed == nil) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("reporter contact: %w", err)
	}
	plain, err := tx.keys.open("contact", sealed)
	if err != nil {
		return nil, fmt.Errorf("reporter contact: %w", err)
	}
	var c Contact
	if err := json.Unmarshal(plain, &c); err != nil {
		return nil, fmt.Errorf("reporter contact: %w", err)
	}
	return &c, nil
}

// Question is a question to a clue's reporter, relayed without either side learning who the
// other is.
type Question struct {
	ID         int64
	ClueID     int64
	AskedBy    int64
	RelayedBy  int64
	Body       string
	Answer     string
	CreatedAt  time.Time
	RelayedAt  time.Time
	AnsweredAt time.Time
}

// CreateQuestion stores a question; relayed is set when its author may send it on directly.
func (tx *Tx) CreateQuestion(q *Question, relayed bool) error {
	q.CreatedAt = tx.now
	var relayedBy, relayedAt any
	if relayed {
		q.RelayedBy, q.RelayedAt = q.AskedBy, tx.now
		relayedBy, relayedAt = q.AskedBy, tx.now.Unix()
	}
	return tx.insert(&q.ID, "insert question", `INSERT INTO clue_questions (clue_id, asked_by, relayed_by, body, created_at, relayed_at) VALUES (?, ?, ?, ?, ?, ?)`,
		q.ClueID, q.AskedBy, relayedBy, q.Body, tx.now.Unix(), relayedAt)
}

// RelayQuestion marks a question as sent on by an official; it returns false when it already was.
func (tx *Tx) RelayQuestion(id, personID int64) (bool, error) {
	res, err := tx.exec(`UPDATE clue_questions SET relayed_by = ?, relayed_at = ? WHERE id = ? AND relayed_at IS NULL`,
		personID, tx.now.Unix(), id)
	if err != nil {
		return false, fmt.Errorf("relay question: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// AnswerQuestion records the reporter's answer; it returns false when it was answered before.
func (tx *Tx) AnswerQuestion(id int64, answer string) (bool, error) {
	res, err := tx.exec(`UPDATE clue_questions SET answer = ?, answered_at = ? WHERE id = ? AND answered_at IS NULL AND relayed_at IS NOT NULL`,
		answer, tx.now.Unix(), id)
	if err != nil {
		return false, fmt.Errorf("answer question: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

const questionColumns = `id, clue_id, asked_by, IFNULL(relayed_by, 0), body, answer, created_at, relayed_at, answered_at`

func scanQuestion(row scanner) (*Question, error) {
	q := &Question{}
	err := row.Scan(&q.ID, &q.ClueID, &q.AskedBy, &q.RelayedBy, &q.Body, &q.Answer, unix(&q.CreatedAt), unixNull(&q.RelayedAt), unixNull(&q.AnsweredAt))
	if err != nil {
		return nil, rowErr("scan question", err)
	}
	return q, nil
}

// FindQuestion returns a question by id.
func (tx *Tx) FindQuestion(id int64) (*Question, error) {
	return scanQuestion(tx.queryRow(`SELECT `+questionColumns+` FROM clue_questions WHERE id = ?`, id))
}

// PendingQuestions returns the relayed, unanswered questions about a report, for its
// query-code holder.
func (tx *Tx) PendingQuestions(reportID int64) ([]*Question, error) {
	rows, err := tx.query(`SELECT `+questionColumns+` FROM clue_questions WHERE clue_id IN (SELECT id FROM clues WHERE report_id = ?)
		AND relayed_at IS NOT NULL AND answered_at IS NULL ORDER BY id`, reportID)
	return records("pending questions", rows, err, scanQuestion)
}
