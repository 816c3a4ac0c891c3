package handlers_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"xuncha/store"
)

// kppButtons returns the keeper choices offered for a clue, by the label shown.
func kppButtons(o ltOut, clueID int64) map[string]string {
	out := map[string]string{}
	prefix := fmt.Sprintf("lg:kpp:%d:", clueID)
	for _, r := range o.rows {
		for _, b := range r {
			if strings.HasPrefix(b.Data, prefix) {
				out[b.Text] = b.Data
			}
		}
	}
	return out
}

// personOf returns the person bound to a web chat.
func (en *ltEnv) personOf(t *testing.T, chat string) int64 {
	t.Helper()
	var id int64
	err := en.db.Update(context.Background(), func(tx *store.Tx) error {
		c, err := tx.EnsureChat("web", chat, "zh", false)
		if err != nil {
			return err
		}
		id = c.PersonID
		return nil
	})
	if err != nil || id == 0 {
		t.Fatalf("person of %s: %d %v", chat, id, err)
	}
	return id
}

// TestClueKeeper: an official assigns and changes a clue's keeper from the card; the choice
// holds only people whose jurisdiction covers the clue; the keeper is told, the card and the
// list show them (in both languages), the timeline and the audit log record it; a unit cannot.
func TestClueKeeper(t *testing.T) {
	en := ltSetup(t)
	en.bind(t, "town", store.RoleOfficial, en.tw, 0, "")
	en.bind(t, "county", store.RoleOfficial, 0, 0, "")
	en.bind(t, "other", store.RoleOfficial, en.tw2, 0, "")
	en.bind(t, "unit", store.RoleUnit, 0, 0, "case1")
	town, county, other := en.personOf(t, "town"), en.personOf(t, "county"), en.personOf(t, "other")

	card := en.press(t, "town", open(en.clueTw))
	if !strings.Contains(card.text, "台账管理人：未指定") || !card.has(fmt.Sprintf("lg:kp:%d", en.clueTw.ID)) {
		t.Fatalf("card without keeper line or button: %s", card.text)
	}
	choice := kppButtons(en.press(t, "town", fmt.Sprintf("lg:kp:%d", en.clueTw.ID)), en.clueTw.ID)
	if _, ok := choice[fmt.Sprintf("#%d", county)]; !ok || len(choice) != 2 {
		t.Fatalf("choice (want town and county officials, not the other township's): %v", choice)
	}
	o := en.press(t, "town", fmt.Sprintf("lg:kpp:%d:%d", en.clueTw.ID, county))
	en.mustAllow(t, o, fmt.Sprintf("台账管理人设为 #%d", county))
	told := false
	for _, m := range o.others {
		told = told || strings.Contains(m.Text, "您已被指定为线索 "+en.clueTw.Number)
	}
	if !told {
		t.Errorf("the new keeper was not told: %+v", o.others)
	}
	if c := en.findClue(t, en.clueTw.ID); c.KeeperID != county {
		t.Errorf("keeper %d, want %d", c.KeeperID, county)
	}
	// An official of another township is not offered, and a forged button is refused.
	en.press(t, "town", fmt.Sprintf("lg:kpp:%d:%d", en.clueTw.ID, other))
	if c := en.findClue(t, en.clueTw.ID); c.KeeperID != county {
		t.Errorf("keeper moved to another township's official")
	}
	// Changed back to the township's official: the timeline keeps both.
	en.press(t, "county", fmt.Sprintf("lg:kpp:%d:%d", en.clueTw.ID, town))
	card = en.press(t, "county", open(en.clueTw))
	if !strings.Contains(card.text, fmt.Sprintf("台账管理人：#%d", town)) || strings.Count(card.text, "指定台账管理人：") != 2 {
		t.Errorf("card after the change: %s", card.text)
	}
	if l := en.press(t, "town", "lg:l:open"); !strings.Contains(l.text, fmt.Sprintf("管理人 #%d", town)) {
		t.Errorf("list without keeper: %s", l.text)
	}
	en.send(t, "town", "/lang en")
	if card := en.press(t, "town", open(en.clueTw)); !strings.Contains(card.text, fmt.Sprintf("Keeper: #%d", town)) {
		t.Errorf("English card: %s", card.text)
	}
	entries, err := en.db.AuditEntries(context.Background(), store.AuditFilter{Action: "clue.keeper", Limit: 10})
	if err != nil || len(entries) != 2 {
		t.Errorf("audit clue.keeper: %d %v", len(entries), err)
	}
	// A unit member can neither choose nor set the keeper.
	en.mustRefuse(t, en.press(t, "unit", fmt.Sprintf("lg:kp:%d", en.clueTw.ID)), "clue:"+en.clueTw.Number)
	en.mustRefuse(t, en.press(t, "unit", fmt.Sprintf("lg:kpp:%d:%d", en.clueTw.ID, county)), "clue:"+en.clueTw.Number)
	if c := en.findClue(t, en.clueTw.ID); c.KeeperID != town {
		t.Errorf("a unit changed the keeper")
	}
}
