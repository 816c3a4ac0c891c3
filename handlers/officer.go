package handlers

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"xuncha/store"
)

func (t *turn) startCheckin() error {
	t.reset()
	t.st.Checkin = &checkinDraft{}
	t.set(flowCheckin, "visitors")
	t.sayCancel(t.tr("ci.visitors"))
	return nil
}

func (t *turn) checkinStep() error {
	if !t.isStaff() || t.st.Checkin == nil {
		t.reset()
		t.say(t.tr("role.denied"))
		return nil
	}
	c := t.st.Checkin
	m := t.msg
	text := strings.TrimSpace(m.Text)
	t.dirty = true
	switch t.st.Step {
	case "visitors":
		n, err := strconv.Atoi(text)
		if m.Data != "" || err != nil || n < 0 || n > 100000 {
			t.sayCancel(t.tr("ci.visitors.bad"))
			return nil
		}
		c.Visitors = n
		t.set(flowCheckin, "kind")
		t.sayCancel(t.tr("ci.kind"), []store.Button{t.btn("ci.problems", AnswerProblems)}, []store.Button{t.btn("ci.zero", AnswerZeroReport)})
		return nil
	case "kind":
		switch m.Data {
		case AnswerZeroReport:
			c.Zero = true
			return t.checkinPhotoPrompt()
		case AnswerProblems:
			t.set(flowCheckin, "problem")
			t.sayCancel(t.tr("ci.problem", len(c.Problems)+1))
			return nil
		}
		return t.expectButton()
	case "problem":
		var files []store.Attachment
		if len(m.Files) > 0 {
			ok, err := t.addFiles(&files, MaxAttachments)
			if err != nil || !ok {
				return err
			}
		}
		if text == "" {
			if len(files) > 0 && len(c.Problems) > 0 {
				// Photos sent after the text belong to the problem just described.
				last := &c.Problems[len(c.Problems)-1]
				if len(last.Files)+len(files) <= MaxAttachments {
					last.Files = append(last.Files, files...)
					t.say(t.tr("file.added", len(last.Files)))
					return nil
				}
			}
			t.say(t.tr("need.text"))
			return nil
		}
		c.Problems = append(c.Problems, problem{Text: text, Files: files})
		t.set(flowCheckin, "more")
		t.say(t.tr("ci.more", len(c.Problems)), []store.Button{t.btn("ci.another", AnswerAnotherProblem), t.btn("done", "done")})
		return nil
	case "more":
		switch {
		case m.Data == AnswerAnotherProblem:
			t.set(flowCheckin, "problem")
			t.sayCancel(t.tr("ci.problem", len(c.Problems)+1))
			return nil
		case m.Data == "done":
			return t.checkinPhotoPrompt()
		case len(m.Files) > 0 && text == "":
			last := &c.Problems[len(c.Problems)-1]
			ok, err := t.addFiles(&last.Files, MaxAttachments)
			if err != nil || !ok {
				return err
			}
			t.say(t.tr("file.added", len(last.Files)), []store.Button{t.btn("ci.another", AnswerAnotherProblem), t.btn("done", "done")})
			return nil
		}
		return t.expectButton()
	case "photo":
		if len(m.Files) > 0 {
			var files []store.Attachment
			ok, err := t.addFiles(&files, 1)
			if err != nil || !ok {
				return err
			}
			c.Photo = files[0].SHA256
			t.say(t.tr("file.added", 1), []store.Button{t.btn("done", "done")})
			return nil
		}
		if m.Data == "done" {
			return t.submitCheckin()
		}
		return t.expectButton()
	}
	return fmt.Errorf("checkin: unknown step %q", t.st.Step)
}

func (t *turn) checkinPhotoPrompt() error {
	t.set(flowCheckin, "photo")
	t.sayCancel(t.tr("ci.photo"), []store.Button{t.btn("done", "done")})
	return nil
}

