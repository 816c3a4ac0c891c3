package outbox_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"xuncha/internal/testclock"
	"xuncha/outbox"
	"xuncha/store"
	"xuncha/store/storetest"
)

const platform = "telegram"

// sent is one call of the fake sender.
type sent struct {
	To   string
	Text string
}

// fakeSender records every call and answers with Fn (nil: success).
type fakeSender struct {
	mu    sync.Mutex
	calls []sent
	Fn    func(n int, to string, msg store.OutMessage) error // n counts calls from 0
}

var _ outbox.Sender = (*fakeSender)(nil)

func (f *fakeSender) Send(ctx context.Context, to string, msg store.OutMessage) error {
	f.mu.Lock()
	n := len(f.calls)
	f.calls = append(f.calls, sent{To: to, Text: msg.Text})
	fn := f.Fn
	f.mu.Unlock()
	if fn != nil {
		return fn(n, to, msg)
	}
	return nil
}

func (f *fakeSender) Calls() []sent {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]sent(nil), f.calls...)
}

// box is a real store with a fake clock, and a raw read connection for assertions.
type box struct {
	db    *store.DB
	raw   *sql.DB
	clock *testclock.Clock
}

func newOutbox(t *testing.T) *box {
	t.Helper()
	path := filepath.Join(t.TempDir(), "x.db")
	db := storetest.Open(t, path)
	raw, err := sql.Open("sqlite", "file:"+path+"?mode=ro&_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	c := testclock.New(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
	db.Now = c.Now
	return &box{db: db, raw: raw, clock: c}
}

// enqueue queues texts for the chat with external id ext on a platform and returns the chat and row ids.
func (o *box) enqueue(t *testing.T, plat, ext string, texts ...string) (int64, []int64) {
	t.Helper()
	var chat int64
	var ids []int64
	err := o.db.Update(context.Background(), func(tx *store.Tx) error {
		c, err := tx.EnsureChat(plat, ext, "zh", false)
		if err != nil {
			return err
		}
		chat = c.ID
		for _, text := range texts {
			id, err := tx.Enqueue(c.ID, store.OutMessage{Text: text}, "")
			if err != nil {
				return err
			}
			ids = append(ids, id)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("enqueue: %v", err)
	}
	return chat, ids
}

// add queues one text for a chat, from any goroutine (a fake sender's): it returns the error
// instead of failing the test.
func (o *box) add(plat, ext, text string) error {
	return o.db.Update(context.Background(), func(tx *store.Tx) error {
		c, err := tx.EnsureChat(plat, ext, "zh", false)
		if err != nil {
			return err
		}
		_, err = tx.Enqueue(c.ID, store.OutMessage{Text: text}, "")
		return err
	})
}

// oneAtATime reports two sends to the same chat at once.
type oneAtATime struct {
	mu       sync.Mutex
	inFlight map[string]bool
}

// enter marks a send to chat to as started; the returned func marks it done.
func (a *oneAtATime) enter(t *testing.T, to string) (leave func()) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.inFlight == nil {
		a.inFlight = map[string]bool{}
	}
	if a.inFlight[to] {
		t.Errorf("two sends to chat %s at once", to)
	}
	a.inFlight[to] = true
	return func() {
		a.mu.Lock()
		a.inFlight[to] = false
		a.mu.Unlock()
	}
}

// row is an outbox row as stored.
type row struct {
	Status    string
	Attempts  int
	NextAt    time.Time
	LastError string
}

func (o *box) row(t *testing.T, id int64) row {
	t.Helper()
	var r row
	var next int64
	err := o.raw.QueryRow(`SELECT status, attempts, next_attempt_at, last_error FROM outbox WHERE id = ?`, id).
		Scan(&r.Status, &r.Attempts, &next, &r.LastError)
	if err != nil {
		t.Fatalf("outbox row %d: %v", id, err)
	}
	r.NextAt = time.Unix(next, 0).UTC()
	return r
}

func (o *box) unreachable(t *testing.T, chat int64) bool {
	t.Helper()
	var u bool
	if err := o.raw.QueryRow(`SELECT unreachable FROM chats WHERE id = ?`, chat).Scan(&u); err != nil {
		t.Fatal(err)
	}
	return u
}

// dispatcher returns a dispatcher on the outbox's clock.
func (o *box) dispatcher(s outbox.Sender) *outbox.Dispatcher {
	d := outbox.NewDispatcher(slog.New(slog.NewTextHandler(io.Discard, nil)), o.db, platform, s)
	d.Now = o.clock.Now
	return d
}

func runOnce(t *testing.T, d *outbox.Dispatcher) time.Duration {
	t.Helper()
	pause, err := d.RunOnce(context.Background(), context.Background())
	if err != nil {
		t.Fatalf("RunOnce: %v", err)
	}
	return pause
}

func TestDispatcherDeliversInOrder(t *testing.T) {
	o := newOutbox(t)
	ctx := context.Background()
	_, a1 := o.enqueue(t, platform, "100", "a1", "a2")
	_, b1 := o.enqueue(t, platform, "200", "b1")
	_, a3 := o.enqueue(t, platform, "100", "a3")
	_, web := o.enqueue(t, "web", "w", "for the web chat")
	s := &fakeSender{}
	d := o.dispatcher(s)

	if pause := runOnce(t, d); pause != 0 {
		t.Errorf("pause = %v", pause)
	}
	perChat := map[string][]string{}
	for _, c := range s.Calls() {
		perChat[c.To] = append(perChat[c.To], c.Text)
	}
	if got := fmt.Sprint(perChat); got != fmt.Sprint(map[string][]string{"100": {"a1", "a2", "a3"}, "200": {"b1"}}) {
		t.Fatalf("sends per chat = %s", got)
	}
	for _, id := range append(append(a1, b1...), a3...) {
		if r := o.row(t, id); r.Status != "sent" || r.Attempts != 1 {
			t.Errorf("row %d = %+v, want sent after 1 attempt", id, r)
		}
	}
	if r := o.row(t, web[0]); r.Status != "pending" || r.Attempts != 0 {
		t.Errorf("another platform's row = %+v, want untouched", r)
	}
	// Nothing is left to claim, even long after any lease.
	o.clock.Add(time.Hour)
	if due, err := o.db.ClaimDue(ctx, platform, time.Minute, 50); err != nil || len(due) != 0 {
		t.Errorf("ClaimDue after delivery = %+v, %v", due, err)
	}
	runOnce(t, d)
	if n := len(s.Calls()); n != 4 {
		t.Errorf("sends after a second pass = %d, want 4", n)
	}
}

// TestDispatcherConcurrentChats sends to several chats at once but to each chat one message at
// a time, in order, each exactly once.
func TestDispatcherConcurrentChats(t *testing.T) {
	o := newOutbox(t)
	const chats, perChat, concurrency = 6, 5, 3
	for c := range chats {
		texts := make([]string, perChat)
		for i := range texts {
			texts[i] = fmt.Sprintf("c%d-%d", c, i)
		}
		o.enqueue(t, platform, fmt.Sprint(1000+c), texts...)
	}
	var (
		mu       sync.Mutex
		inFlight = map[string]bool{}
		running  int
		peak     int
		got      = map[string][]string{}
	)
	s := &fakeSender{Fn: func(_ int, to string, msg store.OutMessage) error {
		mu.Lock()
		if inFlight[to] {
			t.Errorf("two sends to chat %s at once", to)
		}
		inFlight[to] = true
		running++
		peak = max(peak, running)
		got[to] = append(got[to], msg.Text)
		mu.Unlock()
		runtime.Gosched() // widen the window in which an overlapping send would be seen

		mu.Lock()
		inFlight[to] = false
		running--
		mu.Unlock()
		return nil
	}}
	d := o.dispatcher(s)
	d.Concurrency = concurrency
	runOnce(t, d)
	if peak > concurrency {
		t.Errorf("%d sends in flight, Concurrency is %d", peak, concurrency)
	}
	if len(got) != chats {
		t.Fatalf("sent to %d chats, want %d", len(got), chats)
	}
	for c := range chats {
		to := fmt.Sprint(1000 + c)
		for i, text := range got[to] {
			if want := fmt.Sprintf("c%d-%d", c, i); text != want {
				t.Errorf("chat %s message %d = %s, want %s (order: %v)", to, i, text, want, got[to])
			}
		}
		if len(got[to]) != perChat {
			t.Errorf("chat %s got %d messages, want %d", to, len(got[to]), perChat)
		}
	}
	stats, err := o.db.OutboxStats(context.Background())
	if err != nil || stats.Pending != 0 {
		t.Errorf("stats = %+v, %v", stats, err)
	}
}

// A slow send holds up only its own chat: the next batch is claimed and sent while it is in
// flight (a barrier at each batch's end would wait for it forever here). A message queued for
// the slow chat meanwhile still goes after the one in flight.
func TestDispatcherSlowSendDoesNotHoldTheNextBatch(t *testing.T) {
	o := newOutbox(t)
	const others = 80 // more than one claim's worth (50 at Concurrency 2)
	o.enqueue(t, platform, "slow", "slow-1")
	for c := range others {
		o.enqueue(t, platform, fmt.Sprint(2000+c), fmt.Sprintf("m%d", c))
	}
	lastSent := make(chan struct{})
	var (
		mu    sync.Mutex
		order []string
		once  oneAtATime
	)
	s := &fakeSender{Fn: func(_ int, to string, msg store.OutMessage) error {
		defer once.enter(t, to)()
		mu.Lock()
		order = append(order, msg.Text)
		mu.Unlock()
		switch msg.Text {
		case "slow-1":
			if err := o.add(platform, "slow", "slow-2"); err != nil {
				t.Error(err)
			}
			select {
			case <-lastSent:
			case <-time.After(10 * time.Second):
				t.Error("the other chats' messages of the next batch were not sent while slow-1 was in flight")
			}
		case fmt.Sprintf("m%d", others-1):
			close(lastSent)
		}
		return nil
	}}
	d := o.dispatcher(s)
	d.Concurrency = 2
	runOnce(t, d)
	pos := map[string]int{}
	for i, text := range order {
		if _, dup := pos[text]; dup {
			t.Errorf("%s sent twice", text)
		}
		pos[text] = i
	}
	if len(pos) != others+2 {
		t.Errorf("%d distinct messages sent, want %d", len(pos), others+2)
	}
	if pos["slow-2"] < pos["slow-1"] {
		t.Errorf("slow-2 sent before slow-1: %v", order)
	}
	stats, err := o.db.OutboxStats(context.Background())
	if err != nil || stats.Pending != 0 {
		t.Errorf("stats = %+v, %v", stats, err)
	}
}

// A chat with a long run of rows behind its own rate limit can outlast the lease of its claim;
// the claim runs ahead meanwhile and would take the rows again once the lease is over. Rows
// whose lease could run out before their send ends are handed back instead: every row goes
// out once, in order. Here each of the group's sends takes 20 s of the clock (the lease is
// 2 min), while other chats keep the claim busy.
func TestDispatcherNeverSendsPastTheLease(t *testing.T) {
	o := newOutbox(t)
	const groupRows = 8
	var group []string
	for i := range groupRows {
		group = append(group, fmt.Sprintf("g%d", i))
	}
	o.enqueue(t, platform, "group", group...)
	for c := range 60 {
		o.enqueue(t, platform, fmt.Sprint(3000+c), "o")
	}
	var (
		mu         sync.Mutex
		sentGroup  []string
		moreOthers = 0
		once       oneAtATime
	)
	s := &fakeSender{Fn: func(_ int, to string, msg store.OutMessage) error {
		defer once.enter(t, to)()
		if to == "group" {
			time.Sleep(20 * time.Millisecond)
			o.clock.Add(20 * time.Second)
			mu.Lock()
			sentGroup = append(sentGroup, msg.Text)
			mu.Unlock()
			return nil
		}
		// Each other chat's send brings a new chat's row while the group is still sending, so
		// that claims keep running past the group's lease.
		mu.Lock()
		more := len(sentGroup) < groupRows && moreOthers < 3000
		moreOthers++
		n := moreOthers
		mu.Unlock()
		if more {
			if err := o.add(platform, fmt.Sprintf("more-%d", n), "o"); err != nil {
				t.Error(err)
			}
		}
		return nil
	}}
	d := o.dispatcher(s)
	d.Concurrency = 2
	runOnce(t, d)
	if !slices.Equal(sentGroup, group) {
		t.Errorf("the group got %v, want each of %v once, in order", sentGroup, group)
	}
	stats, err := o.db.OutboxStats(context.Background())
	if err != nil || stats.Pending != 0 {
		t.Errorf("stats = %+v, %v", stats, err)
	}
}

func TestDispatcherRetriesTemporaryError(t *testing.T) {
	o := newOutbox(t)
	_, ids := o.enqueue(t, platform, "100", "hello")
	s := &fakeSender{Fn: func(n int, _ string, _ store.OutMessage) error {
		if n == 0 {
			return errors.New("connection reset")
		}
		return nil
	}}
	d := o.dispatcher(s)
	start := o.clock.Now()

	runOnce(t, d)
	r := o.row(t, ids[0])
	if r.Status != "pending" || r.Attempts != 1 || r.LastError != "connection reset" {
		t.Fatalf("after a failure row = %+v", r)
	}
	// The first retry waits Backoff(1): between 2 s and 4 s.
	if wait := r.NextAt.Sub(start); wait < 2*time.Second || wait > 4*time.Second {
		t.Errorf("retry scheduled after %v, want within [2s, 4s]", wait)
	}

	runOnce(t, d) // not due yet
	if n := len(s.Calls()); n != 1 {
		t.Fatalf("sent %d times before the retry was due", n)
	}
	o.clock.Add(4 * time.Second)
	runOnce(t, d)
	if n := len(s.Calls()); n != 2 {
		t.Fatalf("sends = %d, want 2", n)
	}
	if r := o.row(t, ids[0]); r.Status != "sent" || r.Attempts != 2 {
		t.Errorf("row = %+v, want sent after 2 attempts", r)
	}
}

func TestDispatcherTerminalErrors(t *testing.T) {
	tests := []struct {
		name            string
		err             error
		wantUnreachable bool
	}{
		{"Unreachable", &outbox.SendError{Unreachable: true, Err: errors.New("403 blocked by user")}, true},
		{"UnreachableWrapped", fmt.Errorf("telegram: %w", &outbox.SendError{Unreachable: true, Err: errors.New("403")}), true},
		{"Permanent", &outbox.SendError{Permanent: true, Err: errors.New("400 message too long")}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := newOutbox(t)
			chat, ids := o.enqueue(t, platform, "100", "one", "two")
			s := &fakeSender{Fn: func(int, string, store.OutMessage) error { return tt.err }}
			d := o.dispatcher(s)
			runOnce(t, d)
			for _, id := range ids {
				if r := o.row(t, id); r.Status != "dead" || r.LastError == "" {
					t.Errorf("row %d = %+v, want dead with a reason", id, r)
				}
			}
			if got := o.unreachable(t, chat); got != tt.wantUnreachable {
				t.Errorf("chat unreachable = %v, want %v", got, tt.wantUnreachable)
			}
			o.clock.Add(24 * time.Hour)
			runOnce(t, d)
			if n := len(s.Calls()); n != 2 {
				t.Errorf("sends = %d, want 2 (dead rows are not retried)", n)
			}
			stats, err := o.db.OutboxStats(context.Background())
			if err != nil || stats.Dead != 2 || stats.Pending != 0 {
				t.Errorf("stats = %+v, %v", stats, err)
			}
		})
	}
}

func TestDispatcherRetryAfter(t *testing.T) {
	o := newOutbox(t)
	_, a := o.enqueue(t, platform, "100", "m1", "m2")
	_, b := o.enqueue(t, platform, "200", "b1")
	ids := append(a, b...)
	delivered := map[string]int{}
	var mu sync.Mutex
	s := &fakeSender{}
	s.Fn = func(n int, _ string, msg store.OutMessage) error {
		if n == 0 {
			return &outbox.SendError{RetryAfter: 7 * time.Second, Err: errors.New("429 too many requests")}
		}
		mu.Lock()
		delivered[msg.Text]++
		mu.Unlock()
		return nil
	}
	d := o.dispatcher(s)
	start := o.clock.Now()

	if pause := runOnce(t, d); pause != 7*time.Second {
		t.Fatalf("pause = %v, want 7s", pause)
	}
	if got := s.Calls(); len(got) != 1 || got[0].Text != "m1" {
		t.Fatalf("sends during the pass that hit 429 = %v, want only m1 (the rest waits)", got)
	}
	if r := o.row(t, ids[0]); r.Status != "pending" || !r.NextAt.Equal(start.Add(7*time.Second)) || r.Attempts != 1 {
		t.Errorf("rate-limited row = %+v, want pending until +7s", r)
	}
	for _, id := range ids[1:] {
		// Released untried: due at once, and the claim does not count as an attempt.
		if r := o.row(t, id); r.Status != "pending" || r.NextAt.After(start) || r.Attempts != 0 {
			t.Errorf("row %d = %+v, want released for an immediate retry", id, r)
		}
	}

	// Run waits the pause out; the next pass sends everything once, m1 before m2.
	o.clock.Add(7 * time.Second)
	runOnce(t, d)
	runOnce(t, d)
	for _, text := range []string{"m1", "m2", "b1"} {
		if delivered[text] != 1 {
			t.Errorf("%s delivered %d times, want 1", text, delivered[text])
		}
	}
	var order []string
	for _, c := range s.Calls()[1:] {
		if c.To == "100" {
			order = append(order, c.Text)
		}
	}
	if fmt.Sprint(order) != "[m1 m2]" {
		t.Errorf("chat 100 got %v after the pause, want [m1 m2]", order)
	}
	for _, id := range ids {
		if r := o.row(t, id); r.Status != "sent" {
			t.Errorf("row %d = %+v, want sent", id, r)
		}
	}
}

func TestDispatcherUncertainIsNotResent(t *testing.T) {
	o := newOutbox(t)
	_, ids := o.enqueue(t, platform, "100", "maybe delivered")
	s := &fakeSender{Fn: func(int, string, store.OutMessage) error {
		return &outbox.SendError{Uncertain: true, Err: context.DeadlineExceeded}
	}}
	d := o.dispatcher(s)
	runOnce(t, d)
	o.clock.Add(time.Hour)
	runOnce(t, d)
	if n := len(s.Calls()); n != 1 {
		t.Errorf("sends = %d, want 1 (a send that may have arrived is not repeated)", n)
	}
	if r := o.row(t, ids[0]); r.Status != "sent" {
		t.Errorf("row = %+v, want sent", r)
	}
}

func TestDispatcherStopReleasesTheRest(t *testing.T) {
	o := newOutbox(t)
	_, ids := o.enqueue(t, platform, "100", "m1", "m2", "m3")
	stop, cancel := context.WithCancel(context.Background())
	defer cancel()
	s := &fakeSender{Fn: func(n int, _ string, _ store.OutMessage) error {
		cancel() // shutdown begins while the first message is in flight
		return nil
	}}
	d := o.dispatcher(s)
	if _, err := d.RunOnce(context.Background(), stop); err != nil {
		t.Fatal(err)
	}
	if n := len(s.Calls()); n != 1 {
		t.Fatalf("sends after stop = %d, want 1", n)
	}
	if r := o.row(t, ids[0]); r.Status != "sent" {
		t.Errorf("the send in flight was not recorded: %+v", r)
	}
	for _, id := range ids[1:] {
		if r := o.row(t, id); r.Status != "pending" || r.Attempts != 0 {
			t.Errorf("row %d = %+v, want released untried", id, r)
		}
	}
	// The rest are due now, not after the lease.
	s2 := &fakeSender{}
	runOnce(t, o.dispatcher(s2))
	if got := s2.Calls(); len(got) != 2 || got[0].Text != "m2" || got[1].Text != "m3" {
		t.Errorf("next process sent %v, want m2 and m3", got)
	}
}

func TestDispatcherRecoversLeaseAfterCrash(t *testing.T) {
	o := newOutbox(t)
	ctx := context.Background()
	_, ids := o.enqueue(t, platform, "100", "report notice")

	// A first process claims the row, perhaps even sends it, then dies before MarkSent.
	claimed, err := o.db.ClaimDue(ctx, platform, 2*time.Minute, 50)
	if err != nil || len(claimed) != 1 || claimed[0].ID != ids[0] {
		t.Fatalf("ClaimDue = %+v, %v", claimed, err)
	}
	sends := 1

	s := &fakeSender{}
	d := o.dispatcher(s) // the restarted process
	runOnce(t, d)
	if n := len(s.Calls()); n != 0 {
		t.Fatalf("a leased row was sent again %d times before its lease ended", n)
	}
	o.clock.Add(2*time.Minute + time.Second)
	runOnce(t, d)
	runOnce(t, d)
	sends += len(s.Calls())
	if len(s.Calls()) != 1 {
		t.Errorf("after the lease the row was sent %d times, want 1", len(s.Calls()))
	}
	if sends < 1 {
		t.Errorf("total sends = %d", sends)
	}
	if r := o.row(t, ids[0]); r.Status != "sent" || r.Attempts != 2 {
		t.Errorf("row = %+v, want sent after 2 attempts", r)
	}
	var n int
	if err := o.raw.QueryRow(`SELECT COUNT(*) FROM outbox WHERE status = 'sent'`).Scan(&n); err != nil || n != 1 {
		t.Errorf("sent rows = %d, %v; want 1", n, err)
	}
}

func TestDispatcherGivesUpAfterMaxAttempts(t *testing.T) {
	o := newOutbox(t)
	_, ids := o.enqueue(t, platform, "100", "doomed")
	s := &fakeSender{Fn: func(int, string, store.OutMessage) error { return errors.New("timeout") }}
	d := o.dispatcher(s)
	d.MaxAttempts = 3
	for range 10 {
		runOnce(t, d)
		o.clock.Add(time.Hour)
	}
	if n := len(s.Calls()); n != 3 {
		t.Errorf("sends = %d, want 3 (MaxAttempts)", n)
	}
	if r := o.row(t, ids[0]); r.Status != "dead" || r.Attempts != 3 || r.LastError != "timeout" {
		t.Errorf("row = %+v, want dead after 3 attempts", r)
	}
}

func TestDispatcherRunDeliversAndStops(t *testing.T) {
	o := newOutbox(t)
	o.enqueue(t, platform, "100", "first")
	got := make(chan string, 10)
	s := &fakeSender{Fn: func(_ int, _ string, msg store.OutMessage) error {
		got <- msg.Text
		return nil
	}}
	d := o.dispatcher(s)
	d.Idle = time.Hour // only Wake may trigger the second delivery
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()

	if text := <-got; text != "first" {
		t.Fatalf("first delivery = %q", text)
	}
	o.enqueue(t, platform, "100", "second")
	d.Wake()
	if text := <-got; text != "second" {
		t.Fatalf("delivery after Wake = %q", text)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run = %v, want nil", err)
	}
}

func TestBackoff(t *testing.T) {
	tests := []struct {
		attempt int
		max     time.Duration
	}{
		{0, 2 * time.Second},
		{1, 4 * time.Second},
		{2, 8 * time.Second},
		{5, 64 * time.Second},
		{9, 1024 * time.Second},
		{10, 30 * time.Minute}, // 2048 s capped
		{11, 30 * time.Minute},
		{100, 30 * time.Minute},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.attempt), func(t *testing.T) {
			lo, hi := time.Duration(1<<62), time.Duration(0)
			for range 500 {
				b := outbox.Backoff(tt.attempt)
				if b < tt.max/2 || b > tt.max {
					t.Fatalf("Backoff(%d) = %v, want within [%v, %v]", tt.attempt, b, tt.max/2, tt.max)
				}
				lo, hi = min(lo, b), max(hi, b)
			}
			if hi-lo < tt.max/10 { // jitter really spreads retries
				t.Errorf("Backoff(%d) spread only %v..%v over 500 draws", tt.attempt, lo, hi)
			}
		})
	}
}

