// Lists, statistics and the export summary of the ledger, and new clues from reports.

package handlers

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"xuncha/store"
)

func (t *turn) newClueStep(d *ledgerDraft, text string) error {
	if t.st.Step == lgNewSubject {
		d.Subject = truncate(text, 200)
		t.set(flowLedger, lgNewDesc)
		t.sayCancel(t.tr("lg.new.desc"))
		return nil
	}
	c := &store.Clue{Source: store.ClueFromInspection, Title: T(LangZH, "lg.source.inspection"), Subject: d.Subject,
		Summary: text, TownshipID: t.person.TownshipID, KeeperID: t.person.ID, ReceivedAt: t.tx.Now().In(t.e.cfg.Location)}
	reactivated, err := t.tx.CreateClue(c)
	if err != nil {
		return err
	}
	if err := t.audit("clue.register", clueObject(c), ""); err != nil {
		return err
	}
	if err := t.announceReactivated(c, reactivated); err != nil {
		return err
	}
	t.reset()
	text = t.tr("lg.new.ok", c.Number)
	if len(c.Linked) > 0 {
		text += t.tr("lg.detail.repeat", strings.Join(c.Linked, "、"))
	}
	t.say(text, t.openButton(t.lang, c))
	return nil
}

// registerReportClue enters a new report into the ledger, in the report's own transaction.
func (t *turn) registerReportClue(r *store.Report) error {
	title := r.Category
	if cat, ok := t.category(r.Category); ok {
		title = cat.Name(LangZH)
	}
	c := &store.Clue{Source: store.ClueFromReport, ReportID: r.ID, Title: title, Subject: r.Subject, Summary: r.Description,
		TownshipID: r.TownshipID, VillageID: r.VillageID, ReceivedAt: t.tx.Now().In(t.e.cfg.Location)}
	reactivated, err := t.tx.CreateClue(c)
	if err != nil {
		return err
	}
	if err := t.tx.Audit(r.FiledBy, t.chat.Platform, "clue.created", clueObject(c), fmt.Sprintf("report:%d", r.ID)); err != nil {
		return err
	}
	if err := t.routeToGroup(c); err != nil {
		return err
	}
	return t.announceReactivated(c, reactivated)
}

// announceReactivated tells the officials that held clues woke up because of c.
func (t *turn) announceReactivated(c *store.Clue, held []*store.Clue) error {
	for _, h := range held {
		chats, err := t.tx.ChatsOfRoles(h.TownshipID, store.RoleOfficial, store.RoleAdmin)
		if err != nil {
			return err
		}
		if err := t.tellChats(chats, h, "lg.reactivated", h.Number, c.Number); err != nil {
			return err
		}
	}
	return nil
}

