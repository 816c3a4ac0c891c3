// Package outbox delivers the messages queued in SQLite: one Dispatcher per platform leases
// due rows, sends them through the platform's Sender, and marks each sent, retried or given
// up. What is due always lives in the database, so nothing is lost or repeated across
// restarts. The platform adapters (bot) implement Sender and classify their failures with
// SendError; the timed jobs (scheduler) only queue rows.
package outbox

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"sync"
	"time"

	"xuncha/store"
)

// Sender delivers one message to a platform. Channels implement it.
type Sender interface {
	Send(ctx context.Context, chatExternal string, msg store.OutMessage) error
}

// SendError classifies a failed send. A plain error is treated as temporary.
type SendError struct {
	// Permanent: retrying cannot help (bad request); the row is given up.
	Permanent bool
	// Unreachable: the recipient blocked the bot or left; the chat is marked and the row given up.
	Unreachable bool
	// RetryAfter: the platform asked to pause all sends for this long (Telegram 429).
	RetryAfter time.Duration
	// Uncertain: the request may have reached the platform but no answer came (a timeout).
	// Platforms offer no idempotency key, so resending could deliver a copy; the row is
	// recorded as sent with a note instead. This is the one at-most-once window.
	Uncertain bool
	Err       error
}

func (e *SendError) Error() string { return e.Err.Error() }
func (e *SendError) Unwrap() error { return e.Err }

// TransportError sorts a failure of the request itself, for a Sender: one that never left (a
// failed dial) is returned as it is, a plain retry being safe; one that may have reached the
// platform (a timeout, or any failure once part of a message split in parts went) is
// Uncertain, since platforms offer no idempotency key and resending could deliver a copy.
func TransportError(err error, partlySent bool) error {
	var netErr net.Error
	var opErr *net.OpError
	switch {
	case errors.As(err, &opErr) && opErr.Op == "dial":
		return err
	case partlySent, errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
		return &SendError{Uncertain: true, Err: err}
	}
	return err
}

// OutboxStore is what the dispatcher needs from the store.
type OutboxStore interface {
	ClaimDue(ctx context.Context, platform string, lease time.Duration, limit int) ([]store.Delivery, error)
	MarkSent(ctx context.Context, ids ...int64) error
	MarkRetry(ctx context.Context, id int64, at time.Time, reason string) error
	MarkDead(ctx context.Context, id int64, reason string) error
	Release(ctx context.Context, id int64) error
	ReleaseInterrupted(ctx context.Context, platform string) (int, error)
	MarkChatUnreachable(ctx context.Context, chatID int64) error
}

// Dispatcher delivers the outbox rows of one platform through its Sender: up to Concurrency
// chats at once, each chat's rows one at a time in id order. A row is leased before sending,
// so a crash in mid-send leaves it to be retried (at the next start, or after the lease),
// never lost; it is marked sent right after the platform confirms it.
type Dispatcher struct {
	log      *slog.Logger
	store    OutboxStore
	platform string
	sender   Sender

	// Lease is how long a claimed row is held before another attempt may take it; at least
	// 2 min is used (twice a send's timeout and the slack for its mark).
	Lease time.Duration
	// MaxAttempts after which a row is given up (marked dead) and surfaced to operators.
	MaxAttempts int
	// Idle is how often the table is looked at when nothing woke the dispatcher.
	Idle time.Duration
	// Now is the clock; tests replace it.
	Now func() time.Time
	// Concurrency is how many chats are sent to at once. Messages to one chat always go in
	// order, one at a time; per-chat rate limits then delay only that chat.
	Concurrency int
	// Metrics counts the outcome of each send; set it before Run.
	Metrics DispatchMetrics

	wake chan struct{}
}

const (
	// sendTimeout bounds one send, the platform's rate-limit wait included.
	sendTimeout = 30 * time.Second
	// markSlack is what a row's lease keeps, after its send's timeout, for the send to be
	// marked (the marker commits in milliseconds, unless the writer is stuck).
	markSlack = 30 * time.Second
)

