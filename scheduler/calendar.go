package scheduler

import (
	_ "embed"
	"encoding/csv"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"

	"xuncha/store"
)

// calendarCN is the embedded PRC working-day table (holidays and 调休 make-up working days)
// for the years whose State Council notice was checked; see the file's header.
//
//go:embed calendar_cn.csv
var calendarCN string

// Calendar answers which days are working days on the PRC calendar: Monday to Friday, minus
// public holidays, plus the weekend days worked in exchange (调休). Years it has no table for
// count plain weekdays, with a warning, since a deadline computed that way may be off by the
// holidays of that year. It is safe for concurrent use.
type Calendar struct {
	log *slog.Logger
	loc *time.Location

	mu     sync.Mutex
	days   map[string]string // "2006-01-02" → "holiday" | "workday"
	years  map[int]bool
	warned map[int]bool
}

// NewCalendar returns the embedded calendar in loc, with imported years (which replace the
// embedded table of the same year) laid over it.
func NewCalendar(logger *slog.Logger, loc *time.Location, imported []store.CalendarDay, importedYears []int) (*Calendar, error) {
	c := &Calendar{log: logger, loc: loc, days: map[string]string{}, years: map[int]bool{}, warned: map[int]bool{}}
	embedded, err := ParseCalendar(strings.NewReader(calendarCN))
	if err != nil {
		return nil, fmt.Errorf("embedded calendar: %w", err)
	}
	replaced := map[int]bool{}
	for _, y := range importedYears {
		replaced[y] = true
	}
	for _, d := range embedded {
		if y := yearOf(d.Day); !replaced[y] {
			c.days[d.Day], c.years[y] = d.Kind, true
		}
	}
	for _, d := range imported {
		c.days[d.Day] = d.Kind
	}
	for _, y := range importedYears {
		c.years[y] = true
	}
	return c, nil
}

func yearOf(day string) int {
	var y int
	fmt.Sscanf(day, "%d", &y)
	return y
}

// ParseCalendar reads "date,kind[,note]" lines (kind holiday or workday); lines starting with
// # and a "date,kind" header are skipped.
func ParseCalendar(r io.Reader) ([]store.CalendarDay, error) {
	cr := csv.NewReader(r)
	cr.Comment = '#'
	cr.FieldsPerRecord = -1
	var out []store.CalendarDay
	for line := 1; ; line++ {
		rec, err := cr.Read()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("calendar: %w", err)
		}
		if len(rec) < 2 {
			return nil, fmt.Errorf("calendar record %d: want date,kind", line)
		}
		day, kind := strings.TrimSpace(rec[0]), strings.TrimSpace(rec[1])
		if day == "date" {
			continue
		}
		if _, err := time.Parse("2006-01-02", day); err != nil {
			return nil, fmt.Errorf("calendar record %d: date %q is not YYYY-MM-DD", line, day)
		}
		if kind != "holiday" && kind != "workday" {
			return nil, fmt.Errorf("calendar record %d: kind must be holiday or workday, got %q", line, kind)
		}
		out = append(out, store.CalendarDay{Day: day, Kind: kind})
	}
}

// Known reports whether the calendar has a table for a year.
func (c *Calendar) Known(year int) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.years[year]
}

// IsWorkingDay reports whether the local date of d is a working day.
func (c *Calendar) IsWorkingDay(d time.Time) bool {
	d = d.In(c.loc)
	key := d.Format("2006-01-02")
	c.mu.Lock()
	kind, listed := c.days[key]
	known := c.years[d.Year()]
	if !known && !c.warned[d.Year()] {
		c.warned[d.Year()] = true
		c.mu.Unlock()
		// Once per year and process: the fix is an import, not a log flood.
		c.log.Warn("date past the known holiday calendar, counting plain weekdays; import the year with xuncha calendar import",
			"year", d.Year())
	} else {
		c.mu.Unlock()
	}
	if listed {
		return kind == "workday"
	}
	wd := d.Weekday()
	return wd != time.Saturday && wd != time.Sunday
}

// StartOfDay is local midnight of t's date.
func (c *Calendar) StartOfDay(t time.Time) time.Time {
	t = t.In(c.loc)
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, c.loc)
}

// AddWorkingDays returns the same local time of day n working days after t's date (before it
// when n < 0). The day of t itself is not counted: a report received on Friday evening with
// n = 1 is due on the next working day, and one received on a holiday starts counting after
// the holiday. n = 0 returns t.
func (c *Calendar) AddWorkingDays(t time.Time, n int) time.Time {
	t = t.In(c.loc)
	step := 1
	if n < 0 {
		step, n = -1, -n
	}
	d := t
	for n > 0 {
		d = d.AddDate(0, 0, step)
		if c.IsWorkingDay(d) {
			n--
		}
	}
	return d
}

// NextWorkingDay returns the start of the first working day on or after t's date.
func (c *Calendar) NextWorkingDay(t time.Time) time.Time {
	d := c.StartOfDay(t)
	for !c.IsWorkingDay(d) {
		d = d.AddDate(0, 0, 1)
	}
	return d
}
