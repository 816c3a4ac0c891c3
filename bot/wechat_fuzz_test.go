package bot

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// FuzzWeChatCallback posts arbitrary XML to the callback, signed as WeChat signs (plain mode)
// or encrypted and signed (safe mode), and also unsigned. Nothing may panic; a signed body gets
// an answer WeChat accepts or a refusal, never a server error that would make WeChat retry a
// message that can never be read; an unsigned one is always refused with 403.
//
//	go test -run '^$' -fuzz FuzzWeChatCallback -fuzztime 1000000x -fuzzminimizetime 10x -parallel 1 ./bot/
func FuzzWeChatCallback(f *testing.F) {
	plain := newWXFixture(f, WeChatConfig{})
	safe := newWXFixture(f, WeChatConfig{AESKey: wxAESKey})
	now := time.Now()
	for _, body := range []string{
		plain.cb.Text("oFuzz", 1, "/report"),
		plain.cb.Text("oFuzz", 2, "1234 5678 9012 3456"),
		plain.cb.Image("oFuzz", 3, "media-1"),
		plain.cb.Voice("oFuzz", 4, "我要举报"),
		plain.cb.Location("oFuzz", 5, "43.7", "127.3", "蛟河市"),
		plain.cb.Event("oFuzz", "subscribe", "qrscene_bind_abcdefghijklmnop", now),
		plain.cb.Event("oFuzz", "CLICK", "menu_report", now),
		"<xml><MsgType>text</MsgType></xml>",
		"<xml><![CDATA[",
		"not xml at all",
		"",
	} {
		f.Add(body, false)
		f.Add(body, true)
	}
	f.Fuzz(func(t *testing.T, body string, safeMode bool) {
		fx := plain
		if safeMode {
			fx = safe
		}
		signed := fx.cb.Sign(body, time.Now())
		req := httptest.NewRequest(http.MethodPost, signed.URL("/wechat"), strings.NewReader(signed.Body))
		rec := httptest.NewRecorder()
		fx.wx.ServeHTTP(rec, req)
		switch rec.Code {
		case http.StatusOK, http.StatusBadRequest, http.StatusForbidden:
		default:
			t.Fatalf("signed body %q: status %d %q", body, rec.Code, rec.Body.String())
		}
		// The same body without a signature is refused.
		req = httptest.NewRequest(http.MethodPost, "/wechat?timestamp=1&nonce=x&signature=bad", strings.NewReader(body))
		rec = httptest.NewRecorder()
		fx.wx.ServeHTTP(rec, req)
		if rec.Code != http.StatusForbidden {
			t.Fatalf("unsigned body %q: status %d", body, rec.Code)
		}
	})
}
