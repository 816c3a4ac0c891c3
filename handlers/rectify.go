// Rectification (整改): items, plans, progress and their reminders.

package handlers

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"xuncha/store"
)

// FeedbackReceivers are the units a round's feedback is handed to: the commission (its case
// offices are the ledger's units) and the organisation department.
var FeedbackReceivers = []string{"case1", "org"}

func (t *turn) listRect() error {
	var items []store.RectItem
	var err error
	if t.isUnit() {
		items, err = t.tx.RectItems(t.unitKey())
	} else {
		items, err = t.tx.RectItems()
	}
	if err != nil {
		return err
	}
	shown := 0
	for _, r := range items {
		if r.Status == "done" {
			continue
		}
		shown++
		text := t.tr("rd.rc.line", r.ID, t.tr("rd.rc."+r.Kind), r.Unit, r.Title, t.tr("rd.rc.st."+r.Status),
			t.formatDay(r.PlanDueAt), t.formatDay(r.DueAt))
		if !r.EscalatedAt.IsZero() {
			text += t.tr("rd.rc.escalated")
		}
		var rows [][]store.Button
		if t.isUnit() {
			rows = [][]store.Button{
				{t.btn("rd.rc.plan", NewAction(VerbRounds, "rp", r.ID).Data()), t.btn("rd.rc.progress", NewAction(VerbRounds, "rg", r.ID).Data())},
				{t.btn("rd.rc.templates", NewAction(VerbRounds, "rt", r.ID).Data())},
			}
		} else {
			rows = [][]store.Button{
				{t.btn("rd.rc.visit", NewAction(VerbRounds, "rv", r.ID).Data()), t.btn("rd.rc.weak", NewAction(VerbRounds, "rw", r.ID).Data())},
				{t.btn("rd.rc.done", NewAction(VerbRounds, "rd", r.ID).Data())},
			}
		}
		t.say(text, rows...)
	}
	if shown == 0 {
		t.say(t.tr("rd.rc.none"))
	}
	return nil
}

