package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"strings"
	"testing"
	"time"

	"xuncha/handlers"
	"xuncha/handlers/media"
	"xuncha/internal/docx/docxtest"
	"xuncha/internal/testclock"
	"xuncha/scheduler"
	"xuncha/store"
	"xuncha/store/storetest"
)

// roundWorld is one database on a virtual clock, with the engine and the scheduler on it:
// chat steps go through the engine, timed steps are the scheduler's job methods called with
// the clock's time, and administrators' steps go through the CLI (run) on the same file.
type roundWorld struct {
	t     *testing.T
	ctx   context.Context
	env   func(string) string
	db    *store.DB
	eng   *handlers.Engine
	sch   *scheduler.Scheduler
	loc   *time.Location
	clk   *testclock.Clock
	msgN  int
	chats map[string]int64 // external id → internal chat id
	seen  map[int64]int64  // internal chat id → last outbox id read
}

func (w *roundWorld) clock() time.Time { return w.clk.Now() }

// set moves the clock forward to t.
func (w *roundWorld) set(t time.Time) {
	now := w.clk.Now()
	if t.Before(now) {
		w.t.Fatalf("the clock goes forward only: %s before %s", t, now)
	}
	w.clk.Add(t.Sub(now))
}

// say sends text (or presses data) in a chat and returns the answers to the sender.
func (w *roundWorld) say(chat, text, data string) []handlers.Outgoing {
	w.t.Helper()
	w.msgN++
	res, err := w.eng.Handle(w.ctx, handlers.Message{Platform: handlers.PlatformWeb, ChatID: chat,
		MsgID: fmt.Sprintf("m%d", w.msgN), Text: text, Data: data})
	if err != nil {
		w.t.Fatalf("%s %q: %v", chat, text+data, err)
	}
	w.chats[chat] = res.ChatID
	var out []handlers.Outgoing
	for _, o := range res.Out {
		if o.ToSender {
			out = append(out, o)
		}
	}
	return out
}

// sendFile sends a file with a caption.
func (w *roundWorld) sendFile(chat, caption, name string, data []byte) []handlers.Outgoing {
	w.t.Helper()
	w.msgN++
	res, err := w.eng.Handle(w.ctx, handlers.Message{Platform: handlers.PlatformWeb, ChatID: chat,
		MsgID: fmt.Sprintf("m%d", w.msgN), Text: caption, Files: []handlers.File{{Name: name, Size: int64(len(data)), Data: data}}})
	if err != nil {
		w.t.Fatal(err)
	}
	return res.Out
}

// inbox returns what reached a chat since the last look, answers to its own messages included.
func (w *roundWorld) inbox(chat string) []store.Delivery {
	w.t.Helper()
	id := w.chats[chat]
	ds, err := w.db.Mailbox(w.ctx, id, w.seen[id], 1000)
	if err != nil {
		w.t.Fatal(err)
	}
	if len(ds) > 0 {
		w.seen[id] = ds[len(ds)-1].ID
	}
	return ds
}

func (w *roundWorld) job(name string, fn func(context.Context, time.Time) error) {
	w.t.Helper()
	if err := fn(w.ctx, w.clock()); err != nil {
		w.t.Fatalf("job %s: %v", name, err)
	}
}

// rounds runs the rounds job at the clock's time and returns what it sent chat: what chat had
// before is read first and left out.
func (w *roundWorld) rounds(chat string) string {
	w.t.Helper()
	w.inbox(chat)
	w.job("rounds", w.sch.Rounds)
	return inboxText(w.inbox(chat))
}

func outText(out []handlers.Outgoing) string {
	var s []string
	for _, o := range out {
		s = append(s, o.Text)
	}
	return strings.Join(s, "\n---\n")
}

func inboxText(ds []store.Delivery) string {
	var s []string
	for _, d := range ds {
		s = append(s, d.Message.Text)
	}
	return strings.Join(s, "\n---\n")
}

func wantIn(t *testing.T, got, want string) {
	t.Helper()
	if !strings.Contains(got, want) {
		t.Fatalf("want %q in:\n%s", want, got)
	}
}

