package desk

import (
	"bytes"
	"cmp"
	"encoding/csv"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"xuncha/handlers"
	"xuncha/internal/textsafe"
	"xuncha/store"
)

// The statistics page (统计与每月梳理): the figures of a round, a period and a township as
// tables and charts, and this month's review as the digest sent on its first working day.
// Everything is counted within the viewer's scope (handlers.Rules.Scope): an official their
// township, a unit its own clues, an administrator the county.

// statsFilters are the page's filters as the URL carries them.
type statsFilters struct {
	Round    int64
	Township int64
	From, To string    // YYYY-MM-DD as typed, both days included; "" for no bound
	from, to time.Time // received in [from, to)
}

// parseStatsFilters reads the filters. With no "from" in the URL at all the period is the
// last twelve months (this one included); an empty "from", as the form sends it when the field
// is cleared, is all time.
func (d *Desk) parseStatsFilters(v url.Values, now time.Time) statsFilters {
	var f statsFilters
	f.Round, _ = strconv.ParseInt(v.Get("round"), 10, 64)
	f.Township, _ = strconv.ParseInt(v.Get("tw"), 10, 64)
	f.Round, f.Township = max(f.Round, 0), max(f.Township, 0)
	loc := d.cfg.Location
	day := func(s string) time.Time {
		t, err := time.ParseInLocation("2006-01-02", s, loc)
		if err != nil || t.Year() < 2000 || t.Year() > 2200 {
			return time.Time{}
		}
		return t
	}
	if !v.Has("from") && !v.Has("to") && f.Round == 0 {
		local := now.In(loc)
		f.from = time.Date(local.Year(), local.Month(), 1, 0, 0, 0, 0, loc).AddDate(0, -11, 0)
	} else {
		f.from = day(v.Get("from"))
	}
	if t := day(v.Get("to")); !t.IsZero() {
		f.to = t.AddDate(0, 0, 1)
	}
	if !f.from.IsZero() {
		f.From = f.from.Format("2006-01-02")
	}
	if !f.to.IsZero() {
		f.To = f.to.AddDate(0, 0, -1).Format("2006-01-02")
	}
	return f
}

// query writes the filters back, so that the export link and a bookmark keep the view.
func (f statsFilters) query() string {
	v := url.Values{}
	if f.Round != 0 {
		v.Set("round", strconv.FormatInt(f.Round, 10))
	}
	if f.Township != 0 {
		v.Set("tw", strconv.FormatInt(f.Township, 10))
	}
	v.Set("from", f.From)
	if f.To != "" {
		v.Set("to", f.To)
	}
	return v.Encode()
}

// statsPage is the page's data.
type statsPage struct {
	You    string
	F      statsFilters
	Query  string
	Rounds []option
	Towns  []option // empty: the township is fixed by the scope
	Scope  string   // what the figures cover
	Charts []chart  // the summary first (a table only), then the charts
}

// placesAndTables loads the places and counts the tables, for the page and its export.
func (d *Desk) placesAndTables(tx *store.Tx, q *req, f statsFilters) (*places, string, []chart, error) {
	pl, err := loadPlaces(tx)
	if err != nil {
		return nil, "", nil, err
	}
	scope, charts, err := d.statsTables(tx, q, f, pl)
	return pl, scope, charts, err
}

