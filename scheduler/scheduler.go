package scheduler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/robfig/cron/v3"

	"xuncha/handlers"
	"xuncha/store"
)

// Store is what the timed jobs need from the database.
type Store interface {
	Update(ctx context.Context, fn func(*store.Tx) error) error
	LadderDue(ctx context.Context, now time.Time, after store.LadderCursor, limit int) ([]store.LadderCursor, error)
	ChannelState(ctx context.Context, key string) (string, error)
	View(ctx context.Context, fn func(*store.Tx) error) error
}

// LadderConfig holds the thresholds of the deadline's ladder, in working days. Zero fields
// take them from the stage of the ledger file that counts from the deadline (Config.Stages).
type LadderConfig struct {
	// NudgeBefore: the handling unit is nudged this many working days before the deadline.
	NudgeBefore int
	// SupervisionAfter: an unacknowledged reminder letter (sent at the deadline) is followed
	// by a supervision letter this many working days later.
	SupervisionAfter int
}

// Config holds the scheduler's settings. Zero fields take the defaults of DefaultConfig.
type Config struct {
	Location *time.Location
	Ladder   LadderConfig
	// Ledger is the ledger file (handlers.LoadLedger), the one source of the clocks it sets:
	// its stages are the ladder's thresholds, its refer_days the referral watch's days. nil
	// takes the built-in file.
	Ledger *handlers.Ledger
	// Now is the clock the cron's ticks give the jobs; nil is time.Now. Tests map synctest's
	// virtual clock (which starts in 2000) onto the dates they need with it.
	Now func() time.Time
	// CheckinEvery is an information officer's check-in period (weekly by default); periods
	// start on Mondays at 00:00 local time.
	CheckinEvery time.Duration
	// CheckinMisses missed periods in a row tell the township's liaison.
	CheckinMisses int
	// RealNameDays: a real-name reporter is told within this many working days of receipt
	// whether the report was accepted; officials are nudged RealNameWarn working days before.
	RealNameDays, RealNameWarn int
	// ReferWarn: the office is nudged this many working days before the ledger file's
	// refer_days from receipt run out (分级转办).
	ReferWarn int
	// TaskWarn: an officer's task is brought up this many working days before it is due; still
	// open TaskLiaisonAfter working days after, it goes to the liaison, TaskOfficialAfter
	// working days after, to the official.
	TaskWarn, TaskLiaisonAfter, TaskOfficialAfter int
	// Batch is how many outbox rows one broadcast transaction queues.
	Batch int
	// Specs are the cron specs of the jobs, by job name (see Jobs).
	Specs map[string]string
	// Wake is called after messages were queued, so that the channels deliver at once.
	Wake func()
	// Metrics counts job runs and ladder steps; nil counts nothing.
	Metrics JobMetrics
	// Purge applies the retention periods (xuncha purge); nil runs no purge job.
	Purge func(ctx context.Context, now time.Time) error
	// Channels are chats that get every announcement besides the subscribers of its area:
	// the inspection office's Telegram groups or channels, for example.
	Channels []ChannelChat
	// Letters renders each reminder and supervision letter as the document sent with it; nil
	// sends the letters' chat text alone.
	Letters LetterFiles
}

// LetterFiles renders a letter as a stored Word document (handlers.Engine).
type LetterFiles interface {
	PutLetterFile(tx *store.Tx, letterID int64) (*store.Attachment, error)
}

// ChannelChat is a chat named by its platform and the platform's own id.
type ChannelChat struct {
	Platform string
	Chat     string
}

// DefaultConfig returns the defaults. The ladder's thresholds come from the ledger file's
// stages (handlers/ledger.json), which follow the county practice in DOMAIN.md.
func DefaultConfig() Config {
	return Config{
		Location:      time.UTC,
		CheckinEvery:  7 * 24 * time.Hour,
		CheckinMisses: 3,
		RealNameDays:  15,
		RealNameWarn:  3,
		ReferWarn:     1,
		TaskWarn:      1,
		// A week of working days to the liaison, two to the official.
		TaskLiaisonAfter:  5,
		TaskOfficialAfter: 10,
		Batch:             250,
		Specs:             defaultSpecs(),
	}
}

