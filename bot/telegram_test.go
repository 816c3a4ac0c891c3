package bot

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/png"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"xuncha/bot/telegramtest"
	"xuncha/handlers"
	"xuncha/handlers/media"
	"xuncha/internal/syncbuf"
	"xuncha/outbox"
	"xuncha/store"
	"xuncha/store/storetest"
)

const testToken = "123456:TEST-token-secret"

// tgFixture is the Telegram channel on a real SQLite file against the fake Bot API.
type tgFixture struct {
	t      testing.TB
	fake   *telegramtest.Server
	db     *store.DB
	engine *handlers.Engine
	tg     *Telegram
	disp   *outbox.Dispatcher
	logs   *syncbuf.Buffer
	loops  loops
}

// loops runs a fixture's long-running loops (an adapter's, a dispatcher's) until stop.
type loops struct {
	cancel context.CancelFunc
	done   sync.WaitGroup
}

// start runs each loop in its own goroutine under one context.
func (l *loops) start(run ...func(context.Context) error) {
	ctx, cancel := context.WithCancel(context.Background())
	l.cancel = cancel
	for _, r := range run {
		l.done.Go(func() { r(ctx) })
	}
}

// stop cancels the loops and waits for them to return; it may be called again.
func (l *loops) stop() {
	if l.cancel != nil {
		l.cancel()
		l.cancel = nil
	}
	l.done.Wait()
}

func openTestDB(t testing.TB, path string) *store.DB {
	t.Helper()
	return storetest.Open(t, path)
}

