package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"xuncha/bot/telegramtest"
	"xuncha/bot/wechattest"
	"xuncha/internal/syncbuf"
)

// scrape fetches /metrics.
func scrape(t *testing.T, base string) string {
	t.Helper()
	status, b := httpGet(t, base, "metrics")
	if status != http.StatusOK {
		t.Fatalf("scrape: %d\n%s", status, b)
	}
	return b
}

// metricValue finds one series in the text exposition format; labels are written as
// Prometheus writes them, sorted by name: `platform="web",result="ok"`. It returns -1 when the
// series is missing.
func metricValue(body, name, labels string) float64 {
	series := name
	if labels != "" {
		series += "{" + labels + "}"
	}
	for _, line := range strings.Split(body, "\n") {
		if v, ok := strings.CutPrefix(line, series+" "); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil {
				return -1
			}
			return f
		}
	}
	return -1
}

// healthz returns the status and body of /healthz.
func healthz(t *testing.T, base string) (int, string) {
	t.Helper()
	return httpGet(t, base, "healthz")
}

// httpGet fetches a path of the server at base and returns the status and the body.
func httpGet(t *testing.T, base, path string) (int, string) {
	t.Helper()
	res, err := http.Get(base + path)
	if err != nil {
		t.Fatalf("GET /%s: %v", path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// waitFor polls cond until it holds or d passes.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// TestMetricsAndHealth is point 3 of issue 8: after a conversation, /metrics shows the
// counters moving; /healthz answers 200, and 503 while the Telegram channel cannot poll.
func TestMetricsAndHealth(t *testing.T) {
	const token = "123456:metrics-test-token"
	fake, tg := fakeTelegram(t, token)
	_, env := testDB(t, tg...)
	logs := &syncbuf.Buffer{}
	srv := startServer(t, env, logs)

	before := scrape(t, srv.url)
	for _, s := range []string{
		"xuncha_outbox_pending", "xuncha_outbox_dead", "xuncha_outbox_oldest_pending_age_seconds",
		"go_goroutines", "process_resident_memory_bytes",
	} {
		if metricValue(before, s, "") < 0 {
			t.Errorf("%s missing from /metrics", s)
		}
	}
	if v := metricValue(before, "xuncha_channel_healthy", `platform="telegram"`); v != 1 {
		t.Errorf("xuncha_channel_healthy{telegram} = %v, want 1", v)
	}

	// A web conversation: six steps, then one message sent twice.
	resident := newWebClient(t, srv.url, "resident")
	mustContain(t, resident.do("/start", ""), "巡察监督举报服务")
	msgs := resident.do("", "menu:report")
	msgs = resident.do("", button(t, msgs, "侵害群众利益"))
	msgs = resident.do("", button(t, msgs, "新站镇"))
	msgs = resident.do("", button(t, msgs, "东风村"))
	mustContain(t, resident.do("东风村村委会会计", ""), "请描述发生了什么")
	for range 2 {
		body := `{"id":"resident-resent-0001","text":"/help"}`
		res, err := resident.http.Post(srv.url+"api/send", "application/json", strings.NewReader(body))
		if err != nil || res.StatusCode != http.StatusOK {
			t.Fatalf("resend: %v %v", err, res)
		}
		res.Body.Close()
	}

	// A Telegram chat whose first answer meets a 429.
	const tgChat = 5550123
	fake.FailNext("sendMessage", 1, 429, 1)
	fake.AddUpdate(telegramtest.Message(1001, tgChat, "/start"))
	fake.WaitText(t, tgChat, 0, "巡察监督举报服务")

	var after string
	waitFor(t, 10*time.Second, "the Telegram send and a scheduler run to be counted", func() bool {
		after = scrape(t, srv.url)
		return metricValue(after, "xuncha_outbox_sends_total", `platform="telegram",result="sent"`) >= 1 &&
			metricValue(after, "xuncha_scheduler_job_runs_total", `job="announce",result="ok"`) >= 1
	})
	moved := []struct {
		name, labels string
		from, min    float64
	}{
		{"xuncha_steps_handled_total", `platform="web",result="ok"`, 0, 7},
		{"xuncha_steps_handled_total", `platform="web",result="duplicate"`, 0, 1},
		{"xuncha_updates_received_total", `platform="web"`, 0, 8},
		{"xuncha_updates_deduplicated_total", `platform="web"`, 0, 1},
		{"xuncha_steps_handled_total", `platform="telegram",result="ok"`, 0, 1},
		{"xuncha_updates_received_total", `platform="telegram"`, 0, 1},
		{"xuncha_outbox_sends_total", `platform="telegram",result="sent"`, 0, 1},
		{"xuncha_outbox_sends_total", `platform="telegram",result="retry"`, 0, 1},
		{"xuncha_rate_limited_total", `platform="telegram"`, 0, 1},
	}
	for _, m := range moved {
		was, now := metricValue(before, m.name, m.labels), metricValue(after, m.name, m.labels)
		if was != m.from || now < m.min {
			t.Errorf("%s{%s}: %v before, %v after; want %v then at least %v", m.name, m.labels, was, now, m.from, m.min)
		}
	}
	// The start-up catch-up pass runs every job once; it may have been counted before the
	// first scrape.
	if v := metricValue(after, "xuncha_scheduler_job_runs_total", `job="ladder",result="ok"`); v < 1 {
		t.Errorf("ladder job runs: %v, want at least 1", v)
	}
	if v := metricValue(after, "xuncha_steps_handled_total", `platform="web",result="error"`); v != 0 {
		t.Errorf("web steps with errors: %v", v)
	}
	// Label values name platforms, jobs and results, never a chat.
	for _, secret := range []string{resident.chatID(), resident.chatID()[:16], strconv.Itoa(tgChat), "东风村村委会会计", token} {
		if strings.Contains(after, secret) {
			t.Errorf("/metrics contains %q", secret)
		}
	}

	// /healthz: 200 now; 503 naming the channel once getUpdates has failed three times in a
	// row; 200 again when it answers. The update ends the long poll in progress, so the
	// failures come at once.
	if code, body := healthz(t, srv.url); code != http.StatusOK || strings.TrimSpace(body) != "ok" {
		t.Fatalf("healthz: %d %q", code, body)
	}
	fake.FailNext("getUpdates", 3, 500, 0)
	fake.AddUpdate(telegramtest.Message(1002, tgChat, "/help"))
	var body string
	waitFor(t, 10*time.Second, "healthz to fail", func() bool {
		var code int
		code, body = healthz(t, srv.url)
		return code == http.StatusServiceUnavailable
	})
	if !strings.Contains(body, "telegram") || !strings.Contains(body, "getUpdates") || strings.Contains(body, token) {
		t.Errorf("healthz reason %q: want the channel and the call, without the token", body)
	}
	if v := metricValue(scrape(t, srv.url), "xuncha_channel_healthy", `platform="telegram"`); v != 0 {
		t.Errorf("xuncha_channel_healthy{telegram} = %v while failing, want 0", v)
	}
	// getUpdates answers again: the next update ends its long poll.
	fake.AddUpdate(telegramtest.Message(1003, tgChat, "/help"))
	waitFor(t, 15*time.Second, "healthz to recover", func() bool {
		code, _ := healthz(t, srv.url)
		return code == http.StatusOK
	})
	if strings.Contains(logs.String(), token) {
		t.Error("the bot token appears in the logs")
	}
}

// TestBackupRestore follows the README's restore procedure: a backup taken while serve runs
// with traffic, the server stopped, the backup copied over XUNCHA_DB (the stale -wal and -shm
// removed), serve started with the same key. The report filed before the backup is found by
// its query code; one filed after the backup is not.
func TestBackupRestore(t *testing.T) {
	dbPath, env := testDB(t)
	dir := filepath.Dir(dbPath)
	srv := startServer(t, env, &syncbuf.Buffer{})

	report := func(name, who string) string {
		t.Helper()
		c := newWebClient(t, srv.url, name)
		return queryCode(t, webReport{subject: who, description: "去年秋收时要求每户交500元才给办理土地确权证。"}.file(t, c))
	}
	kept := report("before", "乡农经站站长")

	// Traffic while the backup runs: browsers talking to the bot, each step a write.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var steps, failures atomic.Int64
	for i := range 4 {
		wg.Go(func() {
			c := newWebClient(t, srv.url, fmt.Sprintf("traffic%d", i))
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				body, _ := json.Marshal(map[string]string{"id": fmt.Sprintf("traffic%d-%06d", i, n), "text": "/help"})
				res, err := c.http.Post(srv.url+"api/send", "application/json", bytes.NewReader(body))
				if err != nil {
					failures.Add(1)
					continue
				}
				io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if res.StatusCode != http.StatusOK {
					failures.Add(1)
					continue
				}
				steps.Add(1)
			}
		})
	}
	waitFor(t, 10*time.Second, "traffic", func() bool { return steps.Load() >= 10 })
	backupPath := filepath.Join(dir, "backup", "x.db")
	if err := os.MkdirAll(filepath.Dir(backupPath), 0o700); err != nil {
		t.Fatal(err)
	}
	during := steps.Load()
	mustRun(t, env, "backup", backupPath)
	waitFor(t, 10*time.Second, "traffic after the backup", func() bool { return steps.Load() > during+10 })
	close(stop)
	wg.Wait()
	if failures.Load() > 0 {
		t.Errorf("%d requests failed while the backup ran", failures.Load())
	}
	lost := report("after", "村主任")
	srv.stop(t)

	// Restore: the server is stopped; the backup replaces the database file. The old -wal and
	// -shm belong to the old file and must go, or SQLite would replay them onto the backup.
	for _, suffix := range []string{"-wal", "-shm"} {
		if err := os.Remove(dbPath + suffix); err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(backupPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dbPath, b, 0o600); err != nil {
		t.Fatal(err)
	}
	srv = startServer(t, env, &syncbuf.Buffer{})
	other := newWebClient(t, srv.url, "other")
	mustContain(t, other.do(strings.ReplaceAll(kept, " ", ""), ""), "已登记")
	mustContain(t, other.do("/query "+lost, ""), "没有找到")
}

// TestWeChatMetricsAndHealth: WeChat callbacks are counted, a retried callback as a duplicate;
// /healthz fails once the channel cannot get an access token (here: a wrong AppSecret).
func TestWeChatMetricsAndHealth(t *testing.T) {
	_, wx := fakeWeChat(t)
	_, env := testDB(t, append(wx, "WECHAT_APP_SECRET", "not-the-secret")...)
	srv := startServer(t, env, &syncbuf.Buffer{}) // healthy: receiving needs no token
	cb := wechattest.Callback{Token: wxToken, AppID: wxAppID, AESKey: wxAESKey, Account: "gh_xuncha"}
	const openid = "oOpsResident4kQ9zX"

	text := cb.Text(openid, 7001, "/start")
	for range 2 { // WeChat retries a callback it got no answer to in time
		status, body, err := cb.Post(srv.url+"wechat", text)
		if err != nil || status != http.StatusOK {
			t.Fatalf("callback: %d %s %v", status, body, err)
		}
	}
	m := scrape(t, srv.url)
	if v := metricValue(m, "xuncha_updates_received_total", `platform="wechat"`); v != 2 {
		t.Errorf("wechat received %v, want 2", v)
	}
	if v := metricValue(m, "xuncha_updates_deduplicated_total", `platform="wechat"`); v != 1 {
		t.Errorf("wechat deduplicated %v, want 1", v)
	}
	if v := metricValue(m, "xuncha_steps_handled_total", `platform="wechat",result="ok"`); v != 1 {
		t.Errorf("wechat steps ok %v, want 1", v)
	}
	if strings.Contains(m, openid) {
		t.Error("/metrics contains the openid")
	}

	// An image must be downloaded through the API: the token fetch fails.
	if status, body, err := cb.Post(srv.url+"wechat", cb.Image(openid, 7002, "media-1")); err != nil || status != http.StatusOK {
		t.Fatalf("image callback: %d %s %v", status, body, err)
	}
	var body string
	waitFor(t, 10*time.Second, "healthz to fail", func() bool {
		var code int
		code, body = healthz(t, srv.url)
		return code == http.StatusServiceUnavailable
	})
	if !strings.Contains(body, "wechat: access token fetch failed") || strings.Contains(body, "not-the-secret") {
		t.Errorf("healthz reason %q", body)
	}
}
