package handlers

import (
	"errors"
	"fmt"
	"strings"

	"xuncha/i18n"
	"xuncha/store"
)

// lookup shows a report's status and resident-safe timeline to whoever holds its code. It shows
// nothing about the reporter, and the query itself does not link this chat to the report.
func (t *turn) lookup(code string) error {
	limited, err := t.codeLimited()
	if err != nil {
		return err
	}
	if limited {
		t.say(t.tr("query.limited"))
		return nil
	}
	r, err := t.tx.FindReportByCode(code)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	if !t.e.guessOpen(guessQuery, t.tx.Now()) {
		// The global budget is spent: the code is not checked, and the answer is the same
		// whether it exists or not. Only the chat that filed the report (its sealed link) and
		// staff chats are still served: a guesser's fresh chat is neither.
		trusted := t.person != nil && t.person.Role != ""
		if !trusted && r != nil {
			if trusted, err = t.tx.IsReporterChat(r.ID, t.chat.ID); err != nil {
				return err
			}
		}
		if !trusted {
			t.set(flowQuery, "code")
			return t.guessBusy(guessQuery)
		}
	}
	if r == nil {
		if err := t.codeFailed(guessQuery); err != nil {
			return err
		}
		t.sayCancel(t.tr("query.notfound"))
		t.set(flowQuery, "code")
		return nil
	}
	events, err := t.tx.ReportEvents(r.ID, true)
	if err != nil {
		return err
	}
	var lines []string
	for _, e := range events {
		label := t.tr("event." + e.Kind)
		if !i18n.Has("event." + e.Kind) {
			label = t.tr("event.other") // an internal kind: say only that work goes on
		}
		// The office's own words to the reporter: the result notice and an objection's answer.
		if (e.Kind == "result_notice" || e.Kind == "objection_answer") && e.Body != "" {
			label += "：" + e.Body
		}
		lines = append(lines, t.formatDate(e.CreatedAt)+"  "+label)
	}
	status := t.tr("status." + r.Status)
	if !i18n.Has("status." + r.Status) {
		status = t.tr("status.accepted")
	}
	// Questions relayed from the officials wait here for a reporter who kept no chat link.
	questions, err := t.tx.PendingQuestions(r.ID)
	if err != nil {
		return err
	}
	text := t.tr("query.status", status, t.formatDate(r.CreatedAt), strings.Join(lines, "\n"))
	var rows [][]store.Button
	for _, q := range questions {
		text += t.tr("lg.q.pending", q.Body)
		rows = append(rows, []store.Button{{Text: t.tr("lg.q.answer") + " · " + truncate(q.Body, 12), Data: NewAction(VerbLedger, "ans", q.ID).Data()}})
	}
	// Retaliation follow-ups asked and not answered, and the objection a closed report allows.
	more, duties, err := t.reporterLookup(r)
	if err != nil {
		return err
	}
	text += more
	rows = append(rows, duties...)
	if t.blocked {
		// Read only: a blocked chat sees the status, and adds nothing and answers nothing.
		t.reset()
		t.say(text)
		return nil
	}
	t.reset()
	t.st.ReportID = r.ID
	t.set(flowQuery, "shown")
	t.resident = true // the holder's own report, whatever role the chat holds
	t.sayCancel(text, append(rows, []store.Button{t.btn("query.add", AnswerAddInfo)})...)
	return nil
}

func (t *turn) queryStep() error {
	m := t.msg
	switch t.st.Step {
	case "code":
		if m.Data != "" || len(m.Files) > 0 {
			return t.expectQuery()
		}
		code, ok := store.NormalizeQueryCode(m.Text)
		if !ok {
			t.sayCancel(t.tr("query.bad"))
			return nil
		}
		return t.lookup(code)
	case "shown":
		if m.Data == AnswerAddInfo && t.st.ReportID != 0 {
			t.set(flowQuery, "add")
			t.say(t.tr("query.add.ask"), []store.Button{t.btn("done", "done")})
			return nil
		}
		// Anything else leaves the query: handle it as if no flow were open.
		t.reset()
		return t.runIdle()
	case "add":
		return t.supplement()
	}
	return fmt.Errorf("query: unknown step %q", t.st.Step)
}

func (t *turn) expectQuery() error {
	t.stalePress()
	t.sayCancel(t.tr("query.ask"))
	return nil
}

// supplement appends text and files to the report being followed.
func (t *turn) supplement() error {
	m := t.msg
	if m.Data == "done" {
		if t.st.Added == 0 {
			t.say(t.tr("query.add.none"), t.menu()...)
		} else {
			t.say(t.tr("query.add.done"), t.menu()...)
		}
		t.reset()
		return nil
	}
	if t.stalePress() {
		return nil
	}
	text := strings.TrimSpace(m.Text)
	if text == "" && len(m.Files) == 0 {
		t.say(t.tr("need.text"))
		return nil
	}
	n, err := t.tx.CountReportAttachments(t.st.ReportID)
	if err != nil {
		return err
	}
	var files []store.Attachment
	if len(m.Files) > 0 {
		// A report keeps at most MaxAttachments files in all, supplements included.
		existing := make([]store.Attachment, n)
		ok, err := t.addFiles(&existing, MaxAttachments)
		if err != nil || !ok {
			return err
		}
		files = existing[n:]
	}
	if _, err := t.tx.AddReportEvent(t.st.ReportID, "supplement", text, true, files); err != nil {
		return err
	}
	if err := t.clueSupplement(t.st.ReportID); err != nil {
		return err
	}
	t.st.Added++
	t.dirty = true
	t.say(t.tr("query.added", t.st.Added), []store.Button{t.btn("done", "done")})
	return nil
}

// runIdle handles a message as if the chat had no open flow.
func (t *turn) runIdle() error {
	m := t.msg
	if t.stalePress() {
		return nil
	}
	if code, ok := store.NormalizeQueryCode(m.Text); ok {
		return t.lookup(code)
	}
	if kw := keywordCommand(m.Text); kw != "" {
		return t.command(kw, "")
	}
	t.welcome()
	return nil
}
