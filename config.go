package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"
	_ "time/tzdata" // Asia/Shanghai must resolve on minimal machines without zoneinfo

	"xuncha/bot"
	"xuncha/handlers"
	"xuncha/store"
)

// common holds the settings every subcommand shares.
type common struct {
	db         string
	keyFile    string
	lang       string
	tz         string
	logLevel   string
	categories string
	ledger     string

	uses uses
	loc  *time.Location
}

// envName maps a flag name to its environment variable: "key-file" → "XUNCHA_KEY_FILE". The
// platform settings keep the platforms' own prefixes: "telegram-bot-token" → "TELEGRAM_BOT_TOKEN".
func envName(flagName string) string {
	v := strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
	if strings.HasPrefix(v, "TELEGRAM_") || strings.HasPrefix(v, "WECHAT_") {
		return v
	}
	return "XUNCHA_" + v
}

// uses says which of the shared settings a command reads. Each command registers only those,
// so that its --help lists no flag it ignores; every command has --log-level.
type uses int

const (
	useDB         uses = 1 << iota // --db and --key-file: the command opens the store
	useTZ                          // --tz: it reads or prints local dates and times
	useLang                        // --lang: it writes text for people
	useCategories                  // --categories: it reads report categories
	useLedger                      // --ledger: it reads the ledger's dispositions and units
)

// defaultTZ is the time zone of a command without --tz (it shows no local time).
const defaultTZ = "Asia/Shanghai"

// register declares the shared settings the command uses.
func (c *common) register(fs *flag.FlagSet, u uses) {
	c.uses = u
	if u&useDB != 0 {
		fs.StringVar(&c.db, "db", "./xuncha.db", "SQLite database file")
		fs.StringVar(&c.keyFile, "key-file", "", "file holding the secret key when XUNCHA_SECRET_KEY is unset (default: the database path + .key)")
	}
	if u&useLang != 0 {
		fs.StringVar(&c.lang, "lang", handlers.LangZH, "default language of new chats: zh or en")
	}
	if u&useTZ != 0 {
		fs.StringVar(&c.tz, "tz", defaultTZ, "time zone for dates and schedules")
	}
	fs.StringVar(&c.logLevel, "log-level", "info", "debug, info, warn or error")
	if u&useCategories != 0 {
		fs.StringVar(&c.categories, "categories", "", "JSON file of report categories (default: the built-in list)")
	}
	if u&useLedger != 0 {
		fs.StringVar(&c.ledger, "ledger", "", "JSON file of the ledger's dispositions, four forms and receiving units (default: the built-in list)")
	}
}

// applyEnv sets each flag of fs from its environment variable, when that is set. Errors name
// the variable.
func applyEnv(fs *flag.FlagSet, getenv func(string) string) error {
	var errs []error
	fs.VisitAll(func(f *flag.Flag) {
		if v := getenv(envName(f.Name)); v != "" {
			if err := f.Value.Set(v); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", envName(f.Name), err))
			}
		}
	})
	return errors.Join(errs...)
}

// parseArgs parses the command line and returns the positional arguments. Flags may come
// before or after them ("places import FILE --db x.db"): the flag package stops at the first
// argument, so parse again after each one.
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			break
		}
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if err := checkInput(fs, positional); err != nil {
		return nil, err
	}
	return positional, nil
}

// validate checks the shared settings, then the command's own groups of flags (more), in
// order; it returns the first error.
func (c *common) validate(more ...func() error) error {
	if c.uses&useDB != 0 && c.db == "" {
		return errors.New("XUNCHA_DB (--db) must not be empty")
	}
	if c.tz == "" {
		c.tz = defaultTZ
	}
	if c.lang == "" {
		c.lang = handlers.LangZH
	}
	if c.lang != handlers.LangZH && c.lang != handlers.LangEN {
		return fmt.Errorf("XUNCHA_LANG (--lang) must be zh or en, got %q", c.lang)
	}
	loc, err := time.LoadLocation(c.tz)
	if err != nil {
		return fmt.Errorf("XUNCHA_TZ (--tz): unknown time zone %q", c.tz)
	}
	c.loc = loc
	if _, err := c.level(); err != nil {
		return err
	}
	if c.keyFile == "" {
		c.keyFile = c.db + ".key"
	}
	return firstError(more...)
}

