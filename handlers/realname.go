// Real-name duties to the end (issue 17): the result notice (结果告知) owed within 15 working
// days of closing, not accepting a report (不予受理) with its reason, the reporter's objection
// (异议) and the office's answer, and the follow-ups that ask the reporter, months after the
// case, whether they met retaliation (打击报复). Everything to the reporter goes through the
// sealed link (store.EnqueueToReporter) or waits at their next query-code lookup: nobody here
// ever holds the reporter's chat.

package handlers

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"xuncha/store"
)

// ResultNoticeDays: a real-name reporter is told the result within this many working days of
// closing (the 2020 rules on handling reports; DOMAIN.md).
const ResultNoticeDays = 15

// DisposalNotAccepted is the disposal of a report not accepted (不予受理); it closes the clue.
const DisposalNotAccepted = "not_accepted"

// StatusNotAccepted is the report's status a resident sees once it was not accepted.
const StatusNotAccepted = "not_accepted"

// Ledger steps of the real-name duties that wait for text.
const (
	lgResult    = "result"    // an official writes the result notice
	lgNotAccept = "notaccept" // an official writes why the report is not accepted
	lgObjAnswer = "objanswer" // an official answers an objection
	lgObjection = "objection" // the reporter writes an objection (opened only for the reporter)
)

// reporterButton handles the buttons only a reporter may press: raising an objection ("ob",
// the clue) and answering a retaliation follow-up ("rt", the duty, "n" or "y"). It reports
// false for another verb.
func (t *turn) reporterButton(op Action) (bool, error) {
	switch op.Verb {
	case "ob":
		id, _ := op.ID(0)
		return true, t.startObjection(id)
	case "rt":
		id, _ := op.ID(0)
		return true, t.answerFollowUp(id, op.Arg(1) == "y")
	}
	return false, nil
}

// isReporter reports whether the sender is the reporter of a report: the chat that filed it
// (the sealed link), or a chat that has just shown it by its query code.
func (t *turn) isReporter(reportID int64) (bool, error) {
	if reportID == 0 {
		return false, nil
	}
	if t.st.Flow == flowQuery && t.st.ReportID == reportID {
		return true, nil
	}
	return t.tx.IsReporterChat(reportID, t.chat.ID)
}

// notReporter answers a reporter's button pressed by someone else: logged without naming the
// chat, and answered as an expired button, which shows nothing.
func (t *turn) notReporter(object string) error {
	if err := t.auditRefusal("relay.refused", object, ""); err != nil {
		return err
	}
	t.say(t.tr("button.expired"))
	return nil
}

// realNameButton handles the officials' buttons of the real-name duties on a clue the sender
// may act on. It reports false for another verb.
func (t *turn) realNameButton(op Action, c *store.Clue) (bool, error) {
	switch op.Verb {
	case "rn":
		if c.ReportID == 0 || c.Status != store.ClueClosed {
			t.say(t.tr("rn.result.notclosed"))
			return true, nil
		}
		return true, t.startLedgerText(c, lgResult, "rn.result.prompt")
	case "na":
		if c.ReportID == 0 {
			t.say(t.tr("rn.na.noreport"))
			return true, nil
		}
		if c.Status == store.ClueClosed {
			t.say(t.tr("lg.closed.already"))
			return true, nil
		}
		return true, t.startLedgerText(c, lgNotAccept, "rn.na.prompt")
	case "oa":
		did, _ := op.ID(1)
		d, err := t.objectionOf(c, did)
		if ok, err := t.found(err, "button.expired"); !ok {
			return true, err
		}
		if !d.DoneAt.IsZero() {
			t.say(t.tr("rn.oa.already"))
			return true, nil
		}
		if err := t.startLedgerText(c, lgObjAnswer, "rn.oa.prompt"); err != nil {
			return true, err
		}
		t.st.Ledger.DutyID = d.ID
		t.say(t.tr("rn.oa.quote", d.Seq, d.Body))
		return true, nil
	}
	return false, nil
}

