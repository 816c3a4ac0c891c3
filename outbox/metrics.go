package outbox

// Send results counted by DispatchMetrics.Sent.
const (
	SendSent        = "sent"
	SendRetry       = "retry"
	SendDead        = "dead"
	SendUncertain   = "uncertain"
	SendUnreachable = "unreachable"
)

// DispatchMetrics is what a Dispatcher reports; main passes Prometheus counters. Label values
// are platform names and the Send… constants, never a chat.
type DispatchMetrics interface {
	Sent(platform, result string)
	RateLimited(platform string)
}

// nopMetrics counts nothing: the default.
type nopMetrics struct{}

func (nopMetrics) Sent(string, string) {}
func (nopMetrics) RateLimited(string)  {}
