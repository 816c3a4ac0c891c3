package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"xuncha/store"
)

// retentionFlags are the retention periods, in days, shared by serve (the nightly job) and
// purge.
type retentionFlags struct {
	link, contact, draft, outbox int
}

func (f *retentionFlags) register(fs *flag.FlagSet) {
	fs.IntVar(&f.link, "retain-link", 180, "days after a clue is closed (办结销号) when its report's sealed link to the reporter's chat is destroyed (0: never)")
	fs.IntVar(&f.contact, "retain-contact", 180, "days after a clue is closed when a real-name reporter's name and phone are erased (0: never)")
	fs.IntVar(&f.draft, "retain-draft", 30, "days after which an untouched conversation (a half-written report) is dropped (0: never)")
	fs.IntVar(&f.outbox, "retain-outbox", 0, "days after which queued and delivered messages are deleted (0: the shorter of --retain-link and --retain-contact)")
}

func (f *retentionFlags) validate() error {
	for _, v := range []struct {
		name string
		days int
	}{{"XUNCHA_RETAIN_LINK", f.link}, {"XUNCHA_RETAIN_CONTACT", f.contact}, {"XUNCHA_RETAIN_DRAFT", f.draft}, {"XUNCHA_RETAIN_OUTBOX", f.outbox}} {
		if v.days < 0 || v.days > 100*365 {
			return fmt.Errorf("%s must be between 0 and 36500 days, got %d", v.name, v.days)
		}
	}
	return nil
}

func (f *retentionFlags) retention() store.Retention {
	day := 24 * time.Hour
	return store.Retention{Link: time.Duration(f.link) * day, Contact: time.Duration(f.contact) * day,
		Draft: time.Duration(f.draft) * day, Outbox: time.Duration(f.outbox) * day}
}

// job returns the scheduler's nightly purge. The store uses its own clock (the job's now is
// the same wall clock).
func (f *retentionFlags) job(logger *slog.Logger, db *store.DB) func(ctx context.Context, now time.Time) error {
	r := f.retention()
	return func(ctx context.Context, _ time.Time) error {
		res, err := db.Purge(ctx, r, "scheduler", false)
		if err != nil {
			return err
		}
		logger.Info("retention purge done", "links", len(res.LinkClues), "contacts", len(res.ContactClues),
			"drafts", res.Drafts, "outbox", res.Outbox, "inbox", res.Inbox, "blobs", res.Blobs, "checkpoint_busy", res.CheckpointBusy)
		return nil
	}
}

// purgeCommand runs "purge [--dry-run]": it applies the retention periods now, or with
// --dry-run prints what would go. It prints counts and clue numbers, never a person or a chat.
func purgeCommand(fs *flag.FlagSet) runFunc {
	var (
		c      common
		rf     retentionFlags
		dryRun bool
	)
	c.register(fs, useDB)
	rf.register(fs)
	fs.BoolVar(&dryRun, "dry-run", false, "print what would be removed and change nothing")
	return func(ctx context.Context, e *env) error {
		db, err := c.openDB(ctx, e, rf.validate)
		if err != nil {
			return err
		}
		defer db.Close()
		res, err := db.Purge(ctx, rf.retention(), "cli", dryRun)
		if err != nil {
			return err
		}
		verb := "removed"
		if dryRun {
			verb = "would remove"
		}
		stdout := e.stdout
		fmt.Fprintf(stdout, "%s:\n", verb)
		fmt.Fprintf(stdout, "  reporter links of closed clues: %d %s\n", len(res.LinkClues), strings.Join(res.LinkClues, " "))
		fmt.Fprintf(stdout, "  real-name contacts of closed clues: %d %s\n", len(res.ContactClues), strings.Join(res.ContactClues, " "))
		fmt.Fprintf(stdout, "  stale conversation drafts: %d\n", res.Drafts)
		fmt.Fprintf(stdout, "  delivered messages: %d\n", res.Outbox)
		fmt.Fprintf(stdout, "  processed message ids: %d\n", res.Inbox)
		fmt.Fprintf(stdout, "  files referenced by nothing: %d (%d bytes)\n", res.Blobs, res.BlobBytes)
		if res.CheckpointBusy {
			fmt.Fprintln(e.stderr, "warning: a reader kept the write-ahead log busy; the erased pages leave it at the next checkpoint")
			return errors.New("purge: WAL checkpoint incomplete")
		}
		return nil
	}
}