// Job names.
const (
	JobAnnounce = "announce"
	JobLadder   = "ladder"
	JobCheckin  = "checkin"
	JobReview   = "review"
	JobRealName = "realname"
	JobDuties   = "duties"
	JobReferral = "referral"
	JobTasks    = "tasks"
	JobRounds   = "rounds"
	JobPurge    = "purge"
)

// job is one timed job: its name, its default cron spec and its method. A job is added here
// and nowhere else: the defaults, the job map, the schedule and the catch-up pass at start
// all read this table.
type job struct {
	name string
	spec string
	// method returns the job's method, or nil when the configuration leaves it out.
	method func(s *Scheduler) func(context.Context, time.Time) error
}

// jobTable lists the jobs in the order the catch-up pass at start runs them: announcements
// first (a window may have opened while the process was down), the nightly purge last.
func jobTable() []job {
	return []job{
		{JobAnnounce, "* * * * *", func(s *Scheduler) func(context.Context, time.Time) error { return s.Announce }},
		{JobLadder, "0 9 * * *", func(s *Scheduler) func(context.Context, time.Time) error { return s.Escalate }},
		{JobCheckin, "0 9 * * *", func(s *Scheduler) func(context.Context, time.Time) error { return s.Checkins }},
		{JobReview, "0 9 * * *", func(s *Scheduler) func(context.Context, time.Time) error { return s.MonthlyReview }},
		{JobRealName, "0 9 * * *", func(s *Scheduler) func(context.Context, time.Time) error { return s.RealNameDeadlines }},
		// The real-name duties after acceptance: result notices, objections, retaliation follow-ups.
		{JobDuties, "5 9 * * *", func(s *Scheduler) func(context.Context, time.Time) error { return s.RealNameDuties }},
		// The 5-day watch of referral by jurisdiction, and the officers' tasks' clock.
		{JobReferral, "10 9 * * *", func(s *Scheduler) func(context.Context, time.Time) error { return s.ReferralWatch }},
		{JobTasks, "15 9 * * *", func(s *Scheduler) func(context.Context, time.Time) error { return s.TaskDeadlines }},
		// Office hours: notices, nudges and escalations of rounds.
		{JobRounds, "*/10 8-19 * * *", func(s *Scheduler) func(context.Context, time.Time) error { return s.Rounds }},
		// Nightly, when nobody reports.
		{JobPurge, "30 3 * * *", func(s *Scheduler) func(context.Context, time.Time) error { return s.cfg.Purge }},
	}
}

func defaultSpecs() map[string]string {
	specs := map[string]string{}
	for _, j := range jobTable() {
		specs[j.name] = j.spec
	}
	return specs
}

// Scheduler runs the timed jobs. Cron only ticks: each job reads what is due from SQLite and
// records what it did in the transaction that queues the messages, so ticks missed while the
// process was down are caught up by the first run after start, once.
type Scheduler struct {
	log   *slog.Logger
	store Store
	cfg   Config
	cal   *Calendar

	cron *cron.Cron
	wg   sync.WaitGroup

	// beforeCommit, when set (tests), runs inside each job transaction just before it commits;
	// an error aborts the transaction as a crash at that moment would.
	beforeCommit func(job string) error
	// jobs, when set (tests), replaces Jobs() in Start.
	jobs map[string]func(context.Context, time.Time) error
	// catchingUp holds the names of the jobs the start-up pass is running: those runs have no
	// tick, so no lag.
	catchingUp sync.Map
}

