package store

import (
	"database/sql"
	"fmt"
	"time"
)

// Pre-inspection briefings (巡前通报): requests to departments and their answers.

// BriefingRequest asks a department (unit) for what it knows about a round's organisations.
type BriefingRequest struct {
	ID       int64
	RoundID  int64
	Round    string
	Unit     string
	DueAt    time.Time
	AskedAt  time.Time
	NudgedAt time.Time
	DoneAt   time.Time
}

// Briefing is one piece of a department's answer about one organisation.
type Briefing struct {
	ID        int64
	RequestID int64
	Unit      string
	Org       string
	Body      string
	FileSHA   string
	FileName  string
	PersonID  int64
	At        time.Time
}

// RequestBriefings asks each unit once per round (asking again changes nothing).
func (tx *Tx) RequestBriefings(roundID int64, units []string, due time.Time) error {
	for _, u := range units {
		if _, err := tx.exec(`INSERT OR IGNORE INTO briefing_requests (round_id, unit, due_at) VALUES (?, ?, ?)`,
			roundID, u, due.Unix()); err != nil {
			return fmt.Errorf("request briefing: %w", err)
		}
	}
	return nil
}

func (tx *Tx) briefingRequests(where string, args ...any) ([]BriefingRequest, error) {
	rows, err := tx.query(`SELECT b.id, b.round_id, r.name, b.unit, b.due_at, b.asked_at, b.nudged_at, b.done_at
		FROM briefing_requests b JOIN ledger_rounds r ON r.id = b.round_id WHERE `+where+` ORDER BY b.id`, args...)
	return collect("briefing requests", rows, err, func(rows *sql.Rows, b *BriefingRequest) error {
		return rows.Scan(&b.ID, &b.RoundID, &b.Round, &b.Unit, unix(&b.DueAt), unixNull(&b.AskedAt), unixNull(&b.NudgedAt), unixNull(&b.DoneAt))
	})
}

// BriefingRequests lists a round's requests.
func (tx *Tx) BriefingRequests(roundID int64) ([]BriefingRequest, error) {
	return tx.briefingRequests(`b.round_id = ?`, roundID)
}

// OpenBriefingRequests lists the unanswered requests of the units named.
func (tx *Tx) OpenBriefingRequests(units ...string) ([]BriefingRequest, error) {
	if len(units) == 0 {
		return nil, nil
	}
	args := make([]any, len(units))
	for i, u := range units {
		args[i] = u
	}
	return tx.briefingRequests(`b.done_at IS NULL AND b.unit IN (`+inList(len(units))+`)`, args...)
}

// FindBriefingRequest returns a request by id.
func (tx *Tx) FindBriefingRequest(id int64) (*BriefingRequest, error) {
	return first(tx.briefingRequests(`b.id = ?`, id))
}

// DueBriefingRequests lists the requests still to ask, and the unanswered ones past their
// deadline and not yet nudged.
func (tx *Tx) DueBriefingRequests(now time.Time) ([]BriefingRequest, error) {
	return tx.briefingRequests(`b.asked_at IS NULL OR (b.done_at IS NULL AND b.nudged_at IS NULL AND b.due_at <= ?)`, now.Unix())
}

// MarkBriefingRequest records a stage of a request: "asked", "nudged" or "done".
func (tx *Tx) MarkBriefingRequest(id int64, stage string) error {
	return tx.markOnce("mark briefing", "briefing_requests", map[string]string{"asked": "asked_at", "nudged": "nudged_at", "done": "done_at"}, stage, id)
}

// AddBriefing stores a piece of a briefing.
func (tx *Tx) AddBriefing(b *Briefing) error {
	b.At = tx.now
	return tx.insert(&b.ID, "add briefing", `INSERT INTO briefings (request_id, org, body, file_sha, file_name, person_id, at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		b.RequestID, b.Org, b.Body, nullString(b.FileSHA), b.FileName, nullInt(b.PersonID), tx.now.Unix())
}

// Briefings lists the briefings of a round, by organisation then time.
func (tx *Tx) Briefings(roundID int64) ([]Briefing, error) {
	rows, err := tx.query(`SELECT b.id, b.request_id, q.unit, b.org, b.body, IFNULL(b.file_sha, ''), b.file_name, IFNULL(b.person_id, 0), b.at
		FROM briefings b JOIN briefing_requests q ON q.id = b.request_id WHERE q.round_id = ? ORDER BY b.org, b.id`, roundID)
	return collect("briefings", rows, err, func(rows *sql.Rows, b *Briefing) error {
		return rows.Scan(&b.ID, &b.RequestID, &b.Unit, &b.Org, &b.Body, &b.FileSHA, &b.FileName, &b.PersonID, unix(&b.At))
	})
}
