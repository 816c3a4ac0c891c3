package handlers_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"log/slog"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"xuncha/handlers"
	"xuncha/handlers/media"
	"xuncha/internal/syncbuf"
	"xuncha/store"
	"xuncha/store/storetest"
)

// codePattern matches a query code as shown to a resident.
var codePattern = regexp.MustCompile(`\d{4} \d{4} \d{4} \d{4}`)

// env is one test's database with a few places imported.
type env struct {
	db   *store.DB
	path string
	log  *syncbuf.Buffer
	raw  *sql.DB // a separate read connection for assertions on tables the store does not list

	township, township2 int64 // 新站镇, 天岗镇
	village, village2   int64 // 东风村, 胜利村 (both in 新站镇)
	villageOther        int64 // 红旗村 (天岗镇)
}

// newEnv opens a real SQLite store in a temp dir and imports two townships with villages.
func newEnv(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "x.db")
	db := storetest.Open(t, path)
	_, err := db.ImportPlaces(ctx, []store.PlaceRow{
		{Township: "新站镇", Village: "东风村", Class: "key"},
		{Township: "新站镇", Village: "胜利村", Class: "general"},
		{Township: "天岗镇", Village: "红旗村", Class: "general"},
	})
	if err != nil {
		t.Fatalf("import places: %v", err)
	}
	raw, err := sql.Open("sqlite", "file:"+path+"?mode=ro&_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatalf("open raw: %v", err)
	}
	t.Cleanup(func() { raw.Close() })
	en := &env{db: db, path: path, log: &syncbuf.Buffer{}, raw: raw}
	if en.township, en.village, err = db.FindPlaceByName(ctx, "新站镇", "东风村"); err != nil {
		t.Fatal(err)
	}
	if _, en.village2, err = db.FindPlaceByName(ctx, "新站镇", "胜利村"); err != nil {
		t.Fatal(err)
	}
	if en.township2, en.villageOther, err = db.FindPlaceByName(ctx, "天岗镇", "红旗村"); err != nil {
		t.Fatal(err)
	}
	return en
}

// newEngine is newEnv with an engine on it: the set-up most tests start with.
func newEngine(t *testing.T) (*env, *handlers.Engine) {
	t.Helper()
	en := newEnv(t)
	return en, en.engine(t)
}

