package main

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"xuncha/bot"
	"xuncha/handlers"
	"xuncha/outbox"
	"xuncha/scheduler"
	"xuncha/store"
)

// metrics holds serve's Prometheus collectors. They live on a registry of serve's own, not
// the library's global one, so two servers in one test process do not share counters. It
// implements the metrics interfaces that handlers, scheduler and bot declare. Every label
// value is a platform, job or result name: never a chat, a person or a text.
type metrics struct {
	reg *prometheus.Registry

	received, duplicates *prometheus.CounterVec // platform
	steps                *prometheus.CounterVec // platform, result
	sends                *prometheus.CounterVec // platform, result
	rateLimited          *prometheus.CounterVec // platform
	jobRuns              *prometheus.CounterVec // job, result
	jobLag, jobDuration  *prometheus.HistogramVec
	jobLastRun           *prometheus.GaugeVec // job
	ladderSteps          *prometheus.CounterVec
}

var (
	_ handlers.Metrics       = (*metrics)(nil)
	_ outbox.DispatchMetrics = (*metrics)(nil)
	_ scheduler.JobMetrics   = (*metrics)(nil)
	_ bot.ChannelMetrics     = (*metrics)(nil)
)

// outboxStatser is what the outbox collector needs from the store.
type outboxStatser interface {
	OutboxStats(ctx context.Context) (store.OutboxStats, error)
}

// newMetrics registers the collectors: the application's counters, the outbox gauges (read
// from the database at scrape time), and the Go runtime and process collectors.
func newMetrics(db outboxStatser) *metrics {
	const ns = "xuncha"
	m := &metrics{
		reg: prometheus.NewRegistry(),
		received: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "updates_received_total",
			Help: "Incoming messages and updates stored, by platform (duplicates included)."}, []string{"platform"}),
		duplicates: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "updates_deduplicated_total",
			Help: "Incoming messages dropped as already seen (redelivered webhooks, resent requests), by platform."}, []string{"platform"}),
		steps: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "steps_handled_total",
			Help: "Conversation steps run by the engine, by platform and result (ok, duplicate, error, panic)."}, []string{"platform", "result"}),
		sends: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "outbox_sends_total",
			Help: "Outbox delivery attempts, by platform and result (sent, retry, dead, uncertain, unreachable)."}, []string{"platform", "result"}),
		rateLimited: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "rate_limited_total",
			Help: "Sends the platform refused with 429 Too Many Requests, by platform."}, []string{"platform"}),
		jobRuns: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "scheduler_job_runs_total",
			Help: "Scheduled job runs, by job and result (ok, error)."}, []string{"job", "result"}),
		jobLag: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: ns, Name: "scheduler_job_lag_seconds",
			Help:    "Seconds between a cron tick's due time and its job starting (start-up catch-up runs are not observed).",
			Buckets: []float64{.001, .01, .1, 1, 10, 60, 600}}, []string{"job"}),
		jobDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: ns, Name: "scheduler_job_duration_seconds",
			Help: "Run time of scheduled jobs.", Buckets: prometheus.ExponentialBuckets(0.01, 4, 8)}, []string{"job"}),
		jobLastRun: prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: ns, Name: "scheduler_job_last_run_timestamp_seconds",
			Help: "Unix time a scheduled job last finished."}, []string{"job"}),
		ladderSteps: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "ladder_steps_total",
			Help: "Escalation ladder steps queued: nudges, reminder letters (提醒函), supervision letters (督办函)."}, []string{"step"}),
	}
	m.reg.MustRegister(m.received, m.duplicates, m.steps, m.sends, m.rateLimited,
		m.jobRuns, m.jobLag, m.jobDuration, m.jobLastRun, m.ladderSteps,
		newOutboxCollector(db),
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	// Series exist from the start at 0, so that rate() and alerts see the first increase.
	for _, p := range []string{handlers.PlatformWeb, handlers.PlatformTelegram, handlers.PlatformWeChat} {
		m.received.WithLabelValues(p)
		m.duplicates.WithLabelValues(p)
		for _, r := range []string{handlers.StepOK, handlers.StepDuplicate, handlers.StepError, handlers.StepPanic} {
			m.steps.WithLabelValues(p, r)
		}
		if p == handlers.PlatformWeb {
			continue // the web chat has no outbox sender: browsers poll their rows
		}
		m.rateLimited.WithLabelValues(p)
		for _, r := range []string{outbox.SendSent, outbox.SendRetry, outbox.SendDead, outbox.SendUncertain, outbox.SendUnreachable} {
			m.sends.WithLabelValues(p, r)
		}
	}
	for _, s := range []string{scheduler.StepNudge, scheduler.StepReminder, scheduler.StepSupervision} {
		m.ladderSteps.WithLabelValues(s)
	}
	return m
}

