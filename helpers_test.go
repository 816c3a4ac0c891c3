package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"xuncha/bot/telegramtest"
	"xuncha/bot/wechattest"
	"xuncha/internal/syncbuf"
	"xuncha/store/storetest"
)

// The helpers every test of the real program shares: the environment, the CLI, serve on a free
// port, a browser of the web chat, and the steps most tests begin with (the places, an
// invitation, a report).

// testKey is the program's secret key in the tests (XUNCHA_SECRET_KEY): storetest's, so that a
// test opens the program's database file with storetest.Open.
var testKey = hex.EncodeToString(storetest.Key)

// testEnv is a map-backed getenv.
func testEnv(kv ...string) func(string) string {
	m := map[string]string{"XUNCHA_SECRET_KEY": testKey}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}

// fakeTelegram starts a fake Bot API that takes token and returns it with the settings that
// point the program at it, for testEnv or testDB. It closes after serve has stopped (cleanups
// run last first): serve holds a long poll open on it.
func fakeTelegram(t *testing.T, token string) (*telegramtest.Server, []string) {
	t.Helper()
	fake := telegramtest.Start(t, token)
	return fake, []string{"TELEGRAM_BOT_TOKEN", token, "TELEGRAM_API_URL", fake.URL}
}

// telegramLimits are Telegram's own rate limits, for a test that checks the program keeps
// them; the slack absorbs scheduling jitter on a loaded machine (the bot itself keeps 1 s per
// chat).
var telegramLimits = telegramtest.Limits{PerChat: time.Second, Slack: 150 * time.Millisecond, Global: 30, PerGroup: 20}

// fakeWeChat starts a fake WeChat API for the test account (wxAppID) and returns it with the
// settings of the channel in safe mode, for testEnv or testDB.
func fakeWeChat(t *testing.T) (*wechattest.Server, []string) {
	t.Helper()
	fake := wechattest.New(wxAppID, wxSecret)
	t.Cleanup(fake.Close)
	return fake, []string{"WECHAT_APP_ID", wxAppID, "WECHAT_APP_SECRET", wxSecret, "WECHAT_TOKEN", wxToken,
		"WECHAT_AES_KEY", wxAESKey, "WECHAT_API_URL", fake.URL}
}

// tgUpdates sends updates to the program through the fake Bot API, each with the next update
// id, and waits for the answers.
type tgUpdates struct {
	t    *testing.T
	fake *telegramtest.Server
	id   int64 // the last update id sent
}

// next is the id of a new update.
func (u *tgUpdates) next() int64 {
	u.id++
	return u.id
}

// send sends update, from chat, and waits for a message to chat holding want.
func (u *tgUpdates) send(chat int64, update, want string) telegramtest.Sent {
	u.t.Helper()
	n := len(u.fake.SentTo(chat))
	u.fake.AddUpdate(update)
	return u.fake.WaitText(u.t, chat, n, want)
}

// say sends text from chat and waits for an answer holding want.
func (u *tgUpdates) say(chat int64, text, want string) telegramtest.Sent {
	u.t.Helper()
	return u.send(chat, telegramtest.Message(u.next(), chat, text), want)
}

// press presses the button labelled label under a message and waits for an answer holding want.
func (u *tgUpdates) press(under telegramtest.Sent, label, want string) telegramtest.Sent {
	u.t.Helper()
	return u.send(under.ChatID, telegramtest.Press(u.next(), under, telegramtest.ButtonData(u.t, under, label)), want)
}

// mustRun runs a short command of the CLI and returns its output.
func mustRun(t *testing.T, getenv func(string) string, args ...string) (stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	if err := run(t.Context(), append([]string{"xuncha"}, args...), getenv, strings.NewReader(""), &out, &errb); err != nil {
		t.Fatalf("xuncha %s: %v\n%s", strings.Join(args, " "), err, errb.String())
	}
	return out.String(), errb.String()
}

// server is `xuncha serve` running in the test.
type server struct {
	url    string
	stderr *syncbuf.Buffer
	cancel context.CancelFunc
	done   chan error
}

var servingLine = regexp.MustCompile(`web chat at (http://[^\s]+/)`)

