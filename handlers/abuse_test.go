package handlers_test

import (
	"database/sql"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"xuncha/handlers"
	"xuncha/handlers/media"
	"xuncha/internal/testclock"
	"xuncha/store"
)

// guessEngine is an engine on en's database with the given guess budget and a clock the test
// moves.
func (en *env) guessEngine(t *testing.T, budget handlers.GuessBudget) (*handlers.Engine, *testclock.Clock) {
	t.Helper()
	clk := testclock.New(time.Now())
	en.db.Now = clk.Now
	e := handlers.New(slog.New(slog.DiscardHandler), en.db, withCategories(t, handlers.Config{Scrub: media.Scrub, Location: time.UTC, Guess: budget}))
	return e, clk
}

// submitReport files an anonymous report that keeps its chat link and returns its query code.
func (en *env) submitReport(t *testing.T, e *handlers.Engine, chat string) string {
	t.Helper()
	en.toSummary(t, e, chat)
	code := codePattern.FindString(press(t, e, chat, "ok").text())
	if code == "" {
		t.Fatal("no query code")
	}
	return code
}

// TestGuessBudget: wrong query and invitation codes from fresh chats are charged to one global
// budget per kind; once it is spent a code is not checked, whoever sends it, except for the
// chat that filed the report and staff chats; a right code costs nothing.
func TestGuessBudget(t *testing.T) {
	en := newEnv(t)
	e, clk := en.guessEngine(t, handlers.GuessBudget{PerMinute: 60, Burst: 5})
	code := en.submitReport(t, e, "reporter")
	officer := "officer"
	en.bind(t, e, officer, store.RoleOfficer, en.township, en.village)
	attempts := func() int { return en.count(t, `SELECT COUNT(*) FROM code_attempts`) }

	// A right code costs nothing, however often it is asked.
	for i := range 10 {
		send(t, e, fmt.Sprintf("holder-%d", i), code).must(t, "举报状态")
	}
	// Five fresh chats, one wrong guess each: within the per-chat limit, and within the burst.
	for i := range 5 {
		send(t, e, fmt.Sprintf("guesser-%d", i), "/query 1111 2222 3333 4444").must(t, "没有找到")
	}
	if n := attempts(); n != 5 {
		t.Fatalf("code attempts: %d, want 5", n)
	}
	// The sixth fresh chat finds the budget spent: its guess is not checked, and neither is a
	// right code from a stranger, which gets the very same answer.
	busy := send(t, e, "guesser-5", "/query 1111 2222 3333 4445")
	busy.must(t, "此刻有太多查询码或邀请码在被尝试", "请过几分钟再试")
	busy.mustNot(t, "没有找到")
	right := send(t, e, "stranger", code)
	right.must(t, "此刻有太多查询码或邀请码在被尝试")
	right.mustNot(t, "举报状态")
	if n := attempts(); n != 5 {
		t.Errorf("code attempts after the budget was spent: %d, want 5 (nothing checked)", n)
	}
	// English, for a chat that chose it.
	send(t, e, "guesser-en", "/lang en")
	send(t, e, "guesser-en", "/query 1111 2222 3333 4446").must(t, "Too many codes are being tried right now", "try again in a few minutes")

	// The reporter's own chat (its sealed link) and a staff chat are still served.
	send(t, e, "reporter", code).must(t, "举报状态")
	send(t, e, officer, code).must(t, "举报状态")

	// A guess a second comes back: a right code uses none of it, so the wrong guess after
	// it is still checked; the one after that is not.
	clk.Add(time.Second)
	send(t, e, "late-holder", code).must(t, "举报状态")
	send(t, e, "guesser-6", "/query 1111 2222 3333 4447").must(t, "没有找到")
	send(t, e, "guesser-7", "/query 1111 2222 3333 4448").must(t, "此刻有太多")

	// Invitations have a budget of their own: the query codes' flood does not stop a binding.
	for i := range 5 {
		send(t, e, fmt.Sprintf("binder-%d", i), "/bind WRONGCODE0000000").must(t, "邀请码无效")
	}
	valid := en.invite(t, store.RoleOfficer, en.township, en.village)
	send(t, e, "new-officer", "/bind "+valid).must(t, "此刻有太多")
	clk.Add(time.Second)
	send(t, e, "new-officer", "/bind "+valid).must(t, "绑定成功")

	wantCount(t, en.count, 5, "guess.limited audit rows", `SELECT COUNT(*) FROM audit WHERE action = 'guess.limited' AND person_id IS NULL AND object = ''`)

	// Failed attempts are kept only for the per-chat window: a flood of fresh chats does not
	// grow the table for ever.
	clk.Add(16 * time.Minute)
	send(t, e, "guesser-8", "/query 1111 2222 3333 4449").must(t, "没有找到")
	if n := attempts(); n != 1 {
		t.Errorf("code attempts after the window: %d, want 1", n)
	}
}

