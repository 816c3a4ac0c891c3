// The ledger's actions on a clue: study, disposal, transfer, the unit's steps, closing, blocking and revealing.

package handlers

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"xuncha/store"
)

// milestoneRank orders the statuses a resident sees, so that a later step (a study after the
// transfer) never moves the report back.
var milestoneRank = map[string]int{store.StatusReceived: 0, store.StatusAccepted: 1, store.StatusTransferred: 2, store.StatusConcluded: 3, StatusNotAccepted: 3}

// milestone moves the clue's report forward to status and tells the reporter, through the
// sealed link, in words that reveal nothing about the investigation.
func (t *turn) milestone(c *store.Clue, status string) error {
	if c.ReportID == 0 {
		return nil
	}
	r, err := t.tx.FindReport(c.ReportID)
	if err != nil {
		return err
	}
	if milestoneRank[r.Status] >= milestoneRank[status] {
		return nil
	}
	changed, err := t.tx.SetReportStatus(r.ID, status)
	if err != nil || !changed {
		return err
	}
	msg := store.OutMessage{Text: T(r.Lang, "lg.ms."+status)}
	_, err = t.tx.EnqueueToReporter(r.ID, msg, fmt.Sprintf("report:%d:ms:%s", r.ID, status))
	return err
}

// keep makes the sender the clue's keeper when it has none: the first official to act on it.
func (t *turn) keep(c *store.Clue, u *store.ClueUpdate) {
	if c.KeeperID == 0 && t.can(PermDecide) {
		id := t.person.ID
		u.KeeperID = &id
	}
}

func (t *turn) study(c *store.Clue, who, opinion string) error {
	u := store.ClueUpdate{}
	t.keep(c, &u)
	if c.Status == store.ClueNew {
		s := store.ClueStudied
		u.Status = &s
	}
	if err := t.tx.UpdateClue(c.ID, u); err != nil {
		return err
	}
	if err := t.tx.AddClueEvent(c.ID, t.person.ID, "study", t.tr("lg.study.body", who, opinion)); err != nil {
		return err
	}
	if err := t.audit("clue.study", clueObject(c), ""); err != nil {
		return err
	}
	if err := t.milestone(c, store.StatusAccepted); err != nil {
		return err
	}
	t.reset()
	t.say(t.tr("lg.study.ok", c.Number), t.openButton(t.lang, c))
	return nil
}

func (t *turn) dispose(c *store.Clue, key string, form int) error {
	d, ok := t.ledger().disposition(key)
	if !ok || form < 0 || form > 4 {
		t.say(t.tr("button.expired"))
		return nil
	}
	u := store.ClueUpdate{Disposal: &d.Key, Form: &form}
	t.keep(c, &u)
	switch {
	case d.Hold:
		s := store.ClueHeld
		u.Status = &s
	case c.Status == store.ClueNew || c.Status == store.ClueStudied || c.Status == store.ClueHeld:
		s := store.ClueDisposed
		u.Status = &s
	}
	if err := t.tx.UpdateClue(c.ID, u); err != nil {
		return err
	}
	if err := t.tx.AddClueEvent(c.ID, t.person.ID, "disposal", fmt.Sprintf("%s:%d", d.Key, form)); err != nil {
		return err
	}
	if err := t.audit("clue.disposal", clueObject(c), fmt.Sprintf("%s form=%d", d.Key, form)); err != nil {
		return err
	}
	if err := t.milestone(c, store.StatusAccepted); err != nil {
		return err
	}
	t.reset()
	t.say(t.tr("lg.disposal.ok", c.Number, pick(t.lang, d.ZH, d.EN), t.orNotGiven(t.ledger().FormName(form, t.lang))), t.openButton(t.lang, c))
	return nil
}

