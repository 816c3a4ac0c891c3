// A clue shown to staff: its card, its timeline's words and the notices about it.

package handlers

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"xuncha/i18n"
	"xuncha/store"
)

// unitChats returns the chats of a unit's members, whose invitations may name the unit by its
// key or by either of its names.
func (t *turn) unitChats(key string) ([]int64, error) {
	names := []string{key}
	if u, ok := t.ledger().unit(key); ok {
		names = append(names, u.Key, u.ZH, u.EN)
	}
	var chats []int64
	for _, n := range names {
		ids, err := t.tx.UnitChatIDs(n)
		if err != nil {
			return nil, err
		}
		chats = append(chats, ids...)
	}
	return dedupe(chats), nil
}

// openButton is a button that opens clue c.
func (t *turn) openButton(lang string, c *store.Clue) []store.Button {
	return []store.Button{{Text: T(lang, "lg.open", c.Number), Data: NewAction(VerbLedger, "o", c.ID).Data()}}
}

// openClue shows a clue's details, timeline and the actions the sender may take.
func (t *turn) openClue(c *store.Clue) error {
	if err := t.audit("clue.read", clueObject(c), ""); err != nil {
		return err
	}
	t.reset()
	place, err := t.placeName(c.TownshipID, c.VillageID, "")
	if err != nil {
		return err
	}
	source := t.tr("lg.source.inspection")
	if c.Source == store.ClueFromReport {
		source = t.tr("lg.source.anonymous")
		if c.Named {
			source = t.tr("lg.source.named")
		}
	}
	cat := c.Title
	if k, ok := t.category(c.Category); ok {
		cat = k.Name(t.lang)
	}
	var b strings.Builder
	b.WriteString(t.tr("lg.detail", c.Number, source, t.orNotGiven(cat), place, t.orNotGiven(c.Subject), truncate(c.Summary, 500),
		t.tr("lg.status."+c.Status), t.formatDate(c.ReceivedAt)))
	if c.Disposal != "" {
		b.WriteString(t.tr("lg.detail.disposal", t.ledger().DisposalName(c.Disposal, t.lang), t.orNotGiven(t.ledger().FormName(c.Form, t.lang))))
	}
	if c.Unit != "" {
		b.WriteString(t.tr("lg.detail.unit", t.ledger().UnitName(c.Unit, t.lang), t.formatDay(c.DueAt)))
		if c.WhileInspecting {
			b.WriteString(t.tr("lg.detail.while"))
		}
		if !c.DueAt.IsZero() && c.Status != store.ClueClosed && t.tx.Now().After(c.DueAt) {
			b.WriteString(t.tr("lg.detail.overdue"))
		}
	}
	if col := t.ledger().ClueColour(c, t.lang, t.tx.Now()); col.Key != "" {
		since := c.StageAt
		if !c.DueAt.IsZero() {
			since = c.DueAt // the deadline's ladder: the colour is about the deadline
		}
		b.WriteString(t.tr("lg.detail.clock", col.Stage, t.formatDay(since), col.Label))
	}
	keeper, err := t.keeperLabel(c.KeeperID, nil)
	if err != nil {
		return err
	}
	b.WriteString(t.tr("lg.detail.keeper", keeper))
	if !c.PausedAt.IsZero() {
		b.WriteString(t.tr("lg.detail.paused", t.formatDay(c.PausedAt)))
	}
	if c.CaseFiled || c.Disciplined > 0 || c.OrgHandled > 0 {
		b.WriteString(t.tr("lg.detail.outcome", t.yesNo(c.CaseFiled), c.Disciplined, c.OrgHandled))
	}
	links, err := t.tx.ClueLinks(c.ID)
	if err != nil {
		return err
	}
	if len(links) > 0 {
		b.WriteString(t.tr("lg.detail.repeat", strings.Join(links, "、")))
	}
	duties, err := t.realNameCard(&b, c)
	if err != nil {
		return err
	}
	referRows, err := t.referralCard(&b, c)
	if err != nil {
		return err
	}
	duties = append(referRows, duties...)
	// The evidence before the timeline, which a long card cuts.
	fileRows, err := t.clueFiles(c, &b)
	if err != nil {
		return err
	}
	events, err := t.tx.ClueEvents(c.ID)
	if err != nil {
		return err
	}
	b.WriteString(t.tr("lg.timeline"))
	for _, e := range events {
		b.WriteString("\n" + t.formatDate(e.CreatedAt) + "  " + t.eventText(e))
	}
	id := c.ID
	var rows [][]store.Button
	switch {
	case t.can(PermDecide) && c.Status != store.ClueClosed:
		rows = [][]store.Button{
			{t.btn("lg.act.study", NewAction(VerbLedger, "st", id).Data()), t.btn("lg.act.disposal", NewAction(VerbLedger, "dp", id).Data())},
			{t.btn("lg.act.transfer", NewAction(VerbLedger, "tr", id).Data()), t.btn("lg.act.ask", NewAction(VerbLedger, "ask", id).Data())},
			{t.btn("lg.act.close", NewAction(VerbLedger, "cl", id).Data()), t.btn("lg.act.keeper", NewAction(VerbLedger, "kp", id).Data())},
			t.clockButtons(c),
		}
		if t.can(PermReveal) && c.Named {
			rows = append(rows, []store.Button{t.btn("lg.act.reveal", NewAction(VerbLedger, "rv", id).Data())})
		}
	case t.can(PermUnitReport) && c.Status != store.ClueClosed:
		rows = [][]store.Button{
			{t.btn("lg.act.ack", NewAction(VerbLedger, "ack", id).Data()), t.btn("lg.act.progress", NewAction(VerbLedger, "pg", id).Data())},
			{t.btn("lg.act.outcome", NewAction(VerbLedger, "oc", id).Data()), t.btn("lg.act.ask", NewAction(VerbLedger, "ask", id).Data())},
		}
	}
	rows = append(rows, duties...)
	// Blocking works on a closed clue too: a report found to be harassment is often closed first.
	// Both buttons are always offered, so that the view does not tell whether this clue's chat
	// is blocked (which, through another clue's block, would say that both came from one chat).
	if t.can(PermBlock) && c.ReportID != 0 {
		rows = append(rows, []store.Button{t.btn("lg.act.block", NewAction(VerbLedger, "bk", id).Data()), t.btn("lg.act.unblock", NewAction(VerbLedger, "ub", id).Data())})
	}
	// The files' buttons last: a WeChat menu numbers the actions first, as before.
	rows = append(rows, fileRows...)
	// A long timeline is cut rather than refused by the platform; the export has all of it.
	t.say(truncate(b.String(), MaxTextRunes-100), rows...)
	return nil
}