// NewDispatcher returns a dispatcher for one platform.
func NewDispatcher(logger *slog.Logger, st OutboxStore, platform string, sender Sender) *Dispatcher {
	return &Dispatcher{
		log: logger.With("platform", platform), store: st, platform: platform, sender: sender,
		Lease: 2 * time.Minute, MaxAttempts: 12, Idle: time.Second, Now: time.Now, Concurrency: 1,
		Metrics: nopMetrics{}, wake: make(chan struct{}, 1),
	}
}

// Wake makes the dispatcher look at the outbox now instead of at its next idle tick.
func (d *Dispatcher) Wake() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// Run delivers until ctx is done. The send in flight when ctx ends is finished (it gets its
// own short deadline), so its result is recorded rather than left to the lease.
func (d *Dispatcher) Run(ctx context.Context) error {
	// Rows a killed process was sending are due again now, not when their lease runs out.
	if n, err := d.store.ReleaseInterrupted(ctx, d.platform); err != nil {
		d.log.Error("release interrupted sends failed", "error", err)
	} else if n > 0 {
		d.log.Warn("resending messages interrupted by a stop", "count", n)
	}
	t := time.NewTimer(0)
	defer t.Stop()
	// resume is the end of a pause the platform asked for (a 429). A Wake in the meantime must
	// not start a pass, since sending before retry_after only earns more 429s; the pass it asked
	// for runs when the pause ends.
	var resume time.Time
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-d.wake:
			if wait := time.Until(resume); wait > 0 {
				t.Reset(wait)
				continue
			}
		case <-t.C:
		}
		pause, err := d.RunOnce(context.WithoutCancel(ctx), ctx)
		if pause > 0 {
			resume = time.Now().Add(pause)
		}
		if err != nil {
			d.log.Error("outbox pass failed", "error", err)
			pause = max(pause, 5*time.Second)
		}
		t.Reset(max(pause, d.Idle))
	}
}

// RunOnce delivers every due row once. stop ends the pass early between sends. It returns how
// long the platform asked to pause (0 when it did not).
//
// Claiming runs ahead of sending: Concurrency senders take claimed chats from a queue that
// the claim refills as soon as it has room, so the senders do not stand idle while a claim
// waits its turn in the single writer, and one slow send holds up only its own chat. Order
// within a chat holds because a row is not claimed while an older row of its chat is leased.
func (d *Dispatcher) RunOnce(ctx, stop context.Context) (time.Duration, error) {
	// A row is sent only while its lease outlasts the send and its mark (sendChat).
	lease := max(d.Lease, 2*(sendTimeout+markSlack))
	p := &pass{stop: stop, marks: d.startMarker(ctx)}
	defer p.marks.close() // after the senders are done (deferred calls run in reverse)
	// A chat's rows in id order; a sender delivers them one by one.
	chats := make(chan claimedChat, max(1, d.Concurrency))
	var queued sync.WaitGroup // chats claimed and not yet done
	var senders sync.WaitGroup
	for range max(1, d.Concurrency) {
		senders.Go(func() {
			for c := range chats {
				d.sendChat(ctx, p, c)
				queued.Done()
			}
		})
	}
	defer senders.Wait()
	defer close(chats)

	claimed := false // since the pass last waited for everything queued
	for !p.halted() {
		// The lease is counted from before the claim, on this dispatcher's clock, and a second
		// short: the table keeps whole seconds.
		until := d.Now().Add(lease - time.Second)
		batch, err := d.store.ClaimDue(ctx, d.platform, lease, max(50, 4*d.Concurrency))
		if err != nil {
			queued.Wait()
			return p.pauseAsked(), err
		}
		if len(batch) > 0 {
			claimed = true
			for _, rows := range byChat(batch) {
				queued.Add(1)
				chats <- claimedChat{rows: rows, until: until} // waits while the queue is full
			}
			continue
		}
		if !claimed {
			break
		}
		// Rows of chats still sending, or whose last send is not marked yet, are held back by
		// the claim: look again once those are done.
		queued.Wait()
		p.marks.flush()
		claimed = false
	}
	queued.Wait()
	return p.pauseAsked(), nil
}

// claimedChat is a chat's claimed rows and the end of their lease.
type claimedChat struct {
	rows  []store.Delivery
	until time.Time
}

