package handlers_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"xuncha/handlers"
	"xuncha/store"
	"xuncha/store/storetest"
)

// TestEventTextLetters: a clue's timeline names its reminder and supervision letters, and
// their acknowledgement, in words of the reader's language (the desk and /clue showed the
// store's event kinds, "reminder_letter：提醒〔2026〕1号", to every reader), and an English
// line uses an English colon, not the full-width Chinese one.
func TestEventTextLetters(t *testing.T) {
	ctx := context.Background()
	db := storetest.Open(t, filepath.Join(t.TempDir(), "x.db"))
	l, err := handlers.LoadLedger("")
	if err != nil {
		t.Fatal(err)
	}
	var events []store.ClueEvent
	err = db.Update(ctx, func(tx *store.Tx) error {
		c := &store.Clue{Source: store.ClueFromInspection, Subject: "新站镇农经站"}
		if _, err := tx.CreateClue(c); err != nil {
			return err
		}
		due := time.Now().AddDate(0, 0, -3)
		for _, kind := range []string{store.LetterReminder, store.LetterSupervision} {
			if _, err := tx.CreateLetter(c.ID, kind, due, due.Year()); err != nil {
				return err
			}
		}
		events, err = tx.ClueEvents(c.ID)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	// The acknowledgement's line, as store.AckLetter writes it.
	events = append(events, store.ClueEvent{Kind: "letter_acknowledged", Body: "提醒〔2026〕1号"})
	want := map[string][2]string{
		store.LetterReminder:    {"发出提醒函：提醒〔", "reminder letter sent: 提醒〔"},
		store.LetterSupervision: {"发出督办函：督办〔", "supervision letter sent: 督办〔"},
		"letter_acknowledged":   {"函件已签收：提醒〔", "letter acknowledged: 提醒〔"},
	}
	seen := 0
	for _, e := range events {
		w, ok := want[e.Kind]
		if !ok {
			continue
		}
		seen++
		for i, lang := range []string{handlers.LangZH, handlers.LangEN} {
			got := handlers.EventText(lang, l, e)
			if !strings.HasPrefix(got, w[i]) || strings.Contains(got, "_") {
				t.Errorf("%s event in %s reads %q, want it to start %q", e.Kind, lang, got, w[i])
			}
		}
	}
	if seen != 3 {
		t.Fatalf("the store wrote %d letter events, want 2 (and the acknowledgement): %+v", seen-1, events)
	}
	// Every other line too: no full-width colon in English.
	tr := store.ClueEvent{Kind: "transfer", Body: "case1:2026-12-28"}
	if got := handlers.EventText(handlers.LangEN, l, tr); strings.Contains(got, "：") || !strings.Contains(got, "transferred: ") {
		t.Errorf("an English transfer line reads %q", got)
	}
	if got := handlers.EventText(handlers.LangZH, l, tr); !strings.Contains(got, "移交：") {
		t.Errorf("a Chinese transfer line reads %q", got)
	}
}
