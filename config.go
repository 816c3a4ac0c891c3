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
	"os"
	"strings"
	"time"
	_ "time/tzdata" // Asia/Shanghai must resolve on minimal machines without zoneinfo

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

	loc *time.Location
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

// newFlagSet returns a flag set whose usage names each flag's environment variable.
func newFlagSet(name, synopsis string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: xuncha %s\n\n", synopsis)
		fs.VisitAll(func(f *flag.Flag) {
			def := ""
			if f.DefValue != "" {
				def = fmt.Sprintf(" (default %q)", f.DefValue)
			}
			fmt.Fprintf(stderr, "  --%s  %s%s\n        env %s\n", f.Name, f.Usage, def, envName(f.Name))
		})
	}
	return fs
}

func (c *common) register(fs *flag.FlagSet) {
	fs.StringVar(&c.db, "db", "./xuncha.db", "SQLite database file")
	fs.StringVar(&c.keyFile, "key-file", "", "file holding the secret key when XUNCHA_SECRET_KEY is unset (default: the database path + .key)")
	fs.StringVar(&c.lang, "lang", handlers.LangZH, "default language of new chats: zh or en")
	fs.StringVar(&c.tz, "tz", "Asia/Shanghai", "time zone for dates and schedules")
	fs.StringVar(&c.logLevel, "log-level", "info", "debug, info, warn or error")
	fs.StringVar(&c.categories, "categories", "", "JSON file of report categories (default: the built-in list)")
	fs.StringVar(&c.ledger, "ledger", "", "JSON file of the ledger's dispositions, four forms and receiving units (default: the built-in list)")
}

// parseFlags is parse for a command: done reports that the command should return err now,
// either because parsing failed or because --help printed the usage (err is nil then).
func parseFlags(fs *flag.FlagSet, args []string, getenv func(string) string) (done bool, err error) {
	if err := parse(fs, args, getenv); err != nil {
		if helpRequested(err) {
			return true, nil
		}
		return true, err
	}
	return false, nil
}

// parse applies environment variables, then the command line, then validates. Errors name the
// variable or flag at fault.
func parse(fs *flag.FlagSet, args []string, getenv func(string) string) error {
	var errs []error
	fs.VisitAll(func(f *flag.Flag) {
		if v := getenv(envName(f.Name)); v != "" {
			if err := f.Value.Set(v); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", envName(f.Name), err))
			}
		}
	})
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	// Flags may come before or after the arguments ("places import FILE --db x.db"): the flag
	// package stops at the first argument, so parse again after each one.
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return err
		}
		if fs.NArg() == 0 {
			break
		}
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if err := fs.Parse(append([]string{"--"}, positional...)); err != nil {
		return err
	}
	return checkInput(fs)
}

func (c *common) validate() error {
	if c.db == "" {
		return errors.New("XUNCHA_DB (--db) must not be empty")
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
