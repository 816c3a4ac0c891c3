package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"
	"time"

	"xuncha/handlers"
	"xuncha/handlers/media"
	"xuncha/store"
)

// taskAdd gives a task to the information officers and liaisons of a village or township.
func taskAdd(fs *flag.FlagSet) runFunc {
	var (
		c                common
		p                placeFlags
		title, body, due string
	)
	c.register(fs, useDB|useTZ|useLang|useCategories)
	p.register(fs, "of the task")
	fs.StringVar(&title, "title", "", "what is to be done")
	fs.StringVar(&body, "body", "", "details")
	fs.StringVar(&due, "due", "", "due date, YYYY-MM-DD, today or later")
	return func(ctx context.Context, e *env) error {
		if err := c.validate(); err != nil {
			return err
		}
		if p.township == "" || strings.TrimSpace(title) == "" {
			e.usage(e.stderr)
			return errors.New("task add: --township and --title are required")
		}
		if err := checkLine("title", title); err != nil {
			return fmt.Errorf("task add: %w", err)
		}
		tk := &store.Task{Title: strings.TrimSpace(title), Body: body}
		if due != "" {
			d, err := time.ParseInLocation("2006-01-02", due, c.loc)
			if err != nil {
				return fmt.Errorf("--due: %q is not YYYY-MM-DD", due)
			}
			tk.DueAt = d.Add(24*time.Hour - time.Second) // the end of the due day
			// A task due before it is given would reach the officers already overdue.
			if tk.DueAt.Before(time.Now()) {
				return fmt.Errorf("--due: %s is in the past (today is %s)", due, time.Now().In(c.loc).Format("2006-01-02"))
			}
		}
		logger := c.logger(e.stderr)
		cats, err := handlers.LoadCategories(c.categories)
		if err != nil {
			return fmt.Errorf("XUNCHA_CATEGORIES: %w", err)
		}
		db, err := c.open(ctx, e.getenv, logger)
		if err != nil {
			return err
		}
		defer db.Close()
		if tk.TownshipID, tk.VillageID, err = db.FindPlaceByName(ctx, p.township, p.village); err != nil {
			return fmt.Errorf("task add: %w", err)
		}
		engine := handlers.New(logger, db, handlers.Config{DefaultLang: c.lang, Categories: cats, Location: c.loc, Scrub: media.Scrub})
		n, err := engine.AssignTask(ctx, tk)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "task %d created; %d officers and liaisons notified\n", tk.ID, n)
		return nil
	}
}
