package handlers

import (
	"errors"
	"time"

	"xuncha/store"
)

// closedWindowRecent is how long after an inspection window closed a report about its place
// still gets the explanation; later, the round is no longer what people have in mind.
const closedWindowRecent = 30 * 24 * time.Hour

// closedWindowNote is a line for the confirmation of a report about a place whose inspection
// round stopped taking reports lately (巡察公告 closed), or "" when none did.
func (t *turn) closedWindowNote(townshipID, villageID int64) (string, error) {
	if townshipID == 0 {
		return "", nil
	}
	now := t.tx.Now()
	title, err := t.tx.ClosedWindowFor(townshipID, villageID, now.Add(-closedWindowRecent), now)
	if errors.Is(err, store.ErrNotFound) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	return t.tr("window.closed", title), nil
}
