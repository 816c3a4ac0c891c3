package store

import (
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Pre-inspection briefings, meetings, rectification and the talent pool of a round.

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
	if err != nil {
		return nil, fmt.Errorf("briefing requests: %w", err)
	}
	defer rows.Close()
	var out []BriefingRequest
	for rows.Next() {
		var b BriefingRequest
		var due int64
		var asked, nudged, done sql.NullInt64
		if err := rows.Scan(&b.ID, &b.RoundID, &b.Round, &b.Unit, &due, &asked, &nudged, &done); err != nil {
			return nil, fmt.Errorf("briefing requests: %w", err)
		}
		b.DueAt = time.Unix(due, 0).UTC()
		b.AskedAt, b.NudgedAt, b.DoneAt = unixOrZero(asked), unixOrZero(nudged), unixOrZero(done)
		out = append(out, b)
	}
	return out, rows.Err()
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
	out, err := tx.briefingRequests(`b.id = ?`, id)
	if err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, ErrNotFound
	}
	return &out[0], nil
}

// DueBriefingRequests lists the requests still to ask, and the unanswered ones past their
// deadline and not yet nudged.
func (tx *Tx) DueBriefingRequests(now time.Time) ([]BriefingRequest, error) {
	return tx.briefingRequests(`b.asked_at IS NULL OR (b.done_at IS NULL AND b.nudged_at IS NULL AND b.due_at <= ?)`, now.Unix())
}

// MarkBriefingRequest records a stage of a request: "asked", "nudged" or "done".
func (tx *Tx) MarkBriefingRequest(id int64, stage string) error {
	col := map[string]string{"asked": "asked_at", "nudged": "nudged_at", "done": "done_at"}[stage]
	if col == "" {
		return fmt.Errorf("mark briefing: unknown stage %q", stage)
	}
	if _, err := tx.exec(`UPDATE briefing_requests SET `+col+` = ? WHERE id = ? AND `+col+` IS NULL`, tx.now.Unix(), id); err != nil {
		return fmt.Errorf("mark briefing: %w", err)
	}
	return nil
}

