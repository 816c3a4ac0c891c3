package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Ladder levels of an overdue clue.
const (
	LadderNone        = 0
	LadderNudge       = 1 // a nudge to the handling unit before the deadline
	LadderReminder    = 2 // a reminder letter (提醒函) at the deadline
	LadderSupervision = 3 // a supervision letter (督办函) to the unit and the inspection office
)

// Letter kinds, also the kinds of their clue_events rows.
const (
	LetterReminder    = "reminder_letter"
	LetterSupervision = "supervision_letter"
)

// LadderClue is an open clue as the escalation ladder sees it. A clue with a deadline climbs
// the deadline's ladder (Stage ""; Anchor is the deadline); one without climbs the clock of its
// status's stage (Stage is the status; Anchor is when the clue entered it, clues.stage_at).
type LadderClue struct {
	ID         int64
	Number     string
	Title      string
	Unit       string
	TownshipID int64
	KeeperID   int64
	DueAt      time.Time
	Status     string
	Disposal   string
	Stage      string
	Anchor     time.Time
	// Open: not closed and not paused. A closed or paused clue takes no further step.
	Open bool
	// Level reached on the clock of Stage and Anchor (a row about an older deadline or stage
	// entry counts as LadderNone) and when the next step is due (zero: no further step).
	Level  int
	NextAt time.Time
}

// LadderCursor is where a scan of due steps goes on from: the last clue returned, with the
// time its step was due.
type LadderCursor struct {
	At time.Time
	ID int64
}

// LadderDue returns up to limit clues after the cursor whose next ladder step is due at now
// (clue_next_steps, migrations 0024 and 0035), in the order they fell due. It walks the index of
// next steps from its start: what it reads is the work due, however large the ledger, and a
// clue whose climb ended is not in the index. It reads outside any write transaction; each
// step re-checks its clue in its own (LadderClue) and sets the clue's next step time, later
// than now or none, so that a pass never meets a clue twice.
func (db *DB) LadderDue(ctx context.Context, now time.Time, after LadderCursor, limit int) ([]LadderCursor, error) {
	rows, err := db.query(ctx, ladderDueQuery, now.Unix(), after.At.Unix(), after.ID, limit)
	if err != nil {
		return nil, fmt.Errorf("ladder due: %w", err)
	}
	defer rows.Close()
	var out []LadderCursor
	for rows.Next() {
		var c LadderCursor
		var at int64
		if err := rows.Scan(&c.ID, &at); err != nil {
			return nil, fmt.Errorf("ladder due: %w", err)
		}
		c.At = time.Unix(at, 0).UTC()
		out = append(out, c)
	}
	return out, rows.Err()
}

// currentLevel is the level a clue reached on its current clock (the deadline's ladder, or
// its stage's when it has no deadline), 0 when no step was taken on it; for a clue c.
const currentLevel = `IFNULL((SELECT l.level FROM clue_ladder l WHERE l.clue_id = c.id
	AND l.stage = IIF(c.due_at IS NULL, c.status, '') AND l.due_at = IFNULL(c.due_at, IFNULL(c.stage_at, c.received_at))), 0)`

const ladderDueQuery = `SELECT clue_id, at FROM clue_next_steps
	WHERE at <= ? AND (at, clue_id) > (?, ?) ORDER BY at, clue_id LIMIT ?`

// LadderClue reads one clue and its ladder state inside the step's transaction, so that a
// clue closed, paused or given a new deadline since the scan is seen as it is now.
func (tx *Tx) LadderClue(id int64) (*LadderClue, error) {
	c, err := scanLadderClue(tx.queryRow(`SELECT `+ladderClueColumns+ladderClueFrom+` WHERE c.id = ?`, id))
	if err != nil {
		return nil, errNoRows(err, "ladder clue")
	}
	return c, nil
}

// LadderClues is LadderClue for up to LadderClueBatch clues at once, in id order; a clue that
// is gone is left out. One statement instead of one per clue: the pass reads the state of
// tens of thousands.
func (tx *Tx) LadderClues(ids []int64) ([]*LadderClue, error) {
	if len(ids) > LadderClueBatch {
		return nil, fmt.Errorf("ladder clues: %d ids, at most %d", len(ids), LadderClueBatch)
	}
	args := make([]any, LadderClueBatch)
	for i := range args {
		args[i] = 0 // no clue has id 0: one statement for every length
		if i < len(ids) {
			args[i] = ids[i]
		}
	}
	rows, err := tx.query(ladderCluesQuery, args...)
	return collect("ladder clues", rows, err, func(rows *sql.Rows, c **LadderClue) (err error) {
		*c, err = scanLadderClue(rows)
		return err
	})
}

