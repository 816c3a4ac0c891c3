package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"
	"unicode/utf8"

	"xuncha/bot"
	"xuncha/desk"
	"xuncha/handlers"
	"xuncha/handlers/media"
	"xuncha/internal/textsafe"
	"xuncha/outbox"
)

// run is the whole program; main only calls it, so tests can too. The commands are the rows
// of commandTable (commands.go).
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	ctx, cancel := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer cancel()
	return dispatch(ctx, args[min(1, len(args)):], getenv, stdin, stdout, stderr)
}

type serveConfig struct {
	common
	addr string
	// office is the issuing office printed under the letters.
	office string

	tgToken, tgAPIURL, tgWebhookURL, tgWebhookSecret string
	tgRate                                           float64

	wx    wechatFlags
	sched scheduleFlags
	guess guessFlags
	http  httpFlags
	desk  deskFlags
}

func (c *serveConfig) validate() error {
	if err := c.common.validate(); err != nil {
		return err
	}
	if c.tgWebhookURL != "" {
		u, err := url.Parse(c.tgWebhookURL)
		if err != nil || u.Scheme != "https" || u.Host == "" {
			return errors.New("TELEGRAM_WEBHOOK_URL must be an https:// URL (Telegram sends webhooks only over HTTPS)")
		}
		if len(c.tgWebhookSecret) < 16 {
			return errors.New("TELEGRAM_WEBHOOK_SECRET must be set (16 to 256 characters of A-Z a-z 0-9 _ -) in webhook mode")
		}
	}
	if err := textsafe.CheckLine(c.office); err != nil || utf8.RuneCountInString(c.office) > 40 {
		return errors.New("XUNCHA_OFFICE_NAME (--office-name) must be one line of at most 40 characters, without control or direction characters")
	}
	if c.tgRate <= 0 || c.tgRate > 30 {
		return fmt.Errorf("TELEGRAM_RATE must be between 0 and 30 messages per second, got %v", c.tgRate)
	}
	return firstError(c.wx.validate, c.http.validate, c.guess.validate, c.sched.validate)
}

// serveCommand declares serve's flags.
func serveCommand(fs *flag.FlagSet) runFunc {
	var cfg serveConfig
	cfg.register(fs, useDB|useTZ|useLang|useCategories|useLedger)
	fs.StringVar(&cfg.addr, "addr", "127.0.0.1:8080", "address of the HTTP server (web chat, /healthz, webhooks)")
	fs.StringVar(&cfg.office, "office-name", "", "the issuing office printed under reminder and supervision letters (default: 县委巡察工作领导小组办公室)")
	fs.StringVar(&cfg.tgToken, "telegram-bot-token", "", "Telegram bot token; the Telegram channel is on when set (prefer the environment variable)")
	fs.StringVar(&cfg.tgAPIURL, "telegram-api-url", "https://api.telegram.org", "Telegram Bot API server")
	fs.StringVar(&cfg.tgWebhookURL, "telegram-webhook-url", "", "public https URL of the webhook (its path is served here); long polling when empty")
	fs.StringVar(&cfg.tgWebhookSecret, "telegram-webhook-secret", "", "secret token Telegram sends with each webhook call")
	fs.Float64Var(&cfg.tgRate, "telegram-rate", 25, "global Telegram send rate, messages per second")
	cfg.wx.register(fs)
	cfg.sched.register(fs)
	cfg.guess.register(fs)
	cfg.http.register(fs)
	cfg.desk.register(fs)
	return func(ctx context.Context, e *env) error { return serve(ctx, &cfg, e.getenv, e.stdout, e.stderr) }
}

