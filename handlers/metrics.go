package handlers

// Step results counted by Metrics.StepHandled.
const (
	StepOK        = "ok"
	StepDuplicate = "duplicate"
	StepError     = "error"
	StepPanic     = "panic"
)

// Metrics is what the engine reports about its steps; main passes Prometheus counters. Label
// values are the platform name and a StepOK… constant, never anything about the chat.
type Metrics interface {
	StepHandled(platform, result string)
}

// nopMetrics counts nothing: the default when Config.Metrics is nil.
type nopMetrics struct{}

func (nopMetrics) StepHandled(string, string) {}
