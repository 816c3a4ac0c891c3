package store

import (
	"bytes"
	"errors"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"xuncha/internal/sqltest"
)

func TestEnsureChat(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		db := MustOpenDB(t)
		setClock(db, t0)
		var first, second *Chat
		mustUpdate(t, db, func(tx *Tx) (err error) {
			first, err = tx.EnsureChat("telegram", "1001", "en", true)
			return err
		})
		if !first.Created || first.ID == 0 || first.Lang != "en" || !first.Group || !first.CreatedAt.Equal(t0.Truncate(24*time.Hour)) {
			t.Fatalf("first EnsureChat = %+v", first)
		}
		mustUpdate(t, db, func(tx *Tx) (err error) {
			second, err = tx.EnsureChat("telegram", "1001", "zh", false)
			return err
		})
		if second.Created || second.ID != first.ID {
			t.Fatalf("second EnsureChat = %+v, want ID %d and Created=false", second, first.ID)
		}
		if second.Lang != "en" || !second.Group {
			t.Fatalf("second EnsureChat changed the stored lang/group: %+v", second)
		}
		if n := mustCount(t, db, `SELECT COUNT(*) FROM chats`); n != 1 {
			t.Fatalf("chats = %d, want 1", n)
		}
	})

	t.Run("PlatformsApart", func(t *testing.T) {
		db := MustOpenDB(t)
		a := mustChat(t, db, "telegram", "same")
		b := mustChat(t, db, "wechat", "same")
		if a == b {
			t.Fatalf("telegram and wechat chats with the same external id share id %d", a)
		}
		if p, ext, err := db.ChatAddress(t.Context(), b); err != nil || p != "wechat" || ext != "same" {
			t.Fatalf("ChatAddress = %q %q %v", p, ext, err)
		}
	})

	t.Run("ClearsUnreachable", func(t *testing.T) {
		db := MustOpenDB(t)
		id := mustChat(t, db, "telegram", "blocked")
		if err := db.MarkChatUnreachable(t.Context(), id); err != nil {
			t.Fatal(err)
		}
		if n := mustCount(t, db, `SELECT unreachable FROM chats WHERE id = ?`, id); n != 1 {
			t.Fatalf("unreachable = %d after MarkChatUnreachable", n)
		}
		mustChat(t, db, "telegram", "blocked")
		if n := mustCount(t, db, `SELECT unreachable FROM chats WHERE id = ?`, id); n != 0 {
			t.Fatalf("unreachable = %d after the chat wrote again", n)
		}
	})
}

func TestFindChat(t *testing.T) {
	db := MustOpenDB(t)
	id := mustChat(t, db, "telegram", "chat-7777777777-secret")
	t.Run("OK", func(t *testing.T) {
		got, err := db.FindChat(t.Context(), "telegram", "chat-7777777777-secret")
		if err != nil || got != id {
			t.Fatalf("FindChat = %d, %v; want %d", got, err, id)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		for _, c := range [][2]string{{"telegram", "chat-7777777777"}, {"wechat", "chat-7777777777-secret"}} {
			if _, err := db.FindChat(t.Context(), c[0], c[1]); !errors.Is(err, ErrNotFound) {
				t.Errorf("FindChat(%q, %q) = %v, want ErrNotFound", c[0], c[1], err)
			}
		}
	})
}

func TestChatAddress(t *testing.T) {
	const external = "chat-7777777777-secret"

	t.Run("OK", func(t *testing.T) {
		db := MustOpenDB(t)
		id := mustChat(t, db, "telegram", external)
		p, ext, err := db.ChatAddress(t.Context(), id)
		if err != nil || p != "telegram" || ext != external {
			t.Fatalf("ChatAddress = %q, %q, %v", p, ext, err)
		}
	})

	t.Run("ErrNotFound", func(t *testing.T) {
		db := MustOpenDB(t)
		if _, _, err := db.ChatAddress(t.Context(), 12345); !errors.Is(err, ErrNotFound) {
			t.Fatalf("ChatAddress = %v, want ErrNotFound", err)
		}
	})

	// The platform id must never reach the file in clear: not in the main file, not in the
	// write-ahead log while open, and not after the checkpoint at Close.
	t.Run("SealedOnDisk", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "sealed.db")
		db := mustOpenPath(t, path, testKey)
		id := mustChat(t, db, "telegram", external)
		mustUpdate(t, db, func(tx *Tx) error {
			return tx.Audit(0, "test", "marker", "", "clear-marker-5150")
		})
		if _, err := db.FindChat(t.Context(), "telegram", external); err != nil {
			t.Fatal(err)
		}
		present := []string{"clear-marker-5150"}
		absent := []string{external, "7777777777"}
		assertFile(t, path, present, absent)

		var sealed []byte
		if err := db.db.QueryRowContext(t.Context(), `SELECT chat_sealed FROM chats WHERE id = ?`, id).Scan(&sealed); err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(sealed, []byte(external)) || len(sealed) < len(external)+12+16 {
			t.Fatalf("chat_sealed is not a GCM ciphertext of the id: %q", sealed)
		}
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
		assertFile(t, path, present, absent)
	})

	t.Run("ErrWrongKey", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "key.db")
		db := mustOpenPath(t, path, testKey)
		id := mustChat(t, db, "telegram", external)
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
		// Open refuses another key outright, before any sealed row is touched.
		other, err := Open(t.Context(), path, []byte("ffffffffffffffffffffffffffffffff"))
		if !errors.Is(err, ErrWrongKey) {
			if other != nil {
				other.Close()
			}
			t.Fatalf("Open with another key = %v, want ErrWrongKey", err)
		}
		// The same key still opens it, and the chat is there.
		again := mustOpenPath(t, path, testKey)
		if _, ext, err := again.ChatAddress(t.Context(), id); err != nil || ext != external {
			t.Fatalf("ChatAddress with the right key = %q, %v", ext, err)
		}
	})
}

