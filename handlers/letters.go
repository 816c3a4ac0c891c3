package handlers

import (
	"errors"
	"fmt"
	"strconv"

	"xuncha/store"
)

// ackLetter records the press of a letter's acknowledge button ("ack:<letter id>"). Only the
// clue's receiving unit, its keeper and the inspection office may sign; to anyone else the
// letter does not exist.
func (t *turn) ackLetter(arg string) error {
	id, err := strconv.ParseInt(arg, 10, 64)
	if err != nil || t.person == nil {
		t.say(t.tr("letter.unknown"))
		return nil
	}
	l, err := t.tx.AckLetter(id, t.person)
	switch {
	case errors.Is(err, store.ErrNotFound):
		t.say(t.tr("letter.unknown"))
		return nil
	case errors.Is(err, store.ErrLetterAcked):
		t.say(t.tr("letter.already", l.Number))
		return nil
	case err != nil:
		return err
	}
	if err := t.tx.Audit(t.person.ID, t.chat.Platform, "letter.acknowledged", fmt.Sprintf("clue:%d", l.ClueID), l.Number); err != nil {
		return err
	}
	t.say(t.tr("letter.acked", l.Number))
	return nil
}
