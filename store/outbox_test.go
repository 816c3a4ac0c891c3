package store

import (
	"errors"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
)

// mustEnqueue queues a text for a chat and returns the outbox id.
func mustEnqueue(tb testing.TB, db *DB, chat int64, text, key string) int64 {
	tb.Helper()
	return mustGet(tb, db, func(tx *Tx) (int64, error) { return tx.Enqueue(chat, OutMessage{Text: text}, key) })
}

func deliveryIDs(ds []Delivery) []int64 { return ids(ds, func(d Delivery) int64 { return d.ID }) }

func TestEnqueue(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		db := MustOpenDB(t)
		setClock(db, t0)
		chat := mustChat(t, db, "telegram", "c")
		msg := OutMessage{Text: "你好", Buttons: [][]Button{{{Text: "Yes", Data: "y"}, {Text: "No", Data: "n"}}}}
		mustUpdate(t, db, func(tx *Tx) error {
			_, err := tx.Enqueue(chat, msg, "")
			return err
		})
		ds, err := db.ClaimDue(t.Context(), "telegram", time.Minute, 10)
		if err != nil || len(ds) != 1 {
			t.Fatalf("ClaimDue = %v, %v", ds, err)
		}
		if d := ds[0]; !reflect.DeepEqual(d.Message, msg) || d.ChatID != chat || d.Platform != "telegram" || !d.Created.Equal(t0) {
			t.Fatalf("delivery = %+v, want message %+v", d, msg)
		}
	})

	t.Run("Dedupe", func(t *testing.T) {
		db := MustOpenDB(t)
		chat := mustChat(t, db, "telegram", "c")
		a := mustEnqueue(t, db, chat, "first", "report-1-ack")
		b := mustEnqueue(t, db, chat, "second", "report-1-ack")
		if a == 0 || a != b {
			t.Fatalf("Enqueue with one dedupe key = %d, %d; want the same id", a, b)
		}
		if n := mustCount(t, db, `SELECT COUNT(*) FROM outbox`); n != 1 {
			t.Fatalf("outbox rows = %d, want 1", n)
		}
		c := mustEnqueue(t, db, chat, "third", "")
		d := mustEnqueue(t, db, chat, "third", "")
		if c == d {
			t.Fatal("Enqueue without a dedupe key returned the same id twice")
		}
	})

	t.Run("ErrNotFound", func(t *testing.T) {
		db := MustOpenDB(t)
		err := db.Update(t.Context(), func(tx *Tx) error {
			_, err := tx.Enqueue(4242, OutMessage{Text: "nobody"}, "")
			return err
		})
		if !errors.Is(err, ErrNotFound) {
			t.Fatalf("Enqueue to an unknown chat = %v, want ErrNotFound", err)
		}
		if n := mustCount(t, db, `SELECT COUNT(*) FROM outbox`); n != 0 {
			t.Fatalf("outbox rows = %d, want 0", n)
		}
	})

	t.Run("SealedOnDisk", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "outbox.db")
		db := mustOpenPath(t, path, testKey)
		chat := mustChat(t, db, "telegram", "c")
		id := mustEnqueue(t, db, chat, "outbox-payload-PLAINTEXT-9f3a", "dedupe-in-clear-77")
		if err := db.MarkRetry(t.Context(), id, t0, "error-in-clear-66"); err != nil {
			t.Fatal(err)
		}
		present := []string{"dedupe-in-clear-77", "error-in-clear-66"}
		absent := []string{"outbox-payload-PLAINTEXT-9f3a"}
		assertFile(t, path, present, absent)
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
		assertFile(t, path, present, absent)
	})
}

