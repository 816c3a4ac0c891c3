package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"time"
)

// Desk sign-in errors. ErrDeskLinkInvalid covers unknown and forged links alike.
var (
	ErrDeskLinkInvalid = errors.New("desk link invalid")
	ErrDeskLinkUsed    = errors.New("desk link already used")
	ErrDeskLinkExpired = errors.New("desk link expired")
	// ErrDeskSession: no session for the token, or it ended, expired or went idle.
	ErrDeskSession = errors.New("desk session invalid")
)

// deskToken is 256 random bits, URL-safe.
func deskToken() (string, error) {
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", fmt.Errorf("random: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(raw), nil
}

// CreateDeskLink issues a one-time sign-in link token for a person, valid for ttl. Only its
// keyed hash is stored.
func (tx *Tx) CreateDeskLink(personID int64, ttl time.Duration) (string, error) {
	token, err := deskToken()
	if err != nil {
		return "", err
	}
	if _, err := tx.exec(`INSERT INTO desk_links (token_hash, person_id, created_at, expires_at) VALUES (?, ?, ?, ?)`,
		tx.keys.hash("desk.link", token), personID, tx.now.Unix(), tx.now.Add(ttl).Unix()); err != nil {
		return "", fmt.Errorf("insert desk link: %w", err)
	}
	return token, nil
}

// CreateDeskLink is CreateDeskLink in a transaction of its own, for the command line.
func (db *DB) CreateDeskLink(ctx context.Context, personID int64, ttl time.Duration) (string, error) {
	var token string
	err := db.Update(ctx, func(tx *Tx) error {
		var err error
		token, err = tx.CreateDeskLink(personID, ttl)
		return err
	})
	return token, err
}

// RedeemDeskLink uses a link token once and opens a session for its person, with an absolute
// lifetime. It returns the person and the session's token; a used, expired or unknown link
// returns the matching error and changes nothing.
func (tx *Tx) RedeemDeskLink(token string, lifetime time.Duration) (personID int64, session string, err error) {
	var (
		id, expires int64
		used        sql.NullInt64
	)
	err = tx.queryRow(`SELECT id, person_id, expires_at, used_at FROM desk_links WHERE token_hash = ?`,
		tx.keys.hash("desk.link", token)).Scan(&id, &personID, &expires, &used)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, "", ErrDeskLinkInvalid
	}
	if err != nil {
		return 0, "", fmt.Errorf("find desk link: %w", err)
	}
	switch {
	case used.Valid:
		return 0, "", ErrDeskLinkUsed
	case tx.now.Unix() >= expires:
		return 0, "", ErrDeskLinkExpired
	}
	// The condition on used_at makes a race between two redemptions of one link give one
	// session, whatever the isolation.
	res, err := tx.exec(`UPDATE desk_links SET used_at = ? WHERE id = ? AND used_at IS NULL`, tx.now.Unix(), id)
	if err != nil {
		return 0, "", fmt.Errorf("use desk link: %w", err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return 0, "", ErrDeskLinkUsed
	}
	if session, err = deskToken(); err != nil {
		return 0, "", err
	}
	if _, err := tx.exec(`INSERT INTO desk_sessions (token_hash, person_id, created_at, seen_at, expires_at) VALUES (?, ?, ?, ?, ?)`,
		tx.keys.hash("desk.session", session), personID, tx.now.Unix(), tx.now.Unix(), tx.now.Add(lifetime).Unix()); err != nil {
		return 0, "", fmt.Errorf("insert desk session: %w", err)
	}
	return personID, session, nil
}

// TouchDeskSession returns the person of a live session and marks it seen now. A session
// that ended, passed its absolute lifetime or was idle longer than idle is ended and returns
// ErrDeskSession. It does not look at the person's role: the caller re-reads the person on
// every request, so a role withdrawn closes the desk at once.
func (tx *Tx) TouchDeskSession(token string, idle time.Duration) (personID int64, err error) {
	var (
		id, seen, expires int64
		ended             sql.NullInt64
	)
	err = tx.queryRow(`SELECT id, person_id, seen_at, expires_at, ended_at FROM desk_sessions WHERE token_hash = ?`,
		tx.keys.hash("desk.session", token)).Scan(&id, &personID, &seen, &expires, &ended)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, ErrDeskSession
	}
	if err != nil {
		return 0, fmt.Errorf("find desk session: %w", err)
	}
	now := tx.now.Unix()
	if ended.Valid {
		return 0, ErrDeskSession
	}
	if now >= expires || now-seen >= int64(idle/time.Second) {
		if _, err := tx.exec(`UPDATE desk_sessions SET ended_at = ? WHERE id = ?`, now, id); err != nil {
			return 0, fmt.Errorf("end desk session: %w", err)
		}
		return 0, ErrDeskSession
	}
	if now != seen {
		if _, err := tx.exec(`UPDATE desk_sessions SET seen_at = ? WHERE id = ?`, now, id); err != nil {
			return 0, fmt.Errorf("touch desk session: %w", err)
		}
	}
	return personID, nil
}

// EndDeskSession signs a session out; an unknown or ended token changes nothing.
func (tx *Tx) EndDeskSession(token string) error {
	if _, err := tx.exec(`UPDATE desk_sessions SET ended_at = ? WHERE token_hash = ? AND ended_at IS NULL`,
		tx.now.Unix(), tx.keys.hash("desk.session", token)); err != nil {
		return fmt.Errorf("end desk session: %w", err)
	}
	return nil
}