// engine builds an engine on the env's current database.
func (en *env) engine(t *testing.T) *handlers.Engine {
	t.Helper()
	logger := slog.New(slog.NewTextHandler(en.log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	return handlers.New(logger, en.db, withCategories(t, handlers.Config{Scrub: media.Scrub, Location: time.UTC}))
}

// withCategories is cfg with the built-in report categories, which every test engine has.
func withCategories(tb testing.TB, cfg handlers.Config) handlers.Config {
	tb.Helper()
	cats, err := handlers.LoadCategories("")
	if err != nil {
		tb.Fatalf("categories: %v", err)
	}
	cfg.Categories = cats
	return cfg
}

// reopen closes the database and opens it again, as a restarted process would.
func (en *env) reopen(t *testing.T) {
	t.Helper()
	if err := en.db.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	en.db = storetest.Open(t, en.path)
}

// count runs a COUNT query on the raw read connection.
func (en *env) count(t *testing.T, query string, args ...any) int {
	t.Helper()
	var n int
	if err := en.raw.QueryRow(query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// wantCount checks that query, run by count (an env's), counts want rows; why says what
// another count would mean.
func wantCount(t *testing.T, count func(*testing.T, string, ...any) int, want int, why, query string, args ...any) {
	t.Helper()
	if n := count(t, query, args...); n != want {
		t.Errorf("%s: %d rows, want %d (%s %v)", why, n, want, query, args)
	}
}

// state returns a chat's saved conversation state (nil when none).
func (en *env) state(t *testing.T, chatID int64) []byte {
	t.Helper()
	var data []byte
	err := en.db.Update(context.Background(), func(tx *store.Tx) error {
		var err error
		data, err = tx.LoadConversation(chatID)
		return err
	})
	if err != nil {
		t.Fatalf("load conversation: %v", err)
	}
	return data
}

// findReport looks a report up by its query code (spaces allowed).
func (en *env) findReport(t *testing.T, code string) *store.Report {
	t.Helper()
	norm, ok := store.NormalizeQueryCode(code)
	if !ok {
		t.Fatalf("bad code %q", code)
	}
	var r *store.Report
	err := en.db.Update(context.Background(), func(tx *store.Tx) error {
		var err error
		r, err = tx.FindReportByCode(norm)
		return err
	})
	if err != nil {
		t.Fatalf("find report %s: %v", code, err)
	}
	return r
}

// invite creates an invitation valid for a day and returns its code.
func (en *env) invite(t *testing.T, role store.Role, township, village int64) string {
	t.Helper()
	code, err := en.db.CreateInvitation(context.Background(), &store.Invitation{
		Role: role, TownshipID: township, VillageID: village, ExpiresAt: time.Now().Add(24 * time.Hour),
	})
	if err != nil {
		t.Fatalf("create invitation: %v", err)
	}
	return code
}

// bind redeems a fresh invitation for chat through the engine and returns the chat's id.
func (en *env) bind(t *testing.T, e *handlers.Engine, chat string, role store.Role, township, village int64) int64 {
	t.Helper()
	r := send(t, e, chat, "/bind "+en.invite(t, role, township, village))
	r.must(t, "绑定成功")
	return r.res.ChatID
}

// reply is what one Handle call queued.
type reply struct {
	res    handlers.Result
	texts  []string            // to the sender
	rows   [][]store.Button    // the sender's buttons, all messages
	others []handlers.Outgoing // to other chats
}

func (r reply) text() string { return strings.Join(r.texts, "\n") }

// must fails unless the sender's text contains every want.
func (r reply) must(t *testing.T, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(r.text(), w) {
			t.Fatalf("reply lacks %q:\n%s", w, r.text())
		}
	}
}

// mustNot fails if the sender's text contains any of bad.
func (r reply) mustNot(t *testing.T, bad ...string) {
	t.Helper()
	for _, b := range bad {
		if b != "" && strings.Contains(r.text(), b) {
			t.Fatalf("reply contains %q:\n%s", b, r.text())
		}
	}
}

// button returns the offered button with exactly this data.
func (r reply) button(t *testing.T, data string) store.Button {
	t.Helper()
	for _, row := range r.rows {
		for _, b := range row {
			if b.Data == data {
				return b
			}
		}
	}
	t.Fatalf("no button %q in %+v (text %q)", data, r.rows, r.text())
	return store.Button{}
}

// buttonsWithPrefix returns the offered buttons whose data starts with prefix.
func (r reply) buttonsWithPrefix(prefix string) []store.Button {
	var out []store.Button
	for _, row := range r.rows {
		for _, b := range row {
			if strings.HasPrefix(b.Data, prefix) {
				out = append(out, b)
			}
		}
	}
	return out
}

var msgSeq atomic.Int64

// handle runs m (a unique MsgID is filled in when empty) and splits what it queued.
func handle(t *testing.T, e *handlers.Engine, m handlers.Message) reply {
	t.Helper()
	if m.Platform == "" {
		m.Platform = handlers.PlatformWeb
	}
	if m.MsgID == "" {
		m.MsgID = fmt.Sprintf("m%d", msgSeq.Add(1))
	}
	res, err := e.Handle(context.Background(), m)
	if err != nil {
		t.Fatalf("handle %+v: %v", m, err)
	}
	r := reply{res: res}
	for _, o := range res.Out {
		if o.OutboxID == 0 {
			t.Errorf("outgoing message without outbox row: %+v", o)
		}
		if o.ToSender {
			if o.ChatID != res.ChatID {
				t.Errorf("message to sender addressed to chat %d, sender is %d", o.ChatID, res.ChatID)
			}
			r.texts = append(r.texts, o.Text)
			r.rows = append(r.rows, o.Buttons...)
		} else {
			r.others = append(r.others, o)
		}
	}
	return r
}

func send(t *testing.T, e *handlers.Engine, chat, text string) reply {
	t.Helper()
	return handle(t, e, handlers.Message{ChatID: chat, Text: text})
}

func press(t *testing.T, e *handlers.Engine, chat, data string) reply {
	t.Helper()
	return handle(t, e, handlers.Message{ChatID: chat, Data: data})
}

func sendFiles(t *testing.T, e *handlers.Engine, chat, text string, files ...handlers.File) reply {
	t.Helper()
	return handle(t, e, handlers.Message{ChatID: chat, Text: text, Files: files})
}

// pngFile is a real, small PNG photo.
func pngFile(t testing.TB) handlers.File {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 16, 12))
	for x := range 16 {
		for y := range 12 {
			img.Set(x, y, color.RGBA{uint8(x * 16), uint8(y * 20), 99, 255})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return handlers.File{Name: "photo.png", Size: int64(b.Len()), Data: b.Bytes()}
}

// scrubbedSHA is the digest under which the engine stores f.
func scrubbedSHA(t testing.TB, f handlers.File) string {
	t.Helper()
	clean, _, err := media.Scrub(f.Data)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(clean)
	return hex.EncodeToString(sum[:])
}

// Report texts used across tests.
const (
	subjectText = "东风村村委会主任王某"
	// descWithTime has a time reference and is long enough, so no follow-up question is asked.
	descWithTime = "2024年3月，村委会把低保名额分给了不符合条件的亲属，涉及3户，每户每月500元。"
)

// toDescription runs /report up to the description question, choosing 新站镇 东风村.
func (en *env) toDescription(t *testing.T, e *handlers.Engine, chat string) {
	t.Helper()
	send(t, e, chat, "/report").must(t, "请选择问题类别")
	press(t, e, chat, "c:interests").must(t, "哪个乡镇")
	press(t, e, chat, fmt.Sprintf("t:%d", en.township)).must(t, "哪个村")
	press(t, e, chat, fmt.Sprintf("v:%d", en.village)).must(t, "涉及哪个人")
	send(t, e, chat, subjectText).must(t, "请描述发生了什么")
}

// toSummary runs an anonymous report (chat link kept) up to the summary.
func (en *env) toSummary(t *testing.T, e *handlers.Engine, chat string) reply {
	t.Helper()
	en.toDescription(t, e, chat)
	send(t, e, chat, descWithTime).must(t, "如有照片")
	r := finishAnon(t, e, chat, "keep")
	r.must(t, "请核对您的举报")
	return r
}

// finishAnon ends a report's files step and answers anonymous, keeping the chat link or not
// (link "keep" or "none"); it returns the answer to the last press, the summary.
func finishAnon(t *testing.T, e *handlers.Engine, chat, link string) reply {
	t.Helper()
	press(t, e, chat, "done").must(t, "请选择举报方式")
	press(t, e, chat, "id:anon").must(t, "是否允许")
	return press(t, e, chat, "link:"+link)
}