func TestClaimDue(t *testing.T) {
	const lease = time.Minute

	t.Run("OK", func(t *testing.T) {
		db := MustOpenDB(t)
		c := setClock(db, t0)
		tg := mustChat(t, db, "telegram", "tg")
		web := mustChat(t, db, "web", "w")
		ids := []int64{mustEnqueue(t, db, tg, "1", ""), mustEnqueue(t, db, web, "web", ""), mustEnqueue(t, db, tg, "2", ""),
			mustEnqueue(t, db, tg, "3", "")}
		want := []int64{ids[0], ids[2], ids[3]}

		// claim takes the telegram messages due: the three, each at its attempts-th attempt.
		claim := func(when string, attempts int) []Delivery {
			t.Helper()
			ds, err := db.ClaimDue(t.Context(), "telegram", lease, 10)
			if err != nil {
				t.Fatal(err)
			}
			if got := deliveryIDs(ds); !reflect.DeepEqual(got, want) {
				t.Fatalf("ClaimDue %s: ids = %v, want %v", when, got, want)
			}
			for _, d := range ds {
				if d.Attempts != attempts {
					t.Errorf("ClaimDue %s: delivery %d attempts = %d, want %d", when, d.ID, d.Attempts, attempts)
				}
			}
			return ds
		}
		for i, d := range claim("first", 1) {
			if d.Message.Text != []string{"1", "2", "3"}[i] {
				t.Errorf("delivery %d = %+v, want text %s", i, d, []string{"1", "2", "3"}[i])
			}
		}

		// Leased: a second worker at the same moment gets nothing.
		if again, err := db.ClaimDue(t.Context(), "telegram", lease, 10); err != nil || len(again) != 0 {
			t.Fatalf("second ClaimDue = %v, %v; want none", deliveryIDs(again), err)
		}
		c.advance(lease - time.Second)
		if again, err := db.ClaimDue(t.Context(), "telegram", lease, 10); err != nil || len(again) != 0 {
			t.Fatalf("ClaimDue before the lease ends = %v, %v; want none", deliveryIDs(again), err)
		}

		// The lease ran out (a crash mid-send): the rows come back with one more attempt.
		c.advance(time.Second)
		claim("after the lease", 2)
		if n := mustCount(t, db, `SELECT attempts FROM outbox WHERE id = ?`, ids[0]); n != 2 {
			t.Fatalf("stored attempts = %d, want 2", n)
		}
	})

	t.Run("Limit", func(t *testing.T) {
		db := MustOpenDB(t)
		setClock(db, t0)
		chat := mustChat(t, db, "telegram", "tg")
		a, b, c := mustEnqueue(t, db, chat, "a", ""), mustEnqueue(t, db, chat, "b", ""), mustEnqueue(t, db, chat, "c", "")
		first, err := db.ClaimDue(t.Context(), "telegram", lease, 2)
		if err != nil || !reflect.DeepEqual(deliveryIDs(first), []int64{a, b}) {
			t.Fatalf("ClaimDue(limit 2) = %v, %v; want [%d %d]", deliveryIDs(first), err, a, b)
		}
		// c waits while the older rows of its chat are leased: a chat gets its messages in order.
		rest, err := db.ClaimDue(t.Context(), "telegram", lease, 2)
		if err != nil || len(rest) != 0 {
			t.Fatalf("second ClaimDue(limit 2) = %v, %v; want none while a and b are in flight", deliveryIDs(rest), err)
		}
		for _, id := range []int64{a, b} {
			if err := db.MarkSent(t.Context(), id); err != nil {
				t.Fatal(err)
			}
		}
		rest, err = db.ClaimDue(t.Context(), "telegram", lease, 2)
		if err != nil || !reflect.DeepEqual(deliveryIDs(rest), []int64{c}) {
			t.Fatalf("ClaimDue after a and b were sent = %v, %v; want [%d]", deliveryIDs(rest), err, c)
		}
	})

	t.Run("MarkRetry", func(t *testing.T) {
		db := MustOpenDB(t)
		c := setClock(db, t0)
		chat := mustChat(t, db, "telegram", "tg")
		id := mustEnqueue(t, db, chat, "retry me", "")
		if _, err := db.ClaimDue(t.Context(), "telegram", lease, 10); err != nil {
			t.Fatal(err)
		}
		if err := db.MarkRetry(t.Context(), id, t0.Add(10*time.Minute), "429 too many requests"); err != nil {
			t.Fatal(err)
		}
		c.advance(2 * lease) // past the lease, not yet at the retry time
		if ds, err := db.ClaimDue(t.Context(), "telegram", lease, 10); err != nil || len(ds) != 0 {
			t.Fatalf("ClaimDue before retry time = %v, %v; want none", deliveryIDs(ds), err)
		}
		c.now = t0.Add(10 * time.Minute)
		ds, err := db.ClaimDue(t.Context(), "telegram", lease, 10)
		if err != nil || !reflect.DeepEqual(deliveryIDs(ds), []int64{id}) {
			t.Fatalf("ClaimDue at retry time = %v, %v; want [%d]", deliveryIDs(ds), err, id)
		}
		if ds[0].Attempts != 2 {
			t.Fatalf("attempts = %d, want 2", ds[0].Attempts)
		}
	})

	t.Run("MarkSentDead", func(t *testing.T) {
		db := MustOpenDB(t)
		c := setClock(db, t0)
		chat := mustChat(t, db, "telegram", "tg")
		sent, dead, live := mustEnqueue(t, db, chat, "s", ""), mustEnqueue(t, db, chat, "d", ""), mustEnqueue(t, db, chat, "l", "")
		if _, err := db.ClaimDue(t.Context(), "telegram", lease, 10); err != nil {
			t.Fatal(err)
		}
		if err := db.MarkSent(t.Context(), sent); err != nil {
			t.Fatal(err)
		}
		if err := db.MarkDead(t.Context(), dead, "403 blocked"); err != nil {
			t.Fatal(err)
		}
		// MarkRetry does not revive a finished row.
		if err := db.MarkRetry(t.Context(), dead, t0, "late retry"); err != nil {
			t.Fatal(err)
		}
		c.advance(24 * time.Hour)
		ds, err := db.ClaimDue(t.Context(), "telegram", lease, 10)
		if err != nil || !reflect.DeepEqual(deliveryIDs(ds), []int64{live}) {
			t.Fatalf("ClaimDue = %v, %v; want only [%d]", deliveryIDs(ds), err, live)
		}
		if n := mustCount(t, db, `SELECT COUNT(*) FROM outbox WHERE id = ? AND status = 'sent' AND sent_at = ?`, sent, t0.Unix()); n != 1 {
			t.Fatal("sent row not marked sent at the clock time")
		}
		if n := mustCount(t, db, `SELECT COUNT(*) FROM outbox WHERE id = ? AND status = 'dead' AND last_error = '403 blocked'`, dead); n != 1 {
			t.Fatal("dead row lost its status or reason")
		}
	})
}

