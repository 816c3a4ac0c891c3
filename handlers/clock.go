package handlers

import (
	"fmt"
	"time"

	"xuncha/store"
)

// The clue's clock in chat: its keeper (台账管理人), and later its pause and extension. Each is
// an official's button on the clue card; each change is a timeline row and an audit entry.

// clockButton handles the officials' clock buttons on a clue the sender may see. It reports
// false for a verb that is not one of them.
func (t *turn) clockButton(op Action, c *store.Clue) (bool, error) {
	switch op.Verb {
	case "kp":
		return true, t.chooseKeeper(c)
	case "kpp":
		pid, _ := op.ID(1)
		return true, t.assignKeeper(c, pid)
	case "pz", "rs", "ex", "exd":
		return true, t.clockChange(op, c)
	}
	return false, nil
}

// chooseKeeper offers the people who may keep the clue, the current keeper marked.
func (t *turn) chooseKeeper(c *store.Clue) error {
	cands, err := t.tx.KeeperCandidates(c.TownshipID)
	if err != nil {
		return err
	}
	if len(cands) == 0 {
		t.say(t.tr("lg.keeper.nobody"))
		return nil
	}
	t.sayCancel(t.tr("lg.keeper.which", c.Number), column(cands, func(k store.Keeper) store.Button {
		label := k.Label()
		if k.ID == c.KeeperID {
			label = "✓ " + label
		}
		return store.Button{Text: label, Data: NewAction(VerbLedger, "kpp", c.ID, k.ID).Data()}
	})...)
	return nil
}

// assignKeeper makes person pid the clue's keeper and tells them. The person is checked
// again here: the button may be old, the role withdrawn since.
func (t *turn) assignKeeper(c *store.Clue, pid int64) error {
	k, err := t.tx.FindKeeper(pid)
	if ok, err := t.found(err, "button.expired"); !ok {
		return err
	}
	err = t.tx.SetKeeper(c.ID, k, t.person.ID)
	if ok, err := t.proceed(err, store.ErrKeeperScope, "button.expired"); !ok {
		return err
	}
	if err := t.audit("clue.keeper", clueObject(c), fmt.Sprintf("person=%d", k.ID)); err != nil {
		return err
	}
	if k.ID != t.person.ID {
		if err := t.tellPerson(k.ID, c, "lg.keeper.notice", c.Number); err != nil {
			return err
		}
	}
	t.reset()
	t.say(t.tr("lg.keeper.ok", c.Number, k.Label()), t.openButton(t.lang, c))
	return nil
}

// keeperLabel names a clue's keeper for the card and lists, or says none was assigned.
func (t *turn) keeperLabel(id int64, cache map[int64]string) (string, error) {
	if id == 0 {
		return t.tr("lg.keeper.none"), nil
	}
	if l, ok := cache[id]; ok {
		return l, nil
	}
	l, err := t.tx.KeeperLabel(id)
	if err != nil {
		return "", err
	}
	if cache != nil {
		cache[id] = l
	}
	return l, nil
}

// Ledger steps of the clock that wait for text.
const (
	lgPause  = "pause"
	lgExtend = "extend"
)

// clockButtons are the card's pause or resume button and its extend button.
func (t *turn) clockButtons(c *store.Clue) []store.Button {
	row := []store.Button{t.btn("lg.act.pause", NewAction(VerbLedger, "pz", c.ID).Data())}
	if !c.PausedAt.IsZero() {
		row = []store.Button{t.btn("lg.act.resume", NewAction(VerbLedger, "rs", c.ID).Data())}
	}
	if !c.DueAt.IsZero() {
		row = append(row, t.btn("lg.act.extend", NewAction(VerbLedger, "ex", c.ID).Data()))
	}
	return row
}

// clockClosed answers a clock button on a clue whose clock cannot change (closed), and
// reports whether it did.
func (t *turn) clockClosed(c *store.Clue) bool {
	if c.Status == store.ClueClosed || !c.ClosedAt.IsZero() {
		t.say(t.tr("lg.clock.closed"))
		return true
	}
	return false
}

// clockChange handles the pause, resume and extend buttons (ex: the days to choose; exd: the
// days chosen, the reason asked for).
func (t *turn) clockChange(op Action, c *store.Clue) error {
	if t.clockClosed(c) {
		return nil
	}
	switch op.Verb {
	case "pz":
		if !c.PausedAt.IsZero() {
			t.say(t.tr("lg.pause.already"))
			return nil
		}
		return t.startLedgerText(c, lgPause, "lg.pause.reason")
	case "rs":
		return t.resumeClue(c)
	case "ex":
		if c.DueAt.IsZero() {
			t.say(t.tr("lg.extend.nodue"))
			return nil
		}
		var row []store.Button
		for _, d := range t.ledger().DueDays {
			row = append(row, store.Button{Text: t.tr("lg.days", d), Data: NewAction(VerbLedger, "exd", c.ID, d).Data()})
		}
		t.sayCancel(t.tr("lg.extend.which", c.Number, t.formatDay(c.DueAt)), row)
		return nil
	}
	// exd: the days chosen; the reason comes next.
	days, _ := op.ID(1)
	if !t.validDueDays(int(days)) || c.DueAt.IsZero() {
		t.say(t.tr("button.expired"))
		return nil
	}
	if err := t.startLedgerText(c, lgExtend, "lg.extend.reason"); err != nil {
		return err
	}
	t.st.Ledger.Days = int(days)
	return nil
}