// Handler serves the registry in the Prometheus exposition format.
func (m *metrics) Handler(logger *slog.Logger) http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{
		ErrorLog:      slog.NewLogLogger(logger.Handler(), slog.LevelError),
		ErrorHandling: promhttp.ContinueOnError, // a failed outbox query must not hide the rest
		Registry:      m.reg,                    // promhttp's own request counters
	})
}

// StepHandled implements handlers.Metrics.
func (m *metrics) StepHandled(platform, result string) {
	m.steps.WithLabelValues(platform, result).Inc()
}

// Received implements bot.ChannelMetrics.
func (m *metrics) Received(platform string, total, duplicates int) {
	m.received.WithLabelValues(platform).Add(float64(total))
	m.duplicates.WithLabelValues(platform).Add(float64(duplicates))
}

// Sent implements outbox.DispatchMetrics.
func (m *metrics) Sent(platform, result string) { m.sends.WithLabelValues(platform, result).Inc() }

// RateLimited implements outbox.DispatchMetrics.
func (m *metrics) RateLimited(platform string) { m.rateLimited.WithLabelValues(platform).Inc() }

// JobRan implements scheduler.JobMetrics.
func (m *metrics) JobRan(job, result string, lag, took time.Duration) {
	m.jobRuns.WithLabelValues(job, result).Inc()
	m.jobDuration.WithLabelValues(job).Observe(took.Seconds())
	m.jobLastRun.WithLabelValues(job).SetToCurrentTime()
	if lag > 0 {
		m.jobLag.WithLabelValues(job).Observe(lag.Seconds())
	}
}

// LadderSteps implements scheduler.JobMetrics.
func (m *metrics) LadderSteps(step string, n int) {
	m.ladderSteps.WithLabelValues(step).Add(float64(n))
}

// channelHealth exports a channel's Healthy as a 0/1 gauge.
func (m *metrics) channelHealth(platform string, healthy func() error) {
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Namespace: "xuncha", Name: "channel_healthy", ConstLabels: prometheus.Labels{"platform": platform},
		Help: "1 when the channel reaches its platform (see /healthz), 0 otherwise.",
	}, func() float64 {
		if healthy() != nil {
			return 0
		}
		return 1
	}))
}

// outboxCollector reads the outbox's depth when scraped, so the numbers include rows queued by
// other processes (the CLI) and are never stale.
type outboxCollector struct {
	db                                  outboxStatser
	pending, dead, undeliverable, since *prometheus.Desc
}

func newOutboxCollector(db outboxStatser) *outboxCollector {
	return &outboxCollector{
		db:            db,
		pending:       prometheus.NewDesc("xuncha_outbox_pending", "Messages waiting in the outbox, all platforms.", nil, nil),
		dead:          prometheus.NewDesc("xuncha_outbox_dead", "Messages given up (refused, unreachable, too many attempts).", nil, nil),
		undeliverable: prometheus.NewDesc("xuncha_outbox_undeliverable", "Dead messages no allowed means could deliver (WeChat outside its window, no template).", nil, nil),
		since:         prometheus.NewDesc("xuncha_outbox_oldest_pending_age_seconds", "Age of the oldest pending message; 0 when none is pending.", nil, nil),
	}
}

// Describe implements prometheus.Collector.
func (c *outboxCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.pending
	ch <- c.dead
	ch <- c.undeliverable
	ch <- c.since
}

// Collect implements prometheus.Collector.
func (c *outboxCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s, err := c.db.OutboxStats(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(c.pending, err)
		return
	}
	age := 0.0
	if !s.OldestPending.IsZero() {
		age = max(time.Since(s.OldestPending).Seconds(), 0)
	}
	ch <- prometheus.MustNewConstMetric(c.pending, prometheus.GaugeValue, float64(s.Pending))
	ch <- prometheus.MustNewConstMetric(c.dead, prometheus.GaugeValue, float64(s.Dead))
	ch <- prometheus.MustNewConstMetric(c.undeliverable, prometheus.GaugeValue, float64(s.Undeliverable))
	ch <- prometheus.MustNewConstMetric(c.since, prometheus.GaugeValue, age)
}

// healthCheck is one condition of /healthz: a short name and a check that returns a
// secret-free reason when it fails.
type healthCheck struct {
	name  string
	check func(ctx context.Context) error
}

// healthHandler answers 200 "ok" when every check passes, else 503 with the failing checks'
// reasons, one a line. Reasons are logged at warn level.
func healthHandler(logger *slog.Logger, checks *[]healthCheck) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
		defer cancel()
		var failed []string
		for _, c := range *checks {
			if err := c.check(ctx); err != nil {
				failed = append(failed, c.name+": "+err.Error())
			}
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		if len(failed) > 0 {
			logger.Warn("health check failed", "failed", failed)
			w.WriteHeader(http.StatusServiceUnavailable)
			for _, f := range failed {
				w.Write([]byte(f + "\n"))
			}
			return
		}
		w.Write([]byte("ok\n"))
	})
}
