package scheduler

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"xuncha/handlers"
	"xuncha/internal/syncbuf"
	"xuncha/store"
	"xuncha/store/storetest"
)

// shanghai is the zone every test here runs in.
var shanghai = mustLoad("Asia/Shanghai")

func mustLoad(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// at is a Shanghai wall-clock time.
func at(y int, m time.Month, d, h, min int) time.Time {
	return time.Date(y, m, d, h, min, 0, 0, shanghai)
}

// fixture is a real store in a temp dir with a clock, a raw connection for setting up clues
// (the ledger's own methods are not needed here) and reading back, and a scheduler. Its clock
// is either set by the test, which then calls the jobs itself (newFixture), or synctest's
// virtual clock mapped onto a date, with the scheduler running on its cron (newLive).
type fixture struct {
	t    testing.TB
	path string
	db   *store.DB
	raw  *sql.DB
	logs *syncbuf.Buffer
	log  *slog.Logger
	cfg  Config
	s    *Scheduler

	mu  sync.Mutex
	now time.Time
	// live: the clock is the bubble's plus offset; stop stops the running scheduler.
	live   bool
	offset time.Duration
	stop   func()
	// crash names the job whose transactions fail just before they commit, as a crash at
	// that moment would (see crashing).
	crash string
}

func newFixture(t testing.TB, cfg Config) *fixture {
	t.Helper()
	return newFixtureAt(t, cfg, filepath.Join(t.TempDir(), "x.db"))
}

// newShortLadder is a fixture whose deadline ladder is short (a nudge 3 working days before
// the deadline, the supervision letter 5 after the reminder letter), on 2026-03-01 09:00.
func newShortLadder(t testing.TB) *fixture {
	t.Helper()
	f := newFixture(t, Config{Ladder: LadderConfig{NudgeBefore: 3, SupervisionAfter: 5}})
	f.set(at(2026, 3, 1, 9, 0))
	return f
}

// newFixtureAt is newFixture on the store at path (a generated ledger).
func newFixtureAt(t testing.TB, cfg Config, path string) *fixture {
	t.Helper()
	f := &fixture{t: t, path: path, cfg: cfg, now: at(2026, 1, 5, 9, 0)}
	f.init()
	return f
}

// live runs fn in a synctest bubble with a newLive fixture.
func live(t *testing.T, cfg Config, day time.Time, fn func(t *testing.T, f *fixture)) {
	t.Helper()
	synctest.Test(t, func(t *testing.T) { fn(t, newLive(t, cfg, day)) })
}

// newLive is a fixture inside a synctest bubble (call it from synctest.Test's function)
// running the real scheduler as serve does: its cron wiring with the jobs' specs, the built-in
// calendar of the 2026 holidays, every job, the catch-up pass at start. The jobs and the store
// see the bubble's virtual clock mapped onto day: the bubble starts at 2000-01-01 00:00 UTC
// (08:00 in Shanghai), which becomes 08:00 on day, so that the cron's 09:00 is 09:00 on the
// mapped date too. Time passes with f.until; nothing runs in real time.
func newLive(t *testing.T, cfg Config, day time.Time) *fixture {
	t.Helper()
	if cfg.Specs == nil {
		// Announcements tick every minute and rounds every ten: once a day each is enough
		// for these tests and keeps a virtual month to a few dozen job runs.
		cfg.Specs = map[string]string{JobAnnounce: "0 8 * * *", JobRounds: "0 10 * * *"}
	}
	f := &fixture{t: t, path: filepath.Join(t.TempDir(), "x.db"), cfg: cfg, live: true}
	start := time.Now().In(shanghai)
	day = day.In(shanghai)
	f.offset = time.Date(day.Year(), day.Month(), day.Day(), start.Hour(), start.Minute(), start.Second(), start.Nanosecond(), shanghai).Sub(start)
	f.init()
	f.start()
	return f
}

// init opens the store, a scheduler on it and the raw connection.
func (f *fixture) init() {
	t := f.t
	t.Helper()
	f.logs = &syncbuf.Buffer{}
	f.log = slog.New(slog.NewJSONHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	f.open()
	raw, err := sql.Open("sqlite", "file:"+f.path+"?_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_txlock=immediate")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	f.raw = raw
}

// open opens the store and builds a scheduler on it: called again, it is a restart.
func (f *fixture) open() {
	f.t.Helper()
	db := storetest.Open(f.t, f.path)
	db.Now = f.clock
	f.db = db
	cal, err := NewCalendar(f.log, shanghai, nil, nil)
	if err != nil {
		f.t.Fatal(err)
	}
	cfg := f.cfg
	cfg.Location = shanghai
	cfg.Now = f.clock
	f.s, err = New(f.log, db, cal, cfg)
	if err != nil {
		f.t.Fatal(err)
	}
	// Set before the scheduler starts, so that the test changes f.crash, not the hook.
	f.s.beforeCommit = func(job string) error {
		f.mu.Lock()
		defer f.mu.Unlock()
		if job == f.crash {
			return errCrash
		}
		return nil
	}
}

// errCrash is the error of a transaction that crashing made fail.
var errCrash = errors.New("killed before the commit")

// crashing makes the job's transactions fail just before they commit from now on ("": none).
func (f *fixture) crashing(job string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.crash = job
}

// restart closes the store and opens it again with a new scheduler, as a new process would.
func (f *fixture) restart() {
	f.t.Helper()
	f.restartAfter(0)
}

// restartAfter stops the process (a running scheduler, then the store), lets down of virtual
// time pass while it is down, and starts it again on the same file; the new scheduler starts
// only if one was running.
func (f *fixture) restartAfter(down time.Duration) {
	f.t.Helper()
	running := f.stop != nil
	if running {
		f.stop()
	}
	if err := f.db.Close(); err != nil {
		f.t.Fatal(err)
	}
	if down > 0 {
		time.Sleep(down)
	}
	f.open()
	if running {
		f.start()
	}
}

// start starts the scheduler on its cron; the test's end (or a restart) stops it, before the
// store closes.
func (f *fixture) start() {
	f.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	if err := f.s.Start(ctx); err != nil {
		cancel()
		f.t.Fatal(err)
	}
	s := f.s
	f.stop = func() {
		<-s.Stop().Done()
		cancel()
		f.stop = nil
	}
	f.t.Cleanup(func() {
		if f.stop != nil {
			f.stop()
		}
	})
}

// until lets the virtual clock run to the mapped time t, the cron ticking on the way, and
// waits for the jobs the last tick started.
func (f *fixture) until(t time.Time) {
	f.t.Helper()
	time.Sleep(t.Sub(f.clock()))
	synctest.Wait()
}

func (f *fixture) clock() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.live {
		return time.Now().Add(f.offset)
	}
	return f.now
}

func (f *fixture) set(t time.Time) time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.live {
		f.t.Fatal("the clock of a live fixture is synctest's")
	}
	f.now = t
	return t
}

