package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"xuncha/bot"
	"xuncha/handlers"
	"xuncha/handlers/media"
	"xuncha/store"
)

// TestDiskFull fills the database (SQLite's max_page_count on every connection: SQLITE_FULL,
// as on a full disk, and it works as root) while a resident is writing a report in the web
// chat. The resident gets the polite error and a 500 (the page tells them to send again),
// nothing of the step is stored (no inbox id, no outbox row, no report, the conversation
// unchanged), and when space returns the same message (same client id) goes through once.
func TestDiskFull(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "x.db")
	env := testEnv("XUNCHA_DB", dbPath)
	mustRun(t, env, "places", "import", "samples/places.sample.csv")
	key, _ := hex.DecodeString(testKey)
	db, err := store.Open(context.Background(), dbPath, key)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	cats, err := handlers.LoadCategories("")
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.DiscardHandler)
	engine := handlers.New(logger, db, handlers.Config{Categories: cats, Scrub: media.Scrub})
	web := bot.NewWeb(logger, engine, db, handlers.LangZH)
	srv := httptest.NewServer(web.Handler())
	defer srv.Close()

	resident := newWebClient(t, srv.URL+"/", "resident")
	resident.do("/start", "")
	msgs := resident.do("", "menu:report")
	msgs = resident.do("", button(t, msgs, "侵害群众利益"))
	msgs = resident.do("", button(t, msgs, "新站镇"))
	msgs = resident.do("", button(t, msgs, "东风村"))
	msgs = resident.do("东风村村委会会计", "")
	mustContain(t, msgs, "请描述发生了什么")

	count := func(q string) int {
		t.Helper()
		return countRows(t, dbPath, q)
	}
	outboxBefore, inboxBefore := count(`SELECT COUNT(*) FROM outbox`), count(`SELECT COUNT(*) FROM inbox`)
	convBefore := rowBytes(t, dbPath, `SELECT data FROM conversations`)

	// The disk fills. The description is long enough to need new pages.
	if err := db.SetMaxPageCount(t.Context(), 1); err != nil {
		t.Fatal(err)
	}
	desc := strings.Repeat("2024年3月村里发放的惠农补贴被会计截留，每户少发200元。", 60)
	id := "resident-full-0001"
	for attempt := range 2 { // a resend while still full fails the same way
		status, answer := postSend(t, resident, id, desc)
		if status != http.StatusInternalServerError || answer.OK || answer.Error != handlers.T(handlers.LangZH, "error") {
			t.Fatalf("attempt %d while full: %d %+v", attempt, status, answer)
		}
	}
	if n := count(`SELECT COUNT(*) FROM outbox`); n != outboxBefore {
		t.Errorf("outbox rows while full: %d, before %d", n, outboxBefore)
	}
	if n := count(`SELECT COUNT(*) FROM inbox`); n != inboxBefore {
		t.Errorf("the message id was recorded while full: the resend would be taken as a duplicate")
	}
	if n := count(`SELECT COUNT(*) FROM reports`); n != 0 {
		t.Errorf("%d reports half-stored", n)
	}
	if !bytes.Equal(rowBytes(t, dbPath, `SELECT data FROM conversations`), convBefore) {
		t.Errorf("the conversation changed while full")
	}
	if len(resident.read()) != 0 {
		t.Errorf("the resident got an answer queued while full")
	}

	// Space returns: the browser's resend of the same message goes through, once.
	if err := db.SetMaxPageCount(t.Context(), 0); err != nil {
		t.Fatal(err)
	}
	if status, answer := postSend(t, resident, id, desc); status != http.StatusOK || !answer.OK {
		t.Fatalf("after space returned: %d %+v", status, answer)
	}
	msgs = resident.read()
	mustContain(t, msgs, "证据")
	outboxAfter := count(`SELECT COUNT(*) FROM outbox`)
	if status, _ := postSend(t, resident, id, desc); status != http.StatusOK {
		t.Fatalf("a second resend: %d", status)
	}
	if n := count(`SELECT COUNT(*) FROM outbox`); n != outboxAfter || len(resident.read()) != 0 {
		t.Errorf("the same message was handled twice")
	}
	// The report can be finished.
	msgs = resident.do("", "done")
	msgs = resident.do("", button(t, msgs, "匿名举报"))
	msgs = resident.do("", button(t, msgs, "保留"))
	msgs = resident.do("", button(t, msgs, "确认提交"))
	if codePattern.FindString(texts(msgs)) == "" {
		t.Fatalf("no query code after recovery:\n%s", texts(msgs))
	}
	if n := count(`SELECT COUNT(*) FROM reports`); n != 1 {
		t.Errorf("reports: %d, want 1", n)
	}
}

type sendAnswer struct {
	OK    bool   `json:"ok"`
	Error string `json:"error"`
}

// postSend posts a message with a fixed client id, as the page's retry does.
func postSend(t *testing.T, c *webClient, id, text string) (int, sendAnswer) {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"id": id, "text": text})
	res, err := c.http.Post(c.base+"api/send", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var a sendAnswer
	if err := json.Unmarshal(raw, &a); err != nil {
		t.Fatalf("answer %s: %v", raw, err)
	}
	return res.StatusCode, a
}

// countRows runs a COUNT query on a read-only handle of the database file.
func countRows(t *testing.T, path, q string) int {
	t.Helper()
	var n int
	rowScan(t, path, q, &n)
	return n
}

func rowBytes(t *testing.T, path, q string) []byte {
	t.Helper()
	var b []byte
	rowScan(t, path, q, &b)
	return b
}

func rowScan(t *testing.T, path, q string, dst any) {
	t.Helper()
	db, err := sqlOpenRO(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.QueryRow(q).Scan(dst); err != nil {
		t.Fatal(fmt.Errorf("%s: %w", q, err))
	}
}

func sqlOpenRO(path string) (*sql.DB, error) { return sql.Open("sqlite", "file:"+path+"?mode=ro") }
