package scheduler

import (
	"context"
	"strings"
	"testing"
	"time"

	"xuncha/store"
)

// realNameClosed files a real-name report by a chat (kept link) and its clue, closed at the
// fixture's clock, with the three follow-ups owed as the ledger records them on closing.
func (f *fixture) realNameClosed(township int64, reporterExt string) (clueID, reporterChat int64) {
	f.t.Helper()
	f.update(func(tx *store.Tx) error {
		chat, err := tx.EnsureChat("telegram", reporterExt, "zh", false)
		if err != nil {
			return err
		}
		reporterChat = chat.ID
		r := &store.Report{Category: "interests", TownshipID: township, Description: "截留补贴", Lang: "zh",
			ReporterChat: chat.ID, Contact: &store.Contact{Name: "赵六", Phone: "13800000001"}}
		if _, err := tx.CreateReport(r, nil); err != nil {
			return err
		}
		now := tx.Now()
		c := &store.Clue{Source: store.ClueFromReport, ReportID: r.ID, Subject: "东风村会计", TownshipID: township, ReceivedAt: now}
		if _, err := tx.CreateClue(c); err != nil {
			return err
		}
		closed := store.ClueClosed
		if err := tx.UpdateClue(c.ID, store.ClueUpdate{Status: &closed, ClosedAt: &now}); err != nil {
			return err
		}
		clueID = c.ID
		for _, days := range store.FollowUpDays {
			at := now.AddDate(0, 0, days)
			if _, err := tx.AddDuty(&store.Duty{ClueID: c.ID, Kind: store.DutyFollowUp, Seq: days, DueAt: at, NextAt: at}); err != nil {
				return err
			}
		}
		return nil
	})
	return clueID, reporterChat
}

// TestFollowUpsOnceThroughRestarts: the three retaliation follow-ups go to the reporter once
// each, on their day, through the sealed link; passes repeated the same day, restarts between
// them, the first pass after days down (what Start runs at once) and a pass rolled back by a
// crash just before its commit send nothing twice and lose nothing.
func TestFollowUpsOnceThroughRestarts(t *testing.T) {
	f := newFixture(t, Config{})
	f.places(store.PlaceRow{Township: "新站镇"})
	tw, _ := f.place("新站镇", "")
	f.set(at(2026, 3, 2, 10, 0))
	clue, reporter := f.realNameClosed(tw, "777")
	asked := func() []string {
		var out []string
		for _, d := range f.mailbox(reporter) {
			if strings.Contains(d.Message.Text, "【回访】") {
				out = append(out, d.Message.Text)
			}
		}
		return out
	}
	// A crash just before the first pass commits: nothing is sent, the duty stays due.
	f.s.beforeCommit = func(string) error { return context.Canceled }
	f.set(at(2026, 4, 1, 10, 5))
	if err := f.s.RealNameDuties(context.Background(), f.clock()); err == nil {
		t.Fatal("the crash hook did not abort the pass")
	}
	f.s.beforeCommit = nil
	if n := len(asked()); n != 0 {
		t.Fatalf("a rolled-back pass sent %d", n)
	}
	f.restart()
	for _, day := range []time.Time{at(2026, 4, 1, 10, 5), at(2026, 4, 1, 17, 0)} {
		f.run(f.s.RealNameDuties, day)
	}
	f.restart()
	f.run(f.s.RealNameDuties, at(2026, 4, 2, 9, 5))
	if q := asked(); len(q) != 1 || !strings.Contains(q[0], "已办结 30 天") {
		t.Fatalf("after 30 days: %q", q)
	}
	// Down from May 20 to June 3: the first pass after the start catches the 90-day
	// question (due May 31) up, once, and a second start that day sends nothing more.
	f.restart()
	f.run(f.s.RealNameDuties, at(2026, 6, 3, 8, 0))
	f.restart()
	f.run(f.s.RealNameDuties, at(2026, 6, 3, 9, 5))
	if q := asked(); len(q) != 2 || !strings.Contains(q[1], "已办结 90 天") {
		t.Fatalf("after the catch-up: %q", q)
	}
	f.run(f.s.RealNameDuties, at(2026, 8, 29, 9, 5))
	f.restart()
	f.run(f.s.RealNameDuties, at(2026, 12, 1, 9, 5))
	if q := asked(); len(q) != 3 || !strings.Contains(q[2], "已办结 180 天") {
		t.Fatalf("after 180 days: %q", q)
	}
	if n := f.count(`SELECT COUNT(*) FROM clue_events WHERE clue_id = ? AND kind = 'followup_asked'`, clue); n != 3 {
		t.Errorf("timeline: %d follow-ups asked", n)
	}
	if n := f.count(`SELECT COUNT(*) FROM realname_duties WHERE next_at IS NOT NULL`); n != 0 {
		t.Errorf("%d duties still in the index", n)
	}
}

// TestDutiesReadTheIndex: the pass reads the duties due from the index of next looks, not the
// table: its cost is the work due, however many clues were closed.
func TestDutiesReadTheIndex(t *testing.T) {
	f := newFixture(t, Config{})
	rows, err := f.raw.Query(`EXPLAIN QUERY PLAN SELECT d.id FROM realname_duties d JOIN clues c ON c.id = d.clue_id
		WHERE d.next_at IS NOT NULL AND d.next_at <= ? ORDER BY d.next_at, d.id LIMIT ?`, time.Now().Unix(), 200)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	joined := strings.Join(plan, "; ")
	if !strings.Contains(joined, "USING INDEX realname_duties_next") || strings.Contains(joined, "TEMP B-TREE") ||
		strings.Contains(joined, "SCAN c") {
		t.Errorf("plan: %s", joined)
	}
}
