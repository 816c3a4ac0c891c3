package scheduler

import (
	"xuncha/handlers"
)

// statusName is a clue status as the ledger itself names it, so that the review and the
// ledger never speak two vocabularies.
func statusName(lang, status string) string {
	return handlers.T(lang, "lg.status."+status)
}
