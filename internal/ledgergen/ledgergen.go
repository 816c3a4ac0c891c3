// Package ledgergen builds realistic clue ledgers for benchmarks: the shape a county's ledger
// has after some years, not an empty one or one where every deadline lies ahead.
//
// Of the clues, 15 % are new, 5 % studied, 5 % held (暂存待查) and 75 % transferred or in
// handling with a deadline spread evenly from 120 days before Now to 180 days after it. The
// escalation ladder and its letters are as the previous working day's pass left them: clues
// past their deadline hold a numbered reminder letter (提醒函), those past the supervision
// time a supervision letter (督办函) unless the reminder was signed for, clues inside the nudge
// window were nudged; new and studied clues climbed their stage's clock (the built-in ledger
// file's stages) from the day they entered it the same way. Townships have an official, units two members, each with a chat, so a
// ladder step queues real messages.
//
// A built ledger is cached as a file under os.TempDir, keyed by its size, the schema and the
// generator's version, so that repeated benchmark runs copy it instead of building it again
// (a million clues take a minute or two to build).
package ledgergen

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"xuncha/handlers"
	"xuncha/store"
)

// version changes whenever the generated shape changes, so that cached files are rebuilt.
const version = 4

// Ladder thresholds the generated state follows: the scheduler's defaults.
const (
	NudgeBefore      = 10 // working days
	SupervisionAfter = 20 // working days
)

// Units are the receiving units clues are transferred to: the keys of the default ledger
// settings (handlers/ledger.json).
var Units = []string{"case1", "case2", "org", "propaganda", "agri", "audit"}

// Townships is how many townships the ledger spreads over.
const Townships = 20

// Spec describes a ledger.
type Spec struct {
	Clues int
	// Now is the moment the ledger is as of: the previous working day's 09:00 pass has run.
	// Its location is the county's time zone.
	Now time.Time
	// Key is the store's secret key.
	Key []byte
}

// DefaultNow is the moment benchmarks use: a Tuesday morning, Shanghai time.
func DefaultNow() time.Time {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		loc = time.FixedZone("CST", 8*3600)
	}
	return time.Date(2026, 6, 9, 9, 0, 0, 0, loc)
}

// Copy puts a copy of the cached ledger of spec into a new file in tb's temporary directory,
// building the cache first when needed, and returns its path.
func Copy(tb testing.TB, spec Spec) string {
	tb.Helper()
	src, built, err := Cached(spec)
	if err != nil {
		tb.Fatal(err)
	}
	if built > 0 {
		tb.Logf("built the %d-clue ledger in %s (cached at %s)", spec.Clues, built.Round(time.Millisecond), src)
	}
	dst := filepath.Join(tb.TempDir(), "ledger.db")
	if err := copyFile(src, dst); err != nil {
		tb.Fatal(err)
	}
	return dst
}

// Cached returns the path of the cached ledger of spec, building it when it is missing, and
// how long the build took (0 when the cache was used). The cache file is keyed by the size,
// Now, the schema and this package's version.
func Cached(spec Spec) (path string, built time.Duration, err error) {
	schema, err := schemaVersions(spec.Key)
	if err != nil {
		return "", 0, err
	}
	name := fmt.Sprintf("xuncha-ledger-%d-%d-g%d-s%s.db", spec.Clues, spec.Now.Unix(), version, schema)
	path = filepath.Join(os.TempDir(), name)
	if _, err := os.Stat(path); err == nil {
		return path, 0, nil
	}
	// Built under a name of its own and renamed, so that two processes building at once, or
	// one killed halfway, never leave a half-built file under the cache's name.
	tmp := fmt.Sprintf("%s.%d.tmp", path, os.Getpid())
	start := time.Now()
	if err := Build(context.Background(), tmp, spec); err != nil {
		os.Remove(tmp)
		return "", 0, err
	}
	for _, suffix := range []string{"-wal", "-shm"} {
		os.Remove(tmp + suffix)
	}
	if err := os.Rename(tmp, path); err != nil {
		return "", 0, fmt.Errorf("ledgergen: %w", err)
	}
	return path, time.Since(start), nil
}

