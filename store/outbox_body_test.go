package store

import (
	"errors"
	"testing"
	"time"
)

// TestDeliveredBodyCleared: a message the dispatcher marks sent keeps its row (recipient,
// dedupe key, attempts, times) and loses its body at once; a web chat's acknowledged message
// keeps its body for DeliveryRetention (its file may still be fetched), then the purge clears
// it. A second Enqueue under the same key is still refused after the body went.
func TestDeliveredBodyCleared(t *testing.T) {
	db := MustOpenDB(t)
	c := setClock(db, t0)
	var tg, web int64
	mustUpdate(t, db, func(tx *Tx) error {
		a, err := tx.EnsureChat("telegram", "5001", "zh", false)
		if err != nil {
			return err
		}
		w, err := tx.EnsureChat("web", "w-1", "zh", false)
		if err != nil {
			return err
		}
		if tg, err = tx.Enqueue(a.ID, OutMessage{Text: "提醒〔2025〕1号"}, "ladder:1:2:2"); err != nil {
			return err
		}
		web, err = tx.Enqueue(w.ID, OutMessage{Text: "您的举报已登记"}, "")
		return err
	})
	d, err := db.ClaimDue(t.Context(), "telegram", time.Minute, 10)
	if err != nil || len(d) != 1 {
		t.Fatalf("claim %v %v", d, err)
	}
	if err := db.MarkSent(t.Context(), tg); err != nil {
		t.Fatal(err)
	}
	body := func(id int64) int {
		t.Helper()
		return mustCount(t, db, `SELECT length(payload) FROM outbox WHERE id = ?`, id)
	}
	if n := body(tg); n != 0 {
		t.Errorf("sent message keeps a %d-byte body", n)
	}
	if n := mustCount(t, db, `SELECT COUNT(*) FROM outbox WHERE id = ? AND status = 'sent' AND dedupe_key = 'ladder:1:2:2' AND attempts = 1 AND sent_at IS NOT NULL`, tg); n != 1 {
		t.Error("the sent row lost what dedupe, retries and the audit need")
	}
	mustUpdate(t, db, func(tx *Tx) error {
		id, err := tx.Enqueue(1, OutMessage{Text: "again"}, "ladder:1:2:2")
		if id != tg {
			t.Errorf("a repeat under the same key made row %d, want %d", id, tg)
		}
		return err
	})
	var webChat int64
	if err := db.db.QueryRow(`SELECT chat_id FROM outbox WHERE id = ?`, web).Scan(&webChat); err != nil {
		t.Fatal(err)
	}
	if err := db.AckMailbox(t.Context(), webChat, web); err != nil {
		t.Fatal(err)
	}
	if n := body(web); n == 0 {
		t.Error("a web chat's message lost its body when acknowledged: its file could not be fetched")
	}
	c.now = t0.Add(DeliveryRetention + time.Hour)
	if _, err := db.Purge(t.Context(), Retention{Outbox: 365 * 24 * time.Hour}, "test", false); err != nil {
		t.Fatal(err)
	}
	if n := mustCount(t, db, `SELECT COUNT(*) FROM outbox WHERE id = ? AND length(payload) = 0`, tg); n != 1 {
		t.Error("the keyed row should stay for the outbox period, without a body")
	}
	if _, _, err := db.OutboxFile(t.Context(), webChat, web); !errors.Is(err, ErrNotFound) {
		t.Errorf("file of a purged message: %v, want ErrNotFound", err)
	}
}
