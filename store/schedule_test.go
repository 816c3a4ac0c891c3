package store

import (
	"errors"
	"reflect"
	"testing"
	"time"
)

func TestClaim(t *testing.T) {
	db := MustOpenDB(t)
	var first, second bool
	mustUpdate(t, db, func(tx *Tx) (err error) { first, err = tx.Claim("review:2026-03"); return err })
	mustUpdate(t, db, func(tx *Tx) (err error) { second, err = tx.Claim("review:2026-03"); return err })
	if !first || second {
		t.Fatalf("claims: %v %v, want true false", first, second)
	}
	// A claim rolled back with its transaction is not taken.
	boom := errors.New("boom")
	if err := db.Update(t.Context(), func(tx *Tx) error {
		if _, err := tx.Claim("review:2026-04"); err != nil {
			return err
		}
		return boom
	}); !errors.Is(err, boom) {
		t.Fatal(err)
	}
	mustUpdate(t, db, func(tx *Tx) (err error) { first, err = tx.Claim("review:2026-04"); return err })
	if !first {
		t.Fatal("a rolled-back claim stayed")
	}
}

func TestSubscribersOf(t *testing.T) {
	db := MustOpenDB(t)
	setClock(db, time.Unix(1_780_000_000, 0))
	if _, err := db.ImportPlaces(t.Context(), []PlaceRow{
		{Township: "新站镇", Village: "东风村", Class: "general"}, {Township: "新站镇", Village: "红旗村", Class: "general"},
		{Township: "天岗镇"},
	}); err != nil {
		t.Fatal(err)
	}
	tw, east, _ := db.FindPlaceByName(t.Context(), "新站镇", "东风村")
	_, red, _ := db.FindPlaceByName(t.Context(), "新站镇", "红旗村")
	tw2, _, _ := db.FindPlaceByName(t.Context(), "天岗镇", "")
	whole, village, other, otherTown, gone := mustChat(t, db, "telegram", "1"), mustChat(t, db, "telegram", "2"),
		mustChat(t, db, "telegram", "3"), mustChat(t, db, "telegram", "4"), mustChat(t, db, "telegram", "5")
	mustUpdate(t, db, func(tx *Tx) error {
		for _, s := range []struct{ chat, tw, v int64 }{
			{whole, tw, 0}, {village, tw, east}, {village, tw, 0}, {other, tw, red}, {otherTown, tw2, 0}, {gone, tw, east},
		} {
			if err := tx.Subscribe(s.chat, s.tw, s.v); err != nil {
				return err
			}
		}
		return nil
	})
	if err := db.MarkChatUnreachable(t.Context(), gone); err != nil {
		t.Fatal(err)
	}
	ids := func(areas []Area, after int64, limit int) []int64 {
		var out []int64
		mustUpdate(t, db, func(tx *Tx) error {
			rs, err := tx.SubscribersOf(areas, after, limit)
			for _, r := range rs {
				out = append(out, r.ChatID)
			}
			return err
		})
		return out
	}
	if got := ids([]Area{{TownshipID: tw, VillageID: east}}, 0, 10); !reflect.DeepEqual(got, []int64{whole, village}) {
		t.Errorf("village area: %v", got)
	}
	if got := ids([]Area{{TownshipID: tw}}, 0, 10); !reflect.DeepEqual(got, []int64{whole, village, other}) {
		t.Errorf("township area: %v", got)
	}
	if got := ids([]Area{{TownshipID: tw}, {TownshipID: tw2}}, whole, 2); !reflect.DeepEqual(got, []int64{village, other}) {
		t.Errorf("paged: %v", got)
	}
}

func TestAnnouncementWindow(t *testing.T) {
	db := MustOpenDB(t)
	c := setClock(db, time.Unix(1_780_000_000, 0))
	if _, err := db.ImportPlaces(t.Context(), []PlaceRow{{Township: "新站镇", Village: "东风村", Class: "general"}}); err != nil {
		t.Fatal(err)
	}
	tw, v, _ := db.FindPlaceByName(t.Context(), "新站镇", "东风村")
	a := &Announcement{Title: "第五轮", Body: "b", PublishAt: c.now, OpenAt: c.now, CloseAt: c.now.Add(48 * time.Hour),
		Areas: []Area{{TownshipID: tw}}}
	if err := db.CreateAnnouncement(t.Context(), a); err != nil {
		t.Fatal(err)
	}
	closed := func(at time.Time) (string, error) {
		var title string
		err := db.Update(t.Context(), func(tx *Tx) (err error) {
			title, err = tx.ClosedWindowFor(tw, v, at.AddDate(0, 0, -30), at)
			return err
		})
		return title, err
	}
	if _, err := closed(c.now.Add(time.Hour)); !errors.Is(err, ErrNotFound) {
		t.Errorf("open window: %v", err)
	}
	if title, err := closed(c.now.Add(49 * time.Hour)); err != nil || title != "第五轮" {
		t.Errorf("after close: %q %v", title, err)
	}
	if _, err := closed(c.now.AddDate(0, 0, 40)); !errors.Is(err, ErrNotFound) {
		t.Errorf("long after close: %v", err)
	}
	mustUpdate(t, db, func(tx *Tx) error {
		due, err := tx.DueAnnouncements(c.now)
		if err != nil || len(due) != 1 || len(due[0].Areas) != 1 {
			t.Errorf("due: %+v %v", due, err)
		}
		if err := tx.MarkAnnouncement(a.ID, "closed"); err != nil {
			return err
		}
		due, err = tx.DueAnnouncements(c.now)
		if len(due) != 0 {
			t.Errorf("a closed announcement is still due: %+v", due)
		}
		return err
	})
}

func TestLetters(t *testing.T) {
	db := MustOpenDB(t)
	setClock(db, time.Unix(1_780_000_000, 0))
	due := time.Unix(1_780_000_000, 0)
	if _, err := db.db.Exec(`INSERT INTO clues (number, source, unit, received_at, due_at, updated_at) VALUES
		('A', 'inspection', '审计局', 0, ?, 0), ('B', 'inspection', '审计局', 0, ?, 0)`, due.Unix(), due.Unix()); err != nil {
		t.Fatal(err)
	}
	var numbers []string
	mustUpdate(t, db, func(tx *Tx) error {
		for _, k := range []struct {
			clue int64
			kind string
		}{{1, LetterReminder}, {2, LetterReminder}, {1, LetterSupervision}} {
			l, err := tx.CreateLetter(k.clue, k.kind, due, 2026)
			if err != nil {
				return err
			}
			numbers = append(numbers, l.Number)
		}
		return nil
	})
	if want := []string{"提醒〔2026〕1号", "提醒〔2026〕2号", "督办〔2026〕1号"}; !reflect.DeepEqual(numbers, want) {
		t.Fatalf("numbers %v, want %v", numbers, want)
	}
	if n := mustCount(t, db, `SELECT COUNT(*) FROM clue_events WHERE kind IN ('reminder_letter', 'supervision_letter')`); n != 3 {
		t.Fatalf("%d timeline rows", n)
	}
	// Paused and closed clues are no candidates.
	if _, err := db.db.Exec(`UPDATE clues SET paused_at = 1 WHERE id = 2`); err != nil {
		t.Fatal(err)
	}
	got, err := db.LadderDue(t.Context(), due, LadderCursor{At: time.Unix(-1, 0)}, 10)
	if err != nil || len(got) != 1 || got[0].ID != 1 {
		t.Fatalf("candidates %+v %v", got, err)
	}
}
