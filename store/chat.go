package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Chat is one conversation on one platform. Its platform id is sealed and is opened only by
// ChatAddress, for delivery.
type Chat struct {
	ID          int64
	Platform    string
	PersonID    int64 // 0 for a resident
	Lang        string
	Group       bool
	Unreachable bool
	CreatedAt   time.Time
	Created     bool // true when EnsureChat inserted it
}

func chatKey(platform, external string) string { return platform + "\x00" + external }

// EnsureChat finds the chat of a platform id, creating it with lang when it is new.
func (tx *Tx) EnsureChat(platform, external, lang string, group bool) (*Chat, error) {
	h := tx.keys.hash("chat", chatKey(platform, external))
	c := &Chat{Platform: platform}
	var person sql.NullInt64
	var created int64
	err := tx.queryRow(`SELECT id, person_id, lang, is_group, unreachable, created_at FROM chats WHERE chat_hash = ?`, h).
		Scan(&c.ID, &person, &c.Lang, &c.Group, &c.Unreachable, &created)
	switch {
	case err == nil:
		c.PersonID = person.Int64
		c.CreatedAt = time.Unix(created, 0).UTC()
		// Written only when the day changes (or the chat comes back from unreachable): a step
		// that files a report must not touch the reporter's chat row, or the row's time (and
		// the page the write-ahead log records) would name the chat behind a no-link report.
		if _, err := tx.exec(`UPDATE chats SET last_seen_at = ?1, unreachable = 0 WHERE id = ?2 AND (last_seen_at <> ?1 OR unreachable <> 0)`,
			day(tx.now), c.ID); err != nil {
			return nil, fmt.Errorf("touch chat: %w", err)
		}
		c.Unreachable = false // the chat just wrote to us, so it can be reached again
		return c, nil
	case !errors.Is(err, sql.ErrNoRows):
		return nil, fmt.Errorf("find chat: %w", err)
	}
	sealed := tx.keys.seal("chat", []byte(external))
	res, err := tx.exec(`INSERT INTO chats (platform, chat_hash, chat_sealed, lang, is_group, created_at, last_seen_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, platform, h, sealed, lang, group, day(tx.now), day(tx.now))
	if err != nil {
		return nil, fmt.Errorf("insert chat: %w", err)
	}
	c.ID, _ = res.LastInsertId()
	c.Lang, c.Group, c.CreatedAt, c.Created = lang, group, time.Unix(day(tx.now), 0).UTC(), true
	return c, nil
}

// day is t cut to the start of its day (UTC), in unix seconds. A chat's own times are kept at
// this precision: a second-precise time would join a chat to the report it filed (whose time
// is precise), and a no-link report must join to nothing.
func day(t time.Time) int64 {
	u := t.Unix()
	return u - ((u%86400)+86400)%86400
}

// RekeyChat gives the chat of a platform id a new platform id: the row, its role and its
// history stay; the old id no longer finds it. The web chat calls it when a chat binds a role,
// so that a cookie planted or seen before the binding reaches nothing.
func (tx *Tx) RekeyChat(platform, oldExternal, newExternal string) error {
	res, err := tx.exec(`UPDATE chats SET chat_hash = ?, chat_sealed = ? WHERE chat_hash = ?`,
		tx.keys.hash("chat", chatKey(platform, newExternal)), tx.keys.seal("chat", []byte(newExternal)),
		tx.keys.hash("chat", chatKey(platform, oldExternal)))
	if err != nil {
		return fmt.Errorf("rekey chat: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("rekey chat: %w", ErrNotFound)
	}
	return nil
}

// SetChatLang stores the language a chat chose.
func (tx *Tx) SetChatLang(chatID int64, lang string) error {
	if _, err := tx.exec(`UPDATE chats SET lang = ? WHERE id = ?`, lang, chatID); err != nil {
		return fmt.Errorf("set chat lang: %w", err)
	}
	return nil
}

// ChatLang returns the language of a chat.
func (tx *Tx) ChatLang(chatID int64) (string, error) {
	var lang string
	if err := tx.queryRow(`SELECT lang FROM chats WHERE id = ?`, chatID).Scan(&lang); err != nil {
		return "", rowErr("chat lang", err)
	}
	return lang, nil
}

// ChatLang returns the language of a chat, outside a step (the web chat's page labels).
func (db *DB) ChatLang(ctx context.Context, chatID int64) (string, error) {
	var lang string
	if err := db.queryRow(ctx, `SELECT lang FROM chats WHERE id = ?`, chatID).Scan(&lang); err != nil {
		return "", rowErr("chat lang", err)
	}
	return lang, nil
}

// ChatAddress opens the sealed platform id of a chat. Only delivery code calls it: nothing an
// official can run prints its result.
func (db *DB) ChatAddress(ctx context.Context, chatID int64) (platform, external string, err error) {
	var sealed []byte
	err = db.queryRow(ctx, `SELECT platform, chat_sealed FROM chats WHERE id = ?`, chatID).Scan(&platform, &sealed)
	if err != nil {
		return "", "", rowErr("chat address", err)
	}
	plain, err := db.keys.open("chat", sealed)
	if err != nil {
		return "", "", fmt.Errorf("chat address: %w", err)
	}
	return platform, string(plain), nil
}

// FindChat finds the chat of a platform id without creating it.
func (db *DB) FindChat(ctx context.Context, platform, external string) (int64, error) {
	var id int64
	err := db.queryRow(ctx, `SELECT id FROM chats WHERE chat_hash = ?`,
		db.keys.hash("chat", chatKey(platform, external))).Scan(&id)
	if err != nil {
		return 0, rowErr("find chat", err)
	}
	return id, nil
}

// MarkChatUnreachable records that a platform refuses delivery to a chat (the user blocked the
// bot or unfollowed); it is cleared when the chat writes again.
func (db *DB) MarkChatUnreachable(ctx context.Context, chatID int64) error {
	if _, err := db.exec(ctx, `UPDATE chats SET unreachable = 1 WHERE id = ?`, chatID); err != nil {
		return fmt.Errorf("mark chat unreachable: %w", err)
	}
	return nil
}

// LoadConversation returns the saved state of a chat's conversation, or nil when there is none.
func (tx *Tx) LoadConversation(chatID int64) ([]byte, error) {
	var sealed []byte
	err := tx.queryRow(`SELECT data FROM conversations WHERE chat_id = ?`, chatID).Scan(&sealed)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("load conversation: %w", err)
	}
	plain, err := tx.keys.open("conversation", sealed)
	if err != nil {
		return nil, fmt.Errorf("load conversation: %w", err)
	}
	return plain, nil
}

// SaveConversation stores a chat's conversation state; nil data deletes it.
func (tx *Tx) SaveConversation(chatID int64, data []byte) error {
	if data == nil {
		if _, err := tx.exec(`DELETE FROM conversations WHERE chat_id = ?`, chatID); err != nil {
			return fmt.Errorf("delete conversation: %w", err)
		}
		return nil
	}
	_, err := tx.exec(`INSERT INTO conversations (chat_id, data, updated_at) VALUES (?, ?, ?)
		ON CONFLICT (chat_id) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at`,
		chatID, tx.keys.seal("conversation", data), day(tx.now)) // day precision: see day
	if err != nil {
		return fmt.Errorf("save conversation: %w", err)
	}
	return nil
}

// ClaimMessage marks a platform message id as processed, recording it if it is new. It reports
// false when the id was processed before: the caller must then change nothing. A message stored
// on receipt (ReceiveMessages) and not yet processed is claimed, and its stored payload erased:
// the inbox keeps ids, not contents.
func (tx *Tx) ClaimMessage(platform, msgID string) (bool, error) {
	res, err := tx.exec(`INSERT INTO inbox (platform, msg_id, received_at, processed_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (platform, msg_id) DO UPDATE SET processed_at = excluded.processed_at, payload = NULL
		WHERE inbox.processed_at IS NULL`, platform, msgID, tx.now.Unix(), tx.now.Unix())
	return changedOne("claim message", res, err)
}

// Received is a platform message stored on receipt, before it is processed.
type Received struct {
	MsgID   string
	Payload []byte // the raw update, sealed at rest
}

// ReceiveMessages stores messages as received but not processed, ignoring ids already known,
// and optionally saves a channel state value in the same transaction (the Telegram offset that
// acknowledges exactly this batch). It returns how many were new. Once it returns, the messages
// survive a crash and the platform may be told they arrived.
func (db *DB) ReceiveMessages(ctx context.Context, platform string, msgs []Received, stateKey, stateValue string) (int, error) {
	// Sealed before the transaction: not in the single writer's time.
	sealed := make([][]byte, len(msgs))
	for i, m := range msgs {
		sealed[i] = db.keys.seal("inbox", m.Payload)
	}
	var n int
	err := db.Update(ctx, func(tx *Tx) error {
		n = 0
		for i, m := range msgs {
			res, err := tx.exec(`INSERT INTO inbox (platform, msg_id, received_at, payload) VALUES (?, ?, ?, ?)
				ON CONFLICT (platform, msg_id) DO NOTHING`, platform, m.MsgID, tx.now.Unix(), sealed[i])
			if err != nil {
				return fmt.Errorf("receive message: %w", err)
			}
			k, _ := res.RowsAffected()
			n += int(k)
		}
		if stateKey != "" {
			if err := tx.SetChannelState(stateKey, stateValue); err != nil {
				return err
			}
		}
		return nil
	})
	return n, err
}

// pendingQuery reads the inbox_pending index (migration 0012), whatever the inbox holds.
const pendingQuery = `SELECT msg_id, payload FROM inbox
	WHERE platform = ? AND processed_at IS NULL ORDER BY rowid LIMIT ?`

// PendingMessages returns up to limit received, unprocessed messages of a platform in the order
// they arrived.
func (db *DB) PendingMessages(ctx context.Context, platform string, limit int) ([]Received, error) {
	rows, err := db.query(ctx, pendingQuery, platform, limit)
	return collect("pending messages", rows, err, func(rows *sql.Rows, r *Received) error {
		var sealed []byte
		if err := rows.Scan(&r.MsgID, &sealed); err != nil {
			return err
		}
		if sealed == nil {
			return nil
		}
		var err error
		if r.Payload, err = db.keys.open("inbox", sealed); err != nil {
			return fmt.Errorf("message %s: %w", r.MsgID, err)
		}
		return nil
	})
}

// SetChannelState stores a channel's state value.
func (tx *Tx) SetChannelState(key, value string) error {
	if _, err := tx.exec(`INSERT INTO channel_state (key, value, updated_at) VALUES (?, ?, ?)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`, key, value, tx.now.Unix()); err != nil {
		return fmt.Errorf("set channel state: %w", err)
	}
	return nil
}

// ChannelState returns a channel's state value, or "" when none was stored.
func (db *DB) ChannelState(ctx context.Context, key string) (string, error) {
	var v string
	err := db.queryRow(ctx, `SELECT value FROM channel_state WHERE key = ?`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("channel state: %w", err)
	}
	return v, nil
}

// CountCodeFailures counts failed code attempts of a chat since a time.
func (tx *Tx) CountCodeFailures(chatID int64, since time.Time) (int, error) {
	var n int
	if err := tx.queryRow(`SELECT COUNT(*) FROM code_attempts WHERE chat_id = ? AND at >= ?`, chatID, since.Unix()).Scan(&n); err != nil {
		return 0, fmt.Errorf("count code attempts: %w", err)
	}
	return n, nil
}

// RecordCodeFailure records a failed query or invitation code attempt.
func (tx *Tx) RecordCodeFailure(chatID int64) error {
	if _, err := tx.exec(`INSERT INTO code_attempts (chat_id, at) VALUES (?, ?)`, chatID, tx.now.Unix()); err != nil {
		return fmt.Errorf("record code attempt: %w", err)
	}
	return nil
}