// byChat splits a claimed batch into its chats' rows, chats in the order of their first row.
func byChat(batch []store.Delivery) [][]store.Delivery {
	var out [][]store.Delivery
	index := map[int64]int{}
	for _, del := range batch {
		i, ok := index[del.ChatID]
		if !ok {
			i = len(out)
			index[del.ChatID] = i
			out = append(out, nil)
		}
		out[i] = append(out[i], del)
	}
	return out
}

// pass is the state of one RunOnce shared by its senders.
type pass struct {
	stop  context.Context
	marks *marker

	mu    sync.Mutex
	pause time.Duration // the longest pause the platform asked for
}

func (p *pass) halted() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.pause > 0 || p.stop.Err() != nil
}

func (p *pass) paused(d time.Duration) {
	p.mu.Lock()
	p.pause = max(p.pause, d)
	p.mu.Unlock()
}

func (p *pass) pauseAsked() time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.pause
}

// sendChat delivers one chat's claimed rows in order. After a pause request or a stop, rows
// not yet sent are released for the next pass.
func (d *Dispatcher) sendChat(ctx context.Context, p *pass, c claimedChat) {
	rows := c.rows
	for i, del := range rows {
		if p.halted() {
			d.release(ctx, rows[i:])
			return
		}
		if !d.Now().Add(sendTimeout + markSlack).Before(c.until) {
			// The lease could run out before this send ends and is marked, and once it has, a
			// claim running ahead may take the row again: two sends. This happens to a chat with
			// a long run of rows behind its own rate limit (a group gets 20 a minute); the rest
			// are handed back and claimed afresh.
			d.release(ctx, rows[i:])
			return
		}
		pause, again := d.deliver(ctx, del, p.marks)
		if pause > 0 {
			// Everything else waits too: a 429 is about the whole bot.
			p.paused(pause)
		}
		if again {
			// This row will be tried later; the chat's next rows wait for it, so a chat never
			// receives its messages out of order.
			d.release(ctx, rows[i+1:])
			return
		}
	}
}

// release hands leased rows back for an immediate retry.
func (d *Dispatcher) release(ctx context.Context, rows []store.Delivery) {
	for _, r := range rows {
		if err := d.store.Release(ctx, r.ID); err != nil {
			d.log.Error("outbox release failed", "outbox", r.ID, "error", err)
		}
	}
}

// deliver sends one row and records the outcome. It returns a pause asked by the platform, and
// whether the row stays pending for a later attempt.
func (d *Dispatcher) deliver(ctx context.Context, del store.Delivery, marks *marker) (pause time.Duration, again bool) {
	if del.Address == "" {
		d.log.Error("outbox chat gone", "outbox", del.ID)
		d.Metrics.Sent(d.platform, SendDead)
		d.dead(ctx, del, "no address")
		return 0, false
	}
	sendCtx, cancel := context.WithTimeout(ctx, sendTimeout)
	err := d.sender.Send(sendCtx, del.Address, del.Message)
	cancel()
	if err == nil {
		marks.add(del.ID)
		d.Metrics.Sent(d.platform, SendSent)
		return 0, false
	}
	var se *SendError
	errors.As(err, &se)
	switch {
	case se != nil && se.Unreachable:
		// The outbox id is enough for an operator to find the chat; chat ids stay out of logs.
		d.log.Info("chat unreachable", "outbox", del.ID)
		d.Metrics.Sent(d.platform, SendUnreachable)
		if err := d.store.MarkChatUnreachable(ctx, del.ChatID); err != nil {
			d.log.Error("mark unreachable failed", "outbox", del.ID, "error", err)
		}
		d.dead(ctx, del, "unreachable")
		return 0, false
	case se != nil && se.Uncertain:
		d.log.Warn("outbox send outcome unknown, not resent", "outbox", del.ID, "error", err)
		d.Metrics.Sent(d.platform, SendUncertain)
		marks.add(del.ID)
		return 0, false
	case se != nil && se.Permanent:
		d.log.Warn("outbox send refused", "outbox", del.ID, "error", err)
		d.Metrics.Sent(d.platform, SendDead)
		d.dead(ctx, del, truncateReason(err))
		return 0, false
	case se != nil && se.RetryAfter > 0:
		d.log.Warn("platform asks to pause", "outbox", del.ID, "retry_after", se.RetryAfter)
		d.Metrics.RateLimited(d.platform)
		d.Metrics.Sent(d.platform, SendRetry)
		if err := d.store.MarkRetry(ctx, del.ID, d.Now().Add(se.RetryAfter), "rate limited"); err != nil {
			d.log.Error("outbox mark retry failed", "outbox", del.ID, "error", err)
		}
		return se.RetryAfter, true
	}
	return 0, d.retryLater(ctx, del, err)
}

