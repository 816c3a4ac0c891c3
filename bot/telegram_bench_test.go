package bot

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"xuncha/bot/telegramtest"
	"xuncha/store"
)

// BenchmarkTelegram compares, in one run against the same fake Bot API, a bare go-telegram/bot
// echo bot (decode, handler, one sendMessage) with Xuncha's durable step for the same update:
// commit the update to the inbox, run the conversation step in its transaction (state,
// outbox row), claim the outbox row, send it, mark it sent. Both report steps/s; their ratio
// is the cost of losing nothing and doubling nothing.
//
//	go test -run '^$' -bench 'BenchmarkTelegram$' -benchtime 200x -count 3 ./bot/
func BenchmarkTelegram(b *testing.B) {
	// latency 0 is loopback (the durable step's own cost shows); 20ms models the round trip to
	// api.telegram.org from a county server, where the network dominates both.
	for _, latency := range []time.Duration{0, 20 * time.Millisecond} {
		fake := telegramtest.Start(b, testToken)
		fake.Delay("sendMessage", latency)
		b.Run(fmt.Sprintf("latency=%v/echo", latency), func(b *testing.B) { benchEcho(b, fake) })
		b.Run(fmt.Sprintf("latency=%v/xuncha", latency), func(b *testing.B) { benchStep(b, fake) })
	}
	// Under load: getUpdates brings up to 100 updates at once. The echo bot handles each in its
	// own goroutine (the library's default); Xuncha commits the batch, runs the steps of
	// different chats concurrently (their commits shared: group commit), and sends concurrently.
	fake := telegramtest.Start(b, testToken)
	b.Run("batch=100/echo", func(b *testing.B) { benchEchoBatch(b, fake, 100) })
	b.Run("batch=100/xuncha", func(b *testing.B) { benchStepBatch(b, fake, 100) })
}

func benchEchoBatch(b *testing.B, fake *telegramtest.Server, size int) {
	var wg sync.WaitGroup
	api, err := tgbot.New(testToken, tgbot.WithServerURL(fake.URL), tgbot.WithSkipGetMe(),
		tgbot.WithDefaultHandler(func(ctx context.Context, api *tgbot.Bot, u *models.Update) {
			defer wg.Done()
			if _, err := api.SendMessage(ctx, &tgbot.SendMessageParams{ChatID: u.Message.Chat.ID, Text: u.Message.Text}); err != nil {
				b.Error(err)
			}
		}))
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	n := 0
	for b.Loop() {
		wg.Add(size)
		for range size {
			n++
			api.ProcessUpdate(ctx, &models.Update{ID: int64(n), Message: &models.Message{
				ID: n, Chat: models.Chat{ID: int64(3_000_000 + n), Type: models.ChatTypePrivate}, Text: "/start"}})
		}
		wg.Wait()
	}
	b.ReportMetric(float64(b.N*size)/b.Elapsed().Seconds(), "steps/s")
}

func benchStepBatch(b *testing.B, fake *telegramtest.Server, size int) {
	f := newTGFixture(b, fake, filepath.Join(b.TempDir(), "bench.db"), TelegramConfig{GlobalRate: 1e6})
	f.disp.Concurrency = 32
	ctx := context.Background()
	sent := len(fake.Sent())
	n := 0
	for b.Loop() {
		batch := make([]store.Received, size)
		for i := range batch {
			n++
			batch[i] = store.Received{MsgID: "u" + strconv.Itoa(n), Payload: []byte(telegramtest.Message(int64(n), int64(4_000_000+n), "/start"))}
		}
		if _, err := f.db.ReceiveMessages(ctx, "telegram", batch, offsetKey, strconv.Itoa(n+1)); err != nil {
			b.Fatal(err)
		}
		if !f.tg.runBatch(ctx, batch) {
			b.Fatal("a step failed")
		}
		if _, err := f.disp.RunOnce(ctx, ctx); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*size)/b.Elapsed().Seconds(), "steps/s")
	b.StopTimer()
	if got := len(fake.Sent()) - sent; got != b.N*size {
		b.Fatalf("%d messages sent for %d steps", got, b.N*size)
	}
}

func benchEcho(b *testing.B, fake *telegramtest.Server) {
	api, err := tgbot.New(testToken, tgbot.WithServerURL(fake.URL), tgbot.WithSkipGetMe(), tgbot.WithNotAsyncHandlers(),
		tgbot.WithDefaultHandler(func(ctx context.Context, api *tgbot.Bot, u *models.Update) {
			if _, err := api.SendMessage(ctx, &tgbot.SendMessageParams{ChatID: u.Message.Chat.ID, Text: u.Message.Text}); err != nil {
				b.Error(err)
			}
		}))
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	start := time.Now()
	for i := 0; b.Loop(); i++ {
		api.ProcessUpdate(ctx, &models.Update{ID: int64(i), Message: &models.Message{
			ID: i, Chat: models.Chat{ID: int64(1_000_000 + i), Type: models.ChatTypePrivate}, Text: "/start"}})
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "steps/s")
}

