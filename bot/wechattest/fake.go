// Package wechattest is a fake WeChat Official Account API served on loopback for tests, and
// a builder of callbacks signed (and encrypted) exactly as WeChat signs them. The fake issues
// access tokens (a new one revokes the previous, as WeChat does), checks the token on every
// call, records every call, and can answer injected error codes: 45015 (window closed),
// 40001 (token revoked), 45009 (quota) and any other.
package wechattest

import (
	"crypto/rand"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/silenceper/wechat/v2/util"
)

// Call is one recorded API call.
type Call struct {
	Path  string
	Query url.Values
	Body  map[string]any
	At    time.Time
}

// Sent is one message the fake accepted.
type Sent struct {
	Kind       string // "custom" or "template"
	ToUser     string
	Text       string            // custom: the text
	TemplateID string            // template
	Data       map[string]string // template: field → value
	At         time.Time
}

// Server is the fake API.
type Server struct {
	*httptest.Server
	AppID, Secret string

	mu       sync.Mutex
	calls    []Call
	sent     []Sent
	tokens   int
	token    string
	failures map[string][]int // path → errcodes to answer next
	closed   map[string]bool  // openid → customer-service window closed (45015)
	media    map[string][]byte
	delay    map[string]time.Duration
}

// New starts a fake for an app.
func New(appID, secret string) *Server {
	s := &Server{AppID: appID, Secret: secret, failures: map[string][]int{}, closed: map[string]bool{},
		media: map[string][]byte{}, delay: map[string]time.Duration{}}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// FailNext makes the next n calls of path (e.g. "/cgi-bin/message/custom/send") answer errcode.
func (s *Server) FailNext(path string, n, errcode int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.failures[path] = append(s.failures[path], errcode)
	}
}

// RevokeToken invalidates the current access token: the next call with it gets 40001.
func (s *Server) RevokeToken() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.token = "revoked"
}

// CloseWindow makes customer-service messages to openid fail with 45015 until OpenWindow.
func (s *Server) CloseWindow(openid string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed[openid] = true
}

// OpenWindow undoes CloseWindow.
func (s *Server) OpenWindow(openid string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.closed, openid)
}

// AddMedia makes bytes downloadable under a media id.
func (s *Server) AddMedia(mediaID string, data []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.media[mediaID] = data
}

// Delay makes every call of path wait d before answering.
func (s *Server) Delay(path string, d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.delay[path] = d
}

// Calls returns the recorded calls of path ("" for all).
func (s *Server) Calls(path string) []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.DeleteFunc(slices.Clone(s.calls), func(c Call) bool { return path != "" && c.Path != path })
}

// Sent returns the accepted messages to openid ("" for all), in order.
func (s *Server) Sent(openid string) []Sent {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.DeleteFunc(slices.Clone(s.sent), func(m Sent) bool { return openid != "" && m.ToUser != openid })
}

// Tokens counts the access tokens issued.
func (s *Server) Tokens() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tokens
}

func answer(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	json.NewEncoder(w).Encode(v)
}