// submitCheckin stores the check-in and files each collected problem as a report on the
// residents' behalf, anonymous and with no link to any chat: the officer passes the query codes on.
func (t *turn) submitCheckin() error {
	c := t.st.Checkin
	p := t.person
	ci := &store.Checkin{PersonID: p.ID, TownshipID: p.TownshipID, VillageID: p.VillageID, Visitors: c.Visitors,
		Problems: len(c.Problems), Zero: c.Zero || len(c.Problems) == 0, SHA256: c.Photo}
	if err := t.tx.CreateCheckin(ci); err != nil {
		return err
	}
	var codes, shown []string
	for _, pr := range c.Problems {
		r := &store.Report{Category: "other", TownshipID: p.TownshipID, VillageID: p.VillageID, Description: pr.Text,
			Anonymous: true, FiledBy: p.ID, Source: store.SourceCheckin, Lang: t.lang}
		if _, ok := t.category("other"); !ok {
			r.Category = t.e.cfg.Categories[0].Key
		}
		code, err := t.tx.CreateReport(r, pr.Files)
		if err != nil {
			return err
		}
		if err := t.registerReportClue(r); err != nil {
			return err
		}
		shown = append(shown, store.FormatQueryCode(code))
		codes = append(codes, fmt.Sprintf("%d. %s — %s", len(codes)+1, shown[len(shown)-1], truncate(pr.Text, 20)))
		if err := t.notifyOfficials(r, len(pr.Files)); err != nil {
			return err
		}
	}
	what := t.tr("ci.stored.zero")
	if len(c.Problems) > 0 {
		what = t.tr("ci.stored.n", len(c.Problems))
	}
	text := t.tr("ci.stored", c.Visitors, what)
	if len(codes) > 0 {
		text += t.tr("ci.codes", strings.Join(codes, "\n"))
	}
	t.reset()
	t.sayCodes(text, shown, t.menu()...)
	return t.tx.Audit(p.ID, t.chat.Platform, "checkin.created", fmt.Sprintf("checkin:%d", ci.ID), "")
}

func (t *turn) listTasks() error {
	tasks, err := t.tx.TasksFor(t.person)
	if err != nil {
		return err
	}
	t.reset()
	if len(tasks) == 0 {
		t.say(t.tr("task.none"), t.menu()...)
		return nil
	}
	var rows [][]store.Button
	for _, tk := range tasks {
		label := truncate(tk.Title, 30) + " · " + t.tr("task.state."+tk.LastKind)
		// The due date on the list, so that an officer sees what is late without opening it.
		switch {
		case tk.DueAt.IsZero():
		case tk.LastKind != store.TaskDone && t.tx.Now().After(tk.DueAt):
			label += " · " + t.tr("task.list.late", t.formatDay(tk.DueAt))
		default:
			label += " · " + t.tr("task.list.due", t.formatDay(tk.DueAt))
		}
		rows = append(rows, []store.Button{{Text: label, Data: NewAction(VerbTask, tk.ID).Data()}})
	}
	t.set(flowTask, "list")
	t.sayCancel(t.tr("task.list"), rows...)
	return nil
}