// schemaVersions fingerprints the schema of this binary's store, read from a new empty store.
func schemaVersions(key []byte) (string, error) {
	dir, err := os.MkdirTemp("", "xuncha-schema-")
	if err != nil {
		return "", fmt.Errorf("ledgergen: %w", err)
	}
	defer os.RemoveAll(dir)
	db, err := store.Open(context.Background(), filepath.Join(dir, "x.db"), key)
	if err != nil {
		return "", fmt.Errorf("ledgergen: %w", err)
	}
	db.Close()
	raw, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "x.db"))
	if err != nil {
		return "", fmt.Errorf("ledgergen: %w", err)
	}
	defer raw.Close()
	// The schema's text, not only the migrations' numbers: a migration edited before its
	// release must not reuse a ledger built with the old text.
	var v string
	if err := raw.QueryRow(`SELECT group_concat(IFNULL(sql, name), ';') FROM (SELECT name, sql FROM sqlite_master ORDER BY name)`).Scan(&v); err != nil {
		return "", fmt.Errorf("ledgergen: %w", err)
	}
	sum := sha256.Sum256([]byte(v))
	return hex.EncodeToString(sum[:6]), nil
}

// Build writes the ledger of spec into a new store at path.
func Build(ctx context.Context, path string, spec Spec) error {
	if spec.Now.IsZero() {
		spec.Now = DefaultNow()
	}
	db, err := store.Open(ctx, path, spec.Key)
	if err != nil {
		return fmt.Errorf("ledgergen: %w", err)
	}
	db.Now = func() time.Time { return spec.Now }
	err = people(ctx, db, spec.Now)
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("ledgergen: people: %w", err)
	}
	q := url.Values{}
	q.Add("_pragma", "foreign_keys(0)")
	q.Add("_pragma", "synchronous(OFF)")
	q.Add("_pragma", "journal_mode(WAL)")
	raw, err := sql.Open("sqlite", "file:"+(&url.URL{Path: path}).EscapedPath()+"?"+q.Encode())
	if err != nil {
		return fmt.Errorf("ledgergen: %w", err)
	}
	defer raw.Close()
	raw.SetMaxOpenConns(1)
	if err := clues(ctx, raw, spec); err != nil {
		return fmt.Errorf("ledgergen: clues: %w", err)
	}
	if _, err := raw.ExecContext(ctx, `ANALYZE`); err != nil {
		return fmt.Errorf("ledgergen: analyze: %w", err)
	}
	if _, err := raw.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		return fmt.Errorf("ledgergen: checkpoint: %w", err)
	}
	return nil
}

// people imports the townships and binds an official per township, two admins for the county
// and two members per unit, each with a Telegram chat.
func people(ctx context.Context, db *store.DB, now time.Time) error {
	var rows []store.PlaceRow
	for t := range Townships {
		rows = append(rows, store.PlaceRow{Township: fmt.Sprintf("镇%02d", t+1), Village: fmt.Sprintf("镇%02d村1", t+1), Class: "general"})
	}
	if _, err := db.ImportPlaces(ctx, rows); err != nil {
		return err
	}
	n := 0
	bind := func(inv *store.Invitation) error {
		n++
		inv.ExpiresAt = now.Add(time.Hour)
		code, err := db.CreateInvitation(ctx, inv)
		if err != nil {
			return err
		}
		return db.Update(ctx, func(tx *store.Tx) error {
			c, err := tx.EnsureChat("telegram", fmt.Sprint(700000+n), "zh", false)
			if err != nil {
				return err
			}
			_, err = tx.RedeemInvitation(code, c.ID)
			return err
		})
	}
	for t := range Townships {
		tid, _, err := db.FindPlaceByName(ctx, fmt.Sprintf("镇%02d", t+1), "")
		if err != nil {
			return err
		}
		if err := bind(&store.Invitation{Role: store.RoleOfficial, TownshipID: tid}); err != nil {
			return err
		}
	}
	for range 2 {
		if err := bind(&store.Invitation{Role: store.RoleAdmin}); err != nil {
			return err
		}
	}
	for _, u := range Units {
		for range 2 {
			if err := bind(&store.Invitation{Role: store.RoleUnit, Unit: u}); err != nil {
				return err
			}
		}
	}
	return nil
}

