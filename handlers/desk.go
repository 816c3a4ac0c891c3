package handlers

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"

	"xuncha/store"
)

// DeskLinkTTL is how long a sign-in link to the desk stays valid; it works once.
const DeskLinkTTL = 10 * time.Minute

// DeskSignInPath is the desk's page that a sign-in link opens (package desk serves it).
const DeskSignInPath = "/desk/signin"

// SetDeskURL sets the public address of the desk (scheme and host, e.g. https://example.org),
// which /desk puts in front of its links. serve sets it once its listener's address is known;
// until then, and when it is empty, /desk says that the desk is not available.
func (e *Engine) SetDeskURL(base string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.deskURL = strings.TrimRight(base, "/")
}

func (e *Engine) deskBase() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.deskURL
}

// DeskLink builds the sign-in address of a link token.
func DeskLink(base, token string) string {
	return strings.TrimRight(base, "/") + DeskSignInPath + "?" + url.Values{"t": {token}}.Encode()
}

// deskCommand answers /desk (and the 工作台 button) with a one-time sign-in link for the
// person, when the rule book lets them use the desk.
func (t *turn) deskCommand(_, _ string) error {
	if !t.can(PermDesk) {
		return t.refuse("desk", "desk")
	}
	base := t.e.deskBase()
	if base == "" {
		t.say(t.tr("desk.off"))
		return nil
	}
	token, err := t.tx.CreateDeskLink(t.person.ID, DeskLinkTTL)
	if err != nil {
		return err
	}
	if err := t.audit("desk.link", "desk", ""); err != nil {
		return err
	}
	t.reset()
	t.say(t.tr("desk.link", DeskLink(base, token), int(DeskLinkTTL/time.Minute)))
	return nil
}

// ChannelDesk is the channel the desk's actions are audit-logged with.
const ChannelDesk = "desk"

// DeskAction is one ledger action taken on the desk. It runs through the same functions as
// the chat's buttons and answers (study, dispose, transfer, …), under the same rule book, and
// is audit-logged with the channel "desk".
type DeskAction struct {
	PersonID int64
	ClueID   int64
	Lang     string
	// Verb: study (Who, Text), dispose (Disposal, Form), transfer (Unit, Days), close, ack,
	// progress (Text), outcome (CaseFiled, Disciplined, OrgHandled), ask (Text), keeper
	// (Keeper), pause (Text), resume, extend (Days, Text), refer (Body), notaccept (Text),
	// result (Text) or objection (Duty, Text).
	Verb                    string
	Who, Text               string
	Disposal                string
	Form                    int
	Unit                    string
	Days                    int
	CaseFiled               bool
	Disciplined, OrgHandled int
	Keeper                  int64  // the person to keep the clue
	Body                    string // the ledger data's refer_to key
	Duty                    int64  // the objection being answered
}

// DeskResult is what a desk action did.
type DeskResult struct {
	Refused  bool     // the rule book refused it (audit-logged); nothing changed
	NotFound bool     // no such clue, or no such person
	Notices  []string // what the chat would have answered, for the desk to show
}

// deskVerbs maps a desk action to the rule-book permission it needs.
var deskVerbs = map[string]Permission{
	"study": PermDecide, "dispose": PermDecide, "transfer": PermDecide, "close": PermDecide,
	"ack": PermUnitReport, "progress": PermUnitReport, "outcome": PermUnitReport, "ask": PermAsk,
	"keeper": PermKeeper, "pause": PermClock, "resume": PermClock, "extend": PermClock,
	"refer": PermRefer, "notaccept": PermNotAccept, "result": PermResult, "objection": PermObjection,
}

// deskButton is, for the desk's verbs that are the chat's clue-card buttons, the button the
// chat would have pressed, so that both run the same code with the same checks; step is the
// text step the button opens, whose text the desk's form already carries ("" for none). op
// is the action after the "lg", as ledgerButton dispatches it.
func deskButton(a DeskAction) (op Action, step string) {
	id := a.ClueID
	switch a.Verb {
	case "keeper":
		return NewAction(VerbLedger, "kpp", id, a.Keeper).Rest(0), ""
	case "pause":
		return NewAction(VerbLedger, "pz", id).Rest(0), lgPause
	case "resume":
		return NewAction(VerbLedger, "rs", id).Rest(0), ""
	case "extend":
		return NewAction(VerbLedger, "exd", id, a.Days).Rest(0), lgExtend
	case "refer":
		return NewAction(VerbLedger, "rfb", id, a.Body).Rest(0), ""
	case "notaccept":
		return NewAction(VerbLedger, "na", id).Rest(0), lgNotAccept
	case "result":
		return NewAction(VerbLedger, "rn", id).Rest(0), lgResult
	case "objection":
		return NewAction(VerbLedger, "oa", id, a.Duty).Rest(0), lgObjAnswer
	}
	return Action{}, ""
}