func (t *turn) taskStep() error {
	if !t.isStaff() {
		t.reset()
		t.say(t.tr("role.denied"))
		return nil
	}
	m := t.msg
	text := strings.TrimSpace(m.Text)
	switch t.st.Step {
	case "list":
		id, ok := idFrom(m.Data, VerbTask)
		if !ok {
			return t.expectButton()
		}
		tk, err := t.tx.FindTaskFor(t.person, id)
		if ok, err := t.found(err, "task.gone"); !ok {
			return err
		}
		due := t.tr("task.nodue")
		if !tk.DueAt.IsZero() {
			due = t.formatDate(tk.DueAt)
		}
		t.st.TaskID = id
		t.set(flowTask, "act")
		t.sayCancel(t.tr("task.detail", tk.Title, tk.Body, due, t.tr("task.state."+tk.LastKind)),
			[]store.Button{t.btn("task.received", AnswerTaskReceived), t.btn("task.done", AnswerTaskDone)},
			[]store.Button{t.btn("task.help", AnswerTaskHelp)})
		return nil
	case "act":
		switch m.Data {
		case AnswerTaskReceived:
			if err := t.tx.ConfirmTask(t.st.TaskID, t.person.ID, store.TaskReceived, "", ""); err != nil {
				return err
			}
			t.reset()
			t.say(t.tr("task.ok.received"), t.menu()...)
			return nil
		case AnswerTaskDone:
			t.set(flowTask, "done")
			t.sayCancel(t.tr("task.ask.done"))
			return nil
		case AnswerTaskHelp:
			t.set(flowTask, "help")
			t.sayCancel(t.tr("task.ask.help"))
			return nil
		}
		return t.expectButton()
	case "done", "help":
		if len(m.Files) > 0 {
			t.st.Files = nil
			ok, err := t.addFiles(&t.st.Files, 1)
			if err != nil || !ok {
				return err
			}
			if text == "" {
				t.say(t.tr("task.photo.ok"))
				return nil
			}
		}
		if text == "" || m.Data != "" {
			return t.expectText()
		}
		var photo string
		if len(t.st.Files) > 0 {
			photo = t.st.Files[0].SHA256
		}
		kind := store.TaskDone
		if t.st.Step == "help" {
			kind = store.TaskHelp
		}
		if err := t.tx.ConfirmTask(t.st.TaskID, t.person.ID, kind, text, photo); err != nil {
			return err
		}
		if kind == store.TaskHelp {
			if err := t.askForHelp(t.st.TaskID, text); err != nil {
				return err
			}
		}
		t.reset()
		t.say(t.tr("task.ok."+kind), t.menu()...)
		return nil
	}
	return fmt.Errorf("task: unknown step %q", t.st.Step)
}

// expectText answers input that is not the text asked for; the question stays open.
func (t *turn) expectText() error {
	if !t.stalePress() {
		t.say(t.tr("need.text"))
	}
	return nil
}

// askForHelp passes an officer's request for help to the township's liaisons and officials.
func (t *turn) askForHelp(taskID int64, text string) error {
	tk, err := t.tx.FindTaskFor(t.person, taskID)
	if err != nil {
		return err
	}
	chats, err := t.tx.ChatsOfRoles(tk.TownshipID, store.RoleLiaison, store.RoleOfficial)
	if err != nil {
		return err
	}
	err = t.tellEach(t.notMine(chats), "", func(lang string) (store.OutMessage, error) {
		return store.OutMessage{Text: T(lang, "task.help.notice", tk.Title, text)}, nil
	})
	if err != nil {
		return err
	}
	return nil
}

// AssignTask stores a task (from the CLI) and notifies the officers and liaisons it
// concerns, each in their language, in the same transaction.
func (e *Engine) AssignTask(ctx context.Context, tk *store.Task) (notified int, err error) {
	err = e.store.Update(ctx, func(tx *store.Tx) error {
		notified, err = e.createTask(tx, tk, func(chat int64, msg store.OutMessage, key string) error {
			_, err := tx.Enqueue(chat, msg, key)
			return err
		})
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("assign task: %w", err)
	}
	return notified, nil
}

// createTask stores a task and hands each officer's and liaison's notice to send.
func (e *Engine) createTask(tx *store.Tx, tk *store.Task, send func(chat int64, msg store.OutMessage, key string) error) (int, error) {
	chats, err := tx.CreateTask(tk)
	if err != nil {
		return 0, err
	}
	for _, c := range chats {
		lang, err := tx.ChatLang(c)
		if err != nil {
			return 0, err
		}
		due := T(lang, "task.nodue")
		if !tk.DueAt.IsZero() {
			due = tk.DueAt.In(e.cfg.Location).Format("2006-01-02")
		}
		msg := store.OutMessage{Text: T(lang, "task.notice", tk.Title, tk.Body, due)}
		if err := send(c, msg, fmt.Sprintf("task:%d:notice:%d", tk.ID, c)); err != nil {
			return 0, err
		}
	}
	return len(chats), nil
}