// listClues shows the sender's clues under a filter: "open", "new", "due", "over", "units",
// "u" (with a unit key), "places", "t" (a township id) or "v" (a village id).
func (t *turn) listClues(filter, arg string) error {
	// Permission first: a refusal leaves the conversation as it was.
	if !t.can(PermLedger) && (filter == "units" || filter == "u") {
		return t.refuse("list", "ledger")
	}
	if id, _ := strconv.ParseInt(arg, 10, 64); filter == "t" && !t.rules().SeesTownship(id) {
		return t.refuse("list", "township:"+arg)
	}
	t.reset()
	now := t.tx.Now()
	f := t.scope(store.ClueFilter{Open: true})
	label := t.tr("lg.f.open")
	switch filter {
	case "new":
		f.Statuses, label = []string{store.ClueNew}, t.tr("lg.f.new")
	case "due":
		f.DueBefore, label = t.e.cfg.Calendar.AddWorkingDays(now, t.ledger().DueSoonDays), t.tr("lg.f.due")
	case "over":
		f.DueBefore, label = now, t.tr("lg.f.over")
	case "round":
		id, err := t.tx.RoundAt(now)
		if err != nil {
			return err
		}
		if id == 0 {
			t.say(t.tr("lg.f.noround"))
			return nil
		}
		f.RoundID, label = id, t.tr("lg.f.round")
	case "units":
		t.say(t.tr("lg.f.units"), t.unitButtons(t.ledger().Units, "l", "u")...)
		return nil
	case "u":
		f.Unit, label = t.ledger().CanonicalUnit(arg), t.ledger().UnitName(arg, t.lang)
	case "places":
		return t.placeFilter()
	case "t", "v":
		id, _ := strconv.ParseInt(arg, 10, 64)
		if filter == "t" {
			f.TownshipID = id
		} else {
			f.VillageID = id
		}
		place, err := t.placeOf(filter, id)
		if err != nil {
			return err
		}
		label = place
	}
	clues, err := t.tx.Clues(f)
	if err != nil {
		return err
	}
	if filter == "due" {
		// Due soon, not already overdue: those have their own list.
		kept := clues[:0]
		for _, c := range clues {
			if !c.DueAt.Before(now) {
				kept = append(kept, c)
			}
		}
		clues = kept
	}
	// The escalation ladder (提醒 → 提醒函 → 督办函) is the scheduler's; the list shows where each
	// overdue clue stands on it, and "over:N" keeps one level.
	if filter == "over" {
		want, _ := strconv.Atoi(arg)
		kept := clues[:0]
		for _, c := range clues {
			if want == 0 || c.Level == want {
				kept = append(kept, c)
			}
		}
		clues = kept
		if want > 0 {
			label += " · " + t.tr(fmt.Sprintf("lg.ladder.%d", want))
		}
	}
	if err := t.audit("ledger.list", "ledger", filter+" "+arg); err != nil {
		return err
	}
	var b strings.Builder
	b.WriteString(t.tr("lg.list.head", label, len(clues)))
	var rows [][]store.Button
	keepers := map[int64]string{}
	for i, c := range clues {
		if i == 20 {
			b.WriteString(t.tr("lg.list.more", len(clues)-20))
			break
		}
		due := ""
		if !c.DueAt.IsZero() {
			due = " · " + t.tr("lg.due", t.formatDay(c.DueAt))
		}
		if col := t.ledger().ClueColour(c, t.lang, t.tx.Now()); col.Key != "" {
			due += " · " + col.Label
		}
		if !c.PausedAt.IsZero() {
			due += t.tr("lg.list.paused")
		}
		if t.can(PermLedger) && c.KeeperID != 0 {
			keeper, err := t.keeperLabel(c.KeeperID, keepers)
			if err != nil {
				return err
			}
			due += t.tr("lg.list.keeper", keeper)
		}
		b.WriteString(fmt.Sprintf("\n%s · %s · %s%s", c.Number, t.tr("lg.status."+c.Status), truncate(t.orNotGiven(c.Subject), 20), due))
		if i < 10 {
			rows = append(rows, []store.Button{{Text: c.Number + " " + truncate(c.Subject, 12), Data: NewAction(VerbLedger, "o", c.ID).Data()}})
		}
	}
	if t.can(PermLedger) && filter == "over" {
		rows = append(rows, []store.Button{t.btn("lg.ladder.1", NewAction(VerbLedger, "l", "over", 1).Data()), t.btn("lg.ladder.2", NewAction(VerbLedger, "l", "over", 2).Data()), t.btn("lg.ladder.3", NewAction(VerbLedger, "l", "over", 3).Data())})
	}
	if t.can(PermLedger) {
		rows = append(rows,
			[]store.Button{t.btn("lg.f.new", NewAction(VerbLedger, "l", "new").Data()), t.btn("lg.f.due", NewAction(VerbLedger, "l", "due").Data()), t.btn("lg.f.over", NewAction(VerbLedger, "l", "over").Data())},
			[]store.Button{t.btn("lg.f.open", NewAction(VerbLedger, "l", "open").Data()), t.btn("lg.f.round", NewAction(VerbLedger, "l", "round").Data())},
			[]store.Button{t.btn("lg.f.units", NewAction(VerbLedger, "l", "units").Data()), t.btn("lg.f.places", NewAction(VerbLedger, "l", "places").Data())})
	}
	t.say(b.String(), rows...)
	return nil
}

// placeFilter offers the villages of a township official, or the townships to the county.
func (t *turn) placeFilter() error {
	var rows [][]store.Button
	if t.isOfficial() && t.person.TownshipID != 0 {
		vs, err := t.tx.Villages(t.person.TownshipID)
		if err != nil {
			return err
		}
		rows = grid(vs, func(v store.Village) store.Button {
			return store.Button{Text: v.Name, Data: NewAction(VerbLedger, "l", "v", v.ID).Data()}
		})
	} else {
		tws, err := t.tx.Townships()
		if err != nil {
			return err
		}
		rows = grid(tws, func(tw store.Township) store.Button {
			return store.Button{Text: tw.Name, Data: NewAction(VerbLedger, "l", "t", tw.ID).Data()}
		})
	}
	t.say(t.tr("lg.f.places"), rows...)
	return nil
}