func wantNotIn(t *testing.T, got, unwanted string) {
	t.Helper()
	if strings.Contains(got, unwanted) {
		t.Fatalf("did not want %q in:\n%s", unwanted, got)
	}
}

// press returns the data of the button whose text contains label, in answers or deliveries.
func press(t *testing.T, label string, out []handlers.Outgoing, ds ...store.Delivery) string {
	t.Helper()
	var rows [][]store.Button
	for _, o := range out {
		rows = append(rows, o.Buttons...)
	}
	for _, d := range ds {
		rows = append(rows, d.Message.Buttons...)
	}
	for _, row := range rows {
		for _, b := range row {
			if strings.Contains(b.Text, label) {
				return b.Data
			}
		}
	}
	t.Fatalf("no button %q in:\n%s%s", label, outText(out), inboxText(ds))
	return ""
}

func newRoundWorld(t *testing.T, start time.Time) *roundWorld {
	path, env := testDB(t)
	db := storetest.Open(t, path)
	sh, _ := time.LoadLocation("Asia/Shanghai")
	w := &roundWorld{t: t, ctx: t.Context(), env: env, db: db, loc: sh, clk: testclock.New(start),
		chats: map[string]int64{}, seen: map[int64]int64{}}
	db.Now = w.clock
	logger := slog.New(slog.NewJSONHandler(io.Discard, nil))
	cal, err := scheduler.NewCalendar(logger, sh, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	cats, err := handlers.LoadCategories("")
	if err != nil {
		t.Fatal(err)
	}
	w.eng = handlers.New(logger, db, handlers.Config{Location: sh, Calendar: cal, Categories: cats,
		Scrub: media.Scrub})
	if w.sch, err = scheduler.New(logger, db, cal, scheduler.Config{Location: sh}); err != nil {
		t.Fatal(err)
	}
	return w
}

// bind invites someone with a role and binds the chat.
func (w *roundWorld) bind(chat string, inv store.Invitation) int64 {
	w.t.Helper()
	inv.ExpiresAt = w.clock().AddDate(0, 3, 0)
	code, err := w.db.CreateInvitation(w.ctx, &inv)
	if err != nil {
		w.t.Fatal(err)
	}
	wantIn(w.t, outText(w.say(chat, "/bind "+code, "")), "绑定成功")
	var id int64
	if err := w.db.Update(w.ctx, func(tx *store.Tx) error {
		ps, err := tx.PeopleOfRole(inv.Role)
		if err == nil && len(ps) > 0 {
			id = ps[len(ps)-1].ID
		}
		return err
	}); err != nil {
		w.t.Fatal(err)
	}
	return id
}

func (w *roundWorld) townshipID(name string) int64 {
	id, _, err := w.db.FindPlaceByName(w.ctx, name, "")
	if err != nil {
		w.t.Fatal(err)
	}
	return id
}

// TestRoundEndToEnd runs one whole round on a virtual clock: the five steps of village
// classification (each refusing the roles that do not own it, one of them late and nudged),
// the round created from the CLI with its announcement, briefings requested (one late and
// nudged, the others answered in chat and collected per organisation), the mobilisation
// meeting's notice, reminder and confirmation, the announcement published, a resident's report
// routed to the group, the feedback meeting and its hand-over, rectification tasks with the
// guidance and templates, a plan submitted, a late task escalated, and a rectification
// suggestion to another department.
func TestRoundEndToEnd(t *testing.T) {
	sh, _ := time.LoadLocation("Asia/Shanghai")
	real := time.Now().In(sh)
	// Classification happens in the virtual past, so that the CLI steps (which run on the real
	// clock) meet the virtual clock at the moment the round is created.
	w := newRoundWorld(t, real.AddDate(0, 0, -40))
	xz := w.townshipID("新站镇")

	liaison := "liaison"
	w.bind(liaison, store.Invitation{Role: store.RoleLiaison, TownshipID: xz})
	w.bind("liaison-other", store.Invitation{Role: store.RoleLiaison, TownshipID: w.townshipID("天岗镇")})
	official := "official"
	officialID := w.bind(official, store.Invitation{Role: store.RoleOfficial})
	commission := "commission"
	w.bind(commission, store.Invitation{Role: store.RoleUnit, Unit: "市纪委监委第一纪检监察室"})
	orgDept := "orgdept"
	w.bind(orgDept, store.Invitation{Role: store.RoleUnit, Unit: "市委组织部"})
	audit := "audit"
	w.bind(audit, store.Invitation{Role: store.RoleUnit, Unit: "市审计局"})
	party := "party" // the inspected party organisation
	w.bind(party, store.Invitation{Role: store.RoleUnit, Unit: "新站镇党委"})
	admin := "admin"
	w.bind(admin, store.Invitation{Role: store.RoleAdmin})
	// The two bodies: the leading group adjusts (step 4), the city committee approves (step 5).
	leader, committee := "leader", "committee"
	w.bind(leader, store.Invitation{Role: store.RoleAdmin, Body: store.BodyLeadingGroup})
	invOut, _ := mustRun(t, w.env, "invite", "--role", "committee", "--note", "市委常委会")
	wantIn(t, invOut, "sits for the city committee (市委): classification step 5")
	wantIn(t, outText(w.say(committee, "/bind "+regexp.MustCompile(`/bind (\S+)`).FindStringSubmatch(invOut)[1], "")), "绑定成功")
	resident := "resident"
	w.say(resident, "/start", "")
	for _, c := range []string{liaison, "liaison-other", official, commission, orgDept, audit, party, admin} {
		w.inbox(c)
	}

	// --- village classification, five steps ---
	wantIn(t, outText(w.say(liaison, "/classify start 新站镇", "")), "仅限巡察工作人员")
	wantIn(t, outText(w.say(official, "/classify start 新站镇", "")), "已开始 新站镇 的村级分类")
	wantIn(t, inboxText(w.inbox(liaison)), "「乡镇初步提出」环节")
	if got := inboxText(w.inbox("liaison-other")); got != "" {
		t.Fatalf("another township's liaison was told: %s", got)
	}
	// Step 1 belongs to the township's liaison: everyone else is refused, with who owns it.
	wantIn(t, outText(w.say(official, "/classify 新站镇/向阳村 重点", "")), "第 1 步「乡镇初步提出」，这一步由巡察联络员办理；您的身份是巡察工作人员")
	wantIn(t, outText(w.say("liaison-other", "/classify 新站镇/向阳村 重点", "")), "由本乡镇的巡察联络员提出")
	wantIn(t, outText(w.say(resident, "/classify 新站镇/向阳村 重点", "")), "您的身份是群众")
	w.say(liaison, "/classify 东风村 一般 集体经济收入12万", "")
	out := w.say(liaison, "/classify 向阳村 重点 集体经济收入56万，信访较多", "")
	wantIn(t, outText(out), "向阳村 为重点村（乡镇初步提出）")
	out = w.say(liaison, "", press(t, "本环节完成", out))
	wantIn(t, outText(out), "下一步「巡察办实地调研」由巡察工作人员办理")
	wantIn(t, inboxText(w.inbox(official)), "「巡察办实地调研」环节")
	// Pressing the same button again cannot skip the next role's step.
	wantIn(t, outText(w.say(liaison, "", "rd:cl:1:1")), "已经提交")

	// Step 2: the inspection office.
	wantIn(t, outText(w.say(liaison, "/classify 向阳村 重点", "")), "第 2 步「巡察办实地调研」，这一步由巡察工作人员办理")
	out = w.say(official, "/classify 新站镇/向阳村 重点 实地调研：集体资产管理问题集中", "")
	w.say(official, "", press(t, "本环节完成", out))

	// Step 3: the departments; late, so the scheduler nudges them.
	wantIn(t, outText(w.say(admin, "/classify 新站镇/向阳村 重点", "")), "第 3 步「部门提出意见」，这一步由承办单位办理；您的身份是管理员")
	w.set(w.clock().AddDate(0, 0, 10))
	wantIn(t, w.rounds(commission), "【村级分类催办】新站镇 的村级分类「部门提出意见」环节已超过期限")
	if got := w.rounds(commission); got != "" { // a second run nudges no one twice
		t.Fatalf("nudged twice: %s", got)
	}
	out = w.say(commission, "/classify 新站镇/向阳村 重点 信访件反映集体资金问题", "")
	w.say(commission, "", press(t, "本环节完成", out))

	// Step 4: the leading group adjusts: 东风村 stays key. A plain administrator and the
	// committee are refused: the step is the leading group's.
	wantIn(t, outText(w.say(official, "/classify 新站镇/东风村 重点", "")), "第 4 步「领导小组调整」，这一步由巡察工作领导小组办理")
	wantIn(t, outText(w.say(commission, "/classify 新站镇/东风村 重点", "")), "第 4 步「领导小组调整」")
	wantIn(t, outText(w.say(admin, "/classify 新站镇/东风村 重点", "")), "这一步由巡察工作领导小组办理；您的身份是管理员")
	wantIn(t, outText(w.say(committee, "/classify 新站镇/东风村 重点", "")), "这一步由巡察工作领导小组办理；您的身份是市委")
	out = w.say(leader, "/classify 新站镇/东风村 重点 集体经济薄弱，维持重点村", "")
	w.say(leader, "", press(t, "本环节完成", out))

	// Step 5: the city committee approves; the leading group, which closed step 4, cannot.
	wantIn(t, outText(w.say(liaison, "/classify 向阳村 一般", "")), "第 5 步「市委审定」，这一步由市委办理；您的身份是巡察联络员")
	wantIn(t, outText(w.say(leader, "/classify 向阳村 一般", "")), "第 5 步「市委审定」，这一步由市委办理；您的身份是巡察工作领导小组")
	out = w.say(committee, "/classify", "")
	wantIn(t, outText(out), "东风村：重点村（领导小组调整）")
	wantIn(t, outText(w.say(committee, "", press(t, "本环节完成", out))), "新站镇 的村级分类已审定")
	hist, _ := mustRun(t, w.env, "classify", "show", "--township", "新站镇")
	for _, want := range []string{"东风村  general", "向阳村  key", "approved"} {
		wantIn(t, strings.Join(strings.Fields(hist), " "), strings.Join(strings.Fields(want), " "))
	}

	// --- the round, created from the CLI on the real clock ---
	w.set(real)
	from := real.AddDate(0, 0, 10)
	to := from.AddDate(0, 0, 40)
	day := func(t time.Time) string { return t.Format("2006-01-02") }
	body := writeFile(t, t.TempDir(), "ann.txt", []byte("市委第一巡察组进驻新站镇，受理反映新站镇党委及所辖村的问题。"))
	cli, _ := mustRun(t, w.env, "round", "create", "--name", "十五届市委第五轮巡察", "--from", day(from), "--to", day(to),
		"--group", "第一巡察组", "--org", "新站镇党委", "--township", "新站镇", "--announce-file", body, "--contact", "0432-0000000")
	wantIn(t, cli, "round 1 十五届市委第五轮巡察")
	wantIn(t, cli, "announcement 1 publishes at "+day(from)+"T08:30")
	mustRun(t, w.env, "round", "member", "--round", "1", "--group", "第一巡察组", "--person", fmt.Sprint(officialID))
	cli, _ = mustRun(t, w.env, "round", "show", "--round", "十五届市委第五轮巡察")
	// The mode comes from the approved class.
	wantIn(t, cli, "place 新站镇/向阳村 direct")
	wantIn(t, cli, "place 新站镇/东风村 direct")
	wantIn(t, cli, "place 新站镇/红旗村 together")
	wantIn(t, cli, "group 第一巡察组: 1 members")
	wantIn(t, outText(w.say(official, "/rounds", "")), "向阳村：直接巡村（重点村）")
	wantIn(t, outText(w.say(party, "/rounds", "")), "仅限巡察工作人员")
	wantIn(t, outText(w.say(admin, "/rounds 无此轮次", "")), "没有找到巡察轮次")
	wantIn(t, outText(w.say(admin, "/briefings 999", "")), "没有找到巡察轮次")

	// --- pre-inspection briefings ---
	mustRun(t, w.env, "briefing", "request", "--round", "1", "--unit", "case1", "--unit", "市委组织部", "--unit", "audit", "--days", "5")
	w.job("rounds", w.sch.Rounds)
	for _, c := range []string{commission, orgDept, audit} {
		wantIn(t, inboxText(w.inbox(c)), "【巡前通报】十五届市委第五轮巡察 即将开展")
	}
	wantIn(t, outText(w.say(official, "/briefing", "")), "巡前通报由被要求报送的部门")
	wantIn(t, outText(w.say(audit, "/briefings request 1 市审计局", "")), "仅限巡察工作人员或管理员")
	out = w.say(commission, "/briefing", "")
	out = w.say(commission, "", press(t, "新站镇党委", out))
	wantIn(t, outText(out), "请发送关于「新站镇党委」的情况")
	wantIn(t, outText(w.say(commission, "近三年收到反映新站镇党委的信访举报 7 件，其中集体资金 4 件。", "")), "已收到关于「新站镇党委」的情况")
	out = w.sendFile(commission, "", "信访件清单.txt", []byte("清单"))
	wantIn(t, outText(w.say(commission, "", press(t, "报送完毕", out))), "巡前通报已报送完毕")
	wantIn(t, inboxText(w.inbox(official)), "市纪委监委第一纪检监察室 已报送 十五届市委第五轮巡察 的巡前通报")
	// Another unit's request cannot be answered by pressing its button.
	wantIn(t, outText(w.say(orgDept, "", "rd:br:1:0")), "巡前通报由被要求报送的部门")
	out = w.say(orgDept, "/briefing", "")
	w.say(orgDept, "", press(t, "新站镇党委", out))
	out = w.say(orgDept, "班子成员近两年调整 3 人；选人用人无信访。", "")
	w.say(orgDept, "", press(t, "报送完毕", out))
	// The audit bureau misses the deadline: nudged, and the group told.
	w.inbox(official)
	w.set(w.clock().AddDate(0, 0, 8))
	w.job("rounds", w.sch.Rounds)
	wantIn(t, inboxText(w.inbox(audit)), "【巡前通报催报】")
	wantIn(t, inboxText(w.inbox(official)), "【巡前通报逾期】市审计局")
	if got := inboxText(w.inbox(commission)); strings.Contains(got, "催报") {
		t.Fatalf("a unit that answered was nudged: %s", got)
	}
	collected := w.say(official, "/briefings 1", "")
	if len(collected) != 2 || collected[1].File == nil || collected[1].File.Name != "附件1.txt" { // stored under a neutral name, as every upload
		t.Fatalf("the briefing's file does not follow the summary: %+v", collected)
	}
	got := outText(collected)
	wantIn(t, got, "■ 新站镇党委")
	wantIn(t, got, "市纪委监委第一纪检监察室：近三年收到反映新站镇党委的信访举报 7 件")
	wantIn(t, got, "［附件：附件1.txt］")
	wantIn(t, got, "市委组织部：班子成员近两年调整 3 人")
	wantIn(t, got, "市审计局：未报送完毕")

	// --- the mobilisation meeting ---
	cli, _ = mustRun(t, w.env, "meeting", "add", "--round", "1", "--kind", "mobilisation", "--at", day(from)+"T09:30",
		"--place", "新站镇政府三楼会议室", "--attendee", "official", "--attendee", "unit:新站镇党委", "--attendee", "unit:org")
	wantIn(t, cli, "3 attendees")
	w.job("rounds", w.sch.Rounds)
	notice := w.inbox(party)
	wantIn(t, inboxText(notice), "【会议通知】动员部署会\n十五届市委第五轮巡察")
	wantIn(t, outText(w.say(party, "", press(t, "确认参会", nil, notice...))), "已确认参加动员部署会")
	wantIn(t, outText(w.say(audit, "", press(t, "确认参会", nil, notice...))), "您不在这次会议的参会名单中")
	w.set(time.Date(from.Year(), from.Month(), from.Day(), 0, 0, 0, 0, sh).AddDate(0, 0, -1).Add(9 * time.Hour))
	wantIn(t, w.rounds(orgDept), "【会议提醒】明天召开动员部署会")

	// --- the announcement, published by the scheduler to the township's subscribers ---
	if err := w.db.Update(w.ctx, func(tx *store.Tx) error { return tx.Subscribe(w.chats[resident], xz, 0) }); err != nil {
		t.Fatal(err)
	}
	w.inbox(resident)
	w.set(time.Date(from.Year(), from.Month(), from.Day(), 8, 31, 0, 0, sh))
	w.job("announce", w.sch.Announce)
	wantIn(t, inboxText(w.inbox(resident)), "【巡察公告】十五届市委第五轮巡察")

	// --- a resident's report from a covered village reaches the group ---
	w.inbox(official)
	out = w.say(resident, "/report", "")
	out = w.say(resident, "", press(t, "侵害群众利益", out))
	out = w.say(resident, "", press(t, "新站镇", out))
	out = w.say(resident, "", press(t, "向阳村", out))
	w.say(resident, "村集体", "")
	out = w.say(resident, "村集体土地承包费去向不明，多年未公开。", "")
	if strings.Contains(outText(out), "什么时间") {
		out = w.say(resident, "", press(t, "不清楚", out))
	}
	wantIn(t, outText(out), "证据")
	out = w.say(resident, "", "done")
	out = w.say(resident, "", press(t, "匿名举报", out))
	out = w.say(resident, "", press(t, "保留", out))
	w.say(resident, "", press(t, "确认提交", out))
	wantIn(t, inboxText(w.inbox(official)), "【巡察组收到反映】本轮巡察范围内新登记线索 JH-")

	// --- the stage report meeting, scheduled in chat by the group ---
	stage := from.AddDate(0, 0, 20).Format("2006-01-02") + "T10:00"
	wantIn(t, outText(w.say(party, "/meetings add 1 汇报 "+stage+" 第一会议室 official", "")), "仅限巡察工作人员或管理员")
	w.inbox(admin)
	// The propaganda department has nobody bound: the sender and the office are told at once.
	out = w.say(official, "/meetings add 1 汇报 "+stage+" 第一会议室 official admin unit:propaganda", "")
	wantIn(t, outText(out), "已安排阶段汇报会")
	wantIn(t, outText(out), "以下单位没有绑定人员，会议通知无人接收（已告知巡察办）：市委宣传部")
	wantIn(t, inboxText(w.inbox(admin)), "【无人接收】阶段汇报会")
	w.job("rounds", w.sch.Rounds)
	wantIn(t, inboxText(w.inbox(admin)), "【会议通知】阶段汇报会")

	// --- the feedback meeting and the hand-over ---
	fb := to.AddDate(0, 0, 20)
	cli, _ = mustRun(t, w.env, "meeting", "add", "--round", "1", "--kind", "feedback", "--at", day(fb)+"T15:00",
		"--place", "市委第一会议室", "--attendee", "official", "--attendee", "unit:新站镇党委", "--attendee", "unit:propaganda")
	wantIn(t, cli, "warning: nobody of 市委宣传部 is bound")
	wantIn(t, inboxText(w.inbox(admin)), "【无人接收】反馈会")
	w.set(fb.AddDate(0, 0, -3))
	w.job("rounds", w.sch.Rounds)
	wantIn(t, inboxText(w.inbox(party)), "【会议通知】反馈会")
	w.set(time.Date(fb.Year(), fb.Month(), fb.Day(), 16, 0, 0, 0, sh))
	out = w.say(official, "/meetings", "")
	handover := press(t, "反馈意见已移交", out)
	wantIn(t, outText(w.say(party, "", handover)), "仅限巡察工作人员或管理员")
	w.inbox(commission)
	w.inbox(orgDept)
	wantIn(t, outText(w.say(official, "", handover)), "已移交纪委监委和组织部")
	wantIn(t, inboxText(w.inbox(commission)), "【巡察反馈移交】十五届市委第五轮巡察")
	wantIn(t, inboxText(w.inbox(orgDept)), "【巡察反馈移交】")
	wantIn(t, outText(w.say(official, "", handover)), "已经记录移交")
	cli, _ = mustRun(t, w.env, "meeting", "list")
	wantIn(t, cli, "feedback handed over")

	// --- rectification ---
	wantIn(t, outText(w.say(party, "/rectify add 1 新站镇党委 自己给自己派任务", "")), "仅限巡察工作人员或管理员")
	wantIn(t, outText(w.say(official, "/rectify add 1 新站镇党委 村集体资金管理不规范", "")), "已发出整改任务 #1 给 新站镇党委")
	w.say(official, "/rectify add 1 新站镇党委 村务公开不及时", "")
	w.inbox(party)
	w.job("rounds", w.sch.Rounds)
	guidance := w.inbox(party)
	wantIn(t, inboxText(guidance), "【整改任务】村集体资金管理不规范")
	files := 0
	for _, d := range guidance {
		if d.Message.File != nil {
			files++
			if _, data, err := w.db.OutboxFile(w.ctx, w.chats[party], d.ID); err != nil || !strings.Contains(docxtest.Document(t, data), "整改") {
				t.Fatalf("template %s: %v", d.Message.File.Name, err)
			}
		}
	}
	if files != 4 { // two templates for each of the two tasks
		t.Fatalf("%d template files sent, want 4", files)
	}
	out = w.say(party, "/rectify", "")
	plan := press(t, "提交整改方案", out)
	if plan != "rd:rp:1" {
		t.Fatalf("first task's plan button is %q", plan)
	}
	wantIn(t, outText(w.say(audit, "", plan)), "这项整改不属于您的单位")
	w.say(party, "", plan)
	w.inbox(official)
	wantIn(t, outText(w.sendFile(party, "整改方案见附件", "整改方案.md", []byte("# 整改方案"))), "整改方案已收到（#1）")
	wantIn(t, inboxText(w.inbox(official)), "【整改方案】新站镇党委 提交了「村集体资金管理不规范」的整改方案")
	out = w.say(official, "/rectify", "")
	w.say(official, "", press(t, "记录实地督导", out))
	wantIn(t, outText(w.say(official, "到向阳村查看账目公开栏，已按方案张贴。", "")), "实地督导已记录")
	// Task 2 has no plan when its plan deadline passes: escalated, once.
	w.set(w.clock().AddDate(0, 0, 16))
	esc := w.rounds(admin)
	wantIn(t, esc, "【整改提级督办】")
	wantIn(t, esc, "「村务公开不及时」逾期未完成")
	wantNotIn(t, esc, "村集体资金管理不规范")
	if got := w.rounds(admin); got != "" {
		t.Fatalf("escalated twice: %s", got)
	}
	cli, _ = mustRun(t, w.env, "rectify", "list")
	wantIn(t, cli, "plan,visit")

	// --- a rectification suggestion to another department ---
	wantIn(t, outText(w.say(orgDept, "/suggest 1 市委组织部 村干部队伍建设薄弱", "")), "仅限巡察工作人员或管理员")
	wantIn(t, outText(w.say(official, "/suggest 1 org 村干部队伍建设薄弱", "")), "已发出整改建议书 #3 给 市委组织部")
	wantIn(t, w.rounds(orgDept), "【整改建议书】村干部队伍建设薄弱")
	out = w.say(orgDept, "/rectify", "")
	w.say(orgDept, "", press(t, "报送整改进展", out))
	wantIn(t, outText(w.say(orgDept, "已对 3 个村班子开展专题培训。", "")), "整改进展已收到（#3）")

	// --- the talent pool ---
	mustRun(t, w.env, "talent", "add", "--name", "张审计", "--field", "财务审计", "--unit", "市审计局")
	mustRun(t, w.env, "talent", "add", "--name", "李农经", "--field", "农业农村", "--unit", "市农业农村局")
	mustRun(t, w.env, "talent", "assign", "--talent", "1", "--round", "1", "--group", "第一巡察组")
	cli, _ = mustRun(t, w.env, "talent", "list", "--on", day(from.AddDate(0, 0, 1)), "--free")
	wantNotIn(t, cli, "张审计")
	wantIn(t, cli, "李农经")
	wantIn(t, outText(w.say(official, "/talents 财务审计", "")), "张审计 · 财务审计 · 市审计局")
	wantIn(t, outText(w.say(party, "/talents", "")), "仅限巡察工作人员或管理员")
}