// deskCardAction runs a clue-card button and, when it opens a text step, the step with the
// form's text: the chat's own two halves, back to back. The button's prompt is dropped (the
// form already asked); anything else it said (already paused, not closed, …) is the answer.
func (t *turn) deskCardAction(a DeskAction, c *store.Clue, text string) error {
	op, step := deskButton(a)
	if step != "" && text == "" {
		t.say(t.tr("need.text"))
		return nil
	}
	var err error
	switch op.Verb {
	case "kpp", "pz", "rs", "exd":
		_, err = t.clockButton(op, c)
	case "rfb":
		_, err = t.referButton(op, c)
	case "rn", "na", "oa":
		_, err = t.realNameButton(op, c)
	}
	if err != nil || step == "" || t.st.Step != step || t.st.Ledger == nil {
		return err
	}
	kept := t.out[:0]
	for _, o := range t.out {
		if !o.ToSender {
			kept = append(kept, o)
		}
	}
	t.out = kept
	if ok, err := t.clockStep(c, t.st.Ledger, text); ok {
		return err
	}
	if _, err := t.realNameStep(c, t.st.Ledger, text); err != nil {
		return err
	}
	return nil
}

// DeskAct runs one desk action in a transaction of its own. The person is read from the store
// now, so a role withdrawn or changed since the page was shown counts.
func (e *Engine) DeskAct(ctx context.Context, a DeskAction) (DeskResult, error) {
	var res DeskResult
	var queued Result
	err := e.store.Update(ctx, func(tx *store.Tx) error {
		res, queued = DeskResult{}, Result{}
		gone := func() { res.NotFound = true }
		p, err := tx.FindPerson(a.PersonID)
		if ok, err := settled(err, store.ErrNotFound, gone); !ok {
			return err
		}
		lang := NormalizeLang(a.Lang)
		if lang == "" {
			lang = e.cfg.DefaultLang
		}
		t := &turn{e: e, tx: tx, chat: &store.Chat{Platform: ChannelDesk, Lang: lang}, person: p, lang: lang}
		c, err := tx.FindClue(a.ClueID)
		if ok, err := settled(err, store.ErrNotFound, gone); !ok {
			return err
		}
		perm, known := deskVerbs[a.Verb]
		if !known || !t.can(PermDesk) || !t.rules().CanOn(perm, c) {
			res.Refused = true
			return t.auditRefusal("ledger.refused", clueObject(c), a.Verb+" role="+string(t.role()))
		}
		text := strings.TrimSpace(a.Text)
		needsText := a.Verb == "progress" || a.Verb == "ask" || a.Verb == "study"
		switch {
		case needsText && text == "", a.Verb == "study" && strings.TrimSpace(a.Who) == "":
			t.say(t.tr("need.text"))
		case a.Verb == "study":
			err = t.study(c, strings.TrimSpace(a.Who), text)
		case a.Verb == "dispose":
			err = t.dispose(c, a.Disposal, a.Form)
		case a.Verb == "transfer":
			err = t.transfer(c, a.Unit, a.Days)
		case a.Verb == "close":
			err = t.closeClue(c)
		case a.Verb == "ack":
			err = t.acknowledge(c)
		case a.Verb == "progress":
			err = t.progress(c, text)
		case a.Verb == "outcome":
			filed := 0
			if a.CaseFiled {
				filed = 1
			}
			err = t.outcome(c, fmt.Sprintf("%d %d %d", filed, a.Disciplined, a.OrgHandled))
		case a.Verb == "ask":
			if c.ReportID == 0 {
				t.say(t.tr("lg.ask.noreporter"))
				break
			}
			err = t.ask(c, text)
		default:
			err = t.deskCardAction(a, c, text)
		}
		if err != nil {
			return err
		}
		// What the chat would answer its sender is the desk's notice; the rest was queued
		// for other chats (the unit, the keeper, the reporter) by the same code as in chat.
		for _, o := range t.out {
			if o.ToSender {
				res.Notices = append(res.Notices, o.Text)
			} else {
				queued.Out = append(queued.Out, o)
			}
		}
		return nil
	})
	if err != nil {
		return DeskResult{}, fmt.Errorf("desk %s: %w", a.Verb, err)
	}
	e.wakeAll(queued)
	return res, nil
}

// DeskClueState is what the chat's clue card says of a clue's referral and real-name duties
// (result notice, objections, retaliation follow-ups), one line each, for the desk's clue
// page: the same code writes both, so they cannot tell different stories.
func (e *Engine) DeskClueState(tx *store.Tx, p *store.Person, lang string, c *store.Clue) ([]string, error) {
	t := &turn{e: e, tx: tx, chat: &store.Chat{Platform: ChannelDesk, Lang: lang}, person: p, lang: lang}
	var b strings.Builder
	if _, err := t.referralCard(&b, c); err != nil {
		return nil, err
	}
	if _, err := t.realNameCard(&b, c); err != nil {
		return nil, err
	}
	var lines []string
	for _, l := range strings.Split(b.String(), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	return lines, nil
}
