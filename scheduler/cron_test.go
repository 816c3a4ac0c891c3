package scheduler

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"xuncha/internal/syncbuf"
	"xuncha/store"
)

// nopStore satisfies Store for the wiring test, which replaces the jobs.
type nopStore struct{}

func (nopStore) Update(context.Context, func(*store.Tx) error) error { return nil }
func (nopStore) LadderDue(context.Context, time.Time, store.LadderCursor, int) ([]store.LadderCursor, error) {
	return nil, nil
}
func (nopStore) ChannelState(context.Context, string) (string, error) { return "", nil }
func (nopStore) View(context.Context, func(*store.Tx) error) error    { return nil }

var _ Store = nopStore{}

// TestCronWiring runs the real cron wiring on synctest's virtual clock: three virtual days of
// a 09:00 Asia/Shanghai job run three times (plus the catch-up run at start), instantly; a
// panicking job is recovered and keeps its schedule (Skip before Recover).
func TestCronWiring(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		logs := &syncbuf.Buffer{}
		cal, err := NewCalendar(slog.New(slog.DiscardHandler), shanghai, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		s, err := New(slog.New(slog.NewJSONHandler(logs, nil)), nopStore{}, cal, Config{
			Location: shanghai,
			Specs:    map[string]string{JobLadder: "0 9 * * *", JobReview: "30 9 * * *"},
		})
		if err != nil {
			t.Fatal(err)
		}
		var (
			mu     sync.Mutex
			ticks  []time.Time
			panics int
		)
		s.jobs = map[string]func(context.Context, time.Time) error{
			JobLadder: func(_ context.Context, now time.Time) error {
				mu.Lock()
				defer mu.Unlock()
				ticks = append(ticks, now)
				return nil
			},
			JobReview: func(_ context.Context, now time.Time) error {
				mu.Lock()
				panics++
				mu.Unlock()
				panic("boom")
			},
		}
		// The bubble's clock starts at 2000-01-01 00:00 UTC, 08:00 in Shanghai.
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		if err := s.Start(ctx); err != nil {
			t.Fatal(err)
		}
		time.Sleep(72 * time.Hour)
		synctest.Wait()
		<-s.Stop().Done()

		mu.Lock()
		defer mu.Unlock()
		// The catch-up run at start, then 09:00 on Jan 1, 2 and 3.
		if len(ticks) != 4 {
			t.Fatalf("ran %d times: %v", len(ticks), ticks)
		}
		for i, tick := range ticks[1:] {
			want := time.Date(2000, 1, 1+i, 9, 0, 0, 0, shanghai)
			if !tick.Equal(want) {
				t.Errorf("run %d at %s, want %s", i+1, tick.In(shanghai), want)
			}
		}
		if panics != 4 {
			t.Errorf("panicking job ran %d times, want 4 (catch-up + 3 days)", panics)
		}
		if !strings.Contains(logs.String(), "cron panic") {
			t.Errorf("panic not logged: %s", logs.String())
		}
	})
}

// TestEveryJobIsCaughtUp: every job of the table runs once at start, in the table's order,
// and has a default spec; a job added to the table cannot be left out of either.
func TestEveryJobIsCaughtUp(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cal, err := NewCalendar(slog.New(slog.DiscardHandler), shanghai, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		s, err := New(slog.New(slog.DiscardHandler), nopStore{}, cal, Config{
			Location: shanghai,
			Purge:    func(context.Context, time.Time) error { return nil },
		})
		if err != nil {
			t.Fatal(err)
		}
		var (
			mu  sync.Mutex
			ran []string
		)
		s.jobs = map[string]func(context.Context, time.Time) error{}
		for name := range s.Jobs() {
			s.jobs[name] = func(context.Context, time.Time) error {
				mu.Lock()
				defer mu.Unlock()
				ran = append(ran, name)
				return nil
			}
		}
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		if err := s.Start(ctx); err != nil {
			t.Fatal(err)
		}
		synctest.Wait() // the catch-up pass; the bubble's clock has not moved, so no tick
		<-s.Stop().Done()
		var want []string
		for _, j := range jobTable() {
			want = append(want, j.name)
			if s.cfg.Specs[j.name] == "" {
				t.Errorf("job %s has no spec", j.name)
			}
		}
		mu.Lock()
		defer mu.Unlock()
		if strings.Join(ran, ",") != strings.Join(want, ",") {
			t.Errorf("caught up %v, want %v", ran, want)
		}
	})
}