// marker records the rows a pass sent. Sends that finish while a mark is committing are marked
// together in the next one, by one statement: in SQLite's single writer a statement per row
// held up every other write.
type marker struct {
	d       *Dispatcher
	ctx     context.Context
	mu      sync.Mutex
	ids     []int64
	more    chan struct{}      // signalled when ids has rows
	flushes chan chan struct{} // closed once everything added before is committed
	stop    chan struct{}
	done    chan struct{}
}

func (d *Dispatcher) startMarker(ctx context.Context) *marker {
	m := &marker{d: d, ctx: ctx, more: make(chan struct{}, 1), flushes: make(chan chan struct{}),
		stop: make(chan struct{}), done: make(chan struct{})}
	go m.run()
	return m
}

func (m *marker) add(id int64) {
	m.mu.Lock()
	m.ids = append(m.ids, id)
	m.mu.Unlock()
	select {
	case m.more <- struct{}{}:
	default:
	}
}

func (m *marker) run() {
	defer close(m.done)
	for {
		var flushed chan struct{}
		stopping := false
		select {
		case <-m.more:
		case flushed = <-m.flushes:
		case <-m.stop:
			stopping = true
		}
		m.mu.Lock()
		ids := m.ids
		m.ids = nil
		m.mu.Unlock()
		if err := m.d.store.MarkSent(m.ctx, ids...); err != nil {
			// The rows stay leased: after the lease (or a restart) they are sent again, the
			// at-least-once window of a send whose outcome was not recorded.
			m.d.log.Error("outbox mark sent failed", "rows", len(ids), "error", err)
		}
		if flushed != nil {
			close(flushed)
		}
		if stopping {
			return
		}
	}
}

// flush returns once every row added before it is marked (or its mark failed).
func (m *marker) flush() {
	f := make(chan struct{})
	m.flushes <- f
	<-f
}

// close marks what is left and returns once it is committed.
func (m *marker) close() {
	close(m.stop)
	<-m.done
}

// retryLater schedules another attempt with backoff, or gives the row up after MaxAttempts. It
// reports whether the row stays pending.
func (d *Dispatcher) retryLater(ctx context.Context, del store.Delivery, err error) bool {
	if del.Attempts >= d.MaxAttempts {
		d.log.Error("outbox gave up", "outbox", del.ID, "attempts", del.Attempts, "error", err)
		d.Metrics.Sent(d.platform, SendDead)
		d.dead(ctx, del, truncateReason(err))
		return false
	}
	next := d.Now().Add(Backoff(del.Attempts))
	d.log.Warn("outbox send failed, will retry", "outbox", del.ID, "attempts", del.Attempts, "error", err)
	d.Metrics.Sent(d.platform, SendRetry)
	if err := d.store.MarkRetry(ctx, del.ID, next, truncateReason(err)); err != nil {
		d.log.Error("outbox mark retry failed", "outbox", del.ID, "error", err)
	}
	return true
}

func (d *Dispatcher) dead(ctx context.Context, del store.Delivery, reason string) {
	if err := d.store.MarkDead(ctx, del.ID, reason); err != nil {
		d.log.Error("outbox mark dead failed", "outbox", del.ID, "error", err)
	}
}

// Backoff is the wait before attempt n+1: exponential from 2 s, capped at 30 min, with jitter so
// that many failed rows do not retry in lockstep.
func Backoff(attempt int) time.Duration {
	d := 2 * time.Second << min(attempt, 10)
	d = min(d, 30*time.Minute)
	return d/2 + rand.N(d/2+1)
}

func truncateReason(err error) string {
	s := err.Error()
	if len(s) > 300 {
		s = s[:300]
	}
	return fmt.Sprint(s)
}
