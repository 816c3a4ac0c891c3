package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestScheduleCLIAndServe imports a calendar year and adds an announcement through the CLI,
// subscribes a web chat, and restarts serve: the scheduler's catch-up pass at start publishes
// the announcement (already due) to the subscriber once, and a second restart sends nothing more.
func TestScheduleCLIAndServe(t *testing.T) {
	dir := t.TempDir()
	env := testEnv("XUNCHA_DB", filepath.Join(dir, "x.db"))
	mustRun(t, env, "places", "import", "samples/places.sample.csv")

	cal := filepath.Join(dir, "2027.csv")
	if err := os.WriteFile(cal, []byte("date,kind\n2027-01-01,holiday\n2027-02-20,workday\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, _ := mustRun(t, env, "calendar", "import", cal)
	if !strings.Contains(out, "2 days imported for [2027]") {
		t.Fatalf("calendar import: %s", out)
	}

	logs := &syncBuffer{}
	srv := startServer(t, env, logs)
	resident := newWebClient(t, srv.url, "resident")
	msgs := resident.do("/subscribe", "")
	msgs = resident.do("", button(t, msgs, "新站镇"))
	mustContain(t, resident.do("", button(t, msgs, "整个乡镇")), "已订阅")
	srv.stop(t)

	body := filepath.Join(dir, "body.txt")
	if err := os.WriteFile(body, []byte("市委第一巡察组进驻新站镇，受理反映。"), 0o600); err != nil {
		t.Fatal(err)
	}
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