// LadderClueBatch is how many clues LadderClues reads at a time.
const LadderClueBatch = 32

const ladderClueColumns = `c.id, c.number, c.title, c.unit, IFNULL(c.township_id, 0), IFNULL(c.keeper_id, 0), c.due_at,
	c.status, c.disposal, IFNULL(c.stage_at, c.received_at), c.closed_at, c.paused_at, IFNULL(l.due_at, 0),
	IFNULL(l.stage, ''), IFNULL(l.level, 0), l.next_at`

const ladderClueFrom = ` FROM clues c LEFT JOIN clue_ladder l ON l.clue_id = c.id`

var ladderCluesQuery = `SELECT ` + ladderClueColumns + ladderClueFrom + ` WHERE c.id IN (?` +
	strings.Repeat(", ?", LadderClueBatch-1) + `) ORDER BY c.id`

func scanLadderClue(row interface{ Scan(...any) error }) (*LadderClue, error) {
	c := &LadderClue{}
	var (
		due, closed, paused, nxt sql.NullInt64
		stageAt, ldue            int64
		lstage                   string
	)
	if err := row.Scan(&c.ID, &c.Number, &c.Title, &c.Unit, &c.TownshipID, &c.KeeperID, &due, &c.Status, &c.Disposal, &stageAt,
		&closed, &paused, &ldue, &lstage, &c.Level, &nxt); err != nil {
		return nil, err
	}
	c.DueAt, c.NextAt = unixOrZero(due), unixOrZero(nxt)
	c.Open = c.Status != ClueClosed && !closed.Valid && !paused.Valid
	c.Stage, c.Anchor = c.Status, time.Unix(stageAt, 0).UTC()
	if due.Valid {
		c.Stage, c.Anchor = "", c.DueAt
	}
	if lstage != c.Stage || ldue != c.Anchor.Unix() {
		c.Level, c.NextAt = LadderNone, time.Time{}
	}
	return c, nil
}

// SetLadder records the level a clue reached for its deadline and when its next step is due
// (zero: none), on the ladder row and in the index of next steps.
func (tx *Tx) SetLadder(clueID int64, due time.Time, level int, next time.Time) error {
	return tx.SetStageLadder(clueID, "", due, level, next)
}

// SetStageLadder records the level a clue reached on the clock of a stage (a status; "" for
// the deadline's ladder) that started at anchor, and when its next step is due (zero: none).
func (tx *Tx) SetStageLadder(clueID int64, stage string, anchor time.Time, level int, next time.Time) error {
	if _, err := tx.exec(`INSERT INTO clue_ladder (clue_id, due_at, level, next_at, stage) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (clue_id) DO UPDATE SET due_at = excluded.due_at, level = excluded.level, next_at = excluded.next_at,
		stage = excluded.stage`,
		clueID, anchor.Unix(), level, nullTime(next), stage); err != nil {
		return fmt.Errorf("set ladder: %w", err)
	}
	return tx.SetNextStep(clueID, next)
}

// SetNextStep records when a clue's next ladder step is due (zero: none), for a clue the
// ladder looked at without taking a step. The times live in a narrow table of their own
// (migration 0035): a pass sets one for every clue it looks at, and on the clues table each
// of those writes dirtied a page of its own.
func (tx *Tx) SetNextStep(clueID int64, next time.Time) error {
	if next.IsZero() {
		if _, err := tx.exec(`DELETE FROM clue_next_steps WHERE clue_id = ?`, clueID); err != nil {
			return fmt.Errorf("set next step: %w", err)
		}
		return nil
	}
	// A clue the pass looks at was due, so it has its row: a one-row UPDATE, which needs no
	// statement journal (an INSERT … SELECT does) and no look at the clue.
	res, err := tx.exec(`UPDATE clue_next_steps SET at = ? WHERE clue_id = ?`, next.Unix(), clueID)
	if err != nil {
		return fmt.Errorf("set next step: %w", err)
	}
	if n, _ := res.RowsAffected(); n > 0 {
		return nil
	}
	if _, err := tx.exec(`INSERT INTO clue_next_steps (clue_id, at) SELECT id, ? FROM clues WHERE id = ?`, next.Unix(), clueID); err != nil {
		return fmt.Errorf("set next step: %w", err)
	}
	return nil
}

