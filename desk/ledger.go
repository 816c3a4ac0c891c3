package desk

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"xuncha/handlers"
	"xuncha/store"
)

// filters are the ledger's filters as the URL carries them, so that a view can be bookmarked,
// shared and exported with the same query.
type filters struct {
	Status   string // a status, "open" (default) or "all"
	Township int64
	Village  int64
	Unit     string // a unit key
	Round    int64
	Due      string // "over" or "soon"
	Keeper   string // "me" or "none"
	Disposal string
	Form     int
	Level    int
	Q        string
	Sort     string
	Desc     bool
	Page     int
}

var statuses = []string{store.ClueNew, store.ClueStudied, store.ClueDisposed, store.ClueTransferred, store.ClueHandling, store.ClueHeld, store.ClueClosed}

// parseFilters reads the filters; values that are not valid are dropped, not guessed.
func (d *Desk) parseFilters(v url.Values) filters {
	id := func(k string) int64 {
		n, _ := strconv.ParseInt(v.Get(k), 10, 64)
		return max(n, 0)
	}
	small := func(k string, hi int) int {
		n, _ := strconv.Atoi(v.Get(k))
		if n < 0 || n > hi {
			return 0
		}
		return n
	}
	f := filters{Status: "open", Township: id("tw"), Village: id("v"), Round: id("round"),
		Form: small("form", 4), Level: small("level", 3), Sort: "received", Desc: true, Page: max(small("p", 1<<20), 1)}
	if s := v.Get("status"); s == "all" || slices.Contains(statuses, s) {
		f.Status = s
	}
	if u := v.Get("unit"); u != "" && d.cfg.Ledger.UnitName(u, handlers.LangZH) != u {
		f.Unit = u
	}
	if s := v.Get("due"); s == "over" || s == "soon" {
		f.Due = s
	}
	if s := v.Get("keeper"); s == "me" || s == "none" {
		f.Keeper = s
	}
	for _, dp := range d.cfg.Ledger.Dispositions {
		if v.Get("disposal") == dp.Key {
			f.Disposal = dp.Key
		}
	}
	f.Q = strings.TrimSpace(v.Get("q"))
	if utf8.RuneCountInString(f.Q) > 50 {
		f.Q = string([]rune(f.Q)[:50])
	}
	if s := v.Get("sort"); slices.Contains(store.LedgerOrders(), s) {
		f.Sort = s
		f.Desc = v.Get("desc") == "1"
	}
	return f
}

// query writes the filters back as a URL query (page p; 0 leaves the page out).
func (f filters) query(p int) string {
	v := url.Values{}
	set := func(k, s string) {
		if s != "" {
			v.Set(k, s)
		}
	}
	num := func(k string, n int64) {
		if n != 0 {
			v.Set(k, strconv.FormatInt(n, 10))
		}
	}
	if f.Status != "open" {
		set("status", f.Status)
	}
	num("tw", f.Township)
	num("v", f.Village)
	set("unit", f.Unit)
	num("round", f.Round)
	set("due", f.Due)
	set("keeper", f.Keeper)
	set("disposal", f.Disposal)
	num("form", int64(f.Form))
	num("level", int64(f.Level))
	set("q", f.Q)
	if f.Sort != "received" || !f.Desc {
		set("sort", f.Sort)
		if f.Desc {
			v.Set("desc", "1")
		}
	}
	if p > 1 {
		v.Set("p", strconv.Itoa(p))
	}
	return v.Encode()
}

// clueFilter turns the filters into the store's, narrowed to the viewer's scope by the rule
// book: whatever the URL says, the query never leaves it.
func (d *Desk) clueFilter(tx *store.Tx, q *req, f filters) store.ClueFilter {
	now := tx.Now()
	cf := store.ClueFilter{TownshipID: f.Township, VillageID: f.Village, RoundID: f.Round, Disposal: f.Disposal,
		Form: f.Form, Level: f.Level, Search: f.Q}
	switch f.Status {
	case "open":
		cf.Open = true
	case "all":
	default:
		cf.Statuses = []string{f.Status}
	}
	if f.Unit != "" {
		cf.Unit = d.cfg.Ledger.CanonicalUnit(f.Unit)
	}
	switch f.Due {
	case "over":
		cf.Overdue = now
	case "soon":
		cf.DueAfter, cf.DueBefore = now, d.cfg.Calendar.AddWorkingDays(now, d.cfg.Ledger.DueSoonDays)
	}
	switch f.Keeper {
	case "me":
		cf.KeeperID = q.v.person.ID
	case "none":
		cf.KeeperID = store.NoKeeper
	}
	return q.v.rules.Scope(cf)
}

