package scheduler

import (
	"testing"

	"xuncha/store"
)

// TestNextStepTimes: each look at a clue records when its next step is due and the pass reads
// only clues whose time has come. An ended climb leaves the index of next steps, a new
// deadline brings the clue back, and a change of NudgeBefore hands every waiting clue back to
// the pass, so that its nudge follows the new threshold and not the time worked out before.
func TestNextStepTimes(t *testing.T) {
	cfg := Config{Ladder: LadderConfig{NudgeBefore: 3, SupervisionAfter: 5}}
	f := newFixture(t, cfg)
	f.set(at(2026, 3, 2, 9, 0))
	tw := f.township("新站镇")
	_, unitChat := f.person(store.RoleUnit, 0, 0, "审计局", "701")
	id := f.clue("N-1", "审计局", tw, 0, at(2026, 3, 31, 23, 59)) // Tuesday, 21 working days ahead
	next := func() int64 {
		t.Helper()
		var v *int64
		if err := f.raw.QueryRow(`SELECT (SELECT at FROM clue_next_steps WHERE clue_id = ?)`, id).Scan(&v); err != nil {
			t.Fatal(err)
		}
		if v == nil {
			return -1
		}
		return *v
	}
	if got := next(); got != 0 {
		t.Fatalf("a new clue with a deadline: next step %d, want 0 (to be worked out)", got)
	}
	f.run(f.s.Escalate, at(2026, 3, 2, 9, 0))
	if got, want := next(), at(2026, 3, 26, 0, 0).Unix(); got != want {
		t.Fatalf("next step %d, want the nudge day 03-26 00:00 (%d)", got, want)
	}
	if n := len(f.mailbox(unitChat)); n != 0 {
		t.Fatalf("%d messages before the nudge day", n)
	}

	// The county lengthens the nudge window to 20 working days: the clue is inside it now.
	f.cfg.Ladder.NudgeBefore = 20
	f.restart()
	f.run(f.s.Escalate, at(2026, 3, 3, 9, 0))
	if m := f.mailbox(unitChat); len(m) != 1 {
		t.Fatalf("after NudgeBefore 3 → 20: %d messages, want the nudge at once", len(m))
	}
	if got, want := next(), at(2026, 3, 31, 23, 59).Unix(); got != want {
		t.Fatalf("after the nudge: next step %d, want the deadline %d", got, want)
	}

	// Reminder at the deadline, supervision 5 working days later; then the climb has ended.
	for _, d := range []int{1, 10} {
		f.run(f.s.Escalate, at(2026, 4, d, 9, 0))
	}
	if n := f.count(`SELECT COUNT(*) FROM clue_letters WHERE clue_id = ?`, id); n != 2 {
		t.Fatalf("%d letters, want the reminder and the supervision letter", n)
	}
	if got := next(); got != -1 {
		t.Fatalf("ended climb: next step %d, want none", got)
	}
	// A new deadline starts a new ladder: the trigger hands the clue back to the pass.
	if _, err := f.raw.Exec(`UPDATE clues SET due_at = ? WHERE id = ?`, at(2026, 6, 30, 23, 59).Unix(), id); err != nil {
		t.Fatal(err)
	}
	if got := next(); got != 0 {
		t.Fatalf("new deadline: next step %d, want 0", got)
	}
	// Closing takes it out of the index.
	if _, err := f.raw.Exec(`UPDATE clues SET status = 'closed', closed_at = 1 WHERE id = ?`, id); err != nil {
		t.Fatal(err)
	}
	if got := next(); got != -1 {
		t.Fatalf("closed: next step %d, want none", got)
	}
}