// deskWhere adds the desk's filters to a WHERE clause.
func (f ClueFilter) deskWhere(where []string, args []any) ([]string, []any) {
	if f.Search != "" {
		cond, a := searchWhere(f.Search)
		where, args = append(where, cond), append(args, a...)
	}
	switch {
	case f.KeeperID == NoKeeper:
		where = append(where, "c.keeper_id IS NULL")
	case f.KeeperID != 0:
		where, args = append(where, "c.keeper_id = ?"), append(args, f.KeeperID)
	}
	if f.Disposal != "" {
		where, args = append(where, "c.disposal = ?"), append(args, f.Disposal)
	}
	if f.Form != 0 {
		where, args = append(where, "c.form = ?"), append(args, f.Form)
	}
	if f.Level != 0 {
		where = append(where, "c.status <> 'closed' AND "+currentLevel+" = ?")
		args = append(args, f.Level)
	}
	if !f.DueAfter.IsZero() {
		where, args = append(where, "c.due_at >= ?"), append(args, f.DueAfter.Unix())
	}
	if !f.Overdue.IsZero() {
		where, args = append(where, "c.status <> 'closed' AND c.due_at IS NOT NULL AND c.due_at < ?"), append(args, f.Overdue.Unix())
	}
	return where, args
}

// Ledger orders for LedgerPage.
var ledgerOrders = map[string]string{
	"received": "c.received_at %s, c.id %[1]s",
	"due":      "c.due_at IS NULL, c.due_at %s, c.id %[1]s",
	"updated":  "c.updated_at %s, c.id %[1]s",
	"number":   "c.id %s",
}

// ledgerOrder is the ORDER BY of a LedgerPage. When the filter holds only clues with a
// deadline, the deadline's order leaves out "due_at IS NULL" (always false there): that term
// kept SQLite from walking clues_township_due in its order, and it sorted a township's every
// overdue clue to show fifty.
func ledgerOrder(order string, f ClueFilter, desc bool) string {
	o, ok := ledgerOrders[order]
	if !ok {
		o = ledgerOrders["received"]
	}
	if order == "due" && (!f.Overdue.IsZero() || !f.DueBefore.IsZero() || !f.DueAfter.IsZero()) {
		o = "c.due_at %s, c.id %[1]s"
	}
	dir := "ASC"
	if desc {
		dir = "DESC"
	}
	return fmt.Sprintf(o, dir)
}

// LedgerOrders are the sort keys LedgerPage accepts.
func LedgerOrders() []string { return []string{"received", "due", "updated", "number"} }

// LedgerPage returns one page of the clues matching f in an order (a LedgerOrders key;
// anything else is "received"), newest or largest first when desc, and how many match in all.
func (tx *Tx) LedgerPage(f ClueFilter, order string, desc bool, offset, limit int) ([]*Clue, int, error) {
	count, args := ledgerCount(f)
	var total int
	if err := tx.queryRow(count, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count clues: %w", err)
	}
	if total == 0 {
		return nil, 0, nil
	}
	page, args := ledgerPageQuery(f, order, desc, total > SearchCountMax)
	clues, err := tx.cluesFrom(page, append(args, limit, offset)...)
	return clues, total, err
}

// ReportFile is a file a resident attached to a report or to a later supplement, as it was
// stored after cleaning.
type ReportFile struct {
	ID      int64
	EventID int64 // the report event it came with: "received" for the report, or a supplement
	SHA256  string
	Name    string
	MIME    string
	Size    int64
}

// ReportFiles lists a report's files in the order they came.
func (tx *Tx) ReportFiles(reportID int64) ([]ReportFile, error) {
	rows, err := tx.query(`SELECT a.id, IFNULL(a.event_id, 0), a.sha256, a.name, b.mime, b.size
		FROM report_attachments a JOIN blobs b ON b.sha256 = a.sha256 WHERE a.report_id = ? ORDER BY a.id`, reportID)
	return collect("report files", rows, err, func(rows *sql.Rows, f *ReportFile) error {
		return rows.Scan(&f.ID, &f.EventID, &f.SHA256, &f.Name, &f.MIME, &f.Size)
	})
}

// ReportFileData returns one file of a report with its bytes. A file id of another report
// is ErrNotFound: the caller checked who may see this report's clue, not any file's.
func (tx *Tx) ReportFileData(reportID, fileID int64) (ReportFile, []byte, error) {
	f := ReportFile{ID: fileID}
	var data []byte
	err := tx.queryRow(`SELECT IFNULL(a.event_id, 0), a.sha256, a.name, b.mime, b.size, b.data
		FROM report_attachments a JOIN blobs b ON b.sha256 = a.sha256 WHERE a.id = ? AND a.report_id = ?`, fileID, reportID).
		Scan(&f.EventID, &f.SHA256, &f.Name, &f.MIME, &f.Size, &data)
	if err != nil {
		return f, nil, rowErr("report file", err)
	}
	return f, data, nil
}

// ClueLetters lists the reminder and supervision letters of a clue, oldest first.
func (tx *Tx) ClueLetters(clueID int64) ([]Letter, error) {
	rows, err := tx.query(`SELECT id, kind, number, due_at, sent_at, acked_at, IFNULL(acked_by, 0), stage
		FROM clue_letters WHERE clue_id = ? ORDER BY id`, clueID)
	return collect("clue letters", rows, err, func(rows *sql.Rows, l *Letter) error {
		l.ClueID = clueID
		return rows.Scan(&l.ID, &l.Kind, &l.Number, unix(&l.DueAt), unix(&l.SentAt), unixNull(&l.AckedAt), &l.AckedBy, &l.Stage)
	})
}

// Keepers lists the people who keep at least one clue, for the desk's keeper filter.
func (tx *Tx) Keepers() ([]int64, error) {
	return column[int64](tx, "keepers", `SELECT DISTINCT keeper_id FROM clues WHERE keeper_id IS NOT NULL ORDER BY keeper_id`)
}
