package scheduler

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"xuncha/outbox"
	"xuncha/store"
)

// recordingSender stands in for a platform: it counts what each chat received and can stop
// its dispatcher after a number of sends, as a kill in the middle of a broadcast would.
type recordingSender struct {
	mu     sync.Mutex
	got    map[string][]string
	sends  int
	stopAt int
	stop   context.CancelFunc
}

var _ outbox.Sender = (*recordingSender)(nil)

func (r *recordingSender) Send(_ context.Context, to string, msg store.OutMessage) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.got == nil {
		r.got = map[string][]string{}
	}
	r.got[to] = append(r.got[to], msg.Text)
	r.sends++
	if r.stop != nil && r.sends == r.stopAt {
		r.stop()
	}
	return nil
}

// deliver runs a dispatcher over the outbox until it is empty or the sender stops it.
func (f *fixture) deliver(r *recordingSender, stopAt int) {
	f.t.Helper()
	d := outbox.NewDispatcher(f.log, f.db, "telegram", r)
	d.Now = f.clock
	stop, cancel := context.WithCancel(context.Background())
	defer cancel()
	r.mu.Lock()
	r.stopAt, r.stop = r.sends+stopAt, cancel
	r.mu.Unlock()
	for stop.Err() == nil {
		before := r.count()
		if _, err := d.RunOnce(context.Background(), stop); err != nil {
			f.t.Fatal(err)
		}
		if r.count() == before {
			return
		}
	}
}

func (r *recordingSender) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.sends
}