// statsTables counts everything the page shows, within the viewer's scope, and lays it out
// as tables and charts in a language. The export writes the same tables.
func (d *Desk) statsTables(tx *store.Tx, q *req, f statsFilters, pl *places) (scope string, charts []chart, err error) {
	lang := q.lang
	tr := func(key string, args ...any) string { return handlers.T(lang, key, args...) }
	l := d.cfg.Ledger
	now := tx.Now()
	cf := q.v.rules.Scope(store.ClueFilter{TownshipID: f.Township, RoundID: f.Round, From: f.from, To: f.to})

	sum, err := tx.Stats(cf)
	if err != nil {
		return "", nil, err
	}
	byTown, err := tx.StatsByTownship(cf)
	if err != nil {
		return "", nil, err
	}
	months, err := tx.StatsByMonth(cf, d.cfg.Location)
	if err != nil {
		return "", nil, err
	}
	ladder, err := tx.StatsByLadder(cf, now)
	if err != nil {
		return "", nil, err
	}
	units, err := tx.StatsByUnit(cf, now)
	if err != nil {
		return "", nil, err
	}
	// The monthly review: the open clues as of now and those closed last month, as the digest
	// of this month's first working day counts them (scheduler.MonthlyReview).
	local := now.In(d.cfg.Location)
	month := time.Date(local.Year(), local.Month(), 1, 0, 0, 0, 0, d.cfg.Location)
	prev := month.AddDate(0, -1, 0)
	p := q.v.person
	var review store.ReviewCounts
	township := f.Township
	if p.TownshipID != 0 {
		township = p.TownshipID
	}
	switch {
	case p.Role == store.RoleUnit:
		totals, err := tx.ReviewTotals(now, prev, month)
		if err != nil {
			return "", nil, err
		}
		review = totals.Unit(l.CanonicalUnit(p.Unit))
		scope = l.UnitName(p.Unit, lang)
	case township != 0:
		// A township's review reads its part of the index, not the county's.
		if review, err = tx.ReviewTownship(now, prev, month, township); err != nil {
			return "", nil, err
		}
		scope = pl.towns[township]
	default:
		totals, err := tx.ReviewTotals(now, prev, month)
		if err != nil {
			return "", nil, err
		}
		review = totals.County
		scope = tr("review.county")
	}

	// The summary: the figures DOMAIN.md's round reports (transferred while inspecting, cases
	// filed, people disciplined, organisational handling).
	n := strconv.Itoa
	charts = append(charts, chart{ID: "summary", Title: tr("desk.stats.summary"), Kind: "table",
		Head: []string{tr("desk.stats.figure"), tr("desk.stats.n")},
		Rows: [][]string{
			{tr("desk.stats.received"), n(sum.Received)}, {tr("desk.stats.transferred"), n(sum.Transferred)},
			{tr("desk.stats.while"), n(sum.WhileInspecting)}, {tr("desk.stats.filed"), n(sum.CasesFiled)},
			{tr("desk.stats.disc"), n(sum.Disciplined)}, {tr("desk.stats.org"), n(sum.OrgHandled)},
			{tr("desk.stats.closed"), n(sum.Closed)},
		}})

	// Clues by township, most first.
	type named struct {
		name string
		n    int
	}
	var towns []named
	for id, k := range byTown {
		name := pl.towns[id]
		if id == 0 || name == "" {
			name = tr("desk.stats.noplace")
		}
		towns = append(towns, named{name, k})
	}
	slices.SortFunc(towns, func(a, b named) int { return cmp.Or(b.n-a.n, cmp.Compare(a.name, b.name)) })
	var in []barRowIn
	c := chart{}
	for _, t := range towns {
		in = append(in, barRowIn{Label: t.name, Parts: []part{{N: t.n, Class: "b-main", Title: tr("desk.stats.clues")}}})
		c.Rows = append(c.Rows, []string{t.name, n(t.n)})
	}
	c = withTable(barChart("townships", tr("desk.stats.by.township"), in), []string{tr("desk.f.township"), tr("desk.stats.clues")}, c.Rows)
	charts = append(charts, c)

	// Clues by month, every month of the period shown (none is a zero, not a gap).
	months = fillMonths(months, f.from, f.to, now, d.cfg.Location)
	var labels, titles []string
	var values []int
	var rows [][]string
	for _, m := range months {
		labels = append(labels, m.Month[2:])
		titles = append(titles, fmt.Sprintf("%s: %d", m.Month, m.N))
		values = append(values, m.N)
		rows = append(rows, []string{m.Month, n(m.N)})
	}
	charts = append(charts, withTable(columnChart("months", tr("desk.stats.by.month"), labels, values, titles),
		[]string{tr("desk.stats.month"), tr("desk.stats.clues")}, rows))

	// The disposal and four-forms mix.
	in, rows = nil, nil
	for _, dp := range l.Dispositions {
		k := sum.Disposals[dp.Key]
		name := l.DisposalName(dp.Key, lang)
		in = append(in, barRowIn{Label: name, Parts: []part{{N: k, Class: "b-main", Title: tr("desk.stats.clues")}}})
		rows = append(rows, []string{name, n(k)})
	}
	charts = append(charts, withTable(barChart("disposals", tr("desk.stats.by.disposal"), in),
		[]string{tr("desk.f.disposal"), tr("desk.stats.clues")}, rows))
	in, rows = nil, nil
	for form := 1; form <= 4; form++ {
		k := sum.Forms[form]
		name := l.FormName(form, lang)
		in = append(in, barRowIn{Label: name, Parts: []part{{N: k, Class: fmt.Sprintf("b-form%d", form), Title: tr("desk.stats.clues")}}})
		rows = append(rows, []string{name, n(k)})
	}
	charts = append(charts, withTable(barChart("forms", tr("desk.stats.by.form"), in),
		[]string{tr("desk.f.form"), tr("desk.stats.clues")}, rows))

	// Open clues by the ladder's step.
	in, rows = nil, nil
	for _, s := range []struct {
		key, class string
		n          int
	}{
		{"desk.stats.ladder.none", "b-none", ladder.NoStep}, {"desk.stats.ladder.over", "b-over", ladder.Overdue},
		{"lg.ladder.1", "b-l1", ladder.Nudged}, {"lg.ladder.2", "b-l2", ladder.Reminder}, {"lg.ladder.3", "b-l3", ladder.Supervision},
	} {
		in = append(in, barRowIn{Label: tr(s.key), Parts: []part{{N: s.n, Class: s.class, Title: tr("desk.stats.open")}}})
		rows = append(rows, []string{tr(s.key), n(s.n)})
	}
	charts = append(charts, withTable(barChart("ladder", tr("desk.stats.by.ladder"), in),
		[]string{tr("desk.f.level"), tr("desk.stats.open")}, rows))

	// Transfers and outcomes per unit: closed, open on time and overdue stacked.
	in, rows = nil, nil
	for _, u := range units {
		name := l.UnitName(u.Unit, lang)
		open := u.Transferred - u.Closed - u.Overdue
		in = append(in, barRowIn{Label: name, Parts: []part{
			{N: u.Closed, Class: "b-closed", Title: tr("desk.stats.closed")},
			{N: open, Class: "b-main", Title: tr("desk.stats.ontime")},
			{N: u.Overdue, Class: "b-over", Title: tr("desk.overdue")},
		}})
		rows = append(rows, []string{name, n(u.Transferred), n(u.Closed), n(u.Overdue), n(u.CasesFiled), n(u.Disciplined), n(u.OrgHandled)})
	}
	c = withTable(barChart("units", tr("desk.stats.by.unit"), in), []string{tr("desk.f.unit"), tr("desk.stats.transferred"),
		tr("desk.stats.closed"), tr("desk.overdue"), tr("desk.stats.filed"), tr("desk.stats.disc"), tr("desk.stats.org")}, rows)
	c.Legend = []legend{{tr("desk.stats.closed"), "b-closed"}, {tr("desk.stats.ontime"), "b-main"}, {tr("desk.overdue"), "b-over"}}
	charts = append(charts, c)

	// This month's review: open clues by status, then the overdue ones by step and last
	// month's closures in the table.
	in, rows = nil, nil
	for _, s := range statuses {
		if s == store.ClueClosed {
			continue
		}
		k := review.OpenByStatus[s]
		in = append(in, barRowIn{Label: tr("lg.status." + s), Parts: []part{{N: k, Class: "b-main", Title: tr("desk.stats.open")}}})
		rows = append(rows, []string{tr("lg.status." + s), n(k)})
	}
	for level := 0; level <= 3; level++ {
		key := "desk.stats.ladder.over"
		if level > 0 {
			key = fmt.Sprintf("lg.ladder.%d", level)
		}
		rows = append(rows, []string{tr("desk.stats.review.over", tr(key)), n(review.OverdueByLevel[level])})
	}
	rows = append(rows, []string{tr("desk.stats.review.closed", prev.Format("2006-01")), n(review.Closed)})
	charts = append(charts, withTable(barChart("review", tr("desk.stats.review", scope, month.Format("2006-01")), in),
		[]string{tr("desk.f.status"), tr("desk.stats.n")}, rows))

	return scope, charts, nil
}

