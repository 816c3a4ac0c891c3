// Questions to a reporter, relayed without revealing the chat, and their answers.

package handlers

import (
	"fmt"

	"xuncha/store"
)

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
	chats, err := t.officeChats(c)
	if err != nil {
		return err
	}
	return t.tellEach(chats, fmt.Sprintf("question:%d:offer", q.ID), func(lang string) (store.OutMessage, error) {
		return store.OutMessage{Text: T(lang, "lg.relay.offer", c.Number, t.ledger().UnitName(c.Unit, lang), q.Body),
			Buttons: [][]store.Button{{{Text: T(lang, "lg.act.relay"), Data: NewAction(VerbLedger, "rl", q.ID).Data()}}, t.openButton(lang, c)}}, nil
	})
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
	if ok, err := t.found(err, "button.expired"); !ok {
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
	t.sayCancel(t.tr("lg.ans.prompt", q.Body))
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