func (t *turn) yesNo(b bool) string {
	if b {
		return t.tr("lg.yes")
	}
	return t.tr("lg.no")
}

// formatDay shows a date without the time, or "not set".
func (t *turn) formatDay(tm time.Time) string {
	if tm.IsZero() {
		return t.tr("task.nodue")
	}
	return tm.In(t.e.cfg.Location).Format("2006-01-02")
}

// eventText renders one timeline line in the reader's language.
func (t *turn) eventText(e store.ClueEvent) string { return EventText(t.lang, t.ledger(), e) }

// EventText renders one line of a clue's timeline in a language, for chat and the export.
func EventText(lang string, l *Ledger, e store.ClueEvent) string {
	label := T(lang, "lg.ev."+e.Kind)
	if !i18n.Has("lg.ev." + e.Kind) {
		label = e.Kind
	}
	body := e.Body
	switch e.Kind {
	case "registered":
		body = ""
	case "disposal":
		key, n, _ := strings.Cut(e.Body, ":")
		form, _ := strconv.Atoi(n)
		body = l.DisposalName(key, lang)
		if f := l.FormName(form, lang); f != "" {
			body += " · " + f
		}
	case "transfer":
		i := strings.LastIndex(e.Body, ":") // unit names may hold a colon; dates do not
		key, due := e.Body, ""
		if i >= 0 {
			key, due = e.Body[:i], e.Body[i+1:]
		}
		body = l.UnitName(key, lang) + " · " + T(lang, "lg.due", due)
	case "outcome":
		var filed, disc, org int
		fmt.Sscan(e.Body, &filed, &disc, &org)
		yes := T(lang, "lg.no")
		if filed > 0 {
			yes = T(lang, "lg.yes")
		}
		body = strings.TrimSpace(T(lang, "lg.detail.outcome", yes, disc, org))
	case "followup_asked", "followup_no":
		body = T(lang, "rn.ev.days", e.Body)
	case "followup_yes":
		days, clue, _ := strings.Cut(e.Body, " · ")
		body = T(lang, "rn.ev.days", days) + " → " + clue
	}
	if body == "" {
		return label
	}
	return T(lang, "lg.ev.line", label, truncate(body, 300))
}

