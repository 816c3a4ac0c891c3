package scheduler

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"xuncha/handlers"
	"xuncha/internal/ledgergen"
	"xuncha/store"
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
			t0, cpu0 := time.Now(), processCPU()
			if err := f.s.Escalate(ctx, now); err != nil {
				b.Fatal(err)
			}
			first, firstCPU := time.Since(t0), processCPU()-cpu0
			runtime.ReadMemStats(&ms1)
			// The store copies the pass's log into the file once writes pause, off the pass
			// (store/checkpoint.go): what that costs, measured here at once.
			t2, cpu2 := time.Now(), processCPU()
			if _, err := f.raw.Exec(`PRAGMA wal_checkpoint(PASSIVE)`); err != nil {
				b.Fatal(err)
			}
			ckpt, ckptCPU := time.Since(t2), processCPU()-cpu2
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
			// The process's CPU time in the pass: on a shared machine the wall time above
			// moves with the neighbours' load, this much less.
			b.ReportMetric(float64(firstCPU.Microseconds())/1000, "ms-cpu/first-pass")
			b.ReportMetric(float64(steady.Microseconds())/1000, "ms/steady-pass")
			b.ReportMetric(float64(ckpt.Microseconds())/1000, "ms/checkpoint-after")
			b.ReportMetric(float64(ckptCPU.Microseconds())/1000, "ms-cpu/checkpoint-after")
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
			t0, cpu0 := time.Now(), processCPU()
			if err := f.s.MonthlyReview(context.Background(), now); err != nil {
				b.Fatal(err)
			}
			took, cpu := time.Since(t0), processCPU()-cpu0
			for b.Loop() {
			}
			b.ReportMetric(float64(took.Microseconds())/1000, "ms/review")
			// As for the escalation pass: the wall time above is the neighbours' as much as ours.
			b.ReportMetric(float64(cpu.Microseconds())/1000, "ms-cpu/review")
			b.ReportMetric(peakRSS(), "MB-peak-RSS")
			b.ReportMetric(float64(f.count(`SELECT COUNT(*) FROM outbox`)), "messages")
		})
	}
}

// BenchmarkResidentStepDuringEscalation: ten residents file reports through the engine (web
// chat, the whole conversation: category, place, subject, description, identity, submit)
// while the first escalation pass runs on the 100,000-clue ledger, and again with no pass
// ("alone", the same run's baseline). It reports each step's p50 and p99, and the pass's time
// with the residents beside it.
//
//	go test -run '^$' -bench 'BenchmarkResidentStepDuringEscalation' -benchtime 1x ./scheduler/
func BenchmarkResidentStepDuringEscalation(b *testing.B) {
	f, now := ledgerFixture(b, 100_000)
	cats, err := handlers.LoadCategories("")
	if err != nil {
		b.Fatal(err)
	}
	e := handlers.New(slog.New(slog.DiscardHandler), f.db, handlers.Config{Categories: cats, Location: shanghai})
	tw, village := f.place("镇01", "镇01村1")
	ctx := context.Background()
	seq := 0
	var mu sync.Mutex
	// residents runs ten residents, each filing reports one after the other until stop is
	// closed (and at least min reports each), and returns every step's latency.
	residents := func(stop <-chan struct{}, min int) []time.Duration {
		var lat []time.Duration
		var wg sync.WaitGroup
		for r := range 10 {
			wg.Go(func() {
				for n := 0; ; n++ {
					select {
					case <-stop:
						if n >= min {
							return
						}
					default:
					}
					chat := fmt.Sprintf("resident-%d-%d", r, n)
					for _, m := range []handlers.Message{{Text: "/report"}, {Data: "c:interests"}, {Data: fmt.Sprintf("t:%d", tw)},
						{Data: fmt.Sprintf("v:%d", village)}, {Text: fmt.Sprintf("镇01村1村委会干部%d号", r*1000+n)},
						{Text: "2024年3月，村委会把低保名额分给了不符合条件的亲属，涉及3户，每户每月500元。"},
						{Data: "done"}, {Data: "id:anon"}, {Data: "link:keep"}, {Data: "ok"}} {
						mu.Lock()
						seq++
						m.Platform, m.ChatID, m.MsgID = handlers.PlatformWeb, chat, fmt.Sprint("m", seq)
						mu.Unlock()
						t0 := time.Now()
						if _, err := e.Handle(ctx, m); err != nil {
							b.Error(err)
							return
						}
						d := time.Since(t0)
						mu.Lock()
						lat = append(lat, d)
						mu.Unlock()
					}
				}
			})
		}
		wg.Wait()
		return lat
	}
	stop := make(chan struct{})
	var pass time.Duration
	go func() {
		defer close(stop)
		t0 := time.Now()
		if err := f.s.Escalate(ctx, now); err != nil {
			b.Error(err)
		}
		pass = time.Since(t0)
	}()
	during := residents(stop, 3)
	closed := make(chan struct{})
	close(closed)
	alone := residents(closed, 3)
	for b.Loop() {
	}
	pct := func(lat []time.Duration, p float64) float64 {
		slices.Sort(lat)
		return float64(lat[int(float64(len(lat)-1)*p)].Microseconds()) / 1000
	}
	b.ReportMetric(float64(pass.Microseconds())/1000, "ms/pass")
	b.ReportMetric(float64(len(during)), "steps-during")
	b.ReportMetric(pct(during, 0.50), "ms-p50-during")
	b.ReportMetric(pct(during, 0.99), "ms-p99-during")
	b.ReportMetric(pct(alone, 0.50), "ms-p50-alone")
	b.ReportMetric(pct(alone, 0.99), "ms-p99-alone")
}

