package scheduler

import (
	"strings"
	"testing"
	"time"

	"xuncha/store"
)

func TestCalendar(t *testing.T) {
	f := newFixture(t, Config{})
	cal := f.s.cal
	t.Run("NationalDay2025", func(t *testing.T) {
		// 国办发明电〔2024〕12号: Oct 1–8 off; Sunday Sep 28 and Saturday Oct 11 worked.
		for day, want := range map[string]bool{
			"2025-09-26": true, "2025-09-27": false, "2025-09-28": true, "2025-09-30": true,
			"2025-10-01": false, "2025-10-06": false, "2025-10-08": false, "2025-10-09": true,
			"2025-10-11": true, "2025-10-12": false,
		} {
			d, _ := time.ParseInLocation("2006-01-02", day, shanghai)
			if got := cal.IsWorkingDay(d); got != want {
				t.Errorf("IsWorkingDay(%s) = %v, want %v", day, got, want)
			}
		}
		// Five working days from Friday Sep 26: Sun 28, Mon 29, Tue 30, then over the holiday
		// Thu Oct 9 and Fri Oct 10; the sixth is the make-up Saturday Oct 11.
		from := at(2025, 9, 26, 10, 30)
		for n, want := range map[int]time.Time{
			1: at(2025, 9, 28, 10, 30), 3: at(2025, 9, 30, 10, 30), 4: at(2025, 10, 9, 10, 30),
			5: at(2025, 10, 10, 10, 30), 6: at(2025, 10, 11, 10, 30), 7: at(2025, 10, 13, 10, 30),
			-1: at(2025, 9, 25, 10, 30),
		} {
			if got := cal.AddWorkingDays(from, n); !got.Equal(want) {
				t.Errorf("AddWorkingDays(Sep 26, %d) = %s, want %s", n, got, want)
			}
		}
		// Received on the holiday itself: counting starts after it.
		if got := cal.AddWorkingDays(at(2025, 10, 3, 9, 0), 1); !got.Equal(at(2025, 10, 9, 9, 0)) {
			t.Errorf("AddWorkingDays(Oct 3, 1) = %s, want Oct 9", got)
		}
	})
	t.Run("SpringFestival2026", func(t *testing.T) {
		// 2026 notice: Feb 15–23 off; Saturdays Feb 14 and Feb 28 worked.
		if got := cal.AddWorkingDays(at(2026, 2, 13, 9, 0), 1); !got.Equal(at(2026, 2, 14, 9, 0)) {
			t.Errorf("after Feb 13: %s, want the make-up Saturday Feb 14", got)
		}
		if got := cal.AddWorkingDays(at(2026, 2, 14, 9, 0), 1); !got.Equal(at(2026, 2, 24, 9, 0)) {
			t.Errorf("after Feb 14: %s, want Feb 24", got)
		}
	})
	t.Run("PastKnownCalendar", func(t *testing.T) {
		if cal.Known(2027) {
			t.Fatal("2027 should not be known")
		}
		got := cal.AddWorkingDays(at(2027, 1, 1, 9, 0), 1) // a Friday: plain weekdays count
		if !got.Equal(at(2027, 1, 4, 9, 0)) {
			t.Errorf("2027: %s", got)
		}
		if !strings.Contains(f.logs.String(), "past the known holiday calendar") {
			t.Error("no warning about counting past the known calendar")
		}
	})
	t.Run("Import", func(t *testing.T) {
		days, err := ParseCalendar(strings.NewReader("date,kind\n2027-01-01,holiday\n2027-01-02,holiday\n2027-01-03,holiday\n2027-01-04,holiday\n"))
		if err != nil {
			t.Fatal(err)
		}
		years, err := f.db.ImportCalendar(t.Context(), days, "test")
		if err != nil || len(years) != 1 || years[0] != 2027 {
			t.Fatalf("import: %v %v", years, err)
		}
		y, d, err := f.db.CalendarDays(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		cal2, err := NewCalendar(f.log, shanghai, d, y)
		if err != nil {
			t.Fatal(err)
		}
		if got := cal2.AddWorkingDays(at(2026, 12, 31, 9, 0), 1); !got.Equal(at(2027, 1, 5, 9, 0)) {
			t.Errorf("with 2027 imported: %s, want Jan 5", got)
		}
		if _, err := ParseCalendar(strings.NewReader("2027-01-01,day off\n")); err == nil {
			t.Error("a bad kind was accepted")
		}
	})
}

// TestJobsOverNationalDay runs jobs at fixed times across the 2025 National Day holiday.
func TestJobsOverNationalDay(t *testing.T) {
	f := newFixture(t, Config{Ladder: LadderConfig{NudgeBefore: 5, SupervisionAfter: 3}})
	f.set(at(2025, 9, 1, 9, 0))
	tw := f.township("新站镇")
	_, unitChat := f.person(store.RoleUnit, 0, 0, "第一纪检监察室", "501")
	_, officialChat := f.person(store.RoleOfficial, tw, 0, "", "502")

	t.Run("LadderDeadline", func(t *testing.T) {
		// Due at the end of Friday Oct 10. Five working days before: Oct 9, Sep 30, 29, the
		// make-up Sunday Sep 28, and Friday Sep 26: the nudge goes out on Sep 26, not Sep 30.
		id := f.clue("JH-2025-0001", "第一纪检监察室", tw, 0, at(2025, 10, 10, 23, 59))
		f.run(f.s.Escalate, at(2025, 9, 25, 9, 0))
		if n := len(f.mailbox(unitChat)); n != 0 {
			t.Fatalf("nudged %d days early", n)
		}
		f.run(f.s.Escalate, at(2025, 9, 26, 9, 0))
		if m := f.mailbox(unitChat); len(m) != 1 || !strings.Contains(m[0].Message.Text, "还有 5 个工作日") {
			t.Fatalf("Sep 26: %+v", m)
		}
		// No letter during the holiday; the reminder letter the first working day after the
		// deadline passed is Saturday Oct 11, a make-up working day.
		for d := 27; d <= 30; d++ {
			f.run(f.s.Escalate, at(2025, 9, d, 9, 0))
		}
		for d := 1; d <= 10; d++ {
			f.run(f.s.Escalate, at(2025, 10, d, 9, 0))
		}
		if ev := f.events(id); len(ev) != 0 {
			t.Fatalf("letter before the deadline: %v", ev)
		}
		f.run(f.s.Escalate, at(2025, 10, 11, 9, 0))
		if ev := f.events(id); len(ev) != 1 || ev[0] != "reminder_letter 提醒〔2025〕1号" {
			t.Fatalf("Oct 11: %v", ev)
		}
		// Three working days after Oct 11: 13, 14, 15 → the supervision letter on Oct 15.
		f.run(f.s.Escalate, at(2025, 10, 14, 9, 0))
		if n := len(f.events(id)); n != 1 {
			t.Fatalf("supervision letter early: %v", f.events(id))
		}
		f.run(f.s.Escalate, at(2025, 10, 15, 9, 0))
		if ev := f.events(id); len(ev) != 2 || ev[1] != "supervision_letter 督办〔2025〕1号" {
			t.Fatalf("Oct 15: %v", ev)
		}
		if m := f.mailbox(officialChat); len(m) != 1 || !strings.Contains(m[0].Message.Text, "督办函") {
			t.Fatalf("inspection office: %+v", m)
		}
	})

	t.Run("RealNameAcceptance", func(t *testing.T) {
		// Received Monday Sep 22 at 10:00. Fifteen working days, with Sep 28 and Oct 11
		// worked and Oct 1–8 off, end on Friday Oct 17 at 10:00; the warning three working
		// days before is on Tuesday Oct 14.
		f.set(at(2025, 9, 22, 10, 0))
		if _, err := f.raw.Exec(`INSERT INTO reports (query_hash, category, township_id, description, anonymous, created_at, updated_at)
			VALUES (x'01', 'other', ?, 'd', 0, ?, ?)`, tw, f.clock().Unix(), f.clock().Unix()); err != nil {
			t.Fatal(err)
		}
		before := len(f.mailbox(officialChat))
		f.run(f.s.RealNameDeadlines, at(2025, 10, 13, 9, 0))
		if n := len(f.mailbox(officialChat)) - before; n != 0 {
			t.Fatalf("warned early (%d)", n)
		}
		f.run(f.s.RealNameDeadlines, at(2025, 10, 14, 9, 0))
		f.run(f.s.RealNameDeadlines, at(2025, 10, 16, 9, 0))
		m := f.mailbox(officialChat)[before:]
		if len(m) != 1 || !strings.Contains(m[0].Message.Text, "2025-10-17 10:00") {
			t.Fatalf("warning: %+v", m)
		}
		f.run(f.s.RealNameDeadlines, at(2025, 10, 17, 9, 0))
		if n := len(f.mailbox(officialChat)) - before; n != 1 {
			t.Fatalf("late before the deadline (%d)", n)
		}
		f.run(f.s.RealNameDeadlines, at(2025, 10, 20, 9, 0))
		m = f.mailbox(officialChat)[before:]
		if len(m) != 2 || !strings.Contains(m[1].Message.Text, "逾期") {
			t.Fatalf("late: %+v", m)
		}
	})
}