func (f *fixture) update(fn func(tx *store.Tx) error) {
	f.t.Helper()
	if err := f.db.Update(context.Background(), fn); err != nil {
		f.t.Fatal(err)
	}
}

// township imports a township and returns its id.
func (f *fixture) township(name string) int64 {
	f.t.Helper()
	f.places(store.PlaceRow{Township: name})
	tw, _ := f.place(name, "")
	return tw
}

// places imports townships with villages: "新站镇/东风村".
func (f *fixture) places(rows ...store.PlaceRow) {
	f.t.Helper()
	if _, err := f.db.ImportPlaces(context.Background(), rows); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) place(township, village string) (int64, int64) {
	f.t.Helper()
	tid, vid, err := f.db.FindPlaceByName(context.Background(), township, village)
	if err != nil {
		f.t.Fatal(err)
	}
	return tid, vid
}

// person binds a new chat (external id ext on Telegram) to a person with a role.
func (f *fixture) person(role store.Role, township, village int64, unit, ext string) (personID, chatID int64) {
	f.t.Helper()
	inv := &store.Invitation{Role: role, TownshipID: township, VillageID: village, Unit: unit, ExpiresAt: f.clock().Add(time.Hour)}
	code, err := f.db.CreateInvitation(context.Background(), inv)
	if err != nil {
		f.t.Fatal(err)
	}
	f.update(func(tx *store.Tx) error {
		c, err := tx.EnsureChat("telegram", ext, "zh", false)
		if err != nil {
			return err
		}
		p, err := tx.RedeemInvitation(code, c.ID)
		if err != nil {
			return err
		}
		personID, chatID = p.ID, c.ID
		return nil
	})
	return personID, chatID
}

// clue inserts an open clue transferred to unit with a deadline.
func (f *fixture) clue(number, unit string, township, keeper int64, due time.Time) int64 {
	f.t.Helper()
	var k any
	if keeper != 0 {
		k = keeper
	}
	res, err := f.raw.Exec(`INSERT INTO clues (number, source, title, township_id, keeper_id, status, unit, received_at, due_at, updated_at)
		VALUES (?, 'inspection', ?, ?, ?, 'transferred', ?, ?, ?, ?)`, number, "线索"+number, township, k, unit,
		due.AddDate(0, -1, 0).Unix(), due.Unix(), due.Unix())
	if err != nil {
		f.t.Fatal(err)
	}
	id, _ := res.LastInsertId()
	return id
}

