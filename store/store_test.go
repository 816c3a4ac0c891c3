package store

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"xuncha/internal/sqltest"
)

// testKey is the fixed master secret of every test database.
var testKey = []byte("0123456789abcdef0123456789abcdef")

// t0 is the fixed "now" of tests that depend on time.
var t0 = time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)

// MustOpenDB opens a new database in a temporary directory and closes it when the test ends.
func MustOpenDB(tb testing.TB) *DB {
	tb.Helper()
	return mustOpenPath(tb, filepath.Join(tb.TempDir(), "xuncha.db"), testKey)
}

// mustOpenPath opens the database at path with key and closes it when the test ends.
// Close is idempotent, so a test may also close it itself.
func mustOpenPath(tb testing.TB, path string, key []byte) *DB {
	tb.Helper()
	db, err := Open(context.Background(), path, key)
	if err != nil {
		tb.Fatalf("open %s: %v", path, err)
	}
	tb.Cleanup(func() {
		if err := db.Close(); err != nil {
			tb.Errorf("close: %v", err)
		}
	})
	return db
}

// mustUpdate runs fn in a write transaction and fails the test on error.
func mustUpdate(tb testing.TB, db *DB, fn func(*Tx) error) {
	tb.Helper()
	if err := db.Update(context.Background(), fn); err != nil {
		tb.Fatalf("update: %v", err)
	}
}

// mustGet runs fn in a write transaction, fails the test on error, and returns fn's value.
func mustGet[T any](tb testing.TB, db *DB, fn func(*Tx) (T, error)) T {
	tb.Helper()
	var v T
	mustUpdate(tb, db, func(tx *Tx) (err error) {
		v, err = fn(tx)
		return err
	})
	return v
}

// stringCase is an input of a text function and the result it must give.
type stringCase struct{ in, want string }

// checkStrings requires f, named name, to give each case's result.
func checkStrings(t *testing.T, name string, f func(string) string, cases []stringCase) {
	t.Helper()
	for _, c := range cases {
		if got := f(c.in); got != c.want {
			t.Errorf("%s(%q) = %q, want %q", name, c.in, got, c.want)
		}
	}
}

// ids lists the id of each record, in order; never nil, so that an empty list equals []int64{}.
func ids[T any](list []T, id func(T) int64) []int64 {
	out := []int64{}
	for _, v := range list {
		out = append(out, id(v))
	}
	return out
}

// clock is a settable time source for DB.Now.
type clock struct{ now time.Time }

// setClock fixes db.Now at t and returns the clock so the test can move it.
func setClock(db *DB, t time.Time) *clock {
	c := &clock{now: t}
	db.Now = func() time.Time { return c.now }
	return c
}

func (c *clock) advance(d time.Duration) { c.now = c.now.Add(d) }

// mustChat ensures a chat and returns its id.
func mustChat(tb testing.TB, db *DB, platform, external string) int64 {
	tb.Helper()
	var id int64
	mustUpdate(tb, db, func(tx *Tx) error {
		c, err := tx.EnsureChat(platform, external, "zh", false)
		if err != nil {
			return err
		}
		id = c.ID
		return nil
	})
	return id
}

// mustCount runs a SELECT COUNT(*) style query and returns the number.
func mustCount(tb testing.TB, db *DB, query string, args ...any) int {
	tb.Helper()
	var n int
	if err := db.db.QueryRowContext(context.Background(), query, args...).Scan(&n); err != nil {
		tb.Fatalf("%s: %v", query, err)
	}
	return n
}

// assertFile checks that every present string is found in the database files (proving the
// check reads what was written) and no absent string is.
func assertFile(tb testing.TB, path string, present, absent []string) {
	tb.Helper()
	b := sqltest.FileBytes(tb, path)
	for _, s := range present {
		if !bytes.Contains(b, []byte(s)) {
			tb.Errorf("database files do not contain %q, but it is stored in clear", s)
		}
	}
	for _, s := range absent {
		if bytes.Contains(b, []byte(s)) {
			tb.Errorf("database files contain %q in clear", s)
		}
	}
}

// embeddedMigrations counts the migration files compiled into the binary.
func embeddedMigrations(tb testing.TB) int {
	tb.Helper()
	names, err := fs.Glob(migrations, "migration/*.sql")
	if err != nil || len(names) == 0 {
		tb.Fatalf("embedded migrations: %v (%d files)", err, len(names))
	}
	return len(names)
}

