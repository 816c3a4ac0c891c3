package scheduler

import (
	"time"

	"xuncha/internal/cputime"
)

// processCPU is the CPU time this process has used so far (0 where it is not measured).
func processCPU() time.Duration { return cputime.Process() }