func errAnswer(w http.ResponseWriter, code int) {
	msg := map[int]string{40001: "invalid credential, access_token is invalid or not latest", 45015: "response out of time limit or subscription is canceled",
		45009: "reach max api daily quota limit", 43004: "require subscribe", 45047: "out of response count limit", 40037: "invalid template_id", -1: "system error"}[code]
	answer(w, map[string]any{"errcode": code, "errmsg": msg})
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	c := Call{Path: r.URL.Path, Query: r.URL.Query(), At: time.Now()}
	if r.Method == http.MethodPost {
		raw, _ := io.ReadAll(r.Body)
		json.Unmarshal(raw, &c.Body)
	}
	s.mu.Lock()
	s.calls = append(s.calls, c)
	d := s.delay[c.Path]
	s.mu.Unlock()
	if d > 0 {
		select {
		case <-time.After(d):
		case <-r.Context().Done():
			return
		}
	}
	if c.Path == "/cgi-bin/token" {
		if c.Query.Get("appid") != s.AppID || c.Query.Get("secret") != s.Secret || c.Query.Get("grant_type") != "client_credential" {
			answer(w, map[string]any{"errcode": 40013, "errmsg": "invalid appid"})
			return
		}
		s.mu.Lock()
		s.tokens++
		s.token = fmt.Sprintf("ACCESS_TOKEN_%d", s.tokens) // a new token revokes the previous one
		tok := s.token
		s.mu.Unlock()
		answer(w, map[string]any{"access_token": tok, "expires_in": 7200})
		return
	}
	s.mu.Lock()
	valid := c.Query.Get("access_token") == s.token && s.token != ""
	var fail int
	if valid {
		if q := s.failures[c.Path]; len(q) > 0 {
			fail, s.failures[c.Path] = q[0], q[1:]
		}
	}
	s.mu.Unlock()
	if !valid {
		errAnswer(w, 40001)
		return
	}
	if fail != 0 {
		errAnswer(w, fail)
		return
	}
	switch c.Path {
	case "/cgi-bin/message/custom/send":
		to, _ := c.Body["touser"].(string)
		text, _ := c.Body["text"].(map[string]any)
		content, _ := text["content"].(string)
		if to == "" || c.Body["msgtype"] != "text" || content == "" {
			answer(w, map[string]any{"errcode": 44002, "errmsg": "empty post data"})
			return
		}
		if len(content) > 2048 {
			answer(w, map[string]any{"errcode": 45002, "errmsg": "content size out of limit"})
			return
		}
		s.mu.Lock()
		closed := s.closed[to]
		if !closed {
			s.sent = append(s.sent, Sent{Kind: "custom", ToUser: to, Text: content, At: time.Now()})
		}
		s.mu.Unlock()
		if closed {
			errAnswer(w, 45015)
			return
		}
		answer(w, map[string]any{"errcode": 0, "errmsg": "ok"})
	case "/cgi-bin/message/template/send":
		to, _ := c.Body["touser"].(string)
		tid, _ := c.Body["template_id"].(string)
		if to == "" || tid == "" {
			errAnswer(w, 40037)
			return
		}
		data := map[string]string{}
		fields, _ := c.Body["data"].(map[string]any)
		for k, v := range fields {
			m, _ := v.(map[string]any)
			data[k], _ = m["value"].(string)
		}
		s.mu.Lock()
		s.sent = append(s.sent, Sent{Kind: "template", ToUser: to, TemplateID: tid, Data: data, At: time.Now()})
		n := len(s.sent)
		s.mu.Unlock()
		answer(w, map[string]any{"errcode": 0, "errmsg": "ok", "msgid": 200228000 + n})
	case "/cgi-bin/media/get":
		s.mu.Lock()
		data, ok := s.media[c.Query.Get("media_id")]
		s.mu.Unlock()
		if !ok {
			answer(w, map[string]any{"errcode": 40007, "errmsg": "invalid media_id"})
			return
		}
		w.Header().Set("Content-Type", "image/jpeg")
		w.Header().Set("Content-Disposition", `attachment; filename="media.jpg"`)
		w.Write(data)
	case "/cgi-bin/menu/create":
		if _, ok := c.Body["button"].([]any); !ok {
			answer(w, map[string]any{"errcode": 40016, "errmsg": "invalid button size"})
			return
		}
		answer(w, map[string]any{"errcode": 0, "errmsg": "ok"})
	case "/cgi-bin/qrcode/create":
		info, _ := c.Body["action_info"].(map[string]any)
		scene, _ := info["scene"].(map[string]any)
		str, _ := scene["scene_str"].(string)
		if c.Body["action_name"] != "QR_STR_SCENE" || str == "" || len(str) > 64 {
			answer(w, map[string]any{"errcode": 40053, "errmsg": "invalid action info"})
			return
		}
		answer(w, map[string]any{"ticket": "TICKET+" + str, "expire_seconds": c.Body["expire_seconds"], "url": "http://weixin.qq.com/q/" + str})
	default:
		answer(w, map[string]any{"errcode": 48001, "errmsg": "api unauthorized"})
	}
}