// New returns a scheduler. cal decides working days.
func New(logger *slog.Logger, st Store, cal *Calendar, cfg Config) (*Scheduler, error) {
	def := DefaultConfig()
	if cfg.Location == nil {
		cfg.Location = def.Location
	}
	if cfg.Ledger == nil {
		l, err := handlers.LoadLedger("")
		if err != nil {
			return nil, err
		}
		cfg.Ledger = l
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	// The deadline's ladder: the ledger file's deadline stage, unless the flags say otherwise;
	// the practice of DOMAIN.md (10 before, 20 after) when the file has no such stage.
	deadline := handlers.Thresholds{Nudge: 10, Supervision: 20}
	if st, ok := cfg.Ledger.StageOf("", true); ok {
		deadline = st.Thresholds
	}
	if cfg.Ladder.NudgeBefore <= 0 {
		cfg.Ladder.NudgeBefore = deadline.Nudge
	}
	if cfg.Ladder.SupervisionAfter <= 0 {
		cfg.Ladder.SupervisionAfter = deadline.Supervision
	}
	if cfg.CheckinEvery <= 0 {
		cfg.CheckinEvery = def.CheckinEvery
	}
	if cfg.CheckinMisses <= 0 {
		cfg.CheckinMisses = def.CheckinMisses
	}
	if cfg.RealNameDays <= 0 {
		cfg.RealNameDays = def.RealNameDays
	}
	if cfg.RealNameWarn <= 0 {
		cfg.RealNameWarn = def.RealNameWarn
	}
	if cfg.Batch <= 0 {
		cfg.Batch = def.Batch
	}
	for _, f := range []struct {
		v *int
		d int
	}{{&cfg.ReferWarn, def.ReferWarn},
		{&cfg.TaskWarn, def.TaskWarn}, {&cfg.TaskLiaisonAfter, def.TaskLiaisonAfter}, {&cfg.TaskOfficialAfter, def.TaskOfficialAfter}} {
		if *f.v <= 0 {
			*f.v = f.d
		}
	}
	specs := map[string]string{}
	for k, v := range def.Specs {
		specs[k] = v
	}
	for k, v := range cfg.Specs {
		if _, ok := def.Specs[k]; !ok {
			return nil, fmt.Errorf("unknown job %q", k)
		}
		if err := ValidateSpec(v); err != nil {
			return nil, fmt.Errorf("job %s: %w", k, err)
		}
		specs[k] = v
	}
	cfg.Specs = specs
	if cfg.Wake == nil {
		cfg.Wake = func() {}
	}
	if cfg.Metrics == nil {
		cfg.Metrics = nopMetrics{}
	}
	return &Scheduler{log: logger.With("component", "scheduler"), store: st, cfg: cfg, cal: cal}, nil
}

// ValidateSpec parses a standard five-field cron spec. cron's parser panics on some malformed
// input ("TZ=" with nothing after it), so the panic is turned into an error.
func ValidateSpec(spec string) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("invalid cron spec %q", spec)
		}
	}()
	if _, err := cron.ParseStandard(spec); err != nil {
		return fmt.Errorf("invalid cron spec %q: %w", spec, err)
	}
	return nil
}

// Jobs returns the job methods by name. Each takes an explicit now, so tests drive them with
// any clock.
func (s *Scheduler) Jobs() map[string]func(ctx context.Context, now time.Time) error {
	jobs := map[string]func(context.Context, time.Time) error{}
	for _, j := range jobTable() {
		if m := j.method(s); m != nil {
			jobs[j.name] = m
		}
	}
	return jobs
}

// Start runs every job once at once (catching up what fell due while the process was down),
// then on its cron spec until ctx is done or Stop is called. Jobs get ctx: a job cut off by
// shutdown rolls back its current transaction and the next start redoes it.
func (s *Scheduler) Start(ctx context.Context) error {
	l := cronLogger{s.log}
	// Skip before Recover: Recover(Skip(job)) would leave Skip's token taken after a panic and
	// the job would never run again (notes/LIBRARIES.md §3).
	s.cron = cron.New(cron.WithLocation(s.cfg.Location),
		cron.WithChain(cron.SkipIfStillRunning(l), cron.Recover(l)), cron.WithLogger(l))
	jobs := s.Jobs()
	if s.jobs != nil {
		jobs = s.jobs
	}
	wrapped := map[string]cron.Job{}
	for name, job := range jobs {
		var id cron.EntryID
		id, err := s.cron.AddFunc(s.cfg.Specs[name], func() {
			// A tick's due time is its entry's Prev, set by cron's loop before the snapshot
			// that Entry takes; the catch-up pass has no tick, and reading entries then would
			// race with cron.Start.
			var due time.Time
			if _, ok := s.catchingUp.Load(name); !ok {
				due = s.cron.Entry(id).Prev
			}
			s.run(ctx, name, job, due)
		})
		if err != nil {
			return fmt.Errorf("schedule %s: %w", name, err)
		}
		wrapped[name] = s.cron.Entry(id).WrappedJob
	}
	// The catch-up pass runs each entry's wrapped job, so it goes through the same Skip and
	// Recover as the ticks: a tick during catch-up is skipped, and a panic is recovered.
	s.wg.Go(func() {
		for _, j := range jobTable() {
			if ctx.Err() != nil {
				return
			}
			if w, ok := wrapped[j.name]; ok {
				s.catchingUp.Store(j.name, true)
				w.Run()
				s.catchingUp.Delete(j.name)
			}
		}
	})
	s.cron.Start()
	return nil
}

