package main

import (
	"bytes"
	"image"
	"image/jpeg"
	"regexp"
	"strings"
	"testing"

	"xuncha/bot/telegramtest"
	"xuncha/internal/syncbuf"
)

// TestTelegramEndToEnd runs the real program against the fake Bot API: a resident completes a
// report with buttons and a photo and gets a query code; an officer binds with the deep link
// that `invite` prints and confirms a task given with `task add`.
func TestTelegramEndToEnd(t *testing.T) {
	const token = "987654:E2E-secret-token"
	fake, tg := fakeTelegram(t, token)
	fake.SetLimits(telegramLimits)
	_, env := testDB(t, tg...)
	logs := &syncbuf.Buffer{}
	startServer(t, env, logs)

	// The resident.
	const resident = 5550001
	updates := &tgUpdates{t: t, fake: fake, id: 1000}
	say, press := updates.say, updates.press
	m := say(resident, "/start", "巡察监督举报服务")
	m = press(m, "我要举报", "请选择问题类别")
	m = press(m, "违反党纪", "哪个乡镇")
	m = press(m, "天岗镇", "哪个村")
	m = press(m, "民主村", "涉及哪个人")
	say(resident, "民主村党支部书记", "请描述发生了什么")
	files := say(resident, "今年春节前村支书用村集体资金请客吃饭，花了三千多元，账上记为办公费。", "如有照片")
	var photo bytes.Buffer
	if err := jpeg.Encode(&photo, image.NewGray(image.Rect(0, 0, 16, 16)), nil); err != nil {
		t.Fatal(err)
	}
	fake.AddFile("receipt", photo.Bytes())
	updates.send(resident, telegramtest.Photo(updates.next(), resident, "receipt", photo.Len(), "发票照片"), "已收到附件（共 1 个）")
	m = press(files, "完成", "举报方式")
	m = press(m, "匿名举报", "是否允许")
	m = press(m, "保留", "请核对")
	if !strings.Contains(m.Text, "附件：1 个") {
		t.Errorf("the summary does not count the photo: %q", m.Text)
	}
	m = press(m, "确认提交", "查询码")
	code := codePattern.FindString(m.Text)
	if code == "" {
		t.Fatalf("no query code in %q", m.Text)
	}
	say(resident+1, "/query "+code, "已登记")

	// The officer: invite prints a deep link, which is /start CODE in Telegram.
	out, _ := mustRun(t, env, "invite", "--role", "officer", "--township", "天岗镇", "--village", "民主村")
	link := regexp.MustCompile(`https://t\.me/xuncha_test_bot\?start=(\S+)`).FindStringSubmatch(out)
	if link == nil {
		t.Fatalf("invite printed no Telegram deep link:\n%s", out)
	}
	const officer = 5550009
	say(officer, "/start "+link[1], "绑定成功")
	mustRun(t, env, "task", "add", "--township", "天岗镇", "--village", "民主村", "--title", "核实民主村低保名单", "--due", "2026-12-31")
	fake.WaitText(t, officer, 0, "【新任务】核实民主村低保名单")
	m = say(officer, "/tasks", "您的任务")
	m = press(m, "核实民主村低保名单", "任务：核实民主村低保名单")
	m = press(m, "已完成", "请简要说明")
	say(officer, "已逐户核对，发现两户不符合条件，已报乡镇。", "已记录完成情况")

	if fake.TooMany() != 0 {
		t.Errorf("%d sends broke Telegram's rate limits", fake.TooMany())
	}
	if strings.Contains(logs.String(), token) {
		t.Error("the bot token appears in the logs")
	}
}