func TestMailbox(t *testing.T) {
	db := MustOpenDB(t)
	setClock(db, t0)
	web := mustChat(t, db, "web", "session-1")
	other := mustChat(t, db, "web", "session-2")
	a := mustEnqueue(t, db, web, "a", "")
	mustEnqueue(t, db, other, "not yours", "")
	b := mustEnqueue(t, db, web, "b", "")
	c := mustEnqueue(t, db, web, "c", "")

	t.Run("OK", func(t *testing.T) {
		ds, err := db.Mailbox(t.Context(), web, 0, 10)
		if err != nil || !reflect.DeepEqual(deliveryIDs(ds), []int64{a, b, c}) {
			t.Fatalf("Mailbox = %v, %v; want [%d %d %d]", deliveryIDs(ds), err, a, b, c)
		}
		if ds[1].Message.Text != "b" || ds[1].ChatID != web || ds[1].Platform != "web" {
			t.Fatalf("mailbox entry = %+v", ds[1])
		}
		after, err := db.Mailbox(t.Context(), web, a, 1)
		if err != nil || !reflect.DeepEqual(deliveryIDs(after), []int64{b}) {
			t.Fatalf("Mailbox(after %d, limit 1) = %v, %v; want [%d]", a, deliveryIDs(after), err, b)
		}
	})

	t.Run("Ack", func(t *testing.T) {
		if err := db.AckMailbox(t.Context(), web, b); err != nil {
			t.Fatal(err)
		}
		ds, err := db.Mailbox(t.Context(), web, 0, 10)
		if err != nil || !reflect.DeepEqual(deliveryIDs(ds), []int64{c}) {
			t.Fatalf("Mailbox after ack = %v, %v; want [%d]", deliveryIDs(ds), err, c)
		}
		// Acking one chat's ids does not touch another chat's messages.
		ds, err = db.Mailbox(t.Context(), other, 0, 10)
		if err != nil || len(ds) != 1 {
			t.Fatalf("other mailbox = %v, %v; want one message", deliveryIDs(ds), err)
		}
		if ds, err := db.Mailbox(t.Context(), web, c, 10); err != nil || len(ds) != 0 {
			t.Fatalf("Mailbox after the last id = %v, %v", deliveryIDs(ds), err)
		}
	})
}

