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

	"xuncha/bot"
	"xuncha/desk"
	"xuncha/handlers"
	"xuncha/handlers/media"
	"xuncha/outbox"
	"xuncha/store"
)

const usage = `xuncha — grassroots reporting and inspection supervision bot

usage: xuncha <command> [flags]

commands:
  serve          run the bot: every configured channel, the web chat and the desk
  desk link      print a one-time sign-in link to the officials' desk for a person
  invite         issue (or revoke) a one-time invitation code that grants a role
  places import  import townships and villages from a CSV file
  task add       give a task to the information officers of a village or township
  backup         write a consistent copy of the database while the bot runs
  purge          apply the retention periods now (--dry-run: only show what would go)
  wechat menu    install the WeChat Official Account custom menu (举报 / 查询 / 我的)
  clue add       register a clue the inspection itself found in the clue ledger
  round add      record an inspection round's window, for the ledger's statistics
  round create   create a round: groups, organisations, places (mode from the village class), announcement
  classify       village classification, five steps (start, record, advance, show)
  briefing       pre-inspection briefings (巡前通报): request, show
  meeting        meetings of a round: add, handover, list
  rectify        rectification tasks and suggestions (整改): add, suggest, list
  talent         the talent pool (巡察人才库): add, list, assign
  stats          print the clue ledger's statistics for a period or round
  audit          print the audit log (who read or changed what, from which channel)
  export ledger  write the clue ledger to an .xlsx or .csv file
  announce       add or list inspection announcements (巡察公告) pushed to subscribers
  calendar import  import a year of holidays and make-up working days (date,kind CSV)

Every flag can also be set with an XUNCHA_* environment variable; run
"xuncha <command> --help" for the flags of a command.
`

// run is the whole program; main only calls it, so tests can too.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	ctx, cancel := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer cancel()
	if len(args) < 2 {
		fmt.Fprint(stderr, usage)
		return errors.New("no command given")
	}
	cmd, rest := args[1], args[2:]
	switch cmd {
	case "serve":
		return serve(ctx, rest, getenv, stdout, stderr)
	case "desk":
		return deskCommand(ctx, rest, getenv, stdout, stderr)
	case "invite":
		return invite(ctx, rest, getenv, stdout, stderr)
	case "places":
		if len(rest) == 0 || rest[0] != "import" {
			fmt.Fprint(stderr, "usage: xuncha places import FILE.csv\n")
			return errors.New("places: expected \"import\"")
		}
		return importPlaces(ctx, rest[1:], getenv, stdout, stderr)
	case "task":
		if len(rest) == 0 || rest[0] != "add" {
			fmt.Fprint(stderr, "usage: xuncha task add --township T [--village V] --title TITLE\n")
			return errors.New("task: expected \"add\"")
		}
		return addTask(ctx, rest[1:], getenv, stdout, stderr)
	case "backup":
		return backup(ctx, rest, getenv, stdout, stderr)
	case "purge":
		return purgeCommand(ctx, rest, getenv, stdout, stderr)
	case "wechat":
		return wechatCommand(ctx, rest, getenv, stdout, stderr)
	case "classify", "briefing", "meeting", "rectify", "talent":
		return roundsCLI(ctx, cmd, rest, getenv, stdout, stderr)
	case "clue", "round", "export":
		if cmd == "round" && len(rest) > 0 && rest[0] != "add" { // create, member, show: rounds_cli.go
			return roundsCLI(ctx, cmd, rest, getenv, stdout, stderr)
		}
		want := map[string]string{"clue": "add", "round": "add", "export": "ledger"}[cmd]
		if len(rest) == 0 || rest[0] != want {
			fmt.Fprintf(stderr, "usage: xuncha %s %s [flags]\n", cmd, want)
			return fmt.Errorf("%s: expected %q", cmd, want)
		}
		return map[string]func(context.Context, []string, func(string) string, io.Writer, io.Writer) error{
			"clue": clueAdd, "round": roundAdd, "export": exportLedger}[cmd](ctx, rest[1:], getenv, stdout, stderr)
	case "stats":
		return statsCmd(ctx, rest, getenv, stdout, stderr)
	case "audit":
		return auditCmd(ctx, rest, getenv, stdout, stderr)
	case "announce", "calendar":
		return scheduleCommand(ctx, cmd, rest, getenv, stdout, stderr)
	case "help", "-h", "--help", "-help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", cmd)
}

// errHelp is returned by a command's flag parsing for --help; it is not a failure.
func helpRequested(err error) bool { return errors.Is(err, flag.ErrHelp) }

type serveConfig struct {
	common
	addr string

	tgToken, tgAPIURL, tgWebhookURL, tgWebhookSecret string
	tgRate                                           float64

	wx    wechatFlags
	sched scheduleFlags
	guess guessFlags
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
	if c.tgRate <= 0 || c.tgRate > 30 {
		return fmt.Errorf("TELEGRAM_RATE must be between 0 and 30 messages per second, got %v", c.tgRate)
	}
	if err := c.wx.validate(); err != nil {
		return err
	}
	return c.guess.validate()
}