type option struct {
	Value, Label string
	Selected     bool
}

type ledgerRow struct {
	Clue    *store.Clue
	Place   string
	Status  string
	Unit    string
	Overdue bool
	Colour  handlers.Colour
}

type ledgerPage struct {
	You      string
	F        filters
	Query    string
	Rows     []ledgerRow
	Total    int
	More     bool // a search with more matches than the store counts (Total is that bound)
	Page     int
	Pages    int
	Prev     string
	Next     string
	Export   bool
	Statuses []option
	Towns    []option
	Villages []option
	Units    []option
	Rounds   []option
	Dues     []option
	Keepers  []option
	Disps    []option
	Forms    []option
	Levels   []option
	Sorts    []option
}

// places maps township and village ids to names.
type places struct {
	towns    map[int64]string
	villages map[int64]string
	list     []store.Township
	byTown   map[int64][]store.Village
}

func loadPlaces(tx *store.Tx) (*places, error) {
	p := &places{towns: map[int64]string{}, villages: map[int64]string{}, byTown: map[int64][]store.Village{}}
	tws, err := tx.Townships()
	if err != nil {
		return nil, err
	}
	p.list = tws
	for _, tw := range tws {
		p.towns[tw.ID] = tw.Name
		vs, err := tx.Villages(tw.ID)
		if err != nil {
			return nil, err
		}
		p.byTown[tw.ID] = vs
		for _, v := range vs {
			p.villages[v.ID] = v.Name
		}
	}
	return p, nil
}

func (p *places) name(township, village int64) string {
	s := p.towns[township]
	if v := p.villages[village]; v != "" {
		s += " " + v
	}
	return s
}

// you describes the signed-in person for the page's header.
func (d *Desk) you(tx *store.Tx, q *req, pl *places) string {
	p := q.v.person
	role := handlers.T(q.lang, "role."+string(p.Role))
	if p.TownshipID != 0 {
		role += " · " + pl.towns[p.TownshipID]
	}
	if p.Unit != "" {
		role += " · " + d.cfg.Ledger.UnitName(p.Unit, q.lang)
	}
	return handlers.T(q.lang, "desk.you", role, p.ID)
}

