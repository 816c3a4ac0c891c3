package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"
)

// Report statuses shown to residents.
const (
	StatusReceived = "received" // 已登记
)

// Report sources.
const (
	SourceResident = "resident"
	SourceCheckin  = "checkin" // filed by an information officer on a resident's behalf
)

// Report is a complaint or report (投诉举报). The reporter's chat and contact are write-only
// here: they are sealed on insert and never loaded into this struct.
type Report struct {
	ID          int64
	Category    string
	TownshipID  int64
	VillageID   int64
	PlaceText   string // free-text place when no listed township/village fits
	Subject     string // the person or unit the report concerns
	Description string
	WhenText    string
	Anonymous   bool
	FiledBy     int64 // the officer who filed it at a check-in, or 0
	Source      string
	Lang        string
	Status      string
	CreatedAt   time.Time
	UpdatedAt   time.Time

	// Sealed on insert; never read back into a Report.
	ReporterChat int64    // 0: the reporter keeps no link and follows by query code only
	Contact      *Contact // nil for an anonymous report
}

// Contact is a real-name reporter's name and phone.
type Contact struct {
	Name  string `json:"name"`
	Phone string `json:"phone"`
}

// Attachment names a stored blob attached to a report or to one of its events.
type Attachment struct {
	SHA256 string `json:"sha256"`
	Name   string `json:"name,omitempty"`
	MIME   string `json:"mime,omitempty"`
	Size   int64  `json:"size,omitempty"`
}

// Event is one line of a report's timeline.
type Event struct {
	ID        int64
	Kind      string
	Body      string
	Public    bool
	CreatedAt time.Time
}

// QueryCodeDigits is the length of a query code (查询码).
const QueryCodeDigits = 16

// NormalizeQueryCode strips spaces and dashes from a typed code and reports whether what is left
// is a well-formed code.
func NormalizeQueryCode(s string) (string, bool) {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r >= '０' && r <= '９': // full-width digits from a Chinese input method
			b.WriteRune('0' + (r - '０'))
		case r == ' ' || r == '-' || r == '\u3000':
		default:
			return "", false
		}
	}
	code := b.String()
	return code, len(code) == QueryCodeDigits
}

// FormatQueryCode groups a code in fours: "1234 5678 9012 3456".
func FormatQueryCode(code string) string {
	var parts []string
	for i := 0; i < len(code); i += 4 {
		parts = append(parts, code[i:min(i+4, len(code))])
	}
	return strings.Join(parts, " ")
}

func newQueryCode() (string, error) {
	// 10^15 .. 10^16-1: sixteen digits with no leading zero, about 53 bits of chance.
	lo := new(big.Int).Exp(big.NewInt(10), big.NewInt(QueryCodeDigits-1), nil)
	span := new(big.Int).Sub(new(big.Int).Mul(lo, big.NewInt(10)), lo)
	n, err := rand.Int(rand.Reader, span)
	if err != nil {
		return "", fmt.Errorf("random: %w", err)
	}
	return n.Add(n, lo).String(), nil
}

// CreateReport stores r with its attachments and a first public "received" event, and returns
// the query code. Only the code's hash is stored.
func (tx *Tx) CreateReport(r *Report, attachments []Attachment) (string, error) {
	var reporter, contact []byte
	if r.ReporterChat != 0 {
		reporter = tx.keys.seal("reporter", []byte(strconv.FormatInt(r.ReporterChat, 10)))
	}
	if r.Contact != nil {
		b, err := json.Marshal(r.Contact)
		if err != nil {
			return "", fmt.Errorf("marshal contact: %w", err)
		}
		contact = tx.keys.seal("contact", b)
	}
	if r.Status == "" {
		r.Status = StatusReceived
	}
	if r.Source == "" {
		r.Source = SourceResident
	}
	r.CreatedAt, r.UpdatedAt = tx.now, tx.now
	for attempt := 0; ; attempt++ {
		code, err := newQueryCode()
		if err != nil {
			return "", err
		}
		res, err := tx.exec(`INSERT INTO reports (query_hash, category, township_id, village_id, place_text, subject, description,
			when_text, anonymous, reporter_sealed, contact_sealed, filed_by, source, lang, status, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (query_hash) DO NOTHING`,
			tx.keys.hash("query", code), r.Category, nullInt(r.TownshipID), nullInt(r.VillageID), r.PlaceText, r.Subject,
			r.Description, r.WhenText, r.Anonymous, reporter, contact, nullInt(r.FiledBy), r.Source, r.Lang, r.Status,
			tx.now.Unix(), tx.now.Unix())
		if err != nil {
			return "", fmt.Errorf("insert report: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			if attempt > 5 {
				return "", errors.New("insert report: no free query code")
			}
			continue // a code collision, astronomically rare: draw again
		}
		r.ID, _ = res.LastInsertId()
		if _, err := tx.AddReportEvent(r.ID, "received", "", true, attachments); err != nil {
			return "", err
		}
		return code, nil
	}
}

