package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"xuncha/handlers"
	"xuncha/store"
)

// The clue ledger from the command line: register a clue the inspection found, give a clue
// its keeper, read the statistics, export the ledger. Every read and change is itself
// audit-logged with channel "cli".

// ledgerFilters are the filters the read-only ledger commands share.
type ledgerFilters struct {
	from, to, round, unit, status, township string
}

func (f *ledgerFilters) register(fs flagSet) {
	fs.StringVar(&f.from, "from", "", "clues received on or after this date (YYYY-MM-DD)")
	fs.StringVar(&f.to, "to", "", "clues received before the end of this date (YYYY-MM-DD)")
	fs.StringVar(&f.round, "round", "", "clues of this inspection round (name or number)")
	fs.StringVar(&f.unit, "unit", "", "clues transferred to this receiving unit (key or name)")
	fs.StringVar(&f.status, "status", "", "clues in this status: new, studied, disposed, transferred, handling, held, closed")
	fs.StringVar(&f.township, "township", "", "clues of this township (name)")
}

// flagSet is the part of *flag.FlagSet the filters use.
type flagSet interface {
	StringVar(p *string, name, value, usage string)
}

// filter turns the flags into a store filter, checking each value.
func (f *ledgerFilters) filter(ctx context.Context, db *store.DB, loc *time.Location, l *handlers.Ledger) (store.ClueFilter, error) {
	var cf store.ClueFilter
	day := func(name, v string) (time.Time, error) {
		t, err := time.ParseInLocation("2006-01-02", v, loc)
		if err != nil {
			return t, fmt.Errorf("--%s must be a date like 2024-05-01, got %q", name, v)
		}
		return t, nil
	}
	var err error
	if f.from != "" {
		if cf.From, err = day("from", f.from); err != nil {
			return cf, err
		}
	}
	if f.to != "" {
		if cf.To, err = day("to", f.to); err != nil {
			return cf, err
		}
		cf.To = cf.To.AddDate(0, 0, 1)
	}
	if f.unit != "" {
		cf.Unit = l.CanonicalUnit(f.unit)
	}
	if f.status != "" {
		cf.Statuses = []string{f.status}
	}
	if f.township != "" {
		if cf.TownshipID, _, err = db.FindPlaceByName(ctx, f.township, ""); err != nil {
			return cf, fmt.Errorf("--township %q: %w", f.township, err)
		}
	}
	if f.round != "" {
		err := db.Update(ctx, func(tx *store.Tx) error {
			r, err := tx.FindRound(f.round)
			if err != nil {
				return err
			}
			cf.RoundID = r.ID
			return nil
		})
		if errors.Is(err, store.ErrNotFound) {
			return cf, fmt.Errorf("--round %q: no such round (xuncha round create)", f.round)
		}
		if err != nil {
			return cf, err
		}
	}
	return cf, nil
}

func (f *ledgerFilters) String() string {
	var parts []string
	for _, kv := range [][2]string{{"from", f.from}, {"to", f.to}, {"round", f.round}, {"unit", f.unit}, {"status", f.status}, {"township", f.township}} {
		if kv[1] != "" {
			parts = append(parts, kv[0]+"="+kv[1])
		}
	}
	return strings.Join(parts, " ")
}

// openLedger validates the common flags, opens the store and loads the ledger data.
func openLedger(ctx context.Context, c *common, getenv func(string) string, stderr io.Writer) (*store.DB, *handlers.Ledger, error) {
	if err := c.validate(); err != nil {
		return nil, nil, err
	}
	l, err := handlers.LoadLedger(c.ledger)
	if err != nil {
		return nil, nil, fmt.Errorf("XUNCHA_LEDGER: %w", err)
	}
	db, err := c.open(ctx, getenv, c.logger(stderr))
	if err != nil {
		return nil, nil, err
	}
	return db, l, nil
}

