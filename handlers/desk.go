package handlers

import (
	"context"
	"errors"
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
	// progress (Text), outcome (CaseFiled, Disciplined, OrgHandled) or ask (Text).
	Verb                    string
	Who, Text               string
	Disposal                string
	Form                    int
	Unit                    string
	Days                    int
	CaseFiled               bool
	Disciplined, OrgHandled int
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
	"ack": PermUnitReport, "progress": PermUnitReport, "outcome": PermUnitReport,
	"ask": PermAsk,
}

// DeskAct runs one desk action in a transaction of its own. The person is read from the store
// now, so a role withdrawn or changed since the page was shown counts.
func (e *Engine) DeskAct(ctx context.Context, a DeskAction) (DeskResult, error) {
	var res DeskResult
	var queued Result
	err := e.store.Update(ctx, func(tx *store.Tx) error {
		res, queued = DeskResult{}, Result{}
		p, err := tx.FindPerson(a.PersonID)
		if errors.Is(err, store.ErrNotFound) {
			res.NotFound = true
			return nil
		}
		if err != nil {
			return err
		}
		lang := NormalizeLang(a.Lang)
		if lang == "" {
			lang = e.cfg.DefaultLang
		}
		t := &turn{e: e, tx: tx, chat: &store.Chat{Platform: ChannelDesk, Lang: lang}, person: p, lang: lang}
		c, err := tx.FindClue(a.ClueID)
		if errors.Is(err, store.ErrNotFound) {
			res.NotFound = true
			return nil
		}
		if err != nil {
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
