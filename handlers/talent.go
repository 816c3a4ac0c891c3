// The talent pool (人才库) by field.

package handlers

import "strings"

func (t *turn) listTalents(field string) error {
	ts, err := t.tx.Talents(strings.TrimSpace(field), t.tx.Now(), false)
	if err != nil {
		return err
	}
	if len(ts) == 0 {
		t.say(t.tr("rd.tl.none"))
		return nil
	}
	var b strings.Builder
	b.WriteString(t.tr("rd.tl.head"))
	for _, s := range ts {
		state := t.tr("rd.tl.free")
		if s.Busy != "" {
			state = t.tr("rd.tl.busy", s.Busy)
		}
		b.WriteString(t.tr("rd.tl.line", s.ID, s.Name, s.Field, s.Unit, state))
	}
	if err := t.audit("talents.read", "talents", field); err != nil {
		return err
	}
	t.say(b.String())
	return nil
}