// realNameStep handles the officials' texts of the real-name duties. It reports false for
// another step.
func (t *turn) realNameStep(c *store.Clue, d *ledgerDraft, text string) (bool, error) {
	switch t.st.Step {
	case lgResult:
		return true, t.sendResultNotice(c, text)
	case lgNotAccept:
		return true, t.notAccept(c, text)
	case lgObjAnswer:
		return true, t.answerObjection(c, d.DutyID, text)
	}
	return false, nil
}

// owedOnClose records what closing a real-name clue owes its reporter: the result notice due
// within ResultNoticeDays working days (the scheduler nudges the keeper before and after), and
// the three retaliation follow-ups. told: the reporter was told the result at closing (a
// report not accepted is told so at once).
func (t *turn) owedOnClose(c *store.Clue, told bool) error {
	if !c.Named || c.ReportID == 0 {
		return nil
	}
	now := t.tx.Now()
	if !told {
		due := t.e.cfg.Calendar.AddWorkingDays(now, ResultNoticeDays)
		// next_at now: the scheduler's next pass works out when to nudge.
		if _, err := t.tx.AddDuty(&store.Duty{ClueID: c.ID, Kind: store.DutyResult, DueAt: due, NextAt: now}); err != nil {
			return err
		}
	}
	for _, days := range store.FollowUpDays {
		at := now.AddDate(0, 0, days)
		if _, err := t.tx.AddDuty(&store.Duty{ClueID: c.ID, Kind: store.DutyFollowUp, Seq: days, DueAt: at, NextAt: at}); err != nil {
			return err
		}
	}
	return nil
}

// resultDuty returns the clue's result-notice duty, or nil when it owes none.
func (t *turn) resultDuty(clueID int64) (*store.Duty, error) {
	duties, err := t.tx.ClueDuties(clueID)
	if err != nil {
		return nil, err
	}
	for _, d := range duties {
		if d.Kind == store.DutyResult {
			return d, nil
		}
	}
	return nil, nil
}

// sendResultNotice sends the official's words on the result to the reporter through the
// sealed link, keeps them on the report's public timeline (a reporter who kept no link reads
// them by query code) and marks the duty done.
func (t *turn) sendResultNotice(c *store.Clue, text string) error {
	text, ok := t.reasonGiven(text, 1000)
	if !ok {
		return nil
	}
	d, err := t.resultDuty(c.ID)
	if err != nil {
		return err
	}
	if d != nil && !d.DoneAt.IsZero() {
		t.say(t.tr("rn.result.already", c.Number, t.formatDay(d.DoneAt)))
		return nil
	}
	if d != nil {
		if err := t.tx.CompleteDuty(d.ID, t.person.ID, ""); err != nil {
			return err
		}
	}
	if _, err := t.tx.AddReportEvent(c.ReportID, "result_notice", text, true, nil); err != nil {
		return err
	}
	if err := t.tx.AddClueEvent(c.ID, t.person.ID, "result_notice", text); err != nil {
		return err
	}
	if err := t.audit("clue.result_notice", clueObject(c), ""); err != nil {
		return err
	}
	linked, err := t.toReporter(c, "rn.result.to.reporter", "result", true, text)
	if err != nil {
		return err
	}
	if linked {
		t.say(t.tr("rn.result.ok", c.Number), t.openButton(t.lang, c))
	} else {
		t.say(t.tr("rn.result.ok.nolink", c.Number), t.openButton(t.lang, c))
	}
	return nil
}

// toReporter sends a text to the clue's reporter in their language through the sealed link;
// objection adds the button that raises one. It reports whether the reporter kept a link.
func (t *turn) toReporter(c *store.Clue, key, what string, objection bool, args ...any) (bool, error) {
	lang, err := t.tx.ReporterLang(c.ReportID)
	if err != nil {
		return false, err
	}
	msg := store.OutMessage{Text: T(lang, key, args...)}
	if objection {
		msg.Buttons = [][]store.Button{{{Text: T(lang, "rn.ob.button"), Data: NewAction(VerbLedger, "ob", c.ID).Data()}}}
	}
	// "report:<id>:" keys go with the reporter's link at the retention purge.
	return t.tx.EnqueueToReporter(c.ReportID, msg, fmt.Sprintf("report:%d:%s", c.ReportID, what))
}