// ResetNextSteps hands every clue with a ladder step to come back to the next pass, which
// works its time out again: for a change of the thresholds the times were computed with.
func (tx *Tx) ResetNextSteps() error {
	if _, err := tx.exec(`UPDATE clue_next_steps SET at = 0`); err != nil {
		return fmt.Errorf("reset next steps: %w", err)
	}
	return nil
}

// Letter is a reminder or supervision letter about a clue's deadline.
type Letter struct {
	ID      int64
	ClueID  int64
	Kind    string
	Number  string
	DueAt   time.Time
	SentAt  time.Time
	AckedAt time.Time
	AckedBy int64
	// Stage is "" for a letter about a deadline (DueAt), or the status whose stage's clock it
	// is about (DueAt is then when the clue entered it).
	Stage string
}

// ErrLetterAcked is returned when a letter was acknowledged before.
var ErrLetterAcked = errors.New("letter already acknowledged")

// CreateLetter issues the next numbered letter of a kind for the year and records it in the
// clue's timeline. Numbers run per kind and year (提醒〔2026〕3号), from the counter (see
// nextNumber).
func (tx *Tx) CreateLetter(clueID int64, kind string, due time.Time, year int) (*Letter, error) {
	return tx.CreateStageLetter(clueID, kind, "", due, year)
}

// CreateStageLetter is CreateLetter for a letter about a stage's clock (stage, a status; ""
// for the deadline's ladder) that started at anchor.
func (tx *Tx) CreateStageLetter(clueID int64, kind, stage string, anchor time.Time, year int) (*Letter, error) {
	due := anchor
	prefix := map[string]string{LetterReminder: "提醒", LetterSupervision: "督办"}[kind]
	if prefix == "" {
		return nil, fmt.Errorf("create letter: unknown kind %q", kind)
	}
	n, err := tx.nextNumber(kind, year)
	if err != nil {
		return nil, fmt.Errorf("next letter number: %w", err)
	}
	l := &Letter{ClueID: clueID, Kind: kind, Number: fmt.Sprintf("%s〔%d〕%d号", prefix, year, n), DueAt: due, SentAt: tx.now, Stage: stage}
	res, err := tx.exec(`INSERT INTO clue_letters (clue_id, kind, number, due_at, sent_at, stage) VALUES (?, ?, ?, ?, ?, ?)`,
		clueID, kind, l.Number, due.Unix(), tx.now.Unix(), stage)
	if err != nil {
		return nil, fmt.Errorf("insert letter: %w", err)
	}
	l.ID, _ = res.LastInsertId()
	if _, err := tx.exec(`INSERT INTO clue_events (clue_id, kind, body, created_at) VALUES (?, ?, ?, ?)`,
		clueID, kind, l.Number, tx.now.Unix()); err != nil {
		return nil, fmt.Errorf("record letter: %w", err)
	}
	return l, nil
}

// FindLetter returns a letter by id.
func (tx *Tx) FindLetter(id int64) (*Letter, error) {
	l := &Letter{ID: id}
	var due, sent int64
	var acked, by sql.NullInt64
	err := tx.queryRow(`SELECT clue_id, kind, number, due_at, sent_at, acked_at, acked_by, stage FROM clue_letters WHERE id = ?`, id).
		Scan(&l.ClueID, &l.Kind, &l.Number, &due, &sent, &acked, &by, &l.Stage)
	if err != nil {
		return nil, errNoRows(err, "find letter")
	}
	l.DueAt, l.SentAt, l.AckedAt, l.AckedBy = time.Unix(due, 0).UTC(), time.Unix(sent, 0).UTC(), unixOrZero(acked), by.Int64
	return l, nil
}

// LetterAcked reports whether the letter of a kind about a clue's deadline was acknowledged.
func (tx *Tx) LetterAcked(clueID int64, due time.Time, kind string) (bool, error) {
	var n int
	if err := tx.queryRow(`SELECT COUNT(*) FROM clue_letters WHERE clue_id = ? AND due_at = ? AND kind = ? AND acked_at IS NOT NULL`,
		clueID, due.Unix(), kind).Scan(&n); err != nil {
		return false, fmt.Errorf("letter acked: %w", err)
	}
	return n > 0, nil
}