// startServer runs `xuncha serve` on a free port and waits until it answers /healthz.
func startServer(t *testing.T, getenv func(string) string, logs *syncbuf.Buffer) *server {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	stdout := &syncbuf.Buffer{}
	s := &server{stderr: logs, cancel: cancel, done: make(chan error, 1)}
	go func() {
		s.done <- run(ctx, []string{"xuncha", "serve", "--addr", "127.0.0.1:0"}, getenv, strings.NewReader(""), stdout, logs)
	}()
	deadline := time.Now().Add(30 * time.Second)
	for s.url == "" {
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("server did not start; stderr:\n%s", logs.String())
		}
		select {
		case err := <-s.done:
			t.Fatalf("serve exited early: %v\n%s", err, logs.String())
		case <-time.After(20 * time.Millisecond):
		}
		if m := servingLine.FindStringSubmatch(stdout.String()); m != nil {
			s.url = m[1]
		}
	}
	res, err := http.Get(s.url + "healthz")
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("healthz: %v %v", err, res)
	}
	res.Body.Close()
	t.Cleanup(func() { s.stop(t) })
	return s
}

// stop cancels the server as SIGTERM would and checks it shut down cleanly.
func (s *server) stop(t *testing.T) {
	t.Helper()
	if s.cancel == nil {
		return
	}
	s.cancel()
	s.cancel = nil
	select {
	case err := <-s.done:
		if err != nil {
			t.Errorf("serve returned %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Errorf("serve did not stop")
	}
}

// webClient is a browser of the web chat: a cookie jar, a message counter and the id of the
// last message it read.
type webClient struct {
	t    *testing.T
	base string
	http *http.Client
	last int64
	n    int
	name string
}

type webMsg struct {
	ID      int64    `json:"id"`
	Text    string   `json:"text"`
	File    *webFile `json:"file"`
	Buttons [][]struct {
		Text string `json:"text"`
		Data string `json:"data"`
	} `json:"buttons"`
}

// bindWeb is a browser of the web chat, named name, that has sent /bind CODE; the answer must
// hold want (the role's name, 绑定成功, or why the code is refused).
func bindWeb(t *testing.T, base, name, code, want string) *webClient {
	t.Helper()
	c := newWebClient(t, base, name)
	mustContain(t, c.do("/bind "+code, ""), want)
	return c
}

func newWebClient(t *testing.T, base, name string) *webClient {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &webClient{t: t, base: base, http: &http.Client{Jar: jar, Timeout: 30 * time.Second}, name: name}
}

// chatID is the browser's chat id, from its HttpOnly cookie.
func (c *webClient) chatID() string {
	u, _ := url.Parse(c.base)
	for _, ck := range c.http.Jar.Cookies(u) {
		if ck.Name == "xuncha_chat" {
			return ck.Value
		}
	}
	c.t.Fatalf("%s has no chat cookie", c.name)
	return ""
}

// do sends text or a button press and returns the answers queued for this chat.
func (c *webClient) do(text, data string) []webMsg {
	c.t.Helper()
	c.n++
	body, _ := json.Marshal(map[string]string{"id": fmt.Sprintf("%s-msg-%04d", c.name, c.n), "text": text, "data": data})
	res, err := c.http.Post(c.base+"api/send", "application/json", bytes.NewReader(body))
	if err != nil {
		c.t.Fatalf("send %q: %v", text+data, err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		c.t.Fatalf("send %q: %s %s", text+data, res.Status, b)
	}
	return c.read()
}

// read fetches (without waiting) the messages after the last one read, acknowledging those.
func (c *webClient) read() []webMsg {
	c.t.Helper()
	res, err := c.http.Get(fmt.Sprintf("%sapi/messages?after=%d", c.base, c.last))
	if err != nil {
		c.t.Fatalf("poll: %v", err)
	}
	defer res.Body.Close()
	var a struct {
		OK       bool     `json:"ok"`
		Messages []webMsg `json:"messages"`
	}
	if err := json.NewDecoder(res.Body).Decode(&a); err != nil || !a.OK {
		c.t.Fatalf("poll: %v %+v", err, a)
	}
	for _, m := range a.Messages {
		c.last = max(c.last, m.ID)
	}
	return a.Messages
}

// webFile is a file in a message of the web chat.
type webFile struct {
	Name string `json:"name"`
	URL  string `json:"url"`
}

// button finds the data of the button whose text contains label in the messages.
func button(t *testing.T, msgs []webMsg, label string) string {
	t.Helper()
	for _, m := range msgs {
		for _, row := range m.Buttons {
			for _, b := range row {
				if strings.Contains(b.Text, label) {
					return b.Data
				}
			}
		}
	}
	t.Fatalf("no button %q in %s", label, texts(msgs))
	return ""
}

func texts(msgs []webMsg) string {
	var s []string
	for _, m := range msgs {
		s = append(s, m.Text)
	}
	return strings.Join(s, "\n---\n")
}

func mustContain(t *testing.T, msgs []webMsg, want string) {
	t.Helper()
	if !strings.Contains(texts(msgs), want) {
		t.Fatalf("want %q in:\n%s", want, texts(msgs))
	}
}

var codePattern = regexp.MustCompile(`\d{4} \d{4} \d{4} \d{4}`)

// exportFiles writes the clue ledger with export ledger as .xlsx and as .csv into dir.
func exportFiles(t *testing.T, env func(string) string, dir string) (xlsx, csv string) {
	t.Helper()
	xlsx, csv = filepath.Join(dir, "ledger.xlsx"), filepath.Join(dir, "ledger.csv")
	mustRun(t, env, "export", "ledger", "--format", "xlsx", "--out", xlsx)
	mustRun(t, env, "export", "ledger", "--format", "csv", "--out", csv)
	return xlsx, csv
}

// writeFile writes data to a file in dir and returns its path: a file for a command to read.
func writeFile(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// testDB is a database path in a temporary folder, the environment that names it (and kv), and
// the sample places imported into it.
func testDB(t *testing.T, kv ...string) (dbPath string, env func(string) string) {
	t.Helper()
	dbPath = filepath.Join(t.TempDir(), "x.db")
	env = testEnv(append([]string{"XUNCHA_DB", dbPath}, kv...)...)
	mustRun(t, env, "places", "import", "samples/places.sample.csv")
	return dbPath, env
}

var invitePattern = regexp.MustCompile(`/bind (\S+)`)

// inviteCode issues an invitation through the CLI and returns its code.
func inviteCode(t *testing.T, env func(string) string, args ...string) string {
	t.Helper()
	out, _ := mustRun(t, env, append([]string{"invite"}, args...)...)
	m := invitePattern.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no code in invite output: %s", out)
	}
	return m[1]
}

// queryCode finds the query code in the answers to a report, and fails without one.
func queryCode(t *testing.T, msgs []webMsg) string {
	t.Helper()
	code := codePattern.FindString(texts(msgs))
	if code == "" {
		t.Fatalf("no query code in:\n%s", texts(msgs))
	}
	return code
}

// webReport is a report a resident files in the web chat. Each field left empty takes the
// value of the usual report: anonymous, about 作风问题 in 新站镇 向阳村, keeping the chat's link.
type webReport struct {
	category, township, village string
	subject, description        string
	name, phone                 string // the reporter's, for a real-name report; empty: anonymous
	link                        string // anonymous: the button that keeps the chat's link (保留) or not (不保留)
}

// describe goes through the report's steps up to its description and returns the answer to
// the description: the files step.
func (r webReport) describe(t *testing.T, c *webClient) []webMsg {
	t.Helper()
	or := func(s, def string) string {
		if s == "" {
			return def
		}
		return s
	}
	msgs := c.do("/report", "")
	msgs = c.do("", button(t, msgs, or(r.category, "作风问题")))
	msgs = c.do("", button(t, msgs, or(r.township, "新站镇")))
	msgs = c.do("", button(t, msgs, or(r.village, "向阳村")))
	c.do(or(r.subject, "乡农经站站长"), "")
	return c.do(or(r.description, "去年秋收时乡农经站站长要求每户交500元才给办理土地确权证。"), "")
}

// file files the report with no files and returns the answers to its confirmation.
func (r webReport) file(t *testing.T, c *webClient) []webMsg {
	t.Helper()
	mustContain(t, r.describe(t, c), "证据") // the files step
	msgs := c.do("", "done")
	if r.name == "" {
		msgs = c.do("", button(t, msgs, "匿名举报"))
		link := r.link
		if link == "" {
			link = "保留"
		}
		msgs = c.do("", button(t, msgs, link))
	} else {
		c.do("", button(t, msgs, "实名举报"))
		c.do(r.name, "")
		msgs = c.do(r.phone, "")
	}
	return c.do("", button(t, msgs, "确认提交"))
}
