package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// Announcement is an inspection announcement (巡察公告): published to the subscribers of the
// places it covers, with a reminder before its reporting window closes.
type Announcement struct {
	ID          int64
	Title       string
	Body        string
	Contact     string // the group's channels and duty hours
	PublishAt   time.Time
	OpenAt      time.Time
	CloseAt     time.Time
	RemindDays  int
	Areas       []Area
	PublishedAt time.Time // zero until every subscriber's message is queued
	RemindedAt  time.Time
	ClosedAt    time.Time
	CreatedAt   time.Time
}

// Area is a township, or one village of it when VillageID is not 0.
type Area struct {
	TownshipID int64
	VillageID  int64
}

// CreateAnnouncement stores an announcement and its areas.
func (db *DB) CreateAnnouncement(ctx context.Context, a *Announcement) error {
	if len(a.Areas) == 0 {
		return fmt.Errorf("announcement covers no place")
	}
	if !a.OpenAt.Before(a.CloseAt) {
		return fmt.Errorf("announcement window must open before it closes")
	}
	return db.Update(ctx, func(tx *Tx) error { return tx.InsertAnnouncement(a) })
}

// InsertAnnouncement stores an announcement and its areas in tx (a round creates its
// announcement in the same transaction as the round).
func (tx *Tx) InsertAnnouncement(a *Announcement) error {
	if len(a.Areas) == 0 {
		return fmt.Errorf("announcement covers no place")
	}
	if !a.OpenAt.Before(a.CloseAt) {
		return fmt.Errorf("announcement window must open before it closes")
	}
	a.CreatedAt = tx.now
	if err := tx.insert(&a.ID, "insert announcement", `INSERT INTO announcements (title, body, contact, publish_at, open_at, close_at, remind_days, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, a.Title, a.Body, a.Contact, a.PublishAt.Unix(), a.OpenAt.Unix(),
		a.CloseAt.Unix(), a.RemindDays, tx.now.Unix()); err != nil {
		return err
	}
	for _, ar := range a.Areas {
		if _, err := tx.exec(`INSERT INTO announcement_areas (announcement_id, township_id, village_id) VALUES (?, ?, ?)`,
			a.ID, ar.TownshipID, nullInt(ar.VillageID)); err != nil {
			return fmt.Errorf("insert announcement area: %w", err)
		}
	}
	return nil
}

const announcementColumns = `id, title, body, contact, publish_at, open_at, close_at, remind_days,
	published_at, reminded_at, closed_at, created_at`

func (tx *Tx) scanAnnouncements(where string, args ...any) ([]Announcement, error) {
	rows, err := tx.query(`SELECT `+announcementColumns+` FROM announcements WHERE `+where+` ORDER BY id`, args...)
	out, err := collect("announcements", rows, err, func(rows *sql.Rows, a *Announcement) error {
		return rows.Scan(&a.ID, &a.Title, &a.Body, &a.Contact, unix(&a.PublishAt), unix(&a.OpenAt), unix(&a.CloseAt), &a.RemindDays,
			unixNull(&a.PublishedAt), unixNull(&a.RemindedAt), unixNull(&a.ClosedAt), unix(&a.CreatedAt))
	})
	if err != nil {
		return nil, err
	}
	for i := range out {
		areas, err := tx.query(`SELECT township_id, IFNULL(village_id, 0) FROM announcement_areas WHERE announcement_id = ?`, out[i].ID)
		if out[i].Areas, err = collect("announcement areas", areas, err, func(rows *sql.Rows, ar *Area) error {
			return rows.Scan(&ar.TownshipID, &ar.VillageID)
		}); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Announcements lists every announcement, oldest first.
func (tx *Tx) Announcements() ([]Announcement, error) { return tx.scanAnnouncements(`1`) }

// DueAnnouncements lists the announcements with something to do at now: publishing,
// reminding or closing.
func (tx *Tx) DueAnnouncements(now time.Time) ([]Announcement, error) {
	return tx.scanAnnouncements(`closed_at IS NULL AND publish_at <= ?`, now.Unix())
}

// SubscribersOf returns, in chat id order and after the chat id after, up to limit reachable
// chats subscribed to any of the areas: a township subscription covers all its villages, and
// an area of a whole township reaches its village subscribers too.
func (tx *Tx) SubscribersOf(areas []Area, after int64, limit int) ([]Recipient, error) {
	if len(areas) == 0 {
		return nil, nil
	}
	var conds []string
	var args []any
	for _, a := range areas {
		if a.VillageID == 0 {
			conds = append(conds, `s.township_id = ?`)
			args = append(args, a.TownshipID)
		} else {
			conds = append(conds, `(s.township_id = ? AND (s.village_id IS NULL OR s.village_id = ?))`)
			args = append(args, a.TownshipID, a.VillageID)
		}
	}
	args = append(args, after, limit)
	rows, err := tx.query(`SELECT c.id, c.lang FROM chats c WHERE c.unreachable = 0 AND c.id IN (
		SELECT s.chat_id FROM subscriptions s WHERE `+strings.Join(conds, " OR ")+`) AND c.id > ? ORDER BY c.id LIMIT ?`, args...)
	if err != nil {
		return nil, fmt.Errorf("subscribers: %w", err)
	}
	return scanRecipients(rows)
}

// MarkAnnouncement records a finished stage of an announcement: "published", "reminded" or
// "closed".
func (tx *Tx) MarkAnnouncement(id int64, stage string) error {
	return tx.markOnce("mark announcement", "announcements", map[string]string{"published": "published_at", "reminded": "reminded_at", "closed": "closed_at"}, stage, id)
}

// ClosedWindowFor returns the title of the newest announcement covering a place whose window
// closed between since and now, or ErrNotFound; also ErrNotFound when another window for the
// place is open. The engine uses it to explain to someone reporting about the place that the
// round's channels are shut and the report goes to the normal intake.
func (tx *Tx) ClosedWindowFor(townshipID, villageID int64, since, now time.Time) (string, error) {
	var title string
	err := tx.queryRow(`SELECT a.title FROM announcements a JOIN announcement_areas ar ON ar.announcement_id = a.id
		WHERE ar.township_id = ? AND (ar.village_id IS NULL OR ? = 0 OR ar.village_id = ?)
		AND a.close_at <= ? AND a.close_at > ? ORDER BY a.close_at DESC LIMIT 1`, townshipID, villageID, villageID,
		now.Unix(), since.Unix()).Scan(&title)
	if err != nil {
		return "", errNoRows(err, "closed window")
	}
	// A window still open for the same place (a later round) means nothing needs explaining.
	var open int
	if err := tx.queryRow(`SELECT COUNT(*) FROM announcements a JOIN announcement_areas ar ON ar.announcement_id = a.id
		WHERE ar.township_id = ? AND (ar.village_id IS NULL OR ? = 0 OR ar.village_id = ?)
		AND a.open_at <= ? AND a.close_at > ?`, townshipID, villageID, villageID, now.Unix(), now.Unix()).Scan(&open); err != nil {
		return "", fmt.Errorf("open window: %w", err)
	}
	if open > 0 {
		return "", ErrNotFound
	}
	return title, nil
}
