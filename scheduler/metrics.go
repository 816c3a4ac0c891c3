package scheduler

import "time"

// Ladder steps counted by JobMetrics.LadderSteps.
const (
	StepNudge       = "nudge"
	StepReminder    = "reminder_letter"
	StepSupervision = "supervision_letter"
)

// JobMetrics is what the timed jobs report. lag is how late a cron tick ran after its due
// time (zero for the catch-up pass at start, which has no tick); result is "ok" or "error".
type JobMetrics interface {
	JobRan(job, result string, lag, took time.Duration)
	LadderSteps(step string, n int)
}

// nopMetrics counts nothing: the default.
type nopMetrics struct{}

func (nopMetrics) JobRan(string, string, time.Duration, time.Duration) {}
func (nopMetrics) LadderSteps(string, int)                             {}
