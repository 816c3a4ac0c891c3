package handlers

import (
	"fmt"
	"strconv"
	"strings"

	"xuncha/store"
)

// The clue ledger (线索台账) in chat. Buttons carry the clue's id ("lg:st:12"), so they work
// from any message and in any flow; only free-text answers (a study opinion, a question, an
// outcome) use the conversation state. Every button re-checks the sender's role and the clue's
// scope: a button is a request, not a permission. Every read and change is audit-logged, and
// so is every refusal.

func (t *turn) ledger() *Ledger { return t.e.cfg.Ledger }

func (t *turn) role() store.Role {
	if t.person == nil {
		return ""
	}
	return t.person.Role
}

func (t *turn) personID() int64 {
	if t.person == nil {
		return 0
	}
	return t.person.ID
}

// isOfficial: inspection staff and administrators keep the ledger.
func (t *turn) isOfficial() bool {
	r := t.role()
	return r == store.RoleOfficial || r == store.RoleAdmin
}

func (t *turn) isUnit() bool { return t.role() == store.RoleUnit }

// unitKey is the key of the sender's receiving unit.
func (t *turn) unitKey() string { return t.ledger().CanonicalUnit(t.person.Unit) }

// rules is the rule book (rules.go) for the sender as the store holds them in this step.
func (t *turn) rules() Rules { return RulesFor(t.person, t.ledger()) }

// can reports whether the sender's role holds permission p.
func (t *turn) can(p Permission) bool { return t.rules().Can(p) }

// canSee is the scope rule of docs/PERMISSIONS.md, from the rule book.
func (t *turn) canSee(c *store.Clue) bool { return t.rules().Sees(c) }

// scope narrows a filter to what the sender may list.
func (t *turn) scope(f store.ClueFilter) store.ClueFilter { return t.rules().Scope(f) }

func (t *turn) audit(action, object, detail string) error {
	return t.tx.Audit(t.personID(), t.chat.Platform, action, object, detail)
}

// refuse answers a request the sender's role does not allow, and logs it. The conversation is
// left as it was: a resident who types /ledger in the middle of a report keeps the draft.
func (t *turn) refuse(action, object string) error {
	if err := t.auditRefusal("ledger.refused", object, action+" role="+string(t.role())); err != nil {
		return err
	}
	t.say(t.tr("lg.denied"))
	return nil
}

func clueObject(c *store.Clue) string { return "clue:" + c.Number }

// ledgerCommand runs /ledger, /clue, /clues, /newclue, /stats and /export.
func (t *turn) ledgerCommand(cmd, arg string) error {
	switch cmd {
	case "ledger":
		if !t.can(PermLedger) {
			return t.refuse("ledger", "ledger")
		}
		return t.listClues("open", "")
	case "clues":
		if !t.can(PermUnitClues) {
			return t.refuse("clues", "ledger")
		}
		return t.listClues("open", "")
	case "clue":
		if !t.can(PermOpen) {
			return t.refuse("clue", "clue:"+truncate(arg, 20))
		}
		if arg == "" {
			t.say(t.tr("lg.clue.usage"))
			return nil
		}
		c, err := t.tx.FindClueByNumber(arg)
		if ok, err := t.found(err, "lg.notfound"); !ok {
			return err
		}
		if !t.canSee(c) {
			return t.refuse("open", clueObject(c))
		}
		return t.openClue(c)
	case "newclue":
		if !t.can(PermRegister) {
			return t.refuse("newclue", "ledger")
		}
		t.reset()
		t.st.Ledger = &ledgerDraft{}
		t.set(flowLedger, lgNewSubject)
		t.sayCancel(t.tr("lg.new.subject"))
		return nil
	case "stats":
		if !t.can(PermStats) {
			return t.refuse("stats", "ledger")
		}
		return t.showStats(arg)
	case "export":
		if !t.can(PermStats) {
			return t.refuse("export", "ledger")
		}
		return t.exportSummary()
	}
	t.say(t.tr("unknown.command"))
	return nil
}