// firstError runs the checks in order and returns the first error.
func firstError(checks ...func() error) error {
	for _, check := range checks {
		if err := check(); err != nil {
			return err
		}
	}
	return nil
}

func (c *common) level() (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(c.logLevel)); err != nil {
		return 0, fmt.Errorf("XUNCHA_LOG_LEVEL (--log-level): %q is not debug, info, warn or error", c.logLevel)
	}
	return l, nil
}

func (c *common) logger(stderr io.Writer) *slog.Logger {
	l, _ := c.level()
	return slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: l}))
}

// secret returns the master key: XUNCHA_SECRET_KEY (64 hex digits or base64 of 32 bytes), or
// the key file, created with mode 0600 on first use.
func (c *common) secret(getenv func(string) string, logger *slog.Logger) ([]byte, error) {
	if v := strings.TrimSpace(getenv("XUNCHA_SECRET_KEY")); v != "" {
		k, err := decodeKey(v)
		if err != nil {
			return nil, fmt.Errorf("XUNCHA_SECRET_KEY: %w", err)
		}
		return k, nil
	}
	b, err := os.ReadFile(c.keyFile)
	if err == nil {
		k, err := decodeKey(strings.TrimSpace(string(b)))
		if err != nil {
			return nil, fmt.Errorf("key file %s (XUNCHA_KEY_FILE): %w", c.keyFile, err)
		}
		return k, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("key file %s (XUNCHA_KEY_FILE): %w", c.keyFile, err)
	}
	k := make([]byte, store.KeySize)
	if _, err := rand.Read(k); err != nil {
		return nil, fmt.Errorf("generate key: %w", err)
	}
	// O_EXCL: if another process created the file meanwhile, use theirs rather than overwrite.
	f, err := os.OpenFile(c.keyFile, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return c.secret(getenv, logger)
	}
	if err != nil {
		return nil, fmt.Errorf("create key file %s (XUNCHA_KEY_FILE): %w", c.keyFile, err)
	}
	if _, err := f.WriteString(hex.EncodeToString(k) + "\n"); err != nil {
		f.Close()
		return nil, fmt.Errorf("write key file: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return nil, fmt.Errorf("write key file: %w", err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("write key file: %w", err)
	}
	logger.Warn("created a new secret key file; back it up with the database, or set XUNCHA_SECRET_KEY: without it sealed data cannot be read",
		"key_file", c.keyFile)
	return k, nil
}

func decodeKey(v string) ([]byte, error) {
	if k, err := hex.DecodeString(v); err == nil && len(k) == store.KeySize {
		return k, nil
	}
	if k, err := base64.StdEncoding.DecodeString(v); err == nil && len(k) == store.KeySize {
		return k, nil
	}
	return nil, fmt.Errorf("must be %d bytes as 64 hex digits or base64", store.KeySize)
}

// open opens the store with the configured key.
func (c *common) open(ctx context.Context, getenv func(string) string, logger *slog.Logger) (*store.DB, error) {
	key, err := c.secret(getenv, logger)
	if err != nil {
		return nil, err
	}
	db, err := store.Open(ctx, c.db, key)
	if err != nil {
		return nil, fmt.Errorf("XUNCHA_DB %s: %w", c.db, err)
	}
	return db, nil
}

// openDB validates the shared settings and then the command's own (more), and opens the store,
// logging to the command's stderr; the caller closes it. A command that must refuse bad
// settings before it reads its input validates first as well: validating again changes nothing.
func (c *common) openDB(ctx context.Context, e *env, more ...func() error) (*store.DB, error) {
	if err := c.validate(more...); err != nil {
		return nil, err
	}
	return c.open(ctx, e.getenv, c.logger(e.stderr))
}

// auditCLI records in the audit log what a command read or changed, with channel cli, in a
// transaction of its own.
func auditCLI(ctx context.Context, db *store.DB, action, object, detail string) error {
	return db.Update(ctx, func(tx *store.Tx) error {
		return tx.Audit(0, "cli", action, object, detail)
	})
}

// guessFlags configure the global budget of wrong query and invitation codes (handlers/abuse.go
// has the arithmetic behind the default and the ceiling).
type guessFlags struct {
	perMinute float64
	burst     int
}

func (g *guessFlags) register(fs *flag.FlagSet) {
	fs.Float64Var(&g.perMinute, "guess-rate", handlers.DefaultGuessPerMinute,
		"wrong query or invitation codes a minute, from all chats together, before guesses are no longer checked (each kind has its own budget)")
	fs.IntVar(&g.burst, "guess-burst", handlers.DefaultGuessBurst, "wrong codes allowed at once on top of the rate, after a quiet spell")
}

func (g *guessFlags) validate() error {
	if g.perMinute < 1 || g.perMinute > handlers.MaxGuessPerMinute {
		return fmt.Errorf("XUNCHA_GUESS_RATE must be between 1 and %d wrong codes a minute (above that, an attacker expects to hit one of 100,000 live query codes within a century), got %v",
			handlers.MaxGuessPerMinute, g.perMinute)
	}
	if g.burst < 1 || g.burst > 1000 {
		return fmt.Errorf("XUNCHA_GUESS_BURST must be between 1 and 1000, got %d", g.burst)
	}
	return nil
}

func (g *guessFlags) budget() handlers.GuessBudget {
	return handlers.GuessBudget{PerMinute: g.perMinute, Burst: g.burst}
}

// httpFlags bound what a stranger can hold of the HTTP server: time per request, header
// size, and the files held in memory at once (web uploads, Telegram and WeChat downloads).
type httpFlags struct {
	readTimeout, writeTimeout time.Duration
	uploadConcurrency         int
	uploadMB                  int
}

func (h *httpFlags) register(fs *flag.FlagSet) {
	fs.DurationVar(&h.readTimeout, "read-timeout", 30*time.Second,
		"time a request's headers and body may take to arrive; an upload has this long to start and must then keep coming at 64 KB/s")
	fs.DurationVar(&h.writeTimeout, "write-timeout", 60*time.Second,
		"time an answer may take; the web chat's long poll and file downloads get the time they need on top")
	fs.IntVar(&h.uploadConcurrency, "upload-concurrency", 4,
		"files held in memory at once, from every channel together; more wait (a web upload for XUNCHA_READ_TIMEOUT, then it is refused politely)")
	fs.IntVar(&h.uploadMB, "upload-mb", 64, "megabytes of files held in memory at once, from every channel together (at least 20: one file of the largest size)")
}

func (h *httpFlags) validate() error {
	if h.readTimeout < time.Second || h.readTimeout > 10*time.Minute {
		return fmt.Errorf("XUNCHA_READ_TIMEOUT must be between 1s and 10m, got %v", h.readTimeout)
	}
	if h.writeTimeout < time.Second || h.writeTimeout > 10*time.Minute {
		return fmt.Errorf("XUNCHA_WRITE_TIMEOUT must be between 1s and 10m, got %v", h.writeTimeout)
	}
	if h.uploadConcurrency < 1 || h.uploadConcurrency > 64 {
		return fmt.Errorf("XUNCHA_UPLOAD_CONCURRENCY must be between 1 and 64, got %d", h.uploadConcurrency)
	}
	if minMB := handlers.MaxFileBytes >> 20; h.uploadMB < minMB || h.uploadMB > 4096 {
		return fmt.Errorf("XUNCHA_UPLOAD_MB must be between %d (one file of the largest size) and 4096, got %d", minMB, h.uploadMB)
	}
	return nil
}

// uploads is the bound shared by the channels.
func (h *httpFlags) uploads() *bot.Uploads {
	return bot.NewUploads(h.uploadConcurrency, int64(h.uploadMB)<<20)
}

// server returns the HTTP server with its timeouts and header limit.
func (h *httpFlags) server(handler http.Handler) *http.Server {
	return &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: min(10*time.Second, h.readTimeout),
		ReadTimeout:       h.readTimeout,
		WriteTimeout:      h.writeTimeout,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    maxHeaderBytes,
	}
}

// maxHeaderBytes is far above what a browser, WeChat or Telegram sends (a cookie and a few
// headers) and far below net/http's default of 1 MB a connection may hold.
const maxHeaderBytes = 16 << 10
