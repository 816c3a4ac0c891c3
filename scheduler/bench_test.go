package scheduler

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"xuncha/internal/ledgergen"
	"xuncha/store/storetest"
)

// ledgerSizes are the realistic ledgers the scheduler's benchmarks run on: 10,000 and 100,000
// clues, and 1,000,000 when XUNCHA_BENCH_1M=1 (the first build of that one takes minutes; it
// is cached under os.TempDir for later runs).
func ledgerSizes() []int {
	sizes := []int{10_000, 100_000}
	if os.Getenv("XUNCHA_BENCH_1M") == "1" {
		sizes = append(sizes, 1_000_000)
	}
	return sizes
}

// ledgerFixture copies the cached realistic ledger of n clues and opens it with a scheduler,
// as a process starting on it would, with the clock at the ledger's Now.
func ledgerFixture(b *testing.B, n int) (*fixture, time.Time) {
	b.Helper()
	now := ledgergen.DefaultNow()
	path := ledgergen.Copy(b, ledgergen.Spec{Clues: n, Now: now, Key: storetest.Key})
	f := newFixtureAt(b, Config{Ladder: LadderConfig{NudgeBefore: ledgergen.NudgeBefore, SupervisionAfter: ledgergen.SupervisionAfter}}, path)
	f.set(now)
	return f, now
}

// BenchmarkEscalation runs the escalation pass on realistic ledgers (internal/ledgergen:
// overdue clues, letters already issued, held clues; the ladder as the previous working day's
// pass left it). "first" is the first pass of a process just started on the ledger: it owes
// the day's steps. "steady" is a later tick of the same day, which owes nothing. Each reports
// its time, the steps it took, the memory it allocated and the process's peak RSS after it.
//
//	go test -run '^$' -bench 'BenchmarkEscalation$' -benchtime 1x ./scheduler/
//	XUNCHA_BENCH_1M=1 go test -run '^$' -bench 'BenchmarkEscalation$/clues=1000000' -benchtime 1x -timeout 30m ./scheduler/
func BenchmarkEscalation(b *testing.B) {
	for _, n := range ledgerSizes() {
		b.Run(fmt.Sprintf("clues=%d", n), func(b *testing.B) {
			f, now := ledgerFixture(b, n)
			ctx := context.Background()
			letters0 := f.count(`SELECT COUNT(*) FROM clue_letters`)
			queued0 := f.count(`SELECT COUNT(*) FROM outbox`)
			var ms0, ms1 runtime.MemStats
			runtime.ReadMemStats(&ms0)
			t0 := time.Now()
			if err := f.s.Escalate(ctx, now); err != nil {
				b.Fatal(err)
			}
			first := time.Since(t0)
			runtime.ReadMemStats(&ms1)
			t1 := time.Now()
			if err := f.s.Escalate(ctx, now.Add(time.Minute)); err != nil {
				b.Fatal(err)
			}
			steady := time.Since(t1)
			for b.Loop() {
				// The passes above are the measurement: a process has one first pass. (Metrics
				// are reported after the loop, which resets them.)
			}
			b.ReportMetric(float64(first.Microseconds())/1000, "ms/first-pass")
			b.ReportMetric(float64(steady.Microseconds())/1000, "ms/steady-pass")
			b.ReportMetric(float64(f.count(`SELECT COUNT(*) FROM clue_letters`)-letters0), "letters")
			b.ReportMetric(float64(f.count(`SELECT COUNT(*) FROM outbox`)-queued0), "messages")
			b.ReportMetric(float64(ms1.TotalAlloc-ms0.TotalAlloc)/(1<<20), "MB-alloc/first")
			b.ReportMetric(peakRSS(), "MB-peak-RSS")
		})
	}
}

// BenchmarkMonthlyReview queues the monthly review digests on realistic ledgers.
//
//	go test -run '^$' -bench 'BenchmarkMonthlyReview$' -benchtime 1x ./scheduler/
func BenchmarkMonthlyReview(b *testing.B) {
	for _, n := range ledgerSizes() {
		b.Run(fmt.Sprintf("clues=%d", n), func(b *testing.B) {
			f, now := ledgerFixture(b, n)
			t0 := time.Now()
			if err := f.s.MonthlyReview(context.Background(), now); err != nil {
				b.Fatal(err)
			}
			took := time.Since(t0)
			for b.Loop() {
			}
			b.ReportMetric(float64(took.Microseconds())/1000, "ms/review")
			b.ReportMetric(float64(f.count(`SELECT COUNT(*) FROM outbox`)), "messages")
		})
	}
}

// peakRSS is the process's peak resident set (VmHWM) in MB, or 0 where /proc is missing.
func peakRSS() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
			return float64(kb) / 1024
		}
	}
	return 0
}
