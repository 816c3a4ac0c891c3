// Commands: one table for the menus, the parser and the dispatch.

package handlers

import (
	"strings"

	"xuncha/store"
)

// parseCommand splits "/query 1234" into ("query", "1234"). A command may follow other text
// ("投诉 /help") and carry a bot name ("/help@xuncha_bot").
func parseCommand(text string) (cmd, arg string, ok bool) {
	text = strings.TrimSpace(text)
	i := strings.Index(text, "/")
	if i < 0 {
		return "", "", false
	}
	if i > 0 && !strings.HasSuffix(text[:i], " ") && !strings.HasSuffix(text[:i], "\n") {
		return "", "", false // "a/b" is not a command
	}
	rest := text[i+1:]
	end := strings.IndexAny(rest, " \n\t")
	word := rest
	if end >= 0 {
		word, arg = rest[:end], strings.TrimSpace(rest[end+1:])
	}
	word, _, _ = strings.Cut(word, "@")
	if word == "" {
		return "", "", false
	}
	for _, r := range word {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_') {
			return "", "", false
		}
	}
	word = strings.ToLower(word)
	// After other text only a known command counts, so that "5000 /year" in a description
	// stays part of the description.
	if _, known := knownCommands[word]; i > 0 && !known {
		return "", "", false
	}
	return word, arg, true
}

// command is one slash command the engine answers. A new command is one row of
// commandTable: the menus, the parser and the dispatch all read it.
type command struct {
	name string
	// menu: shown in the platforms' command menus (its description is the text "cmd.<name>").
	menu bool
	// inGroup: answered in a group chat; every other command is refused there, since a
	// group is no place for a report or a ledger.
	inGroup bool
	run     func(t *turn, name, arg string) error
}

// commandTable lists the commands in menu order.
func commandTable() []command {
	ledger := func(t *turn, name, arg string) error { return t.ledgerCommand(name, arg) }
	rounds := func(t *turn, name, arg string) error { return t.roundsCommand(name, arg) }
	return []command{
		{"report", true, false, func(t *turn, _, _ string) error { return t.startReport() }},
		{"query", true, false, (*turn).queryCommand},
		{"checkin", true, false, func(t *turn, _, _ string) error { return t.staffOnly(t.startCheckin) }},
		{"tasks", true, false, func(t *turn, _, _ string) error { return t.staffOnly(t.listTasks) }},
		{"task", false, false, func(t *turn, _, arg string) error { return t.giveTask(arg) }},
		{"subscribe", true, false, func(t *turn, _, _ string) error { return t.startSubscribe() }},
		{"unsubscribe", true, false, func(t *turn, _, _ string) error { return t.startUnsubscribe() }},
		{"lang", true, true, (*turn).langCommand},
		{"help", true, true, func(t *turn, _, _ string) error { t.help(); return nil }},
		{"cancel", true, false, (*turn).cancelCommand},
		{"start", true, false, (*turn).startCommand},
		{"bind", false, false, (*turn).startCommand},
		{"ledger", true, false, ledger},
		{"clue", true, false, ledger},
		{"clues", true, false, ledger},
		{"newclue", true, false, ledger},
		{"stats", true, false, ledger},
		{"export", true, false, ledger},
		{"rounds", true, false, rounds},
		{"classify", true, false, rounds},
		{"briefing", true, false, rounds},
		{"briefings", true, false, rounds},
		{"meetings", true, false, rounds},
		{"rectify", true, false, rounds},
		{"suggest", true, false, rounds},
		{"talents", true, false, rounds},
		{"desk", true, false, (*turn).deskCommand},
	}
}

// Commands are the commands shown in platform menus, in order.
var Commands = func() []string {
	var names []string
	for _, c := range commandTable() {
		if c.menu {
			names = append(names, c.name)
		}
	}
	return names
}()

// knownCommands are the commands the engine answers, by name.
var knownCommands = func() map[string]command {
	m := map[string]command{}
	for _, c := range commandTable() {
		m[c.name] = c
	}
	return m
}()

// keywordCommand maps a few typed words to commands, for platforms without command menus.
func keywordCommand(text string) string {
	switch strings.ToLower(strings.TrimSpace(text)) {
	case "举报", "投诉", "我要举报", "report":
		return "report"
	case "查询", "查询进展", "query":
		return "query"
	case "帮助", "help", "菜单", "menu":
		return "help"
	case "取消", "cancel":
		return "cancel"
	case "订阅", "subscribe":
		return "subscribe"
	}
	return ""
}

