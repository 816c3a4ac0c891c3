package main

import (
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"xuncha/bot/telegramtest"
	"xuncha/internal/syncbuf"
	"xuncha/store"
	"xuncha/store/storetest"
)

// TestScheduleCLIAndServe imports a calendar year and adds an announcement through the CLI,
// subscribes a web chat, and restarts serve: the scheduler's catch-up pass at start publishes
// the announcement (already due) to the subscriber once, and a second restart sends nothing more.
func TestScheduleCLIAndServe(t *testing.T) {
	dbPath, env := testDB(t)
	dir := filepath.Dir(dbPath)

	cal := writeFile(t, dir, "2027.csv", []byte("date,kind\n2027-01-01,holiday\n2027-02-20,workday\n"))
	out, _ := mustRun(t, env, "calendar", "import", cal)
	if !strings.Contains(out, "2 days imported for [2027]") {
		t.Fatalf("calendar import: %s", out)
	}

	logs := &syncbuf.Buffer{}
	srv := startServer(t, env, logs)
	resident := newWebClient(t, srv.url, "resident")
	msgs := resident.do("/subscribe", "")
	msgs = resident.do("", button(t, msgs, "新站镇"))
	mustContain(t, resident.do("", button(t, msgs, "整个乡镇")), "已订阅")
	srv.stop(t)

	body := writeFile(t, dir, "body.txt", []byte("市委第一巡察组进驻新站镇，受理反映。"))
	sh, _ := time.LoadLocation("Asia/Shanghai")
	now := time.Now().In(sh)
	out, _ = mustRun(t, env, "announce", "add", "--title", "十五届市委第五轮巡察", "--body-file", body, "--township", "新站镇",
		"--contact", "电话 0432-0000000", "--publish", now.Add(-time.Hour).Format(timeLayout),
		"--close", now.AddDate(0, 0, 40).Format(timeLayout))
	if !strings.Contains(out, "announcement 1") {
		t.Fatalf("announce add: %s", out)
	}

	got := 0
	for range 2 {
		srv = startServer(t, env, logs)
		resident.base = srv.url
		// The catch-up pass runs right after start; wait for its log line, not a fixed time.
		deadline := time.Now().Add(10 * time.Second)
		for !strings.Contains(logs.String(), `"announcement broadcast queued"`) && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		for _, m := range resident.read() {
			if strings.Contains(m.Text, "【巡察公告】十五届市委第五轮巡察") {
				got++
			}
		}
		srv.stop(t)
	}
	if got != 1 {
		t.Fatalf("subscriber got the announcement %d times\n%s", got, logs.String())
	}
	out, _ = mustRun(t, env, "announce", "list")
	if !strings.Contains(out, "published") {
		t.Fatalf("announce list: %s", out)
	}
}

// TestBroadcastRestartTelegram stops serve in the middle of delivering an announcement to 1,000
// Telegram subscribers and starts it again: the fake Bot API counts exactly one copy per
// subscriber.
func TestBroadcastRestartTelegram(t *testing.T) {
	if testing.Short() {
		t.Skip("sends 1,000 messages at the Telegram rate")
	}
	const (
		token       = "987654:BROADCAST-token"
		subscribers = 1000
	)
	fake, tg := fakeTelegram(t, token)
	fake.SetLimits(telegramtest.Limits{PerChat: time.Second, Global: 30})
	dbPath, env := testDB(t, append(tg, "TELEGRAM_RATE", "29")...)
	dir := filepath.Dir(dbPath)

	// The subscribers, as /subscribe would leave them (1,000 conversations would only slow this).
	db := storetest.Open(t, dbPath)
	tw, _, err := db.FindPlaceByName(t.Context(), "新站镇", "")
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(t.Context(), func(tx *store.Tx) error {
		for i := range subscribers {
			c, err := tx.EnsureChat("telegram", strconv.Itoa(7_000_000+i), "zh", false)
			if err != nil {
				return err
			}
			if err := tx.Subscribe(c.ID, tw, 0); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	body := writeFile(t, dir, "body.txt", []byte("市委第一巡察组进驻新站镇。"))
	now := time.Now().In(mustLoc(t, "Asia/Shanghai"))
	mustRun(t, env, "announce", "add", "--title", "第五轮巡察", "--body-file", body, "--township", "新站镇",
		"--publish", now.Add(-time.Minute).Format(timeLayout), "--close", now.AddDate(0, 0, 40).Format(timeLayout))

	waitSent := func(n int) {
		t.Helper()
		deadline := time.Now().Add(2 * time.Minute)
		for len(fake.Sent()) < n {
			if time.Now().After(deadline) {
				t.Fatalf("%d of %d sent", len(fake.Sent()), n)
			}
			time.Sleep(20 * time.Millisecond) // polling for progress, not an assertion
		}
	}
	logs := &syncbuf.Buffer{}
	srv := startServer(t, env, logs)
	waitSent(300)
	srv.stop(t) // as SIGTERM in the middle of the broadcast
	stopped := len(fake.Sent())
	srv = startServer(t, env, logs)
	waitSent(subscribers)
	srv.stop(t)

	per := map[int64]int{}
	for _, s := range fake.Sent() {
		if strings.Contains(s.Text, "【巡察公告】第五轮巡察") {
			per[s.ChatID]++
		}
	}
	for i := range subscribers {
		if n := per[int64(7_000_000+i)]; n != 1 {
			t.Fatalf("subscriber %d got %d copies (stopped after %d sends)", i, n, stopped)
		}
	}
	if n := len(fake.Sent()); n != subscribers {
		t.Fatalf("%d messages sent, want %d", n, subscribers)
	}
	t.Logf("stopped after %d of %d sends; 429s: %d", stopped, subscribers, fake.TooMany())
}

func mustLoc(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// TestReportAfterWindowClosed: a report about a township whose inspection window closed lately
// is registered as usual, and its confirmation says the window is shut.
func TestReportAfterWindowClosed(t *testing.T) {
	dbPath, env := testDB(t)
	dir := filepath.Dir(dbPath)
	body := writeFile(t, dir, "body.txt", []byte("巡察组进驻。"))
	now := time.Now().In(mustLoc(t, "Asia/Shanghai"))
	mustRun(t, env, "announce", "add", "--title", "第四轮巡察", "--body-file", body, "--township", "新站镇",
		"--publish", now.AddDate(0, 0, -20).Format(timeLayout), "--close", now.AddDate(0, 0, -1).Format(timeLayout))
	srv := startServer(t, env, &syncbuf.Buffer{})
	resident := newWebClient(t, srv.url, "resident")
	msgs := resident.do("", "menu:report")
	msgs = resident.do("", button(t, msgs, "侵害群众利益"))
	msgs = resident.do("", button(t, msgs, "新站镇"))
	msgs = resident.do("", button(t, msgs, "东风村"))
	resident.do("东风村村委会会计", "")
	resident.do("2024年3月村里发放的惠农补贴被会计截留，每户少发200元，涉及三十多户。", "")
	msgs = resident.do("", "done")
	msgs = resident.do("", button(t, msgs, "匿名举报"))
	msgs = resident.do("", button(t, msgs, "保留"))
	msgs = resident.do("", button(t, msgs, "确认提交"))
	mustContain(t, msgs, "查询码")
	mustContain(t, msgs, "《第四轮巡察》的集中受理时间已经结束")
}
