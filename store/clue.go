package store

import (
	"cmp"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// Clue sources.
const (
	ClueFromReport     = "report"     // every report becomes a clue
	ClueFromInspection = "inspection" // a problem the inspection found itself
)

// Clue statuses, in the order a clue usually moves through them.
const (
	ClueNew         = "new"
	ClueStudied     = "studied"  // 会商研判 done
	ClueDisposed    = "disposed" // a disposal opinion recorded
	ClueTransferred = "transferred"
	ClueHandling    = "handling" // the unit acknowledged receipt and works on it
	ClueHeld        = "held"     // 暂存待查: waits for new evidence
	ClueClosed      = "closed"   // 办结销号
)

// Clue is one entry of the clue ledger (线索台账). It never holds anything about the reporter:
// Named only says whether a real-name contact exists, which entitled roles may open.
type Clue struct {
	ID              int64
	Number          string // JH-2026-0042
	ReportID        int64  // 0 for a clue the inspection found
	Source          string
	Title           string
	Subject         string // the person or unit concerned, as written
	Summary         string
	Category        string // the report's category, or "" for an inspection clue
	Named           bool   // the report is real-name: a sealed contact exists
	TownshipID      int64
	VillageID       int64
	RoundID         int64
	KeeperID        int64
	Status          string
	Disposal        string
	Form            int // 1–4, 0 when not classed
	Unit            string
	WhileInspecting bool
	ReceivedAt      time.Time
	DueAt           time.Time
	AckedAt         time.Time
	ClosedAt        time.Time
	PausedAt        time.Time // the clock stopped (zero: it runs); see PauseClue
	StageAt         time.Time // when the clue entered its status: its stage's clock starts here
	// Level is the step the escalation ladder took on the clue's current clock (its deadline's,
	// or its stage's when it has none): LadderNone to LadderSupervision.
	Level       int
	CaseFiled   bool
	Disciplined int
	OrgHandled  int
	UpdatedAt   time.Time

	// Set by CreateClue: the numbers of earlier clues naming the same subject.
	Linked []string
}

// ClueEvent is one line of a clue's timeline.
type ClueEvent struct {
	ID        int64
	ClueID    int64
	PersonID  int64
	Kind      string
	Body      string
	CreatedAt time.Time
}

// NormalizeSubject reduces a person's or unit's name to a key for repeat detection: full-width
// letters and digits folded, case folded, spaces and punctuation dropped, so that
// "东风村 村委会主任 王某" and "东风村村委会主任王某。" are the same subject.
func NormalizeSubject(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= 0xFF01 && r <= 0xFF5E {
			r -= 0xFEE0
		}
		if unicode.IsSpace(r) || unicode.IsPunct(r) || unicode.IsSymbol(r) {
			continue
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

const clueColumns = `c.id, c.number, IFNULL(c.report_id, 0), c.source, c.title, c.subject, c.summary,
	IFNULL(r.category, ''), r.contact_sealed IS NOT NULL, IFNULL(c.township_id, 0), IFNULL(c.village_id, 0),
	IFNULL(c.round_id, 0), IFNULL(c.keeper_id, 0), c.status, c.disposal, IFNULL(c.form, 0), c.unit,
	c.while_inspecting, c.received_at, c.due_at, c.acked_at, c.closed_at, c.case_filed, c.disciplined,
	c.org_handled, c.updated_at, c.paused_at, IFNULL(c.stage_at, c.received_at), ` + currentLevel

const (
	clueJoin = ` LEFT JOIN reports r ON r.id = c.report_id`
	clueFrom = ` FROM clues c` + clueJoin
)

func scanClue(row scanner) (*Clue, error) {
	c := &Clue{}
	err := row.Scan(&c.ID, &c.Number, &c.ReportID, &c.Source, &c.Title, &c.Subject, &c.Summary, &c.Category, &c.Named,
		&c.TownshipID, &c.VillageID, &c.RoundID, &c.KeeperID, &c.Status, &c.Disposal, &c.Form, &c.Unit,
		&c.WhileInspecting, unix(&c.ReceivedAt), unixNull(&c.DueAt), unixNull(&c.AckedAt), unixNull(&c.ClosedAt), &c.CaseFiled, &c.Disciplined, &c.OrgHandled, unix(&c.UpdatedAt), unixNull(&c.PausedAt),
		unix(&c.StageAt), &c.Level)
	if err != nil {
		return nil, rowErr("scan clue", err)
	}
	return c, nil
}

// CreateClue registers c in the ledger with the next number of its year (JH-<year>-<NNNN>,
// the year of c.ReceivedAt in the caller's time zone, or of now), links it to earlier clues
// naming the same subject and re-activates those held pending investigation: a new report
// about the same person is the new evidence they wait for. It returns the re-activated clues.
// The number is taken from the year's counter in the same transaction (see nextNumber).
func (tx *Tx) CreateClue(c *Clue) (reactivated []*Clue, err error) {
	if c.Source == "" {
		c.Source = ClueFromReport
	}
	if c.ReceivedAt.IsZero() {
		c.ReceivedAt = tx.now
	}
	if c.Status == "" {
		c.Status = ClueNew
	}
	n, err := tx.nextNumber("clue", c.ReceivedAt.Year())
	if err != nil {
		return nil, fmt.Errorf("next clue number: %w", err)
	}
	c.Number = fmt.Sprintf("JH-%d-%04d", c.ReceivedAt.Year(), n)
	if c.RoundID == 0 {
		if c.RoundID, err = tx.RoundAt(c.ReceivedAt); err != nil {
			return nil, err
		}
	}
	key := NormalizeSubject(c.Subject)
	c.UpdatedAt = tx.now
	res, err := tx.exec(`INSERT INTO clues (number, report_id, source, title, subject, subject_key, summary, township_id,
		village_id, round_id, keeper_id, status, received_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		c.Number, nullInt(c.ReportID), c.Source, c.Title, c.Subject, key, c.Summary, nullInt(c.TownshipID),
		nullInt(c.VillageID), nullInt(c.RoundID), nullInt(c.KeeperID), c.Status, c.ReceivedAt.Unix(), tx.now.Unix())
	if err != nil {
		return nil, fmt.Errorf("insert clue: %w", err)
	}
	c.ID, _ = res.LastInsertId()
	if err := tx.AddClueEvent(c.ID, c.KeeperID, "registered", c.Source); err != nil {
		return nil, err
	}
	if key == "" {
		return nil, nil
	}
	earlier, err := tx.repeatsOf(c, key)
	if err != nil {
		return nil, err
	}
	for _, e := range earlier {
		if _, err := tx.exec(`INSERT INTO clue_links (clue_id, other_id) VALUES (?, ?)`, c.ID, e.ID); err != nil {
			return nil, fmt.Errorf("link clue: %w", err)
		}
		c.Linked = append(c.Linked, e.Number)
		if e.Status == ClueHeld {
			if err := tx.ReactivateClue(e.ID, "repeat:"+c.Number); err != nil {
				return nil, err
			}
			reactivated = append(reactivated, e)
		}
	}
	if len(c.Linked) > 0 {
		if err := tx.AddClueEvent(c.ID, 0, "repeat", strings.Join(c.Linked, " ")); err != nil {
			return nil, err
		}
	}
	return reactivated, nil
}

// ReactivateClue brings a held (暂存待查) clue back to be studied again, recording why.
func (tx *Tx) ReactivateClue(id int64, why string) error {
	st := ClueNew
	if err := tx.UpdateClue(id, ClueUpdate{Status: &st}); err != nil {
		return err
	}
	return tx.AddClueEvent(id, 0, "reactivated", why)
}

// ClueUpdate holds the fields to change; nil fields stay as they are.
type ClueUpdate struct {
	Status          *string
	Disposal        *string
	Form            *int
	Unit            *string
	WhileInspecting *bool
	KeeperID        *int64
	DueAt           *time.Time
	AckedAt         *time.Time
	ClosedAt        *time.Time
	CaseFiled       *bool
	Disciplined     *int
	OrgHandled      *int
}

// UpdateClue changes the given fields of a clue.
func (tx *Tx) UpdateClue(id int64, u ClueUpdate) error {
	set := []string{"updated_at = ?"}
	args := []any{tx.now.Unix()}
	add := func(col string, v any) { set = append(set, col+" = ?"); args = append(args, v) }
	if u.Status != nil {
		add("status", *u.Status)
	}
	if u.Disposal != nil {
		add("disposal", *u.Disposal)
	}
	if u.Form != nil {
		add("form", nullInt(int64(*u.Form)))
	}
	if u.Unit != nil {
		add("unit", *u.Unit)
	}
	if u.WhileInspecting != nil {
		add("while_inspecting", *u.WhileInspecting)
	}
	if u.KeeperID != nil {
		add("keeper_id", nullInt(*u.KeeperID))
	}
	if u.DueAt != nil {
		add("due_at", nullTime(*u.DueAt))
	}
	if u.AckedAt != nil {
		add("acked_at", nullTime(*u.AckedAt))
	}
	if u.ClosedAt != nil {
		add("closed_at", nullTime(*u.ClosedAt))
	}
	if u.CaseFiled != nil {
		add("case_filed", *u.CaseFiled)
	}
	if u.Disciplined != nil {
		add("disciplined", *u.Disciplined)
	}
	if u.OrgHandled != nil {
		add("org_handled", *u.OrgHandled)
	}
	args = append(args, id)
	res, err := tx.exec(`UPDATE clues SET `+strings.Join(set, ", ")+` WHERE id = ?`, args...)
	if err != nil {
		return fmt.Errorf("update clue: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// AddClueEvent appends to a clue's timeline; the table refuses updates and deletes.
func (tx *Tx) AddClueEvent(clueID, personID int64, kind, body string) error {
	if _, err := tx.exec(`INSERT INTO clue_events (clue_id, person_id, kind, body, created_at) VALUES (?, ?, ?, ?, ?)`,
		clueID, nullInt(personID), kind, body, tx.now.Unix()); err != nil {
		return fmt.Errorf("insert clue event: %w", err)
	}
	return nil
}

// ClueEvents returns a clue's timeline, oldest first.
func (tx *Tx) ClueEvents(clueID int64) ([]ClueEvent, error) {
	rows, err := tx.query(`SELECT id, clue_id, IFNULL(person_id, 0), kind, body, created_at FROM clue_events
		WHERE clue_id = ? ORDER BY id`, clueID)
	return collect("clue events", rows, err, func(rows *sql.Rows, e *ClueEvent) error {
		return rows.Scan(&e.ID, &e.ClueID, &e.PersonID, &e.Kind, &e.Body, unix(&e.CreatedAt))
	})
}

// maxRepeatLinks bounds how many earlier clues a new one is linked to (the newest); held
// clues are linked and re-activated however many there are. Linking each clue to every
// earlier one grew the links with the square of the clues: a subject reported ten thousand
// times made fifty million links, and each new report slower than the last.
const maxRepeatLinks = 20

// repeatScope selects the clues naming a subject. It repeats the partial index's condition (a
// non-empty subject_key): SQLite cannot prove it from a bound "= ?", and without it read
// every clue, twice per new report.
const repeatScope = ` WHERE c.subject_key = ? AND c.subject_key <> '' AND c.id <> ? AND (? = 0 OR c.village_id IS NULL OR c.village_id = ?)`

// repeatsOf returns the earlier clues c repeats, oldest first: the same subject, and, when c
// has a village, in that village or in none recorded (村会计 of another village is another
// person).
func (tx *Tx) repeatsOf(c *Clue, key string) ([]*Clue, error) {
	scope := repeatScope
	args := []any{key, c.ID, c.VillageID, c.VillageID}
	held, err := tx.cluesWhere(scope+` AND c.status = ? ORDER BY c.id`, append(args, ClueHeld)...)
	if err != nil {
		return nil, err
	}
	recent, err := tx.cluesWhere(scope+` ORDER BY c.id DESC LIMIT `+strconv.Itoa(maxRepeatLinks), args...)
	if err != nil {
		return nil, err
	}
	byID := map[int64]*Clue{}
	for _, e := range append(held, recent...) {
		byID[e.ID] = e
	}
	out := make([]*Clue, 0, len(byID))
	for _, e := range byID {
		out = append(out, e)
	}
	slices.SortFunc(out, func(a, b *Clue) int { return cmp.Compare(a.ID, b.ID) })
	return out, nil
}

// FindClue returns a clue by id.
func (tx *Tx) FindClue(id int64) (*Clue, error) {
	return scanClue(tx.queryRow(`SELECT `+clueColumns+clueFrom+` WHERE c.id = ?`, id))
}

// FindClueByNumber returns a clue by its number, typed in any case.
func (tx *Tx) FindClueByNumber(number string) (*Clue, error) {
	return scanClue(tx.queryRow(`SELECT `+clueColumns+clueFrom+` WHERE c.number = ?`, strings.ToUpper(strings.TrimSpace(number))))
}

// FindClueByReport returns the clue a report became.
func (tx *Tx) FindClueByReport(reportID int64) (*Clue, error) {
	return scanClue(tx.queryRow(`SELECT `+clueColumns+clueFrom+` WHERE c.report_id = ?`, reportID))
}

// ClueLinks returns the numbers of the clues linked to id as repeats, either way.
func (tx *Tx) ClueLinks(id int64) ([]string, error) {
	return column[string](tx, "clue links", `SELECT number FROM clues WHERE id IN (
		SELECT other_id FROM clue_links WHERE clue_id = ? UNION SELECT clue_id FROM clue_links WHERE other_id = ?) ORDER BY id`, id, id)
}

// ClueFilter selects clues; zero fields do not filter.
type ClueFilter struct {
	Statuses   []string
	Open       bool   // not closed
	Unit       string // transferred to this unit
	TownshipID int64  // in this township
	VillageID  int64
	RoundID    int64
	SubjectKey string
	DueBefore  time.Time // open, with a due date before this
	From, To   time.Time // received in [From, To)
	Limit      int
	// Nothing matches no clue: the scope of a role that may see none (handlers.Rules.Scope).
	Nothing bool

	// The desk's further filters (store/desk.go).
	Search   string    // in the subject or the summary, as typed (LIKE: works for Chinese)
	KeeperID int64     // kept by this person; NoKeeper: by nobody yet
	Disposal string    // this disposal key
	Form     int       // this one of the four forms
	Level    int       // open, at this level of the escalation ladder on its current clock (deadline or stage)
	DueAfter time.Time // with a due date at or after this
	Overdue  time.Time // open and past its due date at this time
}

// NoKeeper in ClueFilter.KeeperID selects the clues nobody keeps yet.
const NoKeeper = -1

func (f ClueFilter) where() (string, []any) {
	var where []string
	var args []any
	if f.Nothing {
		where = append(where, "0")
	}
	if len(f.Statuses) > 0 {
		marks := make([]string, len(f.Statuses))
		for i, s := range f.Statuses {
			marks[i] = "?"
			args = append(args, s)
		}
		where = append(where, "c.status IN ("+strings.Join(marks, ",")+")")
	}
	if f.Open {
		where = append(where, "c.status <> 'closed'")
	}
	if f.Unit != "" {
		where, args = append(where, "c.unit = ?"), append(args, f.Unit)
	}
	if f.TownshipID != 0 {
		where, args = append(where, "c.township_id = ?"), append(args, f.TownshipID)
	}
	if f.VillageID != 0 {
		where, args = append(where, "c.village_id = ?"), append(args, f.VillageID)
	}
	if f.RoundID != 0 {
		where, args = append(where, "c.round_id = ?"), append(args, f.RoundID)
	}
	if f.SubjectKey != "" {
		where, args = append(where, "c.subject_key = ? AND c.subject_key <> ''"), append(args, f.SubjectKey)
	}
	if !f.DueBefore.IsZero() {
		where, args = append(where, "c.status <> 'closed' AND c.due_at IS NOT NULL AND c.due_at < ?"), append(args, f.DueBefore.Unix())
	}
	where, args = f.deskWhere(where, args)
	if !f.From.IsZero() {
		where, args = append(where, "c.received_at >= ?"), append(args, f.From.Unix())
	}
	if !f.To.IsZero() {
		where, args = append(where, "c.received_at < ?"), append(args, f.To.Unix())
	}
	if len(where) == 0 {
		return "", args
	}
	return " WHERE " + strings.Join(where, " AND "), args
}

// Clues returns the clues matching f, oldest first.
func (tx *Tx) Clues(f ClueFilter) ([]*Clue, error) {
	where, args := f.where()
	q := where + ` ORDER BY c.id`
	if f.Limit > 0 {
		q += ` LIMIT ` + strconv.Itoa(f.Limit)
	}
	return tx.cluesWhere(q, args...)
}

// EachClue calls fn with each clue matching f, oldest first, reading them a page at a time:
// an export of the whole ledger holds one page in memory, not the ledger. (f.Limit is
// ignored.)
func (tx *Tx) EachClue(f ClueFilter, fn func(*Clue) error) error {
	where, args := f.where()
	if where == "" {
		where = " WHERE c.id > ?"
	} else {
		where += " AND c.id > ?"
	}
	const page = 500
	var after int64
	for {
		clues, err := tx.cluesWhere(where+` ORDER BY c.id LIMIT `+strconv.Itoa(page), append(args, after)...)
		if err != nil {
			return err
		}
		for _, c := range clues {
			if err := fn(c); err != nil {
				return err
			}
		}
		if len(clues) < page {
			return nil
		}
		after = clues[len(clues)-1].ID
	}
}

// cluesWhere returns the clues of a query's WHERE and ORDER clauses.
func (tx *Tx) cluesWhere(where string, args ...any) ([]*Clue, error) {
	return tx.cluesFrom(clueFrom+where, args...)
}

// cluesFrom returns the clues of a query's FROM (clueFrom or a variant), WHERE and ORDER
// clauses.
func (tx *Tx) cluesFrom(from string, args ...any) ([]*Clue, error) {
	rows, err := tx.query(`SELECT `+clueColumns+from, args...)
	return records("clues", rows, err, scanClue)
}

// LedgerStats are the figures of a period or round.
type LedgerStats struct {
	Received        int
	Transferred     int
	WhileInspecting int // transferred while the round was under way (边巡边移)
	CasesFiled      int
	Disciplined     int
	OrgHandled      int
	Closed          int
	Disposals       map[string]int // disposal key → clues
	Forms           map[int]int    // 1–4 → clues
}

// Stats counts the clues matching f, in two passes over the covering index clues_stats
// (store/stats.go).
func (tx *Tx) Stats(f ClueFilter) (LedgerStats, error) {
	s := LedgerStats{Disposals: map[string]int{}, Forms: map[int]int{}}
	q, args := statsSummaryQuery(f)
	err := tx.queryRow(q, args...).
		Scan(&s.Received, &s.Transferred, &s.WhileInspecting, &s.CasesFiled, &s.Disciplined, &s.OrgHandled, &s.Closed)
	if err != nil {
		return s, fmt.Errorf("stats: %w", err)
	}
	q, args = statsMixQuery(f)
	rows, err := tx.query(q, args...)
	if err != nil {
		return s, fmt.Errorf("stats mix: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var d string
		var form, n int
		if err := rows.Scan(&d, &form, &n); err != nil {
			return s, fmt.Errorf("stats mix: %w", err)
		}
		if d != "" {
			s.Disposals[d] += n
		}
		if form != 0 {
			s.Forms[form] += n
		}
	}
	return s, rows.Err()
}

// Round is an inspection round as the ledger counts it.
type Round struct {
	ID       int64
	Name     string
	StartsAt time.Time
	EndsAt   time.Time
}

// CreateRound records a round; clues registered and transferred within its window count in it.
func (tx *Tx) CreateRound(r *Round) error {
	if !r.EndsAt.After(r.StartsAt) {
		return errors.New("create round: the end must be after the start")
	}
	return tx.insert(&r.ID, "insert round", `INSERT INTO ledger_rounds (name, starts_at, ends_at) VALUES (?, ?, ?)`, r.Name, r.StartsAt.Unix(), r.EndsAt.Unix())
}

// RoundAt returns the id of the round under way at t, or 0.
func (tx *Tx) RoundAt(t time.Time) (int64, error) {
	var id int64
	err := tx.queryRow(`SELECT id FROM ledger_rounds WHERE starts_at <= ? AND ends_at > ? ORDER BY starts_at DESC LIMIT 1`,
		t.Unix(), t.Unix()).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("round at: %w", err)
	}
	return id, nil
}

// FindRound returns a round by name or by its number as text.
func (tx *Tx) FindRound(nameOrID string) (*Round, error) {
	r := &Round{}
	var s, e int64
	err := tx.queryRow(`SELECT id, name, starts_at, ends_at FROM ledger_rounds WHERE name = ? OR CAST(id AS TEXT) = ?`,
		nameOrID, nameOrID).Scan(&r.ID, &r.Name, &s, &e)
	if err != nil {
		return nil, rowErr("find round", err)
	}
	r.StartsAt, r.EndsAt = time.Unix(s, 0).UTC(), time.Unix(e, 0).UTC()
	return r, nil
}

// UnitChatIDs returns the reachable chats of the members of a receiving unit.
func (tx *Tx) UnitChatIDs(unit string) ([]int64, error) {
	return column[int64](tx, "chats", `SELECT c.id FROM chats c JOIN people p ON p.id = c.person_id
		WHERE p.role = 'unit' AND p.unit = ? AND c.unreachable = 0 ORDER BY c.id`, unit)
}

// PersonChatIDs returns the reachable chats bound to a person.
func (tx *Tx) PersonChatIDs(personID int64) ([]int64, error) {
	return column[int64](tx, "chats", `SELECT id FROM chats WHERE person_id = ? AND unreachable = 0 ORDER BY id`, personID)
}
