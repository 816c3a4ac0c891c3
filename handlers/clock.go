package handlers

import (
	"errors"
	"fmt"

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
	var rows [][]store.Button
	for _, k := range cands {
		label := k.Label()
		if k.ID == c.KeeperID {
			label = "✓ " + label
		}
		rows = append(rows, []store.Button{{Text: label, Data: NewAction(VerbLedger, "kpp", c.ID, k.ID).Data()}})
	}
	t.say(t.tr("lg.keeper.which", c.Number), append(rows, []store.Button{t.btn("cancel", "x")})...)
	return nil
}

// assignKeeper makes person pid the clue's keeper and tells them. The person is checked
// again here: the button may be old, the role withdrawn since.
func (t *turn) assignKeeper(c *store.Clue, pid int64) error {
	k, err := t.tx.FindKeeper(pid)
	if errors.Is(err, store.ErrNotFound) {
		t.say(t.tr("button.expired"))
		return nil
	}
	if err != nil {
		return err
	}
	err = t.tx.SetKeeper(c.ID, k, t.person.ID)
	if errors.Is(err, store.ErrKeeperScope) {
		t.say(t.tr("button.expired"))
		return nil
	}
	if err != nil {
		return err
	}
	if err := t.audit("clue.keeper", clueObject(c), fmt.Sprintf("person=%d", k.ID)); err != nil {
		return err
	}
	if k.ID != t.person.ID {
		chats, err := t.tx.PersonChatIDs(k.ID)
		if err != nil {
			return err
		}
		if err := t.tellChats(chats, c, "lg.keeper.notice", c.Number); err != nil {
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
