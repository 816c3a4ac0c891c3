package handlers_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"xuncha/handlers"
	"xuncha/store"
)

func TestInvitations(t *testing.T) {
	en, e := newEngine(t)

	t.Run("OnceOnly", func(t *testing.T) {
		code := en.invite(t, store.RoleOfficer, en.township, en.village)
		r := send(t, e, "inv-a", "/bind "+code)
		r.must(t, "绑定成功", "巡察监督信息员", "新站镇 东风村")
		r.button(t, "menu:checkin") // officers get their menu at once
		send(t, e, "inv-b", "/bind "+code).must(t, "已经使用过")
		send(t, e, "inv-a", "/bind "+en.invite(t, store.RoleAdmin, 0, 0)).must(t, "已绑定")
		// The deep-link form (/start CODE) and an upper-case typed code both work.
		send(t, e, "inv-c", "/start "+en.invite(t, store.RoleLiaison, en.township, 0)).must(t, "巡察联络员")
		send(t, e, "inv-d", "/bind "+strings.ToUpper(en.invite(t, store.RoleOfficer, en.township, en.village2))).must(t, "胜利村")
	})

	t.Run("Forged", func(t *testing.T) {
		send(t, e, "inv-forger", "/bind aaaaaaaaaaaaaaaa").must(t, "无效")
		send(t, e, "inv-forger", "/checkin").must(t, "仅限")
	})

	t.Run("RateLimited", func(t *testing.T) {
		const chat = "inv-guesser"
		for i := range 5 {
			send(t, e, chat, fmt.Sprintf("/bind guess%dguessguess", i)).must(t, "无效")
		}
		good := en.invite(t, store.RoleOfficer, en.township, en.village)
		r := send(t, e, chat, "/bind "+good)
		r.must(t, "输错次数过多")
		r.mustNot(t, "绑定成功")
		send(t, e, chat, "/tasks").must(t, "仅限")
		// The refused code was not spent.
		send(t, e, "inv-rightful", "/bind "+good).must(t, "绑定成功")
	})

	t.Run("ResidentDenied", func(t *testing.T) {
		tk := &store.Task{TownshipID: en.township, VillageID: en.village, Title: "核查低保名单"}
		if _, err := e.AssignTask(context.Background(), tk); err != nil {
			t.Fatal(err)
		}
		const chat = "inv-resident"
		send(t, e, chat, "/checkin").must(t, "仅限")
		send(t, e, chat, "/tasks").must(t, "仅限")
		for _, data := range []string{"tk:done", "tk:received", "ci:zero", "ci:prob", fmt.Sprintf("task:%d", tk.ID), "menu:checkin", "menu:tasks"} {
			r := press(t, e, chat, data)
			if strings.HasPrefix(data, "menu:") {
				r.must(t, "仅限")
			} else {
				r.must(t, "已失效")
			}
			r.mustNot(t, tk.Title)
		}
		// Even inside a flow, a crafted button does not reach the officer's steps.
		send(t, e, chat, "/report")
		press(t, e, chat, "tk:done").must(t, "已失效", "请选择问题类别")
		wantCount(t, en.count, 0, "task_events", `SELECT COUNT(*) FROM task_events`)
		wantCount(t, en.count, 0, "checkins", `SELECT COUNT(*) FROM checkins`)
		evs, err := en.db.TaskEvents(context.Background(), tk.ID)
		if err != nil || len(evs) != 0 {
			t.Errorf("TaskEvents = %+v, %v", evs, err)
		}
	})
}

func TestQueryCodeGuessingIsLimited(t *testing.T) {
	en, e := newEngine(t)
	r := press(t, e, en.toSummaryChat(t, e, "guess-reporter"), "ok")
	code := strings.ReplaceAll(codePattern.FindString(r.text()), " ", "")
	if code == "" {
		t.Fatal("no code")
	}
	const chat = "guess-guesser"
	wrong := "1" + strings.Repeat("0", 15)
	if wrong == code {
		wrong = "2" + strings.Repeat("0", 15)
	}
	for range 5 {
		send(t, e, chat, "/query "+wrong).must(t, "没有找到")
	}
	r = send(t, e, chat, "/query "+code)
	r.must(t, "输错次数过多")
	r.mustNot(t, "举报状态")
	// Another chat with the right code is not affected.
	send(t, e, "guess-owner", code).must(t, "举报状态")
}

// toSummaryChat is toSummary returning the chat, for chaining.
func (en *env) toSummaryChat(t *testing.T, e *handlers.Engine, chat string) string {
	t.Helper()
	en.toSummary(t, e, chat)
	return chat
}

