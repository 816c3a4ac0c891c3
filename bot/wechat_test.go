package bot

import (
	"bufio"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/silenceper/wechat/v2/util"

	"xuncha/bot/wechattest"
	"xuncha/handlers"
	"xuncha/handlers/media"
	"xuncha/internal/syncbuf"
	"xuncha/outbox"
	"xuncha/store"
	"xuncha/store/storetest"
)

const (
	wxAppID  = "wxb11529c136998cb6"
	wxSecret = "app-secret-for-tests"
	wxToken  = "pamtest"
	wxAESKey = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
)

// wxFixture is the WeChat channel on a real SQLite file, its callback on a loopback server,
// its sender against the fake API.
type wxFixture struct {
	t      testing.TB
	fake   *wechattest.Server
	cb     wechattest.Callback
	db     *store.DB
	dbPath string
	engine *handlers.Engine
	wx     *WeChat
	disp   *outbox.Dispatcher
	srv    *httptest.Server
	logs   *syncbuf.Buffer
	cancel context.CancelFunc
	done   sync.WaitGroup
	nextID atomic.Int64
}

func newWXFixture(t testing.TB, cfg WeChatConfig) *wxFixture {
	t.Helper()
	f := &wxFixture{t: t, logs: &syncbuf.Buffer{}}
	f.fake = wechattest.New(wxAppID, wxSecret)
	t.Cleanup(f.fake.Close)
	f.dbPath = filepath.Join(t.TempDir(), "x.db")
	db := storetest.Open(t, f.dbPath)
	f.db = db
	if _, err := db.ImportPlaces(context.Background(), []store.PlaceRow{{Township: "新站镇", Village: "东风村", Class: "key"}}); err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewJSONHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	cats, err := handlers.LoadCategories("")
	if err != nil {
		t.Fatal(err)
	}
	f.engine = handlers.New(logger, db, handlers.Config{Categories: cats, Scrub: media.Scrub, Location: time.UTC})
	cfg.AppID, cfg.AppSecret, cfg.Token, cfg.APIURL = wxAppID, wxSecret, wxToken, f.fake.URL
	cfg.Plaintext = cfg.AESKey == "" // a fixture without a key is in plaintext mode, said explicitly
	f.wx, err = NewWeChat(logger, cfg, f.engine, db)
	if err != nil {
		t.Fatal(err)
	}
	f.cb = wechattest.Callback{Token: wxToken, AppID: wxAppID, AESKey: cfg.AESKey, Account: "gh_test"}
	f.disp = outbox.NewDispatcher(logger, db, handlers.PlatformWeChat, f.wx)
	f.disp.Idle = 50 * time.Millisecond
	f.engine.OnQueued(func(int64) { f.disp.Wake() })
	f.wx.OnQueued(func(int64) { f.disp.Wake() })
	f.srv = httptest.NewServer(f.wx)
	t.Cleanup(f.stop)
	f.nextID.Store(1000)
	return f
}

func (f *wxFixture) start() {
	ctx, cancel := context.WithCancel(context.Background())
	f.cancel = cancel
	f.done.Go(func() { f.wx.Run(ctx) })
	f.done.Go(func() { f.disp.Run(ctx) })
}

func (f *wxFixture) stop() {
	f.srv.Close()
	if f.cancel != nil {
		f.cancel()
		f.cancel = nil
	}
	f.done.Wait()
	for _, secret := range []string{"oResident", "ACCESS_TOKEN", wxSecret} {
		if strings.Contains(f.logs.String(), secret) {
			f.t.Errorf("%q appears in the logs", secret)
		}
	}
}

// post sends a signed callback and returns the decoded passive reply ("" for "success").
func (f *wxFixture) post(body string) string {
	f.t.Helper()
	status, b, err := f.cb.Post(f.srv.URL, body)
	if err != nil || status != http.StatusOK {
		f.t.Fatalf("callback: %d %s %v", status, b, err)
	}
	reply, err := f.cb.Reply(b)
	if err != nil {
		f.t.Fatal(err)
	}
	return reply
}

// say sends a text and returns the answer: the passive reply, or else the customer-service
// messages that arrive for it.
func (f *wxFixture) say(openid, text, want string) string {
	f.t.Helper()
	n := len(f.fake.Sent(openid))
	reply := f.post(f.cb.Text(openid, f.nextID.Add(1), text))
	if strings.Contains(reply, want) {
		return reply
	}
	return f.waitSent(openid, n, want, reply)
}

