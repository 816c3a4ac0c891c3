package handlers

import (
	"errors"

	"xuncha/store"
)

func (t *turn) startSubscribe() error {
	tws, err := t.tx.Townships()
	if err != nil {
		return err
	}
	if len(tws) == 0 {
		t.say(t.tr("sub.noplaces"))
		return nil
	}
	t.reset()
	t.set(flowSubscribe, "township")
	t.sayCancel(t.tr("sub.township"), townshipButtons(tws)...)
	return nil
}

func (t *turn) startUnsubscribe() error {
	subs, err := t.tx.Subscriptions(t.chat.ID)
	if err != nil {
		return err
	}
	if len(subs) == 0 {
		t.say(t.tr("unsub.none"))
		return nil
	}
	var rows [][]store.Button
	for _, s := range subs {
		name, err := t.placeName(s.TownshipID, s.VillageID, "")
		if err != nil {
			return err
		}
		rows = append(rows, []store.Button{{Text: name, Data: NewAction(VerbUnsubscribe, s.ID).Data()}})
	}
	t.reset()
	t.set(flowSubscribe, "remove")
	t.sayCancel(t.tr("unsub.which"), rows...)
	return nil
}

func (t *turn) subscribeStep() error {
	data := t.msg.Data
	switch t.st.Step {
	case "township":
		id, ok, err := t.pickTownship(data, t.expectButton)
		if !ok {
			return err
		}
		vs, err := t.tx.Villages(id)
		if err != nil {
			return err
		}
		t.st.TownshipID = id
		t.set(flowSubscribe, "village")
		rows := [][]store.Button{{t.btn("sub.whole", NewAction(VerbVillage, 0).Data())}}
		rows = append(rows, villageButtons(vs)...)
		t.sayCancel(t.tr("sub.village"), rows...)
		return nil
	case "village":
		township := t.st.TownshipID
		id, ok, err := t.pickVillage(data, township, t.expectButton)
		if !ok {
			return err
		}
		if err := t.tx.Subscribe(t.chat.ID, township, id); err != nil {
			return err
		}
		name, err := t.placeName(township, id, "")
		if err != nil {
			return err
		}
		t.reset()
		t.say(t.tr("sub.done", name), t.menu()...)
		return nil
	case "remove":
		id, ok := idFrom(data, VerbUnsubscribe)
		if !ok {
			return t.expectButton()
		}
		if err := t.tx.Unsubscribe(t.chat.ID, id); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return t.expectButton()
			}
			return err
		}
		t.reset()
		t.say(t.tr("unsub.done"), t.menu()...)
		return nil
	}
	t.reset()
	return t.runIdle()
}

// expectButton answers input that is not one of the offered buttons; the question stays open.
func (t *turn) expectButton() error {
	if !t.stalePress() {
		t.sayCancel(t.tr("need.button"))
	}
	return nil
}