func TestOpen(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "new.db")
		db := mustOpenPath(t, path, testKey)
		if _, err := os.Stat(path); err != nil {
			t.Fatalf("database file not created: %v", err)
		}
		if err := db.Ping(t.Context()); err != nil {
			t.Fatalf("ping: %v", err)
		}
		want := embeddedMigrations(t)
		if n := mustCount(t, db, `SELECT COUNT(*) FROM migrations`); n != want {
			t.Fatalf("migrations rows = %d, want %d", n, want)
		}
		if n := mustCount(t, db, `SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name IN ('chats', 'reports', 'outbox', 'audit')`); n != 4 {
			t.Fatalf("core tables = %d, want 4", n)
		}
	})

	t.Run("Reopen", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "re.db")
		db := mustOpenPath(t, path, testKey)
		id := mustChat(t, db, "telegram", "42")
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
		for i := range 2 {
			db = mustOpenPath(t, path, testKey)
			want := embeddedMigrations(t)
			if n := mustCount(t, db, `SELECT COUNT(*) FROM migrations`); n != want {
				t.Fatalf("reopen %d: migrations rows = %d, want %d", i, n, want)
			}
			if n := mustCount(t, db, `SELECT COUNT(DISTINCT version) FROM migrations`); n != want {
				t.Fatalf("reopen %d: distinct versions = %d, want %d", i, n, want)
			}
			got, err := db.FindChat(t.Context(), "telegram", "42")
			if err != nil || got != id {
				t.Fatalf("reopen %d: FindChat = %d, %v; want %d", i, got, err, id)
			}
			if err := db.Close(); err != nil {
				t.Fatal(err)
			}
		}
	})

	// Two processes (the service and a CLI command) may open a new file at the same moment:
	// each must see the schema applied exactly once, and none may fail. The file is put in
	// WAL mode first: converting a brand-new file to WAL from two connections at once can
	// still fail with SQLITE_BUSY (see the report), which is not what this test is about.
	t.Run("Concurrent", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "race.db")
		raw, err := sql.Open("sqlite", path)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := raw.ExecContext(t.Context(), `PRAGMA journal_mode=WAL`); err != nil {
			t.Fatal(err)
		}
		if err := raw.Close(); err != nil {
			t.Fatal(err)
		}
		const n = 4
		dbs := make([]*DB, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				dbs[i], errs[i] = Open(context.Background(), path, testKey)
			}()
		}
		wg.Wait()
		for i, db := range dbs {
			if db != nil {
				t.Cleanup(func() { db.Close() })
			}
			if errs[i] != nil {
				t.Errorf("open %d: %v", i, errs[i])
			}
		}
		db := mustOpenPath(t, path, testKey)
		if got, want := mustCount(t, db, `SELECT COUNT(*) FROM migrations`), embeddedMigrations(t); got != want {
			t.Fatalf("migrations rows = %d, want %d", got, want)
		}
	})

	t.Run("ErrNewerSchema", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "future.db")
		db := mustOpenPath(t, path, testKey)
		if _, err := db.db.ExecContext(t.Context(), `INSERT INTO migrations (version, name, applied_at) VALUES (9999, '9999_future.sql', 0)`); err != nil {
			t.Fatal(err)
		}
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
		db2, err := Open(t.Context(), path, testKey)
		if err == nil {
			db2.Close()
			t.Fatal("Open accepted a database with a newer schema version")
		}
		if !strings.Contains(err.Error(), "9999") {
			t.Fatalf("error does not name the version: %v", err)
		}
	})

	t.Run("ErrKeySize", func(t *testing.T) {
		for _, n := range []int{0, 16, 31, 33, 64} {
			path := filepath.Join(t.TempDir(), fmt.Sprintf("key%d.db", n))
			db, err := Open(t.Context(), path, make([]byte, n))
			if err == nil {
				db.Close()
				t.Fatalf("Open accepted a %d-byte key", n)
			}
			if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("key of %d bytes: file created anyway (stat: %v)", n, err)
			}
		}
	})

	// The pragmas sit in the DSN so that every pooled connection gets them; holding four
	// connections at once forces four distinct ones (the pool's maximum, beside the lazy
	// connection Open keeps apart): every one of them commits with synchronous=FULL.
	t.Run("PragmasOnEveryConnection", func(t *testing.T) {
		db := MustOpenDB(t)
		ctx := t.Context()
		for i := range 4 {
			conn, err := db.db.Conn(ctx)
			if err != nil {
				t.Fatalf("conn %d: %v", i, err)
			}
			defer conn.Close()
			var mode string
			var fk, syncMode, busy int
			if err := conn.QueryRowContext(ctx, `PRAGMA journal_mode`).Scan(&mode); err != nil {
				t.Fatal(err)
			}
			if err := conn.QueryRowContext(ctx, `PRAGMA foreign_keys`).Scan(&fk); err != nil {
				t.Fatal(err)
			}
			if err := conn.QueryRowContext(ctx, `PRAGMA synchronous`).Scan(&syncMode); err != nil {
				t.Fatal(err)
			}
			if err := conn.QueryRowContext(ctx, `PRAGMA busy_timeout`).Scan(&busy); err != nil {
				t.Fatal(err)
			}
			if mode != "wal" || fk != 1 || syncMode != 2 || busy <= 0 {
				t.Errorf("conn %d: journal_mode=%s foreign_keys=%d synchronous=%d busy_timeout=%d; want wal 1 2 >0",
					i, mode, fk, syncMode, busy)
			}
		}
		if n := db.db.Stats().OpenConnections; n != 5 {
			t.Fatalf("open connections = %d, want 4 distinct ones and the lazy one", n)
		}
	})
}