// AddBriefing stores a piece of a briefing.
func (tx *Tx) AddBriefing(b *Briefing) error {
	b.At = tx.now
	res, err := tx.exec(`INSERT INTO briefings (request_id, org, body, file_sha, file_name, person_id, at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		b.RequestID, b.Org, b.Body, nullString(b.FileSHA), b.FileName, nullInt(b.PersonID), tx.now.Unix())
	if err != nil {
		return fmt.Errorf("add briefing: %w", err)
	}
	b.ID, _ = res.LastInsertId()
	return nil
}

// Briefings lists the briefings of a round, by organisation then time.
func (tx *Tx) Briefings(roundID int64) ([]Briefing, error) {
	rows, err := tx.query(`SELECT b.id, b.request_id, q.unit, b.org, b.body, IFNULL(b.file_sha, ''), b.file_name, IFNULL(b.person_id, 0), b.at
		FROM briefings b JOIN briefing_requests q ON q.id = b.request_id WHERE q.round_id = ? ORDER BY b.org, b.id`, roundID)
	if err != nil {
		return nil, fmt.Errorf("briefings: %w", err)
	}
	defer rows.Close()
	var out []Briefing
	for rows.Next() {
		var b Briefing
		var at int64
		if err := rows.Scan(&b.ID, &b.RequestID, &b.Unit, &b.Org, &b.Body, &b.FileSHA, &b.FileName, &b.PersonID, &at); err != nil {
			return nil, fmt.Errorf("briefings: %w", err)
		}
		b.At = time.Unix(at, 0).UTC()
		out = append(out, b)
	}
	return out, rows.Err()
}

// BlobInfo returns a stored file's type and size.
func (tx *Tx) BlobInfo(sha string) (mime string, size int64, err error) {
	err = tx.queryRow(`SELECT mime, size FROM blobs WHERE sha256 = ?`, sha).Scan(&mime, &size)
	if errors.Is(err, sql.ErrNoRows) {
		return "", 0, ErrNotFound
	}
	if err != nil {
		return "", 0, fmt.Errorf("blob info: %w", err)
	}
	return mime, size, nil
}

func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

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
	res, err := tx.exec(`INSERT INTO meetings (round_id, kind, at, place) VALUES (?, ?, ?, ?)`, m.RoundID, m.Kind, m.At.Unix(), m.Place)
	if err != nil {
		return fmt.Errorf("create meeting: %w", err)
	}
	m.ID, _ = res.LastInsertId()
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
	if err != nil {
		return nil, fmt.Errorf("meetings: %w", err)
	}
	defer rows.Close()
	var out []Meeting
	for rows.Next() {
		var m Meeting
		var at int64
		var n, r, h sql.NullInt64
		if err := rows.Scan(&m.ID, &m.RoundID, &m.Round, &m.Kind, &at, &m.Place, &n, &r, &h); err != nil {
			return nil, fmt.Errorf("meetings: %w", err)
		}
		m.At = time.Unix(at, 0).UTC()
		m.NotifiedAt, m.RemindedAt, m.HandedAt = unixOrZero(n), unixOrZero(r), unixOrZero(h)
		out = append(out, m)
	}
	return out, rows.Err()
}

// FindMeeting returns a meeting by id.
func (tx *Tx) FindMeeting(id int64) (*Meeting, error) {
	out, err := tx.meetings(`m.id = ?`, id)
	if err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, ErrNotFound
	}
	return &out[0], nil
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
	col := map[string]string{"notified": "notified_at", "reminded": "reminded_at"}[stage]
	if col == "" {
		return fmt.Errorf("mark meeting: unknown stage %q", stage)
	}
	if _, err := tx.exec(`UPDATE meetings SET `+col+` = ? WHERE id = ? AND `+col+` IS NULL`, tx.now.Unix(), id); err != nil {
		return fmt.Errorf("mark meeting: %w", err)
	}
	return nil
}

// MeetingAttendees lists a meeting's attendees.
func (tx *Tx) MeetingAttendees(id int64) ([]Attendee, error) {
	rows, err := tx.query(`SELECT a.person_id, p.role, p.unit, a.confirmed_at FROM meeting_attendees a
		JOIN people p ON p.id = a.person_id WHERE a.meeting_id = ? ORDER BY a.person_id`, id)
	if err != nil {
		return nil, fmt.Errorf("attendees: %w", err)
	}
	defer rows.Close()
	var out []Attendee
	for rows.Next() {
		var a Attendee
		var c sql.NullInt64
		if err := rows.Scan(&a.PersonID, &a.Role, &a.Unit, &c); err != nil {
			return nil, fmt.Errorf("attendees: %w", err)
		}
		a.ConfirmedAt = unixOrZero(c)
		out = append(out, a)
	}
	return out, rows.Err()
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

// Rectification kinds and statuses.
const (
	RectTask       = "task"       // 整改任务 of the inspected organisation
	RectSuggestion = "suggestion" // 整改建议书 to another department
)

// RectItem is a rectification task or suggestion.
type RectItem struct {
	ID          int64
	RoundID     int64
	Kind        string
	Unit        string
	Title       string
	PlanDueAt   time.Time
	DueAt       time.Time
	Status      string // open, planned, done
	SentAt      time.Time
	EscalatedAt time.Time
	CreatedAt   time.Time
	// PlanRemindedAt and DueRemindedAt: when the unit was reminded of the plan's deadline and
	// of the end of the period (zero: not yet).
	PlanRemindedAt, DueRemindedAt time.Time
}

// RectEvent is a step of a rectification: plan, progress, visit, perfunctory, escalated, done.
type RectEvent struct {
	ID       int64
	TaskID   int64
	Kind     string
	Body     string
	FileSHA  string
	FileName string
	PersonID int64
	At       time.Time
}

// CreateRectItem stores a task or suggestion.
func (tx *Tx) CreateRectItem(r *RectItem) error {
	if r.Kind != RectTask && r.Kind != RectSuggestion {
		return fmt.Errorf("create rectification: unknown kind %q", r.Kind)
	}
	r.Status, r.CreatedAt = "open", tx.now
	res, err := tx.exec(`INSERT INTO rect_tasks (round_id, kind, unit, title, plan_due_at, due_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		r.RoundID, r.Kind, r.Unit, r.Title, r.PlanDueAt.Unix(), r.DueAt.Unix(), tx.now.Unix())
	if err != nil {
		return fmt.Errorf("create rectification: %w", err)
	}
	r.ID, _ = res.LastInsertId()
	return nil
}

func (tx *Tx) rectItems(where string, args ...any) ([]RectItem, error) {
	rows, err := tx.query(`SELECT id, round_id, kind, unit, title, plan_due_at, due_at, status, sent_at, escalated_at, created_at,
		plan_reminded_at, due_reminded_at
		FROM rect_tasks WHERE `+where+` ORDER BY id`, args...)
	if err != nil {
		return nil, fmt.Errorf("rectification: %w", err)
	}
	defer rows.Close()
	var out []RectItem
	for rows.Next() {
		var r RectItem
		var plan, due, created int64
		var sent, esc, planRem, dueRem sql.NullInt64
		if err := rows.Scan(&r.ID, &r.RoundID, &r.Kind, &r.Unit, &r.Title, &plan, &due, &r.Status, &sent, &esc, &created,
			&planRem, &dueRem); err != nil {
			return nil, fmt.Errorf("rectification: %w", err)
		}
		r.PlanDueAt, r.DueAt, r.CreatedAt = time.Unix(plan, 0).UTC(), time.Unix(due, 0).UTC(), time.Unix(created, 0).UTC()
		r.SentAt, r.EscalatedAt = unixOrZero(sent), unixOrZero(esc)
		r.PlanRemindedAt, r.DueRemindedAt = unixOrZero(planRem), unixOrZero(dueRem)
		out = append(out, r)
	}
	return out, rows.Err()
}

// FindRectItem returns a task or suggestion by id.
func (tx *Tx) FindRectItem(id int64) (*RectItem, error) {
	out, err := tx.rectItems(`id = ?`, id)
	if err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, ErrNotFound
	}
	return &out[0], nil
}