func serve(ctx context.Context, cfg *serveConfig, getenv func(string) string, stdout, stderr io.Writer) error {
	if err := cfg.validate(); err != nil {
		return err
	}
	logger := cfg.logger(stderr)
	cats, err := handlers.LoadCategories(cfg.categories)
	if err != nil {
		return fmt.Errorf("XUNCHA_CATEGORIES: %w", err)
	}
	ledger, err := handlers.LoadLedger(cfg.ledger)
	if err != nil {
		return fmt.Errorf("XUNCHA_LEDGER: %w", err)
	}
	db, err := cfg.open(ctx, getenv, logger)
	if err != nil {
		return err
	}
	defer db.Close()
	if n, err := db.CanonicalizeUnits(ctx, ledger.UnitAliases()); err != nil {
		return err
	} else if n > 0 {
		logger.Info("unit members' units written by their ledger name", "rows", n)
	}
	// The ledger counts transfer deadlines in the same PRC working days as the scheduler's ladder.
	cal, err := loadCalendar(ctx, logger, db, cfg.loc)
	if err != nil {
		return err
	}

	// Metrics live on serve's own registry; each component gets it through the interface its
	// package declares.
	met := newMetrics(db)
	engine := handlers.New(logger, db, handlers.Config{
		DefaultLang: cfg.lang, Categories: cats, Location: cfg.loc, Scrub: media.Scrub, Ledger: ledger, Calendar: cal,
		Metrics: met, Guess: cfg.guess.budget(), Office: cfg.office,
	})
	// One bound for the files held in memory, whichever channel they came through.
	uploads := cfg.http.uploads()
	web := bot.NewWeb(logger, engine, db, cfg.lang)
	web.Metrics = met
	web.Uploads, web.ReadTimeout, web.WriteTimeout = uploads, cfg.http.readTimeout, cfg.http.writeTimeout

	// /healthz fails when the database does not answer or a configured channel cannot reach its
	// platform; each channel adds its check below, before the server starts.
	checks := []healthCheck{{"database", func(ctx context.Context) error {
		if err := db.Ping(ctx); err != nil {
			logger.Error("database ping failed", "error", err)
			return errors.New("unavailable") // the error may name paths; the log has it
		}
		return nil
	}}}
	mux := http.NewServeMux()
	mux.Handle("GET /healthz", healthHandler(logger, &checks))
	mux.Handle("GET /metrics", met.Handler(logger))
	mux.Handle("/", web.Handler())
	if err := mountDesk(logger, mux, db, engine, desk.Config{Ledger: ledger, Categories: cats, Location: cfg.loc, Calendar: cal, DefaultLang: cfg.lang}); err != nil {
		return err
	}

	// Channels and their delivery workers; each stops when ctx is done, finishing what is in flight.
	// wakes tell them that the scheduler queued messages, so that those go out at once.
	wakes := []func(){web.WakeAll}
	var workers sync.WaitGroup
	defer workers.Wait()
	if cfg.tgToken != "" {
		tg, err := bot.NewTelegram(ctx, logger, bot.TelegramConfig{
			Token: cfg.tgToken, APIURL: cfg.tgAPIURL, WebhookURL: cfg.tgWebhookURL,
			WebhookSecret: cfg.tgWebhookSecret, GlobalRate: cfg.tgRate, Metrics: met, Uploads: uploads,
		}, engine, db)
		if err != nil {
			return err
		}
		if cfg.tgWebhookURL != "" {
			u, _ := url.Parse(cfg.tgWebhookURL)
			path := u.Path
			if path == "" || path == "/" {
				path = "/telegram"
			}
			mux.Handle("POST "+path, tg.WebhookHandler())
		}
		d := outbox.NewDispatcher(logger, db, handlers.PlatformTelegram, tg)
		d.Concurrency = int(cfg.tgRate) + 1
		d.Metrics = met
		checks = append(checks, healthCheck{"telegram", func(context.Context) error { return tg.Healthy() }})
		met.channelHealth(handlers.PlatformTelegram, tg.Healthy)
		engine.OnQueued(func(int64) { d.Wake() })
		wakes = append(wakes, d.Wake)
		workers.Go(func() { tg.Run(ctx) })
		workers.Go(func() { d.Run(ctx) })
		logger.Info("telegram channel on", "bot", tg.Username(), "webhook", cfg.tgWebhookURL != "")
	}
	if cfg.wx.on() {
		wxCfg := cfg.wx.channel(cfg.lang, cfg.loc)
		wxCfg.Uploads = uploads
		wx, err := bot.NewWeChat(logger, wxCfg, engine, db)
		if err != nil {
			return err
		}
		mux.Handle("/wechat", wx)
		wx.Metrics = met
		d := outbox.NewDispatcher(logger, db, handlers.PlatformWeChat, wx)
		d.Concurrency = 8
		d.Metrics = met
		checks = append(checks, healthCheck{"wechat", func(context.Context) error { return wx.Healthy() }})
		met.channelHealth(handlers.PlatformWeChat, wx.Healthy)
		engine.OnQueued(func(int64) { d.Wake() })
		wx.OnQueued(func(int64) { d.Wake() })
		wakes = append(wakes, d.Wake)
		workers.Go(func() { wx.Run(ctx) })
		workers.Go(func() { d.Run(ctx) })
		logger.Info("wechat channel on", "safe_mode", cfg.wx.aesKey != "", "template", cfg.wx.template != "")
	}

	// Scheduled jobs; stopped (running jobs finished) after intake stops and before the
	// database closes: defers run in reverse order.
	sch, err := cfg.sched.start(ctx, logger, db, cal, cfg.loc, ledger, met, engine, func() {
		for _, wake := range wakes {
			wake()
		}
	})
	if err != nil {
		return err
	}
	if sch != nil {
		defer func() { <-sch.Stop().Done() }()
	}

	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return fmt.Errorf("XUNCHA_ADDR %s: %w", cfg.addr, err)
	}
	// Requests get their own context: a step in flight when the signal comes is finished and
	// committed rather than cancelled half-way.
	srv := cfg.http.server(mux)
	srv.BaseContext = func(net.Listener) context.Context { return context.WithoutCancel(ctx) }
	var wg sync.WaitGroup
	serveErr := make(chan error, 1)
	wg.Go(func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			serveErr <- err
		}
	})
	logger.Info("serving", "addr", ln.Addr().String(), "db", cfg.db)
	fmt.Fprintf(stdout, "xuncha: web chat at http://%s/\n", ln.Addr())
	cfg.desk.start(engine, ln, stdout)

	select {
	case <-ctx.Done():
	case err := <-serveErr:
		return fmt.Errorf("http server: %w", err)
	}
	logger.Info("shutting down")
	// Stop intake first; Shutdown waits for in-flight requests (steps) to finish. Long polls
	// of the web chat are cut after the grace period: they hold no state.
	shutCtx, cancelShut := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancelShut()
	if err := srv.Shutdown(shutCtx); err != nil {
		srv.Close()
	}
	wg.Wait()
	logger.Info("stopped")
	return nil
}

// backup is `xuncha backup FILE`.
func backup(ctx context.Context, e *env, c *common, out string) error {
	if _, err := os.Stat(out); err == nil {
		return fmt.Errorf("backup: %s already exists", out)
	}
	db, err := c.openDB(ctx, e)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.Backup(ctx, out); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	fmt.Fprintf(e.stdout, "backup written to %s (keep the secret key with it: sealed data needs it)\n", out)
	return nil
}
