// Referral by jurisdiction (分级转办, issue 17): a report that belongs to another level or body
// (the petition bureau, another county, a higher commission: the ledger data's refer_to) is
// referred by an official from the clue card, within the rules' 5 working days of receipt.
// The referral records to whom and when (timeline and audit clue.refer), closes the clue as
// referred so that it leaves the open ledger, and tells the reporter through the sealed link,
// in fixed words that name neither the body nor anyone involved.

package handlers

import (
	"errors"
	"fmt"
	"strings"

	"xuncha/store"
)

// referButton handles the referral buttons on a clue the sender may act on: "rf" offers the
// bodies, "rfb" refers to the one chosen. It reports false for another verb.
func (t *turn) referButton(op Action, c *store.Clue) (bool, error) {
	switch op.Verb {
	case "rf":
		if !t.referable(c) {
			return true, nil
		}
		bodies := t.ledger().ReferTo
		if len(bodies) == 0 {
			t.say(t.tr("refer.none"))
			return true, nil
		}
		t.sayCancel(t.tr("refer.which", c.Number), t.unitButtons(bodies, "rfb", c.ID)...)
		return true, nil
	case "rfb":
		return true, t.referClue(c, op.Arg(1))
	}
	return false, nil
}

// referable reports whether a clue may still be referred, and says why not when it may not.
func (t *turn) referable(c *store.Clue) bool {
	if c.ReportID == 0 {
		t.say(t.tr("refer.noreport"))
		return false
	}
	if (c.Status != store.ClueNew && c.Status != store.ClueStudied) || !c.ClosedAt.IsZero() {
		t.say(t.tr("refer.notnew", c.Number))
		return false
	}
	return true
}

// referClue refers the clue to the body of the ledger data with key.
func (t *turn) referClue(c *store.Clue, key string) error {
	var body *Unit
	for _, u := range t.ledger().ReferTo {
		if u.Key == key {
			body = &u
			break
		}
	}
	if body == nil {
		t.say(t.tr("button.expired"))
		return nil
	}
	if !t.referable(c) {
		return nil
	}
	err := t.tx.ReferClue(c.ID, t.person.ID, body.Key, body.ZH)
	if errors.Is(err, store.ErrClueNotNew) {
		t.say(t.tr("refer.notnew", c.Number))
		return nil
	}
	if err != nil {
		return err
	}
	if err := t.audit("clue.refer", clueObject(c), "body="+body.Key); err != nil {
		return err
	}
	// The report's status and public timeline say it was passed on (and count as the
	// acceptance notice a real-name reporter is owed: store.AcceptanceNoticeKinds).
	if _, err := t.tx.SetReportStatus(c.ReportID, store.StatusReferred); err != nil {
		return err
	}
	linked, err := t.toReporter(c, "refer.to.reporter", "referred", false)
	if err != nil {
		return err
	}
	if c.KeeperID != 0 && c.KeeperID != t.person.ID {
		if err := t.tellPerson(c.KeeperID, c, "refer.notice", c.Number); err != nil {
			return err
		}
	}
	t.reset()
	day, name := t.formatDay(t.tx.Now()), pick(t.lang, body.ZH, body.EN)
	if linked {
		t.say(t.tr("refer.ok", c.Number, day, name), t.openButton(t.lang, c))
	} else {
		t.say(t.tr("refer.ok.nolink", c.Number, day, name), t.openButton(t.lang, c))
	}
	return nil
}

// referralCard adds the referral to a clue's card: to whom and when once referred, else, while
// the clue awaits study, the day by which it is to be studied or referred and the button.
func (t *turn) referralCard(b *strings.Builder, c *store.Clue) ([][]store.Button, error) {
	if c.Disposal == store.DisposalReferred {
		r, err := t.tx.FindReferral(c.ID)
		if errors.Is(err, store.ErrNotFound) {
			return nil, nil
		}
		if err != nil {
			return nil, fmt.Errorf("referral card: %w", err)
		}
		name := r.Name
		for _, u := range t.ledger().ReferTo {
			if u.Key == r.Body {
				name = pick(t.lang, u.ZH, u.EN)
			}
		}
		b.WriteString(t.tr("refer.card", t.formatDay(r.ReferredAt), name))
		return nil, nil
	}
	if c.ReportID == 0 || (c.Status != store.ClueNew && c.Status != store.ClueStudied) || !c.ClosedAt.IsZero() {
		return nil, nil
	}
	if c.Status == store.ClueNew {
		days := t.ledger().ReferDays
		b.WriteString(t.tr("refer.card.due", t.formatDay(t.e.cfg.Calendar.AddWorkingDays(c.ReceivedAt, days)), days))
	}
	if !t.rules().CanOn(PermRefer, c) {
		return nil, nil
	}
	return [][]store.Button{{t.btn("refer.button", NewAction(VerbLedger, "rf", c.ID).Data())}}, nil
}