// statsCmd prints the ledger statistics of a period or round.
func statsCmd(fs *flag.FlagSet) runFunc {
	var c common
	var f ledgerFilters
	c.register(fs, useDB|useTZ|useLang|useLedger)
	f.register(fs)
	return func(ctx context.Context, e *env) error {
		return stats(ctx, e, &c, &f)
	}
}

func stats(ctx context.Context, e *env, c *common, f *ledgerFilters) error {
	db, l, err := openLedger(ctx, c, e.getenv, e.stderr)
	if err != nil {
		return err
	}
	defer db.Close()
	cf, err := f.filter(ctx, db, c.loc, l)
	if err != nil {
		return err
	}
	var s store.LedgerStats
	err = db.Update(ctx, func(tx *store.Tx) error {
		var err error
		if s, err = tx.Stats(cf); err != nil {
			return err
		}
		return tx.Audit(0, "cli", "ledger.stats", "ledger", f.String())
	})
	if err != nil {
		return fmt.Errorf("stats: %w", err)
	}
	title := f.String()
	if title == "" {
		title = map[string]string{handlers.LangZH: "全部", handlers.LangEN: "all"}[c.lang]
	}
	fmt.Fprintln(e.stdout, handlers.StatsText(c.lang, l, title, s))
	return nil
}

// clueAdd registers a clue the inspection itself found.
func clueAdd(fs *flag.FlagSet) runFunc {
	var c common
	var p placeFlags
	var subject, summary, round string
	c.register(fs, useDB|useTZ)
	fs.StringVar(&subject, "subject", "", "the person or unit concerned")
	fs.StringVar(&summary, "summary", "", "what the inspection found")
	p.register(fs, "of the clue")
	fs.StringVar(&round, "round", "", "the inspection round (name or number); default: the one under way")
	return func(ctx context.Context, e *env) error {
		if strings.TrimSpace(summary) == "" {
			return errors.New("clue add: --summary is required")
		}
		if p.village != "" && p.township == "" {
			return errors.New("--village needs --township")
		}
		db, err := c.openDB(ctx, e)
		if err != nil {
			return err
		}
		defer db.Close()
		cl := &store.Clue{Source: store.ClueFromInspection, Title: handlers.T(handlers.LangZH, "lg.source.inspection"),
			Subject: subject, Summary: summary}
		if p.township != "" {
			if cl.TownshipID, cl.VillageID, err = db.FindPlaceByName(ctx, p.township, p.village); err != nil {
				return fmt.Errorf("clue add: %w", err)
			}
		}
		err = db.Update(ctx, func(tx *store.Tx) error {
			cl.ReceivedAt = tx.Now().In(c.loc)
			if round != "" {
				r, err := tx.FindRound(round)
				if err != nil {
					return fmt.Errorf("--round %q: %w", round, err)
				}
				cl.RoundID = r.ID
			}
			if _, err := tx.CreateClue(cl); err != nil {
				return err
			}
			return tx.Audit(0, "cli", "clue.register", "clue:"+cl.Number, "")
		})
		if err != nil {
			return fmt.Errorf("clue add: %w", err)
		}
		fmt.Fprintf(e.stdout, "clue %s registered\n", cl.Number)
		if len(cl.Linked) > 0 {
			fmt.Fprintf(e.stdout, "repeat: the same subject as %s\n", strings.Join(cl.Linked, ", "))
		}
		return nil
	}
}