// Callback builds callback requests as WeChat sends them to an account's server.
type Callback struct {
	Token  string
	AppID  string
	AESKey string // safe mode when set
	// Account is the account's own id (gh_…), the ToUserName of messages.
	Account string
}

// Signed is a callback request's parts, for tests that tamper with one.
type Signed struct {
	Query url.Values
	Body  string
}

// URL is base with the signed query.
func (s Signed) URL(base string) string { return base + "?" + s.Query.Encode() }

// Sign signs (and in safe mode encrypts) a message body at time at, with a fresh nonce.
func (c Callback) Sign(body string, at time.Time) Signed {
	return c.SignNonce(body, at, randomString(10))
}

// SignNonce is Sign with a given nonce: WeChat's nonces are random, but a test of replays
// needs two callbacks that share one.
func (c Callback) SignNonce(body string, at time.Time, nonce string) Signed {
	ts := strconv.FormatInt(at.Unix(), 10)
	q := url.Values{"timestamp": {ts}, "nonce": {nonce}, "signature": {util.Signature(c.Token, ts, nonce)}}
	if c.AESKey == "" {
		return Signed{Query: q, Body: body}
	}
	enc, err := util.EncryptMsg([]byte(randomString(16)), []byte(body), c.AppID, c.AESKey)
	if err != nil {
		panic(err) // a test's key is wrong
	}
	q.Set("encrypt_type", "aes")
	q.Set("msg_signature", util.Signature(c.Token, ts, nonce, string(enc)))
	// Compatible mode would also carry the plaintext fields; safe mode carries only these.
	env := "<xml><ToUserName><![CDATA[" + c.Account + "]]></ToUserName><Encrypt><![CDATA[" + string(enc) + "]]></Encrypt></xml>"
	return Signed{Query: q, Body: env}
}

// Post sends a signed callback to base and returns the status and body.
func (c Callback) Post(base, body string) (int, []byte, error) {
	return PostSigned(base, c.Sign(body, time.Now()))
}

// PostSigned sends prepared callback parts.
func PostSigned(base string, s Signed) (int, []byte, error) {
	res, err := http.Post(s.URL(base), "text/xml", strings.NewReader(s.Body))
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return res.StatusCode, b, err
}

// Reply decodes a callback's answer: the text of a passive reply, or "" for "success". In safe
// mode the reply's msg_signature is checked and its content decrypted.
func (c Callback) Reply(body []byte) (string, error) {
	s := strings.TrimSpace(string(body))
	if s == "success" || s == "" {
		return "", nil
	}
	plain := []byte(s)
	if c.AESKey != "" {
		var env struct {
			Encrypt      string `xml:"Encrypt"`
			MsgSignature string `xml:"MsgSignature"`
			TimeStamp    string `xml:"TimeStamp"`
			Nonce        string `xml:"Nonce"`
		}
		if err := xml.Unmarshal(plain, &env); err != nil {
			return "", fmt.Errorf("reply envelope: %w", err)
		}
		if util.Signature(c.Token, env.TimeStamp, env.Nonce, env.Encrypt) != env.MsgSignature {
			return "", errors.New("reply msg_signature does not match")
		}
		var err error
		if _, plain, err = util.DecryptMsg(c.AppID, env.Encrypt, c.AESKey); err != nil {
			return "", fmt.Errorf("reply decrypt: %w", err)
		}
	}
	var r struct {
		ToUserName string `xml:"ToUserName"`
		MsgType    string `xml:"MsgType"`
		Content    string `xml:"Content"`
	}
	if err := xml.Unmarshal(plain, &r); err != nil {
		return "", fmt.Errorf("reply: %w", err)
	}
	if r.MsgType != "text" {
		return "", fmt.Errorf("reply of type %q", r.MsgType)
	}
	return r.Content, nil
}

func cdata(s string) string { return "<![CDATA[" + s + "]]>" }