// TestRefusalsSummarised: 3,000 wrong invitation codes from fresh chats write a bounded number
// of audit rows, and the window's summary counts every one of them.
func TestRefusalsSummarised(t *testing.T) {
	if testing.Short() {
		t.Skip("3,000 steps")
	}
	en := newEnv(t)
	// The highest budget the configuration allows, with the largest burst: most guesses are
	// checked and refused, the rest refused unchecked.
	e, clk := en.guessEngine(t, handlers.GuessBudget{PerMinute: handlers.MaxGuessPerMinute, Burst: 1000})
	const guesses = 3000
	for i := range guesses {
		r := send(t, e, fmt.Sprintf("fresh-%d", i), fmt.Sprintf("/bind WRONG%011d", i))
		if !strings.Contains(r.text(), "邀请码无效") && !strings.Contains(r.text(), "此刻有太多") {
			t.Fatalf("guess %d: %s", i, r.text())
		}
		clk.Add(time.Millisecond)
	}
	rows := en.count(t, `SELECT COUNT(*) FROM audit`)
	t.Logf("%d wrong invitation codes wrote %d audit rows", guesses, rows)
	if rows > 2*store.RefusalRows+2 {
		t.Fatalf("%d wrong codes wrote %d audit rows, want at most %d", guesses, rows, 2*store.RefusalRows+2)
	}
	// The window closes; the next step of anyone writes the summaries.
	clk.Add(store.RefusalWindow)
	send(t, e, "someone", "/help")
	summaries, err := en.raw.Query(`SELECT object, detail FROM audit WHERE action = 'abuse.summary' ORDER BY object`)
	if err != nil {
		t.Fatal(err)
	}
	defer summaries.Close()
	total := 0
	for summaries.Next() {
		var object, detail string
		if err := summaries.Scan(&object, &detail); err != nil {
			t.Fatal(err)
		}
		var suppressed, logged int
		if _, err := fmt.Sscanf(detail, "suppressed=%d logged=%d", &suppressed, &logged); err != nil {
			t.Fatalf("summary detail %q: %v", detail, err)
		}
		if object != "invitation.refused" && object != "guess.limited" {
			t.Errorf("summary of %s", object)
		}
		total += suppressed + logged
	}
	if total != guesses {
		t.Errorf("the summaries count %d refusals, want %d", total, guesses)
	}
	if n := en.count(t, `SELECT COUNT(*) FROM audit`); n > rows+2 {
		t.Errorf("audit rows after the window: %d", n)
	}
}

// TestStaffFloodLimit: an official working quickly through the ledger is never throttled; a
// resident sending as fast is.
func TestStaffFloodLimit(t *testing.T) {
	en := ltSetup(t)
	const official = "official-triage"
	en.bind(t, official, store.RoleOfficial, en.tw, 0, "")
	steps := []func() ltOut{
		func() ltOut { return en.send(t, official, "/ledger") },
		func() ltOut { return en.send(t, official, "/clue "+en.clueTw.Number) },
		func() ltOut { return en.press(t, official, open(en.clueOrg)) },
		func() ltOut { return en.press(t, official, "lg:l:due") },
	}
	answered := 0
	const n = 48
	for i := range n {
		o := steps[i%len(steps)]()
		if strings.Contains(o.text, "发送得太快") || strings.TrimSpace(o.text) == "" {
			t.Errorf("step %d of the official's triage was dropped: %q", i, o.text)
			continue
		}
		answered++
	}
	if answered != n {
		t.Fatalf("official's triage: %d of %d steps answered", answered, n)
	}

	const resident = "resident-flooder"
	dropped := 0
	for range n {
		o := en.send(t, resident, "/help")
		if !strings.Contains(o.text, "举报") {
			dropped++
		}
	}
	if dropped < n/3 {
		t.Errorf("a resident's flood: only %d of %d messages held back", dropped, n)
	}
}