// reportClue files a resident's report about township and registers its clue (status new,
// received now) with keeper (0: none): real-name from the Telegram chat reporterExt, which
// keeps the sealed link, or anonymous when reporterExt is "".
func reportClue(tx *store.Tx, township, keeper int64, reporterExt string) (*store.Clue, int64, error) {
	r := &store.Report{Category: "interests", TownshipID: township, Description: "截留补贴", Lang: "zh", Anonymous: true}
	var chatID int64
	if reporterExt != "" {
		chat, err := tx.EnsureChat("telegram", reporterExt, "zh", false)
		if err != nil {
			return nil, 0, err
		}
		chatID = chat.ID
		r.Anonymous, r.ReporterChat, r.Contact = false, chat.ID, &store.Contact{Name: "赵六", Phone: "13800000001"}
	}
	if _, err := tx.CreateReport(r, nil); err != nil {
		return nil, 0, err
	}
	c := &store.Clue{Source: store.ClueFromReport, ReportID: r.ID, Subject: "东风村会计", TownshipID: township, KeeperID: keeper, ReceivedAt: tx.Now()}
	if _, err := tx.CreateClue(c); err != nil {
		return nil, 0, err
	}
	return c, chatID, nil
}

// ledgerFile loads the built-in ledger file with old replaced by new, as a county's own file
// (XUNCHA_LEDGER) would say it.
func ledgerFile(t testing.TB, old, new string) *handlers.Ledger {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "handlers", "ledger.json"))
	if err != nil {
		t.Fatal(err)
	}
	changed := strings.Replace(string(data), old, new, 1)
	if changed == string(data) {
		t.Fatalf("the built-in ledger file has no %s", old)
	}
	file := filepath.Join(t.TempDir(), "ledger.json")
	if err := os.WriteFile(file, []byte(changed), 0o600); err != nil {
		t.Fatal(err)
	}
	l, err := handlers.LoadLedger(file)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// mailbox returns the texts queued for a chat, oldest first.
func (f *fixture) mailbox(chatID int64) []store.Delivery {
	f.t.Helper()
	d, err := f.db.Mailbox(context.Background(), chatID, 0, 10000)
	if err != nil {
		f.t.Fatal(err)
	}
	return d
}

// events returns a clue's timeline kinds with their bodies.
func (f *fixture) events(clueID int64) []string {
	f.t.Helper()
	rows, err := f.raw.Query(`SELECT kind, body FROM clue_events WHERE clue_id = ? ORDER BY id`, clueID)
	if err != nil {
		f.t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var k, b string
		if err := rows.Scan(&k, &b); err != nil {
			f.t.Fatal(err)
		}
		out = append(out, k+" "+b)
	}
	return out
}

func (f *fixture) count(query string, args ...any) int {
	f.t.Helper()
	var n int
	if err := f.raw.QueryRow(query, args...).Scan(&n); err != nil {
		f.t.Fatalf("%s: %v", query, err)
	}
	return n
}

// run calls a job at now, with the store's clock set to now.
func (f *fixture) run(job func(context.Context, time.Time) error, now time.Time) {
	f.t.Helper()
	f.set(now)
	if err := job(context.Background(), now); err != nil {
		f.t.Fatalf("job at %s: %v", now.Format(time.DateTime), err)
	}
}

// sent returns what was queued for chat about any of numbers (clue numbers), oldest first,
// each as its day, the head of its text (【…】) and the numbers it names; other messages (the
// monthly review's digest, say) are left out.
func (f *fixture) sent(chat int64, numbers ...string) []string {
	f.t.Helper()
	var out []string
	for _, m := range f.mailbox(chat) {
		line := fmtDay(m.Created) + " " + strings.SplitN(m.Message.Text, "】", 2)[0] + "】"
		named := false
		for _, n := range numbers {
			if strings.Contains(m.Message.Text, n) {
				line += " " + n
				named = true
			}
		}
		if named {
			out = append(out, line)
		}
	}
	return out
}

// colourAt is the colour a clue should show at a time.
type colourAt struct {
	at     time.Time
	colour string
}

// wantColours lets the virtual clock run to each time in turn and checks that clue id shows
// the colour there, as the ledger's lists show it.
func (f *fixture) wantColours(id int64, want ...colourAt) {
	f.t.Helper()
	for _, w := range want {
		f.until(w.at)
		if got := f.colour(id); got != w.colour {
			f.t.Errorf("%s: %s, want %s", w.at.In(shanghai).Format("01-02 15:04"), got, w.colour)
		}
	}
}

// colour is clue id's colour as the ledger's lists show it, in Chinese.
func (f *fixture) colour(id int64) string {
	f.t.Helper()
	var c *store.Clue
	var now time.Time
	f.update(func(tx *store.Tx) (err error) { c, err = tx.FindClue(id); now = tx.Now(); return err })
	return f.s.cfg.Ledger.ClueColour(c, "zh", now).Label
}

// wantLines fails the test when got is not want, showing both, a line each.
func wantLines(t testing.TB, what string, got, want []string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("%s:\n got:\n%s\nwant:\n%s", what, strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func fmtDay(t time.Time) string { return t.In(shanghai).Format("01-02") }

var _ = fmt.Sprint