func TestChatLang(t *testing.T) {
	db := MustOpenDB(t)
	id := mustChat(t, db, "telegram", "lang")
	t.Run("OK", func(t *testing.T) {
		mustUpdate(t, db, func(tx *Tx) error {
			if err := tx.SetChatLang(id, "ug"); err != nil {
				return err
			}
			lang, err := tx.ChatLang(id)
			if err != nil {
				return err
			}
			if lang != "ug" {
				t.Errorf("ChatLang = %q, want ug", lang)
			}
			return nil
		})
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		mustUpdate(t, db, func(tx *Tx) error {
			if _, err := tx.ChatLang(id + 100); !errors.Is(err, ErrNotFound) {
				t.Errorf("ChatLang = %v, want ErrNotFound", err)
			}
			return nil
		})
	})
}

func TestConversation(t *testing.T) {
	path := filepath.Join(t.TempDir(), "conv.db")
	db := mustOpenPath(t, path, testKey)
	id := mustChat(t, db, "telegram", "conv")
	state := []byte(`{"step":"contact","name":"Wang-Draft-Name-313"}`)

	t.Run("Empty", func(t *testing.T) {
		mustUpdate(t, db, func(tx *Tx) error {
			got, err := tx.LoadConversation(id)
			if err != nil || got != nil {
				t.Errorf("LoadConversation = %q, %v; want nil, nil", got, err)
			}
			return nil
		})
	})
	t.Run("OK", func(t *testing.T) {
		mustUpdate(t, db, func(tx *Tx) error { return tx.SaveConversation(id, []byte("old")) })
		mustUpdate(t, db, func(tx *Tx) error { return tx.SaveConversation(id, state) })
		mustUpdate(t, db, func(tx *Tx) error {
			got, err := tx.LoadConversation(id)
			if err != nil || !bytes.Equal(got, state) {
				t.Errorf("LoadConversation = %q, %v; want %q", got, err, state)
			}
			return nil
		})
		if n := mustCount(t, db, `SELECT COUNT(*) FROM conversations`); n != 1 {
			t.Fatalf("conversations = %d, want 1", n)
		}
		assertFile(t, path, nil, []string{"Wang-Draft-Name-313"})
	})
	t.Run("Delete", func(t *testing.T) {
		mustUpdate(t, db, func(tx *Tx) error { return tx.SaveConversation(id, nil) })
		if n := mustCount(t, db, `SELECT COUNT(*) FROM conversations`); n != 0 {
			t.Fatalf("conversations = %d after delete, want 0", n)
		}
	})
}

func TestClaimMessage(t *testing.T) {
	db := MustOpenDB(t)
	claim := func(platform, id string) bool {
		t.Helper()
		return mustGet(t, db, func(tx *Tx) (bool, error) { return tx.ClaimMessage(platform, id) })
	}
	if !claim("telegram", "m1") {
		t.Fatal("first claim of m1 = false")
	}
	if claim("telegram", "m1") {
		t.Fatal("second claim of m1 = true, want false")
	}
	if !claim("wechat", "m1") {
		t.Fatal("claim of m1 on another platform = false")
	}
}

func TestCodeFailures(t *testing.T) {
	db := MustOpenDB(t)
	c := setClock(db, t0)
	id := mustChat(t, db, "telegram", "guesser")
	for range 3 {
		mustUpdate(t, db, func(tx *Tx) error { return tx.RecordCodeFailure(id) })
		c.advance(10 * time.Minute)
	}
	mustUpdate(t, db, func(tx *Tx) error {
		for _, tc := range []struct {
			since time.Time
			want  int
		}{{t0, 3}, {t0.Add(time.Minute), 2}, {t0.Add(time.Hour), 0}} {
			n, err := tx.CountCodeFailures(id, tc.since)
			if err != nil {
				return err
			}
			if n != tc.want {
				t.Errorf("CountCodeFailures(since %v) = %d, want %d", tc.since, n, tc.want)
			}
		}
		return nil
	})
}

