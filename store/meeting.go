package store

import (
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Meeting kinds.
const (
	MeetingMobilisation = "mobilisation" // 动员部署会
	MeetingStage        = "stage"        // 阶段汇报会
	MeetingFeedback     = "feedback"     // 反馈会
)

// Meeting is a meeting of a round.
type Meeting struct {
	ID         int64
	RoundID    int64
	Round      string
	Kind       string
	At         time.Time
	Place      string
	NotifiedAt time.Time
	RemindedAt time.Time
	HandedAt   time.Time
}

// Attendee is a person asked to a meeting.
type Attendee struct {
	PersonID    int64
	Role        Role
	Unit        string
	ConfirmedAt time.Time
}

// CreateMeeting stores a meeting and its attendees.
func (tx *Tx) CreateMeeting(m *Meeting, attendees []int64) error {
	switch m.Kind {
	case MeetingMobilisation, MeetingStage, MeetingFeedback:
	default:
		return fmt.Errorf("create meeting: unknown kind %q", m.Kind)
	}
	if err := tx.insert(&m.ID, "create meeting", `INSERT INTO meetings (round_id, kind, at, place) VALUES (?, ?, ?, ?)`, m.RoundID, m.Kind, m.At.Unix(), m.Place); err != nil {
		return err
	}
	for _, p := range attendees {
		if _, err := tx.exec(`INSERT OR IGNORE INTO meeting_attendees (meeting_id, person_id) VALUES (?, ?)`, m.ID, p); err != nil {
			return fmt.Errorf("meeting attendee: %w", err)
		}
	}
	return nil
}

func (tx *Tx) meetings(where string, args ...any) ([]Meeting, error) {
	rows, err := tx.query(`SELECT m.id, m.round_id, r.name, m.kind, m.at, m.place, m.notified_at, m.reminded_at, m.handed_at
		FROM meetings m JOIN ledger_rounds r ON r.id = m.round_id WHERE `+where+` ORDER BY m.at, m.id`, args...)
	return collect("meetings", rows, err, func(rows *sql.Rows, m *Meeting) error {
		return rows.Scan(&m.ID, &m.RoundID, &m.Round, &m.Kind, unix(&m.At), &m.Place, unixNull(&m.NotifiedAt), unixNull(&m.RemindedAt), unixNull(&m.HandedAt))
	})
}

// FindMeeting returns a meeting by id.
func (tx *Tx) FindMeeting(id int64) (*Meeting, error) {
	return first(tx.meetings(`m.id = ?`, id))
}

// MeetingsOf lists the meetings a person is asked to, from since on.
func (tx *Tx) MeetingsOf(personID int64, since time.Time) ([]Meeting, error) {
	return tx.meetings(`m.at >= ? AND m.id IN (SELECT meeting_id FROM meeting_attendees WHERE person_id = ?)`, since.Unix(), personID)
}

// Meetings lists every meeting from since on.
func (tx *Tx) Meetings(since time.Time) ([]Meeting, error) {
	return tx.meetings(`m.at >= ?`, since.Unix())
}

// DueMeetings lists the meetings still to come with a notice or reminder not yet sent.
func (tx *Tx) DueMeetings(now time.Time) ([]Meeting, error) {
	return tx.meetings(`m.at > ? AND (m.notified_at IS NULL OR m.reminded_at IS NULL)`, now.Unix())
}

// MarkMeeting records a stage: "notified" or "reminded".
func (tx *Tx) MarkMeeting(id int64, stage string) error {
	return tx.markOnce("mark meeting", "meetings", map[string]string{"notified": "notified_at", "reminded": "reminded_at"}, stage, id)
}

// MeetingAttendees lists a meeting's attendees.
func (tx *Tx) MeetingAttendees(id int64) ([]Attendee, error) {
	rows, err := tx.query(`SELECT a.person_id, p.role, p.unit, a.confirmed_at FROM meeting_attendees a
		JOIN people p ON p.id = a.person_id WHERE a.meeting_id = ? ORDER BY a.person_id`, id)
	return collect("attendees", rows, err, func(rows *sql.Rows, a *Attendee) error {
		return rows.Scan(&a.PersonID, &a.Role, &a.Unit, unixNull(&a.ConfirmedAt))
	})
}

// ConfirmAttendance records that an attendee will come. It returns ErrNotFound for someone
// not asked to the meeting.
func (tx *Tx) ConfirmAttendance(meetingID, personID int64) error {
	res, err := tx.exec(`UPDATE meeting_attendees SET confirmed_at = IFNULL(confirmed_at, ?) WHERE meeting_id = ? AND person_id = ?`,
		tx.now.Unix(), meetingID, personID)
	if err != nil {
		return fmt.Errorf("confirm attendance: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// ErrAlreadyHanded: the feedback of this meeting was handed over before.
var ErrAlreadyHanded = errors.New("feedback already handed over")

// HandOverFeedback records that the feedback of a feedback meeting went to the commission and
// the organisation department.
func (tx *Tx) HandOverFeedback(meetingID, personID int64) error {
	res, err := tx.exec(`UPDATE meetings SET handed_at = ?, handed_by = ? WHERE id = ? AND kind = 'feedback' AND handed_at IS NULL`,
		tx.now.Unix(), nullInt(personID), meetingID)
	if err != nil {
		return fmt.Errorf("hand over: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrAlreadyHanded
	}
	return nil
}
