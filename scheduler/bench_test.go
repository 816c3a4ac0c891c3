package scheduler

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"

	"xuncha/store"
)

// BenchmarkEscalationScan runs the escalation job over a ledger of 1,000,000 open clues whose
// deadlines are spread over the next 1,000 days (built in one transaction with one prepared
// statement). "first" is the first run, which owes the nudge to every clue inside the 10
// working-day window (about 1.7%); "steady" is every later tick of the same day, which finds
// those done and nothing new. Both report time and memory per scan.
//
//	go test -run '^$' -bench BenchmarkEscalationScan -benchmem ./scheduler/
func BenchmarkEscalationScan(b *testing.B) {
	const clues = 1_000_000
	f := newFixture(b, Config{Ladder: LadderConfig{NudgeBefore: 10, SupervisionAfter: 20}})
	now := f.set(at(2026, 3, 2, 9, 0))
	f.places(store.PlaceRow{Township: "新站镇"})
	tw, _ := f.place("新站镇", "")
	for i := range 10 {
		f.person(store.RoleUnit, 0, 0, fmt.Sprintf("单位%d", i), fmt.Sprint(900+i))
	}
	start := time.Now()
	tx, err := f.raw.Begin()
	if err != nil {
		b.Fatal(err)
	}
	stmt, err := tx.Prepare(`INSERT INTO clues (number, source, title, township_id, status, unit, received_at, due_at, updated_at)
		VALUES (?, 'inspection', '', ?, 'handling', ?, ?, ?, ?)`)
	if err != nil {
		b.Fatal(err)
	}
	for i := range clues {
		due := now.Add(time.Duration(i%1000)*24*time.Hour + time.Duration(i/1000)*time.Minute).Unix()
		if _, err := stmt.Exec(fmt.Sprintf("B-%07d", i), tw, fmt.Sprintf("单位%d", i%10), now.Unix(), due, now.Unix()); err != nil {
			b.Fatal(err)
		}
	}
	stmt.Close()
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	b.Logf("built %d clues in %s", clues, time.Since(start).Round(time.Millisecond))
	ctx := context.Background()

	b.Run("first", func(b *testing.B) {
		var ms0, ms1 runtime.MemStats
		runtime.ReadMemStats(&ms0)
		t0 := time.Now()
		if err := f.s.Escalate(ctx, now); err != nil {
			b.Fatal(err)
		}
		took := time.Since(t0)
		runtime.ReadMemStats(&ms1)
		steps := f.count(`SELECT COUNT(*) FROM clue_ladder`)
		for b.Loop() {
			// The run above is the measurement: there is only one first run. (Metrics are
			// reported after the loop, which resets them.)
		}
		b.ReportMetric(float64(took.Milliseconds()), "ms/scan")
		b.ReportMetric(float64(steps), "steps")
		b.ReportMetric(float64(ms1.TotalAlloc-ms0.TotalAlloc)/(1<<20), "MB-alloc/scan")
	})
	b.Run("steady", func(b *testing.B) {
		for b.Loop() {
			if err := f.s.Escalate(ctx, now.Add(time.Minute)); err != nil {
				b.Fatal(err)
			}
		}
	})
}
