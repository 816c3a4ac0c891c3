package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"xuncha/bot/wechattest"
	"xuncha/internal/syncbuf"
	"xuncha/store"
	"xuncha/store/storetest"
)

const (
	wxAppID  = "wxb11529c136998cb6"
	wxSecret = "e2e-app-secret"
	wxToken  = "xunchaE2E"
	wxAESKey = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
)

// wxResident talks to the server's /wechat callback as WeChat does for one user.
type wxResident struct {
	t      *testing.T
	cb     wechattest.Callback
	url    string
	fake   *wechattest.Server
	openid string
	msgID  int64
}

// say sends a text in safe mode and returns the answer: the passive reply, or the
// customer-service messages that came for it.
func (r *wxResident) say(text, want string) string {
	r.t.Helper()
	r.msgID++
	n := len(r.fake.Sent(r.openid))
	status, body, err := r.cb.Post(r.url, r.cb.Text(r.openid, r.msgID, text))
	if err != nil || status != 200 {
		r.t.Fatalf("callback %q: %d %s %v", text, status, body, err)
	}
	reply, err := r.cb.Reply(body)
	if err != nil {
		r.t.Fatal(err)
	}
	if strings.Contains(reply, want) {
		return reply
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		for _, m := range r.fake.Sent(r.openid)[n:] {
			if strings.Contains(m.Text, want) {
				return m.Text
			}
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("after %q: no answer with %q; passive reply %q, sent %+v", text, want, reply, r.fake.Sent(r.openid)[n:])
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// pick returns the number of the menu line containing label.
func pick(t *testing.T, msg, label string) string {
	t.Helper()
	return wechattest.Choice(t, msg, label)
}

// TestEndToEndWeChat runs the real program with the WeChat channel in safe mode against the
// fake WeChat API: a resident follows the account, completes a report by answering numbered
// menus over signed, encrypted callbacks and gets a query code in a passive reply. Later, with
// the 48-hour window closed, a status notice to the reporter goes out as a template message.
// The CLI installs the custom menu and prints an invitation QR code whose scan binds the role.
// The resident's openid appears nowhere in clear.
func TestEndToEndWeChat(t *testing.T) {
	fake, wx := fakeWeChat(t)
	dbPath, env := testDB(t, append(wx, "XUNCHA_LOG_LEVEL", "debug", "WECHAT_TEMPLATE_NOTICE", "TPL_STATUS")...)

	out, _ := mustRun(t, env, "wechat", "menu")
	if !strings.Contains(out, "举报 / 查询 / 我的") || len(fake.Calls("/cgi-bin/menu/create")) != 1 {
		t.Fatalf("wechat menu: %q, calls %d", out, len(fake.Calls("/cgi-bin/menu/create")))
	}
	inviteOut, _ := mustRun(t, env, "invite", "--role", "official", "--township", "新站镇", "--qr")
	qr := regexp.MustCompile(`showqrcode\?ticket=(\S+)`).FindStringSubmatch(inviteOut)
	invCode := regexp.MustCompile(`/bind (\S+)`).FindStringSubmatch(inviteOut)
	if qr == nil || invCode == nil {
		t.Fatalf("invite --qr printed no QR code:\n%s", inviteOut)
	}

	logs := &syncbuf.Buffer{}
	srv := startServer(t, env, logs)
	cb := wechattest.Callback{Token: wxToken, AppID: wxAppID, AESKey: wxAESKey, Account: "gh_xuncha"}
	resident := &wxResident{t: t, cb: cb, url: srv.url + "wechat", fake: fake, openid: "oE2EResident7f3kQ9zX", msgID: 1000}

	// Follow: the welcome is the passive reply, with its choices numbered.
	_, body, err := cb.Post(resident.url, cb.Event(resident.openid, "subscribe", "", time.Now()))
	if err != nil {
		t.Fatal(err)
	}
	welcome, err := cb.Reply(body)
	if err != nil || !strings.Contains(welcome, "巡察监督举报服务") || !strings.Contains(welcome, "回复数字选择") {
		t.Fatalf("follow: %q %v", welcome, err)
	}
	m := resident.say(pick(t, welcome, "我要举报"), "请选择问题类别")
	m = resident.say(pick(t, m, "侵害群众利益"), "哪个乡镇")
	m = resident.say(pick(t, m, "新站镇"), "哪个村")
	m = resident.say(pick(t, m, "东风村"), "涉及哪个人")
	resident.say("东风村村委会会计", "请描述发生了什么")
	m = resident.say("2024年3月村里发放的惠农补贴被会计截留，每户少发200元，涉及三十多户。", "证据")
	m = resident.say("完成", "举报方式") // the label typed out works as well as its number
	m = resident.say(pick(t, m, "匿名举报"), "是否允许")
	m = resident.say(pick(t, m, "保留"), "请核对")
	m = resident.say(pick(t, m, "确认提交"), "查询码")
	code := codePattern.FindString(m)
	if code == "" {
		t.Fatalf("no query code in %q", m)
	}
	if len(fake.Sent(resident.openid)) != 0 {
		t.Errorf("every answer fitted a passive reply, yet %d customer-service messages went out", len(fake.Sent(resident.openid)))
	}

	// The official scans the invitation QR code: following with the scene binds the role, and
	// the new report's notice reached them... only after binding, so check the binding here.
	official := &wxResident{t: t, cb: cb, url: srv.url + "wechat", fake: fake, openid: "oE2EOfficial", msgID: 5000}
	_, body, err = cb.Post(official.url, cb.Event(official.openid, "subscribe", "qrscene_bind_"+invCode[1], time.Now()))
	if err != nil {
		t.Fatal(err)
	}
	if bound, err := cb.Reply(body); err != nil || !strings.Contains(bound, "巡察工作人员") {
		t.Fatalf("scan to bind: %q %v", bound, err)
	}

	// A status change, weeks later: the window is closed, so a template message carries it.
	db := storetest.Open(t, dbPath)
	defer db.Close()
	chat, err := db.ReporterChat(t.Context(), 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.SetWeChatWindow(t.Context(), resident.openid, store.WeChatWindow{LastMessage: time.Now().Add(-49 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	notice := "您反映的问题（查询码 " + code + "）已受理，正在办理。"
	err = db.Update(t.Context(), func(tx *store.Tx) error {
		_, err := tx.Enqueue(chat, store.OutMessage{Text: notice}, "e2e:status:1")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	var tpl *wechattest.Sent
	for tpl == nil {
		for _, s := range fake.Sent(resident.openid) {
			if s.Kind == "template" {
				tpl = &s
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no template message; sent %+v\nlogs:\n%s", fake.Sent(resident.openid), logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if tpl.TemplateID != "TPL_STATUS" || !strings.Contains(tpl.Data["keyword1"], "已受理") || tpl.Data["keyword2"] == "" {
		t.Errorf("template message %+v", tpl)
	}
	if n := len(fake.Calls("/cgi-bin/message/custom/send")); n != 0 {
		t.Errorf("%d customer-service sends outside the window", n)
	}
	srv.stop(t)

	// The openids are nowhere in clear: not in the database files, not in the logs.
	places := map[string][]byte{"logs": []byte(logs.String())}
	for _, f := range []string{dbPath, dbPath + "-wal"} {
		b, err := os.ReadFile(f)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		places[filepath.Base(f)] = b
	}
	for where, data := range places {
		for _, secret := range []string{resident.openid, official.openid, wxSecret, "ACCESS_TOKEN"} {
			if bytes.Contains(data, []byte(secret)) {
				t.Errorf("%q is in clear in %s", secret, where)
			}
		}
	}
	if !bytes.Contains(places["x.db"], []byte("惠农补贴")) && !bytes.Contains(places["x.db-wal"], []byte("惠农补贴")) {
		t.Error("the report text is not in the database files: the search looked in the wrong place")
	}
}

// TestWeChatConfigErrors: a half-configured WeChat channel is refused with the variable named.
func TestWeChatConfigErrors(t *testing.T) {
	dir := t.TempDir()
	base := []string{"XUNCHA_DB", filepath.Join(dir, "x.db")}
	tests := []struct {
		env  []string
		want string
	}{
		{[]string{"WECHAT_APP_ID", "wx1"}, "WECHAT_TOKEN"},
		{[]string{"WECHAT_TOKEN", "tok123"}, "WECHAT_APP_ID"},
		{[]string{"WECHAT_APP_ID", "wx1", "WECHAT_TOKEN", "tok123"}, "WECHAT_APP_SECRET"},
		{[]string{"WECHAT_APP_ID", "wx1", "WECHAT_TOKEN", "tok123", "WECHAT_APP_SECRET", "s", "WECHAT_AES_KEY", "short"}, "WECHAT_AES_KEY"},
		{[]string{"WECHAT_APP_ID", "wx1", "WECHAT_TOKEN", "t!", "WECHAT_APP_SECRET", "s"}, "WECHAT_TOKEN"},
		{[]string{"WECHAT_APP_ID", "wx1", "WECHAT_TOKEN", "tok123", "WECHAT_APP_SECRET", "s", "WECHAT_API_URL", "ftp://x"}, "WECHAT_API_URL"},
		{[]string{"WECHAT_TEMPLATE_NOTICE", "TPL"}, "WECHAT_APP_ID"},
		{[]string{"WECHAT_APP_ID", "wx1", "WECHAT_TOKEN", "tok123", "WECHAT_APP_SECRET", "s", "WECHAT_AES_KEY_PREVIOUS", wxAESKey}, "WECHAT_AES_KEY_PREVIOUS"},
		{[]string{"WECHAT_APP_ID", "wx1", "WECHAT_TOKEN", "tok123", "WECHAT_APP_SECRET", "s", "WECHAT_AES_KEY", wxAESKey, "WECHAT_AES_KEY_PREVIOUS", "short"}, "WECHAT_AES_KEY_PREVIOUS"},
		// Safe mode is the default: no key and no explicit plaintext mode does not start.
		{[]string{"WECHAT_APP_ID", "wx1", "WECHAT_TOKEN", "tok123", "WECHAT_APP_SECRET", "s"}, "WECHAT_AES_KEY must be set"},
		{[]string{"WECHAT_APP_ID", "wx1", "WECHAT_TOKEN", "tok123", "WECHAT_APP_SECRET", "s", "WECHAT_AES_KEY", wxAESKey, "WECHAT_PLAINTEXT", "1"}, "WECHAT_PLAINTEXT is set with WECHAT_AES_KEY"},
		{[]string{"WECHAT_PLAINTEXT", "1"}, "WECHAT_APP_ID"},
		{[]string{"WECHAT_APP_ID", "wx1", "WECHAT_TOKEN", "tok123", "WECHAT_APP_SECRET", "s", "WECHAT_PLAINTEXT", "maybe"}, "WECHAT_PLAINTEXT"},
	}
	for _, tt := range tests {
		var out, errb bytes.Buffer
		err := run(t.Context(), []string{"xuncha", "serve", "--addr", "127.0.0.1:0"}, testEnv(append(base, tt.env...)...), nil, &out, &errb)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: error %v does not name %s", tt.env, err, tt.want)
		}
	}
	var out, errb bytes.Buffer
	err := run(t.Context(), []string{"xuncha", "invite", "--role", "admin", "--qr"}, testEnv(base...), nil, &out, &errb)
	if err == nil || !strings.Contains(err.Error(), "WECHAT_APP_ID") || strings.Contains(out.String(), "invitation code") {
		t.Errorf("invite --qr without WeChat settings: %v, %q", err, out.String())
	}
}
