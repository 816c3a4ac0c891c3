package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	"xuncha/handlers"
	"xuncha/scheduler"
	"xuncha/store"
)

// scheduleFlags are serve's settings of the scheduled jobs.
type scheduleFlags struct {
	off                   bool
	nudgeDays, supervDays int
	checkinEvery          time.Duration
	checkinMisses         int
	realNameDays, warn    int
	retain                retentionFlags
	announceChats         string
	channels              []scheduler.ChannelChat
}

func (f *scheduleFlags) register(fs *flag.FlagSet) {
	d := scheduler.DefaultConfig()
	fs.BoolVar(&f.off, "scheduler-off", false, "run no scheduled jobs here (another instance on the same database runs them)")
	fs.IntVar(&f.nudgeDays, "ladder-nudge-days", d.Ladder.NudgeBefore, "nudge a clue's handling unit this many working days before its deadline (0: the ledger file's deadline stage)")
	fs.IntVar(&f.supervDays, "ladder-supervision-days", d.Ladder.SupervisionAfter, "send a supervision letter (督办函) this many working days after an unacknowledged reminder letter (提醒函) (0: the ledger file's deadline stage)")
	fs.DurationVar(&f.checkinEvery, "checkin-every", d.CheckinEvery, "information officers' check-in period (periods start on Mondays)")
	fs.IntVar(&f.checkinMisses, "checkin-misses", d.CheckinMisses, "missed check-in periods in a row after which the township's liaison is told")
	fs.IntVar(&f.realNameDays, "realname-days", d.RealNameDays, "working days within which a real-name reporter must be told whether the report was accepted")
	fs.IntVar(&f.warn, "realname-warn-days", d.RealNameWarn, "working days before that deadline when officials are nudged")
	fs.StringVar(&f.announceChats, "announce-chats", "", "chats that get every announcement too, as platform:id, comma-separated (e.g. telegram:-1001234567890 for a group or channel)")
	f.retain.register(fs)
}

func (f *scheduleFlags) validate() error {
	switch {
	case f.nudgeDays < 0:
		return errors.New("XUNCHA_LADDER_NUDGE_DAYS must be 0 (the ledger file's) or more")
	case f.supervDays < 0:
		return errors.New("XUNCHA_LADDER_SUPERVISION_DAYS must be 0 (the ledger file's) or more")
	case f.checkinEvery < 24*time.Hour:
		return errors.New("XUNCHA_CHECKIN_EVERY must be at least 24h")
	case f.checkinMisses < 1:
		return errors.New("XUNCHA_CHECKIN_MISSES must be at least 1")
	case f.realNameDays < 1 || f.warn < 1 || f.warn >= f.realNameDays:
		return errors.New("XUNCHA_REALNAME_DAYS must be at least 1 and XUNCHA_REALNAME_WARN_DAYS between 1 and it")
	}
	f.channels = nil
	for _, item := range strings.Split(f.announceChats, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		platform, id, ok := strings.Cut(item, ":")
		if _, err := strconv.ParseInt(id, 10, 64); !ok || platform != "telegram" || err != nil {
			return fmt.Errorf("XUNCHA_ANNOUNCE_CHATS: %q is not telegram:<numeric chat id>", item)
		}
		f.channels = append(f.channels, scheduler.ChannelChat{Platform: platform, Chat: id})
	}
	return f.retain.validate()
}

// start starts the scheduler on cal, the calendar serve loaded once for the ledger and the
// jobs alike, with the ledger file serve loaded (the ladder's thresholds, the referral watch's
// days). The caller stops it with <-s.Stop().Done() before closing the database. It returns
// nil when the jobs are off.
func (f *scheduleFlags) start(ctx context.Context, logger *slog.Logger, db *store.DB, cal *scheduler.Calendar, loc *time.Location, ledger *handlers.Ledger, m scheduler.JobMetrics, letters scheduler.LetterFiles, wake func()) (*scheduler.Scheduler, error) {
	if f.off {
		logger.Info("scheduled jobs off")
		return nil, nil
	}
	s, err := scheduler.New(logger, db, cal, scheduler.Config{
		Location:      loc,
		Ladder:        scheduler.LadderConfig{NudgeBefore: f.nudgeDays, SupervisionAfter: f.supervDays},
		Ledger:        ledger,
		CheckinEvery:  f.checkinEvery,
		CheckinMisses: f.checkinMisses,
		RealNameDays:  f.realNameDays,
		RealNameWarn:  f.warn,
		Metrics:       m,
		Purge:         f.retain.job(logger, db),
		Channels:      f.channels,
		Letters:       letters,
		Wake:          wake,
	})
	if err != nil {
		return nil, fmt.Errorf("scheduler: %w", err)
	}
	if err := s.Start(ctx); err != nil {
		return nil, fmt.Errorf("scheduler: %w", err)
	}
	// Deadlines are counted a year ahead at most; say now, not when one is computed.
	if next := time.Now().In(loc).Year() + 1; !cal.Known(next) {
		logger.Warn("next year's holiday calendar is not loaded; import it when the State Council publishes it", "year", next)
	}
	return s, nil
}