// AckLetter records that a person signed for a letter (已签收): the clue's timeline gets a
// row, and the ladder stops climbing for that deadline. Only the clue's receiving unit, the
// inspection office (official, admin) or the clue's keeper may sign; anyone else gets
// ErrNotFound, as if there were no such letter.
func (tx *Tx) AckLetter(letterID int64, p *Person) (*Letter, error) {
	l, err := tx.FindLetter(letterID)
	if err != nil {
		return nil, err
	}
	var unit string
	var keeper, township sql.NullInt64
	if err := tx.queryRow(`SELECT unit, keeper_id, township_id FROM clues WHERE id = ?`, l.ClueID).Scan(&unit, &keeper, &township); err != nil {
		return nil, errNoRows(err, "letter clue")
	}
	allowed := false
	switch p.Role {
	case RoleUnit:
		allowed = unit != "" && p.Unit == unit
	case RoleOfficial, RoleAdmin:
		allowed = p.TownshipID == 0 || p.TownshipID == township.Int64 || keeper.Int64 == p.ID
	}
	if !allowed {
		return nil, ErrNotFound
	}
	if !l.AckedAt.IsZero() {
		return l, ErrLetterAcked
	}
	if _, err := tx.exec(`UPDATE clue_letters SET acked_at = ?, acked_by = ? WHERE id = ? AND acked_at IS NULL`,
		tx.now.Unix(), p.ID, letterID); err != nil {
		return nil, fmt.Errorf("ack letter: %w", err)
	}
	if _, err := tx.exec(`INSERT INTO clue_events (clue_id, person_id, kind, body, created_at) VALUES (?, ?, 'letter_acknowledged', ?, ?)`,
		l.ClueID, p.ID, l.Number, tx.now.Unix()); err != nil {
		return nil, fmt.Errorf("record ack: %w", err)
	}
	// The climb stops for this deadline; a new deadline starts a new ladder. A stage's clock
	// (a clue nobody moved on) does not stop for a signature: only moving the clue on does.
	if _, err := tx.exec(`UPDATE clue_ladder SET next_at = NULL WHERE clue_id = ? AND due_at = ? AND stage = ''`, l.ClueID, l.DueAt.Unix()); err != nil {
		return nil, fmt.Errorf("stop ladder: %w", err)
	}
	if _, err := tx.exec(`DELETE FROM clue_next_steps WHERE clue_id = ?
		AND EXISTS (SELECT 1 FROM clues WHERE id = ? AND due_at = ?)`, l.ClueID, l.ClueID, l.DueAt.Unix()); err != nil {
		return nil, fmt.Errorf("stop ladder: %w", err)
	}
	l.AckedAt, l.AckedBy = tx.now, p.ID
	return l, nil
}

// ReviewCounts summarises the clues of a jurisdiction or unit for the monthly review.
type ReviewCounts struct {
	OpenByStatus   map[string]int
	OverdueByLevel map[int]int // level reached on the ladder for overdue open clues (0: none yet)
	Closed         int         // closed (办结销号) in the period
}

func newReviewCounts() ReviewCounts {
	return ReviewCounts{OpenByStatus: map[string]int{}, OverdueByLevel: map[int]int{}}
}

// add counts n open clues of a status, of which overdue[level] were overdue at each level.
func (rc ReviewCounts) add(status string, n int, overdue [4]int) {
	rc.OpenByStatus[status] += n
	for lv, k := range overdue {
		if k > 0 {
			rc.OverdueByLevel[lv] += k
		}
	}
}

// ReviewTotals are the monthly review's counts for the whole county, each township and each
// receiving unit (a unit's clues in every township).
type ReviewTotals struct {
	County    ReviewCounts
	Townships map[int64]ReviewCounts
	Units     map[string]ReviewCounts
}

// Township returns the counts of a township (0: the whole county).
func (rt ReviewTotals) Township(id int64) ReviewCounts {
	if id == 0 {
		return rt.County
	}
	if rc, ok := rt.Townships[id]; ok {
		return rc
	}
	return newReviewCounts()
}

// Unit returns the counts of a receiving unit.
func (rt ReviewTotals) Unit(unit string) ReviewCounts {
	if rc, ok := rt.Units[unit]; ok {
		return rc
	}
	return newReviewCounts()
}

