package scheduler

import (
	"strings"
	"testing"

	"xuncha/store"
)

// TestAnnounceStages publishes on time, reminds three days before the close, and shuts the
// window; an announcement first published late, inside its reminder period, is not followed
// by a reminder in the same minute.
func TestAnnounceStages(t *testing.T) {
	f := newFixture(t, Config{})
	f.set(at(2026, 11, 1, 8, 0))
	tw := f.township("新站镇")
	var chat int64
	f.update(func(tx *store.Tx) error {
		c, err := tx.EnsureChat("telegram", "42", "en", false)
		if err != nil {
			return err
		}
		chat = c.ID
		return tx.Subscribe(c.ID, tw, 0)
	})
	onTime := &store.Announcement{Title: "Round 5", Body: "b", Contact: "tel 0432", RemindDays: 3,
		PublishAt: at(2026, 11, 2, 9, 0), OpenAt: at(2026, 11, 2, 9, 0), CloseAt: at(2026, 11, 20, 18, 0),
		Areas: []store.Area{{TownshipID: tw}}}
	late := &store.Announcement{Title: "Round 6", Body: "b", RemindDays: 3,
		PublishAt: at(2026, 11, 2, 9, 0), OpenAt: at(2026, 11, 2, 9, 0), CloseAt: at(2026, 11, 6, 18, 0),
		Areas: []store.Area{{TownshipID: tw}}}
	for _, a := range []*store.Announcement{onTime, late} {
		if err := f.db.CreateAnnouncement(t.Context(), a); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	for _, now := range []struct{ d, h int }{{2, 8}, {2, 9}, {3, 9}, {4, 9}, {7, 9}, {17, 17}, {17, 18}, {18, 9}, {20, 18}} {
		f.run(f.s.Announce, at(2026, 11, now.d, now.h, 0))
	}
	for _, m := range f.mailbox(chat) {
		got = append(got, m.Created.In(shanghai).Format("01-02 15:04")+" "+strings.SplitN(m.Message.Text, "\n", 2)[0])
	}
	// Round 6 is published with round 5 (its window is short: the reminder time Nov 3 18:00
	// comes after publication, so it is sent then); round 5's reminder is Nov 17 18:00.
	want := []string{
		"11-02 09:00 [Inspection announcement] Round 5",
		"11-02 09:00 [Inspection announcement] Round 6",
		"11-04 09:00 [Inspection reminder] Round 6",
		"11-17 18:00 [Inspection reminder] Round 5",
	}
	wantLines(t, "announcements", got, want)
	if n := f.count(`SELECT COUNT(*) FROM announcements WHERE closed_at IS NOT NULL`); n != 2 {
		t.Fatalf("%d windows closed", n)
	}

	// Published late, after its reminder time: no reminder on top.
	lateToo := &store.Announcement{Title: "Round 7", Body: "b", RemindDays: 3,
		PublishAt: at(2026, 11, 21, 9, 0), OpenAt: at(2026, 11, 21, 9, 0), CloseAt: at(2026, 11, 30, 18, 0),
		Areas: []store.Area{{TownshipID: tw}}}
	if err := f.db.CreateAnnouncement(t.Context(), lateToo); err != nil {
		t.Fatal(err)
	}
	before := len(f.mailbox(chat))
	f.run(f.s.Announce, at(2026, 11, 28, 9, 0))
	f.run(f.s.Announce, at(2026, 11, 28, 9, 1))
	if m := f.mailbox(chat)[before:]; len(m) != 1 || !strings.Contains(m[0].Message.Text, "Round 7") ||
		!strings.HasPrefix(m[0].Message.Text, "[Inspection announcement]") {
		t.Fatalf("late publication: %+v", m)
	}
}

// TestAnnounceToChannels: an announcement goes once to each configured channel chat as well as
// to the subscribers, also when the job runs again.
func TestAnnounceToChannels(t *testing.T) {
	f := newFixture(t, Config{Channels: []ChannelChat{{Platform: "telegram", Chat: "-1001234567890"}}})
	f.set(at(2026, 11, 1, 8, 0))
	tw := f.township("新站镇")
	a := &store.Announcement{Title: "十五届市委第五轮巡察", Body: "b", PublishAt: at(2026, 11, 2, 9, 0),
		OpenAt: at(2026, 11, 2, 9, 0), CloseAt: at(2026, 11, 20, 18, 0), Areas: []store.Area{{TownshipID: tw}}}
	if err := f.db.CreateAnnouncement(t.Context(), a); err != nil {
		t.Fatal(err)
	}
	f.run(f.s.Announce, at(2026, 11, 2, 9, 0))
	f.run(f.s.Announce, at(2026, 11, 2, 9, 1))
	group, err := f.db.FindChat(t.Context(), "telegram", "-1001234567890")
	if err != nil {
		t.Fatalf("the channel chat was not created: %v", err)
	}
	m := f.mailbox(group)
	if len(m) != 1 || !strings.Contains(m[0].Message.Text, "十五届市委第五轮巡察") {
		t.Fatalf("channel got %+v, want the announcement once", m)
	}
}