func serve(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var cfg serveConfig
	fs := newFlagSet("serve", "serve [flags]", stderr)
	cfg.register(fs)
	fs.StringVar(&cfg.addr, "addr", "127.0.0.1:8080", "address of the HTTP server (web chat, /healthz, webhooks)")
	fs.StringVar(&cfg.tgToken, "telegram-bot-token", "", "Telegram bot token; the Telegram channel is on when set (prefer the environment variable)")
	fs.StringVar(&cfg.tgAPIURL, "telegram-api-url", "https://api.telegram.org", "Telegram Bot API server")
	fs.StringVar(&cfg.tgWebhookURL, "telegram-webhook-url", "", "public https URL of the webhook (its path is served here); long polling when empty")
	fs.StringVar(&cfg.tgWebhookSecret, "telegram-webhook-secret", "", "secret token Telegram sends with each webhook call")
	fs.Float64Var(&cfg.tgRate, "telegram-rate", 25, "global Telegram send rate, messages per second")
	cfg.wx.register(fs)
	cfg.sched.register(fs)
	cfg.guess.register(fs)
	cfg.desk.register(fs)
	if done, err := parseFlags(fs, args, getenv); done {
		return err // nil after --help
	}
	if err := cfg.validate(); err != nil {
		return err
	}
	if err := cfg.sched.validate(); err != nil {
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
		Metrics: met, Guess: cfg.guess.budget(),
	})
	web := bot.NewWeb(logger, engine, db, cfg.lang)
	web.Metrics = met

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
			WebhookSecret: cfg.tgWebhookSecret, GlobalRate: cfg.tgRate, Metrics: met,
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
		wx, err := bot.NewWeChat(logger, cfg.wx.channel(cfg.lang, cfg.loc), engine, db)
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
	sch, err := cfg.sched.start(ctx, logger, db, cal, cfg.loc, met, func() {
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
	srv := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
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

func invite(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var (
		c                             common
		role, township, village, unit string
		note, revoke                  string
		expires                       time.Duration
		qr                            bool
		wx                            wechatFlags
	)
	fs := newFlagSet("invite", "invite --role officer|liaison|official|unit|admin [--township T] [--village V] [--unit U] [--expires 72h]\n       xuncha invite --revoke CODE", stderr)
	c.register(fs)
	fs.StringVar(&role, "role", "", "role the invitation grants: officer, liaison, official, unit or admin")
	fs.StringVar(&township, "township", "", "township (乡镇) of the jurisdiction, by name")
	fs.StringVar(&village, "village", "", "village (村) of the jurisdiction, by name; needs --township")
	fs.StringVar(&unit, "unit", "", "receiving unit name, for role unit")
	fs.StringVar(&note, "note", "", "who the invitation is for (kept for the audit log)")
	fs.DurationVar(&expires, "expires", 72*time.Hour, "how long the code stays valid")
	fs.StringVar(&revoke, "revoke", "", "revoke this unused code instead of issuing one")
	fs.BoolVar(&qr, "qr", false, "also print a WeChat QR code that binds the invitation when scanned (needs WECHAT_APP_ID and WECHAT_APP_SECRET)")
	wx.registerAPI(fs)
	if done, err := parseFlags(fs, args, getenv); done {
		return err // nil after --help
	}
	if err := c.validate(); err != nil {
		return err
	}
	if qr {
		if err := wx.validateAPI(); err != nil {
			return fmt.Errorf("invite --qr: %w", err)
		}
	}
	logger := c.logger(stderr)
	db, err := c.open(ctx, getenv, logger)
	if err != nil {
		return err
	}
	defer db.Close()
	if revoke != "" {
		if err := db.RevokeInvitation(ctx, revoke); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return errors.New("invite --revoke: no such code, or already revoked")
			}
			return err
		}
		fmt.Fprintln(stdout, "revoked")
		return nil
	}
	inv := &store.Invitation{Role: store.Role(role), Unit: unit, Note: note}
	switch {
	case !store.ValidRole(inv.Role):
		return fmt.Errorf("XUNCHA_ROLE (--role) must be one of officer, liaison, official, unit, admin; got %q", role)
	case expires <= 0:
		return errors.New("XUNCHA_EXPIRES (--expires) must be positive")
	case village != "" && township == "":
		return errors.New("--village needs --township")
	case (inv.Role == store.RoleOfficer || inv.Role == store.RoleLiaison) && township == "":
		return fmt.Errorf("--township is required for role %s", role)
	case inv.Role == store.RoleUnit && unit == "":
		return errors.New("--unit is required for role unit")
	}
	if township != "" {
		inv.TownshipID, inv.VillageID, err = db.FindPlaceByName(ctx, township, village)
		if err != nil {
			return fmt.Errorf("invite: %w (import places first: xuncha places import FILE.csv)", err)
		}
	}
	inv.ExpiresAt = time.Now().Add(expires)
	code, err := db.CreateInvitation(ctx, inv)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "invitation code: %s\nrole: %s\nexpires: %s\nsend in any chat with the bot: /bind %s\n",
		code, role, inv.ExpiresAt.In(c.loc).Format("2006-01-02 15:04 MST"), code)
	// The Telegram username is recorded by serve; a deep link binds with one tap.
	if name, err := db.ChannelState(ctx, "telegram.username"); err == nil && name != "" {
		fmt.Fprintf(stdout, "Telegram link: https://t.me/%s?start=%s\n", name, code)
	}
	if qr {
		return wx.inviteQR(ctx, logger, stdout, code, expires)
	}
	return nil
}

func backup(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var c common
	fs := newFlagSet("backup", "backup [flags] FILE", stderr)
	c.register(fs)
	if done, err := parseFlags(fs, args, getenv); done {
		return err // nil after --help
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return errors.New("backup: expected one FILE")
	}
	if err := c.validate(); err != nil {
		return err
	}
	out := fs.Arg(0)
	if _, err := os.Stat(out); err == nil {
		return fmt.Errorf("backup: %s already exists", out)
	}
	logger := c.logger(stderr)
	db, err := c.open(ctx, getenv, logger)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.Backup(ctx, out); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	fmt.Fprintf(stdout, "backup written to %s (keep the secret key with it: sealed data needs it)\n", out)
	return nil
}
