package desk

import (
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"xuncha/handlers"
	"xuncha/store"
)

// inlineImages are the types shown in the page; they were re-encoded without metadata on
// intake (handlers/media). Anything else is a download.
var inlineImages = map[string]bool{"image/jpeg": true, "image/png": true, "image/gif": true, "image/webp": true}

// attachment is a Content-Disposition that makes the browser save the file under its name.
func attachment(name string) string {
	return mime.FormatMediaType("attachment", map[string]string{"filename": name})
}

// findClue reads the clue of the URL and checks it against the viewer's scope. A clue out of
// scope is answered as if it did not exist, and the attempt is audit-logged: an id changed in
// the URL reaches nothing.
func (d *Desk) findClue(tx *store.Tx, q *req, action string) (*store.Clue, error) {
	id, err := strconv.ParseInt(q.r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		q.fail(http.StatusNotFound, "desk.notfound")
		return nil, nil
	}
	c, err := tx.FindClue(id)
	if errors.Is(err, store.ErrNotFound) {
		q.fail(http.StatusNotFound, "desk.notfound")
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if !q.v.rules.CanOn(handlers.PermOpen, c) {
		q.fail(http.StatusNotFound, "desk.notfound")
		return nil, tx.AuditRefusal(q.v.person.ID, handlers.ChannelDesk, "ledger.refused", "clue:"+c.Number, action+" role="+string(q.v.rules.Role()))
	}
	return c, nil
}

type fileView struct {
	ID    int64
	Name  string
	URL   string
	Image bool
	Size  string
}

type supplement struct {
	At    string
	Text  string
	Files []fileView
}

type eventView struct {
	At, Text string
}

type letterView struct {
	Kind, Number, Sent, Acked, URL string
}

type link struct {
	Number, URL string
}

type cluePage struct {
	You       string
	Clue      *store.Clue
	Source    string
	Category  string
	Place     string
	Status    string
	Colour    handlers.Colour
	Disposal  string
	Form      string
	Unit      string
	Due       string
	Overdue   bool
	Outcome   string
	Report    *store.Report
	RPlace    string
	RCategory string
	Checkin   bool
	Files     []fileView
	Supps     []supplement
	Events    []eventView
	Letters   []letterView
	Repeats   []link

	Closed                  bool
	Decide, UnitAct, Ask    bool
	Acked                   bool
	Named                   bool
	Disps, Forms, Units     []option
	Days                    []option
	Action                  string
	RevealHint, NotGivenTxt string

	// The clock and the real-name duties, as the chat's card shows them, and their actions.
	Keeper, Paused                    string
	Duties                            []string
	Keep, Clock, Resume, Extend       bool
	Refer, NotAccept, Result          bool
	Keepers, Bodies, ExtDays, Objects []option
}

// cluePage shows a clue: the report as the resident wrote it, the evidence, supplements,
// the timeline and letters, and the actions the viewer may take.
func (d *Desk) cluePage(tx *store.Tx, q *req) error {
	c, err := d.findClue(tx, q, "open")
	if c == nil || err != nil {
		return err
	}
	lang, l := q.lang, d.cfg.Ledger
	pl, err := loadPlaces(tx)
	if err != nil {
		return err
	}
	notGiven := handlers.T(lang, "not.given")
	or := func(s string) string {
		if s == "" {
			return notGiven
		}
		return s
	}
	pg := cluePage{You: d.you(tx, q, pl), Clue: c, Place: or(pl.name(c.TownshipID, c.VillageID)),
		Status: handlers.T(lang, "lg.status."+c.Status), Disposal: l.DisposalName(c.Disposal, lang), Form: l.FormName(c.Form, lang),
		Unit: l.UnitName(c.Unit, lang), Due: d.day(c.DueAt), Closed: c.Status == store.ClueClosed, Named: c.Named,
		Action: fmt.Sprintf("/desk/clue/%d/act", c.ID), Acked: !c.AckedAt.IsZero()}
	pg.Overdue = !pg.Closed && !c.DueAt.IsZero() && tx.Now().After(c.DueAt)
	pg.Colour = l.ClueColour(c, lang, tx.Now())
	pg.Source = handlers.T(lang, "lg.source.inspection")
	if c.Source == store.ClueFromReport {
		pg.Source = handlers.T(lang, "lg.source.anonymous")
		if c.Named {
			pg.Source = handlers.T(lang, "lg.source.named")
		}
	}
	pg.Category = c.Title
	for _, k := range d.cfg.Categories {
		if k.Key == c.Category {
			pg.Category = k.Name(lang)
		}
	}
	if c.CaseFiled || c.Disciplined > 0 || c.OrgHandled > 0 {
		yes := handlers.T(lang, "lg.no")
		if c.CaseFiled {
			yes = handlers.T(lang, "lg.yes")
		}
		pg.Outcome = strings.TrimSpace(handlers.T(lang, "lg.detail.outcome", yes, c.Disciplined, c.OrgHandled))
	}

	// The report as written, its files and supplements, in order.
	if c.ReportID != 0 {
		r, err := tx.FindReport(c.ReportID)
		if err != nil {
			return err
		}
		pg.Report, pg.Checkin = r, r.Source == store.SourceCheckin
		pg.RPlace = or(pl.name(r.TownshipID, r.VillageID))
		if r.TownshipID == 0 {
			pg.RPlace = or(r.PlaceText)
		}
		pg.RCategory = pg.Category
		files, err := tx.ReportFiles(r.ID)
		if err != nil {
			return err
		}
		byEvent := map[int64][]fileView{}
		for _, f := range files {
			byEvent[f.EventID] = append(byEvent[f.EventID], fileView{ID: f.ID, Name: f.Name,
				URL: fmt.Sprintf("/desk/clue/%d/file/%d", c.ID, f.ID), Image: inlineImages[f.MIME], Size: handlers.FileSize(f.Size)})
		}
		events, err := tx.ReportEvents(r.ID, false)
		if err != nil {
			return err
		}
		for _, e := range events {
			switch e.Kind {
			case "received":
				pg.Files = append(pg.Files, byEvent[e.ID]...)
			case "supplement":
				pg.Supps = append(pg.Supps, supplement{At: d.at(e.CreatedAt), Text: e.Body, Files: byEvent[e.ID]})
			}
			delete(byEvent, e.ID)
		}
		for _, fs := range byEvent { // files of no known event (older rows): still evidence
			pg.Files = append(pg.Files, fs...)
		}
	}
	events, err := tx.ClueEvents(c.ID)
	if err != nil {
		return err
	}
	for _, e := range events {
		pg.Events = append(pg.Events, eventView{At: d.at(e.CreatedAt), Text: handlers.EventText(lang, l, e)})
	}
	letters, err := tx.ClueLetters(c.ID)
	if err != nil {
		return err
	}
	for _, lt := range letters {
		v := letterView{Kind: handlers.T(lang, "desk.letter.kind."+lt.Kind), Number: lt.Number, Sent: d.at(lt.SentAt),
			Acked: handlers.T(lang, "desk.letter.pending"), URL: fmt.Sprintf("/desk/clue/%d/letter/%d", c.ID, lt.ID)}
		if !lt.AckedAt.IsZero() {
			v.Acked = handlers.T(lang, "desk.letter.acked", d.at(lt.AckedAt))
		}
		pg.Letters = append(pg.Letters, v)
	}
	numbers, err := tx.ClueLinks(c.ID)
	if err != nil {
		return err
	}
	for _, n := range numbers {
		lk := link{Number: n}
		if o, err := tx.FindClueByNumber(n); err == nil && q.v.rules.Sees(o) {
			lk.URL = fmt.Sprintf("/desk/clue/%d", o.ID) // linked only where the viewer may go
		}
		pg.Repeats = append(pg.Repeats, lk)
	}

	// The actions, as the rule book allows them.
	r := q.v.rules
	pg.Decide = !pg.Closed && r.CanOn(handlers.PermDecide, c)
	pg.UnitAct = !pg.Closed && r.CanOn(handlers.PermUnitReport, c)
	pg.Ask = !pg.Closed && c.ReportID != 0 && r.CanOn(handlers.PermAsk, c)
	if pg.Decide {
		for _, dp := range l.Dispositions {
			pg.Disps = append(pg.Disps, option{dp.Key, l.DisposalName(dp.Key, lang), dp.Key == c.Disposal})
		}
		pg.Forms = append(pg.Forms, option{"0", handlers.T(lang, "lg.form.none"), c.Form == 0})
		for n := 1; n <= 4; n++ {
			pg.Forms = append(pg.Forms, option{strconv.Itoa(n), l.FormName(n, lang), c.Form == n})
		}
		for _, u := range l.Units {
			pg.Units = append(pg.Units, option{u.Key, l.UnitName(u.Key, lang), l.CanonicalUnit(u.Key) == c.Unit})
		}
		for _, n := range l.DueDays {
			pg.Days = append(pg.Days, option{strconv.Itoa(n), handlers.T(lang, "lg.days", n), false})
		}
	}
	if err := d.clockAndDuties(tx, q, c, &pg); err != nil {
		return err
	}
	if r.Can(handlers.PermBlock) || (c.Named && r.Can(handlers.PermReveal)) {
		pg.RevealHint = handlers.T(lang, "desk.reveal.chat", c.Number)
	}
	q.tmpl, q.data = "clue.html", pg
	return tx.Audit(q.v.person.ID, handlers.ChannelDesk, "clue.read", "clue:"+c.Number, "")
}

// clockAndDuties fills in the clue's keeper, pause and real-name duties, and the forms of the
// actions on them that the rule book allows the viewer; each form posts a verb of DeskAct,
// which checks everything again.
func (d *Desk) clockAndDuties(tx *store.Tx, q *req, c *store.Clue, pg *cluePage) error {
	lang, l, r := q.lang, d.cfg.Ledger, q.v.rules
	pg.Keeper = handlers.T(lang, "lg.keeper.none")
	if c.KeeperID != 0 {
		k, err := tx.KeeperLabel(c.KeeperID)
		if err != nil {
			return err
		}
		pg.Keeper = k
	}
	if !c.PausedAt.IsZero() {
		pg.Paused = d.day(c.PausedAt)
	}
	lines, err := d.eng.DeskClueState(tx, q.v.person, lang, c)
	if err != nil {
		return err
	}
	pg.Duties = lines
	closed := pg.Closed || !c.ClosedAt.IsZero()
	if !closed && r.CanOn(handlers.PermKeeper, c) {
		cands, err := tx.KeeperCandidates(c.TownshipID)
		if err != nil {
			return err
		}
		for _, k := range cands {
			pg.Keepers = append(pg.Keepers, option{strconv.FormatInt(k.ID, 10), k.Label(), k.ID == c.KeeperID})
		}
		pg.Keep = len(pg.Keepers) > 0
	}
	if !closed && r.CanOn(handlers.PermClock, c) {
		pg.Clock, pg.Resume = c.PausedAt.IsZero(), !c.PausedAt.IsZero()
		if !c.DueAt.IsZero() {
			pg.Extend = true
			for _, n := range l.DueDays {
				pg.ExtDays = append(pg.ExtDays, option{strconv.Itoa(n), handlers.T(lang, "lg.days", n), false})
			}
		}
	}
	if c.ReportID != 0 && !closed && (c.Status == store.ClueNew || c.Status == store.ClueStudied) && r.CanOn(handlers.PermRefer, c) {
		for _, b := range l.ReferTo {
			label := b.ZH
			if lang == handlers.LangEN && b.EN != "" {
				label = b.EN
			}
			pg.Bodies = append(pg.Bodies, option{b.Key, label, false})
		}
		pg.Refer = len(pg.Bodies) > 0
	}
	pg.NotAccept = c.ReportID != 0 && !closed && r.CanOn(handlers.PermNotAccept, c)
	if c.ReportID == 0 {
		return nil
	}
	duties, err := tx.ClueDuties(c.ID)
	if err != nil {
		return err
	}
	owed := true // a closed clue with no result duty may still be told (as in chat)
	for _, du := range duties {
		switch {
		case du.Kind == store.DutyResult && !du.DoneAt.IsZero():
			owed = false
		case du.Kind == store.DutyObjection && du.DoneAt.IsZero() && r.CanOn(handlers.PermObjection, c):
			pg.Objects = append(pg.Objects, option{strconv.FormatInt(du.ID, 10), handlers.T(lang, "rn.oa.button", du.Seq), false})
		}
	}
	pg.Result = c.Status == store.ClueClosed && owed && r.CanOn(handlers.PermResult, c)
	return nil
}

// file serves one of a clue's files, only through a clue the viewer may open and only a file
// of that clue's report: changing either id reaches nothing else. Cleaned images are shown
// inline; everything else is a download, and nothing is sniffed or run.
func (d *Desk) file(tx *store.Tx, q *req) error {
	c, err := d.findClue(tx, q, "file")
	if c == nil || err != nil {
		return err
	}
	fid, err := strconv.ParseInt(q.r.PathValue("file"), 10, 64)
	if err != nil || c.ReportID == 0 {
		q.fail(http.StatusNotFound, "desk.notfound")
		return nil
	}
	f, data, err := tx.ReportFileData(c.ReportID, fid)
	if errors.Is(err, store.ErrNotFound) {
		q.fail(http.StatusNotFound, "desk.notfound")
		return tx.AuditRefusal(q.v.person.ID, handlers.ChannelDesk, "ledger.refused", "clue:"+c.Number, fmt.Sprintf("file:%d", fid))
	}
	if err != nil {
		return err
	}
	name := f.Name
	if name == "" {
		name = fmt.Sprintf("%s-%d", c.Number, f.ID)
	}
	disp := attachment(name)
	ctype := "application/octet-stream"
	if inlineImages[f.MIME] {
		disp = mime.FormatMediaType("inline", map[string]string{"filename": name})
		ctype = f.MIME
	}
	q.body, q.headers = data, map[string]string{
		"Content-Type":        ctype,
		"Content-Disposition": disp,
		// A file is never a page: should a browser render one anyway, it runs in a sandbox.
		"Content-Security-Policy": "default-src 'none'; img-src 'self'; sandbox",
		"Cache-Control":           "private, no-store",
	}
	return tx.Audit(q.v.person.ID, handlers.ChannelDesk, "clue.file", "clue:"+c.Number, fmt.Sprintf("file:%d", f.ID))
}

// letter serves a reminder or supervision letter of a clue as the .docx the chat sent, only
// through a clue the viewer may open and only a letter of that clue. Always a download.
func (d *Desk) letter(tx *store.Tx, q *req) error {
	c, err := d.findClue(tx, q, "letter")
	if c == nil || err != nil {
		return err
	}
	lid, err := strconv.ParseInt(q.r.PathValue("letter"), 10, 64)
	if err != nil {
		q.fail(http.StatusNotFound, "desk.notfound")
		return nil
	}
	l, err := tx.FindLetter(lid)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	if l == nil || l.ClueID != c.ID {
		q.fail(http.StatusNotFound, "desk.notfound")
		return tx.AuditRefusal(q.v.person.ID, handlers.ChannelDesk, "ledger.refused", "clue:"+c.Number, fmt.Sprintf("letter:%d", lid))
	}
	a, data, err := d.eng.LetterFile(tx, l.ID)
	if err != nil {
		return err
	}
	q.body, q.headers = data, map[string]string{
		"Content-Type":            a.MIME,
		"Content-Disposition":     attachment(a.Name),
		"Content-Security-Policy": "default-src 'none'; sandbox",
		"Cache-Control":           "private, no-store",
	}
	return tx.Audit(q.v.person.ID, handlers.ChannelDesk, "clue.letter", "clue:"+c.Number, l.Number)
}

// act runs an action from the clue page's forms through the chat's own ledger code, then
// goes back to the clue (post, redirect, get) with the chat's answer as a notice.
func (d *Desk) act(tx *store.Tx, q *req) error {
	c, err := d.findClue(tx, q, "act")
	if c == nil || err != nil {
		return err
	}
	// The action runs in a transaction of its own (the engine's), after this one commits.
	form := q.r.PostForm
	num := func(k string) int { n, _ := strconv.Atoi(form.Get(k)); return n }
	a := handlers.DeskAction{PersonID: q.v.person.ID, ClueID: c.ID, Lang: q.lang, Verb: form.Get("verb"),
		Who: form.Get("who"), Text: form.Get("text"), Disposal: form.Get("disposal"), Form: num("form"),
		Unit: form.Get("unit"), Days: num("days"), CaseFiled: form.Get("filed") == "1",
		Disciplined: num("disciplined"), OrgHandled: num("org"), Body: form.Get("body")}
	a.Keeper, _ = strconv.ParseInt(form.Get("keeper"), 10, 64)
	a.Duty, _ = strconv.ParseInt(form.Get("duty"), 10, 64)
	if (a.Verb == "close" || a.Verb == "notaccept") && form.Get("confirm") != "1" {
		q.redirect = fmt.Sprintf("/desk/clue/%d", c.ID)
		return nil
	}
	q.pending = &a
	q.redirect = fmt.Sprintf("/desk/clue/%d", c.ID)
	return nil
}