func withTable(c chart, head []string, rows [][]string) chart {
	c.Head, c.Rows = head, rows
	return c
}

// fillMonths returns every month from the period's first (or the first with a clue) to its
// last (or this one), with the counts found.
func fillMonths(found []store.MonthCount, from, to, now time.Time, loc *time.Location) []store.MonthCount {
	if len(found) == 0 && from.IsZero() {
		return nil
	}
	first, last := from, to.Add(-time.Second)
	if to.IsZero() || to.After(now) {
		last = now
	}
	if first.IsZero() {
		first, _ = time.ParseInLocation("2006-01", found[0].Month, loc)
	}
	if len(found) > 0 {
		if t, err := time.ParseInLocation("2006-01", found[len(found)-1].Month, loc); err == nil && t.After(last) {
			last = t
		}
	}
	byMonth := map[string]int{}
	for _, m := range found {
		byMonth[m.Month] = m.N
	}
	var out []store.MonthCount
	m := time.Date(first.In(loc).Year(), first.In(loc).Month(), 1, 0, 0, 0, 0, loc)
	for i := 0; !m.After(last) && i < 240; i++ { // twenty years at most on one chart
		k := m.Format("2006-01")
		out = append(out, store.MonthCount{Month: k, N: byMonth[k]})
		m = m.AddDate(0, 1, 0)
	}
	return out
}