// waitSent waits for a message to openid containing want among those after the first skip.
func (f *wxFixture) waitSent(openid string, skip int, want, passive string) string {
	f.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		msgs := f.fake.Sent(openid)
		for i := len(msgs) - 1; i >= skip; i-- {
			if strings.Contains(msgs[i].Text, want) || strings.Contains(fmt.Sprint(msgs[i].Data), want) {
				return msgs[i].Text + fmt.Sprint(msgs[i].Data)
			}
		}
		if time.Now().After(deadline) {
			var texts []string
			for _, m := range msgs {
				texts = append(texts, m.Kind+": "+m.Text+fmt.Sprint(m.Data))
			}
			f.t.Fatalf("timed out waiting for %q; passive reply %q; sent:\n%s", want, passive, strings.Join(texts, "\n---\n"))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func countRows(t testing.TB, path, query string) int {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow(query).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestWeChatKnownAnswer reproduces the official vector of WeChat's WXBizMsgCrypt samples
// (WXBizMsgCryptTest.java in cryptoDemo.zip) with the channel's cipher and with silenceper's
// util: the same random, message, app id and key give the same ciphertext, each decrypts the
// other's, and the channel's reply (its signature too) round-trips through WeChat's side.
func TestWeChatKnownAnswer(t *testing.T) {
	const want = "jn1L23DB+6ELqJ+6bruv21Y6MD7KeIfP82D6gU39rmkgczbWwt5+3bnyg5K55bgVtVzd832WzZGMhkP72vVOfg=="
	c, err := newWXCipher(wxAESKey)
	if err != nil {
		t.Fatal(err)
	}
	random, msg := []byte("aaaabbbbccccdddd"), []byte("我是中文abcd123")
	if got := c.encrypt(random, msg, wxAppID); string(got) != want {
		t.Fatalf("encrypt = %s\nwant %s", got, want)
	}
	if got, err := util.EncryptMsg(random, msg, wxAppID, wxAESKey); err != nil || string(got) != want {
		t.Fatalf("util.EncryptMsg = %s, %v", got, err)
	}
	if plain, err := c.decrypt(wxAppID, want); err != nil || string(plain) != string(msg) {
		t.Fatalf("decrypt = %q %v", plain, err)
	}
	if _, err := c.decrypt("wx0000000000000000", want); err == nil {
		t.Error("a message for another app id was accepted")
	}
	for _, bad := range []string{"", "not base64!", want[:len(want)-4], "AAAA" + want[4:]} {
		if _, err := c.decrypt(wxAppID, bad); err == nil {
			t.Errorf("decrypt(%q) accepted", bad)
		}
	}
	if got, want := wxSignature(wxToken, "1409304348", "xxxxxx", want), util.Signature(wxToken, "1409304348", "xxxxxx", want); got != want {
		t.Errorf("wxSignature = %s; util.Signature %s", got, want)
	}
	w := &WeChat{cfg: WeChatConfig{AppID: wxAppID, Token: wxToken}}
	env := w.encryptReply(c, passiveXML("gh_test", "oUser", 1409304348, "你好"), "xxxxxx", 1409304348)
	reply, err := wechattest.Callback{Token: wxToken, AppID: wxAppID, AESKey: wxAESKey}.Reply(env)
	if err != nil || reply != "你好" {
		t.Fatalf("reply round trip = %q, %v", reply, err)
	}
}

// TestWeChatCallbackRefused: a forged signature, a wrong msg_signature, a stale timestamp and
// a plaintext message in safe mode are answered 403, and nothing is stored or processed.
func TestWeChatCallbackRefused(t *testing.T) {
	f := newWXFixture(t, WeChatConfig{AESKey: wxAESKey})
	f.start()
	const user = "oResidentForged"
	body := f.cb.Text(user, 1, "你好")
	now := time.Now()
	cases := map[string]func() wechattest.Signed{
		"forged signature": func() wechattest.Signed {
			s := f.cb.Sign(body, now)
			s.Query.Set("signature", strings.Repeat("0", 40))
			return s
		},
		"wrong msg_signature": func() wechattest.Signed {
			s := f.cb.Sign(body, now)
			s.Query.Set("msg_signature", util.Signature(wxToken, s.Query.Get("timestamp"), s.Query.Get("nonce"), "other"))
			return s
		},
		"stale timestamp":  func() wechattest.Signed { return f.cb.Sign(body, now.Add(-6*time.Minute)) },
		"future timestamp": func() wechattest.Signed { return f.cb.Sign(body, now.Add(6*time.Minute)) },
		"plaintext in safe mode": func() wechattest.Signed {
			plain := wechattest.Callback{Token: wxToken, Account: "gh_test"}
			return plain.Sign(body, now)
		},
		"tampered ciphertext": func() wechattest.Signed {
			s := f.cb.Sign(body, now)
			s.Body = strings.Replace(s.Body, "<Encrypt><![CDATA[", "<Encrypt><![CDATA[AAAA", 1)
			return s
		},
		"no signature": func() wechattest.Signed {
			s := f.cb.Sign(body, now)
			s.Query.Del("signature")
			return s
		},
	}
	for name, build := range cases {
		t.Run(name, func(t *testing.T) {
			status, b, err := wechattest.PostSigned(f.srv.URL, build())
			if err != nil || status != http.StatusForbidden {
				t.Fatalf("status %d %s %v; want 403", status, b, err)
			}
		})
	}
	// GET verification with a bad signature is refused too; a good one echoes.
	s := f.cb.Sign("", now)
	s.Query.Set("echostr", "hello123")
	s.Query.Del("encrypt_type")
	s.Query.Del("msg_signature")
	res, err := http.Get(s.URL(f.srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 64)
	n, _ := res.Body.Read(b)
	res.Body.Close()
	if res.StatusCode != 200 || string(b[:n]) != "hello123" {
		t.Errorf("echostr: %d %q", res.StatusCode, b[:n])
	}
	s.Query.Set("signature", "bad")
	res, err = http.Get(s.URL(f.srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusForbidden {
		t.Errorf("echostr with a bad signature: %d", res.StatusCode)
	}

	if n := countRows(t, f.dbPath, `SELECT COUNT(*) FROM inbox`); n != 0 {
		t.Errorf("%d inbox rows after refused callbacks", n)
	}
	if n := countRows(t, f.dbPath, `SELECT COUNT(*) FROM chats`); n != 0 {
		t.Errorf("%d chats after refused callbacks", n)
	}
	if n := countRows(t, f.dbPath, `SELECT COUNT(*) FROM wechat_chats`); n != 0 {
		t.Errorf("%d wechat windows after refused callbacks", n)
	}
	// The control: the same message, properly signed, is taken.
	if reply := f.post(body); !strings.Contains(reply, "巡察监督举报服务") {
		t.Fatalf("a valid callback got %q", reply)
	}
	if n := countRows(t, f.dbPath, `SELECT COUNT(*) FROM inbox`); n != 1 {
		t.Errorf("%d inbox rows after one valid callback", n)
	}
}

// report runs a resident through a report with numbered replies and returns the summary
// message, ready to confirm.
func (f *wxFixture) report(user string) string {
	f.t.Helper()
	m := f.say(user, "/report", "请选择问题类别")
	m = f.say(user, wechattest.Choice(f.t, m, "侵害群众利益"), "哪个乡镇")
	m = f.say(user, wechattest.Choice(f.t, m, "新站镇"), "哪个村")
	m = f.say(user, wechattest.Choice(f.t, m, "东风村"), "涉及哪个人")
	f.say(user, "东风村会计", "请描述发生了什么")
	m = f.say(user, "2024年3月惠农补贴被截留，每户少发200元，涉及三十多户。", "证据")
	m = f.say(user, wechattest.Choice(f.t, m, "完成"), "举报方式")
	m = f.say(user, wechattest.Choice(f.t, m, "匿名举报"), "是否允许")
	return f.say(user, wechattest.Choice(f.t, m, "保留"), "请核对")
}

// TestWeChatRetriedMessage: WeChat delivers the confirming message three times (it retries
// when an answer is slow); the report is stored once and the three answers carry the same
// reply. Retries that arrive while the first is still running get the same reply too.
func TestWeChatRetriedMessage(t *testing.T) {
	f := newWXFixture(t, WeChatConfig{AESKey: wxAESKey})
	f.start()
	const user = "oResidentRetry"
	summary := f.report(user)
	confirm := f.cb.Text(user, 777001, wechattest.Choice(t, summary, "确认提交"))
	var replies []string
	for range 3 {
		replies = append(replies, f.post(confirm))
	}
	if !regexpCode.MatchString(replies[0]) {
		t.Fatalf("no query code in %q", replies[0])
	}
	if replies[1] != replies[0] || replies[2] != replies[0] {
		t.Errorf("the three answers differ:\n%q\n%q\n%q", replies[0], replies[1], replies[2])
	}
	if n := countRows(t, f.dbPath, `SELECT COUNT(*) FROM reports`); n != 1 {
		t.Errorf("%d reports; want 1", n)
	}

	// Concurrent retries of one message: one step, one reply content.
	m := f.say(user, "/start", "巡察监督举报服务")
	body := f.cb.Text(user, 777002, wechattest.Choice(t, m, "查询进展"))
	var wg sync.WaitGroup
	got := make([]string, 3)
	for i := range 3 {
		wg.Go(func() { got[i] = f.post(body) })
	}
	wg.Wait()
	if got[0] == "" || got[1] != got[0] || got[2] != got[0] {
		t.Errorf("concurrent retries answered differently: %q", got)
	}
	if n := countRows(t, f.dbPath, `SELECT COUNT(*) FROM inbox WHERE msg_id = 'm777002'`); n != 1 {
		t.Errorf("inbox rows for the message: %d", n)
	}
}

// TestWeChatTokenRevoked: a send answered 40001 drops the token, fetches a new one once, and
// succeeds on the retry, through the outbox and its dispatcher; a media download does the same.
func TestWeChatTokenRevoked(t *testing.T) {
	f := newWXFixture(t, WeChatConfig{})
	f.start()
	const user = "oResidentToken"
	ctx := t.Context()
	f.say(user, "/start", "巡察监督举报服务") // opens the window; the answer is passive
	chat, err := f.db.FindChat(ctx, handlers.PlatformWeChat, user)
	if err != nil {
		t.Fatal(err)
	}
	queue := func(text string) {
		t.Helper()
		err := f.db.Update(ctx, func(tx *store.Tx) error {
			_, err := tx.Enqueue(chat, store.OutMessage{Text: text}, "")
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		f.disp.Wake()
	}
	queue("第一条")
	f.waitSent(user, 0, "第一条", "")
	f.fake.RevokeToken()
	queue("第二条")
	f.waitSent(user, 1, "第二条", "")
	if got := f.fake.Tokens(); got != 2 {
		t.Errorf("tokens fetched: %d; want 2 (one refresh)", got)
	}
	calls := f.fake.Calls("/cgi-bin/message/custom/send")
	if len(calls) != 3 || calls[1].Query.Get("access_token") != "ACCESS_TOKEN_1" || calls[2].Query.Get("access_token") != "ACCESS_TOKEN_2" {
		t.Errorf("custom/send calls: %d; want 3 (ok, 40001, ok with the new token)", len(calls))
	}
	if sent := f.fake.Sent(user); len(sent) != 2 {
		t.Errorf("sent: %+v", sent)
	}
	// A token refused twice in a row is not retried forever.
	f.fake.FailNext("/cgi-bin/message/custom/send", 2, 40001)
	err = f.wx.Send(ctx, user, store.OutMessage{Text: "第三条"})
	if err == nil || !strings.Contains(err.Error(), "40001") {
		t.Errorf("two 40001s in a row: %v", err)
	}
	f.fake.RevokeToken()
	f.fake.AddMedia("media-1", []byte("JPEGDATA"))
	data, err := f.wx.API().Media(ctx, "media-1", 1<<20)
	if err != nil || string(data) != "JPEGDATA" {
		t.Errorf("media after revocation: %q %v", data, err)
	}
}

// TestWeChatWindow: inside the window messages go as customer-service messages, 5 at most;
// then, or when WeChat answers 45015, as template messages; with no template configured the
// message is refused as undeliverable, counted and reported to the administrators.
func TestWeChatWindow(t *testing.T) {
	ctx := t.Context()
	t.Run("template", func(t *testing.T) {
		f := newWXFixture(t, WeChatConfig{TemplateNotice: "TPL_NOTICE"})
		const user = "oResidentWindow"
		if err := f.db.SetWeChatWindow(ctx, user, store.WeChatWindow{LastMessage: time.Now().Add(-time.Hour)}); err != nil {
			t.Fatal(err)
		}
		for i := range 6 {
			if err := f.wx.Send(ctx, user, store.OutMessage{Text: fmt.Sprintf("消息%d", i+1)}); err != nil {
				t.Fatal(err)
			}
		}
		sent := f.fake.Sent(user)
		kinds := []string{}
		for _, s := range sent {
			kinds = append(kinds, s.Kind)
		}
		want := []string{"custom", "custom", "custom", "custom", "custom", "template"}
		if !slices.Equal(kinds, want) {
			t.Fatalf("kinds %v; want %v", kinds, want)
		}
		if d := sent[5].Data; d["keyword1"] != "消息6" || d["thing1"] != "消息6" || d["first"] == "" || d["keyword2"] == "" || sent[5].TemplateID != "TPL_NOTICE" {
			t.Errorf("template data %v", d)
		}
		// WeChat's own count wins: 45015 inside our window falls back to the template and
		// closes our window.
		if err := f.db.SetWeChatWindow(ctx, user, store.WeChatWindow{LastMessage: time.Now()}); err != nil {
			t.Fatal(err)
		}
		f.fake.CloseWindow(user)
		if err := f.wx.Send(ctx, user, store.OutMessage{Text: "窗口已关"}); err != nil {
			t.Fatal(err)
		}
		if s := f.fake.Sent(user); s[len(s)-1].Kind != "template" || s[len(s)-1].Data["keyword1"] != "窗口已关" {
			t.Errorf("after 45015: %+v", s[len(s)-1])
		}
		w, err := f.db.WeChatWindowOf(ctx, user)
		if err != nil || w.SentSinceMessage != store.WeChatMessageQuota {
			t.Errorf("window after 45015: %+v %v", w, err)
		}
		// 45009 pauses.
		f.fake.FailNext("/cgi-bin/message/template/send", 1, 45009)
		err = f.wx.Send(ctx, user, store.OutMessage{Text: "限流"})
		var se *outbox.SendError
		if !asSendError(err, &se) || se.RetryAfter <= 0 {
			t.Errorf("45009: %v", err)
		}
		// 43004: the user unfollowed.
		f.fake.FailNext("/cgi-bin/message/template/send", 1, 43004)
		err = f.wx.Send(ctx, user, store.OutMessage{Text: "取关"})
		if !asSendError(err, &se) || !se.Unreachable {
			t.Errorf("43004: %v", err)
		}
	})
	t.Run("undeliverable", func(t *testing.T) {
		f := newWXFixture(t, WeChatConfig{})
		f.start()
		// An administrator on WeChat, inside their window, and a resident outside theirs.
		inv := &store.Invitation{Role: store.RoleAdmin, ExpiresAt: time.Now().Add(time.Hour)}
		code, err := f.db.CreateInvitation(ctx, inv)
		if err != nil {
			t.Fatal(err)
		}
		const admin, user = "oAdminUser", "oResidentLate"
		f.say(admin, "/bind "+code, "绑定成功")
		f.say(user, "/start", "巡察监督举报服务")
		chat, err := f.db.FindChat(ctx, handlers.PlatformWeChat, user)
		if err != nil {
			t.Fatal(err)
		}
		if err := f.db.SetWeChatWindow(ctx, user, store.WeChatWindow{LastMessage: time.Now().Add(-49 * time.Hour)}); err != nil {
			t.Fatal(err)
		}
		err = f.db.Update(ctx, func(tx *store.Tx) error {
			_, err := tx.Enqueue(chat, store.OutMessage{Text: "您的举报已受理"}, "")
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		f.disp.Wake()
		f.waitSent(admin, 0, "无法送达", "")
		waitFor(t, "the undeliverable count", func() bool {
			s, err := f.db.OutboxStats(ctx)
			return err == nil && s.Undeliverable == 1
		})
		if !strings.Contains(f.logs.String(), `"level":"ERROR","msg":"wechat message undeliverable"`) {
			t.Errorf("no error log line:\n%s", f.logs.String())
		}
		for _, s := range f.fake.Sent(admin) {
			if strings.Contains(s.Text, "已受理") {
				t.Errorf("the notice reveals the message: %q", s.Text)
			}
		}
	})
}

// TestWeChatMedia: an image is answered "success" at once, downloaded in the background and
// attached; the answer follows as a customer-service message. Voice uses WeChat's recognition
// text, a location becomes a place hint, and an unfollow marks the chat unreachable.
func TestWeChatMedia(t *testing.T) {
	f := newWXFixture(t, WeChatConfig{})
	f.start()
	const user = "oResidentMedia"
	m := f.say(user, "/report", "请选择问题类别")
	m = f.say(user, wechattest.Choice(t, m, "侵害群众利益"), "哪个乡镇")
	m = f.say(user, wechattest.Choice(t, m, "新站镇"), "哪个村")
	m = f.say(user, wechattest.Choice(t, m, "东风村"), "涉及哪个人")
	f.say(user, "不知道名字", "请描述发生了什么")
	f.say(user, "去年秋收时村里的补贴少发了，每户少了两百元，很多人都有意见。", "证据")
	f.fake.AddMedia("img-1", pngBytes(t))
	n := len(f.fake.Sent(user))
	if reply := f.post(f.cb.Image(user, f.nextID.Add(1), "img-1")); reply != "" {
		t.Errorf("an image got a passive reply %q; want success", reply)
	}
	f.waitSent(user, n, "已收到附件（共 1 个）", "")
	if got := len(f.fake.Calls("/cgi-bin/media/get")); got != 1 {
		t.Errorf("media/get calls: %d", got)
	}
	// A download WeChat answers "system busy" is tried again; an unknown media id is not.
	f.fake.FailNext("/cgi-bin/media/get", 2, -1)
	n = len(f.fake.Sent(user))
	if reply := f.post(f.cb.Image(user, f.nextID.Add(1), "img-1")); reply != "" {
		t.Errorf("an image got a passive reply %q; want success", reply)
	}
	f.waitSent(user, n, "已收到附件（共 2 个）", "")
	if got := len(f.fake.Calls("/cgi-bin/media/get")); got != 4 {
		t.Errorf("media/get calls: %d; want 4 (1 + 2 busy + 1)", got)
	}
	n = len(f.fake.Sent(user))
	f.post(f.cb.Image(user, f.nextID.Add(1), "no-such-media"))
	f.waitSent(user, n, "没能从微信取回", "")
	// Voice, by its recognition text: a label of the numbered menu.
	m = f.say(user, "/start", "巡察监督举报服务")
	if reply := f.post(f.cb.Voice(user, f.nextID.Add(1), "")); !strings.Contains(reply, "语音") {
		t.Errorf("unrecognised voice: %q", reply)
	}
	reply := f.post(f.cb.Location(user, f.nextID.Add(1), "43.7", "127.3", "新站镇东风村"))
	if reply == "" {
		t.Error("no answer to a location")
	}
	// Unfollow: the chat is marked unreachable and nothing is answered.
	if reply := f.post(f.cb.Event(user, "unsubscribe", "", time.Now())); reply != "" {
		t.Errorf("unsubscribe answered %q", reply)
	}
	if n := countRows(t, f.dbPath, `SELECT COUNT(*) FROM chats WHERE unreachable = 1`); n != 1 {
		t.Errorf("unreachable chats: %d", n)
	}
	// Follow again with an invitation scene: the invitation is bound.
	code, err := f.db.CreateInvitation(t.Context(), &store.Invitation{Role: store.RoleOfficial, ExpiresAt: time.Now().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Now()
	first := f.post(f.cb.Event(user, "subscribe", "qrscene_bind_"+code, at))
	if !strings.Contains(first, "绑定成功") {
		t.Errorf("subscribe with a bind scene: %q", first)
	}
	if again := f.post(f.cb.Event(user, "subscribe", "qrscene_bind_"+code, at)); again != first {
		t.Errorf("a retried event answered %q, then %q", first, again)
	}
	if reply := f.post(f.cb.Event(user, "CLICK", "menu_query", time.Now())); !strings.Contains(reply, "查询码") {
		t.Errorf("menu click: %q", reply)
	}
}

// TestWeChatSlowStep: a step that misses the passive deadline is answered "success", and its
// answer arrives as a customer-service message instead.
func TestWeChatSlowStep(t *testing.T) {
	f := newWXFixture(t, WeChatConfig{PassiveWait: time.Nanosecond})
	f.start()
	const user = "oResidentSlow"
	if reply := f.post(f.cb.Text(user, 5001, "/start")); reply != "" {
		t.Logf("the step beat a 1 ns deadline: %q", reply)
		return
	}
	f.waitSent(user, 0, "巡察监督举报服务", "")
	if n := len(f.fake.Sent(user)); n != 1 {
		t.Errorf("%d messages; want the one answer", n)
	}
}

// TestWeChatPreviousAESKey: after the EncodingAESKey changes, a callback encrypted with the
// previous key is accepted while WECHAT_AES_KEY_PREVIOUS is set and answered with that key; one
// encrypted with any other key is refused and stores nothing.
func TestWeChatPreviousAESKey(t *testing.T) {
	const previous = "ZYXWVUTSRQPONMLKJIHGFEDCBA9876543210zyxwvut"
	f := newWXFixture(t, WeChatConfig{AESKey: wxAESKey, PreviousAESKey: previous})
	f.start()
	old := f.cb
	old.AESKey = previous
	status, body, err := old.Post(f.srv.URL, old.Text("oResidentOldKey", 8001, "/start"))
	if err != nil || status != http.StatusOK {
		t.Fatalf("callback with the previous key: %d %s %v", status, body, err)
	}
	if reply, err := old.Reply(body); err != nil || !strings.Contains(reply, "巡察监督举报服务") {
		t.Fatalf("reply to the previous key: %q %v", reply, err)
	}
	if _, err := f.cb.Reply(body); err == nil {
		t.Error("the reply to a callback under the previous key decrypts with the current key")
	}
	if reply := f.post(f.cb.Text("oResidentNewKey", 8002, "/start")); !strings.Contains(reply, "巡察监督举报服务") {
		t.Fatalf("reply to the current key: %q", reply)
	}
	other := f.cb
	other.AESKey = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFG"
	status, _, err = other.Post(f.srv.URL, other.Text("oResidentOtherKey", 8003, "/start"))
	if err != nil || status != http.StatusForbidden {
		t.Errorf("callback with an unknown key: %d %v; want 403", status, err)
	}
	if n := countRows(t, f.dbPath, `SELECT COUNT(*) FROM inbox WHERE msg_id = 'm8003'`); n != 0 {
		t.Errorf("the refused callback stored %d inbox rows", n)
	}
	for _, cfg := range []WeChatConfig{{PreviousAESKey: previous}, {AESKey: wxAESKey, PreviousAESKey: "short"}} {
		cfg.AppID, cfg.Token = wxAppID, wxToken
		if _, err := NewWeChat(slog.New(slog.DiscardHandler), cfg, f.engine, f.db); err == nil || !strings.Contains(err.Error(), "WECHAT_AES_KEY") {
			t.Errorf("NewWeChat(%+v) = %v; want an error naming the setting", cfg, err)
		}
	}
}

// heldEngine wraps the engine: each step waits until hold is closed (when set), and the
// first fail steps fail.
type heldEngine struct {
	inner WeChatEngine
	hold  chan struct{}
	fail  atomic.Int32
}

func (e *heldEngine) Handle(ctx context.Context, m handlers.Message) (handlers.Result, error) {
	if e.hold != nil {
		<-e.hold
	}
	if e.fail.Add(-1) >= 0 {
		return handlers.Result{}, errors.New("step failed")
	}
	return e.inner.Handle(ctx, m)
}

// TestWeChatReceiptBeforeSuccess: a message is stored by its step's transaction when the step
// answers in time; when it cannot, the message is stored before "success" acknowledges it, and
// a message whose step fails is kept for the retry. None is lost or answered twice.
func TestWeChatReceiptBeforeSuccess(t *testing.T) {
	f := newWXFixture(t, WeChatConfig{PassiveWait: 300 * time.Millisecond})
	held := &heldEngine{inner: f.engine, hold: make(chan struct{})}
	f.wx.engine = held
	release := sync.OnceFunc(func() { close(held.hold) })
	t.Cleanup(release) // before the fixture stops, which waits for the held step
	f.start()
	ctx := context.Background()
	inInbox := func(msgID string) (stored, pending bool) {
		n := countRows(t, f.dbPath, `SELECT COUNT(*) FROM inbox WHERE platform = 'wechat' AND msg_id = '`+msgID+`'`)
		p, err := f.db.PendingMessages(ctx, handlers.PlatformWeChat, 100)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range p {
			pending = pending || m.MsgID == msgID
		}
		return n == 1, pending
	}

	// The step is held past the passive wait: "success", and the message is already stored.
	if reply := f.post(f.cb.Text("oResidentHeld", 7001, "/start")); reply != "" {
		t.Fatalf("passive reply %q from a held step", reply)
	}
	if stored, pending := inInbox("m7001"); !stored || !pending {
		t.Fatalf("acknowledged message: stored %v, pending %v; want both", stored, pending)
	}
	release()
	f.waitSent("oResidentHeld", 0, "巡察监督举报服务", "")

	// A step that fails: "success" (the message is stored), then the retry answers it.
	held.fail.Store(1)
	if reply := f.post(f.cb.Text("oResidentFail", 7002, "/start")); reply != "" {
		t.Fatalf("passive reply %q from a failed step", reply)
	}
	f.waitSent("oResidentFail", 0, "巡察监督举报服务", "")

	// A step in time: one commit stores and processes the message.
	if reply := f.post(f.cb.Text("oResidentFast", 7003, "/start")); !strings.Contains(reply, "巡察监督举报服务") {
		t.Fatalf("passive reply %q", reply)
	}
	for _, id := range []string{"m7001", "m7002", "m7003"} {
		if stored, pending := inInbox(id); !stored || pending {
			t.Errorf("%s: stored %v, pending %v; want stored and processed", id, stored, pending)
		}
	}
	time.Sleep(200 * time.Millisecond) // a second answer would be on its way by now
	for _, user := range []string{"oResidentHeld", "oResidentFail"} {
		if n := len(f.fake.Sent(user)); n != 1 {
			t.Errorf("%s got %d messages; want the one answer", user, n)
		}
	}
	if n := len(f.fake.Sent("oResidentFast")); n != 0 {
		t.Errorf("oResidentFast got %d customer-service messages besides the passive reply", n)
	}
}

// BenchmarkWeChatPassive measures the passive reply latency of signed, encrypted callbacks
// (safe mode) from concurrent users, from the request to the decrypted reply: each request is
// a new resident's first message, so each step creates a chat and answers the welcome menu.
// p50/p99 are computed over every request. Sub-benchmarks: 200 concurrent callbacks (the
// goal), 1 at a time (the service time of one callback), the engine's step alone called by
// 200 goroutines (the floor the channel adds to: one SQLite transaction, one fsync, per step),
// and both of these in alternating rounds (interleaved=200), for their ratio on a shared
// machine.
func BenchmarkWeChatPassive(b *testing.B) {
	b.Run("callbacks=200", func(b *testing.B) { benchCallbacks(b, 200) })
	b.Run("callbacks=1", func(b *testing.B) { benchCallbacks(b, 1) })
	b.Run("engine-only=200", benchEngine)
	b.Run("net-http-client=200", benchCallbacksHTTPClient)
	b.Run("interleaved=200", benchInterleaved)
}

// benchCallbacks sends signed, encrypted callbacks from clients connections at once, each a
// new user's first message, and checks that each got its passive reply.
func benchCallbacks(b *testing.B, clients int) {
	f := newWXFixture(b, WeChatConfig{AESKey: wxAESKey})
	f.start()
	c := newCallbackClient(b, f, b.N, clients)
	b.ResetTimer()
	cpu := processCPU()
	c.send(0, b.N)
	b.StopTimer()
	reportCPU(b, cpu)
	checkReplies(b, f, c.replies)
	reportLatency(b, c.lat)
}

// callbackClient is WeChat's side of benchCallbacks, which runs on other machines; here it
// shares the CPU with the server. It writes requests built before the clock on kept-alive
// connections and reads the answers with one goroutine per connection, so that the benchmark
// measures the server rather than net/http's client (three goroutines and their hand-offs per
// request; see benchCallbacksHTTPClient for the same load through it). Signing and encrypting
// a callback, and decrypting the reply, run before and after the clock, not inside it.
type callbackClient struct {
	conns   []net.Conn
	readers []*bufio.Reader
	reqs    [][]byte
	replies []string
	lat     []time.Duration
}

func newCallbackClient(b *testing.B, f *wxFixture, n, clients int) *callbackClient {
	c := &callbackClient{reqs: make([][]byte, n), replies: make([]string, n), lat: make([]time.Duration, n)}
	host := f.srv.Listener.Addr().String()
	for i := range n {
		s := f.cb.Sign(f.cb.Text(fmt.Sprintf("oBench%07d", i), int64(900000+i), "你好"), time.Now())
		c.reqs[i] = fmt.Appendf(nil, "POST /?%s HTTP/1.1\r\nHost: %s\r\nContent-Type: text/xml\r\nContent-Length: %d\r\n\r\n%s",
			s.Query.Encode(), host, len(s.Body), s.Body)
	}
	for range clients {
		conn, err := net.Dial("tcp", host)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { conn.Close() })
		c.conns = append(c.conns, conn)
		c.readers = append(c.readers, bufio.NewReader(conn))
	}
	return c
}

// send sends requests lo to hi-1, one connection's requests at a time each, all connections at once.
func (c *callbackClient) send(lo, hi int) {
	spread(lo, hi, len(c.conns), func(conn, i int) {
		start := time.Now()
		if _, err := c.conns[conn].Write(c.reqs[i]); err != nil {
			return
		}
		res, err := http.ReadResponse(c.readers[conn], nil)
		if err != nil {
			return
		}
		c.replies[i] = readAll(res)
		c.lat[i] = time.Since(start)
	})
}

// spread runs fn for lo to hi-1 from workers goroutines at once, each taking the next i when
// done with its last; fn is told which worker runs it.
func spread(lo, hi, workers int, fn func(worker, i int)) {
	var next atomic.Int64
	next.Store(int64(lo))
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= hi {
					return
				}
				fn(w, i)
			}
		})
	}
	wg.Wait()
}

// benchCallbacksHTTPClient is benchCallbacks at 200 through net/http's client, as this
// benchmark measured before (the client's own cost included).
func benchCallbacksHTTPClient(b *testing.B) {
	const clients = 200
	f := newWXFixture(b, WeChatConfig{AESKey: wxAESKey})
	f.start()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients}, Timeout: 10 * time.Second}
	defer client.CloseIdleConnections()
	urls, bodies := make([]string, b.N), make([]string, b.N)
	for i := range b.N {
		s := f.cb.Sign(f.cb.Text(fmt.Sprintf("oBench%07d", i), int64(900000+i), "你好"), time.Now())
		urls[i], bodies[i] = s.URL(f.srv.URL), s.Body
	}
	replies := make([]string, b.N)
	lat := runConcurrent(b, clients, func(i int) {
		res, err := client.Post(urls[i], "text/xml", strings.NewReader(bodies[i]))
		if err == nil {
			replies[i] = readAll(res)
		}
	})
	checkReplies(b, f, replies)
	reportLatency(b, lat)
}

// checkReplies fails the benchmark unless every callback got a passive reply.
func checkReplies(b *testing.B, f *wxFixture, replies []string) {
	failed := 0
	for _, r := range replies {
		if reply, err := f.cb.Reply([]byte(r)); err != nil || reply == "" {
			failed++
		}
	}
	if failed > 0 {
		b.Fatalf("%d of %d callbacks got no passive reply", failed, len(replies))
	}
}

func benchEngine(b *testing.B) {
	f := newWXFixture(b, WeChatConfig{})
	lat := runConcurrent(b, 200, func(i int) { engineStep(b, f, i) })
	reportLatency(b, lat)
}

// engineStep is the step of a callback without the channel: a new chat's first message,
// answered passively.
func engineStep(b *testing.B, f *wxFixture, i int) {
	_, err := f.engine.Handle(context.Background(), handlers.Message{Platform: handlers.PlatformWeChat,
		ChatID: fmt.Sprintf("oStep%07d", i), MsgID: fmt.Sprintf("s%d", 900000+i), Text: "你好", Passive: true})
	if err != nil {
		b.Error(err)
	}
}

// benchInterleaved runs b.N callbacks and b.N bare steps, each 200 at once, in alternating
// rounds of 2,000 on one database, and reports each one's throughput and p99 and their ratios.
// The two sub-benchmarks above run seconds apart, and on a shared machine the load changes in
// between: their ratio swung by 2-3x from one run to the next (BENCHMARKS.md, WeChat). Here
// both see the same moments' load, round after round.
func benchInterleaved(b *testing.B) {
	const clients, round = 200, 2000
	f := newWXFixture(b, WeChatConfig{AESKey: wxAESKey})
	f.start()
	c := newCallbackClient(b, f, b.N, clients)
	steps := make([]time.Duration, b.N)
	var inCallbacks, inSteps time.Duration
	b.ResetTimer()
	for lo := 0; lo < b.N; lo += round {
		hi := min(lo+round, b.N)
		start := time.Now()
		c.send(lo, hi)
		inCallbacks += time.Since(start)
		start = time.Now()
		spread(lo, hi, clients, func(_, i int) {
			t := time.Now()
			engineStep(b, f, i)
			steps[i] = time.Since(t)
		})
		inSteps += time.Since(start)
	}
	b.StopTimer()
	checkReplies(b, f, c.replies)
	cb, step := float64(b.N)/inCallbacks.Seconds(), float64(b.N)/inSteps.Seconds()
	cbP99, stepP99 := p99(c.lat), p99(steps)
	b.ReportMetric(cb, "callbacks/s")
	b.ReportMetric(step, "steps/s")
	b.ReportMetric(cb/step, "ratio")
	b.ReportMetric(cbP99, "callbacks-p99-ms")
	b.ReportMetric(stepP99, "steps-p99-ms")
	b.ReportMetric(cbP99/stepP99, "p99-ratio")
}

// runConcurrent runs b.N calls of fn from clients goroutines and returns each call's latency.
func runConcurrent(b *testing.B, clients int, fn func(i int)) []time.Duration {
	lat := make([]time.Duration, b.N)
	b.ResetTimer()
	cpu := processCPU()
	spread(0, b.N, clients, func(_, i int) {
		start := time.Now()
		fn(i)
		lat[i] = time.Since(start)
	})
	b.StopTimer()
	reportCPU(b, cpu)
	return lat
}

// reportCPU reports the CPU time the process used per operation since start, server and
// client together: on a shared machine it moves far less than the throughput does.
func reportCPU(b *testing.B, start time.Duration) {
	b.ReportMetric(float64((processCPU()-start).Microseconds())/float64(b.N), "cpu-us/op")
}

func reportLatency(b *testing.B, lat []time.Duration) {
	b.ReportMetric(percentile(lat, 0.50), "p50-ms")
	b.ReportMetric(percentile(lat, 0.99), "p99-ms")
	b.ReportMetric(float64(len(lat))/b.Elapsed().Seconds(), "req/s")
}

func p99(lat []time.Duration) float64 { return percentile(lat, 0.99) }

// percentile sorts lat and returns its p-th percentile in milliseconds.
func percentile(lat []time.Duration, p float64) float64 {
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) / 1000
}

func readAll(res *http.Response) string {
	defer res.Body.Close()
	var sb strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := res.Body.Read(buf)
		sb.Write(buf[:n])
		if err != nil {
			return sb.String()
		}
	}
}

// TestWeChatMenuText: buttons become a numbered list with cancel as a hint, and a reply maps
// back by number (full-width digits too), by label, or by "取消"; anything else stays text.
func TestWeChatMenuText(t *testing.T) {
	msg := store.OutMessage{Text: "请选择：", Buttons: [][]store.Button{
		{{Text: "新站镇", Data: "t:1"}, {Text: "天岗镇", Data: "t:2"}},
		{{Text: "取消", Data: "x"}},
	}}
	text, menu := renderWeChat(handlers.LangZH, msg)
	want := "请选择：\n\n回复数字选择：\n1. 新站镇\n2. 天岗镇\n回复“取消”退出"
	if text != want {
		t.Fatalf("rendered %q\nwant %q", text, want)
	}
	tests := []struct {
		in   string
		data string
		ok   bool
	}{
		{"1", "t:1", true}, {" 2 ", "t:2", true}, {"２", "t:2", true}, {"天岗镇", "t:2", true},
		{"取消", "x", true}, {"Cancel", "x", true},
		{"3", "", false}, {"0", "", false}, {"12", "", false}, {"新站镇的会计", "", false},
	}
	for _, tt := range tests {
		data, ok := menuChoice(tt.in, menu)
		if data != tt.data || ok != tt.ok {
			t.Errorf("menuChoice(%q) = %q, %v; want %q, %v", tt.in, data, ok, tt.data, tt.ok)
		}
	}
	// A question answered in text with only a cancel button: a number is the answer.
	_, menu = renderWeChat(handlers.LangZH, store.OutMessage{Text: "走访多少人？", Buttons: [][]store.Button{{{Text: "取消", Data: "x"}}}})
	if data, ok := menuChoice("1", menu); ok {
		t.Errorf("a typed number was taken for the button %q", data)
	}
	if text, _ := renderWeChat(handlers.LangEN, store.OutMessage{Text: "Hi"}); text != "Hi" {
		t.Errorf("a message without buttons rendered as %q", text)
	}
}

// TestWeChatSplit: long texts are cut at line breaks, never inside a character.
func TestWeChatSplit(t *testing.T) {
	long := strings.Repeat("举报内容", 300) + "\n" + strings.Repeat("补充", 400)
	parts := splitBytes(long, maxWeChatText)
	if strings.Join(parts, "") != long {
		t.Fatal("parts do not add up to the text")
	}
	for _, p := range parts {
		if len(p) > maxWeChatText || !utf8.ValidString(p) {
			t.Errorf("part of %d bytes, valid UTF-8 %v", len(p), utf8.ValidString(p))
		}
	}
	if got := cutRunes("一二三四五", 3); got != "一二…" {
		t.Errorf("cutRunes = %q", got)
	}
}

// TestWeChatStoreDown: a message that cannot be stored is not acknowledged: the callback gets
// 503, not "success", so that WeChat delivers it again.
func TestWeChatStoreDown(t *testing.T) {
	f := newWXFixture(t, WeChatConfig{AESKey: wxAESKey})
	f.db.Close()
	status, body, err := f.cb.Post(f.srv.URL, f.cb.Text("oResidentDown", 1, "你好"))
	if err != nil || status != http.StatusServiceUnavailable || strings.Contains(string(body), "success") {
		t.Errorf("callback with the store down: %d %q %v; want 503", status, body, err)
	}
}

// TestWeChatPlaintextReplay: in plaintext mode a callback's signature covers the token, the
// timestamp and the nonce, not the body. A captured URL replayed with a forged body — as the
// same openid or any other, within the five minutes its timestamp is fresh — is refused and
// acts as nobody: nothing stored, no chat, no answer; a channel restarted on the same database
// still refuses it. The same request again, byte for byte, is WeChat retrying: it is answered
// and changes nothing.
func TestWeChatPlaintextReplay(t *testing.T) {
	f := newWXFixture(t, WeChatConfig{})
	f.start()
	const victim = "oOfficialVictim"
	captured := f.cb.Sign(f.cb.Text(victim, 5001, "/start"), time.Now())
	status, b, err := wechattest.PostSigned(f.srv.URL, captured)
	if err != nil || status != http.StatusOK {
		t.Fatalf("the genuine callback: %d %s %v", status, b, err)
	}
	first, err := f.cb.Reply(b)
	if err != nil || !strings.Contains(first, "巡察监督举报服务") {
		t.Fatalf("the genuine callback's answer: %q %v", first, err)
	}
	chats := countRows(t, f.dbPath, `SELECT COUNT(*) FROM chats`)

	for _, forged := range []string{
		f.cb.Text(victim, 5002, "/ledger"),                     // as the victim
		f.cb.Text("oSomeoneElse", 5003, "/start"),              // as anyone
		f.cb.Event(victim, "CLICK", "menu_report", time.Now()), // an event
	} {
		replay := captured
		replay.Body = forged
		status, b, err := wechattest.PostSigned(f.srv.URL, replay)
		if err != nil || status != http.StatusForbidden {
			t.Errorf("a forged body on a captured URL: %d %s %v; want 403", status, b, err)
		}
	}
	if n := countRows(t, f.dbPath, `SELECT COUNT(*) FROM inbox WHERE msg_id IN ('m5002', 'm5003') OR msg_id LIKE 'e%'`); n != 0 {
		t.Errorf("the forged callbacks stored %d inbox rows", n)
	}
	if n := countRows(t, f.dbPath, `SELECT COUNT(*) FROM chats`); n != chats {
		t.Errorf("chats: %d before the forged callbacks, %d after", chats, n)
	}
	if sent := f.fake.Sent(""); len(sent) != 0 {
		t.Errorf("the forged callbacks were answered: %+v", sent)
	}

	// WeChat's retry: the same URL and body again is taken, and deduplicated.
	status, b, err = wechattest.PostSigned(f.srv.URL, captured)
	if err != nil || status != http.StatusOK {
		t.Fatalf("the same callback again: %d %s %v", status, b, err)
	}
	if again, _ := f.cb.Reply(b); again != first {
		t.Errorf("the retry was answered %q; the first %q", again, first)
	}
	if n := countRows(t, f.dbPath, `SELECT COUNT(*) FROM inbox WHERE msg_id = 'm5001'`); n != 1 {
		t.Errorf("inbox rows of the genuine message: %d", n)
	}

	// The nonces are in the database, not in the channel's memory: a restart forgets none.
	wx, err := NewWeChat(slog.New(slog.DiscardHandler), WeChatConfig{AppID: wxAppID, Token: wxToken, Plaintext: true, APIURL: f.fake.URL}, f.engine, f.db)
	if err != nil {
		t.Fatal(err)
	}
	replay := captured
	replay.Body = f.cb.Text(victim, 5004, "/ledger")
	rec := httptest.NewRecorder()
	wx.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, replay.URL("/wechat"), strings.NewReader(replay.Body)))
	if rec.Code != http.StatusForbidden {
		t.Errorf("a forged body after a restart: %d; want 403", rec.Code)
	}
}

// TestWeChatReplayedNonce: in safe mode two callbacks that share a timestamp and nonce, each
// properly encrypted and signed, are one too many: the second is refused and stores nothing.
func TestWeChatReplayedNonce(t *testing.T) {
	f := newWXFixture(t, WeChatConfig{AESKey: wxAESKey})
	f.start()
	now := time.Now()
	first := f.cb.SignNonce(f.cb.Text("oResidentNonce", 6001, "/start"), now, "1234567890")
	second := f.cb.SignNonce(f.cb.Text("oResidentNonce", 6002, "/help"), now, "1234567890")
	if status, b, err := wechattest.PostSigned(f.srv.URL, first); err != nil || status != http.StatusOK {
		t.Fatalf("first: %d %s %v", status, b, err)
	}
	if status, b, err := wechattest.PostSigned(f.srv.URL, second); err != nil || status != http.StatusForbidden {
		t.Errorf("a second message with the same nonce: %d %s %v; want 403", status, b, err)
	}
	if n := countRows(t, f.dbPath, `SELECT COUNT(*) FROM inbox WHERE msg_id = 'm6002'`); n != 0 {
		t.Errorf("the refused callback stored %d inbox rows", n)
	}
	// The same nonce at another timestamp is another pair (WeChat's nonces are short).
	if status, b, err := wechattest.PostSigned(f.srv.URL, f.cb.SignNonce(f.cb.Text("oResidentNonce", 6003, "/help"), now.Add(-time.Second), "1234567890")); err != nil || status != http.StatusOK {
		t.Errorf("the nonce at another timestamp: %d %s %v", status, b, err)
	}
}

// TestWeChatModeConfig: without an EncodingAESKey the channel does not start unless plaintext
// mode is asked for, and not both; the errors name the settings.
func TestWeChatModeConfig(t *testing.T) {
	f := newWXFixture(t, WeChatConfig{AESKey: wxAESKey})
	for _, tt := range []struct {
		cfg  WeChatConfig
		want string
	}{
		{WeChatConfig{}, "WECHAT_PLAINTEXT"},
		{WeChatConfig{AESKey: wxAESKey, Plaintext: true}, "not both"},
	} {
		tt.cfg.AppID, tt.cfg.Token = wxAppID, wxToken
		if _, err := NewWeChat(slog.New(slog.DiscardHandler), tt.cfg, f.engine, f.db); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("NewWeChat(%+v) = %v; want an error saying %q", tt.cfg, err, tt.want)
		}
	}
}

