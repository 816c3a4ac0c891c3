package bot

import (
	"fmt"
	"sync"
	"time"
)

// ChannelMetrics is what the channels report about incoming messages; main passes Prometheus
// counters. total counts what arrived, duplicates what was seen before (a redelivered webhook,
// a retried request), so total-duplicates is what was new. Labels are platform names only.
type ChannelMetrics interface {
	Received(platform string, total, duplicates int)
}

type nopMetrics struct{}

func (nopMetrics) Received(string, int, int) {}

// telegramFailLimit is how many failed calls in a row make the Telegram channel unhealthy. One
// failure is normal (a long poll cut by a proxy, a 502 from Telegram); three in a row, with
// the backoff between them, is an outage or a revoked token.
const telegramFailLimit = 3

// health tracks the calls of one kind a channel makes to its platform. It is safe for
// concurrent use and never blocks on the platform: /healthz reads it while calls are in flight.
type health struct {
	mu     sync.Mutex
	streak int       // failures since the last success
	since  time.Time // first failure of the streak
	what   string    // the failing call, for the reason shown by /healthz (no error text: it may hold secrets)
}

func (h *health) ok() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.streak = 0
}

func (h *health) fail(what string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.streak == 0 {
		h.since = time.Now()
	}
	h.streak++
	h.what = what
}

// err reports the streak once it reaches limit.
func (h *health) err(limit int) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.streak < limit {
		return nil
	}
	return fmt.Errorf("%s failed %d times in a row since %s", h.what, h.streak, h.since.UTC().Format(time.RFC3339))
}

// Healthy reports whether the channel reaches Telegram: nil unless the last few calls to
// receive updates (getUpdates, setWebhook) or to send all failed.
func (t *Telegram) Healthy() error {
	if err := t.recvHealth.err(telegramFailLimit); err != nil {
		return fmt.Errorf("telegram: %w", err)
	}
	if err := t.sendHealth.err(telegramFailLimit); err != nil {
		return fmt.Errorf("telegram: %w", err)
	}
	return nil
}

// Healthy reports whether the channel can call WeChat: nil unless the last access-token fetch
// failed (wrong WECHAT_APP_SECRET, server IP not on the account's allow-list, WeChat down).
// Receiving needs no call, so a channel that has not sent anything yet is healthy.
func (w *WeChat) Healthy() error {
	if err := w.api.tokenHealth.err(1); err != nil {
		return fmt.Errorf("wechat: %w", err)
	}
	return nil
}
