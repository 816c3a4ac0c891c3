package handlers

import (
	"errors"
	"fmt"
	"strconv"

	"xuncha/store"
)

// letterTexts answer the acknowledge button (已签收) under a reminder or supervision letter
// sent by the scheduler, Chinese first. They are kept here, beside their only user.
var letterTexts = map[string][2]string{
	"letter.acked":   {"已签收 %s。签收已记入线索台账，督办升级随之停止；请按期办结并反馈。", "Receipt of %s acknowledged and recorded in the ledger; escalation stops. Please finish on time and report back."},
	"letter.already": {"%s 此前已签收。", "%s was already acknowledged."},
	"letter.unknown": {"这份函件不存在，或您无权签收。", "There is no such letter, or you may not acknowledge it."},
}

func (t *turn) letterText(key string, args ...any) string {
	s := letterTexts[key][0]
	if t.lang == LangEN {
		s = letterTexts[key][1]
	}
	return fmt.Sprintf(s, args...)
}

// ackLetter records the press of a letter's acknowledge button ("ack:<letter id>"). Only the
// clue's receiving unit, its keeper and the inspection office may sign; to anyone else the
// letter does not exist.
func (t *turn) ackLetter(arg string) error {
	id, err := strconv.ParseInt(arg, 10, 64)
	if err != nil || t.person == nil {
		t.say(t.letterText("letter.unknown"))
		return nil
	}
	l, err := t.tx.AckLetter(id, t.person)
	switch {
	case errors.Is(err, store.ErrNotFound):
		t.say(t.letterText("letter.unknown"))
		return nil
	case errors.Is(err, store.ErrLetterAcked):
		t.say(t.letterText("letter.already", l.Number))
		return nil
	case err != nil:
		return err
	}
	if err := t.tx.Audit(t.person.ID, t.chat.Platform, "letter.acknowledged", fmt.Sprintf("clue:%d", l.ClueID), l.Number); err != nil {
		return err
	}
	t.say(t.letterText("letter.acked", l.Number))
	return nil
}
