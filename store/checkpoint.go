package store

import (
	"sync"
	"time"
)

// The store copies its write-ahead log back into the database file itself, once writes have
// paused, instead of inside whichever commit crosses SQLite's threshold (wal_autocheckpoint,
// 1,000 pages by default). A checkpoint writes every page changed since the last one to its
// place in the file and fsyncs the file: on the 1,000,000-clue ledger the escalation pass
// wrote about 16,000 scattered pages, and the checkpoints that its own commits ran were a
// tenth of its time — as was the 20–30 ms that a resident's commit waited whenever the
// threshold fell on it.
//
// Bounds: a checkpoint runs once the store has written nothing for checkpointQuiet, and at
// the latest checkpointMaxDelay after the first commit it has not copied yet, even under
// steady writes. It is PASSIVE: it never blocks a writer or a reader, and the log starts over
// from its beginning at the first write after a complete one. SQLite's own checkpoint stays as
// the backstop at walAutocheckpointPages (128 MiB) should these fall behind, and the log file
// is cut back to walSizeLimit when it starts over. Durability is unchanged: every commit
// still fsyncs the log (synchronous=FULL).
const (
	checkpointQuiet        = time.Second
	checkpointMaxDelay     = 10 * time.Second
	walAutocheckpointPages = 32768
	walSizeLimit           = 16 << 20
)

// checkpointer runs run (a PASSIVE checkpoint) after writes, as described above.
type checkpointer struct {
	run func()

	mu      sync.Mutex
	timer   *time.Timer
	first   time.Time // the first commit not yet copied back
	last    time.Time // the latest commit
	closed  bool
	running sync.WaitGroup
}

// wrote records a commit.
func (c *checkpointer) wrote() {
	now := time.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return
	}
	c.last = now
	if c.timer == nil {
		c.first = now
		c.timer = time.AfterFunc(checkpointQuiet, c.fire)
	}
}

func (c *checkpointer) fire() {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	now := time.Now()
	if quiet := c.last.Add(checkpointQuiet).Sub(now); quiet > 0 {
		if late := c.first.Add(checkpointMaxDelay).Sub(now); late > 0 {
			c.timer.Reset(min(quiet, late))
			c.mu.Unlock()
			return
		}
	}
	c.timer = nil // a commit from now on arms a new one
	c.running.Add(1)
	c.mu.Unlock()
	defer c.running.Done()
	c.run()
}

// close stops the timer and waits for a checkpoint under way; closing the last connection
// checkpoints what is left.
func (c *checkpointer) close() {
	c.mu.Lock()
	c.closed = true
	if c.timer != nil {
		c.timer.Stop()
	}
	c.mu.Unlock()
	c.running.Wait()
}