func loadCalendar(ctx context.Context, logger *slog.Logger, db *store.DB, loc *time.Location) (*scheduler.Calendar, error) {
	years, days, err := db.CalendarDays(ctx)
	if err != nil {
		return nil, err
	}
	return scheduler.NewCalendar(logger, loc, days, years)
}

const timeLayout = "2006-01-02T15:04"

func announceAdd(fs *flag.FlagSet) runFunc {
	var (
		c                        common
		title, bodyFile, contact string
		p                        placeFlags
		publish, openAt, closeAt string
		remindDays               int
	)
	c.register(fs, useDB|useTZ)
	fs.StringVar(&title, "title", "", "title: the round and group, e.g. 十五届市委第五轮巡察第一巡察组")
	fs.StringVar(&bodyFile, "body-file", "", "file with the announcement text (UTF-8)")
	fs.StringVar(&contact, "contact", "", "the group's channels and duty hours, shown under the text")
	p.register(fs, "covered")
	fs.StringVar(&publish, "publish", "", "when to push it to subscribers, local time "+timeLayout)
	fs.StringVar(&openAt, "open", "", "when the reporting window opens (default: --publish)")
	fs.StringVar(&closeAt, "close", "", "when the reporting window closes, local time "+timeLayout)
	fs.IntVar(&remindDays, "remind-days", 3, "remind subscribers this many days before the window closes (0: no reminder)")
	return func(ctx context.Context, e *env) error {
		if err := c.validate(); err != nil {
			return err
		}
		if title == "" || bodyFile == "" || p.township == "" || publish == "" || closeAt == "" {
			e.usage(e.stderr)
			return errors.New("announce add: --title, --body-file, --township, --publish and --close are required")
		}
		if openAt == "" {
			openAt = publish
		}
		a := &store.Announcement{Title: title, Contact: contact, RemindDays: remindDays}
		for _, t := range []struct {
			name string
			v    string
			dst  *time.Time
		}{{"--publish", publish, &a.PublishAt}, {"--open", openAt, &a.OpenAt}, {"--close", closeAt, &a.CloseAt}} {
			v, err := time.ParseInLocation(timeLayout, t.v, c.loc)
			if err != nil {
				return fmt.Errorf("announce add: %s must be like 2026-12-01T09:00, got %q", t.name, t.v)
			}
			*t.dst = v
		}
		if !a.OpenAt.Before(a.CloseAt) {
			return errors.New("announce add: --close must be after --open")
		}
		if remindDays < 0 {
			return errors.New("announce add: --remind-days must not be negative")
		}
		body, err := readText("body-file", bodyFile)
		if err != nil {
			return fmt.Errorf("announce add: %w", err)
		}
		a.Body = strings.TrimSpace(string(body))
		if a.Body == "" {
			return errors.New("announce add: the body file is empty")
		}
		db, err := c.openDB(ctx, e)
		if err != nil {
			return err
		}
		defer db.Close()
		tid, vid, err := db.FindPlaceByName(ctx, p.township, p.village)
		if err != nil {
			return fmt.Errorf("announce add: %w (import places first: xuncha places import FILE.csv)", err)
		}
		a.Areas = []store.Area{{TownshipID: tid, VillageID: vid}}
		if err := db.CreateAnnouncement(ctx, a); err != nil {
			return fmt.Errorf("announce add: %w", err)
		}
		fmt.Fprintf(e.stdout, "announcement %d: published to the subscribers of %s %s at %s; window %s – %s\n", a.ID,
			p.township, p.village, a.PublishAt.In(c.loc).Format(timeLayout), a.OpenAt.In(c.loc).Format(timeLayout), a.CloseAt.In(c.loc).Format(timeLayout))
		return nil
	}
}

func announceList(fs *flag.FlagSet) runFunc {
	var c common
	c.register(fs, useDB|useTZ)
	return func(ctx context.Context, e *env) error {
		db, err := c.openDB(ctx, e)
		if err != nil {
			return err
		}
		defer db.Close()
		var list []store.Announcement
		if err := db.Update(ctx, func(tx *store.Tx) (err error) {
			list, err = tx.Announcements()
			return err
		}); err != nil {
			return err
		}
		var t table
		t.row("ID", "TITLE", "PUBLISH", "OPEN", "CLOSE", "STATE")
		when := func(t time.Time) string { return t.In(c.loc).Format(timeLayout) }
		for _, a := range list {
			state := "scheduled"
			switch {
			case !a.ClosedAt.IsZero():
				state = "closed"
			case !a.RemindedAt.IsZero():
				state = "reminded"
			case !a.PublishedAt.IsZero():
				state = "published"
			}
			t.row(strconv.FormatInt(a.ID, 10), a.Title, when(a.PublishAt), when(a.OpenAt), when(a.CloseAt), state)
		}
		return t.write(e.stdout)
	}
}

// readCalendar reads a calendar file for calendar import.
func readCalendar(f *os.File) (importWrite, error) {
	days, err := scheduler.ParseCalendar(f)
	if err != nil {
		return nil, err
	}
	if len(days) == 0 {
		return nil, errors.New("no days")
	}
	return func(ctx context.Context, db *store.DB, stdout io.Writer) error {
		years, err := db.ImportCalendar(ctx, days, f.Name())
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%d days imported for %v; these years replace the built-in table (restart serve to use them)\n", len(days), years)
		return nil
	}, nil
}