func newTGFixture(t testing.TB, fake *telegramtest.Server, dbPath string, cfg TelegramConfig, scrub ...handlers.Scrubber) *tgFixture {
	t.Helper()
	f := &tgFixture{t: t, fake: fake, logs: &syncbuf.Buffer{}}
	f.db = openTestDB(t, dbPath)
	logger := slog.New(slog.NewJSONHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	cats, err := handlers.LoadCategories("")
	if err != nil {
		t.Fatal(err)
	}
	sc := handlers.Scrubber(media.Scrub)
	if len(scrub) > 0 {
		sc = scrub[0]
	}
	f.engine = handlers.New(logger, f.db, handlers.Config{Categories: cats, Scrub: sc, Location: time.UTC})
	cfg.Token, cfg.APIURL = testToken, fake.URL
	if cfg.PollTimeout == 0 {
		cfg.PollTimeout = time.Second
	}
	if cfg.GlobalRate == 0 {
		cfg.GlobalRate = 1000
	}
	f.tg, err = NewTelegram(context.Background(), logger, cfg, f.engine, f.db)
	if err != nil {
		t.Fatal(err)
	}
	f.disp = outbox.NewDispatcher(logger, f.db, handlers.PlatformTelegram, f.tg)
	f.disp.Concurrency = 20
	f.disp.Idle = 50 * time.Millisecond
	f.engine.OnQueued(func(int64) { f.disp.Wake() })
	t.Cleanup(f.stop)
	return f
}

func (f *tgFixture) start() { f.loops.start(f.tg.Run, f.disp.Run) }

func (f *tgFixture) stop() {
	f.loops.stop()
	if strings.Contains(f.logs.String(), testToken) {
		f.t.Errorf("the bot token appears in the logs")
	}
}

// postWebhook posts an update to a webhook handler as Telegram does, with the secret token
// header unless secret is "", and returns the status answered.
func postWebhook(h http.Handler, secret, update string) int {
	req := httptest.NewRequest(http.MethodPost, "/telegram", strings.NewReader(update))
	if secret != "" {
		req.Header.Set("X-Telegram-Bot-Api-Secret-Token", secret)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Code
}

// waitFor polls until cond holds, failing after a deadline.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func pngBytes(t *testing.T) []byte {
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewRGBA(image.Rect(0, 0, 8, 8))); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestTelegramMediaAtOnce: files are held in memory from their download until their step is
// done, so however many workers there are, at most MediaWorkers steps with a file run at once;
// the others wait their turn and every photo is still answered.
func TestTelegramMediaAtOnce(t *testing.T) {
	fake := telegramtest.Start(t, testToken)
	fake.Delay("download", 100*time.Millisecond)
	f := newTGFixture(t, fake, filepath.Join(t.TempDir(), "x.db"), TelegramConfig{MediaWorkers: 3})
	png := pngBytes(t)
	const chats = 12
	for i := range chats {
		id := fmt.Sprintf("photo-%d", i)
		fake.AddFile(id, png)
		fake.AddUpdate(telegramtest.Photo(int64(500+i), int64(7000+i), id, len(png), "村口路灯坏了"))
	}
	f.start()
	waitFor(t, "every photo answered", func() bool {
		for i := range chats {
			if len(fake.SentTo(int64(7000+i))) == 0 {
				return false
			}
		}
		return true
	})
	if n := len(fake.Calls("download")); n != chats {
		t.Errorf("%d downloads for %d photos", n, chats)
	}
	if peak := fake.PeakDownloads(); peak > 3 || peak < 2 {
		t.Errorf("%d downloads at once; want 2 or 3 (MediaWorkers 3, %d workers)", peak, f.tg.cfg.Workers)
	}
}

// TestTelegramConversation runs a report with buttons and a photo through the fake: every
// press is answered, the pressed question is edited, the photo is fetched with getFile and
// the download path, and a query code comes back.
func TestTelegramConversation(t *testing.T) {
	fake := telegramtest.Start(t, testToken)
	fake.SetLimits(telegramtest.Limits{PerChat: time.Second, Slack: 150 * time.Millisecond, Global: 30})
	f := newTGFixture(t, fake, filepath.Join(t.TempDir(), "x.db"), TelegramConfig{GlobalRate: 25})
	if _, err := f.db.ImportPlaces(t.Context(), []store.PlaceRow{{Township: "新站镇", Village: "东风村", Class: "key"}}); err != nil {
		t.Fatal(err)
	}
	f.start()
	const chat = 4242
	id := int64(100)
	next := func() int64 { id++; return id }
	press := func(under telegramtest.Sent, label, want string) telegramtest.Sent {
		t.Helper()
		n := len(fake.SentTo(chat))
		fake.AddUpdate(telegramtest.Press(next(), under, telegramtest.ButtonData(t, under, label)))
		return fake.WaitText(t, chat, n, want)
	}
	say := func(text, want string) telegramtest.Sent {
		t.Helper()
		n := len(fake.SentTo(chat))
		fake.AddUpdate(telegramtest.Message(next(), chat, text))
		return fake.WaitText(t, chat, n, want)
	}
	m := say("/report", "请选择问题类别")
	m = press(m, "侵害群众利益", "哪个乡镇")
	m = press(m, "新站镇", "哪个村")
	m = press(m, "东风村", "涉及哪个人")
	say("东风村会计", "请描述发生了什么")
	say("2024年3月惠农补贴被截留，每户少发200元，涉及三十多户。", "证据")
	fake.AddFile("photo-1", pngBytes(t))
	n := len(fake.SentTo(chat))
	fake.AddUpdate(telegramtest.Photo(next(), chat, "photo-1", 200, ""))
	m = fake.WaitText(t, chat, n, "已收到附件（共 1 个）")
	files := fake.WaitText(t, chat, 0, "如有照片")
	m = press(files, "完成", "举报方式")
	m = press(m, "匿名举报", "是否允许")
	m = press(m, "保留", "请核对")
	m = press(m, "确认提交", "查询码")
	if !regexpCode.MatchString(m.Text) {
		t.Fatalf("no query code in %q", m.Text)
	}
	if len(fake.Calls("getFile")) != 1 || len(fake.Calls("download")) != 1 {
		t.Errorf("getFile %d, download %d; want 1 each", len(fake.Calls("getFile")), len(fake.Calls("download")))
	}
	if got := len(fake.Calls("answerCallbackQuery")); got != 7 {
		t.Errorf("answerCallbackQuery called %d times for 7 presses", got)
	}
	// Each answer to a press replaced the pressed question (editMessageText) instead of
	// leaving its buttons to be pressed again.
	edits := 0
	for _, s := range fake.SentTo(chat) {
		if s.Edit {
			edits++
		}
	}
	if edits != 7 {
		t.Errorf("%d answers replaced their question; want one per press (7)", edits)
	}
	if fake.TooMany() != 0 {
		t.Errorf("%d sends broke a rate limit", fake.TooMany())
	}
	if len(fake.Calls("setMyCommands")) != 2 {
		t.Errorf("setMyCommands called %d times, want zh and en", len(fake.Calls("setMyCommands")))
	}
}

// TestTelegramRedelivery: the same update delivered twice (by getUpdates and by a retried
// webhook POST) changes the store once and is answered once.
func TestTelegramRedelivery(t *testing.T) {
	fake := telegramtest.Start(t, testToken)
	f := newTGFixture(t, fake, filepath.Join(t.TempDir(), "x.db"), TelegramConfig{})
	f.start()
	fake.AddUpdate(telegramtest.Message(7, 501, "/start"))
	fake.AddUpdate(telegramtest.Message(7, 501, "/start")) // redelivered before the offset moved
	fake.WaitText(t, 501, 0, "巡察监督举报服务")

	// The same update id through the webhook handler, twice, as Telegram retries on a timeout.
	h := f.tg.WebhookHandler()
	f.tg.cfg.WebhookSecret = "0123456789abcdef"
	for range 2 {
		if code := postWebhook(h, "0123456789abcdef", telegramtest.Message(7, 501, "/start")); code != http.StatusOK {
			t.Fatalf("webhook answered %d", code)
		}
	}
	fake.AddUpdate(telegramtest.Message(8, 501, "/help"))
	fake.WaitText(t, 501, 0, "可用命令")
	if n := fake.CountText(501, "巡察监督举报服务"); n != 1 {
		t.Errorf("the welcome was sent %d times for one update delivered four times", n)
	}
}

// TestTelegramStopBeforeCommit stops the channel after getUpdates answered and before the
// batch was committed; after a restart every update is processed exactly once.
func TestTelegramStopBeforeCommit(t *testing.T) {
	fake := telegramtest.Start(t, testToken)
	dbPath := filepath.Join(t.TempDir(), "x.db")
	for i := range 5 {
		fake.AddUpdate(telegramtest.Message(int64(10+i), int64(600+i), "/start"))
	}
	f := newTGFixture(t, fake, dbPath, TelegramConfig{})
	stopped := make(chan struct{})
	f.tg.beforeCommit = func() {
		f.loops.cancel() // the process dies here: the batch is in memory only
		close(stopped)
	}
	f.start()
	<-stopped
	f.stop()
	if got := len(fake.Sent()); got != 0 {
		t.Fatalf("%d messages sent before the batch was committed", got)
	}
	if fake.Confirmed() > 10 {
		t.Fatalf("offset %d confirmed updates that were never committed", fake.Confirmed())
	}

	f2 := newTGFixture(t, fake, dbPath, TelegramConfig{})
	f2.start()
	for i := range 5 {
		fake.WaitText(t, int64(600+i), 0, "巡察监督举报服务")
	}
	fake.AddUpdate(telegramtest.Message(20, 700, "/help"))
	fake.WaitText(t, 700, 0, "可用命令")
	for i := range 5 {
		if n := fake.CountText(int64(600+i), "巡察监督举报服务"); n != 1 {
			t.Errorf("chat %d got %d welcomes", 600+i, n)
		}
	}
	if fake.Confirmed() != 21 {
		t.Errorf("confirmed offset %d, want 21", fake.Confirmed())
	}
}

// TestTelegramWebhookSecret: a wrong secret gets 401 and stores nothing; the right one is
// processed.
func TestTelegramWebhookSecret(t *testing.T) {
	fake := telegramtest.Start(t, testToken)
	f := newTGFixture(t, fake, filepath.Join(t.TempDir(), "x.db"), TelegramConfig{
		WebhookURL: "https://bot.example.gov.cn/telegram", WebhookSecret: "s3cret-s3cret-s3cret",
	})
	f.start()
	waitFor(t, "setWebhook", func() bool { return fake.Webhook() == "https://bot.example.gov.cn/telegram" })
	h := f.tg.WebhookHandler()
	for _, secret := range []string{"", "wrong-secret-wrong", "s3cret-s3cret-s3creT"} {
		if code := postWebhook(h, secret, telegramtest.Message(31, 801, "/start")); code != http.StatusUnauthorized {
			t.Errorf("secret %q: status %d, want 401", secret, code)
		}
	}
	pending, err := f.db.PendingMessages(t.Context(), handlers.PlatformTelegram, 10)
	if err != nil || len(pending) != 0 {
		t.Fatalf("refused webhook calls stored %d updates (%v)", len(pending), err)
	}
	if code := postWebhook(h, "s3cret-s3cret-s3cret", telegramtest.Message(31, 801, "/start")); code != http.StatusOK {
		t.Fatalf("right secret: status %d", code)
	}
	fake.WaitText(t, 801, 0, "巡察监督举报服务")
	if len(fake.Calls("getUpdates")) != 0 {
		t.Error("webhook mode also polled getUpdates")
	}
}

// TestTelegramSendLimits: 1,000 outbox messages to 500 chats go out with zero 429s against the
// fake's enforced limits; an injected 429 pauses every send for retry_after, and every
// message still arrives exactly once.
func TestTelegramSendLimits(t *testing.T) {
	if testing.Short() {
		t.Skip("sends 1,000 messages at the rate limit")
	}
	fake := telegramtest.Start(t, testToken)
	// A scaled global limit keeps the test short; the per-chat limit is Telegram's own.
	fake.SetLimits(telegramtest.Limits{PerChat: time.Second, Slack: 150 * time.Millisecond, Global: 200, PerGroup: 20})
	f := newTGFixture(t, fake, filepath.Join(t.TempDir(), "x.db"), TelegramConfig{GlobalRate: 150})
	f.disp.Concurrency = 64
	want := map[string]int{}
	err := f.db.Update(t.Context(), func(tx *store.Tx) error {
		for round := range 2 {
			for c := range 500 {
				chat, err := tx.EnsureChat(handlers.PlatformTelegram, fmt.Sprint(10000+c), "zh", false)
				if err != nil {
					return err
				}
				text := fmt.Sprintf("通知 %d-%d", c, round)
				want[text] = 0
				if _, err := tx.Enqueue(chat.ID, store.OutMessage{Text: text}, ""); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	fake.FailNext("sendMessage", 1, 429, 2)
	f.start()
	waitFor(t, "1,000 messages", func() bool { return len(fake.Sent()) >= 1000 })
	f.stop()
	for _, s := range fake.Sent() {
		want[s.Text]++
	}
	for text, n := range want {
		if n != 1 {
			t.Errorf("%q arrived %d times", text, n)
		}
	}
	if fake.TooMany() != 0 {
		t.Errorf("%d sends were refused for breaking a limit", fake.TooMany())
	}
	// After the injected 429 (the first sendMessage call) nothing was sent for retry_after,
	// except requests already on the wire when the answer came back.
	calls := fake.Calls("sendMessage")
	first := calls[0].At
	for _, c := range calls[1:] {
		if c.At.After(first.Add(100*time.Millisecond)) && c.At.Before(first.Add(2*time.Second-50*time.Millisecond)) {
			t.Fatalf("a send %v after the 429, inside its 2 s retry_after", c.At.Sub(first))
		}
	}
	st, err := f.db.OutboxStats(t.Context())
	if err != nil || st.Pending != 0 || st.Dead != 0 {
		t.Errorf("outbox after sending: %+v %v", st, err)
	}
}

// stallingTransport holds the sendMessage requests that start during a stall until the stall
// ends, as a busy machine does with a request its limiter has let go: the requests held and
// those let go after them reach Telegram together.
type stallingTransport struct {
	next      http.RoundTripper
	from, end time.Time
}

func (s *stallingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if now := time.Now(); strings.HasSuffix(r.URL.Path, "/sendMessage") && !now.Before(s.from) && now.Before(s.end) {
		time.Sleep(time.Until(s.end))
	}
	return s.next.RoundTrip(r)
}

// TestTelegramSendStall: a stall of 0.4 s between the rate limiter and the wire, while 300
// messages go to 300 chats at the global limit of a fake that enforces it (50/s, scaled from
// Telegram's ~30/s), earns no 429: the sends held by the stall count against the limit until
// they are answered, so the ones after them wait instead of landing in the same second. With
// the token bucket alone the fake refused 3 of them (the same in each of three runs).
func TestTelegramSendStall(t *testing.T) {
	if testing.Short() {
		t.Skip("sends 300 messages at the rate limit")
	}
	const limit = 50
	fake := telegramtest.Start(t, testToken)
	fake.SetLimits(telegramtest.Limits{Global: limit, PerChat: time.Second})
	f := newTGFixture(t, fake, filepath.Join(t.TempDir(), "x.db"), TelegramConfig{GlobalRate: limit})
	f.disp.Concurrency = limit + 1 // as serve sets it: the rate plus one
	start := time.Now().Add(2 * time.Second)
	f.tg.http.Transport = &stallingTransport{next: f.tg.http.Transport, from: start, end: start.Add(400 * time.Millisecond)}
	err := f.db.Update(t.Context(), func(tx *store.Tx) error {
		for c := range 300 {
			chat, err := tx.EnsureChat(handlers.PlatformTelegram, fmt.Sprint(20000+c), "zh", false)
			if err != nil {
				return err
			}
			if _, err := tx.Enqueue(chat.ID, store.OutMessage{Text: fmt.Sprintf("通知 %d", c)}, ""); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	f.start()
	waitFor(t, "300 messages", func() bool { return len(fake.Sent()) >= 300 })
	f.stop()
	if n := fake.TooMany(); n != 0 {
		t.Errorf("%d sends were refused for breaking the global limit", n)
	}
	if n := len(fake.Sent()); n != 300 {
		t.Errorf("%d messages arrived; want 300, once each", n)
	}
}

// TestTelegramSendErrors covers 403 (blocked), a long text split at 4,096, and the library's
// copy_text quirk that our keyboard avoids.
func TestTelegramSendErrors(t *testing.T) {
	fake := telegramtest.Start(t, testToken)
	f := newTGFixture(t, fake, filepath.Join(t.TempDir(), "x.db"), TelegramConfig{})
	ctx := t.Context()

	fake.FailNext("sendMessage", 1, 403, 0)
	err := f.tg.Send(ctx, "901", store.OutMessage{Text: "hi"})
	var se *outbox.SendError
	if !asSendError(err, &se) || !se.Unreachable {
		t.Errorf("403: got %v, want an unreachable SendError", err)
	}

	long := strings.Repeat("巡察监督信息员情况报告。\n", 700) // 8,400 UTF-16 units
	if err := f.tg.Send(ctx, "902", store.OutMessage{Text: long, Buttons: [][]store.Button{{{Text: "好", Data: "ok"}}}}); err != nil {
		t.Fatal(err)
	}
	parts := fake.SentTo(902)
	if len(parts) != 3 {
		t.Fatalf("long text sent in %d parts, want 3", len(parts))
	}
	var joined strings.Builder
	for i, p := range parts {
		if utf16Len(p.Text) > maxTelegramText {
			t.Errorf("part %d has %d UTF-16 units", i, utf16Len(p.Text))
		}
		if (p.ReplyMarkup != "") != (i == len(parts)-1) {
			t.Errorf("part %d: buttons %q; want them under the last part only", i, p.ReplyMarkup)
		}
		joined.WriteString(p.Text)
	}
	if joined.String() != long {
		t.Error("the parts do not add up to the text")
	}

	// The library's own keyboard type sends "copy_text":{"text":""}, which Telegram refuses.
	_, err = f.tg.api.SendMessage(ctx, &tgbot.SendMessageParams{ChatID: 903, Text: "x",
		ReplyMarkup: models.InlineKeyboardMarkup{InlineKeyboard: [][]models.InlineKeyboardButton{{{Text: "a", CallbackData: "a"}}}}})
	if err == nil || !strings.Contains(err.Error(), "BUTTON_COPY_TEXT_INVALID") {
		t.Errorf("library keyboard: %v; the fake should refuse the empty copy_text as Telegram does", err)
	}
	if err := f.tg.Send(ctx, "903", store.OutMessage{Text: "x", Buttons: [][]store.Button{{{Text: "a", Data: "a"}}}}); err != nil {
		t.Errorf("our keyboard: %v", err)
	}
}

func asSendError(err error, se **outbox.SendError) bool {
	e, ok := err.(*outbox.SendError)
	*se = e
	return ok
}

// TestTelegramCommandsAndGroups: commands after Chinese text or with @botname are matched; in
// groups the bot answers only commands, never takes a report, and ignores other bots' commands.
func TestTelegramCommandsAndGroups(t *testing.T) {
	fake := telegramtest.Start(t, testToken)
	f := newTGFixture(t, fake, filepath.Join(t.TempDir(), "x.db"), TelegramConfig{})
	f.start()
	fake.AddUpdate(telegramtest.Message(1, 301, "投诉 /help"))
	fake.WaitText(t, 301, 0, "可用命令")
	fake.AddUpdate(telegramtest.Message(2, 302, "/help@xuncha_test_bot"))
	fake.WaitText(t, 302, 0, "可用命令")

	const group = -100200
	fake.AddUpdate(telegramtest.GroupMessage(3, group, 303, "村里的补贴被截留了"))
	fake.AddUpdate(telegramtest.GroupMessage(4, group, 303, "/help@other_bot"))
	fake.AddUpdate(telegramtest.GroupMessage(5, group, 303, "/report@xuncha_test_bot"))
	fake.WaitText(t, group, 0, "私聊")
	fake.AddUpdate(telegramtest.GroupMessage(6, group, 303, "/help"))
	fake.WaitText(t, group, 0, "可用命令")
	msgs := fake.SentTo(group)
	if len(msgs) != 2 {
		var texts []string
		for _, m := range msgs {
			texts = append(texts, m.Text)
		}
		t.Errorf("group got %d messages, want 2 (the privacy redirect and help): %q", len(msgs), texts)
	}
}

// TestTelegramPanicRecovered: a step that panics (here the image scrubber, inside the step's
// transaction) is recovered, logged, and answered politely; the bot keeps serving.
func TestTelegramPanicRecovered(t *testing.T) {
	fake := telegramtest.Start(t, testToken)
	f := newTGFixture(t, fake, filepath.Join(t.TempDir(), "x.db"), TelegramConfig{},
		func([]byte) ([]byte, string, error) { panic("scrubber exploded") })
	f.start()
	const chat = 401
	fake.AddUpdate(telegramtest.Message(1, chat, "/report"))
	q := fake.WaitText(t, chat, 0, "请选择问题类别")
	fake.AddUpdate(telegramtest.Press(2, q, "c:interests"))
	fake.WaitText(t, chat, 0, "请输入乡镇")
	fake.AddUpdate(telegramtest.Message(3, chat, "新站镇东风村"))
	fake.WaitText(t, chat, 0, "涉及哪个人")
	fake.AddUpdate(telegramtest.Message(4, chat, "村会计"))
	fake.WaitText(t, chat, 0, "请描述")
	fake.AddFile("p", pngBytes(t))
	fake.AddUpdate(telegramtest.Photo(5, chat, "p", 100, ""))
	fake.WaitText(t, chat, 0, "系统暂时出了问题")
	fake.AddUpdate(telegramtest.Message(6, chat, "/help"))
	fake.WaitText(t, chat, 0, "可用命令")
	if !strings.Contains(f.logs.String(), "step panicked") {
		t.Error("the panic was not logged")
	}
	pending, err := f.db.PendingMessages(t.Context(), handlers.PlatformTelegram, 10)
	if err != nil || len(pending) != 0 {
		t.Errorf("the panicking update is still pending (%d, %v): it would crash the bot again", len(pending), err)
	}
}

var regexpCode = regexp.MustCompile(`\d{4} \d{4} \d{4} \d{4}`)

// TestTelegramSendsFiles: a message with a stored file goes out as a document upload, the text
// as its caption.
func TestTelegramSendsFiles(t *testing.T) {
	fake := telegramtest.Start(t, testToken)
	f := newTGFixture(t, fake, filepath.Join(t.TempDir(), "x.db"), TelegramConfig{})
	sha := storetest.PutBlob(t, f.db, []byte("PK\x03\x04 ledger"), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	msg := store.OutMessage{Text: "线索台账已导出", File: &store.Attachment{SHA256: sha, Name: "线索台账.xlsx"}}
	if err := f.tg.Send(t.Context(), "904", msg); err != nil {
		t.Fatal(err)
	}
	docs := fake.Documents()
	if len(docs) != 1 || docs[0].Name != "线索台账.xlsx" || docs[0].Size != 11 || docs[0].ChatID != "904" {
		t.Fatalf("documents: %+v", docs)
	}
	if s := fake.SentTo(904); len(s) != 1 || s[0].Text != "线索台账已导出" {
		t.Errorf("caption: %+v", s)
	}
}

// TestTelegramSpacesAChatFromItsLastArrival: Telegram counts a message when it has it. A
// document whose upload arrives late, followed by the rest of its text, must still reach the
// chat a second apart; spacing the requests' starts let them land 0.4 s apart here (and, with
// the machine's own delays, broke the end-to-end test's limit one run in four).
func TestTelegramSpacesAChatFromItsLastArrival(t *testing.T) {
	fake := telegramtest.Start(t, testToken)
	fake.SetLimits(telegramtest.Limits{PerChat: time.Second})
	fake.Delay("sendDocument", 600*time.Millisecond) // a slow upload: recorded when it has arrived
	f := newTGFixture(t, fake, filepath.Join(t.TempDir(), "x.db"), TelegramConfig{})
	sha := storetest.PutBlob(t, f.db, []byte("%PDF-1.4 letter"), "application/pdf")
	// A text over a caption's 1,024 units goes as a message after the document.
	msg := store.OutMessage{Text: strings.Repeat("督办函正文。", 200), File: &store.Attachment{SHA256: sha, Name: "督办函.pdf"}}
	if err := f.tg.Send(t.Context(), "905", msg); err != nil {
		t.Fatal(err)
	}
	sent := fake.SentTo(905)
	if len(sent) != 2 {
		t.Fatalf("sent %d messages, want the document and the text", len(sent))
	}
	if gap := sent[1].At.Sub(sent[0].At); gap < time.Second || fake.TooMany() != 0 {
		t.Errorf("the text arrived %v after the document (%d refused); want at least 1s", gap, fake.TooMany())
	}
}