func TestReceiveMessages(t *testing.T) {
	path := filepath.Join(t.TempDir(), "inbox.db")
	db := mustOpenPath(t, path, testKey)
	ctx := t.Context()
	pending := func() []string {
		t.Helper()
		rs, err := db.PendingMessages(ctx, "telegram", 10)
		if err != nil {
			t.Fatalf("PendingMessages: %v", err)
		}
		var out []string
		for _, r := range rs {
			out = append(out, r.MsgID+"="+string(r.Payload))
		}
		return out
	}

	t.Run("OK", func(t *testing.T) {
		n, err := db.ReceiveMessages(ctx, "telegram", []Received{{"m1", []byte("update-one-secret-text")}, {"m2", []byte("two")}}, "telegram.offset", "101")
		if err != nil || n != 2 {
			t.Fatalf("ReceiveMessages = %d, %v; want 2", n, err)
		}
		n, err = db.ReceiveMessages(ctx, "telegram", []Received{{"m2", []byte("two again")}, {"m3", []byte("three")}}, "telegram.offset", "102")
		if err != nil || n != 1 {
			t.Fatalf("ReceiveMessages with one known id = %d, %v; want 1", n, err)
		}
		if got, want := pending(), []string{"m1=update-one-secret-text", "m2=two", "m3=three"}; !slices.Equal(got, want) {
			t.Fatalf("PendingMessages = %v, want %v", got, want)
		}
		if v, err := db.ChannelState(ctx, "telegram.offset"); err != nil || v != "102" {
			t.Fatalf("ChannelState = %q, %v; want 102", v, err)
		}
		if v, err := db.ChannelState(ctx, "wechat.nothing"); err != nil || v != "" {
			t.Fatalf("ChannelState(unknown) = %q, %v; want empty", v, err)
		}
		assertFile(t, path, []string{"telegram.offset"}, []string{"update-one-secret-text"})
	})

	t.Run("Claim", func(t *testing.T) {
		var first, again bool
		mustUpdate(t, db, func(tx *Tx) (err error) {
			first, err = tx.ClaimMessage("telegram", "m1")
			return err
		})
		mustUpdate(t, db, func(tx *Tx) (err error) {
			again, err = tx.ClaimMessage("telegram", "m1")
			return err
		})
		if !first || again {
			t.Fatalf("ClaimMessage of a received message = %v then %v; want true then false", first, again)
		}
		if got, want := pending(), []string{"m2=two", "m3=three"}; !slices.Equal(got, want) {
			t.Fatalf("PendingMessages after claim = %v, want %v", got, want)
		}
		if n := mustCount(t, db, `SELECT COUNT(*) FROM inbox WHERE msg_id = 'm1' AND payload IS NULL AND processed_at IS NOT NULL`); n != 1 {
			t.Fatal("claimed message kept its payload")
		}
		// A processed id received again is not pending again.
		n, err := db.ReceiveMessages(ctx, "telegram", []Received{{"m1", []byte("redelivered")}}, "", "")
		if err != nil || n != 0 {
			t.Fatalf("ReceiveMessages of a processed id = %d, %v; want 0", n, err)
		}
		if got := pending(); len(got) != 2 {
			t.Fatalf("PendingMessages = %v, want 2 messages", got)
		}
	})
}

// TestPendingMessagesPlan: finding the pending messages reads the partial index of pending
// ones in order, not every message the platform ever sent (checked on the query plan, since a
// timing would depend on the machine).
func TestPendingMessagesPlan(t *testing.T) {
	db := MustOpenDB(t)
	var msgs []Received
	for i := range 200 {
		msgs = append(msgs, Received{MsgID: "u" + strconv.Itoa(i), Payload: []byte("{}")})
	}
	if _, err := db.ReceiveMessages(t.Context(), "telegram", msgs, "", ""); err != nil {
		t.Fatal(err)
	}
	mustUpdate(t, db, func(tx *Tx) error {
		for i := range 190 {
			if _, err := tx.ClaimMessage("telegram", "u"+strconv.Itoa(i)); err != nil {
				return err
			}
		}
		_, err := tx.exec(`ANALYZE`)
		return err
	})
	got := strings.Join(sqltest.QueryPlan(t, db.db, pendingQuery, "telegram", 10), "; ")
	if !strings.Contains(got, "USING INDEX inbox_pending") || strings.Contains(got, "TEMP B-TREE") {
		t.Errorf("plan %q; want the inbox_pending index and no sort", got)
	}
	pending, err := db.PendingMessages(t.Context(), "telegram", 5)
	if err != nil || len(pending) != 5 || pending[0].MsgID != "u190" || pending[4].MsgID != "u194" {
		t.Errorf("pending %+v %v; want u190…u194 in arrival order", pending, err)
	}
}
