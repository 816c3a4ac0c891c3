package scheduler

import (
	"errors"
	"strings"
	"testing"
	"time"

	"xuncha/store"
)

// TestLadder drives the escalation job day by day on a virtual clock (09:00 each day from
// March 2 to April 30, 2026) and checks when each step happened: nudge → 提醒函 → 督办函 at
// the configured working days; an acknowledgement stops the climb; closing or pausing a clue
// stops everything.
func TestLadder(t *testing.T) {
	f := newShortLadder(t)
	tw, tw2 := f.township("新站镇"), f.township("天岗镇")
	unitPerson, unitChat := f.person(store.RoleUnit, 0, 0, "第二纪检监察室", "601")
	_, officeChat := f.person(store.RoleOfficial, tw, 0, "", "602")
	_, otherOffice := f.person(store.RoleOfficial, tw2, 0, "", "603") // another township: never told
	_ = unitPerson

	due := at(2026, 3, 20, 23, 59) // Friday
	climbs := f.clue("A", "第二纪检监察室", tw, 0, due)
	acked := f.clue("B", "第二纪检监察室", tw, 0, due)
	closed := f.clue("C", "第二纪检监察室", tw, 0, due)
	paused := f.clue("D", "第二纪检监察室", tw, 0, due)

	type step struct{ day, what string }
	var steps []step
	seen := map[int64]int{}
	unitPersonRow := &store.Person{ID: unitPerson, Role: store.RoleUnit, Unit: "第二纪检监察室"}
	for d := at(2026, 3, 2, 9, 0); d.Before(at(2026, 5, 1, 0, 0)); d = d.AddDate(0, 0, 1) {
		switch fmtDay(d) {
		case "03-18":
			if _, err := f.raw.Exec(`UPDATE clues SET status = 'closed', closed_at = ? WHERE id = ?`, d.Unix(), closed); err != nil {
				t.Fatal(err)
			}
			if _, err := f.raw.Exec(`UPDATE clues SET paused_at = ? WHERE id = ?`, d.Unix(), paused); err != nil {
				t.Fatal(err)
			}
		case "03-24":
			// The unit signs for clue B's reminder letter the day after it came.
			var letter int64
			if err := f.raw.QueryRow(`SELECT id FROM clue_letters WHERE clue_id = ?`, acked).Scan(&letter); err != nil {
				t.Fatal(err)
			}
			f.set(d)
			f.update(func(tx *store.Tx) error { _, err := tx.AckLetter(letter, unitPersonRow); return err })
			// A second press changes nothing.
			err := f.db.Update(t.Context(), func(tx *store.Tx) error { _, err := tx.AckLetter(letter, unitPersonRow); return err })
			if !errors.Is(err, store.ErrLetterAcked) {
				t.Fatalf("second ack: %v", err)
			}
		}
		f.run(f.s.Escalate, d)
		for _, id := range []int64{climbs, acked, closed, paused} {
			ev := f.events(id)
			for _, e := range ev[seen[id]:] {
				steps = append(steps, step{fmtDay(d), string(rune('A'+id-climbs)) + " " + e})
			}
			seen[id] = len(ev)
		}
	}
	got := []string{}
	for _, s := range steps {
		got = append(got, s.day+" "+s.what)
	}
	// Nudges leave no timeline row; letters do. Reminder letters: Monday Mar 23 (the first
	// working day after the Friday deadline); supervision: five working days later, Mar 30.
	want := []string{
		"03-23 A reminder_letter 提醒〔2026〕1号",
		"03-23 B reminder_letter 提醒〔2026〕2号",
		"03-24 B letter_acknowledged 提醒〔2026〕2号",
		"03-30 A supervision_letter 督办〔2026〕1号",
	}
	wantLines(t, "timeline", got, want)
	// The unit's chat: nudges for all four on Mar 17 (three working days before Mar 20), the
	// two reminder letters, the one supervision letter; nothing for C and D after Mar 18.
	var unitTexts []string
	for _, m := range f.mailbox(unitChat) {
		unitTexts = append(unitTexts, fmtDay(m.Created)+" "+strings.SplitN(m.Message.Text, "\n", 2)[0][:15])
	}
	nudges, letters, buttons := 0, 0, 0
	for _, m := range f.mailbox(unitChat) {
		switch {
		case strings.HasPrefix(m.Message.Text, "【线索办理提醒】"):
			nudges++
			if fmtDay(m.Created) != "03-17" {
				t.Errorf("nudge on %s", fmtDay(m.Created))
			}
		default:
			letters++
		}
		if len(m.Message.Buttons) == 1 && strings.HasPrefix(m.Message.Buttons[0][0].Data, "ack:") {
			buttons++
		}
	}
	if nudges != 4 || letters != 3 || buttons != 3 {
		t.Errorf("unit got %d nudges, %d letters, %d ack buttons: %v", nudges, letters, buttons, unitTexts)
	}
	if m := f.mailbox(officeChat); len(m) != 1 || !strings.Contains(m[0].Message.Text, "督办〔2026〕1号") {
		t.Errorf("inspection office: %+v", m)
	}
	if m := f.mailbox(otherOffice); len(m) != 0 {
		t.Errorf("another township's office was told: %+v", m)
	}

	t.Run("AckPermission", func(t *testing.T) {
		var letter int64
		if err := f.raw.QueryRow(`SELECT id FROM clue_letters WHERE clue_id = ? AND kind = 'supervision_letter'`, climbs).Scan(&letter); err != nil {
			t.Fatal(err)
		}
		stranger := &store.Person{ID: 999, Role: store.RoleUnit, Unit: "宣传部"}
		err := f.db.Update(t.Context(), func(tx *store.Tx) error { _, err := tx.AckLetter(letter, stranger); return err })
		if !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("another unit acknowledged: %v", err)
		}
	})

	t.Run("NewDeadlineNewLadder", func(t *testing.T) {
		// The ledger extends clue A's deadline: a new ladder starts for the new date.
		newDue := at(2026, 5, 15, 23, 59)
		if _, err := f.raw.Exec(`UPDATE clues SET due_at = ? WHERE id = ?`, newDue.Unix(), climbs); err != nil {
			t.Fatal(err)
		}
		f.run(f.s.Escalate, at(2026, 5, 18, 9, 0))
		ev := f.events(climbs)
		if last := ev[len(ev)-1]; last != "reminder_letter 提醒〔2026〕3号" {
			t.Fatalf("after the new deadline: %v", ev)
		}
	})
	_ = time.Second
}