// gatedEngine holds the steps of one chat until its gate is closed.
type gatedEngine struct {
	WeChatEngine
	chat string
	gate chan struct{}
}

func (g gatedEngine) Handle(ctx context.Context, m handlers.Message) (handlers.Result, error) {
	if m.ChatID == g.chat {
		<-g.gate
	}
	return g.WeChatEngine.Handle(ctx, m)
}

// TestWeChatReplayedNonceInTransaction: in safe mode a callback's nonce is claimed by the
// transaction that first stores it — its receipt while its chat is busy, or its own step — and a
// replayed nonce is refused on both paths with nothing left behind: no inbox row, no chat, no
// answer; the chat's other messages are answered as usual.
func TestWeChatReplayedNonceInTransaction(t *testing.T) {
	f := newWXFixture(t, WeChatConfig{AESKey: wxAESKey})
	const busy, idle = "oResidentBusy", "oResidentIdle"
	gate := make(chan struct{})
	wx, err := NewWeChat(slog.New(slog.DiscardHandler), WeChatConfig{AppID: wxAppID, Token: wxToken, AESKey: wxAESKey, APIURL: f.fake.URL}, gatedEngine{f.engine, busy, gate}, f.db)
	if err != nil {
		t.Fatal(err)
	}
	post := func(s wechattest.Signed) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		wx.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, s.URL("/wechat"), strings.NewReader(s.Body)))
		return rec
	}
	now := time.Now()
	var wg sync.WaitGroup
	answers := make([]*httptest.ResponseRecorder, 2)
	// The first message holds the chat's lane (its step waits at the gate); the second, from
	// the same chat, is stored by its receipt while it waits.
	wg.Go(func() { answers[0] = post(f.cb.SignNonce(f.cb.Text(busy, 7001, "/start"), now, "nonceA")) })
	waitFor(t, "the first message in its lane", func() bool {
		wx.mu.Lock()
		defer wx.mu.Unlock()
		_, ok := wx.lanes[busy]
		return ok
	})
	wg.Go(func() { answers[1] = post(f.cb.SignNonce(f.cb.Text(busy, 7002, "/help"), now, "nonceB")) })
	waitFor(t, "the second message stored", func() bool {
		return countRows(t, f.dbPath, `SELECT COUNT(*) FROM inbox WHERE msg_id = 'm7002'`) == 1
	})
	chats := countRows(t, f.dbPath, `SELECT COUNT(*) FROM chats`)

	// nonceB again with another message: on the receipt's path (the chat is busy), then on the
	// step's (a chat with nothing in flight).
	for _, replay := range []wechattest.Signed{
		f.cb.SignNonce(f.cb.Text(busy, 7003, "/ledger"), now, "nonceB"),
		f.cb.SignNonce(f.cb.Text(idle, 7004, "/start"), now, "nonceB"),
	} {
		if rec := post(replay); rec.Code != http.StatusForbidden {
			t.Errorf("a replayed nonce: %d %s; want 403", rec.Code, rec.Body)
		}
	}
	if n := countRows(t, f.dbPath, `SELECT COUNT(*) FROM chats`); n != chats {
		t.Errorf("chats: %d before the refused callbacks, %d after", chats, n)
	}
	close(gate)
	wg.Wait()
	wx.lanesWG.Wait()
	for i, rec := range answers {
		if reply, err := f.cb.Reply(rec.Body.Bytes()); rec.Code != http.StatusOK || err != nil || reply == "" {
			t.Errorf("message %d of the busy chat: %d %q %v; want its passive reply", i+1, rec.Code, reply, err)
		}
	}
	if n := countRows(t, f.dbPath, `SELECT COUNT(*) FROM inbox WHERE msg_id IN ('m7003', 'm7004')`); n != 0 {
		t.Errorf("the refused callbacks stored %d inbox rows", n)
	}
}