func TestUpdate(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		db := MustOpenDB(t)
		setClock(db, t0)
		mustUpdate(t, db, func(tx *Tx) error {
			if !tx.Now().Equal(t0) {
				t.Errorf("tx.Now = %v, want %v", tx.Now(), t0)
			}
			return tx.Audit(0, "test", "ok", "", "")
		})
		if n := mustCount(t, db, `SELECT COUNT(*) FROM audit WHERE at = ?`, t0.Unix()); n != 1 {
			t.Fatalf("audit rows = %d, want 1", n)
		}
	})

	t.Run("Rollback", func(t *testing.T) {
		db := MustOpenDB(t)
		errStop := errors.New("stop")
		err := db.Update(t.Context(), func(tx *Tx) error {
			if _, err := tx.EnsureChat("telegram", "rolled-back", "zh", false); err != nil {
				return err
			}
			return errStop
		})
		if !errors.Is(err, errStop) {
			t.Fatalf("Update = %v, want errStop", err)
		}
		if _, err := db.FindChat(t.Context(), "telegram", "rolled-back"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("FindChat after rollback = %v, want ErrNotFound", err)
		}
	})
}

func TestBackup(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		db := MustOpenDB(t)
		chat := mustChat(t, db, "telegram", "backup-reporter")
		r := &Report{Category: "other", Description: "road money vanished", ReporterChat: chat}
		code := mustGet(t, db, func(tx *Tx) (string, error) { return tx.CreateReport(r, nil) })

		path := filepath.Join(t.TempDir(), "backup.db")
		if err := db.Backup(t.Context(), path); err != nil {
			t.Fatalf("backup: %v", err)
		}
		bak := mustOpenPath(t, path, testKey)
		mustUpdate(t, bak, func(tx *Tx) error {
			got, err := tx.FindReportByCode(code)
			if err != nil {
				return fmt.Errorf("find in backup: %w", err)
			}
			if got.ID != r.ID || got.Description != r.Description {
				t.Errorf("backup report = %+v, want id %d %q", got, r.ID, r.Description)
			}
			return nil
		})
		if got, err := bak.ReporterChat(t.Context(), r.ID); err != nil || got != chat {
			t.Fatalf("backup ReporterChat = %d, %v; want %d", got, err, chat)
		}
		if n := mustCount(t, bak, `SELECT COUNT(*) FROM migrations`); n != embeddedMigrations(t) {
			t.Fatalf("backup migrations = %d", n)
		}
	})

	t.Run("ErrExists", func(t *testing.T) {
		db := MustOpenDB(t)
		path := filepath.Join(t.TempDir(), "taken.db")
		if err := os.WriteFile(path, []byte("not a database"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := db.Backup(t.Context(), path); err == nil {
			t.Fatal("Backup overwrote an existing file")
		}
	})
}

// TestConcurrentUpdates runs read-then-write transactions from many goroutines. Without
// _txlock=immediate two deferred transactions that both read and then write fail with
// SQLITE_BUSY on the lock upgrade, which busy_timeout does not cover.
func TestConcurrentUpdates(t *testing.T) {
	db := MustOpenDB(t)
	const workers, each = 8, 25
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				err := db.Update(context.Background(), func(tx *Tx) error {
					c, err := tx.EnsureChat("telegram", fmt.Sprintf("w%d-%d", w, i), "zh", false)
					if err != nil {
						return err
					}
					if !c.Created {
						return fmt.Errorf("chat w%d-%d existed already", w, i)
					}
					_, err = tx.Enqueue(c.ID, OutMessage{Text: "hello"}, fmt.Sprintf("k%d-%d", w, i))
					return err
				})
				if err != nil {
					errs <- fmt.Errorf("worker %d, call %d: %w", w, i, err)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := mustCount(t, db, `SELECT COUNT(*) FROM chats`); n != workers*each {
		t.Errorf("chats = %d, want %d", n, workers*each)
	}
	if n := mustCount(t, db, `SELECT COUNT(*) FROM outbox`); n != workers*each {
		t.Errorf("outbox rows = %d, want %d", n, workers*each)
	}
}

// Lazy calls (MarkSent) commit without an fsync only when a batch holds nothing else: every
// other call, alone or batched with lazy ones, runs on a connection with synchronous=FULL,
// and what a lazy call wrote is there after the database is reopened.
func TestLazyCommitsStayApart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "xuncha.db")
	db := mustOpenPath(t, path, testKey)
	const workers, each = 8, 30
	var wg sync.WaitGroup
	var mu sync.Mutex
	modes := map[bool]map[int]int{true: {}, false: {}} // lazy → synchronous → calls
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				lazy := (w+i)%2 == 0
				fn := func(tx *Tx) error {
					var mode int
					if err := tx.queryRow(`PRAGMA synchronous`).Scan(&mode); err != nil {
						return err
					}
					mu.Lock()
					modes[lazy][mode]++
					mu.Unlock()
					return tx.SetChannelState(fmt.Sprintf("w%d-%d", w, i), "x")
				}
				var err error
				if lazy {
					err = db.updateLazy(t.Context(), fn)
				} else {
					err = db.Update(t.Context(), fn)
				}
				if err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	const normal, full = 1, 2
	if got := modes[false]; got[normal] != 0 || got[full] != workers*each/2 {
		t.Errorf("synchronous seen by full calls: %v, want all %d of them FULL (2)", got, workers*each/2)
	}
	// Whether a lazy call ever found a batch of its own depends on how the goroutines were
	// scheduled (under -race on a busy machine every batch can be mixed): counted, not required.
	if got := modes[true]; got[normal]+got[full] != workers*each/2 {
		t.Errorf("synchronous seen by lazy calls: %v, want %d in all", got, workers*each/2)
	}
	// A lazy call alone in its batch commits without waiting for the disk.
	var alone int
	if err := db.updateLazy(t.Context(), func(tx *Tx) error {
		if err := tx.queryRow(`PRAGMA synchronous`).Scan(&alone); err != nil {
			return err
		}
		return tx.SetChannelState("alone", "x")
	}); err != nil {
		t.Fatal(err)
	}
	if alone != normal {
		t.Errorf("a lazy call alone ran with synchronous=%d, want NORMAL (1)", alone)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db = mustOpenPath(t, path, testKey)
	if n := mustCount(t, db, `SELECT COUNT(*) FROM channel_state WHERE key LIKE 'w%'`); n != workers*each {
		t.Errorf("%d rows after reopening, want %d", n, workers*each)
	}
}

// Should the connection kept for lazy commits break, marks still commit, through the pool and
// with an fsync, instead of failing until a restart.
func TestLazyConnectionLost(t *testing.T) {
	db := MustOpenDB(t)
	chat := mustChat(t, db, "telegram", "tg-1")
	id := mustEnqueue(t, db, chat, "m", "")
	if err := db.lazy.Close(); err != nil {
		t.Fatal(err)
	}
	if err := db.MarkSent(t.Context(), id); err != nil {
		t.Fatalf("MarkSent with the lazy connection gone: %v", err)
	}
	if n := mustCount(t, db, `SELECT COUNT(*) FROM outbox WHERE id = ? AND status = 'sent'`, id); n != 1 {
		t.Errorf("row %d not marked sent", id)
	}
}