// notAccept closes the clue as not accepted (不予受理): the reason stays in the ledger, and
// the reporter is told in fixed words that reveal nothing more, with the way to object.
func (t *turn) notAccept(c *store.Clue, reason string) error {
	reason, ok := t.reasonGiven(reason, 500)
	if !ok {
		return nil
	}
	if c.Status == store.ClueClosed {
		t.say(t.tr("lg.closed.already"))
		return nil
	}
	now := t.tx.Now()
	s, disposal := store.ClueClosed, DisposalNotAccepted
	u := store.ClueUpdate{Status: &s, ClosedAt: &now, Disposal: &disposal}
	t.keep(c, &u)
	if err := t.tx.UpdateClue(c.ID, u); err != nil {
		return err
	}
	if err := t.tx.AddClueEvent(c.ID, t.person.ID, "not_accepted", reason); err != nil {
		return err
	}
	if err := t.audit("clue.not_accepted", clueObject(c), reason); err != nil {
		return err
	}
	// The report's status and public timeline: the acceptance notice the reporter is owed
	// (store.AcceptanceNoticeKinds counts "not_accepted").
	if _, err := t.tx.SetReportStatus(c.ReportID, StatusNotAccepted); err != nil {
		return err
	}
	linked, err := t.toReporter(c, "rn.na.to.reporter", "not_accepted", true)
	if err != nil {
		return err
	}
	if err := t.owedOnClose(c, true); err != nil {
		return err
	}
	if err := t.tellUnitClosed(c); err != nil {
		return err
	}
	key := "rn.na.ok"
	if !linked {
		key = "rn.na.ok.nolink"
	}
	t.say(t.tr(key, c.Number), t.openButton(t.lang, c))
	return nil
}

// startObjection lets the reporter of a closed (or not accepted) clue write an objection.
func (t *turn) startObjection(clueID int64) error {
	c, err := t.tx.FindClue(clueID)
	if ok, err := t.found(err, "button.expired"); !ok {
		return err
	}
	ok, err := t.isReporter(c.ReportID)
	if err != nil {
		return err
	}
	if !ok {
		return t.notReporter("objection:" + strconv.FormatInt(c.ID, 10))
	}
	if c.Status != store.ClueClosed {
		t.say(t.tr("rn.ob.open"))
		return nil
	}
	t.reset()
	t.st.Ledger = &ledgerDraft{ClueID: c.ID}
	t.st.ReportID = c.ReportID
	t.set(flowLedger, lgObjection)
	t.resident = true
	t.sayCancel(t.tr("rn.ob.prompt"))
	return nil
}

// objection records the reporter's objection and tells the clue's keeper (or its office),
// who answers it from the clue's card; the scheduler nudges until they do.
func (t *turn) objection(d *ledgerDraft, text string) error {
	c, err := t.tx.FindClue(d.ClueID)
	if err != nil {
		return err
	}
	text, ok := t.reasonGiven(text, 1000)
	if !ok {
		return nil
	}
	seq, err := t.tx.NextObjection(c.ID)
	if err != nil {
		return err
	}
	now := t.tx.Now()
	duty := &store.Duty{ClueID: c.ID, Kind: store.DutyObjection, Seq: seq, DueAt: now, NextAt: now, Body: text}
	if _, err := t.tx.AddDuty(duty); err != nil {
		return err
	}
	if _, err := t.tx.AddReportEvent(c.ReportID, "objection", "", true, nil); err != nil {
		return err
	}
	if err := t.tx.AddClueEvent(c.ID, 0, "objection", text); err != nil {
		return err
	}
	if err := t.tx.Audit(0, t.chat.Platform, "clue.objection", clueObject(c), fmt.Sprintf("objection:%d", seq)); err != nil {
		return err
	}
	if err := t.tellOffice(c, "rn.ob.notice", c.Number, truncate(text, 300)); err != nil {
		return err
	}
	t.resident = true
	t.say(t.tr("rn.ob.ok"), t.menu()...)
	return nil
}