// TestRestart stops the process in the middle of a 1,000-subscriber announcement — first
// between two queued batches, then in the middle of delivery — and during a ladder step, then
// restarts it later: every subscriber gets exactly one copy of each message, and what fell due
// while it was down goes out once.
func TestRestart(t *testing.T) {
	f := newFixture(t, Config{Batch: 250, Ladder: LadderConfig{NudgeBefore: 3, SupervisionAfter: 5}})
	f.set(at(2026, 11, 2, 8, 0))
	f.places(store.PlaceRow{Township: "新站镇", Village: "东风村", Class: "general"}, store.PlaceRow{Township: "天岗镇"})
	tw, vil := f.place("新站镇", "东风村")
	tw2, _ := f.place("天岗镇", "")
	ctx := context.Background()
	// 1,000 subscribers of the covered area (half the village, half the whole township) and
	// 50 of another township, who must get nothing.
	f.update(func(tx *store.Tx) error {
		for i := range 1050 {
			c, err := tx.EnsureChat("telegram", strconv.Itoa(10000+i), "zh", false)
			if err != nil {
				return err
			}
			switch {
			case i >= 1000:
				err = tx.Subscribe(c.ID, tw2, 0)
			case i%2 == 0:
				err = tx.Subscribe(c.ID, tw, vil)
			default:
				err = tx.Subscribe(c.ID, tw, 0)
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
	a := &store.Announcement{
		Title: "十五届市委第五轮巡察", Body: "巡察组进驻，受理反映。", Contact: "电话 0432-0000000（工作日 8:30–12:00，14:30–18:00）",
		PublishAt: at(2026, 11, 2, 9, 0), OpenAt: at(2026, 11, 2, 9, 0), CloseAt: at(2026, 12, 12, 18, 0), RemindDays: 3,
		Areas: []store.Area{{TownshipID: tw, VillageID: vil}},
	}
	if err := f.db.CreateAnnouncement(ctx, a); err != nil {
		t.Fatal(err)
	}
	// A clue whose ladder step will be interrupted, and one that falls due during downtime.
	f.places(store.PlaceRow{Township: "新站镇"})
	_, unitChat := f.person(store.RoleUnit, 0, 0, "审计局", "700")
	interrupted := f.clue("R-1", "审计局", tw, 0, at(2026, 11, 13, 23, 59))
	duringDowntime := f.clue("R-2", "审计局", tw, 0, at(2026, 12, 4, 23, 59))

	// Publish time: the process dies after two of its four batches were committed.
	commits := 0
	crash := errors.New("killed")
	f.s.beforeCommit = func(job string) error {
		if job == JobAnnounce {
			if commits++; commits == 3 {
				return crash
			}
		}
		return nil
	}
	f.set(at(2026, 11, 2, 9, 0))
	if err := f.s.Announce(ctx, f.clock()); !errors.Is(err, crash) {
		t.Fatalf("announce: %v", err)
	}
	if n := f.count(`SELECT COUNT(*) FROM outbox`); n != 500 {
		t.Fatalf("%d rows queued before the crash, want 500", n)
	}
	// The dispatcher had started on them too, and is stopped after 300 sends.
	sender := &recordingSender{}
	f.deliver(sender, 300)
	if n := sender.count(); n != 300 {
		t.Fatalf("sent %d before the stop", n)
	}

	// Restart the same day: the announcement resumes, the outbox keeps going.
	f.restart()
	f.run(f.s.Announce, at(2026, 11, 2, 9, 5))
	f.run(f.s.Announce, at(2026, 11, 2, 9, 6)) // a second tick finds nothing to do
	f.deliver(sender, 1_000_000)

	// Ladder: nudge Nov 10; the reminder-letter step on Nov 16 dies before it commits.
	f.run(f.s.Escalate, at(2026, 11, 10, 9, 0))
	f.s.beforeCommit = func(job string) error {
		if job == JobLadder {
			return crash
		}
		return nil
	}
	f.set(at(2026, 11, 16, 9, 0))
	if err := f.s.Escalate(ctx, f.clock()); !errors.Is(err, crash) {
		t.Fatalf("escalate: %v", err)
	}
	if ev := f.events(interrupted); len(ev) != 0 {
		t.Fatalf("a rolled-back step left %v", ev)
	}
	f.deliver(sender, 1_000_000)

	// Down from Nov 16 to the morning of Dec 10: the window's reminder (Dec 9 18:00), clue
	// R-1's supervision letter (Nov 23) and clue R-2's deadline (Dec 4) all fell due meanwhile.
	f.restart()
	for _, now := range []time.Time{at(2026, 12, 10, 9, 0), at(2026, 12, 10, 9, 1)} {
		for _, job := range []func(context.Context, time.Time) error{f.s.Announce, f.s.Escalate} {
			f.run(job, now)
		}
		f.deliver(sender, 1_000_000)
	}

	// Every subscriber of the area: one announcement and one reminder; the others nothing.
	sender.mu.Lock()
	defer sender.mu.Unlock()
	for i := range 1050 {
		got := sender.got[strconv.Itoa(10000+i)]
		want := 2
		if i >= 1000 {
			want = 0
		}
		if len(got) != want {
			t.Fatalf("subscriber %d got %d messages: %q", i, len(got), got)
		}
	}
	// The unit: nudges for both clues... R-1's nudge (Nov 10), its reminder letter (Dec 10,
	// after the interrupted step) and no more; R-2 gets its reminder letter, not a stale nudge.
	unit := sender.got["700"]
	if ev := f.events(interrupted); len(ev) != 1 || ev[0] != "reminder_letter 提醒〔2026〕2号" && ev[0] != "reminder_letter 提醒〔2026〕1号" {
		t.Fatalf("R-1 timeline: %v", ev)
	}
	if ev := f.events(duringDowntime); len(ev) != 1 || ev[0][:15] != "reminder_letter" {
		t.Fatalf("R-2 timeline: %v", ev)
	}
	if len(unit) != 3 {
		t.Fatalf("unit got %d messages: %q", len(unit), unit)
	}
	if n := f.count(`SELECT COUNT(*) FROM outbox WHERE status <> 'sent'`); n != 0 {
		t.Fatalf("%d rows not sent", n)
	}
	_ = unitChat
	_ = fmt.Sprint
}