// notifyClue tells the clue's keeper (or, when it has none or cannot be reached, the officials
// of its township: officeChats) about something a unit or the reporter did, with a button to
// open the clue. A keeper who did it themselves needs no notice.
func (t *turn) notifyClue(c *store.Clue, key string, args ...any) error {
	if c.KeeperID != 0 && c.KeeperID == t.personID() {
		return nil
	}
	chats, err := t.officeChats(c)
	if err != nil {
		return err
	}
	return t.tellChats(chats, c, key, args...)
}

// tellChats sends a text with an open button to each chat except the sender's. An argument of
// type func(lang string) string is resolved in each recipient's language.
func (t *turn) tellChats(chats []int64, c *store.Clue, key string, args ...any) error {
	return t.tellEach(t.notMine(chats), "", func(lang string) (store.OutMessage, error) {
		local := make([]any, len(args))
		for i, a := range args {
			if f, ok := a.(func(string) string); ok {
				a = f(lang)
			}
			local[i] = a
		}
		return store.OutMessage{Text: T(lang, key, local...), Buttons: [][]store.Button{t.openButton(lang, c)}}, nil
	})
}

// tellEach queues to each chat the message msg writes in that chat's language. With a key,
// each message is named key:chat, so that a step run again does not queue it twice.
func (t *turn) tellEach(chats []int64, key string, msg func(lang string) (store.OutMessage, error)) error {
	for _, chat := range chats {
		lang, err := t.tx.ChatLang(chat)
		if err != nil {
			return err
		}
		m, err := msg(lang)
		if err != nil {
			return err
		}
		name := ""
		if key != "" {
			name = key + ":" + strconv.FormatInt(chat, 10)
		}
		if err := t.tell(chat, m, name); err != nil {
			return err
		}
	}
	return nil
}

// notMine leaves out the sender's own chat: who acted needs no notice of it.
func (t *turn) notMine(chats []int64) []int64 {
	out := make([]int64, 0, len(chats))
	for _, c := range chats {
		if c != t.chat.ID {
			out = append(out, c)
		}
	}
	return out
}

// tellPerson tells person id, in each of their chats, about clue c as tellChats does.
func (t *turn) tellPerson(id int64, c *store.Clue, key string, args ...any) error {
	chats, err := t.tx.PersonChatIDs(id)
	if err != nil {
		return err
	}
	return t.tellChats(chats, c, key, args...)
}

// clueSupplement records a resident's supplement on the report's clue; a held clue is
// re-activated, since new evidence is what it waits for.
func (t *turn) clueSupplement(reportID int64) error {
	c, err := t.tx.FindClueByReport(reportID)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := t.tx.AddClueEvent(c.ID, 0, "supplement", ""); err != nil {
		return err
	}
	if c.Status != store.ClueHeld {
		return nil
	}
	if err := t.tx.ReactivateClue(c.ID, "supplement"); err != nil {
		return err
	}
	chats, err := t.tx.ChatsOfRoles(c.TownshipID, store.RoleOfficial, store.RoleAdmin)
	if err != nil {
		return err
	}
	return t.tellChats(chats, c, "lg.reactivated.supplement", c.Number)
}

// clueNotice is appended to the officials' notice of a new report: the clue number to open.
func (t *turn) clueNotice(reportID int64, lang string) (string, []store.Button, error) {
	c, err := t.tx.FindClueByReport(reportID)
	if errors.Is(err, store.ErrNotFound) {
		return "", nil, nil
	}
	if err != nil {
		return "", nil, err
	}
	text := T(lang, "lg.notice.number", c.Number)
	if len(c.Linked) == 0 {
		links, err := t.tx.ClueLinks(c.ID)
		if err != nil {
			return "", nil, err
		}
		c.Linked = links
	}
	if len(c.Linked) > 0 {
		text += T(lang, "lg.detail.repeat", strings.Join(c.Linked, "、"))
	}
	return text, t.openButton(lang, c), nil
}