func TestOfficerTasks(t *testing.T) {
	en, e := newEngine(t)
	ctx := context.Background()
	officer := en.bind(t, e, "officer-1", store.RoleOfficer, en.township, en.village)
	elsewhere := en.bind(t, e, "officer-2", store.RoleOfficer, en.township2, en.villageOther)

	due := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	tk := &store.Task{TownshipID: en.township, VillageID: en.village, Title: "核查低保名单", Body: "逐户核对", DueAt: due}
	n, err := e.AssignTask(ctx, tk)
	if err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Errorf("notified %d chats, want 1 (the officer of 东风村)", n)
	}
	box, err := en.db.Mailbox(ctx, officer, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(box) == 0 || !strings.Contains(box[len(box)-1].Message.Text, "【新任务】核查低保名单") {
		t.Errorf("officer's mailbox lacks the task notice: %+v", box)
	}
	if box, _ := en.db.Mailbox(ctx, elsewhere, 0, 100); len(box) != 1 { // only the bind reply
		t.Errorf("officer of another township got %d messages", len(box))
	}
	taskBtn := fmt.Sprintf("task:%d", tk.ID)

	r := send(t, e, "officer-1", "/tasks")
	r.must(t, "您的任务")
	if b := r.button(t, taskBtn); !strings.Contains(b.Text, "核查低保名单") || !strings.Contains(b.Text, "未确认") {
		t.Errorf("task button = %q", b.Text)
	}
	send(t, e, "officer-2", "/tasks").must(t, "暂无待办任务")
	// The other officer cannot open it by crafting the button in their own task list either.
	own := &store.Task{TownshipID: en.township2, Title: "天岗镇自查"}
	if _, err := e.AssignTask(ctx, own); err != nil {
		t.Fatal(err)
	}
	r = send(t, e, "officer-2", "/tasks")
	r.button(t, fmt.Sprintf("task:%d", own.ID))
	if got := r.buttonsWithPrefix("task:"); len(got) != 1 {
		t.Errorf("officer of 天岗镇 sees tasks %+v", got)
	}
	r = press(t, e, "officer-2", taskBtn)
	r.must(t, "不存在或不属于您")
	r.mustNot(t, "核查低保名单")

	press(t, e, "officer-1", taskBtn).must(t, "任务：核查低保名单", "逐户核对", "2026-12-01")
	press(t, e, "officer-1", "tk:received").must(t, "已确认收到任务")
	evs, err := en.db.TaskEvents(ctx, tk.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 1 || evs[0].Kind != store.TaskReceived {
		t.Fatalf("events after received = %+v", evs)
	}

	r = send(t, e, "officer-1", "/tasks")
	if b := r.button(t, taskBtn); !strings.Contains(b.Text, "已确认收到") {
		t.Errorf("task button after received = %q", b.Text)
	}
	press(t, e, "officer-1", taskBtn)
	press(t, e, "officer-1", "tk:done").must(t, "完成情况")
	photo := pngFile(t)
	sendFiles(t, e, "officer-1", "", photo).must(t, "已收到照片")
	send(t, e, "officer-1", "已逐户核对，发现两户不符合条件").must(t, "已记录完成情况")

	evs, err = en.db.TaskEvents(ctx, tk.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 2 {
		t.Fatalf("events = %+v, want 2", evs)
	}
	done := evs[1]
	if done.Kind != store.TaskDone || done.Note != "已逐户核对，发现两户不符合条件" || done.SHA256 != scrubbedSHA(t, photo) {
		t.Errorf("done event = %+v", done)
	}
	if _, mime, err := en.db.Blob(ctx, done.SHA256); err != nil || mime != "image/png" {
		t.Errorf("photo blob: mime=%q err=%v", mime, err)
	}
}

func TestOfficerCheckins(t *testing.T) {
	en, e := newEngine(t)
	official := en.bind(t, e, "ci-official", store.RoleOfficial, en.township, 0)

	t.Run("Problems", func(t *testing.T) {
		const chat = "ci-officer"
		en.bind(t, e, chat, store.RoleOfficer, en.township, en.village)
		send(t, e, chat, "/checkin").must(t, "走访")
		send(t, e, chat, "十二").must(t, "0 到 100000")
		send(t, e, chat, "12").must(t, "是否收集到")
		press(t, e, chat, "ci:prob").must(t, "第 1 个问题")
		send(t, e, chat, "村民反映村里修路款去向不明").must(t, "已记下第 1 个问题")
		press(t, e, chat, "done").must(t, "工作照片")
		r := press(t, e, chat, "done")
		r.must(t, "情况报告已提交：走访 12 人，问题 1 个", "请将查询码告知反映人")
		codes := codePattern.FindAllString(r.text(), -1)
		if len(codes) != 1 {
			t.Fatalf("codes = %v, want one", codes)
		}
		rep := en.findReport(t, codes[0])
		if rep.Source != store.SourceCheckin || !rep.Anonymous || rep.VillageID != en.village || rep.FiledBy == 0 {
			t.Errorf("report filed at check-in = %+v", rep)
		}
		if _, err := en.db.ReporterChat(context.Background(), rep.ID); err == nil {
			t.Error("a report filed for a resident is linked to the officer's chat")
		}
		if len(r.others) != 1 || r.others[0].ChatID != official || !strings.Contains(r.others[0].Text, "信息员代群众登记") {
			t.Errorf("official's notices = %+v", r.others)
		}
	})

	t.Run("Zero", func(t *testing.T) {
		const chat = "ci-officer-zero"
		en.bind(t, e, chat, store.RoleOfficer, en.township, en.village2)
		reports := en.count(t, `SELECT COUNT(*) FROM reports`)
		send(t, e, chat, "/checkin")
		send(t, e, chat, "0")
		press(t, e, chat, "ci:zero").must(t, "工作照片")
		photo := pngFile(t)
		sendFiles(t, e, chat, "", photo).must(t, "已收到附件")
		r := press(t, e, chat, "done")
		r.must(t, "走访 0 人，零报告")
		if codePattern.MatchString(r.text()) {
			t.Errorf("zero report shows a query code: %q", r.text())
		}
		if len(r.others) != 0 {
			t.Errorf("zero report notified %+v", r.others)
		}
		wantCount(t, en.count, reports, "a zero report changed the reports", `SELECT COUNT(*) FROM reports`)
		if n := en.count(t, `SELECT COUNT(*) FROM checkins WHERE zero = 1 AND visitors = 0 AND village_id = ? AND sha256 = ?`,
			en.village2, scrubbedSHA(t, photo)); n != 1 {
			t.Errorf("zero check-ins with the photo = %d, want 1", n)
		}
	})

	wantCount(t, en.count, 2, "checkins", `SELECT COUNT(*) FROM checkins`)
}

func TestEnglish(t *testing.T) {
	_, e := newEngine(t)

	t.Run("SwitchWithLang", func(t *testing.T) {
		const chat = "en-switch"
		send(t, e, chat, "/help").must(t, "可用命令")
		send(t, e, chat, "/lang").must(t, "Language set to English.")
		r := send(t, e, chat, "/report")
		r.must(t, "What kind of problem is it?")
		if b := r.button(t, "c:interests"); b.Text != "Harm to residents' interests (village funds, farm subsidies, dibao)" {
			t.Errorf("category in English = %q", b.Text)
		}
		r.mustNot(t, "请选择")
		press(t, e, chat, "c:service").must(t, "12345 government service hotline")
		send(t, e, chat, "/lang").must(t, "已切换为中文")
	})

	t.Run("PlatformHint", func(t *testing.T) {
		r := handle(t, e, handlers.Message{ChatID: "en-hint", Text: "hello", Lang: "en-US"})
		r.must(t, "Hello! This is the inspection supervision reporting service.")
		r.button(t, "menu:lang")
	})
}

func TestSubscribe(t *testing.T) {
	en, e := newEngine(t)
	const chat = "sub-chat"

	send(t, e, chat, "/unsubscribe").must(t, "您还没有订阅")
	r := send(t, e, chat, "/subscribe")
	r.must(t, "哪个乡镇")
	r.button(t, fmt.Sprintf("t:%d", en.township2))
	send(t, e, chat, "东风村").must(t, "请点击上面的按钮")
	press(t, e, chat, "t:999").must(t, "已失效")
	r = press(t, e, chat, fmt.Sprintf("t:%d", en.township))
	r.must(t, "整个乡镇")
	r.button(t, "v:0")
	r.button(t, fmt.Sprintf("v:%d", en.village))
	// A village of another township is refused.
	press(t, e, chat, fmt.Sprintf("v:%d", en.villageOther)).must(t, "已失效")
	r = press(t, e, chat, fmt.Sprintf("v:%d", en.village))
	r.must(t, "已订阅：新站镇 东风村")
	chatID := r.res.ChatID

	send(t, e, chat, "/subscribe")
	press(t, e, chat, fmt.Sprintf("t:%d", en.township2))
	press(t, e, chat, "v:0").must(t, "已订阅：天岗镇")

	subs := subscriptions(t, en, chatID)
	if len(subs) != 2 || subs[0].VillageID != en.village || subs[1].TownshipID != en.township2 || subs[1].VillageID != 0 {
		t.Fatalf("subscriptions = %+v", subs)
	}

	r = send(t, e, chat, "/unsubscribe")
	r.must(t, "要取消哪一项订阅")
	b := r.button(t, fmt.Sprintf("uns:%d", subs[0].ID))
	if b.Text != "新站镇 东风村" {
		t.Errorf("unsubscribe button = %q", b.Text)
	}
	// Someone else's subscription id is refused.
	press(t, e, chat, "uns:99999").must(t, "已失效")
	press(t, e, chat, b.Data).must(t, "已取消订阅")
	if subs := subscriptions(t, en, chatID); len(subs) != 1 || subs[0].TownshipID != en.township2 {
		t.Errorf("after unsubscribe = %+v", subs)
	}
}

func subscriptions(t *testing.T, en *env, chatID int64) []store.Subscription {
	t.Helper()
	var subs []store.Subscription
	err := en.db.Update(context.Background(), func(tx *store.Tx) error {
		var err error
		subs, err = tx.Subscriptions(chatID)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return subs
}