// officeChats are the chats that answer for a clue: its keeper's, or when it has none, or its
// keeper can no longer be reached (their role withdrawn, every chat unreachable), those of the
// officials of its township and the administrators: told to nobody, a notice is lost.
func (t *turn) officeChats(c *store.Clue) ([]int64, error) {
	if c.KeeperID != 0 {
		if k, err := t.tx.PersonChatIDs(c.KeeperID); err != nil || len(k) > 0 {
			return k, err
		}
	}
	return t.tx.ChatsOfRoles(c.TownshipID, store.RoleOfficial, store.RoleAdmin)
}

// tellOffice tells the clue's keeper, or when it has none the officials of its township and
// the administrators, with a button that opens the clue.
func (t *turn) tellOffice(c *store.Clue, key string, args ...any) error {
	chats, err := t.officeChats(c)
	if err != nil {
		return err
	}
	return t.tellChats(chats, c, key, args...)
}

// objectionOf finds the objection duty id of clue c. A duty of another clue or kind is
// store.ErrNotFound: the button that named it cannot have been this clue's objection.
func (t *turn) objectionOf(c *store.Clue, id int64) (*store.Duty, error) {
	d, err := t.tx.FindDuty(id)
	if err == nil && (d.ClueID != c.ID || d.Kind != store.DutyObjection) {
		return nil, store.ErrNotFound
	}
	return d, err
}

// answerObjection records the office's answer to an objection and relays it to the reporter.
func (t *turn) answerObjection(c *store.Clue, dutyID int64, text string) error {
	text, ok := t.reasonGiven(text, 1000)
	if !ok {
		return nil
	}
	d, err := t.objectionOf(c, dutyID)
	if ok, err := t.found(err, "button.expired"); !ok {
		return err
	}
	err = t.tx.CompleteDuty(d.ID, t.person.ID, text)
	if ok, err := t.proceed(err, store.ErrDutyDone, "rn.oa.already"); !ok {
		return err
	}
	if _, err := t.tx.AddReportEvent(c.ReportID, "objection_answer", text, true, nil); err != nil {
		return err
	}
	if err := t.tx.AddClueEvent(c.ID, t.person.ID, "objection_answer", strconv.Itoa(d.Seq)+" · "+text); err != nil {
		return err
	}
	if err := t.audit("clue.objection_answer", clueObject(c), fmt.Sprintf("objection:%d", d.Seq)); err != nil {
		return err
	}
	linked, err := t.toReporter(c, "rn.oa.to.reporter", "objection:"+strconv.Itoa(d.Seq), false, text)
	if err != nil {
		return err
	}
	key := "rn.oa.ok"
	if !linked {
		key = "rn.oa.ok.nolink"
	}
	t.say(t.tr(key, d.Seq, c.Number), t.openButton(t.lang, c))
	return nil
}

// answerFollowUp records the reporter's answer to a retaliation follow-up. "No" is recorded;
// anything else becomes a new clue at once, by the same reporter (the sealed link and contact
// copied), linked to the old one and flagged to the office; the reporter gets its query code
// and may describe what happened.
func (t *turn) answerFollowUp(dutyID int64, yes bool) error {
	d, err := t.tx.FindDuty(dutyID)
	if err == nil && d.Kind != store.DutyFollowUp {
		err = store.ErrNotFound // a button names only a follow-up
	}
	if ok, err := t.found(err, "button.expired"); !ok {
		return err
	}
	ok, err := t.isReporter(d.ReportID)
	if err != nil {
		return err
	}
	if !ok || d.Stage == 0 {
		return t.notReporter("followup:" + strconv.FormatInt(d.ID, 10))
	}
	answer := store.FollowUpNo
	if yes {
		answer = store.FollowUpYes
	}
	err = t.tx.CompleteDuty(d.ID, 0, answer)
	if ok, err := t.proceed(err, store.ErrDutyDone, "rn.fu.already"); !ok {
		return err
	}
	old, err := t.tx.FindClue(d.ClueID)
	if err != nil {
		return err
	}
	t.reset()
	t.resident = true
	if !yes {
		if err := t.tx.AddClueEvent(old.ID, 0, "followup_no", strconv.Itoa(d.Seq)); err != nil {
			return err
		}
		if err := t.tx.Audit(0, t.chat.Platform, "clue.followup", clueObject(old), fmt.Sprintf("day=%d answer=no", d.Seq)); err != nil {
			return err
		}
		t.say(t.tr("rn.fu.no.ok"), t.menu()...)
		return nil
	}
	return t.retaliationClue(old, d)
}

