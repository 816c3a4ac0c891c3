package bot

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"xuncha/bot/wechattest"
	"xuncha/handlers"
)

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