// TestWeChatClueFile: an official on WeChat opens a clue and picks one of its files from the
// numbered menu; an Official Account cannot send a document, so the answer names the file and
// says where to open it (the desk), and the request is audit-logged like on the other channels.
func TestWeChatClueFile(t *testing.T) {
	f := newWXFixture(t, WeChatConfig{})
	ctx := context.Background()
	tw, village, err := f.db.FindPlaceByName(ctx, "新站镇", "东风村")
	if err != nil {
		t.Fatal(err)
	}
	code, err := f.db.CreateInvitation(ctx, &store.Invitation{Role: store.RoleOfficial, TownshipID: tw, ExpiresAt: time.Now().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	var number string
	if err := f.db.Update(ctx, func(tx *store.Tx) error {
		chat, err := tx.EnsureChat(handlers.PlatformWeChat, "oOfficial", "zh", false)
		if err != nil {
			return err
		}
		if _, err := tx.RedeemInvitation(code, chat.ID); err != nil {
			return err
		}
		sha, err := tx.PutBlob([]byte("%PDF-1.4 receipt"), "application/pdf")
		if err != nil {
			return err
		}
		r := &store.Report{Category: "interests", TownshipID: tw, VillageID: village, Subject: "东风村会计", Description: "截留补贴", Anonymous: true, Lang: "zh"}
		if _, err := tx.CreateReport(r, []store.Attachment{{SHA256: sha, Name: "附件1.pdf", MIME: "application/pdf", Size: 16}}); err != nil {
			return err
		}
		c := &store.Clue{Source: store.ClueFromReport, ReportID: r.ID, Subject: r.Subject, Summary: r.Description, TownshipID: tw, VillageID: village}
		if _, err := tx.CreateClue(c); err != nil {
			return err
		}
		number = c.Number
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	f.start()
	card := f.say("oOfficial", "/clue "+number, "附件1.pdf")
	got := f.say("oOfficial", wechattest.Choice(t, card, "附件1.pdf"), "无法通过公众号发送")
	if !strings.Contains(got, "附件1.pdf") || !strings.Contains(got, "/desk") {
		t.Errorf("the answer to the file's number: %q", got)
	}
	if n := countRows(t, f.dbPath, `SELECT COUNT(*) FROM audit WHERE action = 'clue.file' AND channel = 'wechat'`); n != 1 {
		t.Errorf("%d clue.file audit rows", n)
	}
}