// Stop stops the ticks; the returned context is done when running jobs (and the catch-up
// pass) have finished.
func (s *Scheduler) Stop() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-s.cron.Stop().Done()
		s.wg.Wait()
		cancel()
	}()
	return ctx
}

func (s *Scheduler) run(ctx context.Context, name string, job func(context.Context, time.Time) error, due time.Time) {
	start := time.Now()
	err := job(ctx, s.cfg.Now())
	var lag time.Duration
	if !due.IsZero() {
		lag = max(start.Sub(due), 0)
	}
	result := "ok"
	if err != nil {
		result = "error"
	}
	s.cfg.Metrics.JobRan(name, result, lag, time.Since(start))
	switch {
	case err != nil && ctx.Err() != nil && errors.Is(err, context.Canceled):
		s.log.Info("scheduled job cut off by shutdown", "job", name)
	case err != nil:
		s.log.Error("scheduled job failed", "job", name, "error", err)
	default:
		s.log.Debug("scheduled job done", "job", name, "took", time.Since(start))
	}
}

// update runs fn in a write transaction, calling the test hook before it commits.
func (s *Scheduler) update(ctx context.Context, job string, fn func(*store.Tx) error) error {
	return s.store.Update(ctx, func(tx *store.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		if s.beforeCommit != nil {
			return s.beforeCommit(job)
		}
		return nil
	})
}

// cronLogger adapts slog to cron.Logger. cron's own info lines (wake, run, schedule) are
// debug here: one a minute per job would drown the log.
type cronLogger struct{ l *slog.Logger }

func (c cronLogger) Info(msg string, kv ...any) {
	if msg == "skip" {
		c.l.Warn("cron skipped a run, the previous one is still running", kv...)
		return
	}
	c.l.Debug("cron "+msg, kv...)
}

func (c cronLogger) Error(err error, msg string, kv ...any) {
	c.l.Error("cron "+msg, append(kv, "error", err)...)
}

// send queues msg to each recipient once: key names the scheduled thing, and the recipient's
// chat makes each row's dedupe key.
func send(tx *store.Tx, recips []store.Recipient, key string, msg func(lang string) store.OutMessage) (int, error) {
	q := messages(recips, key, msg)
	if _, err := tx.EnqueueAll(q); err != nil {
		return 0, fmt.Errorf("enqueue %s: %w", key, err)
	}
	return len(q), nil
}

// messages are the rows send queues: one per recipient's chat, keyed by key and the chat. msg
// is built once per language: it is given nothing else.
func messages(recips []store.Recipient, key string, msg func(lang string) store.OutMessage) []store.Queued {
	var q []store.Queued
	seen := map[int64]bool{}
	byLang := map[string]store.OutMessage{}
	for _, r := range recips {
		if seen[r.ChatID] {
			continue
		}
		seen[r.ChatID] = true
		m, ok := byLang[r.Lang]
		if !ok {
			m = msg(r.Lang)
			byLang[r.Lang] = m
		}
		q = append(q, store.Queued{ChatID: r.ChatID, Msg: m, DedupeKey: key + ":" + strconv.FormatInt(r.ChatID, 10)})
	}
	return q
}

func (s *Scheduler) date(t time.Time) string { return t.In(s.cfg.Location).Format("2006-01-02") }

func (s *Scheduler) dateTime(t time.Time) string {
	return t.In(s.cfg.Location).Format("2006-01-02 15:04")
}