// ledgerButton handles every "lg:" button; op is its action after the "lg" (op "dd", args
// clue, unit, days).
func (t *turn) ledgerButton(op Action) error {
	verb := op.Verb
	// arg(i) counts the op as 0, as the data reads: lg:<op>:<arg(1)>:<arg(2)>…
	arg := func(i int) string {
		if i == 0 {
			return op.Verb
		}
		return op.Arg(i - 1)
	}
	id, _ := op.ID(0)
	switch verb {
	case "ans":
		return t.startAnswer(id)
	case "l":
		if !t.can(PermLedger) && !t.can(PermUnitClues) {
			return t.refuse("list", "ledger")
		}
		return t.listClues(arg(1), arg(2))
	case "rl":
		return t.relay(id)
	}
	if ok, err := t.reporterButton(op); ok {
		return err
	}
	c, err := t.tx.FindClue(id)
	if ok, err := t.found(err, "button.expired"); !ok {
		return err
	}
	perm, known := buttonPerms[verb]
	if !known {
		t.say(t.tr("button.expired"))
		return nil
	}
	if !t.rules().CanOn(perm, c) {
		return t.refuse(verb, clueObject(c))
	}
	switch verb {
	case "o":
		return t.openClue(c)
	case "fl":
		fid, _ := op.ID(1)
		return t.sendClueFile(c, fid)
	case "lt":
		lid, _ := op.ID(1)
		return t.sendClueLetter(c, lid)
	case "ask":
		return t.startLedgerText(c, lgAsk, "lg.ask.prompt")
	case "ack":
		return t.acknowledge(c)
	case "pg":
		return t.startLedgerText(c, lgProgress, "lg.progress.prompt")
	case "oc":
		return t.startLedgerText(c, lgOutcome, "lg.outcome.prompt")
	case "kp", "kpp", "pz", "rs", "ex", "exd":
		_, err := t.clockButton(op, c)
		return err
	case "rn", "na", "oa":
		_, err := t.realNameButton(op, c)
		return err
	case "rf", "rfb":
		_, err := t.referButton(op, c)
		return err
	case "st":
		return t.startLedgerText(c, lgStudyWho, "lg.study.who")
	case "dp":
		t.sayCancel(t.tr("lg.disposal.which", c.Number), column(t.ledger().Dispositions, func(d Disposition) store.Button {
			return store.Button{Text: pick(t.lang, d.ZH, d.EN), Data: NewAction(VerbLedger, "d", c.ID, d.Key).Data()}
		})...)
		return nil
	case "d":
		if _, ok := t.ledger().disposition(arg(2)); !ok {
			t.say(t.tr("button.expired"))
			return nil
		}
		rows := column(t.ledger().Forms, func(f Form) store.Button {
			return store.Button{Text: pick(t.lang, f.ZH+"（"+f.NoteZH+"）", f.EN+" ("+f.NoteEN+")"), Data: NewAction(VerbLedger, "f", c.ID, arg(2), f.N).Data()}
		})
		rows = append(rows, []store.Button{{Text: t.tr("lg.form.none"), Data: NewAction(VerbLedger, "f", c.ID, arg(2), "0").Data()}})
		t.say(t.tr("lg.form.which"), rows...)
		return nil
	case "f":
		n, _ := strconv.Atoi(arg(3))
		return t.dispose(c, arg(2), n)
	case "tr":
		t.sayCancel(t.tr("lg.transfer.unit", c.Number), t.unitButtons(t.ledger().Units, "u", c.ID)...)
		return nil
	case "u":
		if _, ok := t.ledger().unit(arg(2)); !ok {
			t.say(t.tr("button.expired"))
			return nil
		}
		var row []store.Button
		for _, d := range t.ledger().DueDays {
			row = append(row, store.Button{Text: t.tr("lg.days", d), Data: NewAction(VerbLedger, "dd", c.ID, arg(2), d).Data()})
		}
		t.sayCancel(t.tr("lg.transfer.due"), row)
		return nil
	case "dd":
		days, _ := strconv.Atoi(arg(3))
		return t.transfer(c, arg(2), days)
	case "cl":
		if c.Status == store.ClueClosed {
			t.say(t.tr("lg.closed.already"))
			return nil
		}
		t.sayCancel(t.tr("lg.close.confirm", c.Number), []store.Button{t.btn("lg.close.yes", NewAction(VerbLedger, "cy", c.ID).Data())})
		return nil
	case "cy":
		return t.closeClue(c)
	case "bk":
		linked, err := t.tx.ReporterLinked(c.ReportID)
		if err != nil {
			return err
		}
		if !linked {
			t.say(t.tr("lg.block.nolink"))
			return nil
		}
		return t.startLedgerText(c, lgBlock, "lg.block.reason")
	case "ub":
		return t.blockReporter(c, false, "")
	case "rv":
		if !c.Named {
			t.say(t.tr("lg.reveal.none"))
			return nil
		}
		return t.startLedgerText(c, lgReveal, "lg.reveal.reason")
	}
	t.say(t.tr("button.expired"))
	return nil
}