// RectItems lists the tasks and suggestions of the units named, or all with no unit.
func (tx *Tx) RectItems(units ...string) ([]RectItem, error) {
	if len(units) == 0 {
		return tx.rectItems(`1`)
	}
	args := make([]any, len(units))
	for i, u := range units {
		args[i] = u
	}
	return tx.rectItems(`unit IN (`+inList(len(units))+`)`, args...)
}

// DueRectItems lists the items whose guidance is not yet sent; the unfinished ones not yet
// escalated whose plan or period is overdue; and the unfinished ones, guidance sent, whose
// plan or period ends within remind from now and whose unit was not yet reminded of it.
func (tx *Tx) DueRectItems(now time.Time, remind time.Duration) ([]RectItem, error) {
	n, soon := now.Unix(), now.Add(remind).Unix()
	return tx.rectItems(`sent_at IS NULL OR (status <> 'done' AND (
		(escalated_at IS NULL AND ((status = 'open' AND plan_due_at <= ?1) OR due_at <= ?1))
		OR (status = 'open' AND plan_reminded_at IS NULL AND plan_due_at > ?1 AND plan_due_at <= ?2)
		OR (due_reminded_at IS NULL AND due_at > ?1 AND due_at <= ?2)))`, n, soon)
}

// MarkRectItem records a stage: "sent", "escalated", "plan-reminded" or "due-reminded".
func (tx *Tx) MarkRectItem(id int64, stage string) error {
	col := map[string]string{"sent": "sent_at", "escalated": "escalated_at",
		"plan-reminded": "plan_reminded_at", "due-reminded": "due_reminded_at"}[stage]
	if col == "" {
		return fmt.Errorf("mark rectification: unknown stage %q", stage)
	}
	if _, err := tx.exec(`UPDATE rect_tasks SET `+col+` = ? WHERE id = ? AND `+col+` IS NULL`, tx.now.Unix(), id); err != nil {
		return fmt.Errorf("mark rectification: %w", err)
	}
	return nil
}

