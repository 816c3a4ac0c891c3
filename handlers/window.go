package handlers

import (
	"errors"
	"fmt"
	"time"

	"xuncha/store"
)

// windowTexts explain a closed inspection window, Chinese first; kept beside their only user.
var windowTexts = [2]string{
	"\n\n《%s》的集中受理时间已经结束。您的举报已正常登记，将按正常程序办理。",
	"\n\nThe reporting window of \"%s\" has closed. Your report is registered and will be handled through the normal procedure.",
}

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
	s := windowTexts[0]
	if t.lang == LangEN {
		s = windowTexts[1]
	}
	return fmt.Sprintf(s, title), nil
}
