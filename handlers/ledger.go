package handlers

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"xuncha/store"
)

// The clue ledger (线索台账) in chat. Buttons carry the clue's id ("lg:st:12"), so they work
// from any message and in any flow; only free-text answers (a study opinion, a question, an
// outcome) use the conversation state. Every button re-checks the sender's role and the clue's
// scope: a button is a request, not a permission. Every read and change is audit-logged, and
// so is every refusal.

const flowLedger = "ledger"

// Ledger steps that wait for text.
const (
	lgStudyWho   = "study.who"
	lgStudyOp    = "study.op"
	lgAsk        = "ask"
	lgAnswer     = "answer"
	lgProgress   = "progress"
	lgOutcome    = "outcome"
	lgReveal     = "reveal"
	lgBlock      = "block"
	lgNewSubject = "new.subject"
	lgNewDesc    = "new.desc"
)

// ledgerDraft is what a ledger step remembers between messages.
type ledgerDraft struct {
	ClueID     int64  `json:"clue_id,omitempty"`
	QuestionID int64  `json:"question_id,omitempty"`
	Who        string `json:"who,omitempty"`
	Subject    string `json:"subject,omitempty"`
	Days       int    `json:"days,omitempty"` // an extension's working days, until its reason is given
	// Resume is the report the chat was writing when it chose to answer a question; it
	// continues where it was once the answer is given or cancelled.
	Resume *state `json:"resume,omitempty"`
}

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
		if errors.Is(err, store.ErrNotFound) {
			t.say(t.tr("lg.notfound"))
			return nil
		}
		if err != nil {
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
		t.say(t.tr("lg.new.subject"), []store.Button{t.btn("cancel", "x")})
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
	c, err := t.tx.FindClue(id)
	if errors.Is(err, store.ErrNotFound) {
		t.say(t.tr("button.expired"))
		return nil
	}
	if err != nil {
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
	case "st":
		return t.startLedgerText(c, lgStudyWho, "lg.study.who")
	case "dp":
		var rows [][]store.Button
		for _, d := range t.ledger().Dispositions {
			rows = append(rows, []store.Button{{Text: pick(t.lang, d.ZH, d.EN), Data: NewAction(VerbLedger, "d", c.ID, d.Key).Data()}})
		}
		t.say(t.tr("lg.disposal.which", c.Number), append(rows, []store.Button{t.btn("cancel", "x")})...)
		return nil
	case "d":
		if _, ok := t.ledger().disposition(arg(2)); !ok {
			t.say(t.tr("button.expired"))
			return nil
		}
		var rows [][]store.Button
		for _, f := range t.ledger().Forms {
			rows = append(rows, []store.Button{{Text: pick(t.lang, f.ZH+"（"+f.NoteZH+"）", f.EN+" ("+f.NoteEN+")"),
				Data: NewAction(VerbLedger, "f", c.ID, arg(2), f.N).Data()}})
		}
		rows = append(rows, []store.Button{{Text: t.tr("lg.form.none"), Data: NewAction(VerbLedger, "f", c.ID, arg(2), "0").Data()}})
		t.say(t.tr("lg.form.which"), rows...)
		return nil
	case "f":
		n, _ := strconv.Atoi(arg(3))
		return t.dispose(c, arg(2), n)
	case "tr":
		var rows [][]store.Button
		for _, u := range t.ledger().Units {
			rows = append(rows, []store.Button{{Text: pick(t.lang, u.ZH, u.EN), Data: NewAction(VerbLedger, "u", c.ID, u.Key).Data()}})
		}
		t.say(t.tr("lg.transfer.unit", c.Number), append(rows, []store.Button{t.btn("cancel", "x")})...)
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
		t.say(t.tr("lg.transfer.due"), row, []store.Button{t.btn("cancel", "x")})
		return nil
	case "dd":
		days, _ := strconv.Atoi(arg(3))
		return t.transfer(c, arg(2), days)
	case "cl":
		if c.Status == store.ClueClosed {
			t.say(t.tr("lg.closed.already"))
			return nil
		}
		t.say(t.tr("lg.close.confirm", c.Number), []store.Button{t.btn("lg.close.yes", NewAction(VerbLedger, "cy", c.ID).Data())}, []store.Button{t.btn("cancel", "x")})
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
	"o": PermOpen, "ask": PermAsk,
	"ack": PermUnitReport, "pg": PermUnitReport, "oc": PermUnitReport,
	"st": PermDecide, "dp": PermDecide, "d": PermDecide, "f": PermDecide, "tr": PermDecide, "u": PermDecide,
	"dd": PermDecide, "cl": PermDecide, "cy": PermDecide,
	"bk": PermBlock, "ub": PermBlock, "rv": PermReveal,
	"kp": PermKeeper, "kpp": PermKeeper, "pz": PermClock, "rs": PermClock, "ex": PermClock, "exd": PermClock,
}

// stepPerms is the permission each text step about a clue needs, checked again when the text
// arrives: the role may have changed since the question was asked.
var stepPerms = map[string]Permission{
	lgStudyWho: PermDecide, lgStudyOp: PermDecide, lgAsk: PermAsk, lgProgress: PermUnitReport,
	lgOutcome: PermUnitReport, lgReveal: PermReveal, lgBlock: PermBlock, lgPause: PermClock, lgExtend: PermClock,
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
	t.say(t.tr(prompt, c.Number), []store.Button{t.btn("cancel", "x")})
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
		if m.Data != "" {
			t.say(t.tr("button.expired"))
		} else {
			t.say(t.tr("need.text"))
		}
		return nil
	}
	if t.st.Step == lgAnswer {
		return t.answer(d, text)
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
		t.say(t.tr("lg.study.opinion"), []store.Button{t.btn("cancel", "x")})
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
	return fmt.Errorf("ledger: unknown step %q", t.st.Step)
}

// unitChats returns the chats of a unit's members, whose invitations may name the unit by its
// key or by either of its names.
func (t *turn) unitChats(key string) ([]int64, error) {
	names := []string{key}
	if u, ok := t.ledger().unit(key); ok {
		names = append(names, u.Key, u.ZH, u.EN)
	}
	var chats []int64
	for _, n := range names {
		ids, err := t.tx.UnitChatIDs(n)
		if err != nil {
			return nil, err
		}
		chats = append(chats, ids...)
	}
	return dedupe(chats), nil
}

// openButton is a button that opens clue c.
func (t *turn) openButton(lang string, c *store.Clue) []store.Button {
	return []store.Button{{Text: T(lang, "lg.open", c.Number), Data: NewAction(VerbLedger, "o", c.ID).Data()}}
}

// openClue shows a clue's details, timeline and the actions the sender may take.
func (t *turn) openClue(c *store.Clue) error {
	if err := t.audit("clue.read", clueObject(c), ""); err != nil {
		return err
	}
	t.reset()
	place, err := t.placeName(c.TownshipID, c.VillageID, "")
	if err != nil {
		return err
	}
	source := t.tr("lg.source.inspection")
	if c.Source == store.ClueFromReport {
		source = t.tr("lg.source.anonymous")
		if c.Named {
			source = t.tr("lg.source.named")
		}
	}
	cat := c.Title
	if k, ok := t.category(c.Category); ok {
		cat = k.Name(t.lang)
	}
	var b strings.Builder
	b.WriteString(t.tr("lg.detail", c.Number, source, t.orNotGiven(cat), place, t.orNotGiven(c.Subject), truncate(c.Summary, 500),
		t.tr("lg.status."+c.Status), t.formatDate(c.ReceivedAt)))
	if c.Disposal != "" {
		b.WriteString(t.tr("lg.detail.disposal", t.ledger().DisposalName(c.Disposal, t.lang), t.orNotGiven(t.ledger().FormName(c.Form, t.lang))))
	}
	if c.Unit != "" {
		b.WriteString(t.tr("lg.detail.unit", t.ledger().UnitName(c.Unit, t.lang), t.formatDay(c.DueAt)))
		if c.WhileInspecting {
			b.WriteString(t.tr("lg.detail.while"))
		}
		if !c.DueAt.IsZero() && c.Status != store.ClueClosed && t.tx.Now().After(c.DueAt) {
			b.WriteString(t.tr("lg.detail.overdue"))
		}
	}
	keeper, err := t.keeperLabel(c.KeeperID, nil)
	if err != nil {
		return err
	}
	b.WriteString(t.tr("lg.detail.keeper", keeper))
	if !c.PausedAt.IsZero() {
		b.WriteString(t.tr("lg.detail.paused", t.formatDay(c.PausedAt)))
	}
	if c.CaseFiled || c.Disciplined > 0 || c.OrgHandled > 0 {
		b.WriteString(t.tr("lg.detail.outcome", t.yesNo(c.CaseFiled), c.Disciplined, c.OrgHandled))
	}
	links, err := t.tx.ClueLinks(c.ID)
	if err != nil {
		return err
	}
	if len(links) > 0 {
		b.WriteString(t.tr("lg.detail.repeat", strings.Join(links, "、")))
	}
	events, err := t.tx.ClueEvents(c.ID)
	if err != nil {
		return err
	}
	b.WriteString(t.tr("lg.timeline"))
	for _, e := range events {
		b.WriteString("\n" + t.formatDate(e.CreatedAt) + "  " + t.eventText(e))
	}
	id := c.ID
	var rows [][]store.Button
	switch {
	case t.can(PermDecide) && c.Status != store.ClueClosed:
		rows = [][]store.Button{
			{t.btn("lg.act.study", NewAction(VerbLedger, "st", id).Data()), t.btn("lg.act.disposal", NewAction(VerbLedger, "dp", id).Data())},
			{t.btn("lg.act.transfer", NewAction(VerbLedger, "tr", id).Data()), t.btn("lg.act.ask", NewAction(VerbLedger, "ask", id).Data())},
			{t.btn("lg.act.close", NewAction(VerbLedger, "cl", id).Data()), t.btn("lg.act.keeper", NewAction(VerbLedger, "kp", id).Data())},
			t.clockButtons(c),
		}
		if t.can(PermReveal) && c.Named {
			rows = append(rows, []store.Button{t.btn("lg.act.reveal", NewAction(VerbLedger, "rv", id).Data())})
		}
	case t.can(PermUnitReport) && c.Status != store.ClueClosed:
		rows = [][]store.Button{
			{t.btn("lg.act.ack", NewAction(VerbLedger, "ack", id).Data()), t.btn("lg.act.progress", NewAction(VerbLedger, "pg", id).Data())},
			{t.btn("lg.act.outcome", NewAction(VerbLedger, "oc", id).Data()), t.btn("lg.act.ask", NewAction(VerbLedger, "ask", id).Data())},
		}
	}
	// Blocking works on a closed clue too: a report found to be harassment is often closed first.
	// Both buttons are always offered, so that the view does not tell whether this clue's chat
	// is blocked (which, through another clue's block, would say that both came from one chat).
	if t.can(PermBlock) && c.ReportID != 0 {
		rows = append(rows, []store.Button{t.btn("lg.act.block", NewAction(VerbLedger, "bk", id).Data()), t.btn("lg.act.unblock", NewAction(VerbLedger, "ub", id).Data())})
	}
	// A long timeline is cut rather than refused by the platform; the export has all of it.
	t.say(truncate(b.String(), MaxTextRunes-100), rows...)
	return nil
}

func (t *turn) yesNo(b bool) string {
	if b {
		return t.tr("lg.yes")
	}
	return t.tr("lg.no")
}

// formatDay shows a date without the time, or "not set".
func (t *turn) formatDay(tm time.Time) string {
	if tm.IsZero() {
		return t.tr("task.nodue")
	}
	return tm.In(t.e.cfg.Location).Format("2006-01-02")
}

// eventText renders one timeline line in the reader's language.
func (t *turn) eventText(e store.ClueEvent) string { return EventText(t.lang, t.ledger(), e) }

// EventText renders one line of a clue's timeline in a language, for chat and the export.
func EventText(lang string, l *Ledger, e store.ClueEvent) string {
	label := T(lang, "lg.ev."+e.Kind)
	if _, ok := catalog["lg.ev."+e.Kind]; !ok {
		label = e.Kind
	}
	body := e.Body
	switch e.Kind {
	case "registered":
		body = ""
	case "disposal":
		key, n, _ := strings.Cut(e.Body, ":")
		form, _ := strconv.Atoi(n)
		body = l.DisposalName(key, lang)
		if f := l.FormName(form, lang); f != "" {
			body += " · " + f
		}
	case "transfer":
		i := strings.LastIndex(e.Body, ":") // unit names may hold a colon; dates do not
		key, due := e.Body, ""
		if i >= 0 {
			key, due = e.Body[:i], e.Body[i+1:]
		}
		body = l.UnitName(key, lang) + " · " + T(lang, "lg.due", due)
	case "outcome":
		var filed, disc, org int
		fmt.Sscan(e.Body, &filed, &disc, &org)
		yes := T(lang, "lg.no")
		if filed > 0 {
			yes = T(lang, "lg.yes")
		}
		body = strings.TrimSpace(T(lang, "lg.detail.outcome", yes, disc, org))
	}
	if body == "" {
		return label
	}
	return label + "：" + truncate(body, 300)
}

// notifyClue tells the clue's keeper (or, when it has none, the officials of its township)
// about something a unit or the reporter did, with a button to open the clue.
func (t *turn) notifyClue(c *store.Clue, key string, args ...any) error {
	var chats []int64
	var err error
	if c.KeeperID != 0 && c.KeeperID != t.personID() {
		chats, err = t.tx.PersonChatIDs(c.KeeperID)
	} else if c.KeeperID == 0 {
		chats, err = t.tx.ChatsOfRoles(c.TownshipID, store.RoleOfficial, store.RoleAdmin)
	}
	if err != nil {
		return err
	}
	return t.tellChats(chats, c, key, args...)
}

// tellChats sends a text with an open button to each chat except the sender's. An argument of
// type func(lang string) string is resolved in each recipient's language.
func (t *turn) tellChats(chats []int64, c *store.Clue, key string, args ...any) error {
	for _, chat := range chats {
		if chat == t.chat.ID {
			continue
		}
		lang, err := t.tx.ChatLang(chat)
		if err != nil {
			return err
		}
		rows := [][]store.Button{t.openButton(lang, c)}
		local := make([]any, len(args))
		for i, a := range args {
			if f, ok := a.(func(string) string); ok {
				a = f(lang)
			}
			local[i] = a
		}
		if err := t.tell(chat, store.OutMessage{Text: T(lang, key, local...), Buttons: rows}, ""); err != nil {
			return err
		}
	}
	return nil
}

// milestoneRank orders the statuses a resident sees, so that a later step (a study after the
// transfer) never moves the report back.
var milestoneRank = map[string]int{store.StatusReceived: 0, store.StatusAccepted: 1, store.StatusTransferred: 2, store.StatusConcluded: 3}

// milestone moves the clue's report forward to status and tells the reporter, through the
// sealed link, in words that reveal nothing about the investigation.
func (t *turn) milestone(c *store.Clue, status string) error {
	if c.ReportID == 0 {
		return nil
	}
	r, err := t.tx.FindReport(c.ReportID)
	if err != nil {
		return err
	}
	if milestoneRank[r.Status] >= milestoneRank[status] {
		return nil
	}
	changed, err := t.tx.SetReportStatus(r.ID, status)
	if err != nil || !changed {
		return err
	}
	msg := store.OutMessage{Text: T(r.Lang, "lg.ms."+status)}
	_, err = t.tx.EnqueueToReporter(r.ID, msg, fmt.Sprintf("report:%d:ms:%s", r.ID, status))
	return err
}

// keep makes the sender the clue's keeper when it has none: the first official to act on it.
func (t *turn) keep(c *store.Clue, u *store.ClueUpdate) {
	if c.KeeperID == 0 && t.can(PermDecide) {
		id := t.person.ID
		u.KeeperID = &id
	}
}

func (t *turn) study(c *store.Clue, who, opinion string) error {
	u := store.ClueUpdate{}
	t.keep(c, &u)
	if c.Status == store.ClueNew {
		s := store.ClueStudied
		u.Status = &s
	}
	if err := t.tx.UpdateClue(c.ID, u); err != nil {
		return err
	}
	if err := t.tx.AddClueEvent(c.ID, t.person.ID, "study", t.tr("lg.study.body", who, opinion)); err != nil {
		return err
	}
	if err := t.audit("clue.study", clueObject(c), ""); err != nil {
		return err
	}
	if err := t.milestone(c, store.StatusAccepted); err != nil {
		return err
	}
	t.reset()
	t.say(t.tr("lg.study.ok", c.Number), t.openButton(t.lang, c))
	return nil
}

func (t *turn) dispose(c *store.Clue, key string, form int) error {
	d, ok := t.ledger().disposition(key)
	if !ok || form < 0 || form > 4 {
		t.say(t.tr("button.expired"))
		return nil
	}
	u := store.ClueUpdate{Disposal: &d.Key, Form: &form}
	t.keep(c, &u)
	switch {
	case d.Hold:
		s := store.ClueHeld
		u.Status = &s
	case c.Status == store.ClueNew || c.Status == store.ClueStudied || c.Status == store.ClueHeld:
		s := store.ClueDisposed
		u.Status = &s
	}
	if err := t.tx.UpdateClue(c.ID, u); err != nil {
		return err
	}
	if err := t.tx.AddClueEvent(c.ID, t.person.ID, "disposal", fmt.Sprintf("%s:%d", d.Key, form)); err != nil {
		return err
	}
	if err := t.audit("clue.disposal", clueObject(c), fmt.Sprintf("%s form=%d", d.Key, form)); err != nil {
		return err
	}
	if err := t.milestone(c, store.StatusAccepted); err != nil {
		return err
	}
	t.reset()
	t.say(t.tr("lg.disposal.ok", c.Number, pick(t.lang, d.ZH, d.EN), t.orNotGiven(t.ledger().FormName(form, t.lang))), t.openButton(t.lang, c))
	return nil
}

func (t *turn) transfer(c *store.Clue, unit string, days int) error {
	valid := false
	for _, d := range t.ledger().DueDays {
		valid = valid || d == days
	}
	if _, ok := t.ledger().unit(unit); !ok || !valid {
		t.say(t.tr("button.expired"))
		return nil
	}
	unit = t.ledger().CanonicalUnit(unit)
	now := t.tx.Now()
	due := t.e.cfg.Calendar.AddWorkingDays(now, days)
	round, err := t.tx.RoundAt(now)
	if err != nil {
		return err
	}
	while := round != 0
	s := store.ClueTransferred
	u := store.ClueUpdate{Unit: &unit, DueAt: &due, WhileInspecting: &while, Status: &s}
	t.keep(c, &u)
	if err := t.tx.UpdateClue(c.ID, u); err != nil {
		return err
	}
	day := due.In(t.e.cfg.Location).Format("2006-01-02")
	if err := t.tx.AddClueEvent(c.ID, t.person.ID, "transfer", unit+":"+day); err != nil {
		return err
	}
	if err := t.audit("clue.transfer", clueObject(c), fmt.Sprintf("unit=%s days=%d", unit, days)); err != nil {
		return err
	}
	if err := t.milestone(c, store.StatusTransferred); err != nil {
		return err
	}
	chats, err := t.unitChats(unit)
	if err != nil {
		return err
	}
	if err := t.tellChats(chats, c, "lg.transfer.notice", c.Number, day); err != nil {
		return err
	}
	t.reset()
	name := t.ledger().UnitName(unit, t.lang)
	if len(chats) == 0 {
		if err := t.transferUnanswered(c, unit); err != nil {
			return err
		}
		t.say(t.tr("lg.transfer.ok.nobody", c.Number, name, day), t.openButton(t.lang, c))
		return nil
	}
	t.say(t.tr("lg.transfer.ok", c.Number, name, day), t.openButton(t.lang, c))
	return nil
}

func (t *turn) closeClue(c *store.Clue) error {
	if c.Status == store.ClueClosed {
		t.say(t.tr("lg.closed.already"))
		return nil
	}
	now := t.tx.Now()
	s := store.ClueClosed
	u := store.ClueUpdate{Status: &s, ClosedAt: &now}
	t.keep(c, &u)
	if err := t.tx.UpdateClue(c.ID, u); err != nil {
		return err
	}
	if err := t.tx.AddClueEvent(c.ID, t.person.ID, "closed", ""); err != nil {
		return err
	}
	if err := t.audit("clue.close", clueObject(c), ""); err != nil {
		return err
	}
	if err := t.milestone(c, store.StatusConcluded); err != nil {
		return err
	}
	if c.Unit != "" {
		chats, err := t.unitChats(c.Unit)
		if err != nil {
			return err
		}
		if err := t.tellChats(chats, c, "lg.closed.notice", c.Number); err != nil {
			return err
		}
	}
	t.reset()
	t.say(t.tr("lg.closed.ok", c.Number))
	return nil
}

// ask records a question to the reporter. An official's goes out at once; a unit's goes to the
// officials, who relay it: the unit never deals with the reporter directly.
func (t *turn) ask(c *store.Clue, text string) error {
	q := &store.Question{ClueID: c.ID, AskedBy: t.person.ID, Body: text}
	if err := t.tx.CreateQuestion(q, t.can(PermRelay)); err != nil {
		return err
	}
	if err := t.tx.AddClueEvent(c.ID, t.person.ID, "question", text); err != nil {
		return err
	}
	if err := t.audit("clue.ask", clueObject(c), fmt.Sprintf("question:%d", q.ID)); err != nil {
		return err
	}
	t.reset()
	if !t.can(PermRelay) {
		if err := t.relayRequest(c, q); err != nil {
			return err
		}
		t.say(t.tr("lg.ask.proposed", c.Number))
		return nil
	}
	return t.relayQuestion(c, q)
}

// relayRequest offers the officials a button to send a unit's question on.
func (t *turn) relayRequest(c *store.Clue, q *store.Question) error {
	var chats []int64
	var err error
	if c.KeeperID != 0 {
		chats, err = t.tx.PersonChatIDs(c.KeeperID)
	} else {
		chats, err = t.tx.ChatsOfRoles(c.TownshipID, store.RoleOfficial, store.RoleAdmin)
	}
	if err != nil {
		return err
	}
	for _, chat := range chats {
		lang, err := t.tx.ChatLang(chat)
		if err != nil {
			return err
		}
		msg := store.OutMessage{Text: T(lang, "lg.relay.offer", c.Number, t.ledger().UnitName(c.Unit, lang), q.Body),
			Buttons: [][]store.Button{{{Text: T(lang, "lg.act.relay"), Data: NewAction(VerbLedger, "rl", q.ID).Data()}}, t.openButton(lang, c)}}
		if err := t.tell(chat, msg, fmt.Sprintf("question:%d:offer:%d", q.ID, chat)); err != nil {
			return err
		}
	}
	return nil
}

// relayQuestion sends a question to the reporter and tells the official how it went: to their
// chat, or waiting for their next query-code lookup when they kept no link.
func (t *turn) relayQuestion(c *store.Clue, q *store.Question) error {
	linked, err := t.deliverQuestion(c, q)
	if err != nil {
		return err
	}
	if linked {
		t.say(t.tr("lg.ask.sent", c.Number))
	} else {
		t.say(t.tr("lg.ask.nolink", c.Number))
	}
	return nil
}

// deliverQuestion sends a relayed question to the reporter's chat, when they kept a link;
// either way it waits at their next query-code lookup.
func (t *turn) deliverQuestion(c *store.Clue, q *store.Question) (bool, error) {
	lang, err := t.tx.ReporterLang(c.ReportID)
	if err != nil {
		return false, err
	}
	msg := store.OutMessage{Text: T(lang, "lg.q.to.reporter", q.Body),
		Buttons: [][]store.Button{{{Text: T(lang, "lg.q.answer"), Data: NewAction(VerbLedger, "ans", q.ID).Data()}}}}
	return t.tx.EnqueueToReporter(c.ReportID, msg, fmt.Sprintf("question:%d", q.ID))
}

// findQuestion finds a question and its clue; when the question is gone it says the button
// has expired and returns nil.
func (t *turn) findQuestion(qid int64) (*store.Question, *store.Clue, error) {
	q, err := t.tx.FindQuestion(qid)
	if errors.Is(err, store.ErrNotFound) {
		t.say(t.tr("button.expired"))
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	c, err := t.tx.FindClue(q.ClueID)
	if err != nil {
		return nil, nil, err
	}
	return q, c, nil
}

// relay sends a unit's question on to the reporter; only an official who may see the clue can.
func (t *turn) relay(qid int64) error {
	q, c, err := t.findQuestion(qid)
	if err != nil || q == nil {
		return err
	}
	if !t.rules().CanOn(PermRelay, c) {
		return t.refuse("relay", clueObject(c))
	}
	ok, err := t.tx.RelayQuestion(q.ID, t.person.ID)
	if err != nil {
		return err
	}
	if !ok {
		t.say(t.tr("lg.relay.already"))
		return nil
	}
	if err := t.tx.AddClueEvent(c.ID, t.person.ID, "relayed", ""); err != nil {
		return err
	}
	if err := t.audit("clue.relay", clueObject(c), fmt.Sprintf("question:%d", q.ID)); err != nil {
		return err
	}
	return t.relayQuestion(c, q)
}

// startAnswer lets the reporter answer a question: from the chat that filed the report (the
// sealed link), or from any chat that has just shown the report by its query code.
func (t *turn) startAnswer(qid int64) error {
	q, c, err := t.findQuestion(qid)
	if err != nil || q == nil {
		return err
	}
	allowed := t.st.Flow == flowQuery && t.st.ReportID != 0 && t.st.ReportID == c.ReportID
	if !allowed {
		if allowed, err = t.tx.IsReporterChat(c.ReportID, t.chat.ID); err != nil {
			return err
		}
	}
	if !allowed || q.RelayedAt.IsZero() {
		// Not the reporter's chat: log it without naming the chat, and show nothing.
		if err := t.auditRefusal("relay.refused", fmt.Sprintf("question:%d", q.ID), ""); err != nil {
			return err
		}
		t.say(t.tr("button.expired"))
		return nil
	}
	if !q.AnsweredAt.IsZero() {
		t.say(t.tr("lg.ans.done"))
		return nil
	}
	var resume *state
	switch {
	case t.st.Flow == flowReport && t.st.Report != nil:
		s := t.st
		resume = &s
	case t.st.Flow == flowLedger && t.st.Ledger != nil:
		resume = t.st.Ledger.Resume // answering another question first
	}
	t.reset()
	t.st.Ledger = &ledgerDraft{QuestionID: q.ID, Resume: resume}
	t.set(flowLedger, lgAnswer)
	t.say(t.tr("lg.ans.prompt", q.Body), []store.Button{t.btn("cancel", "x")})
	return nil
}

// answer records the reporter's answer and passes it to whoever asked.
func (t *turn) answer(d *ledgerDraft, text string) error {
	q, err := t.tx.FindQuestion(d.QuestionID)
	if err != nil {
		return err
	}
	ok, err := t.tx.AnswerQuestion(q.ID, text)
	if err != nil {
		return err
	}
	t.reset()
	if !ok {
		t.say(t.tr("lg.ans.done"))
		return t.resumeReport(d)
	}
	c, err := t.tx.FindClue(q.ClueID)
	if err != nil {
		return err
	}
	if err := t.tx.AddClueEvent(c.ID, 0, "answer", text); err != nil {
		return err
	}
	if err := t.tx.Audit(0, t.chat.Platform, "clue.answer", clueObject(c), fmt.Sprintf("question:%d", q.ID)); err != nil {
		return err
	}
	// Whoever asked (an official or a unit) and the official who relayed it hear the answer.
	var chats []int64
	for _, p := range []int64{q.AskedBy, q.RelayedBy} {
		if p == 0 {
			continue
		}
		ids, err := t.tx.PersonChatIDs(p)
		if err != nil {
			return err
		}
		chats = append(chats, ids...)
	}
	if err := t.tellChats(dedupe(chats), c, "lg.ans.notice", c.Number, q.Body, text); err != nil {
		return err
	}
	if d.Resume != nil {
		t.say(t.tr("lg.ans.ok"))
		return t.resumeReport(d)
	}
	t.say(t.tr("lg.ans.ok"), t.menu()...)
	return nil
}

// resumeReport brings back the report a chat was writing before it answered a question, and
// asks its current step again. It does nothing when there was none.
func (t *turn) resumeReport(d *ledgerDraft) error {
	if d == nil || d.Resume == nil {
		return nil
	}
	t.st = *d.Resume
	t.dirty = true
	t.say(t.tr("report.resume"))
	return t.prompt()
}

func dedupe(ids []int64) []int64 {
	seen := map[int64]bool{}
	var out []int64
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

func (t *turn) acknowledge(c *store.Clue) error {
	if !c.AckedAt.IsZero() {
		t.say(t.tr("lg.ack.already", c.Number))
		return nil
	}
	now := t.tx.Now()
	s := store.ClueHandling
	if err := t.tx.UpdateClue(c.ID, store.ClueUpdate{AckedAt: &now, Status: &s}); err != nil {
		return err
	}
	if err := t.tx.AddClueEvent(c.ID, t.person.ID, "ack", ""); err != nil {
		return err
	}
	if err := t.audit("clue.ack", clueObject(c), ""); err != nil {
		return err
	}
	unitName := func(lang string) string { return t.ledger().UnitName(c.Unit, lang) }
	if err := t.notifyClue(c, "lg.ack.notice", c.Number, unitName); err != nil {
		return err
	}
	t.say(t.tr("lg.ack.ok", c.Number), t.openButton(t.lang, c))
	return nil
}

func (t *turn) progress(c *store.Clue, text string) error {
	if err := t.tx.AddClueEvent(c.ID, t.person.ID, "progress", text); err != nil {
		return err
	}
	if err := t.tx.UpdateClue(c.ID, store.ClueUpdate{}); err != nil {
		return err
	}
	if err := t.audit("clue.progress", clueObject(c), ""); err != nil {
		return err
	}
	if err := t.notifyClue(c, "lg.progress.notice", c.Number, truncate(text, 300)); err != nil {
		return err
	}
	t.reset()
	t.say(t.tr("lg.progress.ok", c.Number), t.openButton(t.lang, c))
	return nil
}

// outcome records "case filed (0/1), people disciplined, people organisationally handled".
func (t *turn) outcome(c *store.Clue, text string) error {
	// Chinese input methods often type full-width digits and commas.
	text = strings.Map(func(r rune) rune {
		if r >= '０' && r <= '９' {
			return '0' + (r - '０')
		}
		return r
	}, text)
	fields := strings.Fields(strings.NewReplacer("，", " ", ",", " ", "、", " ", "　", " ").Replace(text))
	var n [3]int
	ok := len(fields) == 3
	for i := 0; ok && i < 3; i++ {
		v, err := strconv.Atoi(fields[i])
		ok = err == nil && v >= 0 && v <= 10000 && (i > 0 || v <= 1)
		n[i] = v
	}
	if !ok {
		t.say(t.tr("lg.outcome.bad"))
		return nil
	}
	filed := n[0] == 1
	if err := t.tx.UpdateClue(c.ID, store.ClueUpdate{CaseFiled: &filed, Disciplined: &n[1], OrgHandled: &n[2]}); err != nil {
		return err
	}
	body := fmt.Sprintf("%d %d %d", n[0], n[1], n[2])
	if err := t.tx.AddClueEvent(c.ID, t.person.ID, "outcome", body); err != nil {
		return err
	}
	if err := t.audit("clue.outcome", clueObject(c), body); err != nil {
		return err
	}
	yes := func(lang string) string { return T(lang, map[bool]string{true: "lg.yes", false: "lg.no"}[filed]) }
	if err := t.notifyClue(c, "lg.outcome.notice", c.Number, yes, n[1], n[2]); err != nil {
		return err
	}
	t.reset()
	t.say(t.tr("lg.outcome.ok", c.Number), t.openButton(t.lang, c))
	return nil
}

// blockReporter blocks (with a reason) or unblocks the chat behind clue c's report. The store
// resolves the sealed link: nothing about the chat reaches the official, and the answer is the
// same whether it was blocked before or not.
func (t *turn) blockReporter(c *store.Clue, block bool, reason string) error {
	if !t.can(PermBlock) {
		return t.refuse("block", clueObject(c))
	}
	if block && utf8.RuneCountInString(reason) < 4 {
		t.say(t.tr("lg.reveal.short"))
		return nil
	}
	t.reset()
	err := t.tx.SetReporterBlocked(c.ReportID, block)
	if errors.Is(err, store.ErrNoReporterLink) {
		t.say(t.tr("lg.block.nolink"))
		return nil
	}
	if err != nil {
		return err
	}
	if !block {
		if err := t.audit("clue.unblock", clueObject(c), ""); err != nil {
			return err
		}
		t.say(t.tr("lg.unblock.done", c.Number))
		return nil
	}
	if err := t.audit("clue.block", clueObject(c), truncate(reason, 500)); err != nil {
		return err
	}
	t.say(t.tr("lg.block.done", c.Number))
	return nil
}

// reveal shows a real-name reporter's contact to an administrator who gave a reason. The
// reason and the reveal go to the audit log in the same transaction as the answer.
func (t *turn) reveal(c *store.Clue, reason string) error {
	if !t.can(PermReveal) {
		return t.refuse("reveal", clueObject(c))
	}
	if utf8.RuneCountInString(reason) < 4 {
		t.say(t.tr("lg.reveal.short"))
		return nil
	}
	contact, err := t.tx.ReporterContact(c.ReportID)
	if errors.Is(err, store.ErrNotFound) {
		t.reset()
		t.say(t.tr("lg.reveal.none"))
		return nil
	}
	if err != nil {
		return err
	}
	if err := t.audit("clue.reveal", clueObject(c), truncate(reason, 500)); err != nil {
		return err
	}
	t.reset()
	t.say(t.tr("lg.reveal.show", c.Number, contact.Name, contact.Phone))
	return nil
}

func (t *turn) newClueStep(d *ledgerDraft, text string) error {
	if t.st.Step == lgNewSubject {
		d.Subject = truncate(text, 200)
		t.set(flowLedger, lgNewDesc)
		t.say(t.tr("lg.new.desc"), []store.Button{t.btn("cancel", "x")})
		return nil
	}
	c := &store.Clue{Source: store.ClueFromInspection, Title: T(LangZH, "lg.source.inspection"), Subject: d.Subject,
		Summary: text, TownshipID: t.person.TownshipID, KeeperID: t.person.ID, ReceivedAt: t.tx.Now().In(t.e.cfg.Location)}
	reactivated, err := t.tx.CreateClue(c)
	if err != nil {
		return err
	}
	if err := t.audit("clue.register", clueObject(c), ""); err != nil {
		return err
	}
	if err := t.announceReactivated(c, reactivated); err != nil {
		return err
	}
	t.reset()
	text = t.tr("lg.new.ok", c.Number)
	if len(c.Linked) > 0 {
		text += t.tr("lg.detail.repeat", strings.Join(c.Linked, "、"))
	}
	t.say(text, t.openButton(t.lang, c))
	return nil
}

// registerReportClue enters a new report into the ledger, in the report's own transaction.
func (t *turn) registerReportClue(r *store.Report) error {
	title := r.Category
	if cat, ok := t.category(r.Category); ok {
		title = cat.Name(LangZH)
	}
	c := &store.Clue{Source: store.ClueFromReport, ReportID: r.ID, Title: title, Subject: r.Subject, Summary: r.Description,
		TownshipID: r.TownshipID, VillageID: r.VillageID, ReceivedAt: t.tx.Now().In(t.e.cfg.Location)}
	reactivated, err := t.tx.CreateClue(c)
	if err != nil {
		return err
	}
	if err := t.tx.Audit(r.FiledBy, t.chat.Platform, "clue.created", clueObject(c), fmt.Sprintf("report:%d", r.ID)); err != nil {
		return err
	}
	if err := t.routeToGroup(c); err != nil {
		return err
	}
	return t.announceReactivated(c, reactivated)
}

// announceReactivated tells the officials that held clues woke up because of c.
func (t *turn) announceReactivated(c *store.Clue, held []*store.Clue) error {
	for _, h := range held {
		chats, err := t.tx.ChatsOfRoles(h.TownshipID, store.RoleOfficial, store.RoleAdmin)
		if err != nil {
			return err
		}
		if err := t.tellChats(chats, h, "lg.reactivated", h.Number, c.Number); err != nil {
			return err
		}
	}
	return nil
}

// clueSupplement records a resident's supplement on the report's clue; a held clue is
// re-activated, since new evidence is what it waits for.
func (t *turn) clueSupplement(reportID int64) error {
	c, err := t.tx.FindClueByReport(reportID)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := t.tx.AddClueEvent(c.ID, 0, "supplement", ""); err != nil {
		return err
	}
	if c.Status != store.ClueHeld {
		return nil
	}
	if err := t.tx.ReactivateClue(c.ID, "supplement"); err != nil {
		return err
	}
	chats, err := t.tx.ChatsOfRoles(c.TownshipID, store.RoleOfficial, store.RoleAdmin)
	if err != nil {
		return err
	}
	return t.tellChats(chats, c, "lg.reactivated.supplement", c.Number)
}

// clueNotice is appended to the officials' notice of a new report: the clue number to open.
func (t *turn) clueNotice(reportID int64, lang string) (string, []store.Button, error) {
	c, err := t.tx.FindClueByReport(reportID)
	if errors.Is(err, store.ErrNotFound) {
		return "", nil, nil
	}
	if err != nil {
		return "", nil, err
	}
	text := T(lang, "lg.notice.number", c.Number)
	if len(c.Linked) == 0 {
		links, err := t.tx.ClueLinks(c.ID)
		if err != nil {
			return "", nil, err
		}
		c.Linked = links
	}
	if len(c.Linked) > 0 {
		text += T(lang, "lg.detail.repeat", strings.Join(c.Linked, "、"))
	}
	return text, t.openButton(lang, c), nil
}

// listClues shows the sender's clues under a filter: "open", "new", "due", "over", "units",
// "u" (with a unit key), "places", "t" (a township id) or "v" (a village id).
func (t *turn) listClues(filter, arg string) error {
	// Permission first: a refusal leaves the conversation as it was.
	if !t.can(PermLedger) && (filter == "units" || filter == "u") {
		return t.refuse("list", "ledger")
	}
	if id, _ := strconv.ParseInt(arg, 10, 64); filter == "t" && !t.rules().SeesTownship(id) {
		return t.refuse("list", "township:"+arg)
	}
	t.reset()
	now := t.tx.Now()
	f := t.scope(store.ClueFilter{Open: true})
	label := t.tr("lg.f.open")
	switch filter {
	case "new":
		f.Statuses, label = []string{store.ClueNew}, t.tr("lg.f.new")
	case "due":
		f.DueBefore, label = t.e.cfg.Calendar.AddWorkingDays(now, t.ledger().DueSoonDays), t.tr("lg.f.due")
	case "over":
		f.DueBefore, label = now, t.tr("lg.f.over")
	case "round":
		id, err := t.tx.RoundAt(now)
		if err != nil {
			return err
		}
		if id == 0 {
			t.say(t.tr("lg.f.noround"))
			return nil
		}
		f.RoundID, label = id, t.tr("lg.f.round")
	case "units":
		var rows [][]store.Button
		for _, u := range t.ledger().Units {
			rows = append(rows, []store.Button{{Text: pick(t.lang, u.ZH, u.EN), Data: NewAction(VerbLedger, "l", "u", u.Key).Data()}})
		}
		t.say(t.tr("lg.f.units"), rows...)
		return nil
	case "u":
		f.Unit, label = t.ledger().CanonicalUnit(arg), t.ledger().UnitName(arg, t.lang)
	case "places":
		return t.placeFilter()
	case "t", "v":
		id, _ := strconv.ParseInt(arg, 10, 64)
		if filter == "t" {
			f.TownshipID = id
		} else {
			f.VillageID = id
		}
		place, err := t.placeOf(filter, id)
		if err != nil {
			return err
		}
		label = place
	}
	clues, err := t.tx.Clues(f)
	if err != nil {
		return err
	}
	if filter == "due" {
		// Due soon, not already overdue: those have their own list.
		kept := clues[:0]
		for _, c := range clues {
			if !c.DueAt.Before(now) {
				kept = append(kept, c)
			}
		}
		clues = kept
	}
	// The escalation ladder (提醒 → 提醒函 → 督办函) is the scheduler's; the list shows where each
	// overdue clue stands on it, and "over:N" keeps one level.
	levels := map[int64]int{}
	if filter == "over" {
		want, _ := strconv.Atoi(arg)
		kept := clues[:0]
		for _, c := range clues {
			lc, err := t.tx.LadderClue(c.ID)
			if err != nil {
				return err
			}
			levels[c.ID] = lc.Level
			if want == 0 || lc.Level == want {
				kept = append(kept, c)
			}
		}
		clues = kept
		if want > 0 {
			label += " · " + t.tr(fmt.Sprintf("lg.ladder.%d", want))
		}
	}
	if err := t.audit("ledger.list", "ledger", filter+" "+arg); err != nil {
		return err
	}
	var b strings.Builder
	b.WriteString(t.tr("lg.list.head", label, len(clues)))
	var rows [][]store.Button
	keepers := map[int64]string{}
	for i, c := range clues {
		if i == 20 {
			b.WriteString(t.tr("lg.list.more", len(clues)-20))
			break
		}
		due := ""
		if !c.DueAt.IsZero() {
			due = " · " + t.tr("lg.due", t.formatDay(c.DueAt))
		}
		if lv := levels[c.ID]; lv > 0 {
			due += " · " + t.tr(fmt.Sprintf("lg.ladder.%d", lv))
		}
		if !c.PausedAt.IsZero() {
			due += t.tr("lg.list.paused")
		}
		if t.isOfficial() && c.KeeperID != 0 {
			keeper, err := t.keeperLabel(c.KeeperID, keepers)
			if err != nil {
				return err
			}
			due += t.tr("lg.list.keeper", keeper)
		}
		b.WriteString(fmt.Sprintf("\n%s · %s · %s%s", c.Number, t.tr("lg.status."+c.Status), truncate(t.orNotGiven(c.Subject), 20), due))
		if i < 10 {
			rows = append(rows, []store.Button{{Text: c.Number + " " + truncate(c.Subject, 12), Data: NewAction(VerbLedger, "o", c.ID).Data()}})
		}
	}
	if t.can(PermLedger) && filter == "over" {
		rows = append(rows, []store.Button{t.btn("lg.ladder.1", NewAction(VerbLedger, "l", "over", 1).Data()), t.btn("lg.ladder.2", NewAction(VerbLedger, "l", "over", 2).Data()), t.btn("lg.ladder.3", NewAction(VerbLedger, "l", "over", 3).Data())})
	}
	if t.can(PermLedger) {
		rows = append(rows,
			[]store.Button{t.btn("lg.f.new", NewAction(VerbLedger, "l", "new").Data()), t.btn("lg.f.due", NewAction(VerbLedger, "l", "due").Data()), t.btn("lg.f.over", NewAction(VerbLedger, "l", "over").Data())},
			[]store.Button{t.btn("lg.f.open", NewAction(VerbLedger, "l", "open").Data()), t.btn("lg.f.round", NewAction(VerbLedger, "l", "round").Data())},
			[]store.Button{t.btn("lg.f.units", NewAction(VerbLedger, "l", "units").Data()), t.btn("lg.f.places", NewAction(VerbLedger, "l", "places").Data())})
	}
	t.say(b.String(), rows...)
	return nil
}

// placeFilter offers the villages of a township official, or the townships to the county.
func (t *turn) placeFilter() error {
	var rows [][]store.Button
	if t.isOfficial() && t.person.TownshipID != 0 {
		vs, err := t.tx.Villages(t.person.TownshipID)
		if err != nil {
			return err
		}
		rows = grid(vs, func(v store.Village) store.Button {
			return store.Button{Text: v.Name, Data: NewAction(VerbLedger, "l", "v", v.ID).Data()}
		})
	} else {
		tws, err := t.tx.Townships()
		if err != nil {
			return err
		}
		rows = grid(tws, func(tw store.Township) store.Button {
			return store.Button{Text: tw.Name, Data: NewAction(VerbLedger, "l", "t", tw.ID).Data()}
		})
	}
	t.say(t.tr("lg.f.places"), rows...)
	return nil
}

func (t *turn) placeOf(kind string, id int64) (string, error) {
	if kind == "t" {
		tw, err := t.tx.FindTownship(id)
		if err != nil {
			return "", err
		}
		return tw.Name, nil
	}
	v, err := t.tx.FindVillage(id)
	if err != nil {
		return "", err
	}
	return v.Name, nil
}

// showStats shows the figures of a round (the named one, or the one under way) and of the year.
func (t *turn) showStats(arg string) error {
	t.reset()
	now := t.tx.Now().In(t.e.cfg.Location)
	var b strings.Builder
	var round *store.Round
	var err error
	if arg != "" {
		round, err = t.tx.FindRound(arg)
	} else if id, err2 := t.tx.RoundAt(now); err2 != nil {
		return err2
	} else if id != 0 {
		round, err = t.tx.FindRound(strconv.FormatInt(id, 10))
	}
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	if round != nil {
		s, err := t.tx.Stats(t.scope(store.ClueFilter{RoundID: round.ID}))
		if err != nil {
			return err
		}
		b.WriteString(t.statsText(round.Name, s) + "\n\n")
	}
	year := time.Date(now.Year(), 1, 1, 0, 0, 0, 0, t.e.cfg.Location)
	s, err := t.tx.Stats(t.scope(store.ClueFilter{From: year}))
	if err != nil {
		return err
	}
	b.WriteString(t.statsText(t.tr("lg.stats.year", now.Year()), s))
	if err := t.audit("ledger.stats", "ledger", arg); err != nil {
		return err
	}
	t.say(b.String())
	return nil
}

// statsText renders the figures in a language.
func (t *turn) statsText(title string, s store.LedgerStats) string {
	return StatsText(t.lang, t.ledger(), title, s)
}

// StatsText renders ledger statistics for chat and for `xuncha stats`.
func StatsText(lang string, l *Ledger, title string, s store.LedgerStats) string {
	var b strings.Builder
	b.WriteString(T(lang, "lg.stats", title, s.Received, s.Transferred, s.WhileInspecting, s.CasesFiled, s.Disciplined, s.OrgHandled, s.Closed))
	var mix []string
	for _, d := range l.Dispositions {
		if n := s.Disposals[d.Key]; n > 0 {
			mix = append(mix, fmt.Sprintf("%s %d", pick(lang, d.ZH, d.EN), n))
		}
	}
	if len(mix) > 0 {
		b.WriteString(T(lang, "lg.stats.disposals", strings.Join(mix, "，")))
	}
	mix = nil
	for n := 1; n <= 4; n++ {
		if s.Forms[n] > 0 {
			mix = append(mix, fmt.Sprintf("%s %d", l.FormName(n, lang), s.Forms[n]))
		}
	}
	if len(mix) > 0 {
		b.WriteString(T(lang, "lg.stats.forms", strings.Join(mix, "，")))
	}
	return b.String()
}

// exportSummary answers /export in chat with the ledger the official may see, as an .xlsx
// file (the same as `xuncha export ledger`: no reporter identity in any column).
func (t *turn) exportSummary() error {
	cf := t.scope(store.ClueFilter{})
	clues, err := t.tx.Clues(cf)
	if err != nil {
		return err
	}
	open := 0
	for _, c := range clues {
		if c.Status != store.ClueClosed {
			open++
		}
	}
	rows, timeline, err := LedgerRows(t.tx, cf, t.e.cfg.Location, t.ledger(), t.e.cfg.Categories)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := WriteXLSX(&buf, rows, timeline); err != nil {
		return err
	}
	const mime = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	sha, err := t.tx.PutBlob(buf.Bytes(), mime)
	if err != nil {
		return err
	}
	if err := t.audit("ledger.export", "ledger", fmt.Sprintf("xlsx %d clues", len(rows))); err != nil {
		return err
	}
	t.reset()
	name := t.tx.Now().In(t.e.cfg.Location).Format("线索台账-20060102-1504.xlsx")
	t.out = append(t.out, Outgoing{ChatID: t.chat.ID, ToSender: true, OutMessage: store.OutMessage{
		Text: t.tr("lg.export", len(clues), open),
		File: &store.Attachment{SHA256: sha, Name: name, MIME: mime, Size: int64(buf.Len())},
	}})
	return nil
}