// weekdays is the generator's working-day calendar: Monday to Friday. The scheduler's own
// calendar also knows the public holidays, so a few clues near a holiday may owe a step the
// generator did not take; that is work a real pass would find too.
type weekdays struct{ loc *time.Location }

func (w weekdays) startOfDay(t time.Time) time.Time {
	t = t.In(w.loc)
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, w.loc)
}

func (w weekdays) working(t time.Time) bool {
	d := t.In(w.loc).Weekday()
	return d != time.Saturday && d != time.Sunday
}

// add moves n working days from t's day (back for negative n), keeping the time of day.
func (w weekdays) add(t time.Time, n int) time.Time {
	step := 1
	if n < 0 {
		step, n = -1, -n
	}
	for n > 0 {
		t = t.AddDate(0, 0, step)
		if w.working(t) {
			n--
		}
	}
	return t
}

// nextPass is the first working-day 09:00 pass at or after t.
func (w weekdays) nextPass(t time.Time) time.Time {
	p := w.startOfDay(t).Add(9 * time.Hour)
	if p.Before(t) {
		p = p.AddDate(0, 0, 1)
	}
	for !w.working(p) {
		p = p.AddDate(0, 0, 1)
	}
	return p
}

// ladder is the state the previous pass left a clue in.
type ladder struct {
	level    int
	next     time.Time // zero: no further step
	reminder time.Time // when the reminder letter went, zero if none
	acked    time.Time // when it was signed for, zero if not
	superv   time.Time // when the supervision letter went, zero if none
}

// ladderAt is the ladder of a deadline as passes up to and including last left it.
func (w weekdays) ladderAt(due, last time.Time, r *rand.Rand) (l ladder, nudgeAt time.Time) {
	nudgeAt = w.startOfDay(w.add(w.startOfDay(due), -NudgeBefore))
	if p := w.nextPass(due); !p.After(last) {
		l.level, l.reminder = store.LadderReminder, p
		l.next = w.startOfDay(w.add(p, SupervisionAfter))
		// A third of reminders are signed for, some days after they went.
		if r.IntN(3) == 0 {
			if ack := p.Add(time.Duration(1+r.IntN(10)) * 24 * time.Hour); ack.Before(last) && ack.Before(l.next) {
				l.acked, l.next = ack, time.Time{}
				return l, nudgeAt
			}
		}
		if s := w.nextPass(l.next); !s.After(last) {
			l.level, l.superv, l.next = store.LadderSupervision, s, time.Time{}
		}
		return l, nudgeAt
	}
	if !w.nextPass(nudgeAt).After(last) {
		l.level, l.next = store.LadderNudge, due
	}
	return l, nudgeAt
}

// stageLadderAt is the ladder of a stage's clock started at anchor as passes up to and
// including last left it, and the clue's next step time (zero: none).
func (w weekdays) stageLadderAt(anchor, last time.Time, th handlers.Thresholds) (l ladder, next time.Time) {
	start := w.startOfDay(anchor)
	nudgeAt := w.startOfDay(w.add(start, th.Nudge))
	reminderAt := w.startOfDay(w.add(start, th.Reminder))
	if p := w.nextPass(reminderAt); !p.After(last) {
		l.level, l.reminder = store.LadderReminder, p
		l.next = w.startOfDay(w.add(p, th.Supervision-th.Reminder))
		if s := w.nextPass(l.next); !s.After(last) {
			l.level, l.superv, l.next = store.LadderSupervision, s, time.Time{}
		}
		return l, l.next
	}
	if !w.nextPass(nudgeAt).After(last) {
		l.level, l.next = store.LadderNudge, reminderAt
		return l, reminderAt
	}
	return l, nudgeAt
}

