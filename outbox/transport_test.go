package outbox_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"testing"

	"xuncha/outbox"
)

// timeoutErr is a net.Error that timed out, as a client's deadline gives.
type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

// TestTransportError: a dial that failed is retried as it is; a timeout, a deadline, or any
// failure once part of a message went is Uncertain; anything else is left as it is.
func TestTransportError(t *testing.T) {
	dial := &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}
	other := errors.New("unexpected EOF")
	for _, tc := range []struct {
		name       string
		err        error
		partlySent bool
		uncertain  bool
	}{
		{"dial", dial, false, false},
		{"dial after a part went", dial, true, false},
		{"timeout", fmt.Errorf("post: %w", timeoutErr{}), false, true},
		{"deadline", fmt.Errorf("post: %w", context.DeadlineExceeded), false, true},
		{"other", other, false, false},
		{"other after a part went", other, true, true},
	} {
		got := outbox.TransportError(tc.err, tc.partlySent)
		var se *outbox.SendError
		if isSE := errors.As(got, &se); isSE != tc.uncertain || (isSE && !se.Uncertain) {
			t.Errorf("%s: %#v, want uncertain %v", tc.name, got, tc.uncertain)
		}
		if !errors.Is(got, tc.err) {
			t.Errorf("%s: %v does not wrap %v", tc.name, got, tc.err)
		}
	}
}
