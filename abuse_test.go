package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"xuncha/bot/wechattest"
	"xuncha/internal/syncbuf"
)

// Abuse tests drive the real program. Each abuse is refused and stores nothing; where it
// touched something protected, the audit log says so. The platform-level cases have their own
// tests beside the adapters: bot.TestWeChatCallbackRefused (forged signature, wrong
// msg_signature, stale and future timestamps, tampered ciphertext) and the Telegram webhook
// tests in bot/telegram_test.go; the run-level ones below check the served paths.

// TestAbuseWebhooks posts forged platform callbacks to the served paths: a Telegram update with
// a wrong secret token, and WeChat callbacks with a forged signature and a replayed (stale)
// timestamp. Each is refused and nothing reaches the inbox.
func TestAbuseWebhooks(t *testing.T) {
	_, tg := fakeTelegram(t, "987654:abuse-token")
	_, wxEnv := fakeWeChat(t)
	dbPath := filepath.Join(t.TempDir(), "x.db")
	env := testEnv(slices.Concat([]string{"XUNCHA_DB", dbPath,
		"TELEGRAM_WEBHOOK_URL", "https://bot.example.org/tg/hook", "TELEGRAM_WEBHOOK_SECRET", "right-secret-0123456789"}, tg, wxEnv)...)
	srv := startServer(t, env, &syncbuf.Buffer{})

	update := `{"update_id": 777, "message": {"message_id": 1, "date": 1700000000, "chat": {"id": 4242, "type": "private"},
		"from": {"id": 4242, "is_bot": false, "first_name": "x"}, "text": "/start"}}`
	for name, secret := range map[string]string{"wrong secret": "wrong-secret", "no secret": ""} {
		req, _ := http.NewRequest(http.MethodPost, srv.url+"tg/hook", strings.NewReader(update))
		req.Header.Set("Content-Type", "application/json")
		if secret != "" {
			req.Header.Set("X-Telegram-Bot-Api-Secret-Token", secret)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusUnauthorized {
			t.Errorf("telegram webhook, %s: %s, want 401", name, res.Status)
		}
	}

	cb := wechattest.Callback{Token: wxToken, AppID: wxAppID, AESKey: wxAESKey, Account: "gh_xuncha"}
	body := cb.Text("oAbuseForged0001", 9001, "你好")
	forged := cb.Sign(body, time.Now())
	forged.Query.Set("signature", strings.Repeat("0", 40))
	forged.Query.Set("msg_signature", strings.Repeat("0", 40))
	for name, s := range map[string]wechattest.Signed{
		"forged signature": forged,
		"replayed":         cb.Sign(body, time.Now().Add(-time.Hour)),
	} {
		status, reply, err := wechattest.PostSigned(srv.url+"wechat", s)
		if err != nil {
			t.Fatal(err)
		}
		if status == http.StatusOK {
			t.Errorf("wechat %s: 200 %s", name, reply)
		}
	}
	if n := countRows(t, dbPath, `SELECT COUNT(*) FROM inbox`); n != 0 {
		t.Errorf("%d forged callbacks reached the inbox", n)
	}
	if n := countRows(t, dbPath, `SELECT COUNT(*) FROM chats`); n != 0 {
		t.Errorf("%d chats created by forged callbacks", n)
	}
}

// TestAbuseWebChat is a resident misbehaving in the web chat.
func TestAbuseWebChat(t *testing.T) {
	dbPath, env := testDB(t)
	mustRun(t, env, "task", "add", "--township", "新站镇", "--title", "核查惠农补贴发放")
	mustRun(t, env, "clue", "add", "--subject", "东风村村委会", "--summary", "集体资金去向不明", "--township", "新站镇")
	srv := startServer(t, env, &syncbuf.Buffer{})
	tables := func() int { return countRows(t, dbPath, `SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'`) }
	tablesBefore := tables()

	t.Run("RoleEscalation", func(t *testing.T) {
		// Button data of officials' screens, typed by hand: a letter's acknowledgement, ledger
		// actions, task answers. A resident has no role: each is refused and changes nothing.
		r := newWebClient(t, srv.url, "escalate")
		r.do("/start", "")
		auditBefore := countRows(t, dbPath, `SELECT COUNT(*) FROM audit WHERE action <> 'ledger.refused'`)
		for _, data := range []string{"ack:1", "lg:list", "lg:c:1", "lg:close:1", "lg:o:99", "tk:done", "tk:1:done", "task:1", "rd:list"} {
			msgs := r.do("", data)
			if len(msgs) == 0 {
				t.Errorf("%s: no answer", data)
			}
			for _, m := range msgs {
				if strings.Contains(m.Text, "核查惠农补贴发放") || strings.Contains(m.Text, "JH-") {
					t.Errorf("%s showed an official's data: %q", data, m.Text)
				}
			}
		}
		// The same on a clue that exists: open it, reveal the reporter, close it, acknowledge it
		// for a unit, study it, list a unit's clues. Each is refused and audit-logged
		// (ledger.refused, no person).
		protected := []string{"lg:o:1", "lg:rv:1", "lg:cy:1", "lg:cl:1", "lg:ack:1", "lg:st:1", "lg:l:u:case1"}
		refused := countRows(t, dbPath, `SELECT COUNT(*) FROM audit WHERE action = 'ledger.refused' AND person_id IS NULL`)
		for _, data := range protected {
			msgs := r.do("", data)
			mustContain(t, msgs, "您没有权限进行这项操作")
			if strings.Contains(texts(msgs), "集体资金去向不明") || strings.Contains(texts(msgs), "JH-") {
				t.Errorf("%s showed the clue: %s", data, texts(msgs))
			}
		}
		if n := countRows(t, dbPath, `SELECT COUNT(*) FROM audit WHERE action = 'ledger.refused' AND person_id IS NULL`); n-refused != len(protected) {
			t.Errorf("refusals audit-logged: %d, want %d", n-refused, len(protected))
		}
		for q, want := range map[string]int{
			`SELECT COUNT(*) FROM clues WHERE status = 'new' AND closed_at IS NULL AND acked_at IS NULL`: 1,
			`SELECT COUNT(*) FROM clue_events WHERE kind <> 'registered'`:                                0,
			`SELECT COUNT(*) FROM task_events`:                                                           0,
			`SELECT COUNT(*) FROM clue_letters WHERE acked_at IS NOT NULL`:                               0,
			`SELECT COUNT(*) FROM people`:                                                                0,
		} {
			if n := countRows(t, dbPath, q); n != want {
				t.Errorf("%s: %d, want %d", q, n, want)
			}
		}
		// Nothing else was audited: no action was done.
		if n := countRows(t, dbPath, `SELECT COUNT(*) FROM audit WHERE action <> 'ledger.refused'`); n != auditBefore {
			t.Errorf("audit entries other than refusals: %d new", n-auditBefore)
		}
	})

	t.Run("QueryCodeGuessing", func(t *testing.T) {
		r := newWebClient(t, srv.url, "guesser")
		r.do("/start", "")
		for i := range 5 {
			mustContain(t, r.do("/query 1111 2222 3333 444"+string(rune('0'+i)), ""), "没有找到")
		}
		// The sixth guess is refused without looking, even a well-formed one.
		mustContain(t, r.do("/query 9999 8888 7777 6666", ""), "输错次数过多")
		if n := countRows(t, dbPath, `SELECT COUNT(*) FROM code_attempts`); n != 5 {
			t.Errorf("code attempts recorded: %d, want 5", n)
		}
		// Reaching the limit is audit-logged once, naming no chat; refused guesses add nothing.
		mustContain(t, r.do("/query 9999 8888 7777 6665", ""), "输错次数过多")
		if n := countRows(t, dbPath, `SELECT COUNT(*) FROM audit WHERE action = 'code.limited' AND detail = 'query' AND object = ''`); n != 1 {
			t.Errorf("code.limited audit entries: %d, want 1", n)
		}
	})

	t.Run("ScriptAndSQLInjection", func(t *testing.T) {
		const script = `<script>alert(document.cookie)</script><img src=x onerror=alert(1)>`
		const sqlish = `'); DROP TABLE reports; -- " OR 1=1; DELETE FROM audit;`
		r := newWebClient(t, srv.url, "injector")
		r.do("/start", "")
		msgs := r.do("", "menu:report")
		msgs = r.do("", button(t, msgs, "侵害群众利益"))
		msgs = r.do("", button(t, msgs, "新站镇"))
		msgs = r.do("", button(t, msgs, "东风村"))
		r.do(script, "")
		mustContain(t, r.do(sqlish, ""), "什么时间")
		mustContain(t, r.do("去年秋收时", ""), "证据")
		msgs = r.do("", "done")
		msgs = r.do("", button(t, msgs, "匿名举报"))
		msgs = r.do("", button(t, msgs, "保留"))

		// The summary echoes both texts: fetch the raw JSON of the poll.
		res, err := r.http.Get(srv.url + "api/messages?after=0")
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if bytes.Contains(raw, []byte("<script>")) || bytes.Contains(raw, []byte("<img")) {
			t.Errorf("the JSON answer carries raw markup: %s", raw)
		}
		if !bytes.Contains(raw, []byte(`\u003cscript\u003e`)) {
			t.Errorf("the script text is not in the answer, escaped: %s", raw)
		}
		var decoded struct{ Messages []webMsg }
		if err := json.Unmarshal(raw, &decoded); err != nil || !strings.Contains(texts(decoded.Messages), script) {
			t.Errorf("the text does not come back verbatim: %v", err)
		}
		msgs = r.do("", button(t, msgs, "确认提交"))
		if codePattern.FindString(texts(msgs)) == "" {
			t.Fatalf("no query code:\n%s", texts(msgs))
		}
		if n := countRows(t, dbPath, `SELECT COUNT(*) FROM reports WHERE subject = '`+strings.ReplaceAll(script, "'", "''")+`'
			AND description = '`+strings.ReplaceAll(sqlish, "'", "''")+`'`); n != 1 {
			t.Errorf("the report is not stored verbatim")
		}
		if n := tables(); n != tablesBefore {
			t.Errorf("tables: %d, before %d", n, tablesBefore)
		}
		if n := countRows(t, dbPath, `SELECT COUNT(*) FROM audit`); n == 0 {
			t.Errorf("the audit log was emptied")
		}

		// The page renders with textContent under a CSP that forbids inline script.
		page, err := r.http.Get(srv.url)
		if err != nil {
			t.Fatal(err)
		}
		page.Body.Close()
		csp := page.Header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "default-src 'self'") || strings.Contains(csp, "unsafe-inline") {
			t.Errorf("CSP: %q", csp)
		}
		js, err := r.http.Get(srv.url + "static/app.js")
		if err != nil {
			t.Fatal(err)
		}
		src, _ := io.ReadAll(js.Body)
		js.Body.Close()
		if bytes.Contains(src, []byte(".innerHTML =")) || bytes.Contains(src, []byte("insertAdjacentHTML")) ||
			bytes.Contains(src, []byte("document.write")) || !bytes.Contains(src, []byte("textContent = text")) {
			t.Errorf("app.js must render messages with textContent, not innerHTML")
		}
	})

	t.Run("Flood", func(t *testing.T) {
		r := newWebClient(t, srv.url, "flooder")
		before := countRows(t, dbPath, `SELECT COUNT(*) FROM outbox`)
		var all []webMsg
		for range 40 {
			all = append(all, r.do("/help", "")...)
		}
		warnings := strings.Count(texts(all), "您发送得太快了")
		if warnings != 1 {
			t.Errorf("flood warnings: %d, want 1", warnings)
		}
		// About the burst of 20 is answered, plus one warning; the rest is dropped.
		if n := countRows(t, dbPath, `SELECT COUNT(*) FROM outbox`) - before; n > 30 {
			t.Errorf("%d outbox rows for 40 flooding messages", n)
		}
	})
}
