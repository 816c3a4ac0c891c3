package bot

import (
	"bytes"
	"encoding/xml"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/silenceper/wechat/v2/util"

	"xuncha/bot/wechattest"
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

// FuzzWeChatXML: the flat XML reader and writer (wechat_xml.go) agree with encoding/xml, and
// the cipher (wechat_crypto.go) with silenceper's util. A document the reader takes must decode
// to what encoding/xml decodes it to (anything else is left to encoding/xml); a reply written
// must be byte for byte what xml.Marshal writes; an Encrypt element must decrypt, or be
// refused, as util.DecryptMsg does it.
//
//	go test -run '^$' -fuzz FuzzWeChatXML -fuzztime 2000000x ./bot/
func FuzzWeChatXML(f *testing.F) {
	cb := wechattest.Callback{Account: "gh_fuzz"}
	now := time.Unix(1700000000, 0)
	sent := []string{ // what WeChat sends: read without encoding/xml
		cb.Text("oFuzz", 1, "/report <b>&amp;"),
		cb.Image("oFuzz", 3, "media-1"),
		cb.Voice("oFuzz", 4, "我要举报"),
		cb.Location("oFuzz", 5, "43.7", "127.3", "蛟河市"),
		cb.Event("oFuzz", "subscribe", "qrscene_bind_abcdefghijklmnop", now),
		"<xml><ToUserName><![CDATA[gh]]></ToUserName><Encrypt><![CDATA[abc+/=]]></Encrypt></xml>",
	}
	for _, body := range sent {
		if !scanFlatXML([]byte(body), func(_, _ []byte) bool { return true }) {
			f.Fatalf("left to encoding/xml: %q", body)
		}
	}
	for _, body := range append(sent,
		cb.Text("oFuzz", 2, "]]>"),
		"<xml>\n <MsgType>text</MsgType>\r\n<Content>a&lt;b</Content></xml>",
		"<xml><CreateTime> 12 </CreateTime><CreateTime></CreateTime><MsgId>1</MsgId><MsgId>2</MsgId></xml>",
		"<xml><CreateTime>x</CreateTime></xml>",
		"<xml><Content>a\rb</Content><Other><![CDATA[]]></Other></xml>trailing",
		"<xml><Content><b>x</b></Content></xml>",
		"<xml><Content/></xml>",
		"<?xml version=\"1.0\"?><xml><Content>x</Content></xml>",
		"<root><Content>x</Content></root>",
		"<xml><Content>\x00</Content></xml>",
		"<xml><Content>\xff</Content></xml>",
		"<xml><Content>]]></Content></xml>",
		"<xml><Content></Contents></xml>",
		"<xml><![CDATA[",
		"",
		"jn1L23DB+6ELqJ+6bruv21Y6MD7KeIfP82D6gU39rmkgczbWwt5+3bnyg5K55bgVtVzd832WzZGMhkP72vVOfg==",
	) {
		f.Add(body, "oFuzz", "回复 ]]> 文字")
	}
	c, err := newWXCipher(wxAESKey)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body, user, text string) {
		sameAsXML(t, body, decodeWeChat)
		sameAsXML(t, body, decodeEnvelope)
		type cdata struct {
			Value string `xml:",cdata"`
		}
		want, err := xml.Marshal(struct {
			XMLName      xml.Name `xml:"xml"`
			ToUserName   cdata
			FromUserName cdata
			CreateTime   int64
			MsgType      cdata
			Content      cdata
		}{ToUserName: cdata{user}, FromUserName: cdata{"gh_fuzz"}, CreateTime: -17, MsgType: cdata{"text"}, Content: cdata{text}})
		if got := passiveXML("gh_fuzz", user, -17, text); err != nil || !bytes.Equal(got, want) {
			t.Fatalf("reply to %q, %q:\n%s\nencoding/xml:\n%s %v", user, text, got, want, err)
		}
		plain, err := c.decrypt(wxAppID, body)
		_, utilPlain, utilErr := util.DecryptMsg(wxAppID, body, wxAESKey)
		if (err == nil) != (utilErr == nil) || err == nil && !bytes.Equal(plain, utilPlain) {
			t.Fatalf("decrypt(%q) = %q, %v; util.DecryptMsg: %q, %v", body, plain, err, utilPlain, utilErr)
		}
		random := []byte("0123456789abcdef")
		enc, err := util.EncryptMsg(random, []byte(text), wxAppID, wxAESKey)
		if got := c.encrypt(random, []byte(text), wxAppID); err != nil || !bytes.Equal(got, enc) {
			t.Fatalf("encrypt(%q) = %s; util.EncryptMsg: %s, %v", text, got, enc, err)
		}
		if plain, err := c.decrypt(wxAppID, string(enc)); err != nil || string(plain) != text {
			t.Fatalf("decrypt(encrypt(%q)) = %q, %v", text, plain, err)
		}
	})
}

// sameAsXML fails t unless decode reads body as xml.Unmarshal does.
func sameAsXML[T comparable](t *testing.T, body string, decode func([]byte, *T) error) {
	var got, want T
	err, wantErr := decode([]byte(body), &got), xml.Unmarshal([]byte(body), &want)
	if (err == nil) != (wantErr == nil) || err == nil && got != want {
		t.Fatalf("%q: read as %+v, %v; encoding/xml: %+v, %v", body, got, err, want, wantErr)
	}
}