func TestOutboxStats(t *testing.T) {
	db := MustOpenDB(t)
	c := setClock(db, t0)

	t.Run("Empty", func(t *testing.T) {
		s, err := db.OutboxStats(t.Context())
		if err != nil || s != (OutboxStats{}) {
			t.Fatalf("OutboxStats = %+v, %v; want zero", s, err)
		}
	})

	t.Run("OK", func(t *testing.T) {
		chat := mustChat(t, db, "telegram", "tg")
		first := mustEnqueue(t, db, chat, "1", "")
		c.advance(time.Hour)
		mustEnqueue(t, db, chat, "2", "")
		dead := mustEnqueue(t, db, chat, "3", "")
		sent := mustEnqueue(t, db, chat, "4", "")
		if err := db.MarkDead(t.Context(), dead, "gone"); err != nil {
			t.Fatal(err)
		}
		if err := db.MarkSent(t.Context(), sent); err != nil {
			t.Fatal(err)
		}
		s, err := db.OutboxStats(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if want := (OutboxStats{Pending: 2, Dead: 1, OldestPending: t0}); s != want {
			t.Fatalf("OutboxStats = %+v, want %+v", s, want)
		}
		if err := db.MarkSent(t.Context(), first); err != nil {
			t.Fatal(err)
		}
		s, err = db.OutboxStats(t.Context())
		if err != nil || s.Pending != 1 || !s.OldestPending.Equal(t0.Add(time.Hour)) {
			t.Fatalf("OutboxStats after sending the oldest = %+v, %v", s, err)
		}
	})
}

func TestRelease(t *testing.T) {
	db := MustOpenDB(t)
	c := setClock(db, t0)
	chat := mustChat(t, db, "telegram", "tg")
	id := mustEnqueue(t, db, chat, "later", "")
	if _, err := db.ClaimDue(t.Context(), "telegram", time.Hour, 10); err != nil {
		t.Fatal(err)
	}
	c.advance(time.Second)
	if err := db.Release(t.Context(), id); err != nil {
		t.Fatal(err)
	}
	ds, err := db.ClaimDue(t.Context(), "telegram", time.Hour, 10)
	if err != nil || !reflect.DeepEqual(deliveryIDs(ds), []int64{id}) {
		t.Fatalf("ClaimDue after Release = %v, %v; want [%d] at once", deliveryIDs(ds), err, id)
	}
	if ds[0].Attempts != 1 {
		t.Fatalf("attempts = %d, want 1 (a released claim is not an attempt)", ds[0].Attempts)
	}
	if err := db.MarkSent(t.Context(), id); err != nil {
		t.Fatal(err)
	}
	if err := db.Release(t.Context(), id); err != nil {
		t.Fatal(err)
	}
	if ds, err := db.ClaimDue(t.Context(), "telegram", time.Hour, 10); err != nil || len(ds) != 0 {
		t.Fatalf("ClaimDue after releasing a sent message = %v, %v; want none", deliveryIDs(ds), err)
	}
}

// TestClaimDueDamagedRow: a row whose payload cannot be opened is given up (dead, with a
// reason) instead of blocking every message behind it.
func TestClaimDueDamagedRow(t *testing.T) {
	db := MustOpenDB(t)
	chat := mustChat(t, db, "telegram", "damaged")
	var first, second int64
	mustUpdate(t, db, func(tx *Tx) error {
		var err error
		if first, err = tx.Enqueue(chat, OutMessage{Text: "one"}, ""); err != nil {
			return err
		}
		second, err = tx.Enqueue(chat, OutMessage{Text: "two"}, "")
		return err
	})
	if _, err := db.db.ExecContext(t.Context(), `UPDATE outbox SET payload = x'00010203' WHERE id = ?`, first); err != nil {
		t.Fatal(err)
	}
	got, err := db.ClaimDue(t.Context(), "telegram", time.Minute, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].ID != second || got[0].Message.Text != "two" {
		t.Fatalf("ClaimDue = %+v, want only the readable row", got)
	}
	var status, reason string
	if err := db.db.QueryRowContext(t.Context(), `SELECT status, last_error FROM outbox WHERE id = ?`, first).Scan(&status, &reason); err != nil {
		t.Fatal(err)
	}
	if status != "dead" || reason == "" {
		t.Errorf("damaged row: status %q reason %q, want dead with a reason", status, reason)
	}
}

// TestReleaseInterrupted: rows a stopped process had taken are due again at once on the next
// start; rows merely waiting for a retry keep their time.
func TestReleaseInterrupted(t *testing.T) {
	db := MustOpenDB(t)
	setClock(db, t0)
	chat := mustChat(t, db, "telegram", "tg")
	inFlight := mustEnqueue(t, db, chat, "in flight", "")
	other := mustChat(t, db, "telegram", "tg2")
	waiting := mustEnqueue(t, db, other, "waiting", "")
	got, err := db.ClaimDue(t.Context(), "telegram", time.Hour, 10)
	if err != nil || len(got) != 2 {
		t.Fatalf("ClaimDue = %v, %v", deliveryIDs(got), err)
	}
	if err := db.MarkRetry(t.Context(), waiting, t0.Add(30*time.Minute), "boom"); err != nil {
		t.Fatal(err)
	}
	// The process dies here; a new one starts.
	n, err := db.ReleaseInterrupted(t.Context(), "telegram")
	if err != nil || n != 1 {
		t.Fatalf("ReleaseInterrupted = %d, %v; want 1", n, err)
	}
	got, err = db.ClaimDue(t.Context(), "telegram", time.Hour, 10)
	if err != nil || !reflect.DeepEqual(deliveryIDs(got), []int64{inFlight}) {
		t.Fatalf("after the restart ClaimDue = %v, %v; want only the interrupted row %d", deliveryIDs(got), err, inFlight)
	}
}

// TestClaimAndMarkMany: a claim leases every row it returns (the same rows are not claimed
// again within the lease), with its chat address, and one MarkSent marks any number of rows,
// only those.
func TestClaimAndMarkMany(t *testing.T) {
	db := MustOpenDB(t)
	setClock(db, t0)
	var ids []int64
	for i := range 5 {
		chat := mustChat(t, db, "telegram", "tg-"+strconv.Itoa(i))
		ids = append(ids, mustEnqueue(t, db, chat, "m", ""))
	}
	ds, err := db.ClaimDue(t.Context(), "telegram", time.Hour, 10)
	if err != nil || !reflect.DeepEqual(deliveryIDs(ds), ids) {
		t.Fatalf("claim = %v, %v; want %v", deliveryIDs(ds), err, ids)
	}
	for i, d := range ds {
		if d.Attempts != 1 || d.Address != "tg-"+strconv.Itoa(i) {
			t.Errorf("delivery %d: attempts %d, address %q", d.ID, d.Attempts, d.Address)
		}
	}
	if again, err := db.ClaimDue(t.Context(), "telegram", time.Hour, 10); err != nil || len(again) != 0 {
		t.Fatalf("claimed again within the lease: %v, %v", deliveryIDs(again), err)
	}
	if err := db.MarkSent(t.Context(), ids[0], ids[2], ids[4]); err != nil {
		t.Fatal(err)
	}
	if err := db.MarkSent(t.Context()); err != nil {
		t.Fatal(err)
	}
	for i, id := range ids {
		var status string
		mustUpdate(t, db, func(tx *Tx) error {
			return tx.queryRow(`SELECT status FROM outbox WHERE id = ?`, id).Scan(&status)
		})
		if want := map[bool]string{true: "sent", false: "pending"}[i%2 == 0]; status != want {
			t.Errorf("row %d: %s, want %s", id, status, want)
		}
	}
}

// TestTakeOnce: a message with codes is given to one reader only, is no longer in the mailbox,
// and its stored copy no longer holds the codes.
func TestTakeOnce(t *testing.T) {
	db := MustOpenDB(t)
	chat := mustChat(t, db, "web", "c")
	const code = "1234 5678 9012 3456"
	mustUpdate(t, db, func(tx *Tx) error {
		_, err := tx.Enqueue(chat, OutMessage{Text: "查询码：\n\n" + code + "\n\n请牢记。", Codes: []string{code}}, "")
		return err
	})
	ds, err := db.Mailbox(t.Context(), chat, 0, 10)
	if err != nil || len(ds) != 1 {
		t.Fatalf("Mailbox = %v, %v", ds, err)
	}
	// Two polls read it at once; one shows it.
	first, err := db.TakeOnce(t.Context(), ds[0])
	if err != nil || !first {
		t.Fatalf("first TakeOnce = %v, %v; want true", first, err)
	}
	if again, err := db.TakeOnce(t.Context(), ds[0]); err != nil || again {
		t.Fatalf("second TakeOnce = %v, %v; want false", again, err)
	}
	if ds, err := db.Mailbox(t.Context(), chat, 0, 10); err != nil || len(ds) != 0 {
		t.Fatalf("Mailbox after TakeOnce = %v, %v; want nothing", ds, err)
	}
	var sealed []byte
	if err := db.db.QueryRow(`SELECT payload FROM outbox WHERE id = ?`, ds[0].ID).Scan(&sealed); err != nil {
		t.Fatal(err)
	}
	plain, err := db.keys.open("outbox", sealed)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(plain), code) || strings.Contains(string(plain), "1234") {
		t.Errorf("the stored message still holds the code: %s", plain)
	}
	if !strings.Contains(string(plain), "请牢记") {
		t.Errorf("the stored message lost its text: %s", plain)
	}
}