// clueKeeper assigns or changes the keeper (台账管理人) of a clue.
func clueKeeper(fs *flag.FlagSet) runFunc {
	var c common
	var number string
	var person int64
	c.register(fs, useDB|useTZ)
	fs.StringVar(&number, "clue", "", "the clue's number, e.g. JH-2026-0042")
	fs.Int64Var(&person, "person", 0, "the keeper's person id (xuncha people list): an official or administrator")
	return func(ctx context.Context, e *env) error {
		if number == "" || person <= 0 {
			return errors.New("clue keeper: --clue and --person are required")
		}
		db, err := c.openDB(ctx, e)
		if err != nil {
			return err
		}
		defer db.Close()
		var label string
		err = db.Update(ctx, func(tx *store.Tx) error {
			cl, err := tx.FindClueByNumber(number)
			if err != nil {
				return fmt.Errorf("--clue %q: %w", number, err)
			}
			k, err := tx.FindKeeper(person)
			if errors.Is(err, store.ErrNotFound) {
				return fmt.Errorf("--person %d: not an official or administrator whose role holds", person)
			}
			if err != nil {
				return err
			}
			if err := tx.SetKeeper(cl.ID, k, 0); err != nil {
				if errors.Is(err, store.ErrKeeperScope) {
					return fmt.Errorf("--person %d: their township is not the clue's", person)
				}
				return err
			}
			label = k.Label()
			return tx.Audit(0, "cli", "clue.keeper", "clue:"+cl.Number, "person="+strconv.FormatInt(person, 10))
		})
		if err != nil {
			return fmt.Errorf("clue keeper: %w", err)
		}
		fmt.Fprintf(e.stdout, "clue %s: keeper %s\n", number, label)
		return nil
	}
}

// exportLedger writes the ledger as .xlsx (clues and timeline sheets) or .csv (clues).
func exportLedger(fs *flag.FlagSet) runFunc {
	var c common
	var f ledgerFilters
	var format, out string
	c.register(fs, useDB|useTZ|useCategories|useLedger)
	f.register(fs)
	fs.StringVar(&format, "format", "xlsx", "xlsx or csv")
	fs.StringVar(&out, "out", "", "the file to write")
	return func(ctx context.Context, e *env) error {
		return export(ctx, e, &c, &f, format, out)
	}
}

func export(ctx context.Context, e *env, c *common, f *ledgerFilters, format, out string) error {
	if format != "xlsx" && format != "csv" {
		return fmt.Errorf("XUNCHA_FORMAT (--format) must be xlsx or csv, got %q", format)
	}
	if out == "" {
		return errors.New("XUNCHA_OUT (--out) must name the file to write")
	}
	db, l, err := openLedger(ctx, c, e.getenv, e.stderr)
	if err != nil {
		return err
	}
	defer db.Close()
	cats, err := handlers.LoadCategories(c.categories)
	if err != nil {
		return fmt.Errorf("XUNCHA_CATEGORIES: %w", err)
	}
	cf, err := f.filter(ctx, db, c.loc, l)
	if err != nil {
		return err
	}
	// Read in a read transaction and written row by row: the file is one snapshot of the
	// ledger, memory stays flat, and no step waits behind the export. The read is audited
	// before it starts.
	//
	// What stays in memory is excelize's two stream buffers (up to 16 MB each before they
	// spill to temporary files, and the capacity they grew to); a collection at 20 % growth
	// instead of 100 % keeps the process near that, under 100 MB at 100,000 clues
	// (BENCHMARKS.md), for no measurable CPU: the buffers hold no pointers to scan.
	defer debug.SetGCPercent(debug.SetGCPercent(20))
	if err := auditCLI(ctx, db, "ledger.read", "ledger", strings.TrimSpace(format+" "+f.String())); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	file, err := os.Create(out)
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	var sink interface {
		Add(row []string, timeline [][]string) error
		Close() error
	}
	switch format {
	case "xlsx":
		sink, err = handlers.NewXLSXWriter(file)
	case "csv":
		sink, err = handlers.NewCSVWriter(file)
	}
	n := 0
	if err == nil {
		err = db.View(ctx, func(tx *store.Tx) error {
			var err error
			n, err = handlers.EachLedgerRow(tx, cf, c.loc, l, cats, sink.Add)
			return err
		})
		if cerr := sink.Close(); err == nil {
			err = cerr
		}
	}
	if cerr := file.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	if err := auditCLI(ctx, db, "ledger.export", "ledger", strings.TrimSpace(format+" "+f.String())); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "%d clues written to %s\n", n, out)
	return nil
}