// clues inserts the clues, their timelines, ladder rows and letters in one transaction with
// prepared statements.
func clues(ctx context.Context, raw *sql.DB, spec Spec) error {
	now := spec.Now
	loc := now.Location()
	cal := weekdays{loc: loc}
	// The previous working day's pass, at 09:00.
	last := cal.startOfDay(now).Add(9 * time.Hour)
	for last = last.AddDate(0, 0, -1); !cal.working(last); last = last.AddDate(0, 0, -1) {
	}
	townships, err := ids(ctx, raw, `SELECT id FROM townships ORDER BY id`)
	if err != nil {
		return err
	}
	officials, err := ids(ctx, raw, `SELECT id FROM people WHERE role = 'official' ORDER BY township_id`)
	if err != nil {
		return err
	}
	tx, err := raw.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	prep := func(q string) *sql.Stmt {
		if err != nil {
			return nil
		}
		var s *sql.Stmt
		s, err = tx.PrepareContext(ctx, q)
		return s
	}
	insClue := prep(`INSERT INTO clues (id, number, source, title, subject, subject_key, summary, township_id, keeper_id,
		status, disposal, form, unit, received_at, due_at, acked_at, updated_at, stage_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	// The insert trigger gave every open clue a next step to be worked out (0); these put the
	// time the previous pass left instead, or take the clue off the ladder.
	setNext := prep(`UPDATE clue_next_steps SET at = ? WHERE clue_id = ?`)
	delNext := prep(`DELETE FROM clue_next_steps WHERE clue_id = ?`)
	insEvent := prep(`INSERT INTO clue_events (clue_id, person_id, kind, body, created_at) VALUES (?, ?, ?, ?, ?)`)
	insLadder := prep(`INSERT INTO clue_ladder (clue_id, due_at, level, next_at, stage) VALUES (?, ?, ?, ?, ?)`)
	insLetter := prep(`INSERT INTO clue_letters (clue_id, kind, number, due_at, sent_at, acked_at, acked_by, stage) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return err
	}
	ledger, err := handlers.LoadLedger("")
	if err != nil {
		return err
	}
	r := rand.New(rand.NewPCG(uint64(spec.Clues), version))
	perYear := map[int]int{}
	letters := map[string]int{}
	letter := func(id int64, kind, prefix, stage string, due, at, acked time.Time, by int64) error {
		y := at.In(loc).Year()
		k := fmt.Sprintf("%s:%d", kind, y)
		letters[k]++
		number := fmt.Sprintf("%s〔%d〕%d号", prefix, y, letters[k])
		var ackAt, ackBy any
		if !acked.IsZero() {
			ackAt, ackBy = acked.Unix(), by
		}
		if _, err := insLetter.ExecContext(ctx, id, kind, number, due.Unix(), at.Unix(), ackAt, ackBy, stage); err != nil {
			return err
		}
		if _, err := insEvent.ExecContext(ctx, id, nil, kind, number, at.Unix()); err != nil {
			return err
		}
		if !acked.IsZero() {
			_, err := insEvent.ExecContext(ctx, id, by, "letter_acknowledged", number, acked.Unix())
			return err
		}
		return nil
	}
	span := int64(300 * 24 * time.Hour / time.Second)
	for i := range spec.Clues {
		id := int64(i + 1)
		var status string
		switch k := i % 20; {
		case k < 3:
			status = store.ClueNew
		case k == 3:
			status = store.ClueStudied
		case k == 4:
			status = store.ClueHeld
		case k < 13:
			status = store.ClueTransferred
		default:
			status = store.ClueHandling
		}
		// Received within the past two years, the newer ones more often.
		received := now.Add(-time.Duration(r.IntN(730)*r.IntN(1000)/1000) * 24 * time.Hour).Add(-time.Duration(r.IntN(86400)) * time.Second)
		year := received.Year()
		perYear[year]++
		number := fmt.Sprintf("JH-%d-%04d", year, perYear[year])
		tw := r.IntN(len(townships))
		subject := fmt.Sprintf("镇%02d村%d干部%d", tw+1, r.IntN(40), r.IntN(200))
		var unit, disposal string
		var form, due, acked any
		var dueAt time.Time
		if status == store.ClueTransferred || status == store.ClueHandling {
			unit = Units[r.IntN(len(Units))]
			disposal, form = "verify", 1+r.IntN(4)
			dueAt = now.Add(-120 * 24 * time.Hour).Add(time.Duration(r.Int64N(span)) * time.Second)
			if dueAt.Before(received) {
				received = dueAt.Add(-30 * 24 * time.Hour)
			}
			due = dueAt.Unix()
			if status == store.ClueHandling {
				acked = received.Add(72 * time.Hour).Unix()
			}
		}
		// When the clue entered its status: its receipt for a new one, days later for the others.
		stageAt := received
		if status != store.ClueNew {
			stageAt = received.Add(time.Duration(1+r.IntN(20)) * 24 * time.Hour)
			if stageAt.After(last) {
				stageAt = received
			}
		}
		// The next step as the pass set it (migrations 0024, 0032, 0035): the nudge, the
		// deadline or the stage's reminder letter, the supervision letter, or none (-1).
		var l ladder
		nextStep := int64(-1)
		stage, anchor := "", dueAt
		if !dueAt.IsZero() {
			var nudgeAt time.Time
			l, nudgeAt = cal.ladderAt(dueAt, last, r)
			switch {
			case l.level == store.LadderNone:
				nextStep = nudgeAt.Unix()
			case !l.next.IsZero():
				nextStep = l.next.Unix()
			}
		} else if st, ok := ledger.StageOf(status, false); ok {
			var next time.Time
			stage, anchor = status, stageAt
			l, next = cal.stageLadderAt(stageAt, last, st.For(disposal))
			if !next.IsZero() {
				nextStep = next.Unix()
			}
		}
		if _, err := insClue.ExecContext(ctx, id, number, "inspection", "线索"+number, subject, store.NormalizeSubject(subject),
			"某村集体资金使用不规范", townships[tw], officials[tw], status, disposal, form, unit, received.Unix(), due, acked,
			received.Unix(), stageAt.Unix()); err != nil {
			return err
		}
		if nextStep < 0 {
			_, err = delNext.ExecContext(ctx, id)
		} else {
			_, err = setNext.ExecContext(ctx, nextStep, id)
		}
		if err != nil {
			return err
		}
		if _, err := insEvent.ExecContext(ctx, id, officials[tw], "registered", "inspection", received.Unix()); err != nil {
			return err
		}
		if l.level == store.LadderNone {
			continue
		}
		var next any
		if !l.next.IsZero() {
			next = l.next.Unix()
		}
		if _, err := insLadder.ExecContext(ctx, id, anchor.Unix(), l.level, next, stage); err != nil {
			return err
		}
		if !l.reminder.IsZero() {
			if err := letter(id, store.LetterReminder, "提醒", stage, anchor, l.reminder, l.acked, officials[tw]); err != nil {
				return err
			}
		}
		if !l.superv.IsZero() {
			if err := letter(id, store.LetterSupervision, "督办", stage, anchor, l.superv, time.Time{}, 0); err != nil {
				return err
			}
		}
	}
	// The counters the store numbers from (migration 0019), as the issued numbers left them.
	for y, n := range perYear {
		if _, err := tx.ExecContext(ctx, `INSERT INTO number_counters (series, year, last) VALUES ('clue', ?, ?)`, y, n); err != nil {
			return err
		}
	}
	for k, n := range letters {
		kind, y, _ := strings.Cut(k, ":")
		if _, err := tx.ExecContext(ctx, `INSERT INTO number_counters (series, year, last) VALUES (?, ?, ?)`, kind, y, n); err != nil {
			return err
		}
	}
	return tx.Commit()
}

func ids(ctx context.Context, raw *sql.DB, q string) ([]int64, error) {
	rows, err := raw.QueryContext(ctx, q)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	if len(out) == 0 {
		return nil, errors.New("no rows: " + strings.Fields(q)[3])
	}
	return out, rows.Err()
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return fmt.Errorf("ledgergen: %w", err)
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return fmt.Errorf("ledgergen: %w", err)
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return fmt.Errorf("ledgergen: %w", err)
	}
	return out.Close()
}
