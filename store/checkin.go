package store

import (
	"time"
)

// Checkin is an information officer's situation report (情况报告).
type Checkin struct {
	ID         int64
	PersonID   int64
	TownshipID int64
	VillageID  int64
	Visitors   int
	Problems   int
	Zero       bool // 零报告: nothing to report
	SHA256     string
	CreatedAt  time.Time
}

// CreateCheckin stores a check-in.
func (tx *Tx) CreateCheckin(c *Checkin) error {
	var b any
	if c.SHA256 != "" {
		b = c.SHA256
	}
	c.CreatedAt = tx.now
	return tx.insert(&c.ID, "insert checkin", `INSERT INTO checkins (person_id, township_id, village_id, visitors, problems, zero, sha256, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, c.PersonID, nullInt(c.TownshipID), nullInt(c.VillageID), c.Visitors, c.Problems, c.Zero, b, tx.now.Unix())
}