// AddReportEvent appends to a report's timeline, with attachments if any.
func (tx *Tx) AddReportEvent(reportID int64, kind, body string, public bool, attachments []Attachment) (int64, error) {
	res, err := tx.exec(`INSERT INTO report_events (report_id, kind, body, public, created_at) VALUES (?, ?, ?, ?, ?)`,
		reportID, kind, body, public, tx.now.Unix())
	if err != nil {
		return 0, fmt.Errorf("insert report event: %w", err)
	}
	id, _ := res.LastInsertId()
	for _, a := range attachments {
		if _, err := tx.exec(`INSERT INTO report_attachments (report_id, event_id, sha256, name) VALUES (?, ?, ?, ?)`,
			reportID, id, a.SHA256, a.Name); err != nil {
			return 0, fmt.Errorf("insert attachment: %w", err)
		}
	}
	if _, err := tx.exec(`UPDATE reports SET updated_at = ? WHERE id = ?`, tx.now.Unix(), reportID); err != nil {
		return 0, fmt.Errorf("touch report: %w", err)
	}
	return id, nil
}

const reportColumns = `id, category, IFNULL(township_id, 0), IFNULL(village_id, 0), place_text, subject, description, when_text,
	anonymous, IFNULL(filed_by, 0), source, lang, status, created_at, updated_at`

func scanReport(row scanner) (*Report, error) {
	r := &Report{}
	err := row.Scan(&r.ID, &r.Category, &r.TownshipID, &r.VillageID, &r.PlaceText, &r.Subject, &r.Description, &r.WhenText,
		&r.Anonymous, &r.FiledBy, &r.Source, &r.Lang, &r.Status, unix(&r.CreatedAt), unix(&r.UpdatedAt))
	if err != nil {
		return nil, rowErr("scan report", err)
	}
	return r, nil
}

// FindReportByCode returns the report of a normalized query code.
func (tx *Tx) FindReportByCode(code string) (*Report, error) {
	return scanReport(tx.queryRow(`SELECT `+reportColumns+` FROM reports WHERE query_hash = ?`, tx.keys.hash("query", code)))
}

// FindReport returns a report by id.
func (tx *Tx) FindReport(id int64) (*Report, error) {
	return scanReport(tx.queryRow(`SELECT `+reportColumns+` FROM reports WHERE id = ?`, id))
}

// ReportEvents returns a report's timeline, oldest first; publicOnly keeps what a resident may see.
func (tx *Tx) ReportEvents(reportID int64, publicOnly bool) ([]Event, error) {
	rows, err := tx.query(`SELECT id, kind, body, public, created_at FROM report_events
		WHERE report_id = ? AND (public = 1 OR ? = 0) ORDER BY id`, reportID, publicOnly)
	return collect("report events", rows, err, func(rows *sql.Rows, e *Event) error {
		return rows.Scan(&e.ID, &e.Kind, &e.Body, &e.Public, unix(&e.CreatedAt))
	})
}

// CountReportAttachments counts the files attached to a report.
func (tx *Tx) CountReportAttachments(reportID int64) (int, error) {
	var n int
	if err := tx.queryRow(`SELECT COUNT(*) FROM report_attachments WHERE report_id = ?`, reportID).Scan(&n); err != nil {
		return 0, fmt.Errorf("count attachments: %w", err)
	}
	return n, nil
}

// ReporterChat opens the sealed link from a report to its reporter's chat. Only delivery code
// (replies to the reporter) calls it. It returns ErrNotFound when the reporter kept no link.
func (db *DB) ReporterChat(ctx context.Context, reportID int64) (int64, error) {
	var sealed []byte
	err := db.queryRow(ctx, `SELECT reporter_sealed FROM reports WHERE id = ?`, reportID).Scan(&sealed)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && sealed == nil) {
		return 0, ErrNotFound
	}
	if err != nil {
		return 0, fmt.Errorf("reporter chat: %w", err)
	}
	return db.keys.openReporter(sealed)
}

// openReporter opens a report's sealed link to its reporter's chat.
func (k *keys) openReporter(sealed []byte) (int64, error) {
	plain, err := k.open("reporter", sealed)
	if err != nil {
		return 0, fmt.Errorf("reporter chat: %w", err)
	}
	id, err := strconv.ParseInt(string(plain), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("reporter chat: %w", err)
	}
	return id, nil
}

// PutBlob stores data under its SHA-256 and returns the hex digest. Storing the same bytes
// twice keeps one copy.
func (tx *Tx) PutBlob(data []byte, mime string) (string, error) {
	sum := sha256.Sum256(data)
	h := hex.EncodeToString(sum[:])
	if _, err := tx.exec(`INSERT INTO blobs (sha256, mime, size, data, created_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (sha256) DO NOTHING`, h, mime, len(data), data, tx.now.Unix()); err != nil {
		return "", fmt.Errorf("put blob: %w", err)
	}
	return h, nil
}

// Blob returns stored bytes and their MIME type.
func (db *DB) Blob(ctx context.Context, sha string) ([]byte, string, error) {
	var data []byte
	var mime string
	err := db.queryRow(ctx, `SELECT data, mime FROM blobs WHERE sha256 = ?`, sha).Scan(&data, &mime)
	if err != nil {
		return nil, "", rowErr("blob", err)
	}
	return data, mime, nil
}
