// Package store keeps everything Xuncha knows in one SQLite file: people and their chats,
// invitations, places, reports, conversation state, the inbox of processed platform messages,
// the outbox, tasks, check-ins, subscriptions and the audit log.
//
// Identifying values (a chat's platform id, the link from a report to its reporter, a real-name
// reporter's contact) are sealed with AES-GCM before they reach the file; lookups use keyed
// hashes. The package imports no other package of this project and never logs.
package store

import (
	"context"
	"database/sql"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// ErrNotFound is returned when a looked-up row does not exist.
var ErrNotFound = errors.New("not found")

//go:embed migration/*.sql
var migrations embed.FS

// DB is the SQLite store.
type DB struct {
	db   *sql.DB
	path string
	keys *keys

	// Now returns the current time; tests replace it.
	Now func() time.Time

	commit     committer
	checkpoint checkpointer
	stmts      stmtCache
	// lazy is a connection kept apart, with synchronous=NORMAL, for batches of updateLazy
	// calls only; it never returns to the pool, so no other commit runs without an fsync.
	lazy *sql.Conn
	// noncesPruned is the minute (unix seconds / 60) expired WeChat nonces were last deleted in.
	noncesPruned atomic.Int64
}

// Open opens (creating if needed) the database at path, applies pending migrations and refuses
// a database written by a newer version. secret is the 32-byte master key for sealing.
func Open(ctx context.Context, path string, secret []byte) (*DB, error) {
	k, err := newKeys(secret)
	if err != nil {
		return nil, err
	}
	// Pragmas go in the DSN so that every pooled connection gets them. synchronous=FULL: a
	// report acknowledged to a resident must survive a power cut, not only a process crash.
	// _txlock=immediate takes the write lock at BEGIN, so read-then-write transactions never
	// fail with SQLITE_BUSY halfway (busy_timeout does not cover the lock upgrade).
	q := url.Values{}
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(FULL)")
	// secure_delete: deleted rows are overwritten with zeros in the file, so a draft, a contact
	// or a link that retention removes (store/retention.go) does not linger in free space.
	// Measured at no cost above noise: 1,000 steps of report+draft+blob writes took 0.61–0.80
	// ms each with it, 0.63–1.00 ms without (synchronous=FULL dominates).
	q.Add("_pragma", "secure_delete(1)")
	// temp_store=MEMORY keeps statement and savepoint journals in memory. A group commit runs
	// each call in a SAVEPOINT, and every page a call changes that an earlier call of the batch
	// had changed is copied to the savepoint journal first; with the default, that journal
	// spilled to a temporary file past 64 KiB, and 50 WeChat callbacks in one batch made 600
	// small writes to it (80,000 pwrite calls for 3,000 callbacks, 19,000 with this). It holds
	// at most the batch's changed pages again; sorts still spill to files as before.
	q.Add("_pragma", "temp_store(MEMORY)")
	// The store runs its checkpoints when writes pause (store/checkpoint.go); SQLite's own, at
	// the end of a commit, only past this many pages of log.
	q.Add("_pragma", fmt.Sprintf("wal_autocheckpoint(%d)", walAutocheckpointPages))
	q.Add("_pragma", fmt.Sprintf("journal_size_limit(%d)", walSizeLimit))
	q.Set("_txlock", "immediate")
	dsn := "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q.Encode()
	sdb, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	// SQLite has one writer at a time; a small pool lets readers run beside it under WAL
	// without each of many connections keeping its own page cache. One more is kept apart for
	// lazy commits (DB.lazy).
	sdb.SetMaxOpenConns(5)
	sdb.SetMaxIdleConns(5)
	db := &DB{db: sdb, path: path, keys: k, Now: time.Now}
	db.stmts.db = sdb
	db.checkpoint.run = func() {
		// A failure (the database closed under it, a disk error) leaves the log to the next
		// checkpoint, or to SQLite's own past walAutocheckpointPages; the store never logs.
		_, _ = db.db.ExecContext(context.Background(), `PRAGMA wal_checkpoint(PASSIVE)`)
	}
	// Two processes creating the same new file race to switch it to WAL; the loser gets
	// SQLITE_BUSY at once (busy_timeout does not cover it). The first open is retried briefly.
	for attempt := 0; ; attempt++ {
		err = db.migrate(ctx)
		if err == nil || attempt == 10 || !strings.Contains(err.Error(), "SQLITE_BUSY") {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err == nil {
		err = db.checkKey(ctx)
	}
	if err == nil {
		err = db.openLazy(ctx)
	}
	if err != nil {
		db.checkpoint.close()
		if db.lazy != nil {
			db.lazy.Close()
		}
		sdb.Close()
		return nil, err
	}
	return db, nil
}

func (db *DB) openLazy(ctx context.Context) error {
	conn, err := db.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("open lazy connection: %w", err)
	}
	db.lazy = conn
	if _, err := conn.ExecContext(ctx, `PRAGMA synchronous = NORMAL`); err != nil {
		return fmt.Errorf("open lazy connection: %w", err)
	}
	return nil
}

// ErrWrongKey is returned by Open when the secret key is not the one the database was
// created with.
var ErrWrongKey = errors.New("the secret key does not match the key this database was created with")

// checkKey seals a known value on first use and opens it on every later Open, so that a wrong
// key is refused at start instead of making every sealed row unreadable (and, worse, looking
// like damaged rows to give up on).
func (db *DB) checkKey(ctx context.Context) error {
	return db.Update(ctx, func(tx *Tx) error {
		var v string
		err := tx.queryRow(`SELECT value FROM channel_state WHERE key = 'store.keycheck'`).Scan(&v)
		if errors.Is(err, sql.ErrNoRows) {
			return tx.SetChannelState("store.keycheck", hex.EncodeToString(tx.keys.seal("keycheck", []byte("xuncha"))))
		}
		if err != nil {
			return fmt.Errorf("key check: %w", err)
		}
		sealed, err := hex.DecodeString(v)
		if err != nil {
			return fmt.Errorf("key check: %w", err)
		}
		if _, err := tx.keys.open("keycheck", sealed); err != nil {
			return ErrWrongKey
		}
		return nil
	})
}

// Close closes the database.
func (db *DB) Close() error {
	db.checkpoint.close()
	db.lazy.Close()
	db.stmts.close()
	return db.db.Close()
}

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error {
	var n int
	if err := db.db.QueryRowContext(ctx, `SELECT 1`).Scan(&n); err != nil {
		return fmt.Errorf("ping: %w", err)
	}
	return nil
}

// Backup writes a consistent copy of the database to path while others keep using it.
// VACUUM INTO reads inside one transaction, so the copy is a snapshot even under writes.
func (db *DB) Backup(ctx context.Context, path string) error {
	if _, err := db.db.ExecContext(ctx, `VACUUM INTO ?`, path); err != nil {
		return fmt.Errorf("vacuum into: %w", err)
	}
	return nil
}

// migrate applies the embedded migrations in order, each in its own transaction, and records
// them. A database whose newest migration is unknown to this binary is refused.
func (db *DB) migrate(ctx context.Context) error {
	if _, err := db.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS migrations (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)`); err != nil {
		return fmt.Errorf("create migrations table: %w", err)
	}
	names, err := fs.Glob(migrations, "migration/*.sql")
	if err != nil {
		return fmt.Errorf("list migrations: %w", err)
	}
	sort.Strings(names)
	known := 0
	for _, name := range names {
		v, err := migrationVersion(name)
		if err != nil {
			return err
		}
		known = max(known, v)
	}
	var current int
	if err := db.db.QueryRowContext(ctx, `SELECT IFNULL(MAX(version), 0) FROM migrations`).Scan(&current); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if current > known {
		return fmt.Errorf("database schema version %d is newer than this program knows (%d): upgrade xuncha", current, known)
	}
	applied := map[int]bool{}
	rows, err := db.db.QueryContext(ctx, `SELECT version FROM migrations`)
	if err != nil {
		return fmt.Errorf("read applied migrations: %w", err)
	}
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			rows.Close()
			return fmt.Errorf("read applied migrations: %w", err)
		}
		applied[v] = true
	}
	rows.Close()
	// Every migration not yet recorded is applied, in order: not only those above the highest
	// applied, so that one merged late (a lower number) is not skipped.
	for _, name := range names {
		v, _ := migrationVersion(name)
		if applied[v] {
			continue
		}
		body, err := migrations.ReadFile(name)
		if err != nil {
			return fmt.Errorf("read %s: %w", name, err)
		}
		if err := db.applyMigration(ctx, v, name, string(body)); err != nil {
			return err
		}
	}
	return nil
}

func (db *DB) applyMigration(ctx context.Context, version int, name, body string) error {
	tx, err := db.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback()
	// Another process opening the same new file may have applied it since migrate read the
	// version; _txlock=immediate makes this check and the apply below one atomic step.
	var done int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM migrations WHERE version = ?`, version).Scan(&done); err != nil {
		return fmt.Errorf("check migration %s: %w", name, err)
	}
	if done > 0 {
		return nil
	}
	if _, err := tx.ExecContext(ctx, body); err != nil {
		return fmt.Errorf("migration %s: %w", name, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO migrations (version, name, applied_at) VALUES (?, ?, ?)`,
		version, name, db.Now().Unix()); err != nil {
		return fmt.Errorf("record migration %s: %w", name, err)
	}
	return tx.Commit()
}

// migrationVersion reads the number before the first underscore: "migration/0007_x.sql" → 7.
func migrationVersion(name string) (int, error) {
	base := strings.TrimPrefix(name, "migration/")
	num, _, ok := strings.Cut(base, "_")
	if !ok {
		return 0, fmt.Errorf("migration %s: name must be NNNN_description.sql", name)
	}
	v, err := strconv.Atoi(num)
	if err != nil {
		return 0, fmt.Errorf("migration %s: %w", name, err)
	}
	return v, nil
}

// Tx is one write transaction. Every change of a conversation step happens inside one Tx, so a
// step is applied entirely or not at all.
type Tx struct {
	tx *sql.Tx
	// ctx is the context statements run under: Background inside a shared transaction, see
	// exec.
	ctx   context.Context
	keys  *keys
	now   time.Time
	stmts *stmtCache
	// reused holds the transaction's own form of each prepared statement, for a long read
	// (View): database/sql keeps every Tx.Stmt until the transaction ends, so making one per
	// call grew an export's memory with every row. nil: one per call (a step's few).
	reused map[string]*sql.Stmt
	// noncesPruned is DB.noncesPruned for the writes of Update; nil elsewhere (prune every time).
	noncesPruned *atomic.Int64
	// commit and behind, for a call of Update: its committer, and how many calls of its batch
	// run after it (see Contended).
	commit *committer
	behind int
	// numbers holds the numbers a call of Update took, by series and year, until flushNumbers
	// writes their counters; nil elsewhere (each number written at once).
	numbers map[numberKey]int
}

// Contended reports whether another write waits for this transaction to end: a call of the same
// batch after this one, or one queued for the next batch. A long job that writes in pieces (the
// escalation pass) ends its piece early when it does, so that a resident's step does not wait.
func (tx *Tx) Contended() bool {
	if tx.behind > 0 {
		return true
	}
	if tx.commit == nil {
		return false
	}
	tx.commit.mu.Lock()
	defer tx.commit.mu.Unlock()
	return len(tx.commit.queue) > 0
}

// Now is the time the transaction started, used for every timestamp it writes.
func (tx *Tx) Now() time.Time { return tx.now }

// Update runs fn in a write transaction and commits it when fn returns nil.
// Concurrent calls share transactions (group commit, see committer): fn must not call Update
// itself, and it may see the effects of calls committed in the same transaction before it.
func (db *DB) Update(ctx context.Context, fn func(*Tx) error) error {
	return db.update(ctx, fn)
}

// View runs fn in a read transaction: one snapshot of the database, read beside the writer
// (WAL) without holding up any write. fn must only read. For long reads (an export, the
// monthly counts) that would otherwise keep every resident's step waiting.
func (db *DB) View(ctx context.Context, fn func(*Tx) error) error {
	// ReadOnly makes the driver BEGIN DEFERRED despite _txlock=immediate: no write lock.
	sqlTx, err := db.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return fmt.Errorf("begin read: %w", err)
	}
	defer sqlTx.Rollback() // a read transaction has nothing to commit
	return fn(&Tx{tx: sqlTx, ctx: ctx, keys: db.keys, now: db.Now(), stmts: &db.stmts, reused: map[string]*sql.Stmt{}})
}

// Statements of an Update run without the caller's context (commit.go gives Background). The
// transaction already holds the write lock (BEGIN IMMEDIATE), so they never wait; and for a
// cancellable context the driver starts a watcher goroutine for every statement, a cost paid
// on each of a step's dozen statements. A caller that gave up is noticed before its call runs.
func (tx *Tx) exec(query string, args ...any) (sql.Result, error) {
	if s := tx.stmt(query); s != nil {
		return s.ExecContext(tx.ctx, args...)
	}
	return tx.tx.ExecContext(tx.ctx, query, args...)
}

func (tx *Tx) queryRow(query string, args ...any) *sql.Row {
	if s := tx.stmt(query); s != nil {
		return s.QueryRowContext(tx.ctx, args...)
	}
	return tx.tx.QueryRowContext(tx.ctx, query, args...)
}

func (tx *Tx) query(query string, args ...any) (*sql.Rows, error) {
	if s := tx.stmt(query); s != nil {
		return s.QueryContext(tx.ctx, args...)
	}
	return tx.tx.QueryContext(tx.ctx, query, args...)
}

// collect reads every row of a query's result with scan, in order, and closes the rows; err
// is the query's own. Errors begin with what.
func collect[T any](what string, rows *sql.Rows, err error, scan func(*sql.Rows, *T) error) ([]T, error) {
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		var v T
		if err := scan(rows, &v); err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// column runs a query of one column and returns its values in order; errors begin with what.
func column[T any](tx *Tx, what, query string, args ...any) ([]T, error) {
	rows, err := tx.query(query, args...)
	return collect(what, rows, err, func(rows *sql.Rows, v *T) error { return rows.Scan(v) })
}

// stmt returns the transaction's form of the prepared query, or nil when it is not prepared.
func (tx *Tx) stmt(query string) *sql.Stmt {
	s := tx.stmts.get(query)
	if s == nil {
		return nil
	}
	if tx.reused == nil {
		return tx.tx.StmtContext(tx.ctx, s)
	}
	ts, ok := tx.reused[query]
	if !ok {
		ts = tx.tx.StmtContext(tx.ctx, s)
		tx.reused[query] = ts
	}
	return ts
}

// exec, queryRow and query run a statement outside a transaction, prepared once.
func (db *DB) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if s := db.stmts.get(query); s != nil {
		return s.ExecContext(ctx, args...)
	}
	return db.db.ExecContext(ctx, query, args...)
}

func (db *DB) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	if s := db.stmts.get(query); s != nil {
		return s.QueryRowContext(ctx, args...)
	}
	return db.db.QueryRowContext(ctx, query, args...)
}

func (db *DB) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if s := db.stmts.get(query); s != nil {
		return s.QueryContext(ctx, args...)
	}
	return db.db.QueryContext(ctx, query, args...)
}

// stmtCache keeps the store's statements prepared. modernc.org/sqlite parses a statement's
// text on every call that is not prepared, and parsing was a sixth of the CPU of a
// conversation step. database/sql prepares a cached statement once on each pooled connection
// and reuses it within transactions (Tx.Stmt).
type stmtCache struct {
	db *sql.DB
	mu sync.Mutex
	m  map[string]*sql.Stmt
}

// maxCachedStmts bounds the cache: the store's fixed statements number in the low hundreds,
// while statements built at run time (an IN list of varying length) would grow it forever.
const maxCachedStmts = 512

// get returns the prepared form of query, or nil when it is not cached and cannot be: the
// caller then runs the text as is, and reports its error if it has one.
func (c *stmtCache) get(query string) *sql.Stmt {
	if c == nil || c.db == nil {
		return nil
	}
	c.mu.Lock()
	s, ok := c.m[query]
	full := len(c.m) >= maxCachedStmts
	c.mu.Unlock()
	if ok || full {
		return s
	}
	s, err := c.db.PrepareContext(context.Background(), query)
	if err != nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.m[query]; ok {
		s.Close()
		return old
	}
	if c.m == nil {
		c.m = map[string]*sql.Stmt{}
	}
	c.m[query] = s
	return s
}

func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, s := range c.m {
		s.Close()
	}
	c.m = nil
	c.db = nil
}

// nullInt turns 0 into NULL, for optional references.
func nullInt(v int64) any {
	if v == 0 {
		return nil
	}
	return v
}

// nullTime turns the zero time into NULL.
func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.Unix()
}

func unixOrZero(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return time.Unix(v.Int64, 0).UTC()
}

func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}
