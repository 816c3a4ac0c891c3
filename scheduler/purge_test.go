package scheduler

import (
	"context"
	"log/slog"
	"testing"
	"time"
)

// TestPurgeJob checks that the retention purge is a nightly job when configured, and absent
// otherwise.
func TestPurgeJob(t *testing.T) {
	s, err := New(slog.New(slog.DiscardHandler), nil, nil, Config{})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := s.Jobs()[JobPurge]; ok {
		t.Error("a purge job without Config.Purge")
	}
	ran := 0
	s, err = New(slog.New(slog.DiscardHandler), nil, nil, Config{Purge: func(context.Context, time.Time) error { ran++; return nil }})
	if err != nil {
		t.Fatal(err)
	}
	job, ok := s.Jobs()[JobPurge]
	if !ok || s.cfg.Specs[JobPurge] != "30 3 * * *" {
		t.Fatalf("purge job %v, spec %q", ok, s.cfg.Specs[JobPurge])
	}
	if err := job(t.Context(), time.Now()); err != nil || ran != 1 {
		t.Errorf("job: %v, ran %d", err, ran)
	}
}