// retaliationClue files the reporter's "yes" as a new report and clue, linked to the old clue.
func (t *turn) retaliationClue(old *store.Clue, d *store.Duty) error {
	was, err := t.tx.FindReport(old.ReportID)
	if err != nil {
		return err
	}
	r := &store.Report{Category: "discipline", TownshipID: was.TownshipID, VillageID: was.VillageID, PlaceText: was.PlaceText,
		Subject: was.Subject, Description: T(LangZH, "rn.fu.desc", old.Number, d.Seq), Anonymous: was.Anonymous, Lang: was.Lang}
	code, err := t.tx.FileFollowUpReport(was.ID, r)
	if err != nil {
		return err
	}
	c := &store.Clue{Source: store.ClueFromReport, ReportID: r.ID, Title: T(LangZH, "rn.fu.title"), Subject: r.Subject,
		Summary: r.Description, TownshipID: r.TownshipID, VillageID: r.VillageID, KeeperID: old.KeeperID, ReceivedAt: t.tx.Now().In(t.e.cfg.Location)}
	if _, err := t.tx.CreateClue(c); err != nil {
		return err
	}
	if err := t.tx.LinkClues(c.ID, old.ID); err != nil {
		return err
	}
	if err := t.tx.AddClueEvent(c.ID, 0, "retaliation", old.Number); err != nil {
		return err
	}
	if err := t.tx.AddClueEvent(old.ID, 0, "followup_yes", strconv.Itoa(d.Seq)+" · "+c.Number); err != nil {
		return err
	}
	if err := t.tx.Audit(0, t.chat.Platform, "clue.followup", clueObject(old), fmt.Sprintf("day=%d answer=yes clue=%s", d.Seq, c.Number)); err != nil {
		return err
	}
	if err := t.tx.Audit(0, t.chat.Platform, "clue.created", clueObject(c), "retaliation:"+old.Number); err != nil {
		return err
	}
	// Flagged to the keeper of the old clue and to the whole office of its township: a
	// reporter who says they were retaliated against is everyone's business at once.
	chats, err := t.tx.ChatsOfRoles(c.TownshipID, store.RoleOfficial, store.RoleAdmin)
	if err != nil {
		return err
	}
	if old.KeeperID != 0 {
		k, err := t.tx.PersonChatIDs(old.KeeperID)
		if err != nil {
			return err
		}
		chats = append(chats, k...)
	}
	if err := t.tellChats(dedupe(chats), c, "rn.fu.flag", c.Number, old.Number, d.Seq); err != nil {
		return err
	}
	// The reporter adds what happened to the new report, as to any report by its query code.
	t.st.ReportID = r.ID
	t.set(flowQuery, "add")
	shown := store.FormatQueryCode(code)
	t.sayCodes(t.tr("rn.fu.yes.ok", shown), []string{shown}, []store.Button{t.btn("done", "done")})
	return nil
}

