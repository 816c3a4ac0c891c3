package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"xuncha/internal/syncbuf"
)

// guess sends one wrong query code from a fresh browser (a new cookie jar: a new chat) and
// returns the answer's text.
func guess(base string, n int64) (string, error) {
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 30 * time.Second}
	code := fmt.Sprintf("%016d", 1000000000000000+n)
	body, _ := json.Marshal(map[string]string{"id": fmt.Sprintf("guess-%08d", n), "text": "/query " + code})
	res, err := c.Post(base+"api/send", "application/json", bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return "", fmt.Errorf("send: %s", res.Status)
	}
	res, err = c.Get(base + "api/messages?after=0")
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	var a struct {
		Messages []webMsg `json:"messages"`
	}
	if err := json.NewDecoder(res.Body).Decode(&a); err != nil {
		return "", err
	}
	return texts(a.Messages), nil
}

// guessFlood sends wrong codes from fresh browsers with `workers` at a time, for d or until
// max guesses, and counts the answers: checked (the code was looked up and not found), busy
// (the global budget was spent, not checked) and anything else.
func guessFlood(t *testing.T, base string, workers int, d time.Duration, max int64) (checked, busy, other int64, elapsed time.Duration) {
	t.Helper()
	var seq, nChecked, nBusy, nOther atomic.Int64
	var firstErr atomic.Value
	start := time.Now()
	deadline := start.Add(d)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for time.Now().Before(deadline) {
				n := seq.Add(1)
				if n > max {
					return
				}
				text, err := guess(base, n)
				switch {
				case err != nil:
					firstErr.CompareAndSwap(nil, err)
					return
				case strings.Contains(text, "没有找到"):
					nChecked.Add(1)
				case strings.Contains(text, "此刻有太多查询码"):
					nBusy.Add(1)
				default:
					nOther.Add(1)
				}
			}
		})
	}
	wg.Wait()
	if err, _ := firstErr.Load().(error); err != nil {
		t.Fatalf("guess: %v", err)
	}
	return nChecked.Load(), nBusy.Load(), nOther.Load(), time.Since(start)
}

// TestAbuseGuessBudget runs the real program: wrong query codes from fresh web-chat cookies,
// eight at a time, are checked only as fast as the global budget allows (a burst of 10, then
// one a second); the others are answered politely without being checked, and the audit log
// stays small.
func TestAbuseGuessBudget(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "x.db")
	env := testEnv("XUNCHA_DB", dbPath, "XUNCHA_GUESS_RATE", "60", "XUNCHA_GUESS_BURST", "10")
	srv := startServer(t, env, &syncbuf.Buffer{})

	const guesses = 200
	checked, busy, other, elapsed := guessFlood(t, srv.url, 8, time.Minute, guesses)
	t.Logf("%d wrong codes from fresh cookies in %v: %d checked, %d refused unchecked", guesses, elapsed, checked, busy)
	if other != 0 || checked+busy != guesses {
		t.Fatalf("answers: %d checked, %d busy, %d other; want %d in all", checked, busy, other, guesses)
	}
	// The burst, plus one a second of the flood, plus one for a second begun.
	if allowed := 10 + int64(elapsed.Seconds()) + 1; checked > allowed {
		t.Errorf("%d wrong codes checked in %v; the budget allows %d", checked, elapsed, allowed)
	}
	if n := countRows(t, dbPath, `SELECT COUNT(*) FROM code_attempts`); int64(n) != checked {
		t.Errorf("code attempts recorded: %d, checked %d", n, checked)
	}
	if n := countRows(t, dbPath, `SELECT COUNT(*) FROM audit`); n > 25 {
		t.Errorf("%d wrong codes wrote %d audit rows", guesses, n)
	}
}

// TestGuessRateConfig: a budget above the century bound, or none, is refused by name.
func TestGuessRateConfig(t *testing.T) {
	for _, v := range []string{"5000", "0", "-1"} {
		env := testEnv("XUNCHA_DB", filepath.Join(t.TempDir(), "x.db"), "XUNCHA_GUESS_RATE", v)
		var out, errb bytes.Buffer
		// Refused at start; a server that starts anyway is stopped after a while.
		ctx, cancel := context.WithTimeout(t.Context(), 3*time.Second)
		err := run(ctx, []string{"xuncha", "serve", "--addr", "127.0.0.1:0"}, env, strings.NewReader(""), &out, &errb)
		if err == nil || !strings.Contains(err.Error(), "XUNCHA_GUESS_RATE") {
			t.Errorf("XUNCHA_GUESS_RATE=%s: %v", v, err)
		}
		cancel()
	}
}

// TestMeasureGuessRate measures the wrong query codes an attacker gets checked per second with
// fresh web-chat cookies, with the default budget, for BENCHMARKS.md. It runs only when asked:
//
//	XUNCHA_MEASURE_GUESSES=10s go test -count=1 -run TestMeasureGuessRate -v .
func TestMeasureGuessRate(t *testing.T) {
	d, err := time.ParseDuration(os.Getenv("XUNCHA_MEASURE_GUESSES"))
	if err != nil {
		t.Skip("set XUNCHA_MEASURE_GUESSES to a duration to measure")
	}
	dbPath := filepath.Join(t.TempDir(), "x.db")
	srv := startServer(t, testEnv("XUNCHA_DB", dbPath), &syncbuf.Buffer{})
	checked, busy, other, elapsed := guessFlood(t, srv.url, 16, d, 1<<40)
	s := elapsed.Seconds()
	t.Logf("16 workers, fresh cookie per guess, %.1f s: %.0f guesses/s sent, %.1f wrong codes/s checked, %.0f/s refused unchecked, %d other; audit rows %d",
		s, float64(checked+busy+other)/s, float64(checked)/s, float64(busy)/s, other, countRows(t, dbPath, `SELECT COUNT(*) FROM audit`))
}