func (t *turn) placeOf(kind string, id int64) (string, error) {
	if kind == "t" {
		tw, err := t.tx.FindTownship(id)
		if err != nil {
			return "", err
		}
		return tw.Name, nil
	}
	v, err := t.tx.FindVillage(id)
	if err != nil {
		return "", err
	}
	return v.Name, nil
}

// showStats shows the figures of a round (the named one, or the one under way) and of the year.
func (t *turn) showStats(arg string) error {
	t.reset()
	now := t.tx.Now().In(t.e.cfg.Location)
	var b strings.Builder
	var round *store.Round
	var err error
	if arg != "" {
		round, err = t.tx.FindRound(arg)
	} else if id, err2 := t.tx.RoundAt(now); err2 != nil {
		return err2
	} else if id != 0 {
		round, err = t.tx.FindRound(strconv.FormatInt(id, 10))
	}
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	if round != nil {
		s, err := t.tx.Stats(t.scope(store.ClueFilter{RoundID: round.ID}))
		if err != nil {
			return err
		}
		b.WriteString(t.statsText(round.Name, s) + "\n\n")
	}
	year := time.Date(now.Year(), 1, 1, 0, 0, 0, 0, t.e.cfg.Location)
	s, err := t.tx.Stats(t.scope(store.ClueFilter{From: year}))
	if err != nil {
		return err
	}
	b.WriteString(t.statsText(t.tr("lg.stats.year", now.Year()), s))
	if err := t.audit("ledger.stats", "ledger", arg); err != nil {
		return err
	}
	t.say(b.String())
	return nil
}

// statsText renders the figures in a language.
func (t *turn) statsText(title string, s store.LedgerStats) string {
	return StatsText(t.lang, t.ledger(), title, s)
}

// StatsText renders ledger statistics for chat and for `xuncha stats`.
func StatsText(lang string, l *Ledger, title string, s store.LedgerStats) string {
	var b strings.Builder
	b.WriteString(T(lang, "lg.stats", title, s.Received, s.Transferred, s.WhileInspecting, s.CasesFiled, s.Disciplined, s.OrgHandled, s.Closed))
	var mix []string
	for _, d := range l.Dispositions {
		if n := s.Disposals[d.Key]; n > 0 {
			mix = append(mix, fmt.Sprintf("%s %d", pick(lang, d.ZH, d.EN), n))
		}
	}
	if len(mix) > 0 {
		b.WriteString(T(lang, "lg.stats.disposals", strings.Join(mix, "，")))
	}
	mix = nil
	for n := 1; n <= 4; n++ {
		if s.Forms[n] > 0 {
			mix = append(mix, fmt.Sprintf("%s %d", l.FormName(n, lang), s.Forms[n]))
		}
	}
	if len(mix) > 0 {
		b.WriteString(T(lang, "lg.stats.forms", strings.Join(mix, "，")))
	}
	return b.String()
}

// exportSummary answers /export in chat with the ledger the official may see, as an .xlsx
// file (the same as `xuncha export ledger`: no reporter identity in any column).
func (t *turn) exportSummary() error {
	cf := t.scope(store.ClueFilter{})
	clues, err := t.tx.Clues(cf)
	if err != nil {
		return err
	}
	open := 0
	for _, c := range clues {
		if c.Status != store.ClueClosed {
			open++
		}
	}
	rows, timeline, err := LedgerRows(t.tx, cf, t.e.cfg.Location, t.ledger(), t.e.cfg.Categories)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := WriteXLSX(&buf, rows, timeline); err != nil {
		return err
	}
	const mime = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	sha, err := t.tx.PutBlob(buf.Bytes(), mime)
	if err != nil {
		return err
	}
	if err := t.audit("ledger.export", "ledger", fmt.Sprintf("xlsx %d clues", len(rows))); err != nil {
		return err
	}
	t.reset()
	name := t.tx.Now().In(t.e.cfg.Location).Format("线索台账-20060102-1504.xlsx")
	t.out = append(t.out, Outgoing{ChatID: t.chat.ID, ToSender: true, OutMessage: store.OutMessage{
		Text: t.tr("lg.export", len(clues), open),
		File: &store.Attachment{SHA256: sha, Name: name, MIME: mime, Size: int64(buf.Len())},
	}})
	return nil
}
