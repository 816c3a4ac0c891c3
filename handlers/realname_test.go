package handlers_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"xuncha/handlers"
	"xuncha/scheduler"
	"xuncha/store"
)

// rnEnv is the ledger's test env on a virtual clock, with the scheduler on the same store and
// clock: the chat and the timed jobs run as they do in serve, minus the wall clock.
type rnEnv struct {
	*ltEnv
	now   atomic.Int64
	sched *scheduler.Scheduler
}

func rnSetup(t *testing.T, start time.Time) *rnEnv {
	t.Helper()
	en := &rnEnv{ltEnv: ltSetup(t)}
	en.now.Store(start.Unix())
	en.db.Now = func() time.Time { return time.Unix(en.now.Load(), 0).UTC() }
	log := slog.New(slog.DiscardHandler)
	cal, err := scheduler.NewCalendar(log, time.UTC, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	en.sched, err = scheduler.New(log, en.db, cal, scheduler.Config{Location: time.UTC})
	if err != nil {
		t.Fatal(err)
	}
	return en
}

// at sets the virtual clock.
func (en *rnEnv) at(t time.Time) { en.now.Store(t.Unix()) }

// duties runs the real-name duties job at the virtual clock's time.
func (en *rnEnv) duties(t *testing.T, now time.Time) {
	t.Helper()
	en.at(now)
	if err := en.sched.Jobs()[scheduler.JobDuties](context.Background(), now); err != nil {
		t.Fatalf("duties at %s: %v", now, err)
	}
}

// chatID returns the store's id of a web chat.
func (en *rnEnv) chatID(t *testing.T, chat string) int64 {
	t.Helper()
	var id int64
	err := en.db.Update(context.Background(), func(tx *store.Tx) error {
		c, err := tx.EnsureChat(handlers.PlatformWeb, chat, "zh", false)
		id = c.ID
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// mailbox returns the texts queued for a web chat, oldest first, with their buttons' data.
func (en *rnEnv) mailbox(t *testing.T, chat string) []store.OutMessage {
	t.Helper()
	d, err := en.db.Mailbox(context.Background(), en.chatID(t, chat), 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var out []store.OutMessage
	for _, m := range d {
		out = append(out, m.Message)
	}
	return out
}

// containing returns the messages whose text holds s.
func containing(ms []store.OutMessage, s string) []store.OutMessage {
	var out []store.OutMessage
	for _, m := range ms {
		if strings.Contains(m.Text, s) {
			out = append(out, m)
		}
	}
	return out
}

func buttonData(m store.OutMessage) []string {
	var out []string
	for _, r := range m.Buttons {
		for _, b := range r {
			out = append(out, b.Data)
		}
	}
	return out
}

func (en *rnEnv) audits(t *testing.T, action string) []store.AuditEntry {
	t.Helper()
	e, err := en.db.AuditEntries(context.Background(), store.AuditFilter{Action: action, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// closeClue closes clue c from the card as chat.
func (en *rnEnv) closeClue(t *testing.T, chat string, c *store.Clue) ltOut {
	t.Helper()
	en.press(t, chat, fmt.Sprintf("lg:cl:%d", c.ID))
	return en.press(t, chat, fmt.Sprintf("lg:cy:%d", c.ID))
}

// TestResultNotice: closing a real-name clue owes its reporter the result within 15 working
// days; the card says so with a button, the keeper is nudged 3 working days before and once
// late (once each, however often the job runs), the notice goes to the reporter through the
// relay with the way to object, the card and timeline record it, and the nudges stop.
func TestResultNotice(t *testing.T) {
	en := rnSetup(t, time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)) // Monday
	en.bind(t, "town", store.RoleOfficial, en.tw, 0, "")
	en.bind(t, "unit", store.RoleUnit, 0, 0, "case1")
	c := en.clueTw

	en.mustAllow(t, en.closeClue(t, "town", c), "15 个工作日内向举报人告知办理结果")
	card := en.press(t, "town", open(c))
	if !strings.Contains(card.text, "结果告知：应于 2026-03-23 前告知举报人（尚未告知）") || !card.has(fmt.Sprintf("lg:rn:%d", c.ID)) {
		t.Fatalf("card without the result notice owed: %s", card.text)
	}
	if !strings.Contains(card.text, "打击报复回访：30天 （2026-04-01）；90天 （2026-05-31）；180天 （2026-08-29）") {
		t.Errorf("card without the follow-ups: %s", card.text)
	}
	// A unit member can neither send it nor see the button.
	if card := en.press(t, "unit", open(c)); card.has(fmt.Sprintf("lg:rn:%d", c.ID)) {
		t.Errorf("a unit member is offered the result notice")
	}
	en.mustRefuse(t, en.press(t, "unit", fmt.Sprintf("lg:rn:%d", c.ID)), "clue:"+c.Number)

	// Deadline Mar 23: nothing before Mar 18, the warning on Mar 18, the late notice on Mar 24.
	for _, day := range []int{3, 10, 17} {
		en.duties(t, time.Date(2026, 3, day, 9, 5, 0, 0, time.UTC))
	}
	if m := containing(en.mailbox(t, "town"), "【结果告知"); len(m) != 0 {
		t.Fatalf("nudged too early: %+v", m)
	}
	for range 3 {
		en.duties(t, time.Date(2026, 3, 18, 9, 5, 0, 0, time.UTC))
	}
	warn := containing(en.mailbox(t, "town"), "【结果告知提醒】"+c.Number)
	if len(warn) != 1 || !strings.Contains(warn[0].Text, "应于 2026-03-23 前") || buttonData(warn[0])[0] != open(c) {
		t.Fatalf("warning: %+v", warn)
	}
	en.duties(t, time.Date(2026, 3, 24, 9, 5, 0, 0, time.UTC))
	en.duties(t, time.Date(2026, 3, 24, 15, 0, 0, 0, time.UTC))
	if late := containing(en.mailbox(t, "town"), "【结果告知逾期】"+c.Number); len(late) != 1 {
		t.Fatalf("late notices: %+v", late)
	}
	if card := en.press(t, "town", open(c)); !strings.Contains(card.text, "（尚未告知）\n⚠️ 已超期") {
		t.Errorf("overdue result notice not shown: %s", card.text)
	}

	// Sent from the card: to the reporter through the relay, with the objection button.
	en.press(t, "town", fmt.Sprintf("lg:rn:%d", c.ID))
	o := en.send(t, "town", "经核查，反映问题部分属实，已责令退还截留的补贴。")
	en.mustAllow(t, o, "已转达举报人")
	reporter := containing(en.mailbox(t, en.reporter), "【结果告知】")
	if len(reporter) != 1 || !strings.Contains(reporter[0].Text, "已责令退还截留的补贴") ||
		buttonData(reporter[0])[0] != fmt.Sprintf("lg:ob:%d", c.ID) {
		t.Fatalf("reporter's notice: %+v", reporter)
	}
	if strings.Contains(o.text, en.reporter) {
		t.Errorf("the official's answer names the reporter's chat")
	}
	card = en.press(t, "town", open(c))
	if !strings.Contains(card.text, "结果告知：已于 2026-03-24 告知举报人") || !strings.Contains(card.text, "结果告知：经核查") ||
		card.has(fmt.Sprintf("lg:rn:%d", c.ID)) {
		t.Errorf("card after the notice: %s", card.text)
	}
	en.send(t, "town", "/lang en")
	if card := en.press(t, "town", open(c)); !strings.Contains(card.text, "Result notice: sent to the reporter on 2026-03-24") ||
		!strings.Contains(card.text, "result notice sent: ") || !strings.Contains(card.text, "Retaliation follow-ups: 30 days (2026-04-01); 90 days") {
		t.Errorf("English card: %s", card.text)
	}
	if n := len(en.audits(t, "clue.result_notice")); n != 1 {
		t.Errorf("audit clue.result_notice: %d", n)
	}
	// Sent: no more nudges.
	before := len(en.mailbox(t, "town"))
	en.duties(t, time.Date(2026, 3, 31, 9, 5, 0, 0, time.UTC))
	en.duties(t, time.Date(2026, 4, 8, 9, 5, 0, 0, time.UTC))
	if after := len(containing(en.mailbox(t, "town"), "【结果告知")); after != 2 || len(en.mailbox(t, "town")) != before {
		t.Errorf("nudged after the notice was sent: %d", after)
	}
}

// TestNotAccepted: not accepting a report (不予受理) takes a written reason, closes the clue
// with that disposal, tells the reporter in fixed words (never the reason) with the way to
// object, owes no result notice (they were told) but plans the follow-ups; a unit cannot, and
// a clue the inspection found has no reporter to tell.
func TestNotAccepted(t *testing.T) {
	en := rnSetup(t, time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	en.bind(t, "town", store.RoleOfficial, en.tw, 0, "")
	en.bind(t, "unit", store.RoleUnit, 0, 0, "case1")
	c := en.clueTw
	if card := en.press(t, "town", open(c)); !card.has(fmt.Sprintf("lg:na:%d", c.ID)) {
		t.Fatalf("no 不予受理 button: %v", card.rows)
	}
	en.mustRefuse(t, en.press(t, "unit", fmt.Sprintf("lg:na:%d", c.ID)), "clue:"+c.Number)
	en.mustAllow(t, en.press(t, "town", fmt.Sprintf("lg:na:%d", en.clueOrg.ID)), "只有来自举报的线索")

	en.press(t, "town", fmt.Sprintf("lg:na:%d", c.ID))
	en.mustAllow(t, en.send(t, "town", "短"), "至少 4 个字")
	const reason = "属于民事纠纷，已告知其向法院起诉"
	en.mustAllow(t, en.send(t, "town", reason), "已不予受理并办结销号")
	got := en.findClue(t, c.ID)
	if got.Status != store.ClueClosed || got.Disposal != handlers.DisposalNotAccepted || got.ClosedAt.IsZero() {
		t.Errorf("clue after not accepting: %+v", got)
	}
	told := containing(en.mailbox(t, en.reporter), "【受理告知】")
	if len(told) != 1 || strings.Contains(told[0].Text, reason) || buttonData(told[0])[0] != fmt.Sprintf("lg:ob:%d", c.ID) {
		t.Fatalf("reporter's notice: %+v", told)
	}
	card := en.press(t, "town", open(c))
	if !strings.Contains(card.text, "处置") && !strings.Contains(card.text, "不予受理") {
		t.Errorf("card: %s", card.text)
	}
	if !strings.Contains(card.text, "不予受理："+reason) || strings.Contains(card.text, "结果告知：应于") ||
		!strings.Contains(card.text, "打击报复回访") || card.has(fmt.Sprintf("lg:na:%d", c.ID)) {
		t.Errorf("card after not accepting: %s", card.text)
	}
	if e := en.audits(t, "clue.not_accepted"); len(e) != 1 || e[0].Detail != reason {
		t.Errorf("audit: %+v", e)
	}
	// The report's status is what the query code shows; the acceptance deadline counts it told.
	wantCount(t, en.count, 1, "report status not set", `SELECT COUNT(*) FROM reports WHERE id = ? AND status = 'not_accepted'`, c.ReportID)
	// Twice: refused as already closed.
	en.mustAllow(t, en.press(t, "town", fmt.Sprintf("lg:na:%d", c.ID)), "已经办结")
}

// TestObjection: the reporter objects from the notice's button (only the reporter can), the
// keeper is told at once and nudged every 5 working days until the office answers from the
// card; the answer reaches the reporter through the relay; both are in the timeline.
func TestObjection(t *testing.T) {
	en := rnSetup(t, time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	en.bind(t, "town", store.RoleOfficial, en.tw, 0, "")
	c := en.clueTw
	// Not yet closed: nothing to object to.
	en.mustAllow(t, en.press(t, en.reporter, fmt.Sprintf("lg:ob:%d", c.ID)), "办结后可提出异议")
	en.press(t, "town", fmt.Sprintf("lg:na:%d", c.ID))
	en.send(t, "town", "不属于本机关管辖范围")

	// A stranger's press shows nothing and is logged as a refusal.
	if o := en.press(t, "stranger", fmt.Sprintf("lg:ob:%d", c.ID)); !strings.Contains(o.text, "已失效") {
		t.Errorf("a stranger may object: %s", o.text)
	}
	wantCount(t, en.count, 1, "stranger's refusal not logged", `SELECT COUNT(*) FROM audit WHERE action = 'relay.refused' AND object = ?`, fmt.Sprintf("objection:%d", c.ID))
	en.at(time.Date(2026, 3, 3, 10, 0, 0, 0, time.UTC))
	en.mustAllow(t, en.press(t, en.reporter, fmt.Sprintf("lg:ob:%d", c.ID)), "请写明您对办理结果的异议")
	o := en.send(t, en.reporter, "我反映的是村干部截留补贴，不是民事纠纷")
	if !strings.Contains(o.text, "您的异议已记录") || len(o.others) != 1 || !strings.Contains(o.others[0].Text, "【举报人异议】线索 "+c.Number) {
		t.Fatalf("objection: %s / %+v", o.text, o.others)
	}
	card := en.press(t, "town", open(c))
	answer := fmt.Sprintf("lg:oa:%d:", c.ID)
	var oa string
	for _, r := range card.rows {
		for _, b := range r {
			if strings.HasPrefix(b.Data, answer) {
				oa = b.Data
			}
		}
	}
	if oa == "" || !strings.Contains(card.text, "异议 1（2026-03-03）：我反映的是村干部截留补贴") || !strings.Contains(card.text, "待答复") ||
		!strings.Contains(card.text, "举报人提出异议：") {
		t.Fatalf("card with the objection: %s %v", card.text, card.rows)
	}
	// Nudged on the 5th working day after it was raised (Mar 10), and the 5th after that.
	en.duties(t, time.Date(2026, 3, 9, 9, 5, 0, 0, time.UTC))
	en.duties(t, time.Date(2026, 3, 10, 9, 5, 0, 0, time.UTC))
	en.duties(t, time.Date(2026, 3, 10, 16, 0, 0, 0, time.UTC))
	en.duties(t, time.Date(2026, 3, 17, 9, 5, 0, 0, time.UTC))
	if n := len(containing(en.mailbox(t, "town"), "【异议待答复】线索 "+c.Number)); n != 2 {
		t.Fatalf("nudges: %d", n)
	}
	en.bind(t, "unit", store.RoleUnit, 0, 0, "case1")
	en.mustRefuse(t, en.press(t, "unit", oa), "clue:"+c.Number)
	en.mustAllow(t, en.press(t, "town", oa), "请写明对线索 "+c.Number+" 举报人异议的答复")
	en.mustAllow(t, en.send(t, "town", "经复核，已重新登记受理，将另行告知结果。"), "已转达")
	if m := containing(en.mailbox(t, en.reporter), "【异议答复】"); len(m) != 1 || !strings.Contains(m[0].Text, "经复核") {
		t.Fatalf("reporter's answer: %+v", m)
	}
	en.mustAllow(t, en.press(t, "town", oa), "该异议已答复")
	en.duties(t, time.Date(2026, 3, 24, 9, 5, 0, 0, time.UTC))
	if n := len(containing(en.mailbox(t, "town"), "【异议待答复】")); n != 2 {
		t.Errorf("nudged after the answer: %d", n)
	}
	card = en.press(t, "town", open(c))
	if !strings.Contains(card.text, "已于 2026-03-17 答复") || !strings.Contains(card.text, "答复异议：1 · 经复核") {
		t.Errorf("card after the answer: %s", card.text)
	}
	for _, a := range []string{"clue.objection", "clue.objection_answer"} {
		if n := len(en.audits(t, a)); n != 1 {
			t.Errorf("audit %s: %d", a, n)
		}
	}
}

// TestRetaliationFollowUp: 30, 90 and 180 days after a real-name case closes the reporter is
// asked, through the relay and once each, whether they met retaliation. "No" is recorded; "yes"
// becomes at once a new real-name clue by the same reporter, linked to the old one, flagged to
// the office, whose details the reporter adds; a stranger cannot answer.
func TestRetaliationFollowUp(t *testing.T) {
	en := rnSetup(t, time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	en.bind(t, "town", store.RoleOfficial, en.tw, 0, "")
	c := en.clueTw
	en.closeClue(t, "town", c)
	asked := func() []store.OutMessage { return containing(en.mailbox(t, en.reporter), "【回访】") }

	en.duties(t, time.Date(2026, 3, 31, 9, 5, 0, 0, time.UTC))
	if n := len(asked()); n != 0 {
		t.Fatalf("asked before 30 days: %d", n)
	}
	for range 2 {
		en.duties(t, time.Date(2026, 4, 1, 9, 5, 0, 0, time.UTC))
	}
	q := asked()
	if len(q) != 1 || !strings.Contains(q[0].Text, "已办结 30 天") || len(buttonData(q[0])) != 2 {
		t.Fatalf("30-day follow-up: %+v", q)
	}
	no, yes := buttonData(q[0])[0], buttonData(q[0])[1]
	if o := en.press(t, "stranger", no); !strings.Contains(o.text, "已失效") {
		t.Errorf("a stranger answered: %s", o.text)
	}
	en.at(time.Date(2026, 4, 1, 12, 0, 0, 0, time.UTC))
	if o := en.press(t, en.reporter, no); !strings.Contains(o.text, "感谢您的答复") {
		t.Fatalf("no: %s", o.text)
	}
	if o := en.press(t, en.reporter, yes); !strings.Contains(o.text, "您已回答过") {
		t.Errorf("answered twice: %s", o.text)
	}

	// 90 days: May 31 (a Sunday: the reporter is asked on the day).
	en.duties(t, time.Date(2026, 5, 31, 9, 5, 0, 0, time.UTC))
	q = asked()
	if len(q) != 2 || !strings.Contains(q[1].Text, "已办结 90 天") {
		t.Fatalf("90-day follow-up: %+v", q)
	}
	en.at(time.Date(2026, 6, 1, 8, 0, 0, 0, time.UTC))
	o := en.press(t, en.reporter, buttonData(q[1])[1])
	if !strings.Contains(o.text, "已作为新线索登记") || !codePattern.MatchString(o.text) {
		t.Fatalf("yes: %s", o.text)
	}
	var flagged bool
	for _, m := range o.others {
		flagged = flagged || strings.Contains(m.Text, "【疑似打击报复】线索 "+c.Number)
	}
	if !flagged {
		t.Errorf("the office was not flagged: %+v", o.others)
	}
	// The details go to the new report, as a supplement.
	en.send(t, en.reporter, "5月20日村主任在村民大会上点名批评我，取消了我家的低保。")
	en.press(t, en.reporter, "done")
	newID := int64(en.count(t, `SELECT IFNULL(MAX(clue_id), 0) FROM clue_links WHERE other_id = ?`, c.ID))
	if newID == 0 {
		t.Fatal("no linked clue")
	}
	nc := en.findClue(t, newID)
	if !nc.Named || nc.Source != store.ClueFromReport || nc.KeeperID != en.findClue(t, c.ID).KeeperID {
		t.Errorf("new clue: %+v", nc)
	}
	card := en.press(t, "town", open(nc))
	if !strings.Contains(card.text, "打击报复线索，源自回访："+c.Number) || !strings.Contains(card.text, c.Number) ||
		!strings.Contains(card.text, "举报人补充材料") {
		t.Errorf("new clue's card: %s", card.text)
	}
	card = en.press(t, "town", open(c))
	if !strings.Contains(card.text, "30天 未遭受；90天 ⚠️ 反映遭受；180天 （2026-08-29）") ||
		!strings.Contains(card.text, "回访答复：反映遭受打击报复：办结后第 90 天 → "+nc.Number) {
		t.Errorf("old clue's card: %s", card.text)
	}
	// The new clue reaches the same reporter: an official's question is relayed to their chat.
	en.press(t, "town", fmt.Sprintf("lg:ask:%d", nc.ID))
	en.send(t, "town", "请问批评您的会议有哪些人在场？")
	if m := containing(en.mailbox(t, en.reporter), "有哪些人在场"); len(m) != 1 {
		t.Errorf("the new clue does not reach the reporter: %d", len(m))
	}
	if n := len(en.audits(t, "clue.followup")); n != 2 {
		t.Errorf("audit clue.followup: %d", n)
	}

	// 180 days: Aug 29.
	en.duties(t, time.Date(2026, 8, 29, 9, 5, 0, 0, time.UTC))
	en.duties(t, time.Date(2026, 9, 1, 9, 5, 0, 0, time.UTC))
	if q := asked(); len(q) != 3 || !strings.Contains(q[2].Text, "已办结 180 天") {
		t.Fatalf("180-day follow-up: %d", len(q))
	}
}
