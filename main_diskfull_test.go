package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"xuncha/bot"
	"xuncha/handlers"
	"xuncha/handlers/media"
	"xuncha/store"
	"xuncha/store/storetest"
)

// TestDiskFull makes the database unwritable while a resident is writing a report in the web
// chat: full (SQLite's max_page_count on every connection: SQLITE_FULL, as on a full disk) or
// read-only (query_only on every connection: SQLITE_READONLY, as on a disk remounted
// read-only). Both work as root, where a chmod would not stop the process. The resident gets
// the polite error and a 500 (the page shows it; the browser resends with the same id), nothing
// of the step is stored (no inbox id, no outbox row, no report, the conversation unchanged),
// and when the disk is writable again the same message goes through once. It is tried at the
// description (the draft grows) and at the final confirmation (the report is filed).
func TestDiskFull(t *testing.T) {
	for _, tc := range []struct {
		name          string
		fail, restore func(ctx context.Context, db *store.DB) error
	}{
		{"Full",
			func(ctx context.Context, db *store.DB) error { return db.SetMaxPageCount(ctx, 1) },
			func(ctx context.Context, db *store.DB) error { return db.SetMaxPageCount(ctx, 0) }},
		{"ReadOnly",
			func(ctx context.Context, db *store.DB) error { return db.SetReadOnly(ctx, true) },
			func(ctx context.Context, db *store.DB) error { return db.SetReadOnly(ctx, false) }},
	} {
		for _, step := range []string{"description", "confirm"} {
			t.Run(tc.name+"/"+step, func(t *testing.T) { diskFailure(t, step, tc.fail, tc.restore) })
		}
	}
}

func diskFailure(t *testing.T, step string, fail, restore func(context.Context, *store.DB) error) {
	dbPath, _ := testDB(t)
	db := storetest.Open(t, dbPath)
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
	// Long enough that the draft needs new pages, more than the file may hold free (a
	// migration that drops a table leaves its pages on the free list).
	desc := strings.Repeat("2024年3月村里发放的惠农补贴被会计截留，每户少发200元。", 120)
	text, data, want := desc, "", "证据"
	if step == "confirm" {
		mustContain(t, resident.do(desc, ""), "证据")
		msgs = resident.do("", "done")
		msgs = resident.do("", button(t, msgs, "匿名举报"))
		msgs = resident.do("", button(t, msgs, "保留"))
		text, data, want = "", button(t, msgs, "确认提交"), "查询码"
	}

	count := func(q string) int { t.Helper(); return countRows(t, dbPath, q) }
	outboxBefore, inboxBefore := count(`SELECT COUNT(*) FROM outbox`), count(`SELECT COUNT(*) FROM inbox`)
	convBefore := rowBytes(t, dbPath, `SELECT data FROM conversations`)

	if err := fail(t.Context(), db); err != nil {
		t.Fatal(err)
	}
	id := "resident-full-0001"
	for attempt := range 2 { // a resend while still failing fails the same way
		status, answer := postSend(t, resident, id, text, data)
		if status != http.StatusInternalServerError || answer.OK || answer.Error != handlers.T(handlers.LangZH, "error") {
			t.Fatalf("attempt %d while unwritable: %d %+v", attempt, status, answer)
		}
	}
	if n := count(`SELECT COUNT(*) FROM outbox`); n != outboxBefore {
		t.Errorf("outbox rows while unwritable: %d, before %d", n, outboxBefore)
	}
	if n := count(`SELECT COUNT(*) FROM inbox`); n != inboxBefore {
		t.Errorf("the message id was recorded while unwritable: the resend would be taken as a duplicate")
	}
	if n := count(`SELECT COUNT(*) FROM reports`); n != 0 {
		t.Errorf("%d reports half-stored", n)
	}
	if !bytes.Equal(rowBytes(t, dbPath, `SELECT data FROM conversations`), convBefore) {
		t.Errorf("the conversation changed while unwritable")
	}
	if len(resident.read()) != 0 {
		t.Errorf("the resident got an answer queued while unwritable")
	}

	// The disk is writable again: the browser's resend of the same message goes through, once.
	if err := restore(t.Context(), db); err != nil {
		t.Fatal(err)
	}
	if status, answer := postSend(t, resident, id, text, data); status != http.StatusOK || !answer.OK {
		t.Fatalf("after recovery: %d %+v", status, answer)
	}
	mustContain(t, resident.read(), want)
	outboxAfter := count(`SELECT COUNT(*) FROM outbox`)
	if status, _ := postSend(t, resident, id, text, data); status != http.StatusOK {
		t.Fatalf("a second resend: %d", status)
	}
	if n := count(`SELECT COUNT(*) FROM outbox`); n != outboxAfter || len(resident.read()) != 0 {
		t.Errorf("the same message was handled twice")
	}
	if step == "description" {
		msgs = resident.do("", "done")
		msgs = resident.do("", button(t, msgs, "匿名举报"))
		msgs = resident.do("", button(t, msgs, "保留"))
		msgs = resident.do("", button(t, msgs, "确认提交"))
		if codePattern.FindString(texts(msgs)) == "" {
			t.Fatalf("no query code after recovery:\n%s", texts(msgs))
		}
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
func postSend(t *testing.T, c *webClient, id, text, data string) (int, sendAnswer) {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"id": id, "text": text, "data": data})
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
	db := openRO(t, path)
	defer db.Close()
	if err := db.QueryRow(q).Scan(dst); err != nil {
		t.Fatal(fmt.Errorf("%s: %w", q, err))
	}
}

// openRO opens the database file read-only, as someone holding a copy of it would; the caller
// closes it.
func openRO(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	return db
}