// rectFor returns the item when the sender may act on it: its unit's members, or officials.
func (t *turn) rectFor(id int64, unitSide bool) (*store.RectItem, error) {
	r, err := t.tx.FindRectItem(id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if unitSide && (!t.isUnit() || r.Unit != t.unitKey()) {
		return nil, nil
	}
	if !unitSide && !t.isOfficial() {
		return nil, nil
	}
	return r, nil
}

func (t *turn) rectButton(verb string, id int64) error {
	unitSide := verb == "rp" || verb == "rg" || verb == "rt"
	r, err := t.rectFor(id, unitSide)
	if err != nil {
		return err
	}
	if r == nil {
		key := "rd.denied.official"
		if unitSide {
			key = "rd.rc.notyours"
		}
		return t.roundsRefuse("rectify."+verb, fmt.Sprintf("rect:%d", id), key)
	}
	switch verb {
	case "rt":
		return t.sendTemplates(r)
	case "rd":
		if err := t.tx.AddRectEvent(&store.RectEvent{TaskID: r.ID, Kind: "done", PersonID: t.personID()}); err != nil {
			return err
		}
		if err := t.audit("rectify.done", fmt.Sprintf("rect:%d", r.ID), ""); err != nil {
			return err
		}
		t.say(t.tr("rd.rc.closed", r.ID))
		return nil
	}
	step := map[string]string{"rp": rdPlan, "rg": rdProgress, "rv": rdVisit, "rw": rdWeak}[verb]
	t.reset()
	t.st.Rounds = &roundsDraft{TaskID: r.ID}
	t.set(flowRounds, step)
	t.sayCancel(t.tr("rd.rc.ask."+step, r.Title))
	return nil
}

// sendTemplates sends the guidance and the document templates to the sender.
func (t *turn) sendTemplates(r *store.RectItem) error {
	msgs, err := RectificationMessages(t.tx, t.lang, r, t.e.cfg.Location)
	if err != nil {
		return err
	}
	if err := t.audit("rectify.templates", fmt.Sprintf("rect:%d", r.ID), ""); err != nil {
		return err
	}
	for i, m := range msgs {
		if i == 0 {
			t.say(m.Text)
			continue
		}
		t.out = append(t.out, Outgoing{ChatID: t.chat.ID, ToSender: true, OutMessage: m})
	}
	return nil
}

// rectText records a plan, a progress report, a site visit or a "perfunctory" finding.
func (t *turn) rectText(d *roundsDraft, text string, files []store.Attachment) error {
	unitSide := t.st.Step == rdPlan || t.st.Step == rdProgress
	r, err := t.rectFor(d.TaskID, unitSide)
	if err != nil {
		return err
	}
	step := t.st.Step
	t.reset()
	if r == nil {
		return t.roundsRefuse("rectify."+step, fmt.Sprintf("rect:%d", d.TaskID), "rd.rc.notyours")
	}
	kind := map[string]string{rdPlan: "plan", rdProgress: "progress", rdVisit: "visit", rdWeak: "perfunctory"}[step]
	e := &store.RectEvent{TaskID: r.ID, Kind: kind, Body: text, PersonID: t.personID()}
	if len(files) > 0 {
		e.FileSHA, e.FileName = files[0].SHA256, files[0].Name
	}
	if err := t.tx.AddRectEvent(e); err != nil {
		return err
	}
	if err := t.audit("rectify."+kind, fmt.Sprintf("rect:%d", r.ID), ""); err != nil {
		return err
	}
	if kind == "perfunctory" {
		// Perfunctory rectification is escalated at once, as lateness is by the scheduler.
		if err := EscalateRect(t.tx, r, "rd.rc.esc.weak", t.e.cfg.Location, t.tell); err != nil {
			return err
		}
	}
	if unitSide {
		recips, err := t.tx.RoundMemberRecipients(r.RoundID)
		if err != nil {
			return err
		}
		for _, rc := range recips {
			if err := t.tell(rc.ChatID, store.OutMessage{Text: T(rc.Lang, "rd.rc.arrived."+kind, r.Unit, r.Title)}, ""); err != nil {
				return err
			}
		}
	}
	t.say(t.tr("rd.rc.saved."+kind, r.ID))
	return nil
}

// EscalateRect records an escalation of a rectification item and tells the administrators
// (the leading group) and the inspection staff through enqueue (a step's tell, so the channels
// are woken; the scheduler's Enqueue).
func EscalateRect(tx *store.Tx, r *store.RectItem, key string, loc *time.Location,
	enqueue func(chatID int64, msg store.OutMessage, dedupeKey string) error) error {
	if !r.EscalatedAt.IsZero() {
		return nil
	}
	if err := tx.MarkRectItem(r.ID, "escalated"); err != nil {
		return err
	}
	if err := tx.AddRectEvent(&store.RectEvent{TaskID: r.ID, Kind: "escalated", Body: key}); err != nil {
		return err
	}
	recips, err := tx.RecipientsOfRoles(0, store.RoleAdmin, store.RoleOfficial)
	if err != nil {
		return err
	}
	for _, rc := range recips {
		msg := store.OutMessage{Text: T(rc.Lang, key, T(rc.Lang, "rd.rc."+r.Kind), r.Unit, r.Title,
			r.DueAt.In(loc).Format("2006-01-02"))}
		if err := enqueue(rc.ChatID, msg, fmt.Sprintf("rect:%d:escalated:%d", r.ID, rc.ChatID)); err != nil {
			return fmt.Errorf("enqueue escalation: %w", err)
		}
	}
	return nil
}

// RectificationMessages are the guidance and the two templates for an item, in lang; the
// templates' bytes are stored as blobs in tx so that the outbox can carry them.
func RectificationMessages(tx *store.Tx, lang string, r *store.RectItem, loc *time.Location) ([]store.OutMessage, error) {
	files, err := putTemplates(tx)
	if err != nil {
		return nil, err
	}
	msgs := []store.OutMessage{{Text: T(lang, "rd.rc.guidance", T(lang, "rd.rc."+r.Kind), r.Title,
		r.PlanDueAt.In(loc).Format("2006-01-02"), r.DueAt.In(loc).Format("2006-01-02"))}}
	for _, f := range files {
		msgs = append(msgs, store.OutMessage{Text: f.Name, File: &f.Attachment})
	}
	return msgs, nil
}

// createRect answers "/rectify add 轮次 单位 问题" (a task of the inspected organisation) and
// "/suggest 轮次 部门 问题" (a suggestion to another department): the round by name or number,
// the unit by key or name. The scheduler sends the guidance and templates.
func (t *turn) createRect(kind, arg string) error {
	fields := strings.Fields(arg)
	if len(fields) < 3 {
		t.say(t.tr("rd.rc.usage." + kind))
		return nil
	}
	r, err := t.findRound(fields[0])
	if err != nil || r == nil {
		return err
	}
	unit := t.ledger().CanonicalUnit(fields[1])
	now := t.tx.Now()
	item := &store.RectItem{RoundID: r.ID, Kind: kind, Unit: unit, Title: strings.Join(fields[2:], " "),
		PlanDueAt: t.e.cfg.Calendar.AddWorkingDays(now, RectPlanDays), DueAt: now.AddDate(0, RectMonths, 0)}
	if err := t.tx.CreateRectItem(item); err != nil {
		return err
	}
	if err := t.audit("rectify."+kind, fmt.Sprintf("rect:%d", item.ID), unit); err != nil {
		return err
	}
	t.say(t.tr("rd.rc.created", t.tr("rd.rc."+kind), item.ID, unit, t.formatDay(item.PlanDueAt), t.formatDay(item.DueAt)))
	return nil
}

// RectPlanDays is how many working days an organisation has for its plan; RectMonths is the
// centralised rectification period (集中整改期), two months from the feedback in the source.
const (
	RectPlanDays = 10
	RectMonths   = 2
)