// realNameCard adds the real-name duties to a clue's card: lines for the text and the
// buttons the sender may use.
func (t *turn) realNameCard(b *strings.Builder, c *store.Clue) ([][]store.Button, error) {
	if c.ReportID == 0 {
		return nil, nil
	}
	duties, err := t.tx.ClueDuties(c.ID)
	if err != nil {
		return nil, err
	}
	var rows [][]store.Button
	var followups []string
	for _, d := range duties {
		switch d.Kind {
		case store.DutyResult:
			if d.DoneAt.IsZero() {
				b.WriteString(t.tr("rn.card.result.due", t.formatDay(d.DueAt)))
				if t.tx.Now().After(d.DueAt) {
					b.WriteString(t.tr("lg.detail.overdue"))
				}
			} else {
				b.WriteString(t.tr("rn.card.result.done", t.formatDay(d.DoneAt)))
			}
		case store.DutyObjection:
			state := t.tr("rn.card.pending")
			if !d.DoneAt.IsZero() {
				state = t.tr("rn.card.answered", t.formatDay(d.DoneAt))
			} else if t.rules().CanOn(PermObjection, c) {
				rows = append(rows, []store.Button{{Text: t.tr("rn.oa.button", d.Seq), Data: NewAction(VerbLedger, "oa", c.ID, d.ID).Data()}})
			}
			b.WriteString(t.tr("rn.card.objection", d.Seq, t.formatDay(d.DueAt), truncate(d.Body, 100), state))
		case store.DutyFollowUp:
			state := t.tr("rn.card.fu.planned", t.formatDay(d.DueAt))
			switch {
			case d.Answer == store.FollowUpNo:
				state = t.tr("rn.card.fu.no")
			case d.Answer == store.FollowUpYes:
				state = t.tr("rn.card.fu.yes")
			case d.Stage > 0:
				state = t.tr("rn.card.fu.asked")
			}
			followups = append(followups, t.tr("rn.card.fu.item", d.Seq, state))
		}
	}
	if len(followups) > 0 {
		b.WriteString(t.tr("rn.card.followups", strings.Join(followups, t.tr("rn.card.fu.sep"))))
	}
	if c.Status == store.ClueClosed && t.rules().CanOn(PermResult, c) {
		if d, err := t.resultDuty(c.ID); err != nil {
			return nil, err
		} else if d == nil || d.DoneAt.IsZero() {
			rows = append(rows, []store.Button{t.btn("rn.result.button", NewAction(VerbLedger, "rn", c.ID).Data())})
		}
	}
	if c.Status != store.ClueClosed && t.rules().CanOn(PermNotAccept, c) {
		rows = append(rows, []store.Button{t.btn("rn.na.button", NewAction(VerbLedger, "na", c.ID).Data())})
	}
	return rows, nil
}

// reporterLookup adds, to a query-code lookup, what the reporter may do about the real-name
// duties: answer a retaliation follow-up, or raise an objection to a closed report.
func (t *turn) reporterLookup(r *store.Report) (string, [][]store.Button, error) {
	var text string
	var rows [][]store.Button
	asked, err := t.tx.AskedFollowUps(r.ID)
	if err != nil {
		return "", nil, err
	}
	for _, d := range asked {
		text += t.tr("rn.fu.pending", d.Seq)
		rows = append(rows, []store.Button{
			{Text: t.tr("rn.fu.btn.no"), Data: NewAction(VerbLedger, "rt", d.ID, "n").Data()},
			{Text: t.tr("rn.fu.btn.yes"), Data: NewAction(VerbLedger, "rt", d.ID, "y").Data()},
		})
	}
	if r.Status == store.StatusConcluded || r.Status == StatusNotAccepted {
		c, err := t.tx.FindClueByReport(r.ID)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return "", nil, err
		}
		if c != nil && c.Status == store.ClueClosed {
			rows = append(rows, []store.Button{{Text: t.tr("rn.ob.button"), Data: NewAction(VerbLedger, "ob", c.ID).Data()}})
		}
	}
	return text, rows, nil
}

// tellUnitClosed tells the clue's receiving unit, if it has one, that the clue is closed.
func (t *turn) tellUnitClosed(c *store.Clue) error {
	if c.Unit == "" {
		return nil
	}
	chats, err := t.unitChats(c.Unit)
	if err != nil {
		return err
	}
	return t.tellChats(chats, c, "lg.closed.notice", c.Number)
}
