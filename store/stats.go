package store

import (
	"fmt"
	"time"
)

// The desk's statistics page (package desk): each chart is one grouped pass over the clues a
// filter selects, through the covering index clues_stats (migration 0030), so that counting a
// county's whole ledger reads an index of small columns, never the table's rows with their
// texts. Scope comes in the filter (handlers.Rules.Scope), as for every other list.

// MonthCount is how many clues were received in a month (YYYY-MM, local time).
type MonthCount struct {
	Month string
	N     int
}

// LadderCounts are the open clues by the step the escalation ladder reached for their current
// deadline.
type LadderCounts struct {
	NoStep      int // no step yet, and not past the deadline (or no deadline)
	Overdue     int // past the deadline, no letter yet (the next pass sends one)
	Nudged      int // LadderNudge
	Reminder    int // LadderReminder: a reminder letter (提醒函)
	Supervision int // LadderSupervision: a supervision letter (督办函)
}

// UnitCounts are the transfers to one receiving unit and what became of them.
type UnitCounts struct {
	Unit        string
	Transferred int
	Closed      int
	Overdue     int // open and past the deadline
	CasesFiled  int
	Disciplined int
	OrgHandled  int
}

// statsFrom is the statistics' FROM: the clues alone (Stats joins the reports for nothing
// these passes need).
const statsFrom = ` FROM clues c INDEXED BY clues_stats`

// StatsByTownship counts the clues matching f by township (0: none recorded).
func (tx *Tx) StatsByTownship(f ClueFilter) (map[int64]int, error) {
	q, args := statsTownshipQuery(f)
	rows, err := tx.query(q, args...)
	if err != nil {
		return nil, fmt.Errorf("stats by township: %w", err)
	}
	defer rows.Close()
	out := map[int64]int{}
	for rows.Next() {
		var id int64
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			return nil, fmt.Errorf("stats by township: %w", err)
		}
		out[id] += n
	}
	return out, rows.Err()
}

// StatsByMonth counts the clues matching f by the month they were received in, oldest first,
// months with none left out. The pass groups by local day, an integer sum (strftime on every
// row cost more than the rest of the pass), and the days are added up into months here. Local
// time is loc's offset now: China keeps one offset all year.
func (tx *Tx) StatsByMonth(f ClueFilter, loc *time.Location) ([]MonthCount, error) {
	_, offset := tx.now.In(loc).Zone()
	q, args := statsMonthQuery(f, offset)
	rows, err := tx.query(q, args...)
	if err != nil {
		return nil, fmt.Errorf("stats by month: %w", err)
	}
	defer rows.Close()
	var out []MonthCount
	for rows.Next() {
		var day int64
		var n int
		if err := rows.Scan(&day, &n); err != nil {
			return nil, fmt.Errorf("stats by month: %w", err)
		}
		m := time.Unix(day*86400, 0).UTC().Format("2006-01")
		if len(out) > 0 && out[len(out)-1].Month == m {
			out[len(out)-1].N += n
		} else {
			out = append(out, MonthCount{Month: m, N: n})
		}
	}
	return out, rows.Err()
}

// StatsByLadder counts the open clues matching f by the ladder step reached for their current
// deadline, as of now, in one row: a GROUP BY on the level sorted every open clue to make
// four groups. The ladder row is looked up by its key.
func (tx *Tx) StatsByLadder(f ClueFilter, now time.Time) (LadderCounts, error) {
	var lc LadderCounts
	var open int
	q, args := statsLadderQuery(f, now)
	err := tx.queryRow(q, args...).Scan(&open, &lc.Overdue, &lc.Nudged, &lc.Reminder, &lc.Supervision)
	if err != nil {
		return lc, fmt.Errorf("stats by ladder: %w", err)
	}
	lc.NoStep = open - lc.Overdue - lc.Nudged - lc.Reminder - lc.Supervision
	return lc, nil
}

// StatsByUnit counts the clues matching f that were transferred, by receiving unit, with their
// outcomes; units in the order of their key.
func (tx *Tx) StatsByUnit(f ClueFilter, now time.Time) ([]UnitCounts, error) {
	q, args := statsUnitQuery(f, now)
	rows, err := tx.query(q, args...)
	if err != nil {
		return nil, fmt.Errorf("stats by unit: %w", err)
	}
	defer rows.Close()
	var out []UnitCounts
	for rows.Next() {
		var u UnitCounts
		if err := rows.Scan(&u.Unit, &u.Transferred, &u.Closed, &u.Overdue, &u.CasesFiled, &u.Disciplined, &u.OrgHandled); err != nil {
			return nil, fmt.Errorf("stats by unit: %w", err)
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// The statements, apart so that TestStatsPlans can check their plans.

func statsTownshipQuery(f ClueFilter) (string, []any) {
	where, args := f.where()
	return `SELECT IFNULL(c.township_id, 0), COUNT(*)` + statsFrom + where + ` GROUP BY c.township_id`, args
}

func statsMonthQuery(f ClueFilter, offset int) (string, []any) {
	where, args := f.where()
	return `SELECT (c.received_at + ?) / 86400 AS d, COUNT(*)` + statsFrom + where + ` GROUP BY d ORDER BY d`,
		append([]any{offset}, args...)
}

func statsLadderQuery(f ClueFilter, now time.Time) (string, []any) {
	f.Open = true
	where, args := f.where()
	return `SELECT COUNT(*), IFNULL(SUM(IFNULL(l.level, 0) = 0 AND c.due_at < ?), 0), IFNULL(SUM(l.level = 1), 0),
		IFNULL(SUM(l.level = 2), 0), IFNULL(SUM(l.level = 3), 0)` + statsFrom + `
		LEFT JOIN clue_ladder l ON l.clue_id = c.id AND l.due_at = c.due_at` + where,
		append([]any{now.Unix()}, args...)
}

func statsUnitQuery(f ClueFilter, now time.Time) (string, []any) {
	where, args := f.where()
	if where == "" {
		where = " WHERE c.unit <> ''"
	} else {
		where += " AND c.unit <> ''"
	}
	return `SELECT c.unit, COUNT(*), IFNULL(SUM(c.status = 'closed'), 0),
		IFNULL(SUM(c.status <> 'closed' AND c.due_at < ?), 0), IFNULL(SUM(c.case_filed), 0),
		IFNULL(SUM(c.disciplined), 0), IFNULL(SUM(c.org_handled), 0)` + statsFrom + where + ` GROUP BY c.unit ORDER BY c.unit`,
		append([]any{now.Unix()}, args...)
}

func statsSummaryQuery(f ClueFilter) (string, []any) {
	where, args := f.where()
	return `SELECT COUNT(*), IFNULL(SUM(c.unit <> ''), 0), IFNULL(SUM(c.unit <> '' AND c.while_inspecting), 0),
		IFNULL(SUM(c.case_filed), 0), IFNULL(SUM(c.disciplined), 0), IFNULL(SUM(c.org_handled), 0),
		IFNULL(SUM(c.status = 'closed'), 0)` + statsFrom + where, args
}

func statsMixQuery(f ClueFilter) (string, []any) {
	where, args := f.where()
	return `SELECT c.disposal, IFNULL(c.form, 0), COUNT(*)` + statsFrom + where + ` GROUP BY 1, 2`, args
}