// BenchmarkDiskPerReport files 1,000 reports through the web chat on the 10,000-clue ledger
// (the whole conversation, as in BenchmarkResidentStepDuringEscalation), delivers every
// message (the web chat's by its browser's ack, the officials' Telegram notices through claim
// and mark), runs the nightly purge two days later (no retention periods set: only the 48-hour
// delivery records and delivered bodies go), and reports what the file grew by per 1,000
// reports, and the outbox's part of it (dbstat).
//
//	go test -run '^$' -bench 'BenchmarkDiskPerReport' -benchtime 1x ./scheduler/
func BenchmarkDiskPerReport(b *testing.B) {
	f, now := ledgerFixture(b, 10_000)
	cats, err := handlers.LoadCategories("")
	if err != nil {
		b.Fatal(err)
	}
	e := handlers.New(slog.New(slog.DiscardHandler), f.db, handlers.Config{Categories: cats, Location: shanghai})
	tw, village := f.place("镇01", "镇01村1")
	ctx := context.Background()
	size := func() (total, outbox float64) {
		if _, err := f.raw.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
			b.Fatal(err)
		}
		var used, ob int64
		if err := f.raw.QueryRow(`SELECT (SELECT page_count FROM pragma_page_count()) - (SELECT freelist_count FROM pragma_freelist_count()),
			(SELECT IFNULL(SUM(pgsize), 0) FROM dbstat WHERE name = 'outbox' OR name LIKE 'outbox_%' OR name = 'sqlite_autoindex_outbox_1')`).Scan(&used, &ob); err != nil {
			b.Fatal(err)
		}
		var page int64
		if err := f.raw.QueryRow(`PRAGMA page_size`).Scan(&page); err != nil {
			b.Fatal(err)
		}
		return float64(used * page), float64(ob)
	}
	total0, outbox0 := size()
	const reports = 1000
	for n := range reports {
		chat := fmt.Sprintf("web-reporter-%d", n)
		for i, m := range []handlers.Message{{Text: "/report"}, {Data: "c:interests"}, {Data: fmt.Sprintf("t:%d", tw)},
			{Data: fmt.Sprintf("v:%d", village)}, {Text: fmt.Sprintf("镇01村1村委会干部%d号", n)},
			{Text: "2024年3月，村委会把低保名额分给了不符合条件的亲属，涉及3户，每户每月500元。"},
			{Data: "done"}, {Data: "id:anon"}, {Data: "link:keep"}, {Data: "ok"}} {
			m.Platform, m.ChatID, m.MsgID = handlers.PlatformWeb, chat, fmt.Sprintf("%s-%d", chat, i)
			res, err := e.Handle(ctx, m)
			if err != nil {
				b.Fatal(err)
			}
			// The browser fetches its answers and acknowledges them.
			if box, err := f.db.Mailbox(ctx, res.ChatID, 0, 100); err != nil {
				b.Fatal(err)
			} else if len(box) > 0 {
				if err := f.db.AckMailbox(ctx, res.ChatID, box[len(box)-1].ID); err != nil {
					b.Fatal(err)
				}
			}
		}
	}
	// The officials' notices go out on Telegram.
	for {
		d, err := f.db.ClaimDue(ctx, "telegram", time.Minute, 500)
		if err != nil {
			b.Fatal(err)
		}
		if len(d) == 0 {
			break
		}
		ids := make([]int64, len(d))
		for i := range d {
			ids[i] = d[i].ID
		}
		if err := f.db.MarkSent(ctx, ids...); err != nil {
			b.Fatal(err)
		}
	}
	f.set(now.Add(49 * time.Hour))
	if _, err := f.db.Purge(ctx, store.Retention{}, "bench", false); err != nil {
		b.Fatal(err)
	}
	total1, outbox1 := size()
	for b.Loop() {
	}
	b.ReportMetric((total1-total0)/reports*1000/1e6, "MB-per-1000-reports")
	b.ReportMetric((outbox1-outbox0)/reports*1000/1e6, "MB-outbox-per-1000-reports")
	b.ReportMetric(float64(f.count(`SELECT COUNT(*) FROM outbox`)), "outbox-rows")
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
