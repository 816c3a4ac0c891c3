package store

import (
	"database/sql"
	"fmt"
)

// Subscription is a chat's request for announcements of a township or one of its villages.
type Subscription struct {
	ID         int64
	TownshipID int64
	VillageID  int64
}

// Subscribe adds a subscription; subscribing twice keeps one.
func (tx *Tx) Subscribe(chatID, townshipID, villageID int64) error {
	if _, err := tx.exec(`INSERT INTO subscriptions (chat_id, township_id, village_id, created_at) VALUES (?, ?, ?, ?)
		ON CONFLICT DO NOTHING`, chatID, townshipID, nullInt(villageID), day(tx.now)); err != nil { // day: see day
		return fmt.Errorf("subscribe: %w", err)
	}
	return nil
}

// Unsubscribe removes one of a chat's subscriptions.
func (tx *Tx) Unsubscribe(chatID, id int64) error {
	res, err := tx.exec(`DELETE FROM subscriptions WHERE chat_id = ? AND id = ?`, chatID, id)
	if err != nil {
		return fmt.Errorf("unsubscribe: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// Subscriptions lists a chat's subscriptions.
func (tx *Tx) Subscriptions(chatID int64) ([]Subscription, error) {
	rows, err := tx.query(`SELECT id, township_id, IFNULL(village_id, 0) FROM subscriptions WHERE chat_id = ? ORDER BY id`, chatID)
	return collect("subscriptions", rows, err, func(rows *sql.Rows, s *Subscription) error {
		return rows.Scan(&s.ID, &s.TownshipID, &s.VillageID)
	})
}
