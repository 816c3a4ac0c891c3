package main

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"xuncha/handlers"
	"xuncha/handlers/media"
	"xuncha/internal/textsafe"
	"xuncha/store"
)

func importPlaces(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var c common
	fs := newFlagSet("places import", "places import [flags] FILE.csv", stderr)
	c.register(fs)
	if done, err := parseFlags(fs, args, getenv); done {
		return err // nil after --help
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return errors.New("places import: expected one FILE.csv")
	}
	if err := c.validate(); err != nil {
		return err
	}
	f, err := os.Open(fs.Arg(0))
	if err != nil {
		return fmt.Errorf("places import: %w", err)
	}
	defer f.Close()
	rows, err := parsePlaces(f)
	if err != nil {
		return fmt.Errorf("places import %s: %w", fs.Arg(0), err)
	}
	db, err := c.open(ctx, getenv, c.logger(stderr))
	if err != nil {
		return err
	}
	defer db.Close()
	res, err := db.ImportPlaces(ctx, rows)
	if err != nil {
		return fmt.Errorf("places import: %w", err)
	}
	fmt.Fprintf(stdout, "%d rows read: %d townships added, %d villages added, %d villages updated\n",
		len(rows), res.TownshipsAdded, res.VillagesAdded, res.VillagesUpdated)
	return nil
}

// parsePlaces reads the places CSV: township, village, class, collective_income, population.
// A header row is recognised and skipped; lines starting with # are comments. Class accepts
// key/general or 重点村/一般村; numbers may be empty.
func parsePlaces(r io.Reader) ([]store.PlaceRow, error) {
	cr := csv.NewReader(r)
	cr.Comment = '#'
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	var rows []store.PlaceRow
	for line := 1; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		if len(rec) > 0 {
			rec[0] = strings.TrimPrefix(rec[0], "\uFEFF") // a BOM from spreadsheet exports
		}
		if len(rows) == 0 && len(rec) > 0 && (strings.EqualFold(strings.TrimSpace(rec[0]), "township") || strings.TrimSpace(rec[0]) == "乡镇") {
			continue
		}
		for len(rec) < 5 {
			rec = append(rec, "")
		}
		row := store.PlaceRow{Township: strings.TrimSpace(rec[0]), Village: strings.TrimSpace(rec[1])}
		if row.Township == "" {
			return nil, fmt.Errorf("line %d: township is empty", line)
		}
		// A name with an invisible character would look like another and read otherwise in
		// every menu, notice and export: refused, with where it is.
		if err := textsafe.CheckLine(row.Township); err != nil {
			return nil, fmt.Errorf("line %d: the township name %w", line, err)
		}
		if err := textsafe.CheckLine(row.Village); err != nil {
			return nil, fmt.Errorf("line %d: the village name %w", line, err)
		}
		if len([]rune(row.Township)) > 50 || len([]rune(row.Village)) > 50 {
			return nil, fmt.Errorf("line %d: name longer than 50 characters", line)
		}
		switch strings.TrimSpace(rec[2]) {
		case "key", "重点", "重点村":
			row.Class = "key"
		case "general", "一般", "一般村", "":
			row.Class = "general"
		default:
			return nil, fmt.Errorf("line %d: class %q is not key/general (重点村/一般村)", line, rec[2])
		}
		for i, dst := range []*int64{&row.CollectiveIncome, &row.Population} {
			v := strings.ReplaceAll(strings.TrimSpace(rec[3+i]), ",", "")
			if v == "" {
				continue
			}
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 0 {
				return nil, fmt.Errorf("line %d: %q is not a whole number ≥ 0", line, rec[3+i])
			}
			*dst = n
		}
		rows = append(rows, row)
	}
	if len(rows) == 0 {
		return nil, errors.New("no rows")
	}
	return rows, nil
}

func addTask(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var (
		c                                   common
		township, village, title, body, due string
	)
	fs := newFlagSet("task add", "task add --township T [--village V] --title TITLE [--body TEXT] [--due YYYY-MM-DD]", stderr)
	c.register(fs)
	fs.StringVar(&township, "township", "", "township (乡镇) by name")
	fs.StringVar(&village, "village", "", "village (村) by name; empty: the whole township")
	fs.StringVar(&title, "title", "", "what is to be done")
	fs.StringVar(&body, "body", "", "details")
	fs.StringVar(&due, "due", "", "due date, YYYY-MM-DD")
	if done, err := parseFlags(fs, args, getenv); done {
		return err // nil after --help
	}
	if err := c.validate(); err != nil {
		return err
	}
	if township == "" || strings.TrimSpace(title) == "" {
		fs.Usage()
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
	}
	logger := c.logger(stderr)
	cats, err := handlers.LoadCategories(c.categories)
	if err != nil {
		return fmt.Errorf("XUNCHA_CATEGORIES: %w", err)
	}
	db, err := c.open(ctx, getenv, logger)
	if err != nil {
		return err
	}
	defer db.Close()
	if tk.TownshipID, tk.VillageID, err = db.FindPlaceByName(ctx, township, village); err != nil {
		return fmt.Errorf("task add: %w", err)
	}
	engine := handlers.New(logger, db, handlers.Config{DefaultLang: c.lang, Categories: cats, Location: c.loc, Scrub: media.Scrub})
	n, err := engine.AssignTask(ctx, tk)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "task %d created; %d officers and liaisons notified\n", tk.ID, n)
	return nil
}