func benchStep(b *testing.B, fake *telegramtest.Server) {
	f := newTGFixture(b, fake, filepath.Join(b.TempDir(), "bench.db"), TelegramConfig{GlobalRate: 1e6})
	ctx := context.Background()
	sent := len(fake.Sent())
	start := time.Now()
	for i := 0; b.Loop(); i++ {
		msg := store.Received{MsgID: "u" + strconv.Itoa(i), Payload: []byte(telegramtest.Message(int64(i), int64(2_000_000+i), "/start"))}
		if _, err := f.db.ReceiveMessages(ctx, "telegram", []store.Received{msg}, offsetKey, strconv.Itoa(i+1)); err != nil {
			b.Fatal(err)
		}
		if err := f.tg.handleUpdate(ctx, msg); err != nil {
			b.Fatal(err)
		}
		if _, err := f.disp.RunOnce(ctx, ctx); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "steps/s")
	b.StopTimer()
	if n := len(fake.Sent()) - sent; n != b.N {
		b.Fatalf("%d messages sent for %d steps", n, b.N)
	}
}

// BenchmarkTelegramPolling runs both bots as they run in production, each against its own
// fake: the echo bot on go-telegram/bot's own polling loop (Start: getUpdates, a goroutine per
// update, sendMessage), Xuncha on its adapter's Run (getUpdates, commit, offset confirmed,
// steps) and the outbox dispatcher's Run (claim, send, mark sent). One op queues 500 updates
// from 500 chats to each bot in turn (which goes first alternates) and waits for its 500
// answers; each bot's time is summed on its own. Both rates so come from the same moments of
// the same run — the VM's neighbours move a figure by up to 30 % within minutes — and the
// benchmark reports their ratio itself.
//
//	go test -run '^$' -bench 'BenchmarkTelegramPolling' -benchtime 10x -count 5 ./bot/
//
// In "bare" the echo bot has the library's defaults, among them net/http's two idle
// connections per host; in "keepalive" it has Xuncha's HTTP client (a connection kept per
// concurrent send, bodies sent whole), so that the ratio can also be read against an echo bot
// tuned the same way.
func BenchmarkTelegramPolling(b *testing.B) {
	const perOp = 500
	b.Run("bare", func(b *testing.B) { benchPollingPair(b, perOp) })
	b.Run("keepalive", func(b *testing.B) {
		client := wholeBodyClient{&http.Client{Timeout: time.Minute, Transport: telegramTransport()}}
		benchPollingPair(b, perOp, tgbot.WithHTTPClient(time.Minute, client))
	})
}

func benchPollingPair(b *testing.B, perOp int, echoOpts ...tgbot.Option) {
	echo := &pollingBot{fake: telegramtest.New(testToken), next: 1, firstChat: 5_000_000}
	b.Cleanup(echo.fake.Close)
	opts := append([]tgbot.Option{tgbot.WithServerURL(echo.fake.URL), tgbot.WithSkipGetMe(),
		tgbot.WithDefaultHandler(func(ctx context.Context, api *tgbot.Bot, u *models.Update) {
			if _, err := api.SendMessage(ctx, &tgbot.SendMessageParams{ChatID: u.Message.Chat.ID, Text: u.Message.Text}); err != nil {
				b.Error(err)
			}
		})}, echoOpts...)
	api, err := tgbot.New(testToken, opts...)
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var done sync.WaitGroup
	done.Go(func() { api.Start(ctx) })
	b.Cleanup(func() { cancel(); done.Wait() })

	xuncha := &pollingBot{fake: telegramtest.New(testToken), next: 1, firstChat: 6_000_000}
	b.Cleanup(xuncha.fake.Close)
	f := newTGFixture(b, xuncha.fake, filepath.Join(b.TempDir(), "bench.db"), TelegramConfig{GlobalRate: 1e6})
	f.disp.Concurrency = 32
	f.start()

	for i := 0; b.Loop(); i++ {
		if i%2 == 0 {
			echo.op(b, perOp)
			xuncha.op(b, perOp)
		} else {
			xuncha.op(b, perOp)
			echo.op(b, perOp)
		}
	}
	echoRate := float64(b.N*perOp) / echo.took.Seconds()
	xunchaRate := float64(b.N*perOp) / xuncha.took.Seconds()
	b.ReportMetric(echoRate, "echo-steps/s")
	b.ReportMetric(xunchaRate, "xuncha-steps/s")
	b.ReportMetric(xunchaRate/echoRate, "ratio")
	b.StopTimer()
	time.Sleep(100 * time.Millisecond)
	for _, bot := range []*pollingBot{echo, xuncha} {
		if got, want := bot.fake.SentCount(), b.N*perOp; got != want {
			b.Fatalf("%d answers for %d updates", got, want)
		}
	}
}

// pollingBot is one side of BenchmarkTelegramPolling: its fake and the time its ops took.
type pollingBot struct {
	fake      *telegramtest.Server
	next      int64
	firstChat int64
	took      time.Duration
}

// op queues perOp updates from different chats and waits for their answers.
func (p *pollingBot) op(b *testing.B, perOp int) {
	start := time.Now()
	want := p.fake.SentCount() + perOp
	for range perOp {
		p.fake.AddUpdate(telegramtest.Message(p.next, p.firstChat+p.next, "/start"))
		p.next++
	}
	for p.fake.SentCount() < want {
		if time.Since(start) > time.Minute {
			b.Fatalf("%d of %d answers after a minute", p.fake.SentCount(), want)
		}
		time.Sleep(200 * time.Microsecond)
	}
	p.took += time.Since(start)
}