// ledgerPage is the ledger: the filters, one page of clues, paging and the export links.
func (d *Desk) ledgerPage(tx *store.Tx, q *req) error {
	r := q.v.rules
	if !r.Can(handlers.PermLedger) && !r.Can(handlers.PermUnitClues) {
		q.fail(http.StatusForbidden, "desk.denied")
		return tx.AuditRefusal(q.v.person.ID, handlers.ChannelDesk, "ledger.refused", "ledger", "list role="+string(r.Role()))
	}
	f := d.parseFilters(q.r.URL.Query())
	cf := d.clueFilter(tx, q, f)
	size := d.cfg.PageSize
	clues, total, err := tx.LedgerPage(cf, f.Sort, f.Desc, (f.Page-1)*size, size)
	if err != nil {
		return err
	}
	pl, err := loadPlaces(tx)
	if err != nil {
		return err
	}
	now := tx.Now()
	lang := q.lang
	pg := ledgerPage{You: d.you(tx, q, pl), F: f, Query: f.query(0), Total: total, Page: f.Page,
		Pages: max(1, (total+size-1)/size), Export: r.Can(handlers.PermStats)}
	for _, c := range clues {
		pg.Rows = append(pg.Rows, ledgerRow{Clue: c, Place: pl.name(c.TownshipID, c.VillageID),
			Status: handlers.T(lang, "lg.status."+c.Status), Unit: d.cfg.Ledger.UnitName(c.Unit, lang),
			Overdue: c.Status != store.ClueClosed && !c.DueAt.IsZero() && now.After(c.DueAt), Colour: d.cfg.Ledger.ClueColour(c, lang)})
	}
	if f.Q != "" && total > store.SearchCountMax {
		pg.Total, pg.More = store.SearchCountMax, true
	}
	if f.Page > 1 {
		pg.Prev = "?" + f.query(f.Page-1)
	}
	if f.Page < pg.Pages {
		pg.Next = "?" + f.query(f.Page+1)
	}

	// The choices, within the viewer's scope.
	pg.Statuses = append(pg.Statuses, option{"open", handlers.T(lang, "lg.f.open"), f.Status == "open"}, option{"all", handlers.T(lang, "desk.f.all"), f.Status == "all"})
	for _, s := range statuses {
		pg.Statuses = append(pg.Statuses, option{s, handlers.T(lang, "lg.status."+s), f.Status == s})
	}
	for _, tw := range pl.list {
		if !r.SeesTownship(tw.ID) && r.Can(handlers.PermLedger) {
			continue
		}
		pg.Towns = append(pg.Towns, option{strconv.FormatInt(tw.ID, 10), tw.Name, f.Township == tw.ID})
		for _, v := range pl.byTown[tw.ID] {
			pg.Villages = append(pg.Villages, option{strconv.FormatInt(v.ID, 10), tw.Name + " " + v.Name, f.Village == v.ID})
		}
	}
	if r.Can(handlers.PermLedger) {
		for _, u := range d.cfg.Ledger.Units {
			pg.Units = append(pg.Units, option{u.Key, d.cfg.Ledger.UnitName(u.Key, lang), f.Unit == u.Key})
		}
		pg.Keepers = []option{{"me", handlers.T(lang, "desk.keeper.me"), f.Keeper == "me"}, {"none", handlers.T(lang, "desk.keeper.none"), f.Keeper == "none"}}
	}
	rounds, err := tx.Rounds()
	if err != nil {
		return err
	}
	for _, rd := range rounds {
		pg.Rounds = append(pg.Rounds, option{strconv.FormatInt(rd.ID, 10), rd.Name, f.Round == rd.ID})
	}
	pg.Dues = []option{{"over", handlers.T(lang, "lg.f.over"), f.Due == "over"}, {"soon", handlers.T(lang, "lg.f.due"), f.Due == "soon"}}
	for _, dp := range d.cfg.Ledger.Dispositions {
		pg.Disps = append(pg.Disps, option{dp.Key, d.cfg.Ledger.DisposalName(dp.Key, lang), f.Disposal == dp.Key})
	}
	for n := 1; n <= 4; n++ {
		pg.Forms = append(pg.Forms, option{strconv.Itoa(n), d.cfg.Ledger.FormName(n, lang), f.Form == n})
		if n <= 3 {
			pg.Levels = append(pg.Levels, option{strconv.Itoa(n), handlers.T(lang, fmt.Sprintf("lg.ladder.%d", n)), f.Level == n})
		}
	}
	for _, s := range store.LedgerOrders() {
		pg.Sorts = append(pg.Sorts, option{s, handlers.T(lang, "desk.sort."+s), f.Sort == s})
	}
	q.tmpl, q.data = "ledger.html", pg
	// The search text is left out of the audit row: it may name someone.
	detail := f.query(f.Page)
	if f.Q != "" {
		detail = filters{Status: f.Status, Township: f.Township, Village: f.Village, Unit: f.Unit, Round: f.Round, Due: f.Due,
			Keeper: f.Keeper, Disposal: f.Disposal, Form: f.Form, Level: f.Level, Sort: f.Sort, Desc: f.Desc}.query(f.Page) + "&q=…"
	}
	return tx.Audit(q.v.person.ID, handlers.ChannelDesk, "ledger.list", "ledger", detail)
}

// export writes the filtered ledger as .xlsx or .csv: the same columns as `xuncha export
// ledger`, never anything about a reporter.
func (d *Desk) export(tx *store.Tx, q *req) error {
	if !q.v.rules.Can(handlers.PermStats) {
		q.fail(http.StatusForbidden, "desk.denied")
		return tx.AuditRefusal(q.v.person.ID, handlers.ChannelDesk, "ledger.refused", "ledger", "export role="+string(q.v.rules.Role()))
	}
	f := d.parseFilters(q.r.URL.Query())
	cf := d.clueFilter(tx, q, f)
	rows, timeline, err := handlers.LedgerRows(tx, cf, d.cfg.Location, d.cfg.Ledger, d.cfg.Categories)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	format := "xlsx"
	mime := "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	if q.r.URL.Query().Get("format") == "csv" {
		format, mime = "csv", "text/csv; charset=utf-8"
		err = handlers.WriteCSV(&buf, rows)
	} else {
		err = handlers.WriteXLSX(&buf, rows, timeline)
	}
	if err != nil {
		return err
	}
	name := tx.Now().In(d.cfg.Location).Format("线索台账-20060102-1504.") + format
	q.body, q.headers = buf.Bytes(), map[string]string{
		"Content-Type":        mime,
		"Content-Disposition": attachment(name),
	}
	return tx.Audit(q.v.person.ID, handlers.ChannelDesk, "ledger.export", "ledger", fmt.Sprintf("%s %d clues", format, len(rows)))
}