// statsAllowed checks the permission and logs a refusal.
func (d *Desk) statsAllowed(tx *store.Tx, q *req, what string) (bool, error) {
	if q.v.rules.Can(handlers.PermDeskStats) {
		return true, nil
	}
	q.fail(http.StatusForbidden, "desk.denied")
	return false, tx.AuditRefusal(q.v.person.ID, handlers.ChannelDesk, "stats.refused", "stats", what+" role="+string(q.v.rules.Role()))
}

// statsPage shows the statistics. The request's transaction checks and records the view;
// the counting runs after it in a read transaction (req.read).
func (d *Desk) statsPage(tx *store.Tx, q *req) error {
	if ok, err := d.statsAllowed(tx, q, "page"); !ok || err != nil {
		return err
	}
	f := d.parseStatsFilters(q.r.URL.Query(), tx.Now())
	q.read = func(tx *store.Tx) error {
		pl, scope, charts, err := d.placesAndTables(tx, q, f)
		if err != nil {
			return err
		}
		r := q.v.rules
		pg := statsPage{You: d.you(tx, q, pl), F: f, Query: f.query(), Scope: scope, Charts: charts}
		if r.Role() == store.RoleAdmin || (r.Role() == store.RoleOfficial && q.v.person.TownshipID == 0) {
			for _, tw := range pl.list {
				pg.Towns = append(pg.Towns, option{strconv.FormatInt(tw.ID, 10), tw.Name, f.Township == tw.ID})
			}
		}
		rounds, err := tx.Rounds()
		if err != nil {
			return err
		}
		for _, rd := range rounds {
			pg.Rounds = append(pg.Rounds, option{strconv.FormatInt(rd.ID, 10), rd.Name, f.Round == rd.ID})
		}
		q.tmpl, q.data = "stats.html", pg
		return nil
	}
	return tx.Audit(q.v.person.ID, handlers.ChannelDesk, "stats.view", "stats", f.query())
}

// statsExport writes the page's tables as one CSV file: each table under its title, a blank
// line between them. Every cell goes through textsafe.Cell: a township or unit named
// "=HYPERLINK(…)" is text in a spreadsheet, not a formula.
func (d *Desk) statsExport(tx *store.Tx, q *req) error {
	if ok, err := d.statsAllowed(tx, q, "export"); !ok || err != nil {
		return err
	}
	f := d.parseStatsFilters(q.r.URL.Query(), tx.Now())
	q.read = func(tx *store.Tx) error { return d.statsCSV(tx, q, f) }
	return tx.Audit(q.v.person.ID, handlers.ChannelDesk, "stats.export", "stats", f.query())
}

// statsCSV counts and writes the export (in the read transaction).
func (d *Desk) statsCSV(tx *store.Tx, q *req, f statsFilters) error {
	_, scope, charts, err := d.placesAndTables(tx, q, f)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	buf.WriteString("\uFEFF") // Excel reads UTF-8 Chinese only after a byte-order mark
	w := csv.NewWriter(&buf)
	write := func(cells ...string) {
		safe := make([]string, len(cells))
		for i, c := range cells {
			safe[i] = textsafe.Cell(c)
		}
		w.Write(safe)
	}
	period := f.From + " – " + f.To
	write(handlers.T(q.lang, "desk.stats.title"), scope, period)
	for _, c := range charts {
		write()
		write(c.Title)
		write(c.Head...)
		for _, r := range c.Rows {
			write(r...)
		}
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return fmt.Errorf("stats csv: %w", err)
	}
	name := tx.Now().In(d.cfg.Location).Format("统计-20060102-1504.csv")
	q.body, q.headers = buf.Bytes(), map[string]string{
		"Content-Type":        "text/csv; charset=utf-8",
		"Content-Disposition": attachment(name),
	}
	return nil
}
