package store

import (
	"context"
	"database/sql"
	"fmt"
	"runtime/debug"
	"sync"
)

// maxBatch bounds how many Update calls share one transaction.
const maxBatch = 64

// committer runs concurrent Update calls in shared transactions (group commit). With
// synchronous=FULL every commit waits for an fsync; SQLite has one writer at a time anyway, so
// calls that arrive while a transaction is running are queued and run together in the next
// one, each inside its own SAVEPOINT: each call still happens entirely or not at all, and
// returns only after the commit that makes it durable. A lone call commits at once; nothing
// waits to fill a batch.
//
// The first caller to find no batch running starts a writer goroutine, which runs batches
// until the queue is empty and then ends; nothing runs while nothing is asked. The writer
// does not hand its place to a waiting caller between batches: it used to, and the caller it
// woke waited behind every other runnable goroutine before it could begin the next batch —
// under 200 concurrent WeChat callbacks, hundreds of them (BENCHMARKS.md, WeChat).
type committer struct {
	mu      sync.Mutex
	queue   []*commitRequest
	leading bool
}

type commitRequest struct {
	ctx  context.Context
	fn   func(*Tx) error
	lazy bool // may commit without waiting for the disk (see updateLazy)
	done chan commitResult
}

type commitResult struct {
	err      error
	panicked any
	stack    []byte
}

// update queues fn and returns when the transaction holding it has committed (or failed).
func (db *DB) update(ctx context.Context, fn func(*Tx) error) error {
	return db.queue(ctx, fn, false)
}

// updateLazy is update for a record whose loss in a power cut costs a repeat, never a loss:
// that a message was taken for sending, or sent. When every call of a batch is lazy, the
// batch commits on a connection with synchronous=NORMAL: the commit reaches the operating
// system (it survives a crash or kill of the process) but does not wait for the disk; the
// next full commit's fsync, or the next checkpoint, makes it durable. A power cut in between
// can only make a message be sent again. A batch that holds any other call commits with a
// full fsync.
func (db *DB) updateLazy(ctx context.Context, fn func(*Tx) error) error {
	return db.queue(ctx, fn, true)
}

func (db *DB) queue(ctx context.Context, fn func(*Tx) error, lazy bool) error {
	req := &commitRequest{ctx: ctx, fn: fn, lazy: lazy, done: make(chan commitResult, 1)}
	c := &db.commit
	c.mu.Lock()
	c.queue = append(c.queue, req)
	start := !c.leading
	c.leading = true
	c.mu.Unlock()
	if start {
		go db.write()
	}
	return (<-req.done).unwrap()
}

// write runs batches until the queue is empty.
func (db *DB) write() {
	c := &db.commit
	idle := false
	defer func() {
		if idle {
			return
		}
		// Left by runtime.Goexit inside a call (a test's t.FailNow): another writer goes on.
		c.mu.Lock()
		more := len(c.queue) > 0
		c.leading = more
		c.mu.Unlock()
		if more {
			go db.write()
		}
	}()
	for {
		c.mu.Lock()
		if len(c.queue) == 0 {
			c.leading = false
			c.mu.Unlock()
			idle = true
			return
		}
		n := min(len(c.queue), maxBatch)
		batch := append([]*commitRequest(nil), c.queue[:n]...)
		c.queue = append(c.queue[:0], c.queue[n:]...)
		c.mu.Unlock()
		db.runBatch(batch)
	}
}

func (r commitResult) unwrap() error {
	if r.panicked != nil {
		// Re-raised in the caller's goroutine, where its own recover (the engine's) can act.
		panic(fmt.Sprintf("%v\n[store: panic inside Update]\n%s", r.panicked, r.stack))
	}
	return r.err
}