// ReviewTotals counts the open clues as of now, by township, unit, status and the ladder
// level of the overdue ones, and those closed in [from, to), in one pass over the index of
// open clues and one over the period's closures. Counting per official and per unit repeated
// the whole count for each of them. Run it in a read transaction (DB.View).
func (tx *Tx) ReviewTotals(now, from, to time.Time) (ReviewTotals, error) {
	return tx.reviewTotals(reviewOpenQuery, reviewClosedQuery, []any{now.Unix()}, []any{from.Unix(), to.Unix()})
}

// ReviewTownship is ReviewTotals for one township (the desk's page of a township's official):
// the same passes over that township's part of the indexes instead of the county's.
func (tx *Tx) ReviewTownship(now, from, to time.Time, township int64) (ReviewCounts, error) {
	open := strings.Replace(reviewOpenQuery, "GROUP BY", "AND c.township_id = ?2 GROUP BY", 1)
	closed := strings.Replace(reviewClosedQuery, "GROUP BY", "AND township_id = ? GROUP BY", 1)
	rt, err := tx.reviewTotals(open, closed, []any{now.Unix(), township}, []any{from.Unix(), to.Unix(), township})
	return rt.Township(township), err
}

func (tx *Tx) reviewTotals(openQuery, closedQuery string, openArgs, closedArgs []any) (ReviewTotals, error) {
	rt := ReviewTotals{County: newReviewCounts(), Townships: map[int64]ReviewCounts{}, Units: map[string]ReviewCounts{}}
	// The walk looks up the ladder row of every overdue clue, in the order of the index of open
	// clues, which is no order of the ladder's: at 1,000,000 clues 300,000 lookups in a 10 MB
	// table. With the connection's 2 MB of pages nearly each one read its page from the file
	// again. The connection gets room for the table while the review reads, and gives it back.
	var pages int
	if err := tx.queryRow(`PRAGMA cache_size`).Scan(&pages); err != nil {
		return rt, fmt.Errorf("review counts: %w", err)
	}
	if _, err := tx.exec(`PRAGMA cache_size = -` + strconv.Itoa(reviewCacheKiB)); err != nil {
		return rt, fmt.Errorf("review counts: %w", err)
	}
	defer tx.exec(`PRAGMA cache_size = ` + strconv.Itoa(pages))
	part := func(township int64, unit string) (ReviewCounts, ReviewCounts) {
		t, ok := rt.Townships[township]
		if !ok {
			t = newReviewCounts()
			rt.Townships[township] = t
		}
		u, ok := rt.Units[unit]
		if !ok {
			u = newReviewCounts()
			rt.Units[unit] = u
		}
		return t, u
	}
	rows, err := tx.query(openQuery, openArgs...)
	if err != nil {
		return rt, fmt.Errorf("review counts: %w", err)
	}
	for rows.Next() {
		var township int64
		var unit, status string
		var n int
		var overdue [4]int
		if err := rows.Scan(&township, &unit, &status, &n, &overdue[0], &overdue[1], &overdue[2], &overdue[3]); err != nil {
			rows.Close()
			return rt, fmt.Errorf("review counts: %w", err)
		}
		t, u := part(township, unit)
		for _, rc := range []ReviewCounts{rt.County, t, u} {
			rc.add(status, n, overdue)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return rt, fmt.Errorf("review counts: %w", err)
	}
	rows, err = tx.query(closedQuery, closedArgs...)
	if err != nil {
		return rt, fmt.Errorf("review closed: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var township int64
		var unit string
		var n int
		if err := rows.Scan(&township, &unit, &n); err != nil {
			return rt, fmt.Errorf("review closed: %w", err)
		}
		t, u := part(township, unit)
		rt.County.Closed += n
		t.Closed += n
		rt.Townships[township] = t
		u.Closed += n
		rt.Units[unit] = u
	}
	return rt, rows.Err()
}

// reviewCacheKiB is the page cache of the review's connection while it counts: the ladder's
// rows of a million-clue ledger (10 MB) and the index pages on the way.
const reviewCacheKiB = 16 << 10

// reviewOpenQuery walks the covering index of open clues (clues_open_review) in its order, so
// the grouping needs no sort; the ladder row is looked up only for an overdue clue.
// INDEXED BY: on a ledger with few closed clues the planner prefers reading the table itself,
// whose rows carry every clue's texts.
const reviewOpenQuery = `SELECT IFNULL(c.township_id, 0), c.unit, c.status, COUNT(*),
	IFNULL(SUM(c.due_at < ?1 AND l.clue_id IS NULL), 0), IFNULL(SUM(l.level = 1), 0), IFNULL(SUM(l.level = 2), 0),
	IFNULL(SUM(l.level = 3), 0)
	FROM clues c INDEXED BY clues_open_review
	LEFT JOIN clue_ladder l ON l.clue_id = c.id AND l.due_at = c.due_at AND l.stage = '' AND c.due_at < ?1
	WHERE c.closed_at IS NULL AND c.status <> 'closed'
	GROUP BY c.township_id, c.unit, c.status`

const reviewClosedQuery = `SELECT IFNULL(township_id, 0), unit, COUNT(*) FROM clues
	WHERE closed_at >= ? AND closed_at < ? GROUP BY 1, 2`

// Units lists the receiving units that have people (whose role was not withdrawn).
func (tx *Tx) Units() ([]string, error) {
	rows, err := tx.query(`SELECT DISTINCT unit FROM people WHERE role = 'unit' AND unit <> '' AND withdrawn_at IS NULL ORDER BY unit`)
	if err != nil {
		return nil, fmt.Errorf("units: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var u string
		if err := rows.Scan(&u); err != nil {
			return nil, fmt.Errorf("units: %w", err)
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// Queued is one message of Tx.EnqueueAll.
type Queued struct {
	ChatID    int64
	Msg       OutMessage
	DedupeKey string
}

// EnqueueAll is Enqueue for many messages at once: the messages of one scheduled step (a
// letter to a unit, its keeper and the office), or of all the steps of a transaction of the
// escalation pass. A pass queues tens of thousands; one INSERT … SELECT each cost a
// statement's set-up and its own statement journal per message, and one statement per step
// still copied every page it touched to a statement journal of its own (a multi-row insert
// that may fail has one), a fifth of its time. Rows go in statements of up to enqueueChunk,
// in order. A message whose key was queued before, or whose chat is gone, is left out; it
// returns how many rows were added.
func (tx *Tx) EnqueueAll(msgs []Queued) (int, error) {
	added := 0
	for len(msgs) > 0 {
		chunk := msgs[:min(enqueueChunk, len(msgs))]
		msgs = msgs[len(chunk):]
		// The statement's length rounded up to a power of two, the rest filled with rows for
		// chat 0 (no chat has it, so the join leaves them out): a few statements to prepare
		// and keep, not one per length.
		n := 1
		for n < len(chunk) {
			n *= 2
		}
		args := make([]any, 0, 1+4*n)
		args = append(args, tx.now.Unix())
		for _, m := range chunk {
			body, err := json.Marshal(m.Msg)
			if err != nil {
				return added, fmt.Errorf("marshal message: %w", err)
			}
			args = append(args, m.ChatID, tx.keys.seal("outbox", body), nullString(m.DedupeKey), m.Msg.Resident)
		}
		for range n - len(chunk) {
			args = append(args, 0, nil, nil, false)
		}
		res, err := tx.exec(enqueueAllQuery(n), args...)
		if err != nil {
			return added, fmt.Errorf("enqueue: %w", err)
		}
		k, _ := res.RowsAffected()
		added += int(k)
	}
	return added, nil
}

// enqueueChunk is how many messages EnqueueAll puts in one statement (4 values each).
const enqueueChunk = 256

// enqueueAllQuery inserts n messages given as (chat, sealed body, dedupe key, resident) after
// the time ?1; the chat's platform and person come from chats, as in Enqueue.
func enqueueAllQuery(n int) string {
	// WHERE true: without it SQLite would read ON CONFLICT as the join's constraint.
	return `INSERT INTO outbox (chat_id, platform, payload, dedupe_key, next_attempt_at, created_at, person_id)
		SELECT c.id, c.platform, v.column2, v.column3, ?1, ?1, IIF(v.column4, NULL, c.person_id)
		FROM (VALUES ` + strings.Repeat("(?, ?, ?, ?), ", n-1) + `(?, ?, ?, ?)) v JOIN chats c ON c.id = v.column1
		WHERE true ON CONFLICT (dedupe_key) DO NOTHING`
}