// TestBlockReporter: an official blocks the chat behind a clue's report without learning which
// it is; the blocked chat's messages change nothing, it can still follow its report by code;
// a no-link report cannot be blocked; unblocking restores the chat.
func TestBlockReporter(t *testing.T) {
	en := ltSetup(t)
	const official, unit, reporter = "official-block", "unit-block", "block-reporter"
	en.bind(t, official, store.RoleOfficial, en.tw, 0, "")
	en.bind(t, unit, store.RoleUnit, 0, 0, "case1")

	// An anonymous report that keeps its chat link, and one that keeps none, each a clue.
	var linked, nolink *store.Clue
	var code string
	en.send(t, reporter, "/start")
	err := en.db.Update(t.Context(), func(tx *store.Tx) error {
		chat, err := tx.EnsureChat(handlers.PlatformWeb, reporter, "zh", false)
		if err != nil {
			return err
		}
		r := &store.Report{Category: "interests", TownshipID: en.tw, VillageID: en.village, Subject: "村主任",
			Description: "反复骚扰性举报", Lang: "zh", Anonymous: true, ReporterChat: chat.ID}
		if code, err = tx.CreateReport(r, nil); err != nil {
			return err
		}
		linked = &store.Clue{ReportID: r.ID, Subject: r.Subject, Summary: r.Description, TownshipID: en.tw}
		r2 := &store.Report{Category: "interests", TownshipID: en.tw, Subject: "会计", Description: "无链接举报", Lang: "zh", Anonymous: true}
		if _, err := tx.CreateReport(r2, nil); err != nil {
			return err
		}
		nolink = &store.Clue{ReportID: r2.ID, Subject: r2.Subject, Summary: r2.Description, TownshipID: en.tw}
		for _, c := range []*store.Clue{linked, nolink} {
			if _, err := tx.CreateClue(c); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	block, unblock := fmt.Sprintf("lg:bk:%d", linked.ID), fmt.Sprintf("lg:ub:%d", linked.ID)

	// The official's view offers both buttons; an inspection clue has none; a unit cannot.
	view := en.press(t, official, open(linked))
	if !view.has(block) || !view.has(unblock) || !strings.Contains(view.text, linked.Number) {
		t.Fatalf("the clue view lacks the block buttons: %+v", view.rows)
	}
	if en.press(t, official, open(en.clueOrg)).has(fmt.Sprintf("lg:bk:%d", en.clueOrg.ID)) {
		t.Error("an inspection clue offers to block a reporter")
	}
	en.mustRefuse(t, en.press(t, unit, fmt.Sprintf("lg:bk:%d", en.clueTw.ID)), "clue:"+en.clueTw.Number)
	en.mustRefuse(t, en.press(t, reporter, block), "clue:"+linked.Number)

	// A no-link report cannot be blocked.
	en.press(t, official, fmt.Sprintf("lg:bk:%d", nolink.ID)).mustHave(t, "没有保留联系渠道", "无法屏蔽")

	// Blocking asks for a reason, then confirms without a word about the chat.
	en.press(t, official, block).mustHave(t, "须说明理由")
	en.send(t, official, "骚扰").mustHave(t, "至少 4 个字")
	done := en.send(t, official, "连续多日发送辱骂信息")
	done.mustHave(t, "已屏蔽 "+linked.Number, "解除屏蔽")
	if strings.Contains(done.text, reporter) || len(done.others) != 0 {
		t.Errorf("blocking showed or told something about the chat: %+v", done)
	}
	wantCount(t, en.count, 1, "clue.block audit rows", `SELECT COUNT(*) FROM audit WHERE action = 'clue.block' AND object = ? AND detail = '连续多日发送辱骂信息' AND person_id IS NOT NULL`, "clue:"+linked.Number)

	// The blocked chat: a neutral answer, nothing stored.
	reports := en.count(t, `SELECT COUNT(*) FROM reports`)
	en.send(t, reporter, "/report").mustHave(t, "本渠道目前不再受理您发来的消息", "仍可输入查询码")
	en.press(t, reporter, "c:interests").mustHave(t, "不再受理")
	en.send(t, reporter, "/subscribe").mustHave(t, "不再受理")
	// Its own report, read only: the status, no button to add information.
	status := en.send(t, reporter, code)
	status.mustHave(t, "举报状态")
	if status.has("q:add") {
		t.Error("a blocked chat is offered to add information")
	}
	en.press(t, reporter, "q:add").mustHave(t, "不再受理")
	wantCount(t, en.count, reports, "a blocked chat changed the reports", `SELECT COUNT(*) FROM reports`)
	wantCount(t, en.count, 0, "a blocked chat added supplements", `SELECT COUNT(*) FROM report_events WHERE kind = 'supplement'`)
	wantCount(t, en.count, 0, "a blocked chat subscribed", `SELECT COUNT(*) FROM subscriptions`)
	en.send(t, reporter, "/lang en")
	en.send(t, reporter, "hello").mustHave(t, "This channel no longer takes your messages", "query code")
	en.send(t, reporter, "/lang zh")
	// Other residents are not affected.
	en.send(t, "another-resident", "/report").mustHave(t, "请选择问题类别")

	// Unblocking from the same clue restores the chat.
	en.press(t, official, unblock).mustHave(t, "不在屏蔽名单中")
	wantCount(t, en.count, 1, "clue.unblock audit rows", `SELECT COUNT(*) FROM audit WHERE action = 'clue.unblock' AND object = ?`, "clue:"+linked.Number)
	en.send(t, reporter, "/report").mustHave(t, "请选择问题类别")

	// English, for an official who chose it.
	en.send(t, official, "/lang en")
	en.press(t, official, fmt.Sprintf("lg:bk:%d", nolink.ID)).mustHave(t, "kept no link", "cannot be blocked")
	en.press(t, official, block).mustHave(t, "needs a reason")
	en.send(t, official, "abusive messages every day").mustHave(t, "is blocked", "Unblock")
	en.press(t, official, unblock).mustHave(t, "is not blocked now")
}

// count runs a COUNT query on a read-only connection to the database file.
func (en *ltEnv) count(t *testing.T, query string, args ...any) int {
	t.Helper()
	raw, err := sql.Open("sqlite", "file:"+en.path+"?mode=ro&_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var n int
	if err := raw.QueryRow(query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// mustHave fails unless the sender's text contains every want.
func (o ltOut) mustHave(t *testing.T, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(o.text, w) {
			t.Fatalf("want %q in: %s", w, o.text)
		}
	}
}