func (t *turn) transfer(c *store.Clue, unit string, days int) error {
	valid := false
	for _, d := range t.ledger().DueDays {
		valid = valid || d == days
	}
	if _, ok := t.ledger().unit(unit); !ok || !valid {
		t.say(t.tr("button.expired"))
		return nil
	}
	unit = t.ledger().CanonicalUnit(unit)
	now := t.tx.Now()
	due := t.e.cfg.Calendar.AddWorkingDays(now, days)
	round, err := t.tx.RoundAt(now)
	if err != nil {
		return err
	}
	while := round != 0
	s := store.ClueTransferred
	u := store.ClueUpdate{Unit: &unit, DueAt: &due, WhileInspecting: &while, Status: &s}
	t.keep(c, &u)
	if err := t.tx.UpdateClue(c.ID, u); err != nil {
		return err
	}
	day := due.In(t.e.cfg.Location).Format("2006-01-02")
	if err := t.tx.AddClueEvent(c.ID, t.person.ID, "transfer", unit+":"+day); err != nil {
		return err
	}
	if err := t.audit("clue.transfer", clueObject(c), fmt.Sprintf("unit=%s days=%d", unit, days)); err != nil {
		return err
	}
	if err := t.milestone(c, store.StatusTransferred); err != nil {
		return err
	}
	chats, err := t.unitChats(unit)
	if err != nil {
		return err
	}
	if err := t.tellChats(chats, c, "lg.transfer.notice", c.Number, day); err != nil {
		return err
	}
	t.reset()
	name := t.ledger().UnitName(unit, t.lang)
	if len(chats) == 0 {
		if err := t.transferUnanswered(c, unit); err != nil {
			return err
		}
		t.say(t.tr("lg.transfer.ok.nobody", c.Number, name, day), t.openButton(t.lang, c))
		return nil
	}
	t.say(t.tr("lg.transfer.ok", c.Number, name, day), t.openButton(t.lang, c))
	return nil
}

func (t *turn) closeClue(c *store.Clue) error {
	if c.Status == store.ClueClosed {
		t.say(t.tr("lg.closed.already"))
		return nil
	}
	now := t.tx.Now()
	s := store.ClueClosed
	u := store.ClueUpdate{Status: &s, ClosedAt: &now}
	t.keep(c, &u)
	if err := t.tx.UpdateClue(c.ID, u); err != nil {
		return err
	}
	if err := t.tx.AddClueEvent(c.ID, t.person.ID, "closed", ""); err != nil {
		return err
	}
	if err := t.audit("clue.close", clueObject(c), ""); err != nil {
		return err
	}
	if err := t.milestone(c, store.StatusConcluded); err != nil {
		return err
	}
	if err := t.owedOnClose(c, false); err != nil {
		return err
	}
	if err := t.tellUnitClosed(c); err != nil {
		return err
	}
	t.reset()
	if c.Named && c.ReportID != 0 {
		t.say(t.tr("rn.closed.owed", c.Number, ResultNoticeDays), t.openButton(t.lang, c))
		return nil
	}
	t.say(t.tr("lg.closed.ok", c.Number))
	return nil
}

func (t *turn) acknowledge(c *store.Clue) error {
	if !c.AckedAt.IsZero() {
		t.say(t.tr("lg.ack.already", c.Number))
		return nil
	}
	now := t.tx.Now()
	s := store.ClueHandling
	if err := t.tx.UpdateClue(c.ID, store.ClueUpdate{AckedAt: &now, Status: &s}); err != nil {
		return err
	}
	if err := t.tx.AddClueEvent(c.ID, t.person.ID, "ack", ""); err != nil {
		return err
	}
	if err := t.audit("clue.ack", clueObject(c), ""); err != nil {
		return err
	}
	unitName := func(lang string) string { return t.ledger().UnitName(c.Unit, lang) }
	if err := t.notifyClue(c, "lg.ack.notice", c.Number, unitName); err != nil {
		return err
	}
	t.say(t.tr("lg.ack.ok", c.Number), t.openButton(t.lang, c))
	return nil
}

func (t *turn) progress(c *store.Clue, text string) error {
	if err := t.tx.AddClueEvent(c.ID, t.person.ID, "progress", text); err != nil {
		return err
	}
	if err := t.tx.UpdateClue(c.ID, store.ClueUpdate{}); err != nil {
		return err
	}
	if err := t.audit("clue.progress", clueObject(c), ""); err != nil {
		return err
	}
	if err := t.notifyClue(c, "lg.progress.notice", c.Number, truncate(text, 300)); err != nil {
		return err
	}
	t.reset()
	t.say(t.tr("lg.progress.ok", c.Number), t.openButton(t.lang, c))
	return nil
}