// buttonPerms is the rule-book permission each clue button needs (rules.go).
var buttonPerms = map[string]Permission{
	"o": PermOpen, "fl": PermOpen, "lt": PermOpen, "ask": PermAsk,
	"ack": PermUnitReport, "pg": PermUnitReport, "oc": PermUnitReport,
	"st": PermDecide, "dp": PermDecide, "d": PermDecide, "f": PermDecide, "tr": PermDecide, "u": PermDecide,
	"dd": PermDecide, "cl": PermDecide, "cy": PermDecide,
	"bk": PermBlock, "ub": PermBlock, "rv": PermReveal,
	"kp": PermKeeper, "kpp": PermKeeper, "pz": PermClock, "rs": PermClock, "ex": PermClock, "exd": PermClock,
	"rn": PermResult, "na": PermNotAccept, "oa": PermObjection,
	"rf": PermRefer, "rfb": PermRefer,
}

// stepPerms is the permission each text step about a clue needs, checked again when the text
// arrives: the role may have changed since the question was asked.
var stepPerms = map[string]Permission{
	lgStudyWho: PermDecide, lgStudyOp: PermDecide, lgAsk: PermAsk, lgProgress: PermUnitReport,
	lgOutcome: PermUnitReport, lgReveal: PermReveal, lgBlock: PermBlock, lgPause: PermClock, lgExtend: PermClock,
	lgResult: PermResult, lgNotAccept: PermNotAccept, lgObjAnswer: PermObjection,
}

// startLedgerText asks for a text about clue c.
func (t *turn) startLedgerText(c *store.Clue, step, prompt string) error {
	if step == lgAsk && c.ReportID == 0 {
		t.say(t.tr("lg.ask.noreporter"))
		return nil
	}
	t.reset()
	t.st.Ledger = &ledgerDraft{ClueID: c.ID}
	t.set(flowLedger, step)
	t.sayCancel(t.tr(prompt, c.Number))
	return nil
}

// ledgerStep handles the text answers of the ledger flow.
func (t *turn) ledgerStep() error {
	d := t.st.Ledger
	m := t.msg
	text := strings.TrimSpace(m.Text)
	if d == nil || m.Data != "" || text == "" {
		if d == nil {
			t.reset()
		}
		return t.expectText()
	}
	if t.st.Step == lgAnswer {
		return t.answer(d, text)
	}
	if t.st.Step == lgObjection {
		return t.objection(d, text)
	}
	if t.st.Step == lgNewSubject || t.st.Step == lgNewDesc {
		if !t.can(PermRegister) {
			t.reset()
			return t.refuse("newclue", "ledger")
		}
		return t.newClueStep(d, text)
	}
	c, err := t.tx.FindClue(d.ClueID)
	if err != nil {
		return err
	}
	// The role may have changed since the question was asked; check again.
	if !t.rules().CanOn(stepPerms[t.st.Step], c) {
		step := t.st.Step
		t.reset()
		return t.refuse(step, clueObject(c))
	}
	switch t.st.Step {
	case lgStudyWho:
		d.Who = text
		t.set(flowLedger, lgStudyOp)
		t.sayCancel(t.tr("lg.study.opinion"))
		return nil
	case lgStudyOp:
		return t.study(c, d.Who, text)
	case lgAsk:
		return t.ask(c, text)
	case lgProgress:
		return t.progress(c, text)
	case lgOutcome:
		return t.outcome(c, text)
	case lgReveal:
		return t.reveal(c, text)
	case lgBlock:
		return t.blockReporter(c, true, text)
	}
	if ok, err := t.clockStep(c, d, text); ok {
		return err
	}
	if ok, err := t.realNameStep(c, d, text); ok {
		return err
	}
	return fmt.Errorf("ledger: unknown step %q", t.st.Step)
}