// isStaff reports whether the sender is an information officer or a liaison.
func (t *turn) isStaff() bool {
	return t.person != nil && (t.person.Role == store.RoleOfficer || t.person.Role == store.RoleLiaison)
}

func (t *turn) command(cmd, arg string) error {
	c, ok := knownCommands[cmd]
	if t.msg.Group && !c.inGroup {
		if cmd == "start" || cmd == "bind" {
			t.say(t.tr("bind.group"))
		} else {
			t.say(t.tr("group.private"))
		}
		return nil
	}
	if !ok {
		t.say(t.tr("unknown.command"))
		return nil
	}
	return c.run(t, cmd, arg)
}

// startCommand is /start and /bind: with a code, it binds an invitation; without, it welcomes.
func (t *turn) startCommand(_, arg string) error {
	if arg != "" {
		return t.bind(arg)
	}
	t.welcome()
	return nil
}

func (t *turn) cancelCommand(_, _ string) error {
	if t.st.Flow == "" {
		t.say(t.tr("nothing"))
		return nil
	}
	var answering *ledgerDraft
	if t.st.Flow == flowLedger && t.st.Step == lgAnswer {
		answering = t.st.Ledger
	}
	t.reset()
	t.say(t.tr("cancelled"))
	// Not answering a question after all: back to the report it interrupted, if any.
	return t.resumeReport(answering)
}

// langCommand switches to the language named, or to the other one.
func (t *turn) langCommand(_, arg string) error {
	if arg == "" {
		arg = map[string]string{LangZH: LangEN, LangEN: LangZH}[t.lang]
	}
	return t.setLang(arg)
}

// queryCommand looks a code up at once when it came with the command, or asks for it.
func (t *turn) queryCommand(_, arg string) error {
	if arg != "" {
		code, ok := store.NormalizeQueryCode(arg)
		if !ok {
			t.say(t.tr("query.bad"))
			return nil
		}
		t.reset()
		return t.lookup(code)
	}
	t.set(flowQuery, "code")
	t.sayCancel(t.tr("query.ask"))
	return nil
}

// staffOnly runs fn for information officers and liaisons and refuses everyone else.
func (t *turn) staffOnly(fn func() error) error {
	if !t.isStaff() {
		t.say(t.tr("role.denied"))
		return nil
	}
	return fn()
}

func (t *turn) setLang(lang string) error {
	lang = NormalizeLang(lang)
	if lang == "" {
		lang = LangZH
	}
	if err := t.tx.SetChatLang(t.chat.ID, lang); err != nil {
		return err
	}
	t.lang = lang
	// The answer carries the menu in the new language: a bare "done" left the resident with
	// nothing to press.
	t.say(t.tr("lang.set"), t.menuResume()...)
	return nil
}

func (t *turn) menu() [][]store.Button {
	rows := [][]store.Button{
		{t.btn("menu.report", NewAction(VerbMenu, "report").Data()), t.btn("menu.query", NewAction(VerbMenu, "query").Data())},
		{t.btn("menu.subscribe", NewAction(VerbMenu, "subscribe").Data()), t.btn("menu.lang", NewAction(VerbMenu, "lang").Data())},
	}
	if t.isStaff() {
		rows = append(rows, []store.Button{t.btn("menu.checkin", NewAction(VerbMenu, "checkin").Data()), t.btn("menu.tasks", NewAction(VerbMenu, "tasks").Data())})
	}
	if t.can(PermDesk) {
		rows = append(rows, []store.Button{t.btn("menu.desk", NewAction(VerbMenu, "desk").Data())})
	}
	return rows
}

// welcome greets and shows the menu.
func (t *turn) welcome() {
	t.say(t.tr("welcome"), t.menuResume()...)
}

func (t *turn) help() {
	text := t.tr("help.resident")
	if t.isStaff() {
		text += t.tr("help.officer")
	}
	if t.person != nil && (t.person.Role == store.RoleOfficial || t.person.Role == store.RoleAdmin) {
		text += t.tr("help.official")
	}
	if t.isUnit() {
		text += t.tr("help.unit")
	}
	if t.can(PermDesk) {
		text += t.tr("help.desk")
	}
	if t.isOfficial() || t.isUnit() {
		text += t.tr("help.rounds")
	} else if t.role() == store.RoleLiaison {
		text += t.tr("help.rounds.liaison")
	}
	t.say(text, t.menu()...)
}