// validDueDays reports whether days is one of the ledger's offered deadlines.
func (t *turn) validDueDays(days int) bool {
	for _, d := range t.ledger().DueDays {
		if d == days {
			return true
		}
	}
	return false
}

// clockStep handles the written reasons of a pause and an extension. It reports false for
// another step.
func (t *turn) clockStep(c *store.Clue, d *ledgerDraft, reason string) (bool, error) {
	step := t.st.Step
	if step != lgPause && step != lgExtend {
		return false, nil
	}
	reason, ok := t.reasonGiven(reason, 500)
	if !ok {
		return true, nil
	}
	if t.clockClosed(c) {
		return true, nil
	}
	if step == lgPause {
		return true, t.pauseClue(c, reason)
	}
	return true, t.extendClue(c, d.Days, reason)
}

func (t *turn) pauseClue(c *store.Clue, reason string) error {
	err := t.tx.PauseClue(c.ID, t.person.ID, reason)
	if ok, err := t.proceed(err, store.ErrCluePaused, "lg.pause.already"); !ok {
		return err
	}
	if err := t.audit("clue.pause", clueObject(c), reason); err != nil {
		return err
	}
	if err := t.tellClock(c, "lg.pause.notice", c.Number); err != nil {
		return err
	}
	t.say(t.tr("lg.pause.ok", c.Number), t.openButton(t.lang, c))
	return nil
}

// resumeClue starts the clock again and moves the deadline by the working days it stood
// still, so that a pause does not eat the unit's time.
func (t *turn) resumeClue(c *store.Clue) error {
	if c.PausedAt.IsZero() {
		t.say(t.tr("lg.resume.notpaused"))
		return nil
	}
	due, body := time.Time{}, ""
	if !c.DueAt.IsZero() {
		due = t.e.cfg.Calendar.AddWorkingDays(c.DueAt, t.workingDaysSince(c.PausedAt))
		body = "→ " + t.formatDay(due)
	}
	err := t.tx.ResumeClue(c.ID, t.person.ID, due, body)
	if ok, err := t.proceed(err, store.ErrClueNotPaused, "lg.resume.notpaused"); !ok {
		return err
	}
	if err := t.audit("clue.resume", clueObject(c), body); err != nil {
		return err
	}
	t.reset()
	if due.IsZero() {
		t.say(t.tr("lg.resume.ok.nodue", c.Number), t.openButton(t.lang, c))
		return nil
	}
	day := t.formatDay(due)
	if err := t.tellClock(c, "lg.resume.notice", c.Number, day); err != nil {
		return err
	}
	t.say(t.tr("lg.resume.ok", c.Number, day), t.openButton(t.lang, c))
	return nil
}

func (t *turn) extendClue(c *store.Clue, days int, reason string) error {
	if !t.validDueDays(days) || c.DueAt.IsZero() {
		t.say(t.tr("button.expired"))
		return nil
	}
	due := t.e.cfg.Calendar.AddWorkingDays(c.DueAt, days)
	day := t.formatDay(due)
	if err := t.tx.ExtendClue(c.ID, t.person.ID, due, day+" · "+reason); err != nil {
		return err
	}
	if err := t.audit("clue.extend", clueObject(c), fmt.Sprintf("days=%d %s", days, reason)); err != nil {
		return err
	}
	if err := t.tellClock(c, "lg.extend.notice", c.Number, day); err != nil {
		return err
	}
	t.say(t.tr("lg.extend.ok", c.Number, day), t.openButton(t.lang, c))
	return nil
}

// tellClock tells the clue's unit and its keeper (unless the keeper made the change) what
// happened to the clock.
func (t *turn) tellClock(c *store.Clue, key string, args ...any) error {
	var chats []int64
	if c.Unit != "" {
		u, err := t.unitChats(c.Unit)
		if err != nil {
			return err
		}
		chats = append(chats, u...)
	}
	if c.KeeperID != 0 && c.KeeperID != t.person.ID {
		k, err := t.tx.PersonChatIDs(c.KeeperID)
		if err != nil {
			return err
		}
		chats = append(chats, k...)
	}
	return t.tellChats(dedupe(chats), c, key, args...)
}

// workingDaysSince counts the working days from from's date up to the day before now's: a
// clock paused on Monday and resumed the next Monday stood still five working days.
func (t *turn) workingDaysSince(from time.Time) int {
	now := t.tx.Now()
	before := from.AddDate(0, 0, -1)
	n := 0
	for n < 3650 && !t.e.cfg.Calendar.AddWorkingDays(before, n+1).After(now) {
		n++
	}
	return n
}