// runBatch runs the calls of a batch in one transaction, each in a savepoint, and delivers
// every result after the commit.
func (db *DB) runBatch(batch []*commitRequest) {
	results := make([]commitResult, len(batch))
	delivered := false
	deliver := func() {
		delivered = true
		for i, req := range batch {
			req.done <- results[i]
		}
	}
	defer func() {
		// A panic outside the calls (the database closed under them), or a Goexit inside one,
		// is raised in every caller's goroutine instead: the writer is not theirs.
		p := recover()
		if delivered {
			return
		}
		if p == nil {
			p = "runtime.Goexit inside Update"
		}
		stack := debug.Stack()
		for _, req := range batch {
			req.done <- commitResult{panicked: p, stack: stack}
		}
	}()
	failAll := func(err error) {
		for i := range results {
			if results[i].panicked == nil {
				results[i].err = err
			}
		}
		deliver()
	}
	lazy := true
	for _, req := range batch {
		lazy = lazy && req.lazy
	}
	// Not a caller's context: one caller giving up must not roll back the others.
	var sqlTx *sql.Tx
	var err error
	if lazy {
		// Should the kept connection break, the marks commit like anything else, with an fsync.
		if sqlTx, err = db.lazy.BeginTx(context.Background(), nil); err != nil {
			lazy = false
		}
	}
	if !lazy {
		sqlTx, err = db.db.BeginTx(context.Background(), nil)
	}
	if err != nil {
		failAll(fmt.Errorf("begin: %w", err))
		return
	}
	defer sqlTx.Rollback() // no-op after Commit
	// own runs the batch's savepoints, through the same prepared statements as the calls.
	own := &Tx{tx: sqlTx, ctx: context.Background(), stmts: &db.stmts}
	// A call alone in its batch needs no savepoint: should it fail, the transaction is rolled
	// back instead. Inside a savepoint every page a statement changes is copied to the
	// savepoint journal and kept until the savepoint ends, and SQLite walks that in-memory
	// journal at every statement's end: a long call (the escalation pass's 50 ms transaction)
	// spent a sixth of its time there.
	inSavepoints := batch
	if len(batch) == 1 {
		results[0] = db.call(batch[0], sqlTx, 0)
		if results[0].err != nil || results[0].panicked != nil {
			deliver() // rolled back by the deferred Rollback
			return
		}
		inSavepoints = nil
	}
	for i, req := range inSavepoints {
		if _, err := own.exec("SAVEPOINT step"); err != nil {
			failAll(fmt.Errorf("savepoint: %w", err))
			return
		}
		results[i] = db.call(req, sqlTx, len(batch)-1-i)
		if results[i].err != nil || results[i].panicked != nil {
			// Some errors (a full disk, an I/O error) make SQLite roll back the whole
			// transaction by itself; then the savepoint is gone and nothing of the batch stands.
			if _, err := own.exec("ROLLBACK TO step"); err != nil {
				failAll(fmt.Errorf("rollback to savepoint: %w", err))
				return
			}
		}
		if _, err := own.exec("RELEASE step"); err != nil {
			failAll(fmt.Errorf("release savepoint: %w", err))
			return
		}
	}
	if err := sqlTx.Commit(); err != nil {
		for i := range results {
			if results[i].err == nil && results[i].panicked == nil {
				results[i].err = fmt.Errorf("commit: %w", err)
			}
		}
	} else {
		db.checkpoint.wrote()
	}
	deliver()
}

// call runs one call of a batch in sqlTx, behind being the calls of the batch after it. A call
// whose caller gave up before its turn is not run.
func (db *DB) call(req *commitRequest, sqlTx *sql.Tx, behind int) commitResult {
	if err := req.ctx.Err(); err != nil {
		return commitResult{err: err}
	}
	tx := &Tx{tx: sqlTx, ctx: context.Background(), keys: db.keys, now: db.Now(), stmts: &db.stmts,
		noncesPruned: &db.noncesPruned, commit: &db.commit, behind: behind, numbers: map[numberKey]int{}}
	r := callStep(req.fn, tx)
	if r.err == nil && r.panicked == nil {
		// Inside the call's savepoint or transaction: written with what the call wrote, or not.
		r = callStep(func(tx *Tx) error { return tx.flushNumbers() }, tx)
	}
	return r
}

// callStep runs one call, turning a panic into a result.
func callStep(fn func(*Tx) error, tx *Tx) (r commitResult) {
	defer func() {
		if p := recover(); p != nil {
			r = commitResult{panicked: p, stack: debug.Stack()}
		}
	}()
	return commitResult{err: fn(tx)}
}
