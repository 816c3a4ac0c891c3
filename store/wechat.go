package store

import (
	"context"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// WeChat's customer-service message allowance (the current official table): 5 messages within
// 48 hours of a user's message; 3 within a minute of a menu click, a follow or a QR scan.
const (
	WeChatMessageWindow = 48 * time.Hour
	WeChatMessageQuota  = 5
	WeChatEventWindow   = time.Minute
	WeChatEventQuota    = 3
)

// WeChatWindow is what opened a chat's customer-service window and how much of it is used.
type WeChatWindow struct {
	LastMessage      time.Time
	SentSinceMessage int
	LastEvent        time.Time
	SentSinceEvent   int
}

// WeChatOpener says which kind of user action a received message is.
type WeChatOpener int

// Kinds of user action, by the window they open.
const (
	WeChatOpensNothing WeChatOpener = iota // unfollow, view and other events
	WeChatOpensMessage                     // a message: 5 sends within 48 h
	WeChatOpensEvent                       // a menu click, follow or scan: 3 sends within 1 min
)

func wechatHash(k *keys, external string) []byte { return k.hash("chat", chatKey("wechat", external)) }

// PrivateID returns a keyed hash of value under purpose, as hex: an id that can be stored in
// clear (a dedupe key) without revealing the value.
func (db *DB) PrivateID(purpose, value string) string {
	return hex.EncodeToString(db.keys.hash(purpose, value)[:16])
}

// ReceiveWeChat stores a WeChat message as received but not processed (like ReceiveMessages)
// and, when it is new, records the user action in the chat's window. It reports whether the
// message was new. The window must be open before the step that answers the message queues
// anything, or the sender would fall back to a template for no reason. Callers may run many
// in one transaction (a group commit).
func (tx *Tx) ReceiveWeChat(m Received, external string, opens WeChatOpener) (bool, error) {
	res, err := tx.exec(`INSERT INTO inbox (platform, msg_id, received_at, payload) VALUES ('wechat', ?, ?, ?)
		ON CONFLICT (platform, msg_id) DO NOTHING`, m.MsgID, tx.now.Unix(), tx.keys.seal("inbox", m.Payload))
	if err != nil {
		return false, fmt.Errorf("receive wechat message: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return false, nil
	}
	return true, tx.TouchWeChat(external, opens)
}

// TouchWeChat records a user action in a chat's window: by ReceiveWeChat, or for a message
// stored and processed in one transaction (its step).
func (tx *Tx) TouchWeChat(external string, opens WeChatOpener) error {
	var q string
	switch opens {
	case WeChatOpensMessage:
		q = `INSERT INTO wechat_chats (chat_hash, last_message_at, sent_since_message, updated_at) VALUES (?1, ?2, 0, ?2)
			ON CONFLICT (chat_hash) DO UPDATE SET last_message_at = ?2, sent_since_message = 0, updated_at = ?2`
	case WeChatOpensEvent:
		q = `INSERT INTO wechat_chats (chat_hash, last_event_at, sent_since_event, updated_at) VALUES (?1, ?2, 0, ?2)
			ON CONFLICT (chat_hash) DO UPDATE SET last_event_at = ?2, sent_since_event = 0, updated_at = ?2`
	default:
		return nil
	}
	if _, err := tx.exec(q, wechatHash(tx.keys, external), tx.now.Unix()); err != nil {
		return fmt.Errorf("touch wechat window: %w", err)
	}
	return nil
}

// ReserveWeChatSend takes one customer-service message from a chat's open window and reports
// whether there was one. The message window is used first, then the short event window.
func (db *DB) ReserveWeChatSend(ctx context.Context, external string) (bool, error) {
	now := db.Now()
	h := wechatHash(db.keys, external)
	res, err := db.exec(ctx, `UPDATE wechat_chats SET sent_since_message = sent_since_message + 1, updated_at = ?
		WHERE chat_hash = ? AND last_message_at > ? AND sent_since_message < ?`,
		now.Unix(), h, now.Add(-WeChatMessageWindow).Unix(), WeChatMessageQuota)
	if err != nil {
		return false, fmt.Errorf("reserve wechat send: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 1 {
		return true, nil
	}
	res, err = db.exec(ctx, `UPDATE wechat_chats SET sent_since_event = sent_since_event + 1, updated_at = ?
		WHERE chat_hash = ? AND last_event_at > ? AND sent_since_event < ?`,
		now.Unix(), h, now.Add(-WeChatEventWindow).Unix(), WeChatEventQuota)
	if err != nil {
		return false, fmt.Errorf("reserve wechat send: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// CloseWeChatWindow records that WeChat refused a customer-service message (45015, 45047):
// whatever the count said, the window is used up until the user acts again.
func (db *DB) CloseWeChatWindow(ctx context.Context, external string) error {
	if _, err := db.exec(ctx, `UPDATE wechat_chats SET sent_since_message = ?, sent_since_event = ?, updated_at = ?
		WHERE chat_hash = ?`, WeChatMessageQuota, WeChatEventQuota, db.Now().Unix(), wechatHash(db.keys, external)); err != nil {
		return fmt.Errorf("close wechat window: %w", err)
	}
	return nil
}

// WeChatWindowOf returns a chat's window; the zero value when the chat never acted.
func (db *DB) WeChatWindowOf(ctx context.Context, external string) (WeChatWindow, error) {
	var w WeChatWindow
	var msg, ev int64
	err := db.queryRow(ctx, `SELECT last_message_at, sent_since_message, last_event_at, sent_since_event
		FROM wechat_chats WHERE chat_hash = ?`, wechatHash(db.keys, external)).Scan(&msg, &w.SentSinceMessage, &ev, &w.SentSinceEvent)
	if errors.Is(err, sql.ErrNoRows) {
		return w, nil
	}
	if err != nil {
		return w, fmt.Errorf("wechat window: %w", err)
	}
	if msg > 0 {
		w.LastMessage = time.Unix(msg, 0).UTC()
	}
	if ev > 0 {
		w.LastEvent = time.Unix(ev, 0).UTC()
	}
	return w, nil
}

// SetWeChatWindow overwrites a chat's window (operators and tests: a window moved into the
// past is a closed one).
func (db *DB) SetWeChatWindow(ctx context.Context, external string, w WeChatWindow) error {
	_, err := db.exec(ctx, `INSERT INTO wechat_chats (chat_hash, last_message_at, sent_since_message, last_event_at, sent_since_event, updated_at)
		VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (chat_hash) DO UPDATE SET last_message_at = ?2, sent_since_message = ?3,
		last_event_at = ?4, sent_since_event = ?5, updated_at = ?6`,
		wechatHash(db.keys, external), unixOrZeroInt(w.LastMessage), w.SentSinceMessage, unixOrZeroInt(w.LastEvent), w.SentSinceEvent, db.Now().Unix())
	if err != nil {
		return fmt.Errorf("set wechat window: %w", err)
	}
	return nil
}

func unixOrZeroInt(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.Unix()
}

// TouchWeChatMenu is TouchWeChat and SaveWeChatMenu in one statement, for the step of a message
// stored by its own step whose answer shows choices: the callback's transaction runs on the
// single writer, where a statement fewer is felt under load.
func (tx *Tx) TouchWeChatMenu(external string, opens WeChatOpener, menu []Button) error {
	var q string
	switch opens {
	case WeChatOpensMessage:
		q = `INSERT INTO wechat_chats (chat_hash, last_message_at, sent_since_message, menu, updated_at) VALUES (?1, ?2, 0, ?3, ?2)
			ON CONFLICT (chat_hash) DO UPDATE SET last_message_at = ?2, sent_since_message = 0, menu = ?3, updated_at = ?2`
	case WeChatOpensEvent:
		q = `INSERT INTO wechat_chats (chat_hash, last_event_at, sent_since_event, menu, updated_at) VALUES (?1, ?2, 0, ?3, ?2)
			ON CONFLICT (chat_hash) DO UPDATE SET last_event_at = ?2, sent_since_event = 0, menu = ?3, updated_at = ?2`
	default:
		return tx.SaveWeChatMenu(external, menu)
	}
	body, err := json.Marshal(menu)
	if err != nil {
		return fmt.Errorf("marshal menu: %w", err)
	}
	if _, err := tx.exec(q, wechatHash(tx.keys, external), tx.now.Unix(), tx.keys.seal("wechat.menu", body)); err != nil {
		return fmt.Errorf("touch wechat window and menu: %w", err)
	}
	return nil
}

// SaveWeChatMenu stores the numbered choices last shown to a chat.
func (db *DB) SaveWeChatMenu(ctx context.Context, external string, menu []Button) error {
	return db.Update(ctx, func(tx *Tx) error { return tx.SaveWeChatMenu(external, menu) })
}

// SaveWeChatMenu stores the numbered choices last shown to a chat.
func (tx *Tx) SaveWeChatMenu(external string, menu []Button) error {
	body, err := json.Marshal(menu)
	if err != nil {
		return fmt.Errorf("marshal menu: %w", err)
	}
	_, err = tx.exec(`INSERT INTO wechat_chats (chat_hash, menu, updated_at) VALUES (?1, ?2, ?3)
		ON CONFLICT (chat_hash) DO UPDATE SET menu = ?2, updated_at = ?3`,
		wechatHash(tx.keys, external), tx.keys.seal("wechat.menu", body), tx.now.Unix())
	if err != nil {
		return fmt.Errorf("save wechat menu: %w", err)
	}
	return nil
}

// WeChatMenu returns the numbered choices last shown to a chat (nil when none) and the chat's
// language ("" for a chat the engine has not seen).
func (db *DB) WeChatMenu(ctx context.Context, external string) ([]Button, string, error) {
	return weChatMenu(db.queryRow(ctx, weChatMenuQuery, wechatHash(db.keys, external)), db.keys)
}

// WeChatMenu is DB.WeChatMenu inside a transaction.
func (tx *Tx) WeChatMenu(external string) ([]Button, string, error) {
	return weChatMenu(tx.queryRow(weChatMenuQuery, wechatHash(tx.keys, external)), tx.keys)
}

const weChatMenuQuery = `SELECT (SELECT menu FROM wechat_chats WHERE chat_hash = ?1),
	(SELECT lang FROM chats WHERE chat_hash = ?1)`

func weChatMenu(row *sql.Row, k *keys) ([]Button, string, error) {
	var sealed []byte
	var lang sql.NullString
	if err := row.Scan(&sealed, &lang); err != nil {
		return nil, "", fmt.Errorf("wechat menu: %w", err)
	}
	if sealed == nil {
		return nil, lang.String, nil
	}
	plain, err := k.open("wechat.menu", sealed)
	if err != nil {
		return nil, "", fmt.Errorf("wechat menu: %w", err)
	}
	var menu []Button
	if err := json.Unmarshal(plain, &menu); err != nil {
		return nil, "", fmt.Errorf("wechat menu: %w", err)
	}
	return menu, lang.String, nil
}
