//go:build unix

package cputime

import (
	"testing"
	"time"
)

// TestProcessGrows: work done on the CPU shows in Process, and it never goes back.
func TestProcessGrows(t *testing.T) {
	before := Process()
	x := 0
	for deadline := time.Now().Add(50 * time.Millisecond); time.Now().Before(deadline); {
		x++
	}
	after := Process()
	if after <= before || x == 0 {
		t.Errorf("Process: %v then %v after 50ms of work", before, after)
	}
}
