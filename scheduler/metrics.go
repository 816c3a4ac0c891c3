package scheduler

import "time"

// Send results counted by DispatchMetrics.Sent.
const (
	SendSent        = "sent"
	SendRetry       = "retry"
	SendDead        = "dead"
	SendUncertain   = "uncertain"
	SendUnreachable = "unreachable"
)

// Ladder steps counted by JobMetrics.LadderSteps.
const (
	StepNudge       = "nudge"
	StepReminder    = "reminder_letter"
	StepSupervision = "supervision_letter"
)

// DispatchMetrics is what a Dispatcher reports; main passes Prometheus counters. Label values
// are platform names and the Send… constants, never a chat.
type DispatchMetrics interface {
	Sent(platform, result string)
	RateLimited(platform string)
}

// JobMetrics is what the timed jobs report. lag is how late a cron tick ran after its due
// time (zero for the catch-up pass at start, which has no tick); result is "ok" or "error".
type JobMetrics interface {
	JobRan(job, result string, lag, took time.Duration)
	LadderSteps(step string, n int)
}

// nopMetrics counts nothing: the default.
type nopMetrics struct{}

func (nopMetrics) Sent(string, string)                                 {}
func (nopMetrics) RateLimited(string)                                  {}
func (nopMetrics) JobRan(string, string, time.Duration, time.Duration) {}
func (nopMetrics) LadderSteps(string, int)                             {}