// Text is a text message from openid.
func (c Callback) Text(openid string, msgID int64, content string) string {
	return fmt.Sprintf("<xml><ToUserName>%s</ToUserName><FromUserName>%s</FromUserName><CreateTime>%d</CreateTime><MsgType><![CDATA[text]]></MsgType><Content>%s</Content><MsgId>%d</MsgId></xml>",
		cdata(c.Account), cdata(openid), time.Now().Unix(), cdata(content), msgID)
}

// Image is an image message; the media must be added to the fake with AddMedia.
func (c Callback) Image(openid string, msgID int64, mediaID string) string {
	return fmt.Sprintf("<xml><ToUserName>%s</ToUserName><FromUserName>%s</FromUserName><CreateTime>%d</CreateTime><MsgType><![CDATA[image]]></MsgType><PicUrl>%s</PicUrl><MediaId>%s</MediaId><MsgId>%d</MsgId></xml>",
		cdata(c.Account), cdata(openid), time.Now().Unix(), cdata("http://mmbiz.qpic.cn/x"), cdata(mediaID), msgID)
}

// Video is a video ("video") or short video ("shortvideo") message.
func (c Callback) Video(openid string, msgID int64, kind, mediaID string) string {
	return fmt.Sprintf("<xml><ToUserName>%s</ToUserName><FromUserName>%s</FromUserName><CreateTime>%d</CreateTime><MsgType>%s</MsgType><MediaId>%s</MediaId><ThumbMediaId>%s</ThumbMediaId><MsgId>%d</MsgId></xml>",
		cdata(c.Account), cdata(openid), time.Now().Unix(), cdata(kind), cdata(mediaID), cdata("thumb-"+mediaID), msgID)
}

// Voice is a voice message with WeChat's recognition text.
func (c Callback) Voice(openid string, msgID int64, recognition string) string {
	return fmt.Sprintf("<xml><ToUserName>%s</ToUserName><FromUserName>%s</FromUserName><CreateTime>%d</CreateTime><MsgType><![CDATA[voice]]></MsgType><MediaId>%s</MediaId><Format>%s</Format><Recognition>%s</Recognition><MsgId>%d</MsgId></xml>",
		cdata(c.Account), cdata(openid), time.Now().Unix(), cdata("voice-1"), cdata("amr"), cdata(recognition), msgID)
}

// Location is a location message.
func (c Callback) Location(openid string, msgID int64, lat, lng, label string) string {
	return fmt.Sprintf("<xml><ToUserName>%s</ToUserName><FromUserName>%s</FromUserName><CreateTime>%d</CreateTime><MsgType><![CDATA[location]]></MsgType><Location_X>%s</Location_X><Location_Y>%s</Location_Y><Scale>15</Scale><Label>%s</Label><MsgId>%d</MsgId></xml>",
		cdata(c.Account), cdata(openid), time.Now().Unix(), lat, lng, cdata(label), msgID)
}

// Event is an event (subscribe, unsubscribe, SCAN, CLICK) at a given time; WeChat's retries of
// one event carry the same CreateTime.
func (c Callback) Event(openid, event, key string, at time.Time) string {
	return fmt.Sprintf("<xml><ToUserName>%s</ToUserName><FromUserName>%s</FromUserName><CreateTime>%d</CreateTime><MsgType><![CDATA[event]]></MsgType><Event>%s</Event><EventKey>%s</EventKey></xml>",
		cdata(c.Account), cdata(openid), at.Unix(), cdata(event), cdata(key))
}

func randomString(n int) string {
	const letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	b := make([]byte, n)
	rand.Read(b)
	for i := range b {
		b[i] = letters[int(b[i])%len(letters)]
	}
	return string(b)
}

// Choice returns the number of the line of a numbered menu (as the channel renders buttons)
// that contains label: what a user types to choose it.
func Choice(t testing.TB, msg, label string) string {
	t.Helper()
	for _, line := range strings.Split(msg, "\n") {
		if num, text, ok := strings.Cut(line, ". "); ok && strings.Contains(text, label) {
			return num
		}
	}
	t.Fatalf("no menu line %q in:\n%s", label, msg)
	return ""
}