// outcome records "case filed (0/1), people disciplined, people organisationally handled".
func (t *turn) outcome(c *store.Clue, text string) error {
	// Chinese input methods often type full-width digits and commas.
	text = strings.Map(func(r rune) rune {
		if r >= '０' && r <= '９' {
			return '0' + (r - '０')
		}
		return r
	}, text)
	fields := strings.Fields(strings.NewReplacer("，", " ", ",", " ", "、", " ", "　", " ").Replace(text))
	var n [3]int
	ok := len(fields) == 3
	for i := 0; ok && i < 3; i++ {
		v, err := strconv.Atoi(fields[i])
		ok = err == nil && v >= 0 && v <= 10000 && (i > 0 || v <= 1)
		n[i] = v
	}
	if !ok {
		t.say(t.tr("lg.outcome.bad"))
		return nil
	}
	filed := n[0] == 1
	if err := t.tx.UpdateClue(c.ID, store.ClueUpdate{CaseFiled: &filed, Disciplined: &n[1], OrgHandled: &n[2]}); err != nil {
		return err
	}
	body := fmt.Sprintf("%d %d %d", n[0], n[1], n[2])
	if err := t.tx.AddClueEvent(c.ID, t.person.ID, "outcome", body); err != nil {
		return err
	}
	if err := t.audit("clue.outcome", clueObject(c), body); err != nil {
		return err
	}
	yes := func(lang string) string { return T(lang, map[bool]string{true: "lg.yes", false: "lg.no"}[filed]) }
	if err := t.notifyClue(c, "lg.outcome.notice", c.Number, yes, n[1], n[2]); err != nil {
		return err
	}
	t.reset()
	t.say(t.tr("lg.outcome.ok", c.Number), t.openButton(t.lang, c))
	return nil
}

// blockReporter blocks (with a reason) or unblocks the chat behind clue c's report. The store
// resolves the sealed link: nothing about the chat reaches the official, and the answer is the
// same whether it was blocked before or not.
func (t *turn) blockReporter(c *store.Clue, block bool, reason string) error {
	if !t.can(PermBlock) {
		return t.refuse("block", clueObject(c))
	}
	if block && utf8.RuneCountInString(reason) < 4 {
		t.say(t.tr("lg.reveal.short"))
		return nil
	}
	t.reset()
	err := t.tx.SetReporterBlocked(c.ReportID, block)
	if ok, err := t.proceed(err, store.ErrNoReporterLink, "lg.block.nolink"); !ok {
		return err
	}
	if !block {
		if err := t.audit("clue.unblock", clueObject(c), ""); err != nil {
			return err
		}
		t.say(t.tr("lg.unblock.done", c.Number))
		return nil
	}
	if err := t.audit("clue.block", clueObject(c), truncate(reason, 500)); err != nil {
		return err
	}
	t.say(t.tr("lg.block.done", c.Number))
	return nil
}

// reveal shows a real-name reporter's contact to an administrator who gave a reason. The
// reason and the reveal go to the audit log in the same transaction as the answer.
func (t *turn) reveal(c *store.Clue, reason string) error {
	if !t.can(PermReveal) {
		return t.refuse("reveal", clueObject(c))
	}
	if utf8.RuneCountInString(reason) < 4 {
		t.say(t.tr("lg.reveal.short"))
		return nil
	}
	contact, err := t.tx.ReporterContact(c.ReportID)
	if errors.Is(err, store.ErrNotFound) {
		t.reset()
		t.say(t.tr("lg.reveal.none"))
		return nil
	}
	if err != nil {
		return err
	}
	if err := t.audit("clue.reveal", clueObject(c), truncate(reason, 500)); err != nil {
		return err
	}
	t.reset()
	t.say(t.tr("lg.reveal.show", c.Number, contact.Name, contact.Phone))
	return nil
}