// AddRectEvent records a step; a plan moves an open item to planned, done closes it.
func (tx *Tx) AddRectEvent(e *RectEvent) error {
	e.At = tx.now
	res, err := tx.exec(`INSERT INTO rect_events (task_id, kind, body, file_sha, file_name, person_id, at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		e.TaskID, e.Kind, e.Body, nullString(e.FileSHA), e.FileName, nullInt(e.PersonID), tx.now.Unix())
	if err != nil {
		return fmt.Errorf("rectification event: %w", err)
	}
	e.ID, _ = res.LastInsertId()
	switch e.Kind {
	case "plan":
		_, err = tx.exec(`UPDATE rect_tasks SET status = 'planned' WHERE id = ? AND status = 'open'`, e.TaskID)
	case "done":
		_, err = tx.exec(`UPDATE rect_tasks SET status = 'done' WHERE id = ?`, e.TaskID)
	}
	if err != nil {
		return fmt.Errorf("rectification status: %w", err)
	}
	return nil
}

// RectEvents lists an item's steps, oldest first.
func (tx *Tx) RectEvents(taskID int64) ([]RectEvent, error) {
	rows, err := tx.query(`SELECT id, task_id, kind, body, IFNULL(file_sha, ''), file_name, IFNULL(person_id, 0), at
		FROM rect_events WHERE task_id = ? ORDER BY id`, taskID)
	if err != nil {
		return nil, fmt.Errorf("rectification events: %w", err)
	}
	defer rows.Close()
	var out []RectEvent
	for rows.Next() {
		var e RectEvent
		var at int64
		if err := rows.Scan(&e.ID, &e.TaskID, &e.Kind, &e.Body, &e.FileSHA, &e.FileName, &e.PersonID, &at); err != nil {
			return nil, fmt.Errorf("rectification events: %w", err)
		}
		e.At = time.Unix(at, 0).UTC()
		out = append(out, e)
	}
	return out, rows.Err()
}

// Talent is a specialist of the talent pool.
type Talent struct {
	ID    int64
	Name  string
	Field string
	Unit  string
	// Busy names the round the specialist is assigned to at the time asked, if any.
	Busy string
}

// AddTalent stores a specialist.
func (tx *Tx) AddTalent(t *Talent) error {
	res, err := tx.exec(`INSERT INTO talents (name, field, unit, created_at) VALUES (?, ?, ?, ?)`, t.Name, t.Field, t.Unit, tx.now.Unix())
	if err != nil {
		return fmt.Errorf("add talent: %w", err)
	}
	t.ID, _ = res.LastInsertId()
	return nil
}

// Talents lists the specialists of a field (all with field empty), each with the round that
// keeps them busy at t; onlyFree leaves the busy ones out.
func (tx *Tx) Talents(field string, t time.Time, onlyFree bool) ([]Talent, error) {
	q := `SELECT s.id, s.name, s.field, s.unit, IFNULL((SELECT r.name FROM talent_assignments a
		JOIN ledger_rounds r ON r.id = a.round_id WHERE a.talent_id = s.id AND r.starts_at <= ? AND r.ends_at > ?
		ORDER BY r.starts_at LIMIT 1), '') FROM talents s`
	args := []any{t.Unix(), t.Unix()}
	if field != "" {
		q, args = q+` WHERE s.field = ?`, append(args, field)
	}
	rows, err := tx.query(q+` ORDER BY s.field, s.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("talents: %w", err)
	}
	defer rows.Close()
	var out []Talent
	for rows.Next() {
		var s Talent
		if err := rows.Scan(&s.ID, &s.Name, &s.Field, &s.Unit, &s.Busy); err != nil {
			return nil, fmt.Errorf("talents: %w", err)
		}
		if onlyFree && s.Busy != "" {
			continue
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// AssignTalent puts a specialist in a group of a round (group may be empty).
func (tx *Tx) AssignTalent(talentID, roundID int64, group string) error {
	var gid any
	if group != "" {
		var id int64
		err := tx.queryRow(`SELECT id FROM round_groups WHERE round_id = ? AND name = ?`, roundID, group).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("assign talent: %w", err)
		}
		gid = id
	}
	if _, err := tx.exec(`INSERT INTO talent_assignments (talent_id, round_id, group_id) VALUES (?, ?, ?)
		ON CONFLICT (talent_id, round_id) DO UPDATE SET group_id = excluded.group_id`, talentID, roundID, gid); err != nil {
		return fmt.Errorf("assign talent: %w", err)
	}
	return nil
}