// TestDispatcherRunHonoursPauseOnWake: after a 429, a Wake (a new message was queued) does not
// start a pass before the pause the platform asked for is over.
func TestDispatcherRunHonoursPauseOnWake(t *testing.T) {
	o := newOutbox(t)
	o.db.Now = time.Now // real time: Run's timer is real
	o.enqueue(t, platform, "100", "first")
	const pause = 300 * time.Millisecond
	type call struct {
		text string
		at   time.Time
	}
	got := make(chan call, 10)
	s := &fakeSender{Fn: func(n int, _ string, msg store.OutMessage) error {
		got <- call{msg.Text, time.Now()}
		if n == 0 {
			return &outbox.SendError{RetryAfter: pause, Err: errors.New("429 too many requests")}
		}
		return nil
	}}
	d := outbox.NewDispatcher(slog.New(slog.NewTextHandler(io.Discard, nil)), o.db, platform, s)
	d.Idle = time.Hour
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()

	first := <-got
	o.enqueue(t, platform, "200", "second")
	d.Wake()
	next := <-got
	if wait := next.at.Sub(first.at); wait < pause {
		t.Errorf("%q sent %v after a 429 asking for %v", next.text, wait, pause)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run = %v", err)
	}
}

// TestDispatcherKeepsChatOrderAcrossRetries: when a chat's first message fails, its later
// messages wait for it, in the same pass and in later ones, so the chat receives them in order.
func TestDispatcherKeepsChatOrderAcrossRetries(t *testing.T) {
	o := newOutbox(t)
	o.enqueue(t, platform, "100", "first", "second", "third")
	s := &fakeSender{Fn: func(n int, _ string, _ store.OutMessage) error {
		if n == 0 {
			return errors.New("connection reset")
		}
		return nil
	}}
	d := o.dispatcher(s)
	runOnce(t, d)
	if n := len(s.Calls()); n != 1 {
		t.Fatalf("after the first message failed, %d sends were made; the rest must wait", n)
	}
	runOnce(t, d) // the first is not due yet, so nothing of this chat may go
	if n := len(s.Calls()); n != 1 {
		t.Fatalf("later messages overtook the retrying one: %d sends", n)
	}
	o.clock.Add(5 * time.Second)
	runOnce(t, d)
	var got []string
	for _, c := range s.Calls() {
		got = append(got, c.Text)
	}
	if want := []string{"first", "first", "second", "third"}; !slices.Equal(got, want) {
		t.Errorf("sent %q, want %q", got, want)
	}
}
