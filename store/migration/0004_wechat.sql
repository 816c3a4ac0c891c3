-- 0004: WeChat per-chat state. WeChat allows free-form (customer-service) messages only in a
-- window after the user's last action (5 messages within 48 h of a message, 3 within a minute of
-- a menu click, follow or scan), and has no buttons, so the numbered menu last shown to a chat
-- is kept to map a typed number back to the button. Rows are keyed by the chat's keyed hash
-- (the same as chats.chat_hash), so the callback can record the window in the transaction that
-- stores the message, before the engine has created the chat. No openid is stored in clear.
CREATE TABLE wechat_chats (
	chat_hash          BLOB PRIMARY KEY,
	last_message_at    INTEGER NOT NULL DEFAULT 0,
	sent_since_message INTEGER NOT NULL DEFAULT 0,
	last_event_at      INTEGER NOT NULL DEFAULT 0,
	sent_since_event   INTEGER NOT NULL DEFAULT 0,
	menu               BLOB,              -- sealed JSON of the numbered buttons last shown
	updated_at         INTEGER NOT NULL
);
